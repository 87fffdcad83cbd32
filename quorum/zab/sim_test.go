package zab

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// The simulation runs whole ensembles — 3 or 5 voters, with or without an
// observer — of Leaders and Learners on a simulated network, driven by a
// seeded RNG: packets are delivered in a random order across connections
// (each connection is FIFO, like TCP), connections break (with or without
// either end noticing), the network partitions and heals, servers crash
// (losing their unsynced log tail) and restart from what they persisted,
// logs are compacted behind snapshots. Leader election is a stand-in: a
// LOOKING server joins a reachable leader, or, with a reachable quorum of
// LOOKING voters, the one with the highest (currentEpoch, last zxid, id)
// leads them — now and then a random one, which ZAB must fend off.
//
// Checked as it runs:
//   - at most one leader is established per epoch, and a learner reaches
//     broadcast only under the established leader of its epoch;
//   - no fork: every leader's history at establishment agrees with the
//     committed sequence, and extends it unless the establishment is stale
//     (see established); a commit is never reordered or forked (one txn per
//     zxid, zxids increasing), so a stale leader commits nothing new;
//   - every server's data tree, whenever a txn is applied to it, is a
//     prefix of the committed sequence (identical committed prefixes);
//   - zxids increase in every log and data tree, epochs never go back,
//     currentEpoch <= acceptedEpoch;
//   - a follower's ACK of a proposal leaves only once the txn is synced,
//     its NEWLEADER ACK only once all it logged is synced;
//   - no packet is ever out of turn (ErrProtocol), and no TRUNC falls inside
//     a snapshot.
//
// After the faults stop (70% into the schedule), every server restarts and
// the network heals; without new proposals, the ensemble must settle — one
// leader in broadcast, everyone following it, nothing in flight — and then
// every data tree must hold the whole committed sequence: no committed txn
// is lost.
//
// Rerun one schedule with its trace:
//
//	go test ./quorum/zab -run TestSimulation -v -sim.seed=N
var (
	simSeed  = flag.Int64("sim.seed", -1, "run only this simulation seed, with its trace")
	simCount = flag.Int("sim.count", 1000, "number of seeded simulation schedules")
)

func TestSimulation(t *testing.T) {
	if *simSeed >= 0 {
		w := runSim(*simSeed, true)
		for _, l := range w.trace {
			t.Log(l)
		}
		if w.err != nil {
			t.Fatalf("seed %d: %v", *simSeed, w.err)
		}
		t.Logf("seed %d: %+v", *simSeed, w.st)
		return
	}
	n := *simCount
	if testing.Short() {
		n /= 10
	}
	start := time.Now()
	var total simStats
	for seed := int64(0); seed < int64(n); seed++ {
		w := runSim(seed, false)
		if w.err != nil {
			w = runSim(seed, true) // deterministic: again, with the trace
			tail := w.trace
			if len(tail) > 200 {
				tail = tail[len(tail)-200:]
			}
			t.Fatalf("seed %d: %v\nparams %+v\nlast trace lines:\n%s\nrerun: go test ./quorum/zab -run TestSimulation -v -sim.seed=%d",
				seed, w.err, w.p, strings.Join(tail, "\n"), seed)
		}
		total.add(w.st)
	}
	t.Logf("%d schedules in %v: %+v", n, time.Since(start).Round(time.Millisecond), total)
	// Guard against a harness that checks nothing: most schedules must
	// establish leaders and commit.
	if total.committedRuns < n*9/10 {
		t.Errorf("too little progress: %+v", total)
	}
}

type simParams struct {
	voters, observers int
	steps, faultSteps int
	faultRate         int // percent of steps that inject a fault, until faultSteps
	randomLeader      int // percent of elections that pick a random voter
	persistWeight     int // how often disks sync, relative to the other steps
	breakWeight       int // how often faults break connections, relative to other faults
}

type simStats struct {
	establishments, staleEstablishments, commits, maxCommitted, committedRuns int
	diffs, truncs, snaps, crashes, partitions, breaks, compactions            int
	lostQuorum, lostLeader, refused                                           int
	converged, settleSteps                                                    int
}

