package zab

import (
	"fmt"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// syncEntry is a txn received during synchronisation.
type syncEntry struct {
	Entry
	committed bool
}

// Learner is the follower or observer side of ZAB for one connection to a
// leader: registration, synchronisation, then broadcast. It is not safe for
// concurrent use; the peer's runtime owns it and serialises every call. It
// never blocks, reads the clock or does I/O: see Ready for what the runtime
// must do with its output. When the connection to the leader breaks, the
// runtime drops the Learner and goes back to leader election.
//
// Counterpart: Learner.registerWithLeader and syncWithLeader,
// Follower.processPacket, Observer.processPacket, and the parts of
// FollowerZooKeeperServer (logRequest, commit) and SendAckRequestProcessor
// that order log writes, ACKs and commits.
type Learner struct {
	cfg      Config
	observer bool
	phase    Phase
	tick     int
	heardAt  int // tick of the last packet from the leader

	newEpoch      int64
	acceptedEpoch int64
	currentEpoch  int64
	lastZxid      int64 // last zxid of our data (log or snapshot), emitted entries included
	persisted     int64
	snapZxid      int64

	// Synchronisation (Learner.syncWithLeader).
	syncMode       PacketType // DIFF, TRUNC or SNAP once received
	snap           *Snapshot  // SNAP data, installed at NEWLEADER
	pending        []syncEntry
	lastQueued     int64
	toCommit       []Entry // logged at NEWLEADER, applied at UPTODATE
	newLeaderAckAt int64   // the NEWLEADER ACK waits for Persisted(this); -1 if none waits
	ackedNewLeader bool

	// Broadcast.
	needAck       []int64 // logged proposals to ACK once persisted
	uncommitted   []Entry // logged proposals awaiting COMMIT
	lastCommitted int64

	rd Ready
}

// Follow starts a follower of cfg.LeaderID: its first Ready carries
// FOLLOWERINFO. It panics on an invalid Config.
func Follow(cfg Config) *Learner { return newLearner(cfg, false) }

// Observe starts an observer of cfg.LeaderID: its first Ready carries
// OBSERVERINFO. It panics on an invalid Config.
func Observe(cfg Config) *Learner { return newLearner(cfg, true) }

func newLearner(cfg Config, observer bool) *Learner {
	c := cfg.withDefaults()
	if err := c.check("learner"); err != nil {
		panic(err)
	}
	f := &Learner{
		cfg:            c,
		observer:       observer,
		acceptedEpoch:  c.AcceptedEpoch,
		currentEpoch:   c.CurrentEpoch,
		lastZxid:       c.LastZxid,
		persisted:      c.LastZxid,
		snapZxid:       c.SnapshotZxid,
		lastCommitted:  c.LastZxid,
		newLeaderAckAt: -1,
	}
	f.setPhase(Discovery)
	t := FollowerInfo
	if observer {
		t = ObserverInfo
	}
	// Learner.registerWithLeader: zxid = acceptedEpoch<<32, data = LearnerInfo.
	f.send(packet(t, MakeZxid(c.AcceptedEpoch, 0), learnerInfo(c.ID, c.ConfigVersion)))
	return f
}

// Phase returns the current phase.
func (f *Learner) Phase() Phase { return f.phase }

// Epoch returns the leader's epoch from LEADERINFO, or 0 before it.
func (f *Learner) Epoch() int64 { return f.newEpoch }

// LastCommitted returns the zxid of the last txn handed out in
// Ready.Committed (Config.LastZxid before the first).
func (f *Learner) LastCommitted() int64 { return f.lastCommitted }

// HasReady reports whether Ready would return anything.
func (f *Learner) HasReady() bool { return !f.rd.empty() }

// Ready returns the output gathered since the previous call and clears it.
func (f *Learner) Ready() Ready {
	rd := f.rd
	f.rd = Ready{}
	return rd
}

func (f *Learner) setPhase(p Phase) {
	f.phase = p
	f.rd.Phase = p
}

func (f *Learner) stop(err error) {
	if f.phase == Looking {
		return
	}
	f.setPhase(Looking)
	f.rd.Err = err
}

func (f *Learner) protocolError(format string, args ...any) {
	f.stop(fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...))
}

func (f *Learner) send(p zk.QuorumPacket) {
	f.rd.Messages = append(f.rd.Messages, Message{To: f.cfg.LeaderID, Packet: p})
}

