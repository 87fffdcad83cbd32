package compat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// This file compares what monitoring reads from a server: every
// four-letter word, parsed by one parser from both servers, and every
// AdminServer command's JSON. It starts its servers with the AdminServer
// on (harness_test.go's launch turns it off) and enforceQuota set.

// adminServer is a server under test with its AdminServer's address.
type adminServer struct {
	*server
	admin string // 127.0.0.1:port of the AdminServer
}

// servletJar is needed on ZooKeeper's class path for its Jetty
// AdminServer (zookeeper.jar's manifest does not name it).
const servletJar = javaShare + "/servlet-api.jar"

// startPairAdmin starts ZooKeeper and the target with their AdminServers
// on free ports and enforceQuota=true.
func startPairAdmin(t *testing.T) (oracle, target *adminServer) {
	t.Helper()
	var wg sync.WaitGroup
	var errO, errT error
	wg.Add(2)
	go func() {
		defer wg.Done()
		oracle, errO = launchAdmin(t, kindZooKeeper, "zookeeper")
	}()
	go func() {
		defer wg.Done()
		kind := compatTarget()
		label := kind
		if kind == kindZooKeeper {
			label = "zookeeper2"
		}
		target, errT = launchAdmin(t, kind, label)
	}()
	wg.Wait()
	if errO != nil {
		t.Fatalf("oracle: %v", errO)
	}
	if errT != nil {
		t.Fatalf("target: %v", errT)
	}
	t.Logf("oracle on %s (admin %s); target %s on %s (admin %s)", oracle.addr, oracle.admin, target.kind, target.addr, target.admin)
	return oracle, target
}

// launchAdmin is launch with the AdminServer on and enforceQuota set,
// retried when a picked port was taken meanwhile.
func launchAdmin(t *testing.T, kind, label string) (*adminServer, error) {
	if kind == kindZabd && zabdBuildErr != nil {
		return nil, fmt.Errorf("zabd was not built: %w", zabdBuildErr)
	}
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := launchAdminOnce(t, kind, label)
		if err == nil {
			return s, nil
		}
		last = err
		if !strings.Contains(err.Error(), "ddress already in use") {
			break
		}
	}
	return nil, last
}

func launchAdminOnce(t *testing.T, kind, label string) (*adminServer, error) {
	aport, err := freePort()
	if err != nil {
		return nil, err
	}
	s, err := launchWith(t, kind, label, launchOpts{
		cfg:  fmt.Sprintf("admin.enableServer=true\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=%d\nenforceQuota=true\n", aport),
		jars: []string{servletJar},
		// Read in ZooKeeperServer's static initializer, possibly before
		// zoo.cfg's keys become properties.
		props: []string{"-Dzookeeper.enforceQuota=true"},
	})
	if err != nil {
		return nil, err
	}
	a := &adminServer{server: s, admin: fmt.Sprintf("127.0.0.1:%d", aport)}
	if err := a.waitAdmin(readyTimeout); err != nil {
		return nil, fmt.Errorf("%s admin on %s: %w\nlog %s (last lines):\n%s", s.label, a.admin, err, s.log, s.logTail(20))
	}
	return a, nil
}

// waitAdmin polls /commands/ruok until it answers.
func (a *adminServer) waitAdmin(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		_, _, _, err := a.get("/commands/ruok")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var adminClient = &http.Client{Timeout: 10 * time.Second}

// get fetches an AdminServer URL.
func (a *adminServer) get(url string) (status int, contentType, body string, err error) {
	resp, err := adminClient.Get("http://" + a.admin + url)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b), err
}

// monitoringClient opens a session that leaves the same state on both
// servers: /mon with a child and an ephemeral, a data watch on /mon/x,
// a child watch on /mon, an exists watch on /mon-none, and a quota on /mq.
func monitoringClient(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c := gozkConnect(t, addr, 20*time.Second)
	open := zk.WorldACL(zk.PermAll)
	for _, n := range []struct{ path, data string }{
		{"/mon", ""}, {"/mon/x", "xx"}, {"/mq", ""}, {"/zookeeper/quota/mq", ""},
		{"/zookeeper/quota/mq/zookeeper_limits", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2"},
		{"/zookeeper/quota/mq/zookeeper_stats", "count=0,bytes=0"},
		{"/mq/a", "a"},
	} {
		if _, err := c.Create(n.path, []byte(n.data), 0, open); err != nil {
			t.Fatalf("create %s: %v", n.path, err)
		}
	}
	if _, err := c.Create("/mq/b", nil, 0, open); err == nil || !strings.Contains(err.Error(), "-125") {
		t.Fatalf("create /mq/b over countHardLimit=2: %v, want QuotaExceeded", err)
	}
	if _, err := c.Create("/mon/e", []byte("eph"), zk.FlagEphemeral, open); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/mon/x"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW("/mon"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW("/mon-none"); err != nil {
		t.Fatal(err)
	}
	// A second session whose only ephemeral is gone: dump still lists it
	// among the "Sessions with Ephemerals", with no paths.
	c2 := gozkConnect(t, addr, 20*time.Second)
	if _, err := c2.Create("/mon/gone", nil, zk.FlagEphemeral, open); err != nil {
		t.Fatal(err)
	}
	if err := c2.Delete("/mon/gone", -1); err != nil {
		t.Fatal(err)
	}
	return c.Conn
}