func (s *simStats) add(o simStats) {
	s.establishments += o.establishments
	s.staleEstablishments += o.staleEstablishments
	s.commits += o.commits
	s.maxCommitted = max(s.maxCommitted, o.maxCommitted)
	s.committedRuns += o.committedRuns
	s.diffs += o.diffs
	s.truncs += o.truncs
	s.snaps += o.snaps
	s.crashes += o.crashes
	s.partitions += o.partitions
	s.breaks += o.breaks
	s.compactions += o.compactions
	s.lostQuorum += o.lostQuorum
	s.lostLeader += o.lostLeader
	s.refused += o.refused
	s.converged += o.converged
	s.settleSteps = max(s.settleSteps, o.settleSteps)
}

// node is one server: its durable state, and its volatile state and role.
type node struct {
	id       int64
	observer bool
	up       bool

	// Durable.
	accepted, current int64
	snap              []Entry // the data tree of the newest snapshot
	snapZxid          int64
	log               []Entry // after snapZxid
	synced            int     // log[:synced] is durable

	// Volatile.
	tree        []Entry // the data tree: txns applied, in order
	verified    int     // tree[:verified] is a checked prefix of the committed sequence
	committedTo int64   // highest zxid known committed here
	leader      *Leader
	learner     *Learner
	conn        *conn           // learner: to its leader
	learners    map[int64]*conn // leader: by learner id
	leaderEpoch int64           // leader: the epoch it established, 0 if none yet
}

func (n *node) lastZxid() int64 {
	if len(n.log) > 0 {
		return n.log[len(n.log)-1].Zxid
	}
	return n.snapZxid
}

// Entries is the leader's Storage.
func (n *node) Entries(after, upTo int64) ([]Entry, error) {
	if after < n.snapZxid {
		return nil, ErrCompacted
	}
	i, _ := slices.BinarySearchFunc(n.log, after+1, cmpEntry)
	j, _ := slices.BinarySearchFunc(n.log, upTo+1, cmpEntry)
	return n.log[i:max(i, j)], nil
}

func (n *node) replay() {
	n.tree = append(slices.Clip(slices.Clone(n.snap)), n.log...)
	n.verified = 0
}

func (n *node) String() string {
	role := "looking"
	switch {
	case !n.up:
		role = "down"
	case n.leader != nil:
		role = "leader/" + n.leader.Phase().String()
	case n.learner != nil:
		role = fmt.Sprintf("learner of %d/%v", n.conn.leader.id, n.learner.Phase())
	}
	return fmt.Sprintf("%d[%s a=%d c=%d last=%#x snap=%#x tree=%d]", n.id, role, n.accepted, n.current, n.lastZxid(), n.snapZxid, len(n.tree))
}

// conn is a learner's connection to its leader: a FIFO queue each way.
type conn struct {
	leader, learner *node
	lInst           *Leader
	fInst           *Learner
	toLeader        []zk.QuorumPacket
	toLearner       []zk.QuorumPacket
	dead            bool
}

type world struct {
	seed  int64
	rng   *rand.Rand
	p     simParams
	nodes []*node
	quor  majority
	conns []*conn
	cut   map[[2]int64]bool
	st    simStats

	epochLeader map[int64]int64
	committed   []Entry // the committed sequence, across leaders
	commitIdx   map[int64]int
	proposals   int

	tracing bool
	trace   []string
	err     error
}

