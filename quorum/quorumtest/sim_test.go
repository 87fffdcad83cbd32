package quorumtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	zk "github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/quorum/election"
	"github.com/zabd/zabd/quorum/zab"
)

// The simulation runs ensembles of 3 or 5 voters, with or without an
// observer, each server an election.Election plus, after each decision, a
// zab.Leader or zab.Learner, glued as package quorum glues them (peer.go):
// the data tree is fast-forwarded to the log before each role, Ready is
// handled in its documented order (the leader hands commits over before it
// sends, so that a SNAP carries them; entries go to the log unsynced and a
// later sync steps Persisted, as the runtime's syncer does; a crash loses
// what was not synced), a learner dials its leader and gives
// up after initLimit ticks, any broken connection sends a learner back to
// LOOKING, a leader steps down when ZAB says so, and a restarted server
// keeps its log, epochs and SNAP snapshot and rebuilds its tree from them.
//
// The network delivers election notifications in FIFO order per pair of
// servers but in random order across pairs, and drops some; learner
// connections are FIFO both ways and hold their packets while a partition
// separates their ends. Faults, during the first 70% of a schedule: crashes
// (the peers notice the closed sockets, or not) and restarts, partitions
// into two random sides and heals, connections broken with either end or
// neither noticing. Clients issue, one at a time each, increments of a
// counter (a write, proposed on the leader or forwarded by a learner,
// answered when the server it was sent to applies it, with the counter's
// new value) and reads (answered at once from the server's tree), moving to
// another serving server, never one behind what they have seen, when
// theirs is lost.
//
// Checked as it runs: at most one established leader per epoch; the
// history a leader of a new epoch is established with holds every
// committed txn (no committed txn lost), and a stale leader commits nothing
// new; learners apply only committed txns; a serving server's tree is
// always a prefix of the committed sequence (identical committed prefixes,
// and reads see committed state only).
//
// After the faults stop, the network heals and every server restarts; the
// ensemble must settle — one leader, everyone serving under it, nothing in
// flight — with every tree equal to the committed sequence, every
// acknowledged write in it exactly once, and the history of increments
// linearizable (porcupine; a write whose answer was lost may or may not
// have happened). Reads are checked for sequential consistency above: each
// sees a committed prefix no older than what its client saw before.
//
// Replay one schedule with its trace:
//
//	go test ./quorum/quorumtest -run TestSimulation -v -sim.seed=N
var (
	simSeed  = flag.Int64("sim.seed", -1, "run only this seed, with its trace")
	simCount = flag.Int("sim.count", 1000, "number of seeded schedules")
)

const (
	zabEvery    = 5 // election ticks per ZAB tick (50 ms vs tickTime/2 in the runtime is 20)
	initLimit   = 10
	syncLimit   = 5
	steps       = 10000
	settleSteps = 100000
)

func TestSimulation(t *testing.T) {
	if *simSeed >= 0 {
		s := runSim(*simSeed, true)
		for _, l := range s.trace {
			t.Log(l)
		}
		if s.err != nil {
			t.Fatalf("seed %d: %v", *simSeed, s.err)
		}
		t.Logf("seed %d: %+v", *simSeed, s.st)
		return
	}
	n := *simCount
	if testing.Short() {
		n /= 10
	}
	seeds := make([]int64, 0, n+1)
	for i := range int64(n) {
		seeds = append(seeds, i)
	}
	// One fresh seed per run, printed on failure.
	seeds = append(seeds, int64(rand.Uint32())+1_000_000)
	start := time.Now()
	var total stats
	for _, seed := range seeds {
		s := runSim(seed, false)
		if s.err != nil {
			s = runSim(seed, true)
			tail := s.trace[max(0, len(s.trace)-150):]
			for _, l := range tail {
				t.Log(l)
			}
			t.Fatalf("seed %d: %v (replay: go test ./quorum/quorumtest -run TestSimulation -v -sim.seed=%d)", seed, s.err, seed)
		}
		total.add(s.st)
	}
	t.Logf("%d schedules in %v: %+v", len(seeds), time.Since(start).Round(time.Millisecond), total)
}

type stats struct {
	Elections, Established, Acked, Unknown, Reads, Crashes, Partitions, Snaps, Truncs int
}

