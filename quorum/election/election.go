package election

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Timing defaults, in ticks of TickInterval. A wait of N ticks ends on the
// N-th Tick after it starts, so it lasts between N-1 and N tick intervals of
// wall-clock time.
const (
	// TickInterval is the wall-clock time one Tick stands for in the
	// defaults. The runtime calls Tick at this interval.
	TickInterval = 50 * time.Millisecond
	// DefaultFinalizeWaitTicks is FastLeaderElection.finalizeWait, 200 ms.
	DefaultFinalizeWaitTicks = 4
	// DefaultMinNotificationTicks is minNotificationInterval, which defaults
	// to finalizeWait: 200 ms.
	DefaultMinNotificationTicks = 4
	// DefaultMaxNotificationTicks is maxNotificationInterval, 60 s.
	DefaultMaxNotificationTicks = 1200
)

// Config configures an Election.
type Config struct {
	// ID is this peer's server id (myid).
	ID int64
	// Verifier gives the voters and the quorum rule. Required.
	Verifier Verifier
	// Observer is set when this peer's learner type is observer
	// (peerType=observer): it proposes no vote of its own and, once a
	// leader is found, observes instead of following.
	Observer bool
	// ConfigData is sent in every notification: the text of the current
	// QuorumVerifier (QuorumMaj.toString: "server.N=..." lines, then
	// "version=<hex>"). It may be empty.
	ConfigData []byte
	// FinalizeWaitTicks is how long a peer that has seen a quorum for its
	// proposal waits for a better vote before deciding (finalizeWait).
	// Default DefaultFinalizeWaitTicks.
	FinalizeWaitTicks int
	// MinNotificationTicks is the first wait, without notifications, after
	// which a LOOKING peer sends its vote again; each such timeout doubles
	// the wait up to MaxNotificationTicks. Defaults
	// DefaultMinNotificationTicks and DefaultMaxNotificationTicks.
	MinNotificationTicks int
	MaxNotificationTicks int
}

// Message is a notification to send to the peer To.
type Message struct {
	To           int64
	Notification Notification
}

// Decision is the end of an election round.
type Decision struct {
	// Vote is the peer's new current vote (QuorumPeer.setCurrentVote): the
	// leader, its zxid and peer epoch, and the round's election epoch. Its
	// State is LOOKING, as Java's four-argument Vote constructor leaves it.
	Vote Vote
	// State is the peer's new state: LEADING, FOLLOWING or OBSERVING.
	State ServerState
	// Joined is set when the peer decided on FOLLOWING or LEADING
	// notifications, joining a leader that was already elected, rather than
	// on a quorum of LOOKING votes.
	Joined bool
	// Supporters are the voters whose votes formed the quorum, ascending
	// (the SyncedLearnerTracker that Java hands a new leader as its
	// leadingVoteSet).
	Supporters []int64
}

// Ready is what the runtime must act on after calls to Step, Tick and Start.
type Ready struct {
	// Messages are notifications to send, in order. A peer never appears as
	// the recipient of its own notifications: Java loops them back through
	// QuorumCnxManager's receive queue, and Election consumes them itself,
	// right after the input that produced them.
	Messages []Message
	// Decision is set when a round has ended since the last Ready.
	Decision *Decision
}

// Election is Fast Leader Election, as a state machine. It covers both what
// FastLeaderElection.lookForLeader does while the peer is LOOKING and what
// its WorkerReceiver does in every state: answering non-voters and LOOKING
// peers with this peer's current vote.
//
// It is not safe for concurrent use. It never blocks, sleeps, reads the clock
// or does I/O: the caller delivers notifications and ticks and acts on Ready.
type Election struct {
	cfg    Config
	voters map[int64]bool

	started bool
	state   ServerState
	clock   int64 // logicalclock: the election epoch (round)
	// The proposal: proposedLeader, proposedZxid, proposedEpoch.
	propLeader, propZxid, propEpoch int64
	// current is QuorumPeer.currentVote: the last decided vote, or the
	// peer's own vote before the first decision.
	current Vote
	// The peer's own data, as of Start.
	lastZxid, currentEpoch int64

	// recvset holds the votes of this round (election epoch == clock);
	// outofelection the votes of FOLLOWING and LEADING peers of any round.
	// Both are local to one lookForLeader call in Java, so they are reset by
	// Start.
	recvset       map[int64]Vote
	outofelection map[int64]Vote
	voteSet       []int64 // acks of the last quorum check of a LOOKING vote

	notTimeout   int  // current notification timeout, ticks
	idle         int  // ticks since the last notification taken in
	finalizing   bool // in the finalize wait
	finalizeIdle int  // ticks since the finalize wait (re)started

	loopback []Notification // notifications to self, not yet consumed
	msgs     []Message
	decision *Decision
}

