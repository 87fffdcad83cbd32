package admin

import (
	"net"
	"strconv"
)

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
	// Ensemble returns an ensemble member's quorum state, or nil for a
	// standalone server.
	Ensemble() *Ensemble
	// ResetObserverStats clears the counters of a leader's observer
	// connections (orst); elsewhere it does nothing.
	ResetObserverStats()
}

// Ensemble is an ensemble member's state as the quorum commands (leader,
// zabstate, voting_view, observers) report it.
type Ensemble struct {
	// Serving is false while the member has no leader to serve with
	// (LOOKING, discovery, sync): ZooKeeper has no running server then and
	// answers most commands with an error (see notServing).
	Serving  bool
	MyID     int64
	Leading  bool
	Voting   bool  // a participant, not an observer
	LeaderID int64 // the server this one leads or follows
	// LeaderHost is the leader's host as its server.N line gives it
	// (QuorumPeer.getLeaderAddress: the host strings, not resolved).
	LeaderHost string
	// Quorum and Election are this server's addresses from its server.N
	// line; Client is where it accepts clients.
	Quorum, Election, Client Addr
	// LastZxid is the zxid of the last txn applied (srvr's Zxid).
	LastZxid int64
	// ZabState is QuorumPeer.ZabState in lower case: "election",
	// "discovery", "synchronization" or "broadcast".
	ZabState string
	// Voters are the voting members in id order
	// (QuorumPeer.getVotingView).
	Voters []Member
	// SyncedObservers are a leader's observers that get its broadcast
	// packets (Leader.getObservingLearners), in id order; empty on any
	// other server.
	SyncedObservers []LearnerConn
}

// Addr is a host (as configured; IPv6 without brackets) and a port.
type Addr struct {
	Host string
	Port int
}

// String returns host:port, with an IPv6 host in brackets.
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// Member is one voting member of the configuration.
type Member struct {
	ID               int64
	Quorum, Election Addr
	// Client is the client address its server.N line gives after ';',
	// or this server's own for itself; nil otherwise.
	Client *Addr
}

// LearnerConn is a leader's connection to one learner
// (LearnerHandler.getLearnerHandlerInfo).
type LearnerConn struct {
	Remote      string // "ip:port" of the learner's end
	ID          int64
	Established int64 // Unix ms
	// QueuedPackets and QueuedBytes are what waits to be written to it.
	QueuedPackets, QueuedBytes int64
	// Packets and REQUESTs since the connection synced or the last orst.
	PacketsReceived, PacketsSent, Requests int64
	// LastZxid is the zxid of the last packet sent that carried one; -1
	// after orst until the next.
	LastZxid int64
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
