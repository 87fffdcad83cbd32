package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/server/datatree"
)

// zk380 holds files Apache ZooKeeper 3.8.0 wrote (see the zkfiles tests);
// testdata/zk380-*.txt are what its SnapshotFormatter and TxnLogToolkit
// print for them (TZ=UTC).
const zk380 = "../../persistence/zkfiles/testdata/zk380/version-2"

func runTool(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"zabd"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func inUTC(t *testing.T) {
	old := toolZone
	toolZone = time.UTC
	t.Cleanup(func() { toolZone = old })
}

// blocks splits SnapshotFormatter output into its "----"-separated parts;
// the znode parts are compared as a set, since ZooKeeper prints children in
// hash order and zabd in name order.
func blocks(s string) []string {
	parts := strings.Split(s, "----\n")
	slices.Sort(parts)
	return parts
}

func TestSnapshotInspectMatchesSnapshotFormatter(t *testing.T) {
	inUTC(t)
	out, stderr, code := runTool(t, "snapshot-inspect", filepath.Join(zk380, "snapshot.b"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden, err := os.ReadFile("testdata/zk380-snapshot.b.txt")
	if err != nil {
		t.Fatal(err)
	}
	summary := "----\nSummary: 9 znodes (0 ephemeral, 0 containers, 0 TTL), 12 data bytes, 0 sessions\n"
	body, ok := strings.CutSuffix(out, summary)
	if !ok {
		t.Errorf("output does not end with %q:\n%s", summary, out)
	}
	if got, want := blocks(body), blocks(string(golden)); !slices.Equal(got, want) {
		t.Errorf("snapshot-inspect =\n%s\nwant (in any child order)\n%s", body, golden)
	}

	out, _, _ = runTool(t, "snapshot-inspect", "-d", filepath.Join(zk380, "snapshot.b"))
	if !strings.Contains(out, "/a\n") || !strings.Contains(out, "  data = aGVsbG8y\n") {
		t.Errorf("-d does not print /a's data as base64 (aGVsbG8y):\n%s", out)
	}
}

func TestLogInspectMatchesTxnLogToolkit(t *testing.T) {
	inUTC(t)
	for _, arg := range []string{filepath.Join(zk380, "log.1"), zk380, filepath.Dir(zk380)} {
		out, stderr, code := runTool(t, "log-inspect", arg)
		if code != 0 {
			t.Fatalf("log-inspect %s: exit %d: %s", arg, code, stderr)
		}
		golden, err := os.ReadFile("testdata/zk380-log.1.txt")
		if err != nil {
			t.Fatal(err)
		}
		// TxnLogToolkit breaks lines inside ACL lists (jute's toString ends
		// each ACL with a newline) and prints a multi's sub-txns as raw
		// bytes; zabd keeps one line per txn and formats them.
		want := strings.Split(strings.ReplaceAll(string(golden), "\n]", "]"), "\n")
		got := strings.Split(out, "\n")
		if len(got) != len(want) {
			t.Fatalf("log-inspect %s: %d lines, want %d:\n%s", arg, len(got), len(want), out)
		}
		for i := range want {
			w, g := want[i], got[i]
			if head, _, ok := strings.Cut(w, " multi "); ok {
				w = head + " multi create:/m1,1,[31,s{'world,'anyone}],false,4;create:/m2,2,[31,s{'world,'anyone}],false,5"
			}
			if g != w {
				t.Errorf("log-inspect %s line %d = %q, want %q", arg, i+1, g, w)
			}
		}
	}
}

// testStore writes the store of a stopped server under dir: a session and
// creates of /n1 to /n9 (zxids 1 to 10), and snapshots at zxids 2, 4, 6, 8
// and 10. It returns the path of its zoo.cfg.
func testStore(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=2181\n", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	snaps, err := snapshot.OpenDir(filepath.Join(dir, snapshot.SubDir))
	if err != nil {
		t.Fatal(err)
	}
	tree := datatree.New()
	for z := int64(1); z <= 10; z++ {
		hdr := zkproto.TxnHeader{ClientID: 0x77, Cxid: int32(z), Zxid: z, Time: 1700000000000 + z*1000, Type: zkproto.OpCreate}
		var rec jute.Record = &zkproto.CreateTxn{Path: fmt.Sprintf("/n%d", z-1), Data: []byte(fmt.Sprintf("v%d", z)), ACL: zkproto.OpenACLUnsafe, ParentCVersion: int32(z - 1)}
		if z == 1 {
			hdr.Type, rec = zkproto.OpCreateSession, &zkproto.CreateSessionTxn{N: 30000}
		}
		e := jute.Encoder{}
		hdr.Encode(&e)
		rec.Encode(&e)
		if err := store.Log().Append([]txnlog.Entry{{Zxid: z, Data: e.Buf}}); err != nil {
			t.Fatal(err)
		}
		tree.Lock()
		tree.Apply(&hdr, rec)
		tree.Unlock()
		if z%2 == 0 {
			w, err := snaps.Create(z, time.UnixMilli(hdr.Time))
			if err != nil {
				t.Fatal(err)
			}
			tree.RLock()
			err = tree.WriteSnapshot(w, map[int64]int32{0x77: 30000})
			tree.RUnlock()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return cfg
}

func TestLogInspectStore(t *testing.T) {
	inUTC(t)
	dir := t.TempDir()
	testStore(t, dir)
	out, stderr, code := runTool(t, "log-inspect", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"zabd transaction log in " + filepath.Join(dir, "zabd") + ": zxids 0x1 to 0xa",
		"11/14/23, 10:13:21 PM UTC session 0x77 cxid 0x1 zxid 0x1 createSession 30000",
		"11/14/23, 10:13:22 PM UTC session 0x77 cxid 0x2 zxid 0x2 create /n1,v2,[31,s{'world,'anyone}],false,1",
	}
	if len(lines) != 12 || !slices.Equal(lines[:3], want) || lines[11] != "10 txns." {
		t.Errorf("log-inspect =\n%s\nwant 12 lines beginning\n%s", out, strings.Join(want, "\n"))
	}
	// The badger directory itself works too.
	if out2, _, _ := runTool(t, "log-inspect", filepath.Join(dir, "zabd")); out2 != out {
		t.Errorf("log-inspect DIR/zabd =\n%s\nwant\n%s", out2, out)
	}
}

func TestPurgeAndExport(t *testing.T) {
	inUTC(t)
	dir := t.TempDir()
	cfg := testStore(t, dir)
	if _, stderr, code := runTool(t, "purge", "-n", "2", cfg); code == 0 || !strings.Contains(stderr, "keep at least 3") {
		t.Errorf("purge -n 2: exit %d, %q; want a refusal", code, stderr)
	}
	out, stderr, code := runTool(t, "purge", "-n", "3", cfg)
	if code != 0 {
		t.Fatalf("purge: exit %d: %s", code, stderr)
	}
	for _, z := range []int64{2, 4} {
		if !strings.Contains(out, "Removing file: ") || !strings.Contains(out, snapshot.Name(z)) {
			t.Errorf("purge output does not name %s:\n%s", snapshot.Name(z), out)
		}
	}
	if !strings.Contains(out, "kept 3 snapshots (zxids 0x6 to 0xa); removed 2; txn log purged before 0x6") {
		t.Errorf("purge output:\n%s", out)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, snapshot.SubDir))
	if len(ents) != 3 {
		t.Errorf("%d snapshot files left, want 3", len(ents))
	}
	logOut, _, _ := runTool(t, "log-inspect", dir)
	if !strings.HasPrefix(logOut, "zabd transaction log in "+filepath.Join(dir, "zabd")+": zxids 0x6 to 0xa\n") {
		t.Errorf("after purge: %s", logOut)
	}

	exportDir := filepath.Join(t.TempDir(), "zkdata")
	out, stderr, code = runTool(t, "snapshot-export", cfg, exportDir)
	if code != 0 {
		t.Fatalf("snapshot-export: exit %d: %s", code, stderr)
	}
	path := filepath.Join(exportDir, "version-2", "snapshot.a")
	if !strings.Contains(out, "wrote "+path) {
		t.Errorf("snapshot-export output %q, want it to name %s", out, path)
	}
	out, stderr, code = runTool(t, "snapshot-inspect", path)
	if code != 0 {
		t.Fatalf("snapshot-inspect of the export: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"\n/n9\n", "Last zxid: 0xa\n", "0x00000000000077, 30000, 0\n", "Summary: 13 znodes"} {
		if !strings.Contains(out, want) {
			t.Errorf("exported snapshot lacks %q:\n%s", want, out)
		}
	}
}

func TestSnapshotInspectZabdFile(t *testing.T) {
	inUTC(t)
	dir := t.TempDir()
	testStore(t, dir)
	out, stderr, code := runTool(t, "snapshot-inspect", filepath.Join(dir, snapshot.SubDir, snapshot.Name(6)))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"\n/n5\n", "Last zxid: 0x6\n", "zabd snapshot: zxid 0x6, taken 2023-11-14T22:13:26Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("snapshot-inspect lacks %q:\n%s", want, out)
		}
	}
	// A flipped byte is reported, not printed.
	p := filepath.Join(dir, snapshot.SubDir, snapshot.Name(6))
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o644)
	if _, stderr, code := runTool(t, "snapshot-inspect", p); code == 0 || !strings.Contains(stderr, "corrupt") {
		t.Errorf("damaged snapshot: exit %d, %q", code, stderr)
	}
}