// Tick advances the learner's clock by one tick. A leader silent for
// initLimit ticks (syncLimit once NEWLEADER is acknowledged) is lost.
func (f *Learner) Tick() {
	if f.phase == Looking {
		return
	}
	f.tick++
	limit := f.cfg.InitLimit
	if f.ackedNewLeader {
		limit = f.cfg.SyncLimit
	}
	if f.tick-f.heardAt > limit {
		f.stop(fmt.Errorf("%w: silent for %d ticks", ErrLeaderLost, f.tick-f.heardAt))
	}
}

// Step hands the learner a packet from its leader. For SNAP, the runtime
// reads the snapshot that follows the packet on the wire (§2.6) and passes
// it, opaque, as p.Data; ZooKeeper's SNAP packet itself has no data.
func (f *Learner) Step(p zk.QuorumPacket) {
	if f.phase == Looking {
		return
	}
	f.heardAt = f.tick
	switch f.phase {
	case Discovery:
		f.onLeaderInfo(p)
	case Synchronization:
		f.syncStep(p)
	case Broadcast:
		f.broadcastStep(p)
	}
}

// onLeaderInfo is the second half of Learner.registerWithLeader. Spec:
// FollowerProcessLEADERINFO.
func (f *Learner) onLeaderInfo(p zk.QuorumPacket) {
	if t := PacketType(p.Type); t != LeaderInfo {
		// Pre-1.0 leaders start with NEWLEADER; not supported.
		f.protocolError("%v in discovery, want LEADERINFO", t)
		return
	}
	if len(p.Data) < 4 {
		f.protocolError("LEADERINFO of %d bytes", len(p.Data))
		return
	}
	f.newEpoch = EpochOf(p.Zxid)
	var epochBytes []byte
	switch {
	case f.newEpoch > f.acceptedEpoch:
		epochBytes = int32Bytes(int32(f.currentEpoch))
		f.acceptedEpoch = f.newEpoch
		f.rd.AcceptedEpoch = f.newEpoch // persisted before ACKEPOCH leaves
	case f.newEpoch == f.acceptedEpoch:
		// Already acked this epoch: -1 says "don't count me", but the
		// leader still learns our last zxid to sync us.
		epochBytes = int32Bytes(-1)
	default:
		f.stop(fmt.Errorf("%w: %d < %d", ErrEpochBehind, f.newEpoch, f.acceptedEpoch))
		return
	}
	f.send(packet(AckEpoch, f.lastZxid, epochBytes))
	f.setPhase(Synchronization)
}

// syncStep handles a packet between ACKEPOCH and UPTODATE
// (Learner.syncWithLeader). Spec: FollowerProcessSyncMessage,
// FollowerProcessPROPOSALInSync, FollowerProcessCOMMITInSync.
func (f *Learner) syncStep(p zk.QuorumPacket) {
	t := PacketType(p.Type)
	if f.syncMode == 0 {
		switch t {
		case Diff:
		case Trunc:
			// NB: a snapshot named by an epoch's zero zxid (e,0) is a SNAP
			// sent before epoch e's first commit: it holds exactly the
			// history epoch e was established with, all committed, which
			// any later leader's history extends with txns of epochs >= e
			// only. TRUNC below its name cuts none of its txns, and the
			// name stays a true summary of them.
			if p.Zxid < f.snapZxid && CounterOf(f.snapZxid) != 0 {
				f.stop(fmt.Errorf("%w: TRUNC %#x, snapshot %#x", ErrTruncateSnapshot, p.Zxid, f.snapZxid))
				return
			}
			f.rd.Truncate, f.rd.TruncateZxid = true, p.Zxid
			f.lastZxid = min(f.lastZxid, p.Zxid)
			f.persisted = min(f.persisted, p.Zxid)
			f.lastCommitted = min(f.lastCommitted, p.Zxid)
		case Snap:
			// Held until NEWLEADER, as ZooKeeper writes the snapshot only
			// then: a leader that fails before it must not leave its
			// uncommitted history in our durable state.
			f.snap = &Snapshot{Zxid: p.Zxid, Data: p.Data}
			f.lastZxid = p.Zxid
		default:
			f.protocolError("%v, want DIFF, TRUNC or SNAP", t)
			return
		}
		f.syncMode = t
		return
	}
	switch t {
	case Proposal, Inform:
		if !f.continuous(p.Zxid) {
			return
		}
		f.pending = append(f.pending, syncEntry{Entry: Entry{Zxid: p.Zxid, Data: p.Data}, committed: t == Inform})
	case Commit:
		for i := range f.pending {
			if !f.pending[i].committed {
				if f.pending[i].Zxid != p.Zxid {
					f.protocolError("COMMIT %#x, next proposal %#x", p.Zxid, f.pending[i].Zxid)
					return
				}
				f.pending[i].committed = true
				return
			}
		}
		f.protocolError("COMMIT %#x without a proposal", p.Zxid)
	case NewLeader:
		f.onNewLeader(p)
	case UpToDate:
		f.onUpToDate()
	case Ping:
		// syncWithLeader does not answer pings.
	case CommitAndActivate, InformAndActivate:
		f.stop(ErrUnsupported)
	default:
		f.protocolError("%v during synchronisation", t)
	}
}

