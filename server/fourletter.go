package server

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/admin"
	"github.com/zabd/zabd/server/datatree"
	"github.com/zabd/zabd/server/watch"
)

// Version is reported by srvr, stat, mntr and envi. Monitoring scripts parse
// the "Zookeeper version: " prefix, so the layout follows ZooKeeper's.
var Version = "3.8.0-zabd-0.1, built on 2026-11-29 00:00 UTC"

// traceMask is what gtmk reports. Like ZooTrace's static mask it is global
// to the process; zabd traces nothing.
var traceMask atomic.Int64

func init() { traceMask.Store(306) } // ZooTrace's default mask

// fourLetter returns the reply to a four-letter word, or the whitelist
// refusal (NIOServerCnxn.checkFourLetterWord). Called on the event loop of
// the connection that sent it.
func (s *Server) fourLetter(cmd string) string {
	if !s.cfg.FourLetterWordAllowed(cmd) {
		return admin.NotWhitelisted(cmd)
	}
	if s.Role() == RoleLooking {
		// An ensemble member without a leader has no running server
		// (AbstractFourLetterCommand.isZKServerRunning).
		switch cmd {
		case "isro":
			return "null"
		case "ruok", "gtmk", "stmk", "envi":
		default:
			return notServing
		}
	}
	return admin.FourLetter(monitor{s}, cmd)
}

// notServing is what the four-letter words that need a running server
// answer while an ensemble member elects (ZK_NOT_SERVING).
const notServing = "This ZooKeeper instance is not currently serving requests\n"

// fourLetterWords lists the commands the client port answers in place of a
// handshake (FourLetterCommands).
var fourLetterWords = admin.FourLetterWords

// StartAdmin starts the AdminServer on admin.serverAddress:admin.serverPort
// when admin.enableServer is set; it returns nil otherwise. The caller
// closes it after Serve returns.
//
// NB: ZooKeeper exits when the AdminServer cannot bind
// (ERROR_STARTING_ADMIN_SERVER); zabd returns the error for the caller to
// log and serves clients anyway, since port 8080 is often taken.
func (s *Server) StartAdmin() (*admin.HTTP, error) {
	if !s.cfg.AdminEnableServer {
		return nil, nil
	}
	addr := net.JoinHostPort(s.cfg.AdminServerAddress, strconv.Itoa(s.cfg.AdminServerPort))
	return admin.Start(addr, monitor{s}, s.log)
}

// monitor is the server as admin.Source sees it.
type monitor struct{ s *Server }

func (m monitor) Stats() admin.Stats {
	s := m.s
	min, avg, max := s.latency()
	data, log := m.dirSizes()
	return admin.Stats{
		Version:         Version,
		State:           s.mode(),
		PacketsSent:     s.stats.sent.Load(),
		PacketsReceived: s.stats.received.Load(),
		MinLatency:      min,
		AvgLatency:      avg,
		MaxLatency:      max,
		Outstanding:     s.stats.outstanding.Load(),
		LastZxid:        s.lastApplied(),
		Connections:     s.connCount(),
		NodeCount:       s.nodeCount(),
		DataDirSize:     data,
		LogDirSize:      log,
		Uptime:          time.Since(s.started).Milliseconds(),
		ResponseSize:    admin.BufferStats{Last: -1, Min: -1, Max: -1},
		ProposalSizes:   m.proposalSizes(),
	}
}

// proposalSizes are a leader's proposal sizes, nil on any other server.
func (m monitor) proposalSizes() *admin.BufferStats {
	es, ok := m.s.ensembleStats()
	if !ok || m.s.Role() != RoleLeading {
		return nil
	}
	return &admin.BufferStats{Last: es.LastProposalSize, Min: es.MinProposalSize, Max: es.MaxProposalSize}
}

