package quorum_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
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

// TestSessionExpiryAcrossEnsemble: a client of a follower vanishes (its
// connection drops, no closeSession); the leader expires the session after
// its timeout, its ephemeral node is deleted on every server, a watcher on
// another server is told NodeDeleted, and a reconnect with the old id is
// told the session expired — by a follower and by the leader.
func TestSessionExpiryAcrossEnsemble(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3})
	for _, id := range e.ids {
		e.start(id)
	}
	leader := e.waitSettled(30*time.Second, e.ids...)
	f := others(e.ids, leader)
	a := dialSessionTimeout(t, e.addr(f[0]), 2000, 0, nil)
	if a.to != 2000 {
		t.Fatalf("negotiated timeout %d, want 2000", a.to)
	}
	if rh, _ := a.call(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: "/eph", Data: []byte("x"), ACL: zkproto.OpenACLUnsafe, Flags: zkproto.ModeEphemeral}); rh.Err != zkproto.Ok {
		t.Fatalf("create ephemeral: %v", rh.Err)
	}
	w := dialSession(t, e.addr(f[1]), 0, nil)
	w.call(1, zkproto.OpSync, &zkproto.PathOnly{Path: "/eph"})
	if rh, _ := w.call(2, zkproto.OpExists, &zkproto.PathWatch{Path: "/eph", Watch: true}); rh.Err != zkproto.Ok {
		t.Fatalf("exists /eph on %d: %v", f[1], rh.Err)
	}
	dropped := time.Now()
	a.nc.Close()

	// The watcher hears of the deletion.
	b, err := w.recv(15 * time.Second)
	if err != nil {
		t.Fatalf("no watch event within 15 s of the drop: %v", err)
	}
	var rh zkproto.ReplyHeader
	var ev zkproto.WatcherEvent
	d := jute.NewDecoder(b, 0)
	rh.Decode(d)
	ev.Decode(d)
	if rh.Xid != zkproto.XidWatchEvent || ev.Type != zkproto.EventNodeDeleted || ev.Path != "/eph" {
		t.Fatalf("event xid %d type %v path %q, want NodeDeleted /eph", rh.Xid, ev.Type, ev.Path)
	}
	if took := time.Since(dropped); took < 2*time.Second {
		t.Errorf("the session expired %v after its client vanished, before its 2 s timeout", took)
	}
	for _, id := range e.ids {
		c := dialSession(t, e.addr(id), 0, nil)
		c.call(1, zkproto.OpSync, &zkproto.PathOnly{Path: "/eph"})
		if rh, _ := c.call(2, zkproto.OpExists, &zkproto.PathWatch{Path: "/eph"}); rh.Err != zkproto.ErrNoNode {
			t.Errorf("server %d: exists /eph after expiry: %v, want NoNode", id, rh.Err)
		}
	}
	for _, id := range []int{f[0], leader} {
		x := dialSession(t, e.addr(id), a.id, a.pw)
		if x.id != 0 || x.to != 0 {
			t.Errorf("server %d: resume of the expired session: session %#x timeout %d, want 0 and 0", id, x.id, x.to)
		}
	}
}
