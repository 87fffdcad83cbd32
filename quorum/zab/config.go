package zab

import (
	"errors"
	"fmt"
)

// Config configures a Leader (Lead) or a Learner (Follow, Observe). The
// epochs and zxids describe this server's durable state when the instance
// starts.
type Config struct {
	// ID is this server's id (myid).
	ID int64
	// Voters are the participants of the ensemble, this server included if
	// it is one. A quorum is a majority of them. Observers are not listed:
	// a learner is an observer when it says so with OBSERVERINFO.
	Voters []int64

	// InitLimit is how many ticks discovery and synchronisation may take:
	// the leader's wait for each quorum (FOLLOWERINFO, ACKEPOCH, NEWLEADER
	// ACK), and a learner's patience with a silent leader until it has
	// acknowledged NEWLEADER. Default 10 (zoo.cfg initLimit has none).
	InitLimit int
	// SyncLimit is how many ticks a peer may stay silent once synchronised:
	// a learner whose leader sends nothing for longer gives up; a leader
	// drops a learner that neither answers pings nor ACKs a proposal within
	// it, and steps down without a quorum of live followers. Default 5.
	SyncLimit int

	// AcceptedEpoch and CurrentEpoch are the persisted epochs
	// (QuorumPeer.getAcceptedEpoch, getCurrentEpoch).
	AcceptedEpoch int64
	CurrentEpoch  int64
	// LastZxid is the last zxid of the persisted data: the larger of the
	// newest snapshot's zxid and the txn log's last zxid
	// (QuorumPeer.getLastLoggedZxid). The data tree reflects every txn up to
	// it, as ZooKeeper's loadData and fastForwardDataBase replay the whole
	// log: nothing in Ready.Committed is at or below it.
	LastZxid int64
	// SnapshotZxid is the zxid of the newest durable snapshot. A learner
	// refuses TRUNC below it (ErrTruncateSnapshot).
	SnapshotZxid int64
	// ConfigVersion is the version of the ensemble configuration, sent in
	// LearnerInfo; a leader drops learners with a newer one. 0 without
	// dynamic reconfiguration.
	ConfigVersion int64

	// Leader only.

	// Storage reads the leader's log for DIFF. Required by Lead.
	Storage Storage
	// ConfigData is the NEWLEADER payload: the dynamic configuration text
	// (Leader.getQuorumVerifierBytes). A Java learner parses it when it is
	// longer than one byte.
	ConfigData []byte
	// Sessions answers REVALIDATE at once; when nil, REVALIDATE is surfaced
	// in Ready.Revalidate and answered with Leader.Revalidated.
	Sessions SessionValidator

	// Learner only.

	// LeaderID is the server this learner follows or observes.
	LeaderID int64
	// Touches supplies the session touches a learner piggy-backs on its
	// PING replies; nil sends empty replies.
	Touches TouchSource
}

func (c *Config) withDefaults() Config {
	cc := *c
	if cc.InitLimit <= 0 {
		cc.InitLimit = 10
	}
	if cc.SyncLimit <= 0 {
		cc.SyncLimit = 5
	}
	return cc
}

// ErrCompacted is what Storage.Entries returns when the log no longer holds
// every entry after the zxid asked for (it was purged behind a snapshot).
var ErrCompacted = errors.New("zab: log compacted")

// Storage is the leader's read-only view of its own txn log, used to bring
// learners up to date with DIFF. It holds every entry up to the last zxid
// the runtime reported with Persisted (and the log the leader started with).
// The leader reads it synchronously on its own goroutine.
type Storage interface {
	// Entries returns the log entries with after < zxid <= upTo, in zxid
	// order. It returns ErrCompacted when after is older than the snapshot
	// the retained log starts from, so that entries may be missing. The
	// leader does not modify the result.
	Entries(after, upTo int64) ([]Entry, error)
}

// SessionValidator answers a learner's REVALIDATE on the leader: whether
// sessionID is a valid global session, and if so it records learner as the
// session's owner (ZooKeeperServer.checkIfValidGlobalSession, setOwner). It
// runs on the leader's goroutine and must not block.
type SessionValidator interface {
	Revalidate(learner, sessionID int64, timeout int32) bool
}

// TouchSource hands a learner the sessions touched since the previous call
// (ZooKeeperServer.getTouchSnapshot). It runs on the learner's goroutine and
// must not block.
type TouchSource interface {
	TouchSnapshot() []Touch
}

// majority is the majority quorum verifier of Config.Voters
// (QuorumMaj.containsQuorum).
type majority map[int64]bool

func newMajority(voters []int64) majority {
	m := make(majority, len(voters))
	for _, v := range voters {
		m[v] = true
	}
	return m
}

func (m majority) isVoter(id int64) bool { return m[id] }

// containsQuorum reports whether more than half the voters are in set.
func (m majority) containsQuorum(set map[int64]bool) bool {
	n := 0
	for id, ok := range set {
		if ok && m[id] {
			n++
		}
	}
	return n > len(m)/2
}

func (c *Config) check(role string) error {
	if len(c.Voters) == 0 {
		return fmt.Errorf("zab: %s: no voters", role)
	}
	if c.AcceptedEpoch < c.CurrentEpoch {
		return fmt.Errorf("zab: %s: acceptedEpoch %d < currentEpoch %d", role, c.AcceptedEpoch, c.CurrentEpoch)
	}
	return nil
}
