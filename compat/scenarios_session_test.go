package compat

import (
	"time"
)

// Session timing. A session of expirySession ms is expired by ZooKeeper
// between one and one-and-a-half of its timeouts after its connection
// drops (expiry is checked once per tick), so expiryWait leaves ample room.
const (
	expirySession = 4000
	expiryWait    = 30 * time.Second
)

// sessionScenarios cover session establishment, close, expiry and
// reconnection, and what each does to ephemerals and watches.
func sessionScenarios() []scenario {
	return []scenario{
		{name: "session_close_deletes_ephemerals", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("p"), nil, persistent)
			a.create(s.p("q"), nil, persistent)
			b.create(s.p("p/e"), []byte("b's"), ephemeral)
			b.create(s.p("q/e-"), nil, ephemeralSeq)
			a.exists(s.p("p/e"), true)
			a.getChildren(s.p("q"), true)
			b.closeSession()
			b.expectClosed()
			// The close txn deletes B's ephemerals in the iteration order
			// of ZooKeeper's HashSet (datatree.CloseOrder).
			a.waitEvents(2, eventWait)
			a.getChildren2(s.p("p"), false)
			a.getChildren2(s.p("q"), false)
			a.getEphemerals(s.root)
		}},
		{name: "session_closed_cannot_resume", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("e"), nil, ephemeral)
			a.closeSession()
			a.expectClosed()
			r := s.reconnect(a, "A2")
			r.expectClosed()
			b := s.connect("B")
			b.exists(s.p("e"), false)
		}},
		{name: "session_expiry", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("other"), nil, persistent)
			e := s.connectWith("E", connectOpts{timeout: expirySession})
			e.create(s.p("eph"), []byte("e"), ephemeral)
			e.create(s.p("other/eph-"), nil, ephemeralSeq)
			a.exists(s.p("eph"), true)
			a.getChildren(s.root, true)
			e.drop()
			s.note("E's session expires after about 4-6 s")
			a.waitEvents(2, expiryWait)
			a.exists(s.p("eph"), false)
			a.getChildren2(s.root, false)
			a.getChildren2(s.p("other"), false)
			r := s.reconnect(e, "E2")
			r.expectClosed()
			a.create(s.p("eph"), nil, ephemeral)
		}},
		{name: "session_reconnect_keeps_ephemerals", run: func(s *scen) {
			a := s.setup()
			e := s.connectWith("E", connectOpts{timeout: 10000})
			e.create(s.p("eph"), []byte("e"), ephemeral)
			e.getData(s.p("eph"), false)
			e.drop()
			e2 := s.reconnect(e, "E2")
			e2.exists(s.p("eph"), false)
			e2.getEphemerals(s.root)
			e2.create(s.p("eph2"), nil, ephemeral)
			a.exists(s.p("eph"), true)
			e2.closeSession()
			e2.expectClosed()
			a.waitEvents(1, eventWait)
			a.getChildren2(s.root, false)
		}},
		{name: "session_reconnect_wrong_password", run: func(s *scen) {
			a := s.setup()
			e := s.connect("E")
			e.create(s.p("eph"), nil, ephemeral)
			x := s.dial("X")
			bad := append(make([]byte, 16), e.passwd...)[len(e.passwd):] // zeros if E has no session
			bad[0] ^= 0xff
			x.handshake(connectOpts{sessionID: e.sessionID, passwd: bad})
			x.expectClosed()
			e.exists(s.p("eph"), false)
			a.exists(s.p("eph"), false)
			e2 := s.reconnect(e, "E2")
			e2.exists(s.p("eph"), false)
		}},
		{name: "session_reconnect_moves_connection", run: func(s *scen) {
			a := s.setup()
			e := s.connect("E")
			e.create(s.p("eph"), nil, ephemeral)
			e.getData(s.p("eph"), true)
			e2 := s.reconnect(e, "E2")
			e.exists(s.p("eph"), false) // the server closed the old connection
			e2.getData(s.p("eph"), false)
			a.setData(s.p("eph"), []byte("x"), -1)
			e2.exists(s.p("eph"), false) // the old connection's watch is gone
		}},
		{name: "session_reconnect_set_watches", run: func(s *scen) {
			a := s.setup()
			for _, n := range []string{"data", "gone", "kids", "same", "gonekids"} {
				a.create(s.p(n), []byte("0"), persistent)
			}
			w := s.connect("W")
			w.getData(s.p("data"), true)
			w.exists(s.p("new"), true)
			w.getData(s.p("gone"), true)
			w.getChildren(s.p("kids"), true)
			w.getData(s.p("same"), true)
			w.exists(s.p("missing"), true)
			w.getChildren(s.p("gonekids"), true)
			rel := w.lastZxid
			w.drop()
			a.setData(s.p("data"), []byte("1"), -1)
			a.create(s.p("new"), nil, persistent)
			a.delete(s.p("gone"), -1)
			a.create(s.p("kids/k"), nil, persistent)
			a.delete(s.p("gonekids"), -1)
			w2 := s.reconnect(w, "W2")
			w2.setWatches(rel,
				[]string{s.p("data"), s.p("gone"), s.p("same")},
				[]string{s.p("new"), s.p("missing")},
				[]string{s.p("kids"), s.p("gonekids")})
			a.setData(s.p("same"), []byte("1"), -1)
			a.create(s.p("missing"), nil, persistent)
			a.setData(s.p("data"), []byte("2"), -1) // fired already: no event
			w2.sync(s.root)
		}},
		{name: "session_set_watches_nothing_changed", run: func(s *scen) {
			a := s.setup()
			a.create(s.p("n"), nil, persistent)
			w := s.connect("W")
			w.getData(s.p("n"), true)
			rel := w.lastZxid
			w.drop()
			w2 := s.reconnect(w, "W2")
			w2.setWatches(rel, []string{s.p("n")}, nil, nil)
			w2.setWatches(rel, []string{}, []string{}, []string{})
			a.setData(s.p("n"), []byte("x"), -1)
			w2.waitEvents(1, eventWait)
		}},
		{name: "session_timeout_negotiation", run: func(s *scen) {
			for i, ms := range []int32{1, 3999, 4000, 12345, 40000, 40001, 1000000, -5} {
				s.connectWith(string(rune('A'+i)), connectOpts{timeout: ms})
			}
		}},
		{name: "session_connect_zxid_from_the_future", run: func(s *scen) {
			x := s.dial("X")
			x.handshake(connectOpts{lastZxid: 1 << 60})
			x.expectClosed()
			a := s.setup()
			a.exists(s.root, false)
		}},
		{name: "session_connect_without_readonly_byte", run: func(s *scen) {
			a := s.connectWith("A", connectOpts{noReadOnly: true})
			a.create(s.root, nil, persistent)
			e := s.reconnect(a, "A2")
			e.exists(s.root, false)
		}},
		{name: "session_ping", run: func(s *scen) {
			a := s.setup()
			a.ping()
			a.create(s.p("n"), nil, persistent)
			a.ping()
			a.ping()
			a.exists(s.p("n"), false)
		}},
	}
}
