package election

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The simulation runs whole ensembles of Elections on a simulated network
// with a seeded RNG: message loss, duplication, random delays (hence
// reordering), partitions, crashes and restarts. ZAB is replaced by a stub
// with ZooKeeper's observable behaviour: a leader establishes a new epoch
// once a quorum follows it and gives up after initLimit otherwise; a
// follower gives up on a leader that is gone, not leading, or unreachable
// for syncLimit; a leader without a quorum gives up after syncLimit.
//
// Checked on every decision:
//   - the leader is a voter;
//   - by quorum of LOOKING votes: the decided (peer epoch, zxid, sid) is at
//     least every supporting voter's own initial vote in that round (so the
//     leader has the highest of a quorum);
//   - joining: the leader had itself decided LEADING;
//   - observers learn only leaders that some voter decided.
//
// Checked per schedule: once faults stop and messages flow, all peers
// converge on one established leader, every voter following it and every
// observer observing it. In benign schedules (simultaneous start, no loss,
// no crash, delays shorter than the finalize wait) every peer decides the
// same leader in round 1, the one with the highest vote. In other schedules
// peers deciding in the same round can disagree, as FLE allows (see
// testdata/conversations/disagreement_in_one_round.txt); such rounds are
// counted and reported, and ZAB's stub resolves them.
//
// Rerun one schedule with its trace:
//
//	go test ./quorum/election -run TestSimulation -v -sim.seed=N

var (
	simSeed  = flag.Int64("sim.seed", -1, "run only this simulation seed, with its trace")
	simCount = flag.Int("sim.count", 1000, "number of seeded simulation schedules")
)

func TestSimulation(t *testing.T) {
	var st simStats
	if *simSeed >= 0 {
		w := runSim(*simSeed, &st)
		for _, l := range w.trace {
			t.Log(l)
		}
		if w.err != nil {
			t.Fatalf("seed %d: %v", *simSeed, w.err)
		}
		t.Logf("seed %d: %+v", *simSeed, st)
		return
	}
	n := *simCount
	if testing.Short() {
		n /= 5
	}
	for seed := int64(0); seed < int64(n); seed++ {
		w := runSim(seed, &st)
		if w.err != nil {
			tail := w.trace
			if len(tail) > 150 {
				tail = tail[len(tail)-150:]
			}
			t.Fatalf("seed %d: %v\nparams %+v\nlast trace lines:\n%s\nrerun: go test ./quorum/election -run TestSimulation -v -sim.seed=%d",
				seed, w.err, w.p, strings.Join(tail, "\n"), seed)
		}
	}
	t.Logf("%d schedules: %d benign; %d decisions (%d joined), %d messages, %d crashes, %d partitions; "+
		"%d rounds with split decisions; convergence after faults: max %d ticks",
		n, st.benign, st.decisions, st.joined, st.messages, st.crashes, st.partitions, st.splitRounds, st.maxConverge)
}

type simStats struct {
	benign, decisions, joined, messages, crashes, partitions, splitRounds, maxConverge int
}

type simParams struct {
	voters, observers       int
	finalize, minN, maxN    int
	loss, dup               float64
	minDelay, maxDelay      int
	crashP, partitionP      float64
	downMax, stagger, chaos int
	benign                  bool
	writeP                  float64
	initLimit, syncLimit    int
}

func randomParams(r *rand.Rand) simParams {
	p := simParams{
		voters:    3 + 2*r.IntN(2),
		observers: r.IntN(2),
		finalize:  2 + r.IntN(3),
		writeP:    0.05,
		initLimit: 20,
		syncLimit: 10,
	}
	p.minN = p.finalize
	p.maxN = []int{16, 64, 256, DefaultMaxNotificationTicks}[r.IntN(4)]
	if r.IntN(10) == 0 {
		p.benign = true
		p.minDelay, p.maxDelay = 1, p.finalize-1
		p.chaos = 50
		return p
	}
	p.loss = r.Float64() * 0.3
	p.dup = 0.02
	p.minDelay, p.maxDelay = 1, 1+r.IntN(12)
	p.crashP = r.Float64() * 0.01
	p.partitionP = 0.005
	p.downMax = 1 + r.IntN(60)
	p.stagger = r.IntN(30)
	p.chaos = 150 + r.IntN(300)
	return p
}