// fourLetterShape parses a four-letter word reply into what a monitoring
// script relies on: its layout, with values that legitimately differ
// between servers (versions, ids, ports, times, sizes, counters) replaced by
// their kind. Equal shapes mean a parser written for one server reads the
// other.
func fourLetterShape(cmd, text string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var out []string
	switch cmd {
	case "ruok", "isro", "crst", "srst", "gtmk":
		return fmt.Sprintf("%q", text)
	case "mntr":
		for _, l := range lines {
			k, v, ok := strings.Cut(l, "\t")
			if !ok {
				out = append(out, "BAD "+l)
				continue
			}
			out = append(out, k+"\t"+valueKind(v))
		}
		sort.Strings(out)
	case "conf", "envi":
		for _, l := range lines {
			k, _, ok := strings.Cut(l, "=")
			if !ok {
				out = append(out, l) // "Environment:"
				continue
			}
			out = append(out, k+"=")
		}
	case "srvr", "stat":
		var conns []string // in hash order in ZooKeeper: sorted below
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, " /"):
				conns = append(conns, connShape(l))
				continue
			case strings.HasPrefix(l, "Zookeeper version: "):
				l = "Zookeeper version: V"
			case strings.Contains(l, ": "):
				k, v, _ := strings.Cut(l, ": ")
				l = k + ": " + valueKind(v)
			}
			sort.Strings(conns)
			out = append(out, conns...)
			conns = nil
			out = append(out, l)
		}
	case "cons":
		for _, l := range lines {
			out = append(out, connShape(l))
		}
		sort.Strings(out)
	case "dirs":
		for _, l := range lines {
			k, v, _ := strings.Cut(l, ": ")
			out = append(out, k+": "+valueKind(v))
		}
	case "wchs":
		for _, l := range lines {
			out = append(out, sessionRe.ReplaceAllString(l, "SID"))
		}
	case "wchc", "wchp":
		// Blocks of a header line and tab-indented lines, in hash order
		// in ZooKeeper: compare them sorted.
		var blocks []string
		for _, l := range lines {
			l = sessionRe.ReplaceAllString(l, "SID")
			if strings.HasPrefix(l, "\t") && len(blocks) > 0 {
				blocks[len(blocks)-1] += "\n" + l
				continue
			}
			blocks = append(blocks, l)
		}
		for i, b := range blocks {
			ls := strings.Split(b, "\n")
			sort.Strings(ls[1:])
			blocks[i] = strings.Join(ls, "\n")
		}
		sort.Strings(blocks)
		out = blocks
	case "dump":
		bucketed := 0
		for _, l := range lines {
			l = sessionRe.ReplaceAllString(l, "SID")
			l = expireRe.ReplaceAllString(l, "expire at DATE:")
			l = ipPortRe.ReplaceAllString(l, "/IP:PORT")
			// NB: ZooKeeper's ExpiryQueue keeps a bucket emptied by a touch
			// until its time passes ("0 expire at ...", counted in "Sets
			// (N)"); zabd drops it at once. Only non-empty buckets compare.
			if strings.HasPrefix(l, "0 expire at ") {
				continue
			}
			// How the sessions split over the buckets depends on when each
			// last touched relative to the tick boundaries, in ZooKeeper as
			// in zabd: compare the number of sessions the buckets hold.
			if n, ok := strings.CutSuffix(l, " expire at DATE:"); ok {
				c, err := strconv.Atoi(n)
				if err != nil {
					return "BAD bucket line " + l
				}
				bucketed += c
				continue
			}
			l = setsRe.ReplaceAllString(l, "Sets (N)/")
			out = append(out, l)
		}
		out = append(out, fmt.Sprintf("sessions in expiry buckets: %d", bucketed))
		// Connections and sessions are listed in hash order.
		sort.Strings(out)
	default:
		return fmt.Sprintf("%q", text)
	}
	return strings.Join(out, "\n")
}

