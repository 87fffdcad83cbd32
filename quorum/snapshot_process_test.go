package quorum_test

import (
	"strings"
	"testing"
	"time"
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
