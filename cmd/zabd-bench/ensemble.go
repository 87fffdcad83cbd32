package main

// -ensemble: three zabd processes beside three Apache ZooKeeper processes
// (QuorumPeerMain), each ensemble on loopback with ports chosen at run time.
// The same get/set workloads run against both, clients connecting to all
// three client ports (go-zookeeper shuffles the list per session), then each
// ensemble's leader is killed with SIGKILL and the time until a surviving
// server says "Mode: leader" and a write through a survivor succeeds is
// reported.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-zookeeper/zk"
)

// ensemble is three server processes of one system.
type ensemble struct {
	name   string
	dir    string
	client map[int]int       // id -> client port
	cmds   map[int]*exec.Cmd // id -> running process (nil once killed)
	logs   []*os.File
}

// freePorts reserves n distinct loopback ports, holding every listener until
// all are chosen so that none repeats.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startEnsemble writes zoo1..3.cfg with data1..3/myid under dir and starts
// one process per server with argv(cfg), registered with reap. On error
// every started process is killed.
func startEnsemble(name, dir string, reap *reaper, argv func(cfg string) []string) (*ensemble, error) {
	e := &ensemble{name: name, dir: dir, client: map[int]int{}, cmds: map[int]*exec.Cmd{}}
	ports, err := freePorts(9)
	if err != nil {
		return nil, err
	}
	var servers strings.Builder
	for i := 1; i <= 3; i++ {
		e.client[i] = ports[3*(i-1)]
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i, ports[3*(i-1)+1], ports[3*(i-1)+2])
	}
	for i := 1; i <= 3; i++ {
		data := filepath.Join(dir, fmt.Sprintf("data%d", i))
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", i)), 0o644); err != nil {
			return nil, err
		}
		cfg := filepath.Join(dir, fmt.Sprintf("zoo%d.cfg", i))
		body := fmt.Sprintf("tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
			"4lw.commands.whitelist=*\nadmin.enableServer=false\nmaxClientCnxns=0\n%s",
			data, e.client[i], servers.String())
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= 3; i++ {
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s%d.log", name, i)))
		if err != nil {
			e.stop()
			return nil, err
		}
		e.logs = append(e.logs, logf)
		a := argv(filepath.Join(dir, fmt.Sprintf("zoo%d.cfg", i)))
		cmd := exec.Command(a[0], a[1:]...)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			e.stop()
			return nil, fmt.Errorf("start %s %d: %w", name, i, err)
		}
		e.cmds[i] = cmd
		reap.add(cmd.Process)
	}
	if _, err := e.waitLeader(60*time.Second, true); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *ensemble) addr(id int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(e.client[id]))
}

// addrs lists every live server's client address, comma-separated.
func (e *ensemble) addrs() string {
	var a []string
	for id := 1; id <= 3; id++ {
		if e.cmds[id] != nil {
			a = append(a, e.addr(id))
		}
	}
	return strings.Join(a, ",")
}

// stop kills every process of the ensemble (our own children, by pid).
func (e *ensemble) stop() {
	for id, cmd := range e.cmds {
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		e.cmds[id] = nil
	}
	for _, f := range e.logs {
		f.Close()
	}
	e.logs = nil
}

// rss sums VmRSS over the live processes, in MiB.
func (e *ensemble) rss() string {
	total, n := 0, 0
	for _, cmd := range e.cmds {
		if cmd == nil || cmd.Process == nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				if kb, err := strconv.Atoi(f[1]); err == nil {
					total += kb
					n++
				}
			}
		}
	}
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(total)/1024)
}

var modeRE = regexp.MustCompile(`(?m)^Mode: (\S+)`)

// mode asks a server with srvr for its Mode ("" if it does not answer).
func mode(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	if m := modeRE.FindStringSubmatch(string(b)); m != nil {
		return m[1]
	}
	return ""
}

