// Package config parses ZooKeeper's zoo.cfg (a Java properties file) into a
// typed Config. It is pure: it reads the files it is told to and nothing else.
//
// Counterpart: QuorumPeerConfig.parseProperties and ServerConfig.
package config

import "time"

// Config is a parsed zoo.cfg. Zero values are never meaningful: use Default
// or Load, which fill ZooKeeper's defaults.
type Config struct {
	// Path is the file the config came from ("" for the embedded default).
	Path string

	// TickTime is ZooKeeper's base time unit. Default 3000 ms (zoo.cfg key tickTime).
	TickTime time.Duration
	// InitLimit and SyncLimit are in ticks.
	InitLimit int
	SyncLimit int

	DataDir    string
	DataLogDir string // defaults to DataDir

	ClientPort        int    // 0: no plaintext client port
	ClientPortAddress string // default "" = all addresses

	// MinSessionTimeout and MaxSessionTimeout default to 2 and 20 ticks.
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	MaxClientCnxns    int // per client IP; 0 = unlimited; default 60

	// JuteMaxBuffer bounds every packet (jute.maxbuffer, default 0xfffff).
	JuteMaxBuffer int
	// ExtendedTypesEnabled allows TTL nodes (JVM property zookeeper.extendedTypesEnabled).
	ExtendedTypesEnabled bool
	// ContainerCheckInterval is how often containers and TTL nodes are reaped
	// (znode.container.checkIntervalMs, default 60 s).
	ContainerCheckInterval time.Duration
	// ContainerMaxPerMinute bounds container deletions (znode.container.maxPerMinute, default 10000).
	ContainerMaxPerMinute int

	// FourLetterWords is the 4lw.commands.whitelist; "*" allows all. Default {"srvr"}.
	FourLetterWords map[string]bool

	SnapCount              int  // default 100000
	ForceSync              bool // default true
	SnapRetainCount        int  // autopurge.snapRetainCount, default 3
	PurgeIntervalHours     int  // autopurge.purgeInterval, default 0 (off)
	GlobalOutstandingLimit int  // default 1000

	AdminEnableServer  bool   // admin.enableServer, default true
	AdminServerPort    int    // admin.serverPort, default 8080
	AdminServerAddress string // default 0.0.0.0

	// Quorum.
	MyID                 int64
	Servers              []Server
	PeerType             string // "participant" or "observer"
	ElectionAlg          int    // only 3
	StandaloneEnabled    bool   // default true
	QuorumListenOnAllIPs bool
	CnxTimeout           time.Duration // default 5 s

	// SuperDigest is zookeeper.DigestAuthenticationProvider.superDigest ("super:base64").
	SuperDigest string

	// Warnings lists unknown or ignored keys, each naming file, line and key,
	// for the caller to log.
	Warnings []string
}

// Server is one server.N line.
type Server struct {
	ID           int64
	Host         string
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
