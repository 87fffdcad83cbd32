package zab

import (
	"errors"
	"fmt"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// Phase is where a Leader or Learner stands in the protocol (ZooKeeper's
// QuorumPeer.ZabState, plus Looking for "this instance is over").
type Phase uint8

// The phases. The zero Phase means "unchanged" in a Ready.
const (
	// Discovery: the leader collects FOLLOWERINFO and ACKEPOCH from a quorum;
	// the learner has sent FOLLOWERINFO and waits for LEADERINFO.
	Discovery Phase = iota + 1
	// Synchronization: DIFF/TRUNC/SNAP, then NEWLEADER and its ACKs.
	Synchronization
	// Broadcast: the leader is established (a quorum acknowledged
	// NEWLEADER); the learner got UPTODATE and serves clients.
	Broadcast
	// Looking: the instance gave up (Ready.Err says why). The runtime drops
	// it, closes its connections and goes back to leader election.
	Looking
)

func (p Phase) String() string {
	switch p {
	case 0:
		return "NONE"
	case Discovery:
		return "DISCOVERY"
	case Synchronization:
		return "SYNCHRONIZATION"
	case Broadcast:
		return "BROADCAST"
	case Looking:
		return "LOOKING"
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

// Errors carried in Ready.Err (with Phase Looking) and Disconnect.Err, and
// returned by Propose, Forward and Revalidate. Test with errors.Is.
var (
	// ErrTimeout: the leader did not get a quorum of FOLLOWERINFO,
	// ACKEPOCH or NEWLEADER ACKs within initLimit ticks
	// (Leader.getEpochToPropose, waitForEpochAck, waitForNewLeaderAck).
	ErrTimeout = errors.New("zab: timed out waiting for a quorum")
	// ErrQuorumLost: the established leader has no quorum of live
	// followers (Leader.lead: "Not sufficient followers synced").
	ErrQuorumLost = errors.New("zab: not sufficient followers synced")
	// ErrLeaderLost: no packet from the leader within initLimit ticks
	// (before the NEWLEADER ACK) or syncLimit ticks (after) — the learner's
	// socket timeout.
	ErrLeaderLost = errors.New("zab: no packet from the leader in time")
	// ErrEpochBehind: LEADERINFO carried an epoch below our acceptedEpoch
	// (Learner.registerWithLeader).
	ErrEpochBehind = errors.New("zab: leader's epoch is less than accepted epoch")
	// ErrLearnerAhead: a learner's ACKEPOCH is more recent than the leader
	// (Leader.waitForEpochAck: "Follower is ahead of the leader").
	ErrLearnerAhead = errors.New("zab: follower is ahead of the leader")
	// ErrConfigAhead: a learner has a later activated configuration
	// (LearnerHandler.run).
	ErrConfigAhead = errors.New("zab: follower is ahead of the leader (has a later activated configuration)")
	// ErrProtocol: a packet that the protocol does not allow here.
	ErrProtocol = errors.New("zab: unexpected packet")
	// ErrLearnerTimeout: a learner sent nothing, or did not ACK a proposal,
	// within its limit (LearnerHandler.synced, SyncLimitCheck).
	ErrLearnerTimeout = errors.New("zab: learner timed out")
	// ErrTruncateSnapshot: TRUNC to a zxid older than our newest durable
	// snapshot, which a log truncation cannot undo.
	ErrTruncateSnapshot = errors.New("zab: cannot truncate below the snapshot")
	// ErrZxidRollover: the counter of the zxid reached 0xffffffff; the leader
	// steps down to start a new epoch (Leader.propose, ZOOKEEPER-1277).
	ErrZxidRollover = errors.New("zab: zxid lower 32 bits have rolled over")
	// ErrUnsupported: COMMITANDACTIVATE / INFORMANDACTIVATE (dynamic
	// reconfiguration is not supported).
	ErrUnsupported = errors.New("zab: dynamic reconfiguration is not supported")
	// ErrNotBroadcasting: Propose, Forward or Revalidate outside Broadcast.
	ErrNotBroadcasting = errors.New("zab: not in broadcast phase")
)

// Entry is one txn: its zxid and its bytes, opaque to this package
// (TxnHeader + txn record + optional TxnDigest, as p/Util.marshallTxnEntry
// lays them out; the TxnHeader's zxid must equal Zxid).
type Entry struct {
	Zxid int64
	Data []byte
}

// Message is a packet to send to one peer. The runtime writes
// Packet with BinaryOutputArchive.writeRecord's layout (zkproto.QuorumPacket
// Encode, no length prefix) on the connection to To.
//
// NB: a SNAP packet is followed on the wire by a snapshot of the data tree
// (sessions, tree, then the string "BenWasHere"; PROTOCOL.md §2.6) that
// holds every txn up to and including Packet.Zxid, before any later message
// to To. The snapshot may hold later txns too (ZooKeeper's is fuzzy); the
// txns after Packet.Zxid follow it and must be idempotent.
type Message struct {
	To     int64
	Packet zk.QuorumPacket
}

// Snapshot is a snapshot received with SNAP: its zxid and its bytes, opaque
// to this package.
type Snapshot struct {
	Zxid int64
	Data []byte
}

// LearnerRequest is a client request that a learner forwards to the leader
// in a REQUEST packet: the leader's prep stage runs it as if its own client
// had sent it.
type LearnerRequest struct {
	From      int64 // the learner (leader side only)
	SessionID int64
	Cxid      int32
	Type      zk.OpCode
	Data      []byte // the request record, without RequestHeader
	AuthInfo  []zk.Id
}

// Touch says a session was active on a learner; the leader's session
// tracker extends its expiry (ZooKeeperServer.touch).
type Touch struct {
	SessionID int64
	Timeout   int32
}

// Revalidation is a session revalidation: on the leader a learner's
// question (Learner, SessionID, Timeout), on the learner the leader's answer
// (SessionID, Valid).
type Revalidation struct {
	Learner   int64
	SessionID int64
	Timeout   int32
	Valid     bool
}

// Disconnect asks the runtime to close the connection to a learner.
type Disconnect struct {
	ID  int64
	Err error
}

// Ready is the output of a Leader or Learner since the previous Ready.
//
// The runtime handles each Ready completely, and Readys in the order they
// come, doing these steps in this order:
//
//  1. Snapshot (learner): replace the data tree with it and discard the
//     whole txn log, durably; the last zxid is now Snapshot.Zxid.
//  2. Truncate (learner): durably drop every log entry with a zxid above
//     TruncateZxid, and rebuild the data tree from the snapshot and the
//     remaining log (ZKDatabase.truncateLog). The snapshot stays, even if it
//     is named by a higher epoch's zero zxid (its txns are all older).
//  3. AcceptedEpoch, then CurrentEpoch, when non-zero: write them durably
//     (the acceptedEpoch and currentEpoch files).
//  4. Entries: append to the txn log in order. They need not be synced
//     yet: sync in batches and report with Persisted(zxid).
//  5. Messages: send, in order per peer — only after steps 1–3 are durable
//     ("persist BEFORE sending", as in etcd-io/raft). Nothing in Messages
//     depends on step 4 being durable: a follower's ACK of a proposal, and
//     its ACK of NEWLEADER after synced txns, leave only in a Ready that
//     follows the Persisted call covering them.
//  6. Committed: apply to the data tree in order, after steps 1–2. This
//     may run before the entries' sync completes (they are durable on a
//     quorum), but never reorders.
//  7. The rest: hand Requests to prep, Touches to the session tracker,
//     answer Revalidate with Leader.Revalidated, complete Syncs and
//     Revalidated on the learner's client connections, close Disconnect.
//
// When Phase is Looking the instance is over: do steps 1–7, then close its
// connections and go back to leader election.
type Ready struct {
	Phase Phase // non-zero when the phase changed
	Err   error // why, when Phase is Looking

	Snapshot     *Snapshot // learner: install (step 1)
	Truncate     bool      // learner: truncate the log (step 2)
	TruncateZxid int64

	AcceptedEpoch int64 // non-zero: persist (step 3)
	CurrentEpoch  int64 // non-zero: persist after AcceptedEpoch (step 3)

	Entries   []Entry   // append to the log (step 4)
	Messages  []Message // send (step 5)
	Committed []Entry   // apply, in zxid order (step 6)

	// Leader only.
	Requests   []LearnerRequest // REQUEST packets, for prep
	Touches    []Touch          // from learners' PING replies
	Revalidate []Revalidation   // to answer with Leader.Revalidated (no SessionValidator)
	Disconnect []Disconnect     // learners to drop

	// Learner only.
	Revalidated []Revalidation // the leader's answers to Learner.Revalidate
	// Syncs holds one zxid per SYNC packet: a forwarded sync request
	// completes once every txn up to that zxid is applied.
	Syncs []int64
}

// empty reports whether r carries nothing.
func (r *Ready) empty() bool {
	return r.Phase == 0 && r.Snapshot == nil && !r.Truncate && r.AcceptedEpoch == 0 &&
		r.CurrentEpoch == 0 && len(r.Entries) == 0 && len(r.Messages) == 0 &&
		len(r.Committed) == 0 && len(r.Requests) == 0 && len(r.Touches) == 0 &&
		len(r.Revalidate) == 0 && len(r.Disconnect) == 0 && len(r.Revalidated) == 0 &&
		len(r.Syncs) == 0
}
