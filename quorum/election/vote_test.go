package election

import (
	"math"
	"testing"
)

// weights is a Verifier with explicit weights (QuorumHierarchical-like), for
// the weight-0 rule.
type weights struct {
	Majority
	w map[int64]int64
}

func (w weights) Weight(sid int64) int64 { return w.w[sid] }

func TestTotalOrderPredicate(t *testing.T) {
	maj := NewMajority(1, 2, 3)
	type v struct{ id, zxid, epoch int64 }
	tests := []struct {
		name     string
		q        Verifier
		new, cur v
		want     bool
	}{
		{"higher epoch wins over higher zxid and sid", maj, v{1, 0x100000001, 2}, v{3, 0x1000000ff, 1}, true},
		{"lower epoch loses to anything", maj, v{3, 0x2ffffffff, 1}, v{1, 0x100000000, 2}, false},
		{"same epoch higher zxid", maj, v{1, 0x100000006, 1}, v{3, 0x100000005, 1}, true},
		{"same epoch lower zxid", maj, v{3, 0x100000004, 1}, v{1, 0x100000005, 1}, false},
		{"same epoch zxid higher sid", maj, v{3, 5, 1}, v{2, 5, 1}, true},
		{"same epoch zxid lower sid", maj, v{1, 5, 1}, v{2, 5, 1}, false},
		{"identical vote does not win", maj, v{2, 5, 1}, v{2, 5, 1}, false},
		{"anything beats an observer's initial vote", maj, v{1, -1, -1}, v{math.MinInt64, math.MinInt64, math.MinInt64}, true},
		{"zxid compares signed", maj, v{1, -1, 1}, v{1, 0, 1}, false},
		// The peer epoch is compared before the zxid, even when the zxid's
		// own epoch bits say otherwise.
		{"peer epoch not zxid epoch", maj, v{1, 0x100000000, 3}, v{2, 0x500000000, 2}, true},
		{"QuorumMaj weighs non-members 1", maj, v{9, 5, 1}, v{2, 5, 1}, true},
		{"weight 0 never wins", weights{maj, map[int64]int64{1: 1, 2: 1, 3: 0}}, v{3, 99, 9}, v{1, 0, 0}, false},
		{"weight 0 current loses", weights{maj, map[int64]int64{1: 1, 2: 1, 3: 0}}, v{1, 0, 0}, v{3, 99, 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := totalOrderPredicate(tt.q, tt.new.id, tt.new.zxid, tt.new.epoch, tt.cur.id, tt.cur.zxid, tt.cur.epoch)
			if got != tt.want {
				t.Errorf("totalOrderPredicate(new %+v, cur %+v) = %v, want %v", tt.new, tt.cur, got, tt.want)
			}
		})
	}
}

func TestVoteEqual(t *testing.T) {
	look := Vote{Leader: 3, Zxid: 5, ElectionEpoch: 2, PeerEpoch: 1, State: Looking}
	tests := []struct {
		name string
		a, b Vote
		want bool
	}{
		{"looking identical", look, look, true},
		{"looking differs in zxid", look, Vote{Leader: 3, Zxid: 6, ElectionEpoch: 2, PeerEpoch: 1}, false},
		{"looking differs in round", look, Vote{Leader: 3, Zxid: 5, ElectionEpoch: 3, PeerEpoch: 1}, false},
		{"looking differs in peer epoch", look, Vote{Leader: 3, Zxid: 5, ElectionEpoch: 2, PeerEpoch: 2}, false},
		{"looking vs following compares all", look, Vote{Leader: 3, Zxid: 5, ElectionEpoch: 2, PeerEpoch: 1, State: Following, Version: 2}, true},
		{"looking vs following differing zxid", look, Vote{Leader: 3, Zxid: 7, ElectionEpoch: 2, PeerEpoch: 1, State: Following, Version: 2}, false},
		{"out of election ignores zxid and round", Vote{Leader: 3, Zxid: 5, ElectionEpoch: 2, PeerEpoch: 4, State: Following, Version: 2},
			Vote{Leader: 3, Zxid: 9, ElectionEpoch: 7, PeerEpoch: 4, State: Leading, Version: 2}, true},
		{"out of election compares peer epoch", Vote{Leader: 3, PeerEpoch: 4, State: Following, Version: 2},
			Vote{Leader: 3, PeerEpoch: 5, State: Leading, Version: 2}, false},
		{"mixed versions compare leader only (ZOOKEEPER-1732)", Vote{Leader: 3, PeerEpoch: 4, State: Following, Version: 0},
			Vote{Leader: 3, PeerEpoch: 5, State: Leading, Version: 2}, true},
		{"mixed versions different leader", Vote{Leader: 2, State: Following}, Vote{Leader: 3, State: Following, Version: 2}, false},
		{"both version 0 compare peer epoch", Vote{Leader: 3, PeerEpoch: 4, State: Following}, Vote{Leader: 3, PeerEpoch: 5, State: Following}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("%+v.Equal(%+v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("%+v.Equal(%+v) = %v, want %v", tt.b, tt.a, got, tt.want)
			}
		})
	}
}
