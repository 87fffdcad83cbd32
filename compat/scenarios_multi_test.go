package compat

import (
	"fmt"
	"strings"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

func mCreateACL(path string, acl []zkproto.ACL) multiOp {
	return multiOp{zkproto.OpCreate, &zkproto.CreateRequest{Path: path, ACL: acl, Flags: persistent},
		fmt.Sprintf("create %q acl=%s", path, aclString(acl))}
}

// rGetData and rGetChildren are the read ops of a multiRead. The Java
// client writes them with watch false; rGetDataWatch sets the flag, which
// ZooKeeper's Op.getData drops.
func rGetData(path string) multiOp {
	return multiOp{zkproto.OpGetData, &zkproto.PathWatch{Path: path}, fmt.Sprintf("getData %q", path)}
}

func rGetDataWatch(path string) multiOp {
	return multiOp{zkproto.OpGetData, &zkproto.PathWatch{Path: path, Watch: true}, fmt.Sprintf("getData %q watch=true", path)}
}

func rGetChildren(path string) multiOp {
	return multiOp{zkproto.OpGetChildren, &zkproto.PathWatch{Path: path}, fmt.Sprintf("getChildren %q", path)}
}

func rGetChildrenWatch(path string) multiOp {
	return multiOp{zkproto.OpGetChildren, &zkproto.PathWatch{Path: path, Watch: true}, fmt.Sprintf("getChildren %q watch=true", path)}
}

// multiRead sends opcode multiRead (22) with ops.
func (c *rawConn) multiRead(ops ...multiOp) reply {
	return c.multiOpcode(zkproto.OpMultiRead, ops...)
}

// multiOpcode sends ops under opcode op, multi or multiRead, whatever they
// are; the reply is decoded as either may answer.
func (c *rawConn) multiOpcode(op zkproto.OpCode, ops ...multiOp) reply {
	var parts []string
	for _, o := range ops {
		parts = append(parts, o.s)
	}
	return c.call(op, multiRequest(ops), "["+strings.Join(parts, "; ")+"]", bodyMultiRead(c.tr))
}

// bodyMultiRead decodes a MultiResponse that may hold read results
// (getData, getChildren) as well as write results.
func bodyMultiRead(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var parts []string
		for i := 0; i < 1000; i++ {
			var h zkproto.MultiHeader
			h.Decode(d)
			if d.Err() != nil {
				break
			}
			if h.Done {
				parts = append(parts, fmt.Sprintf("end(type=%d err=%d)", h.Type, h.Err))
				break
			}
			s := fmt.Sprintf("%s err=%d", h.Type, h.Err)
			switch h.Type {
			case zkproto.OpGetData:
				var r zkproto.GetDataResponse
				r.Decode(d)
				s += fmt.Sprintf(" data=%s %s", data(r.Data), tr.stat(&r.Stat))
			case zkproto.OpGetChildren:
				var r zkproto.StringsRecord
				r.Decode(d)
				s += " children=" + sortedStrings(r.Strings)
			case zkproto.OpCreate:
				var r zkproto.PathOnly
				r.Decode(d)
				s += fmt.Sprintf(" path=%q", r.Path)
			case zkproto.OpCreate2:
				var r zkproto.Create2Response
				r.Decode(d)
				s += fmt.Sprintf(" path=%q %s", r.Path, tr.stat(&r.Stat))
			case zkproto.OpSetData:
				var r zkproto.Stat
				r.Decode(d)
				s += " " + tr.stat(&r)
			case zkproto.OpError:
				var r zkproto.IntRecord
				r.Decode(d)
				s += fmt.Sprintf(" code=%d", r.N)
			}
			parts = append(parts, s)
		}
		return "results=[" + strings.Join(parts, "; ") + "]", nil
	}
}

// multiFailure is an op that fails in a multi with one error, given the
// fixtures multiFixtures creates.
type multiFailure struct {
	kind, err string
	op        func(s *scen) multiOp
}

// multiFixtures creates, under the scenario's root: ok (data "0", the
// target of the multis' good setData), exists, v (version 0), parent with a
// child, eph (ephemeral), and nocreate, nodelete (with a child c), nowrite
// and noread, each lacking one permission.
func multiFixtures(s *scen, a *rawConn) {
	a.create(s.p("ok"), []byte("0"), persistent)
	a.create(s.p("exists"), nil, persistent)
	a.create(s.p("v"), []byte("v"), persistent)
	a.create(s.p("parent"), nil, persistent)
	a.create(s.p("parent/child"), nil, persistent)
	a.create(s.p("eph"), nil, ephemeral)
	a.createACL(s.p("nocreate"), nil, acls(worldACL(zkproto.PermAll&^zkproto.PermCreate)), persistent)
	a.create(s.p("nodelete"), nil, persistent)
	a.create(s.p("nodelete/c"), nil, persistent)
	a.setACL(s.p("nodelete"), acls(worldACL(zkproto.PermAll&^zkproto.PermDelete)), -1)
	a.createACL(s.p("nowrite"), nil, acls(worldACL(zkproto.PermAll&^zkproto.PermWrite)), persistent)
	a.createACL(s.p("noread"), nil, acls(worldACL(zkproto.PermAll&^zkproto.PermRead)), persistent)
}

