package compat

import "github.com/zabd/zabd/jute/zkproto"

// badPaths returns paths that ZooKeeper's PathUtils.validatePath rejects:
// empty, relative, trailing slash, empty segment, "." and ".." segments,
// the null character and the other characters it forbids, and bytes that are
// not UTF-8. Reads do not validate their path (only exists checks for the
// null character), and ZooKeeper resolves "" to the root for them, whose
// Stat every scenario changes: they are given the list without "" (which
// system_nodes reads alone). A sequential create appends a suffix that makes
// "/zookeeper/.." valid, which would create a node under /zookeeper: it is
// given the list without that path (system_nodes_writes creates it).
func badPaths(root string, withEmpty, withZooKeeperDotDot bool) []string {
	var v []string
	if withEmpty {
		v = append(v, "")
	}
	v = append(v,
		"a",
		root+"/",
		"//",
		root+"//x",
		root+"/./x",
		root+"/../x",
		root+"/.",
		root+"/..",
	)
	if withZooKeeperDotDot {
		v = append(v, "/zookeeper/..")
	}
	return append(v,
		root+"/x\x00y",
		root+"/x\x01",
		root+"/x\u0085",
		root+"/x\ue000",
		root+"/x\ufff5",
		root+"/x\xff",
		root+"/x\x7f",
		root+"/x\U0001F600", // a surrogate pair in Java's UTF-16
	)
}

// errorScenarios cover every client-visible error code of the basic
// operations, and path validation of each operation.
func errorScenarios() []scenario {
	scs := []scenario{
		{name: "node_exists", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("a"), nil, persistent)
			a.create(s.p("a"), []byte("again"), persistent)
			a.create2(s.p("a"), nil, ephemeral)
			a.create2(s.p("a"), nil, container)
			a.createTTL(s.p("a"), nil, ttlMode, 1000)
			a.create(s.root, nil, persistent)
			a.create("/", nil, persistent)
			a.getData(s.p("a"), false)
		}},
		{name: "no_node", run: func(s *scen) {
			a := s.setup()
			n := s.p("missing")
			a.create(n+"/child", nil, persistent)
			a.create(n+"/child", nil, persistSeq)
			a.delete(n, -1)
			a.setData(n, []byte("x"), -1)
			a.getData(n, false)
			a.exists(n, false)
			a.getChildren(n, false)
			a.getChildren2(n, false)
			a.getACL(n)
			a.setACL(n, zkproto.OpenACLUnsafe, -1)
			a.getAllChildrenNumber(n)
			a.sync(n)
			a.getEphemerals(n)
		}},
		{name: "bad_version", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("v"), []byte("0"), persistent)
			a.setData(s.p("v"), []byte("1"), 1)
			a.setData(s.p("v"), []byte("1"), 0)
			a.setData(s.p("v"), []byte("2"), 0)
			a.setData(s.p("v"), []byte("2"), -2)
			a.setData(s.p("v"), []byte("2"), 1)
			a.delete(s.p("v"), 0)
			a.delete(s.p("v"), 3)
			a.delete(s.p("v"), -2)
			a.delete(s.p("v"), 2)
			a.exists(s.p("v"), false)
		}},
		{name: "set_data_versions", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("v"), []byte("init"), persistent)
			for i := 0; i < 3; i++ {
				a.setData(s.p("v"), []byte{'a' + byte(i)}, -1)
			}
			b.setData(s.p("v"), []byte("b"), 3)
			a.setData(s.p("v"), []byte("stale"), 3)
			a.getData(s.p("v"), false)
			a.setData(s.p("v"), []byte("same"), 4)
			a.setData(s.p("v"), []byte("same"), 5)
			a.getData(s.p("v"), false)
		}},
		{name: "not_empty", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("p/c"), nil, ephemeral)
			a.delete(s.p("p"), -1)
			a.delete(s.p("p"), 0)
			a.delete(s.p("p"), 9) // version is checked before children
			a.delete(s.p("p/c"), -1)
			a.delete(s.p("p"), -1)
		}},
		{name: "no_children_for_ephemerals", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("e"), nil, ephemeral)
			a.create(s.p("e/p"), nil, persistent)
			a.create(s.p("e/e"), nil, ephemeral)
			a.create(s.p("e/s"), nil, persistSeq)
			a.create(s.p("e/es"), nil, ephemeralSeq)
			a.create2(s.p("e/c"), nil, container)
			a.createTTL(s.p("e/t"), nil, ttlMode, 1000)
			b.create(s.p("e/other"), nil, persistent)
			a.multi(mCreate(s.p("e/m"), nil, persistent))
			a.getChildren2(s.p("e"), false)
		}},
		{name: "delete_root_and_system", exclusive: true, run: func(s *scen) {
			a := s.setup()
			a.delete("/", -1)
			a.delete("/zookeeper", -1)
			a.delete("/zookeeper/quota", 0)
			a.delete("/zookeeper/config", 0)
			a.setData("/", []byte("root"), 1000)
		}},
		{name: "read_only_arguments", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("x"), []byte("x"), persistent)
			a.getChildren(s.p("x"), false)
			a.getChildren2(s.p("x"), false)
			a.getAllChildrenNumber(s.p("x"))
			a.getEphemerals("")
			a.getEphemerals(s.p("nomatch"))
		}},
	}
	type pathOp struct {
		name string
		read bool // resolves "" to the root
		seq  bool // makes "/zookeeper/.." valid
		do   func(s *scen, c *rawConn, path string)
	}
	ops := []pathOp{
		{"create", false, false, func(s *scen, c *rawConn, p string) { c.create(p, nil, persistent) }},
		{"create_sequential", false, true, func(s *scen, c *rawConn, p string) { c.create(p, nil, persistSeq) }},
		{"create2_container", false, false, func(s *scen, c *rawConn, p string) { c.create2(p, nil, container) }},
		{"create_ttl", false, false, func(s *scen, c *rawConn, p string) { c.createTTL(p, nil, ttlMode, 1000) }},
		{"delete", false, false, func(s *scen, c *rawConn, p string) { c.delete(p, -1) }},
		{"set_data", false, false, func(s *scen, c *rawConn, p string) { c.setData(p, []byte("x"), -1) }},
		{"get_data", true, false, func(s *scen, c *rawConn, p string) { c.getData(p, true) }},
		{"exists", true, false, func(s *scen, c *rawConn, p string) { c.exists(p, true) }},
		{"get_children", true, false, func(s *scen, c *rawConn, p string) { c.getChildren(p, true) }},
		{"get_children2", true, false, func(s *scen, c *rawConn, p string) { c.getChildren2(p, false) }},
		{"sync_and_acl", true, false, func(s *scen, c *rawConn, p string) { c.sync(p); c.getACL(p) }},
		{"all_children_and_ephemerals", true, false, func(s *scen, c *rawConn, p string) { c.getAllChildrenNumber(p); c.getEphemerals(p) }},
		{"multi", false, false, func(s *scen, c *rawConn, p string) { c.multi(mCreate(p, nil, persistent)) }},
	}
	for _, op := range ops {
		scs = append(scs, scenario{name: "invalid_paths_" + op.name, run: func(s *scen) {
			a := s.setup()
			// Nodes that the "." and ".." forms would name if normalised.
			a.create(s.p("x"), nil, persistent)
			for _, p := range badPaths(s.root, !op.read, !op.seq) {
				op.do(s, a, p)
			}
			a.getChildren(s.root, false)
		}})
	}
	return scs
}
