package server

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/server/datatree"
	"github.com/zabd/zabd/server/session"
)

// Role is this server's place in an ensemble, as srvr's "Mode:" line names
// it. The quorum runtime sets it with SetRole; a server built by Run alone is
// Standalone.
type Role int32

// Roles.
const (
	RoleStandalone Role = iota
	RoleLooking         // electing: clients are refused
	RoleLeading
	RoleFollowing
	RoleObserving
)

func (r Role) String() string {
	switch r {
	case RoleStandalone:
		return "standalone"
	case RoleLooking:
		return "looking"
	case RoleLeading:
		return "leader"
	case RoleFollowing:
		return "follower"
	case RoleObserving:
		return "observer"
	}
	return fmt.Sprintf("Role(%d)", int32(r))
}

// learner reports whether the role forwards writes to a leader.
func (r Role) learner() bool { return r == RoleFollowing || r == RoleObserving }

// Replicator carries a leader's prepared txns into ZAB. The quorum runtime
// implements it. Its methods are called from the prep and final goroutines
// and must not block for long.
type Replicator interface {
	// Propose takes prepared txns in zxid order (each Data is TxnHeader +
	// record). The runtime proposes them, makes them durable locally, and
	// hands them back through Server.Commit once a quorum has them.
	Propose(entries []LogEntry)
	// SyncDone says a learner's forwarded sync has passed the final stage:
	// the runtime answers it with a SYNC packet (Leader.processSync).
	SyncDone(learner int64)
}

// Forwarder carries a learner's client writes to the leader as REQUEST
// packets. The quorum runtime implements it; Forward must not block.
type Forwarder interface {
	Forward(req ForwardedRequest)
}

// ForwardedRequest is a client write travelling from a learner to the
// leader: the request record as the client sent it, without RequestHeader.
type ForwardedRequest struct {
	Learner   int64 // the sending learner (set by the leader's runtime)
	SessionID int64
	Cxid      int32
	Type      zkproto.OpCode
	Data      []byte
	AuthInfo  []zkproto.Id

	// Revalidate makes this a REVALIDATE of SessionID with Timeout rather
	// than a request; the answer comes back through Server.Revalidated.
	// It travels in the requests' order.
	Revalidate bool
	Timeout    int32
}

// Touch is a session's activity reported to the leader.
type Touch struct {
	SessionID int64
	Timeout   int32
}

// EnsembleStats is what the quorum runtime reports for srvr, mntr and the
// AdminServer: the peer's ZAB state and, on a leader, its learners.
type EnsembleStats struct {
	// PeerState is QuorumPeer.getDetailedPeerState: "leading - broadcast",
	// "following - synchronization", ...
	PeerState  string
	QuorumSize int   // voting members
	LeaderID   int64 // the server a learner follows

	// Leader only.
	Learners, SyncedFollowers, SyncedNonVotingFollowers, SyncedObservers int
	PendingSyncs                                                         int
	LeadingSince                                                         time.Time
	// Proposal sizes in bytes (the marshalled QuorumPacket); -1 before the
	// first proposal.
	LastProposalSize, MinProposalSize, MaxProposalSize int64

	// ZabState is the ZAB phase in lower case, as the AdminServer's
	// zabstate names QuorumPeer.ZabState: "election", "discovery",
	// "synchronization" or "broadcast".
	ZabState string
	// Observers are a leader's observers that get its broadcast packets
	// (Leader.getObservingLearners), in id order.
	Observers []LearnerConn
	// ResetObserverStats clears the counters of Observers (the
	// AdminServer's orst); nil where there is nothing to reset. It must be
	// safe to call from any goroutine and must not block.
	ResetObserverStats func()
}

// LearnerConn is a leader's connection to one learner, as the
// AdminServer's observers command lists it (LearnerHandler).
type LearnerConn struct {
	ID          int64
	Remote      string    // "ip:port" of the learner's end
	Established time.Time // when the leader accepted it (or first saw it)
	// QueuedPackets and QueuedBytes are what waits to be written to it
	// (LearnerHandler's queue).
	QueuedPackets, QueuedBytes int64
	// Counts since the learner synced or the last reset: packets from it
	// after its NEWLEADER ACK, packets to it after LEADERINFO, and its
	// REQUESTs.
	PacketsReceived, PacketsSent, Requests int64
	// LastZxid is the zxid of the last packet sent that carried one (>0);
	// -1 after a reset until the next.
	LastZxid int64
}

