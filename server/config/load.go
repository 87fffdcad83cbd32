package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is a zoo.cfg problem that stops start-up. Its text names the file,
// the line and the key, as in `zoo.cfg:7: tickTime: "abc" is not a number`.
type Error struct {
	File string // as given to Load
	Line int    // 1-based; 0 when no single line is at fault
	Key  string // "" when no single key is at fault
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and checks the zoo.cfg at path, and, for an ensemble, the myid
// file in its dataDir and the dynamicConfigFile it names. Relative paths in
// the file are resolved against the process's working directory, as Java
// resolves them.
//
// Every key ZooKeeper documents is either honoured or accepted with a
// warning in Config.Warnings; an unknown key is accepted with a warning that
// suggests the nearest known key. A bad value returns an *Error naming the
// file, line, key and value.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	props, err := parseProperties(data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
		}
		return nil, err
	}
	l := &loader{file: path, c: base(), set: map[string]property{}}
	l.c.Path = path
	if err := l.load(props); err != nil {
		return nil, err
	}
	return l.c, nil
}

// loader holds the state of one Load.
type loader struct {
	file    string
	c       *Config
	set     map[string]property // honoured keys present, by canonical name
	servers []property          // server.N lines, in file order
	// serverFile is the file the server.N lines came from: the zoo.cfg or
	// its dynamicConfigFile.
	serverFile string
}

func (l *loader) errf(p property, format string, args ...any) error {
	return &Error{File: l.file, Line: p.Line, Key: p.Key, Msg: fmt.Sprintf(format, args...)}
}

func (l *loader) warnf(p property, format string, args ...any) {
	e := &Error{File: l.file, Line: p.Line, Key: p.Key, Msg: fmt.Sprintf(format, args...)}
	l.c.Warnings = append(l.c.Warnings, e.Error())
}

// handler applies one honoured key.
type handler func(l *loader, p property) error

