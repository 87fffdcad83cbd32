package zab

import (
	"fmt"
	"slices"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// learnerState is where one learner's handshake stands on the leader
// (the position of LearnerHandler.run's thread).
type learnerState uint8

const (
	// waitEpoch: FOLLOWERINFO in, the new epoch not yet decided
	// (blocked in getEpochToPropose).
	waitEpoch learnerState = iota
	// waitAckEpoch: LEADERINFO out, ACKEPOCH expected.
	waitAckEpoch
	// waitEpochQuorum: ACKEPOCH in, no quorum of them yet (waitForEpochAck).
	waitEpochQuorum
	// waitNewLeaderAck: sync packets and NEWLEADER out, its ACK expected.
	waitNewLeaderAck
	// waitUpToDate: NEWLEADER ACK in, the leader not yet established
	// (waitForNewLeaderAck, waitForStartup).
	waitUpToDate
	// upToDate: UPTODATE out; the broadcast loop.
	upToDate
)

// learner is the leader's view of one learner (LearnerHandler).
type learner struct {
	id       int64
	observer bool
	voter    bool
	state    learnerState

	lastZxid   int64 // from ACKEPOCH
	deadline   int   // tick after which its silence drops it
	lastAck    int64 // highest zxid it ACKed in broadcast
	upToDateAt int   // tick of UPTODATE

	// Counters of LearnerHandler for the AdminServer (see LearnerStats).
	sent, received, requests int64
	lastSentZxid             int64
}

// forwarding reports whether the learner gets broadcast packets
// (Leader.startForwarding has run for it).
func (lr *learner) forwarding() bool { return lr.state >= waitNewLeaderAck }

// proposal is a txn the leader proposed in this epoch and still keeps in
// memory: uncommitted, or committed but not yet in Storage.
type proposal struct {
	Entry
	acks      map[int64]bool
	committed bool
	tick      int // when proposed
}

// Leader is the leader side of ZAB for one epoch attempt: discovery,
// synchronisation of every learner, then broadcast. It is not safe for
// concurrent use; the peer's runtime owns it and serialises every call. It
// never blocks, reads the clock or does I/O: see Ready for what the runtime
// must do with its output.
//
// Counterpart: Leader.lead, Leader.propose/processAck/tryToCommit, and the
// per-learner LearnerHandler.run and syncFollower.
type Leader struct {
	cfg    Config
	quorum majority
	phase  Phase
	tick   int
	// deadline is the tick after which the current establishment step
	// (epoch, ACKEPOCH or NEWLEADER quorum) has timed out.
	deadline int

	epoch         int64 // the new epoch; -1 until decided
	epochDecided  bool
	ackedEpochs   bool  // a quorum ACKed the epoch (electionFinished)
	established   bool  // a quorum ACKed NEWLEADER (quorumFormed)
	summaryEpoch  int64 // leaderStateSummary: currentEpoch and last zxid at start
	summaryZxid   int64
	connecting    map[int64]bool // voters whose FOLLOWERINFO counted
	electing      map[int64]bool // voters whose ACKEPOCH counted
	newLeaderAcks map[int64]bool // voters whose NEWLEADER ACK counted

	learners map[int64]*learner
	ids      []int64 // sorted keys of learners
	// epochs is each learner's currentEpoch as last known: from its
	// ACKEPOCH, then this epoch once it ACKed NEWLEADER. It outlives
	// reconnections, whose ACKEPOCH says -1 (see syncPackets).
	epochs map[int64]int64

	// lastCommitted is Leader.lastCommitted, which moves with ZKDatabase's
	// lastProcessedZxid (the SNAP zxid): the leader's last zxid at start,
	// newEpoch<<32 once established, then each commit's.
	lastCommitted int64
	maxCommitted  int64 // last committed txn (ZKDatabase.maxCommittedLog)
	lastProposed  int64
	persisted     int64 // own log durable up to here
	// props holds, in zxid order, the proposals not yet both committed and
	// in Storage. Commits go in zxid order, so props[:ncommitted] are the
	// committed ones and the rest are outstanding.
	props        []*proposal
	ncommitted   int
	pendingSyncs map[int64][]int64 // zxid -> learners waiting for SYNC

	rd Ready
}

// Lead starts a Leader for a server that won the election. The leader
// counts itself toward each quorum at once; with a single voter it is
// established before Lead returns. It panics on an invalid Config.
func Lead(cfg Config) *Leader {
	c := cfg.withDefaults()
	if err := c.check("leader"); err != nil {
		panic(err)
	}
	if c.Storage == nil {
		panic("zab: leader: no Storage")
	}
	if !slices.Contains(c.Voters, c.ID) {
		panic(fmt.Sprintf("zab: leader: %d is not a voter", c.ID))
	}
	l := &Leader{
		cfg:           c,
		quorum:        newMajority(c.Voters),
		epoch:         -1,
		summaryEpoch:  c.CurrentEpoch,
		summaryZxid:   c.LastZxid,
		connecting:    map[int64]bool{},
		electing:      map[int64]bool{},
		newLeaderAcks: map[int64]bool{},
		learners:      map[int64]*learner{},
		epochs:        map[int64]int64{},
		maxCommitted:  c.LastZxid,
		lastCommitted: c.LastZxid,
		persisted:     c.LastZxid,
		pendingSyncs:  map[int64][]int64{},
	}
	l.setPhase(Discovery)
	l.deadline = c.InitLimit
	// Leader.lead: getEpochToPropose(myid, acceptedEpoch).
	l.proposeEpoch(c.ID, c.AcceptedEpoch, l.quorum.isVoter(c.ID))
	return l
}

// Phase returns the current phase.
func (l *Leader) Phase() Phase { return l.phase }

// Epoch returns the new epoch, or -1 before a quorum decided it.
func (l *Leader) Epoch() int64 { return l.epoch }

// LastProposed returns the zxid of the last proposal (newEpoch<<32 before
// the first).
func (l *Leader) LastProposed() int64 { return l.lastProposed }

// LastCommitted returns the zxid of the last committed txn.
func (l *Leader) LastCommitted() int64 { return l.lastCommitted }

// NextZxid returns the zxid that the next Propose will assign. The runtime
// builds the txn (whose TxnHeader carries the zxid) with it.
func (l *Leader) NextZxid() int64 { return l.lastProposed + 1 }

// HasReady reports whether Ready would return anything.
func (l *Leader) HasReady() bool { return !l.rd.empty() }

// Ready returns the output gathered since the previous call and clears it.
func (l *Leader) Ready() Ready {
	rd := l.rd
	l.rd = Ready{}
	return rd
}

func (l *Leader) setPhase(p Phase) {
	l.phase = p
	l.rd.Phase = p
}

func (l *Leader) stop(err error) {
	if l.phase == Looking {
		return
	}
	l.setPhase(Looking)
	l.rd.Err = err
}

func (l *Leader) send(to int64, p zk.QuorumPacket) {
	l.rd.Messages = append(l.rd.Messages, Message{To: to, Packet: p})
	// LearnerHandler counts what goes through its queue: everything but
	// LEADERINFO, which it writes itself.
	if lr := l.learners[to]; lr != nil && PacketType(p.Type) != LeaderInfo {
		lr.sent++
		if p.Zxid > 0 {
			lr.lastSentZxid = p.Zxid
		}
	}
}

// Step hands the leader a packet from learner from. For a FOLLOWERINFO or
// OBSERVERINFO, from is the id in its LearnerInfo (see ParseLearnerInfo); a
// new FOLLOWERINFO from a learner replaces whatever the leader knew of it.
//
// The runtime keeps one connection per learner: when a learner connects
// again, it closes the old connection, discards what still arrives on it,
// and calls Disconnected before stepping the new FOLLOWERINFO.
func (l *Leader) Step(from int64, p zk.QuorumPacket) {
	if l.phase == Looking {
		return
	}
	t := PacketType(p.Type)
	if t == FollowerInfo || t == ObserverInfo {
		l.onLearnerInfo(from, t == ObserverInfo, p)
		return
	}
	lr := l.learners[from]
	if lr == nil {
		return // a learner we dropped; its connection is closing
	}
	l.heard(lr)
	if lr.state >= waitUpToDate {
		// LearnerHandler counts the packets of its main loop, which
		// starts after the NEWLEADER ACK.
		lr.received++
	}
	switch {
	case t == AckEpoch && lr.state == waitAckEpoch:
		l.onAckEpoch(lr, p)
	case t == Ack && lr.state == waitNewLeaderAck:
		l.onNewLeaderAck(lr, p)
	case lr.state != upToDate:
		l.drop(lr, fmt.Errorf("%w: %v from %d before UPTODATE", ErrProtocol, t, lr.id))
	case t == Ack:
		if p.Zxid > lr.lastAck {
			lr.lastAck = p.Zxid
		}
		l.processAck(lr.id, p.Zxid)
	case t == Ping:
		ts, err := decodeTouches(p.Data)
		if err != nil {
			l.drop(lr, fmt.Errorf("%w: %v", ErrProtocol, err))
			return
		}
		l.rd.Touches = append(l.rd.Touches, ts...)
	case t == Revalidate:
		l.onRevalidate(lr, p)
	case t == Request:
		r, err := decodeRequest(lr.id, p)
		if err != nil {
			l.drop(lr, fmt.Errorf("%w: %v", ErrProtocol, err))
			return
		}
		lr.requests++
		l.rd.Requests = append(l.rd.Requests, r)
	default:
		// LearnerHandler.run: "unexpected quorum packet", ignored.
	}
}

// heard extends a learner's deadline on any packet from it
// (LearnerHandler.run: tickOfNextAckDeadline = tick + syncLimit; before
// then the handler's socket timeout is initLimit).
func (l *Leader) heard(lr *learner) {
	if lr.state >= waitUpToDate {
		lr.deadline = l.tick + l.cfg.SyncLimit
	} else {
		lr.deadline = l.tick + l.cfg.InitLimit
	}
}

func (l *Leader) addLearner(lr *learner) {
	if _, ok := l.learners[lr.id]; !ok {
		i, _ := slices.BinarySearch(l.ids, lr.id)
		l.ids = slices.Insert(l.ids, i, lr.id)
	}
	l.learners[lr.id] = lr
}

func (l *Leader) removeLearner(id int64) {
	if _, ok := l.learners[id]; !ok {
		return
	}
	delete(l.learners, id)
	if i, ok := slices.BinarySearch(l.ids, id); ok {
		l.ids = slices.Delete(l.ids, i, i+1)
	}
	for z, ids := range l.pendingSyncs {
		l.pendingSyncs[z] = slices.DeleteFunc(ids, func(x int64) bool { return x == id })
	}
}

// drop forgets a learner and asks the runtime to close its connection.
func (l *Leader) drop(lr *learner, err error) {
	l.removeLearner(lr.id)
	l.rd.Disconnect = append(l.rd.Disconnect, Disconnect{ID: lr.id, Err: err})
}

// Disconnected tells the leader that the connection to learner id closed.
// What it counted toward the establishment quorums stays counted, as in
// ZooKeeper.
func (l *Leader) Disconnected(id int64) { l.removeLearner(id) }

// onLearnerInfo handles FOLLOWERINFO and OBSERVERINFO (LearnerHandler.run up
// to LEADERINFO; Leader.getEpochToPropose). Spec: LeaderProcessFOLLOWERINFO.
func (l *Leader) onLearnerInfo(from int64, observer bool, p zk.QuorumPacket) {
	l.removeLearner(from)
	// NB: forget what this learner ACKed before. Its sync may TRUNC the
	// txns it acknowledged, and a commit must not count a copy that is
	// gone. Every outstanding proposal is sent to it again after its sync
	// packets (they are all above what DIFF, TRUNC or SNAP leaves it with),
	// and it ACKs them again once they are durable. ZooKeeper keeps the old
	// ACKs (Proposal.addAck by sid); the simulation lost committed txns
	// that way: a follower reconnected, was truncated, crashed, and a
	// later leader was elected without it.
	for _, pr := range l.props[l.ncommitted:] {
		delete(pr.acks, from)
	}
	lr := &learner{id: from, observer: observer, voter: !observer && l.quorum.isVoter(from), lastSentZxid: -1}
	li, err := ParseLearnerInfo(p)
	switch {
	case err != nil:
		err = fmt.Errorf("%w: %v", ErrProtocol, err)
	case from == l.cfg.ID:
		err = fmt.Errorf("%w: learner with the leader's id %d", ErrProtocol, from)
	case li.ConfigVersion > l.cfg.ConfigVersion:
		err = fmt.Errorf("%w: %#x > %#x", ErrConfigAhead, li.ConfigVersion, l.cfg.ConfigVersion)
	case li.ProtocolVersion < ProtocolVersion:
		// Pre-1.0 learners skip LEADERINFO/ACKEPOCH; not supported.
		err = fmt.Errorf("%w: learner protocol version %#x", ErrProtocol, li.ProtocolVersion)
	}
	if err != nil {
		l.rd.Disconnect = append(l.rd.Disconnect, Disconnect{ID: from, Err: err})
		return
	}
	l.addLearner(lr)
	lr.deadline = l.tick + l.cfg.InitLimit
	if l.epochDecided {
		l.sendLeaderInfo(lr)
		return
	}
	lr.state = waitEpoch
	l.proposeEpoch(from, EpochOf(p.Zxid), lr.voter)
}

// proposeEpoch is Leader.getEpochToPropose without the waiting: raise the
// candidate epoch above sid's accepted epoch, count sid if it votes, and
// decide once the leader and a quorum are in.
func (l *Leader) proposeEpoch(sid, acceptedEpoch int64, voter bool) {
	if acceptedEpoch >= l.epoch {
		l.epoch = acceptedEpoch + 1
	}
	if voter {
		l.connecting[sid] = true
	}
	if !l.connecting[l.cfg.ID] || !l.quorum.containsQuorum(l.connecting) {
		return
	}
	l.epochDecided = true
	l.rd.AcceptedEpoch = l.epoch // persisted before LEADERINFO leaves
	l.lastProposed = MakeZxid(l.epoch, 0)
	l.deadline = l.tick + l.cfg.InitLimit
	for _, id := range l.ids {
		if lr := l.learners[id]; lr.state == waitEpoch {
			l.sendLeaderInfo(lr)
		}
	}
	// Leader.lead: waitForEpochAck(myid, leaderStateSummary).
	l.ackEpoch(l.cfg.ID, l.summaryEpoch, l.summaryZxid, true)
}

// sendLeaderInfo sends LEADERINFO(newEpoch<<32, int 0x10000).
func (l *Leader) sendLeaderInfo(lr *learner) {
	l.send(lr.id, packet(LeaderInfo, MakeZxid(l.epoch, 0), int32Bytes(ProtocolVersion)))
	lr.state = waitAckEpoch
	lr.deadline = l.tick + l.cfg.InitLimit
}

// onAckEpoch handles ACKEPOCH: zxid = the learner's last logged zxid, data =
// int currentEpoch, or -1 if it had already accepted this epoch. Spec:
// LeaderProcessACKEPOCH.
func (l *Leader) onAckEpoch(lr *learner, p zk.QuorumPacket) {
	if len(p.Data) < 4 {
		l.drop(lr, fmt.Errorf("%w: ACKEPOCH of %d bytes", ErrProtocol, len(p.Data)))
		return
	}
	currentEpoch := int64(int32(uint32(p.Data[0])<<24 | uint32(p.Data[1])<<16 | uint32(p.Data[2])<<8 | uint32(p.Data[3])))
	lr.lastZxid = p.Zxid
	lr.state = waitEpochQuorum
	if currentEpoch != -1 {
		l.epochs[lr.id] = currentEpoch
	}
	if l.ackedEpochs {
		l.syncLearner(lr)
		return
	}
	if currentEpoch != -1 {
		// StateSummary.isMoreRecentThan(leaderStateSummary).
		if currentEpoch > l.summaryEpoch || currentEpoch == l.summaryEpoch && p.Zxid > l.summaryZxid {
			l.drop(lr, fmt.Errorf("%w: epoch %d zxid %#x, leader epoch %d zxid %#x",
				ErrLearnerAhead, currentEpoch, p.Zxid, l.summaryEpoch, l.summaryZxid))
			return
		}
	}
	l.ackEpoch(lr.id, currentEpoch, p.Zxid, lr.voter)
}

// ackEpoch is Leader.waitForEpochAck without the waiting.
func (l *Leader) ackEpoch(sid, currentEpoch, lastZxid int64, voter bool) {
	if currentEpoch != -1 && lastZxid != -1 && voter {
		l.electing[sid] = true
	}
	if !l.electing[l.cfg.ID] || !l.quorum.containsQuorum(l.electing) {
		return
	}
	l.ackedEpochs = true
	l.rd.CurrentEpoch = l.epoch // Leader.lead: setCurrentEpoch, before any NEWLEADER leaves
	l.setPhase(Synchronization)
	l.deadline = l.tick + l.cfg.InitLimit
	for _, id := range l.ids {
		if lr := l.learners[id]; lr.state == waitEpochQuorum {
			l.syncLearner(lr)
		}
	}
	// Leader.lead: waitForNewLeaderAck(myid, newEpoch<<32).
	l.ackNewLeader(l.cfg.ID, true)
}

// syncLearner sends a learner what it lacks, starts forwarding broadcast
// packets to it, and sends NEWLEADER (LearnerHandler.run after
// waitForEpochAck; syncFollower; Leader.startForwarding). Spec:
// LeaderSyncFollower.
func (l *Leader) syncLearner(lr *learner) {
	ce, ok := l.epochs[lr.id]
	if !ok {
		ce = -1
	}
	pkts, queued := l.syncPackets(lr.lastZxid, ce)
	for _, p := range pkts {
		l.send(lr.id, p)
	}
	if !lr.observer {
		// Only participants get outstanding proposals.
		for _, p := range l.outstandingAfter(queued) {
			l.send(lr.id, packet(Proposal, p.Zxid, p.Data))
		}
	}
	l.send(lr.id, packet(NewLeader, MakeZxid(l.epoch, 0), l.cfg.ConfigData))
	lr.state = waitNewLeaderAck
	lr.deadline = l.tick + l.cfg.InitLimit
}

// onNewLeaderAck handles the ACK of NEWLEADER (zxid newEpoch<<32). Spec:
// LeaderProcessACKLD.
func (l *Leader) onNewLeaderAck(lr *learner, p zk.QuorumPacket) {
	if want := MakeZxid(l.epoch, 0); p.Zxid != want {
		l.drop(lr, fmt.Errorf("%w: NEWLEADER ACK %#x, want %#x", ErrProtocol, p.Zxid, want))
		return
	}
	lr.state = waitUpToDate
	lr.deadline = l.tick + l.cfg.SyncLimit
	l.epochs[lr.id] = l.epoch
	if l.established {
		l.sendUpToDate(lr)
		return
	}
	l.ackNewLeader(lr.id, lr.voter)
}

func (l *Leader) sendUpToDate(lr *learner) {
	l.send(lr.id, packet(UpToDate, -1, nil))
	lr.state = upToDate
	lr.upToDateAt = l.tick
}

// ackNewLeader is Leader.waitForNewLeaderAck without the waiting, and
// startZkServer once a quorum is in.
func (l *Leader) ackNewLeader(sid int64, voter bool) {
	if voter {
		l.newLeaderAcks[sid] = true
	}
	if !l.newLeaderAcks[l.cfg.ID] || !l.quorum.containsQuorum(l.newLeaderAcks) {
		return
	}
	l.established = true
	l.lastCommitted = MakeZxid(l.epoch, 0)
	l.setPhase(Broadcast)
	for _, id := range l.ids {
		lr := l.learners[id]
		if lr.state == waitUpToDate {
			l.sendUpToDate(lr)
		}
		if lr.deadline < l.tick+l.cfg.SyncLimit {
			lr.deadline = l.tick + l.cfg.SyncLimit
		}
	}
}

// Tick advances the leader's clock by one tick. It pings learners, drops
// the silent ones, and gives up without a quorum.
func (l *Leader) Tick() {
	if l.phase == Looking {
		return
	}
	l.tick++
	if !l.established {
		if l.tick > l.deadline {
			l.stop(fmt.Errorf("%w: %v after %d ticks", ErrTimeout, l.phase, l.cfg.InitLimit))
			return
		}
		// Only learners the leader is waiting for can time out now; the
		// others wait for the quorum, as their LearnerHandler threads do.
		for _, id := range slices.Clone(l.ids) {
			lr := l.learners[id]
			if (lr.state == waitAckEpoch || lr.state == waitNewLeaderAck) && l.tick > lr.deadline {
				l.drop(lr, fmt.Errorf("%w: silent for %d ticks in %v", ErrLearnerTimeout, l.cfg.InitLimit, l.phase))
			}
		}
		return
	}
	for _, id := range slices.Clone(l.ids) {
		lr := l.learners[id]
		if l.tick > lr.deadline {
			l.drop(lr, fmt.Errorf("%w: silent past tick %d", ErrLearnerTimeout, lr.deadline))
		} else if z, late := l.lateAck(lr); late {
			l.drop(lr, fmt.Errorf("%w: no ACK of %#x within %d ticks", ErrLearnerTimeout, z, l.cfg.SyncLimit))
		}
	}
	// Leader.lead: the leader and the learners that are not past their
	// deadline must hold a quorum.
	synced := map[int64]bool{l.cfg.ID: true}
	for _, id := range l.ids {
		synced[id] = l.learners[id].voter
	}
	if !l.quorum.containsQuorum(synced) {
		l.stop(ErrQuorumLost)
		return
	}
	for _, id := range l.ids {
		if l.learners[id].forwarding() {
			l.send(id, packet(Ping, l.lastProposed, nil))
		}
	}
}

// lateAck reports the oldest outstanding proposal that an up-to-date
// follower has not ACKed for longer than syncLimit (SyncLimitCheck).
func (l *Leader) lateAck(lr *learner) (int64, bool) {
	if lr.observer || lr.state != upToDate {
		return 0, false
	}
	ps := l.outstandingAfter(lr.lastAck)
	if len(ps) == 0 {
		return 0, false
	}
	since := max(ps[0].tick, lr.upToDateAt)
	return ps[0].Zxid, l.tick-since > l.cfg.SyncLimit
}

// outstandingAfter returns the outstanding proposals with a zxid above z.
func (l *Leader) outstandingAfter(z int64) []*proposal {
	out := l.props[l.ncommitted:]
	i, _ := slices.BinarySearchFunc(out, z+1, cmpProposal)
	return out[i:]
}

func cmpProposal(p *proposal, z int64) int {
	switch {
	case p.Zxid < z:
		return -1
	case p.Zxid > z:
		return 1
	}
	return 0
}

// Propose assigns the next zxid to data, sends it as PROPOSAL to the
// followers and returns the zxid. data must be the txn with that zxid in
// its header (see NextZxid). The leader's own log append is in
// Ready.Entries; Persisted counts as the leader's ACK. Spec:
// LeaderProcessRequest.
func (l *Leader) Propose(data []byte) (int64, error) {
	if l.phase != Broadcast {
		return 0, fmt.Errorf("%w: leader is %v", ErrNotBroadcasting, l.phase)
	}
	zxid := l.lastProposed + 1
	if CounterOf(zxid) == 0xffffffff {
		l.stop(ErrZxidRollover)
		return 0, ErrZxidRollover
	}
	l.lastProposed = zxid
	p := &proposal{Entry: Entry{Zxid: zxid, Data: data}, acks: map[int64]bool{}, tick: l.tick}
	l.props = append(l.props, p)
	l.rd.Entries = append(l.rd.Entries, p.Entry)
	for _, id := range l.ids {
		if lr := l.learners[id]; lr.forwarding() && !lr.observer {
			l.send(id, packet(Proposal, zxid, data))
		}
	}
	return zxid, nil
}

// Persisted reports that the leader's own log is durable up to zxid: its
// ACK of every proposal up to there (AckRequestProcessor).
func (l *Leader) Persisted(zxid int64) {
	if zxid <= l.persisted || l.phase == Looking {
		return
	}
	prev := l.persisted
	l.persisted = zxid
	if l.quorum.isVoter(l.cfg.ID) {
		for _, p := range l.outstandingAfter(prev) {
			if p.Zxid > zxid {
				break
			}
			p.acks[l.cfg.ID] = true
		}
	}
	l.tryCommit()
	l.prune()
}

// processAck counts a follower's ACK (Leader.processAck). Spec:
// LeaderProcessACK.
func (l *Leader) processAck(sid, zxid int64) {
	if CounterOf(zxid) == 0 || zxid <= l.lastCommitted || !l.quorum.isVoter(sid) {
		return // the ACK after UPTODATE, an old one, or an observer's
	}
	out := l.props[l.ncommitted:]
	i, ok := slices.BinarySearchFunc(out, zxid, cmpProposal)
	if !ok {
		return // "Trying to commit future proposal"
	}
	out[i].acks[sid] = true
	l.tryCommit()
	l.prune()
}

// tryCommit commits outstanding proposals in zxid order while the oldest has
// a quorum (Leader.tryToCommit). Spec: LeaderTryToCommit.
func (l *Leader) tryCommit() {
	for l.ncommitted < len(l.props) && l.quorum.containsQuorum(l.props[l.ncommitted].acks) {
		l.commit(l.props[l.ncommitted])
		l.ncommitted++
	}
}

// commit sends COMMIT to the followers and INFORM to the observers that are
// forwarding (Leader.commit, Leader.inform), and answers pending SYNCs.
func (l *Leader) commit(p *proposal) {
	p.committed = true
	p.acks = nil
	l.lastCommitted = p.Zxid
	l.maxCommitted = p.Zxid
	for _, id := range l.ids {
		lr := l.learners[id]
		switch {
		case !lr.forwarding():
		case lr.observer:
			l.send(id, packet(Inform, p.Zxid, p.Data))
		default:
			l.send(id, packet(Commit, p.Zxid, nil))
		}
	}
	l.rd.Committed = append(l.rd.Committed, p.Entry)
	if ids, ok := l.pendingSyncs[p.Zxid]; ok {
		delete(l.pendingSyncs, p.Zxid)
		for _, id := range ids {
			l.send(id, packet(Sync, 0, nil))
		}
	}
}

// prune forgets proposals that are committed and in Storage.
func (l *Leader) prune() {
	n := 0
	for n < l.ncommitted && l.props[n].Zxid <= l.persisted {
		n++
	}
	if n > 0 {
		clear(l.props[:n]) // let the collector have them
		l.props = l.props[n:]
		l.ncommitted -= n
	}
}

// Sync answers a learner's sync request once everything proposed so far is
// committed (Leader.processSync): the runtime calls it when the forwarded
// sync request has passed the leader's prep stage.
func (l *Leader) Sync(learnerID int64) {
	lr := l.learners[learnerID]
	if lr == nil || l.phase != Broadcast {
		return
	}
	if l.lastCommitted >= l.lastProposed {
		l.send(learnerID, packet(Sync, 0, nil))
		return
	}
	l.pendingSyncs[l.lastProposed] = append(l.pendingSyncs[l.lastProposed], learnerID)
}

func (l *Leader) onRevalidate(lr *learner, p zk.QuorumPacket) {
	sid, timeout, err := decodeRevalidate(p.Data)
	if err != nil {
		l.drop(lr, fmt.Errorf("%w: %v", ErrProtocol, err))
		return
	}
	if l.cfg.Sessions != nil {
		l.Revalidated(lr.id, sid, l.cfg.Sessions.Revalidate(lr.id, sid, timeout))
		return
	}
	l.rd.Revalidate = append(l.rd.Revalidate, Revalidation{Learner: lr.id, SessionID: sid, Timeout: timeout})
}

// Revalidated answers a REVALIDATE surfaced in Ready.Revalidate
// (Leader.revalidateSession: REVALIDATE(-1, long sessionId, boolean valid)).
func (l *Leader) Revalidated(learnerID, sessionID int64, valid bool) {
	if l.learners[learnerID] == nil {
		return
	}
	l.send(learnerID, packet(Revalidate, -1, encodeRevalidateReply(sessionID, valid)))
}