// SetEnsembleStats installs the function the four-letter words and the
// AdminServer ask for the ensemble's state. It must be safe to call from
// any goroutine and must not block.
func (s *Server) SetEnsembleStats(fn func() EnsembleStats) { s.ensStats.Store(&fn) }

// ensembleStats returns the runtime's report, or false for a standalone
// server (or before the runtime installed its function).
func (s *Server) ensembleStats() (EnsembleStats, bool) {
	fn := s.ensStats.Load()
	if fn == nil {
		return EnsembleStats{}, false
	}
	return (*fn)(), true
}

// ensembleState is the current role with its replication hooks; replaced
// whole, read without locks.
type ensembleState struct {
	role  Role
	epoch int64
	rep   Replicator
	fwd   Forwarder
}

// waitKey identifies a client write awaiting its commit on this server.
type waitKey struct {
	session int64
	cxid    int32
}

// ensembleWaits are the writes of this server's clients that are on their
// way through ZAB, and the forwarded syncs, guarded by mu.
type ensembleWaits struct {
	mu       sync.Mutex
	byKey    map[waitKey]*request // learner: forwarded writes
	byZxid   map[int64]*request   // leader: proposed local writes
	syncs    []*request           // learner: forwarded syncs, oldest first
	touched  map[int64]int32      // learner: sessions active since the last TouchSnapshot
	reval    map[int64][]*conn    // learner: reconnects waiting for the leader's REVALIDATE answer
	barriers []barrier            // final-owned: syncs waiting for a zxid
}

type barrier struct {
	zxid    int64
	r       *request
	learner int64 // leader: a learner's sync to answer with SYNC
}

// finalItem is one unit of work for the final stage.
type finalItem struct {
	reqs    []*request // standalone: prepared, durable requests
	entries []LogEntry // ensemble: committed txns
	syncOK  bool       // learner: the leader answered the oldest forwarded sync
	barrier *barrier   // leader: a sync behind the proposals before it
	fn      func()     // RunInFinal
	done    chan struct{}
}

// Role returns the server's current role.
func (s *Server) Role() Role { return s.ens.Load().role }

// SetRole switches the server's role. Leaving a serving role closes every
// client connection (clients reconnect elsewhere, as when a ZooKeeper peer
// goes LOOKING) and forgets writes in flight; Leading starts zxids at
// epoch<<32. rep is required for Leading, fwd for Following and Observing.
// Call it when the data tree holds every committed txn (see RunInFinal).
func (s *Server) SetRole(role Role, epoch int64, rep Replicator, fwd Forwarder) {
	old := s.ens.Load()
	s.ens.Store(&ensembleState{role: role, epoch: epoch, rep: rep, fwd: fwd})
	s.log.Info("role", "from", old.role, "to", role, "epoch", epoch)
	if role != old.role || epoch != old.epoch {
		s.epochGen.Add(1)
		s.waits.mu.Lock()
		s.waits.byKey = map[waitKey]*request{}
		s.waits.byZxid = map[int64]*request{}
		s.waits.syncs = nil
		s.waits.touched = map[int64]int32{}
		s.waits.reval = map[int64][]*conn{}
		s.waits.mu.Unlock()
		if old.role != RoleStandalone && old.role != RoleLooking {
			s.closeAllClients()
		}
	}
	if role == RoleLeading || role.learner() {
		// The tree holds every txn before the new epoch: report epoch<<32
		// as the last zxid, as ZooKeeper's leader does once it starts
		// serving (Leader.startZkServer) and a learner synced by SNAP
		// does. Otherwise a sync before the epoch's first txn would wait
		// for one, and a client that saw epoch<<32 on one server would be
		// refused by another.
		if z := epoch << 32; s.applied.Load() < z {
			s.applied.Store(z)
		}
	}
	if role == RoleLeading && old.role != RoleLeading {
		// The leader now owns expiry. Its table's deadlines date from when
		// it applied each createSession or last saw a touch: give every
		// session a full timeout, as ZooKeeper's new leader builds its
		// SessionTracker from the database (ZooKeeperServer.startSessionTracker);
		// the learners' touches keep the live ones from then on.
		now := time.Now().UnixMilli()
		for id := range s.sessions.Snapshot() {
			s.sessions.Touch(id, now)
		}
		// Owners are claimed afresh by each session's next request or
		// revalidation, as a new leader's tracker starts without them.
		s.sessions.ClearOwners()
	}
}

func (s *Server) closeAllClients() {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		c.closeAfterFlush()
	}
}

// Commit hands committed txns (in zxid order) to the final stage, which
// applies them and answers this server's clients.
func (s *Server) Commit(entries []LogEntry) {
	s.finalQ.push(finalItem{entries: entries})
}