// handlers maps every honoured key to what it sets.
var handlers = map[string]handler{
	"tickTime": func(l *loader, p property) error {
		n, err := l.int(p, 1, math.MaxInt32)
		l.c.TickTime = time.Duration(n) * time.Millisecond
		return err
	},
	"initLimit": func(l *loader, p property) (err error) {
		l.c.InitLimit, err = l.int(p, 0, math.MaxInt32)
		return err
	},
	"syncLimit": func(l *loader, p property) (err error) {
		l.c.SyncLimit, err = l.int(p, 0, math.MaxInt32)
		return err
	},
	"dataDir": func(l *loader, p property) (err error) {
		l.c.DataDir, err = l.dir(p)
		return err
	},
	"dataLogDir": func(l *loader, p property) (err error) {
		l.c.DataLogDir, err = l.dir(p)
		return err
	},
	"clientPort": func(l *loader, p property) (err error) {
		l.c.ClientPort, err = l.port(p)
		return err
	},
	"clientPortAddress": func(l *loader, p property) error {
		if p.Value == "" {
			return l.errf(p, "is empty")
		}
		l.c.ClientPortAddress = p.Value
		return nil
	},
	"maxClientCnxns": func(l *loader, p property) (err error) {
		l.c.MaxClientCnxns, err = l.int(p, 0, math.MaxInt32)
		return err
	},
	"minSessionTimeout": func(l *loader, p property) error {
		n, err := l.int(p, -1, math.MaxInt32)
		l.c.MinSessionTimeout = time.Duration(n) * time.Millisecond
		return err
	},
	"maxSessionTimeout": func(l *loader, p property) error {
		n, err := l.int(p, -1, math.MaxInt32)
		l.c.MaxSessionTimeout = time.Duration(n) * time.Millisecond
		return err
	},
	"jute.maxbuffer": func(l *loader, p property) (err error) {
		l.c.JuteMaxBuffer, err = l.int(p, 1, math.MaxInt32)
		return err
	},
	"extendedTypesEnabled": func(l *loader, p property) (err error) {
		l.c.ExtendedTypesEnabled, err = l.bool(p)
		return err
	},
	"znode.container.checkIntervalMs": func(l *loader, p property) error {
		n, err := l.int(p, 1, math.MaxInt32)
		l.c.ContainerCheckInterval = time.Duration(n) * time.Millisecond
		return err
	},
	"znode.container.maxPerMinute": func(l *loader, p property) (err error) {
		// ContainerManager divides a minute by it.
		l.c.ContainerMaxPerMinute, err = l.int(p, 1, math.MaxInt32)
		return err
	},
	"enforceQuota": func(l *loader, p property) (err error) {
		l.c.EnforceQuota, err = l.bool(p)
		return err
	},
	"4lw.commands.whitelist": func(l *loader, p property) error {
		// FourLetterCommands.resetWhiteList: a comma list, each trimmed;
		// "*" anywhere allows all; srvr is always allowed (zkServer.sh
		// status needs it).
		words := map[string]bool{"srvr": true}
		for _, w := range strings.Split(p.Value, ",") {
			w = javaTrim(w)
			switch {
			case w == "":
			case w == "*":
				words["*"] = true
			case !fourLetterWords[w]:
				l.warnf(p, "%q is not a four-letter word command", w)
			default:
				words[w] = true
			}
		}
		l.c.FourLetterWords = words
		return nil
	},
	"snapCount": func(l *loader, p property) error {
		n, err := l.int(p, math.MinInt32, math.MaxInt32)
		if err == nil && n < 2 {
			// ZooKeeperServer.getSnapCount resets it to 2.
			l.warnf(p, "%d is below the minimum 2; using 2", n)
			n = 2
		}
		l.c.SnapCount = n
		return err
	},
	"forceSync": func(l *loader, p property) error {
		// NB: FileTxnLog treats every value but "no" as yes; we refuse
		// anything but yes and no, so that forceSync=false is not
		// silently read as yes.
		switch strings.ToLower(p.Value) {
		case "yes":
			l.c.ForceSync = true
		case "no":
			l.c.ForceSync = false
		default:
			return l.errf(p, "%q is not yes or no", p.Value)
		}
		return nil
	},
	"autopurge.snapRetainCount": func(l *loader, p property) error {
		n, err := l.int(p, math.MinInt32, math.MaxInt32)
		if err == nil && n < 3 {
			// QuorumPeerConfig.parseProperties resets it to 3.
			l.warnf(p, "%d is below the minimum 3; using 3", n)
			n = 3
		}
		l.c.SnapRetainCount = n
		return err
	},
	"autopurge.purgeInterval": func(l *loader, p property) error {
		n, err := l.int(p, math.MinInt32, math.MaxInt32)
		// DatadirCleanupManager: zero or less means no purge.
		l.c.PurgeIntervalHours = max(n, 0)
		return err
	},
	"globalOutstandingLimit": func(l *loader, p property) (err error) {
		l.c.GlobalOutstandingLimit, err = l.int(p, 0, math.MaxInt32)
		return err
	},
	"admin.enableServer": func(l *loader, p property) (err error) {
		l.c.AdminEnableServer, err = l.bool(p)
		return err
	},
	"admin.serverPort": func(l *loader, p property) (err error) {
		l.c.AdminServerPort, err = l.port(p)
		return err
	},
	"admin.serverAddress": func(l *loader, p property) error {
		if p.Value == "" {
			return l.errf(p, "is empty")
		}
		l.c.AdminServerAddress = p.Value
		return nil
	},
	"peerType": func(l *loader, p property) error {
		switch v := strings.ToLower(p.Value); v {
		case "observer", "participant":
			l.c.PeerType = v
			return nil
		}
		return l.errf(p, "%q is not observer or participant", p.Value)
	},
	"electionAlg": func(l *loader, p property) error {
		n, err := l.int(p, math.MinInt32, math.MaxInt32)
		if err == nil && n != 3 {
			return l.errf(p, "%q is not supported: only 3 is", p.Value)
		}
		l.c.ElectionAlg = n
		return err
	},
	"standaloneEnabled": func(l *loader, p property) (err error) {
		l.c.StandaloneEnabled, err = l.bool(p)
		return err
	},
	"quorumListenOnAllIPs": func(l *loader, p property) (err error) {
		l.c.QuorumListenOnAllIPs, err = l.bool(p)
		return err
	},
	"cnxTimeout": func(l *loader, p property) error {
		n, err := l.int(p, 1, math.MaxInt32)
		l.c.CnxTimeout = time.Duration(n) * time.Millisecond
		return err
	},
	"DigestAuthenticationProvider.superDigest": func(l *loader, p property) error {
		if user, digest, ok := strings.Cut(p.Value, ":"); !ok || user == "" || digest == "" {
			// DigestAuthenticationProvider compares ids to it verbatim, so
			// a value of another form only never matches.
			l.warnf(p, "%q is not user:base64digest, so no one is super", p.Value)
		}
		l.c.SuperDigest = p.Value
		return nil
	},
	"multiAddress.enabled": func(l *loader, p property) (err error) {
		l.c.MultiAddressEnabled, err = l.bool(p)
		return err
	},
	"dynamicConfigFile": func(l *loader, p property) error {
		if p.Value == "" {
			return l.errf(p, "is empty")
		}
		l.c.DynamicConfigFile = p.Value
		return nil
	},
}