func runSim(seed int64, tracing bool) *world {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	p := simParams{voters: 3, steps: 2000}
	if rng.IntN(3) == 0 {
		p.voters = 5
		p.steps = 3000
	}
	if rng.IntN(2) == 0 {
		p.observers = 1
	}
	p.faultSteps = p.steps * 7 / 10
	p.faultRate = 1 + rng.IntN(8)
	if rng.IntN(4) == 0 {
		p.randomLeader = 20
	}
	p.persistWeight = []int{3, 13, 13}[rng.IntN(3)] // some schedules have slow disks
	p.breakWeight = []int{20, 20, 60}[rng.IntN(3)]  // and some flaky connections
	w := &world{seed: seed, rng: rng, p: p, cut: map[[2]int64]bool{}, epochLeader: map[int64]int64{},
		commitIdx: map[int64]int{}, tracing: tracing}
	var voters []int64
	for i := range p.voters + p.observers {
		n := &node{id: int64(i + 1), observer: i >= p.voters, up: true}
		w.nodes = append(w.nodes, n)
		if !n.observer {
			voters = append(voters, n.id)
		}
	}
	w.quor = newMajority(voters)
	for step := 0; step < p.steps && w.err == nil; step++ {
		if step == p.faultSteps {
			w.heal()
		}
		if step < p.faultSteps && rng.IntN(100) < p.faultRate {
			w.fault()
			continue
		}
		w.step(true)
	}
	w.settle()
	w.st.maxCommitted = len(w.committed)
	if len(w.committed) > 0 {
		w.st.committedRuns = 1
	}
	return w
}

// step does one random thing that is not a fault. The network is faster
// than the clock: packets go in bursts, and a backlog is drained first.
func (w *world) step(propose bool) {
	if w.backlog() > 8*len(w.nodes) {
		w.deliver()
		return
	}
	switch r := w.rng.IntN(87 + w.p.persistWeight); {
	case r < 55:
		for range 1 + w.rng.IntN(4) {
			w.deliver()
		}
	case r < 73:
		w.tickOne()
	case r < 79:
		if propose {
			w.proposeOne()
		}
	case r < 87:
		w.electOne()
	default:
		w.persistOne()
	}
}

func (w *world) backlog() int {
	n := 0
	for _, c := range w.conns {
		n += len(c.toLeader) + len(c.toLearner)
	}
	return n
}

// settle runs without faults or new proposals until one leader leads
// everyone, nothing is in flight and everything is committed and synced;
// then every data tree must hold the whole committed sequence.
func (w *world) settle() {
	w.tracef("settling")
	for i := 0; i < 6000 && w.err == nil; i++ {
		if w.settled() {
			w.st.settleSteps = i
			w.st.converged = 1
			for _, n := range w.nodes {
				if len(n.tree) != len(w.committed) {
					w.failf("settled, but %v has %d of %d committed txns", n, len(n.tree), len(w.committed))
					return
				}
				for ; n.verified < len(n.tree); n.verified++ {
					if t, c := n.tree[n.verified], w.committed[n.verified]; t.Zxid != c.Zxid || !bytes.Equal(t.Data, c.Data) {
						w.failf("settled, but %v has %#x at %d, committed %#x", n, t.Zxid, n.verified, c.Zxid)
						return
					}
				}
			}
			return
		}
		w.step(false)
	}
	if w.err == nil {
		w.failf("did not settle in 6000 steps (liveness): %v", w.nodes)
	}
}

func (w *world) settled() bool {
	var ld *node
	for _, n := range w.nodes {
		if n.leader != nil {
			if ld != nil {
				return false
			}
			ld = n
		}
		if n.synced != len(n.log) {
			return false
		}
	}
	if ld == nil || ld.leader.Phase() != Broadcast || ld.leader.LastCommitted() != ld.leader.LastProposed() {
		return false
	}
	for _, c := range w.conns {
		if len(c.toLeader) > 0 || len(c.toLearner) > 0 {
			return false
		}
	}
	for _, n := range w.nodes {
		if n != ld && (n.learner == nil || n.learner.Phase() != Broadcast || n.conn.dead || n.conn.lInst != ld.leader) {
			return false
		}
	}
	return true
}

func (w *world) tracef(format string, args ...any) {
	if w.tracing {
		w.trace = append(w.trace, fmt.Sprintf(format, args...))
	}
}

func (w *world) failf(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
		w.tracef("FAIL: %v", w.err)
	}
}

func (w *world) reachable(a, b *node) bool {
	return !w.cut[[2]int64{min(a.id, b.id), max(a.id, b.id)}]
}

func (w *world) pick(ns []*node) *node { return ns[w.rng.IntN(len(ns))] }

