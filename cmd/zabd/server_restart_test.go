package main

import (
	"fmt"
	"testing"
)

// TestServerRestart needs the server to rebind its client port while the
// connections of the old server linger in TIME_WAIT (SO_REUSEADDR, which
// Java's ServerSocketChannel sets and gnet sets with WithReuseAddr).
func TestServerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	port := freePort(t)
	dir := writeConfig(t, fmt.Sprintf("dataDir=data\nclientPort=%d\nadmin.enableServer=false\n", port))
	pidFile, pid := startServer(t, dir, port)

	stdout, _, code := zabd(t, dir, "restart", "zoo.cfg")
	if stdout != "Stopping zookeeper ... STOPPED\nStarting zookeeper ... STARTED\n" || code != 0 {
		t.Fatalf("zabd restart = %q, exit %d; want STOPPED, STARTED", stdout, code)
	}
	if alive(pid) {
		t.Errorf("process %d is alive after restart", pid)
	}
	if pid, err := readPid(pidFile); err != nil || !ours(pid) {
		t.Fatalf("pid file after restart: %d, %v; want a running zabd", pid, err)
	}
	waitStatus(t, dir, port)
	if stdout, _, code := zabd(t, dir, "stop", "zoo.cfg"); stdout != "Stopping zookeeper ... STOPPED\n" || code != 0 {
		t.Errorf("zabd stop = %q, exit %d; want STOPPED", stdout, code)
	}
}
