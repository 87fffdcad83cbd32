package datatree

import (
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

func TestStatsTrack(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		count   int64
		hard    int64
	}{
		{"count=0,bytes=0", "count=0,bytes=0", 0, -1},
		{"count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3", -1, 3},
		{"count=5,bytes=7", "count=5,bytes=7", 5, -1},
		{"countHardLimit=2;count=1;bytes=", "count=1,bytes=-1=;countHardLimit=2", 1, 2},
		{"", "count=-1,bytes=-1", -1, -1},
		{"junk,count=x,bytes=3", "count=-1,bytes=3", -1, -1},
	} {
		st := ParseStatsTrack([]byte(tc.in))
		if got := st.String(); got != tc.out {
			t.Errorf("ParseStatsTrack(%q).String() = %q, want %q", tc.in, got, tc.out)
		}
		if st.Count() != tc.count || st.CountHardLimit() != tc.hard {
			t.Errorf("ParseStatsTrack(%q) count, countHardLimit = %d, %d; want %d, %d", tc.in, st.Count(), st.CountHardLimit(), tc.count, tc.hard)
		}
	}
}

// quotaTree applies txns in order and fails on any error.
type quotaTree struct {
	t    *testing.T
	tr   *Tree
	zxid int64
}

func (q *quotaTree) apply(typ zkproto.OpCode, txn jute.Record) {
	q.t.Helper()
	q.zxid++
	if r := q.tr.Apply(&zkproto.TxnHeader{Zxid: q.zxid, Time: q.zxid, Type: typ}, txn); r.Err != zkproto.Ok {
		q.t.Fatalf("apply %v %+v: %v", typ, txn, r.Err)
	}
}

func (q *quotaTree) create(path, data string) {
	q.t.Helper()
	parent, _ := Split(path)
	q.apply(zkproto.OpCreate, &zkproto.CreateTxn{Path: path, Data: []byte(data), ACL: zkproto.OpenACLUnsafe,
		ParentCVersion: q.tr.Get(parent).Stat.Cversion + 1})
}

func (q *quotaTree) data(path string) string {
	q.t.Helper()
	n := q.tr.Get(path)
	if n == nil {
		q.t.Fatalf("no node %s", path)
	}
	return string(n.Data)
}

