package compat

// statScenarios check every Stat field after each kind of change, and the
// reads that aggregate over the tree.
func statScenarios() []scenario {
	return []scenario{
		{name: "stat_parent_after_child_changes", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("p"), []byte("parent"), persistent)
			a.exists(s.p("p"), false)
			a.create(s.p("p/a"), nil, persistent)
			a.exists(s.p("p"), false)
			a.create(s.p("p/b"), nil, ephemeral)
			a.exists(s.p("p"), false)
			a.setData(s.p("p/a"), []byte("child data"), -1) // not a child change of p
			a.exists(s.p("p"), false)
			a.delete(s.p("p/a"), -1)
			a.exists(s.p("p"), false)
			a.create(s.p("p/a/deeper"), nil, persistent) // fails
			a.exists(s.p("p"), false)
			a.create(s.p("p/a"), nil, persistent)
			a.create(s.p("p/a/grandchild"), nil, persistent) // not a child of p
			a.getChildren2(s.p("p"), false)
			a.getChildren2(s.p("p/a"), false)
		}},
		{name: "stat_after_set_data", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("abc"), persistent)
			a.create(s.p("n/c"), nil, persistent)
			a.setData(s.p("n"), []byte("abcdef"), 0)
			a.setData(s.p("n"), nil, 1)
			a.setData(s.p("n"), []byte{}, 2)
			a.getData(s.p("n"), false)
			a.getChildren2(s.root, false)
		}},
		{name: "stat_unchanged_by_failed_writes", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("x"), persistent)
			a.create(s.p("n/c"), nil, persistent)
			a.create(s.p("n"), nil, persistent)
			a.setData(s.p("n"), []byte("y"), 4)
			a.delete(s.p("n"), -1)
			a.delete(s.p("n/c"), 3)
			a.create(s.p("n/c"), nil, persistent)
			a.multi(mCreate(s.p("n/d"), nil, persistent), mCheck(s.p("n"), 9))
			a.getChildren2(s.p("n"), false)
			a.getData(s.p("n"), false)
		}},
		{name: "stat_recreated_node", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), []byte("1"), persistent)
			a.setData(s.p("n"), []byte("2"), -1)
			a.delete(s.p("n"), -1)
			a.create2(s.p("n"), []byte("3"), persistent)
			a.getChildren2(s.root, false)
		}},
		{name: "stat_ephemeral_owner", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("a"), nil, ephemeral)
			b.create(s.p("b"), nil, ephemeral)
			b.create2(s.p("bs-"), nil, ephemeralSeq)
			a.exists(s.p("b"), false)
			b.exists(s.p("a"), false)
			a.getEphemerals(s.root)
			b.getEphemerals(s.p("b"))
		}},
		{name: "get_children_variants", run: func(s *scen) {
			a := s.setup()
			a.getChildren(s.root, false)
			a.getChildren2(s.root, false)
			for _, n := range []string{"b", "a", "c", "aa", "a-b", "A"} {
				a.create(s.p(n), nil, persistent)
			}
			a.getChildren(s.root, false)
			a.getChildren2(s.root, true)
			a.getChildren(s.p("a"), false)
		}},
		{name: "get_all_children_number", run: func(s *scen) {
			a := s.setup()
			a.getAllChildrenNumber(s.root)
			a.create(s.p("a"), nil, persistent)
			a.create(s.p("a/b"), nil, persistent)
			a.create(s.p("a/b/c"), nil, persistent)
			a.create(s.p("a/e"), nil, ephemeral)
			a.create(s.p("d"), nil, persistent)
			a.getAllChildrenNumber(s.root)
			a.getAllChildrenNumber(s.p("a"))
			a.getAllChildrenNumber(s.p("a/b/c"))
			a.getAllChildrenNumber(s.p("a/b/c/nope"))
			a.create(s.p("ab"), nil, persistent) // shares the prefix "/a" but is not below /a
			a.getAllChildrenNumber(s.p("a"))
		}},
		{name: "get_ephemerals", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.getEphemerals(s.root)
			a.create(s.p("e1"), nil, ephemeral)
			a.create(s.p("e2"), nil, ephemeral)
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("p/e3"), nil, ephemeral)
			a.create(s.p("ex-"), nil, ephemeralSeq)
			b.create(s.p("e9"), nil, ephemeral)
			a.getEphemerals(s.root)
			a.getEphemerals(s.p("e"))   // a string prefix, not a path prefix
			a.getEphemerals(s.p("p/"))  // trailing slash
			a.getEphemerals(s.p("e1"))  // exact
			a.getEphemerals(s.p("zzz")) // nothing
			b.getEphemerals(s.root)
			a.delete(s.p("e1"), -1)
			a.getEphemerals(s.root)
		}},
		{name: "sync_paths", run: func(s *scen) {
			a := s.setup()
			a.sync(s.root)
			a.sync("/")
			a.sync(s.p("missing"))
			a.create(s.p("a"), nil, persistent)
			a.sync(s.p("a"))
			a.getData(s.p("a"), false)
		}},
	}
}
