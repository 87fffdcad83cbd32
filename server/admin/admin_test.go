package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeSource returns fixed values shaped like those of a ZooKeeper 3.8.0
// server with one client that holds an ephemeral and two data watches.
type fakeSource struct {
	resets, connResets int
	mask               int64
	confOverride       *Conf
}

const fakeSession = 72057721429491712 // 0x100001da9210000

func (f *fakeSource) Stats() Stats {
	return Stats{
		Version: "3.8.0-x, built on 2024-12-29 17:54 UTC", State: "standalone",
		PacketsSent: 2, PacketsReceived: 1, LastZxid: 4, Connections: 1, NodeCount: 8,
		DataDirSize: 67109337, LogDirSize: 67109337, Uptime: 15367,
		ResponseSize: BufferStats{-1, -1, -1},
	}
}

func (f *fakeSource) Conf() Conf {
	if f.confOverride != nil {
		return *f.confOverride
	}
	return Conf{ClientPort: 55611, SecureClientPort: -1, DataDir: "/d/version-2", DataDirSize: 5,
		DataLogDir: "/d/version-2", DataLogSize: 5, TickTime: 2000, MaxClientCnxns: 60,
		MinSessionTimeout: 4000, MaxSessionTimeout: 40000, ClientPortListenBacklog: -1}
}

func (f *fakeSource) Connections() []Connection {
	return []Connection{
		{Remote: "127.0.0.1:34718", InterestOps: 1, SessionID: fakeSession, LastOp: "NA",
			Established: 1795984921206, Timeout: 10000, LastCxid: -1, LastZxid: -1},
		{Remote: "127.0.0.1:34732", Received: 1, LastOp: "NA", LastCxid: -1, LastZxid: -1},
	}
}

func (f *fakeSource) ResetStats()           { f.resets++ }
func (f *fakeSource) ResetConnectionStats() { f.connResets++ }

func (f *fakeSource) SessionBuckets() []Bucket {
	return []Bucket{{ExpiryMs: 1795984933000, Sessions: []int64{fakeSession}}}
}

func (f *fakeSource) ConnectionBuckets() []ConnBucket {
	cs := f.Connections()
	return []ConnBucket{{ExpiryMs: 1795984933000, Conns: []Connection{cs[1], cs[0]}}}
}

func (f *fakeSource) Ephemerals() map[int64][]string {
	return map[int64][]string{fakeSession: {"/cap/e"}}
}

func (f *fakeSource) DataWatches() map[int64][]string {
	return map[int64][]string{fakeSession: {"/cap/x", "/nothere"}}
}

func (f *fakeSource) Metrics() map[string]any {
	m := map[string]any{"version": "v", "server_state": "standalone", "znode_count": int64(8), "avg_latency": 12.75}
	s := Summary{}
	s.Add(7)
	s.Add(19)
	s.Add(13)
	s.Put(m, "cap_write_per_namespace")
	m["cap_quota_count_limit_per_namespace"] = int64(3)
	return m
}

func (f *fakeSource) Environment() []Pair {
	return []Pair{{"zookeeper.version", "v"}, {"host.name", "localhost"}}
}
func (f *fakeSource) SystemProperties() []Pair     { return []Pair{{"line.separator", "\n"}} }
func (f *fakeSource) InitialConfiguration() string { return "tickTime=2000\n" }
func (f *fakeSource) LastSnapshot() (int64, int64) { return 0x1f, 1795984906 }
func (f *fakeSource) TraceMask() int64             { return f.mask }
func (f *fakeSource) SetTraceMask(mask int64)      { f.mask = mask }
func (f *fakeSource) Ensemble() *Ensemble          { return nil }
func (f *fakeSource) ResetObserverStats()          {}