func (w *world) config(n *node) Config {
	return Config{
		ID: n.id, Voters: slices.Collect(func(yield func(int64) bool) {
			for _, m := range w.nodes {
				if !m.observer && !yield(m.id) {
					return
				}
			}
		}),
		InitLimit: 10, SyncLimit: 5,
		AcceptedEpoch: n.accepted, CurrentEpoch: n.current,
		LastZxid: n.lastZxid(), SnapshotZxid: n.snapZxid, Storage: n,
	}
}

// deliver delivers the oldest packet of a random non-empty direction of a
// random connection.
func (w *world) deliver() {
	type dir struct {
		c        *conn
		toLeader bool
	}
	var ds []dir
	for _, c := range w.conns {
		if len(c.toLeader) > 0 {
			ds = append(ds, dir{c, true})
		}
		if len(c.toLearner) > 0 {
			ds = append(ds, dir{c, false})
		}
	}
	if len(ds) == 0 {
		return
	}
	d := ds[w.rng.IntN(len(ds))]
	c := d.c
	if d.toLeader {
		p := c.toLeader[0]
		c.toLeader = c.toLeader[1:]
		w.tracef("%d->%d %s", c.learner.id, c.leader.id, fmtPacket(p))
		if t := PacketType(p.Type); t == FollowerInfo || t == ObserverInfo {
			// The runtime learns the learner's id from FOLLOWERINFO; a
			// previous connection of that learner, dead or not, is
			// closed, and the leader told, before the new one is stepped.
			m, id := c.leader, c.learner.id
			if old := m.learners[id]; old != nil && old != c {
				old.dead = true
				old.toLeader, old.toLearner = nil, nil
				w.conns = slices.DeleteFunc(w.conns, func(x *conn) bool { return x == old })
				c.lInst.Disconnected(id)
			}
			m.learners[id] = c
		}
		c.lInst.Step(c.learner.id, p)
		w.process(c.leader)
	} else {
		p := c.toLearner[0]
		c.toLearner = c.toLearner[1:]
		w.tracef("%d->%d %s", c.leader.id, c.learner.id, fmtPacket(p))
		c.fInst.Step(p)
		w.process(c.learner)
	}
}

func (w *world) tickOne() {
	n := w.pick(w.nodes)
	switch {
	case !n.up:
	case n.leader != nil:
		n.leader.Tick()
		w.process(n)
	case n.learner != nil:
		n.learner.Tick()
		w.process(n)
	}
}

// persistOne syncs part or all of a server's unsynced log tail.
func (w *world) persistOne() {
	n := w.pick(w.nodes)
	if !n.up || n.synced == len(n.log) {
		return
	}
	n.synced += 1 + w.rng.IntN(len(n.log)-n.synced)
	z := n.log[n.synced-1].Zxid
	w.tracef("%d synced to %#x", n.id, z)
	switch {
	case n.leader != nil:
		n.leader.Persisted(z)
	case n.learner != nil:
		n.learner.Persisted(z)
	}
	w.process(n)
}

// proposeOne has a random leader in broadcast propose one or two txns.
func (w *world) proposeOne() {
	var ls []*node
	for _, n := range w.nodes {
		if n.up && n.leader != nil && n.leader.Phase() == Broadcast {
			ls = append(ls, n)
		}
	}
	if len(ls) == 0 {
		return
	}
	n := w.pick(ls)
	for range 1 + w.rng.IntN(2) {
		w.proposals++
		data := fmt.Appendf(nil, "s%d.p%d", w.seed, w.proposals)
		z, err := n.leader.Propose(data)
		if err != nil {
			w.failf("%d: Propose: %v", n.id, err)
			return
		}
		w.tracef("%d proposes %#x", n.id, z)
	}
	w.process(n)
}

