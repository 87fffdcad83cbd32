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

// SnapDir is the directory under dataDir that holds an ensemble member's
// snapshots: its own, taken every snapCount txns, and the one a SNAP
// installed, in the payload format of server.WriteSnapshot (ZooKeeper's
// snapshot file).
const SnapDir = "zabd-quorum"

// Metadata names.
const (
	// metaLogBase: the txn log holds every txn after this zxid, which is
	// the zxid of a snapshot in SnapDir (0 when the log is complete).
	metaLogBase = "quorumLogBase"
	// metaInstalling: a SNAP of this zxid is being installed; the log
	// may still hold another history.
	metaInstalling = "quorumSnapInstalling"
)

// durable is a peer's persistent state: the txn log, the epochs and the
// snapshots. Not safe for concurrent use: the peer's loop owns it (the
// server gets an empty TxnLog, logView).
//
// Invariants: the log holds every txn after base; base is 0 or the zxid of
// a kept snapshot, and every snapshot holds committed txns only. The data
// is the newest snapshot plus the log after it.
//
// A SNAP install records metaInstalling, stores the snapshot, drops the
// whole log, records the new base and clears the marker; open completes an
// install the marker says was interrupted. A purge records the new base
// first, then drops the log entries before it.
type durable struct {
	st    *persistence.Store
	log   *txnlog.Log
	snaps *snapshot.Dir
	slog  *slog.Logger

	snap snapshot.Meta // newest snapshot; Zxid 0 when none
	base int64

	// retain is how many snapshots a purge keeps (autopurge.snapRetainCount);
	// 0 keeps every snapshot and the whole log.
	retain int

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
	if cfg.PurgeIntervalHours > 0 {
		d.retain = max(cfg.SnapRetainCount, 3)
	}
	if d.base, err = d.metaZxid(metaLogBase); err != nil {
		return err
	}
	installing, err := d.metaZxid(metaInstalling)
	if err != nil {
		return err
	}
	if err := d.newest(); err != nil {
		return err
	}
	if installing != 0 {
		if d.snap.Zxid == installing {
			// The snapshot is stored: finish dropping the old history.
			d.slog.Warn("completing an interrupted snapshot install", "snapshot", hex(installing), "logBase", hex(d.base))
			if err := d.setBase(installing, true); err != nil {
				return err
			}
		}
		if err := d.st.DeleteMeta(metaInstalling); err != nil {
			return err
		}
	}
	if d.base > d.snap.Zxid {
		return fmt.Errorf("quorum: the log starts after %s, but the newest snapshot in %s is %s: %w",
			hex(d.base), d.snaps.Path(), hex(d.snap.Zxid), persistence.ErrCorrupt)
	}
	return nil
}

func (d *durable) metaZxid(name string) (int64, error) {
	v, err := d.st.Meta(name)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("quorum: %w", err)
	case len(v) != 8:
		return 0, fmt.Errorf("quorum: %s of %d bytes: %w", name, len(v), persistence.ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func (d *durable) setMetaZxid(name string, z int64) error {
	return d.st.SetMeta(name, binary.BigEndian.AppendUint64(nil, uint64(z)))
}

// newest finds the newest snapshot that is not damaged.
func (d *durable) newest() error {
	list, err := d.snaps.List()
	if err != nil {
		return fmt.Errorf("quorum: %w", err)
	}
	d.snap = snapshot.Meta{}
	for _, m := range list {
		if m.Err == nil {
			d.snap = m
			return nil
		}
		d.slog.Warn("skipping damaged snapshot", "path", m.Path, "err", m.Err)
	}
	return nil
}

// setBase records base, dropping the whole log first when drop is set.
func (d *durable) setBase(base int64, drop bool) error {
	if drop {
		if err := d.log.TruncateAfter(0); err != nil {
			return err
		}
	}
	if err := d.setMetaZxid(metaLogBase, base); err != nil {
		return err
	}
	d.base = base
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
// the new start of this peer's state: stored durably, then the log dropped.
func (d *durable) installSnapshot(zxid int64, data []byte) error {
	if err := d.setMetaZxid(metaInstalling, zxid); err != nil {
		return err
	}
	if err := d.writeSnapshot(zxid, data); err != nil {
		return err
	}
	if err := d.setBase(zxid, true); err != nil {
		return err
	}
	if err := d.st.DeleteMeta(metaInstalling); err != nil {
		return err
	}
	return d.purge(max(d.retain, 2))
}

// takeSnapshot stores a snapshot of the committed txns up to zxid and, with
// autopurge, drops the snapshots and log entries older than the kept ones.
func (d *durable) takeSnapshot(zxid int64, data []byte) error {
	if zxid <= d.snap.Zxid {
		return nil // nothing new since the last one
	}
	if err := d.writeSnapshot(zxid, data); err != nil {
		return err
	}
	if d.retain == 0 {
		return nil
	}
	return d.purge(d.retain)
}

func (d *durable) writeSnapshot(zxid int64, data []byte) error {
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
	return nil
}

// purge keeps the newest keep snapshots and the log after the oldest of
// them (PurgeTxnLog.purge). The new base is recorded before entries go.
func (d *durable) purge(keep int) error {
	list, err := d.snaps.List()
	if err != nil {
		return err
	}
	var kept []snapshot.Meta
	for _, m := range list {
		if m.Err == nil && len(kept) < keep {
			kept = append(kept, m)
			continue
		}
		if len(kept) == keep {
			if err := d.snaps.Remove(m); err != nil {
				d.slog.Warn("removing an old snapshot", "path", m.Path, "err", err)
			}
		}
	}
	if len(kept) < keep {
		return nil // too few snapshots to drop any log
	}
	oldest := kept[len(kept)-1].Zxid
	if oldest <= d.base {
		return nil
	}
	if err := d.setBase(oldest, false); err != nil {
		return err
	}
	return d.log.PurgeBefore(oldest + 1)
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
