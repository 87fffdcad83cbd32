package zab

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/zabd/zabd/jute"
	zk "github.com/zabd/zabd/jute/zkproto"
)

// TestConversations plays one side of the protocol against a Leader or a
// Learner, in the manner of ZooKeeper's Zab1_0Test, from the scripts in
// testdata/conversations. Regenerate the expected output with
//
//	go test ./quorum/zab -run TestConversations -rewrite
//
// and read the diff before committing.
//
// Commands:
//
//	leader id=1 voters=(1,2,3) accepted=N current=N [log=(0x100000001-0x100000005,...)]
//	       [base=0x..] [last=0x..] [init=N] [sync=N] [config=text] [sessions=valid|invalid]
//	                          a Leader over a log of those zxids (data "e<epoch>.<counter>"),
//	                          purged up to base; last defaults to the log's last zxid
//	follower|observer id=2 leader=1 voters=(1,2,3) accepted=N current=N last=0x..
//	       [snap=0x..] [init=N] [sync=N] [touches=(0xsession:timeout,...)]
//	recv [from=N]             step each input line, "TYPE [zxid=..] [data=..|hex=..] [key=..]":
//	                          FOLLOWERINFO/OBSERVERINFO [sid= config= version=] (LearnerInfo),
//	                          LEADERINFO (data 0x10000), ACKEPOCH epoch=N, PROPOSAL/INFORM
//	                          (data e<epoch>.<counter>), PING [touches=0x1:30,..],
//	                          REVALIDATE session= timeout=|valid=, REQUEST session= cxid= type= [auth=s:id,..]
//	tick [n=N]
//	persisted zxid=0x..
//	propose [data=text]       leader
//	sync learner=N            leader
//	revalidated learner=N session=0x.. valid=true|false
//	disconnected id=N         leader
//	forward session=0x.. cxid=N type=N [data=text]
//	revalidate session=0x.. timeout=N
//	status
//	learners                  leader: each learner's LearnerStats
//
// After each command the Ready is printed, one line per item, in the order
// the runtime acts on it; "(none)" when it is empty.
func TestConversations(t *testing.T) {
	datadriven.Walk(t, "testdata/conversations", func(t *testing.T, path string) {
		h := &convHarness{}
		datadriven.RunTest(t, path, h.run)
	})
}

type convHarness struct {
	leader  *Leader
	learner *Learner
	id      int64
	storage *memStorage
	touches *fixedTouches
}

type fixedTouches struct{ ts []Touch }

func (f *fixedTouches) TouchSnapshot() []Touch { return f.ts }

type fixedSessions bool

func (v fixedSessions) Revalidate(learner, sessionID int64, timeout int32) bool { return bool(v) }