// electOne is the leader-election stand-in for one LOOKING server.
func (w *world) electOne() {
	n := w.pick(w.nodes)
	if !n.up || n.leader != nil || n.learner != nil {
		return
	}
	var leaders []*node
	for _, m := range w.nodes {
		if m.up && m.leader != nil && w.reachable(n, m) {
			leaders = append(leaders, m)
		}
	}
	if len(leaders) > 0 {
		w.follow(n, w.pick(leaders))
		return
	}
	if n.observer {
		return
	}
	var cands []*node
	set := map[int64]bool{}
	for _, m := range w.nodes {
		if m.up && !m.observer && m.leader == nil && m.learner == nil && w.reachable(n, m) {
			cands = append(cands, m)
			set[m.id] = true
		}
	}
	if !w.quor.containsQuorum(set) {
		return
	}
	best := cands[0]
	for _, m := range cands[1:] {
		if m.current > best.current || m.current == best.current &&
			(m.lastZxid() > best.lastZxid() || m.lastZxid() == best.lastZxid() && m.id > best.id) {
			best = m
		}
	}
	if w.rng.IntN(100) < w.p.randomLeader {
		best = w.pick(cands)
	}
	w.lead(best)
	for _, m := range cands {
		if m != best && w.reachable(m, best) && best.leader != nil {
			w.follow(m, best)
		}
	}
}

func (w *world) lead(n *node) {
	n.synced = len(n.log)
	n.replay()
	n.learners = map[int64]*conn{}
	n.leaderEpoch = 0
	w.tracef("%v leads", n)
	n.leader = Lead(w.config(n))
	w.process(n)
}

func (w *world) follow(n, m *node) {
	n.synced = len(n.log)
	n.replay()
	cfg := w.config(n)
	cfg.LeaderID = m.id
	c := &conn{leader: m, learner: n, lInst: m.leader}
	w.conns = append(w.conns, c)
	n.conn = c
	w.tracef("%v follows %d", n, m.id)
	if n.observer {
		n.learner = Observe(cfg)
	} else {
		n.learner = Follow(cfg)
	}
	c.fInst = n.learner
	w.process(n)
}

// kill breaks a connection. Each end notices at once or not at all (then
// its timeouts must).
func (w *world) kill(c *conn, why string) {
	if c.dead {
		return
	}
	c.dead = true
	c.toLeader, c.toLearner = nil, nil
	w.conns = slices.DeleteFunc(w.conns, func(x *conn) bool { return x == c })
	w.tracef("conn %d-%d breaks (%s)", c.leader.id, c.learner.id, why)
	if c.leader.leader == c.lInst && c.leader.learners[c.learner.id] == c && w.rng.IntN(2) == 0 {
		delete(c.leader.learners, c.learner.id)
		c.lInst.Disconnected(c.learner.id)
		w.process(c.leader)
	}
	if c.learner.learner == c.fInst && w.rng.IntN(2) == 0 {
		w.stopLearner(c.learner, "connection closed")
	}
}

func (w *world) stopLearner(n *node, why string) {
	if n.learner == nil {
		return
	}
	w.tracef("%d stops learning: %s", n.id, why)
	n.learner = nil
	n.synced = len(n.log) // shutdown flushes the log
	if c := n.conn; c != nil {
		n.conn = nil
		w.kill(c, why)
	}
}

func (w *world) stopLeader(n *node, why string) {
	if n.leader == nil {
		return
	}
	w.tracef("%d stops leading: %s", n.id, why)
	n.leader = nil
	n.synced = len(n.log)
	for _, c := range w.connsOf(n) {
		w.kill(c, why)
	}
	n.learners = nil
}

func (w *world) connsOf(n *node) []*conn {
	var cs []*conn
	for _, c := range w.conns {
		if c.leader == n || c.learner == n {
			cs = append(cs, c)
		}
	}
	return cs
}

