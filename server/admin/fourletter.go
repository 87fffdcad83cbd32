package admin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FourLetterWords lists the commands ZooKeeper 3.8 answers on its client
// port (FourLetterCommands), each with the AdminServer command it shares
// its data with.
var FourLetterWords = map[string]string{
	"ruok": "ruok", "srvr": "server_stats", "stat": "stats", "mntr": "monitor",
	"conf": "configuration", "cons": "connections", "crst": "connection_stat_reset",
	"dump": "dump", "envi": "environment", "srst": "stat_reset", "wchs": "watch_summary",
	"wchc": "watches", "wchp": "watches_by_path", "dirs": "dirs", "isro": "is_read_only",
	"gtmk": "get_trace_mask", "stmk": "set_trace_mask",
}

// NotWhitelisted is the reply to a known four-letter word that
// 4lw.commands.whitelist does not allow (NIOServerCnxn.checkFourLetterWord).
func NotWhitelisted(cmd string) string {
	return cmd + " is not executed because it is not in the whitelist.\n"
}

// FourLetter returns the reply to a four-letter word, byte for byte as
// ZooKeeper 3.8 lays it out (the classes of org.apache.zookeeper.server.command),
// or "" for an unknown word. The caller has checked the whitelist.
func FourLetter(src Source, cmd string) string {
	var b strings.Builder
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		if src.Stats().ReadOnly {
			return "ro"
		}
		return "rw"
	case "gtmk", "stmk":
		// TraceMaskCommand prints the mask with no newline. NB: stmk's
		// 8-byte argument is not read; the mask is reported unchanged.
		return strconv.FormatInt(src.TraceMask(), 10)
	case "srvr", "stat":
		st := src.Stats()
		fmt.Fprintf(&b, "Zookeeper version: %s\n", st.Version)
		if st.ReadOnly {
			b.WriteString("READ-ONLY mode; serving only read-only clients\n")
		}
		if cmd == "stat" {
			b.WriteString("Clients:\n")
			for _, c := range src.Connections() {
				writeConn(&b, c, true)
				b.WriteString("\n")
			}
			b.WriteString("\n")
		}
		writeServerStats(&b, st)
		fmt.Fprintf(&b, "Node count: %d\n", st.NodeCount)
		if p := st.ProposalSizes; p != nil {
			fmt.Fprintf(&b, "Proposal sizes last/min/max: %d/%d/%d\n", p.Last, p.Min, p.Max)
		}
	case "cons":
		for _, c := range src.Connections() {
			writeConn(&b, c, false)
			b.WriteString("\n")
		}
		b.WriteString("\n")
	case "crst":
		src.ResetConnectionStats()
		return "Connection stats reset.\n"
	case "srst":
		src.ResetStats()
		return "Server stats reset.\n"
	case "conf":
		c := src.Conf()
		fmt.Fprintf(&b, "clientPort=%d\n", c.ClientPort)
		fmt.Fprintf(&b, "secureClientPort=%d\n", c.SecureClientPort)
		fmt.Fprintf(&b, "dataDir=%s\n", c.DataDir)
		fmt.Fprintf(&b, "dataDirSize=%d\n", c.DataDirSize)
		fmt.Fprintf(&b, "dataLogDir=%s\n", c.DataLogDir)
		fmt.Fprintf(&b, "dataLogSize=%d\n", c.DataLogSize)
		fmt.Fprintf(&b, "tickTime=%d\n", c.TickTime)
		fmt.Fprintf(&b, "maxClientCnxns=%d\n", c.MaxClientCnxns)
		fmt.Fprintf(&b, "minSessionTimeout=%d\n", c.MinSessionTimeout)
		fmt.Fprintf(&b, "maxSessionTimeout=%d\n", c.MaxSessionTimeout)
		fmt.Fprintf(&b, "clientPortListenBacklog=%d\n", c.ClientPortListenBacklog)
		fmt.Fprintf(&b, "serverId=%d\n", c.ServerID)
		if q := c.Quorum; q != nil {
			fmt.Fprintf(&b, "initLimit=%d\nsyncLimit=%d\nelectionAlg=%d\n", q.InitLimit, q.SyncLimit, q.ElectionAlg)
			fmt.Fprintf(&b, "electionPort=%d\nquorumPort=%d\npeerType=%d\n", q.ElectionPort, q.QuorumPort, q.PeerType)
			b.WriteString("membership: \n")
			b.WriteString(q.Membership)
		}
	case "envi":
		b.WriteString("Environment:\n")
		for _, p := range src.Environment() {
			b.WriteString(p.Key + "=" + p.Value + "\n")
		}
	case "dirs":
		st := src.Stats()
		fmt.Fprintf(&b, "datadir_size: %d\nlogdir_size: %d\n", st.DataDirSize, st.LogDirSize)
	case "mntr":
		return MonitorText(src.Metrics())
	case "wchs":
		conns, paths, total := watchSummary(src.DataWatches())
		// WatchManager.toString, then WatchCommand's println.
		fmt.Fprintf(&b, "%d connections watching %d paths\nTotal watches:%d\n", conns, paths, total)
	case "wchc":
		bySess := src.DataWatches()
		for _, id := range sortedIDs(bySess) {
			fmt.Fprintf(&b, "0x%x\n", uint64(id))
			for _, p := range bySess[id] {
				b.WriteString("\t" + p + "\n")
			}
		}
		b.WriteString("\n")
	case "wchp":
		byPath := watchesByPath(src.DataWatches())
		for _, p := range sortedKeys(byPath) {
			b.WriteString(p + "\n")
			for _, id := range byPath[p] {
				fmt.Fprintf(&b, "\t0x%x\n", uint64(id))
			}
		}
		b.WriteString("\n")
	case "dump":
		// DumpCommand: the session tracker's expiry queue, the ephemerals,
		// and NIOServerCnxnFactory's connection expiry queue.
		buckets := src.SessionBuckets()
		n := 0
		for _, bk := range buckets {
			n += len(bk.Sessions)
		}
		b.WriteString("SessionTracker dump:\n")
		fmt.Fprintf(&b, "Session Sets (%d)/(%d):\n", len(buckets), n)
		for _, bk := range buckets {
			fmt.Fprintf(&b, "%d expire at %s:\n", len(bk.Sessions), JavaDate(bk.ExpiryMs))
			for _, id := range bk.Sessions {
				fmt.Fprintf(&b, "\t0x%x\n", uint64(id))
			}
		}
		b.WriteString("ephemeral nodes dump:\n")
		eph := src.Ephemerals()
		fmt.Fprintf(&b, "Sessions with Ephemerals (%d):\n", len(eph))
		for _, id := range sortedIDs(eph) {
			fmt.Fprintf(&b, "0x%x:\n", uint64(id))
			for _, p := range eph[id] {
				b.WriteString("\t" + p + "\n")
			}
		}
		b.WriteString("Connections dump:\n")
		cb := src.ConnectionBuckets()
		n = 0
		for _, bk := range cb {
			n += len(bk.Conns)
		}
		fmt.Fprintf(&b, "Connections Sets (%d)/(%d):\n", len(cb), n)
		for _, bk := range cb {
			fmt.Fprintf(&b, "%d expire at %s:\n", len(bk.Conns), JavaDate(bk.ExpiryMs))
			for _, c := range bk.Conns {
				fmt.Fprintf(&b, "\tip: /%s sessionId: 0x%x\n", c.Remote, uint64(c.SessionID))
			}
		}
	default:
		return ""
	}
	return b.String()
}