// The expected texts are ZooKeeper 3.8.0's layouts (captured from the
// Debian server) filled with the fake values.
func TestFourLetter(t *testing.T) {
	ver := "Zookeeper version: 3.8.0-x, built on 2024-12-29 17:54 UTC\n"
	stats := "Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 2\nConnections: 1\nOutstanding: 0\nZxid: 0x4\nMode: standalone\nNode count: 8\n"
	date := JavaDate(1795984933000)
	for _, tc := range []struct{ cmd, want string }{
		{"ruok", "imok"},
		{"isro", "rw"},
		{"gtmk", "306"},
		{"srvr", ver + stats},
		{"stat", ver + "Clients:\n /127.0.0.1:34718[1](queued=0,recved=0,sent=0)\n /127.0.0.1:34732[0](queued=0,recved=1,sent=0)\n\n" + stats},
		{"cons", " /127.0.0.1:34718[1](queued=0,recved=0,sent=0,sid=0x100001da9210000,lop=NA,est=1795984921206,to=10000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n /127.0.0.1:34732[0](queued=0,recved=1,sent=0)\n\n"},
		{"conf", "clientPort=55611\nsecureClientPort=-1\ndataDir=/d/version-2\ndataDirSize=5\ndataLogDir=/d/version-2\ndataLogSize=5\ntickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=0\n"},
		{"envi", "Environment:\nzookeeper.version=v\nhost.name=localhost\n"},
		{"dirs", "datadir_size: 67109337\nlogdir_size: 67109337\n"},
		{"wchs", "1 connections watching 2 paths\nTotal watches:2\n"},
		{"wchc", "0x100001da9210000\n\t/cap/x\n\t/nothere\n\n"},
		{"wchp", "/cap/x\n\t0x100001da9210000\n/nothere\n\t0x100001da9210000\n\n"},
		{"dump", "SessionTracker dump:\nSession Sets (1)/(1):\n1 expire at " + date + ":\n\t0x100001da9210000\n" +
			"ephemeral nodes dump:\nSessions with Ephemerals (1):\n0x100001da9210000:\n\t/cap/e\n" +
			"Connections dump:\nConnections Sets (1)/(2):\n2 expire at " + date + ":\n" +
			"\tip: /127.0.0.1:34732 sessionId: 0x0\n\tip: /127.0.0.1:34718 sessionId: 0x100001da9210000\n"},
		{"crst", "Connection stats reset.\n"},
		{"srst", "Server stats reset.\n"},
		{"nope", ""},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			src := &fakeSource{mask: 306}
			if got := FourLetter(src, tc.cmd); got != tc.want {
				t.Errorf("FourLetter(%q) =\n%q\nwant\n%q", tc.cmd, got, tc.want)
			}
		})
	}
	src := &fakeSource{}
	FourLetter(src, "srst")
	FourLetter(src, "crst")
	if src.resets != 1 || src.connResets != 1 {
		t.Errorf("resets = %d, %d; want 1, 1", src.resets, src.connResets)
	}
	if got, want := NotWhitelisted("dump"), "dump is not executed because it is not in the whitelist.\n"; got != want {
		t.Errorf("NotWhitelisted = %q, want %q", got, want)
	}
}

func TestMonitor(t *testing.T) {
	src := &fakeSource{}
	text := FourLetter(src, "mntr")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	// 485 keys of ZooKeeper 3.8.0's standalone mntr, then the dynamic ones.
	if len(lines) != 485+6 {
		t.Fatalf("mntr has %d lines, want %d", len(lines), 485+6)
	}
	for i, want := range map[int]string{
		0:   "zk_version\tv",
		1:   "zk_server_state\tstandalone",
		4:   "zk_avg_latency\t12.75",
		6:   "zk_znode_count\t8",
		9:   "zk_last_client_response_size\t-1",
		13:  "zk_connection_drop_probability\t0.0",
		484: "zk_p999_write_commitproc_time_ms\t0",
		485: "zk_cap_quota_count_limit_per_namespace\t3",
		486: "zk_avg_cap_write_per_namespace\t13.0",
		487: "zk_cnt_cap_write_per_namespace\t3",
		488: "zk_max_cap_write_per_namespace\t19",
		489: "zk_min_cap_write_per_namespace\t7",
		490: "zk_sum_cap_write_per_namespace\t39",
	} {
		if lines[i] != want {
			t.Errorf("mntr line %d = %q, want %q", i, lines[i], want)
		}
	}
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, "\t"); !ok || !strings.HasPrefix(k, "zk_") || v == "" {
			t.Errorf("mntr line %q is not zk_<key>\\t<value>", l)
		}
	}
}

