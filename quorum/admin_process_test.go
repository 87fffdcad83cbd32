package quorum_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// adminCommands are the AdminServer commands (and aliases) whose answers
// TestEnsembleAdminServer compares; environment and system_properties
// describe the process (a JVM or a Go binary) and are left out.
var adminCommands = []string{
	"configuration", "connection_stat_reset", "connections", "dirs", "dump", "get_trace_mask",
	"hash", "initial_configuration", "is_read_only", "last_snapshot", "leader", "lead", "monitor",
	"observer_connection_stat_reset", "orst", "observers", "obsr", "ruok", "server_stats", "srvr",
	"stat_reset", "stats", "voting_view", "vv", "watch_summary", "watches", "watches_by_path", "zabstate",
}

// TestEnsembleAdminServer runs three participants and an observer, zabd
// and then Apache ZooKeeper 3.8, each with its AdminServer on, and reads
// every command from a member without a leader, then from the leader, a
// follower and the observer of the settled ensemble. Both must answer with
// the same JSON structure (keys and types) and the same quorum values:
// is_leader, leader_id and leader_ip, zabstate and its addresses, the
// voting view, a leader's synced observers (reset by orst),
// server_state and proposal_stats, and mntr's ensemble keys; a member
// without a leader refuses most commands with ZooKeeper's error and fails
// monitor with a 500.
func TestEnsembleAdminServer(t *testing.T) {
	skipShort(t)
	shapes := map[string]map[string]string{}
	for _, impl := range []string{"zabd", "zookeeper"} {
		t.Run(impl, func(t *testing.T) {
			e := newEnsemble(t, ensembleOpts{voters: 3, observers: 1, admin: true})
			start := func(id int) {
				if impl == "zabd" {
					e.start(id)
				} else {
					e.startJava(id)
				}
			}
			got := map[string]string{}
			start(1)
			e.eventually(30*time.Second, "server 1's AdminServer answers", func() bool {
				code, _, err := e.adminGet(1, "ruok")
				return err == nil && code == http.StatusOK
			})
			adminLooking(t, e, got)
			for _, id := range e.ids[1:] {
				start(id)
			}
			leader := e.waitSettled(60*time.Second, e.ids...)
			f := others(e.ids[:3], leader)[0]
			roles := map[int]string{leader: "leader", f: "follower", 4: "observer"}
			for _, id := range []int{leader, f, 4} {
				adminSettled(t, e, id, leader, roles[id], got)
			}
			adminObserverReset(t, e, leader)
			if !t.Failed() {
				shapes[impl] = got
			}
		})
	}
	z, j := shapes["zabd"], shapes["zookeeper"]
	if z == nil || j == nil {
		return
	}
	keys := make([]string, 0, len(j))
	for k := range j {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if z[k] != j[k] {
			t.Errorf("%s: JSON structure differs\nzabd:      %s\nzookeeper: %s", k, z[k], j[k])
		}
	}
	if len(z) != len(j) {
		t.Errorf("zabd gave %d answers, zookeeper %d", len(z), len(j))
	}
	t.Logf("%d answers alike in structure, e.g. leader/zabstate: %s", len(keys), j["leader/zabstate"])
}

// adminLooking checks server 1 alone, which has no leader.
func adminLooking(t *testing.T, e *ensemble, shapes map[string]string) {
	const notServing = "This ZooKeeper instance is not currently serving requests"
	for _, cmd := range adminCommands {
		code, v, err := e.adminGet(1, cmd)
		if err != nil {
			t.Fatalf("looking %s: %v", cmd, err)
		}
		switch cmd {
		case "monitor":
			// MonitorCommand needs no running server but reads it.
			if code != http.StatusInternalServerError {
				t.Errorf("looking monitor: HTTP %d, want 500", code)
			}
			continue
		case "get_trace_mask":
			if v["tracemask"] != 306.0 || v["error"] != nil {
				t.Errorf("looking get_trace_mask = %v, want it served", v)
			}
		case "zabstate":
			if v["voting"] != false || v["zabstate"] != "" || len(v) != 4 {
				t.Errorf("looking zabstate = %v, want voting false, zabstate \"\"", v)
			}
		case "vv":
			// 3.8.0 has no vv alias.
			if v["error"] != "Unknown command: vv" {
				t.Errorf("looking vv = %v", v)
			}
		default:
			// The command is echoed as asked, alias or not.
			if v["command"] != cmd || v["error"] != notServing || len(v) != 2 {
				t.Errorf("looking %s = %v, want command %q and the not-serving error", cmd, v, cmd)
			}
		}
		if code != http.StatusOK {
			t.Errorf("looking %s: HTTP %d", cmd, code)
		}
		shapes["looking/"+cmd] = jsonShape(v)
	}
}

