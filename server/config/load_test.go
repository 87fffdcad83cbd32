package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// loadFiles writes files (by path relative to a new temporary directory),
// makes that directory the working directory and loads zoo.cfg from it. It
// returns the directory, which messages name as $DIR.
func loadFiles(t *testing.T, files map[string]string) (*Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load("zoo.cfg")
	return c, wd, err
}

// standalone is the start of every standalone test file: the key under
// test is on line 3.
const standalone = "dataDir=data\nclientPort=2181\n"

func TestLoadDefaults(t *testing.T) {
	c, dir, err := loadFiles(t, map[string]string{"zoo.cfg": standalone})
	if err != nil {
		t.Fatal(err)
	}
	want := base()
	want.Path = "zoo.cfg"
	want.DataDir = filepath.Join(dir, "data")
	want.DataLogDir = want.DataDir
	want.ClientPort = 2181
	want.MinSessionTimeout = 6 * time.Second
	want.MaxSessionTimeout = 60 * time.Second
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load = %+v\nwant %+v", c, want)
	}
	if !c.Standalone() {
		t.Error("Standalone() = false, want true")
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.ClientPort != 2181 || c.DataDir != "./data" || c.TickTime != 2*time.Second ||
		c.MinSessionTimeout != 4*time.Second || c.MaxSessionTimeout != 40*time.Second ||
		c.DataLogDir != "./data" || !c.Standalone() || !c.FourLetterWordAllowed("srvr") {
		t.Errorf("Default() = %+v", c)
	}
}

func TestLoadKeys(t *testing.T) {
	abs, err := filepath.Abs(string(filepath.Separator) + "var/zk")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string // line 3 of the file
		get  func(c *Config) any
		want any // "$DIR" in a string is the directory
	}{
		{"tickTime=1000", func(c *Config) any { return c.TickTime }, time.Second},
		{"tickTime=1000", func(c *Config) any { return c.MinSessionTimeout }, 2 * time.Second},
		{"tickTime=1000", func(c *Config) any { return c.MaxSessionTimeout }, 20 * time.Second},
		{"initLimit=7", func(c *Config) any { return c.InitLimit }, 7},
		{"syncLimit=3", func(c *Config) any { return c.SyncLimit }, 3},
		{"dataDir=" + abs, func(c *Config) any { return c.DataDir }, abs},
		{"dataDir=" + abs, func(c *Config) any { return c.DataLogDir }, abs},
		{"dataDir=./a/../b", func(c *Config) any { return c.DataDir }, "$DIR/b"},
		{"dataLogDir=logs", func(c *Config) any { return c.DataLogDir }, "$DIR/logs"},
		{"dataLogDir=logs", func(c *Config) any { return c.DataDir }, "$DIR/data"},
		{"clientPort=2182", func(c *Config) any { return c.ClientPort }, 2182},
		{"clientPort=+2183", func(c *Config) any { return c.ClientPort }, 2183},
		{"clientPortAddress=127.0.0.1", func(c *Config) any { return c.ClientPortAddress }, "127.0.0.1"},
		{"maxClientCnxns=0", func(c *Config) any { return c.MaxClientCnxns }, 0},
		{"maxClientCnxns=500", func(c *Config) any { return c.MaxClientCnxns }, 500},
		{"minSessionTimeout=5000", func(c *Config) any { return c.MinSessionTimeout }, 5 * time.Second},
		{"minSessionTimeout=0", func(c *Config) any { return c.MinSessionTimeout }, time.Duration(0)},
		{"minSessionTimeout=-1", func(c *Config) any { return c.MinSessionTimeout }, 6 * time.Second},
		{"maxSessionTimeout=100000", func(c *Config) any { return c.MaxSessionTimeout }, 100 * time.Second},
		{"maxSessionTimeout=-1", func(c *Config) any { return c.MaxSessionTimeout }, 60 * time.Second},
		{"jute.maxbuffer=4194304", func(c *Config) any { return c.JuteMaxBuffer }, 4194304},
		{"extendedTypesEnabled=true", func(c *Config) any { return c.ExtendedTypesEnabled }, true},
		{"zookeeper.extendedTypesEnabled=TRUE", func(c *Config) any { return c.ExtendedTypesEnabled }, true},
		{"extendedTypesEnabled=false", func(c *Config) any { return c.ExtendedTypesEnabled }, false},
		{"znode.container.checkIntervalMs=1500", func(c *Config) any { return c.ContainerCheckInterval }, 1500 * time.Millisecond},
		{"znode.container.maxPerMinute=5", func(c *Config) any { return c.ContainerMaxPerMinute }, 5},
		{"4lw.commands.whitelist=ruok, mntr ,stat", func(c *Config) any { return c.FourLetterWords },
			map[string]bool{"srvr": true, "ruok": true, "mntr": true, "stat": true}},
		{"4lw.commands.whitelist=*", func(c *Config) any { return c.FourLetterWords }, map[string]bool{"srvr": true, "*": true}},
		{"4lw.commands.whitelist=ruok,*", func(c *Config) any { return c.FourLetterWordAllowed("dump") }, true},
		{"4lw.commands.whitelist=", func(c *Config) any { return c.FourLetterWords }, map[string]bool{"srvr": true}},
		{"4lw.commands.whitelist=ruok", func(c *Config) any { return c.FourLetterWordAllowed("stat") }, false},
		{"snapCount=500", func(c *Config) any { return c.SnapCount }, 500},
		{"snapCount=1", func(c *Config) any { return c.SnapCount }, 2},
		{"forceSync=no", func(c *Config) any { return c.ForceSync }, false},
		{"forceSync=YES", func(c *Config) any { return c.ForceSync }, true},
		{"autopurge.snapRetainCount=5", func(c *Config) any { return c.SnapRetainCount }, 5},
		{"autopurge.snapRetainCount=1", func(c *Config) any { return c.SnapRetainCount }, 3},
		{"autopurge.purgeInterval=24", func(c *Config) any { return c.PurgeIntervalHours }, 24},
		{"autopurge.purgeInterval=-1", func(c *Config) any { return c.PurgeIntervalHours }, 0},
		{"globalOutstandingLimit=50", func(c *Config) any { return c.GlobalOutstandingLimit }, 50},
		{"admin.enableServer=false", func(c *Config) any { return c.AdminEnableServer }, false},
		{"admin.serverPort=9090", func(c *Config) any { return c.AdminServerPort }, 9090},
		{"admin.serverAddress=127.0.0.1", func(c *Config) any { return c.AdminServerAddress }, "127.0.0.1"},
		{"peerType=Observer", func(c *Config) any { return c.PeerType }, "observer"},
		{"peerType=participant", func(c *Config) any { return c.PeerType }, "participant"},
		{"electionAlg=3", func(c *Config) any { return c.ElectionAlg }, 3},
		{"standaloneEnabled=true", func(c *Config) any { return c.StandaloneEnabled }, true},
		{"quorumListenOnAllIPs=true", func(c *Config) any { return c.QuorumListenOnAllIPs }, true},
		{"cnxTimeout=1000", func(c *Config) any { return c.CnxTimeout }, time.Second},
		{"DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
			func(c *Config) any { return c.SuperDigest }, "super:D/InIHSb7yEEbrWz8b9l71RjZJU="},
		{"zookeeper.DigestAuthenticationProvider.superDigest=super:x=",
			func(c *Config) any { return c.SuperDigest }, "super:x="},
		{"multiAddress.enabled=true", func(c *Config) any { return c.MultiAddressEnabled }, true},
		{"preAllocSize=65536", func(c *Config) any { return c.Warnings }, []string{"zoo.cfg:3: preAllocSize: zabd ignores it"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c, dir, err := loadFiles(t, map[string]string{"zoo.cfg": standalone + tt.line + "\n"})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := tt.want
			if s, ok := want.(string); ok {
				want = strings.ReplaceAll(s, "$DIR", dir)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%q) = %v, want %v", tt.line, got, want)
			}
		})
	}
}

