package quorum

import "github.com/zabd/zabd/quorum/zab"

// The log is appended and synced off the loop, one batch at a time (group
// commit, as ZooKeeper's SyncRequestProcessor does): the loop queues a
// Ready's Entries, hands the queue to the syncer goroutine when it is idle,
// and steps Persisted when the batch is durable. Meanwhile the loop goes on
// stepping packets, whose entries form the next batch. Nothing else writes
// the log while a batch is out: truncation, SNAP installs, purges and the
// end of a term flush first.

// syncResult reports one synced batch.
type syncResult struct {
	last int64
	err  error
}

// syncer appends the batches it is handed until the channel closes.
func (p *peer) syncer(reqs <-chan []zab.Entry, done chan<- syncResult) {
	for batch := range reqs {
		done <- syncResult{last: batch[len(batch)-1].Zxid, err: p.d.append(batch)}
	}
}

// queueEntries queues a Ready's entries for term t.
func (p *peer) queueEntries(t *term, es []zab.Entry) {
	if len(es) == 0 {
		return
	}
	if p.syncTerm != t {
		// Entries of an earlier term were flushed when it ended.
		p.syncTerm = t
	}
	p.queued = append(p.queued, es...)
	p.kickSync()
}

// kickSync hands the queue to the syncer if it is idle.
func (p *peer) kickSync() {
	if p.syncing || len(p.queued) == 0 {
		return
	}
	p.syncing = true
	p.syncReqs <- p.queued // capacity 1, and the syncer is idle
	p.queued = nil
}

// synced takes a batch's result: the term that queued it, if still current,
// learns that its log is durable up to there.
func (p *peer) synced(r syncResult) error {
	p.syncing = false
	if r.err != nil {
		return r.err
	}
	if t := p.t; t != nil && t == p.syncTerm {
		if t.zl != nil {
			t.zl.Persisted(r.last)
		} else if t.zf != nil {
			t.zf.Persisted(r.last)
		}
	}
	p.kickSync()
	return nil
}

// flush waits until every queued entry is durable.
func (p *peer) flush() error {
	for p.syncing || len(p.queued) > 0 {
		if !p.syncing {
			p.kickSync()
		}
		if err := p.synced(<-p.syncDone); err != nil {
			return err
		}
	}
	return nil
}