func TestJavaDouble(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0.0", 12.75: "12.75", 3.2: "3.2", 10.6667: "10.6667", 174: "174.0",
		1e7: "1.0E7", 2.5e-4: "2.5E-4", 0.001: "0.001", -3: "-3.0", 123456789.5: "1.234567895E8",
	} {
		if got := JavaDouble(v); got != want {
			t.Errorf("JavaDouble(%v) = %q, want %q", v, got, want)
		}
	}
	s := Summary{}
	for _, v := range []int64{5, 15, 12} {
		s.Add(v)
	}
	if got := s.Avg(); got != 10.6667 {
		t.Errorf("Avg of 5, 15, 12 = %v, want 10.6667", got)
	}
}

func get(t *testing.T, h http.Handler, method, url string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, url, nil))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, rec.Result().Header, string(b)
}

// The bodies below are byte for byte what ZooKeeper 3.8.0's
// JettyAdminServer sent for the same values.
func TestHandler(t *testing.T) {
	src := &fakeSource{mask: 306}
	h := Handler(src)

	code, hdr, body := get(t, h, "GET", "/commands/connections")
	want := "{\n  \"connections\" : [ {\n    \"remote_socket_address\" : \"127.0.0.1:34718\",\n    \"interest_ops\" : 1,\n    \"outstanding_requests\" : 0,\n    \"packets_received\" : 0,\n    \"packets_sent\" : 0,\n    \"session_id\" : 72057721429491712,\n    \"last_operation\" : \"NA\",\n    \"established\" : 1795984921206,\n    \"session_timeout\" : 10000,\n    \"last_cxid\" : -1,\n    \"last_zxid\" : -1,\n    \"last_response_time\" : 0,\n    \"last_latency\" : 0,\n    \"min_latency\" : 0,\n    \"avg_latency\" : 0,\n    \"max_latency\" : 0\n  }, {\n    \"remote_socket_address\" : \"127.0.0.1:34732\",\n    \"interest_ops\" : 0,\n    \"outstanding_requests\" : 0,\n    \"packets_received\" : 1,\n    \"packets_sent\" : 0,\n    \"session_id\" : 0,\n    \"last_operation\" : \"NA\",\n    \"established\" : 0,\n    \"session_timeout\" : 0,\n    \"last_cxid\" : -1,\n    \"last_zxid\" : -1,\n    \"last_response_time\" : 0,\n    \"last_latency\" : 0,\n    \"min_latency\" : 0,\n    \"avg_latency\" : 0,\n    \"max_latency\" : 0\n  } ],\n  \"secure_connections\" : [ ],\n  \"command\" : \"connections\",\n  \"error\" : null\n}"
	if code != 200 || hdr.Get("Content-Type") != "application/json" || body != want {
		t.Errorf("GET /commands/connections = %d %q\n%s\nwant 200 application/json\n%s", code, hdr.Get("Content-Type"), body, want)
	}

	_, _, body = get(t, h, "GET", "/commands/srvr")
	want = "{\n  \"version\" : \"3.8.0-x, built on 2024-12-29 17:54 UTC\",\n  \"read_only\" : false,\n  \"server_stats\" : {\n    \"packets_sent\" : 2,\n    \"packets_received\" : 1,\n    \"fsync_threshold_exceed_count\" : 0,\n    \"client_response_stats\" : {\n      \"last_buffer_size\" : -1,\n      \"min_buffer_size\" : -1,\n      \"max_buffer_size\" : -1\n    },\n    \"data_dir_size\" : 67109337,\n    \"log_dir_size\" : 67109337,\n    \"provider_null\" : false,\n    \"server_state\" : \"standalone\",\n    \"last_processed_zxid\" : 4,\n    \"outstanding_requests\" : 0,\n    \"avg_latency\" : 0.0,\n    \"max_latency\" : 0,\n    \"min_latency\" : 0,\n    \"num_alive_client_connections\" : 1,\n    \"auth_failed_count\" : 0,\n    \"non_mtlsremote_conn_count\" : 0,\n    \"non_mtlslocal_conn_count\" : 0,\n    \"uptime\" : 15367\n  },\n  \"client_response\" : {\n    \"last_buffer_size\" : -1,\n    \"min_buffer_size\" : -1,\n    \"max_buffer_size\" : -1\n  },\n  \"node_count\" : 8,\n  \"command\" : \"server_stats\",\n  \"error\" : null\n}"
	if body != want {
		t.Errorf("GET /commands/srvr =\n%s\nwant\n%s", body, want)
	}

	for _, tc := range []struct{ url, want string }{
		{"/commands/ruok", "{\n  \"command\" : \"ruok\",\n  \"error\" : null\n}"},
		{"/commands/nosuch", "{\n  \"command\" : \"nosuch\",\n  \"error\" : \"Unknown command: nosuch\"\n}"},
		{"/commands/lead", "{\n  \"error\" : \"server is not initialized\",\n  \"command\" : \"leader\"\n}"},
		{"/commands/stmk", "{\n  \"error\" : \"setTraceMask requires long traceMask argument\",\n  \"command\" : \"set_trace_mask\"\n}"},
		{"/commands/stmk?traceMask=255", "{\n  \"tracemask\" : 255,\n  \"command\" : \"set_trace_mask\",\n  \"error\" : null\n}"},
		{"/commands/gtmk", "{\n  \"tracemask\" : 255,\n  \"command\" : \"get_trace_mask\",\n  \"error\" : null\n}"},
		{"/commands/voting_view", "{\n  \"current_config\" : { },\n  \"command\" : \"voting_view\",\n  \"error\" : null\n}"},
		{"/commands/hash", "{\n  \"digests\" : [ ],\n  \"command\" : \"hash\",\n  \"error\" : null\n}"},
		{"/commands/lsnp", "{\n  \"zxid\" : \"1f\",\n  \"timestamp\" : 1795984906,\n  \"command\" : \"last_snapshot\",\n  \"error\" : null\n}"},
		{"/commands/sysp", "{\n  \"line.separator\" : \"\\n\",\n  \"command\" : \"system_properties\",\n  \"error\" : null\n}"},
		{"/commands/wchp", "{\n  \"path_to_session_ids\" : {\n    \"/cap/x\" : [ 72057721429491712 ],\n    \"/nothere\" : [ 72057721429491712 ]\n  },\n  \"command\" : \"watches_by_path\",\n  \"error\" : null\n}"},
		{"/commands/watch_summary", "{\n  \"num_connections\" : 1,\n  \"num_paths\" : 2,\n  \"num_total_watches\" : 2,\n  \"command\" : \"watch_summary\",\n  \"error\" : null\n}"},
		{"/commands/dump", "{\n  \"expiry_time_to_session_ids\" : {\n    \"1795984933000\" : [ 72057721429491712 ]\n  },\n  \"session_id_to_ephemeral_paths\" : {\n    \"72057721429491712\" : [ \"/cap/e\" ]\n  },\n  \"command\" : \"dump\",\n  \"error\" : null\n}"},
		{"/commands/initial_configuration", "{\n  \"initial_configuration\" : \"tickTime=2000\\n\",\n  \"command\" : \"initial_configuration\",\n  \"error\" : null\n}"},
	} {
		if code, _, body := get(t, h, "GET", tc.url); code != 200 || body != tc.want {
			t.Errorf("GET %s = %d\n%s\nwant 200\n%s", tc.url, code, body, tc.want)
		}
	}

	code, hdr, body = get(t, h, "GET", "/commands")
	if code != 200 || hdr.Get("Content-Type") != "" || !strings.HasPrefix(body, "<a href=\"/commands/configuration\">configuration</a>\n<br/>\n<a href=\"/commands/connection_stat_reset\">") ||
		!strings.HasSuffix(body, "<a href=\"/commands/zabstate\">zabstate</a>\n<br/>\n") || strings.Count(body, "<br/>") != 26 {
		t.Errorf("GET /commands = %d %q\n%s", code, hdr.Get("Content-Type"), body)
	}
	if code, _, b2 := get(t, h, "GET", "/commands/"); code != 200 || b2 != body {
		t.Errorf("GET /commands/ = %d, differs from /commands", code)
	}
	for _, url := range []string{"/", "/foo", "/commandsx"} {
		if code, _, _ := get(t, h, "GET", url); code != 404 {
			t.Errorf("GET %s = %d, want 404", url, code)
		}
	}
	if code, _, _ := get(t, h, "POST", "/commands/ruok"); code != 405 {
		t.Errorf("POST /commands/ruok = %d, want 405", code)
	}
}

