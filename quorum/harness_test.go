package quorum_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this package's *_process_test.go files run zabd as real
// processes: they build ./cmd/zabd once, write zooN.cfg files on loopback
// ports chosen at run time, and drive the servers with `zabd start`,
// `zabd status`, `zabd stop` and kill -9. They are skipped under -short.

var (
	buildOnce sync.Once
	zabdBin   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// zabdBinary builds cmd/zabd once per test binary.
func zabdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "zabd-quorum-bin-")
		if buildErr != nil {
			return
		}
		zabdBin = filepath.Join(binDir, "zabd")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		args := []string{"build", "-o", zabdBin}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.CommandContext(ctx, "go", append(args, "github.com/zabd/zabd/cmd/zabd")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/zabd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return zabdBin
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts zabd processes on loopback ports; skipped under -short")
	}
}

// ensemble is a set of zabd processes sharing server.N lines.
type ensemble struct {
	t        *testing.T
	bin      string
	dir      string
	ids      []int
	observer map[int]bool
	client   map[int]int
	admin    map[int]int // AdminServer ports, when ensembleOpts.admin
	env      []string
	tickTime time.Duration
	initLim  int
	lab      *netLab // servers in network namespaces, or nil: loopback
}

// ensembleOpts shape the zooN.cfg files.
type ensembleOpts struct {
	voters, observers int
	tickTime          time.Duration
	initLimit         int
	syncLimit         int
	env               []string // extra environment of every server
	extra             string   // extra zoo.cfg lines
	lab               *netLab  // run server i in lab's namespace i, at lab.addr(i)
	admin             bool     // run each server's AdminServer on a port of its own (not with lab)
}

