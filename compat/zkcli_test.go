package compat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// zkCliTimeout bounds one zkCli.sh run (a JVM start, a connect, one
// command); it normally takes about a second.
const zkCliTimeout = 90 * time.Second

// zkCliSteps are the zkCli.sh commands run, in order, against each server,
// one JVM per command as `zkCli.sh -waitforconnection -timeout 40000
// -server ADDR CMD...`.
//
// NB: zkCli.sh run with a command exits without closing its session, so an
// ephemeral it creates lives on for the session timeout (40 s here, 30 s by
// default) after the JVM is gone. The ephemerals below sit in /zc/eph,
// which is read at once and then removed with deleteall, so no step depends
// on when they expire.
var zkCliSteps = [][]string{
	{"create", "/zc", "x"},
	{"create", "/zc/p"},
	{"create", "-s", "/zc/p/s", "sdata"},
	{"create", "-s", "/zc/p/s"},
	{"create", "-c", "/zc/c"},
	{"create", "/zc/c/kid", "k"},
	{"create", "-t", "600000", "/zc/t", "tdata"},
	{"create", "/zc/eph"},
	{"create", "-e", "/zc/eph/e", "edata"},
	{"create", "-e", "-s", "/zc/eph/es"},
	{"stat", "/zc/eph/e"},
	{"ls", "-s", "/zc/eph"},
	{"create", "/zc/eph/e/x"},
	{"getEphemerals", "/zc"},
	{"deleteall", "/zc/eph"},
	{"create", "/zc", "again"},
	{"create", "/zc/none/x"},
	{"ls", "/zc"},
	{"ls", "-s", "/zc/p"},
	{"ls", "-R", "/zc"},
	{"ls", "/zc/none"},
	{"get", "/zc"},
	{"get", "-s", "/zc"},
	{"get", "-w", "/zc/p"},
	{"get", "/zc/none"},
	{"set", "/zc", "y"},
	{"set", "-s", "/zc", "y2"},
	{"set", "-v", "1", "/zc", "z"},
	{"set", "-v", "2", "/zc", "z"},
	{"stat", "/zc"},
	{"stat", "/zc/t"},
	{"stat", "/zc/c"},
	{"getAcl", "/zc"},
	{"delete", "/zc/p"},
	{"delete", "-v", "3", "/zc/c/kid"},
	{"delete", "/zc/none"},
	{"getAllChildrenNumber", "/zc"},
	{"getAllChildrenNumber", "/zc/none"},
	{"getEphemerals"},
	{"sync", "/zc"},
	{"deleteall", "/zc/p"},
	{"ls", "/zookeeper"},
	{"get", "-s", "/zookeeper/config"},
	{"stat", "/zookeeper/quota"},
	{"deleteall", "/zc"},
	{"ls", "/zc"},
}

// TestZkCli runs the stock zkCli.sh against ZooKeeper and the target and
// compares the normalised output (stdout, stderr and exit status) of each
// command.
func TestZkCli(t *testing.T) {
	skipShort(t)
	t.Parallel()
	if _, err := os.Stat(zkCliPath); err != nil {
		t.Fatalf("zkCli.sh is not installed (run `make deps`): %v", err)
	}
	oracle, target := startPair(t)
	var want, got []string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); want = runZkCli(oracle.addr) }()
	go func() { defer wg.Done(); got = runZkCli(target.addr) }()
	wg.Wait()
	for i, step := range zkCliSteps {
		t.Run(fmt.Sprintf("%02d_%s", i+1, strings.Join(step, "_")), func(t *testing.T) {
			if d := compareTranscripts(oracle.label, want[i], target.label, got[i]); d != "" {
				t.Error(d)
			}
		})
	}
	// Guard the harness: these ZooKeeper outputs are known.
	for i, frag := range map[int]string{
		0:  "err: Created /zc",
		2:  "err: Created /zc/p/s0000000000",
		3:  "err: Created /zc/p/s0000000001",
		12: "err: Ephemerals cannot have children: /zc/eph/e/x",
		15: "err: Node already exists: /zc",
		27: "err: version No is not valid : /zc",
	} {
		if !strings.Contains(want[i], frag) {
			t.Errorf("zkCli step %d %v on ZooKeeper: output lacks %q:\n%s", i+1, zkCliSteps[i], frag, want[i])
		}
	}
	if testing.Verbose() && os.Getenv("ZABD_COMPAT_SHOW") != "" {
		t.Logf("ZooKeeper's zkCli transcript:\n%s", strings.Join(want, ""))
	}
	checkAlive(t, oracle, target)
}