func (w *world) fault() {
	r := w.rng.IntN(80 + w.p.breakWeight)
	if r >= 45 {
		if r < 45+w.p.breakWeight {
			r = 50 // break a connection
		} else {
			r -= w.p.breakWeight - 20
		}
	}
	switch {
	case r < 20: // crash
		n := w.pick(w.nodes)
		if !n.up {
			return
		}
		w.st.crashes++
		w.tracef("%v crashes", n)
		n.up = false
		n.leader, n.learner, n.conn, n.learners = nil, nil, nil, nil
		for _, c := range w.connsOf(n) {
			w.kill(c, "crash")
		}
		n.log = n.log[:n.synced]
		n.tree, n.verified, n.committedTo = nil, 0, 0
	case r < 45: // restart
		n := w.pick(w.nodes)
		if n.up {
			return
		}
		n.up = true
		n.replay()
		n.committedTo = n.snapZxid
		w.tracef("%v restarts", n)
	case r < 65: // break a connection
		if len(w.conns) == 0 {
			return
		}
		w.st.breaks++
		w.kill(w.conns[w.rng.IntN(len(w.conns))], "broken")
	case r < 80: // partition one server away, or heal
		if len(w.cut) > 0 && w.rng.IntN(2) == 0 {
			w.tracef("partition heals")
			clear(w.cut)
			return
		}
		n := w.pick(w.nodes)
		w.st.partitions++
		w.tracef("%d is partitioned away", n.id)
		for _, m := range w.nodes {
			if m != n {
				w.cut[[2]int64{min(n.id, m.id), max(n.id, m.id)}] = true
			}
		}
		for _, c := range w.connsOf(n) {
			c.dead = true // silently: both ends must time out
			c.toLeader, c.toLearner = nil, nil
			w.conns = slices.DeleteFunc(w.conns, func(x *conn) bool { return x == c })
		}
	default: // compact a log behind a snapshot of committed txns
		n := w.pick(w.nodes)
		w.compact(n)
	}
}

func (w *world) heal() {
	w.tracef("faults stop: heal and restart all")
	clear(w.cut)
	for _, n := range w.nodes {
		if !n.up {
			n.up = true
			n.replay()
			n.committedTo = n.snapZxid
		}
	}
}

func (w *world) compact(n *node) {
	if !n.up {
		return
	}
	k := n.committedTo
	if n.synced > 0 {
		k = min(k, n.log[n.synced-1].Zxid)
	} else {
		k = min(k, n.snapZxid)
	}
	if k <= n.snapZxid {
		return
	}
	i, _ := slices.BinarySearchFunc(n.tree, k+1, cmpEntry)
	j, _ := slices.BinarySearchFunc(n.log, k+1, cmpEntry)
	if i == 0 || n.tree[i-1].Zxid != k {
		w.failf("%d: compact at %#x: not in the data tree", n.id, k)
		return
	}
	for _, e := range n.log[:j] {
		if t, ok := slices.BinarySearchFunc(n.tree, e.Zxid, cmpEntry); !ok || !bytes.Equal(n.tree[t].Data, e.Data) {
			w.failf("%d: log entry %#x differs from the data tree", n.id, e.Zxid)
			return
		}
	}
	w.st.compactions++
	w.tracef("%d compacts to %#x", n.id, k)
	n.snap = slices.Clone(n.tree[:i])
	n.snapZxid = k
	n.log = slices.Clone(n.log[j:])
	n.synced -= j
}

