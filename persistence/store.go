package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"github.com/zabd/zabd/persistence/txnlog"
)

// SubDir is the directory under dataLogDir that holds the badger database.
const SubDir = "zabd"

// Keyspace prefixes; see the package comment.
const (
	PrefixLog      = txnlog.Prefix
	PrefixMeta     = 'm'
	PrefixSnapshot = 's' // reserved for persistence/snapshot
)

// Metadata names of the quorum epochs (the files of QuorumPeer).
const (
	MetaAcceptedEpoch = "acceptedEpoch"
	MetaCurrentEpoch  = "currentEpoch"
)

// Metadata names shared by both modes (8-byte big-endian zxids).
const (
	// MetaPurgedBefore is the log's purge horizon: the log may lack txns
	// before this zxid, and holds every one from it on (0, or absent: the
	// log is complete). PurgedBefore and PurgeBefore read and raise it;
	// ResetLog sets it.
	MetaPurgedBefore = "logPurgedBefore"
	// MetaSnapInstalling marks a snapshot install in progress (a leader's
	// SNAP, an import): the log may still hold another history.
	// persistence/snapshot's Install writes and clears it.
	MetaSnapInstalling = "snapInstalling"
)

// The metadata names of an ensemble member of zabd before the standalone
// and ensemble layouts were unified; Open renames them.
const (
	// legacyLogBase: the log held every txn after this zxid
	// (MetaPurgedBefore - 1).
	legacyLogBase = "quorumLogBase"
	// legacyInstalling: MetaSnapInstalling.
	legacyInstalling = "quorumSnapInstalling"
)

// ErrCorrupt marks stored data that fails its checksum or is malformed. Any
// layer may wrap it; recovery tests for it with errors.Is. It is the same
// value as txnlog.ErrCorrupt.
var ErrCorrupt = txnlog.ErrCorrupt

// ErrNotFound reports metadata that was never written, such as an epoch of a
// fresh server.
var ErrNotFound = errors.New("persistence: not found")