var (
	sessionRe = regexp.MustCompile(`0x[0-9a-f]{6,}`)
	expireRe  = regexp.MustCompile(`expire at [A-Z][a-z]{2} .* \d{4}:`)
	ipPortRe  = regexp.MustCompile(`/127\.0\.0\.1:\d+`)
	setsRe    = regexp.MustCompile(`Sets \(\d+\)/`)
	connRe    = regexp.MustCompile(`^ /127\.0\.0\.1:\d+\[([01])\]\((.*)\)$`)
)

// connShape reduces one connection line of stat or cons to its field names.
func connShape(l string) string {
	m := connRe.FindStringSubmatch(l)
	if m == nil {
		return "BAD " + l
	}
	var keys []string
	for _, kv := range strings.Split(m[2], ",") {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	return " /IP:PORT[" + m[1] + "](" + strings.Join(keys, ",") + ")"
}

// valueKind names what a value is: an integer, a decimal, a hex zxid or a
// word, kept literally (standalone, ...).
func valueKind(v string) string {
	switch {
	case regexp.MustCompile(`^-?\d+$`).MatchString(v):
		return "INT"
	case regexp.MustCompile(`^-?\d+\.\d+(E-?\d+)?$`).MatchString(v):
		return "DEC"
	case regexp.MustCompile(`^0x[0-9a-f]+$`).MatchString(v):
		return "HEX"
	case regexp.MustCompile(`^\d+/-?\d+\.\d+(E-?\d+)?/\d+$`).MatchString(v):
		return "INT/DEC/INT"
	case strings.HasPrefix(v, "3.8.0"):
		return "VERSION"
	}
	return v
}

// TestFourLetterWordLayouts runs every four-letter word against ZooKeeper
// and the target, both holding the same state, and requires the same
// layout from the same parser, and equal values where the state decides
// them (node, watch and ephemeral counts, data size, watch lists).
func TestFourLetterWordLayouts(t *testing.T) {
	skipShort(t)
	t.Parallel()
	oracle, target := startPairAdmin(t)
	monitoringClient(t, oracle.addr)
	monitoringClient(t, target.addr)
	t.Run("mntr_values", func(t *testing.T) { compareMntrValues(t, oracle.server, target.server, false) })
	// srst and crst come last: they reset what the others report.
	words := []string{"ruok", "srvr", "stat", "mntr", "conf", "cons", "envi", "wchs", "wchc", "wchp", "dump", "dirs", "isro", "gtmk", "crst", "srst"}
	for _, w := range words {
		t.Run(w, func(t *testing.T) {
			want, err := fourLetterWord(oracle.addr, w, 10*time.Second)
			if err != nil {
				t.Fatalf("zookeeper %s: %v", w, err)
			}
			got, err := fourLetterWord(target.addr, w, 10*time.Second)
			if err != nil {
				t.Fatalf("%s %s: %v", target.label, w, err)
			}
			if d := compareTranscripts(oracle.label, fourLetterShape(w, want)+"\n", target.label, fourLetterShape(w, got)+"\n"); d != "" {
				t.Errorf("%s: %s", w, d)
			}
		})
	}
	t.Run("zktop", func(t *testing.T) {
		want := zktopView(t, oracle.addr)
		got := zktopView(t, target.addr)
		if !strings.HasPrefix(want, "available 3.8.0 sessions=") {
			t.Errorf("zktop cannot read ZooKeeper: %s", want)
		}
		if d := compareTranscripts(oracle.label, want, target.label, got); d != "" {
			t.Error(d)
		}
	})
	// srst zeroes every metric but keeps its key.
	t.Run("mntr_after_srst", func(t *testing.T) { compareMntrValues(t, oracle.server, target.server, true) })
	t.Run("not_whitelisted", func(t *testing.T) {
		// The harness whitelists every word; the reply text for a refused
		// one is checked by the server's unit tests. An unknown word is no
		// command: both close without a reply.
		for _, s := range []*server{oracle.server, target.server} {
			if got, err := fourLetterWord(s.addr, "xyzw", 5*time.Second); got != "" {
				t.Errorf("%s: unknown word xyzw answered %q (%v)", s.label, got, err)
			}
		}
	})
	checkAlive(t, oracle.server, target.server)
}

// compareMntrValues requires equal mntr values on both servers for the
// keys the shared state decides; after srst (reset) the per-namespace
// summaries and counters must read 0.
func compareMntrValues(t *testing.T, oracle, target *server, reset bool) {
	want := mntrMap(t, oracle.addr)
	got := mntrMap(t, target.addr)
	if n := len(want); n < 485 {
		t.Errorf("ZooKeeper's mntr has %d keys, expected at least 485", n)
	}
	for _, k := range []string{
		"zk_server_state", "zk_znode_count", "zk_ephemerals_count", "zk_watch_count",
		"zk_approximate_data_size", "zk_global_sessions", "zk_local_sessions",
		"zk_cnt_mon_write_per_namespace", "zk_sum_mon_write_per_namespace",
		"zk_min_mon_write_per_namespace", "zk_max_mon_write_per_namespace",
		"zk_cnt_mon_read_per_namespace", "zk_sum_mon_read_per_namespace",
		"zk_mq_quota_count_limit_per_namespace", "zk_mq_quota_count_usage_per_namespace",
		"zk_mq_quota_bytes_limit_per_namespace", "zk_mq_quota_bytes_usage_per_namespace",
		"zk_mq_quota_exceeded_error_per_namespace",
	} {
		if want[k] == "" || want[k] != got[k] {
			t.Errorf("mntr %s: %s %q, %s %q", k, oracle.label, want[k], target.label, got[k])
		}
		if reset && strings.Contains(k, "_per_namespace") && !strings.Contains(k, "_limit_") && !strings.Contains(k, "_usage_") && want[k] != "0" {
			t.Errorf("mntr %s after srst = %q on %s, want 0", k, want[k], oracle.label)
		}
	}
}

func mntrMap(t *testing.T, addr string) map[string]string {
	t.Helper()
	text, err := fourLetterWord(addr, "mntr", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		k, v, _ := strings.Cut(l, "\t")
		out[k] = v
	}
	return out
}

// jsonShape describes a decoded JSON value by its structure: object keys
// (in order) with their shapes, the shape of an array's first element,
// and the type of a scalar. Under "keyed" maps, whose keys are session
// ids, the keys are replaced by their count.
func jsonShape(v any, keyed bool) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if keyed {
			// NB: ZooKeeper's expiry queue keeps emptied buckets for a
			// while ("3814000" : [ ]); only non-empty entries compare.
			var full []string
			for _, k := range keys {
				if a, ok := x[k].([]any); !ok || len(a) > 0 {
					full = append(full, k)
				}
			}
			if len(full) == 0 {
				return "{}"
			}
			if bucket, ok := x[full[0]].([]any); ok && len(bucket) > 0 {
				if _, ok := bucket[0].(float64); ok {
					// Expiry buckets: how the sessions split over them
					// follows when each last touched relative to a tick
					// boundary; compare the number of sessions.
					n := 0
					for _, k := range full {
						n += len(x[k].([]any))
					}
					return fmt.Sprintf("{%d sessions in buckets: %s}", n, jsonShape(x[full[0]], false))
				}
			}
			return fmt.Sprintf("{%d keys: %s}", len(full), jsonShape(x[full[0]], false))
		}
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(k + ":" + jsonShape(x[k], k == "expiry_time_to_session_ids" || k == "session_id_to_ephemeral_paths" || k == "session_id_to_watched_paths") + " ")
		}
		b.WriteString("}")
		return b.String()
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + jsonShape(x[0], false) + "]"
	case nil:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return fmt.Sprintf("%T", v)
}

