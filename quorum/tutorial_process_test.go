package quorum_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// zkCliPath is the stock ZooKeeper 3.8 client of the Debian package.
const zkCliPath = "/usr/share/zookeeper/bin/zkCli.sh"

// zkCli runs one zkCli.sh command against server (a connect string) and
// returns its output (stdout, then stderr, where zkCli prints some results).
func zkCli(t *testing.T, server string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, zkCliPath, append([]string{"-waitforconnection", "-timeout", "10000", "-server", server}, args...)...)
	cmd.Env = append(os.Environ(), "CLIENT_JVMFLAGS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx128m")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("zkCli.sh -server %s %s: %v\n%s%s", server, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String() + errOut.String()
}

// TestFourNodeTutorial is the README's ensemble tutorial (issue 5): three
// participants and an observer started in the order 2, 3, 4, 1 with
// `zabd start`; `zabd status` shows one leader, two followers and one
// observer; zkCli.sh with the four-server connect string creates a node,
// and every server returns it after sync.
func TestFourNodeTutorial(t *testing.T) {
	skipShort(t)
	if _, err := os.Stat(zkCliPath); err != nil {
		t.Fatalf("zkCli.sh is not installed (run `make deps`): %v", err)
	}
	e := newEnsemble(t, ensembleOpts{voters: 3, observers: 1})
	for _, id := range []int{2, 3, 4, 1} {
		e.start(id)
	}
	e.waitSettled(30*time.Second, 1, 2, 3, 4)

	modes := map[string]int{}
	modeLine := regexp.MustCompile(`(?m)^Mode: (\S+)$`)
	for _, id := range e.ids {
		out, errOut, code := e.zabd("status", e.cfg(id))
		m := modeLine.FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("zabd status zoo%d.cfg: exit %d\n%s%s", id, code, out, errOut)
		}
		modes[m[1]]++
	}
	if modes["leader"] != 1 || modes["follower"] != 2 || modes["observer"] != 1 || len(modes) != 3 {
		t.Fatalf("zabd status modes = %v, want 1 leader, 2 followers, 1 observer", modes)
	}

	if out := zkCli(t, e.connectString(), "create", "/tutorial", "hello"); !strings.Contains(out, "Created /tutorial") {
		t.Fatalf("zkCli create: %s", out)
	}
	for _, id := range e.ids {
		zkCli(t, e.addr(id), "sync", "/tutorial")
		out := zkCli(t, e.addr(id), "get", "/tutorial")
		if !regexp.MustCompile(`(?m)^hello$`).MatchString(out) {
			t.Errorf("zkCli get /tutorial on server %d: %q, want hello", id, out)
		}
	}
	for _, id := range e.ids {
		e.stop(id)
	}
}