func (a *stats) add(b stats) {
	a.Elections += b.Elections
	a.Established += b.Established
	a.Acked += b.Acked
	a.Unknown += b.Unknown
	a.Reads += b.Reads
	a.Crashes += b.Crashes
	a.Partitions += b.Partitions
	a.Snaps += b.Snaps
	a.Truncs += b.Truncs
}

type role uint8

const (
	looking role = iota
	leading
	following
	observing
)

func (r role) String() string { return [...]string{"LOOKING", "LEADING", "FOLLOWING", "OBSERVING"}[r] }

// node is one server.
type node struct {
	s        *sim
	id       int64
	observer bool
	up       bool

	// Durable: the log holds every txn after base, the zxid of the
	// snapshot (the txns in snap) a SNAP installed.
	log               []zab.Entry
	synced            int // log[:synced] is durable; a crash loses the rest
	base              int64
	snap              []zab.Entry
	accepted, current int64

	// Volatile.
	el       *election.Election
	role     role
	leaderID int64
	zl       *zab.Leader
	zf       *zab.Learner
	lconns   map[int64]*conn // leader: the current connection of each learner
	upc      *conn           // learner: to the leader
	dialing  bool
	dialTill int
	zticks   int
	serving  bool
	applied  []zab.Entry // the data tree: the txns applied, in order
	appZxid  int64
	pending  map[int64]*op // client writes waiting for their commit here
}

func (n *node) lastZxid() int64 {
	if len(n.log) > 0 {
		return max(n.base, n.log[len(n.log)-1].Zxid)
	}
	return n.base
}

// Entries is the leader's zab.Storage.
func (n *node) Entries(after, upTo int64) ([]zab.Entry, error) {
	if after < n.base {
		return nil, zab.ErrCompacted
	}
	var out []zab.Entry
	for _, e := range n.log {
		if e.Zxid > after && e.Zxid <= upTo {
			out = append(out, e)
		}
	}
	return out, nil
}

// conn is a learner connection.
type conn struct {
	learner, leader     int64
	toLeader, toLearner []zk.QuorumPacket
	closed              bool
	hello               bool // the leader took its first packet
}

type elMsg struct {
	from, to int64
	n        election.Notification
}

type closure struct {
	c                   *conn
	leaderSide, learner bool
}

type client struct {
	idx      int
	node     int64
	busy     *op
	lastZxid int64
	lastRead int
}

type op struct {
	id     int64
	client int
	hidx   int
	node   int64
	done   bool
}

type sim struct {
	rng     *rand.Rand
	verbose bool
	trace   []string
	err     error
	st      stats

	now    int64 // actions so far: the clock of the history
	time   int   // election ticks so far
	faults bool
	ops    bool

	nodes   map[int64]*node
	ids     []int64
	voters  []int64
	elMsgs  []elMsg
	conns   []*conn
	closing []closure
	side    map[int64]int

	clients []*client
	nextOp  int64
	history []porcupine.Operation
	opByID  map[int64]*op

	committed      []zab.Entry
	maxEstablished int64
	leaders        map[int64]int64
}

func (s *sim) tracef(format string, args ...any) {
	if s.verbose {
		s.trace = append(s.trace, fmt.Sprintf("%6d t=%d ", s.now, s.time)+fmt.Sprintf(format, args...))
	}
}

func (s *sim) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("action %d: "+format, append([]any{s.now}, args...)...)
		s.tracef("FAIL: %v", s.err)
	}
}

func runSim(seed int64, verbose bool) *sim {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	s := &sim{
		rng: rng, verbose: verbose, nodes: map[int64]*node{}, side: map[int64]int{},
		opByID: map[int64]*op{}, leaders: map[int64]int64{}, faults: true, ops: true,
	}
	nv := 3
	if rng.IntN(3) == 0 {
		nv = 5
	}
	for i := 1; i <= nv; i++ {
		s.voters = append(s.voters, int64(i))
	}
	s.ids = slices.Clone(s.voters)
	if rng.IntN(2) == 0 {
		s.ids = append(s.ids, int64(nv+1))
	}
	for _, id := range s.ids {
		n := &node{s: s, id: id, observer: !slices.Contains(s.voters, id)}
		s.nodes[id] = n
		s.restart(n)
	}
	for i := range 3 {
		s.clients = append(s.clients, &client{idx: i, node: s.ids[rng.IntN(len(s.ids))]})
	}
	for ; s.now < steps && s.err == nil; s.now++ {
		if s.now == steps*7/10 {
			s.faults = false
			s.heal()
			for _, id := range s.ids {
				if !s.nodes[id].up {
					s.restart(s.nodes[id])
				}
			}
		}
		if s.now == steps*85/100 {
			s.ops = false
		}
		s.act()
		s.closeConns()
	}
	for i := 0; i < settleSteps && s.err == nil && !s.settled(); i++ {
		s.now++
		s.act()
		s.closeConns()
	}
	if s.err == nil && !s.settled() {
		s.fail("did not settle: %s", s.describe())
	}
	if s.err == nil {
		s.finalChecks()
	}
	return s
}

