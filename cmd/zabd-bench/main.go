// Command zabd-bench is zabd's load tool: it drives getData, setData,
// sequential creates and deletes with N concurrent sessions and reports throughput and latency percentiles. With
// -compare it starts zabd and Apache ZooKeeper side by side on loopback
// (each with a fresh dataDir) and runs the same workloads against both,
// reporting also each server's CPU time per operation and how many txns one
// fsync of its log covered (see compare.go). With -ensemble it does the same
// with a three-node ensemble of each and then times leader failover (see
// ensemble.go). With either, -rounds N runs the workloads N times, the two
// systems taking turns, and gives each column's median and range, since a
// shared machine's load moves between runs.
//
// Every loop is bounded by -duration and -max-ops.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-zookeeper/zk"
)

func main() {
	var (
		servers  = flag.String("servers", "", "comma-separated host:port list to benchmark (instead of -compare)")
		compare  = flag.Bool("compare", false, "start zabd and Apache ZooKeeper on loopback and benchmark both")
		ens      = flag.Bool("ensemble", false, "start three-node zabd and Apache ZooKeeper ensembles on loopback, benchmark both and time leader failover")
		zabdBin  = flag.String("zabd", "bin/zabd", "zabd binary for -compare and -ensemble")
		zkJar    = flag.String("zookeeper-classpath", "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar", "Apache ZooKeeper class path for -compare and -ensemble")
		clients  = flag.Int("clients", 32, "concurrent sessions")
		duration = flag.Duration("duration", 5*time.Second, "time per workload")
		maxOps   = flag.Int("max-ops", 2_000_000, "upper bound on operations per workload")
		size     = flag.Int("size", 128, "value size in bytes")
		ops      = flag.String("ops", "get,set", "workloads to run, in order: get, set, create, delete (the nodes the creates before it made)")
		rounds   = flag.Int("rounds", 1, "with -compare or -ensemble: run the workloads this many times, zabd and ZooKeeper taking turns, and summarise")
		warmup   = flag.Duration("warmup", 0, "with -ensemble: untimed load per system and workload before measuring (0: a quarter of -duration, at most 2s); the JVM takes tens of seconds to compile ZooKeeper's hot paths")
	)
	flag.Parse()
	var targets []target
	switch {
	case *ens:
		w := *warmup
		if w <= 0 {
			w = min(*duration/4, 2*time.Second)
		}
		must(runEnsemble(*zabdBin, *zkJar, strings.Split(*ops, ","), *clients, *size, *duration, w, *maxOps, max(*rounds, 1)))
		return
	case *compare:
		must(runCompare(*zabdBin, *zkJar, strings.Split(*ops, ","), *clients, *size, *duration, *maxOps, max(*rounds, 1)))
		return
	case *servers != "":
		targets = []target{{name: *servers, addr: *servers}}
	default:
		fmt.Fprintln(os.Stderr, "zabd-bench: give -servers, -compare or -ensemble")
		os.Exit(2)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "server\top\tclients\tops/s\tp50 ms\tp99 ms\tp99.9 ms\terrors\tRSS MiB\t\n")
	for _, tg := range targets {
		for _, op := range strings.Split(*ops, ",") {
			r, err := run(tg.addr, op, *clients, *size, *duration, *maxOps)
			must(err)
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%d\t%s\t\n", tg.name, op, *clients,
				r.throughput, ms(r.p50), ms(r.p99), ms(r.p999), r.errors, tg.rss())
		}
	}
	tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "zabd-bench:", err)
		os.Exit(1)
	}
}

type result struct {
	ops            int // successful operations
	throughput     float64
	p50, p99, p999 time.Duration
	errors         int
	// Measured on the server's side, -1 when not: its CPU time per
	// operation (µs) and the txns one fsync of its log made durable.
	cpuPerOp, txnsPerSync float64
}

// Workloads: each session reads or writes its own node /zabd-bench/c<i>
// (get, set), creates sequential children under it (create), or deletes
// the children it has (delete, which needs a create before it).
var workloads = []string{"get", "set", "create", "delete"}

