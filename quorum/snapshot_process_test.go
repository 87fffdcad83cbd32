package quorum_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zabd/zabd/quorum"
)

// TestCrashAfterSnapshotsUnderLoad: with snapCount=100 every server takes
// snapshots while three clients write (the snapshots are walked and written
// beside the loop and the final stage, fuzzily, as ZooKeeper's are); then
// every server is killed with SIGKILL at once. Restarted, each loads its
// newest snapshot, replays the log after it, and the ensemble serves every
// acknowledged write, the same children on every server.
func TestCrashAfterSnapshotsUnderLoad(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3, extra: "snapCount=100\n"})
	for _, id := range e.ids {
		e.start(id)
	}
	e.waitSettled(30*time.Second, e.ids...)
	w := startWriters(t, e.addrs(e.ids...), 3)
	e.waitAcked(w, 1500, 90*time.Second)
	acked, _ := w.finish()
	for _, id := range e.ids {
		e.kill(id)
	}
	for _, id := range e.ids {
		if n := e.grepLog(id, "snapshot taken"); n < 3 {
			t.Errorf("server %d took %d snapshots during %d writes with snapCount=100, want at least 3", id, n, len(acked))
		}
		t.Logf("server %d: %d snapshots taken, %d skipped as too busy", id, e.grepLog(id, "snapshot taken"), e.grepLog(id, "too busy to snap"))
		if n := e.grepLog(id, "taking a snapshot"); n != 0 {
			t.Errorf("server %d logged %d failed snapshots", id, n)
		}
	}
	for _, id := range e.ids {
		e.start(id)
	}
	e.waitSettled(30*time.Second, e.ids...)
	kids := e.checkWrites(acked, e.ids...)
	if len(kids) < len(acked) {
		t.Errorf("/w has %d children, %d writes were acknowledged", len(kids), len(acked))
	}
	for _, id := range e.ids {
		l := e.lastLogLine(id, "loaded the data tree")
		t.Logf("server %d: %s", id, l)
		if l == "" || strings.Contains(l, "snapshot=0x0 ") {
			t.Errorf("server %d did not restart from a snapshot: %q", id, l)
		}
	}
	for _, id := range e.ids {
		e.stop(id)
	}
}

// TestSnapSyncUnderLoad: with zookeeper.forceSnapshotSync a restarted
// follower syncs by SNAP while three clients go on writing, so the
// leader's snapshot is walked while commits land (fuzzily, as ZooKeeper's
// LearnerHandler serialises its live tree) and the follower replays the
// commits after the SNAP's zxid over it. Afterwards every server holds
// every acknowledged write and the same stat for their parent.
func TestSnapSyncUnderLoad(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3, env: []string{quorum.ForceSnapSyncEnv + "=true"}})
	for _, id := range e.ids {
		e.start(id)
	}
	leader := e.waitSettled(30*time.Second, e.ids...)
	follower := others(e.ids, leader)[0]
	w := startWriters(t, e.addrs(e.ids...), 3)
	e.waitAcked(w, 600, 60*time.Second)
	e.kill(follower)
	e.waitAcked(w, w.count()+300, 60*time.Second)
	e.start(follower)
	e.waitSettled(30*time.Second, e.ids...)
	e.waitAcked(w, w.count()+300, 60*time.Second)
	acked, _ := w.finish()
	if n := e.grepLog(leader, "sending a snapshot"); n == 0 {
		t.Fatalf("the leader sent no snapshot")
	}
	t.Logf("leader: %s", e.lastLogLine(leader, "sending a snapshot"))
	e.checkWrites(acked, e.ids...)
	var first string
	for _, id := range e.ids {
		c := connect(t, []string{e.addr(id)})
		if _, err := c.Sync("/w"); err != nil {
			t.Fatal(err)
		}
		_, st, err := c.Exists("/w")
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		got := fmt.Sprintf("cversion=%d pzxid=%#x children=%d", st.Cversion, st.Pzxid, st.NumChildren)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("server %d: /w %s, server %d: %s", id, got, e.ids[0], first)
		}
	}
	for _, id := range e.ids {
		e.stop(id)
	}
}
