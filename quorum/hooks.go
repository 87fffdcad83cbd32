package quorum

import (
	"sync"

	"github.com/zabd/zabd/server"
)

// inbox carries the server's calls into the peer's loop: a leader's
// proposals and finished syncs (server.Replicator), a learner's forwarded
// requests (server.Forwarder). The server calls them from its prep, final
// and event-loop goroutines, which must not block, so add never blocks:
// the items wait in slices that the loop takes whole on each signal.
//
// NB: the slices are not bounded here. The server bounds what can be in
// flight (globalOutstandingLimit); each item is one client request.
type inbox struct {
	mu       sync.Mutex
	proposed []proposed
	synced   []synced
	forwards []forwarded
	signal   chan struct{} // capacity 1

	stats statsBox // the four-letter words' report (stats.go)
}

type proposed struct {
	t       *term
	entries []server.LogEntry
}

type synced struct {
	t       *term
	learner int64
}

type forwarded struct {
	t   *term
	req server.ForwardedRequest
}

func newInbox() *inbox { return &inbox{signal: make(chan struct{}, 1)} }

func (b *inbox) wake() {
	select {
	case b.signal <- struct{}{}:
	default:
	}
}

// take returns and forgets everything queued.
func (b *inbox) take() ([]proposed, []synced, []forwarded) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, s, f := b.proposed, b.synced, b.forwards
	b.proposed, b.synced, b.forwards = nil, nil, nil
	return p, s, f
}

// leaderHooks is the server.Replicator of one leadership term.
type leaderHooks struct {
	b *inbox
	t *term
}

func (h leaderHooks) Propose(entries []server.LogEntry) {
	h.b.stats.proposed(h.t, entries)
	h.b.mu.Lock()
	h.b.proposed = append(h.b.proposed, proposed{t: h.t, entries: entries})
	h.b.mu.Unlock()
	h.b.wake()
}

func (h leaderHooks) SyncDone(learner int64) {
	h.b.mu.Lock()
	h.b.synced = append(h.b.synced, synced{t: h.t, learner: learner})
	h.b.mu.Unlock()
	h.b.wake()
}

// learnerHooks is the server.Forwarder of one connection to a leader.
type learnerHooks struct {
	b *inbox
	t *term
}

func (h learnerHooks) Forward(req server.ForwardedRequest) {
	h.b.mu.Lock()
	h.b.forwards = append(h.b.forwards, forwarded{t: h.t, req: req})
	h.b.mu.Unlock()
	h.b.wake()
}