type simPeer struct {
	id       int64
	observer bool
	e        *Election
	up       bool
	downTill int
	startAt  int // first start (staggered)
	// Persisted data: last logged zxid and current (= accepted) epoch.
	lastZxid, epoch int64
	// ZAB stub state.
	since       int // tick of the last decision
	lastGood    int // last tick the role was healthy
	synced      bool
	established bool
	group       int // partition group
}

type wireMsg struct {
	from, to int64
	data     []byte
}

type decisionRec struct {
	peer   int64
	leader int64
	joined bool
}

type world struct {
	t      int
	r      *rand.Rand
	p      simParams
	peers  []*simPeer
	voters Majority
	queue  map[int][]wireMsg
	stable bool
	err    error
	trace  []string
	st     *simStats

	minInit     map[[2]int64]Vote // (sid, round) -> lowest initial vote
	everLed     map[int64]bool    // sids that decided LEADING
	everElected map[int64]bool    // sids some voter decided as leader
	rounds      map[int64][]decisionRec
	partUntil   int
	benignBest  int64 // the voter with the highest initial vote
}

func runSim(seed int64, st *simStats) *world {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	w := &world{
		r: r, p: randomParams(r), queue: map[int][]wireMsg{}, st: st,
		minInit: map[[2]int64]Vote{}, everLed: map[int64]bool{}, everElected: map[int64]bool{},
		rounds: map[int64][]decisionRec{},
	}
	if w.p.benign {
		st.benign++
	}
	var vids []int64
	for i := 1; i <= w.p.voters; i++ {
		vids = append(vids, int64(i))
	}
	w.voters = NewMajority(vids...)
	// Varied initial data, as a real history leaves it: the highest epoch
	// is held by a quorum of voters (ZAB's epoch change needs a quorum),
	// the other peers lag; zxids vary within epochs.
	top := int64(r.IntN(3))
	atTop := r.Perm(w.p.voters)[:w.p.voters/2+1]
	for i := 1; i <= w.p.voters+w.p.observers; i++ {
		p := &simPeer{id: int64(i), observer: i > w.p.voters}
		p.epoch = int64(r.IntN(int(top) + 1))
		if slices.Contains(atTop, i-1) {
			p.epoch = top
		}
		p.lastZxid = p.epoch<<32 | int64(r.IntN(4))
		if w.p.stagger > 0 {
			p.startAt = r.IntN(w.p.stagger)
		}
		w.peers = append(w.peers, p)
	}
	best := Vote{}
	for _, p := range w.peers[:w.p.voters] {
		if v := (Vote{Leader: p.id, Zxid: p.lastZxid, PeerEpoch: p.epoch}); best.Leader == 0 || voteLess(best, v) {
			best = v
		}
	}
	w.benignBest = best.Leader
	w.tracef("params %+v", w.p)
	// Chaos phase, then a stable phase in which all peers are up and
	// messages flow; it must converge.
	for w.t = 0; w.t < w.p.chaos && w.err == nil; w.t++ {
		w.step()
	}
	if w.err != nil {
		return w
	}
	w.stable = true
	w.partUntil = 0
	for _, p := range w.peers {
		p.group = 0
		if !p.up {
			w.restart(p)
		}
	}
	stableAt := w.t
	bound := 8*w.p.maxN + 400
	convergedFor := 0
	for ; w.err == nil; w.t++ {
		w.step()
		if w.converged() {
			if convergedFor == 0 {
				st.maxConverge = max(st.maxConverge, w.t-stableAt)
			}
			convergedFor++
			if convergedFor == 30 {
				break
			}
		} else {
			if convergedFor > 0 {
				w.fail("ensemble diverged again after converging")
			}
			if w.t-stableAt > bound {
				w.fail("no convergence %d ticks after faults stopped (maxNotification %d)", w.t-stableAt, w.p.maxN)
			}
		}
	}
	if w.err == nil {
		w.checkRounds()
	}
	return w
}

