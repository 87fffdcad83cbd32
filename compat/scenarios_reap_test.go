package compat

import "time"

// reapWait bounds the wait for the container/TTL reaper, which runs every
// containerCheckMs.
const reapWait = 30 * time.Second

// reapScenarios cover the server-side deletions of containers and TTL
// nodes (ContainerManager).
func reapScenarios() []scenario {
	return []scenario{
		{name: "container_reaped_after_last_child", run: func(s *scen) {
			a := s.setup()
			a.create2(s.p("used"), nil, container)
			a.create(s.p("used/child"), nil, persistent)
			a.create2(s.p("never"), nil, container)
			a.create2(s.p("full"), nil, container)
			a.create(s.p("full/kid"), nil, persistent)
			a.exists(s.p("used"), true)
			a.getChildren(s.root, true)
			a.delete(s.p("used/child"), -1)
			s.note("the reaper deletes /used; /never was never used and /full has a child")
			a.waitEvents(2, reapWait)
			a.exists(s.p("used"), false)
			a.getChildren2(s.root, false)
			a.exists(s.p("never"), false)
			a.exists(s.p("full"), false)
		}},
		{name: "container_reaped_after_ephemeral_child_expires", run: func(s *scen) {
			a := s.setup()
			a.create2(s.p("c"), nil, container)
			e := s.connect("E")
			e.create(s.p("c/lock-"), nil, ephemeralSeq)
			a.exists(s.p("c"), true)
			e.closeSession()
			e.expectClosed()
			a.waitEvents(1, reapWait)
			a.getChildren2(s.root, false)
		}},
		{name: "ttl_reaped", run: func(s *scen) {
			a := s.setup()
			a.multi(
				mCreateTTL(s.p("short"), []byte("s"), ttlMode, 500),
				mCreateTTL(s.p("parent"), nil, ttlMode, 500),
				mCreate(s.p("parent/kid"), nil, persistent),
				mCreateTTL(s.p("long"), nil, ttlMode, 600000),
			)
			a.exists(s.p("short"), true)
			s.note("the reaper deletes /short after 500 ms; /parent has a child, /long has 10 min")
			a.waitEvents(1, reapWait)
			a.getChildren2(s.root, false)
			a.exists(s.p("parent"), false)
		}},
		{name: "ttl_sequential_reaped", run: func(s *scen) {
			a := s.setup()
			r := a.createTTL(s.p("t-"), nil, ttlSeq, 1) // the smallest TTL
			a.exists(r.path(), true)
			a.waitEvents(1, reapWait)
			a.getChildren2(s.root, false)
			a.create(s.p("t-"), nil, persistSeq)
		}},
	}
}
