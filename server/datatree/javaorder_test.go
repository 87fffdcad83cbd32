package datatree

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// zkCloseOrders are the orders in which Apache ZooKeeper 3.8.0 (OpenJDK 17)
// deleted a closing session's ephemerals, as another session's exists
// watches saw them (compat scenarios session_close_ephemeral_order_N): the
// session created n ephemerals, /<root>/p/e<i>, or /<root>/q/node-<7i> for
// i%3 == 1, in order of i.
var zkCloseOrders = []struct {
	root string
	n    int
	want []string
}{
	{"/s199", 7, []string{"/s199/q/node-07", "/s199/p/e5", "/s199/q/node-28", "/s199/p/e6", "/s199/p/e0", "/s199/p/e2", "/s199/p/e3"}},
	{"/s201", 13, []string{"/s201/q/node-70", "/s201/p/e5", "/s201/p/e2", "/s201/p/e3", "/s201/p/e0", "/s201/p/e11", "/s201/q/node-07",
		"/s201/p/e12", "/s201/p/e8", "/s201/p/e9", "/s201/q/node-28", "/s201/p/e6", "/s201/q/node-49"}},
	{"/s203", 30, []string{"/s203/p/e8", "/s203/p/e9", "/s203/q/node-70", "/s203/q/node-91", "/s203/p/e14", "/s203/p/e12", "/s203/p/e11",
		"/s203/p/e18", "/s203/p/e17", "/s203/p/e15", "/s203/q/node-154", "/s203/q/node-175", "/s203/q/node-112", "/s203/q/node-133",
		"/s203/p/e0", "/s203/p/e2", "/s203/p/e3", "/s203/p/e5", "/s203/p/e6", "/s203/p/e21", "/s203/p/e20", "/s203/p/e24", "/s203/p/e23",
		"/s203/q/node-196", "/s203/p/e29", "/s203/p/e27", "/s203/p/e26", "/s203/q/node-07", "/s203/q/node-28", "/s203/q/node-49"}},
}

func TestCloseOrderAsZooKeeper(t *testing.T) {
	const session = 0x100
	for _, tc := range zkCloseOrders {
		tr := New()
		z := int64(0)
		create := func(path string, eph bool) {
			z++
			r := tr.Apply(&zkproto.TxnHeader{ClientID: session, Zxid: z, Type: zkproto.OpCreate},
				&zkproto.CreateTxn{Path: path, ACL: zkproto.OpenACLUnsafe, Ephemeral: eph, ParentCVersion: -1})
			if r.Err != zkproto.Ok {
				t.Fatalf("create %s: %v", path, r.Err)
			}
		}
		create(tc.root, false)
		create(tc.root+"/p", false)
		create(tc.root+"/q", false)
		for i := range tc.n {
			p := fmt.Sprintf("%s/p/e%d", tc.root, i)
			if i%3 == 1 {
				p = fmt.Sprintf("%s/q/node-%02d", tc.root, i*7)
			}
			create(p, true)
		}
		if got := tr.CloseOrder(session, nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d ephemerals under %s: CloseOrder = %v\nZooKeeper: %v", tc.n, tc.root, got, tc.want)
		}
		// The closeSession txn with no list deletes in that order too.
		var deleted []string
		tr.SetWatcher(func(ev Event) {
			if ev.Type == zkproto.EventNodeDeleted {
				deleted = append(deleted, ev.Path)
			}
		})
		z++
		tr.Apply(&zkproto.TxnHeader{ClientID: session, Zxid: z, Type: zkproto.OpCloseSession}, nil)
		if !reflect.DeepEqual(deleted, tc.want) {
			t.Errorf("closeSession deleted %v, want %v", deleted, tc.want)
		}
	}
}

// TestCloseOrderPending: outstanding changes apply to the clone in order,
// a create appended to its bucket and a delete taken out, and a set's
// table keeps the size its peak needed.
func TestCloseOrderPending(t *testing.T) {
	const session = 7
	tr := New()
	z := int64(0)
	create := func(path string) {
		z++
		tr.Apply(&zkproto.TxnHeader{ClientID: session, Zxid: z, Type: zkproto.OpCreate},
			&zkproto.CreateTxn{Path: path, ACL: zkproto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: -1})
	}
	for i := range 3 {
		create(fmt.Sprintf("/e%d", i))
	}
	base := tr.CloseOrder(session, nil)
	if len(base) != 3 {
		t.Fatalf("CloseOrder = %v", base)
	}
	got := tr.CloseOrder(session, []PendingEphemeral{{Path: "/e1"}, {Path: "/new", Created: true}, {Path: "/e0", Created: true}})
	var want []string
	for _, p := range base {
		if p != "/e1" {
			want = append(want, p)
		}
	}
	// "/new" lands in its bucket of the 8-entry clone (3/0.75+1 = 5 → 8).
	s := newJavaHashSet(8)
	for _, p := range want {
		s.add(p, javaSpreadHash(p))
	}
	s.add("/new", javaSpreadHash("/new"))
	if want = s.list(); !reflect.DeepEqual(got, want) {
		t.Errorf("with pending changes: %v, want %v", got, want)
	}
	if got := tr.CloseOrder(99, nil); len(got) != 0 {
		t.Errorf("a session without ephemerals: %v", got)
	}
}

