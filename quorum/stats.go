package quorum

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server"
)

// statsBox holds the ensemble report the server's four-letter words and
// AdminServer read: the loop publishes it, any goroutine loads it.
type statsBox struct {
	v       atomic.Pointer[server.EnsembleStats]
	install sync.Once

	// mu guards the fields below, and the publishing of v by the loop
	// (so that an orst between two publications is not undone).
	mu        sync.Mutex
	sizesTerm *term // the leadership the proposal sizes belong to
	last      int64
	min, max  int64
	// conns marks a leader's learner connections: when the loop first saw
	// each, and its counters at the last orst.
	conns    map[*link]*connMark
	resetDue bool // an orst the next publication applies
}

type connMark struct {
	since time.Time
	base  zab.LearnerStats // counters at the last orst
	reset bool             // an orst happened since the connection synced
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
	return server.EnsembleStats{PeerState: "looking - election", ZabState: "election"}
}

// resetObservers is the AdminServer's orst (Leader.resetObserverConnectionStats):
// the report shows zeroed counters at once, and the next publication takes
// the counters it then finds as the new base.
func (b *statsBox) resetObservers() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resetDue = true
	v := b.v.Load()
	if v == nil || len(v.Observers) == 0 {
		return
	}
	c := *v
	c.Observers = slices.Clone(v.Observers)
	for i := range c.Observers {
		o := &c.Observers[i]
		o.PacketsReceived, o.PacketsSent, o.Requests, o.LastZxid = 0, 0, 0, -1
	}
	b.v.Store(&c)
}

// publishStats builds the report from the current term (the loop calls
// it every ZAB tick and when the role changes).
func (p *peer) publishStats() {
	st := server.EnsembleStats{QuorumSize: len(p.voters), LastProposalSize: -1, MinProposalSize: -1, MaxProposalSize: -1}
	b := &p.in.stats
	st.ResetObserverStats = b.resetObservers
	b.mu.Lock()
	defer b.mu.Unlock()
	t := p.t
	state, phase := "looking", "election"
	var ls zab.LeaderStats
	if t != nil {
		st.LeaderID = t.leaderID
		var ph zab.Phase
		switch {
		case t.zl != nil:
			state, ph = "leading", t.zl.Phase()
			ls = t.zl.Stats()
			st.Learners, st.SyncedFollowers, st.SyncedObservers = ls.Learners, ls.SyncedFollowers, ls.SyncedObservers
			st.SyncedNonVotingFollowers, st.PendingSyncs = ls.SyncedNonVotingFollowers, ls.PendingSyncs
			st.LeadingSince = t.began
			if b.sizesTerm == t {
				st.LastProposalSize, st.MinProposalSize, st.MaxProposalSize = b.last, b.min, b.max
			}
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
	st.ZabState = phase
	st.Observers = b.observers(t, ls.Each)
	b.v.Store(&st)
	b.install.Do(func() { p.srv.SetEnsembleStats(b.load) })
}

// observers lists a leader's synced observers with their connections'
// statistics, and keeps the marks of t's links. Caller holds b.mu.
//
// NB: a connection's established time is when the loop first saw its link
// at a publication, up to one ZAB tick after the accept that ZooKeeper
// stamps. Nothing is reported as queued: the loop writes a learner's
// packets straight to its socket, and only a learner that reads slowly
// leaves a backlog with its link's writer.
func (b *statsBox) observers(t *term, each []zab.LearnerStats) []server.LearnerConn {
	var links map[int64]*link
	if t != nil {
		links = t.links
	}
	if b.conns == nil {
		b.conns = map[*link]*connMark{}
	}
	now := time.Now()
	for _, lk := range links {
		if b.conns[lk] == nil {
			b.conns[lk] = &connMark{since: now}
		}
	}
	for lk := range b.conns {
		if links[lk.id] != lk {
			delete(b.conns, lk)
		}
	}
	var out []server.LearnerConn
	for _, ls := range each {
		lk := links[ls.ID]
		if lk == nil {
			continue
		}
		m := b.conns[lk]
		if b.resetDue {
			m.base, m.reset = ls, true
		}
		if !ls.Observer || !ls.Synced {
			continue
		}
		c := server.LearnerConn{
			ID:              ls.ID,
			Established:     m.since,
			PacketsReceived: ls.Received - m.base.Received,
			PacketsSent:     ls.Sent - m.base.Sent,
			Requests:        ls.Requests - m.base.Requests,
			LastZxid:        ls.LastZxid,
		}
		if a := lk.conn.RemoteAddr(); a != nil {
			c.Remote = a.String()
		}
		if m.reset && ls.Sent == m.base.Sent {
			c.LastZxid = -1 // nothing sent since the orst
		}
		out = append(out, c)
	}
	b.resetDue = false
	return out
}