// quorumConf is conf's ensemble part, nil for a standalone server.
func (m monitor) quorumConf() *admin.QuorumConf {
	c := m.s.cfg
	if c.Standalone() {
		return nil
	}
	q := &admin.QuorumConf{InitLimit: c.InitLimit, SyncLimit: c.SyncLimit, ElectionAlg: c.ElectionAlg, Membership: c.DynamicConfig()}
	for _, sv := range c.Servers {
		if sv.ID == c.MyID {
			q.ElectionPort, q.QuorumPort = sv.ElectionPort, sv.QuorumPort
			if sv.Observer {
				q.PeerType = 1
			}
		}
	}
	return q
}

// ensembleMetrics adds mntr's ensemble keys: every member's peer state and
// quorum size, an observer's leader, a leader's learners and proposals.
func (m monitor) ensembleMetrics(mt map[string]any) {
	es, ok := m.s.ensembleStats()
	if !ok {
		return
	}
	mt["peer_state"] = es.PeerState
	mt["quorum_size"] = int64(es.QuorumSize)
	switch m.s.Role() {
	case RoleObserving:
		mt["observer_master_id"] = es.LeaderID
	case RoleLeading:
		mt["learners"] = int64(es.Learners)
		mt["synced_followers"] = int64(es.SyncedFollowers)
		mt["synced_non_voting_followers"] = int64(es.SyncedNonVotingFollowers)
		mt["synced_observers"] = int64(es.SyncedObservers)
		mt["pending_syncs"] = int64(es.PendingSyncs)
		mt["leader_uptime"] = time.Since(es.LeadingSince).Milliseconds()
		mt["last_proposal_size"] = es.LastProposalSize
		mt["min_proposal_size"] = es.MinProposalSize
		mt["max_proposal_size"] = es.MaxProposalSize
	}
}

func (m monitor) Conf() admin.Conf {
	c := m.s.cfg
	data, log := m.dirSizes()
	return admin.Conf{
		ClientPort:              c.ClientPort,
		SecureClientPort:        -1,
		DataDir:                 c.DataDir,
		DataDirSize:             data,
		DataLogDir:              c.DataLogDir,
		DataLogSize:             log,
		TickTime:                c.TickTime.Milliseconds(),
		MaxClientCnxns:          c.MaxClientCnxns,
		MinSessionTimeout:       c.MinSessionTimeout.Milliseconds(),
		MaxSessionTimeout:       c.MaxSessionTimeout.Milliseconds(),
		ServerID:                c.MyID, // 0 for a standalone server, as ZooKeeper reports
		ClientPortListenBacklog: -1,
		Quorum:                  m.quorumConf(),
	}
}

// dirSizes returns the bytes under dataDir and dataLogDir
// (ZooKeeperServer.getDataDirSize/getLogDirSize).
func (m monitor) dirSizes() (data, log int64) {
	data = dirSize(m.s.cfg.DataDir)
	if m.s.cfg.DataLogDir == m.s.cfg.DataDir {
		return data, data
	}
	return data, dirSize(m.s.cfg.DataLogDir)
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable or vanished: skip, as File.length() gives 0
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				// NB: the bytes on disk, not the length: Badger preallocates
				// sparse files (a 128 MiB value log, a 16 MiB memtable) that
				// would make an empty server look 150 MB large.
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512
				} else {
					n += fi.Size()
				}
			}
		}
		return nil
	})
	return n
}

// conns returns the open connections, oldest first.
func (s *Server) connList() []*conn {
	s.mu.Lock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	s.mu.Unlock()
	return out
}

func (m monitor) Connections() []admin.Connection {
	s := m.s
	s.mu.Lock()
	out := make([]admin.Connection, 0, len(s.conns))
	for c := range s.conns {
		// NB: under s.mu the connection has not passed OnClose, so gnet
		// has not recycled it and RemoteAddr is still its own.
		remote := c.remote
		if a := c.gc.RemoteAddr(); a != nil {
			remote = a.String()
		}
		out = append(out, c.info(remote))
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Established != out[j].Established {
			return out[i].Established < out[j].Established
		}
		return out[i].Remote < out[j].Remote
	})
	return out
}

