package quorum_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/zabd/zabd/quorum"
)

// startJava runs Apache ZooKeeper (QuorumPeerMain) on server id's
// zooN.cfg, with zookeeper.forceSnapshotSync so that, leading, it brings
// learners up to date by SNAP. The process is the test's child, killed by
// pid at cleanup.
func (e *ensemble) startJava(id int) {
	e.t.Helper()
	const jar = "/usr/share/java/zookeeper.jar"
	java, err := exec.LookPath("java")
	if _, serr := os.Stat(jar); serr != nil || err != nil {
		e.t.Skip("needs java and " + jar)
	}
	logf, err := os.Create(filepath.Join(e.data(id), "java.log"))
	if err != nil {
		e.t.Fatal(err)
	}
	cp, enable := jar+":/usr/share/java/slf4j-simple.jar", "false"
	if _, ok := e.admin[id]; ok {
		// Jetty's AdminServer needs the servlet API, which zookeeper.jar's
		// manifest does not name.
		cp, enable = cp+":/usr/share/java/servlet-api.jar", "true"
	}
	cmd := exec.Command(java, "-cp", cp,
		"-Dzookeeper.admin.enableServer="+enable, "-Dzookeeper.jmx.log4j.disable=true",
		"-Dzookeeper.forceSnapshotSync=true",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", e.cfg(id))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Kill() // our own child, by pid
		_ = cmd.Wait()         // NB: killed on purpose
		logf.Close()
		if e.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			e.t.Logf("java server %d log (tail):\n%s", id, b)
		}
	})
}

// TestMixedEnsemble runs zabd beside Apache ZooKeeper 3.8 in one ensemble:
// a Java follower synced by SNAP from a zabd leader, then, once that leader
// is killed, zabd followers of the Java leader — one of them restarted and
// synced by the Java leader's SNAP — under a write load whose history must
// be linearizable with every acknowledged write on every server.
func TestMixedEnsemble(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3, env: []string{quorum.ForceSnapSyncEnv + "=true"}})
	e.start(1)
	e.start(2)
	if l := e.waitSettled(30*time.Second, 1, 2); l != 2 {
		t.Fatalf("zabd 1 and 2 elected %d, want 2 (the larger id)", l)
	}
	e.startJava(3)
	e.waitSettled(60*time.Second, 1, 2, 3)
	w := startWriters(t, e.addrs(e.ids...), 3)
	e.waitAcked(w, 100, 30*time.Second)

	e.kill(2)
	leader := e.waitSettled(30*time.Second, 1, 3)
	t.Logf("after zabd 2 died, server %d leads (3 is Java)", leader)
	n := w.count()
	e.waitAcked(w, n+100, 30*time.Second)
	e.start(2)
	e.waitSettled(30*time.Second, e.ids...)
	acked, _ := w.finish()
	e.checkHistory(w, e.checkWrites(acked, e.ids...))
	if leader == 3 && e.grepLog(2, "installing the leader's snapshot") == 0 {
		t.Error("zabd 2 did not install the Java leader's SNAP")
	}
	e.stop(1)
	e.stop(2)
}