// aliases are other names of honoured keys. ZooKeeper reads these as the
// Java system properties zookeeper.extendedTypesEnabled and
// zookeeper.DigestAuthenticationProvider.superDigest; people write either
// form in zoo.cfg.
var aliases = map[string]string{
	"zookeeper.extendedTypesEnabled":                     "extendedTypesEnabled",
	"zookeeper.enforceQuota":                             "enforceQuota",
	"zookeeper.DigestAuthenticationProvider.superDigest": "DigestAuthenticationProvider.superDigest",
}

// int parses a Java int (Integer.parseInt: optional sign, decimal digits).
func (l *loader) int(p property, lo, hi int) (int, error) {
	n, err := strconv.ParseInt(p.Value, 10, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, l.errf(p, "%q is out of range", p.Value)
		}
		return 0, l.errf(p, "%q is not a number", p.Value)
	}
	if int(n) < lo {
		return 0, l.errf(p, "%q must be at least %d", p.Value, lo)
	}
	if int(n) > hi {
		return 0, l.errf(p, "%q must be at most %d", p.Value, hi)
	}
	return int(n), nil
}

// port parses a TCP port, 1-65535.
//
// NB: ZooKeeper binds clientPort=0 to an ephemeral port; zabd refuses it,
// as nothing could find the server there.
func (l *loader) port(p property) (int, error) {
	n, err := strconv.ParseInt(p.Value, 10, 32)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, l.errf(p, "%q is not a number", p.Value)
	}
	if err != nil || n < 1 || n > 65535 {
		return 0, l.errf(p, "%q is not a port (1-65535)", p.Value)
	}
	return int(n), nil
}

// bool parses as QuorumPeerConfig.parseBoolean: true or false, any case.
func (l *loader) bool(p property) (bool, error) {
	switch strings.ToLower(p.Value) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, l.errf(p, "%q is not true or false", p.Value)
}

// dir resolves a directory against the working directory.
func (l *loader) dir(p property) (string, error) {
	if p.Value == "" {
		return "", l.errf(p, "is empty")
	}
	d, err := filepath.Abs(p.Value)
	if err != nil {
		return "", l.errf(p, "%q: %v", p.Value, err)
	}
	return d, nil
}

// load applies props in the order QuorumPeerConfig does: every key, then the
// checks of parseProperties, then the ensemble (setupQuorumPeerConfig).
func (l *loader) load(props []property) error {
	props = l.dedupe(props)
	for _, p := range props {
		if err := l.apply(p); err != nil {
			return err
		}
	}
	c := l.c
	if _, ok := l.set["dataDir"]; !ok {
		return &Error{File: l.file, Msg: "dataDir is not set"}
	}
	if _, ok := l.set["dataLogDir"]; !ok {
		c.DataLogDir = c.DataDir
	}
	if p, ok := l.set["clientPortAddress"]; ok {
		if _, ok := l.set["clientPort"]; !ok {
			return &Error{File: l.file, Line: p.Line, Msg: "clientPortAddress is set but clientPort is not set"}
		}
	}
	if err := l.sessionTimeouts(); err != nil {
		return err
	}
	if err := l.readDynamicConfig(); err != nil {
		return err
	}
	return l.ensemble()
}