func (s *sim) describe() string {
	var b bytes.Buffer
	for _, id := range s.ids {
		n := s.nodes[id]
		fmt.Fprintf(&b, "[%d up=%t %v leader=%d serving=%t applied=%d zxid=%#x] ", id, n.up, n.role, n.leaderID, n.serving, len(n.applied), n.appZxid)
	}
	return b.String()
}

// act takes one random action.
func (s *sim) act() {
	r := s.rng.Float64()
	switch {
	case r < 0.35:
		s.deliverElection()
	case r < 0.75:
		s.deliverZab()
	case r < 0.85:
		s.syncOne()
	case r < 0.90:
		s.tick()
	case r < 0.98:
		if s.ops {
			s.clientAction()
		} else {
			s.tick()
		}
	default:
		if s.faults {
			s.fault()
		} else {
			s.tick()
		}
	}
}

func (s *sim) reachable(a, b int64) bool { return s.side[a] == s.side[b] }

func (s *sim) deliverElection() {
	if len(s.elMsgs) == 0 {
		return
	}
	// The oldest message of a random pair: FIFO per connection.
	pick := s.elMsgs[s.rng.IntN(len(s.elMsgs))]
	i := slices.IndexFunc(s.elMsgs, func(m elMsg) bool { return m.from == pick.from && m.to == pick.to })
	m := s.elMsgs[i]
	s.elMsgs = slices.Delete(s.elMsgs, i, i+1)
	to := s.nodes[m.to]
	if !to.up || !s.reachable(m.from, m.to) || (s.faults && s.rng.IntN(20) == 0) {
		return
	}
	to.el.Step(m.from, m.n)
	s.drain(to)
}

func (s *sim) deliverZab() {
	var ready []*conn
	for _, c := range s.conns {
		if !c.closed && s.reachable(c.learner, c.leader) && s.nodes[c.learner].up && s.nodes[c.leader].up &&
			(len(c.toLeader) > 0 || len(c.toLearner) > 0) {
			ready = append(ready, c)
		}
	}
	if len(ready) == 0 {
		return
	}
	c := ready[s.rng.IntN(len(ready))]
	toLeader := len(c.toLearner) == 0 || (len(c.toLeader) > 0 && s.rng.IntN(2) == 0)
	// A random part of what is queued arrives at once, as a TCP stream
	// does; the receiver handles each packet in turn.
	q := &c.toLearner
	if toLeader {
		q = &c.toLeader
	}
	for k := 1 + s.rng.IntN(len(*q)); k > 0 && len(*q) > 0 && !c.closed && s.err == nil; k-- {
		p := (*q)[0]
		*q = (*q)[1:]
		if !s.deliverPacket(c, toLeader, p) {
			return
		}
	}
}

// deliverPacket hands p to one end of c; false when c is no longer used.
func (s *sim) deliverPacket(c *conn, toLeader bool, p zk.QuorumPacket) bool {
	if toLeader {
		l := s.nodes[c.leader]
		if l.zl == nil {
			s.closeConn(c, false, true)
			return false
		}
		if !c.hello {
			c.hello = true
			if old := l.lconns[c.learner]; old != nil && old != c {
				s.closeConn(old, false, true)
				l.zl.Disconnected(c.learner)
			}
			l.lconns[c.learner] = c
		} else if l.lconns[c.learner] != c {
			return false
		}
		s.tracef("%d -> %d %v %#x", c.learner, c.leader, zab.PacketType(p.Type), p.Zxid)
		l.zl.Step(c.learner, p)
		s.drain(l)
		return true
	}
	f := s.nodes[c.learner]
	if f.upc != c || f.zf == nil {
		return false
	}
	s.tracef("%d -> %d %v %#x", c.leader, c.learner, zab.PacketType(p.Type), p.Zxid)
	f.zf.Step(p)
	s.drain(f)
	return true
}

