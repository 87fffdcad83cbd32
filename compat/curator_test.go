package compat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The Curator tests compile testdata/curator/CuratorCheck.java against the
// Debian libcurator-*-java jars (Curator 5.4) and run its recipes, in
// separate JVMs where they contend, against ZooKeeper (which validates the
// program and the assertions) and against the target, with the same
// assertions on both.

var curatorJars = []string{
	javaShare + "/curator-recipes.jar", // its manifest names the framework, client, guava, zookeeper jars
	javaShare + "/curator-framework.jar",
	javaShare + "/curator-client.jar",
	javaShare + "/zookeeper.jar",
	javaShare + "/slf4j-nop.jar", // keep Curator and ZooKeeper quiet
}

// curatorRunTimeout bounds one JVM of CuratorCheck.
const curatorRunTimeout = 3 * time.Minute

var (
	curatorOnce    sync.Once
	curatorClasses string // directory holding the compiled classes
	curatorErr     error
)

// compileCurator compiles CuratorCheck once per test binary.
func compileCurator(t *testing.T) string {
	t.Helper()
	curatorOnce.Do(func() {
		for _, j := range curatorJars {
			if _, err := os.Stat(j); err != nil {
				curatorErr = fmt.Errorf("Curator is not installed (run `make deps` for libcurator-recipes-java): %w", err)
				return
			}
		}
		dir, err := os.MkdirTemp("", "zabd-compat-curator-")
		if err != nil {
			curatorErr = err
			return
		}
		src, err := filepath.Abs(filepath.Join("testdata", "curator", "CuratorCheck.java"))
		if err != nil {
			curatorErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), curatorRunTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "javac", "-d", dir, "-cp", strings.Join(curatorJars, ":"), src)
		if out, err := cmd.CombinedOutput(); err != nil {
			curatorErr = fmt.Errorf("javac CuratorCheck.java: %v\n%s", err, out)
			return
		}
		curatorClasses = dir
	})
	if curatorErr != nil {
		t.Fatal(curatorErr)
	}
	return curatorClasses
}

// curatorCmd returns the command running one CuratorCheck mode.
func curatorCmd(ctx context.Context, classes string, args ...string) *exec.Cmd {
	cp := classes + ":" + strings.Join(curatorJars, ":")
	all := append([]string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx128m",
		"-Djava.net.preferIPv4Stack=true", "-cp", cp, "CuratorCheck"}, args...)
	cmd := exec.CommandContext(ctx, "java", all...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// runCurator runs CuratorCheck to the end and returns its stdout lines.
func runCurator(t *testing.T, classes string, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), curatorRunTimeout)
	defer cancel()
	cmd := curatorCmd(ctx, classes, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("CuratorCheck %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return cliLines(stdout.String())
}

// runCuratorParallel runs several CuratorCheck processes at once and
// returns each one's stdout lines.
func runCuratorParallel(t *testing.T, classes string, argss ...[]string) [][]string {
	t.Helper()
	out := make([][]string, len(argss))
	errs := make([]error, len(argss))
	var wg sync.WaitGroup
	for i, args := range argss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), curatorRunTimeout)
			defer cancel()
			cmd := curatorCmd(ctx, classes, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("CuratorCheck %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
			}
			out[i] = cliLines(stdout.String())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// curatorProc is a CuratorCheck process whose stdout is read line by line.
type curatorProc struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	lines  chan string
	stderr bytes.Buffer
	done   chan struct{} // closed when stdout is drained

	waitOnce sync.Once
	waitErr  error
}

// wait waits for the process to exit and returns its status.
func (p *curatorProc) wait() error {
	<-p.done
	p.waitOnce.Do(func() { p.waitErr = p.cmd.Wait() })
	return p.waitErr
}

func startCurator(t *testing.T, classes string, args ...string) *curatorProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), curatorRunTimeout)
	p := &curatorProc{cmd: curatorCmd(ctx, classes, args...), cancel: cancel, lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		cancel()
		// The process may have been killed on purpose; its status is moot.
		if err := p.wait(); err != nil && testing.Verbose() {
			t.Logf("CuratorCheck %s: %v", strings.Join(args, " "), err)
		}
	})
	return p
}

// expect waits for a line starting with prefix and returns it.
func (p *curatorProc) expect(t *testing.T, prefix string, d time.Duration) string {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("CuratorCheck ended before %q; stderr:\n%s", prefix, p.stderr.String())
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timer.C:
			t.Fatalf("no %q from CuratorCheck within %v", prefix, d)
		}
	}
}