// process drains a server's Ready and does what the runtime must, checking
// the invariants on the way.
func (w *world) process(n *node) {
	var rd Ready
	isLeader := n.leader != nil
	switch {
	case n.leader != nil:
		rd = n.leader.Ready()
	case n.learner != nil:
		rd = n.learner.Ready()
	default:
		return
	}
	if w.tracing {
		if s := strings.TrimSpace(fmtReady(rd, n.id)); s != "" {
			w.tracef("%d ready:\n  %s", n.id, strings.ReplaceAll(s, "\n", "\n  "))
		}
	}
	if rd.Snapshot != nil {
		es, err := decodeSnap(rd.Snapshot.Data)
		if err != nil {
			w.failf("%d: snapshot: %v", n.id, err)
			return
		}
		n.snap, n.snapZxid = es, rd.Snapshot.Zxid
		n.log, n.synced = nil, 0
		n.replay()
	}
	if rd.Truncate {
		// What counts is the snapshot's last txn; a SNAP's snapshot may be
		// named by a later epoch's zero zxid.
		if k := len(n.snap); k > 0 && rd.TruncateZxid < n.snap[k-1].Zxid {
			w.failf("%d: truncate to %#x below snapshot txn %#x", n.id, rd.TruncateZxid, n.snap[k-1].Zxid)
			return
		}
		j, _ := slices.BinarySearchFunc(n.log, rd.TruncateZxid+1, cmpEntry)
		n.log = n.log[:j]
		n.synced = min(n.synced, j)
		n.replay()
	}
	if e := rd.AcceptedEpoch; e != 0 {
		if e <= n.accepted {
			w.failf("%d: acceptedEpoch %d -> %d", n.id, n.accepted, e)
		}
		n.accepted = e
	}
	if e := rd.CurrentEpoch; e != 0 {
		if e < n.current || e > n.accepted {
			w.failf("%d: currentEpoch %d -> %d (accepted %d)", n.id, n.current, e, n.accepted)
		}
		n.current = e
	}
	for _, e := range rd.Entries {
		if last := n.lastZxid(); e.Zxid <= last {
			w.failf("%d: log append %#x after %#x", n.id, e.Zxid, last)
			return
		}
		n.log = append(n.log, e)
	}
	if rd.Phase == Broadcast {
		if isLeader {
			w.established(n)
		} else if ld := n.conn.leader; w.epochLeader[n.learner.Epoch()] != ld.id {
			w.failf("%d: UPTODATE in epoch %d from %d, established leader %d",
				n.id, n.learner.Epoch(), ld.id, w.epochLeader[n.learner.Epoch()])
		}
	}
	for _, e := range rd.Committed {
		if isLeader {
			w.commit(n, e)
		}
		w.apply(n, e)
	}
	for _, m := range rd.Messages {
		w.send(n, m)
	}
	for _, d := range rd.Disconnect {
		if errors.Is(d.Err, ErrProtocol) {
			// Peers that run this package over FIFO connections never
			// send a packet out of turn.
			w.failf("%d drops %d: %v", n.id, d.ID, d.Err)
			return
		}
		if c := n.learners[d.ID]; c != nil {
			if errors.Is(d.Err, ErrLearnerAhead) {
				w.st.refused++
			}
			w.kill(c, "dropped: "+d.Err.Error())
		}
	}
	if rd.Phase == Looking {
		switch {
		case errors.Is(rd.Err, ErrProtocol):
			w.failf("%d: %v", n.id, rd.Err)
			return
		case errors.Is(rd.Err, ErrTruncateSnapshot):
			// The leader sends SNAP where TRUNC could cut a snapshot.
			w.failf("%d: %v", n.id, rd.Err)
			return
		case errors.Is(rd.Err, ErrQuorumLost):
			w.st.lostQuorum++
		case errors.Is(rd.Err, ErrLeaderLost):
			w.st.lostLeader++
		}
		if isLeader {
			w.stopLeader(n, rd.Err.Error())
		} else {
			w.stopLearner(n, rd.Err.Error())
		}
	}
}

func (w *world) send(n *node, m Message) {
	p := m.Packet
	switch PacketType(p.Type) {
	case Diff:
		w.st.diffs++
	case Trunc:
		w.st.truncs++
	case Snap:
		w.st.snaps++
		// The snapshot stream that follows SNAP: the data tree up to Zxid.
		i, _ := slices.BinarySearchFunc(n.tree, p.Zxid+1, cmpEntry)
		p.Data = encodeSnap(n.tree[:i])
	case Ack:
		// A follower's ACK leaves only once what it acknowledges is synced.
		if n.learner != nil {
			if CounterOf(p.Zxid) != 0 {
				i, ok := slices.BinarySearchFunc(n.log, p.Zxid, cmpEntry)
				if !ok || i >= n.synced {
					w.failf("%d: ACK %#x before it is synced", n.id, p.Zxid)
				}
			} else if n.learner.Phase() == Synchronization && n.synced != len(n.log) {
				w.failf("%d: NEWLEADER ACK with %d unsynced entries", n.id, len(n.log)-n.synced)
			}
		}
	}
	if n.learner != nil {
		if c := n.conn; c != nil && !c.dead {
			c.toLeader = append(c.toLeader, p)
		}
		return
	}
	if c := n.learners[m.To]; c != nil && !c.dead {
		c.toLearner = append(c.toLearner, p)
	}
}