// tick advances time by one election tick, and every zabEvery by one ZAB
// tick.
func (s *sim) tick() {
	s.time++
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.up {
			continue
		}
		n.el.Tick()
		if s.time%zabEvery == 0 {
			n.zticks++
			switch {
			case n.zl != nil:
				n.zl.Tick()
			case n.zf != nil:
				n.zf.Tick()
			case n.dialing:
				s.dial(n)
			}
		}
		s.drain(n)
	}
}

func (s *sim) fault() {
	switch k := s.rng.IntN(10); {
	case k < 3:
		var up []*node
		for _, id := range s.ids {
			if s.nodes[id].up {
				up = append(up, s.nodes[id])
			}
		}
		if len(up) > 1 {
			n := up[s.rng.IntN(len(up))]
			s.crash(n)
		}
	case k < 6:
		var down []*node
		for _, id := range s.ids {
			if !s.nodes[id].up {
				down = append(down, s.nodes[id])
			}
		}
		if len(down) > 0 {
			s.restart(down[s.rng.IntN(len(down))])
		}
	case k < 7:
		s.st.Partitions++
		for _, id := range s.ids {
			s.side[id] = s.rng.IntN(2)
		}
		s.tracef("partition %v", s.side)
	case k < 8:
		s.heal()
	default:
		var open []*conn
		for _, c := range s.conns {
			if !c.closed {
				open = append(open, c)
			}
		}
		if len(open) > 0 {
			c := open[s.rng.IntN(len(open))]
			s.tracef("break %d-%d", c.learner, c.leader)
			s.closeConn(c, s.rng.IntN(2) == 0, s.rng.IntN(2) == 0)
		}
	}
}

func (s *sim) heal() {
	for _, id := range s.ids {
		s.side[id] = 0
	}
	s.tracef("heal")
}

// crash stops n: its sockets close, which its peers notice or not.
func (s *sim) crash(n *node) {
	s.st.Crashes++
	s.tracef("crash %d (%v)", n.id, n.role)
	for _, c := range s.conns {
		if !c.closed && (c.learner == n.id || c.leader == n.id) {
			notice := s.rng.IntN(10) < 7
			s.closeConn(c, notice && c.learner == n.id, notice && c.leader == n.id)
		}
	}
	s.dropPending(n)
	n.up = false
	n.log = n.log[:n.synced] // the unsynced tail is lost
	n.el, n.zl, n.zf, n.lconns, n.upc = nil, nil, nil, nil, nil
	n.role, n.serving, n.dialing = looking, false, false
	n.applied, n.appZxid = nil, 0
}

// restart starts n from its durable state (peer.loadTree).
func (s *sim) restart(n *node) {
	s.tracef("start %d (log %d txns after %#x)", n.id, len(n.log), n.base)
	n.synced = len(n.log)
	n.up = true
	n.applied = slices.Clone(n.snap)
	n.appZxid = n.base
	for _, e := range n.log {
		s.apply(n, e)
	}
	n.el = election.New(election.Config{ID: n.id, Verifier: election.NewMajority(s.voters...), Observer: n.observer})
	s.lookForLeader(n)
	s.drain(n)
}

func (s *sim) dropPending(n *node) {
	for _, o := range n.pending {
		s.clients[o.client].busy = nil
	}
	n.pending = map[int64]*op{}
}

// lookForLeader ends n's role and starts an election round.
func (s *sim) lookForLeader(n *node) {
	s.st.Elections++
	n.synced = len(n.log) // endTerm flushes the log
	if n.upc != nil {
		s.closeConn(n.upc, true, false)
	}
	for _, c := range n.lconns {
		s.closeConn(c, false, true)
	}
	s.dropPending(n)
	n.zl, n.zf, n.lconns, n.upc = nil, nil, nil, nil
	n.role, n.serving, n.dialing = looking, false, false
	s.tracef("%d LOOKING lastZxid=%#x epoch=%d", n.id, n.lastZxid(), n.current)
	n.el.Start(n.lastZxid(), n.current)
}

