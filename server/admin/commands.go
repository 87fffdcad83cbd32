package admin

import (
	"sort"
	"strconv"
)

// command is one AdminServer command (Commands.java).
type command struct {
	names []string // primary name first, then aliases
	run   func(src Source, args map[string]string) Obj
}

// anyTime are the commands, by primary name, that also run while an
// ensemble member has no running server (CommandBase's serverRequired
// false); the others answer notServing then. NB: monitor is one of them,
// but fails (see crashes).
var anyTime = map[string]bool{
	"environment": true, "get_trace_mask": true, "set_trace_mask": true,
	"system_properties": true, "zabstate": true, "monitor": true,
}

// notServing is the error of a command that needs a running server while
// an ensemble member has none (Commands.runCommand).
const notServing = "This ZooKeeper instance is not currently serving requests"

// commands are ZooKeeper 3.8's AdminServer commands with their aliases.
var commands = []command{
	{[]string{"configuration", "conf", "config"}, cmdConfiguration},
	{[]string{"connection_stat_reset", "crst"}, func(src Source, _ map[string]string) Obj {
		src.ResetConnectionStats()
		return nil
	}},
	{[]string{"connections", "cons"}, func(src Source, _ map[string]string) Obj {
		return Obj{{"connections", connectionsJSON(src.Connections(), false)}, {"secure_connections", []Obj{}}}
	}},
	{[]string{"dirs"}, func(src Source, _ map[string]string) Obj {
		st := src.Stats()
		return Obj{{"datadir_size", st.DataDirSize}, {"logdir_size", st.LogDirSize}}
	}},
	{[]string{"dump"}, cmdDump},
	{[]string{"environment", "env", "envi"}, func(src Source, _ map[string]string) Obj {
		return pairs(src.Environment())
	}},
	{[]string{"get_trace_mask", "gtmk"}, func(src Source, _ map[string]string) Obj {
		return Obj{{"tracemask", src.TraceMask()}}
	}},
	{[]string{"hash"}, func(Source, map[string]string) Obj {
		// zabd keeps no digest history (the digest log of DataTree).
		return Obj{{"digests", []Obj{}}}
	}},
	{[]string{"initial_configuration", "icfg"}, func(src Source, _ map[string]string) Obj {
		if src.Ensemble() != nil {
			// Only ZooKeeperServerMain (standalone) keeps the config
			// file's text; QuorumPeerMain leaves it null.
			return Obj{{"initial_configuration", nil}}
		}
		return Obj{{"initial_configuration", src.InitialConfiguration()}}
	}},
	{[]string{"is_read_only", "isro"}, func(src Source, _ map[string]string) Obj {
		return Obj{{"read_only", src.Stats().ReadOnly}}
	}},
	{[]string{"last_snapshot", "lsnp"}, func(src Source, _ map[string]string) Obj {
		zxid, sec := src.LastSnapshot()
		return Obj{{"zxid", strconv.FormatUint(uint64(zxid), 16)}, {"timestamp", sec}}
	}},
	{[]string{"leader", "lead"}, cmdLeader},
	{[]string{"monitor", "mntr"}, func(src Source, _ map[string]string) Obj {
		return Monitor(src.Metrics())
	}},
	{[]string{"observer_connection_stat_reset", "orst"}, func(src Source, _ map[string]string) Obj {
		src.ResetObserverStats()
		return nil
	}},
	{[]string{"observers", "obsr"}, cmdObservers},
	{[]string{"ruok"}, func(Source, map[string]string) Obj { return nil }},
	{[]string{"server_stats", "srvr"}, func(src Source, _ map[string]string) Obj {
		return statsJSON(src.Stats())
	}},
	{[]string{"set_trace_mask", "stmk"}, func(src Source, args map[string]string) Obj {
		v, ok := args["traceMask"]
		mask, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return Obj{{"error", "setTraceMask requires long traceMask argument"}}
		}
		src.SetTraceMask(mask)
		return Obj{{"tracemask", mask}}
	}},
	{[]string{"stat_reset", "srst"}, func(src Source, _ map[string]string) Obj {
		src.ResetStats()
		return nil
	}},
	{[]string{"stats", "stat"}, func(src Source, _ map[string]string) Obj {
		o := statsJSON(src.Stats())
		o = append(o, Field{"connections", connectionsJSON(src.Connections(), true)}, Field{"secure_connections", []Obj{}})
		return o
	}},
	{[]string{"system_properties", "sysp"}, func(src Source, _ map[string]string) Obj {
		return pairs(src.SystemProperties())
	}},
	// NB: 3.8.0 has no "vv" alias (later versions do).
	{[]string{"voting_view"}, cmdVotingView},
	{[]string{"watch_summary", "wchs"}, func(src Source, _ map[string]string) Obj {
		conns, paths, total := watchSummary(src.DataWatches())
		return Obj{{"num_connections", int64(conns)}, {"num_paths", int64(paths)}, {"num_total_watches", int64(total)}}
	}},
	{[]string{"watches", "wchc"}, func(src Source, _ map[string]string) Obj {
		bySess := src.DataWatches()
		m := Obj{}
		for _, id := range sortedIDs(bySess) {
			m = append(m, Field{strconv.FormatInt(id, 10), bySess[id]})
		}
		return Obj{{"session_id_to_watched_paths", m}}
	}},
	{[]string{"watches_by_path", "wchp"}, func(src Source, _ map[string]string) Obj {
		byPath := watchesByPath(src.DataWatches())
		m := Obj{}
		for _, p := range sortedKeys(byPath) {
			m = append(m, Field{p, byPath[p]})
		}
		return Obj{{"path_to_session_ids", m}}
	}},
	{[]string{"zabstate"}, cmdZabState},
}

