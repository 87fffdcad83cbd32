package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/persistence/zkfiles"
	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
)

// logBuf collects a server's log lines for assertions. Safe for concurrent
// use.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the log lines holding every one of subs.
func (l *logBuf) lines(subs ...string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		ok := line != ""
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// newTestLog returns a logger into a new logBuf, printed if t fails.
func newTestLog(t testing.TB) (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("ZABD_TEST_LOG") != "" {
			t.Logf("server log:\n%s", lb.String())
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// storeConfig is the config of an in-process server whose store and
// snapshots live in dir.
func storeConfig(t testing.TB, dir string) *config.Config {
	cfg := config.Default()
	cfg.DataDir, cfg.DataLogDir = dir, dir
	cfg.ClientPort = freePort(t)
	cfg.ClientPortAddress = "127.0.0.1"
	cfg.TickTime = 100 * time.Millisecond
	cfg.MinSessionTimeout = 200 * time.Millisecond
	cfg.MaxSessionTimeout = 20 * time.Second
	cfg.FourLetterWords = map[string]bool{"*": true}
	cfg.ForceSync = false // a clean Close syncs; the crash test runs with fsync
	return cfg
}

// openStoreServer opens the data of cfg and builds a server over it,
// recovering as start-up does. Close it with closeServer or run it with
// serve.
func openStoreServer(cfg *config.Config, log *slog.Logger) (*Server, error) {
	store, snaps, err := OpenData(cfg, log)
	if err != nil {
		return nil, err
	}
	s, err := New(cfg, log, &storeLog{store: store, log: store.Log(), snaps: snaps})
	if err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

func mustOpenStoreServer(t testing.TB, cfg *config.Config, log *slog.Logger) *Server {
	t.Helper()
	s, err := openStoreServer(cfg, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// closeServer closes a server that was never served.
func closeServer(t testing.TB, s *Server) {
	t.Helper()
	if err := s.txnlog.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// serve runs s until stop is called (or the test ends) and returns its
// address once it accepts connections.
func serve(t testing.TB, s *Server) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.cfg.ClientPort))
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr, stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sl2 returns the store log of a store-backed server.
func sl2(s *Server) *storeLog { return s.txnlog.(*snapLog).storeLog }

// snapshotterOf returns the snapshot goroutine of a store-backed server.
func snapshotterOf(t testing.TB, s *Server) *snapshotter {
	t.Helper()
	sl, ok := s.txnlog.(*snapLog)
	if !ok {
		t.Fatalf("server log is %T, want *snapLog", s.txnlog)
	}
	return sl.sn
}

// nodeDump is one znode as a test compares it.
type nodeDump struct {
	Data     string
	ACL      []zkproto.ACL
	Stat     zkproto.StatPersisted
	Children []string
}

// dumpTree returns every znode of tr, and the ephemerals by session.
func dumpTree(tr *datatree.Tree) (map[string]nodeDump, map[int64][]string) {
	tr.RLock()
	defer tr.RUnlock()
	out := map[string]nodeDump{}
	var walk func(p string)
	walk = func(p string) {
		n := tr.Get(p)
		if n == nil {
			return
		}
		kids := datatree.Children(n)
		out[p] = nodeDump{Data: string(n.Data), ACL: n.ACL, Stat: n.Stat, Children: kids}
		for _, k := range kids {
			walk(datatree.Join(p, k))
		}
	}
	walk("/")
	return out, tr.EphemeralSessions()
}

// diffTrees reports how got differs from want.
func diffTrees(t testing.TB, what string, got, want *datatree.Tree) {
	t.Helper()
	g, ge := dumpTree(got)
	w, we := dumpTree(want)
	var paths []string
	for p := range g {
		paths = append(paths, p)
	}
	for p := range w {
		if _, ok := g[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	n := 0
	for _, p := range paths {
		if !reflect.DeepEqual(g[p], w[p]) {
			if n++; n <= 5 {
				t.Errorf("%s: node %s = %+v, want %+v", what, p, g[p], w[p])
			}
		}
	}
	if n > 5 {
		t.Errorf("%s: %d nodes differ in all", what, n)
	}
	if !reflect.DeepEqual(ge, we) {
		t.Errorf("%s: ephemerals = %v, want %v", what, ge, we)
	}
	if got.LastZxid() != want.LastZxid() {
		t.Errorf("%s: last zxid %#x, want %#x", what, got.LastZxid(), want.LastZxid())
	}
}

// replayAll rebuilds the tree of a stopped server's store from the whole
// log, ignoring snapshots.
func replayAll(t testing.TB, dir string) (*datatree.Tree, map[int64]int32) {
	t.Helper()
	store, err := persistence.Open(persistence.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tree, sessions := datatree.New(), map[int64]int32{}
	err = store.Log().Iterate(0, func(zxid int64, data []byte) error {
		hdr, txn, err := decodeLogged(data)
		if err != nil {
			return err
		}
		applyRecovered(tree, sessions, &hdr, txn)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree, sessions
}

// writeLoad runs a mix of writes through c: creates (persistent,
// sequential, ephemeral, with data and without), setData, setACL, deletes
// and multis under prefix.
func writeLoad(t testing.TB, c *zk.Conn, prefix string, rounds int) {
	t.Helper()
	open := zk.WorldACL(zk.PermAll)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("writeLoad: %v", err)
		}
	}
	_, err := c.Create(prefix, []byte("root of "+prefix), 0, open)
	must(err)
	for i := range rounds {
		p := fmt.Sprintf("%s/n%03d", prefix, i)
		_, err := c.Create(p, []byte(strings.Repeat("d", i%50)), 0, open)
		must(err)
		_, err = c.Create(p+"/seq-", nil, zk.FlagSequence, open)
		must(err)
		_, err = c.Set(p, []byte(fmt.Sprintf("v%d", i)), 0)
		must(err)
		if i%3 == 0 {
			_, err = c.Create(p+"/eph", []byte("e"), zk.FlagEphemeral, open)
			must(err)
		}
		if i%4 == 1 {
			_, err = c.SetACL(p, zk.WorldACL(zk.PermRead|zk.PermWrite|zk.PermCreate|zk.PermDelete), -1)
			must(err)
		}
		if i%5 == 2 {
			kids, _, err := c.Children(p)
			must(err)
			for _, k := range kids {
				must(c.Delete(p+"/"+k, -1))
			}
			must(c.Delete(p, -1))
		}
		if i%7 == 3 {
			_, err = c.Multi(
				&zk.CreateRequest{Path: p + "-m", Data: []byte("m"), Acl: open},
				&zk.SetDataRequest{Path: p + "-m", Data: []byte("mm"), Version: 0},
			)
			must(err)
		}
		if i%11 == 5 {
			// A failed write still takes a zxid (an error txn).
			if _, err := c.Create(prefix, nil, 0, open); !errors.Is(err, zk.ErrNodeExists) {
				t.Fatalf("create existing = %v", err)
			}
		}
	}
}

// TestRecoveryFromSnapshotAndLog checks that a server restarted from its
// newest snapshot plus the log after it has exactly the tree (every stat)
// and sessions of a replay of the whole log, and that it did use a snapshot.
func TestRecoveryFromSnapshotAndLog(t *testing.T) {
	dir := t.TempDir()
	log, lb := newTestLog(t)
	cfg := storeConfig(t, dir)
	cfg.SnapCount = 40 // a snapshot every 20-40 txns
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 10*time.Second)
	writeLoad(t, c, "/r", 30)
	if _, err := snapshotterOf(t, s).take(); err != nil {
		t.Fatal(err)
	}
	writeLoad(t, c, "/s", 30)
	stop()
	if n := len(lb.lines("snapshot taken")); n < 2 {
		t.Fatalf("%d snapshots taken, want several", n)
	}
	want, wantSessions := replayAll(t, dir)

	log2, lb2 := newTestLog(t)
	s2 := mustOpenStoreServer(t, cfg, log2)
	defer closeServer(t, s2)
	loaded := sl2(s2).recovered.snap
	if len(lb2.lines("loaded snapshot")) != 1 || loaded == nil || loaded.Zxid == 0 {
		t.Fatalf("no snapshot loaded:\n%s", lb2)
	}
	// Unless the newest snapshot holds the last txn, the log after it is
	// replayed.
	replayed := lb2.lines("replayed txn log", fmt.Sprintf("from=%#x ", loaded.Zxid))
	if want.LastZxid() > loaded.Zxid && len(replayed) != 1 {
		t.Errorf("no replay from the snapshot's zxid %#x:\n%s", loaded.Zxid, lb2)
	}
	diffTrees(t, "recovered", s2.tree, want)
	if got := s2.sessions.Snapshot(); !reflect.DeepEqual(got, wantSessions) {
		t.Errorf("sessions = %v, want %v", got, wantSessions)
	}
}

// flipPayloadByte flips one byte in the middle of a snapshot file.
func flipPayloadByte(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x5a
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRecoveryFallsBackFromCorruptSnapshot damages the newest snapshot (a
// flipped byte, then a torn file): start-up says which one it skipped and
// why, loads the previous one and still ends with the full tree.
func TestRecoveryFallsBackFromCorruptSnapshot(t *testing.T) {
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	cfg.SnapCount = 40
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 10*time.Second)
	// Snapshots come every 20-40 txns unless the previous one is still
	// being written; take three for certain.
	for _, prefix := range []string{"/f", "/g", "/h"} {
		writeLoad(t, c, prefix, 15)
		if _, err := snapshotterOf(t, s).take(); err != nil {
			t.Fatal(err)
		}
	}
	writeLoad(t, c, "/i", 5)
	stop()
	want, _ := replayAll(t, dir)
	snaps, err := snapshot.OpenDir(filepath.Join(dir, snapshot.SubDir))
	if err != nil {
		t.Fatal(err)
	}
	metas, err := snaps.List()
	if err != nil || len(metas) < 3 {
		t.Fatalf("List = %d snapshots, %v; want at least 3", len(metas), err)
	}
	newest, previous := metas[0], metas[1]

	flipPayloadByte(t, newest.Path)
	log2, lb2 := newTestLog(t)
	s2 := mustOpenStoreServer(t, cfg, log2)
	skipped := lb2.lines("skipping corrupt snapshot", filepath.Base(newest.Path))
	loaded := lb2.lines("loaded snapshot", filepath.Base(previous.Path))
	if len(skipped) != 1 || len(loaded) != 1 {
		t.Errorf("log does not say that %s was skipped and %s loaded:\n%s",
			filepath.Base(newest.Path), filepath.Base(previous.Path), lb2)
	}
	diffTrees(t, "after a flipped byte", s2.tree, want)
	closeServer(t, s2)

	// A torn file (its footer gone) is caught by List before it is read.
	// Start-up also took a fresh snapshot of the recovered tree; tear every
	// snapshot newer than previous.
	metas, _ = snaps.List()
	var torn []string
	for _, m := range metas {
		if m.Zxid > previous.Zxid {
			if err := os.Truncate(m.Path, m.Size/2); err != nil {
				t.Fatal(err)
			}
			torn = append(torn, filepath.Base(m.Path))
		}
	}
	log3, lb3 := newTestLog(t)
	s3 := mustOpenStoreServer(t, cfg, log3)
	defer closeServer(t, s3)
	for _, name := range torn {
		if len(lb3.lines("skipping damaged snapshot", name)) != 1 {
			t.Errorf("log does not say that torn %s was skipped:\n%s", name, lb3)
		}
	}
	if len(lb3.lines("loaded snapshot", filepath.Base(previous.Path))) != 1 {
		t.Errorf("log does not say %s was loaded:\n%s", filepath.Base(previous.Path), lb3)
	}
	diffTrees(t, "after torn snapshots", s3.tree, want)
}

// corruptLogEntry flips a byte in the value of the log entry that is
// fromEnd entries before the last (0: the last one), bypassing the log's
// checksum, and returns its zxid.
func corruptLogEntry(t testing.TB, dir string, fromEnd int) int64 {
	t.Helper()
	store, err := persistence.Open(persistence.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var key, val []byte
	err = store.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{txnlog.Prefix}, Reverse: true})
		defer it.Close()
		it.Seek([]byte{txnlog.Prefix, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		for i := 0; i < fromEnd && it.Valid(); i++ {
			it.Next()
		}
		if !it.Valid() {
			return errors.New("no such entry")
		}
		key = it.Item().KeyCopy(nil)
		var err error
		val, err = it.Item().ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	val[len(val)-1] ^= 0x20
	if err := store.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }); err != nil {
		t.Fatal(err)
	}
	z, err := strconv.ParseUint(fmt.Sprintf("%x", key[1:]), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return int64(z)
}

// TestRecoveryCutsCorruptLastLogRecord flips a byte in the last log record:
// start-up cuts it off, says so, never applies it, and the server goes on
// from the record before it. A corrupt record with good ones after it stops
// start-up instead.
func TestRecoveryCutsCorruptLastLogRecord(t *testing.T) {
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 10*time.Second)
	open := zk.WorldACL(zk.PermAll)
	for i := range 5 {
		if _, err := c.Create(fmt.Sprintf("/k%d", i), []byte{byte(i)}, 0, open); err != nil {
			t.Fatal(err)
		}
	}
	last, _, err := c.Get("/k4")
	if err != nil || !bytes.Equal(last, []byte{4}) {
		t.Fatal(err)
	}
	_, st4, _ := c.Exists("/k4")
	stop()

	bad := corruptLogEntry(t, dir, 0)
	if bad != st4.Czxid {
		t.Fatalf("corrupted zxid %#x, want the last create %#x", bad, st4.Czxid)
	}
	log2, lb2 := newTestLog(t)
	cfg.ClientPort = freePort(t)
	s2 := mustOpenStoreServer(t, cfg, log2)
	cut := lb2.lines("cutting off corrupt last txn log record", fmt.Sprintf("zxid=%#x", bad))
	if len(cut) != 1 || !strings.Contains(cut[0], fmt.Sprintf("lastGoodZxid=%#x", bad-1)) {
		t.Errorf("log does not report cutting %#x after %#x:\n%s", bad, bad-1, lb2)
	}
	if s2.tree.Get("/k4") != nil || s2.tree.Get("/k3") == nil || s2.tree.LastZxid() != bad-1 {
		t.Errorf("after the cut: /k4 %v, /k3 %v, last zxid %#x; want /k4 gone, /k3 there, %#x",
			s2.tree.Get("/k4"), s2.tree.Get("/k3"), s2.tree.LastZxid(), bad-1)
	}
	addr2, stop2 := serve(t, s2)
	c2, _ := connect(t, addr2, 10*time.Second)
	if _, err := c2.Create("/after", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	_, st, err := c2.Exists("/after")
	if err != nil || st.Czxid <= bad-1 {
		t.Errorf("write after the cut: czxid %#x, %v", st.Czxid, err)
	}
	c2.Close()
	stop2()

	// A second start is clean.
	log3, lb3 := newTestLog(t)
	s3 := mustOpenStoreServer(t, cfg, log3)
	if got := lb3.lines("corrupt"); len(got) != 0 {
		t.Errorf("second start still reports corruption: %q", got)
	}
	if s3.tree.Get("/after") == nil {
		t.Error("/after lost")
	}
	closeServer(t, s3)

	// Corruption with good records after it is not a torn tail. (Remove the
	// snapshots that would let recovery start after it.)
	mid := corruptLogEntry(t, dir, 2)
	snaps, err := snapshot.OpenDir(filepath.Join(dir, snapshot.SubDir))
	if err != nil {
		t.Fatal(err)
	}
	metas, err := snaps.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range metas {
		if m.Zxid >= mid {
			if err := snaps.Remove(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	log4, _ := newTestLog(t)
	if s4, err := openStoreServer(cfg, log4); err == nil {
		closeServer(t, s4)
		t.Fatalf("start-up with record %#x corrupt in the middle succeeded", mid)
	} else if !strings.Contains(err.Error(), "refusing to start") || !errors.Is(err, persistence.ErrCorrupt) {
		t.Errorf("start-up error = %v", err)
	}
}

// TestSessionsSurviveRestart restarts a server under two sessions: the one
// whose client reconnects within its timeout keeps its id and ephemeral;
// the one whose client is gone expires after its timeout, taking its
// ephemeral with it (ZooKeeper re-adds sessions on load with their timeout).
func TestSessionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 4*time.Second)
	sid := c.SessionID()
	if _, err := c.Create("/stay", []byte("s"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	gone := dialRaw(t, addr, 1000)
	if rh, _ := gone.call(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: "/go", ACL: zkproto.OpenACLUnsafe, Flags: zkproto.ModeEphemeral}); rh.Err != zkproto.Ok {
		t.Fatalf("create /go: %v", rh.Err)
	}
	gone.nc.Close()
	stop()

	log2, _ := newTestLog(t)
	s2 := mustOpenStoreServer(t, cfg, log2) // same port: the client finds it again
	if sess, ok := s2.sessions.Get(sid); !ok || sess.Timeout != 4000 {
		t.Errorf("session %#x after restart: %+v %v, want timeout 4000", sid, sess, ok)
	}
	if sess, ok := s2.sessions.Get(gone.id); !ok || sess.Timeout != 1000 {
		t.Errorf("session %#x after restart: %+v %v, want timeout 1000", gone.id, sess, ok)
	}
	serve(t, s2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s2.tree.RLock()
		goneNode, stay := s2.tree.Get("/go"), s2.tree.Get("/stay")
		s2.tree.RUnlock()
		if goneNode == nil && stay != nil && c.State() == zk.StateHasSession {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: /go %v, /stay %v, client state %v", goneNode, stay, c.State())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.SessionID() != sid {
		t.Errorf("client session %#x, want %#x", c.SessionID(), sid)
	}
	if _, st, err := c.Get("/stay"); err != nil || st.EphemeralOwner != sid {
		t.Errorf("get /stay = %+v, %v", st, err)
	}
	if _, ok := s2.sessions.Get(gone.id); ok {
		t.Errorf("session %#x still open", gone.id)
	}
}

// TestImportLeavesExistingStore checks that a zabd store is never replaced
// by version-2 files found next to it.
func TestImportLeavesExistingStore(t *testing.T) {
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 10*time.Second)
	if _, err := c.Create("/mine", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	stop()
	copyDir(t, "../persistence/zkfiles/testdata/zk380/version-2", filepath.Join(dir, "version-2"))
	log2, lb2 := newTestLog(t)
	s2 := mustOpenStoreServer(t, cfg, log2)
	defer closeServer(t, s2)
	if len(lb2.lines("imported")) != 0 || s2.tree.Get("/mine") == nil || s2.tree.Get("/a") != nil {
		t.Errorf("existing store replaced by an import:\n%s", lb2)
	}
}

// TestImportGoldenZooKeeperDir imports the dataDir that ZooKeeper 3.8.0 wrote
// in persistence/zkfiles/testdata (snapshot.b holds everything; log.1 is
// before it) and, with snapshot.b damaged, rebuilds the same tree from
// snapshot.0 plus log.1.
func TestImportGoldenZooKeeperDir(t *testing.T) {
	var trees []*datatree.Tree
	for _, damage := range []bool{false, true} {
		dir := t.TempDir()
		copyDir(t, "../persistence/zkfiles/testdata/zk380/version-2", filepath.Join(dir, "version-2"))
		if damage {
			flipPayloadByte(t, filepath.Join(dir, "version-2", "snapshot.b"))
		}
		log, lb := newTestLog(t)
		cfg := storeConfig(t, dir)
		s := mustOpenStoreServer(t, cfg, log)
		imported := lb.lines("imported Apache ZooKeeper data")
		if len(imported) != 1 {
			t.Fatalf("damage %v: no import logged:\n%s", damage, lb)
		}
		wantFrom := "snapshotZxid=0xb"
		if damage {
			wantFrom = "snapshotZxid=0x0"
			if len(lb.lines("skipping ZooKeeper snapshot", "snapshot.b")) != 1 {
				t.Errorf("damaged snapshot.b not reported:\n%s", lb)
			}
		}
		if !strings.Contains(imported[0], wantFrom) || !strings.Contains(imported[0], "zxid=0xb") {
			t.Errorf("damage %v: import line %q, want %s and zxid=0xb", damage, imported[0], wantFrom)
		}
		trees = append(trees, s.tree)
		// The ZooKeeper session was closed (zxid 0xb): no sessions, no /e.
		if s.sessions.Len() != 0 || s.tree.Get("/e") != nil {
			t.Errorf("damage %v: sessions %v, /e %v", damage, s.sessions.Snapshot(), s.tree.Get("/e"))
		}
		n := s.tree.Get("/a")
		if n == nil || string(n.Data) != "hello2" || n.Stat.Version != 1 || n.Stat.Czxid != 2 || n.Stat.Mzxid != 5 || n.Stat.Pzxid != 9 {
			t.Errorf("damage %v: /a = %+v", damage, n)
		}
		if sec := s.tree.Get("/secret"); sec == nil || len(sec.ACL) != 1 || sec.ACL[0].ID.Scheme != "digest" {
			t.Errorf("damage %v: /secret = %+v", damage, sec)
		}
		closeServer(t, s)
		// The next start loads zabd's own snapshot and imports nothing.
		log2, lb2 := newTestLog(t)
		s2 := mustOpenStoreServer(t, cfg, log2)
		if len(lb2.lines("imported")) != 0 || len(lb2.lines("loaded snapshot", "zxid=0xb")) != 1 {
			t.Errorf("damage %v: second start:\n%s", damage, lb2)
		}
		diffTrees(t, "second start", s2.tree, s.tree)
		closeServer(t, s2)
	}
	diffTrees(t, "snapshot.0 + log.1 against snapshot.b", trees[1], trees[0])
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Apache ZooKeeper, as the Debian package installs it, for the import and
// export tests.
var zkClassPath = []string{
	"/usr/share/java/zookeeper.jar",
	"/usr/share/java/slf4j-log4j12.jar",
	"/usr/share/java/log4j-1.2.jar",
}

// zkProc is a real ZooKeeper server started by a test.
type zkProc struct {
	addr string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// requireZooKeeper skips t under -short or without Java and ZooKeeper.
func requireZooKeeper(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real Apache ZooKeeper (a JVM, several seconds); skipped under -short")
	}
	for _, jar := range zkClassPath {
		if _, err := os.Stat(jar); err != nil {
			t.Skipf("Apache ZooKeeper is not installed (make deps): %v", err)
		}
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no java on PATH")
	}
}

// startZooKeeper runs ZooKeeperServerMain on dataDir (zoo.cfg and the log
// go next to it) with extra zoo.cfg lines, and waits until a session opens.
// The process is killed when the test ends.
func startZooKeeper(t *testing.T, dataDir, extra string) *zkProc {
	t.Helper()
	home := filepath.Dir(dataDir)
	port := freePort(t)
	p := &zkProc{addr: fmt.Sprintf("127.0.0.1:%d", port), log: filepath.Join(home, "zookeeper.log"), done: make(chan struct{})}
	cfg := filepath.Join(home, "zoo.cfg")
	conf := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n%s", dataDir, port, extra)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	props := filepath.Join(home, "log4j.properties")
	if err := os.WriteFile(props, []byte("log4j.rootLogger=INFO, F\nlog4j.appender.F=org.apache.log4j.FileAppender\n"+
		"log4j.appender.F.File="+p.log+"\nlog4j.appender.F.layout=org.apache.log4j.PatternLayout\n"+
		"log4j.appender.F.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(home, "zookeeper.out"))
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Djava.net.preferIPv4Stack=true", "-Dlog4j.configuration=file:"+props,
		"-Dzookeeper.preAllocSize=16",
		"-cp", strings.Join(zkClassPath, ":"), "org.apache.zookeeper.server.ZooKeeperServerMain", cfg)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		out.Close()
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			if b, err := os.ReadFile(p.log); err == nil {
				t.Logf("zookeeper log %s (tail):\n%s", p.log, tail(string(b), 30))
			}
		}
	})
	c, ev, err := zk.Connect([]string{p.addr}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return p
			}
		case <-p.done:
			t.Fatalf("zookeeper exited before serving; see %s", p.log)
		case <-deadline:
			t.Fatalf("zookeeper on %s did not open a session within 60 s; see %s", p.addr, p.log)
		}
	}
}

// kill stops the server with SIGKILL and waits for it.
func (p *zkProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// dial opens a session on addr with the test's digest credentials.
func dial(t *testing.T, addr string, timeout time.Duration) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				if err := c.AddAuth("digest", []byte("u:p")); err != nil {
					t.Fatal(err)
				}
				return c
			}
		case <-deadline:
			t.Fatalf("no session on %s", addr)
		}
	}
}

// loadKnownTree writes the tree the import and export tests compare: data
// of every size (none, empty, 200 KB), versions, ACLs (world, read-only,
// digest, changed by setACL), sequential names with gaps, a container, an
// ephemeral of c's session, a multi and deleted nodes.
func loadKnownTree(t *testing.T, c *zk.Conn) {
	t.Helper()
	open := zk.WorldACL(zk.PermAll)
	steps := []func() error{
		func() error { _, err := c.Create("/app", []byte("app"), 0, open); return err },
		func() error { _, err := c.Create("/app/config", bytes.Repeat([]byte("c"), 1024), 0, open); return err },
		func() error { _, err := c.Set("/app/config", []byte("v1"), 0); return err },
		func() error { _, err := c.Set("/app/config", []byte("v2"), 1); return err },
		func() error { _, err := c.Set("/app/config", []byte("v3"), 2); return err },
		func() error { _, err := c.CreateContainer("/app/locks", nil, zk.FlagContainer, open); return err },
		func() error {
			_, err := c.Create("/app/locks/l-", []byte("me"), zk.FlagEphemeral|zk.FlagSequence, open)
			return err
		},
		func() error {
			_, err := c.Create("/secure", []byte("secret"), 0, zk.DigestACL(zk.PermAll, "u", "p"))
			return err
		},
		func() error { _, err := c.Create("/readonly", []byte("ro"), 0, zk.WorldACL(zk.PermRead)); return err },
		func() error { _, err := c.Create("/acl", nil, 0, open); return err },
		func() error {
			_, err := c.SetACL("/acl", append(zk.WorldACL(zk.PermRead), zk.DigestACL(zk.PermAll, "u", "p")...), 0)
			return err
		},
		func() error { _, err := c.Create("/empty", []byte{}, 0, open); return err },
		func() error {
			_, err := c.Create("/big", bytes.Repeat([]byte("0123456789"), 20000), 0, open)
			return err
		},
		func() error { _, err := c.Create("/tmp", nil, 0, open); return err },
		func() error { return c.Delete("/tmp", 0) },
		func() error {
			_, err := c.Multi(&zk.CreateRequest{Path: "/multi1", Data: []byte("1"), Acl: open},
				&zk.CreateRequest{Path: "/multi2", Data: []byte("2"), Acl: open},
				&zk.SetDataRequest{Path: "/multi1", Data: []byte("1b"), Version: 0})
			return err
		},
		func() error { _, err := c.Create("/seq", nil, 0, open); return err },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("loadKnownTree step %d: %v", i, err)
		}
	}
	for i := range 5 {
		if _, err := c.Create("/seq/s-", []byte{byte(i)}, zk.FlagSequence, open); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/seq/s-0000000001", "/seq/s-0000000003"} {
		if err := c.Delete(p, -1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Create("/bulk", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		p := fmt.Sprintf("/bulk/n%02d", i)
		if _, err := c.Create(p, []byte(p), 0, open); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := c.Set(p, []byte(p+"!"), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// answer is what a client reads of one znode.
type answer struct {
	Data     string
	Stat     zk.Stat
	ACL      []zk.ACL
	ACLStat  zk.Stat
	Children []string
}

// readAnswers reads getData, getACL and getChildren of every znode.
func readAnswers(t *testing.T, c *zk.Conn) map[string]answer {
	t.Helper()
	out := map[string]answer{}
	var walk func(p string)
	walk = func(p string) {
		data, st, err := c.Get(p)
		if err != nil {
			t.Fatalf("get %s: %v", p, err)
		}
		acl, ast, err := c.GetACL(p)
		if err != nil {
			t.Fatalf("getACL %s: %v", p, err)
		}
		kids, _, err := c.Children(p)
		if err != nil {
			t.Fatalf("getChildren %s: %v", p, err)
		}
		sort.Strings(kids)
		out[p] = answer{Data: string(data), Stat: *st, ACL: acl, ACLStat: *ast, Children: kids}
		for _, k := range kids {
			walk(datatree.Join(p, k))
		}
	}
	walk("/")
	return out
}

// diffAnswers reports how got differs from want.
func diffAnswers(t *testing.T, what string, got, want map[string]answer) {
	t.Helper()
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	n := 0
	for _, p := range paths {
		g, w := got[p], want[p]
		if !reflect.DeepEqual(g, w) {
			if len(g.Data) > 64 {
				g.Data = g.Data[:64] + "..."
			}
			if len(w.Data) > 64 {
				w.Data = w.Data[:64] + "..."
			}
			if n++; n <= 8 {
				t.Errorf("%s: %s = %+v\nwant %+v", what, p, g, w)
			}
		}
	}
	if n > 8 {
		t.Errorf("%s: %d znodes differ in all", what, n)
	}
	if len(want) < 50 {
		t.Errorf("%s: only %d znodes compared", what, len(want))
	}
}

// TestImportFromZooKeeper starts Apache ZooKeeper 3.8 (snapCount=10, so that
// its data spans several snapshots and log files), loads the known tree,
// kills it with a session still open, and starts zabd on its dataDir: zabd
// imports the data and answers getData, stat, getACL and getChildren for
// every znode exactly as ZooKeeper did. With ZooKeeper's newest snapshot
// damaged, zabd falls back to an older one plus the logs and answers the
// same.
func TestImportFromZooKeeper(t *testing.T) {
	requireZooKeeper(t)
	home := t.TempDir()
	dataDir := filepath.Join(home, "data")
	zkp := startZooKeeper(t, dataDir, "snapCount=10\n")
	loader := dial(t, zkp.addr, 20*time.Second)
	loadKnownTree(t, loader)
	want := readAnswers(t, dial(t, zkp.addr, 10*time.Second))
	sid := loader.SessionID()
	zkp.kill()
	loader.Close()

	snaps, err := os.ReadDir(filepath.Join(dataDir, "version-2"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range snaps {
		names = append(names, e.Name())
	}
	t.Logf("ZooKeeper left %v", names)

	for _, damage := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "data")
		copyDir(t, filepath.Join(dataDir, "version-2"), filepath.Join(dir, "version-2"))
		newest := ""
		if damage {
			fs, err := zkfilesSnapshots(filepath.Join(dir, "version-2"))
			if err != nil || len(fs) < 2 {
				t.Fatalf("ZooKeeper wrote %d snapshots (%v); want 2 or more", len(fs), err)
			}
			newest = filepath.Base(fs[0])
			flipPayloadByte(t, fs[0])
		}
		log, lb := newTestLog(t)
		cfg := storeConfig(t, dir)
		s := mustOpenStoreServer(t, cfg, log)
		if len(lb.lines("imported Apache ZooKeeper data")) != 1 {
			t.Fatalf("no import logged:\n%s", lb)
		}
		if damage && len(lb.lines("skipping ZooKeeper snapshot", newest)) != 1 {
			t.Errorf("damaged %s not reported:\n%s", newest, lb)
		}
		if sess, ok := s.sessions.Get(sid); !ok || sess.Timeout != 20000 {
			t.Errorf("imported session %#x = %+v, %v; want timeout 20000", sid, sess, ok)
		}
		addr, stop := serve(t, s)
		got := readAnswers(t, dial(t, addr, 10*time.Second))
		stop()
		diffAnswers(t, fmt.Sprintf("zabd (damaged newest snapshot %v) vs ZooKeeper", damage), got, want)
	}
}

// zkfilesSnapshots lists ZooKeeper snapshot paths, newest first.
func zkfilesSnapshots(dir string) ([]string, error) {
	fs, err := zkfiles.Snapshots(dir)
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out, err
}

// crashState is what the crash test knows of one znode: the state of the
// last acknowledged write, and of a write in flight at the kill, which may
// or may not have been applied.
type crashState struct {
	exists  bool
	version int32
	data    string
}

// crashWorker owns a set of znodes and writes them one at a time, so that
// each znode has at most one write in flight.
type crashWorker struct {
	paths []string
	acked map[string]crashState
	// maybe is the write in flight when the connection broke.
	maybePath string
	maybe     crashState
	acks      int
}

// run writes until an error (the server was killed) or stop, recording
// acknowledgements.
func (w *crashWorker) run(c *zk.Conn, round int, seed uint64, stop <-chan struct{}) error {
	rng := rand.New(rand.NewPCG(seed, uint64(round)))
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return nil
		default:
		}
		p := w.paths[rng.IntN(len(w.paths))]
		cur := w.acked[p]
		data := fmt.Sprintf("r%d-s%d-%s", round, seq, strings.Repeat("x", rng.IntN(200)))
		next := crashState{exists: true, data: data}
		var err error
		if !cur.exists {
			next.version = 0
			w.maybePath, w.maybe = p, next
			_, err = c.Create(p, []byte(data), 0, zk.WorldACL(zk.PermAll))
		} else {
			next.version = cur.version + 1
			w.maybePath, w.maybe = p, next
			_, err = c.Set(p, []byte(data), cur.version)
		}
		if err != nil {
			if errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) {
				return fmt.Errorf("%s: %v: the model and the server disagree", p, err)
			}
			return nil // killed: the write in flight may or may not be there
		}
		w.acked[p] = next
		w.maybePath = ""
		w.acks++
	}
}

// check compares the restarted server with the model and adopts the write
// in flight if it was applied.
func (w *crashWorker) check(c *zk.Conn) error {
	for _, p := range w.paths {
		want := w.acked[p]
		data, st, err := c.Get(p)
		got := crashState{}
		switch {
		case errors.Is(err, zk.ErrNoNode):
		case err != nil:
			return fmt.Errorf("get %s: %w", p, err)
		default:
			got = crashState{exists: true, version: st.Version, data: string(data)}
		}
		if got == want {
			continue
		}
		if p == w.maybePath && got == w.maybe {
			w.acked[p] = got // the write in flight was applied, unacknowledged
			continue
		}
		return fmt.Errorf("%s = %+v, want the acknowledged %+v (in flight: %q %+v)", p, got, want, w.maybePath, w.maybe)
	}
	w.maybePath = ""
	return nil
}

// buildZabd builds ./cmd/zabd into dir.
func buildZabd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "zabd")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/zabd/zabd/cmd/zabd").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/zabd: %v\n%s", err, out)
	}
	return bin
}

// TestCrashKill9 is issue 3's crash test: a real zabd process (fsync on,
// snapCount 300, so that kills also land on snapshots being written) takes
// concurrent creates and conditional sets from 8 clients, each owning its
// znodes; it is killed with SIGKILL at a random moment, 20 times. After each
// restart every acknowledged write is there with its data and version, and
// every znode is in its acknowledged state or in the state of the one write
// that was in flight on it: the tree equals a replay of the acknowledged
// history.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/zabd and kills it 20 times with SIGKILL (about a minute); skipped under -short")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	home := t.TempDir()
	bin := buildZabd(t, home)
	dataDir := filepath.Join(home, "data")
	port := freePort(t)
	cfgPath := filepath.Join(home, "zoo.cfg")
	cfg := fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
		"snapCount=300\nadmin.enableServer=false\nforceSync=yes\n", dataDir, port)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	const workers, pathsPerWorker, rounds = 8, 12, 20
	ws := make([]*crashWorker, workers)
	for i := range ws {
		ws[i] = &crashWorker{acked: map[string]crashState{}}
		for k := range pathsPerWorker {
			ws[i].paths = append(ws[i].paths, fmt.Sprintf("/w%d-k%02d", i, k))
		}
	}
	var logs []string
	start := func(round int) (*exec.Cmd, chan struct{}) {
		logPath := filepath.Join(home, fmt.Sprintf("zabd-%02d.log", round))
		logs = append(logs, logPath)
		out, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "start-foreground", cfgPath)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); out.Close(); close(done) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-done })
		return cmd, done
	}
	t.Cleanup(func() {
		if t.Failed() && len(logs) > 0 {
			b, _ := os.ReadFile(logs[len(logs)-1])
			t.Logf("last zabd log %s:\n%s", logs[len(logs)-1], tail(string(b), 40))
		}
	})
	session := func(done chan struct{}) *zk.Conn {
		c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.After(30 * time.Second)
		for {
			select {
			case e := <-ev:
				if e.State == zk.StateHasSession {
					return c
				}
			case <-done:
				c.Close()
				t.Fatal("zabd exited before serving")
			case <-deadline:
				c.Close()
				t.Fatal("no session within 30 s")
			}
		}
	}

	began := time.Now()
	totalAcks, recoveredFromSnapshot := 0, 0
	for round := 0; round <= rounds; round++ {
		cmd, done := start(round)
		check := session(done)
		for _, w := range ws {
			if err := w.check(check); err != nil {
				t.Fatalf("after kill %d: %v", round, err)
			}
		}
		check.Close()
		if round > 0 {
			b, _ := os.ReadFile(logs[round])
			if strings.Contains(string(b), "loaded snapshot") {
				recoveredFromSnapshot++
			}
		}
		if round == rounds {
			cmd.Process.Kill()
			<-done
			break
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		conns := make([]*zk.Conn, workers)
		for i, w := range ws {
			conns[i] = session(done)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := w.run(conns[i], round, seed+uint64(i), stop); err != nil {
					errs <- err
				}
			}()
		}
		time.Sleep(time.Duration(150+rng.IntN(900)) * time.Millisecond)
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-done
		close(stop)
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
		select {
		case err := <-errs:
			t.Fatalf("round %d: %v", round, err)
		default:
		}
	}
	for _, w := range ws {
		totalAcks += w.acks
	}
	t.Logf("%d kills, %d acknowledged writes, %d restarts recovered from a snapshot, %v",
		rounds, totalAcks, recoveredFromSnapshot, time.Since(began).Round(time.Millisecond))
	if totalAcks < 1000 || recoveredFromSnapshot < rounds/2 {
		t.Errorf("weak run: %d acknowledged writes, %d restarts from a snapshot", totalAcks, recoveredFromSnapshot)
	}
}