func TestLoadWarnings(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // "$DIR" is the directory
	}{
		{"none", map[string]string{"zoo.cfg": standalone + "tickTime=2000\n"}, nil},
		{"unknown key, near", map[string]string{"zoo.cfg": standalone + "tickTme=2000\n"},
			[]string{"zoo.cfg:3: tickTme: unknown key, ignored (did you mean tickTime?)"}},
		{"unknown key, case", map[string]string{"zoo.cfg": standalone + "initlimit=5\n"},
			[]string{"zoo.cfg:3: initlimit: unknown key, ignored (did you mean initLimit?)"}},
		{"unknown key, transposed", map[string]string{"zoo.cfg": standalone + "snapCuont=5\n"},
			[]string{"zoo.cfg:3: snapCuont: unknown key, ignored (did you mean snapCount?)"}},
		{"unknown key, far", map[string]string{"zoo.cfg": standalone + "fooBarBaz=1\n"},
			[]string{"zoo.cfg:3: fooBarBaz: unknown key, ignored"}},
		{"unknown key, short", map[string]string{"zoo.cfg": standalone + "x=1\n"},
			[]string{"zoo.cfg:3: x: unknown key, ignored"}},
		{"unknown key, zookeeper prefix", map[string]string{"zoo.cfg": standalone + "zookeeper.snapCount=5\n"},
			[]string{"zoo.cfg:3: zookeeper.snapCount: unknown key, ignored (did you mean snapCount?)"}},
		{"unknown key, numbered", map[string]string{"zoo.cfg": standalone + "sever.1=a:1:2\n"},
			[]string{"zoo.cfg:3: sever.1: unknown key, ignored (did you mean server.1?)"}},
		{"ignored", map[string]string{"zoo.cfg": standalone + "preAllocSize=65536\nsnapSizeLimitInKb=1\nleaderServes=no\nskipACL=yes\n"},
			[]string{
				"zoo.cfg:3: preAllocSize: zabd ignores it",
				"zoo.cfg:4: snapSizeLimitInKb: zabd ignores it",
				"zoo.cfg:5: leaderServes: zabd ignores it",
				"zoo.cfg:6: skipACL: zabd ignores it",
			}},
		{"ignored with reason", map[string]string{"zoo.cfg": standalone +
			"secureClientPort=2281\nssl.quorum.keyStore.location=/k\nreconfigEnabled=true\nquorum.auth.enableSasl=true\n"},
			[]string{
				"zoo.cfg:3: secureClientPort: zabd ignores it (zabd has no TLS)",
				"zoo.cfg:4: ssl.quorum.keyStore.location: zabd ignores it (zabd has no TLS)",
				"zoo.cfg:5: reconfigEnabled: zabd ignores it (zabd has no dynamic reconfiguration)",
				"zoo.cfg:6: quorum.auth.enableSasl: zabd ignores it (zabd has no SASL or Kerberos)",
			}},
		{"ignored families", map[string]string{"zoo.cfg": standalone +
			"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n" +
			"metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n" +
			"metricsProvider.httpPort=7000\nadmin.commandURL=/commands\nlocalSessionsEnabled=false\n"},
			[]string{
				"zoo.cfg:3: authProvider.1: zabd ignores it",
				"zoo.cfg:4: metricsProvider.className: zabd ignores it",
				"zoo.cfg:5: metricsProvider.httpPort: zabd ignores it",
				"zoo.cfg:6: admin.commandURL: zabd ignores it",
				"zoo.cfg:7: localSessionsEnabled: zabd ignores it",
			}},
		{"hierarchical", map[string]string{"zoo.cfg": standalone + "group.1=1:2:3\nweight.1=1\n"},
			[]string{
				"zoo.cfg:3: group.1: zabd ignores it (zabd uses majority quorums)",
				"zoo.cfg:4: weight.1: zabd ignores it (zabd uses majority quorums)",
			}},
		{"duplicate", map[string]string{"zoo.cfg": standalone + "tickTime=1000\ntickTime=2000\n"},
			[]string{"zoo.cfg:3: tickTime: overridden by line 4"}},
		{"four-letter word", map[string]string{"zoo.cfg": standalone + "4lw.commands.whitelist=ruok,stst\n"},
			[]string{`zoo.cfg:3: 4lw.commands.whitelist: "stst" is not a four-letter word command`}},
		{"snapCount", map[string]string{"zoo.cfg": standalone + "snapCount=1\n"},
			[]string{"zoo.cfg:3: snapCount: 1 is below the minimum 2; using 2"}},
		{"snapRetainCount", map[string]string{"zoo.cfg": standalone + "autopurge.snapRetainCount=0\n"},
			[]string{"zoo.cfg:3: autopurge.snapRetainCount: 0 is below the minimum 3; using 3"}},
		{"superDigest", map[string]string{"zoo.cfg": standalone + "DigestAuthenticationProvider.superDigest=secret\n"},
			[]string{`zoo.cfg:3: DigestAuthenticationProvider.superDigest: "secret" is not user:base64digest, so no one is super`}},
		{"one server", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:3888\n"},
			[]string{"zoo.cfg:3: server.1: the only server listed, so zabd runs standalone (standaloneEnabled=false runs a one-server ensemble)"}},
		{"one server, other myid", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:3888\n", "data/myid": "2\n"},
			[]string{
				"zoo.cfg:3: server.1: the only server listed, so zabd runs standalone (standaloneEnabled=false runs a one-server ensemble)",
				"$DIR/data/myid: myid 2 matches no server.N line of zoo.cfg (servers 1)",
			}},
		{"one-server ensemble", map[string]string{
			"zoo.cfg":   standalone + "initLimit=5\nsyncLimit=2\nstandaloneEnabled=false\nserver.1=a:2888:3888\n",
			"data/myid": "1"},
			[]string{"zoo.cfg: 1 participant tolerates no failure; use at least 3"}},
		{"two servers", map[string]string{
			"zoo.cfg":   standalone + "initLimit=5\nsyncLimit=2\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n",
			"data/myid": "1"},
			[]string{"zoo.cfg: 2 participants tolerate no failure; use at least 3"}},
		{"four servers", map[string]string{
			"zoo.cfg": standalone + "initLimit=5\nsyncLimit=2\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n" +
				"server.3=c:2888:3888\nserver.4=d:2888:3888\nserver.5=e:2888:3888:observer\n",
			"data/myid": "1"},
			[]string{"zoo.cfg: 4 participants tolerate no more failures than 3; use an odd number"}},
		{"peerType differs", map[string]string{
			"zoo.cfg": standalone + "initLimit=5\nsyncLimit=2\npeerType=observer\n" +
				"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n",
			"data/myid": "1"},
			[]string{"zoo.cfg:5: peerType: observer differs from server.1, which makes this server participant: using participant"}},
		{"multiple addresses", map[string]string{
			"zoo.cfg": standalone + "initLimit=5\nsyncLimit=2\nmultiAddress.enabled=true\n" +
				"server.1=a:2888:3888|a2:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n",
			"data/myid": "1"},
			[]string{"zoo.cfg:6: server.1: zabd uses only the first of its 2 addresses"}},
		{"large server id", map[string]string{
			"zoo.cfg": standalone + "initLimit=5\nsyncLimit=2\n" +
				"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.300=c:2888:3888\n",
			"data/myid": "1"},
			[]string{"zoo.cfg:7: server.300: server ids above 255 do not fit the top byte of session ids"}},
		{"ensemble member without client port", map[string]string{
			"zoo.cfg":   "dataDir=data\ninitLimit=5\nsyncLimit=2\nserver.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n",
			"data/myid": "1"},
			[]string{"zoo.cfg: no clientPort: this server serves no clients"}},
		{"dynamic file", map[string]string{
			"zoo.cfg":         standalone + "initLimit=5\nsyncLimit=2\ndynamicConfigFile=zoo.cfg.dynamic\n",
			"zoo.cfg.dynamic": "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\ngroup.1=1:2:3\n",
			"data/myid":       "1"},
			[]string{"zoo.cfg.dynamic:4: group.1: zabd ignores it (zabd uses majority quorums)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dir, err := loadFiles(t, tt.files)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, strings.ReplaceAll(w, "$DIR", dir))
			}
			if !reflect.DeepEqual(c.Warnings, want) {
				t.Errorf("Warnings = %q\nwant       %q", c.Warnings, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	const ensemble = "dataDir=data\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n" // servers from line 5
	const three = "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string // "$DIR" is the directory
	}{
		{"no file", map[string]string{}, "config: open zoo.cfg: no such file or directory"},
		{"not a number", map[string]string{"zoo.cfg": standalone + "tickTime=abc\n"},
			`zoo.cfg:3: tickTime: "abc" is not a number`},
		{"float", map[string]string{"zoo.cfg": standalone + "tickTime=2.5\n"},
			`zoo.cfg:3: tickTime: "2.5" is not a number`},
		{"out of range", map[string]string{"zoo.cfg": standalone + "tickTime=99999999999\n"},
			`zoo.cfg:3: tickTime: "99999999999" is out of range`},
		{"zero tickTime", map[string]string{"zoo.cfg": standalone + "tickTime=0\n"},
			`zoo.cfg:3: tickTime: "0" must be at least 1`},
		{"negative initLimit", map[string]string{"zoo.cfg": standalone + "initLimit=-1\n"},
			`zoo.cfg:3: initLimit: "-1" must be at least 0`},
		{"syncLimit", map[string]string{"zoo.cfg": standalone + "syncLimit=five\n"},
			`zoo.cfg:3: syncLimit: "five" is not a number`},
		{"negative port", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=-1\n"},
			`zoo.cfg:2: clientPort: "-1" is not a port (1-65535)`},
		{"zero port", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=0\n"},
			`zoo.cfg:2: clientPort: "0" is not a port (1-65535)`},
		{"large port", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=70000\n"},
			`zoo.cfg:2: clientPort: "70000" is not a port (1-65535)`},
		{"huge port", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=99999999999\n"},
			`zoo.cfg:2: clientPort: "99999999999" is not a port (1-65535)`},
		{"port not a number", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=zk\n"},
			`zoo.cfg:2: clientPort: "zk" is not a number`},
		{"empty clientPortAddress", map[string]string{"zoo.cfg": standalone + "clientPortAddress=\n"},
			`zoo.cfg:3: clientPortAddress: is empty`},
		{"maxClientCnxns", map[string]string{"zoo.cfg": standalone + "maxClientCnxns=-5\n"},
			`zoo.cfg:3: maxClientCnxns: "-5" must be at least 0`},
		{"minSessionTimeout", map[string]string{"zoo.cfg": standalone + "minSessionTimeout=-2\n"},
			`zoo.cfg:3: minSessionTimeout: "-2" must be at least -1`},
		{"maxSessionTimeout", map[string]string{"zoo.cfg": standalone + "maxSessionTimeout=1e6\n"},
			`zoo.cfg:3: maxSessionTimeout: "1e6" is not a number`},
		{"min above max", map[string]string{"zoo.cfg": standalone + "minSessionTimeout=50000\nmaxSessionTimeout=40000\n"},
			`zoo.cfg:3: minSessionTimeout: 50000 ms is larger than maxSessionTimeout 40000 ms`},
		{"min above default max", map[string]string{"zoo.cfg": standalone + "minSessionTimeout=70000\n"},
			`zoo.cfg:3: minSessionTimeout: 70000 ms is larger than maxSessionTimeout 60000 ms`},
		{"max below default min", map[string]string{"zoo.cfg": standalone + "maxSessionTimeout=1000\n"},
			`zoo.cfg:3: maxSessionTimeout: 1000 ms is smaller than minSessionTimeout 6000 ms`},
		{"jute.maxbuffer", map[string]string{"zoo.cfg": standalone + "jute.maxbuffer=0x100000\n"},
			`zoo.cfg:3: jute.maxbuffer: "0x100000" is not a number`},
		{"extendedTypesEnabled", map[string]string{"zoo.cfg": standalone + "extendedTypesEnabled=yes\n"},
			`zoo.cfg:3: extendedTypesEnabled: "yes" is not true or false`},
		{"zookeeper.extendedTypesEnabled", map[string]string{"zoo.cfg": standalone + "zookeeper.extendedTypesEnabled=1\n"},
			`zoo.cfg:3: zookeeper.extendedTypesEnabled: "1" is not true or false`},
		{"checkIntervalMs", map[string]string{"zoo.cfg": standalone + "znode.container.checkIntervalMs=0\n"},
			`zoo.cfg:3: znode.container.checkIntervalMs: "0" must be at least 1`},
		{"maxPerMinute", map[string]string{"zoo.cfg": standalone + "znode.container.maxPerMinute=0\n"},
			`zoo.cfg:3: znode.container.maxPerMinute: "0" must be at least 1`},
		{"snapCount", map[string]string{"zoo.cfg": standalone + "snapCount=many\n"},
			`zoo.cfg:3: snapCount: "many" is not a number`},
		{"forceSync", map[string]string{"zoo.cfg": standalone + "forceSync=false\n"},
			`zoo.cfg:3: forceSync: "false" is not yes or no`},
		{"snapRetainCount", map[string]string{"zoo.cfg": standalone + "autopurge.snapRetainCount=three\n"},
			`zoo.cfg:3: autopurge.snapRetainCount: "three" is not a number`},
		{"purgeInterval", map[string]string{"zoo.cfg": standalone + "autopurge.purgeInterval=1h\n"},
			`zoo.cfg:3: autopurge.purgeInterval: "1h" is not a number`},
		{"globalOutstandingLimit", map[string]string{"zoo.cfg": standalone + "globalOutstandingLimit=-1\n"},
			`zoo.cfg:3: globalOutstandingLimit: "-1" must be at least 0`},
		{"admin.enableServer", map[string]string{"zoo.cfg": standalone + "admin.enableServer=no\n"},
			`zoo.cfg:3: admin.enableServer: "no" is not true or false`},
		{"admin.serverPort", map[string]string{"zoo.cfg": standalone + "admin.serverPort=80800\n"},
			`zoo.cfg:3: admin.serverPort: "80800" is not a port (1-65535)`},
		{"admin.serverAddress", map[string]string{"zoo.cfg": standalone + "admin.serverAddress=\n"},
			`zoo.cfg:3: admin.serverAddress: is empty`},
		{"peerType", map[string]string{"zoo.cfg": standalone + "peerType=leader\n"},
			`zoo.cfg:3: peerType: "leader" is not observer or participant`},
		{"electionAlg", map[string]string{"zoo.cfg": standalone + "electionAlg=0\n"},
			`zoo.cfg:3: electionAlg: "0" is not supported: only 3 is`},
		{"electionAlg not a number", map[string]string{"zoo.cfg": standalone + "electionAlg=fast\n"},
			`zoo.cfg:3: electionAlg: "fast" is not a number`},
		{"standaloneEnabled", map[string]string{"zoo.cfg": standalone + "standaloneEnabled=yes\n"},
			`zoo.cfg:3: standaloneEnabled: "yes" is not true or false`},
		{"quorumListenOnAllIPs", map[string]string{"zoo.cfg": standalone + "quorumListenOnAllIPs=1\n"},
			`zoo.cfg:3: quorumListenOnAllIPs: "1" is not true or false`},
		{"cnxTimeout", map[string]string{"zoo.cfg": standalone + "cnxTimeout=5s\n"},
			`zoo.cfg:3: cnxTimeout: "5s" is not a number`},
		{"multiAddress.enabled", map[string]string{"zoo.cfg": standalone + "multiAddress.enabled=on\n"},
			`zoo.cfg:3: multiAddress.enabled: "on" is not true or false`},
		{"ignored bool", map[string]string{"zoo.cfg": standalone + "syncEnabled=maybe\n"},
			`zoo.cfg:3: syncEnabled: "maybe" is not true or false`},
		{"ignored int", map[string]string{"zoo.cfg": standalone + "secureClientPort=tls\n"},
			`zoo.cfg:3: secureClientPort: "tls" is not a number`},
		{"ignored long", map[string]string{"zoo.cfg": standalone + "jvm.pause.sleep.time.ms=soon\n"},
			`zoo.cfg:3: jvm.pause.sleep.time.ms: "soon" is not a number`},
		{"malformed escape", map[string]string{"zoo.cfg": standalone + "dataLogDir=\\u12\n"},
			`zoo.cfg:3: malformed \uxxxx escape`},
		{"no dataDir", map[string]string{"zoo.cfg": "clientPort=2181\n"}, `zoo.cfg: dataDir is not set`},
		{"empty dataDir", map[string]string{"zoo.cfg": "dataDir=\nclientPort=2181\n"}, `zoo.cfg:1: dataDir: is empty`},
		{"empty dataLogDir", map[string]string{"zoo.cfg": standalone + "dataLogDir=\n"}, `zoo.cfg:3: dataLogDir: is empty`},
		{"clientPortAddress without clientPort", map[string]string{"zoo.cfg": "dataDir=data\nclientPortAddress=127.0.0.1\n"},
			`zoo.cfg:2: clientPortAddress is set but clientPort is not set`},
		{"no clientPort", map[string]string{"zoo.cfg": "dataDir=data\n"}, `zoo.cfg: clientPort is not set`},

		// server.N
		{"server id", map[string]string{"zoo.cfg": standalone + "server.x=a:2888:3888\n"},
			`zoo.cfg:3: server.x: "x" is not a server id`},
		{"negative server id", map[string]string{"zoo.cfg": standalone + "server.-1=a:2888:3888\n"},
			`zoo.cfg:3: server.-1: "-1" is not a server id`},
		{"server without election port", map[string]string{"zoo.cfg": standalone + "server.1=a:2888\n"},
			`zoo.cfg:3: server.1: "a:2888" does not have the form ` + serverForm},
		{"server with five parts", map[string]string{"zoo.cfg": standalone + "server.1=a:1:2:observer:x\n"},
			`zoo.cfg:3: server.1: "a:1:2:observer:x" does not have the form ` + serverForm},
		{"server without host", map[string]string{"zoo.cfg": standalone + "server.1=:2888:3888\n"},
			`zoo.cfg:3: server.1: ":2888:3888" does not have the form ` + serverForm},
		{"server empty", map[string]string{"zoo.cfg": standalone + "server.1=\n"},
			`zoo.cfg:3: server.1: "" does not have the form ` + serverForm},
		{"server same ports", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:2888\n"},
			`zoo.cfg:3: server.1: "a:2888:2888" uses port 2888 as both quorum and election port`},
		{"server role", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:3888:leader\n"},
			`zoo.cfg:3: server.1: "a:2888:3888:leader" has role "leader": want participant or observer`},
		{"server quorum port", map[string]string{"zoo.cfg": standalone + "server.1=a:x:3888\n"},
			`zoo.cfg:3: server.1: "a:x:3888" has quorum port "x": want 1-65535`},
		{"server election port", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:70000\n"},
			`zoo.cfg:3: server.1: "a:2888:70000" has election port "70000": want 1-65535`},
		{"server client port", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:3888;x\n"},
			`zoo.cfg:3: server.1: "a:2888:3888;x" has client port "x": want 1-65535`},
		{"server client host and port", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:3888;h:1:2\n"},
			`zoo.cfg:3: server.1: "a:2888:3888;h:1:2" does not have the form ` + serverForm},
		{"server three parts", map[string]string{"zoo.cfg": standalone + "server.1=a:2888:3888;2181;2\n"},
			`zoo.cfg:3: server.1: "a:2888:3888;2181;2" does not have the form ` + serverForm},
		{"server bracket", map[string]string{"zoo.cfg": standalone + "server.1=[::1:2888:3888\n"},
			`zoo.cfg:3: server.1: "[::1:2888:3888" starts with '[' but has no matching ']'`},
		{"server bracket port", map[string]string{"zoo.cfg": standalone + "server.1=[::1]2888:3888\n"},
			`zoo.cfg:3: server.1: "[::1]2888:3888" has no port after [::1]`},
		{"server multiple addresses", map[string]string{"zoo.cfg": standalone + "server.1=a:1:2|b:1:2\n"},
			`zoo.cfg:3: server.1: "a:1:2|b:1:2" lists 2 addresses but multiAddress.enabled is false`},
		{"server mixed roles", map[string]string{"zoo.cfg": standalone + "multiAddress.enabled=true\nserver.1=a:1:2:observer|b:1:2:participant\n"},
			`zoo.cfg:4: server.1: "a:1:2:observer|b:1:2:participant" mixes roles: every address must have the same`},
		{"server duplicate", map[string]string{"zoo.cfg": standalone + "server.1=a:1:2\nserver.01=b:1:2\n"},
			`zoo.cfg:4: server.01: server 1 is already listed on line 3`},

		// The ensemble.
		{"standaloneEnabled without servers", map[string]string{"zoo.cfg": standalone + "standaloneEnabled=false\n"},
			`zoo.cfg:3: standaloneEnabled: false needs at least one participant server.N line`},
		{"only observers", map[string]string{"zoo.cfg": standalone + "server.1=a:1:2:observer\n"},
			`zoo.cfg: observers need participants: no server.N line is a participant`},
		{"observers without quorum", map[string]string{"zoo.cfg": standalone + "server.1=a:1:2\nserver.2=b:1:2:observer\n"},
			`zoo.cfg: observers need a quorum: list more participants or set standaloneEnabled=false`},
		{"myid missing", map[string]string{"zoo.cfg": ensemble + three},
			`zoo.cfg: myid file $DIR/data/myid is missing: each server of an ensemble needs its id there`},
		{"myid not a number", map[string]string{"zoo.cfg": ensemble + three, "data/myid": "one\n"},
			`$DIR/data/myid: "one" is not a server id`},
		{"myid empty", map[string]string{"zoo.cfg": ensemble + three, "data/myid": ""},
			`$DIR/data/myid: "" is not a server id`},
		{"myid a directory", map[string]string{"zoo.cfg": ensemble + three, "data/myid/x": ""},
			`$DIR/data/myid: is a directory`},
		{"myid not listed", map[string]string{"zoo.cfg": ensemble + three, "data/myid": "4"},
			`$DIR/data/myid: myid 4 matches no server.N line of zoo.cfg (servers 1, 2, 3)`},
		{"initLimit", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=2181\nsyncLimit=2\n" + three, "data/myid": "1"},
			`zoo.cfg: initLimit is not set: an ensemble needs it`},
		{"syncLimit", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=2181\ninitLimit=2\n" + three, "data/myid": "1"},
			`zoo.cfg: syncLimit is not set: an ensemble needs it`},
		{"initLimit zero", map[string]string{"zoo.cfg": "dataDir=data\nclientPort=2181\ninitLimit=0\nsyncLimit=2\n" + three, "data/myid": "1"},
			`zoo.cfg: initLimit is not set: an ensemble needs it`},
		{"extended types and large id", map[string]string{
			"zoo.cfg":   ensemble + "extendedTypesEnabled=true\nserver.1=a:1:2\nserver.2=b:1:2\nserver.255=c:1:2\n",
			"data/myid": "255"},
			`$DIR/data/myid: myid 255: extendedTypesEnabled allows server ids up to 254`},
		{"client port differs", map[string]string{
			"zoo.cfg":   ensemble + "server.1=a:1:2;2182\nserver.2=b:1:2\nserver.3=c:1:2\n",
			"data/myid": "1"},
			`zoo.cfg:5: server.1: client port 2182 differs from clientPort 2181 (zoo.cfg:2)`},
		{"client address differs", map[string]string{
			"zoo.cfg":   ensemble + "clientPortAddress=10.0.0.1\nserver.1=a:1:2;10.0.0.2:2181\nserver.2=b:1:2\nserver.3=c:1:2\n",
			"data/myid": "1"},
			`zoo.cfg:6: server.1: client address 10.0.0.2 differs from clientPortAddress 10.0.0.1 (zoo.cfg:5)`},

		// dynamicConfigFile.
		{"server with dynamic file", map[string]string{"zoo.cfg": ensemble + "dynamicConfigFile=zoo.cfg.dynamic\nserver.1=a:1:2\n"},
			`zoo.cfg:6: server.1: must be in the dynamic config file zoo.cfg.dynamic`},
		{"group with dynamic file", map[string]string{"zoo.cfg": ensemble + "dynamicConfigFile=zoo.cfg.dynamic\ngroup.1=1:2\n"},
			`zoo.cfg:6: group.1: must be in the dynamic config file zoo.cfg.dynamic`},
		{"dynamic file missing", map[string]string{"zoo.cfg": ensemble + "dynamicConfigFile=zoo.cfg.dynamic\n"},
			`zoo.cfg:5: dynamicConfigFile: open zoo.cfg.dynamic: no such file or directory`},
		{"dynamic file empty name", map[string]string{"zoo.cfg": ensemble + "dynamicConfigFile=\n"},
			`zoo.cfg:5: dynamicConfigFile: is empty`},
		{"dynamic file version", map[string]string{
			"zoo.cfg":         ensemble + "dynamicConfigFile=zoo.cfg.dynamic\n",
			"zoo.cfg.dynamic": "version=100000000\n" + three},
			`zoo.cfg.dynamic:1: version: must not be in a dynamic config file (its name carries the version)`},
		{"dynamic file other key", map[string]string{
			"zoo.cfg":         ensemble + "dynamicConfigFile=zoo.cfg.dynamic\n",
			"zoo.cfg.dynamic": three + "tickTime=2000\n"},
			`zoo.cfg.dynamic:4: tickTime: is not allowed in a dynamic config file`},
		{"dynamic file bad server", map[string]string{
			"zoo.cfg":         ensemble + "dynamicConfigFile=zoo.cfg.dynamic\n",
			"zoo.cfg.dynamic": "server.1=a:1:1\n"},
			`zoo.cfg.dynamic:1: server.1: "a:1:1" uses port 1 as both quorum and election port`},
		{"dynamic file escape", map[string]string{
			"zoo.cfg":         ensemble + "dynamicConfigFile=zoo.cfg.dynamic\n",
			"zoo.cfg.dynamic": "\n\nserver.1=\\u\n"},
			`zoo.cfg.dynamic:3: malformed \uxxxx escape`},
		{"dynamic file myid", map[string]string{
			"zoo.cfg":         ensemble + "dynamicConfigFile=zoo.cfg.dynamic\n",
			"zoo.cfg.dynamic": three, "data/myid": "9"},
			`$DIR/data/myid: myid 9 matches no server.N line of zoo.cfg.dynamic (servers 1, 2, 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dir, err := loadFiles(t, tt.files)
			if err == nil {
				t.Fatalf("Load = %+v, want error %q", c, tt.want)
			}
			if want := strings.ReplaceAll(tt.want, "$DIR", dir); err.Error() != want {
				t.Errorf("Load error = %q\nwant          %q", err, want)
			}
		})
	}
}

func TestLoadEnsemble(t *testing.T) {
	c, dir, err := loadFiles(t, map[string]string{
		"zoo.cfg": `# a three-server ensemble and an observer
tickTime=2000
initLimit=10
syncLimit=5
dataDir=data
dataLogDir=/var/log/zk
server.1=zk1.example.com:2888:3888;2181
server.2=[fe80::1]:2888:3888:participant;[::1]:2182
server.3=zk3:2888:3888
server.4=zk4:2888:3888:observer;0.0.0.0:2184
`,
		"data/myid": "2\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{ID: 1, Host: "zk1.example.com", QuorumPort: 2888, ElectionPort: 3888, ClientPort: 2181},
		{ID: 2, Host: "fe80::1", QuorumPort: 2888, ElectionPort: 3888, ClientHost: "::1", ClientPort: 2182},
		{ID: 3, Host: "zk3", QuorumPort: 2888, ElectionPort: 3888},
		{ID: 4, Host: "zk4", QuorumPort: 2888, ElectionPort: 3888, Observer: true, ClientHost: "0.0.0.0", ClientPort: 2184},
	}
	if !reflect.DeepEqual(c.Servers, want) {
		t.Errorf("Servers = %+v\nwant %+v", c.Servers, want)
	}
	if c.MyID != 2 || c.PeerType != "participant" || c.Standalone() {
		t.Errorf("MyID, PeerType, Standalone() = %d, %s, %v; want 2, participant, false", c.MyID, c.PeerType, c.Standalone())
	}
	if c.ClientPort != 2182 || c.ClientPortAddress != "::1" {
		t.Errorf("client address = %q:%d, want ::1:2182", c.ClientPortAddress, c.ClientPort)
	}
	if c.DataDir != filepath.Join(dir, "data") || c.DataLogDir != "/var/log/zk" {
		t.Errorf("DataDir, DataLogDir = %s, %s", c.DataDir, c.DataLogDir)
	}
	if c.Warnings != nil {
		t.Errorf("Warnings = %q, want none", c.Warnings)
	}
}

func TestLoadObserver(t *testing.T) {
	c, _, err := loadFiles(t, map[string]string{
		"zoo.cfg": "dataDir=data\nclientPort=2181\ninitLimit=5\nsyncLimit=2\npeerType=observer\n" +
			"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\nserver.4=d:2888:3888:observer\n",
		"data/myid": "4",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.PeerType != "observer" || c.MyID != 4 || c.Warnings != nil {
		t.Errorf("PeerType, MyID, Warnings = %s, %d, %q; want observer, 4, none", c.PeerType, c.MyID, c.Warnings)
	}
}

func TestLoadClientPortFromServer(t *testing.T) {
	tests := []struct {
		name, cfg, myid string
		port            int
		addr            string
	}{
		{"port only", "server.1=a:1:2;2185\nserver.2=b:1:2\nserver.3=c:1:2\n", "1", 2185, ""},
		{"host and port", "server.1=a:1:2\nserver.2=b:1:2;127.0.0.2:2186\nserver.3=c:1:2\n", "2", 2186, "127.0.0.2"},
		{"same as clientPort", "clientPort=2181\nserver.1=a:1:2;2181\nserver.2=b:1:2\nserver.3=c:1:2\n", "1", 2181, ""},
		{"single server", "server.1=a:1:2;2187\n", "", 2187, ""},
		{"wildcard clientPortAddress", "clientPort=2181\nclientPortAddress=0.0.0.0\nserver.1=a:1:2;10.1.1.1:2181\nserver.2=b:1:2\nserver.3=c:1:2\n",
			"1", 2181, "0.0.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"zoo.cfg": "dataDir=data\ninitLimit=5\nsyncLimit=2\n" + tt.cfg}
			if tt.myid != "" {
				files["data/myid"] = tt.myid
			}
			c, _, err := loadFiles(t, files)
			if err != nil {
				t.Fatal(err)
			}
			if c.ClientPort != tt.port || c.ClientPortAddress != tt.addr {
				t.Errorf("client address = %q:%d, want %q:%d", c.ClientPortAddress, c.ClientPort, tt.addr, tt.port)
			}
		})
	}
}

func TestLoadDynamicConfigFile(t *testing.T) {
	c, _, err := loadFiles(t, map[string]string{
		"zoo.cfg":                        "dataDir=data\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=conf/zoo.cfg.dynamic.100000000\n",
		"conf/zoo.cfg.dynamic.100000000": "server.1=a:2888:3888:participant;2181\nserver.2=b:2888:3888;2181\nserver.3=c:2888:3888;2181\n",
		"data/myid":                      "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Servers) != 3 || c.ClientPort != 2181 || c.MyID != 3 || c.DynamicConfigFile != "conf/zoo.cfg.dynamic.100000000" {
		t.Errorf("Load = %+v", c)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ key, want string }{
		{"tickTme", "tickTime"},
		{"TICKTIME", "tickTime"},
		{"datadir", "dataDir"},
		{"dataDri", "dataDir"},
		{"clientport", "clientPort"},
		{"clientPortAdress", "clientPortAddress"},
		{"maxClientCnxn", "maxClientCnxns"},
		{"autopurge.snapRetaincount", "autopurge.snapRetainCount"},
		{"4lw.command.whitelist", "4lw.commands.whitelist"},
		{"zookeeper.forceSync", "forceSync"},
		{"srever.12", "server.12"},
		{"wieght.3", "weight.3"},
		{"ssl.keystore.location", "ssl.keyStore.location"},
		{"completelyDifferent", ""},
		{"a", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.key); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"ab", "ba", 1},
		{"ticktime", "ticktme", 1},
		{"abcdef", "abdcef", 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "zoo.cfg", Line: 7, Key: "tickTime", Msg: `"abc" is not a number`}, `zoo.cfg:7: tickTime: "abc" is not a number`},
		{Error{File: "zoo.cfg", Msg: "dataDir is not set"}, "zoo.cfg: dataDir is not set"},
		{Error{File: "zoo.cfg", Line: 2, Msg: "m"}, "zoo.cfg:2: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