// info returns the connection's statistics (ServerCnxn.getConnectionInfo).
func (c *conn) info(remote string) admin.Connection {
	c.mu.Lock()
	defer c.mu.Unlock()
	ci := admin.Connection{
		Remote:      remote,
		Queued:      int64(len(c.pending)),
		Received:    c.stats.received,
		Sent:        c.stats.sent,
		SessionID:   c.session,
		LastOp:      lastOpName(c.stats.lastOp, c.stats.sent),
		Established: c.stats.connectedMs,
		Timeout:     c.timeout,
		LastCxid:    -1,
		LastZxid:    -1,
	}
	if c.session != 0 {
		// NIOServerCnxn: a connection waits to read (OP_READ = 1) except
		// while its four-letter word is served, which has no session.
		ci.InterestOps = 1
	}
	if c.stats.sent > 0 {
		ci.LastZxid = c.stats.lastZxid
	}
	c.mon.fill(&ci)
	return ci
}

// lastOpName returns the four-letter code FinalRequestProcessor records as
// a connection's last operation ("NA" before the first reply).
func lastOpName(op zkproto.OpCode, sent int64) string {
	if sent == 0 {
		return "NA"
	}
	switch op {
	case zkproto.OpPing:
		return "PING"
	case zkproto.OpCreateSession:
		return "SESS"
	case zkproto.OpMulti:
		return "MULT"
	case zkproto.OpMultiRead:
		return "MLTR"
	case zkproto.OpCreate, zkproto.OpCreate2, zkproto.OpCreateTTL, zkproto.OpCreateContainer:
		return "CREA"
	case zkproto.OpDelete, zkproto.OpDeleteContainer:
		return "DELE"
	case zkproto.OpSetData:
		return "SETD"
	case zkproto.OpReconfig:
		return "RECO"
	case zkproto.OpSetACL:
		return "SETA"
	case zkproto.OpCloseSession:
		return "CLOS"
	case zkproto.OpSync:
		return "SYNC"
	case zkproto.OpCheck:
		return "CHEC"
	case zkproto.OpExists:
		return "EXIS"
	case zkproto.OpGetData:
		return "GETD"
	case zkproto.OpSetWatches:
		return "SETW"
	case zkproto.OpSetWatches2:
		return "STW2"
	case zkproto.OpAddWatch:
		return "ADDW"
	case zkproto.OpGetACL:
		return "GETA"
	case zkproto.OpGetChildren, zkproto.OpGetChildren2:
		return "GETC"
	case zkproto.OpGetAllChildrenNumber:
		return "GETACN"
	case zkproto.OpCheckWatches:
		return "CHKW"
	case zkproto.OpRemoveWatches:
		return "REMW"
	case zkproto.OpWhoAmI:
		return "HOMI"
	case zkproto.OpGetEphemerals:
		return "GETE"
	}
	return "NA"
}

// connMon holds a connection's response statistics for cons
// (ServerCnxn.updateStatsForResponse). Guarded by conn.mu.
type connMon struct {
	lastCxid    int32
	hasCxid     bool
	lastResp    int64 // Unix ms
	lastLatency int64 // ms
	minLatency  int64
	maxLatency  int64
	sumLatency  int64
	count       int64
}

// response records a reply to the request with xid that arrived at
// startNs (0: unknown). Caller holds conn.mu.
func (m *connMon) response(xid int32, startNs int64) {
	now := time.Now()
	m.lastResp = now.UnixMilli()
	if xid >= 0 {
		m.lastCxid, m.hasCxid = xid, true
	}
	if startNs == 0 {
		return
	}
	lat := (now.UnixNano() - startNs) / int64(time.Millisecond)
	m.lastLatency = lat
	if m.count == 0 || lat < m.minLatency {
		m.minLatency = lat
	}
	if lat > m.maxLatency {
		m.maxLatency = lat
	}
	m.sumLatency += lat
	m.count++
}