func (w *world) tracef(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf("t=%d ", w.t)+fmt.Sprintf(format, args...))
}

func (w *world) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("t=%d: %s", w.t, fmt.Sprintf(format, args...))
	}
}

func (w *world) peer(id int64) *simPeer { return w.peers[id-1] }

func (w *world) step() {
	// Start peers whose staggered start has come.
	for _, p := range w.peers {
		if p.e == nil && !p.up && p.downTill == 0 && p.startAt <= w.t {
			w.restart(p)
		}
	}
	msgs := w.queue[w.t]
	delete(w.queue, w.t)
	for _, m := range msgs {
		p := w.peer(m.to)
		if !p.up {
			continue
		}
		n, err := DecodeNotification(m.data)
		if err != nil {
			w.fail("decode %x: %v", m.data, err)
			return
		}
		p.e.Step(m.from, n)
		w.collect(p)
	}
	for _, p := range w.peers {
		if p.up {
			p.e.Tick()
			w.collect(p)
		}
	}
	for _, p := range w.peers {
		if p.up {
			w.zab(p)
		}
	}
	if !w.stable {
		w.chaos()
	}
}

// collect drains p's Ready into the network and checks its decision.
func (w *world) collect(p *simPeer) {
	if p.e.State() == Looking && !p.observer {
		k := [2]int64{p.id, p.e.LogicalClock()}
		init := Vote{Leader: p.e.initID(), Zxid: p.e.initZxid(), PeerEpoch: p.e.initEpoch()}
		if old, ok := w.minInit[k]; !ok || voteLess(init, old) {
			w.minInit[k] = init
		}
	}
	rd := p.e.Ready()
	for _, m := range rd.Messages {
		w.st.messages++
		data := AppendNotification(nil, m.Notification)
		if !w.stable && (w.r.Float64() < w.p.loss || w.peer(m.To).group != p.group) {
			continue
		}
		d := w.p.minDelay + w.r.IntN(w.p.maxDelay-w.p.minDelay+1)
		if w.stable {
			d = 1 + w.r.IntN(2)
		}
		w.queue[w.t+d] = append(w.queue[w.t+d], wireMsg{from: p.id, to: m.To, data: data})
		if !w.stable && w.r.Float64() < w.p.dup {
			// A resend of the last message on a new connection.
			d2 := d + 1 + w.r.IntN(5)
			w.queue[w.t+d2] = append(w.queue[w.t+d2], wireMsg{from: p.id, to: m.To, data: data})
		}
	}
	if d := rd.Decision; d != nil {
		w.onDecision(p, d)
	}
}

// voteLess orders votes as totalOrderPredicate does (ignoring weights).
func voteLess(a, b Vote) bool {
	if a.PeerEpoch != b.PeerEpoch {
		return a.PeerEpoch < b.PeerEpoch
	}
	if a.Zxid != b.Zxid {
		return a.Zxid < b.Zxid
	}
	return a.Leader < b.Leader
}

func (w *world) onDecision(p *simPeer, d *Decision) {
	w.st.decisions++
	if d.Joined {
		w.st.joined++
	}
	v := d.Vote
	w.tracef("%d decided %v %v round=%d joined=%v supporters=%v", p.id, d.State, v, v.ElectionEpoch, d.Joined, d.Supporters)
	if d.State != p.e.State() {
		w.fail("peer %d: decision state %v, election state %v", p.id, d.State, p.e.State())
	}
	if !slices.Contains(w.voters, v.Leader) {
		w.fail("peer %d decided non-voter %d", p.id, v.Leader)
	}
	if !w.voters.ContainsQuorum(d.Supporters) {
		w.fail("peer %d decided without a quorum of supporters %v", p.id, d.Supporters)
	}
	switch {
	case p.observer:
		if !w.everElected[v.Leader] {
			w.fail("observer %d learned leader %d that no voter decided", p.id, v.Leader)
		}
	case d.Joined:
		if v.Leader != p.id && !w.everLed[v.Leader] {
			w.fail("peer %d joined %d, which never decided LEADING", p.id, v.Leader)
		}
	default:
		for _, s := range d.Supporters {
			entry := p.e.recvset[s]
			if entry.State != Looking {
				continue
			}
			init, ok := w.minInit[[2]int64{s, v.ElectionEpoch}]
			if !ok {
				w.fail("peer %d: supporter %d has no initial vote in round %d", p.id, s, v.ElectionEpoch)
				continue
			}
			if voteLess(Vote{Leader: v.Leader, Zxid: v.Zxid, PeerEpoch: v.PeerEpoch}, init) {
				w.fail("peer %d decided %v in round %d, below supporter %d's initial vote %v", p.id, v, v.ElectionEpoch, s, init)
			}
		}
	}
	if !p.observer {
		w.everElected[v.Leader] = true
		w.rounds[v.ElectionEpoch] = append(w.rounds[v.ElectionEpoch], decisionRec{peer: p.id, leader: v.Leader, joined: d.Joined})
	}
	if d.State == Leading {
		w.everLed[p.id] = true
	}
	p.since, p.lastGood = w.t, w.t
	p.synced, p.established = false, false
}

