package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/persistence/zkfiles"
	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
)

// Start-up recovery (counterpart: ZKDatabase.loadDataBase,
// FileTxnSnapLog.restore, ZooKeeperServer.loadData):
//
//  1. OpenData, in either mode: if the store is new (no snapshot, empty
//     log) and dataDir/version-2 or dataLogDir/version-2 holds Apache
//     ZooKeeper's files, import them: the newest snapshot.<zxid> that reads
//     back whole, then every txn after it from the log.<zxid> files; the
//     result becomes zabd's first snapshot. (An ensemble member then loads
//     the tree itself, from the same snapshots and log: package quorum.)
//  2. Load the newest snapshot whose checksum holds, skipping (and logging)
//     damaged ones and ones older than what the log still covers.
//  3. Replay the log from the snapshot's zxid on. The snapshot's own last txn
//     is replayed too: applying it again leaves the tree as it is, and it
//     restores that txn's effect on the session set, which the final stage
//     records just after the tree (see takeSnapshot).
//  4. A corrupt last log record is cut off (TruncateAfter the last good one)
//     and logged; it is never applied. A corrupt record with good ones after
//     it stops start-up, as ZooKeeper's "CRC check failed" does.
//  5. Sessions of the snapshot and the log are re-added with their full
//     timeout from now; they expire unless their clients come back. Sessions
//     that own ephemerals but are not among them are killed
//     (ZooKeeperServer.loadData, "Clean up dead sessions").

// state is a recovered tree with its sessions.
type state struct {
	tree     *datatree.Tree
	sessions map[int64]int32
	snap     *snapshot.Meta // the snapshot loaded, nil if none
	replayed int            // log txns applied
	skipped  int            // snapshots skipped as damaged or unusable
	killed   int            // dead sessions whose ephemerals were removed
}

// OpenData opens the durable data of the server of cfg, whichever mode
// cfg says: the badger store under dataLogDir (txn log, epochs, the log's
// purge horizon persistence.MetaPurgedBefore) and the snapshots in
// dataDir/zabd-snap. Standalone servers and ensemble members keep the same
// layout, so a dataDir moves between the modes as ZooKeeper's does. On the
// way it moves an earlier ensemble layout's snapshots into place
// (snapshot.OpenDataDir; persistence.Open renames its metadata), finishes a
// snapshot install a crash interrupted (snapshot.Dir.CompleteInstall), and
// imports Apache ZooKeeper's version-2 files into a new store. The caller
// closes the store.
//
// Counterpart: the FileTxnSnapLog that ZooKeeperServer and QuorumPeer both
// build over dataDir and dataLogDir.
func OpenData(cfg *config.Config, log *slog.Logger) (*persistence.Store, *snapshot.Dir, error) {
	return openData(cfg, log, true)
}