func (s *sim) closeConn(c *conn, leaderSide, learnerSide bool) {
	if c.closed {
		return
	}
	c.closed = true
	c.toLeader, c.toLearner = nil, nil
	s.closing = append(s.closing, closure{c: c, leaderSide: leaderSide, learner: learnerSide})
}

// closeConns tells the ends of closed connections that noticed.
func (s *sim) closeConns() {
	for len(s.closing) > 0 && s.err == nil {
		cl := s.closing[0]
		s.closing = s.closing[1:]
		if cl.leaderSide {
			if l := s.nodes[cl.c.leader]; l.up && l.zl != nil && l.lconns[cl.c.learner] == cl.c {
				delete(l.lconns, cl.c.learner)
				l.zl.Disconnected(cl.c.learner)
				s.drain(l)
			}
		}
		if cl.learner {
			if f := s.nodes[cl.c.learner]; f.up && f.upc == cl.c {
				s.tracef("%d: connection to %d closed", f.id, cl.c.leader)
				s.lookForLeader(f)
				s.drain(f)
			}
		}
	}
	s.conns = slices.DeleteFunc(s.conns, func(c *conn) bool { return c.closed })
}

func (s *sim) drain(n *node) {
	for n.up && s.err == nil {
		switch {
		case n.el.HasReady():
			rd := n.el.Ready()
			for _, m := range rd.Messages {
				s.elMsgs = append(s.elMsgs, elMsg{from: n.id, to: m.To, n: m.Notification})
			}
			if d := rd.Decision; d != nil && n.role == looking && !n.dialing {
				s.decided(n, *d)
			}
		case n.zl != nil && n.zl.HasReady():
			s.handleReady(n, n.zl.Ready())
		case n.zf != nil && n.zf.HasReady():
			s.handleReady(n, n.zf.Ready())
		default:
			return
		}
	}
}

func (s *sim) config(n *node, leader int64) zab.Config {
	return zab.Config{
		ID: n.id, Voters: s.voters, InitLimit: initLimit, SyncLimit: syncLimit,
		AcceptedEpoch: n.accepted, CurrentEpoch: n.current, LastZxid: n.lastZxid(), SnapshotZxid: n.base,
		Storage: n, LeaderID: leader,
	}
}

func (s *sim) decided(n *node, d election.Decision) {
	s.tracef("%d decided %v leader=%d", n.id, d.State, d.Vote.Leader)
	// catchUpTree: the tree holds the whole log.
	for _, e := range n.log {
		s.apply(n, e)
	}
	n.leaderID = d.Vote.Leader
	switch d.State {
	case election.Leading:
		n.role = leading
		n.lconns = map[int64]*conn{}
		n.zl = zab.Lead(s.config(n, n.id))
	case election.Observing:
		n.role = observing
	default:
		n.role = following
	}
	if n.role != leading {
		n.dialing = true
		n.dialTill = n.zticks + initLimit
		s.dial(n)
	}
}

// dial connects a learner to its leader if the leader listens and is
// reachable; after initLimit ticks of failures it looks again.
func (s *sim) dial(n *node) {
	l := s.nodes[n.leaderID]
	if l != nil && l.up && l.zl != nil && s.reachable(n.id, l.id) {
		c := &conn{learner: n.id, leader: l.id}
		s.conns = append(s.conns, c)
		n.upc, n.dialing = c, false
		if n.role == observing {
			n.zf = zab.Observe(s.config(n, l.id))
		} else {
			n.zf = zab.Follow(s.config(n, l.id))
		}
		return
	}
	if n.zticks > n.dialTill {
		s.tracef("%d cannot reach leader %d", n.id, n.leaderID)
		s.lookForLeader(n)
	}
}

