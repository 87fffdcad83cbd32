package quorum

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server"
)

// statsBox holds the ensemble report the server's four-letter words read:
// the loop publishes it, any goroutine loads it.
type statsBox struct {
	v       atomic.Pointer[server.EnsembleStats]
	install sync.Once

	mu        sync.Mutex
	sizesTerm *term // the leadership the proposal sizes belong to
	last      int64
	min, max  int64
}

// proposed records the sizes of a leader's proposals (Leader.propose's
// proposalStats: the txn's bytes).
func (b *statsBox) proposed(t *term, entries []server.LogEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sizesTerm != t {
		b.sizesTerm, b.last, b.min, b.max = t, -1, -1, -1
	}
	for _, e := range entries {
		n := int64(len(e.Data))
		b.last = n
		if b.min < 0 || n < b.min {
			b.min = n
		}
		if n > b.max {
			b.max = n
		}
	}
}

func (b *statsBox) load() server.EnsembleStats {
	if v := b.v.Load(); v != nil {
		return *v
	}
	return server.EnsembleStats{PeerState: "looking - election"}
}

// publishStats builds the report from the current term (the loop calls
// it every ZAB tick and when the role changes).
func (p *peer) publishStats() {
	st := server.EnsembleStats{QuorumSize: len(p.voters), LastProposalSize: -1, MinProposalSize: -1, MaxProposalSize: -1}
	t := p.t
	state, phase := "looking", "election"
	if t != nil {
		st.LeaderID = t.leaderID
		var ph zab.Phase
		switch {
		case t.zl != nil:
			state, ph = "leading", t.zl.Phase()
			ls := t.zl.Stats()
			st.Learners, st.SyncedFollowers, st.SyncedObservers = ls.Learners, ls.SyncedFollowers, ls.SyncedObservers
			st.SyncedNonVotingFollowers, st.PendingSyncs = ls.SyncedNonVotingFollowers, ls.PendingSyncs
			st.LeadingSince = t.began
			p.in.stats.mu.Lock()
			if p.in.stats.sizesTerm == t {
				st.LastProposalSize, st.MinProposalSize, st.MaxProposalSize = p.in.stats.last, p.in.stats.min, p.in.stats.max
			}
			p.in.stats.mu.Unlock()
		case t.zf != nil:
			state, ph = "following", t.zf.Phase()
			if t.role == server.RoleObserving {
				state = "observing"
			}
		}
		if ph >= zab.Discovery && ph <= zab.Broadcast {
			phase = strings.ToLower(ph.String())
		}
	}
	st.PeerState = state + " - " + phase
	p.in.stats.v.Store(&st)
	p.in.stats.install.Do(func() { p.srv.SetEnsembleStats(p.in.stats.load) })
}
