package server

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/server/datatree"
)

// loggedTxn is one txn read back from a log.
type loggedTxn struct {
	hdr zkproto.TxnHeader
	txn jute.Record
}

// loggedTxns runs writeLoad on a fresh store-backed server and returns every
// txn it logged.
func loggedTxns(t *testing.T) []loggedTxn {
	t.Helper()
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 10*time.Second)
	writeLoad(t, c, "/i", 40)
	c.Close() // a closeSession with ephemerals
	stop()
	store, err := persistence.Open(persistence.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out []loggedTxn
	err = store.Log().Iterate(0, func(zxid int64, data []byte) error {
		hdr, txn, err := decodeLogged(bytes.Clone(data))
		out = append(out, loggedTxn{hdr, txn})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func applyAll(tree *datatree.Tree, sessions map[int64]int32, txns []loggedTxn) {
	for i := range txns {
		applyRecovered(tree, sessions, &txns[i].hdr, txns[i].txn)
	}
}

// TestReplayIsIdempotent checks what recovery relies on. Apply of a create
// of an existing node or a delete of a missing one returns NodeExists or
// NoNode and changes only the parent's cversion and pzxid. Applying again the last txn a tree has seen,
// whatever its type (create, setData, setACL, delete, multi, error,
// createSession, closeSession with ephemerals), leaves tree and sessions as
// they were. And a snapshot taken after any txn k, plus the log from k on,
// gives the tree of the whole log.
//
// Replaying several txns over a tree that already holds all their effects
// is not idempotent in general. What recovery replays over is a snapshot
// walked as datatree.FuzzySnapshot walks it, each node as the walk found it;
// TestFuzzySnapshotReplay in package datatree checks that replay for random
// interleavings of the walk and txns.
func TestReplayIsIdempotent(t *testing.T) {
	txns := loggedTxns(t)
	kinds := map[zkproto.OpCode]int{}
	for _, x := range txns {
		kinds[x.hdr.Type]++
	}
	for _, op := range []zkproto.OpCode{zkproto.OpCreateSession, zkproto.OpCreate, zkproto.OpSetData,
		zkproto.OpSetACL, zkproto.OpDelete, zkproto.OpMulti, zkproto.OpError, zkproto.OpCloseSession} {
		if kinds[op] == 0 {
			t.Errorf("the load logged no %v txn", op)
		}
	}

	full, fullSessions := datatree.New(), map[int64]int32{}
	applyAll(full, fullSessions, txns)

	// Create of an existing node, delete of a missing one: the nodes stay
	// as they are, and only the parent's cversion and pzxid move up to the
	// txn, as DataTree.processTxn and deleteNode have it.
	probe := datatree.New()
	applyAll(probe, map[int64]int32{}, txns)
	before, _ := dumpTree(probe)
	probe.Lock()
	z := probe.LastZxid() + 1
	r1 := probe.Apply(&zkproto.TxnHeader{Zxid: z, Type: zkproto.OpCreate},
		&zkproto.CreateTxn{Path: "/i", Data: []byte("other"), ACL: zkproto.OpenACLUnsafe, ParentCVersion: 99})
	r2 := probe.Apply(&zkproto.TxnHeader{Zxid: z + 1, Type: zkproto.OpDelete}, &zkproto.DeleteTxn{Path: "/i/missing"})
	root, i := probe.Get("/").Stat, probe.Get("/i").Stat
	probe.Unlock()
	after, _ := dumpTree(probe)
	if r1.Err != zkproto.ErrNodeExists || r2.Err != zkproto.ErrNoNode {
		t.Errorf("create existing = %v, delete missing = %v; want NodeExists, NoNode", r1.Err, r2.Err)
	}
	if root.Cversion != 99 || root.Pzxid != z || i.Pzxid != z+1 {
		t.Errorf("parents after the replays: / %+v, /i %+v; want cversion 99 pzxid %#x, pzxid %#x", root, i, z, z+1)
	}
	if len(before) != len(after) {
		t.Errorf("%d nodes before the replays, %d after", len(before), len(after))
	}
	for p, n := range before {
		if p != "/" && p != "/i" && fmt.Sprint(n) != fmt.Sprint(after[p]) {
			t.Errorf("node %s changed: %v, was %v", p, after[p], n)
		}
	}

	for k := range txns {
		// The tree and sessions after txns[0..k], and again after txns[k]
		// once more.
		tree, sessions := datatree.New(), map[int64]int32{}
		applyAll(tree, sessions, txns[:k+1])
		var snap bytes.Buffer
		tree.RLock()
		if err := tree.WriteSnapshot(&snap, sessions); err != nil {
			t.Fatal(err)
		}
		tree.RUnlock()
		once, _ := dumpTree(tree)
		onceSessions := fmt.Sprint(sessions)
		applyAll(tree, sessions, txns[k:k+1])
		twice, _ := dumpTree(tree)
		if fmt.Sprint(once) != fmt.Sprint(twice) || onceSessions != fmt.Sprint(sessions) {
			t.Fatalf("applying txn %d (%v %#x) twice changed the tree or sessions", k, txns[k].hdr.Type, txns[k].hdr.Zxid)
		}

		// Recovery from that snapshot: load, replay from txn k on.
		rs, err := datatree.ReadSnapshot(bytes.NewReader(snap.Bytes()), 1<<21)
		if err != nil {
			t.Fatal(err)
		}
		openNilACLs(rs.Tree)
		setLastZxid(rs.Tree, txns[k].hdr.Zxid)
		applyAll(rs.Tree, rs.Sessions, txns[k:])
		diffTrees(t, fmt.Sprintf("snapshot after txn %d + replay", k), rs.Tree, full)
		if fmt.Sprint(rs.Sessions) != fmt.Sprint(fullSessions) {
			t.Errorf("snapshot after txn %d + replay: sessions %v, want %v", k, rs.Sessions, fullSessions)
		}
		if t.Failed() {
			return
		}
	}
}

// TestSnapshotThreshold checks the randomised snapshot interval: with
// snapCount 100 a snapshot is asked for after 51 to 100 txns, as
// SyncRequestProcessor does (logCount > snapCount/2 + nextInt(snapCount/2)).
func TestSnapshotThreshold(t *testing.T) {
	log, _ := newTestLog(t)
	sn := &snapshotter{log: log, snapCount: 100, due: make(chan struct{}, 1)}
	sn.rng = newTestRand()
	sn.reroll()
	var gaps []int
	since := 0
	for range 100000 {
		sn.appended(1)
		since++
		select {
		case <-sn.due:
			gaps = append(gaps, since)
			since = 0
		default:
		}
	}
	lo, hi, sum := 1<<30, 0, 0
	for _, g := range gaps {
		lo, hi, sum = min(lo, g), max(hi, g), sum+g
	}
	mean := float64(sum) / float64(len(gaps))
	if lo != 51 || hi != 100 || mean < 70 || mean > 80 {
		t.Errorf("snapshot every %d..%d txns (mean %.1f), want 51..100 (mean 75.5)", lo, hi, mean)
	}
	// A snapshot still being written makes the next one wait ("too busy").
	sn.busy.Store(true)
	for range 200 {
		sn.appended(1)
	}
	select {
	case <-sn.due:
		t.Error("snapshot asked for while one is being written")
	default:
	}
}

// dirUsage returns the bytes allocated to the files under dir and how many
// there are.
func dirUsage(t testing.TB, dir string) (bytes int64, files int) {
	t.Helper()
	// Files come and go under a running server: skip the ones that went.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			bytes += st.Blocks * 512
		} else {
			bytes += info.Size()
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bytes, files
}

// TestAutopurgeBoundsDisk runs a write load of 16,000 txns with snapCount 100
// (about 210 snapshot cycles: at ZooKeeper's default snapCount of 100,000 and
// a busy 2,000 writes/s, several hours) with autopurge every 100 ms and
// snapRetainCount 3, and checks that snapshot files, log entries and bytes on
// disk stay bounded.
func TestAutopurgeBoundsDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("16,000 writes; skipped under -short")
	}
	old := purgeIntervalUnit
	purgeIntervalUnit = 100 * time.Millisecond
	t.Cleanup(func() { purgeIntervalUnit = old })
	dir := t.TempDir()
	log, lb := newTestLog(t)
	cfg := storeConfig(t, dir)
	cfg.SnapCount = 100
	cfg.SnapRetainCount = 3
	cfg.PurgeIntervalHours = 1
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	sl := s.txnlog.(*snapLog)
	snapDir := filepath.Join(dir, snapshot.SubDir)

	const clients, perClient = 4, 4000
	type sample struct {
		snaps, logEntries int
		snapBytes         int64
		storeBytes        int64
	}
	measure := func() sample {
		var sm sample
		sm.snapBytes, _ = dirUsage(t, snapDir)
		ents, _ := os.ReadDir(snapDir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "snap.") && !strings.HasSuffix(e.Name(), ".tmp") {
				sm.snaps++
			}
		}
		if first := sl.log.FirstZxid(); first > 0 {
			sm.logEntries = int(sl.log.LastZxid() - first + 1)
		}
		sm.storeBytes, _ = dirUsage(t, filepath.Join(dir, persistence.SubDir))
		return sm
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for w := range clients {
		c, _ := connect(t, addr, 10*time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("/load%d", w)
			if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
				errs <- err
				return
			}
			for i := range perClient - 1 {
				if _, err := c.Set(p, []byte(strings.Repeat("x", 100+i%100)), int32(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var peak sample
	var early sample
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
loop:
	for {
		select {
		case <-done:
			break loop
		case err := <-errs:
			t.Fatal(err)
		case <-tick.C:
			sm := measure()
			if early.storeBytes == 0 && sl.log.LastZxid() > 2000 {
				early = sm
			}
			peak.snaps = max(peak.snaps, sm.snaps)
			peak.logEntries = max(peak.logEntries, sm.logEntries)
			peak.snapBytes = max(peak.snapBytes, sm.snapBytes)
			peak.storeBytes = max(peak.storeBytes, sm.storeBytes)
		}
	}
	elapsed := time.Since(start)
	before := measure()
	sn := snapshotterOf(t, s)
	if err := sn.purgeNow(); err != nil {
		t.Fatal(err)
	}
	after := measure()
	stop()
	taken, purges := len(lb.lines("snapshot taken")), len(lb.lines("autopurge"))
	t.Logf("%d txns in %v: %d snapshots, %d purges", sl.log.LastZxid(), elapsed.Round(time.Millisecond), taken, purges)
	t.Logf("after 2000 txns: %+v", early)
	t.Logf("peak during load: %+v", peak)
	t.Logf("at the end, before the last purge: %+v; after it: %+v", before, after)
	if taken < 120 || purges < 5 {
		t.Errorf("%d snapshots and %d purges; want at least 120 and 5", taken, purges)
	}
	// Between two purges the snapshots of one interval pile up (at a few
	// thousand writes a second, several per 100 ms); the peaks stay far below
	// the run's totals, and each purge brings the disk back to 3 snapshots
	// and the log they need: 3 intervals of at most 100 txns, plus what came
	// after the newest snapshot.
	if peak.snaps > 25 || after.snaps != 3 {
		t.Errorf("snapshot files: peak %d, after purge %d; want at most 25 and then 3", peak.snaps, after.snaps)
	}
	if peak.logEntries > 4000 || after.logEntries > 400 {
		t.Errorf("log entries: peak %d, after purge %d; want at most 4000 and 400", peak.logEntries, after.logEntries)
	}
	if peak.snapBytes > 1<<20 {
		t.Errorf("snapshot bytes peaked at %d", peak.snapBytes)
	}
	// Badger reclaims purged keys by compaction, in its own time: bound the
	// store by a small multiple of what it held early in the run.
	if peak.storeBytes > 4*early.storeBytes+64<<20 {
		t.Errorf("store grew from %d to %d bytes", early.storeBytes, peak.storeBytes)
	}
}

// TestExportLoadedByZooKeeper loads the known tree into zabd, stops it,
// exports a ZooKeeper snapshot with ExportSnapshot, starts Apache ZooKeeper
// 3.8 on it and compares every answer. The export changes nothing in zabd's
// store.
func TestExportLoadedByZooKeeper(t *testing.T) {
	requireZooKeeper(t)
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	cfg.SnapCount = 20 // the export recovers from a snapshot plus the log
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	loader := dial(t, addr, 20*time.Second)
	loadKnownTree(t, loader)
	want := readAnswers(t, dial(t, addr, 10*time.Second))
	stop()
	loader.Close()
	storeBefore := treeFiles(t, dir)

	out := filepath.Join(t.TempDir(), "zk", "data")
	path, err := ExportSnapshot(cfg, log, out)
	if err != nil {
		t.Fatal(err)
	}
	if got := treeFiles(t, dir); got != storeBefore {
		t.Errorf("export changed the store's snapshots:\n%s\nwant\n%s", got, storeBefore)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 || !strings.HasPrefix(filepath.Base(path), "snapshot.") || filepath.Dir(path) != filepath.Join(out, "version-2") {
		t.Errorf("export wrote %s; version-2 holds %v", path, ents)
	}
	zkp := startZooKeeper(t, out, "")
	zkLog, err := os.ReadFile(zkp.log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(zkLog), "Reading snapshot "+path) || strings.Contains(string(zkLog), "problem reading snap file") {
		t.Errorf("ZooKeeper did not read %s cleanly; its log:\n%s", path, tail(string(zkLog), 30))
	}
	got := readAnswers(t, dial(t, zkp.addr, 10*time.Second))
	diffAnswers(t, "ZooKeeper on zabd's export vs zabd", got, want)
}

// treeFiles lists the snapshot files of a store directory.
func treeFiles(t testing.TB, dir string) string {
	ents, err := os.ReadDir(filepath.Join(dir, snapshot.SubDir))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		info, _ := e.Info()
		fmt.Fprintf(&b, "%s %d\n", e.Name(), info.Size())
	}
	return b.String()
}

// bigTree returns a tree of n znodes under 100 parents, 32 bytes of data each.
func bigTree(n int) *datatree.Tree {
	tree := datatree.New()
	tree.Lock()
	defer tree.Unlock()
	z := int64(0)
	data := bytes.Repeat([]byte("d"), 32)
	for p := range 100 {
		z++
		tree.Apply(&zkproto.TxnHeader{Zxid: z, Time: z, Type: zkproto.OpCreate},
			&zkproto.CreateTxn{Path: fmt.Sprintf("/p%02d", p), ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1})
	}
	for i := 0; i < n-100; i++ {
		z++
		tree.Apply(&zkproto.TxnHeader{Zxid: z, Time: z, Type: zkproto.OpCreate},
			&zkproto.CreateTxn{Path: fmt.Sprintf("/p%02d/n%07d", i%100, i), Data: data, ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1})
	}
	return tree
}

// BenchmarkSnapshot100k writes a snapshot of 100,000 znodes to a snapshot
// file (fsync and rename included) and loads it back, reporting the time the
// tree's read lock is held while writing.
func BenchmarkSnapshot100k(b *testing.B) {
	tree := bigTree(100000)
	dir, err := snapshot.OpenDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var m snapshot.Meta
	b.Run("write", func(b *testing.B) {
		var locked time.Duration
		for b.Loop() {
			start := time.Now()
			w, err := dir.Create(tree.LastZxid(), start)
			if err != nil {
				b.Fatal(err)
			}
			tree.RLock()
			err = tree.WriteSnapshot(w, map[int64]int32{1: 30000})
			tree.RUnlock()
			locked += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if m, err = w.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(m.Size)
		b.ReportMetric(float64(locked.Milliseconds())/float64(b.N), "ms-read-locked/op")
	})
	// fuzzy is what the snapshot goroutine does; a writer that wants the
	// tree's write lock meanwhile (the final stage) waits for one chunk of
	// the walk at most, not for the whole walk as under write.
	b.Run("fuzzy", func(b *testing.B) {
		var worst time.Duration
		for b.Loop() {
			done := make(chan struct{})
			go func() {
				defer close(done)
				if m, err = writeFuzzySnapshot(dir, tree, func() map[int64]int32 { return map[int64]int32{1: 30000} }, nil); err != nil {
					b.Error(err)
				}
			}()
			for running := true; running; {
				select {
				case <-done:
					running = false
				default:
					start := time.Now()
					tree.Lock()
					worst = max(worst, time.Since(start))
					tree.Unlock()
					time.Sleep(100 * time.Microsecond)
				}
			}
		}
		b.SetBytes(m.Size)
		b.ReportMetric(float64(worst.Microseconds())/1000, "ms-writer-wait-max")
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(m.Size)
		for b.Loop() {
			if _, _, err := readSnapshot(dir, m, 0xfffff); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func TestSnapshotNow(t *testing.T) {
	dir := t.TempDir()
	log, _ := newTestLog(t)
	s := mustOpenStoreServer(t, storeConfig(t, dir), log)
	defer closeServer(t, s)
	setLastZxid(s.tree, 0x500000007) // as after installing a SNAP
	z, err := s.SnapshotNow()
	if err != nil || z != 0x500000007 {
		t.Fatalf("SnapshotNow = %#x, %v; want 0x500000007", z, err)
	}
	if z, err := s.SnapshotNow(); err != nil || z != 0 {
		t.Errorf("second SnapshotNow = %#x, %v; want nothing new", z, err)
	}
	if _, err := os.Stat(filepath.Join(dir, snapshot.SubDir, snapshot.Name(0x500000007))); err != nil {
		t.Error(err)
	}
	mem, err := New(storeConfig(t, t.TempDir()), log, &memLog{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.SnapshotNow(); err == nil {
		t.Error("SnapshotNow on a server without snapshots succeeded")
	}
}
