package election

import (
	"fmt"
	"slices"
)

// Vote is a proposal for leader, as a peer holds it in its vote tables and as
// QuorumPeer keeps its current vote. Counterpart: quorum.Vote.
type Vote struct {
	Leader        int64 // proposed leader sid (Vote.id)
	Zxid          int64 // proposed leader's last logged zxid
	ElectionEpoch int64 // logical clock of the round the vote was cast in
	PeerEpoch     int64 // proposed leader's epoch
	State         ServerState
	// Version is the notification format version the vote arrived with; only
	// votes of FOLLOWING and LEADING peers keep it (see Equal).
	Version int32
}

func (v Vote) String() string {
	return fmt.Sprintf("(%d, %#x, %#x)", v.Leader, v.Zxid, v.PeerEpoch)
}

// Equal is quorum.Vote.equals, the relation by which votes are counted.
// If either vote is LOOKING all four numbers must match. Votes of peers out of
// election (FOLLOWING, LEADING, OBSERVING) compare leader and peer epoch
// only, since their zxid and election epoch drift (ZOOKEEPER-1805); and only
// the leader when exactly one of them has a version > 0, for ensembles that
// mix servers with and without ZOOKEEPER-1732.
func (v Vote) Equal(o Vote) bool {
	if v.State == Looking || o.State == Looking {
		return v.Leader == o.Leader && v.Zxid == o.Zxid &&
			v.ElectionEpoch == o.ElectionEpoch && v.PeerEpoch == o.PeerEpoch
	}
	if (v.Version > 0) != (o.Version > 0) {
		return v.Leader == o.Leader
	}
	return v.Leader == o.Leader && v.PeerEpoch == o.PeerEpoch
}

// Verifier is what the election needs to know of the ensemble's membership:
// the voters, whether a set of them is a quorum, and the weights.
// Counterpart: flexible.QuorumVerifier (QuorumMaj, QuorumHierarchical).
type Verifier interface {
	// Voters returns the voting members' sids in ascending order.
	Voters() []int64
	// Weight returns sid's weight; a candidate of weight 0 never wins
	// (totalOrderPredicate). QuorumMaj gives every sid weight 1, members or not.
	Weight(sid int64) int64
	// ContainsQuorum reports whether acks, distinct voters, form a quorum.
	ContainsQuorum(acks []int64) bool
}

// Majority is the majority verifier over a set of voters, as QuorumMaj:
// more than half of the voters form a quorum, and every sid has weight 1.
type Majority []int64

// NewMajority returns the majority verifier of voters, sorted and deduplicated.
func NewMajority(voters ...int64) Majority {
	m := slices.Clone(voters)
	slices.Sort(m)
	return Majority(slices.Compact(m))
}

// Voters returns the voters in ascending order.
func (m Majority) Voters() []int64 { return m }

// Weight is 1 for every sid, as QuorumMaj.getWeight.
func (m Majority) Weight(int64) int64 { return 1 }

// ContainsQuorum reports whether acks hold more than half of the voters.
func (m Majority) ContainsQuorum(acks []int64) bool { return len(acks) > len(m)/2 }

// totalOrderPredicate reports whether the vote (newID, newZxid, newEpoch)
// beats (curID, curZxid, curEpoch): a higher peer epoch, then a higher zxid,
// then a higher sid wins; a candidate of weight 0 never wins.
// Counterpart: FastLeaderElection.totalOrderPredicate.
func totalOrderPredicate(q Verifier, newID, newZxid, newEpoch, curID, curZxid, curEpoch int64) bool {
	if q.Weight(newID) == 0 {
		return false
	}
	if newEpoch != curEpoch {
		return newEpoch > curEpoch
	}
	if newZxid != curZxid {
		return newZxid > curZxid
	}
	return newID > curID
}