// micros returns the timestamp field (microseconds) of a "word ID T ..."
// line.
func micros(t *testing.T, line string) int64 {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 3 {
		t.Fatalf("line %q has no timestamp", line)
	}
	v, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return v
}

func findLine(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestCurator runs the recipes against ZooKeeper and the target.
func TestCurator(t *testing.T) {
	skipShort(t)
	t.Parallel()
	classes := compileCurator(t)
	oracle, target := startPair(t)
	for _, s := range []*server{oracle, target} {
		t.Run(s.label, func(t *testing.T) {
			t.Parallel()
			t.Run("InterProcessMutex", func(t *testing.T) { curatorMutex(t, classes, s.addr) })
			t.Run("LeaderLatch_close", func(t *testing.T) { curatorLeaderClose(t, classes, s.addr) })
			t.Run("LeaderLatch_kill", func(t *testing.T) { curatorLeaderKill(t, classes, s.addr) })
			t.Run("DistributedAtomicLong", func(t *testing.T) { curatorCounter(t, classes, s.addr) })
			t.Run("CuratorCache_TreeCache", func(t *testing.T) { curatorCache(t, classes, s.addr) })
			t.Run("DistributedQueue", func(t *testing.T) { curatorQueue(t, classes, s.addr) })
		})
	}
	t.Cleanup(func() { checkAlive(t, oracle, target) })
}

// curatorMutex: two JVMs take an InterProcessMutex 15 times each; inside,
// each appends "enter" then "exit" to one file. Never both inside: in file
// order every enter is followed by the same process's exit, and no enter is
// earlier than the exit before it.
func curatorMutex(t *testing.T, classes, addr string) {
	const rounds = 15
	log := filepath.Join(t.TempDir(), "mutex.log")
	runCuratorParallel(t, classes,
		[]string{"mutex", addr, "/curator/mutex", log, "A", strconv.Itoa(rounds)},
		[]string{"mutex", addr, "/curator/mutex", log, "B", strconv.Itoa(rounds)})
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := cliLines(string(b))
	if len(lines) != 4*rounds {
		t.Fatalf("mutex log has %d lines, want %d:\n%s", len(lines), 4*rounds, b)
	}
	var lastExit int64
	count := map[string]int{}
	for i := 0; i < len(lines); i += 2 {
		enter, exit := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if enter[0] != "enter" || exit[0] != "exit" || enter[1] != exit[1] {
			t.Fatalf("lines %d-%d %q, %q: not one holder's enter and exit; both were inside:\n%s", i+1, i+2, lines[i], lines[i+1], b)
		}
		in, out := micros(t, lines[i]), micros(t, lines[i+1])
		if in < lastExit || out < in {
			t.Fatalf("line %d %q enters before the previous holder left (%d):\n%s", i+1, lines[i], lastExit, b)
		}
		lastExit = out
		count[enter[1]]++
	}
	if count["A"] != rounds || count["B"] != rounds {
		t.Errorf("acquisitions = %v, want %d each", count, rounds)
	}
	// Contention, not turns taken by chance: each holder's lock node must
	// have been released and the other's granted in between at least once.
	switches := 0
	for i := 2; i < len(lines); i += 2 {
		if strings.Fields(lines[i])[1] != strings.Fields(lines[i-2])[1] {
			switches++
		}
	}
	if switches == 0 {
		t.Errorf("one process held the lock %d times in a row, then the other: no contention seen", rounds)
	}
}

// curatorLeaderClose: two JVMs run a LeaderLatch on one path; the first
// leader holds for 3 s and closes its latch; the other, already waiting,
// must take over, and never while the first leads.
func curatorLeaderClose(t *testing.T, classes, addr string) {
	outs := runCuratorParallel(t, classes,
		[]string{"leader", addr, "/curator/leader", "A", "3000"},
		[]string{"leader", addr, "/curator/leader", "B", "3000"})
	type term struct {
		id                     string
		started, leader, quits int64
	}
	var terms []term
	for i, id := range []string{"A", "B"} {
		s, l, r := findLine(outs[i], "started "), findLine(outs[i], "leader "), findLine(outs[i], "resign ")
		if s == "" || l == "" || r == "" {
			t.Fatalf("%s printed %q: no started/leader/resign", id, outs[i])
		}
		terms = append(terms, term{id, micros(t, s), micros(t, l), micros(t, r)})
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].leader < terms[j].leader })
	first, second := terms[0], terms[1]
	if second.started > first.quits {
		t.Fatalf("%s started only after %s resigned; no failover was tested", second.id, first.id)
	}
	if second.leader < first.quits {
		t.Errorf("%s led from %d while %s led until %d: two leaders", second.id, second.leader, first.id, first.quits)
	}
	if gap := time.Duration(second.leader-first.quits) * time.Microsecond; gap > 10*time.Second {
		t.Errorf("%s took over %v after %s resigned", second.id, gap, first.id)
	}
}