// multiFailures lists every error each write op of a multi can fail with.
func multiFailures() []multiFailure {
	return []multiFailure{
		{"create", "no_node", func(s *scen) multiOp { return mCreate(s.p("missing/x"), nil, persistent) }},
		{"create", "node_exists", func(s *scen) multiOp { return mCreate(s.p("exists"), nil, persistent) }},
		{"create", "no_auth", func(s *scen) multiOp { return mCreate(s.p("nocreate/x"), nil, persistent) }},
		{"create", "no_children_for_ephemerals", func(s *scen) multiOp { return mCreate(s.p("eph/x"), nil, persistent) }},
		{"create", "bad_arguments", func(s *scen) multiOp { return mCreate(s.root+"/", nil, persistent) }},
		{"create", "invalid_acl", func(s *scen) multiOp { return mCreateACL(s.p("x"), []zkproto.ACL{}) }},
		{"delete", "no_node", func(s *scen) multiOp { return mDelete(s.p("missing"), -1) }},
		{"delete", "bad_version", func(s *scen) multiOp { return mDelete(s.p("v"), 5) }},
		{"delete", "not_empty", func(s *scen) multiOp { return mDelete(s.p("parent"), -1) }},
		{"delete", "no_auth", func(s *scen) multiOp { return mDelete(s.p("nodelete/c"), -1) }},
		{"delete", "bad_arguments", func(s *scen) multiOp { return mDelete("relative", -1) }},
		{"set_data", "no_node", func(s *scen) multiOp { return mSetData(s.p("missing"), []byte("x"), -1) }},
		{"set_data", "bad_version", func(s *scen) multiOp { return mSetData(s.p("v"), []byte("x"), 3) }},
		{"set_data", "no_auth", func(s *scen) multiOp { return mSetData(s.p("nowrite"), []byte("x"), -1) }},
		{"set_data", "bad_arguments", func(s *scen) multiOp { return mSetData(s.p("v")+"/", []byte("x"), -1) }},
		{"check", "no_node", func(s *scen) multiOp { return mCheck(s.p("missing"), -1) }},
		{"check", "bad_version", func(s *scen) multiOp { return mCheck(s.p("v"), 1) }},
		{"check", "no_auth", func(s *scen) multiOp { return mCheck(s.p("noread"), -1) }},
		{"check", "bad_arguments", func(s *scen) multiOp { return mCheck(s.p("v")+"//", -1) }},
	}
}

