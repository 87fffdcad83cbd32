package admin

// Source is what the commands read from and do to the server. The server
// implements it; every method may be called from any goroutine and must not
// block on client traffic.
type Source interface {
	// Stats returns the server-wide statistics of srvr and stat.
	Stats() Stats
	// Conf returns the configuration conf prints.
	Conf() Conf
	// Connections returns the open client connections, ordered as they
	// should be listed.
	Connections() []Connection
	// ResetStats clears the server statistics (srst).
	ResetStats()
	// ResetConnectionStats clears every connection's statistics (crst).
	ResetConnectionStats()
	// SessionBuckets returns the live sessions grouped by expiry time,
	// oldest first (SessionTrackerImpl's ExpiryQueue).
	SessionBuckets() []Bucket
	// ConnectionBuckets returns the connections grouped by expiry time,
	// oldest first (NIOServerCnxnFactory's connection ExpiryQueue).
	ConnectionBuckets() []ConnBucket
	// Ephemerals returns each session's ephemeral paths, sorted.
	Ephemerals() map[int64][]string
	// DataWatches returns, per session, the paths of its watches in
	// ZooKeeper's data-watch table (getData, exists, and both kinds of
	// persistent watch), which is what wchs, wchc and wchp report.
	DataWatches() map[int64][]string
	// Metrics returns the values zabd has for mntr's keys, named without
	// the "zk_" prefix; see Monitor for the keys and defaults.
	Metrics() map[string]any
	// Environment returns envi's key=value pairs in order.
	Environment() []Pair
	// SystemProperties returns the system_properties pairs in order.
	SystemProperties() []Pair
	// InitialConfiguration returns the text of the config file.
	InitialConfiguration() string
	// LastSnapshot returns the zxid and the time (Unix seconds) of the
	// last snapshot taken or loaded.
	LastSnapshot() (zxid int64, unixSec int64)
	// TraceMask returns the trace mask; SetTraceMask sets it.
	TraceMask() int64
	SetTraceMask(mask int64)
}

// Stats are the server statistics (ServerStats, plus the node count).
type Stats struct {
	Version         string // Version, as srvr prints it
	ReadOnly        bool
	State           string // "standalone", "leader", "follower", "observer"
	PacketsSent     int64
	PacketsReceived int64
	MinLatency      int64   // ms
	AvgLatency      float64 // ms, rounded to 4 decimals
	MaxLatency      int64   // ms
	Outstanding     int64
	LastZxid        int64
	Connections     int // alive client connections
	NodeCount       int
	DataDirSize     int64
	LogDirSize      int64
	Uptime          int64 // ms
	AuthFailed      int64
	FsyncExceeded   int64 // fsync_threshold_exceed_count
	// ResponseSize holds the last, min and max client response sizes;
	// -1 before the first response (BufferStats).
	ResponseSize BufferStats
	// ProposalSizes are a leader's last, smallest and largest proposal
	// sizes; nil on any other server (srvr prints them for a leader only).
	ProposalSizes *BufferStats
}

// BufferStats are the last, smallest and largest sizes seen, -1 when none.
type BufferStats struct {
	Last, Min, Max int64
}

// Conf is the configuration conf and configuration report.
type Conf struct {
	ClientPort              int
	SecureClientPort        int // -1: none
	DataDir                 string
	DataDirSize             int64
	DataLogDir              string
	DataLogSize             int64
	TickTime                int64 // ms
	MaxClientCnxns          int
	MinSessionTimeout       int64 // ms
	MaxSessionTimeout       int64 // ms
	ServerID                int64
	ClientPortListenBacklog int // -1: default
	// Quorum is an ensemble member's part (QuorumZooKeeperServer.dumpConf);
	// nil for a standalone server.
	Quorum *QuorumConf
}

// QuorumConf is what conf adds for an ensemble member.
type QuorumConf struct {
	InitLimit, SyncLimit, ElectionAlg int
	ElectionPort, QuorumPort          int
	PeerType                          int    // 0 participant, 1 observer
	Membership                        string // the dynamic config, /zookeeper/config's data
}

// Connection is one client connection (ServerCnxn.getConnectionInfo).
type Connection struct {
	// Remote is "ip:port"; 4lw output prints it with a leading "/", as
	// InetSocketAddress.toString does.
	Remote      string
	InterestOps int   // 1 (read) for a client; 0 for the 4lw connection itself
	Queued      int64 // outstanding requests
	Received    int64
	Sent        int64
	SessionID   int64 // 0 before the handshake
	LastOp      string
	Established int64 // Unix ms
	Timeout     int32
	LastCxid    int64 // -1 when none
	LastZxid    int64 // -1 when none
	LastResp    int64 // Unix ms of the last response, 0 when none
	LastLatency int64
	MinLatency  int64
	AvgLatency  int64
	MaxLatency  int64
}

// Bucket is a set of sessions that expire at the same time.
type Bucket struct {
	ExpiryMs int64 // Unix ms
	Sessions []int64
}

// ConnBucket is a set of connections that expire at the same time.
type ConnBucket struct {
	ExpiryMs int64
	Conns    []Connection
}

// Pair is one key=value of envi or system_properties.
type Pair struct {
	Key, Value string
}