var byName = func() map[string]*command {
	m := map[string]*command{}
	for i := range commands {
		for _, n := range commands[i].names {
			m[n] = &commands[i]
		}
	}
	return m
}()

// PrimaryNames returns the primary command names, sorted, as /commands
// lists them.
func PrimaryNames() []string {
	out := make([]string, 0, len(commands))
	for _, c := range commands {
		out = append(out, c.names[0])
	}
	sort.Strings(out)
	return out
}

// Run runs the command named name (a primary name or an alias) and returns
// the response as CommandResponse.toMap builds it: the command's fields,
// then "command" (the primary name) and "error" unless the command set one.
// An ensemble member without a running server answers most commands with
// only "command" (the name as asked) and the notServing error.
func Run(src Source, name string, args map[string]string) Obj {
	c, ok := byName[name]
	if !ok {
		return Obj{{"command", name}, {"error", "Unknown command: " + name}}
	}
	if !anyTime[c.names[0]] && !serving(src) {
		return Obj{{"command", name}, {"error", notServing}}
	}
	out := c.run(src, args)
	if out == nil {
		out = Obj{}
	}
	out = out.Set("command", c.names[0])
	if _, ok := out.Get("error"); !ok {
		out = append(out, Field{"error", nil})
	}
	return out
}

func cmdConfiguration(src Source, _ map[string]string) Obj {
	c := src.Conf()
	return Obj{
		{"client_port", int64(c.ClientPort)},
		{"data_dir", c.DataDir},
		{"data_log_dir", c.DataLogDir},
		{"tick_time", c.TickTime},
		{"max_client_cnxns", int64(c.MaxClientCnxns)},
		{"min_session_timeout", c.MinSessionTimeout},
		{"max_session_timeout", c.MaxSessionTimeout},
		{"server_id", c.ServerID},
		{"client_port_listen_backlog", int64(c.ClientPortListenBacklog)},
	}
}

func cmdDump(src Source, _ map[string]string) Obj {
	exp := Obj{}
	for _, b := range src.SessionBuckets() {
		ids := append([]int64(nil), b.Sessions...)
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		exp = append(exp, Field{strconv.FormatInt(b.ExpiryMs, 10), ids})
	}
	eph := src.Ephemerals()
	em := Obj{}
	for _, id := range sortedIDs(eph) {
		em = append(em, Field{strconv.FormatInt(id, 10), eph[id]})
	}
	return Obj{{"expiry_time_to_session_ids", exp}, {"session_id_to_ephemeral_paths", em}}
}

// statsJSON is the server_stats response (Commands.SrvrCommand), field for
// field as Jackson serialises ServerStats.
func statsJSON(st Stats) Obj {
	rs := Obj{
		{"last_buffer_size", st.ResponseSize.Last},
		{"min_buffer_size", st.ResponseSize.Min},
		{"max_buffer_size", st.ResponseSize.Max},
	}
	ss := Obj{
		{"packets_sent", st.PacketsSent},
		{"packets_received", st.PacketsReceived},
		{"fsync_threshold_exceed_count", st.FsyncExceeded},
		{"client_response_stats", rs},
		{"data_dir_size", st.DataDirSize},
		{"log_dir_size", st.LogDirSize},
		{"provider_null", false},
		{"server_state", st.State},
		{"last_processed_zxid", st.LastZxid},
		{"outstanding_requests", st.Outstanding},
		{"avg_latency", st.AvgLatency},
		{"max_latency", st.MaxLatency},
		{"min_latency", st.MinLatency},
		{"num_alive_client_connections", int64(st.Connections)},
		{"auth_failed_count", st.AuthFailed},
		{"non_mtlsremote_conn_count", int64(0)},
		{"non_mtlslocal_conn_count", int64(0)},
		{"uptime", st.Uptime},
	}
	rs2 := append(Obj(nil), rs...)
	out := Obj{
		{"version", st.Version},
		{"read_only", st.ReadOnly},
		{"server_stats", ss},
		{"client_response", rs2},
	}
	if p := st.ProposalSizes; p != nil {
		// A leader's: Leader.getProposalStats.
		out = append(out, Field{"proposal_stats", Obj{
			{"last_buffer_size", p.Last},
			{"min_buffer_size", p.Min},
			{"max_buffer_size", p.Max},
		}})
	}
	return append(out, Field{"node_count", int64(st.NodeCount)})
}

// connectionsJSON lists connections as ServerCnxn.getConnectionInfo does.
func connectionsJSON(cs []Connection, brief bool) []Obj {
	out := make([]Obj, 0, len(cs))
	for _, c := range cs {
		o := Obj{
			{"remote_socket_address", c.Remote},
			{"interest_ops", int64(c.InterestOps)},
			{"outstanding_requests", c.Queued},
			{"packets_received", c.Received},
			{"packets_sent", c.Sent},
		}
		if !brief {
			o = append(o,
				Field{"session_id", c.SessionID},
				Field{"last_operation", c.LastOp},
				Field{"established", c.Established},
				Field{"session_timeout", int64(c.Timeout)},
				Field{"last_cxid", c.LastCxid},
				Field{"last_zxid", c.LastZxid},
				Field{"last_response_time", c.LastResp},
				Field{"last_latency", c.LastLatency},
				Field{"min_latency", c.MinLatency},
				Field{"avg_latency", c.AvgLatency},
				Field{"max_latency", c.MaxLatency},
			)
		}
		out = append(out, o)
	}
	return out
}

func pairs(ps []Pair) Obj {
	o := make(Obj, 0, len(ps))
	for _, p := range ps {
		o = append(o, Field{p.Key, p.Value})
	}
	return o
}