// checkRounds counts rounds in which voters decided different leaders; in
// benign schedules there must be one round, one leader, the best vote.
func (w *world) checkRounds() {
	var keys []int64
	for k := range w.rounds {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		leaders := map[int64]bool{}
		for _, d := range w.rounds[k] {
			leaders[d.leader] = true
		}
		if len(leaders) > 1 {
			w.st.splitRounds++
			w.tracef("round %d: split decisions %v", k, w.rounds[k])
		}
	}
	if !w.p.benign {
		return
	}
	if len(keys) != 1 || keys[0] != 1 {
		w.fail("benign schedule decided in rounds %v, want only round 1", keys)
		return
	}
	decided := map[int64]bool{}
	for _, d := range w.rounds[1] {
		if d.leader != w.rounds[1][0].leader {
			w.fail("benign schedule: split decisions in round 1: %v", w.rounds[1])
		}
		decided[d.peer] = true
	}
	if len(decided) != w.p.voters {
		w.fail("benign schedule: %d of %d voters decided", len(decided), w.p.voters)
	}
	if l := w.rounds[1][0].leader; l != w.benignBest {
		w.fail("benign schedule elected %d, want %d (highest vote)", l, w.benignBest)
	}
}

func (w *world) restart(p *simPeer) {
	if p.e != nil {
		w.st.crashes++
	}
	p.up = true
	p.downTill = 0
	p.e = New(Config{
		ID: p.id, Verifier: w.voters, Observer: p.observer, ConfigData: []byte("version=0"),
		FinalizeWaitTicks: w.p.finalize, MinNotificationTicks: w.p.minN, MaxNotificationTicks: w.p.maxN,
	})
	w.tracef("%d up zxid=%#x epoch=%d", p.id, p.lastZxid, p.epoch)
	w.look(p)
}

// look is QuorumPeer going (back) to LOOKING.
func (w *world) look(p *simPeer) {
	p.synced, p.established = false, false
	p.e.Start(p.lastZxid, p.epoch)
	w.tracef("%d LOOKING round=%d", p.id, p.e.LogicalClock())
	w.collect(p)
}

func (w *world) reachable(a, b *simPeer) bool { return a.up && b.up && a.group == b.group }

