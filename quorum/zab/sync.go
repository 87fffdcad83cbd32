package zab

import (
	"slices"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// syncPackets chooses how to bring a learner whose last zxid is peer up to
// date, and returns the packets up to (not including) NEWLEADER and the last
// zxid they cover. It follows LearnerHandler.syncFollower and
// queueCommittedProposals, with the leader's committed history
// (Storage plus the committed proposals still in memory) standing for
// ZKDatabase's committedLog and on-disk txn log:
//
//   - peer == lastProcessedZxid: an empty DIFF(peer);
//   - peer above the last committed txn (and not an epoch's zero zxid): the
//     learner has txns nobody committed; TRUNC to the last committed txn —
//     if the learner's currentEpoch vouches that they are in its log (see
//     below), else SNAP;
//   - peer in the history, or an epoch's zero zxid (the learner had loaded a
//     SNAP of a new epoch): DIFF(last committed), then PROPOSAL+COMMIT for
//     every committed txn after peer;
//   - otherwise (peer purged from the log, or not in the history at all,
//     which TRUNC cannot fix across an epoch boundary): SNAP at
//     lastProcessedZxid.
//
// NB: TRUNC cannot undo txns that a learner holds in a snapshot, and a
// learner can hold uncommitted txns in one: the SNAP of a leader that failed
// before it was established (the learner installs it at NEWLEADER). Such a
// learner's currentEpoch is that leader's epoch, newer than the epoch of its
// last zxid. So TRUNC only when the learner's currentEpoch is its last
// zxid's epoch (its tail was logged from PROPOSALs) or this epoch (it synced
// with us); otherwise, or when it is unknown (an ACKEPOCH of -1 from a
// learner we never heard a currentEpoch from), SNAP. ZooKeeper sends TRUNC
// and its learner keeps the snapshot, diverging silently.
func (l *Leader) syncPackets(peer, currentEpoch int64) (pkts []zk.QuorumPacket, queued int64) {
	newEpochZxid := CounterOf(peer) == 0
	switch {
	case peer == l.lastCommitted:
		return []zk.QuorumPacket{packet(Diff, peer, nil)}, peer
	case peer > l.maxCommitted && !newEpochZxid:
		if currentEpoch != EpochOf(peer) && currentEpoch != l.epoch {
			break
		}
		return []zk.QuorumPacket{packet(Trunc, l.maxCommitted, nil)}, l.maxCommitted
	case peer <= l.maxCommitted:
		after := peer - 1 // include peer itself, to see whether we have it
		if newEpochZxid {
			after = peer
		}
		es, err := l.history(after, l.maxCommitted)
		if err != nil {
			break
		}
		if !newEpochZxid {
			if len(es) == 0 || es[0].Zxid != peer {
				// NB: with per-epoch counters that start at 1 and never
				// skip, the next txn after peer is of a later epoch here;
				// syncFollower sends SNAP then ("Cannot send TRUNC to peer
				// ... peer zxid is from different epoch").
				break
			}
			es = es[1:]
		}
		pkts = make([]zk.QuorumPacket, 0, 1+2*len(es))
		pkts = append(pkts, packet(Diff, l.maxCommitted, nil))
		queued = peer
		for _, e := range es {
			pkts = append(pkts, packet(Proposal, e.Zxid, e.Data), packet(Commit, e.Zxid, nil))
			queued = e.Zxid
		}
		return pkts, queued
	}
	return []zk.QuorumPacket{packet(Snap, l.lastCommitted, nil)}, l.lastCommitted
}

// history returns the committed txns with after < zxid <= upTo: from
// Storage up to what the leader's own log has made durable, then from the
// committed proposals in memory.
func (l *Leader) history(after, upTo int64) ([]Entry, error) {
	stored := min(upTo, l.persisted)
	var es []Entry
	if after < stored {
		var err error
		if es, err = l.cfg.Storage.Entries(after, stored); err != nil {
			return nil, err
		}
		es = slices.Clip(es) // appending below must not write into Storage's array
	}
	from := max(after, stored)
	for _, p := range l.props {
		if p.Zxid > upTo || !p.committed {
			break
		}
		if p.Zxid > from {
			es = append(es, p.Entry)
		}
	}
	return es, nil
}
