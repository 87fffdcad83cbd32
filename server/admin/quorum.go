package admin

import "strconv"

// serving reports whether the server runs: always for a standalone
// server, for an ensemble member only while it leads, follows or observes
// (AbstractFourLetterCommand.isZKServerRunning's counterpart in
// Commands.runCommand).
func serving(src Source) bool {
	e := src.Ensemble()
	return e == nil || e.Serving
}

// crashes reports whether ZooKeeper fails the command with an HTTP 500
// rather than answering it: monitor does not require a running server
// (CommandBase's serverRequired false) but reads it, and throws
// NullPointerException while an ensemble member has none.
func crashes(src Source, name string) bool {
	c, ok := byName[name]
	return ok && c.names[0] == "monitor" && !serving(src)
}

// cmdLeader is LeaderCommand: whether this server leads, and the leader's
// id and host.
func cmdLeader(src Source, _ map[string]string) Obj {
	e := src.Ensemble()
	if e == nil {
		return Obj{{"error", "server is not initialized"}}
	}
	return Obj{{"is_leader", e.Leading}, {"leader_id", e.LeaderID}, {"leader_ip", e.LeaderHost}}
}

// cmdZabState is ZabStateCommand. It runs without a running server: then,
// and on a standalone server, only "voting" and "zabstate" are set.
func cmdZabState(src Source, _ map[string]string) Obj {
	e := src.Ensemble()
	if e == nil || !e.Serving {
		return Obj{{"voting", false}, {"zabstate", ""}}
	}
	return Obj{
		{"myid", e.MyID},
		{"is_leader", e.Leading},
		{"quorum_address", multipleAddresses(e.Quorum)},
		{"election_address", multipleAddresses(e.Election)},
		{"client_address", e.Client.String()},
		{"voting", e.Voting},
		{"last_zxid", "0x" + strconv.FormatUint(uint64(e.LastZxid), 16)},
		{"zab_epoch", e.LastZxid >> 32},
		{"zab_counter", e.LastZxid & 0xffffffff},
		{"zabstate", e.ZabState},
	}
}

// multipleAddresses is MultipleAddresses as Jackson serialises its
// getters, for the one address zabd's server.N lines hold.
//
// NB: Jackson writes an InetSocketAddress with its IP when the host is a
// literal and with its name otherwise; the configured host is both. The
// reachable variants are what ZooKeeper shows for an address that answers
// InetAddress.isReachable, as a member's own does.
func multipleAddresses(a Addr) Obj {
	s := a.String()
	return Obj{
		{"empty", false},
		{"all_addresses", []string{s}},
		{"all_reachable_addresses", []string{s}},
		{"one", s},
		{"reachable_address", s},
		{"wildcard_addresses", []string{Addr{"0.0.0.0", a.Port}.String()}},
		{"all_ports", []int64{int64(a.Port)}},
		{"all_host_strings", []string{a.Host}},
		{"all_reachable_addresses_or_all", []string{s}},
		{"reachable_or_one", s},
	}
}

// cmdVotingView is VotingViewCommand: every voting member, keyed by id
// (a HashMap of Longs, so in id order for ids below its capacity).
func cmdVotingView(src Source, _ map[string]string) Obj {
	e := src.Ensemble()
	cfg := Obj{}
	if e != nil {
		for _, m := range e.Voters {
			client := ""
			if m.Client != nil {
				client = m.Client.String()
			}
			cfg = append(cfg, Field{strconv.FormatInt(m.ID, 10), Obj{
				{"server_addresses", []string{m.Quorum.String()}},
				{"election_addresses", []string{m.Election.String()}},
				{"client_address", client},
				// getVotingView holds participants only.
				{"learner_type", "participant"},
			}})
		}
	}
	return Obj{{"current_config", cfg}}
}

// cmdObservers is SyncedObserverConsCommand: a leader's synced observers
// with their connections' statistics; none elsewhere (zabd has no
// observer master, so a follower serves no observers).
func cmdObservers(src Source, _ map[string]string) Obj {
	var obs []LearnerConn
	if e := src.Ensemble(); e != nil {
		obs = e.SyncedObservers
	}
	list := make([]Obj, 0, len(obs))
	for _, o := range obs {
		list = append(list, Obj{
			{"remote_socket_address", "/" + o.Remote},
			{"sid", o.ID},
			{"established", o.Established},
			{"queued_packets", o.QueuedPackets},
			{"queued_packets_size", o.QueuedBytes},
			{"packets_received", o.PacketsReceived},
			{"packets_sent", o.PacketsSent},
			{"requests", o.Requests},
			{"last_zxid", o.LastZxid},
		})
	}
	return Obj{{"synced_observers", int64(len(obs))}, {"observers", list}}
}