// New returns an Election for cfg. The peer is LOOKING but silent until the
// first Start.
func New(cfg Config) *Election {
	if cfg.Verifier == nil {
		panic("election: Config.Verifier is nil")
	}
	if cfg.FinalizeWaitTicks <= 0 {
		cfg.FinalizeWaitTicks = DefaultFinalizeWaitTicks
	}
	if cfg.MinNotificationTicks <= 0 {
		cfg.MinNotificationTicks = DefaultMinNotificationTicks
	}
	if cfg.MaxNotificationTicks <= 0 {
		cfg.MaxNotificationTicks = DefaultMaxNotificationTicks
	}
	if cfg.MaxNotificationTicks < cfg.MinNotificationTicks {
		cfg.MaxNotificationTicks = cfg.MinNotificationTicks
	}
	e := &Election{cfg: cfg, voters: map[int64]bool{}}
	for _, v := range cfg.Verifier.Voters() {
		e.voters[v] = true
	}
	return e
}

// Start begins a new round, as QuorumPeer does each time it enters LOOKING
// and calls lookForLeader: the logical clock is incremented, the peer votes
// for itself with its last logged zxid and current epoch, and notifies every
// voter. The first Start also sets the current vote to that vote
// (QuorumPeer.startLeaderElection).
//
// A lastZxid of -1 makes the peer ignore every LOOKING notification, as Java
// does.
func (e *Election) Start(lastZxid, currentEpoch int64) {
	if !e.started {
		e.started = true
		e.current = Vote{Leader: e.cfg.ID, Zxid: lastZxid, ElectionEpoch: -1, PeerEpoch: currentEpoch, State: Looking}
	}
	e.lastZxid, e.currentEpoch = lastZxid, currentEpoch
	e.state = Looking
	e.recvset = map[int64]Vote{}
	e.outofelection = map[int64]Vote{}
	e.voteSet = nil
	e.notTimeout = e.cfg.MinNotificationTicks
	e.idle = 0
	e.finalizing = false
	e.finalizeIdle = 0
	e.loopback = nil
	e.clock++
	e.propLeader, e.propZxid, e.propEpoch = e.initID(), e.initZxid(), e.initEpoch()
	e.sendNotifications()
	e.drainLoopback()
}

// Step takes in a notification received from peer from.
func (e *Election) Step(from int64, n Notification) {
	e.receive(from, n)
	e.drainLoopback()
}

// Tick advances time by one tick. It runs the finalize wait and the
// notification timeout of a LOOKING peer; otherwise it does nothing.
func (e *Election) Tick() {
	if !e.started || e.state != Looking {
		return
	}
	if e.finalizing {
		e.finalizeIdle++
		if e.finalizeIdle >= e.cfg.FinalizeWaitTicks {
			e.decide(e.propLeader, e.propZxid, e.clock, e.propEpoch, e.voteSet, false)
		}
		return
	}
	e.idle++
	if e.idle < e.notTimeout {
		return
	}
	// Java resends only if QuorumCnxManager.haveDelivered, else asks it to
	// connectAll; the transport reconnects on Send, so resending covers both.
	e.idle = 0
	e.sendNotifications()
	e.notTimeout = min(e.notTimeout*2, e.cfg.MaxNotificationTicks)
	e.drainLoopback()
}

// UpdatePeerEpoch sets the peer epoch of the current vote, as
// QuorumPeer.updateElectionVote does once the leader has established a new
// epoch, so that peers joining later count this peer's vote with the others'
// (ZOOKEEPER-1732).
func (e *Election) UpdatePeerEpoch(epoch int64) {
	e.current.PeerEpoch = epoch
}

// HasReady reports whether Ready has anything to return.
func (e *Election) HasReady() bool { return len(e.msgs) > 0 || e.decision != nil }

// Ready returns, and forgets, the messages to send and the decision made
// since the last call.
func (e *Election) Ready() Ready {
	r := Ready{Messages: e.msgs, Decision: e.decision}
	e.msgs, e.decision = nil, nil
	return r
}

