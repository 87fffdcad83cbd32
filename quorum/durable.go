package quorum

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server"
	"github.com/zabd/zabd/server/config"
)

// durable is a peer's persistent state: the txn log, the epochs and the
// snapshots, in the layout a standalone server keeps too (server.OpenData):
// the badger store, and snapshots in dataDir/zabd-snap in the payload format
// of server.WriteSnapshot (ZooKeeper's snapshot file): the peer's own, taken
// every snapCount txns, the one a SNAP installed, and the ones a standalone
// server or an import left. Not safe for concurrent use: the peer's loop
// owns it (the server gets an empty TxnLog, logView).
//
// Invariants: the log holds every txn after base, which is the store's
// purge horizon minus one (persistence.Store.PurgedBefore); base is at most
// the newest snapshot's zxid, and every snapshot holds committed txns only.
// The data is the newest snapshot plus the log after it.
//
// A SNAP install is snapshot.Dir.Install: marked in the store, the snapshot
// stored, the whole log dropped, the new horizon recorded, the mark cleared;
// server.OpenData completes an install the mark says was interrupted. A
// purge (snapshot.Dir.Purge) records the new horizon first, then drops the
// log entries before it.
type durable struct {
	st    *persistence.Store
	log   *txnlog.Log
	snaps *snapshot.Dir
	slog  *slog.Logger

	snap snapshot.Meta // newest snapshot; Zxid 0 when none
	base int64         // the log holds every txn after base

	// retain is how many snapshots a purge keeps (autopurge.snapRetainCount);
	// 0 keeps every snapshot and the whole log.
	retain int

	// forceSnap makes every learner sync a SNAP, as ZooKeeper's
	// zookeeper.forceSnapshotSync does (tests).
	forceSnap bool
}

// openDurable opens the data of cfg (server.OpenData: it upgrades an
// earlier layout, repairs an interrupted SNAP install and imports Apache
// ZooKeeper's version-2 files into a new store).
func openDurable(cfg *config.Config, log *slog.Logger) (*durable, error) {
	st, snaps, err := server.OpenData(cfg, log)
	if err != nil {
		return nil, err
	}
	d := &durable{st: st, log: st.Log(), snaps: snaps, slog: log}
	if cfg.PurgeIntervalHours > 0 {
		d.retain = max(cfg.SnapRetainCount, snapshot.MinRetainCount)
	}
	if err := d.load(); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return d, nil
}

func (d *durable) load() error {
	if err := d.readBase(); err != nil {
		return err
	}
	if err := d.newest(); err != nil {
		return err
	}
	if d.base > d.snap.Zxid {
		return fmt.Errorf("quorum: the log starts after %s, but the newest snapshot in %s is %s: %w",
			hex(d.base), d.snaps.Path(), hex(d.snap.Zxid), persistence.ErrCorrupt)
	}
	return nil
}

// readBase reads base from the store's purge horizon.
func (d *durable) readBase() error {
	p, err := d.st.PurgedBefore()
	if err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	d.base = max(p-1, 0)
	return nil
}

// newest finds the newest snapshot that is not damaged, payload checksum
// included, so that a member falls back to an older one as a standalone
// server does (FileSnap.deserialize tries the newest snapshots in turn).
func (d *durable) newest() error {
	list, err := d.snaps.List()
	if err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	d.snap = snapshot.Meta{}
	for _, m := range list {
		if m.Err == nil {
			if m.Err = d.snaps.Verify(m); m.Err == nil {
				d.snap = m
				return nil
			}
		}
		d.slog.Warn("skipping damaged snapshot", "path", m.Path, "err", m.Err)
	}
	return nil
}

func (d *durable) close() error { return d.st.Close() }

// lastZxid is QuorumPeer.getLastLoggedZxid: the newest txn of the log or,
// past it, of the snapshot.
func (d *durable) lastZxid() int64 { return max(d.snap.Zxid, d.log.LastZxid()) }

// epochs returns acceptedEpoch and currentEpoch. Missing ones are
// initialised from the last zxid's epoch and written back, as
// QuorumPeer.loadDataBase does.
func (d *durable) epochs() (accepted, current int64, err error) {
	current, err = d.st.CurrentEpoch()
	if errors.Is(err, persistence.ErrNotFound) {
		current = zab.EpochOf(d.lastZxid())
		d.slog.Info("no currentEpoch stored; taking the last zxid's", "epoch", current)
		err = d.st.SetCurrentEpoch(current)
	}
	if err != nil {
		return 0, 0, err
	}
	accepted, err = d.st.AcceptedEpoch()
	if errors.Is(err, persistence.ErrNotFound) {
		accepted = zab.EpochOf(d.lastZxid())
		d.slog.Info("no acceptedEpoch stored; taking the last zxid's", "epoch", accepted)
		err = d.st.SetAcceptedEpoch(accepted)
	}
	if err != nil {
		return 0, 0, err
	}
	if accepted < current {
		// QuorumPeer.loadDataBase: "The accepted epoch, X is less than the
		// current epoch, Y".
		return 0, 0, fmt.Errorf("quorum: acceptedEpoch %d < currentEpoch %d", accepted, current)
	}
	return accepted, current, nil
}