// SyncReply completes the oldest forwarded sync of this learner once every
// txn committed before it is applied (Ready.Syncs).
func (s *Server) SyncReply() { s.finalQ.push(finalItem{syncOK: true}) }

// RunInFinal runs fn on the final goroutine, between two commits, and waits
// for it: the runtime installs snapshots, rebuilds after TRUNC and fast-
// forwards the tree there.
func (s *Server) RunInFinal(fn func()) {
	done := make(chan struct{})
	s.finalQ.push(finalItem{fn: fn, done: done})
	<-done
}

// LastApplied returns the zxid of the last txn applied to the tree.
func (s *Server) LastApplied() int64 { return s.applied.Load() }

// SubmitForwarded runs a learner's forwarded write through this leader's
// prep stage as if its own client had sent it. A body that does not decode
// is dropped and logged (the learner's client times out and reconnects).
func (s *Server) SubmitForwarded(fr ForwardedRequest) {
	r := &request{session: fr.SessionID, xid: fr.Cxid, op: fr.Type, auth: fr.AuthInfo, learner: fr.Learner, remote: true}
	d := jute.NewDecoder(fr.Data, s.cfg.JuteMaxBuffer)
	switch fr.Type {
	case zkproto.OpCreateSession:
		r.timeout = d.Int32()
		s.sessions.Add(fr.SessionID, r.timeout, time.Now().UnixMilli())
	case zkproto.OpCloseSession:
	case zkproto.OpMulti:
		ops, kind, ok := decodeMulti(d)
		if !ok || kind&multiReads != 0 {
			d.Fail(errNotDecodable)
		}
		r.ops = ops
	default:
		if !isWrite(fr.Type) {
			d.Fail(fmt.Errorf("server: forwarded request of type %v", fr.Type))
		} else if rec := zkproto.NewRequest(fr.Type); rec != nil {
			rec.Decode(d)
			r.rec = rec
		}
	}
	if d.Err() != nil {
		s.log.Warn("dropping forwarded request", "learner", fr.Learner, "session", fmt.Sprintf("%#x", fr.SessionID), "type", fr.Type, "err", d.Err())
		return
	}
	s.submit(r)
}

// TouchSnapshot returns the sessions active on this learner since the last
// call, for the PING reply to the leader (ZooKeeperServer.getTouchSnapshot).
func (s *Server) TouchSnapshot() []Touch {
	s.waits.mu.Lock()
	defer s.waits.mu.Unlock()
	out := make([]Touch, 0, len(s.waits.touched))
	for id, to := range s.waits.touched {
		out = append(out, Touch{SessionID: id, Timeout: to})
	}
	clear(s.waits.touched)
	return out
}

// TouchSessions extends the expiry of sessions active on learners (leader).
func (s *Server) TouchSessions(ts []Touch) {
	now := time.Now().UnixMilli()
	for _, t := range ts {
		// An unknown or closing session stays as it is: Touch ignores it.
		s.sessions.Touch(t.SessionID, now)
	}
}

// WriteFuzzySnapshot stores a snapshot of the tree and sessions in dir,
// walked while the final stage goes on applying txns (see startSnapshots),
// and returns it. Call it from any goroutine, but not while the tree may be
// replaced (InstallSnapshot, ResetTree): stop, polled between chunks of the
// walk, ends it early with datatree.ErrSnapshotStopped.
func (s *Server) WriteFuzzySnapshot(dir *snapshot.Dir, stop func() bool) (snapshot.Meta, error) {
	return writeFuzzySnapshot(dir, s.tree, s.sessions.Snapshot, stop)
}

// WriteFuzzySyncSnapshot writes the tree and sessions as a leader streams
// them after a SNAP packet, walked as WriteFuzzySnapshot walks them, with
// the node records spooled in spool; it returns the zxid the walk began at.
// Every commit handed to the final stage before it is called is in the
// snapshot once the final stage has run (RunInFinal), and later ones may be
// in part, which the learner's replay of them absorbs.
func (s *Server) WriteFuzzySyncSnapshot(w io.Writer, spool datatree.Spool, stop func() bool) (int64, error) {
	f, err := s.tree.FuzzySnapshot(spool, s.sessions.Snapshot, stop)
	if err != nil {
		return 0, err
	}
	return f.Zxid, f.WriteSync(w)
}