// The stat node contents below are what Apache ZooKeeper 3.8.0 showed for
// the same zkCli session (setquota, create, set, delete).
func TestQuotaUsage(t *testing.T) {
	q := &quotaTree{t: t, tr: New()}
	q.create("/q", "")
	q.create("/q/a", "x")
	if p := q.tr.QuotaPrefix("/q/a"); p != "" {
		t.Fatalf("QuotaPrefix before setquota = %q", p)
	}
	// zkCli setquota -N 3 /q
	q.create("/zookeeper/quota/q", "")
	q.create(LimitPath("/q"), "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3")
	q.create(StatPath("/q"), "count=0,bytes=0")
	if got, want := q.data(StatPath("/q")), "count=2,bytes=1"; got != want {
		t.Errorf("stat after setquota = %q, want %q", got, want)
	}
	statVersion := q.tr.Get(StatPath("/q")).Stat
	q.create("/q/b", "yy")
	if got, want := q.data(StatPath("/q")), "count=3,bytes=3"; got != want {
		t.Errorf("stat after create = %q, want %q", got, want)
	}
	if q.tr.Get(StatPath("/q")).Stat != statVersion {
		t.Errorf("stat node's stat changed: %+v, was %+v", q.tr.Get(StatPath("/q")).Stat, statVersion)
	}
	q.apply(zkproto.OpSetData, &zkproto.SetDataTxn{Path: "/q/a", Data: []byte("12345"), Version: 1})
	if got, want := q.data(StatPath("/q")), "count=3,bytes=7"; got != want {
		t.Errorf("stat after setData = %q, want %q", got, want)
	}
	q.apply(zkproto.OpDelete, &zkproto.DeleteTxn{Path: "/q/b"})
	if got, want := q.data(StatPath("/q")), "count=2,bytes=5"; got != want {
		t.Errorf("stat after delete = %q, want %q", got, want)
	}
	for path, want := range map[string]string{"/q": "/q", "/q/a": "/q", "/q/a/b/c": "/q", "/qq": "", "/": "", "/zookeeper/quota/q": ""} {
		if got := q.tr.QuotaPrefix(path); got != want {
			t.Errorf("QuotaPrefix(%q) = %q, want %q", path, got, want)
		}
	}
	// A nested quota takes over its subtree.
	q.create("/q/a/n", "")
	q.create("/zookeeper/quota/q/a", "")
	q.create(LimitPath("/q/a"), "count=10,bytes=-1")
	q.create(StatPath("/q/a"), "count=0,bytes=0")
	if got := q.tr.QuotaPrefix("/q/a/n/x"); got != "/q/a" {
		t.Errorf("QuotaPrefix under nested quota = %q", got)
	}
	q.create("/q/a/n/x", "abc")
	if got, want := q.data(StatPath("/q/a")), "count=3,bytes=8"; got != want {
		t.Errorf("nested stat = %q, want %q", got, want)
	}
	if got, want := q.data(StatPath("/q")), "count=3,bytes=5"; got != want {
		t.Errorf("outer stat = %q, want %q (unchanged by the nested create)", got, want)
	}
	limits, usage, ok := q.tr.Quota("/q/a")
	if !ok || limits.Count() != 10 || usage.Count() != 3 || usage.Bytes() != 8 {
		t.Errorf("Quota(/q/a) = %v, %v, %v", limits, usage, ok)
	}
	ns := q.tr.QuotaNamespaces()
	if got, want := ns["q"], (QuotaTotals{CountLimit: 13, BytesLimit: -2, CountUsage: 6, BytesUsage: 13}); got != want {
		t.Errorf("QuotaNamespaces()[q] = %+v, want %+v", got, want)
	}
	// delquota removes the limit node: the subtree is no longer counted.
	q.apply(zkproto.OpDelete, &zkproto.DeleteTxn{Path: LimitPath("/q/a")})
	if got := q.tr.QuotaPrefix("/q/a/n/x"); got != "/q" {
		t.Errorf("QuotaPrefix after delquota = %q", got)
	}
}

func TestApproximateDataSize(t *testing.T) {
	q := &quotaTree{t: t, tr: New()}
	// ZooKeeper 3.8.0 reports 44 for a fresh tree: "" + "/" + "/zookeeper"
	// + "/zookeeper/quota" + "/zookeeper/config".
	if got := q.tr.ApproximateDataSize(); got != 44 {
		t.Errorf("fresh ApproximateDataSize = %d, want 44", got)
	}
	q.create("/cap", "")
	q.create("/cap/x", "")
	q.create("/cap/e", "eph")
	if got := q.tr.ApproximateDataSize(); got != 63 {
		t.Errorf("ApproximateDataSize = %d, want 63 (ZooKeeper's value)", got)
	}
	q.apply(zkproto.OpSetData, &zkproto.SetDataTxn{Path: "/cap/e", Data: []byte("e"), Version: 1})
	q.apply(zkproto.OpDelete, &zkproto.DeleteTxn{Path: "/cap/x"})
	if got, want := q.tr.ApproximateDataSize(), int64(63-2-6); got != want {
		t.Errorf("ApproximateDataSize = %d, want %d", got, want)
	}
	if got, want := q.tr.ApproximateDataSize(), q.tr.countDataSize(); got != want {
		t.Errorf("incremental size %d != recount %d", got, want)
	}
	w := q.tr.NamespaceWrites()
	if got, want := w["cap"], (NamespaceStat{Count: 5, Sum: 4 + 6 + 9 + 7 + 6, Min: 4, Max: 9}); got != want {
		t.Errorf("NamespaceWrites()[cap] = %+v, want %+v", got, want)
	}
}