// adminCommands are ZooKeeper 3.8's AdminServer command names and aliases.
var adminCommands = []string{
	"configuration", "conf", "config", "connection_stat_reset", "crst", "connections", "cons",
	"dirs", "dump", "environment", "env", "envi", "get_trace_mask", "gtmk", "hash",
	"initial_configuration", "icfg", "is_read_only", "isro", "last_snapshot", "lsnp",
	"leader", "lead", "monitor", "mntr", "observer_connection_stat_reset", "orst",
	"observers", "obsr", "ruok", "server_stats", "srvr", "set_trace_mask", "stmk",
	"stat_reset", "srst", "stats", "stat", "system_properties", "sysp", "voting_view",
	"watch_summary", "wchs", "watches", "wchc", "watches_by_path", "wchp", "zabstate",
	"no_such_command",
}

// TestAdminServerCommands fetches every AdminServer command from ZooKeeper
// and the target, both holding the same state, and requires the same
// status, content type and JSON structure (field names, nesting, types),
// and the same values where the state decides them.
func TestAdminServerCommands(t *testing.T) {
	skipShort(t)
	t.Parallel()
	oracle, target := startPairAdmin(t)
	monitoringClient(t, oracle.addr)
	monitoringClient(t, target.addr)
	for _, cmd := range adminCommands {
		t.Run(cmd, func(t *testing.T) {
			ws, wct, wbody, err := oracle.get("/commands/" + cmd)
			if err != nil {
				t.Fatal(err)
			}
			gs, gct, gbody, err := target.get("/commands/" + cmd)
			if err != nil {
				t.Fatal(err)
			}
			if ws != gs || wct != gct {
				t.Errorf("status %d %q, want %d %q", gs, gct, ws, wct)
			}
			var wv, gv map[string]any
			if err := json.Unmarshal([]byte(wbody), &wv); err != nil {
				t.Fatalf("zookeeper's %s is not JSON: %v\n%s", cmd, err, wbody)
			}
			if err := json.Unmarshal([]byte(gbody), &gv); err != nil {
				t.Fatalf("%s's %s is not JSON: %v\n%s", target.label, cmd, err, gbody)
			}
			if cmd == "system_properties" || cmd == "sysp" {
				// JVM properties: only the envelope can agree.
				for _, k := range []string{"command", "error", "line.separator", "os.name", "user.dir"} {
					if _, ok := gv[k]; !ok {
						t.Errorf("no %q in %s", k, gbody)
					}
				}
				return
			}
			if w, g := jsonShape(wv, false), jsonShape(gv, false); w != g {
				t.Errorf("JSON structure differs:\n%s: %s\n%s: %s\n--- zookeeper:\n%s\n--- %s:\n%s", oracle.label, w, target.label, g, wbody, target.label, gbody)
			}
			for _, k := range []string{"command", "error", "read_only", "server_state", "znode_count", "node_count",
				"ephemerals_count", "watch_count", "approximate_data_size", "num_paths", "num_total_watches",
				"num_connections", "tracemask", "synced_observers", "voting", "zabstate"} {
				if w, ok := wv[k]; ok && fmt.Sprint(w) != fmt.Sprint(gv[k]) {
					t.Errorf("%s = %v, want %v", k, gv[k], w)
				}
			}
		})
	}
	t.Run("listing", func(t *testing.T) {
		for _, url := range []string{"/commands", "/commands/"} {
			ws, wct, wbody, err := oracle.get(url)
			if err != nil {
				t.Fatal(err)
			}
			gs, gct, gbody, err := target.get(url)
			if err != nil {
				t.Fatal(err)
			}
			if ws != gs || wct != gct || wbody != gbody {
				t.Errorf("GET %s = %d %q\n%s\nwant %d %q\n%s", url, gs, gct, gbody, ws, wct, wbody)
			}
		}
		for _, url := range []string{"/", "/nope"} {
			ws, _, _, err := oracle.get(url)
			if err != nil {
				t.Fatal(err)
			}
			gs, _, _, err := target.get(url)
			if err != nil {
				t.Fatal(err)
			}
			if ws != gs {
				t.Errorf("GET %s = %d, want %d", url, gs, ws)
			}
		}
	})
	checkAlive(t, oracle.server, target.server)
}

// zktopScript reads a server with zktop's own parser (the Debian zktop
// package's ZKServer class, which parses stat) and prints what it found.
const zktopScript = `
import sys, zktop
s = zktop.ZKServer(sys.argv[1], 0)
print("available" if not s.unavailable else "unavailable", s.version, "sessions=%d" % len(s.sessions))
print("server", " ".join(sorted(vars(s))))
for x in sorted(" ".join(sorted(vars(x))) for x in s.sessions):
    print("session", x)
print("mode", s.mode)
`

// zktopView runs zktopScript against addr.
func zktopView(t *testing.T, addr string) string {
	t.Helper()
	if _, err := os.Stat("/usr/lib/python3/dist-packages/zktop.py"); err != nil {
		t.Fatalf("zktop is not installed (run `make deps`): %v", err)
	}
	out, err := exec.Command("/usr/bin/python3", "-c", zktopScript, addr).CombinedOutput()
	if err != nil {
		t.Fatalf("zktop on %s: %v\n%s", addr, err, out)
	}
	return string(out)
}