// writeServerStats writes ServerStats.toString.
func writeServerStats(b *strings.Builder, st Stats) {
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", st.MinLatency, JavaDouble(st.AvgLatency), st.MaxLatency)
	fmt.Fprintf(b, "Received: %d\n", st.PacketsReceived)
	fmt.Fprintf(b, "Sent: %d\n", st.PacketsSent)
	fmt.Fprintf(b, "Connections: %d\n", st.Connections)
	fmt.Fprintf(b, "Outstanding: %d\n", st.Outstanding)
	fmt.Fprintf(b, "Zxid: 0x%x\n", uint64(st.LastZxid))
	fmt.Fprintf(b, "Mode: %s\n", st.State)
}

// writeConn writes ServerCnxn.dumpConnectionInfo (no newline).
func writeConn(b *strings.Builder, c Connection, brief bool) {
	fmt.Fprintf(b, " /%s[%x](queued=%d,recved=%d,sent=%d", c.Remote, c.InterestOps, c.Queued, c.Received, c.Sent)
	if !brief && c.SessionID != 0 {
		fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d", uint64(c.SessionID), c.LastOp, c.Established, c.Timeout)
		if c.LastCxid >= 0 {
			fmt.Fprintf(b, ",lcxid=0x%x", c.LastCxid)
		}
		fmt.Fprintf(b, ",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			uint64(c.LastZxid), c.LastResp, c.LastLatency, c.MinLatency, c.AvgLatency, c.MaxLatency)
	}
	b.WriteString(")")
}

// JavaDate formats Unix ms as java.util.Date.toString does, in the local
// time zone: "Sun Nov 29 20:42:13 UTC 2026".
func JavaDate(ms int64) string {
	return time.UnixMilli(ms).Format("Mon Jan 02 15:04:05 MST 2006")
}

func watchSummary(bySess map[int64][]string) (conns, paths, total int) {
	seen := map[string]bool{}
	for _, ps := range bySess {
		if len(ps) == 0 {
			continue
		}
		conns++
		total += len(ps)
		for _, p := range ps {
			seen[p] = true
		}
	}
	return conns, len(seen), total
}

func watchesByPath(bySess map[int64][]string) map[string][]int64 {
	out := map[string][]int64{}
	for _, id := range sortedIDs(bySess) {
		for _, p := range bySess[id] {
			out[p] = append(out[p], id)
		}
	}
	return out
}

func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// plain renders a metric value as MonitorCommand.print does.
func plain(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return JavaDouble(x)
	case float32:
		return JavaDouble(float64(x))
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