// handleReady follows zab.Ready's order, as peer.handleReady does: the
// entries go to the log unsynced, and a later sync action makes them
// durable and steps Persisted (the runtime's syncer).
func (s *sim) handleReady(n *node, rd zab.Ready) {
	if rd.Snapshot != nil || rd.Truncate {
		s.sync(n)
	}
	if sn := rd.Snapshot; sn != nil {
		s.st.Snaps++
		es, err := decodeEntries(sn.Data)
		if err != nil {
			s.fail("%d: SNAP data: %v", n.id, err)
			return
		}
		n.snap, n.base, n.log, n.synced = es, sn.Zxid, nil, 0
		n.applied, n.appZxid = slices.Clone(es), sn.Zxid
		s.tracef("%d installed SNAP %#x (%d txns)", n.id, sn.Zxid, len(es))
	}
	if rd.Truncate {
		s.st.Truncs++
		n.log = slices.DeleteFunc(n.log, func(e zab.Entry) bool { return e.Zxid > rd.TruncateZxid })
		n.synced = len(n.log)
		n.applied, n.appZxid = slices.Clone(n.snap), n.base
		for _, e := range n.log {
			s.apply(n, e)
		}
		s.tracef("%d truncated after %#x", n.id, rd.TruncateZxid)
	}
	if rd.AcceptedEpoch != 0 {
		if rd.AcceptedEpoch < n.accepted {
			s.fail("%d: acceptedEpoch %d -> %d", n.id, n.accepted, rd.AcceptedEpoch)
		}
		n.accepted = rd.AcceptedEpoch
	}
	if rd.CurrentEpoch != 0 {
		if rd.CurrentEpoch < n.current || rd.CurrentEpoch > n.accepted {
			s.fail("%d: currentEpoch %d -> %d (accepted %d)", n.id, n.current, rd.CurrentEpoch, n.accepted)
		}
		n.current = rd.CurrentEpoch
		n.el.UpdatePeerEpoch(rd.CurrentEpoch)
	}
	for _, e := range rd.Entries {
		if last := n.lastZxid(); e.Zxid <= last {
			s.fail("%d: appends %#x after %#x", n.id, e.Zxid, last)
			return
		}
		n.log = append(n.log, e)
	}
	if n.zl != nil {
		s.leaderCommitted(n, rd.Committed)
	}
	for _, m := range rd.Messages {
		p := m.Packet
		if n.zl != nil {
			c := n.lconns[m.To]
			if c == nil {
				continue
			}
			if zab.PacketType(p.Type) == zab.Snap {
				p.Data = encodeEntries(n.applied)
			}
			c.toLearner = append(c.toLearner, p)
		} else if n.upc != nil {
			n.upc.toLeader = append(n.upc.toLeader, p)
		}
	}
	if n.zf != nil {
		for _, e := range rd.Committed {
			if !s.isCommitted(e) {
				s.fail("%d applies %#x, which is not committed", n.id, e.Zxid)
				return
			}
			s.apply(n, e)
		}
	}
	for _, r := range rd.Requests {
		if n.serving {
			if _, err := n.zl.Propose(r.Data); err != nil {
				s.tracef("%d: forwarded propose: %v", n.id, err)
			}
		}
	}
	for _, d := range rd.Disconnect {
		s.tracef("%d drops learner %d: %v", n.id, d.ID, d.Err)
		if c := n.lconns[d.ID]; c != nil {
			delete(n.lconns, d.ID)
			s.closeConn(c, false, true)
		}
	}
	switch rd.Phase {
	case zab.Broadcast:
		s.serve(n)
	case zab.Looking:
		s.tracef("%d leaves %v: %v", n.id, n.role, rd.Err)
		if errors.Is(rd.Err, zab.ErrProtocol) || errors.Is(rd.Err, zab.ErrTruncateSnapshot) {
			s.fail("%d: %v", n.id, rd.Err)
			return
		}
		s.lookForLeader(n)
		return
	}
}

// sync makes n's log durable and tells its ZAB instance.
func (s *sim) sync(n *node) {
	if n.synced == len(n.log) {
		return
	}
	n.synced = len(n.log)
	last := n.log[len(n.log)-1].Zxid
	switch {
	case n.zl != nil:
		n.zl.Persisted(last)
	case n.zf != nil:
		n.zf.Persisted(last)
	}
}

// syncOne syncs a random server with unsynced entries.
func (s *sim) syncOne() {
	var ns []*node
	for _, id := range s.ids {
		if n := s.nodes[id]; n.up && n.synced < len(n.log) {
			ns = append(ns, n)
		}
	}
	if len(ns) > 0 {
		n := ns[s.rng.IntN(len(ns))]
		s.sync(n)
		s.drain(n)
	}
}

