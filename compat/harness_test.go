package compat

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envTarget names the environment variable that picks the server compared
// with ZooKeeper; see the package documentation.
const envTarget = "ZABD_COMPAT_TARGET"

// Target kinds.
const (
	kindZabd      = "zabd"
	kindZooKeeper = "zookeeper"
)

// defaultTarget is the target when envTarget is unset.
const defaultTarget = kindZabd

// Paths of the Debian zookeeper packages. zookeeper.jar's manifest carries
// the rest of the class path; log4j 1.2 and its slf4j binding are added so
// that the server logs to a file of ours (zkEnv.sh's CLASSPATH has no
// binding, so the stock scripts log nothing).
const (
	javaShare = "/usr/share/java"
	zkCliPath = "/usr/share/zookeeper/bin/zkCli.sh"
)

var zkClassPath = []string{
	javaShare + "/zookeeper.jar",
	javaShare + "/slf4j-log4j12.jar",
	javaShare + "/log4j-1.2.jar",
}

// Timing of the servers under test. tickTime is ZooKeeper's default, so the
// negotiated session timeout lies in [2, 20] ticks = [4 s, 40 s].
const (
	tickTimeMs       = 2000
	containerCheckMs = 200
	readyTimeout     = 60 * time.Second
)

var (
	zabdBin      string // built by TestMain when the target is zabd
	zabdBuildErr error
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if !testing.Short() && compatTarget() == kindZabd {
		dir, err := os.MkdirTemp("", "zabd-compat-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "compat:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		zabdBin, zabdBuildErr = buildZabd(filepath.Join(dir, "zabd"))
	}
	return m.Run()
}

// compatTarget returns the kind of server compared with ZooKeeper.
func compatTarget() string {
	switch v := os.Getenv(envTarget); v {
	case "":
		return defaultTarget
	case kindZabd, kindZooKeeper:
		return v
	default:
		fmt.Fprintf(os.Stderr, "compat: %s=%q: want %q or %q; using %q\n", envTarget, v, kindZabd, kindZooKeeper, defaultTarget)
		return defaultTarget
	}
}

// buildZabd builds cmd/zabd into bin with a bounded deadline.
func buildZabd(bin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	goTool := "go"
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		goTool = p
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/zabd/zabd/cmd/zabd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/zabd: %w\n%s", err, out)
	}
	return bin, nil
}

// skipShort skips t under -short with the reason.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("compat starts real ZooKeeper/zabd processes and external clients; skipped under -short")
	}
}

// server is one server process under test, listening on 127.0.0.1.
type server struct {
	kind  string // kindZooKeeper or kindZabd
	label string // "zookeeper" (the oracle) or the target's name
	addr  string // 127.0.0.1:port
	dir   string // holds zoo.cfg, data/ and the log
	log   string // the server's log file

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // the exit status, set before done is closed
}

// startPair starts the oracle (a real ZooKeeper) and the target
// concurrently and registers their cleanup on t.
func startPair(t *testing.T) (oracle, target *server) {
	t.Helper()
	var wg sync.WaitGroup
	var errO, errT error
	wg.Add(2)
	go func() {
		defer wg.Done()
		oracle, errO = startServer(t, kindZooKeeper, "zookeeper")
	}()
	go func() {
		defer wg.Done()
		kind := compatTarget()
		label := kind
		if kind == kindZooKeeper {
			label = "zookeeper2"
		}
		target, errT = startServer(t, kind, label)
	}()
	wg.Wait()
	if errO != nil {
		t.Fatalf("oracle: %v", errO)
	}
	if errT != nil {
		t.Fatalf("target: %v", errT)
	}
	t.Logf("oracle %s on %s; target %s on %s", oracle.kind, oracle.addr, target.kind, target.addr)
	return oracle, target
}

// startServer starts one server and waits for ruok/imok. The process is
// killed by t.Cleanup; its directory (config, data, log) is removed then
// unless t failed, in which case its path is printed.
func startServer(t *testing.T, kind, label string) (*server, error) {
	if kind == kindZabd && zabdBuildErr != nil {
		return nil, fmt.Errorf("zabd was not built: %w", zabdBuildErr)
	}
	var lastErr error
	// A port picked by listening on :0 may be taken again before the server
	// binds it; retry a few times when that is why the server died.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := launch(t, kind, label)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
	}
	return nil, lastErr
}

var errBind = errors.New("address already in use")

// launchOpts are what a launch adds to the common configuration.
type launchOpts struct {
	cfg   string   // zoo.cfg lines after zooCfg's (later keys win)
	jars  []string // ZooKeeper class path entries beyond zkClassPath
	props []string // ZooKeeper JVM system properties beyond the common ones
}

func launch(t *testing.T, kind, label string) (*server, error) {
	return launchWith(t, kind, label, launchOpts{props: []string{"-Dzookeeper.admin.enableServer=false"}})
}