// openData is OpenData, importing only when importZK is set (offline verbs
// leave the import to start-up).
func openData(cfg *config.Config, log *slog.Logger, importZK bool) (*persistence.Store, *snapshot.Dir, error) {
	store, err := persistence.Open(persistence.Options{Dir: cfg.DataLogDir, ForceSync: cfg.ForceSync, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	snaps, err := prepareData(cfg, log, store, importZK)
	if err != nil {
		return nil, nil, errors.Join(err, store.Close())
	}
	return store, snaps, nil
}

func prepareData(cfg *config.Config, log *slog.Logger, store *persistence.Store, importZK bool) (*snapshot.Dir, error) {
	snaps, moved, err := snapshot.OpenDataDir(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if moved > 0 {
		log.Info("moved the snapshots of an earlier ensemble layout", "snapshots", moved, "into", snaps.Path())
	}
	zxid, stored, err := snaps.CompleteInstall(store)
	if err != nil {
		return nil, fmt.Errorf("server: complete an interrupted snapshot install: %w", err)
	}
	if zxid >= 0 {
		log.Warn("completed an interrupted snapshot install", "zxid", hex(zxid), "snapshotStored", stored)
	}
	if importZK {
		if err := importZooKeeper(cfg, log, store, snaps); err != nil {
			return nil, err
		}
	}
	return snaps, nil
}

// recoverStore rebuilds the tree and sessions of s from the badger store and
// the snapshots that OpenData opened.
func (s *Server) recoverStore(sl *storeLog) error {
	if sl.snaps == nil {
		return errors.New("server: the store's snapshots are not open (use OpenData)")
	}
	st, err := loadState(s.cfg, s.log, sl, true)
	if err != nil {
		return err
	}
	s.tree = st.tree
	now := time.Now().UnixMilli()
	for id, to := range st.sessions {
		s.sessions.Add(id, to, now)
	}
	sl.recovered = st
	return nil
}

// loadState loads the newest usable snapshot and replays the log after it.
// With repair it cuts off a corrupt last log record; without (an offline
// export) it only stops before it.
func loadState(cfg *config.Config, log *slog.Logger, sl *storeLog, repair bool) (*state, error) {
	metas, err := sl.snaps.List()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	purged, err := sl.store.PurgedBefore()
	if err != nil {
		return nil, err
	}
	st := &state{}
	for i := range metas {
		m := metas[i]
		if m.Err != nil {
			log.Warn("skipping damaged snapshot", "file", m.Path, "err", m.Err)
			st.skipped++
			continue
		}
		if purged > m.Zxid+1 {
			log.Warn("skipping snapshot: the txn log after it was purged", "file", m.Path,
				"zxid", hex(m.Zxid), "logPurgedBefore", hex(purged))
			st.skipped++
			continue
		}
		start := time.Now()
		tree, sessions, err := readSnapshot(sl.snaps, m, cfg.JuteMaxBuffer)
		if err != nil {
			log.Warn("skipping corrupt snapshot; trying an older one", "file", m.Path, "zxid", hex(m.Zxid), "err", err)
			st.skipped++
			continue
		}
		setLastZxid(tree, m.Zxid)
		st.tree, st.sessions, st.snap = tree, sessions, &m
		tree.RLock()
		nodes := tree.NodeCount()
		tree.RUnlock()
		log.Info("loaded snapshot", "file", m.Path, "zxid", hex(m.Zxid), "nodes", nodes,
			"sessions", len(sessions), "bytes", m.Size, "took", time.Since(start).Round(time.Millisecond))
		break
	}
	from := int64(0)
	if st.tree == nil {
		if purged > 0 {
			return nil, fmt.Errorf("server: no usable snapshot in %s, and the txn log lacks the txns before %s: "+
				"cannot rebuild the data tree", sl.snaps.Path(), hex(purged))
		}
		if len(metas) > 0 {
			log.Warn("no usable snapshot; replaying the whole txn log", "snapshots", len(metas))
		}
		st.tree, st.sessions = datatree.New(), map[int64]int32{}
	} else {
		from = st.snap.Zxid
	}

	start := time.Now()
	lastGood := max(from-1, 0)
	err = sl.log.Iterate(lastGood, func(zxid int64, data []byte) error {
		hdr, txn, err := decodeLogged(data)
		if err != nil {
			return fmt.Errorf("server: replay txn %s: %w", hex(zxid), err)
		}
		applyRecovered(st.tree, st.sessions, &hdr, txn)
		lastGood = zxid
		if zxid > from {
			st.replayed++ // not the snapshot's own last txn
		}
		return nil
	})
	if errors.Is(err, persistence.ErrCorrupt) {
		bad, following, ferr := sl.entriesAfter(lastGood)
		if ferr != nil {
			return nil, fmt.Errorf("server: replay: %w (and locating it: %v)", err, ferr)
		}
		if following > 0 {
			return nil, fmt.Errorf("server: txn log record %s is corrupt and %d records follow it; "+
				"refusing to start rather than drop them: %w", hex(bad), following, err)
		}
		if repair {
			log.Warn("cutting off corrupt last txn log record", "zxid", hex(bad), "lastGoodZxid", hex(lastGood), "err", err)
			if err := sl.TruncateAfter(lastGood); err != nil {
				return nil, fmt.Errorf("server: cut off corrupt txn %s: %w", hex(bad), err)
			}
		} else {
			log.Warn("ignoring corrupt last txn log record", "zxid", hex(bad), "err", err)
		}
	} else if err != nil {
		return nil, err
	}
	st.killed = killDeadSessions(log, st.tree, st.sessions)
	if st.replayed > 0 {
		log.Info("replayed txn log", "txns", st.replayed, "from", hex(from), "lastZxid", hex(st.tree.LastZxid()),
			"sessions", len(st.sessions), "took", time.Since(start).Round(time.Millisecond))
	}
	return st, nil
}

// readSnapshot reads the tree and sessions of a stored snapshot, checking
// the datatree's own Adler-32 seals and the file's CRC.
func readSnapshot(d *snapshot.Dir, m snapshot.Meta, maxBuffer int) (*datatree.Tree, map[int64]int32, error) {
	r, err := d.Open(m)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	// NB: like BinaryInputArchive, allow jute.maxbuffer plus its extrasize
	// (which defaults to jute.maxbuffer) for one length prefix.
	snap, err := datatree.ReadSnapshot(r, 2*maxBuffer)
	if err != nil {
		return nil, nil, err
	}
	// ReadSnapshot stops at the seal; the CRC is checked at the end.
	if err := r.Verify(); err != nil {
		return nil, nil, err
	}
	openNilACLs(snap.Tree)
	return snap.Tree, snap.Sessions, nil
}

// openNilACLs gives the open ACL to the nodes of a tree read from a
// snapshot whose ACL index was -1, and returns how many there were.
//
// NB: index -1 is ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID, which
// convertLong turns into OPEN_ACL_UNSAFE, not into "no ACL": ZooKeeper's own
// root node is stored with it. datatree.ReadSnapshot leaves such an ACL nil,
// which getACL would send as a null vector (go-zookeeper then tries to
// allocate 2^32 ACLs). TODO(datatree): map -1 in ReadSnapshot and drop this.
func openNilACLs(t *datatree.Tree) int {
	t.Lock()
	defer t.Unlock()
	n := 0
	var walk func(p string)
	walk = func(p string) {
		node := t.Get(p)
		if node == nil {
			return
		}
		if node.ACL == nil {
			node.ACL = zkproto.OpenACLUnsafe
			n++
		}
		for _, c := range datatree.Children(node) {
			walk(datatree.Join(p, c))
		}
	}
	walk("/")
	return n
}

// setLastZxid makes zxid the last applied zxid of a tree read from a
// snapshot, which carries no zxid of its own in zabd's files (ZooKeeper takes
// it from the file name, FileSnap.deserialize).
func setLastZxid(t *datatree.Tree, zxid int64) {
	t.Lock()
	t.ReplaceWith(t, zxid)
	t.Unlock()
}

// decodeLogged decodes a logged txn, accepting a closeSession without its
// record as written before ZooKeeper 3.6 (SerializeUtils.deserializeTxn).
func decodeLogged(data []byte) (zkproto.TxnHeader, jute.Record, error) {
	hdr, txn, err := DecodeTxn(data)
	if err != nil && hdr.Type == zkproto.OpCloseSession && len(data) == zkproto.TxnHeaderSize {
		return hdr, nil, nil
	}
	return hdr, txn, err
}

// applyRecovered applies a txn read back from a log to tree and to the set
// of open sessions (FileTxnSnapLog.processTransaction).
func applyRecovered(tree *datatree.Tree, sessions map[int64]int32, hdr *zkproto.TxnHeader, txn jute.Record) {
	switch hdr.Type {
	case zkproto.OpCreateSession:
		if cs, ok := txn.(*zkproto.CreateSessionTxn); ok {
			sessions[hdr.ClientID] = cs.N
		}
	case zkproto.OpCloseSession:
		delete(sessions, hdr.ClientID)
	}
	tree.Lock()
	tree.Apply(hdr, txn)
	tree.Unlock()
}

// killDeadSessions removes the ephemerals of sessions that are not open, as
// ZooKeeperServer.loadData does for a fuzzy snapshot, and returns how many
// sessions it killed.
func killDeadSessions(log *slog.Logger, tree *datatree.Tree, sessions map[int64]int32) int {
	tree.Lock()
	defer tree.Unlock()
	n := 0
	for id, paths := range tree.EphemeralSessions() {
		if _, ok := sessions[id]; ok {
			continue
		}
		tree.Apply(&zkproto.TxnHeader{ClientID: id, Zxid: tree.LastZxid(), Type: zkproto.OpCloseSession}, nil)
		if len(paths) == 0 {
			continue // only the record that it had some
		}
		log.Warn("removing the ephemerals of a session that is not open", "session", hex(id), "paths", len(paths))
		n++
	}
	return n
}

// importZooKeeper imports Apache ZooKeeper's version-2 files into a new
// store: it does nothing if the store has a snapshot or a txn, or if there
// are no such files. The epochs go first and the snapshot that holds the
// imported tree last, installed as a SNAP's is (snapshot.Dir.Install), so
// that a crash in between leaves a store that is still new.
func importZooKeeper(cfg *config.Config, log *slog.Logger, store *persistence.Store, snaps *snapshot.Dir) error {
	metas, err := snaps.List()
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if len(metas) > 0 || store.Log().LastZxid() != 0 {
		return nil
	}
	snapDir := filepath.Join(cfg.DataDir, zkfiles.VersionDir)
	logDir := filepath.Join(cfg.DataLogDir, zkfiles.VersionDir)
	zkSnaps, err := zkfiles.Snapshots(snapDir)
	if err != nil {
		return fmt.Errorf("server: import: %w", err)
	}
	logs, err := zkfiles.Logs(logDir)
	if err != nil {
		return fmt.Errorf("server: import: %w", err)
	}
	if len(zkSnaps) == 0 && len(logs) == 0 {
		return nil
	}
	start := time.Now()
	st, from, err := loadZooKeeper(log, zkSnaps, logs, cfg.JuteMaxBuffer)
	if err != nil {
		return fmt.Errorf("server: import Apache ZooKeeper data from %s: %w", snapDir, err)
	}
	epochs, err := importEpochs(store, snapDir)
	if err != nil {
		return err
	}
	zxid := st.tree.LastZxid()
	var nodes int
	m, err := snaps.Install(store, zxid, time.Now(), func(w io.Writer) error {
		st.tree.RLock()
		defer st.tree.RUnlock()
		nodes = st.tree.NodeCount()
		return st.tree.WriteSnapshot(w, st.sessions)
	})
	if err != nil {
		return fmt.Errorf("server: import: %w", err)
	}
	snapFile := "none"
	if st.snap != nil {
		snapFile = st.snap.Path
	}
	log.Info("imported Apache ZooKeeper data", "snapshot", snapFile, "snapshotZxid", hex(from),
		"logFiles", len(logs), "txns", st.replayed, "zxid", hex(zxid), "nodes", nodes,
		"sessions", len(st.sessions), "epochs", epochs, "into", m.Path, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// loadZooKeeper rebuilds a tree from Apache ZooKeeper's files as
// FileTxnSnapLog.restore does: the newest snapshot that reads back whole (a
// damaged one is logged and skipped, FileSnap.deserialize), then every txn
// after its zxid. It returns the state and the snapshot's zxid.
func loadZooKeeper(log *slog.Logger, snaps, logs []zkfiles.File, maxBuffer int) (*state, int64, error) {
	st := &state{}
	from := int64(0)
	for _, f := range snaps {
		tree, sessions, err := readZooKeeperSnapshot(f.Path, maxBuffer)
		if err != nil {
			log.Warn("skipping ZooKeeper snapshot", "file", f.Path, "err", err)
			st.skipped++
			continue
		}
		setLastZxid(tree, f.Zxid)
		st.tree, st.sessions = tree, sessions
		st.snap = &snapshot.Meta{Zxid: f.Zxid, Path: f.Path}
		from = f.Zxid
		break
	}
	if st.tree == nil {
		if len(snaps) > 0 {
			return nil, 0, fmt.Errorf("no valid snapshot among %d", len(snaps))
		}
		st.tree, st.sessions = datatree.New(), map[int64]int32{}
	}
	res, err := zkfiles.Iterate(logs, from, func(zxid int64, data []byte) error {
		hdr, txn, err := decodeLogged(data)
		if err != nil {
			return fmt.Errorf("txn %s: %w", hex(zxid), err)
		}
		applyRecovered(st.tree, st.sessions, &hdr, txn)
		st.replayed++
		return nil
	})
	for _, p := range res.Partial {
		log.Warn("ZooKeeper log: last transaction was partial; ignored", "err", p)
	}
	if res.Skipped > 0 {
		log.Warn("ZooKeeper log: txns out of zxid order ignored", "count", res.Skipped)
	}
	if err != nil {
		return nil, 0, err
	}
	st.killed = killDeadSessions(log, st.tree, st.sessions)
	return st, from, nil
}

// readZooKeeperSnapshot reads an Apache ZooKeeper snapshot file.
func readZooKeeperSnapshot(path string, maxBuffer int) (*datatree.Tree, map[int64]int32, error) {
	rc, err := zkfiles.OpenSnapshot(path)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	snap, err := datatree.ReadSnapshot(rc, 2*maxBuffer)
	if err != nil {
		return nil, nil, err
	}
	openNilACLs(snap.Tree)
	return snap.Tree, snap.Sessions, nil
}

// importEpochs copies ZooKeeper's acceptedEpoch and currentEpoch files
// (ASCII decimal, QuorumPeer.readLongFromFile) into a store that has none,
// and returns how many it copied.
func importEpochs(store *persistence.Store, dir string) (int, error) {
	n := 0
	for _, e := range []struct {
		name string
		get  func() (int64, error)
		set  func(int64) error
	}{
		{persistence.MetaAcceptedEpoch, store.AcceptedEpoch, store.SetAcceptedEpoch},
		{persistence.MetaCurrentEpoch, store.CurrentEpoch, store.SetCurrentEpoch},
	} {
		b, err := os.ReadFile(filepath.Join(dir, e.name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("server: import %s: %w", e.name, err)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]), 10, 64)
		if err != nil {
			return n, fmt.Errorf("server: import %s: %w", e.name, err)
		}
		if _, err := e.get(); !errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err := e.set(v); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// The storeLog methods that snapshots and recovery need.

// TruncateAfter drops the log entries after zxid.
func (l *storeLog) TruncateAfter(zxid int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.log.TruncateAfter(zxid)
}

// PurgeBefore raises the log's purge horizon to zxid, then drops the txns
// before it (persistence.Store.PurgeBefore). It is snapshot.Dir.Purge's
// LogPurger.
func (l *storeLog) PurgeBefore(zxid int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.store.PurgeBefore(zxid)
}

// entriesAfter returns the zxid of the first log entry after zxid and how
// many entries follow that one, reading keys only (the txnlog package
// comment documents the key layout), so that a corrupt entry can be located
// without decoding it.
func (l *storeLog) entriesAfter(zxid int64) (next int64, following int, err error) {
	err = l.store.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{txnlog.Prefix}})
		defer it.Close()
		seek := binary.BigEndian.AppendUint64([]byte{txnlog.Prefix}, uint64(zxid+1))
		for it.Seek(seek); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) != 9 {
				continue
			}
			if next == 0 {
				next = int64(binary.BigEndian.Uint64(k[1:]))
			} else {
				following++
			}
		}
		return nil
	})
	return next, following, err
}

func hex(z int64) string { return fmt.Sprintf("%#x", z) }