// dedupe keeps the last of repeated keys, as java.util.Properties does, and
// warns about the others.
func (l *loader) dedupe(props []property) []property {
	last := map[string]int{}
	for i, p := range props {
		last[p.Key] = i
	}
	out := props[:0:0]
	for i, p := range props {
		if j := last[p.Key]; j != i {
			l.warnf(p, "overridden by line %d", props[j].Line)
			continue
		}
		out = append(out, p)
	}
	return out
}

// apply handles one key of zoo.cfg.
func (l *loader) apply(p property) error {
	key := p.Key
	if canonical, ok := aliases[key]; ok {
		key = canonical
	}
	if h, ok := handlers[key]; ok {
		l.set[key] = p
		return h(l, p)
	}
	if strings.HasPrefix(key, "server.") {
		l.servers = append(l.servers, p)
		return nil
	}
	ig, ok := ignoredKeys[key]
	if !ok {
		ig, ok = ignoredFamily(key)
	}
	if !ok {
		if s := suggest(key); s != "" {
			l.warnf(p, "unknown key, ignored (did you mean %s?)", s)
		} else {
			l.warnf(p, "unknown key, ignored")
		}
		return nil
	}
	if isHierarchical(key) {
		l.servers = append(l.servers, p) // checked against dynamicConfigFile
	}
	var err error
	switch ig.kind {
	case boolValue:
		_, err = l.bool(p)
	case intValue:
		_, err = l.int(p, math.MinInt32, math.MaxInt32)
	case longValue:
		if _, perr := strconv.ParseInt(p.Value, 10, 64); perr != nil {
			err = l.errf(p, "%q is not a number", p.Value)
		}
	}
	if err != nil {
		return err
	}
	if ig.reason != "" {
		l.warnf(p, "zabd ignores it (%s)", ig.reason)
	} else {
		l.warnf(p, "zabd ignores it")
	}
	return nil
}

// sessionTimeouts fills the defaults of 2 and 20 ticks (-1 also asks for
// them) and checks min <= max, as QuorumPeerConfig.parseProperties does.
func (l *loader) sessionTimeouts() error {
	c := l.c
	minP, minSet := l.set["minSessionTimeout"]
	maxP, maxSet := l.set["maxSessionTimeout"]
	if !minSet || c.MinSessionTimeout < 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if !maxSet || c.MaxSessionTimeout < 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
	if c.MinSessionTimeout <= c.MaxSessionTimeout {
		return nil
	}
	if !minSet {
		return l.errf(maxP, "%d ms is smaller than minSessionTimeout %d ms",
			c.MaxSessionTimeout.Milliseconds(), c.MinSessionTimeout.Milliseconds())
	}
	return l.errf(minP, "%d ms is larger than maxSessionTimeout %d ms",
		c.MinSessionTimeout.Milliseconds(), c.MaxSessionTimeout.Milliseconds())
}

