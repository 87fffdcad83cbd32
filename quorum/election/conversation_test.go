package election

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestConversations runs the scripts in testdata/conversations, in the style
// of etcd-io/raft's interaction tests. Regenerate the expected output with
//
//	go test ./quorum/election -run TestConversations -rewrite
//
// and read the diff before committing.
//
// Commands:
//
//	peers voters=(1,2,3) [observers=(4)] [finalize=N] [min=N] [max=N]
//	start id=1 zxid=0x.. epoch=N         Start; queues and prints its output
//	recv to=1 from=2 state=LOOKING leader=2 zxid=.. round=.. epoch=.. [version=N]
//	                                     inject a notification (the sender need not exist)
//	deliver [from=N] [to=N]              deliver the queued messages that match
//	drop [from=N] [to=N]                 drop them
//	tick [id=N] [n=N]                    tick one peer (or all) n times
//	update-epoch id=N epoch=N
//	status                               every peer's state, round, proposal, current vote
//
// Output lines: "1->2 LOOKING leader=1 zxid=0x5 round=0x1 epoch=0x1" for a
// queued message, "1 decided FOLLOWING ..." for a decision. Numbers "min"
// stand for math.MinInt64.
func TestConversations(t *testing.T) {
	datadriven.Walk(t, "testdata/conversations", func(t *testing.T, path string) {
		h := &harness{}
		datadriven.RunTest(t, path, h.run)
	})
}

type envelope struct {
	from, to int64
	n        Notification
}

type harness struct {
	peers map[int64]*Election
	ids   []int64
	queue []envelope
}

func (h *harness) run(t *testing.T, d *datadriven.TestData) string {
	var out strings.Builder
	switch d.Cmd {
	case "peers":
		voters := intList(t, d, "voters")
		observers := intList(t, d, "observers")
		cfg := Config{
			Verifier:             NewMajority(voters...),
			FinalizeWaitTicks:    intArg(t, d, "finalize", 0),
			MinNotificationTicks: intArg(t, d, "min", 0),
			MaxNotificationTicks: intArg(t, d, "max", 0),
		}
		h.peers = map[int64]*Election{}
		h.ids = nil
		h.queue = nil
		for _, id := range append(slices.Clone(voters), observers...) {
			c := cfg
			c.ID = id
			c.Observer = slices.Contains(observers, id)
			h.peers[id] = New(c)
			h.ids = append(h.ids, id)
		}
		return "ok"
	case "start":
		id := int64(intArg(t, d, "id", -1))
		h.peer(t, id).Start(num(t, d, "zxid", "0"), num(t, d, "epoch", "0"))
		h.collect(&out, id)
	case "recv":
		to := int64(intArg(t, d, "to", -1))
		n := Notification{
			State:         parseState(t, str(d, "state", "LOOKING")),
			Leader:        num(t, d, "leader", "0"),
			Zxid:          num(t, d, "zxid", "0"),
			ElectionEpoch: num(t, d, "round", "0"),
			PeerEpoch:     num(t, d, "epoch", "0"),
			Version:       int32(num(t, d, "version", "2")),
		}
		h.peer(t, to).Step(num(t, d, "from", "0"), n)
		h.collect(&out, to)
	case "deliver", "drop":
		from, to := num(t, d, "from", "0"), num(t, d, "to", "0")
		var match, keep []envelope
		for _, m := range h.queue {
			if (from == 0 || m.from == from) && (to == 0 || m.to == to) {
				match = append(match, m)
			} else {
				keep = append(keep, m)
			}
		}
		h.queue = keep
		if d.Cmd == "drop" {
			fmt.Fprintf(&out, "dropped %d\n", len(match))
			break
		}
		for _, m := range match {
			p, ok := h.peers[m.to]
			if !ok {
				fmt.Fprintf(&out, "%d->%d lost: no such peer\n", m.from, m.to)
				continue
			}
			p.Step(m.from, m.n)
			h.collect(&out, m.to)
		}
	case "tick":
		ids := h.ids
		if d.HasArg("id") {
			ids = []int64{int64(intArg(t, d, "id", -1))}
		}
		n := intArg(t, d, "n", 1)
		for i := 1; i <= n; i++ {
			for _, id := range ids {
				h.peer(t, id).Tick()
				if h.peers[id].HasReady() {
					fmt.Fprintf(&out, "tick %d:\n", i)
					h.collect(&out, id)
				}
			}
		}
	case "update-epoch":
		h.peer(t, int64(intArg(t, d, "id", -1))).UpdatePeerEpoch(num(t, d, "epoch", "0"))
		return "ok"
	case "status":
		for _, id := range h.ids {
			e := h.peers[id]
			fmt.Fprintf(&out, "%d %v round=%s proposal=%v current=%v\n", id, e.State(), hx(e.LogicalClock()), e.Proposal(), e.CurrentVote())
		}
	default:
		t.Fatalf("unknown command %q", d.Cmd)
	}
	if out.Len() == 0 {
		return "ok"
	}
	return out.String()
}

func (h *harness) peer(t *testing.T, id int64) *Election {
	t.Helper()
	p, ok := h.peers[id]
	if !ok {
		t.Fatalf("no peer %d", id)
	}
	return p
}

// collect drains id's Ready into the queue and prints it.
func (h *harness) collect(out *strings.Builder, id int64) {
	rd := h.peers[id].Ready()
	for _, m := range rd.Messages {
		h.queue = append(h.queue, envelope{from: id, to: m.To, n: m.Notification})
		n := m.Notification
		fmt.Fprintf(out, "%d->%d %v leader=%s zxid=%s round=%s epoch=%s\n", id, m.To, n.State, hx(n.Leader), hx(n.Zxid), hx(n.ElectionEpoch), hx(n.PeerEpoch))
	}
	if dc := rd.Decision; dc != nil {
		how := "by quorum"
		if dc.Joined {
			how = "joined"
		}
		fmt.Fprintf(out, "%d decided %v leader=%s zxid=%s round=%s epoch=%s %s supporters=%v\n", id, dc.State,
			hx(dc.Vote.Leader), hx(dc.Vote.Zxid), hx(dc.Vote.ElectionEpoch), hx(dc.Vote.PeerEpoch), how, dc.Supporters)
	}
}

func hx(v int64) string {
	switch {
	case v == math.MinInt64:
		return "min"
	case v < 0:
		return strconv.FormatInt(v, 10)
	case v < 10:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprintf("%#x", v)
}

func str(d *datadriven.TestData, key, def string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return def
}

func num(t *testing.T, d *datadriven.TestData, key, def string) int64 {
	t.Helper()
	s := str(d, key, def)
	if s == "min" {
		return math.MinInt64
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		t.Fatalf("%s: %s=%q: %v", d.Pos, key, s, err)
	}
	return v
}

func intArg(t *testing.T, d *datadriven.TestData, key string, def int) int {
	t.Helper()
	return int(num(t, d, key, strconv.Itoa(def)))
}

func intList(t *testing.T, d *datadriven.TestData, key string) []int64 {
	t.Helper()
	var out []int64
	for _, a := range d.CmdArgs {
		if a.Key != key {
			continue
		}
		for _, s := range a.Vals {
			v, err := strconv.ParseInt(s, 0, 64)
			if err != nil {
				t.Fatalf("%s: %s: %v", d.Pos, key, err)
			}
			out = append(out, v)
		}
	}
	return out
}

func parseState(t *testing.T, s string) ServerState {
	t.Helper()
	for st := Looking; st <= Observing; st++ {
		if st.String() == s {
			return st
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("bad state %q", s)
	}
	return ServerState(v)
}