// serve: ZAB reached broadcast. On a leader that is establishment.
func (s *sim) serve(n *node) {
	n.serving = true
	if n.zl == nil {
		s.tracef("%d serving as %v of %d", n.id, n.role, n.leaderID)
		s.checkPrefix(n, 0)
		return
	}
	s.st.Established++
	e := n.zl.Epoch()
	if l, ok := s.leaders[e]; ok && l != n.id {
		s.fail("epoch %d established by %d and %d", e, l, n.id)
		return
	}
	s.leaders[e] = n.id
	hist := append(slices.Clone(n.snap), n.log...)
	s.tracef("%d established epoch %d with %d txns (committed %d)", n.id, e, len(hist), len(s.committed))
	k := min(len(hist), len(s.committed))
	for i := range k {
		if hist[i].Zxid != s.committed[i].Zxid || !bytes.Equal(hist[i].Data, s.committed[i].Data) {
			s.fail("leader %d of epoch %d diverges from the committed sequence at %d: %#x vs %#x", n.id, e, i, hist[i].Zxid, s.committed[i].Zxid)
			return
		}
	}
	if e > s.maxEstablished {
		if len(hist) < len(s.committed) {
			s.fail("leader %d of epoch %d lacks committed txns: has %d, committed %d", n.id, e, len(hist), len(s.committed))
			return
		}
		s.maxEstablished = e
		s.committed = hist
	}
	s.checkPrefix(n, 0)
}

func (s *sim) leaderCommitted(n *node, es []zab.Entry) {
	for _, e := range es {
		if last := s.lastCommitted(); e.Zxid > last {
			if n.zl.Epoch() < s.maxEstablished {
				s.fail("stale leader %d (epoch %d < %d) commits %#x", n.id, n.zl.Epoch(), s.maxEstablished, e.Zxid)
				return
			}
			s.committed = append(s.committed, e)
		} else if !s.isCommitted(e) {
			s.fail("leader %d commits %#x, which forks the committed sequence (last %#x)", n.id, e.Zxid, last)
			return
		}
		s.apply(n, e)
	}
}

func (s *sim) lastCommitted() int64 {
	if len(s.committed) == 0 {
		return 0
	}
	return s.committed[len(s.committed)-1].Zxid
}

func (s *sim) isCommitted(e zab.Entry) bool {
	i, ok := slices.BinarySearchFunc(s.committed, e.Zxid, func(c zab.Entry, z int64) int {
		switch {
		case c.Zxid < z:
			return -1
		case c.Zxid > z:
			return 1
		}
		return 0
	})
	return ok && bytes.Equal(s.committed[i].Data, e.Data)
}

// apply applies one txn to n's tree and answers the client waiting for it.
func (s *sim) apply(n *node, e zab.Entry) {
	if e.Zxid <= n.appZxid {
		return
	}
	n.applied = append(n.applied, e)
	n.appZxid = e.Zxid
	if n.serving {
		s.checkPrefix(n, len(n.applied)-1)
	}
	id := opID(e.Data)
	if o := n.pending[id]; o != nil {
		delete(n.pending, id)
		o.done = true
		h := &s.history[o.hidx]
		h.Output, h.Return = len(n.applied), s.now
		c := s.clients[o.client]
		c.busy = nil
		c.lastZxid = max(c.lastZxid, e.Zxid)
		s.st.Acked++
	}
}

// checkPrefix checks that n.applied[from:] matches the committed sequence.
func (s *sim) checkPrefix(n *node, from int) {
	for i := from; i < len(n.applied); i++ {
		if i >= len(s.committed) || n.applied[i].Zxid != s.committed[i].Zxid || !bytes.Equal(n.applied[i].Data, s.committed[i].Data) {
			s.fail("serving server %d holds %#x at %d, not the committed txn", n.id, n.applied[i].Zxid, i)
			return
		}
	}
}