// State returns the peer's state.
func (e *Election) State() ServerState { return e.state }

// LogicalClock returns the current election epoch.
func (e *Election) LogicalClock() int64 { return e.clock }

// Proposal returns the vote the peer currently proposes in this round.
func (e *Election) Proposal() Vote { return e.proposal() }

// CurrentVote returns the peer's current vote: the last decision, or its own
// initial vote before any.
func (e *Election) CurrentVote() Vote { return e.current }

func (e *Election) String() string {
	return fmt.Sprintf("%d %v round=%#x vote=%v", e.cfg.ID, e.state, e.clock, e.proposal())
}

// initID, initZxid and initEpoch are getInitId, getInitLastLoggedZxid and
// getPeerEpoch: a peer that is not a voter proposes no candidate.
func (e *Election) initID() int64 {
	if e.voters[e.cfg.ID] {
		return e.cfg.ID
	}
	return math.MinInt64
}

func (e *Election) initZxid() int64 {
	if e.cfg.Observer {
		return math.MinInt64
	}
	return e.lastZxid
}

func (e *Election) initEpoch() int64 {
	if e.cfg.Observer {
		return math.MinInt64
	}
	return e.currentEpoch
}

func (e *Election) proposal() Vote {
	return Vote{Leader: e.propLeader, Zxid: e.propZxid, ElectionEpoch: e.clock, PeerEpoch: e.propEpoch, State: Looking}
}

func (e *Election) notification(state ServerState, leader, zxid, electionEpoch, peerEpoch int64) Notification {
	return Notification{
		State:         state,
		Leader:        leader,
		Zxid:          zxid,
		ElectionEpoch: electionEpoch,
		PeerEpoch:     peerEpoch,
		Version:       NotificationVersion,
		Config:        e.cfg.ConfigData,
	}
}

func (e *Election) send(to int64, n Notification) {
	if to == e.cfg.ID {
		e.loopback = append(e.loopback, n)
		return
	}
	e.msgs = append(e.msgs, Message{To: to, Notification: n})
}

// sendNotifications sends the proposal to every voter, this peer included.
func (e *Election) sendNotifications() {
	for _, sid := range e.cfg.Verifier.Voters() {
		e.send(sid, e.notification(Looking, e.propLeader, e.propZxid, e.clock, e.propEpoch))
	}
}

func (e *Election) drainLoopback() {
	for len(e.loopback) > 0 {
		n := e.loopback[0]
		e.loopback = e.loopback[1:]
		e.receive(e.cfg.ID, n)
	}
}

// receive is WorkerReceiver.run for one message.
func (e *Election) receive(from int64, n Notification) {
	if !e.started {
		return
	}
	if !e.voters[from] {
		// A non-voter (an observer) is answered at once with the current
		// vote. NB: while LOOKING that is the last decided vote, not the
		// proposal: an observer learns only decided leaders.
		e.send(from, e.notification(e.state, e.current.Leader, e.current.Zxid, e.clock, e.current.PeerEpoch))
		return
	}
	if !n.State.Valid() {
		return
	}
	if e.state == Looking {
		// A LOOKING peer behind in rounds is sent our proposal, so that it
		// catches up.
		if n.State == Looking && n.ElectionEpoch < e.clock {
			e.send(from, e.notification(Looking, e.propLeader, e.propZxid, e.clock, e.propEpoch))
		}
		e.lookForLeader(from, n)
		return
	}
	// Out of election: tell a LOOKING peer whom we follow or that we lead.
	if n.State == Looking {
		e.send(from, e.notification(e.state, e.current.Leader, e.current.Zxid, e.current.ElectionEpoch, e.current.PeerEpoch))
	}
}

// lookForLeader is the body of FastLeaderElection.lookForLeader's loop for a
// notification from the voter from.
func (e *Election) lookForLeader(from int64, n Notification) {
	e.idle = 0
	if e.finalizing {
		// During the finalize wait a notification that does not beat the
		// proposal is dropped, whatever its state or round, and the wait
		// starts over; a better one ends the wait and is processed.
		if !totalOrderPredicate(e.cfg.Verifier, n.Leader, n.Zxid, n.PeerEpoch, e.propLeader, e.propZxid, e.propEpoch) {
			e.finalizeIdle = 0
			return
		}
		e.finalizing = false
	}
	if !e.voters[n.Leader] {
		return
	}
	switch n.State {
	case Looking:
		e.onLooking(from, n)
	case Following, Leading:
		// NB: Java's receivedLeadingNotification may also ask the oracle of
		// a two-server QuorumOracleMaj ensemble; that is not supported.
		e.onOutOfElection(from, n)
	}
}

