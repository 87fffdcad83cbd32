package datatree

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// decodedACL returns acl as a request decoder hands it over: a fresh slice
// with fresh strings.
func decodedACL(acl []zkproto.ACL) []zkproto.ACL {
	return zkproto.DecodeACLs(jute.NewDecoder(jute.Marshal(aclList(acl)), 1<<20))
}

// TestACLsShared: nodes created or set with equal ACL lists, each decoded
// on its own, share one list; different lists stay apart; past
// maxInternedACLs distinct lists a node keeps its own, unchanged.
func TestACLsShared(t *testing.T) {
	tr := New()
	tr.Lock()
	defer tr.Unlock()
	digest := []zkproto.ACL{{Perms: zkproto.PermRead, ID: zkproto.Id{Scheme: "digest", ID: "u:x"}}, {Perms: zkproto.PermAll, ID: zkproto.AnyoneID}}
	for i := range 6 {
		acl := zkproto.OpenACLUnsafe
		if i%2 == 1 {
			acl = digest
		}
		tr.Apply(&zkproto.TxnHeader{Zxid: int64(i + 1), Type: zkproto.OpCreate},
			&zkproto.CreateTxn{Path: fmt.Sprintf("/n%d", i), ACL: decodedACL(acl), ParentCVersion: int32(i + 1)})
	}
	first := func(p string) *zkproto.ACL { return &tr.Get(p).ACL[0] }
	if first("/n0") != first("/n2") || first("/n2") != first("/n4") || first("/n1") != first("/n3") || first("/n3") != first("/n5") {
		t.Error("equal ACL lists are not shared")
	}
	if first("/n0") == first("/n1") {
		t.Error("different ACL lists share storage")
	}
	if got := tr.Get("/n3").ACL; fmt.Sprint(got) != fmt.Sprint(digest) {
		t.Errorf("/n3 ACL = %v, want %v", got, digest)
	}
	tr.Apply(&zkproto.TxnHeader{Zxid: 7, Type: zkproto.OpSetACL}, &zkproto.SetACLRequest{Path: "/n0", ACL: decodedACL(digest), Version: 1})
	if first("/n0") != first("/n1") {
		t.Error("setACL to a known list does not share it")
	}
	// Past the bound, lists are kept as given.
	for i := range maxInternedACLs + 10 {
		acl := []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.Id{Scheme: "digest", ID: fmt.Sprintf("u%d:x", i)}}}
		tr.Apply(&zkproto.TxnHeader{Zxid: int64(8 + i), Type: zkproto.OpSetACL}, &zkproto.SetACLRequest{Path: "/n2", ACL: acl, Version: int32(i + 1)})
		if got := tr.Get("/n2").ACL; len(got) != 1 || got[0].ID.ID != fmt.Sprintf("u%d:x", i) {
			t.Fatalf("setACL %d: %v", i, got)
		}
	}
	if n := len(tr.acls.lists); n != maxInternedACLs {
		t.Errorf("%d lists interned, want the bound %d", n, maxInternedACLs)
	}
}

// BenchmarkTreeMemory reports the heap one znode takes: a 20-byte path
// under one parent, 16 bytes of data and world:anyone decoded per create,
// as the server decodes a request.
func BenchmarkTreeMemory(b *testing.B) {
	const n = 100000
	wire := jute.Marshal(aclList(zkproto.OpenACLUnsafe))
	var perNode float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tr := New()
		tr.Lock()
		tr.Apply(&zkproto.TxnHeader{Zxid: 1, Type: zkproto.OpCreate}, &zkproto.CreateTxn{Path: "/b", ACL: zkproto.OpenACLUnsafe, ParentCVersion: 1})
		for i := range n {
			acl := zkproto.DecodeACLs(jute.NewDecoder(wire, 1<<20))
			tr.Apply(&zkproto.TxnHeader{Zxid: int64(i + 2), Type: zkproto.OpCreate},
				&zkproto.CreateTxn{Path: fmt.Sprintf("/b/node-%010d", i), Data: make([]byte, 16), ACL: acl, ParentCVersion: int32(i + 1)})
		}
		tr.Unlock()
		runtime.GC()
		runtime.ReadMemStats(&after)
		perNode = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(tr)
	}
	b.ReportMetric(perNode, "heap-B/znode")
}
