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
}

// Stats returns the leader's learner counts.
func (l *Leader) Stats() LeaderStats {
	var s LeaderStats
	for _, lr := range l.learners {
		s.Learners++
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