// adminSettled checks server id of the settled ensemble led by leader.
func adminSettled(t *testing.T, e *ensemble, id, leader int, role string, shapes map[string]string) {
	host := "127.0.0.1"
	get := func(cmd string) map[string]any {
		t.Helper()
		code, v, err := e.adminGet(id, cmd)
		if err != nil || code != http.StatusOK {
			t.Fatalf("%s %s: HTTP %d: %v", role, cmd, code, err)
		}
		if v["error"] != nil {
			t.Errorf("%s %s: error %v", role, cmd, v["error"])
		}
		return v
	}
	want := func(cmd, key string, got, want any) {
		t.Helper()
		if jsonText(got) != jsonText(want) {
			t.Errorf("%s %s: %s = %v, want %v", role, cmd, key, got, want)
		}
	}
	// mntr first: the leader's learners must all be synced.
	var mntr map[string]any
	e.eventually(10*time.Second, role+"'s monitor shows the settled ensemble", func() bool {
		mntr = get("monitor")
		return role != "leader" || mntr["synced_observers"] == 1.0 && mntr["synced_followers"] == 2.0
	})
	for _, cmd := range adminCommands {
		if cmd == "vv" {
			continue // unknown in 3.8.0: checked while looking
		}
		v := mntr
		if cmd != "monitor" {
			v = get(cmd)
		}
		shapes[role+"/"+cmd] = jsonShape(v)
	}

	isLeader := role == "leader"
	for _, cmd := range []string{"leader", "lead"} {
		v := get(cmd)
		want(cmd, "command", v["command"], "leader")
		want(cmd, "is_leader", v["is_leader"], isLeader)
		want(cmd, "leader_id", v["leader_id"], leader)
		want(cmd, "leader_ip", v["leader_ip"], host)
	}

	zs := get("zabstate")
	want("zabstate", "myid", zs["myid"], id)
	want("zabstate", "is_leader", zs["is_leader"], isLeader)
	want("zabstate", "voting", zs["voting"], role != "observer")
	want("zabstate", "zabstate", zs["zabstate"], "broadcast")
	// The leader of a fresh ensemble reports epoch 1's first zxid
	// (Leader.startZkServer). NB: ZooKeeper's learners report the zxid of
	// their sync (0) until the first txn; zabd's report epoch<<32 as the
	// leader does (server.Server.SetRole).
	lastZxid := "0x100000000"
	if !isLeader && (zs["last_zxid"] == "0x0" || zs["last_zxid"] == lastZxid) {
		lastZxid, _ = zs["last_zxid"].(string)
	}
	zxid, _ := strconv.ParseInt(strings.TrimPrefix(lastZxid, "0x"), 16, 64)
	want("zabstate", "last_zxid", zs["last_zxid"], lastZxid)
	want("zabstate", "zab_epoch", zs["zab_epoch"], zxid>>32)
	want("zabstate", "zab_counter", zs["zab_counter"], 0)
	want("zabstate", "client_address", zs["client_address"], fmt.Sprintf("0.0.0.0:%d", e.client[id]))
	q, el := e.peerPorts(id)
	for key, port := range map[string]int{"quorum_address": q, "election_address": el} {
		a, _ := zs[key].(map[string]any)
		want("zabstate", key+".one", a["one"], fmt.Sprintf("%s:%d", host, port))
		want("zabstate", key+".all_ports", a["all_ports"], []any{float64(port)})
		want("zabstate", key+".wildcard_addresses", a["wildcard_addresses"], []any{fmt.Sprintf("0.0.0.0:%d", port)})
	}

	cc, _ := get("voting_view")["current_config"].(map[string]any)
	if len(cc) != 3 {
		t.Errorf("%s voting_view: %d members, want the 3 participants: %v", role, len(cc), cc)
	}
	for _, m := range e.ids[:3] {
		sv, _ := cc[fmt.Sprint(m)].(map[string]any)
		q, el := e.peerPorts(m)
		client := ""
		if m == id {
			client = fmt.Sprintf("0.0.0.0:%d", e.client[m])
		}
		want("voting_view", fmt.Sprintf("%d.server_addresses", m), sv["server_addresses"], []any{fmt.Sprintf("%s:%d", host, q)})
		want("voting_view", fmt.Sprintf("%d.election_addresses", m), sv["election_addresses"], []any{fmt.Sprintf("%s:%d", host, el)})
		want("voting_view", fmt.Sprintf("%d.client_address", m), sv["client_address"], client)
		want("voting_view", fmt.Sprintf("%d.learner_type", m), sv["learner_type"], "participant")
	}

	for _, cmd := range []string{"observers", "obsr"} {
		v := get(cmd)
		obs, _ := v["observers"].([]any)
		if !isLeader {
			want(cmd, "synced_observers", v["synced_observers"], 0)
			want(cmd, "len(observers)", len(obs), 0)
			continue
		}
		want(cmd, "synced_observers", v["synced_observers"], 1)
		if len(obs) != 1 {
			t.Errorf("leader %s: observers %v, want server 4", cmd, obs)
			continue
		}
		o, _ := obs[0].(map[string]any)
		want(cmd, "sid", o["sid"], 4)
		if ra, _ := o["remote_socket_address"].(string); !strings.HasPrefix(ra, "/"+host+":") {
			t.Errorf("leader %s: remote_socket_address %q", cmd, ra)
		}
		if est, _ := o["established"].(float64); time.Since(time.UnixMilli(int64(est))) > time.Minute {
			t.Errorf("leader %s: established %v is not a recent Unix ms", cmd, o["established"])
		}
	}

	for _, cmd := range []string{"server_stats", "srvr", "stats"} {
		v := get(cmd)
		ss, _ := v["server_stats"].(map[string]any)
		want(cmd, "server_state", ss["server_state"], role)
		want(cmd, "last_processed_zxid", ss["last_processed_zxid"], zxid)
		_, has := v["proposal_stats"]
		want(cmd, "has proposal_stats", has, isLeader)
	}

	want("configuration", "server_id", get("configuration")["server_id"], id)
	if v := get("initial_configuration"); v["initial_configuration"] != nil {
		t.Errorf("%s initial_configuration = %q, want null in an ensemble", role, v["initial_configuration"])
	}

	want("monitor", "server_state", mntr["server_state"], role)
	want("monitor", "quorum_size", mntr["quorum_size"], 3)
	state := map[string]string{"leader": "leading", "follower": "following", "observer": "observing"}[role]
	want("monitor", "peer_state", mntr["peer_state"], state+" - broadcast")
	_, hasMaster := mntr["observer_master_id"]
	want("monitor", "has observer_master_id", hasMaster, role == "observer")
	if role == "observer" {
		want("monitor", "observer_master_id", mntr["observer_master_id"], leader)
	}
	for k, w := range map[string]int{"learners": 3, "synced_followers": 2, "synced_non_voting_followers": 0,
		"synced_observers": 1, "pending_syncs": 0, "last_proposal_size": -1} {
		if isLeader {
			want("monitor", k, mntr[k], w)
		} else if _, ok := mntr[k]; ok {
			t.Errorf("%s monitor has the leader's %s", role, k)
		}
	}
}