// waitLeader polls the live servers until one says leader (and, if all is
// set, every other live server says follower) and returns the leader's id.
func (e *ensemble) waitLeader(d time.Duration, all bool) (int, error) {
	deadline := time.Now().Add(d)
	var last []string
	for {
		leader, ok := 0, true
		last = last[:0]
		for id := 1; id <= 3; id++ {
			if e.cmds[id] == nil {
				continue
			}
			if st := e.cmds[id].ProcessState; st != nil {
				return 0, fmt.Errorf("%s %d exited: %v (log in %s)", e.name, id, st, e.dir)
			}
			m := mode(e.addr(id))
			last = append(last, fmt.Sprintf("%d=%q", id, m))
			switch {
			case m == "leader" && leader == 0:
				leader = id
			case m == "follower":
			default:
				ok = false
			}
		}
		if leader != 0 && (ok || !all) {
			return leader, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: no settled leader within %v (modes %s)", e.name, d, strings.Join(last, " "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tryWrite opens a session on addrs and sets /zabd-bench, bounded by d. A new
// session is itself a quorum write; the setData is a second one.
func tryWrite(addrs string, d time.Duration) error {
	done := make(chan error, 1)
	c, _, err := zk.Connect(strings.Split(addrs, ","), 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		return err
	}
	defer c.Close()
	go func() {
		_, err := c.Set("/zabd-bench", []byte("failover"), -1)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		c.Close() // the pending Set returns ErrClosing
		return errors.New("write timed out")
	}
}

// failover kills the leader with SIGKILL and times until a survivor says
// leader and a write through a survivor succeeds. The old leader's id and
// the new one's are returned with the time.
func (e *ensemble) failover(d time.Duration) (old, leader int, took time.Duration, err error) {
	old, err = e.waitLeader(30*time.Second, true)
	if err != nil {
		return 0, 0, 0, err
	}
	// Make sure the node written below exists before the kill.
	if err := tryWrite(e.addrs(), 10*time.Second); err != nil {
		return old, 0, 0, fmt.Errorf("%s: write before failover: %w", e.name, err)
	}
	cmd := e.cmds[old]
	start := time.Now()
	_ = cmd.Process.Kill() // SIGKILL
	_ = cmd.Wait()
	e.cmds[old] = nil
	deadline := start.Add(d)
	leader, err = e.waitLeader(d, false)
	if err != nil {
		return old, 0, 0, err
	}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return old, leader, 0, fmt.Errorf("%s: no write through a survivor within %v", e.name, d)
		}
		if err = tryWrite(e.addrs(), min(left, 5*time.Second)); err == nil {
			return old, leader, time.Since(start), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runEnsemble starts both ensembles, runs the workloads against each,
// prints the table, then measures failover of each. With rounds > 1 the
// workloads run rounds times, zabd and ZooKeeper taking turns so that both
// see the same background load, and a summary gives the median and range
// of each column. Every process is killed and the temporary directory
// removed before it returns, error or not, or when the tool is
// interrupted.
func runEnsemble(zabdBin, classpath string, ops []string, clients, size int, duration, warmup time.Duration, maxOps, rounds int) error {
	dir, err := os.MkdirTemp("", "zabd-bench-ensemble-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	java, err := exec.LookPath("java")
	if err != nil {
		return err
	}
	reap := reapOnSignal(dir)
	defer reap.stop()
	z, err := startEnsemble("zabd", filepath.Join(dir, "zabd"), reap, func(cfg string) []string {
		return []string{zabdBin, "start-foreground", cfg}
	})
	if err != nil {
		return err
	}
	defer z.stop()
	j, err := startEnsemble("zookeeper", filepath.Join(dir, "zookeeper"), reap, func(cfg string) []string {
		return []string{java, "-cp", classpath,
			"-Dzookeeper.admin.enableServer=false", "-Dzookeeper.jmx.log4j.disable=true",
			"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg}
	})
	if err != nil {
		return err
	}
	defer j.stop()
	ens := []*ensemble{z, j}

	// An untimed warm-up per system (the JVM compiles its hot paths; both
	// get sessions and nodes in place). NB: ZooKeeper's write throughput
	// on a 3-node loopback ensemble still rose two- to threefold over its
	// first 30 s of load in our runs; the default warm-up is short.
	for _, e := range ens {
		for _, op := range ops {
			_, _ = run(e.addrs(), op, clients, size, warmup, maxOps)
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	round := ""
	if rounds > 1 {
		round = "round\t"
	}
	fmt.Fprintf(tw, "%sserver\top\tclients\tops/s\tp50 ms\tp99 ms\tp99.9 ms\terrors\tRSS MiB (3 nodes)\t\n", round)
	results := map[string][]result{}
	var keys []string
	for r := 1; r <= rounds; r++ {
		for _, e := range ens {
			for _, op := range ops {
				res, err := run(e.addrs(), op, clients, size, duration, maxOps)
				if err != nil {
					tw.Flush()
					return fmt.Errorf("%s ensemble: %w", e.name, err)
				}
				key := e.name + " x3\t" + op
				if results[key] == nil {
					keys = append(keys, key)
				}
				results[key] = append(results[key], res)
				if rounds > 1 {
					fmt.Fprintf(tw, "%d\t", r)
				}
				fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%d\t%s\t\n", key, clients,
					res.throughput, ms(res.p50), ms(res.p99), ms(res.p999), res.errors, e.rss())
			}
		}
	}
	tw.Flush()
	if rounds > 1 {
		fmt.Printf("\nmedian [min..max] over %d rounds\n", rounds)
		printSummary(os.Stdout, keys, results)
	}
	var errs []error
	for _, e := range ens {
		old, leader, took, err := e.failover(60 * time.Second)
		if err != nil {
			errs = append(errs, err)
			fmt.Printf("failover %s x3: FAILED: %v\n", e.name, err)
			continue
		}
		fmt.Printf("failover %s x3: leader %d killed (SIGKILL), server %d leads and a write succeeds after %.0f ms\n",
			e.name, old, leader, ms(took))
	}
	return errors.Join(errs...)
}

// reaper kills the servers the tool started and removes their directory
// when the tool is interrupted (SIGINT, SIGTERM) or its output goes away
// (SIGPIPE: "zabd-bench ... | head"), then exits; otherwise the servers
// would outlive it. Safe for concurrent use.
type reaper struct {
	mu    sync.Mutex // guards procs
	procs []*os.Process
	sigs  chan os.Signal
	done  chan struct{}
}

func reapOnSignal(dir string) *reaper {
	r := &reaper{sigs: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(r.sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	go func() {
		select {
		case s := <-r.sigs:
			r.mu.Lock()
			for _, p := range r.procs {
				_ = p.Kill()
			}
			_ = os.RemoveAll(dir)
			fmt.Fprintf(os.Stderr, "zabd-bench: %v: servers killed\n", s)
			os.Exit(1)
		case <-r.done:
		}
	}()
	return r
}

// add registers a started process.
func (r *reaper) add(p *os.Process) {
	r.mu.Lock()
	r.procs = append(r.procs, p)
	r.mu.Unlock()
}

// stop stops listening for signals.
func (r *reaper) stop() {
	signal.Stop(r.sigs)
	close(r.done)
}
