package datatree

import (
	"reflect"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

type step struct {
	hdr zkproto.TxnHeader
	txn jute.Record
}

func hdr(zxid int64, typ zkproto.OpCode, session int64) zkproto.TxnHeader {
	return zkproto.TxnHeader{ClientID: session, Zxid: zxid, Time: 1000 + zxid, Type: typ}
}

func TestSystemNodes(t *testing.T) {
	tr := New()
	var st zkproto.Stat
	tr.Get("/").StatOf(&st)
	if want := (zkproto.Stat{Cversion: -1, NumChildren: 1}); st != want {
		t.Errorf("stat / = %+v, want %+v", st, want)
	}
	tr.Get("/zookeeper").StatOf(&st)
	if want := (zkproto.Stat{Cversion: -2, NumChildren: 2}); st != want {
		t.Errorf("stat /zookeeper = %+v, want %+v", st, want)
	}
	tr.Get("/zookeeper/config").StatOf(&st)
	if want := (zkproto.Stat{Aversion: -1}); st != want {
		t.Errorf("stat /zookeeper/config = %+v, want %+v", st, want)
	}
}

// The stats below are what ZooKeeper 3.8.0 reports for the same sequence.
func TestApplyStats(t *testing.T) {
	tr := New()
	var events []Event
	tr.SetWatcher(func(e Event) { events = append(events, e) })
	open := zkproto.OpenACLUnsafe
	r := tr.Apply(&zkproto.TxnHeader{Zxid: 2, Time: 10, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/p", ACL: open, ParentCVersion: 0})
	if r.Err != zkproto.Ok || r.Stat != (zkproto.Stat{Czxid: 2, Mzxid: 2, Ctime: 10, Mtime: 10, Pzxid: 2}) {
		t.Fatalf("create /p = %+v", r)
	}
	tr.Apply(&zkproto.TxnHeader{Zxid: 3, Time: 11, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/p/a", Data: []byte("x"), ACL: open, ParentCVersion: 1})
	var st zkproto.Stat
	tr.Get("/p").StatOf(&st)
	if st.Cversion != 1 || st.NumChildren != 1 || st.Pzxid != 3 || st.Mzxid != 2 {
		t.Fatalf("stat /p after child create = %+v", st)
	}
	tr.Apply(&zkproto.TxnHeader{Zxid: 4, Time: 12, Type: zkproto.OpDelete}, &zkproto.DeleteTxn{Path: "/p/a"})
	tr.Get("/p").StatOf(&st)
	if st.Cversion != 2 || st.NumChildren != 0 || st.Pzxid != 4 {
		t.Fatalf("stat /p after child delete = %+v", st)
	}
	r = tr.Apply(&zkproto.TxnHeader{Zxid: 5, Time: 13, Type: zkproto.OpSetData}, &zkproto.SetDataTxn{Path: "/p", Data: []byte("abc"), Version: 1})
	if r.Stat.Version != 1 || r.Stat.Mzxid != 5 || r.Stat.Mtime != 13 || r.Stat.DataLength != 3 || r.Stat.Ctime != 10 {
		t.Fatalf("setData = %+v", r.Stat)
	}
	want := []Event{
		{Type: zkproto.EventNodeCreated, Path: "/p"}, {Type: zkproto.EventNodeChildrenChanged, Path: "/"},
		{Type: zkproto.EventNodeCreated, Path: "/p/a"}, {Type: zkproto.EventNodeChildrenChanged, Path: "/p"},
		{Type: zkproto.EventNodeDeleted, Path: "/p/a"}, {Type: zkproto.EventNodeChildrenChanged, Path: "/p"},
		{Type: zkproto.EventNodeDataChanged, Path: "/p"},
	}
	// Each event carries the ACL that gates it: the node's, or the parent's
	// for NodeChildrenChanged.
	for i, e := range events {
		if !reflect.DeepEqual(e.ACL, open) {
			t.Errorf("event %d %v acl = %v, want %v", i, e, e.ACL, open)
		}
		events[i].ACL = nil
	}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("events = %v, want %v", events, want)
	}
	if tr.LastZxid() != 5 {
		t.Fatalf("LastZxid = %d", tr.LastZxid())
	}
}

func TestEphemeralsAndCloseSession(t *testing.T) {
	tr := New()
	open := zkproto.OpenACLUnsafe
	const sess = 0x100
	tr.Apply(&zkproto.TxnHeader{ClientID: sess, Zxid: 1, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/e1", ACL: open, Ephemeral: true, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{ClientID: sess, Zxid: 2, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/e2", ACL: open, Ephemeral: true, ParentCVersion: 2})
	if got := tr.Ephemerals(sess); !reflect.DeepEqual(got, []string{"/e1", "/e2"}) {
		t.Fatalf("Ephemerals = %v", got)
	}
	var st zkproto.Stat
	tr.Get("/e1").StatOf(&st)
	if st.EphemeralOwner != sess {
		t.Fatalf("ephemeralOwner = %#x", st.EphemeralOwner)
	}
	tr.Apply(&zkproto.TxnHeader{ClientID: sess, Zxid: 3, Type: zkproto.OpCloseSession}, &zkproto.CloseSessionTxn{Strings: []string{"/e1", "/e2"}})
	if tr.Get("/e1") != nil || tr.Get("/e2") != nil || len(tr.Ephemerals(sess)) != 0 {
		t.Fatal("ephemerals survive closeSession")
	}
	tr.Get("/").StatOf(&st)
	if st.NumChildren != 1 || st.Cversion != 3 || st.Pzxid != 3 {
		t.Fatalf("stat / = %+v", st)
	}
}

func TestContainerAndTTLOwnersHidden(t *testing.T) {
	tr := New()
	open := zkproto.OpenACLUnsafe
	tr.Apply(&zkproto.TxnHeader{Zxid: 1, Time: 100, Type: zkproto.OpCreateContainer}, &zkproto.CreateContainerTxn{Path: "/c", ACL: open, ParentCVersion: 0})
	r := tr.Apply(&zkproto.TxnHeader{Zxid: 2, Time: 100, Type: zkproto.OpCreateTTL}, &zkproto.CreateTTLTxn{Path: "/t", ACL: open, ParentCVersion: 1, TTL: 500})
	if r.Stat.EphemeralOwner != 0 {
		t.Fatalf("TTL node ephemeralOwner shown as %#x, want 0", r.Stat.EphemeralOwner)
	}
	if got := tr.ReapCandidates(700); !reflect.DeepEqual(got, []string{"/t"}) {
		t.Fatalf("ReapCandidates(700) = %v, want [/t] (container never had a child)", got)
	}
	if got := tr.ReapCandidates(600); len(got) != 0 {
		t.Fatalf("ReapCandidates(600) = %v, want none", got)
	}
	tr.Apply(&zkproto.TxnHeader{Zxid: 3, Time: 100, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/c/x", ACL: open, ParentCVersion: 1})
	tr.Apply(&zkproto.TxnHeader{Zxid: 4, Time: 100, Type: zkproto.OpDelete}, &zkproto.DeleteTxn{Path: "/c/x"})
	if got := tr.ReapCandidates(0); !reflect.DeepEqual(got, []string{"/c"}) {
		t.Fatalf("ReapCandidates = %v, want [/c]", got)
	}
}

func TestFailedMultiAppliesNothing(t *testing.T) {
	tr := New()
	create := jute.Marshal(&zkproto.CreateTxn{Path: "/m", ACL: zkproto.OpenACLUnsafe, ParentCVersion: 0})
	errTxn := jute.Marshal(&zkproto.ErrorTxn{N: int32(zkproto.ErrNoNode)})
	rt := jute.Marshal(&zkproto.ErrorTxn{N: int32(zkproto.ErrRuntimeInconsistency)})
	r := tr.Apply(&zkproto.TxnHeader{Zxid: 1, Type: zkproto.OpMulti}, &zkproto.MultiTxn{Txns: []zkproto.Txn{
		{Type: zkproto.OpCreate, Data: create}, {Type: zkproto.OpError, Data: errTxn}, {Type: zkproto.OpError, Data: rt},
	}})
	if tr.Get("/m") != nil {
		t.Fatal("failed multi applied its create")
	}
	var codes []zkproto.Code
	for _, m := range r.Multi {
		if m.Type != zkproto.OpError {
			t.Fatalf("result type = %v, want error", m.Type)
		}
		codes = append(codes, m.Err)
	}
	if want := []zkproto.Code{zkproto.Ok, zkproto.ErrNoNode, zkproto.ErrRuntimeInconsistency}; !reflect.DeepEqual(codes, want) {
		t.Fatalf("codes = %v, want %v", codes, want)
	}
}

// Two trees fed the same txns end equal (determinism).
func TestDeterministic(t *testing.T) {
	a, b := New(), New()
	open := zkproto.OpenACLUnsafe
	steps := []step{
		{hdr(1, zkproto.OpCreate, 0), &zkproto.CreateTxn{Path: "/a", ACL: open, ParentCVersion: 0}},
		{hdr(2, zkproto.OpCreate, 7), &zkproto.CreateTxn{Path: "/a/e", ACL: open, Ephemeral: true, ParentCVersion: 1}},
		{hdr(3, zkproto.OpSetData, 0), &zkproto.SetDataTxn{Path: "/a", Data: []byte("v"), Version: 1}},
		{hdr(4, zkproto.OpSetACL, 0), &zkproto.SetACLTxn{Path: "/a", ACL: zkproto.ReadACLUnsafe, Version: 1}},
		{hdr(5, zkproto.OpCloseSession, 7), &zkproto.CloseSessionTxn{Strings: []string{"/a/e"}}},
	}
	for _, s := range steps {
		a.Apply(&s.hdr, s.txn)
		b.Apply(&s.hdr, s.txn)
	}
	if !reflect.DeepEqual(a.nodes, b.nodes) || !reflect.DeepEqual(a.ephemerals, b.ephemerals) {
		t.Fatal("trees differ")
	}
}
