package compat

import (
	"time"

	"github.com/zabd/zabd/jute/zkproto"
)

// reapWait bounds the wait for the container/TTL reaper, which runs every
// containerCheckMs; reapPoll is the polling interval where a watch cannot
// be used.
const (
	reapWait = 30 * time.Second
	reapPoll = 50 * time.Millisecond
)

// waitGone polls exists on path until the node is gone or d passes, and
// records which. The polls go over a connection of their own, outside the
// transcript, so their number shows nowhere. It is for nodes the reaper may
// delete before a watch could be set on them (short TTLs); the timeout is
// what is under test, so it sleeps between polls.
func (s *scen) waitGone(path string, d time.Duration) {
	p := newRawConn(newTranscript(), "poll", s.addr)
	defer p.close()
	if !p.handshake(connectOpts{}) {
		s.tr.logf("#  could not open a polling session")
		return
	}
	defer p.closeSession()
	deadline := time.Now().Add(d)
	for {
		r := p.exists(path, false)
		switch {
		case !r.ok:
			s.tr.logf("#  lost the polling connection while waiting for %q to go", path)
			return
		case r.err == zkproto.ErrNoNode:
			s.tr.logf("#  polled until %q was gone", path)
			return
		case time.Now().After(deadline):
			s.tr.logf("#  %q still exists after %v", path, d)
			return
		}
		time.Sleep(reapPoll)
	}
}

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
			s.note("the reaper deletes /short after 500 ms; /parent has a child, /long has 10 min")
			s.waitGone(s.p("short"), reapWait)
			a.getChildren2(s.root, false)
			a.exists(s.p("parent"), false)
		}},
		{name: "ttl_sequential_reaped", run: func(s *scen) {
			a := s.setup()
			r := a.createTTL(s.p("t-"), nil, ttlSeq, 1) // the smallest TTL
			s.waitGone(r.path(), reapWait)
			a.getChildren2(s.root, false)
			a.create(s.p("t-"), nil, persistSeq)
		}},
	}
}
