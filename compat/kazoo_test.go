package compat

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/kazoo_scenario.golden from ZooKeeper's output")

// kazooTimeout bounds one run of the kazoo script (two session expiries of
// a 4 s session and a few dozen requests).
const kazooTimeout = 3 * time.Minute

// kazooPython returns a python3 that can import kazoo: Debian's
// python3-kazoo installs into /usr/bin/python3's dist-packages, which a
// python3 earlier on PATH (pyenv, venv) may not see.
func kazooPython() (string, error) {
	var lastErr error
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import kazoo").Run(); err != nil {
			lastErr = err
			continue
		}
		return py, nil
	}
	return "", lastErr
}

// TestKazoo runs testdata/kazoo_scenario.py against ZooKeeper and the
// target. ZooKeeper's output must equal the golden file (which pins the
// concrete values: sequential names, event types and paths, session reuse)
// and the target's must equal ZooKeeper's.
func TestKazoo(t *testing.T) {
	skipShort(t)
	t.Parallel()
	py, err := kazooPython()
	if err != nil {
		t.Fatalf("no python3 with kazoo (run `make deps` for python3-kazoo): %v", err)
	}
	oracle, target := startPair(t)
	script := filepath.Join("testdata", "kazoo_scenario.py")
	var want, got string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); want = runKazoo(t, py, script, oracle.addr) }()
	go func() { defer wg.Done(); got = runKazoo(t, py, script, target.addr) }()
	wg.Wait()
	golden := filepath.Join("testdata", "kazoo_scenario.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := compareTranscripts("golden", string(g), oracle.label, want); d != "" {
		t.Errorf("ZooKeeper's kazoo transcript is not the golden one (-update rewrites it): %s", d)
	}
	if d := compareTranscripts(oracle.label, want, target.label, got); d != "" {
		t.Error(d)
	}
	checkAlive(t, oracle, target)
}

// runKazoo runs the script and returns its stdout, with its stderr and exit
// status appended when it failed.
func runKazoo(t *testing.T, py, script, addr string) string {
	ctx, cancel := context.WithTimeout(context.Background(), kazooTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, script, addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + "FAILED: " + err.Error() + "\nstderr:\n" + stderr.String()
	}
	if testing.Verbose() && stderr.Len() > 0 {
		t.Logf("kazoo on %s, stderr:\n%s", addr, stderr.String())
	}
	return stdout.String()
}