// RevalidateSession answers a learner's REVALIDATE on the leader: whether
// id is a live session, whose expiry it then extends and whose owner
// becomes the learner (Leader.revalidateSession,
// ZooKeeperServer.checkIfValidGlobalSession): from then on requests of the
// session through any other server get SessionMoved.
func (s *Server) RevalidateSession(learner, id int64) bool {
	if !s.sessions.Touch(id, time.Now().UnixMilli()) {
		return false
	}
	return s.sessions.SetOwner(id, learner)
}

// awaitRevalidation parks a learner's reconnecting connection until the
// leader answers for its session.
func (s *Server) awaitRevalidation(c *conn) {
	c.mu.Lock()
	id := c.session
	c.mu.Unlock()
	s.waits.mu.Lock()
	s.waits.reval[id] = append(s.waits.reval[id], c)
	s.waits.mu.Unlock()
}

// Revalidated delivers the leader's answer to a REVALIDATE on a learner:
// the connections waiting to resume the session finish their handshake on
// their own event loops.
func (s *Server) Revalidated(id int64, valid bool) {
	s.waits.mu.Lock()
	cs := s.waits.reval[id]
	delete(s.waits.reval, id)
	s.waits.mu.Unlock()
	answer := revalidationInvalid
	if valid {
		answer = revalidationValid
	}
	for _, c := range cs {
		c.revalidation.Store(answer)
		_ = c.gc.Wake(nil)
	}
}

// resumeSession binds a reconnected session to c and sends the
// ConnectResponse.
func (s *Server) resumeSession(c *conn, hasReadOnly bool) {
	c.mu.Lock()
	id, timeout := c.session, c.timeout
	c.mu.Unlock()
	s.bindSession(id, c)
	c.writeConnectResponse(&zkproto.ConnectResponse{
		TimeOut: timeout, SessionID: id, Passwd: session.Password(id), HasReadOnly: hasReadOnly,
	})
}

// InstallSnapshot replaces the tree and the sessions with a snapshot read
// from r at zxid. Call it from RunInFinal.
func (s *Server) InstallSnapshot(r io.Reader, zxid int64) error {
	snap, err := datatree.ReadSnapshot(r, s.cfg.JuteMaxBuffer)
	if err != nil {
		return err
	}
	s.tree.Lock()
	s.tree.ReplaceWith(snap.Tree, zxid)
	s.setConfigNode()
	s.tree.Unlock()
	now := time.Now().UnixMilli()
	for id := range s.sessions.Snapshot() {
		s.sessions.Remove(id)
	}
	for id, to := range snap.Sessions {
		s.sessions.Add(id, to, now)
	}
	s.applied.Store(zxid)
	return nil
}

// ApplyLogged applies txns taken from the local log that the tree lacks
// (ZKDatabase.fastForwardDataBase after election, or a rebuild after TRUNC).
// Call it from RunInFinal. It fires no watches to clients' reply order beyond
// what apply always fires, and answers no client.
func (s *Server) ApplyLogged(entries []LogEntry) error {
	for _, e := range entries {
		if e.Zxid <= s.tree.LastZxid() {
			continue
		}
		hdr, txn, err := DecodeTxn(e.Data)
		if err != nil {
			return fmt.Errorf("server: logged txn %#x: %w", e.Zxid, err)
		}
		s.applySessionEffects(&hdr, txn)
		s.tree.Lock()
		s.tree.Apply(&hdr, txn)
		s.tree.Unlock()
		s.applied.Store(hdr.Zxid)
	}
	return nil
}

// ResetTree empties the tree (before replaying a truncated log). Call it from
// RunInFinal.
func (s *Server) ResetTree() {
	s.tree.Lock()
	s.tree.ReplaceWith(datatree.New(), 0)
	s.setConfigNode()
	s.tree.Unlock()
	for id := range s.sessions.Snapshot() {
		s.sessions.Remove(id)
	}
	s.applied.Store(0)
}

// setConfigNode puts the ensemble's configuration in /zookeeper/config
// after the tree was rebuilt; a standalone server leaves it empty. The
// caller holds the tree's write lock.
func (s *Server) setConfigNode() {
	if cfg := s.cfg.DynamicConfig(); cfg != "" {
		s.tree.SetConfig([]byte(cfg), time.Now().UnixMilli())
	}
}

// applySessionEffects keeps the session table in step with committed
// createSession and closeSession txns on every server of an ensemble.
func (s *Server) applySessionEffects(hdr *zkproto.TxnHeader, txn jute.Record) {
	switch hdr.Type {
	case zkproto.OpCreateSession:
		if x, ok := txn.(*zkproto.CreateSessionTxn); ok {
			s.sessions.Add(hdr.ClientID, x.N, time.Now().UnixMilli())
		}
	case zkproto.OpCloseSession:
		s.sessions.Remove(hdr.ClientID)
	}
}