// continuous is Learner.enforceContinuousProposal: within an epoch, zxids
// follow one another.
func (f *Learner) continuous(zxid int64) bool {
	if f.lastQueued != 0 && zxid != f.lastQueued+1 && EpochOf(zxid) <= EpochOf(f.lastQueued) {
		f.protocolError("proposal %#x, last queued %#x", zxid, f.lastQueued)
		return false
	}
	f.lastQueued = zxid
	return true
}

// onNewLeader: install the SNAP, log the committed txns, and only once they
// are durable persist currentEpoch and ACK NEWLEADER (ZOOKEEPER-3911,
// -4643, -4646, -4785). Spec: FollowerProcessNEWLEADER.
func (f *Learner) onNewLeader(p zk.QuorumPacket) {
	if f.ackedNewLeader || f.newLeaderAckAt >= 0 {
		f.protocolError("second NEWLEADER")
		return
	}
	if want := MakeZxid(f.newEpoch, 0); p.Zxid != want {
		f.protocolError("NEWLEADER %#x, want %#x", p.Zxid, want)
		return
	}
	if f.snap != nil {
		f.rd.Snapshot = f.snap
		f.snapZxid = f.snap.Zxid
		f.persisted = f.snap.Zxid
		f.lastCommitted = f.snap.Zxid
		f.snap = nil
	}
	k := 0
	for k < len(f.pending) && f.pending[k].committed {
		k++
	}
	if k == 0 {
		f.ackNewLeader()
		return
	}
	for _, e := range f.pending[:k] {
		f.rd.Entries = append(f.rd.Entries, e.Entry)
		f.toCommit = append(f.toCommit, e.Entry)
	}
	f.lastZxid = f.pending[k-1].Zxid
	f.newLeaderAckAt = f.lastZxid
	f.pending = append(f.pending[:0:0], f.pending[k:]...)
}

func (f *Learner) ackNewLeader() {
	f.newLeaderAckAt = -1
	f.ackedNewLeader = true
	f.currentEpoch = f.newEpoch
	f.rd.CurrentEpoch = f.newEpoch // persisted before the ACK leaves
	f.send(packet(Ack, MakeZxid(f.newEpoch, 0), nil))
}

// onUpToDate: log what came after NEWLEADER, apply what is committed, ACK
// newEpoch<<32 and start serving. Spec: FollowerProcessUPTODATE.
func (f *Learner) onUpToDate() {
	if !f.ackedNewLeader {
		f.protocolError("UPTODATE before our NEWLEADER ACK")
		return
	}
	committed := f.toCommit
	f.toCommit = nil
	for _, e := range f.pending {
		if f.observer && !e.committed {
			// Observer: outstanding proposals have no COMMIT coming.
			continue
		}
		f.rd.Entries = append(f.rd.Entries, e.Entry)
		f.lastZxid = e.Zxid
		if f.observer {
			committed = append(committed, e.Entry)
			continue
		}
		f.needAck = append(f.needAck, e.Zxid) // logRequest → SendAckRequestProcessor
		if e.committed {
			committed = append(committed, e.Entry)
		} else {
			f.uncommitted = append(f.uncommitted, e.Entry)
		}
	}
	f.pending = nil
	f.commit(committed...)
	f.send(packet(Ack, MakeZxid(f.newEpoch, 0), nil))
	f.setPhase(Broadcast)
}

func (f *Learner) commit(es ...Entry) {
	if len(es) == 0 {
		return
	}
	f.rd.Committed = append(f.rd.Committed, es...)
	f.lastCommitted = es[len(es)-1].Zxid
}