func (s *sim) clientAction() {
	c := s.clients[s.rng.IntN(len(s.clients))]
	if c.busy != nil {
		return
	}
	n := s.nodes[c.node]
	if !s.eligible(c, n) {
		var ok []*node
		for _, id := range s.ids {
			if s.eligible(c, s.nodes[id]) {
				ok = append(ok, s.nodes[id])
			}
		}
		if len(ok) == 0 {
			return
		}
		n = ok[s.rng.IntN(len(ok))]
		c.node = n.id
	}
	if s.rng.IntN(3) == 0 {
		// A read, answered from the local tree.
		s.st.Reads++
		if n.appZxid < c.lastZxid || len(n.applied) < c.lastRead {
			s.fail("client %d reads %d at %#x from %d after seeing %d at %#x", c.idx, len(n.applied), n.appZxid, n.id, c.lastRead, c.lastZxid)
		}
		s.checkPrefix(n, 0)
		c.lastZxid, c.lastRead = n.appZxid, len(n.applied)
		return
	}
	s.nextOp++
	o := &op{id: s.nextOp, client: c.idx, node: n.id}
	data := binary.BigEndian.AppendUint64(nil, uint64(o.id))
	var err error
	if n.zl != nil {
		_, err = n.zl.Propose(data)
	} else {
		err = n.zf.Forward(zab.LearnerRequest{SessionID: int64(c.idx) + 1, Cxid: int32(o.id), Type: zk.OpSetData, Data: data})
	}
	if err != nil {
		return
	}
	o.hidx = len(s.history)
	s.history = append(s.history, porcupine.Operation{ClientId: c.idx, Input: o.id, Call: s.now})
	s.opByID[o.id] = o
	n.pending[o.id] = o
	c.busy = o
	s.drain(n)
}

// eligible: n serves and is not behind what c has seen (ZooKeeper's client
// refuses a server whose last zxid is older than its own).
func (s *sim) eligible(c *client, n *node) bool {
	return n.up && n.serving && n.appZxid >= c.lastZxid
}

func (s *sim) settled() bool {
	var leader *node
	for _, id := range s.ids {
		if n := s.nodes[id]; n.up && n.zl != nil && n.serving {
			if leader != nil {
				return false
			}
			leader = n
		}
	}
	if leader == nil || leader.zl.LastCommitted() != leader.zl.LastProposed() || len(leader.lconns) != len(s.ids)-1 {
		return false
	}
	for _, c := range s.conns {
		if len(c.toLeader)+len(c.toLearner) > 0 {
			return false
		}
	}
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.up || !n.serving || (n != leader && (n.leaderID != leader.id || n.upc == nil)) || len(n.applied) != len(s.committed) {
			return false
		}
	}
	return true
}

func (s *sim) finalChecks() {
	for _, id := range s.ids {
		s.checkPrefix(s.nodes[id], 0)
	}
	pos := map[int64]int{} // write → the counter's value after it
	for i, e := range s.committed {
		id := opID(e.Data)
		if _, dup := pos[id]; dup {
			s.fail("write %d committed twice", id)
			return
		}
		pos[id] = i + 1
	}
	// A write whose answer was lost happened if it is in the committed
	// sequence, which every tree now holds: it gets its value there and
	// an open end; one that did not happen leaves the history.
	end := s.now + 1
	var hist []porcupine.Operation
	for _, h := range s.history {
		o := s.opByID[h.Input.(int64)]
		p, ok := pos[o.id]
		switch {
		case o.done && !ok:
			s.fail("acknowledged write %d is not in the committed sequence", o.id)
			return
		case o.done:
		case ok:
			s.st.Unknown++
			h.Output, h.Return = p, end
		default:
			s.st.Unknown++
			continue
		}
		hist = append(hist, h)
	}
	if !porcupine.CheckOperations(counterModel, hist) {
		s.fail("the history of %d writes is not linearizable", len(hist))
	}
}

// counterModel: a write increments the counter and returns its new value.
var counterModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		c := state.(int)
		return output.(int) == c+1, c + 1
	},
}

func opID(data []byte) int64 {
	if len(data) < 8 {
		return math.MinInt64
	}
	return int64(binary.BigEndian.Uint64(data))
}

// encodeEntries is the sim's SNAP stream: the leader's applied txns.
func encodeEntries(es []zab.Entry) []byte {
	var b []byte
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, uint64(e.Zxid))
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

func decodeEntries(b []byte) ([]zab.Entry, error) {
	var es []zab.Entry
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, errors.New("short entry")
		}
		z, n := int64(binary.BigEndian.Uint64(b)), int(binary.BigEndian.Uint32(b[8:]))
		if len(b) < 12+n {
			return nil, errors.New("short data")
		}
		es = append(es, zab.Entry{Zxid: z, Data: slices.Clone(b[12 : 12+n])})
		b = b[12+n:]
	}
	return es, nil
}