// adminObserverReset: orst on the leader zeroes its observer connection's
// counters (a ping may go out between the reset and the read).
func adminObserverReset(t *testing.T, e *ensemble, leader int) {
	sent := func() (float64, any) {
		_, v, err := e.adminGet(leader, "observers")
		if err != nil {
			t.Fatal(err)
		}
		obs, _ := v["observers"].([]any)
		if len(obs) != 1 {
			t.Fatalf("leader's observers: %v", v)
		}
		o, _ := obs[0].(map[string]any)
		n, _ := o["packets_sent"].(float64)
		return n, o["last_zxid"]
	}
	e.eventually(10*time.Second, "the leader pings its observer", func() bool {
		n, _ := sent()
		return n >= 8
	})
	if code, v, err := e.adminGet(leader, "orst"); err != nil || code != http.StatusOK || v["error"] != nil || len(v) != 2 {
		t.Fatalf("orst: HTTP %d %v (%v)", code, v, err)
	}
	if n, z := sent(); n >= 8 || (n == 0) != (fmt.Sprint(z) == "-1") {
		t.Errorf("after orst: packets_sent %v, last_zxid %v; want fewer than before, last_zxid -1 until one is sent", n, z)
	}
}

// learnerHandlerKey matches the per-learner summary sets of a ZooKeeper
// leader's mntr (<sid>_learner_handler_qp_size/_time_ms), which zabd
// does not keep.
var learnerHandlerKey = regexp.MustCompile(`^(avg|min|max|cnt|sum|p50|p95|p99|p999)_\d+_learner_handler_qp_`)

