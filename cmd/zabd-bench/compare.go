package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// runCompare starts zabd and Apache ZooKeeper standalone on loopback, each
// with a fresh dataDir, and runs the workloads against both, rounds times,
// the two taking turns so that both see the same background load. Besides
// the client's view it reports, per run, the server process's CPU time per
// operation and the mean number of txns one fsync of its log made durable
// (mntr's sync_processor_batch_size, which both servers keep). Both
// processes are killed and the directory removed before it returns, or when
// the tool is interrupted.
func runCompare(zabdBin, classpath string, ops []string, clients, size int, duration time.Duration, maxOps, rounds int) error {
	dir, err := os.MkdirTemp("", "zabd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	reap := reapOnSignal(dir)
	defer reap.stop()
	z, err := startZabd(zabdBin, filepath.Join(dir, "zabd"))
	if err != nil {
		return err
	}
	reap.add(z.cmd.Process)
	defer z.stop()
	j, err := startZooKeeper(classpath, filepath.Join(dir, "zookeeper"))
	if err != nil {
		return err
	}
	reap.add(j.cmd.Process)
	defer j.stop()
	targets := []target{z, j}

	if rounds > 1 {
		// A short untimed warm-up (the JVM compiles its hot paths; both get
		// sessions and nodes in place).
		for _, tg := range targets {
			for _, op := range ops {
				_, _ = run(tg.addr, op, clients, size, min(duration/4, 2*time.Second), maxOps)
			}
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	round := ""
	if rounds > 1 {
		round = "round\t"
	}
	fmt.Fprintf(tw, "%sserver\top\tclients\tops/s\tp50 ms\tp99 ms\tp99.9 ms\terrors\tRSS MiB\tCPU µs/op\ttxns/fsync\t\n", round)
	results := map[string][]result{}
	var keys []string
	for r := 1; r <= rounds; r++ {
		for _, tg := range targets {
			for _, op := range ops {
				before := tg.sample()
				res, err := run(tg.addr, op, clients, size, duration, maxOps)
				if err != nil {
					tw.Flush()
					return err
				}
				res.cpuPerOp, res.txnsPerSync = tg.sample().since(before, res.ops)
				key := tg.name + "\t" + op
				if results[key] == nil {
					keys = append(keys, key)
				}
				results[key] = append(results[key], res)
				if rounds > 1 {
					fmt.Fprintf(tw, "%d\t", r)
				}
				fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%d\t%s\t%s\t%s\t\n", key, clients,
					res.throughput, ms(res.p50), ms(res.p99), ms(res.p999), res.errors, tg.rss(),
					orDash(res.cpuPerOp, "%.0f"), orDash(res.txnsPerSync, "%.1f"))
			}
		}
	}
	tw.Flush()
	if rounds > 1 {
		fmt.Printf("\nmedian [min..max] over %d rounds\n", rounds)
		printSummary(os.Stdout, keys, results)
	}
	return nil
}

// printSummary prints, for each key ("server\top"), the median and range of
// every column over its results. A column no result measured is left out;
// a value one server did not report prints as "-".
func printSummary(w io.Writer, keys []string, results map[string][]result) {
	cols := []struct {
		name string
		f    func(result) float64
	}{
		{"ops/s", func(r result) float64 { return r.throughput }},
		{"p50 ms", func(r result) float64 { return ms(r.p50) }},
		{"p99 ms", func(r result) float64 { return ms(r.p99) }},
		{"p99.9 ms", func(r result) float64 { return ms(r.p999) }},
		{"CPU µs/op", func(r result) float64 { return r.cpuPerOp }},
		{"txns/fsync", func(r result) float64 { return r.txnsPerSync }},
	}
	measured := func(f func(result) float64) bool {
		for _, rs := range results {
			for _, r := range rs {
				if f(r) >= 0 {
					return true
				}
			}
		}
		return false
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "server\top\t")
	for _, c := range cols {
		if measured(c.f) {
			fmt.Fprintf(tw, "%s\t", c.name)
		}
	}
	fmt.Fprintln(tw)
	for _, key := range keys {
		fmt.Fprintf(tw, "%s\t", key)
		for _, c := range cols {
			if !measured(c.f) {
				continue
			}
			var v []float64
			for _, r := range results[key] {
				if x := c.f(r); x >= 0 {
					v = append(v, x)
				}
			}
			if len(v) == 0 {
				fmt.Fprintf(tw, "-\t")
				continue
			}
			slices.Sort(v)
			med := (v[(len(v)-1)/2] + v[len(v)/2]) / 2
			fmt.Fprintf(tw, "%.1f [%.1f..%.1f]\t", med, v[0], v[len(v)-1])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func orDash(v float64, format string) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

// serverSample is what a target's process and mntr say at one moment.
type serverSample struct {
	cpu        time.Duration // user+system time of the process; -1: unknown
	syncs, txn int64         // mntr zk_cnt_ and zk_sum_sync_processor_batch_size; syncs -1: unknown
}

// sample reads the target's CPU time and group-commit counters.
func (t target) sample() serverSample {
	s := serverSample{cpu: -1, syncs: -1}
	if t.cmd != nil && t.cmd.Process != nil {
		s.cpu = processCPU(t.cmd.Process.Pid)
	}
	if m, err := mntr(t.addr); err == nil {
		cnt, err1 := strconv.ParseInt(m["zk_cnt_sync_processor_batch_size"], 10, 64)
		sum, err2 := strconv.ParseInt(m["zk_sum_sync_processor_batch_size"], 10, 64)
		if err1 == nil && err2 == nil {
			s.syncs, s.txn = cnt, sum
		}
	}
	return s
}

// since returns the server CPU time per operation in µs and the txns per
// fsync between before and s; -1 for what is unknown.
func (s serverSample) since(before serverSample, ops int) (cpuPerOp, txnsPerSync float64) {
	cpuPerOp, txnsPerSync = -1, -1
	if s.cpu >= 0 && before.cpu >= 0 && ops > 0 {
		cpuPerOp = float64((s.cpu - before.cpu).Microseconds()) / float64(ops)
	}
	if s.syncs >= 0 && before.syncs >= 0 && s.syncs > before.syncs {
		txnsPerSync = float64(s.txn-before.txn) / float64(s.syncs-before.syncs)
	}
	return cpuPerOp, txnsPerSync
}

// processCPU returns the user+system CPU time of process pid from
// /proc/pid/stat, -1 if it cannot be read.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, in clock ticks of 1/100 s
	// (USER_HZ, fixed at 100 in what Linux shows to user space).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// mntr asks the server at addr for mntr and returns its key/value pairs.
func mntr(addr string) (map[string]string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte("mntr")); err != nil {
		return nil, err
	}
	m := map[string]string{}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "\t"); ok {
			m[k] = v
		}
	}
	return m, sc.Err()
}