// runFinalItem handles one item of the final queue.
func (s *Server) runFinalItem(it finalItem) {
	switch {
	case it.fn != nil:
		it.fn()
		close(it.done)
	case it.reqs != nil:
		for _, r := range it.reqs {
			s.finalize(r)
			s.stats.outstanding.Add(-1)
		}
	case it.entries != nil:
		for _, e := range it.entries {
			s.finalizeCommitted(e)
		}
	case it.syncOK:
		s.waits.mu.Lock()
		var r *request
		if len(s.waits.syncs) > 0 {
			r = s.waits.syncs[0]
			s.waits.syncs = s.waits.syncs[1:]
		}
		s.waits.mu.Unlock()
		if r != nil {
			s.finalize(r)
		}
	case it.barrier != nil:
		s.waits.barriers = append(s.waits.barriers, *it.barrier)
		s.releaseBarriers()
	}
}

// finalizeCommitted applies one committed txn and answers the client of
// this server that asked for it, if any.
func (s *Server) finalizeCommitted(e LogEntry) {
	hdr, txn, err := DecodeTxn(e.Data)
	if err != nil {
		// NB: a committed txn we cannot decode leaves this replica behind its
		// peers; ZooKeeper would fail the same way in deserializeTxn.
		panic(fmt.Sprintf("server: committed txn %#x does not decode: %v", e.Zxid, err))
	}
	if hdr.Zxid <= s.tree.LastZxid() {
		return // already applied (fast-forwarded from the log)
	}
	ens := s.ens.Load()
	s.waits.mu.Lock()
	var r *request
	if ens.role == RoleLeading {
		r = s.waits.byZxid[hdr.Zxid]
		delete(s.waits.byZxid, hdr.Zxid)
	} else {
		k := waitKey{hdr.ClientID, hdr.Cxid}
		r = s.waits.byKey[k]
		delete(s.waits.byKey, k)
	}
	s.waits.mu.Unlock()
	if r == nil {
		r = &request{session: hdr.ClientID, xid: hdr.Cxid, op: hdr.Type, internal: true}
		if hdr.Type == zkproto.OpError {
			r.op = zkproto.OpError
		}
	} else {
		s.stats.outstanding.Add(-1)
	}
	r.hdr, r.txn = hdr, txn
	if r.op == zkproto.OpCreateSession && r.timeout == 0 {
		if x, ok := txn.(*zkproto.CreateSessionTxn); ok {
			r.timeout = x.N
		}
	}
	s.finalize(r)
	s.releaseBarriers()
}

// releaseBarriers answers the syncs whose zxid has been applied.
func (s *Server) releaseBarriers() {
	applied := s.applied.Load()
	i := 0
	for ; i < len(s.waits.barriers); i++ {
		b := s.waits.barriers[i]
		if b.zxid > applied {
			break
		}
		if b.learner != 0 {
			if rep := s.ens.Load().rep; rep != nil {
				rep.SyncDone(b.learner)
			}
		} else if b.r != nil {
			s.finalize(b.r)
		}
	}
	s.waits.barriers = s.waits.barriers[i:]
}

// dropPrepared forgets writes that prep finished after this server stopped
// leading: they must reach neither the log nor the tree (SetRole closed
// their clients' connections).
func (s *Server) dropPrepared(batch []*request) {
	s.stats.outstanding.Add(-int64(len(batch)))
	s.log.Info("dropping writes prepared after leadership ended", "count", len(batch), "role", s.Role())
}

// forward sends a learner's client write to the leader, remembering it so
// that its commit answers the client. c.mu is held.
func (s *Server) forward(ens *ensembleState, r *request, body []byte) {
	s.stats.outstanding.Add(1)
	s.waits.mu.Lock()
	if r.op == zkproto.OpSync {
		s.waits.syncs = append(s.waits.syncs, r)
	} else {
		s.waits.byKey[waitKey{r.session, r.xid}] = r
	}
	s.waits.mu.Unlock()
	ens.fwd.Forward(ForwardedRequest{SessionID: r.session, Cxid: r.xid, Type: r.op, Data: body, AuthInfo: r.auth})
}

// noteTouch records a learner-side session touch for the leader.
func (s *Server) noteTouch(id int64, timeout int32) {
	s.waits.mu.Lock()
	s.waits.touched[id] = timeout
	s.waits.mu.Unlock()
}
