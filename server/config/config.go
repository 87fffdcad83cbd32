// Package config parses ZooKeeper's zoo.cfg (a Java properties file) into a
// typed Config. It reads the files it is told to (zoo.cfg, dataDir/myid, the
// dynamicConfigFile) and nothing else; it logs nothing, but returns its
// warnings in Config.Warnings for the caller to log. Load is safe to call
// from any goroutine; a Config is not modified after Load returns.
//
// Every key ZooKeeper documents is either honoured or accepted with a
// warning; an unknown key is accepted with a warning and a did-you-mean
// hint, because ZooKeeper turns unknown keys into system properties and real
// files carry many. Keys that ZooKeeper reads only as Java system properties
// (jute.maxbuffer, extendedTypesEnabled, znode.container.*) are honoured from
// zoo.cfg too. A bad value is an *Error naming file, line, key and value:
//
//	zoo.cfg:7: tickTime: "abc" is not a number
//
// Counterpart: QuorumPeerConfig.parse / parseProperties /
// setupQuorumPeerConfig, and the system properties the server reads.
package config

import "time"

// Config is a parsed zoo.cfg. Zero values are never meaningful: use Default
// or Load, which fill ZooKeeper's defaults.
type Config struct {
	// Path is the file the config came from ("" for the embedded default).
	Path string

	// TickTime is ZooKeeper's base time unit. Default 3000 ms (zoo.cfg key tickTime).
	TickTime time.Duration
	// InitLimit and SyncLimit are in ticks; no default, required for an
	// ensemble (keys initLimit, syncLimit).
	InitLimit int
	SyncLimit int

	// DataDir holds snapshots and myid; required. Load makes it absolute,
	// resolving a relative path against the working directory as Java does.
	DataDir string
	// DataLogDir holds the txn log; defaults to DataDir. Absolute after Load.
	DataLogDir string

	// ClientPort is the plaintext client port (clientPort, or the
	// ";clientPort" part of this server's server.N line); 0: none.
	ClientPort int
	// ClientPortAddress is the address to bind; "" = all addresses.
	ClientPortAddress string

	// MinSessionTimeout and MaxSessionTimeout default to 2 and 20 ticks
	// (keys in ms; -1 also asks for the default).
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	MaxClientCnxns    int // per client IP; 0 = unlimited; default 60

	// JuteMaxBuffer bounds every packet (jute.maxbuffer, default 0xfffff bytes).
	JuteMaxBuffer int
	// ExtendedTypesEnabled allows TTL nodes (extendedTypesEnabled or
	// zookeeper.extendedTypesEnabled; default false).
	ExtendedTypesEnabled bool
	// ContainerCheckInterval is how often containers and TTL nodes are reaped
	// (znode.container.checkIntervalMs, default 60 s).
	ContainerCheckInterval time.Duration
	// ContainerMaxPerMinute bounds container deletions (znode.container.maxPerMinute, default 10000).
	ContainerMaxPerMinute int

	// FourLetterWords is the 4lw.commands.whitelist; "*" allows all; srvr
	// is always in. Default {"srvr"}.
	FourLetterWords map[string]bool

	SnapCount              int  // txns between snapshots; default 100000, at least 2
	ForceSync              bool // fsync the txn log (forceSync=yes|no); default true
	SnapRetainCount        int  // autopurge.snapRetainCount, default 3, at least 3
	PurgeIntervalHours     int  // autopurge.purgeInterval, default 0 (off)
	GlobalOutstandingLimit int  // default 1000

	AdminEnableServer  bool   // admin.enableServer, default true
	AdminServerPort    int    // admin.serverPort, default 8080
	AdminServerAddress string // admin.serverAddress, default 0.0.0.0

	// Quorum.

	// MyID is this server's id from dataDir/myid; 0 when standalone without
	// a myid file.
	MyID int64
	// Servers are the server.N lines (of zoo.cfg or of DynamicConfigFile),
	// sorted by ID.
	Servers []Server
	// PeerType is "participant" or "observer". In an ensemble it is this
	// server's role in Servers, which wins over the peerType key as in
	// QuorumPeerConfig.setupPeerType.
	PeerType             string
	ElectionAlg          int  // only 3
	StandaloneEnabled    bool // default true
	QuorumListenOnAllIPs bool // default false
	// CnxTimeout bounds the election connect (cnxTimeout, ms; default 5 s).
	CnxTimeout time.Duration
	// MultiAddressEnabled allows several "|"-separated addresses per
	// server.N line; zabd uses the first.
	MultiAddressEnabled bool
	// DynamicConfigFile is the file the server.N lines were read from when
	// zoo.cfg names one ("" otherwise).
	DynamicConfigFile string

	// EnforceQuota makes hard quotas (setquota -N, -B) refuse writes with
	// QuotaExceeded (enforceQuota, the property zookeeper.enforceQuota;
	// default false, as in ZooKeeper 3.7+).
	EnforceQuota bool

	// SuperDigest is zookeeper.DigestAuthenticationProvider.superDigest
	// ("super:base64"); "" = no super user.
	SuperDigest string

	// Warnings lists unknown or ignored keys and questionable values, each
	// naming file, line and key, for the caller to log.
	Warnings []string
}

// Server is one server.N line.
type Server struct {
	ID           int64
	Host         string // the first address's host; IPv6 without brackets
	QuorumPort   int
	ElectionPort int
	Observer     bool
	ClientHost   string // "" if not given
	ClientPort   int    // 0 if not given
}

// Standalone reports whether the config runs a single standalone server:
// no server.N lines, or exactly one with standaloneEnabled.
func (c *Config) Standalone() bool {
	return len(c.Servers) == 0 || (len(c.Servers) == 1 && c.StandaloneEnabled)
}

// Default returns the embedded default config that `make run` uses:
// clientPort 2181, dataDir ./data, tickTime 2000.
func Default() *Config {
	c := base()
	c.TickTime = 2000 * time.Millisecond
	c.DataDir = "./data"
	c.DataLogDir = c.DataDir
	c.ClientPort = 2181
	c.InitLimit = 10
	c.SyncLimit = 5
	c.finish()
	return c
}

// base returns ZooKeeper's defaults for every key.
func base() *Config {
	return &Config{
		TickTime:               3000 * time.Millisecond,
		MaxClientCnxns:         60,
		JuteMaxBuffer:          0xfffff,
		ContainerCheckInterval: 60 * time.Second,
		ContainerMaxPerMinute:  10000,
		FourLetterWords:        map[string]bool{"srvr": true},
		SnapCount:              100000,
		ForceSync:              true,
		SnapRetainCount:        3,
		GlobalOutstandingLimit: 1000,
		AdminEnableServer:      true,
		AdminServerPort:        8080,
		AdminServerAddress:     "0.0.0.0",
		PeerType:               "participant",
		ElectionAlg:            3,
		StandaloneEnabled:      true,
		CnxTimeout:             5 * time.Second,
	}
}

// finish fills the defaults derived from other keys.
func (c *Config) finish() {
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	if c.MinSessionTimeout == 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if c.MaxSessionTimeout == 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
}

// FourLetterWordAllowed reports whether cmd is on the whitelist.
func (c *Config) FourLetterWordAllowed(cmd string) bool {
	return c.FourLetterWords["*"] || c.FourLetterWords[cmd]
}