// readDynamicConfig replaces the server.N lines with those of
// dynamicConfigFile when it is set (QuorumPeerConfig.parse). Such a file
// holds only server.N, group and weight keys.
func (l *loader) readDynamicConfig() error {
	l.serverFile = l.file
	p, ok := l.set["dynamicConfigFile"]
	if !ok {
		return nil
	}
	for _, s := range l.servers {
		// QuorumPeerConfig.parseProperties refuses them.
		return &Error{File: l.file, Line: s.Line, Key: s.Key,
			Msg: "must be in the dynamic config file " + l.c.DynamicConfigFile}
	}
	data, err := os.ReadFile(l.c.DynamicConfigFile)
	if err != nil {
		return l.errf(p, "%v", err)
	}
	props, err := parseProperties(data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = l.c.DynamicConfigFile
		}
		return err
	}
	dyn := &loader{file: l.c.DynamicConfigFile, c: l.c}
	for _, q := range dyn.dedupe(props) {
		switch {
		case strings.HasPrefix(q.Key, "server."):
		case isHierarchical(q.Key):
			dyn.warnf(q, "zabd ignores it (%s)", noHierarchical)
		case q.Key == "version":
			return dyn.errf(q, "must not be in a dynamic config file (its name carries the version)")
		default:
			return dyn.errf(q, "is not allowed in a dynamic config file")
		}
		l.servers = append(l.servers, q)
	}
	l.serverFile = l.c.DynamicConfigFile
	return nil
}