var numericKey = regexp.MustCompile(`^\d+$`)

// jsonShape describes a decoded JSON object by its structure: its keys,
// sorted, each with its value's shape (an array by its first element). The
// keys of voting_view's and dump's maps (ids, times) show as one "<n>";
// per-namespace metrics (they follow the data) and learnerHandlerKey are
// left out.
func jsonShape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			if strings.HasSuffix(k, "_per_namespace") || learnerHandlerKey.MatchString(k) {
				continue
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		// Keys that are ids or times (dump's expiry buckets, whose number
		// follows when each session last touched relative to a tick
		// boundary) show once, with the shape of the first non-empty value.
		numeric := ""
		for _, k := range keys {
			if !numericKey.MatchString(k) {
				b.WriteString(k + ":" + jsonShape(x[k]) + " ")
				continue
			}
			if sh := jsonShape(x[k]); numeric == "" || numeric == "[]" {
				numeric = sh
			}
		}
		if numeric != "" {
			b.WriteString("<n>:" + numeric + " ")
		}
		b.WriteString("}")
		return b.String()
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + jsonShape(x[0]) + "]"
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

// jsonText prints a decoded JSON value for comparison, a whole number
// without an exponent.
func jsonText(v any) string {
	if f, ok := v.(float64); ok && f == math.Trunc(f) {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

var adminHTTP = &http.Client{Timeout: 5 * time.Second}

// adminGet fetches /commands/<cmd> from server id's AdminServer and decodes
// a JSON answer (nil for any other).
func (e *ensemble) adminGet(id int, cmd string) (int, map[string]any, error) {
	resp, err := adminHTTP.Get(fmt.Sprintf("http://127.0.0.1:%d/commands/%s", e.admin[id], cmd))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.Header.Get("Content-Type") != "application/json" {
		return resp.StatusCode, nil, nil
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s: %v\n%s", cmd, err, b)
	}
	return resp.StatusCode, v, nil
}

// peerPorts returns server id's quorum and election ports from its
// server.N line.
func (e *ensemble) peerPorts(id int) (quorum, election int) {
	e.t.Helper()
	b, err := os.ReadFile(e.cfg(id))
	if err != nil {
		e.t.Fatal(err)
	}
	m := regexp.MustCompile(fmt.Sprintf(`(?m)^server\.%d=[^:]+:(\d+):(\d+)`, id)).FindSubmatch(b)
	if m == nil {
		e.t.Fatalf("no server.%d line in %s", id, e.cfg(id))
	}
	quorum, err = strconv.Atoi(string(m[1]))
	if err == nil {
		election, err = strconv.Atoi(string(m[2]))
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return quorum, election
}
