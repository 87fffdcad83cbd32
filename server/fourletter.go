package server

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Version is reported by srvr, stat, mntr and envi. Monitoring scripts parse
// the "Zookeeper version: " prefix, so the layout follows ZooKeeper's.
var Version = "3.8.0-zabd-0.1, built on 2026-11-29 00:00 UTC"

// fourLetterWords lists the commands the client port answers in place of a
// handshake (FourLetterCommands).
var fourLetterWords = map[string]bool{
	"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true, "cons": true,
	"crst": true, "dump": true, "envi": true, "srst": true, "wchs": true, "wchc": true,
	"wchp": true, "dirs": true, "isro": true, "gtmk": true, "stmk": true,
}

// fourLetter returns the reply to a four-letter word.
func (s *Server) fourLetter(cmd string) string {
	if !s.cfg.FourLetterWordAllowed(cmd) {
		return cmd + " is not executed because it is not in the whitelist.\n"
	}
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		return "rw"
	case "srvr":
		return s.srvr(false)
	case "stat":
		return s.srvr(true)
	case "conf":
		return s.conf()
	case "envi":
		return s.envi()
	case "mntr":
		return s.mntr()
	case "cons":
		return s.cons() + "\n"
	case "crst":
		s.resetStats()
		return "Connection stats reset.\n"
	case "srst":
		s.resetStats()
		return "Server stats reset.\n"
	case "wchs":
		w, p := s.watches.Count()
		return fmt.Sprintf("%d connections watching %d paths\nTotal watches:%d\n", s.watchingConns(), p, w)
	case "wchp":
		return s.wchp()
	case "wchc":
		return s.wchc()
	case "dump":
		return s.dump()
	case "dirs":
		return "datadir_size: 0\nlogdir_size: 0\n"
	}
	return ""
}

func (s *Server) resetStats() {
	s.stats.received.Store(0)
	s.stats.sent.Store(0)
	s.stats.latencyMin.Store(0)
	s.stats.latencyMax.Store(0)
	s.stats.latencySum.Store(0)
	s.stats.latencyCount.Store(0)
}

func (s *Server) mode() string {
	if s.cfg.Standalone() {
		return "standalone"
	}
	return "standalone"
}

func (s *Server) latency() (min int64, avg float64, max int64) {
	n := s.stats.latencyCount.Load()
	if n > 0 {
		avg = float64(s.stats.latencySum.Load()) / float64(n)
	}
	return s.stats.latencyMin.Load(), avg, s.stats.latencyMax.Load()
}

func (s *Server) nodeCount() int {
	s.tree.RLock()
	defer s.tree.RUnlock()
	return s.tree.NodeCount()
}

func (s *Server) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) srvr(withClients bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Zookeeper version: %s\n", Version)
	if withClients {
		b.WriteString("Clients:\n")
		b.WriteString(s.cons())
		b.WriteString("\n")
	}
	min, avg, max := s.latency()
	fmt.Fprintf(&b, "Latency min/avg/max: %d/%.4f/%d\n", min, avg, max)
	fmt.Fprintf(&b, "Received: %d\n", s.stats.received.Load())
	fmt.Fprintf(&b, "Sent: %d\n", s.stats.sent.Load())
	fmt.Fprintf(&b, "Connections: %d\n", s.connCount())
	fmt.Fprintf(&b, "Outstanding: %d\n", s.stats.outstanding.Load())
	fmt.Fprintf(&b, "Zxid: %#x\n", s.lastApplied())
	fmt.Fprintf(&b, "Mode: %s\n", s.mode())
	fmt.Fprintf(&b, "Node count: %d\n", s.nodeCount())
	return b.String()
}

func (s *Server) cons() string {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var b strings.Builder
	for _, c := range conns {
		c.mu.Lock()
		fmt.Fprintf(&b, " /%s[1](queued=%d,recved=%d,sent=%d,sid=%#x,lop=%s,est=%d,to=%d,lzxid=%#x)\n",
			c.remote, len(c.pending), c.stats.received, c.stats.sent, c.session,
			strings.ToUpper(opShort(c.stats.lastOp)), c.stats.connectedMs, c.timeout, c.stats.lastZxid)
		c.mu.Unlock()
	}
	return b.String()
}

func opShort(op interface{ String() string }) string {
	s := op.String()
	if len(s) > 4 {
		s = s[:4]
	}
	return s
}