// curatorLeaderKill: the leader's JVM is killed (no close); the waiting
// JVM must take over once the leader's session expires and its ephemeral
// latch node goes.
func curatorLeaderKill(t *testing.T, classes, addr string) {
	a := startCurator(t, classes, "leader", addr, "/curator/leader-kill", "A", "600000")
	a.expect(t, "leader A", time.Minute)
	b := startCurator(t, classes, "leader", addr, "/curator/leader-kill", "B", "1000")
	b.expect(t, "started B", time.Minute)
	select {
	case l := <-b.lines:
		t.Fatalf("B printed %q while A leads", l)
	case <-time.After(time.Second):
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	l := b.expect(t, "leader B", time.Minute)
	took := time.Since(killed)
	if took > 30*time.Second {
		t.Errorf("B became leader %v after A was killed (session timeout 10 s)", took)
	}
	if !strings.Contains(l, "participants=1") {
		t.Errorf("B leads with %q; A's latch node is still there", l)
	}
	b.expect(t, "resign B", time.Minute)
}

// curatorCounter: two JVMs increment one DistributedAtomicLong 50 times
// each (optimistic setData with version, retried); the result is 100.
func curatorCounter(t *testing.T, classes, addr string) {
	const n = 50
	runCuratorParallel(t, classes,
		[]string{"counter", addr, "/curator/counter", "A", strconv.Itoa(n)},
		[]string{"counter", addr, "/curator/counter", "B", strconv.Itoa(n)})
	out := runCurator(t, classes, "get", addr, "/curator/counter")
	if want := fmt.Sprintf("value %d", 2*n); !slices.Contains(out, want) {
		t.Errorf("counter = %q, want %q", out, want)
	}
}

// curatorCache: CuratorCache and TreeCache see every create, update and
// delete below the path, in order, with the data, and nothing else.
func curatorCache(t *testing.T, classes, addr string) {
	out := runCurator(t, classes, "cache", addr, "/curator/cache")
	p := "/curator/cache"
	want := []string{
		"tree initial NODE_ADDED " + p + " root",
		"initialized 1",
		"curator created " + p + "/a 1",
		"tree NODE_ADDED " + p + "/a 1",
		"curator changed " + p + "/a 1->2",
		"tree NODE_UPDATED " + p + "/a 2",
		"curator created " + p + "/a/b 3",
		"tree NODE_ADDED " + p + "/a/b 3",
		"curator changed " + p + " root->root2",
		"tree NODE_UPDATED " + p + " root2",
		"curator deleted " + p + "/a/b 3",
		"tree NODE_REMOVED " + p + "/a/b 3",
		"curator deleted " + p + "/a 2",
		"tree NODE_REMOVED " + p + "/a 2",
		"cached 1 root2",
	}
	if d := compareTranscripts("want", strings.Join(want, "\n")+"\n", "got", strings.Join(out, "\n")+"\n"); d != "" {
		t.Error(d)
	}
}

// curatorQueue: one JVM consumes a DistributedQueue (with a lock path, so
// an item is removed only after it is consumed) while two JVMs put 15
// items each; every item comes out exactly once.
func curatorQueue(t *testing.T, classes, addr string) {
	const n = 15
	consumer := startCurator(t, classes, "consume", addr, "/curator/queue", strconv.Itoa(2*n))
	consumer.expect(t, "consuming", time.Minute)
	runCuratorParallel(t, classes,
		[]string{"produce", addr, "/curator/queue", "x", strconv.Itoa(n)},
		[]string{"produce", addr, "/curator/queue", "y", strconv.Itoa(n)})
	var got, want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("x-%d", i), fmt.Sprintf("y-%d", i))
	}
	for range 2 * n {
		got = append(got, strings.TrimPrefix(consumer.expect(t, "item ", time.Minute), "item "))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("items out = %v\nwant %v", got, want)
	}
	if err := consumer.wait(); err != nil {
		t.Errorf("consumer: %v\n%s", err, consumer.stderr.String())
	}
}