// broadcastStep handles a packet after UPTODATE (Follower.processPacket,
// Observer.processPacket). Spec: FollowerProcessPROPOSAL,
// FollowerProcessCOMMIT.
func (f *Learner) broadcastStep(p zk.QuorumPacket) {
	switch t := PacketType(p.Type); t {
	case Ping:
		var ts []Touch
		if f.cfg.Touches != nil {
			ts = f.cfg.Touches.TouchSnapshot()
		}
		f.send(zk.QuorumPacket{Type: p.Type, Zxid: p.Zxid, Data: encodeTouches(ts), AuthInfo: p.AuthInfo})
	case Proposal:
		if f.observer {
			return // "Ignoring proposal"
		}
		if EpochOf(p.Zxid) != f.newEpoch || !f.continuous(p.Zxid) {
			if f.phase != Looking {
				f.protocolError("PROPOSAL %#x in epoch %d", p.Zxid, f.newEpoch)
			}
			return
		}
		e := Entry{Zxid: p.Zxid, Data: p.Data}
		f.rd.Entries = append(f.rd.Entries, e)
		f.lastZxid = p.Zxid
		f.needAck = append(f.needAck, p.Zxid)
		f.uncommitted = append(f.uncommitted, e)
	case Commit:
		if f.observer {
			return // "Ignoring commit"
		}
		// FollowerZooKeeperServer.commit: a COMMIT that is not for the
		// oldest pending txn is fatal.
		if len(f.uncommitted) == 0 {
			f.protocolError("COMMIT %#x without a pending proposal", p.Zxid)
			return
		}
		if f.uncommitted[0].Zxid != p.Zxid {
			f.protocolError("COMMIT %#x, next pending %#x", p.Zxid, f.uncommitted[0].Zxid)
			return
		}
		f.commit(f.uncommitted[0])
		f.uncommitted = f.uncommitted[1:]
	case Inform:
		if !f.observer {
			return // Follower.processPacket has no INFORM case
		}
		if !f.continuous(p.Zxid) {
			return
		}
		e := Entry{Zxid: p.Zxid, Data: p.Data}
		f.rd.Entries = append(f.rd.Entries, e)
		f.lastZxid = p.Zxid
		f.commit(e)
	case Revalidate:
		sid, valid, err := decodeRevalidateReply(p.Data)
		if err != nil {
			f.protocolError("%v", err)
			return
		}
		f.rd.Revalidated = append(f.rd.Revalidated, Revalidation{SessionID: sid, Valid: valid})
	case Sync:
		f.rd.Syncs = append(f.rd.Syncs, f.lastCommitted)
	case CommitAndActivate, InformAndActivate:
		f.stop(ErrUnsupported)
	default:
		// UPTODATE again and unknown types: logged and ignored upstream.
	}
}

// Persisted reports that the log is durable up to zxid. ACKs of the
// proposals up to there leave now ("a follower's ACK leaves only after its
// txn is synced"), and so does the NEWLEADER ACK waiting for them.
func (f *Learner) Persisted(zxid int64) {
	if f.phase == Looking || zxid <= f.persisted {
		return
	}
	f.persisted = zxid
	if f.newLeaderAckAt >= 0 && zxid >= f.newLeaderAckAt {
		f.ackNewLeader()
	}
	n := 0
	for n < len(f.needAck) && f.needAck[n] <= zxid {
		f.send(packet(Ack, f.needAck[n], nil))
		n++
	}
	f.needAck = f.needAck[n:]
}

// Forward sends a client write to the leader as REQUEST(-1, long
// sessionId, int cxid, int type, record bytes) with the session's auth ids
// (Learner.request).
func (f *Learner) Forward(r LearnerRequest) error {
	if f.phase != Broadcast {
		return fmt.Errorf("%w: learner is %v", ErrNotBroadcasting, f.phase)
	}
	f.send(zk.QuorumPacket{Type: int32(Request), Zxid: -1, Data: encodeRequest(r), AuthInfo: r.AuthInfo})
	return nil
}

// Revalidate asks the leader whether a session that reconnected here is
// still valid: REVALIDATE(-1, long sessionId, int timeout)
// (Learner.validateSession). The answer comes in Ready.Revalidated.
func (f *Learner) Revalidate(sessionID int64, timeout int32) error {
	if f.phase != Broadcast {
		return fmt.Errorf("%w: learner is %v", ErrNotBroadcasting, f.phase)
	}
	f.send(packet(Revalidate, -1, encodeRevalidate(sessionID, timeout)))
	return nil
}