func (m *connMon) fill(ci *admin.Connection) {
	if m.hasCxid {
		ci.LastCxid = int64(m.lastCxid)
	}
	ci.LastResp = m.lastResp
	ci.LastLatency = m.lastLatency
	ci.MinLatency = m.minLatency
	ci.MaxLatency = m.maxLatency
	if m.count > 0 {
		ci.AvgLatency = m.sumLatency / m.count
	}
}

func (m monitor) ResetStats() {
	st := &m.s.stats
	st.received.Store(0)
	st.sent.Store(0)
	st.latencyMin.Store(0)
	st.latencyMax.Store(0)
	st.latencySum.Store(0)
	st.latencyCount.Store(0)
	m.s.tree.ResetStats()
	m.s.syncStats.reset()
}

// ResetConnectionStats clears every connection's counters
// (ServerCnxn.resetStats).
func (m monitor) ResetConnectionStats() {
	for _, c := range m.s.connList() {
		c.mu.Lock()
		c.stats.received, c.stats.sent = 0, 0
		c.mon = connMon{}
		c.mu.Unlock()
	}
}

func (m monitor) SessionBuckets() []admin.Bucket {
	b := m.s.sessions.Buckets()
	out := make([]admin.Bucket, 0, len(b))
	for exp, ids := range b {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		out = append(out, admin.Bucket{ExpiryMs: exp, Sessions: ids})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExpiryMs < out[j].ExpiryMs })
	return out
}

