package datatree

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// memSpool is a Spool in memory.
type memSpool struct{ bytes.Buffer }

func (m *memSpool) Rewind() (io.Reader, error) { return &m.Buffer, nil }

// fuzzyLoad drives random txns into a tree the way the final stage does:
// each txn valid for the tree as it stands, applied under the write lock,
// and kept for a replay.
type fuzzyLoad struct {
	rng  *rand.Rand
	tr   *Tree
	zxid int64
	log  []loggedTxn
	// live sessions; a closed session's id is never used again, as
	// ZooKeeper's prep refuses a closed session's requests.
	live []int64
	next int64
}

func newFuzzyLoad(seed uint64) *fuzzyLoad {
	l := &fuzzyLoad{rng: rand.New(rand.NewPCG(seed, 7)), tr: New(), live: []int64{1, 2, 3}, next: 4}
	// A quota on /n1, whose usage Apply keeps in its stat node.
	for _, n := range []struct{ path, data string }{
		{QuotaPath + "/n1", ""}, {LimitPath("/n1"), "count=-1,bytes=-1"}, {StatPath("/n1"), "count=0,bytes=0"},
	} {
		l.zxid++
		h := zkproto.TxnHeader{ClientID: 1, Zxid: l.zxid, Type: zkproto.OpCreate}
		txn := &zkproto.CreateTxn{Path: n.path, Data: []byte(n.data), ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1}
		l.tr.Apply(&h, txn)
		l.log = append(l.log, loggedTxn{h, txn})
	}
	return l
}

type loggedTxn struct {
	hdr zkproto.TxnHeader
	txn jute.Record
}

var fuzzyACLs = [][]zkproto.ACL{
	zkproto.OpenACLUnsafe,
	zkproto.ReadACLUnsafe,
	{{Perms: zkproto.PermAll, ID: zkproto.Id{Scheme: "digest", ID: "u:x"}}},
	{{Perms: zkproto.PermRead, ID: zkproto.Id{Scheme: "ip", ID: "127.0.0.1"}}, {Perms: zkproto.PermWrite, ID: zkproto.Id{Scheme: "world", ID: "anyone"}}},
}

