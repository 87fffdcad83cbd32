package quorum

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server"
	"github.com/zabd/zabd/server/config"
)

// SnapDir is the directory under dataDir that holds the snapshots a learner
// received with SNAP, in the payload format of server.WriteSnapshot
// (ZooKeeper's snapshot file).
const SnapDir = "zabd-quorum"

// metaLogBase names the metadata that says from where the txn log is
// complete: it holds every txn after this zxid, the zxid of the newest
// snapshot in SnapDir (0 when there is none).
const metaLogBase = "quorumLogBase"

// snapsKept is how many SNAP snapshots stay in SnapDir.
const snapsKept = 2

// durable is a peer's persistent state: the txn log, the epochs and the
// snapshot of the last SNAP. Not safe for concurrent use: the peer's loop
// owns it (the server gets a read-only TxnLog view, logView).
//
// Invariant: the log holds every txn after base; base is the zxid of the
// newest snapshot (0 without one). A SNAP stores its snapshot, drops the
// whole log, then records the new base; a crash in between is repaired on
// open (a snapshot newer than the recorded base drops the log again).
type durable struct {
	st    *persistence.Store
	log   *txnlog.Log
	snaps *snapshot.Dir
	slog  *slog.Logger

	snap snapshot.Meta // newest snapshot; Zxid 0 when none
	base int64

	// forceSnap makes every learner sync a SNAP, as ZooKeeper's
	// zookeeper.forceSnapshotSync does (tests).
	forceSnap bool
}

// openDurable opens the store of cfg and repairs an interrupted SNAP install.
func openDurable(cfg *config.Config, log *slog.Logger) (*durable, error) {
	st, err := persistence.Open(persistence.Options{Dir: cfg.DataLogDir, ForceSync: cfg.ForceSync, Logger: log})
	if err != nil {
		return nil, err
	}
	d := &durable{st: st, log: st.Log(), slog: log}
	if err := d.load(cfg); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return d, nil
}

func (d *durable) load(cfg *config.Config) error {
	var err error
	if d.snaps, err = snapshot.OpenDir(filepath.Join(cfg.DataDir, SnapDir)); err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	list, err := d.snaps.List()
	if err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	for _, m := range list {
		if m.Err == nil {
			d.snap = m
			break
		}
		d.slog.Warn("skipping damaged snapshot", "path", m.Path, "err", m.Err)
	}
	base, err := d.st.Meta(metaLogBase)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
	case err != nil:
		return fmt.Errorf("quorum: %w", err)
	case len(base) != 8:
		return fmt.Errorf("quorum: %s of %d bytes: %w", metaLogBase, len(base), persistence.ErrCorrupt)
	default:
		d.base = int64(binary.BigEndian.Uint64(base))
	}
	switch {
	case d.snap.Zxid > d.base:
		// The SNAP install stopped between storing the snapshot and
		// recording the base: the log may hold another history.
		d.slog.Warn("completing an interrupted snapshot install", "snapshot", hex(d.snap.Zxid), "logBase", hex(d.base))
		return d.setBase(d.snap.Zxid)
	case d.snap.Zxid < d.base:
		return fmt.Errorf("quorum: the log starts after %s, but the newest snapshot in %s is %s: %w",
			hex(d.base), d.snaps.Path(), hex(d.snap.Zxid), persistence.ErrCorrupt)
	}
	return nil
}

// setBase drops the whole log and records base as its start.
func (d *durable) setBase(base int64) error {
	if err := d.log.TruncateAfter(0); err != nil {
		return err
	}
	if err := d.st.SetMeta(metaLogBase, binary.BigEndian.AppendUint64(nil, uint64(base))); err != nil {
		return err
	}
	d.base = base
	return nil
}

func (d *durable) close() error { return d.st.Close() }

// lastZxid is QuorumPeer.getLastLoggedZxid: the newest txn of the log or,
// past it, of the snapshot.
func (d *durable) lastZxid() int64 { return max(d.base, d.log.LastZxid()) }

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

// storeSnapshot makes a SNAP's snapshot (server.WriteSnapshot's format) the
// new start of this peer's state: stored durably, then the log dropped.
func (d *durable) storeSnapshot(zxid int64, data []byte) error {
	w, err := d.snaps.Create(zxid, time.Now())
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	m, err := w.Commit()
	if err != nil {
		return err
	}
	d.snap = m
	if err := d.setBase(zxid); err != nil {
		return err
	}
	list, err := d.snaps.List()
	if err != nil {
		return err
	}
	for i, old := range list {
		if i >= snapsKept && old.Zxid < zxid {
			if err := d.snaps.Remove(old); err != nil {
				d.slog.Warn("removing an old snapshot", "path", old.Path, "err", err)
			}
		}
	}
	return nil
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
