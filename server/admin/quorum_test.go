package admin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ensembleSource is fakeSource as a member of the ensemble the goldens
// under testdata/ensemble-3.8.0 were captured from: server.N =
// 127.0.0.1:200N1:200N2, clientPort 200N0, servers 1-3 participants
// (3 leads), 4 an observer.
type ensembleSource struct {
	fakeSource
	e       Ensemble
	metrics map[string]any
	orst    int
}

func newEnsembleSource(id int64, leader int64, serving bool) *ensembleSource {
	addr := func(id int64, port int) Addr { return Addr{"127.0.0.1", 20000 + 10*int(id) + port} }
	e := Ensemble{
		Serving: serving, MyID: id, Leading: id == leader, Voting: id != 4, LeaderID: leader,
		LeaderHost: "127.0.0.1", Quorum: addr(id, 1), Election: addr(id, 2),
		Client: Addr{"0.0.0.0", 20000 + 10*int(id)}, ZabState: "broadcast",
	}
	if id == leader {
		e.LastZxid = 0x100000000
		e.SyncedObservers = []LearnerConn{{Remote: "127.0.0.1:39258", ID: 4, Established: 1795994568004,
			QueuedBytes: -234, PacketsReceived: 1, PacketsSent: 1, LastZxid: 4294967296}}
	}
	for v := int64(1); v <= 3; v++ {
		m := Member{ID: v, Quorum: addr(v, 1), Election: addr(v, 2)}
		if v == id {
			m.Client = &e.Client
		}
		e.Voters = append(e.Voters, m)
	}
	mt := map[string]any{"peer_state": "following - broadcast", "quorum_size": int64(3)}
	switch {
	case id == leader:
		mt["peer_state"] = "leading - broadcast"
		for _, k := range []string{"learners", "synced_followers", "synced_non_voting_followers", "synced_observers",
			"pending_syncs", "leader_uptime", "last_proposal_size", "min_proposal_size", "max_proposal_size"} {
			mt[k] = int64(0)
		}
	case id == 4:
		mt["peer_state"] = "observing - broadcast"
		mt["observer_master_id"] = leader
	}
	return &ensembleSource{e: e, metrics: mt}
}

func (f *ensembleSource) Ensemble() *Ensemble { return &f.e }
func (f *ensembleSource) ResetObserverStats() { f.orst++ }
func (f *ensembleSource) Metrics() map[string]any {
	m := f.fakeSource.Metrics()
	for k, v := range f.metrics {
		m[k] = v
	}
	return m
}
func (f *ensembleSource) Stats() Stats {
	st := f.fakeSource.Stats()
	if f.e.Leading {
		st.ProposalSizes = &BufferStats{-1, -1, -1}
	}
	return st
}

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ensemble-3.8.0", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The quorum commands of a leader, a follower, an observer and a member
// without a leader answer byte for byte as ZooKeeper 3.8.0's did.
func TestEnsembleCommands(t *testing.T) {
	for _, tc := range []struct {
		id      int64
		serving bool
		url     string
		golden  string
	}{
		{3, true, "/commands/leader", "leader-leader.json"},
		{3, true, "/commands/lead", "leader-leader.json"},
		{1, true, "/commands/leader", "follower-leader.json"},
		{3, true, "/commands/zabstate", "leader-zabstate.json"},
		{4, true, "/commands/zabstate", "observer-zabstate.json"},
		{3, true, "/commands/voting_view", "leader-voting_view.json"},
		{4, true, "/commands/voting_view", "observer-voting_view.json"},
		{3, true, "/commands/observers", "leader-observers.json"},
		{3, true, "/commands/obsr", "leader-obsr-after-orst.json"},
		{1, true, "/commands/observers", "follower-observers.json"},
		{3, true, "/commands/configuration", "leader-configuration.json"},
		{3, true, "/commands/initial_configuration", "leader-initial_configuration.json"},
		{1, false, "/commands/lead", "looking-lead.json"},
		{1, false, "/commands/srvr", "looking-srvr.json"},
		{1, false, "/commands/zabstate", "looking-zabstate.json"},
		{1, false, "/commands/vv", "looking-vv.json"},
	} {
		t.Run(tc.golden+tc.url, func(t *testing.T) {
			src := newEnsembleSource(tc.id, 3, tc.serving)
			if tc.golden == "leader-obsr-after-orst.json" {
				o := &src.e.SyncedObservers[0]
				o.PacketsReceived, o.PacketsSent, o.LastZxid = 0, 0, -1
			}
			if tc.golden == "leader-configuration.json" {
				src.confOverride = &Conf{ClientPort: 20030, DataDir: "/tmp/zkcap/data3/version-2",
					DataLogDir: "/tmp/zkcap/data3/version-2", TickTime: 500, MaxClientCnxns: 60,
					MinSessionTimeout: 1000, MaxSessionTimeout: 10000, ServerID: 3, ClientPortListenBacklog: -1}
			}
			want := golden(t, tc.golden)
			code, hdr, body := get(t, Handler(src), "GET", tc.url)
			if code != 200 || hdr.Get("Content-Type") != "application/json" || body != want {
				t.Errorf("GET %s = %d %q\n%s\nwant 200 application/json\n%s", tc.url, code, hdr.Get("Content-Type"), body, want)
			}
		})
	}
}