// zab is the ZAB stub for one peer.
func (w *world) zab(p *simPeer) {
	switch p.e.State() {
	case Leading:
		var quorum []int64
		quorum = append(quorum, p.id)
		for _, q := range w.peers {
			if q != p && !q.observer && w.reachable(p, q) && q.e.State() == Following && q.e.CurrentVote().Leader == p.id {
				if !p.established || q.synced {
					quorum = append(quorum, q.id)
				}
			}
		}
		if !p.established {
			if w.voters.ContainsQuorum(quorum) {
				w.establish(p, quorum)
			} else if w.t-p.since > w.p.initLimit {
				w.tracef("%d gives up leading: no quorum within initLimit", p.id)
				w.look(p)
			}
			return
		}
		// Sync learners that arrived after the quorum.
		for _, q := range w.peers {
			if q != p && w.reachable(p, q) && !q.synced && q.e.State() != Looking && q.e.CurrentVote().Leader == p.id && q.epoch <= p.epoch {
				w.sync(p, q)
				if !q.observer {
					quorum = append(quorum, q.id)
				}
			}
		}
		if w.voters.ContainsQuorum(quorum) {
			p.lastGood = w.t
			if w.r.Float64() < w.p.writeP {
				w.write(p)
			}
		} else if w.t-p.lastGood > w.p.syncLimit {
			w.tracef("%d gives up leading: lost quorum", p.id)
			w.look(p)
		}
	case Following, Observing:
		l := w.peer(p.e.CurrentVote().Leader)
		if w.reachable(p, l) && l.established && !p.synced && p.epoch > l.epoch {
			// Learner.registerWithLeader: "Leaders epoch ... is less than
			// accepted epoch".
			w.tracef("%d refuses leader %d's epoch %d", p.id, l.id, l.epoch)
			w.look(p)
			return
		}
		if w.reachable(p, l) && l.e.State() == Leading && (l.established || w.t-p.since <= w.p.initLimit) {
			p.lastGood = w.t
			return
		}
		if w.t-p.lastGood > w.p.syncLimit {
			w.tracef("%d gives up on leader %d", p.id, l.id)
			w.look(p)
		}
	}
}

func (w *world) establish(p *simPeer, quorum []int64) {
	epoch := p.epoch
	for _, id := range quorum {
		epoch = max(epoch, w.peer(id).epoch)
	}
	epoch++
	p.epoch = epoch
	p.established = true
	p.lastGood = w.t
	p.e.UpdatePeerEpoch(epoch)
	w.tracef("%d establishes epoch %d with %v", p.id, epoch, quorum)
	for _, id := range quorum {
		if id != p.id {
			w.sync(p, w.peer(id))
		}
	}
}

func (w *world) sync(l, q *simPeer) {
	q.epoch = l.epoch
	q.lastZxid = l.lastZxid // DIFF, or TRUNC for a follower ahead
	q.synced = true
	q.lastGood = w.t
	q.e.UpdatePeerEpoch(l.epoch)
}

func (w *world) write(l *simPeer) {
	if l.lastZxid>>32 < l.epoch {
		l.lastZxid = l.epoch << 32
	}
	l.lastZxid++
	for _, q := range w.peers {
		if q != l && q.synced && w.reachable(l, q) && q.e.CurrentVote().Leader == l.id && w.r.Float64() < 0.7 {
			q.lastZxid = l.lastZxid
		}
	}
}

func (w *world) chaos() {
	for _, p := range w.peers {
		switch {
		case p.up && w.r.Float64() < w.p.crashP:
			p.up = false
			p.downTill = w.t + 1 + w.r.IntN(max(1, w.p.downMax))
			w.tracef("%d crashes", p.id)
		case !p.up && p.downTill != 0 && w.t >= p.downTill:
			w.restart(p)
		}
	}
	if w.partUntil != 0 && w.t >= w.partUntil {
		w.partUntil = 0
		for _, p := range w.peers {
			p.group = 0
		}
		w.tracef("partition heals")
	}
	if w.partUntil == 0 && w.r.Float64() < w.p.partitionP {
		w.st.partitions++
		w.partUntil = w.t + 10 + w.r.IntN(80)
		var groups []string
		for _, p := range w.peers {
			p.group = w.r.IntN(2)
			groups = append(groups, fmt.Sprintf("%d:%d", p.id, p.group))
		}
		w.tracef("partition %v until %d", groups, w.partUntil)
	}
}

// converged: one established leader with every voter following it and
// every observer observing it, all synced.
func (w *world) converged() bool {
	var leader *simPeer
	for _, p := range w.peers {
		if p.up && p.e.State() == Leading {
			if leader != nil {
				return false
			}
			leader = p
		}
	}
	if leader == nil || !leader.established {
		return false
	}
	for _, p := range w.peers {
		if p == leader {
			continue
		}
		want := Following
		if p.observer {
			want = Observing
		}
		if !p.up || p.e.State() != want || p.e.CurrentVote().Leader != leader.id || !p.synced {
			return false
		}
	}
	return true
}