func (s *Server) conf() string {
	c := s.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "clientPort=%d\n", c.ClientPort)
	fmt.Fprintf(&b, "secureClientPort=-1\n")
	fmt.Fprintf(&b, "dataDir=%s\n", c.DataDir)
	fmt.Fprintf(&b, "dataDirSize=0\n")
	fmt.Fprintf(&b, "dataLogDir=%s\n", c.DataLogDir)
	fmt.Fprintf(&b, "dataLogSize=0\n")
	fmt.Fprintf(&b, "tickTime=%d\n", c.TickTime.Milliseconds())
	fmt.Fprintf(&b, "maxClientCnxns=%d\n", c.MaxClientCnxns)
	fmt.Fprintf(&b, "minSessionTimeout=%d\n", c.MinSessionTimeout.Milliseconds())
	fmt.Fprintf(&b, "maxSessionTimeout=%d\n", c.MaxSessionTimeout.Milliseconds())
	fmt.Fprintf(&b, "clientPortListenBacklog=-1\n")
	fmt.Fprintf(&b, "serverId=%d\n", s.serverID)
	return b.String()
}

func (s *Server) envi() string {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	var b strings.Builder
	b.WriteString("Environment:\n")
	fmt.Fprintf(&b, "zookeeper.version=%s\n", Version)
	fmt.Fprintf(&b, "host.name=%s\n", host)
	fmt.Fprintf(&b, "go.version=%s\n", runtime.Version())
	fmt.Fprintf(&b, "os.name=%s\n", runtime.GOOS)
	fmt.Fprintf(&b, "os.arch=%s\n", runtime.GOARCH)
	fmt.Fprintf(&b, "user.dir=%s\n", wd)
	return b.String()
}

func (s *Server) mntr() string {
	min, avg, max := s.latency()
	w, _ := s.watches.Count()
	s.tree.RLock()
	nodes := s.tree.NodeCount()
	eph := 0
	for _, ps := range s.tree.EphemeralSessions() {
		eph += len(ps)
	}
	s.tree.RUnlock()
	kv := [][2]string{
		{"zk_version", Version},
		{"zk_server_state", s.mode()},
		{"zk_ephemerals_count", fmt.Sprint(eph)},
		{"zk_num_alive_connections", fmt.Sprint(s.connCount())},
		{"zk_avg_latency", fmt.Sprintf("%.4f", avg)},
		{"zk_outstanding_requests", fmt.Sprint(s.stats.outstanding.Load())},
		{"zk_znode_count", fmt.Sprint(nodes)},
		{"zk_global_sessions", fmt.Sprint(s.sessions.Len())},
		{"zk_packets_sent", fmt.Sprint(s.stats.sent.Load())},
		{"zk_packets_received", fmt.Sprint(s.stats.received.Load())},
		{"zk_watch_count", fmt.Sprint(w)},
		{"zk_min_latency", fmt.Sprint(min)},
		{"zk_max_latency", fmt.Sprint(max)},
		{"zk_uptime", fmt.Sprint(time.Since(s.started).Milliseconds())},
		{"zk_local_sessions", "0"},
	}
	var b strings.Builder
	for _, p := range kv {
		fmt.Fprintf(&b, "%s\t%s\n", p[0], p[1])
	}
	return b.String()
}

func (s *Server) watchingConns() int {
	seen := map[any]bool{}
	for _, ws := range s.watches.ByPath() {
		for _, w := range ws {
			seen[w] = true
		}
	}
	return len(seen)
}

func (s *Server) wchp() string {
	byPath := s.watches.ByPath()
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p + "\n")
		for _, w := range byPath[p] {
			if c, ok := w.(*conn); ok {
				fmt.Fprintf(&b, "\t%#x\n", c.session)
			}
		}
	}
	return b.String()
}

func (s *Server) wchc() string {
	bySess := map[int64][]string{}
	for p, ws := range s.watches.ByPath() {
		for _, w := range ws {
			if c, ok := w.(*conn); ok {
				bySess[c.session] = append(bySess[c.session], p)
			}
		}
	}
	ids := make([]int64, 0, len(bySess))
	for id := range bySess {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "%#x\n", id)
		sort.Strings(bySess[id])
		for _, p := range bySess[id] {
			fmt.Fprintf(&b, "\t%s\n", p)
		}
	}
	return b.String()
}

func (s *Server) dump() string {
	var b strings.Builder
	b.WriteString("SessionTracker dump:\n")
	sess := s.sessions.Snapshot()
	fmt.Fprintf(&b, "Global Sessions(%d):\n", len(sess))
	ids := make([]int64, 0, len(sess))
	for id := range sess {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(&b, "%#x\t%dms\n", id, sess[id])
	}
	b.WriteString("ephemeral nodes dump:\n")
	s.tree.RLock()
	eph := s.tree.EphemeralSessions()
	s.tree.RUnlock()
	fmt.Fprintf(&b, "Sessions with Ephemerals (%d):\n", len(eph))
	ids = ids[:0]
	for id := range eph {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(&b, "%#x:\n", id)
		for _, p := range eph[id] {
			fmt.Fprintf(&b, "\t%s\n", p)
		}
	}
	b.WriteString("Connections with Ephemerals (0):\n")
	return b.String()
}