// newEnsemble writes zooN.cfg and dataN/myid for servers 1..voters (the
// participants) and voters+1.. (observers, with peerType=observer), on
// ports picked now, and registers a cleanup that stops every server and
// shows the logs of a failed test.
func newEnsemble(t *testing.T, o ensembleOpts) *ensemble {
	t.Helper()
	if o.tickTime == 0 {
		o.tickTime = 500 * time.Millisecond
	}
	if o.initLimit == 0 {
		o.initLimit = 10
	}
	if o.syncLimit == 0 {
		o.syncLimit = 5
	}
	e := &ensemble{
		t: t, bin: zabdBinary(t), dir: t.TempDir(), observer: map[int]bool{}, client: map[int]int{},
		admin: map[int]int{}, env: o.env, tickTime: o.tickTime, initLim: o.initLimit,
	}
	e.lab = o.lab
	var ports []int
	if o.lab == nil {
		ports = freePorts(t, 3*(o.voters+o.observers))
		if o.admin {
			for i, p := range freePorts(t, o.voters+o.observers) {
				e.admin[i+1] = p
			}
		}
	} else {
		// Each server has an address of its own: ZooKeeper's usual ports.
		for range o.voters + o.observers {
			ports = append(ports, 2181, 2888, 3888)
		}
	}
	var lines strings.Builder
	for i := 1; i <= o.voters+o.observers; i++ {
		e.ids = append(e.ids, i)
		e.client[i] = ports[3*(i-1)]
		fmt.Fprintf(&lines, "server.%d=%s:%d:%d", i, e.host(i), ports[3*(i-1)+1], ports[3*(i-1)+2])
		if i > o.voters {
			e.observer[i] = true
			lines.WriteString(":observer")
		}
		lines.WriteString("\n")
	}
	for _, i := range e.ids {
		data := filepath.Join(e.dir, fmt.Sprintf("data%d", i))
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		adminCfg := "admin.enableServer=false\n"
		if p, ok := e.admin[i]; ok {
			adminCfg = fmt.Sprintf("admin.enableServer=true\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=%d\n", p)
		}
		cfg := fmt.Sprintf("tickTime=%d\ninitLimit=%d\nsyncLimit=%d\ndataDir=%s\nclientPort=%d\n"+
			"%s4lw.commands.whitelist=*\n",
			o.tickTime.Milliseconds(), o.initLimit, o.syncLimit, data, e.client[i], adminCfg)
		if e.observer[i] {
			cfg += "peerType=observer\n"
		}
		cfg += o.extra + lines.String()
		if err := os.WriteFile(e.cfg(i), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.cleanup)
	return e
}

func (e *ensemble) cfg(id int) string  { return filepath.Join(e.dir, fmt.Sprintf("zoo%d.cfg", id)) }
func (e *ensemble) data(id int) string { return filepath.Join(e.dir, fmt.Sprintf("data%d", id)) }
func (e *ensemble) addr(id int) string {
	return net.JoinHostPort(e.host(id), strconv.Itoa(e.client[id]))
}
func (e *ensemble) host(id int) string {
	if e.lab != nil {
		return e.lab.addr(id)
	}
	return "127.0.0.1"
}
func (e *ensemble) logFile(id int) string { return filepath.Join(e.data(id), "zabd.out") }
func (e *ensemble) pidFile(id int) string { return filepath.Join(e.data(id), "zookeeper_server.pid") }
func (e *ensemble) connectString() string {
	var a []string
	for _, id := range e.ids {
		a = append(a, e.addr(id))
	}
	return strings.Join(a, ",")
}

// zabd runs the binary with args and returns stdout, stderr and the exit code.
func (e *ensemble) zabd(args ...string) (string, string, int) {
	e.t.Helper()
	return e.zabdIn(0, args...)
}

// zabdIn runs the binary in server id's network namespace, if it has one.
func (e *ensemble) zabdIn(id int, args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	name := e.bin
	if e.lab != nil && id != 0 {
		args = append([]string{"netns", "exec", e.lab.ns(id), e.bin}, args...)
		name = "ip"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = e.dir
	cmd.Env = append(append(os.Environ(), "ZOOCFG=", "ZOOCFGDIR=", "ZOOPIDFILE=", "ZOO_LOG_DIR="), e.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		e.t.Fatalf("zabd %q: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// start runs `zabd start zooN.cfg`.
func (e *ensemble) start(id int) {
	e.t.Helper()
	out, errOut, code := e.zabdIn(id, "start", e.cfg(id))
	if code != 0 || !strings.Contains(out, "STARTED") {
		e.t.Fatalf("zabd start zoo%d.cfg: exit %d\n%s%s", id, code, out, errOut)
	}
}

// stop runs `zabd stop zooN.cfg`.
func (e *ensemble) stop(id int) {
	e.t.Helper()
	if out, errOut, code := e.zabd("stop", e.cfg(id)); code != 0 {
		e.t.Errorf("zabd stop zoo%d.cfg: exit %d\n%s%s", id, code, out, errOut)
	}
}

// kill sends SIGKILL to server id and waits for it to be gone.
func (e *ensemble) kill(id int) {
	e.t.Helper()
	pid := e.pid(id)
	if pid <= 0 {
		e.t.Fatalf("server %d has no pid file", id)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		e.t.Fatalf("kill -9 %d: %v", pid, err)
	}
	e.eventually(10*time.Second, fmt.Sprintf("server %d (pid %d) exits", id, pid), func() bool {
		return syscall.Kill(pid, 0) != nil
	})
	_ = os.Remove(e.pidFile(id))
}

func (e *ensemble) pid(id int) int {
	b, err := os.ReadFile(e.pidFile(id))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// cleanup stops every server still running and, if the test failed, logs
// the tail of each server's output.
func (e *ensemble) cleanup() {
	for _, id := range e.ids {
		if pid := e.pid(id); pid > 0 && syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, id := range e.ids {
		if n := e.grepLog(id, "WARNING: DATA RACE"); n > 0 {
			e.t.Errorf("server %d reported %d data races", id, n)
		}
	}
	if e.t.Failed() {
		for _, id := range e.ids {
			b, _ := os.ReadFile(e.logFile(id))
			lines := strings.Split(string(b), "\n")
			if len(lines) > 80 {
				lines = lines[len(lines)-80:]
			}
			e.t.Logf("server %d log (tail):\n%s", id, strings.Join(lines, "\n"))
		}
	}
}

// mode asks server id with srvr and returns its Mode ("" if unreachable).
func (e *ensemble) mode(id int) string {
	out, err := fourLetter(e.addr(id), "srvr")
	if err != nil {
		return ""
	}
	m := regexp.MustCompile(`(?m)^Mode: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// leader polls until exactly one of ids says leader and the others say
// follower or observer, and returns the leader.
func (e *ensemble) waitSettled(d time.Duration, ids ...int) int {
	e.t.Helper()
	var leader int
	var last []string
	e.eventually(d, "one leader, the rest following", func() bool {
		leader, last = 0, nil
		for _, id := range ids {
			m := e.mode(id)
			last = append(last, fmt.Sprintf("%d=%s", id, m))
			want := "follower"
			if e.observer[id] {
				want = "observer"
			}
			switch {
			case m == "leader" && leader == 0 && !e.observer[id]:
				leader = id
			case m != want:
				return false
			}
		}
		return leader != 0
	})
	e.t.Logf("settled: %v", last)
	return leader
}

// eventually polls cond every 20 ms until it holds or d passes.
func (e *ensemble) eventually(d time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// grepLog counts the lines of server id's output that contain s.
func (e *ensemble) grepLog(id int, s string) int {
	b, _ := os.ReadFile(e.logFile(id))
	return strings.Count(string(b), s)
}

// lastLogLine returns the last line of server id's output containing s.
func (e *ensemble) lastLogLine(id int, s string) string {
	b, _ := os.ReadFile(e.logFile(id))
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}

func fourLetter(addr, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// freePorts returns n distinct loopback ports nothing listens on (just now).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return ports
}