// paths returns the tree's user paths, sorted so that a seed replays alike.
func (l *fuzzyLoad) paths() []string {
	var out []string
	for p := range l.tr.nodes {
		if p != "/" && p != ZookeeperPath && !isUnder(p, ZookeeperPath) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func isUnder(p, dir string) bool { return len(p) > len(dir) && p[:len(dir)+1] == dir+"/" }

// step applies one random txn.
func (l *fuzzyLoad) step() {
	tr := l.tr
	tr.Lock()
	defer tr.Unlock()
	paths := l.paths()
	l.zxid++
	h := zkproto.TxnHeader{ClientID: l.live[l.rng.IntN(len(l.live))], Cxid: int32(l.zxid), Zxid: l.zxid, Time: 1000 + l.zxid}
	var txn jute.Record
	pick := func() string { return paths[l.rng.IntN(len(paths))] }
	switch op := l.rng.IntN(10); {
	case op < 4 || len(paths) == 0: // create under a persistent node
		parent := "/"
		if len(paths) > 0 && l.rng.IntN(3) > 0 {
			parent = pick()
		}
		if n := tr.nodes[parent]; n == nil || n.Stat.EphemeralOwner != 0 {
			parent = "/"
		}
		p := Join(parent, fmt.Sprintf("n%d", l.rng.IntN(8)))
		if tr.nodes[p] != nil {
			// Re-creating a name is what makes replays tricky: delete it
			// if it has no children.
			if len(tr.nodes[p].Children) > 0 {
				l.zxid--
				return
			}
			h.Type, txn = zkproto.OpDelete, &zkproto.PathOnly{Path: p}
			break
		}
		h.Type = zkproto.OpCreate
		txn = &zkproto.CreateTxn{Path: p, Data: []byte(fmt.Sprint("c", l.zxid)), ACL: fuzzyACLs[l.rng.IntN(len(fuzzyACLs))],
			Ephemeral: l.rng.IntN(3) == 0, ParentCVersion: tr.nodes[parent].Stat.Cversion + 1}
	case op < 6:
		p := pick()
		if len(tr.nodes[p].Children) > 0 {
			l.zxid--
			return
		}
		h.Type, txn = zkproto.OpDelete, &zkproto.PathOnly{Path: p}
	case op < 8:
		p := pick()
		h.Type, txn = zkproto.OpSetData, &zkproto.SetDataRequest{Path: p, Data: []byte(fmt.Sprint("s", l.zxid)), Version: tr.nodes[p].Stat.Version + 1}
	case op < 9:
		p := pick()
		h.Type, txn = zkproto.OpSetACL, &zkproto.SetACLRequest{Path: p, ACL: fuzzyACLs[l.rng.IntN(len(fuzzyACLs))], Version: tr.nodes[p].Stat.Aversion + 1}
	default: // a session closes: its ephemerals go, deepest first
		i := l.rng.IntN(len(l.live))
		s := l.live[i]
		l.live[i], l.next = l.next, l.next+1
		h.ClientID, h.Type = s, zkproto.OpCloseSession
		txn = &zkproto.StringsRecord{Strings: tr.Ephemerals(s)}
	}
	tr.Apply(&h, txn)
	l.log = append(l.log, loggedTxn{h, txn})
}

// TestFuzzySnapshotReplay takes snapshots while random txns are applied
// between every chunk of the walk (the chunk shrunk to a few nodes), then
// restores each and replays the log after its zxid: the result must equal
// the live tree node for node (data, ACL, every persisted stat field,
// children) with the same ephemeral owners.
func TestFuzzySnapshotReplay(t *testing.T) {
	defer func(c int) { fuzzyChunkNodes = c }(fuzzyChunkNodes)
	fuzzyChunkNodes = 3
	for seed := uint64(1); seed <= 100; seed++ {
		l := newFuzzyLoad(seed)
		for range 600 {
			l.step()
		}
		before, logged := l.zxid, len(l.log)
		var file bytes.Buffer
		chunks := 0
		f, err := l.tr.FuzzySnapshot(&memSpool{}, func() map[int64]int32 { return map[int64]int32{1: 3000, 2: 4000} }, func() bool {
			chunks++
			for range 1 + l.rng.IntN(8) {
				l.step()
			}
			return false
		})
		if err == nil {
			err = f.Write(&file)
		}
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		zxid := f.Zxid
		if chunks < 2 || zxid != before || len(l.log) <= logged {
			t.Fatalf("seed %d: %d chunks, snapshot zxid %d, %d txns: the walk did not interleave with writes", seed, chunks, zxid, len(l.log))
		}
		snap, err := ReadSnapshot(bytes.NewReader(file.Bytes()), 1<<20)
		if err != nil {
			t.Fatalf("seed %d: read back: %v", seed, err)
		}
		if !reflect.DeepEqual(snap.Sessions, map[int64]int32{1: 3000, 2: 4000}) {
			t.Fatalf("seed %d: sessions %v", seed, snap.Sessions)
		}
		got := snap.Tree
		for _, lt := range l.log {
			if lt.hdr.Zxid > zxid {
				got.Apply(&lt.hdr, lt.txn)
			}
		}
		if d := treeDiff(l.tr, got); d != "" {
			t.Fatalf("seed %d (snapshot at %d, %d txns, %d chunks): replayed tree differs from the live one:\n%s", seed, zxid, len(l.log), chunks, d)
		}
	}
}

// TestFuzzySnapshotQuiet checks that with no txns during the walk the
// fuzzy snapshot restores exactly what WriteSnapshot's does, and that stop
// ends the walk.
func TestFuzzySnapshotQuiet(t *testing.T) {
	l := newFuzzyLoad(99)
	for range 2000 {
		l.step()
	}
	var exact, fuzzy bytes.Buffer
	if err := l.tr.WriteSnapshot(&exact, map[int64]int32{5: 6000}); err != nil {
		t.Fatal(err)
	}
	f, err := l.tr.FuzzySnapshot(&memSpool{}, func() map[int64]int32 { return map[int64]int32{5: 6000} }, nil)
	if err != nil || f.Zxid != l.zxid {
		t.Fatalf("FuzzySnapshot = %+v, %v; want zxid %d", f, err, l.zxid)
	}
	if err := f.Write(&fuzzy); err != nil {
		t.Fatal(err)
	}
	if exact.Len() != fuzzy.Len() {
		t.Errorf("fuzzy snapshot is %d bytes, exact %d", fuzzy.Len(), exact.Len())
	}
	a, err := ReadSnapshot(&exact, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadSnapshot(&fuzzy, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if d := treeDiff(a.Tree, b.Tree); d != "" {
		t.Fatalf("fuzzy and exact snapshots restore different trees:\n%s", d)
	}
	if d := treeDiff(l.tr, b.Tree); d != "" {
		t.Fatalf("restored tree differs from the live one:\n%s", d)
	}
	defer func(c int) { fuzzyChunkNodes = c }(fuzzyChunkNodes)
	fuzzyChunkNodes = 10
	calls := 0
	_, err = l.tr.FuzzySnapshot(&memSpool{}, func() map[int64]int32 { return nil }, func() bool { calls++; return calls == 2 })
	if err != ErrSnapshotStopped || calls != 2 {
		t.Fatalf("stopped walk = %v after %d polls, want ErrSnapshotStopped after 2", err, calls)
	}
	// The read lock is free again.
	l.step()
}

// treeDiff lists the differences between two trees' nodes and ephemerals.
func treeDiff(want, got *Tree) string {
	var out []string
	for p, w := range want.nodes {
		g := got.nodes[p]
		switch {
		case g == nil:
			out = append(out, "missing "+p)
		case !bytes.Equal(w.Data, g.Data) || !reflect.DeepEqual(w.ACL, g.ACL) || w.Stat != g.Stat ||
			!reflect.DeepEqual(Children(w), Children(g)):
			out = append(out, fmt.Sprintf("%s: got %+v %v %q children %v\n\twant %+v %v %q children %v",
				p, g.Stat, g.ACL, g.Data, Children(g), w.Stat, w.ACL, w.Data, Children(w)))
		}
	}
	for p := range got.nodes {
		if want.nodes[p] == nil {
			out = append(out, "extra "+p)
		}
	}
	// Every node is its parent's child, and every child a node.
	for p, n := range got.nodes {
		if p != "/" {
			parent, name := Split(p)
			if pn := got.nodes[parent]; pn == nil {
				out = append(out, "orphan "+p)
			} else if _, ok := pn.Children[name]; !ok {
				out = append(out, "unlinked "+p)
			}
		}
		for c := range n.Children {
			if got.nodes[Join(p, c)] == nil {
				out = append(out, "dangling child "+Join(p, c))
			}
		}
	}
	for s := range int64(1000) {
		if w, g := want.Ephemerals(s), got.Ephemerals(s); !reflect.DeepEqual(w, g) {
			out = append(out, fmt.Sprintf("ephemerals of %d: got %v, want %v", s, g, w))
		}
	}
	if len(out) == 0 {
		return ""
	}
	slices.Sort(out)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("... and %d more", len(out)-20))
	}
	return fmt.Sprint(out)
}

// TestReplayOverPresentAndAbsentNodes: a create of a node already present
// brings its parent's cversion and pzxid up to the txn, and a delete of an
// absent node still sets the parent's pzxid, so that a fuzzy snapshot's
// parents end as the log left them.
func TestReplayOverPresentAndAbsentNodes(t *testing.T) {
	tr := New()
	open := zkproto.OpenACLUnsafe
	tr.Apply(&zkproto.TxnHeader{Zxid: 1, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/p", ACL: open, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{Zxid: 2, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/p/c", ACL: open, ParentCVersion: 1})
	r := tr.Apply(&zkproto.TxnHeader{Zxid: 7, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/p/c", ACL: open, ParentCVersion: 3})
	p := tr.Get("/p")
	if r.Err != zkproto.ErrNodeExists || p.Stat.Cversion != 3 || p.Stat.Pzxid != 7 || tr.Get("/p/c").Stat.Czxid != 2 {
		t.Fatalf("create over a present node: %v, parent %+v", r.Err, p.Stat)
	}
	// An older create changes nothing.
	tr.Apply(&zkproto.TxnHeader{Zxid: 8, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/p/c", ACL: open, ParentCVersion: 2})
	if p.Stat.Cversion != 3 || p.Stat.Pzxid != 7 {
		t.Fatalf("older create moved the parent: %+v", p.Stat)
	}
	r = tr.Apply(&zkproto.TxnHeader{Zxid: 9, Type: zkproto.OpDelete}, &zkproto.PathOnly{Path: "/p/gone"})
	if r.Err != zkproto.ErrNoNode || p.Stat.Pzxid != 9 || p.Stat.Cversion != 3 {
		t.Fatalf("delete of an absent node: %v, parent %+v", r.Err, p.Stat)
	}
	if r := tr.Apply(&zkproto.TxnHeader{Zxid: 10, Type: zkproto.OpDelete}, &zkproto.PathOnly{Path: "/none/x"}); r.Err != zkproto.ErrNoNode {
		t.Fatalf("delete under an absent parent: %v", r.Err)
	}
}

// TestReplayDeleteTakesLaterChildren: over a fuzzy snapshot a replayed
// delete can find the node with children, of an incarnation created after
// the delete. They go with it, quota usage and ephemeral index included,
// so that the creates replayed after it make them again once.
func TestReplayDeleteTakesLaterChildren(t *testing.T) {
	tr := New()
	z := int64(0)
	apply := func(typ zkproto.OpCode, session int64, txn jute.Record) zkproto.Code {
		z++
		return tr.Apply(&zkproto.TxnHeader{ClientID: session, Zxid: z, Type: typ}, txn).Err
	}
	create := func(path, data string, eph bool) zkproto.Code {
		return apply(zkproto.OpCreate, 5, &zkproto.CreateTxn{Path: path, Data: []byte(data), ACL: zkproto.OpenACLUnsafe, Ephemeral: eph, ParentCVersion: -1})
	}
	for _, p := range []string{QuotaPath + "/q", "/q"} {
		create(p, "", false)
	}
	create(LimitPath("/q"), "count=-1,bytes=-1", false)
	create(StatPath("/q"), "", false)
	// The snapshot's /q/d, with a child and an ephemeral grandchild.
	create("/q/d", "dd", false)
	create("/q/d/c", "ccc", false)
	create("/q/d/c/e", "e", true)
	usage := func() string { return string(tr.Get(StatPath("/q")).Data) }
	if got := usage(); got != "count=4,bytes=6" {
		t.Fatalf("usage %s", got)
	}
	if code := apply(zkproto.OpDelete, 5, &zkproto.PathOnly{Path: "/q/d"}); code != zkproto.Ok {
		t.Fatalf("delete /q/d: %v", code)
	}
	for _, p := range []string{"/q/d", "/q/d/c", "/q/d/c/e"} {
		if tr.Get(p) != nil {
			t.Errorf("%s still there", p)
		}
	}
	if got, eph := usage(), tr.Ephemerals(5); got != "count=1,bytes=0" || len(eph) != 0 {
		t.Errorf("after the delete: usage %s, ephemerals %v", got, eph)
	}
	// The log then creates them again.
	for _, n := range []struct{ p, d string }{{"/q/d", "dd"}, {"/q/d/c", "ccc"}} {
		if code := create(n.p, n.d, false); code != zkproto.Ok {
			t.Fatalf("create %s: %v", n.p, code)
		}
	}
	if got := usage(); got != "count=3,bytes=5" {
		t.Errorf("after the creates: usage %s", got)
	}
}

// TestReadSnapshotRecountsQuotas: a quota's usage is counted again from
// the nodes when a snapshot is read (DataTree.setupQuota), whatever its
// stat node held when the walk wrote it.
func TestReadSnapshotRecountsQuotas(t *testing.T) {
	tr := New()
	z := int64(0)
	for _, n := range []struct{ p, d string }{
		{QuotaPath + "/q", ""}, {LimitPath("/q"), "count=10,bytes=-1"}, {StatPath("/q"), ""},
		{"/q", "1"}, {"/q/a", "22"}, {"/q/a/b", "333"},
	} {
		z++
		tr.Apply(&zkproto.TxnHeader{Zxid: z, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: n.p, Data: []byte(n.d), ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1})
	}
	tr.Get(StatPath("/q")).Data = []byte("count=1,bytes=1")
	var b bytes.Buffer
	if err := tr.WriteSnapshot(&b, nil); err != nil {
		t.Fatal(err)
	}
	snap, err := ReadSnapshot(&b, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(snap.Tree.Get(StatPath("/q")).Data); got != "count=3,bytes=6" {
		t.Errorf("usage after reading = %s, want count=3,bytes=6", got)
	}
}
