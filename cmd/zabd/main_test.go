package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// zabdBin is the zabd binary that TestMain builds for the tests that run it
// as a process.
var zabdBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if os.Getenv(helperEnv) != "" {
		return m.Run() // a helper process of daemon_test.go
	}
	dir, err := os.MkdirTemp("", "zabd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	zabdBin = filepath.Join(dir, "zabd")
	build := exec.Command("go", "build", "-o", zabdBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		return 1
	}
	return m.Run()
}

// zabd runs the binary in dir with args and returns its stdout, stderr and
// exit code.
func zabd(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(zabdBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ZOOCFG=", "ZOOCFGDIR=", "ZOOPIDFILE=", "ZOO_LOG_DIR=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("zabd %q: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// writeConfig writes a zoo.cfg into a new directory and returns the directory.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// freePort returns a loopback port that nothing listens on (just now).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func TestVersion(t *testing.T) {
	stdout, stderr, code := zabd(t, t.TempDir(), "version")
	if !regexp.MustCompile(`^zabd version \S+ \(go\S+ \w+/\w+\)\n$`).MatchString(stdout) || stderr != "" || code != 0 {
		t.Errorf("zabd version = %q, %q, exit %d; want \"zabd version dev (go... os/arch)\"", stdout, stderr, code)
	}
}

func TestStartForegroundBadConfig(t *testing.T) {
	tests := []struct {
		name, cfg, want string
	}{
		{"not a number", "dataDir=data\nclientPort=2181\ntickTime=abc\n",
			`zabd: zoo.cfg:3: tickTime: "abc" is not a number`},
		{"negative port", "dataDir=data\nclientPort=-2181\n",
			`zabd: zoo.cfg:2: clientPort: "-2181" is not a port (1-65535)`},
		{"malformed server", "dataDir=data\nclientPort=2181\nserver.1=a:2888\n",
			`zabd: zoo.cfg:3: server.1: "a:2888" does not have the form host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]`},
		{"no dataDir", "clientPort=2181\n", `zabd: zoo.cfg: dataDir is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, tt.cfg)
			stdout, stderr, code := zabd(t, dir, "start-foreground", "zoo.cfg")
			if want := "Using config: zoo.cfg\n" + tt.want + "\n"; stdout != "" || stderr != want || code != 1 {
				t.Errorf("zabd start-foreground = %q, %q, exit %d; want \"\", %q, exit 1", stdout, stderr, code, want)
			}
		})
	}
}

func TestStartForegroundMissingConfig(t *testing.T) {
	stdout, stderr, code := zabd(t, t.TempDir(), "start-foreground", "nope.cfg")
	want := "Using config: nope.cfg\nzabd: config: open nope.cfg: no such file or directory\n"
	if stdout != "" || stderr != want || code != 1 {
		t.Errorf("zabd start-foreground = %q, %q, exit %d; want \"\", %q, exit 1", stdout, stderr, code, want)
	}
}

func TestStatusNotRunning(t *testing.T) {
	port := freePort(t)
	dir := writeConfig(t, fmt.Sprintf("dataDir=data\nclientPort=%d\n", port))
	stdout, stderr, code := zabd(t, dir, "status", "zoo.cfg")
	want := fmt.Sprintf("Client port found: %d. Client address: localhost. Client SSL: false.\n"+
		"Error contacting service. It is probably not running.\n", port)
	if stdout != want || stderr != "Using config: zoo.cfg\n" || code != 1 {
		t.Errorf("zabd status = %q, %q, exit %d; want %q, \"Using config: zoo.cfg\\n\", exit 1", stdout, stderr, code, want)
	}
}

// srvrStandalone is the srvr reply of Apache ZooKeeper 3.8.0 (Debian
// 3.8.0-11), standalone, freshly started.
const srvrStandalone = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n" +
	"Latency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\nConnections: 1\nOutstanding: 0\n" +
	"Zxid: 0x0\nMode: standalone\nNode count: 5"

// fakeServer answers every connection on a loopback port: if it sends
// "srvr", with reply; then it closes the connection. It returns the port.
func fakeServer(t *testing.T, reply string) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return // closed by the cleanup
			}
			cmd := make([]byte, 4)
			if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
				t.Error(err)
			}
			if _, err := io.ReadFull(conn, cmd); err != nil {
				t.Errorf("fake server: read: %v", err)
			} else if string(cmd) != "srvr" {
				t.Errorf("fake server: got %q, want srvr", cmd)
			} else if _, err := io.WriteString(conn, reply); err != nil {
				t.Errorf("fake server: write: %v", err)
			}
			if err := conn.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		address string // clientPortAddress, if any
		want    string // the last line of stdout
		code    int
	}{
		{"standalone", srvrStandalone, "", "Mode: standalone", 0},
		{"address", srvrStandalone, "127.0.0.1", "Mode: standalone", 0},
		{"follower", "Zookeeper version: 3.9.5\nMode:   follower\nNode count: 5\n", "", "Mode: follower", 0},
		{"not serving", "This ZooKeeper instance is not currently serving requests\n", "",
			"Error contacting service. It is probably not running.", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := fakeServer(t, tt.reply)
			cfg := fmt.Sprintf("dataDir=data\nclientPort=%d\n", port)
			shown := "localhost"
			if tt.address != "" {
				cfg += "clientPortAddress=" + tt.address + "\n"
				shown = tt.address
			}
			dir := writeConfig(t, cfg)
			stdout, stderr, code := zabd(t, dir, "status", "zoo.cfg")
			want := fmt.Sprintf("Client port found: %d. Client address: %s. Client SSL: false.\n%s\n", port, shown, tt.want)
			if stdout != want || stderr != "Using config: zoo.cfg\n" || code != tt.code {
				t.Errorf("zabd status = %q, %q, exit %d; want %q, \"Using config: zoo.cfg\\n\", exit %d",
					stdout, stderr, code, want, tt.code)
			}
		})
	}
}

// TestConfigResolution runs status in process to see which zoo.cfg each way
// of naming it picks, as zkServer.sh and zkEnv.sh pick it.
func TestConfigResolution(t *testing.T) {
	port := fakeServer(t, srvrStandalone)
	dir := t.TempDir()
	for _, name := range []string{"zoo.cfg", "other.cfg"} {
		cfg := fmt.Sprintf("dataDir=%s\nclientPort=%d\n", filepath.Join(dir, "data"), port)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // stderr
	}{
		{"argument", nil, []string{"status", filepath.Join(dir, "other.cfg")}, "Using config: " + filepath.Join(dir, "other.cfg") + "\n"},
		{"--config", nil, []string{"--config", dir, "status"}, "Using config: " + filepath.Join(dir, "zoo.cfg") + "\n"},
		{"--config and name", nil, []string{"--config", dir, "status", "other.cfg"}, "Using config: " + filepath.Join(dir, "other.cfg") + "\n"},
		{"ZOOCFGDIR", map[string]string{"ZOOCFGDIR": dir}, []string{"status"}, "Using config: " + filepath.Join(dir, "zoo.cfg") + "\n"},
		{"ZOOCFG", map[string]string{"ZOOCFG": filepath.Join(dir, "other.cfg")}, []string{"status"}, "Using config: " + filepath.Join(dir, "other.cfg") + "\n"},
		{"ZOOCFGDIR and ZOOCFG", map[string]string{"ZOOCFGDIR": dir, "ZOOCFG": "other.cfg"}, []string{"status"},
			"Using config: " + filepath.Join(dir, "other.cfg") + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ZOOCFG", "")
			t.Setenv("ZOOCFGDIR", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"zabd"}, tt.args...), &stdout, &stderr)
			want := "Client port found: " + strconv.Itoa(port) + ". Client address: localhost. Client SSL: false.\nMode: standalone\n"
			if stdout.String() != want || stderr.String() != tt.want || code != 0 {
				t.Errorf("zabd %q = %q, %q, exit %d; want %q, %q, exit 0", tt.args, &stdout, &stderr, code, want, tt.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // stderr
	}{
		{[]string{"status", "a.cfg", "b.cfg"}, `zabd: status takes at most one argument, CONFIG; got ["a.cfg" "b.cfg"]` + "\n"},
		{[]string{"--log-level", "loud", "start-foreground", "zoo.cfg"}, `zabd: --log-level: slog: level string "loud": unknown name` + "\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"zabd"}, tt.args...), &stdout, &stderr)
		if stderr.String() != tt.want || code != 1 {
			t.Errorf("zabd %q = %q, %q, exit %d; want stderr %q, exit 1", tt.args, &stdout, &stderr, code, tt.want)
		}
	}
}

func TestModeLine(t *testing.T) {
	tests := []struct{ reply, want string }{
		{srvrStandalone, "Mode: standalone"},
		{"Mode: leader\r\n", "Mode: leader"},
		{"Mode:\tobserver  \n", "Mode: observer"},
		{"", ""},
		{"imok", ""},
	}
	for _, tt := range tests {
		if got := modeLine([]byte(tt.reply)); got != tt.want {
			t.Errorf("modeLine(%q) = %q, want %q", tt.reply, got, tt.want)
		}
	}
}