func (e *Election) onLooking(from int64, n Notification) {
	if e.initZxid() == -1 || n.Zxid == -1 {
		return
	}
	switch {
	case n.ElectionEpoch > e.clock:
		e.clock = n.ElectionEpoch
		clear(e.recvset)
		if totalOrderPredicate(e.cfg.Verifier, n.Leader, n.Zxid, n.PeerEpoch, e.initID(), e.initZxid(), e.initEpoch()) {
			e.propLeader, e.propZxid, e.propEpoch = n.Leader, n.Zxid, n.PeerEpoch
		} else {
			e.propLeader, e.propZxid, e.propEpoch = e.initID(), e.initZxid(), e.initEpoch()
		}
		e.sendNotifications()
	case n.ElectionEpoch < e.clock:
		return
	case totalOrderPredicate(e.cfg.Verifier, n.Leader, n.Zxid, n.PeerEpoch, e.propLeader, e.propZxid, e.propEpoch):
		e.propLeader, e.propZxid, e.propEpoch = n.Leader, n.Zxid, n.PeerEpoch
		e.sendNotifications()
	}
	e.recvset[from] = Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: Looking}
	acks := e.acks(e.recvset, e.proposal())
	e.voteSet = acks
	if e.cfg.Verifier.ContainsQuorum(acks) {
		e.finalizing = true
		e.finalizeIdle = 0
	}
}

// onOutOfElection is receivedFollowingNotification: a FOLLOWING or LEADING
// peer tells us whom it follows or that it leads.
func (e *Election) onOutOfElection(from int64, n Notification) {
	v := Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: n.State, Version: n.Version}
	if n.ElectionEpoch == e.clock {
		// Same round: count it with the LOOKING votes. NB: Java stores it
		// with version 0, so against v (version 2) only leaders compare.
		e.recvset[from] = Vote{Leader: n.Leader, Zxid: n.Zxid, ElectionEpoch: n.ElectionEpoch, PeerEpoch: n.PeerEpoch, State: n.State}
		acks := e.acks(e.recvset, v)
		if e.cfg.Verifier.ContainsQuorum(acks) && e.checkLeader(e.recvset, n.Leader, n.ElectionEpoch) {
			e.decide(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch, acks, true)
			return
		}
	}
	// Before joining an established ensemble, check that a quorum follows
	// the same leader and that the leader says it leads. outofelection keeps
	// votes of this round too (ZOOKEEPER-1732).
	e.outofelection[from] = v
	acks := e.acks(e.outofelection, v)
	if e.cfg.Verifier.ContainsQuorum(acks) && e.checkLeader(e.outofelection, n.Leader, n.ElectionEpoch) {
		e.clock = n.ElectionEpoch
		e.decide(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch, acks, true)
	}
}

// checkLeader: unless we are the leader, the leader's own vote must be in
// votes and say LEADING, so that peers do not elect a crashed leader again
// and again; if we are the leader, the round must be ours.
func (e *Election) checkLeader(votes map[int64]Vote, leader, electionEpoch int64) bool {
	if leader != e.cfg.ID {
		v, ok := votes[leader]
		return ok && v.State == Leading
	}
	return e.clock == electionEpoch
}

// acks returns the voters whose vote in votes equals v, ascending
// (getVoteTracker).
func (e *Election) acks(votes map[int64]Vote, v Vote) []int64 {
	var out []int64
	for sid, w := range votes {
		if e.voters[sid] && v.Equal(w) {
			out = append(out, sid)
		}
	}
	slices.Sort(out)
	return out
}

func (e *Election) decide(leader, zxid, electionEpoch, peerEpoch int64, supporters []int64, joined bool) {
	st := Following
	switch {
	case leader == e.cfg.ID:
		st = Leading
	case e.cfg.Observer:
		st = Observing
	}
	e.state = st
	e.current = Vote{Leader: leader, Zxid: zxid, ElectionEpoch: electionEpoch, PeerEpoch: peerEpoch, State: Looking}
	e.decision = &Decision{Vote: e.current, State: st, Joined: joined, Supporters: slices.Clone(supporters)}
	e.finalizing = false
	// leaveInstance clears the receive queue.
	e.loopback = nil
}
