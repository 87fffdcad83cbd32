package datatree

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/zabd/zabd/jute/zkproto"
)

// testdata/zk380-snapshot.1d was written by Apache ZooKeeper 3.8.0 after a
// session created /p (with sequential children and a delete), a container /c,
// a TTL node /t (reaped before the snapshot), an ephemeral /e (gone with its
// session) and /q64244; it carries the digest section.
func TestReadZooKeeperSnapshot(t *testing.T) {
	f, err := os.Open("testdata/zk380-snapshot.1d")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := ReadSnapshot(f, 0xfffff)
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	tr := snap.Tree
	if snap.Zxid != 0x1d {
		t.Errorf("digest zxid = %#x, want 0x1d", snap.Zxid)
	}
	var st zkproto.Stat
	if got, want := Children(tr.Get("/")), []string{"c", "p", "q64244", "zookeeper"}; !reflect.DeepEqual(got, want) {
		t.Errorf("root children = %v, want %v", got, want)
	}
	p := tr.Get("/p")
	if p == nil {
		t.Fatal("no /p")
	}
	p.StatOf(&st)
	// ZooKeeper reported cversion 4, numChildren 2 for /p at that point.
	if st.Cversion != 4 || st.NumChildren != 2 {
		t.Errorf("stat /p = %+v", st)
	}
	if !reflect.DeepEqual(Children(p), []string{"s0000000001", "s0000000002"}) {
		t.Errorf("children of /p = %v", Children(p))
	}
	if c := tr.Get("/c"); c == nil || KindOf(c.Stat.EphemeralOwner) != OwnerContainer {
		t.Errorf("/c not a container: %+v", c)
	}
	q := tr.Get("/q64244")
	q.StatOf(&st)
	// ZooKeeper reported cversion 7 and sequential name ...05 next (5 creations).
	if st.Cversion != 7 || st.NumChildren != 3 || q.Stat.Cversion != 5 {
		t.Errorf("stat /q64244 = %+v (stored cversion %d)", st, q.Stat.Cversion)
	}
	if root := tr.Get("/"); !reflect.DeepEqual(root.ACL, zkproto.OpenACLUnsafe) {
		t.Errorf("root ACL = %v, want world:anyone all (index -1)", root.ACL)
	}
	if cfg := tr.Get(ConfigPath); cfg == nil || !reflect.DeepEqual(cfg.ACL, zkproto.ReadACLUnsafe) {
		t.Errorf("/zookeeper/config = %+v", cfg)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	tr := New()
	open := zkproto.OpenACLUnsafe
	digest := []zkproto.ACL{{Perms: zkproto.PermRead, ID: zkproto.Id{Scheme: "digest", ID: "u:x"}}}
	tr.Apply(&zkproto.TxnHeader{Zxid: 1, Time: 5, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/a", Data: []byte("v"), ACL: open, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{Zxid: 2, Time: 6, ClientID: 9, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/a/e", ACL: digest, Ephemeral: true, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{Zxid: 3, Time: 7, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/n", ACL: open, ParentCVersion: 2})
	sessions := map[int64]int32{9: 4000}
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf, sessions); err != nil {
		t.Fatal(err)
	}
	snap, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), 0xfffff)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(snap.Sessions, sessions) {
		t.Errorf("sessions = %v", snap.Sessions)
	}
	for _, p := range []string{"/", "/a", "/a/e", "/n", ZookeeperPath, QuotaPath, ConfigPath} {
		a, b := tr.Get(p), snap.Tree.Get(p)
		if b == nil || !bytes.Equal(a.Data, b.Data) || !reflect.DeepEqual(a.ACL, b.ACL) || a.Stat != b.Stat || !reflect.DeepEqual(Children(a), Children(b)) {
			t.Errorf("node %s = %+v, want %+v", p, b, a)
		}
	}
	if got := snap.Tree.Ephemerals(9); !reflect.DeepEqual(got, []string{"/a/e"}) {
		t.Errorf("ephemerals = %v", got)
	}
	// Any flipped byte is caught by the layout checks or the Adler-32 seal.
	b := buf.Bytes()
	for i := 0; i < len(b); i += 7 {
		c := append([]byte(nil), b...)
		c[i] ^= 0x40
		if _, err := ReadSnapshot(bytes.NewReader(c), 0xfffff); err == nil {
			t.Errorf("flipped byte %d not detected", i)
		} else if !errors.Is(err, ErrSnapshotCorrupt) {
			t.Errorf("flipped byte %d: %v, want ErrSnapshotCorrupt", i, err)
		}
	}
}