// ensemble parses the server.N lines and applies setupQuorumPeerConfig:
// the quorum's shape, myid, the client port, the peer type and the limits.
func (l *loader) ensemble() error {
	c := l.c
	sl := &loader{file: l.serverFile, c: c}
	lines := map[int64]property{}
	for _, p := range l.servers {
		if isHierarchical(p.Key) {
			continue
		}
		idText := strings.TrimPrefix(p.Key, "server.")
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id < 0 {
			return sl.errf(p, "%q is not a server id", idText)
		}
		if q, dup := lines[id]; dup {
			return sl.errf(p, "server %d is already listed on line %d", id, q.Line)
		}
		s, more, err := parseServer(id, p.Value)
		if err != nil {
			return sl.errf(p, "%q %s", p.Value, err.Error())
		}
		if more > 0 {
			if !c.MultiAddressEnabled {
				return sl.errf(p, "%q lists %d addresses but multiAddress.enabled is false", p.Value, more+1)
			}
			sl.warnf(p, "zabd uses only the first of its %d addresses", more+1)
		}
		if id > 255 {
			sl.warnf(p, "server ids above 255 do not fit the top byte of session ids")
		}
		lines[id] = p
		c.Servers = append(c.Servers, s)
	}
	slices.SortFunc(c.Servers, func(a, b Server) int { return int(a.ID - b.ID) })

	voters, observers := 0, 0
	for _, s := range c.Servers {
		if s.Observer {
			observers++
		} else {
			voters++
		}
	}
	// QuorumPeerConfig.parseDynamicConfig.
	whole := &Error{File: l.serverFile}
	switch {
	case voters == 0 && !c.StandaloneEnabled:
		p := l.set["standaloneEnabled"]
		return l.errf(p, "false needs at least one participant server.N line")
	case voters == 0 && observers > 0:
		whole.Msg = "observers need participants: no server.N line is a participant"
		return whole
	case voters == 1 && c.StandaloneEnabled:
		if observers > 0 {
			whole.Msg = "observers need a quorum: list more participants or set standaloneEnabled=false"
			return whole
		}
		for _, s := range c.Servers {
			sl.warnf(lines[s.ID], "the only server listed, so zabd runs standalone (standaloneEnabled=false runs a one-server ensemble)")
		}
	case voters == 1:
		whole.Msg = "1 participant tolerates no failure; use at least 3"
		c.Warnings = append(c.Warnings, whole.Error())
	case voters == 2:
		whole.Msg = "2 participants tolerate no failure; use at least 3"
		c.Warnings = append(c.Warnings, whole.Error())
	case voters > 0 && voters%2 == 0:
		whole.Msg = fmt.Sprintf("%d participants tolerate no more failures than %d; use an odd number", voters, voters-1)
		c.Warnings = append(c.Warnings, whole.Error())
	}
	if len(c.Servers) == 0 {
		return l.standaloneChecks()
	}
	distributed := !c.Standalone()

	// setupMyId: dataDir/myid, first line, a decimal id.
	myidPath := filepath.Join(c.DataDir, "myid")
	id, err := readMyID(myidPath)
	switch {
	case errors.Is(err, os.ErrNotExist) && distributed:
		return &Error{File: l.file, Msg: fmt.Sprintf("myid file %s is missing: each server of an ensemble needs its id there", myidPath)}
	case errors.Is(err, os.ErrNotExist):
		id = -1
	case err != nil:
		return err
	}
	var me *Server
	if id >= 0 {
		c.MyID = id
		for i := range c.Servers {
			if c.Servers[i].ID == id {
				me = &c.Servers[i]
			}
		}
		if me == nil {
			msg := fmt.Sprintf("myid %d matches no server.N line of %s (servers %s)", id, l.serverFile, serverIDs(c.Servers))
			if distributed {
				return &Error{File: myidPath, Msg: msg}
			}
			c.Warnings = append(c.Warnings, (&Error{File: myidPath, Msg: msg}).Error())
		}
	} else if len(c.Servers) == 1 {
		me = &c.Servers[0] // the only server listed is this one
	}
	if distributed && c.ExtendedTypesEnabled && id > 254 {
		// EphemeralType.validateServerId: TTL ids keep the top byte 0xff.
		return &Error{File: myidPath, Msg: fmt.Sprintf("myid %d: extendedTypesEnabled allows server ids up to 254", id)}
	}

	// setupClientPort: the client address of this server's line and
	// clientPort/clientPortAddress must agree; the line fills them in.
	if me != nil && me.ClientPort != 0 {
		mp := lines[me.ID]
		if p, ok := l.set["clientPort"]; ok {
			if me.ClientPort != c.ClientPort {
				return sl.errf(mp, "client port %d differs from clientPort %d (%s:%d)", me.ClientPort, c.ClientPort, l.file, p.Line)
			}
			if a, ok := l.set["clientPortAddress"]; ok && !wildcard(a.Value) && me.ClientHost != "" && me.ClientHost != a.Value {
				return sl.errf(mp, "client address %s differs from clientPortAddress %s (%s:%d)", me.ClientHost, a.Value, l.file, a.Line)
			}
		} else {
			c.ClientPort = me.ClientPort
			c.ClientPortAddress = me.ClientHost
		}
	}

	if distributed {
		// setupPeerType: the servers list wins.
		role := "participant"
		if me.Observer {
			role = "observer"
		}
		if p, ok := l.set["peerType"]; ok && c.PeerType != role {
			l.warnf(p, "%s differs from %s, which makes this server %s: using %s", c.PeerType, lines[me.ID].Key, role, role)
		}
		c.PeerType = role
		// checkValidity.
		if c.InitLimit == 0 {
			return &Error{File: l.file, Msg: "initLimit is not set: an ensemble needs it"}
		}
		if c.SyncLimit == 0 {
			return &Error{File: l.file, Msg: "syncLimit is not set: an ensemble needs it"}
		}
		if c.ClientPort == 0 {
			c.Warnings = append(c.Warnings, (&Error{File: l.file, Msg: "no clientPort: this server serves no clients"}).Error())
		}
		return nil
	}
	return l.standaloneChecks()
}

// standaloneChecks: a standalone server without a client port serves no one.
// NB: ZooKeeper starts one anyway (it may have a secureClientPort); zabd has
// no TLS, so it refuses.
func (l *loader) standaloneChecks() error {
	if l.c.ClientPort == 0 {
		return &Error{File: l.file, Msg: "clientPort is not set"}
	}
	return nil
}

// readMyID reads the server id from the first line of path.
func readMyID(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return 0, &Error{File: path, Msg: err.Error()}
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	text := strings.TrimSpace(string(first))
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id < 0 {
		return 0, &Error{File: path, Msg: fmt.Sprintf("%q is not a server id", text)}
	}
	return id, nil
}

func serverIDs(servers []Server) string {
	ids := make([]string, len(servers))
	for i, s := range servers {
		ids[i] = strconv.FormatInt(s.ID, 10)
	}
	return strings.Join(ids, ", ")
}

// wildcard reports whether addr listens on every address.
func wildcard(addr string) bool {
	switch addr {
	case "", "0.0.0.0", "::", "[::]":
		return true
	}
	return false
}
