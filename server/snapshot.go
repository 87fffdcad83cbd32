package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/zkfiles"
	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
)

// Snapshots (counterpart: SyncRequestProcessor.shouldSnapshot,
// ZooKeeperServer.takeSnapshot, DatadirCleanupManager).
//
// The sync stage counts the txns it appends; past snapCount/2 +
// rand(snapCount/2) of them (a new random part each time, so that the
// servers of an ensemble do not all snapshot at once) it asks the snapshot
// goroutine for a snapshot, or logs "too busy to snap" if one is still being
// written. The snapshot goroutine walks the tree fuzzily, as ZooKeeper's
// does (datatree.FuzzySnapshot): it holds the tree's read lock for 512
// nodes at a time, so the final stage applies txns between chunks, and
// spools the node records in the snapshot directory; then it writes the
// file, syncs and renames it with no lock held. The zxid of the snapshot is
// the tree's last applied zxid when the walk began; recovery replays the
// log after it, and a txn already in the snapshot replays as a no-op.
//
// Every autopurge.purgeInterval hours (0 = never) the same goroutine keeps
// the autopurge.snapRetainCount newest snapshots and drops older ones and
// the log entries before the oldest kept one.

// purgeIntervalUnit is the unit of autopurge.purgeInterval; tests shrink it.
var purgeIntervalUnit = time.Hour

// snapshotter takes snapshots and purges old ones on its own goroutine,
// which startSnapshots starts and snapLog.Close stops.
type snapshotter struct {
	s     *Server
	sl    *storeLog
	dir   *snapshot.Dir
	log   *slog.Logger
	purge time.Duration // 0: no autopurge

	// Owned by the sync stage (appended).
	snapCount int
	count     int
	threshold int
	rng       *rand.Rand

	due  chan struct{} // a snapshot is wanted; buffered 1
	busy atomic.Bool   // a snapshot is being written

	// mu serialises take and purgeNow (the goroutine and tests).
	mu    sync.Mutex
	last  int64 // zxid of the newest snapshot written or found; guarded by mu
	taken atomic.Int64

	cancel context.CancelFunc
	done   chan struct{}
}

// snapLog is the server's TxnLog when it keeps snapshots: it counts appended
// txns for the snapshotter and stops it before the store closes.
type snapLog struct {
	*storeLog
	sn *snapshotter
}

func (l *snapLog) Append(batch []LogEntry) error {
	if err := l.storeLog.Append(batch); err != nil {
		return err
	}
	l.sn.appended(len(batch))
	return nil
}

func (l *snapLog) Close() error {
	l.sn.stop()
	return l.storeLog.Close()
}

// startSnapshots starts the snapshot goroutine when the log is the badger
// store; other logs (tests' in-memory ones) get no snapshots. After a
// recovery that replayed txns, skipped a damaged snapshot or killed dead
// sessions it takes a snapshot at once, as ZooKeeperServer.loadData does.
func (s *Server) startSnapshots() {
	sl, ok := s.txnlog.(*storeLog)
	if !ok || sl.snaps == nil {
		return
	}
	sn := &snapshotter{
		s: s, sl: sl, dir: sl.snaps, log: s.log,
		snapCount: max(s.cfg.SnapCount, 2),
		rng:       rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		due:       make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	if s.cfg.PurgeIntervalHours > 0 {
		sn.purge = time.Duration(s.cfg.PurgeIntervalHours) * purgeIntervalUnit
	}
	sn.reroll()
	// The snapshot recovery loaded is the newest good one; a newer damaged
	// one of the same zxid as the tree is replaced by the next snapshot.
	if st := sl.recovered; st != nil && st.snap != nil {
		sn.last = st.snap.Zxid
	}
	sl.sn = sn
	s.txnlog = &snapLog{storeLog: sl, sn: sn}
	ctx, cancel := context.WithCancel(context.Background())
	sn.cancel = cancel
	go func() {
		defer close(sn.done)
		sn.run(ctx)
	}()
	if st := sl.recovered; st != nil && (st.replayed > 0 || st.skipped > 0 || st.killed > 0) {
		sn.due <- struct{}{}
	}
}

// reroll picks the next snapshot threshold (SyncRequestProcessor
// resetSnapshotStats: randRoll = nextInt(snapCount / 2)).
func (sn *snapshotter) reroll() {
	sn.count = 0
	sn.threshold = sn.snapCount/2 + sn.rng.IntN(max(sn.snapCount/2, 1))
}

// appended counts n logged txns and asks for a snapshot past the threshold.
// Called by the sync stage only.
func (sn *snapshotter) appended(n int) {
	sn.count += n
	if sn.count <= sn.threshold {
		return
	}
	sn.reroll()
	if sn.busy.Load() {
		sn.log.Warn("too busy to snap, skipping")
		return
	}
	select {
	case sn.due <- struct{}{}:
	default:
	}
}

func (sn *snapshotter) run(ctx context.Context) {
	var purge <-chan time.Time
	if sn.purge > 0 {
		t := time.NewTicker(sn.purge)
		defer t.Stop()
		purge = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-sn.due:
			if _, err := sn.take(); err != nil {
				sn.log.Error("snapshot failed", "err", err)
			}
		case <-purge:
			if err := sn.purgeNow(); err != nil {
				sn.log.Error("autopurge failed", "err", err)
			}
		}
	}
}

// stop stops the goroutine and waits for it, letting a snapshot in progress
// finish.
func (sn *snapshotter) stop() {
	sn.cancel()
	<-sn.done
}