// run drives op (one of workloads) from n sessions for at most d or maxOps.
func run(addr, op string, n, size int, d time.Duration, maxOps int) (result, error) {
	if !slices.Contains(workloads, op) {
		return result{}, fmt.Errorf("unknown workload %q (have %s)", op, strings.Join(workloads, ", "))
	}
	conns := make([]*zk.Conn, n)
	for i := range conns {
		c, _, err := zk.Connect(strings.Split(addr, ","), 30*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
		if err != nil {
			return result{}, err
		}
		defer c.Close()
		conns[i] = c
	}
	val := make([]byte, size)
	base := "/zabd-bench"
	if _, err := conns[0].Create(base, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
		return result{}, err
	}
	for i := range conns {
		p := fmt.Sprintf("%s/c%d", base, i)
		if _, err := conns[0].Create(p, val, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			return result{}, err
		}
	}
	perClient := maxOps / n
	// delete takes what the sessions' nodes hold when it starts.
	kids := make([][]string, n)
	if op == "delete" {
		for i, c := range conns {
			k, _, err := c.Children(fmt.Sprintf("%s/c%d", base, i))
			if err != nil {
				return result{}, err
			}
			slices.Sort(k)
			kids[i] = k
		}
	}
	lat := make([][]time.Duration, n)
	errs := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("%s/c%d", base, i)
			l := make([]time.Duration, 0, 4096)
			for k := 0; k < perClient; k++ {
				t0 := time.Now()
				if t0.After(deadline) || op == "delete" && k >= len(kids[i]) {
					break
				}
				var err error
				switch op {
				case "set":
					_, err = c.Set(p, val, -1)
				case "create":
					_, err = c.Create(p+"/n-", val, zk.FlagSequence, zk.WorldACL(zk.PermAll))
				case "delete":
					err = c.Delete(p+"/"+kids[i][k], -1)
				default:
					_, _, err = c.Get(p)
				}
				if err != nil {
					errs[i]++
					continue
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	r := result{cpuPerOp: -1, txnsPerSync: -1}
	for i := range lat {
		all = append(all, lat[i]...)
		r.errors += errs[i]
	}
	if len(all) == 0 {
		return r, fmt.Errorf("%s: no successful %s", addr, op)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	r.ops = len(all)
	r.throughput = float64(len(all)) / elapsed.Seconds()
	r.p50, r.p99, r.p999 = pct(0.50), pct(0.99), pct(0.999)
	return r, nil
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

type target struct {
	name string
	addr string
	cmd  *exec.Cmd
}

func (t target) rss() string {
	if t.cmd == nil || t.cmd.Process == nil {
		return "-"
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", t.cmd.Process.Pid))
	if err != nil {
		return "-"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if kb, err := strconv.Atoi(f[1]); err == nil {
				return fmt.Sprintf("%.0f", float64(kb)/1024)
			}
		}
	}
	return "-"
}

func (t target) stop() {
	if t.cmd != nil && t.cmd.Process != nil {
		_ = t.cmd.Process.Kill()
		_ = t.cmd.Wait()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeConfig(dir string) (cfg string, port int, err error) {
	if err = os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", 0, err
	}
	if port, err = freePort(); err != nil {
		return "", 0, err
	}
	cfg = filepath.Join(dir, "zoo.cfg")
	body := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\nmaxClientCnxns=0\n",
		filepath.Join(dir, "data"), port)
	return cfg, port, os.WriteFile(cfg, []byte(body), 0o644)
}

func startZabd(bin, dir string) (target, error) {
	cfg, port, err := writeConfig(dir)
	if err != nil {
		return target{}, err
	}
	cmd := exec.Command(bin, "start-foreground", cfg)
	return launch("zabd", cmd, dir, port)
}

func startZooKeeper(classpath, dir string) (target, error) {
	cfg, port, err := writeConfig(dir)
	if err != nil {
		return target{}, err
	}
	cmd := exec.Command("java", "-cp", classpath, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg)
	return launch("zookeeper", cmd, dir, port)
}

func launch(name string, cmd *exec.Cmd, dir string, port int) (target, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return target{}, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return target{}, fmt.Errorf("start %s: %w", name, err)
	}
	t := target{name: name, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ruok(t.addr) {
			return t, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.stop()
	return target{}, fmt.Errorf("%s did not answer ruok within 30s (log: %s)", name, logf.Name())
}

func ruok(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	b, _ := io.ReadAll(c)
	return string(b) == "imok"
}
