package compat

import (
	"bytes"

	"github.com/zabd/zabd/jute/zkproto"
)

// Create modes, shortened for the scenario tables.
const (
	persistent   = zkproto.ModePersistent
	ephemeral    = zkproto.ModeEphemeral
	persistSeq   = zkproto.ModePersistentSequential
	ephemeralSeq = zkproto.ModeEphemeralSequential
	container    = zkproto.ModeContainer
	ttlMode      = zkproto.ModePersistentWithTTL
	ttlSeq       = zkproto.ModePersistentSequentialWithTTL
)

// createScenarios cover every create mode and opcode, sequential naming,
// multi, and ACL arguments.
func createScenarios() []scenario {
	return []scenario{
		{name: "create_persistent", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("a"), []byte("x"), persistent)
			a.exists(s.p("a"), false)
			a.getData(s.p("a"), false)
			a.getChildren2(s.root, false)
		}},
		{name: "create2_every_mode", run: func(s *scen) {
			a := s.setup()
			a.create2(s.p("p"), []byte("p"), persistent)
			a.create2(s.p("e"), []byte("e"), ephemeral)
			a.create2(s.p("ps-"), []byte("ps"), persistSeq)
			a.create2(s.p("es-"), []byte("es"), ephemeralSeq)
			a.create2(s.p("c"), []byte("c"), container)
			a.createTTL(s.p("t"), []byte("t"), ttlMode, 600000)
			a.createTTL(s.p("ts-"), []byte("ts"), ttlSeq, 600000)
			a.getChildren2(s.root, false)
			a.getEphemerals(s.root)
		}},
		{name: "create_null_and_empty_data", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("null"), nil, persistent)
			a.create(s.p("empty"), []byte{}, persistent)
			a.getData(s.p("null"), false)
			a.getData(s.p("empty"), false)
			a.setData(s.p("null"), []byte{}, -1)
			a.setData(s.p("empty"), nil, -1)
			a.getData(s.p("null"), false)
			a.getData(s.p("empty"), false)
			a.multi(mCreate(s.p("mnull"), nil, persistent), mCreate(s.p("mempty"), []byte{}, persistent))
			a.getData(s.p("mnull"), false)
			a.getData(s.p("mempty"), false)
		}},
		{name: "create_ephemeral", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("e"), []byte("mine"), ephemeral)
			b.exists(s.p("e"), false)
			b.getData(s.p("e"), false)
			a.getEphemerals(s.root)
			b.getEphemerals(s.root)
			b.setData(s.p("e"), []byte("theirs"), 0)
			b.delete(s.p("e"), 1)
			a.getEphemerals(s.root)
		}},
		{name: "sequential_numbering", run: func(s *scen) {
			a := s.setup()
			for i := 0; i < 3; i++ {
				a.create(s.p("n-"), []byte{byte('0' + i)}, persistSeq)
			}
			a.create2(s.p("n-"), nil, persistSeq)
			a.getChildren2(s.root, false)
		}},
		{name: "sequential_across_deletes", run: func(s *scen) {
			a := s.setup()
			first := a.create(s.p("x"), nil, persistSeq).path()
			a.delete(first, -1)
			a.create(s.p("x"), nil, persistSeq)
			a.create(s.p("plain"), nil, persistent)
			a.delete(s.p("plain"), -1)
			a.create(s.p("x"), nil, persistSeq)
			a.getChildren2(s.root, false)
		}},
		{name: "sequential_after_failed_creates", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("dup"), nil, persistent)
			a.create(s.p("dup"), nil, persistent)           // NodeExists
			a.create(s.p("missing/child"), nil, persistent) // NoNode, other parent
			a.create(s.p("e"), nil, ephemeral)
			a.create(s.p("e/child"), nil, persistent) // NoChildrenForEphemerals
			a.create(s.p("q"), nil, persistSeq)
			a.delete(s.p("dup"), 5) // BadVersion
			a.create(s.p("q"), nil, persistSeq)
			a.getChildren2(s.root, false)
		}},
		{name: "sequential_counter_shared_by_prefixes_and_modes", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("a-"), nil, persistSeq)
			a.create(s.p("b-"), nil, ephemeralSeq)
			a.create(s.p("a-"), nil, persistSeq)
			a.createTTL(s.p("t-"), nil, ttlSeq, 600000)
			a.create(s.root+"/", nil, persistSeq)
			a.getChildren2(s.root, false)
		}},
		{name: "sequential_trailing_slash", run: func(s *scen) {
			a := s.setup()
			a.create(s.root+"/", []byte("x"), persistSeq)
			a.create2(s.root+"/", []byte("y"), ephemeralSeq)
			a.create(s.root+"/", nil, persistent) // not sequential: bad path
			a.create(s.p("d")+"/", nil, persistSeq)
			a.getChildren(s.root, false)
		}},
		{name: "sequential_ephemeral", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("lock-"), nil, ephemeralSeq)
			b.create(s.p("lock-"), nil, ephemeralSeq)
			a.create(s.p("lock-"), nil, ephemeralSeq)
			a.getEphemerals(s.root)
			b.getEphemerals(s.root)
			b.closeSession()
			b.expectClosed()
			a.getChildren2(s.root, false)
			a.create(s.p("lock-"), nil, ephemeralSeq)
		}},
		{name: "sequential_suffix_vs_cversion", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			st := func() { a.getChildren2(s.root, false) }
			x := a.create(s.p("x"), nil, persistSeq).path()
			st()
			a.delete(x, -1)
			st()
			a.create(s.p("x"), nil, persistSeq)
			st()
			b.create(s.p("b"), nil, persistent)
			b.delete(s.p("b"), -1)
			st()
			a.create(s.p("x"), nil, persistSeq)
			b.create(s.p("e"), nil, ephemeral)
			b.closeSession()
			b.expectClosed()
			st()
			a.create(s.p("x"), nil, persistSeq)
			a.multi(mCreate(s.p("m"), nil, persistent), mDelete(s.p("m"), -1))
			st()
			a.create(s.p("x"), nil, persistSeq)
			st()
		}},
		{name: "sequential_name_collision", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("x0000000001"), nil, persistent)
			a.create(s.p("x"), nil, persistSeq) // parent cversion 1: x0000000001 exists
			a.create(s.p("x"), nil, persistSeq) // a failed create does not move the counter
			a.create(s.p("y"), nil, persistent)
			a.create(s.p("x"), nil, persistSeq)
			a.getChildren2(s.root, false)
		}},
		{name: "sequential_under_deep_parent", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("d"), nil, persistent)
			a.create(s.p("d/e"), nil, persistent)
			a.create(s.p("d/e/f-"), []byte("deep"), persistSeq)
			a.create(s.p("d/g"), nil, persistSeq) // counter of d, not of e
			a.getChildren2(s.p("d"), false)
			a.getChildren2(s.p("d/e"), false)
		}},
		{name: "create_container", run: func(s *scen) {
			a := s.setup()
			a.create2(s.p("c"), []byte("box"), container)
			a.create2(s.p("c/child"), nil, persistent)
			a.create2(s.p("c/eph"), nil, ephemeral)
			a.getChildren2(s.p("c"), false)
			a.exists(s.p("c"), false)
			a.create2(s.p("c"), nil, container) // NodeExists
			a.create2(s.p("nope/c"), nil, container)
		}},
		{name: "create_mode_opcode_mismatch", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("create-container"), nil, container)                                    // op create, container flag
			a.create2Op(zkproto.OpCreate2, s.p("create2-container"), nil, container)             // op create2, container flag
			a.create2Op(zkproto.OpCreateContainer, s.p("container-persistent"), nil, persistent) // op createContainer, persistent flag
			a.create2Op(zkproto.OpCreateContainer, s.p("container-ephemeral"), nil, ephemeral)
			a.create(s.p("create-ttl"), nil, ttlMode) // TTL flag without a TTL
			a.create2Op(zkproto.OpCreate2, s.p("create2-ttlseq"), nil, ttlSeq)
			a.create(s.p("flags7"), nil, zkproto.CreateMode(7))
			a.create(s.p("flags-1"), nil, zkproto.CreateMode(-1))
			a.getChildren2(s.root, false)
		}},
		{name: "create_ttl", run: func(s *scen) {
			a := s.setup()
			a.createTTL(s.p("t"), []byte("ttl"), ttlMode, 600000)
			a.createTTL(s.p("ts-"), nil, ttlSeq, 600000)
			a.createTTL(s.p("max"), nil, ttlMode, 0xFFFFFFFFFF)
			a.exists(s.p("t"), false)
			a.create(s.p("t/child"), nil, persistent)
			a.getChildren2(s.root, false)
		}},
		{name: "create_ttl_bad_arguments", run: func(s *scen) {
			a := s.setup()
			a.createTTL(s.p("zero"), nil, ttlMode, 0)
			a.createTTL(s.p("neg"), nil, ttlMode, -1)
			a.createTTL(s.p("toobig"), nil, ttlMode, 0x10000000000)
			a.createTTL(s.p("persistent"), nil, persistent, 1000)
			// NB: not a.createTTL(path, nil, persistent, -1): ZooKeeper 3.8.0's
			// PrepRequestProcessor accepts a createTTL with a non-TTL mode and
			// ttl -1, then DataTree.processTxn throws in
			// EphemeralType.TTL.toEphemeralOwner and the whole server exits
			// ("Severe unrecoverable error, from thread : SyncThread:0").
			// zabd should answer BadArguments instead.
			a.createTTL(s.p("ephemeral"), nil, ephemeral, 1000)
			a.createTTL(s.p("container"), nil, container, 1000)
			a.createTTL(s.p("nope/t"), nil, ttlMode, 1000)
			a.getChildren2(s.root, false)
		}},
		{name: "create_acl_arguments", run: func(s *scen) {
			a := s.setup()
			a.createACL(s.p("empty-acl"), nil, []zkproto.ACL{}, persistent)
			a.createACL(s.p("null-acl"), nil, nil, persistent)
			a.createACL(s.p("auth-noauth"), nil, []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.AuthIDs}}, persistent)
			a.createACL(s.p("bad-scheme"), nil, []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.Id{Scheme: "nope", ID: "x"}}}, persistent)
			a.createACL(s.p("bad-ip"), nil, []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.Id{Scheme: "ip", ID: "not-an-ip"}}}, persistent)
			a.createACL(s.p("ip"), nil, []zkproto.ACL{{Perms: zkproto.PermAll, ID: zkproto.Id{Scheme: "ip", ID: "127.0.0.1"}}}, persistent)
			a.createACL(s.p("digest"), nil, []zkproto.ACL{{Perms: zkproto.PermRead, ID: zkproto.Id{Scheme: "digest", ID: "u:abcdefghijklmnopqrstuvwxyz0="}}}, persistent)
			a.createACL(s.p("read-only"), []byte("ro"), zkproto.ReadACLUnsafe, persistent)
			a.getACL(s.p("ip"))
			a.getACL(s.p("read-only"))
			a.getData(s.p("read-only"), false)
			a.setData(s.p("read-only"), []byte("no"), -1)
			a.create(s.p("read-only/child"), nil, persistent)
			a.getData(s.p("digest"), false)
			a.getChildren2(s.root, false)
		}},
		{name: "set_acl", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("x"), persistent)
			a.setACL(s.p("n"), zkproto.OpenACLUnsafe, 0)
			a.setACL(s.p("n"), zkproto.OpenACLUnsafe, 0) // aversion is now 1
			a.setACL(s.p("n"), []zkproto.ACL{{Perms: zkproto.PermRead | zkproto.PermAdmin, ID: zkproto.AnyoneID}}, -1)
			a.getACL(s.p("n"))
			a.setData(s.p("n"), []byte("y"), -1)
			a.setACL(s.p("n"), []zkproto.ACL{}, -1)
			a.setACL(s.p("nope"), zkproto.OpenACLUnsafe, -1)
			a.setACL(s.p("n"), zkproto.OpenACLUnsafe, -1)
			a.exists(s.p("n"), false)
		}},
		{name: "create_large_data", run: func(s *scen) {
			a := s.setup()
			big := bytes.Repeat([]byte("0123456789abcdef"), 32<<10) // 512 KiB
			a.create(s.p("big"), big, persistent)
			a.getData(s.p("big"), false)
			a.setData(s.p("big"), big[:1000], 0)
			a.exists(s.p("big"), false)
		}},
		{name: "multi_success", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("old"), []byte("o"), persistent)
			a.multi(mCreate(s.p("m"), []byte("1"), persistent), mSetData(s.p("m"), []byte("2"), 0),
				mCheck(s.p("m"), 1), mCreate(s.p("seq-"), nil, persistSeq), mDelete(s.p("old"), 0))
			a.getChildren2(s.root, false)
			a.getData(s.p("m"), false)
		}},
		{name: "multi_failure_rolls_back", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("keep"), []byte("k"), persistent)
			a.multi(mCreate(s.p("new"), nil, persistent), mSetData(s.p("keep"), []byte("x"), 7),
				mDelete(s.p("keep"), -1), mCreate(s.p("new2"), nil, persistent))
			a.multi(mCreate(s.p("a"), nil, persistent), mCreate(s.p("a"), nil, persistent))
			a.multi(mCheck(s.p("nope"), -1))
			a.multi(mDelete(s.p("keep"), -1), mCheck(s.p("keep"), -1))
			a.getChildren2(s.root, false)
			a.getData(s.p("keep"), false)
			a.create(s.p("seq-"), nil, persistSeq) // the failed multis did not move the counter
		}},
		{name: "multi_empty_and_ephemeral", run: func(s *scen) {
			a := s.setup()
			a.multi()
			a.multi(mCreate(s.p("e"), nil, ephemeral), mCreate(s.p("e/x"), nil, persistent))
			a.multi(mCreate(s.p("e"), nil, ephemeral), mCreate(s.p("c"), nil, container))
			a.getEphemerals(s.root)
			a.getChildren2(s.root, false)
		}},
	}
}