func launchWith(t *testing.T, kind, label string, o launchOpts) (*server, error) {
	dir, err := os.MkdirTemp("", "zabd-compat-"+label+"-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{kind: kind, label: label, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, done: make(chan struct{})}
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte(zooCfg(dataDir, port)+o.cfg), 0o644); err != nil {
		return nil, err
	}
	switch kind {
	case kindZooKeeper:
		s.log = filepath.Join(dir, "zookeeper.log")
		cp := append(append([]string(nil), zkClassPath...), o.jars...)
		for _, jar := range cp {
			if _, err := os.Stat(jar); err != nil {
				return nil, fmt.Errorf("apache zookeeper is not installed (run `make deps`): %w", err)
			}
		}
		props := filepath.Join(dir, "log4j.properties")
		if err := os.WriteFile(props, []byte(log4jProps(s.log)), 0o644); err != nil {
			return nil, err
		}
		args := []string{
			"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
			"-Djava.net.preferIPv4Stack=true",
			"-Dlog4j.configuration=file:" + props,
			"-Dzookeeper.extendedTypesEnabled=true",
			"-Dzookeeper.4lw.commands.whitelist=*",
			// Read by ContainerManager as plain system properties: zoo.cfg
			// keys become "zookeeper."-prefixed properties and miss them.
			fmt.Sprintf("-Dznode.container.checkIntervalMs=%d", containerCheckMs),
			"-Dznode.container.maxPerMinute=100000",
		}
		args = append(args, o.props...)
		args = append(args, "-cp", strings.Join(cp, ":"),
			"org.apache.zookeeper.server.ZooKeeperServerMain", cfg)
		s.cmd = exec.Command("java", args...)
	case kindZabd:
		s.log = filepath.Join(dir, "zabd.log")
		s.cmd = exec.Command(zabdBin, "start-foreground", cfg)
	default:
		return nil, fmt.Errorf("unknown server kind %q", kind)
	}
	s.cmd.Dir = dir
	// Java logs to s.log through log4j; stdout/stderr (JVM warnings, zabd's
	// own log) go to a file next to it.
	outPath := filepath.Join(dir, "stdout.log")
	if kind == kindZabd {
		outPath = s.log
	}
	out, err := os.Create(outPath)
	if err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", kind, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		out.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })
	if err := s.waitReady(readyTimeout); err != nil {
		tail := s.logTail(20)
		if strings.Contains(tail, "Address already in use") || strings.Contains(tail, "address already in use") {
			err = fmt.Errorf("%w: %v", errBind, err)
		}
		return nil, fmt.Errorf("%s on %s: %w\nlog %s (last lines):\n%s", s.label, s.addr, err, s.log, tail)
	}
	return s, nil
}

// superDigest is the digest of superCred ("super:secret"): a session that
// adds it with addauth digest is the super user on both servers.
// QuorumPeerConfig turns the zoo.cfg key into the system property
// zookeeper.DigestAuthenticationProvider.superDigest.
const superDigest = "super:lK75jTNcA+U9vtVEw5vB51mj/w4="

// zooCfg is the configuration both servers read. Keys that ZooKeeper only
// reads as system properties are in it too: zabd honours them from zoo.cfg.
func zooCfg(dataDir string, port int) string {
	return fmt.Sprintf(`# written by zabd/compat
tickTime=%d
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
forceSync=no
extendedTypesEnabled=true
znode.container.checkIntervalMs=%d
znode.container.maxPerMinute=100000
DigestAuthenticationProvider.superDigest=%s
`, tickTimeMs, dataDir, port, containerCheckMs, superDigest)
}

func log4jProps(file string) string {
	return fmt.Sprintf(`log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=%s
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%%d{ISO8601} %%-5p [%%t:%%C{1}@%%L] - %%m%%n
`, file)
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls the four-letter word ruok until the answer is imok, the
// process exits, or the deadline passes.
func (s *server) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited before ready: %v", s.err)
		default:
		}
		got, err := fourLetterWord(s.addr, "ruok", time.Second)
		if err == nil && got == "imok" {
			// NB: ZooKeeper answers imok as soon as its port is bound, before
			// the database is loaded; until then it closes new sessions
			// ("ZooKeeperServer not running"). Ready means a session opens.
			if err = trySession(s.addr); err == nil {
				return nil
			}
		} else if err == nil {
			err = fmt.Errorf("ruok answered %q", got)
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", d, last)
		}
		select {
		case <-s.done:
		case <-tick.C:
		}
	}
}

// fourLetterWord sends cmd and reads the answer until the server closes.
func fourLetterWord(addr, cmd string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// trySession opens a session and closes it.
func trySession(addr string) error {
	tr := newTranscript()
	c := newRawConn(tr, "ready", addr)
	defer c.close()
	if !c.handshake(connectOpts{}) {
		return fmt.Errorf("handshake failed: %s", tr)
	}
	if r := c.closeSession(); !r.ok || r.err != 0 {
		return fmt.Errorf("closeSession failed: %s", tr)
	}
	return nil
}

// stop kills the process group, waits for the exit, and keeps or removes
// the server's directory.
func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
	default:
		if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Logf("kill %s: %v", s.label, err)
		}
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", s.label, s.cmd.Process.Pid)
		}
	}
	if t.Failed() || os.Getenv("ZABD_COMPAT_KEEP") != "" {
		t.Logf("kept %s log: %s (dir %s)", s.label, s.log, s.dir)
		return
	}
	if err := os.RemoveAll(s.dir); err != nil {
		t.Logf("remove %s: %v", s.dir, err)
	}
}

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// logTail returns the last n lines of the server's log.
func (s *server) logTail(n int) string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// crashReport returns a Go panic and the lines after it, if the log has
// one, else the log's tail.
func (s *server) crashReport() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if i := bytes.LastIndex(b, []byte("\npanic: ")); i >= 0 {
		lines := bytes.SplitN(b[i+1:], []byte("\n"), 41)
		return string(bytes.Join(lines[:min(len(lines), 40)], []byte("\n")))
	}
	return s.logTail(30)
}

// checkAlive fails t if either server died during the test.
func checkAlive(t *testing.T, servers ...*server) {
	t.Helper()
	for _, s := range servers {
		if !s.alive() {
			t.Errorf("%s exited during the test: %v\nlog %s:\n%s", s.label, s.err, s.log, s.crashReport())
		}
	}
}