func TestStartClose(t *testing.T) {
	h, err := Start("127.0.0.1:0", &fakeSource{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + h.Addr().String() + "/commands/ruok")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(b), `"command" : "ruok"`) {
		t.Errorf("GET ruok = %q, %v", b, err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := c.Get("http://" + h.Addr().String() + "/commands/ruok"); err == nil {
		t.Errorf("GET after Close succeeded")
	}
	h2, err := Start(h.Addr().String(), &fakeSource{}, discardLogger())
	if err != nil {
		t.Fatalf("Start on the freed port: %v", err)
	}
	if err := h2.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

// leaderSource is fakeSource as an ensemble's leader.
type leaderSource struct{ fakeSource }

func (f *leaderSource) Stats() Stats {
	st := f.fakeSource.Stats()
	st.State, st.LastZxid = "leader", 0x100000000
	st.ProposalSizes = &BufferStats{-1, -1, -1}
	return st
}

func (f *leaderSource) Conf() Conf {
	c := f.fakeSource.Conf()
	c.ServerID = 2
	c.Quorum = &QuorumConf{InitLimit: 10, SyncLimit: 5, ElectionAlg: 3, ElectionPort: 45559, QuorumPort: 35789,
		Membership: "server.1=127.0.0.1:43399:33041:participant\nserver.2=127.0.0.1:35789:45559:participant\nversion=0"}
	return c
}

// The layouts of a 3.8.0 leader (captured from the Debian server in an
// ensemble): srvr ends with the proposal sizes, conf with the quorum part
// and the membership without a final newline.
func TestFourLetterLeader(t *testing.T) {
	src := &leaderSource{}
	srvr := "Zookeeper version: 3.8.0-x, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 2\n" +
		"Connections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 8\nProposal sizes last/min/max: -1/-1/-1\n"
	if got := FourLetter(src, "srvr"); got != srvr {
		t.Errorf("srvr =\n%q\nwant\n%q", got, srvr)
	}
	conf := "clientPort=55611\nsecureClientPort=-1\ndataDir=/d/version-2\ndataDirSize=5\ndataLogDir=/d/version-2\ndataLogSize=5\n" +
		"tickTime=2000\nmaxClientCnxns=60\nminSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=2\n" +
		"initLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=45559\nquorumPort=35789\npeerType=0\nmembership: \n" +
		"server.1=127.0.0.1:43399:33041:participant\nserver.2=127.0.0.1:35789:45559:participant\nversion=0"
	if got := FourLetter(src, "conf"); got != conf {
		t.Errorf("conf =\n%q\nwant\n%q", got, conf)
	}
}
