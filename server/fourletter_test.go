package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/server/config"
)

func ask4lw(t *testing.T, addr, cmd string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	if err := nc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(nc)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return string(b)
}

func mntrValues(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		k, v, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("mntr line %q has no tab", l)
		}
		out[k] = v
	}
	return out
}

// TestMonitoringValues checks the values zabd reports against what
// ZooKeeper 3.8 reports for the same state: the watch tables (wchc lists
// only data watches, mntr counts data and child watches), the ephemerals,
// the node count and the approximate data size.
func TestMonitoringValues(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 10*time.Second)
	open := zk.WorldACL(zk.PermAll)
	for _, p := range []string{"/cap", "/cap/x"} {
		if _, err := c.Create(p, nil, 0, open); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Create("/cap/e", []byte("eph"), zk.FlagEphemeral, open); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/cap/x"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW("/cap"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW("/nothere"); err != nil {
		t.Fatal(err)
	}
	sid := fmt.Sprintf("0x%x", c.SessionID())

	m := mntrValues(t, ask4lw(t, ts.addr, "mntr"))
	for k, want := range map[string]string{
		"zk_server_state":                      "standalone",
		"zk_ephemerals_count":                  "1",
		"zk_znode_count":                       "8",
		"zk_watch_count":                       "3",
		"zk_global_sessions":                   "1",
		"zk_approximate_data_size":             "63", // ZooKeeper 3.8.0's value
		"zk_cnt_cap_write_per_namespace":       "3",
		"zk_sum_cap_write_per_namespace":       "19",
		"zk_avg_cap_write_per_namespace":       "6.3333",
		"zk_local_sessions":                    "0",
		"zk_outstanding_requests":              "0",
		"zk_connection_drop_probability":       "0.0",
		"zk_last_client_response_size":         "-1",
		"zk_cnt_cap_read_per_namespace":        "2", // getData /cap/x, getChildren /cap
		"zk_sum_cap_read_per_namespace":        fmt.Sprint(6 + 68 + 4 + 2 + 68),
		"zk_cnt_zookeeper_write_per_namespace": "", // no write under /zookeeper: no key
	} {
		if got := m[k]; got != want {
			t.Errorf("mntr %s = %q, want %q", k, got, want)
		}
	}
	if len(m) < 485 {
		t.Errorf("mntr has %d keys, want at least ZooKeeper's 485", len(m))
	}
	if m["zk_open_file_descriptor_count"] == "0" || m["zk_max_file_descriptor_count"] == "0" {
		t.Errorf("file descriptor counts = %s/%s", m["zk_open_file_descriptor_count"], m["zk_max_file_descriptor_count"])
	}

	if got, want := ask4lw(t, ts.addr, "wchc"), sid+"\n\t/cap/x\n\t/nothere\n\n"; got != want {
		t.Errorf("wchc = %q, want %q", got, want)
	}
	if got, want := ask4lw(t, ts.addr, "wchp"), "/cap/x\n\t"+sid+"\n/nothere\n\t"+sid+"\n\n"; got != want {
		t.Errorf("wchp = %q, want %q", got, want)
	}
	if got, want := ask4lw(t, ts.addr, "wchs"), "1 connections watching 2 paths\nTotal watches:2\n"; got != want {
		t.Errorf("wchs = %q, want %q", got, want)
	}
	dump := ask4lw(t, ts.addr, "dump")
	if !regexp.MustCompile(`^SessionTracker dump:\nSession Sets \(1\)/\(1\):\n1 expire at .+:\n\t` + sid + `\nephemeral nodes dump:\nSessions with Ephemerals \(1\):\n` + sid + `:\n\t/cap/e\nConnections dump:\nConnections Sets \(\d\)/\(2\):\n`).MatchString(dump) {
		t.Errorf("dump = %q", dump)
	}
	cons := ask4lw(t, ts.addr, "cons")
	if !regexp.MustCompile(`^ /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+,sid=` + sid + `,lop=EXIS,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)\n /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=0,sent=0\)\n\n$`).MatchString(cons) {
		t.Errorf("cons = %q", cons)
	}
	if got := ask4lw(t, ts.addr, "conf"); !strings.Contains(got, "\nserverId=0\n") || !strings.HasPrefix(got, "clientPort=") {
		t.Errorf("conf = %q", got)
	}
}

// TestMonitoringSyncStats checks mntr's group-commit summaries: every txn
// logged is counted once in sync_processor_batch_size, there is one fsynctime
// per log append, and srst clears both.
func TestMonitoringSyncStats(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 10*time.Second)
	for i := range 5 {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	m := mntrValues(t, ask4lw(t, ts.addr, "mntr"))
	// createSession and five creates, each the only txn of its append:
	// the client waits for every reply before it sends the next request.
	for k, want := range map[string]string{
		"zk_sum_sync_processor_batch_size": "6",
		"zk_cnt_sync_processor_batch_size": "6",
		"zk_max_sync_processor_batch_size": "1",
		"zk_cnt_fsynctime":                 "6",
	} {
		if got := m[k]; got != want {
			t.Errorf("mntr %s = %q, want %q", k, got, want)
		}
	}
	ask4lw(t, ts.addr, "srst")
	m = mntrValues(t, ask4lw(t, ts.addr, "mntr"))
	if got := m["zk_cnt_sync_processor_batch_size"] + "/" + m["zk_cnt_fsynctime"]; got != "0/0" {
		t.Errorf("after srst: mntr zk_cnt_sync_processor_batch_size/zk_cnt_fsynctime = %s, want 0/0", got)
	}
}

func TestAdminServer(t *testing.T) {
	ts := startServer(t, func(c *config.Config) {
		c.AdminServerAddress = "127.0.0.1"
		c.AdminServerPort = 0
	}, nil)
	h, err := ts.s.StartAdmin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	c, _ := connect(t, ts.addr, 10*time.Second)
	if _, err := c.Create("/a", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	get := func(cmd string) map[string]any {
		resp, err := http.Get("http://" + h.Addr().String() + "/commands/" + cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return out
	}
	if m := get("mntr"); m["command"] != "monitor" || m["ephemerals_count"] != 1.0 || m["znode_count"] != 6.0 || m["server_state"] != "standalone" {
		t.Errorf("monitor = command %v ephemerals %v znodes %v state %v", m["command"], m["ephemerals_count"], m["znode_count"], m["server_state"])
	}
	d := get("dump")
	eph, _ := d["session_id_to_ephemeral_paths"].(map[string]any)
	if paths := eph[fmt.Sprint(c.SessionID())]; fmt.Sprint(paths) != "[/a]" {
		t.Errorf("dump ephemerals = %v", d["session_id_to_ephemeral_paths"])
	}
	conns, _ := get("cons")["connections"].([]any)
	if len(conns) != 1 {
		t.Fatalf("connections = %v", conns)
	}
	if cn := conns[0].(map[string]any); cn["session_id"] != float64(c.SessionID()) || cn["last_operation"] != "CREA" {
		t.Errorf("connection = %v", cn)
	}
	if cfg := get("conf"); cfg["client_port"] == nil || cfg["server_id"] != 0.0 {
		t.Errorf("configuration = %v", cfg)
	}
}

func TestStartAdminDisabled(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.AdminEnableServer = false }, nil)
	if h, err := ts.s.StartAdmin(); h != nil || err != nil {
		t.Errorf("StartAdmin with admin.enableServer=false = %v, %v; want nil, nil", h, err)
	}
}
