package quorum_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestIdleSessionSurvivesFailover: a session whose client only pings its
// own server (a follower) keeps its ephemeral node when the leader dies and
// the other follower takes over: the new leader must give every session a
// fresh expiry when it starts leading (ZooKeeper creates the leader's
// SessionTracker from the database at that moment), not expire them on
// the stale deadlines its tree's createSession txns left.
func TestIdleSessionSurvivesFailover(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3})
	for _, id := range e.ids {
		e.start(id)
	}
	leader := e.waitSettled(30*time.Second, e.ids...)
	rest := others(e.ids, leader)
	home, heir := rest[0], rest[1] // the client's server, and the likely next leader (larger id)

	c := connect(t, []string{e.addr(home)})
	if _, err := c.Create("/idle", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()
	// Let the session's deadline on the other servers pass: only pings to
	// home keep it alive from now on.
	deadline := time.Now().Add(12 * time.Second)
	e.eventually(15*time.Second, "the session outlives its first deadline", func() bool { return time.Now().After(deadline) })

	e.kill(leader)
	newLeader := e.waitSettled(30*time.Second, rest...)
	t.Logf("server %d leads; the client is on %d; %d was the likely heir", newLeader, home, heir)
	// Give the new leader several ticks to (wrongly) expire the session.
	until := time.Now().Add(3 * time.Second)
	e.eventually(5*time.Second, "three seconds of the new leader", func() bool { return time.Now().After(until) })
	check := connect(t, []string{e.addr(newLeader)})
	if _, err := check.Sync("/"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := check.Exists("/idle"); err != nil || !ok {
		t.Errorf("the idle session's ephemeral node is gone after the failover (exists %t, %v)", ok, err)
	}
	if c.SessionID() != sid {
		t.Errorf("the idle client's session changed: %#x, was %#x", c.SessionID(), sid)
	}
}