// runZkCli runs every step against addr and returns each step's normalised
// transcript. One normaliser spans all steps, so zxids and session ids are
// numbered across the whole run.
func runZkCli(addr string) []string {
	tr := newTranscript()
	out := make([]string, len(zkCliSteps))
	for i, step := range zkCliSteps {
		out[i] = zkCli(tr, addr, step)
	}
	return out
}

// zkCli runs one command and returns its normalised transcript.
func zkCli(tr *transcript, addr string, args []string) string {
	ctx, cancel := context.WithTimeout(context.Background(), zkCliTimeout)
	defer cancel()
	// -timeout 40000: the longest session the servers grant (20 ticks), so
	// that the ephemerals of an exited zkCli outlive the steps reading them.
	cmd := exec.CommandContext(ctx, zkCliPath, append([]string{"-waitforconnection", "-timeout", "40000", "-server", addr}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "CLIENT_JVMFLAGS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx128m")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	status := "0"
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = strconv.Itoa(ee.ExitCode())
	case err != nil:
		status = err.Error()
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "$ zkCli %s\nexit %s\n", strings.Join(args, " "), status)
	for _, l := range cliLines(normalizeZkCliOut(stdout.String(), addr)) {
		sb.WriteString("out: " + normalizeZkCliLine(tr, l) + "\n")
	}
	for _, l := range cliLines(stderr.String()) {
		if strings.HasPrefix(l, "SLF4J:") {
			continue // no slf4j binding on zkEnv.sh's class path
		}
		sb.WriteString("err: " + normalizeZkCliLine(tr, l) + "\n")
	}
	return sb.String()
}

// normalizeZkCliOut removes the connection preamble that zkCli prints to
// stdout before running the command. With -waitforconnection it always
// comes first: the watcher prints the event before releasing the latch.
func normalizeZkCliOut(s, addr string) string {
	preamble := "Connecting to " + addr + "\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
	if strings.HasPrefix(s, preamble) {
		return s[len(preamble):]
	}
	return strings.ReplaceAll(s, addr, "ADDR")
}

func cliLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

var (
	cliZxidRe  = regexp.MustCompile(`^(cZxid|mZxid|pZxid) = (0x[0-9a-f]+)$`)
	cliTimeRe  = regexp.MustCompile(`^(ctime|mtime) = (.*)$`)
	cliOwnerRe = regexp.MustCompile(`^ephemeralOwner = (0x[0-9a-f]+)$`)
)

// normalizeZkCliLine rewrites zxids, times and session ids in one line of
// zkCli's Stat printout.
func normalizeZkCliLine(tr *transcript, l string) string {
	if m := cliZxidRe.FindStringSubmatch(l); m != nil {
		return m[1] + " = " + tr.zxid(parseHex(m[2]))
	}
	if m := cliTimeRe.FindStringSubmatch(l); m != nil {
		if m[2] == "Thu Jan 01 00:00:00 UTC 1970" {
			return m[1] + " = 0"
		}
		return m[1] + " = t"
	}
	if m := cliOwnerRe.FindStringSubmatch(l); m != nil {
		return "ephemeralOwner = " + tr.session(parseHex(m[1]))
	}
	return l
}

func parseHex(s string) int64 {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	if err != nil {
		return -1
	}
	return int64(v)
}