// multiScenarios cover multi and multiRead: each error of each write op in
// the first, middle and last position (results, zxids, state and watches
// after the failure), results of every op kind, sequential and ephemeral
// creates, and multiRead's per-op results.
func multiScenarios() []scenario {
	var scs []scenario
	for _, f := range multiFailures() {
		scs = append(scs, scenario{name: "multi_fail_" + f.kind + "_" + f.err, run: func(s *scen) {
			a := s.setup()
			w := s.connect("W")
			multiFixtures(s, a)
			// W watches everything the good ops would change.
			w.getData(s.p("ok"), true)
			w.exists(s.p("new"), true)
			w.getChildren(s.root, true)
			w.getData(s.p("v"), true)
			w.getChildren(s.p("parent"), true)
			good1 := mCreate(s.p("new"), []byte("n"), persistent)
			good2 := mSetData(s.p("ok"), []byte("1"), 0)
			for _, ops := range [][]multiOp{
				{f.op(s), good1, good2},
				{good1, f.op(s), good2},
				{good1, good2, f.op(s)},
			} {
				a.multi(ops...)
				a.exists(s.p("new"), false)
				a.getData(s.p("ok"), false)
			}
			a.getChildren2(s.root, false)
			a.getData(s.p("v"), false)
			w.sync(s.root) // no event came before this reply
			a.multi(good1, good2)
			w.sync(s.root) // each watch fired once
			a.multi(mDelete(s.p("new"), -1), mSetData(s.p("ok"), []byte("2"), 1))
			w.sync(s.root)
		}})
	}
	return append(scs, []scenario{
		{name: "multi_results_every_op", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("old"), []byte("o"), persistent)
			a.multi(
				mCreate(s.p("p"), []byte("p"), persistent),
				mCreate2(zkproto.OpCreate2, s.p("p2"), []byte("p2"), persistent),
				mCreate2(zkproto.OpCreateContainer, s.p("c"), nil, container),
				mCreate2(zkproto.OpCreate2, s.p("c2"), nil, container),
				mCreateTTL(s.p("t"), nil, ttlMode, 600000),
				mCreate(s.p("e"), nil, ephemeral),
				mCreate2(zkproto.OpCreate2, s.p("es-"), nil, ephemeralSeq),
				mCreate(s.p("ps-"), nil, persistSeq),
				mSetData(s.p("old"), []byte("new"), 0),
				mCheck(s.p("old"), 1),
				mDelete(s.p("old"), 1),
				mCheck(s.p("p"), 0),
			)
			a.getChildren2(s.root, false)
			a.getEphemerals(s.root)
			a.exists(s.p("c"), false)
			a.exists(s.p("c2"), false)
			a.exists(s.p("t"), false)
		}},
		{name: "multi_zxid_consumption", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), nil, persistent)
			a.multi(mCheck(s.p("n"), 0))                                      // a check-only multi is a txn
			a.multi(mCheck(s.p("n"), 3))                                      // so is a failed one
			a.create(s.p("n"), nil, persistent)                               // and a failed create
			a.multi(mSetData(s.p("n"), []byte("a"), -1), mCheck(s.p("n"), 1)) // one zxid for all ops
			a.multi()                                                         // and an empty multi
			a.exists(s.p("n"), false)
			a.getChildren2(s.root, false)
		}},
		{name: "multi_same_node_twice", run: func(s *scen) {
			a := s.setup()
			w := s.connect("W")
			p := s.connect("P")
			a.create(s.p("n"), []byte("0"), persistent)
			w.getData(s.p("n"), true)
			w.getChildren(s.p("n"), true)
			p.addWatch(s.p("n"), zkproto.AddWatchPersistent)
			a.multi(
				mSetData(s.p("n"), []byte("1"), 0),
				mSetData(s.p("n"), []byte("2"), 1),
				mCreate(s.p("n/c"), nil, persistent),
				mDelete(s.p("n/c"), 0),
				mCheck(s.p("n"), 2),
			)
			w.sync(s.root)
			p.sync(s.root)
			a.getChildren2(s.p("n"), false)
			a.getData(s.p("n"), false)
		}},
		{name: "multi_create_then_use", run: func(s *scen) {
			a := s.setup()
			a.multi(
				mCreate(s.p("a"), []byte("a"), persistent),
				mCreate(s.p("a/b"), nil, persistent),
				mCreate(s.p("a/b/c"), nil, persistent),
				mSetData(s.p("a/b"), []byte("b"), 0),
				mCheck(s.p("a/b/c"), 0),
			)
			a.multi(mDelete(s.p("a/b/c"), -1), mDelete(s.p("a/b"), -1), mCreate(s.p("a/b"), []byte("again"), persistent))
			a.getChildren2(s.p("a"), false)
			a.getData(s.p("a/b"), false)
			a.multi(mDelete(s.p("a/b"), -1), mDelete(s.p("a"), -1), mCheck(s.p("a"), -1))
			a.exists(s.p("a"), false)
		}},
		{name: "multi_sequential_names", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("q"), nil, persistent)
			a.multi(mCreate(s.p("q/n-"), nil, persistSeq), mCreate(s.p("q/n-"), nil, persistSeq),
				mCreate(s.p("q/e-"), nil, ephemeralSeq), mCreate(s.p("other-"), nil, persistSeq))
			a.multi(mCreate(s.p("q/n-"), nil, persistSeq), mCheck(s.p("q"), 9)) // rolled back: no counter moves
			a.multi(mCreate(s.p("q/x"), nil, persistent), mDelete(s.p("q/x"), -1), mCreate(s.p("q/n-"), nil, persistSeq))
			a.create(s.p("q/n-"), nil, persistSeq)
			a.getChildren2(s.p("q"), false)
			a.getChildren2(s.root, false)
		}},
		{name: "multi_ephemerals", run: func(s *scen) {
			a := s.setup()
			e := s.connect("E")
			e.multi(mCreate(s.p("e1"), nil, ephemeral), mCreate(s.p("es-"), nil, ephemeralSeq),
				mCreate2(zkproto.OpCreate2, s.p("e2"), []byte("2"), ephemeral))
			e.multi(mCreate(s.p("e3"), nil, ephemeral), mCreate(s.p("e3/x"), nil, persistent))
			e.getEphemerals(s.root)
			a.getEphemerals(s.root)
			a.exists(s.p("e1"), true)
			a.getChildren(s.root, true)
			a.multi(mDelete(s.p("e1"), -1), mCreate(s.p("e1"), nil, ephemeral))
			e.getEphemerals(s.root)
			a.getEphemerals(s.root)
			e.closeSession()
			e.expectClosed()
			a.getChildren2(s.root, false)
		}},
		{name: "multi_no_auth_then_addauth", run: func(s *scen) {
			a := s.setup()
			al := s.connect("Alice")
			al.addDigest(aliceCred)
			al.createACL(s.p("n"), []byte("0"), acls(digestACL(zkproto.PermAll, aliceCred), worldACL(zkproto.PermRead)), persistent)
			a.multi(mCheck(s.p("n"), 0), mSetData(s.p("n"), []byte("a"), 0))
			a.multi(mCreate(s.p("x"), nil, persistent), mCreate(s.p("n/c"), nil, persistent))
			a.multi(mCreate(s.p("x"), nil, persistent), mDelete(s.p("n/none"), -1))
			a.addDigest(aliceCred)
			a.multi(mCheck(s.p("n"), 0), mSetData(s.p("n"), []byte("a"), 0), mCreate(s.p("n/c"), nil, persistent))
			a.getChildren2(s.p("n"), false)
		}},
		{name: "multi_many_ops", run: func(s *scen) {
			a := s.setup()
			var ops []multiOp
			for i := 0; i < 40; i++ {
				ops = append(ops, mCreate(s.p(fmt.Sprintf("n%02d", i)), []byte{byte(i)}, persistent))
			}
			a.multi(ops...)
			ops = ops[:0]
			for i := 0; i < 40; i++ {
				ops = append(ops, mSetData(s.p(fmt.Sprintf("n%02d", i)), nil, 0))
			}
			ops = append(ops, mCheck(s.p("n39"), 0))
			a.multi(ops...)
			a.getChildren2(s.root, false)
			a.getAllChildrenNumber(s.root)
		}},
		{name: "multi_read_mixed_results", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("data"), persistent)
			a.create(s.p("n/c"), nil, persistent)
			a.create(s.p("empty"), nil, persistent)
			a.createACL(s.p("secret"), []byte("s"), acls(worldACL(zkproto.PermAll&^zkproto.PermRead)), persistent)
			a.multiRead(rGetData(s.p("n")), rGetChildren(s.p("n")), rGetData(s.p("missing")), rGetChildren(s.p("missing")),
				rGetData(s.p("secret")), rGetChildren(s.p("secret")), rGetChildren(s.p("empty")), rGetData(s.p("empty")))
			a.multiRead()
			a.multiRead(rGetData(s.p("missing")))
			a.multiRead(rGetChildren(s.root))
		}},
		{name: "multi_read_sets_no_watches", run: func(s *scen) {
			a := s.setup()
			w := s.connect("W")
			a.create(s.p("n"), []byte("0"), persistent)
			w.multiRead(rGetDataWatch(s.p("n")), rGetChildrenWatch(s.p("n")))
			w.checkWatches(s.p("n"), zkproto.WatcherAny)
			a.setData(s.p("n"), []byte("1"), -1)
			a.create(s.p("n/c"), nil, persistent)
			w.sync(s.root)
		}},
		{name: "multi_mixed_read_and_write_ops", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("n"), []byte("0"), persistent)
			a.multiOpcode(zkproto.OpMulti, mSetData(s.p("n"), []byte("1"), -1), rGetData(s.p("n")))
			a.multiOpcode(zkproto.OpMultiRead, rGetData(s.p("n")), mSetData(s.p("n"), []byte("1"), -1))
			a.getData(s.p("n"), false)
			b.exists(s.p("n"), false)
		}},
		{name: "multi_read_with_write_ops", run: func(s *scen) {
			// The ops decode, so FinalRequestProcessor has begun a
			// MultiResponse when it meets the first write op: the
			// MarshallingError reply carries it (an empty list).
			a := s.setup()
			a.create(s.p("n"), []byte("0"), persistent)
			a.multiOpcode(zkproto.OpMultiRead, mCheck(s.p("n"), 0))
			a.multiOpcode(zkproto.OpMultiRead, mSetData(s.p("n"), []byte("1"), -1), mCreate(s.p("m"), nil, persistent))
			a.getChildren2(s.root, false)
		}},
	}...)
}
