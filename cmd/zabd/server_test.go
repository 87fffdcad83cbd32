package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the real server (server.Run) through the binary.

// waitStatus runs zabd status until it reports a mode, for up to 10 s.
func waitStatus(t *testing.T, dir string, port int) {
	t.Helper()
	want := fmt.Sprintf("Client port found: %d. Client address: localhost. Client SSL: false.\nMode: standalone\n", port)
	var stdout string
	var code int
	for range 100 {
		if stdout, _, code = zabd(t, dir, "status", "zoo.cfg"); code == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if stdout != want || code != 0 {
		t.Fatalf("zabd status = %q, exit %d; want %q, exit 0", stdout, code, want)
	}
}

// startServer runs zabd start in dir, where zoo.cfg has clientPort port, and
// waits until the server answers status. It returns the pid file and pid.
func startServer(t *testing.T, dir string, port int) (string, int) {
	t.Helper()
	pidFile := filepath.Join(dir, "data", "zookeeper_server.pid")
	t.Cleanup(func() {
		// Kill what a failed test left running.
		if pid, err := readPid(pidFile); err == nil && ours(pid) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Error(err)
			}
		}
	})
	stdout, stderr, code := zabd(t, dir, "start", "zoo.cfg")
	if stdout != "Starting zookeeper ... STARTED\n" || stderr != "Using config: zoo.cfg\n" || code != 0 {
		out, err := os.ReadFile(filepath.Join(dir, "data", "zabd.out"))
		t.Fatalf("zabd start = %q, %q, exit %d; want STARTED\nzabd.out (%v):\n%s", stdout, stderr, code, err, out)
	}
	pid, err := readPid(pidFile)
	if err != nil || !ours(pid) {
		t.Fatalf("pid file: %d, %v; want a running zabd", pid, err)
	}
	waitStatus(t, dir, port)
	return pidFile, pid
}

func TestServerStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	port := freePort(t)
	dir := writeConfig(t, fmt.Sprintf("tickTime=2000\ndataDir=data\nclientPort=%d\nadmin.enableServer=false\n", port))
	pidFile, pid := startServer(t, dir, port)

	stdout, _, code := zabd(t, dir, "start", "zoo.cfg")
	if want := fmt.Sprintf("Starting zookeeper ... already running as process %d.\n", pid); stdout != want || code != 1 {
		t.Errorf("second zabd start = %q, exit %d; want %q, exit 1", stdout, code, want)
	}

	stdout, stderr, code := zabd(t, dir, "stop", "zoo.cfg")
	if stdout != "Stopping zookeeper ... STOPPED\n" || stderr != "Using config: zoo.cfg\n" || code != 0 {
		t.Fatalf("zabd stop = %q, %q, exit %d; want STOPPED", stdout, stderr, code)
	}
	if alive(pid) {
		t.Errorf("process %d is alive after stop", pid)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after stop: %v, want it gone", err)
	}
	stdout, _, code = zabd(t, dir, "status", "zoo.cfg")
	if !strings.HasSuffix(stdout, "Error contacting service. It is probably not running.\n") || code != 1 {
		t.Errorf("zabd status after stop = %q, exit %d; want the error, exit 1", stdout, code)
	}
}

func TestServerForeground(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	port := freePort(t)
	dir := writeConfig(t, fmt.Sprintf("dataDir=data\nclientPort=%d\nadmin.enableServer=false\ntickTme=1\n", port))
	cmd := exec.Command(zabdBin, "start-foreground", "zoo.cfg")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Error(err)
		}
		<-done
	})
	waitStatus(t, dir, port)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Errorf("zabd start-foreground after SIGTERM: %v, want exit 0\n%s", err, &stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("zabd start-foreground still runs 30 s after SIGTERM\n%s", &stderr)
	}
	if want := `level=WARN msg="zoo.cfg:4: tickTme: unknown key, ignored (did you mean tickTime?)"`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %s:\n%s", want, &stderr)
	}
}
