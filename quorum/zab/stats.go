package zab

// LeaderStats counts a leader's learners as ZooKeeper's mntr reports them.
type LeaderStats struct {
	// Learners is every learner connection, synced or not
	// (Leader.getLearners).
	Learners int
	// The learners that get broadcast packets (Leader.getForwardingFollowers
	// and getObservingLearners): followers, the non-voting ones among
	// them, and observers.
	SyncedFollowers, SyncedNonVotingFollowers, SyncedObservers int
	// PendingSyncs is the learners' syncs waiting for a commit.
	PendingSyncs int
	// Each is every learner, in id order.
	Each []LearnerStats
}

// LearnerStats is one learner as the leader's LearnerHandler counts it
// (getLearnerHandlerInfo): the AdminServer's observers command lists them.
type LearnerStats struct {
	ID       int64
	Observer bool
	// Synced learners get broadcast packets.
	Synced bool
	// Sent counts the packets to it after LEADERINFO; Received the
	// packets from it after its NEWLEADER ACK; Requests its REQUESTs.
	Sent, Received, Requests int64
	// LastZxid is the zxid of the last packet sent to it that carried
	// one (> 0), -1 before.
	LastZxid int64
}

// Stats returns the leader's learner counts.
func (l *Leader) Stats() LeaderStats {
	var s LeaderStats
	for _, id := range l.ids {
		lr := l.learners[id]
		s.Learners++
		s.Each = append(s.Each, LearnerStats{
			ID: lr.id, Observer: lr.observer, Synced: lr.forwarding(),
			Sent: lr.sent, Received: lr.received, Requests: lr.requests, LastZxid: lr.lastSentZxid,
		})
		if !lr.forwarding() {
			continue
		}
		switch {
		case lr.observer:
			s.SyncedObservers++
		case !lr.voter:
			s.SyncedFollowers++
			s.SyncedNonVotingFollowers++
		default:
			s.SyncedFollowers++
		}
	}
	for _, ids := range l.pendingSyncs {
		s.PendingSyncs += len(ids)
	}
	return s
}