// ConnectionBuckets groups the connections by when they would be dropped
// for idleness: a session's connection with its session, any other one
// sessionlessCnxnTimeout (10 s) after it was opened, rounded up to the tick
// as ExpiryQueue rounds.
func (m monitor) ConnectionBuckets() []admin.ConnBucket {
	s := m.s
	tick := s.cfg.TickTime.Milliseconds()
	if tick <= 0 {
		tick = 1
	}
	expiryOf := map[int64]int64{}
	for exp, ids := range s.sessions.Buckets() {
		for _, id := range ids {
			expiryOf[id] = exp
		}
	}
	byExp := map[int64][]admin.Connection{}
	for _, c := range m.Connections() {
		exp, ok := expiryOf[c.SessionID]
		if !ok {
			exp = (c.Established+10000)/tick*tick + tick
		}
		byExp[exp] = append(byExp[exp], c)
	}
	out := make([]admin.ConnBucket, 0, len(byExp))
	for exp, cs := range byExp {
		out = append(out, admin.ConnBucket{ExpiryMs: exp, Conns: cs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExpiryMs < out[j].ExpiryMs })
	return out
}

func (m monitor) Ephemerals() map[int64][]string {
	t := m.s.tree
	t.RLock()
	defer t.RUnlock()
	return t.EphemeralSessions()
}

// DataWatches lists, per session, the paths in ZooKeeper's dataWatches
// table: one-shot data watches and both kinds of persistent watch
// (DataTree.addWatch puts those in both tables).
func (m monitor) DataWatches() map[int64][]string {
	return m.watchTable(watch.Data | watch.Persistent | watch.Recursive)
}

func (m monitor) watchTable(kinds watch.Kind) map[int64][]string {
	out := map[int64][]string{}
	for _, w := range m.watchers() {
		c, ok := w.(*conn)
		if !ok {
			continue
		}
		if ps := m.s.watches.Paths(w, kinds); len(ps) > 0 {
			c.mu.Lock()
			id := c.session
			c.mu.Unlock()
			out[id] = append(out[id], ps...)
		}
	}
	for _, ps := range out {
		sort.Strings(ps)
	}
	return out
}

func (m monitor) watchers() []watch.Watcher {
	seen := map[watch.Watcher]bool{}
	var out []watch.Watcher
	for _, ws := range m.s.watches.ByPath() {
		for _, w := range ws {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// watchCount is mntr's zk_watch_count: the sizes of ZooKeeper's data and
// child watch tables added (DataTree.getWatchCount).
func (m monitor) watchCount() int {
	n := 0
	for _, w := range m.watchers() {
		n += len(m.s.watches.Paths(w, watch.Data|watch.Persistent|watch.Recursive))
		n += len(m.s.watches.Paths(w, watch.Child|watch.Persistent|watch.Recursive))
	}
	return n
}

func (m monitor) Metrics() map[string]any {
	s := m.s
	min, avg, max := s.latency()
	t := s.tree
	t.RLock()
	nodes := t.NodeCount()
	eph := 0
	for _, ps := range t.EphemeralSessions() {
		eph += len(ps)
	}
	size := t.ApproximateDataSize()
	writes := t.NamespaceWrites()
	quotas := t.QuotaNamespaces()
	reads := t.NamespaceReads()
	exceeded := t.QuotaExceeded()
	t.RUnlock()
	open, maxFD := fdCounts()
	mt := map[string]any{
		"version":                    Version,
		"server_state":               s.mode(),
		"ephemerals_count":           int64(eph),
		"num_alive_connections":      int64(s.connCount()),
		"avg_latency":                avg,
		"outstanding_requests":       s.stats.outstanding.Load(),
		"znode_count":                int64(nodes),
		"global_sessions":            int64(s.sessions.Len()),
		"packets_sent":               s.stats.sent.Load(),
		"packets_received":           s.stats.received.Load(),
		"watch_count":                int64(m.watchCount()),
		"min_latency":                min,
		"max_latency":                max,
		"max_file_descriptor_count":  maxFD,
		"open_file_descriptor_count": open,
		"approximate_data_size":      size,
		"local_sessions":             int64(0),
		"uptime":                     time.Since(s.started).Milliseconds(),
	}
	m.ensembleMetrics(mt)
	batch, fsync := s.syncStats.snapshot()
	batch.Put(mt, "sync_processor_batch_size")
	fsync.Put(mt, "fsynctime")
	for ns, w := range writes {
		sum := admin.Summary{Min: w.Min, Max: w.Max, Count: w.Count, Sum: w.Sum}
		sum.Put(mt, ns+"_write_per_namespace")
	}
	for ns, r := range reads {
		sum := admin.Summary{Min: r.Min, Max: r.Max, Count: r.Count, Sum: r.Sum}
		sum.Put(mt, ns+"_read_per_namespace")
	}
	for ns, q := range quotas {
		mt[ns+"_quota_count_limit_per_namespace"] = q.CountLimit
		mt[ns+"_quota_bytes_limit_per_namespace"] = q.BytesLimit
		mt[ns+"_quota_count_usage_per_namespace"] = q.CountUsage
		mt[ns+"_quota_bytes_usage_per_namespace"] = q.BytesUsage
	}
	for ns, n := range exceeded {
		mt[ns+"_quota_exceeded_error_per_namespace"] = n
	}
	return mt
}

// fdCounts returns the open and the maximum file descriptor counts, as the
// JVM's UnixOperatingSystemMXBean reports them.
func fdCounts() (open, max int64) {
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = int64(len(ents))
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		max = int64(rl.Cur)
	}
	return open, max
}

// Environment lists envi's keys (Environment.list) with zabd's values:
// the java.* keys describe the Go runtime and binary.
func (m monitor) Environment() []admin.Pair {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mb := func(b uint64) string { return fmt.Sprintf("%dMB", b/(1<<20)) }
	return []admin.Pair{
		{Key: "zookeeper.version", Value: Version},
		{Key: "host.name", Value: host},
		{Key: "java.version", Value: runtime.Version()},
		{Key: "java.vendor", Value: "zabd"},
		{Key: "java.home", Value: runtime.GOROOT()},
		{Key: "java.class.path", Value: exe},
		{Key: "java.library.path", Value: ""},
		{Key: "java.io.tmpdir", Value: os.TempDir()},
		{Key: "java.compiler", Value: "<NA>"},
		{Key: "os.name", Value: osName()},
		{Key: "os.arch", Value: runtime.GOARCH},
		{Key: "os.version", Value: osRelease()},
		{Key: "user.name", Value: os.Getenv("USER")},
		{Key: "user.home", Value: os.Getenv("HOME")},
		{Key: "user.dir", Value: wd},
		{Key: "os.memory.free", Value: mb(ms.HeapIdle)},
		{Key: "os.memory.max", Value: mb(ms.Sys)},
		{Key: "os.memory.total", Value: mb(ms.HeapSys)},
	}
}

// osName is Java's os.name: "Linux", "Mac OS X", ...
func osName() string {
	switch runtime.GOOS {
	case "linux":
		return "Linux"
	case "darwin":
		return "Mac OS X"
	}
	return runtime.GOOS
}

func osRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// SystemProperties lists the Java system properties ZooKeeper would have
// that mean something for zabd: the platform's, and "zookeeper.<key>" for
// the zoo.cfg keys ZooKeeper turns into properties.
func (m monitor) SystemProperties() []admin.Pair {
	wd, _ := os.Getwd()
	c := m.s.cfg
	ps := []admin.Pair{
		{Key: "file.encoding", Value: "UTF-8"},
		{Key: "file.separator", Value: "/"},
		{Key: "java.io.tmpdir", Value: os.TempDir()},
		{Key: "line.separator", Value: "\n"},
		{Key: "os.arch", Value: runtime.GOARCH},
		{Key: "os.name", Value: osName()},
		{Key: "os.version", Value: osRelease()},
		{Key: "path.separator", Value: ":"},
		{Key: "user.dir", Value: wd},
		{Key: "user.home", Value: os.Getenv("HOME")},
		{Key: "user.name", Value: os.Getenv("USER")},
		{Key: "zookeeper.admin.enableServer", Value: strconv.FormatBool(c.AdminEnableServer)},
		{Key: "zookeeper.admin.serverAddress", Value: c.AdminServerAddress},
		{Key: "zookeeper.admin.serverPort", Value: strconv.Itoa(c.AdminServerPort)},
	}
	return ps
}

func (m monitor) InitialConfiguration() string {
	if m.s.cfg.Path == "" {
		return ""
	}
	b, err := os.ReadFile(m.s.cfg.Path)
	if err != nil {
		return ""
	}
	return string(b)
}

// LastSnapshot reports zxid 0 at the server's start.
// TODO(admin): report the snapshot the server last took or loaded once the
// snapshotter exposes it.
func (m monitor) LastSnapshot() (int64, int64) { return 0, m.s.started.Unix() }

func (m monitor) TraceMask() int64        { return traceMask.Load() }
func (m monitor) SetTraceMask(mask int64) { traceMask.Store(mask) }

// noteRead records a served read for mntr's read_per_namespace
// (DataTree.updateReadStat: getData, exists and getChildren that succeed).
func (s *Server) noteRead(r *request, hdr zkproto.ReplyHeader, body any) {
	if hdr.Err != zkproto.Ok {
		return
	}
	// NB: GetEphemeralsResponse has GetChildrenResponse's layout (one Go
	// type), so the opcode, not the body type, says what was read.
	pw, ok := r.rec.(*zkproto.PathWatch)
	if !ok {
		return
	}
	switch x := body.(type) {
	case *zkproto.GetDataResponse:
		s.tree.NoteRead(pw.Path, len(x.Data))
	case *zkproto.StatResponse:
		if r.op == zkproto.OpExists {
			s.tree.NoteRead(pw.Path, 0)
		}
	case *zkproto.GetChildrenResponse:
		s.tree.NoteRead(pw.Path, namesLen(x.Strings))
	case *zkproto.GetChildren2Response:
		s.tree.NoteRead(pw.Path, namesLen(x.Children))
	}
}

func namesLen(names []string) int {
	n := 0
	for _, c := range names {
		n += datatree.JavaLen(c)
	}
	return n
}

func (s *Server) mode() string { return s.Role().String() }

func (s *Server) latency() (min int64, avg float64, max int64) {
	n := s.stats.latencyCount.Load()
	if n > 0 {
		avg = admin.RoundAvg(s.stats.latencySum.Load(), n)
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