func TestJavaSpreadHash(t *testing.T) {
	// String.hashCode as OpenJDK 17 computed it; a character outside the
	// BMP counts as its two UTF-16 units.
	for _, tc := range []struct {
		s    string
		hash uint32
	}{
		{"", 0}, {"/", 0x2f}, {"/zookeeper", 0x38e43bfd}, {"/\U0001F600", 0x1bbdd2}, {"/s199/p/e5", 0x81a49cd1},
	} {
		if got, want := javaSpreadHash(tc.s), tc.hash^tc.hash>>16; got != want {
			t.Errorf("javaSpreadHash(%q) = %#x, want %#x", tc.s, got, want)
		}
	}
}

// TestOrderedChildrenAsZooKeeper: getChildren's order as ZooKeeper 3.8.0
// (OpenJDK 17) sent it (compat scenario get_children_order_30): 30
// children c<7i mod 30> created in order of i, then all but every third
// deleted and c1 created again.
func TestOrderedChildrenAsZooKeeper(t *testing.T) {
	tr := New()
	z := int64(0)
	apply := func(typ zkproto.OpCode, txn jute.Record) {
		z++
		if r := tr.Apply(&zkproto.TxnHeader{Zxid: z, Type: typ}, txn); r.Err != zkproto.Ok {
			t.Fatalf("%v: %v", typ, r.Err)
		}
	}
	create := func(p string) {
		apply(zkproto.OpCreate, &zkproto.CreateTxn{Path: p, ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1})
	}
	create("/p")
	for i := range 30 {
		create(fmt.Sprintf("/p/c%d", i*7%30))
	}
	order := func() string { return strings.Join(tr.OrderedChildren("/p", tr.Get("/p")), ",") }
	if got, want := order(), "c11,c10,c13,c12,c15,c14,c17,c16,c19,c18,c20,c22,c21,c24,c23,c26,c25,c28,c27,c29,c0,c1,c2,c3,c4,c5,c6,c7,c8,c9"; got != want {
		t.Errorf("30 children:\n got %s\nwant %s", got, want)
	}
	for i := range 30 {
		if i%3 != 0 {
			apply(zkproto.OpDelete, &zkproto.PathOnly{Path: fmt.Sprintf("/p/c%d", i)})
		}
	}
	create("/p/c1")
	if got, want := order(), "c12,c15,c18,c21,c24,c27,c0,c1,c3,c6,c9"; got != want {
		t.Errorf("after the deletes:\n got %s\nwant %s", got, want)
	}
	if got, want := strings.Join(tr.OrderedChildren(ZookeeperPath, tr.Get(ZookeeperPath)), ","), "config,quota"; got != want {
		t.Errorf("/zookeeper: %s, want %s", got, want)
	}
	// Deleting the parent forgets its history.
	for _, c := range tr.OrderedChildren("/p", tr.Get("/p")) {
		apply(zkproto.OpDelete, &zkproto.PathOnly{Path: "/p/" + c})
	}
	apply(zkproto.OpDelete, &zkproto.PathOnly{Path: "/p"})
	if _, ok := tr.kidsPeak["/p"]; ok {
		t.Error("kidsPeak kept a deleted node")
	}
}

// BenchmarkChildrenOrder100k lists 100,000 children in ZooKeeper's order
// (what getChildren sends) and, for comparison, sorted by name (what it
// sent before): 28 vs 22 ms per call on the 2-core development VM.
func BenchmarkChildrenOrder100k(b *testing.B) {
	tr := New()
	tr.Apply(&zkproto.TxnHeader{Zxid: 1, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/b", ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1})
	for i := range 100000 {
		tr.Apply(&zkproto.TxnHeader{Zxid: int64(i + 2), Type: zkproto.OpCreate},
			&zkproto.CreateTxn{Path: fmt.Sprintf("/b/n-%010d", i), ACL: zkproto.OpenACLUnsafe, ParentCVersion: -1})
	}
	n := tr.Get("/b")
	b.Run("zookeeper", func(b *testing.B) {
		for b.Loop() {
			tr.OrderedChildren("/b", n)
		}
	})
	b.Run("sorted", func(b *testing.B) {
		for b.Loop() {
			Children(n)
		}
	})
}