// While electing, every command that needs a running server answers with
// the name as asked and ZooKeeper's error; the rest run; monitor fails
// with a 500 page, as ZooKeeper's NullPointerException does.
func TestEnsembleNotServing(t *testing.T) {
	src := newEnsembleSource(1, 3, false)
	h := Handler(src)
	for _, c := range commands {
		for _, name := range c.names {
			code, hdr, body := get(t, h, "GET", "/commands/"+name)
			switch {
			case c.names[0] == "monitor":
				if code != 500 || hdr.Get("Content-Type") != "text/html;charset=iso-8859-1" || !strings.Contains(body, "<h2>HTTP ERROR 500 ") {
					t.Errorf("GET %s = %d %q\n%s\nwant 500 text/html;charset=iso-8859-1", name, code, hdr.Get("Content-Type"), body)
				}
			case anyTime[c.names[0]]:
				if code != 200 || strings.Contains(body, notServing) {
					t.Errorf("GET %s = %d\n%s\nwant it served", name, code, body)
				}
			default:
				want := "{\n  \"command\" : \"" + name + "\",\n  \"error\" : \"" + notServing + "\"\n}"
				if code != 200 || body != want {
					t.Errorf("GET %s = %d\n%s\nwant 200\n%s", name, code, body, want)
				}
			}
		}
	}
	if src.orst != 0 || src.resets != 0 || src.connResets != 0 {
		t.Errorf("resets ran while not serving: orst %d srst %d crst %d", src.orst, src.resets, src.connResets)
	}
}

// A leader's server_stats and stats carry proposal_stats between
// client_response and node_count; orst resets the observers' counters.
func TestEnsembleLeaderStats(t *testing.T) {
	for _, id := range []int64{3, 1} {
		src := newEnsembleSource(id, 3, true)
		for _, name := range []string{"server_stats", "stats"} {
			var keys []string
			for _, f := range Run(src, name, nil) {
				keys = append(keys, f.Key)
			}
			got := strings.Join(keys, " ")
			want := "version read_only server_stats client_response node_count"
			if id == 3 {
				want = "version read_only server_stats client_response proposal_stats node_count"
			}
			if !strings.HasPrefix(got, want) {
				t.Errorf("server %d %s keys %q, want them to start %q", id, name, got, want)
			}
		}
		Run(src, "orst", nil)
		if src.orst != 1 {
			t.Errorf("server %d: orst called ResetObserverStats %d times, want 1", id, src.orst)
		}
	}
	var v map[string]any
	if err := json.Unmarshal(marshalPretty(Run(newEnsembleSource(3, 3, true), "srvr", nil)), &v); err != nil {
		t.Fatal(err)
	}
	if ps, ok := v["proposal_stats"].(map[string]any); !ok || ps["last_buffer_size"] != -1.0 || len(ps) != 3 {
		t.Errorf("leader's proposal_stats = %v", v["proposal_stats"])
	}
}

// mntr prints an ensemble member's keys where ZooKeeper 3.8.0's leader,
// follower and observer print them.
func TestEnsembleMonitorOrder(t *testing.T) {
	for _, tc := range []struct {
		id     int64
		golden string
	}{{3, "leader-mntr-keys.txt"}, {1, "follower-mntr-keys.txt"}, {4, "observer-mntr-keys.txt"}} {
		src := newEnsembleSource(tc.id, 3, true)
		var got []string
		for _, f := range Monitor(src.Metrics()) {
			if !strings.Contains(f.Key, "_per_namespace") {
				got = append(got, f.Key)
			}
		}
		want := strings.Split(strings.TrimSuffix(golden(t, tc.golden), "\n"), "\n")
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("server %d: mntr keys differ from %s (%d keys, want %d)", tc.id, tc.golden, len(got), len(want))
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Errorf("first difference at %d: %q, want %q", i, got[i], want[i])
					break
				}
			}
		}
	}
}
