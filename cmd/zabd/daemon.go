package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/zabd/zabd/server/config"
)

const (
	// startWait is how long start watches the new server before it says
	// STARTED: zkServer.sh sleeps 1 s, then checks that the pid is alive.
	startWait = time.Second
	// stopWait bounds how long stop waits for the server to exit after
	// SIGTERM (zkServer.sh does not wait; zabd does, so that restart and
	// scripts see the port free).
	stopWait = 60 * time.Second
	// pollEvery is the period of the liveness checks.
	pollEvery = 20 * time.Millisecond
)

// daemon is where a background server keeps its pid and output.
type daemon struct {
	exe     string   // the zabd binary
	args    []string // arguments of its start-foreground
	pidFile string   // $ZOOPIDFILE or dataDir/zookeeper_server.pid
	outFile string   // $ZOO_LOG_DIR/zabd.out or dataDir/zabd.out
}

// newDaemon locates the pid file and the output file of cfg's server, as
// zkServer.sh does, and the start-foreground command that runs it.
func newDaemon(c *cli.Context, path string, cfg *config.Config) (*daemon, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, failf("cannot find the zabd binary: %v", err)
	}
	d := &daemon{
		exe:     exe,
		args:    []string{"--log-level", c.String("log-level"), "start-foreground"},
		pidFile: os.Getenv("ZOOPIDFILE"),
		outFile: filepath.Join(cfg.DataDir, "zabd.out"),
	}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, failf("%v", err)
		}
		d.args = append(d.args, abs)
	}
	if d.pidFile == "" {
		d.pidFile = filepath.Join(cfg.DataDir, "zookeeper_server.pid")
	}
	if dir := os.Getenv("ZOO_LOG_DIR"); dir != "" {
		d.outFile = filepath.Join(dir, "zabd.out")
	}
	return d, nil
}

func start(c *cli.Context) error {
	path, cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	d, err := newDaemon(c, path, cfg)
	if err != nil {
		return err
	}
	return d.start(c.App.Writer)
}

func stop(c *cli.Context) error {
	path, cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	d, err := newDaemon(c, path, cfg)
	if err != nil {
		return err
	}
	return d.stop(c.App.Writer, stopWait)
}

func restart(c *cli.Context) error {
	if err := stop(c); err != nil {
		return err
	}
	return start(c)
}

// start runs the server in the background: a new session, stdin from
// /dev/null, stdout and stderr to outFile, its pid in pidFile.
func (d *daemon) start(out io.Writer) error {
	fmt.Fprint(out, "Starting zookeeper ... ")
	if pid, err := readPid(d.pidFile); err == nil && ours(pid) {
		fmt.Fprintf(out, "already running as process %d.\n", pid)
		return &exitError{code: 1}
	}
	for _, f := range []string{d.pidFile, d.outFile} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			fmt.Fprintln(out, "FAILED TO START")
			return failf("%v", err)
		}
	}
	logFile, err := os.Create(d.outFile)
	if err != nil {
		fmt.Fprintln(out, "FAILED TO START")
		return failf("%v", err)
	}
	defer logFile.Close()
	cmd := exec.Command(d.exe, d.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(out, "SERVER DID NOT START")
		return failf("%v", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(d.pidFile, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		fmt.Fprintln(out, "FAILED TO WRITE PID")
		return failf("%v (the server runs as process %d)", err, pid)
	}
	// The child is not waited for: it outlives us. Until we exit, a child
	// that died is a zombie, which alive reports as dead.
	for deadline := time.Now().Add(startWait); time.Now().Before(deadline); {
		if !alive(pid) {
			break
		}
		time.Sleep(pollEvery)
	}
	if !alive(pid) {
		fmt.Fprintln(out, "FAILED TO START")
		if err := os.Remove(d.pidFile); err != nil {
			return failf("%v", err)
		}
		return failf("the server exited at once; see %s", d.outFile)
	}
	fmt.Fprintln(out, "STARTED")
	return nil
}

// stop sends SIGTERM to the server in pidFile, waits up to wait for it to
// exit and removes pidFile. Like zkServer.sh it succeeds when there is no
// pid file.
func (d *daemon) stop(out io.Writer, wait time.Duration) error {
	fmt.Fprint(out, "Stopping zookeeper ... ")
	pid, err := readPid(d.pidFile)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(out, "no zookeeper to stop (could not find file %s)\n", d.pidFile)
		return nil
	}
	if err != nil {
		fmt.Fprintln(out, "FAILED")
		return failf("%v", err)
	}
	if ours(pid) {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			fmt.Fprintln(out, "FAILED")
			return failf("kill %d: %v", pid, err)
		}
		for deadline := time.Now().Add(wait); alive(pid); time.Sleep(pollEvery) {
			if time.Now().After(deadline) {
				fmt.Fprintln(out, "FAILED")
				return failf("process %d is still running %v after SIGTERM", pid, wait)
			}
		}
	}
	// A pid that is not a running zabd is a stale file: remove it.
	if err := os.Remove(d.pidFile); err != nil {
		fmt.Fprintln(out, "FAILED")
		return failf("%v", err)
	}
	fmt.Fprintln(out, "STOPPED")
	return nil
}

// readPid reads a pid file as zkServer.sh writes it: the pid, no newline.
func readPid(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: %q is not a pid", path, data)
	}
	return pid, nil
}

// alive reports whether process pid exists and has not exited: a zombie
// (exited, not yet reaped by its parent) counts as dead.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !haveProc() // without /proc, trust kill
	}
	// The state follows the command name, which is in parentheses and may
	// itself contain ") ".
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

// ours reports whether pid is a live zabd server, so that a stale pid file
// whose pid was reused by another program does not get it killed. Where
// /proc is missing it trusts the pid.
func ours(pid int) bool {
	if !alive(pid) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return !haveProc()
	}
	return strings.Contains(string(cmdline), "\x00start-foreground")
}

// haveProc reports whether this system has a Linux /proc.
func haveProc() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}