// established checks a leader's establishment: one leader per epoch, and its
// history extends everything committed so far, which it now commits too.
func (w *world) established(n *node) {
	e := n.leader.Epoch()
	if id, ok := w.epochLeader[e]; ok && id != n.id {
		w.failf("epoch %d established by %d and %d", e, id, n.id)
		return
	}
	w.epochLeader[e] = n.id
	n.leaderEpoch = e
	w.st.establishments++
	history := append(slices.Clip(slices.Clone(n.snap)), n.log...)
	for i, c := range w.committed[:min(len(history), len(w.committed))] {
		if h := history[i]; h.Zxid != c.Zxid || !bytes.Equal(h.Data, c.Data) {
			w.failf("%d establishes epoch %d: history[%d] = %#x %q, committed %#x %q", n.id, e, i, h.Zxid, h.Data, c.Zxid, c.Data)
			return
		}
	}
	if len(history) < len(w.committed) {
		// A stale establishment: the NEWLEADER ACKs of its quorum stay
		// counted (as in ZooKeeper) though some of those learners have
		// since moved on to a later epoch and committed there. Its history
		// is a prefix of what is committed; it cannot commit anything new
		// (a later epoch's quorum refuses its epoch), which commit checks,
		// and it steps down at its next tick without synced followers.
		w.st.staleEstablishments++
		w.tracef("%d established epoch %d stale: %d txns, %d committed", n.id, e, len(history), len(w.committed))
		n.committedTo = n.lastZxid()
		return
	}
	for _, h := range history[len(w.committed):] {
		w.commitIdx[h.Zxid] = len(w.committed)
		w.committed = append(w.committed, h)
	}
	n.committedTo = n.lastZxid()
	w.tracef("%d established epoch %d with %d committed txns", n.id, e, len(w.committed))
}

// commit records a leader's commit in the committed sequence.
func (w *world) commit(n *node, e Entry) {
	w.st.commits++
	if i, ok := w.commitIdx[e.Zxid]; ok {
		if !bytes.Equal(w.committed[i].Data, e.Data) {
			w.failf("%d commits %#x %q, committed before as %q", n.id, e.Zxid, e.Data, w.committed[i].Data)
		}
		return
	}
	if k := len(w.committed); k > 0 && e.Zxid <= w.committed[k-1].Zxid {
		w.failf("%d commits %#x, not after the last committed %#x", n.id, e.Zxid, w.committed[k-1].Zxid)
		return
	}
	w.commitIdx[e.Zxid] = len(w.committed)
	w.committed = append(w.committed, e)
}

// apply applies a committed txn to a server's data tree, which must then be
// a prefix of the committed sequence.
func (w *world) apply(n *node, e Entry) {
	if k := len(n.tree); k > 0 && e.Zxid <= n.tree[k-1].Zxid {
		w.failf("%d: applies %#x after %#x", n.id, e.Zxid, n.tree[k-1].Zxid)
		return
	}
	n.tree = append(n.tree, e)
	n.committedTo = e.Zxid
	if len(n.tree) > len(w.committed) {
		w.failf("%d: data tree of %d txns, %d committed", n.id, len(n.tree), len(w.committed))
		return
	}
	for ; n.verified < len(n.tree); n.verified++ {
		t, c := n.tree[n.verified], w.committed[n.verified]
		if t.Zxid != c.Zxid || !bytes.Equal(t.Data, c.Data) {
			w.failf("%d: data tree[%d] = %#x %q, committed %#x %q", n.id, n.verified, t.Zxid, t.Data, c.Zxid, c.Data)
			return
		}
	}
}

func encodeSnap(es []Entry) []byte {
	var b []byte
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, uint64(e.Zxid))
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

func decodeSnap(b []byte) ([]Entry, error) {
	var es []Entry
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, fmt.Errorf("short snapshot")
		}
		z, n := int64(binary.BigEndian.Uint64(b)), int(binary.BigEndian.Uint32(b[8:]))
		if len(b) < 12+n {
			return nil, fmt.Errorf("short snapshot entry")
		}
		es = append(es, Entry{Zxid: z, Data: b[12 : 12+n]})
		b = b[12+n:]
	}
	return es, nil
}
