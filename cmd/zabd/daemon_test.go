package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary a stand-in server for the daemon tests:
// "run" runs until SIGTERM, "fail" exits at once, "stubborn" ignores SIGTERM.
// Each gives up after a minute so that no stray process outlives a crashed
// test for long.
const helperEnv = "ZABD_TEST_DAEMON"

func TestHelperDaemon(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("the stand-in server of the daemon tests")
	}
	switch mode {
	case "fail":
		fmt.Println("helper", mode)
		os.Exit(3)
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("helper", mode)
		time.Sleep(time.Minute)
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)
	fmt.Println("helper", mode) // after the signal is handled: waitReady
	select {
	case <-sigs:
		os.Exit(0)
	case <-time.After(time.Minute):
		os.Exit(2)
	}
}

// waitReady waits until the helper has printed its line, and so handles
// SIGTERM its own way.
func waitReady(t *testing.T, d *daemon) {
	t.Helper()
	for range 1000 {
		if out, err := os.ReadFile(d.outFile); err == nil && len(out) > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s stays empty: the helper did not start", d.outFile)
}

// testDaemon is a daemon whose server is TestHelperDaemon in mode.
func testDaemon(t *testing.T, mode string) *daemon {
	t.Setenv(helperEnv, mode)
	dir := t.TempDir()
	return &daemon{
		exe: os.Args[0],
		// "start-foreground" marks the process as a zabd server for ours;
		// the test binary ignores it.
		args:    []string{"-test.run=^TestHelperDaemon$", "start-foreground"},
		pidFile: filepath.Join(dir, "data", "zookeeper_server.pid"),
		outFile: filepath.Join(dir, "logs", "zabd.out"),
	}
}

// reap collects pid, a child of the test that has exited or is killed now.
func reap(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Error(err)
	}
	if _, err := syscall.Wait4(pid, nil, 0, nil); err != nil {
		t.Errorf("wait4 %d: %v", pid, err)
	}
}

// wantExit checks err is the exitError of a failed command with msg.
func wantExit(t *testing.T, err error, msg string) {
	t.Helper()
	var e *exitError
	if !errors.As(err, &e) || e.code != 1 || e.msg != msg {
		t.Errorf("error = %#v, want exit 1 with %q", err, msg)
	}
}

func TestStartStop(t *testing.T) {
	d := testDaemon(t, "run")
	var out bytes.Buffer
	if err := d.start(&out); err != nil || out.String() != "Starting zookeeper ... STARTED\n" {
		t.Fatalf("start = %q, %v; want STARTED", &out, err)
	}
	pidText, err := os.ReadFile(d.pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(pidText)) // no newline, as zkServer.sh writes it
	if err != nil {
		t.Fatalf("pid file holds %q: %v", pidText, err)
	}
	t.Cleanup(func() { reap(t, pid) })
	waitReady(t, d)
	if !alive(pid) || !ours(pid) {
		t.Errorf("alive(%d), ours(%d) = %v, %v; want true, true", pid, pid, alive(pid), ours(pid))
	}

	out.Reset()
	err = d.start(&out)
	if want := fmt.Sprintf("Starting zookeeper ... already running as process %d.\n", pid); out.String() != want {
		t.Errorf("second start = %q, want %q", &out, want)
	}
	wantExit(t, err, "")

	out.Reset()
	if err := d.stop(&out, 10*time.Second); err != nil || out.String() != "Stopping zookeeper ... STOPPED\n" {
		t.Fatalf("stop = %q, %v; want STOPPED", &out, err)
	}
	if alive(pid) {
		t.Errorf("process %d is alive after stop", pid)
	}
	if _, err := os.Stat(d.pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after stop: %v, want it gone", err)
	}
	if log, err := os.ReadFile(d.outFile); err != nil || string(log) != "helper run\n" {
		t.Errorf("output file = %q, %v; want the server's output", log, err)
	}

	out.Reset()
	want := fmt.Sprintf("Stopping zookeeper ... no zookeeper to stop (could not find file %s)\n", d.pidFile)
	if err := d.stop(&out, time.Second); err != nil || out.String() != want {
		t.Errorf("second stop = %q, %v; want %q", &out, err, want)
	}
}

func TestStartFails(t *testing.T) {
	d := testDaemon(t, "fail")
	var out bytes.Buffer
	err := d.start(&out)
	if out.String() != "Starting zookeeper ... FAILED TO START\n" {
		t.Errorf("start = %q, want FAILED TO START", &out)
	}
	wantExit(t, err, "the server exited at once; see "+d.outFile)
	if _, err := os.Stat(d.pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after a failed start: %v, want it gone", err)
	}
	// The failed child is a zombie of this test until reaped: find it by
	// waiting for any child.
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(-1, &ws, 0, nil); err != nil || ws.ExitStatus() != 3 {
		t.Errorf("wait4 = %v, status %d; want the helper's exit 3", err, ws.ExitStatus())
	}
}

func TestStopStubborn(t *testing.T) {
	d := testDaemon(t, "stubborn")
	var out bytes.Buffer
	if err := d.start(&out); err != nil {
		t.Fatalf("start = %q, %v", &out, err)
	}
	pid, err := readPid(d.pidFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reap(t, pid) })
	waitReady(t, d)
	out.Reset()
	err = d.stop(&out, 200*time.Millisecond)
	if out.String() != "Stopping zookeeper ... FAILED\n" {
		t.Errorf("stop = %q, want FAILED", &out)
	}
	wantExit(t, err, fmt.Sprintf("process %d is still running 200ms after SIGTERM", pid))
	if _, err := os.Stat(d.pidFile); err != nil {
		t.Errorf("pid file after a failed stop: %v, want it kept", err)
	}
}

func TestStalePidFile(t *testing.T) {
	d := testDaemon(t, "run")
	if err := os.MkdirAll(filepath.Dir(d.pidFile), 0o755); err != nil {
		t.Fatal(err)
	}
	// This test's own pid: alive, but not a zabd server, so neither start
	// nor stop may take it for one (stop would kill the test).
	if err := os.WriteFile(d.pidFile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := d.stop(&out, time.Second); err != nil || out.String() != "Stopping zookeeper ... STOPPED\n" {
		t.Errorf("stop = %q, %v; want STOPPED", &out, err)
	}
	if _, err := os.Stat(d.pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale pid file after stop: %v, want it gone", err)
	}

	if err := os.WriteFile(d.pidFile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := d.start(&out); err != nil || out.String() != "Starting zookeeper ... STARTED\n" {
		t.Fatalf("start over a stale pid file = %q, %v; want STARTED", &out, err)
	}
	pid, err := readPid(d.pidFile)
	if err != nil || pid == os.Getpid() {
		t.Fatalf("pid file = %d, %v; want the new server's pid", pid, err)
	}
	t.Cleanup(func() { reap(t, pid) })
}

func TestBadPidFile(t *testing.T) {
	d := testDaemon(t, "run")
	if err := os.MkdirAll(filepath.Dir(d.pidFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.pidFile, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := d.stop(&out, time.Second)
	if out.String() != "Stopping zookeeper ... FAILED\n" {
		t.Errorf("stop = %q, want FAILED", &out)
	}
	wantExit(t, err, d.pidFile+`: "abc" is not a pid`)
}

func TestAlive(t *testing.T) {
	if !alive(os.Getpid()) {
		t.Error("alive(self) = false")
	}
	if ours(os.Getpid()) {
		t.Error("ours(test process) = true")
	}
	if alive(1 << 30) {
		t.Error("alive(no such pid) = true")
	}
}