func (h *convHarness) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "leader":
		cfg := h.config(t, d)
		h.storage = &memStorage{base: argInt(t, d, "base", 0)}
		if arg, ok := d.Arg("log"); ok {
			for _, v := range arg.Vals {
				lo, hi, _ := strings.Cut(v, "-")
				from, to := parseInt(t, lo), parseInt(t, lo)
				if hi != "" {
					to = parseInt(t, hi)
				}
				for z := from; z <= to; z++ {
					h.storage.log = append(h.storage.log, Entry{Zxid: z, Data: entryData(z)})
				}
			}
		}
		cfg.LastZxid = argInt(t, d, "last", h.storage.last())
		cfg.SnapshotZxid = h.storage.base
		cfg.Storage = h.storage
		if d.HasArg("config") {
			var s string
			d.ScanArgs(t, "config", &s)
			cfg.ConfigData = []byte(s)
		}
		if d.HasArg("sessions") {
			var s string
			d.ScanArgs(t, "sessions", &s)
			cfg.Sessions = fixedSessions(s == "valid")
		}
		h.leader, h.learner = Lead(cfg), nil
	case "follower", "observer":
		cfg := h.config(t, d)
		cfg.LeaderID = argInt(t, d, "leader", 1)
		cfg.LastZxid = argInt(t, d, "last", 0)
		cfg.SnapshotZxid = argInt(t, d, "snap", 0)
		if arg, ok := d.Arg("touches"); ok {
			h.touches = &fixedTouches{ts: parseTouches(t, arg.Vals)}
			cfg.Touches = h.touches
		}
		if d.Cmd == "follower" {
			h.learner = Follow(cfg)
		} else {
			h.learner = Observe(cfg)
		}
		h.leader = nil
	case "recv":
		from := argInt(t, d, "from", 0)
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			p := buildPacket(t, line, from)
			if h.leader != nil {
				h.leader.Step(from, p)
			} else {
				h.learner.Step(p)
			}
		}
	case "tick":
		for range argInt(t, d, "n", 1) {
			if h.leader != nil {
				h.leader.Tick()
			} else {
				h.learner.Tick()
			}
		}
	case "persisted":
		z := argInt(t, d, "zxid", 0)
		if h.leader != nil {
			h.leader.Persisted(z)
		} else {
			h.learner.Persisted(z)
		}
	case "propose":
		data := entryData(h.leader.NextZxid())
		if d.HasArg("data") {
			var s string
			d.ScanArgs(t, "data", &s)
			data = []byte(s)
		}
		if _, err := h.leader.Propose(data); err != nil {
			return fmt.Sprintf("error: %v\n%s", err, h.ready())
		}
	case "sync":
		h.leader.Sync(argInt(t, d, "learner", 0))
	case "revalidated":
		var valid bool
		d.ScanArgs(t, "valid", &valid)
		h.leader.Revalidated(argInt(t, d, "learner", 0), argInt(t, d, "session", 0), valid)
	case "disconnected":
		h.leader.Disconnected(argInt(t, d, "id", 0))
	case "forward":
		r := LearnerRequest{
			SessionID: argInt(t, d, "session", 0),
			Cxid:      int32(argInt(t, d, "cxid", 0)),
			Type:      zk.OpCode(argInt(t, d, "type", 0)),
		}
		if d.HasArg("data") {
			var s string
			d.ScanArgs(t, "data", &s)
			r.Data = []byte(s)
		}
		if err := h.learner.Forward(r); err != nil {
			return fmt.Sprintf("error: %v\n", err)
		}
	case "revalidate":
		if err := h.learner.Revalidate(argInt(t, d, "session", 0), int32(argInt(t, d, "timeout", 0))); err != nil {
			return fmt.Sprintf("error: %v\n", err)
		}
	case "learners":
		var b strings.Builder
		for _, ls := range h.leader.Stats().Each {
			fmt.Fprintf(&b, "%d observer=%t synced=%t sent=%d received=%d requests=%d last-zxid=%s\n",
				ls.ID, ls.Observer, ls.Synced, ls.Sent, ls.Received, ls.Requests, fmtZxid(ls.LastZxid))
		}
		return b.String()
	case "status":
		if h.leader != nil {
			l := h.leader
			return fmt.Sprintf("phase=%v epoch=%d last-proposed=%s last-committed=%s learners=%v\n",
				l.Phase(), l.Epoch(), fmtZxid(l.LastProposed()), fmtZxid(l.LastCommitted()), l.ids)
		}
		f := h.learner
		return fmt.Sprintf("phase=%v epoch=%d last-committed=%s\n", f.Phase(), f.Epoch(), fmtZxid(f.LastCommitted()))
	default:
		t.Fatalf("unknown command %q", d.Cmd)
	}
	return h.ready()
}

func (h *convHarness) ready() string {
	var s string
	if h.leader != nil {
		rd := h.leader.Ready()
		h.storage.log = append(h.storage.log, rd.Entries...) // the runtime's log append
		s = fmtReady(rd, h.id)
	} else {
		s = fmtReady(h.learner.Ready(), h.id)
	}
	if s == "" {
		return "(none)\n"
	}
	return s
}