// TestRecoveryFromEarlierEnsembleLayout starts a standalone server on a
// dataDir as an ensemble member of an earlier zabd left it: snapshots in
// dataDir/zabd-quorum, the log holding the txns after quorumLogBase (the
// newest snapshot's zxid), and an install mark under its old name for a
// snapshot that was never stored. The server loads the same tree and
// sessions as a replay of the whole log, and the layout is the current one
// afterwards.
func TestRecoveryFromEarlierEnsembleLayout(t *testing.T) {
	dir := t.TempDir()
	log, _ := newTestLog(t)
	cfg := storeConfig(t, dir)
	cfg.SnapCount = 1 << 20 // snapshots only when asked
	s := mustOpenStoreServer(t, cfg, log)
	addr, stop := serve(t, s)
	c, _ := connect(t, addr, 10*time.Second)
	writeLoad(t, c, "/r", 20)
	m, err := snapshotterOf(t, s).take()
	if err != nil || m.Zxid == 0 {
		t.Fatalf("take = %+v, %v", m, err)
	}
	writeLoad(t, c, "/s", 20)
	stop()
	want, wantSessions := replayAll(t, dir)

	// The earlier ensemble layout.
	store, err := persistence.Open(persistence.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		store.Log().PurgeBefore(m.Zxid + 1),
		store.SetMetaZxid("quorumLogBase", m.Zxid),
		store.SetMetaZxid("quorumSnapInstalling", want.LastZxid()+100),
		store.DeleteMeta(persistence.MetaPurgedBefore),
		store.Close(),
		os.Rename(filepath.Join(dir, snapshot.SubDir), filepath.Join(dir, "zabd-quorum")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}

	log2, lb2 := newTestLog(t)
	s2 := mustOpenStoreServer(t, cfg, log2)
	defer closeServer(t, s2)
	if loaded := sl2(s2).recovered.snap; loaded == nil || loaded.Zxid != m.Zxid {
		t.Fatalf("loaded snapshot %+v, want %#x:\n%s", loaded, m.Zxid, lb2)
	}
	diffTrees(t, "recovered", s2.tree, want)
	if got := s2.sessions.Snapshot(); !reflect.DeepEqual(got, wantSessions) {
		t.Errorf("sessions = %v, want %v", got, wantSessions)
	}
	if len(lb2.lines("moved the snapshots of an earlier ensemble layout", "snapshots=1")) != 1 ||
		len(lb2.lines("completed an interrupted snapshot install", "snapshotStored=false")) != 1 {
		t.Errorf("migration not logged:\n%s", lb2)
	}
	if _, err := os.Stat(filepath.Join(dir, "zabd-quorum")); !os.IsNotExist(err) {
		t.Errorf("zabd-quorum left: %v", err)
	}
	if p, err := sl2(s2).store.PurgedBefore(); p != m.Zxid+1 || err != nil {
		t.Errorf("PurgedBefore = %#x, %v; want %#x", p, err, m.Zxid+1)
	}
}