// take writes a snapshot of the tree unless the newest one already has its
// zxid, and returns it (zero Meta when there was nothing new).
func (sn *snapshotter) take() (snapshot.Meta, error) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	sn.busy.Store(true)
	defer sn.busy.Store(false)
	start := time.Now()
	t := sn.s.tree
	t.RLock()
	zxid, nodes := t.LastZxid(), t.NodeCount()
	t.RUnlock()
	if zxid == sn.last {
		return snapshot.Meta{}, nil
	}
	m, err := writeFuzzySnapshot(sn.dir, t, sn.s.sessions.Snapshot, nil)
	if err != nil {
		return snapshot.Meta{}, fmt.Errorf("server: snapshot %s: %w", hex(zxid), err)
	}
	sn.last = m.Zxid
	sn.taken.Add(1)
	sn.log.Info("snapshot taken", "zxid", hex(m.Zxid), "nodes", nodes, "bytes", m.Size,
		"took", time.Since(start).Round(time.Millisecond), "file", m.Path)
	return m, nil
}

// writeFuzzySnapshot walks t as datatree.FuzzySnapshot does, spooling the
// node records in dir, and stores the snapshot in dir under the zxid the
// walk began at. stop, if not nil, can end the walk between chunks.
func writeFuzzySnapshot(dir *snapshot.Dir, t *datatree.Tree, sessions func() map[int64]int32, stop func() bool) (snapshot.Meta, error) {
	spool, err := dir.Spool()
	if err != nil {
		return snapshot.Meta{}, err
	}
	defer spool.Close()
	f, err := t.FuzzySnapshot(spool, sessions, stop)
	if err != nil {
		return snapshot.Meta{}, err
	}
	w, err := dir.Create(f.Zxid, time.Now())
	if err != nil {
		return snapshot.Meta{}, err
	}
	defer w.Abort()
	if err := f.Write(w); err != nil {
		return snapshot.Meta{}, err
	}
	return w.Commit()
}

// SnapshotNow writes a snapshot of the tree as it is now, unless the newest
// one already holds its last zxid, and returns the snapshot's zxid (0 when
// none was written). The snapshot goroutine does this on its own every
// snapCount txns; the quorum runtime calls it after installing a leader's
// SNAP, so that a restart recovers from the installed tree (the log does not
// hold it), as a learner syncs a snapshot on NEWLEADER. It reports an error
// when the server keeps no snapshots (a log other than the badger store).
func (s *Server) SnapshotNow() (int64, error) {
	sl, ok := s.txnlog.(*snapLog)
	if !ok {
		return 0, fmt.Errorf("server: this server keeps no snapshots (log %T)", s.txnlog)
	}
	m, err := sl.sn.take()
	return m.Zxid, err
}

// purgeNow keeps the newest snapRetainCount snapshots and drops the rest and
// the log before the oldest kept one.
func (sn *snapshotter) purgeNow() error {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	res, err := sn.dir.Purge(sn.s.cfg.SnapRetainCount, sn.sl)
	if err != nil {
		return err
	}
	if len(res.Removed) > 0 || res.LogBefore > 0 {
		sn.log.Info("autopurge", "kept", len(res.Kept), "removed", len(res.Removed), "logPurgedBefore", hex(res.LogBefore))
	}
	return nil
}

// openStore opens the store of a stopped server for an offline verb. The
// caller closes it.
func openStore(cfg *config.Config, log *slog.Logger) (*storeLog, error) {
	store, snaps, err := openData(cfg, log, false)
	if err != nil {
		return nil, fmt.Errorf("%w (is the server running? stop it first)", err)
	}
	return &storeLog{store: store, log: store.Log(), snaps: snaps}, nil
}

// ExportSnapshot recovers the data of the stopped server of cfg as start-up
// would, without changing its store (beyond the layout upgrade and repair of
// OpenData; it imports nothing and cuts no corrupt log record), and writes it as an Apache ZooKeeper
// snapshot dir/version-2/snapshot.<zxid>, which ZooKeeper 3.8 loads when dir
// is its dataDir (and no txn log is there). It returns the file's path.
// Sessions go with it; ZooKeeper expires them unless their clients return.
func ExportSnapshot(cfg *config.Config, log *slog.Logger, dir string) (string, error) {
	sl, err := openStore(cfg, log)
	if err != nil {
		return "", err
	}
	defer sl.Close()
	if metas, err := sl.snaps.List(); err == nil && len(metas) == 0 && sl.log.LastZxid() == 0 {
		if fs, _ := zkfiles.Snapshots(filepath.Join(cfg.DataDir, zkfiles.VersionDir)); len(fs) > 0 {
			return "", fmt.Errorf("server: %s holds Apache ZooKeeper data not yet imported; start zabd once to import it", cfg.DataDir)
		}
	}
	st, err := loadState(cfg, log, sl, false)
	if err != nil {
		return "", err
	}
	zxid := st.tree.LastZxid()
	return zkfiles.WriteSnapshot(filepath.Join(dir, zkfiles.VersionDir), zxid, func(w io.Writer) error {
		st.tree.RLock()
		defer st.tree.RUnlock()
		return st.tree.WriteSnapshot(w, st.sessions)
	})
}

// Purge keeps the keep newest snapshots of the stopped server of cfg (at
// least 3) and removes older ones and the txn log before the oldest kept
// one, as zkCleanup.sh (PurgeTxnLog) does for ZooKeeper.
func Purge(cfg *config.Config, log *slog.Logger, keep int) (snapshot.PurgeResult, error) {
	sl, err := openStore(cfg, log)
	if err != nil {
		return snapshot.PurgeResult{}, err
	}
	defer sl.Close()
	return sl.snaps.Purge(keep, sl)
}
