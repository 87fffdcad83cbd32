package quorum_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// One dataDir, whatever mode the configuration says: these tests move
// dataDirs between a standalone server and an ensemble, and bring an Apache
// ZooKeeper version-2 dataDir into an ensemble.

// standaloneCfg writes a standalone zoo.cfg for server id's dataDir and
// client port and returns its path.
func (e *ensemble) standaloneCfg(id int, extra string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, fmt.Sprintf("standalone%d.cfg", id))
	cfg := fmt.Sprintf("tickTime=%d\ndataDir=%s\nclientPort=%d\nadmin.enableServer=false\n4lw.commands.whitelist=*\n%s",
		e.tickTime.Milliseconds(), e.data(id), e.client[id], extra)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// startStandalone starts `zabd start cfg` and waits until it says
// Mode: standalone.
func (e *ensemble) startStandalone(id int, cfg string) {
	e.t.Helper()
	if out, errOut, code := e.zabd("start", cfg); code != 0 || !strings.Contains(out, "STARTED") {
		e.t.Fatalf("zabd start %s: exit %d\n%s%s", cfg, code, out, errOut)
	}
	e.eventually(30*time.Second, fmt.Sprintf("server %d standalone", id), func() bool { return e.mode(id) == "standalone" })
}

// createN creates parent and n children parent/nNNN holding "dNNN".
func createN(t *testing.T, c *zk.Conn, parent string, n int) {
	t.Helper()
	open := zk.WorldACL(zk.PermAll)
	if _, err := c.Create(parent, []byte("root"), 0, open); err != nil {
		t.Fatalf("create %s: %v", parent, err)
	}
	for i := range n {
		p := fmt.Sprintf("%s/n%03d", parent, i)
		if _, err := c.Create(p, []byte(fmt.Sprintf("d%03d", i)), 0, open); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
}

// checkN checks, on server id alone after sync, that parent has exactly
// the n children createN made, with their data.
func (e *ensemble) checkN(id int, parent string, n int) {
	e.t.Helper()
	c := connect(e.t, []string{e.addr(id)})
	defer c.Close()
	if _, err := c.Sync(parent); err != nil {
		e.t.Fatalf("server %d: sync %s: %v", id, parent, err)
	}
	kids, _, err := c.Children(parent)
	if err != nil {
		e.t.Fatalf("server %d: getChildren %s: %v", id, parent, err)
	}
	if len(kids) != n {
		e.t.Errorf("server %d: %s has %d children, want %d", id, parent, len(kids), n)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		p := fmt.Sprintf("%s/n%03d", parent, i)
		data, _, err := c.Get(p)
		if err != nil || string(data) != fmt.Sprintf("d%03d", i) {
			e.t.Errorf("server %d: get %s = %q, %v", id, p, data, err)
		}
	}
}

// TestStandaloneDataDirJoinsEnsemble: a standalone server's dataDir (its
// snapshots, and the log after `zabd purge` cut its start) becomes server 1
// of a three-node ensemble whose other members are empty. Server 1 has the
// highest zxid, leads, and brings the others up by SNAP (its log no longer
// starts at zero). After writes in ensemble mode, a follower's dataDir —
// the leader's SNAP installed, then its own log — starts a standalone
// server that serves both the standalone and the ensemble writes.
func TestStandaloneDataDirJoinsEnsemble(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3})
	sa := e.standaloneCfg(1, "snapCount=40\n")
	e.startStandalone(1, sa)
	c := connect(t, []string{e.addr(1)})
	createN(t, c, "/s", 150)
	c.Close()
	if out, errOut, code := e.zabd("stop", sa); code != 0 {
		t.Fatalf("zabd stop %s: exit %d\n%s%s", sa, code, out, errOut)
	}
	out, errOut, code := e.zabd("purge", "-n", "3", sa)
	if code != 0 || !strings.Contains(out, "txn log purged before") {
		t.Fatalf("zabd purge: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("zabd purge: %s", strings.TrimSpace(out))

	// Server 1 first, so that the others hear its vote before they could
	// elect each other.
	e.start(1)
	e.eventually(10*time.Second, "server 1 LOOKING", func() bool { return e.grepLog(1, "ensemble member") > 0 })
	e.start(2)
	e.start(3)
	if leader := e.waitSettled(30*time.Second, e.ids...); leader != 1 {
		t.Fatalf("server %d leads; want server 1, which holds the data", leader)
	}
	for _, id := range []int{2, 3} {
		if line := fmt.Sprintf("synchronising learner\" myid=1 sid=%d mode=SNAP", id); e.grepLog(1, line) == 0 {
			t.Errorf("the leader's log lacks %q", line)
		}
	}
	for _, id := range e.ids {
		e.checkN(id, "/s", 150)
	}
	c = connect(t, e.addrs(e.ids...))
	createN(t, c, "/e", 60)
	c.Close()
	for _, id := range e.ids {
		e.checkN(id, "/e", 60)
	}
	for _, id := range e.ids {
		e.stop(id)
	}

	// A follower's dataDir, standalone.
	sa2 := e.standaloneCfg(2, "")
	out, errOut, code = e.zabd("snapshot-export", sa2, filepath.Join(e.dir, "export2"))
	if code != 0 || !strings.Contains(out, "snapshot.") {
		t.Errorf("zabd snapshot-export of server 2's dataDir: exit %d\n%s%s", code, out, errOut)
	}
	e.startStandalone(2, sa2)
	e.checkN(2, "/s", 150)
	e.checkN(2, "/e", 60)
	if l := e.lastLogLine(2, "loaded snapshot"); l == "" {
		t.Errorf("standalone server 2 loaded no snapshot:\n%s", l)
	}
	if out, errOut, code := e.zabd("stop", sa2); code != 0 {
		t.Errorf("zabd stop %s: exit %d\n%s%s", sa2, code, out, errOut)
	}
}

// TestZooKeeperDataDirJoinsEnsemble: an Apache ZooKeeper 3.8 dataDir
// (version-2/snapshot.* and log.*, persistence/zkfiles/testdata) is
// imported by server 1 of an ensemble on its first start; server 1 leads
// and the others get the data by SNAP.
func TestZooKeeperDataDirJoinsEnsemble(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3})
	if err := os.CopyFS(filepath.Join(e.data(1), "version-2"), os.DirFS("../persistence/zkfiles/testdata/zk380/version-2")); err != nil {
		t.Fatal(err)
	}
	e.start(1)
	e.eventually(10*time.Second, "server 1 LOOKING", func() bool { return e.grepLog(1, "ensemble member") > 0 })
	if l := e.lastLogLine(1, "imported Apache ZooKeeper data"); !strings.Contains(l, "zxid=0xb") {
		t.Fatalf("server 1 did not import version-2: %q", l)
	}
	e.start(2)
	e.start(3)
	if leader := e.waitSettled(30*time.Second, e.ids...); leader != 1 {
		t.Fatalf("server %d leads; want server 1, which holds the data", leader)
	}
	for _, id := range e.ids {
		c := connect(t, []string{e.addr(id)})
		if _, err := c.Sync("/a"); err != nil {
			t.Fatalf("server %d: sync: %v", id, err)
		}
		data, st, err := c.Get("/a")
		if err != nil || string(data) != "hello2" || st.Version != 1 || st.Czxid != 2 || st.Mzxid != 5 {
			t.Errorf("server %d: /a = %q %+v, %v; want hello2 at version 1, czxid 2, mzxid 5", id, data, st, err)
		}
		kids, _, err := c.Children("/")
		slices.Sort(kids)
		if err != nil || !slices.Contains(kids, "secret") || slices.Contains(kids, "e") {
			t.Errorf("server %d: / has %v, %v; want /secret and no /e", id, kids, err)
		}
		c.Close()
	}
	// The import is a snapshot like any other: a restart (its output file
	// starts afresh) loads it and imports nothing.
	e.stop(1)
	e.start(1)
	e.waitSettled(30*time.Second, e.ids...)
	if n := e.grepLog(1, "imported Apache ZooKeeper data"); n != 0 {
		t.Errorf("server 1 imported again at restart")
	}
	if e.grepLog(1, `"loaded the data tree" myid=1 snapshot=0xb `) == 0 {
		t.Errorf("server 1 restarted without its imported snapshot: %q", e.lastLogLine(1, "loaded the data tree"))
	}
	for _, id := range e.ids {
		e.stop(id)
	}
}
