package compat

import "fmt"

// ephemeralOrderScenarios check the order in which closing a session
// deletes its ephemerals, as another session's watches see it: ZooKeeper
// lists them in the CloseSessionTxn in the iteration order of a clone of
// the session's Java HashSet, and deletes them in that order.
func ephemeralOrderScenarios() []scenario {
	var out []scenario
	for _, n := range []int{2, 3, 5, 7, 12, 13, 20, 30} {
		out = append(out, scenario{name: fmt.Sprintf("session_close_ephemeral_order_%d", n), run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("q"), nil, persistent)
			var paths []string
			for i := range n {
				p := s.p(fmt.Sprintf("p/e%d", i))
				if i%3 == 1 {
					p = s.p(fmt.Sprintf("q/node-%02d", i*7))
				}
				b.create(p, nil, ephemeral)
				paths = append(paths, p)
			}
			for _, p := range paths {
				a.exists(p, true)
			}
			b.closeSession()
			b.expectClosed()
			a.waitEvents(n, eventWait)
		}})
	}
	// The session's set keeps the table its peak needed; deletes and
	// re-creates move paths to the end of their buckets.
	out = append(out, scenario{name: "session_close_ephemeral_order_after_deletes", run: func(s *scen) {
		a := s.setup()
		b := s.connect("B")
		a.create(s.p("p"), nil, persistent)
		for i := range 45 {
			b.create(s.p(fmt.Sprintf("p/x%d", i)), nil, ephemeral)
		}
		for i := range 45 {
			if i%3 != 0 {
				b.delete(s.p(fmt.Sprintf("p/x%d", i)), -1)
			}
		}
		for _, i := range []int{4, 0, 7} {
			if i == 0 {
				b.delete(s.p("p/x0"), -1)
			}
			b.create(s.p(fmt.Sprintf("p/x%d", i)), nil, ephemeral)
		}
		a.getChildren(s.p("p"), true)
		live := 0
		for i := range 45 {
			if i%3 == 0 || i == 4 || i == 7 {
				a.exists(s.p(fmt.Sprintf("p/x%d", i)), true)
				live++
			}
		}
		b.closeSession()
		b.expectClosed()
		// One NodeDeleted per ephemeral, and the child watch on /p fires
		// with the first delete.
		a.waitEvents(live+1, eventWait)
	}})
	return out
}