func (h *convHarness) config(t *testing.T, d *datadriven.TestData) Config {
	h.id = argInt(t, d, "id", 1)
	cfg := Config{
		ID:            h.id,
		AcceptedEpoch: argInt(t, d, "accepted", 0),
		CurrentEpoch:  argInt(t, d, "current", 0),
		InitLimit:     int(argInt(t, d, "init", 0)),
		SyncLimit:     int(argInt(t, d, "sync", 0)),
	}
	arg, ok := d.Arg("voters")
	if !ok {
		t.Fatalf("%s: voters=(...) missing", d.Pos)
	}
	for _, v := range arg.Vals {
		cfg.Voters = append(cfg.Voters, parseInt(t, v))
	}
	return cfg
}

func argInt(t *testing.T, d *datadriven.TestData, key string, def int64) int64 {
	arg, ok := d.Arg(key)
	if !ok {
		return def
	}
	return parseInt(t, arg.SingleVal(t))
}

func parseInt(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return v
}

func parseTouches(t *testing.T, vals []string) []Touch {
	var ts []Touch
	for _, v := range vals {
		if v == "" {
			continue
		}
		s, to, ok := strings.Cut(v, ":")
		if !ok {
			t.Fatalf("bad touch %q, want session:timeout", v)
		}
		ts = append(ts, Touch{SessionID: parseInt(t, s), Timeout: int32(parseInt(t, to))})
	}
	return ts
}

// buildPacket parses "TYPE key=value ..." into the packet a peer would send.
func buildPacket(t *testing.T, line string, from int64) zk.QuorumPacket {
	fields := strings.Fields(line)
	typ, ok := ParsePacketType(fields[0])
	if !ok {
		t.Fatalf("unknown packet type %q", fields[0])
	}
	kv := map[string]string{}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		kv[k] = v
	}
	num := func(k string, def int64) int64 {
		if v, ok := kv[k]; ok {
			return parseInt(t, v)
		}
		return def
	}
	p := zk.QuorumPacket{Type: int32(typ), Zxid: num("zxid", 0)}
	switch typ {
	case FollowerInfo, ObserverInfo:
		p.Data = jute.Marshal(&zk.LearnerInfo{ServerID: num("sid", from),
			ProtocolVersion: int32(num("version", ProtocolVersion)), ConfigVersion: num("config", 0)})
	case LeaderInfo:
		p.Data = int32Bytes(int32(num("version", ProtocolVersion)))
	case AckEpoch:
		p.Data = int32Bytes(int32(num("epoch", 0)))
	case Proposal, Inform:
		p.Data = entryData(p.Zxid)
	case Ping:
		if v, ok := kv["touches"]; ok {
			p.Data = encodeTouches(parseTouches(t, strings.Split(v, ",")))
		}
	case Revalidate:
		p.Zxid = num("zxid", -1)
		if v, ok := kv["valid"]; ok {
			p.Data = encodeRevalidateReply(num("session", 0), v == "true")
		} else {
			p.Data = encodeRevalidate(num("session", 0), int32(num("timeout", 0)))
		}
	case Request:
		p.Zxid = num("zxid", -1)
		p.Data = encodeRequest(LearnerRequest{SessionID: num("session", 0), Cxid: int32(num("cxid", 0)),
			Type: zk.OpCode(num("type", 0)), Data: []byte(kv["data"])})
		if v, ok := kv["auth"]; ok {
			for _, a := range strings.Split(v, ",") {
				s, id, _ := strings.Cut(a, ":")
				p.AuthInfo = append(p.AuthInfo, zk.Id{Scheme: s, ID: id})
			}
		}
		delete(kv, "data")
	case UpToDate:
		p.Zxid = num("zxid", -1)
	}
	if v, ok := kv["data"]; ok {
		p.Data = []byte(v)
	}
	if v, ok := kv["hex"]; ok {
		b, err := hex.DecodeString(v)
		if err != nil {
			t.Fatalf("bad hex %q", v)
		}
		p.Data = b
	}
	return p
}