// append appends entries; with forceSync they are durable on return.
func (d *durable) append(es []zab.Entry) error {
	batch := make([]txnlog.Entry, len(es))
	for i, e := range es {
		batch[i] = txnlog.Entry{Zxid: e.Zxid, Data: e.Data}
	}
	return d.log.Append(batch)
}

// entries returns the logged txns with after < zxid <= upTo (upTo < 0: all).
func (d *durable) entries(after, upTo int64) ([]server.LogEntry, error) {
	var out []server.LogEntry
	errStop := errors.New("stop")
	err := d.log.Iterate(after, func(zxid int64, data []byte) error {
		if upTo >= 0 && zxid > upTo {
			return errStop
		}
		out = append(out, server.LogEntry{Zxid: zxid, Data: append([]byte(nil), data...)})
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return out, nil
}

// Entries is zab.Storage for the leader's DIFF.
func (d *durable) Entries(after, upTo int64) ([]zab.Entry, error) {
	if d.forceSnap || after < d.base {
		return nil, zab.ErrCompacted
	}
	es, err := d.entries(after, upTo)
	if err != nil {
		return nil, err
	}
	out := make([]zab.Entry, len(es))
	for i, e := range es {
		out[i] = zab.Entry{Zxid: e.Zxid, Data: e.Data}
	}
	return out, nil
}

// installSnapshot makes a SNAP's snapshot (server.WriteSnapshot's format)
// the new start of this peer's state: stored durably, then the log dropped
// (snapshot.Dir.Install). Older snapshots, of a history the log no longer
// continues, go beyond the newest retained ones.
func (d *durable) installSnapshot(zxid int64, data []byte) error {
	m, err := d.snaps.Install(d.st, zxid, time.Now(), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	d.snap, d.base = m, zxid
	return d.purge(max(d.retain, snapshot.MinRetainCount))
}

// takeSnapshot stores a snapshot of the committed txns up to zxid and, with
// autopurge, drops the snapshots and log entries older than the kept ones.
func (d *durable) takeSnapshot(zxid int64, data []byte) error {
	if zxid <= d.snap.Zxid {
		return nil // nothing new since the last one
	}
	w, err := d.snaps.Create(zxid, time.Now())
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return err
	}
	m, err := w.Commit()
	if err != nil {
		return err
	}
	return d.snapshotted(m)
}

// snapshotted makes m, a snapshot just stored in d.snaps, the newest one
// and, with autopurge, drops the snapshots and log entries older than the
// kept ones.
func (d *durable) snapshotted(m snapshot.Meta) error {
	if m.Zxid <= d.snap.Zxid {
		return nil // a SNAP installed a newer one meanwhile
	}
	d.snap = m
	if d.retain == 0 {
		return nil
	}
	return d.purge(d.retain)
}

// purge keeps the newest keep snapshots and the log from the oldest of them
// on (snapshot.Dir.Purge, PurgeTxnLog.purge): the store records the new
// horizon before entries go.
func (d *durable) purge(keep int) error {
	res, err := d.snaps.Purge(keep, d.st)
	for _, m := range res.Removed {
		d.slog.Debug("removed an old snapshot", "path", m.Path)
	}
	if err != nil {
		return err
	}
	return d.readBase()
}

// snapshotReader opens the newest snapshot's payload; nil when there is none.
func (d *durable) snapshotReader() (io.ReadCloser, error) {
	if d.snap.Zxid == 0 {
		return nil, nil
	}
	return d.snaps.Open(d.snap)
}

// logView is the server's view of the log: empty. The peer loads the tree
// itself (loadTree), from the snapshot and the log after it, and appends
// to the log itself; in an ensemble the server's own sync stage gets no
// batches (see server.Server.SetRole).
type logView struct{}

func (logView) Append([]server.LogEntry) error {
	return errors.New("quorum: the server appended to the log outside the leader")
}
func (logView) Iterate(int64, func(int64, []byte) error) error { return nil }
func (logView) LastZxid() int64                                { return 0 }
func (logView) Close() error                                   { return nil }

func hex(z int64) string { return fmt.Sprintf("%#x", z) }