// Options configure Open.
type Options struct {
	// Dir is the server's dataLogDir (dataDir when dataLogDir is unset). The
	// database lives in Dir/zabd (SubDir), created if missing; Dir/version-2
	// stays Apache ZooKeeper's.
	Dir string
	// ForceSync makes each log Append wait for an fsync (zoo.cfg forceSync,
	// default yes). NB: the zero value does not sync; set it from the config.
	// Metadata writes sync regardless.
	ForceSync bool
	// Logger receives badger's warnings and errors, and ours. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Store is the badger database of one server. It is safe for concurrent use.
type Store struct {
	db     *badger.DB
	log    *txnlog.Log
	path   string
	logger *slog.Logger

	// wmu is held by every write to db from commit through sync (the txnlog
	// package comment says why). Shared with the Log.
	wmu sync.Mutex

	closeOnce sync.Once
	closeErr  error
}

// Open opens, or creates, the store under opts.Dir. Only one process may have
// it open; a second Open fails while the first holds badger's directory lock.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("persistence: open: no directory")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	path := filepath.Join(opts.Dir, SubDir)
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("persistence: open: %w", err)
	}
	if err := removeEmptyLogs(path); err != nil {
		return nil, fmt.Errorf("persistence: open %s: %w", path, err)
	}
	db, err := badger.Open(badgerOptions(path, logger))
	if err != nil {
		return nil, fmt.Errorf("persistence: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, logger: logger}
	s.log, err = txnlog.Open(db, txnlog.Options{ForceSync: opts.ForceSync, WriteLock: &s.wmu, Logger: logger})
	if err != nil {
		if cerr := db.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fmt.Errorf("persistence: open %s: %w", path, err)
	}
	if err := s.migrateMeta(); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// migrateMeta renames the metadata of an earlier ensemble layout in one
// badger transaction: quorumLogBase B becomes logPurgedBefore B+1 (or the
// horizon already stored, if higher: both modes shared one log then, and
// each recorded only its own purges), quorumSnapInstalling becomes
// snapInstalling.
func (s *Store) migrateMeta() error {
	base, err := s.metaZxid(legacyLogBase)
	if err != nil {
		return err
	}
	inst, err := s.metaZxid(legacyInstalling)
	if err != nil {
		return err
	}
	if base < 0 && inst < 0 {
		return nil
	}
	purged, err := s.PurgedBefore()
	if err != nil {
		return err
	}
	err = s.Update(func(txn *badger.Txn) error {
		if base >= 0 {
			if base > 0 && base+1 > purged {
				if err := txn.Set(metaKey(MetaPurgedBefore), metaValue(MetaPurgedBefore, zxidBytes(base+1))); err != nil {
					return err
				}
			}
			if err := txn.Delete(metaKey(legacyLogBase)); err != nil {
				return err
			}
		}
		if inst >= 0 {
			if err := txn.Set(metaKey(MetaSnapInstalling), metaValue(MetaSnapInstalling, zxidBytes(inst))); err != nil {
				return err
			}
			if err := txn.Delete(metaKey(legacyInstalling)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("persistence: migrate %s, %s: %w", legacyLogBase, legacyInstalling, err)
	}
	s.logger.Info("renamed the metadata of an earlier ensemble layout",
		legacyLogBase, fmt.Sprintf("%#x", base), legacyInstalling, fmt.Sprintf("%#x", inst))
	return nil
}

// badgerOptions sizes badger for a ZooKeeper server: a log of small values,
// written sequentially and read mostly sequentially, on a machine whose memory
// belongs to the data tree. Resident memory is bounded by the memtables
// (2 × 8 MiB plus arena slack), the block cache (8 MiB) and the index cache
// (4 MiB), against badger's defaults of 5 × 64 MiB and 256 MiB.
func badgerOptions(path string, logger *slog.Logger) badger.Options {
	return badger.DefaultOptions(path).
		WithSyncWrites(false). // we call db.Sync once per group commit
		WithLogger(badgerLogger{logger}).
		WithLoggingLevel(badger.WARNING).
		WithMetricsEnabled(false).
		WithDetectConflicts(false). // one writer; no read-write transactions
		// 8 MiB memtables allow 1.2 MiB per badger transaction, above the
		// default 1 MiB ValueThreshold: a txn of jute.maxbuffer (1 MiB - 1)
		// still fits the LSM tree, larger ones go to the value log.
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(2)
}

// Close closes the database. Later calls return the first call's result.
// The Log must not be used after Close.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("persistence: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// Path returns the directory of the badger database (Options.Dir/zabd).
func (s *Store) Path() string { return s.path }

// Log returns the transaction log.
func (s *Store) Log() *txnlog.Log { return s.log }

// DB returns the badger database, for the snapshot package. Read it freely;
// write to it only through Update.
func (s *Store) DB() *badger.DB { return s.db }

// Update runs fn in a badger read-write transaction, commits it and syncs
// before returning, holding the store's write lock throughout so that no log
// append can be caught between its commit and its sync. fn must fit in one
// badger transaction (badger.ErrTxnTooBig otherwise) and should be quick: log
// appends wait for it. NB: fn must not write through the Store or its Log,
// which would wait for the lock Update holds.
func (s *Store) Update(fn func(txn *badger.Txn) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.db.Update(fn); err != nil {
		return err
	}
	return s.db.Sync()
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func metaKey(name string) []byte {
	return append([]byte{PrefixMeta}, name...)
}

func metaChecksum(name string, value []byte) uint32 {
	return crc32.Update(crc32.Checksum([]byte(name), castagnoli), castagnoli, value)
}

// Meta returns the metadata value stored under name, or an error wrapping
// ErrNotFound if there is none.
func (s *Store) Meta(name string) ([]byte, error) {
	var value []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey(name))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if len(v) < 4 {
			return fmt.Errorf("value of %d bytes: %w", len(v), ErrCorrupt)
		}
		value = v[4:]
		if got, want := metaChecksum(name, value), binary.BigEndian.Uint32(v); got != want {
			return fmt.Errorf("checksum %#08x, stored %#08x: %w", got, want, ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("persistence: read %s: %w", name, err)
	}
	return value, nil
}

func metaValue(name string, value []byte) []byte {
	v := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(value)), metaChecksum(name, value))
	return append(v, value...)
}

func zxidBytes(z int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(z)) }

// SetMeta stores value under name and returns once it is durable.
func (s *Store) SetMeta(name string, value []byte) error {
	v := metaValue(name, value)
	err := s.Update(func(txn *badger.Txn) error {
		return txn.Set(metaKey(name), v)
	})
	if err != nil {
		return fmt.Errorf("persistence: write %s: %w", name, err)
	}
	return nil
}

// DeleteMeta removes name and returns once that is durable. Deleting a
// missing name is not an error.
func (s *Store) DeleteMeta(name string) error {
	err := s.Update(func(txn *badger.Txn) error {
		return txn.Delete(metaKey(name))
	})
	if err != nil {
		return fmt.Errorf("persistence: delete %s: %w", name, err)
	}
	return nil
}

// AcceptedEpoch returns the epoch this server last accepted in a NEWEPOCH
// (ZAB's acceptedEpoch). On a server that never stored one it returns -1 and
// an error wrapping ErrNotFound; QuorumPeer.loadDataBase then takes the epoch
// of the last logged zxid (ZxidUtils.getEpochFromZxid) and writes it back, and
// the caller should do the same.
func (s *Store) AcceptedEpoch() (int64, error) { return s.epoch(MetaAcceptedEpoch) }

// SetAcceptedEpoch stores the accepted epoch and returns once it is durable.
func (s *Store) SetAcceptedEpoch(epoch int64) error { return s.setEpoch(MetaAcceptedEpoch, epoch) }

// CurrentEpoch returns the epoch of the last NEWLEADER this server
// acknowledged (ZAB's currentEpoch), with AcceptedEpoch's convention for a
// missing value: -1 and an error wrapping ErrNotFound.
func (s *Store) CurrentEpoch() (int64, error) { return s.epoch(MetaCurrentEpoch) }

// SetCurrentEpoch stores the current epoch and returns once it is durable.
func (s *Store) SetCurrentEpoch(epoch int64) error { return s.setEpoch(MetaCurrentEpoch, epoch) }

func (s *Store) epoch(name string) (int64, error) {
	v, err := s.Meta(name)
	if err != nil {
		return -1, err
	}
	if len(v) != 8 {
		return -1, fmt.Errorf("persistence: read %s: %d bytes, want 8: %w", name, len(v), ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func (s *Store) setEpoch(name string, epoch int64) error {
	return s.SetMeta(name, binary.BigEndian.AppendUint64(nil, uint64(epoch)))
}

// MetaZxid returns the 8-byte zxid stored under name, or -1 when there is
// none.
func (s *Store) MetaZxid(name string) (int64, error) { return s.metaZxid(name) }

func (s *Store) metaZxid(name string) (int64, error) {
	v, err := s.Meta(name)
	if errors.Is(err, ErrNotFound) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	if len(v) != 8 {
		return -1, fmt.Errorf("persistence: read %s: %d bytes, want 8: %w", name, len(v), ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// SetMetaZxid stores zxid under name and returns once it is durable.
func (s *Store) SetMetaZxid(name string, zxid int64) error { return s.SetMeta(name, zxidBytes(zxid)) }

// PurgedBefore returns the log's purge horizon (MetaPurgedBefore): the log
// holds every txn from this zxid on, and may lack those before it. It is 0
// when nothing was ever purged, imported or installed.
//
// A snapshot of zxid z is usable with this log when z+1 >= PurgedBefore;
// without a usable snapshot the tree cannot be rebuilt unless it is 0.
func (s *Store) PurgedBefore() (int64, error) {
	z, err := s.metaZxid(MetaPurgedBefore)
	return max(z, 0), err
}

// PurgeBefore raises the purge horizon to zxid (durably), then drops the log
// entries before zxid. It is snapshot.Dir.Purge's LogPurger. The Log's
// single-writer contract applies: the caller owns the log.
func (s *Store) PurgeBefore(zxid int64) error {
	cur, err := s.PurgedBefore()
	if err != nil {
		return err
	}
	if zxid > cur {
		if err := s.SetMetaZxid(MetaPurgedBefore, zxid); err != nil {
			return err
		}
	}
	return s.log.PurgeBefore(zxid)
}

// ResetLog drops the whole log and sets the purge horizon to purgedBefore,
// for a snapshot of purgedBefore-1 that replaces the data (a SNAP install,
// an import). NB: the two steps are not atomic; the caller marks the
// install (MetaSnapInstalling) so that start-up can finish it.
func (s *Store) ResetLog(purgedBefore int64) error {
	if err := s.log.TruncateAfter(0); err != nil {
		return err
	}
	return s.SetMetaZxid(MetaPurgedBefore, purgedBefore)
}
