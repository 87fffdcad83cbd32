package txnlog

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// Options configure a Log.
type Options struct {
	// ForceSync makes Append, TruncateAfter and PurgeBefore wait for an fsync
	// of badger's write-ahead log (zoo.cfg forceSync, which defaults to yes).
	// NB: the zero value does not sync; callers set it from the config.
	ForceSync bool
	// WriteLock is held by every write to the database from commit through
	// sync; see "Durability" in the package comment. Package persistence
	// passes the lock its own writers share. Nil means a private mutex.
	WriteLock sync.Locker
	// Logger receives warnings the Log handles itself (a failed value-log
	// garbage collection). Nil means slog.Default().
	Logger *slog.Logger
}

// Log is the transaction log in a badger database. See the package comment
// for its layout, durability and concurrency contract.
type Log struct {
	db        *badger.DB
	forceSync bool
	logger    *slog.Logger

	// first and last are the smallest and largest stored zxids, 0 when the
	// log is empty. Written by the writer holding wmu; read by anyone.
	first, last atomic.Int64

	// wmu guards err and serialises all database writes (see Options).
	wmu sync.Locker
	// err is the sticky error of a failed write or sync.
	err error

	// writeBatch makes Append use badger.WriteBatch instead of a transaction;
	// a test knob for the benchmark that chose transactions.
	writeBatch bool
}

// Open returns the Log stored in db. It reads the first and last zxid; it
// does not verify entries.
func Open(db *badger.DB, opts Options) (*Log, error) {
	l := &Log{db: db, forceSync: opts.ForceSync, logger: opts.Logger, wmu: opts.WriteLock}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.wmu == nil {
		l.wmu = new(sync.Mutex)
	}
	if err := l.loadBounds(); err != nil {
		return nil, err
	}
	return l, nil
}

// LastZxid returns the largest zxid in the log, 0 when it is empty.
func (l *Log) LastZxid() int64 { return l.last.Load() }

// FirstZxid returns the smallest zxid in the log, 0 when it is empty.
func (l *Log) FirstZxid() int64 { return l.first.Load() }

// Append writes batch in zxid order and returns once it is durable (with
// ForceSync: one fsync for the whole batch). The zxids must be strictly
// increasing and greater than LastZxid, else Append writes nothing and
// returns an error wrapping ErrOrder. An empty batch is a no-op. Append does
// not retain batch.
func (l *Log) Append(batch []Entry) error {
	if len(batch) == 0 {
		return nil
	}
	if err := checkOrder(l.last.Load(), batch); err != nil {
		return err
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.err != nil {
		return l.err
	}
	write := l.writeTxn
	if l.writeBatch {
		write = l.writeWB
	}
	if err := write(batch); err != nil {
		l.err = fmt.Errorf("txnlog: append %#x..%#x: %w", batch[0].Zxid, batch[len(batch)-1].Zxid, err)
		return l.err
	}
	if l.first.Load() == 0 {
		l.first.Store(batch[0].Zxid)
	}
	l.last.Store(batch[len(batch)-1].Zxid)
	return nil
}

// encodeBatch returns the keys and values of batch, carved from one buffer.
func encodeBatch(batch []Entry) (keys, vals [][]byte) {
	n := 0
	for _, e := range batch {
		n += keyLen + crcLen + len(e.Data)
	}
	buf := make([]byte, 0, n)
	keys = make([][]byte, len(batch))
	vals = make([][]byte, len(batch))
	for i, e := range batch {
		s := len(buf)
		buf = appendKey(buf, e.Zxid)
		keys[i] = buf[s:len(buf):len(buf)]
		s = len(buf)
		buf = appendValue(buf, e.Zxid, e.Data)
		vals[i] = buf[s:len(buf):len(buf)]
	}
	return keys, vals
}

// writeTxn commits batch in as few badger transactions as fit, syncing after
// each one when forceSync. Caller holds wmu.
func (l *Log) writeTxn(batch []Entry) error {
	keys, vals := encodeBatch(batch)
	return l.inTxns(len(keys), func(txn *badger.Txn, i int) error {
		return txn.Set(keys[i], vals[i])
	})
}

// writeWB is writeTxn through a badger.WriteBatch. NB: a WriteBatch commits a
// batch too big for one transaction in several asynchronous commits, so a
// memtable rotation may fall between them and leave the earlier part unsynced;
// writeTxn is the one in use.
func (l *Log) writeWB(batch []Entry) error {
	keys, vals := encodeBatch(batch)
	wb := l.db.NewWriteBatch()
	defer wb.Cancel()
	for i := range keys {
		if err := wb.Set(keys[i], vals[i]); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	return l.sync()
}

// inTxns calls op for i in [0, n) inside update transactions, committing
// (and syncing, when forceSync) whenever one is full and at the end. Each
// commit is synced before the next can start, so no memtable rotation can
// strand a committed part in an unsynced WAL. Caller holds wmu.
func (l *Log) inTxns(n int, op func(txn *badger.Txn, i int) error) error {
	txn := l.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	pending := 0
	for i := 0; i < n; i++ {
		err := op(txn, i)
		if errors.Is(err, badger.ErrTxnTooBig) && pending > 0 {
			if err := l.commit(txn); err != nil {
				return err
			}
			txn = l.db.NewTransaction(true)
			pending = 0
			err = op(txn, i)
		}
		if err != nil {
			return err
		}
		pending++
	}
	if pending == 0 {
		return nil
	}
	return l.commit(txn)
}

// commit commits txn and syncs when forceSync. Caller holds wmu.
func (l *Log) commit(txn *badger.Txn) error {
	if err := txn.Commit(); err != nil {
		return err
	}
	return l.sync()
}

func (l *Log) sync() error {
	if !l.forceSync {
		return nil
	}
	return l.db.Sync()
}

// Sync forces everything written so far to disk, whatever ForceSync says.
func (l *Log) Sync() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.err != nil {
		return l.err
	}
	if err := l.db.Sync(); err != nil {
		l.err = fmt.Errorf("txnlog: sync: %w", err)
		return l.err
	}
	return nil
}

// Iterate calls fn for every entry with zxid > after, in zxid order, until fn
// returns an error (which Iterate returns unchanged) or the log ends. It reads
// a consistent snapshot of the log as of its start. data is valid only until
// fn returns and must not be modified; copy it to keep it. An entry that fails
// its checksum stops the iteration with an error wrapping ErrCorrupt before fn
// sees it.
//
// Iterate does not know what was purged: a caller that needs every entry from
// after on (a leader choosing DIFF over SNAP) compares after with FirstZxid.
func (l *Log) Iterate(after int64, fn func(zxid int64, data []byte) error) error {
	if after == math.MaxInt64 {
		return nil
	}
	start := max(after+1, 1)
	return l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{Prefix}})
		defer it.Close()
		var big []byte // reused copy of values too large to keep in the LSM tree
		for it.Seek(appendKey(nil, start)); it.Valid(); it.Next() {
			item := it.Item()
			zxid, err := keyZxid(item.Key())
			if err != nil {
				return err
			}
			visit := func(v []byte) error {
				data, err := valueData(zxid, v)
				if err != nil {
					return err
				}
				return fn(zxid, data)
			}
			if item.ValueSize() <= inlineValueMax {
				err = item.Value(visit)
			} else {
				// NB: a value-log value stays locked while Value's callback
				// runs; fn may block (a slow follower), so copy it out.
				big, err = item.ValueCopy(big[:0])
				if err == nil {
					err = visit(big)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// inlineValueMax is the value size above which Iterate copies a value out of
// badger before calling fn. Badger keeps values under its ValueThreshold (at
// most 1 MiB) in the LSM tree and larger ones in the value log.
const inlineValueMax = 64 << 10

// TruncateAfter drops every entry with a zxid greater than zxid, as a follower
// does on TRUNC (Learner.syncWithLeader, FileTxnSnapLog.truncateLog), and
// returns once that is durable. Entries are deleted from the tail down, so a
// crash in between leaves a shorter but gapless log.
func (l *Log) TruncateAfter(zxid int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.err != nil {
		return l.err
	}
	if zxid >= l.last.Load() {
		return nil
	}
	if err := l.deleteRange(max(zxid, 0)+1, math.MaxInt64, true); err != nil {
		l.err = fmt.Errorf("txnlog: truncate after %#x: %w", zxid, err)
		return l.err
	}
	return nil
}

// PurgeBefore drops every entry with a zxid less than zxid, as the purge task
// does with log files wholly before the oldest kept snapshot
// (PurgeTxnLog.purge), and returns once that is durable. Entries are deleted
// from the head up, so a crash in between leaves a gapless log. Purging past
// LastZxid empties the log: both bounds read 0 again.
func (l *Log) PurgeBefore(zxid int64) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.err != nil {
		return l.err
	}
	first := l.first.Load()
	if first == 0 || zxid <= first {
		return nil
	}
	if err := l.deleteRange(1, zxid-1, false); err != nil {
		l.err = fmt.Errorf("txnlog: purge before %#x: %w", zxid, err)
		return l.err
	}
	// Values too big for the LSM tree live in the value log, which only a
	// garbage collection reclaims. Badger learns what is discardable from
	// compactions, so this mostly reclaims what earlier purges dropped.
	if err := l.db.RunValueLogGC(0.5); err != nil &&
		!errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
		l.logger.Warn("txnlog: value log garbage collection failed", "err", err)
	}
	return nil
}

// deleteRange deletes the entries with from <= zxid <= to, newest first when
// reverse, then reloads the bounds. Caller holds wmu.
func (l *Log) deleteRange(from, to int64, reverse bool) error {
	var keys [][]byte
	err := l.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{Prefix}, Reverse: reverse})
		defer it.Close()
		if reverse {
			it.Seek(appendKey(nil, to))
		} else {
			it.Seek(appendKey(nil, from))
		}
		for ; it.Valid(); it.Next() {
			z, err := keyZxid(it.Item().Key())
			if err != nil {
				return err
			}
			if z < from || z > to {
				break
			}
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = l.inTxns(len(keys), func(txn *badger.Txn, i int) error {
		return txn.Delete(keys[i])
	})
	if err != nil {
		return err
	}
	return l.loadBounds()
}

// loadBounds reads the first and last zxid from the database.
func (l *Log) loadBounds() error {
	var first, last int64
	err := l.db.View(func(txn *badger.Txn) error {
		var err error
		if first, err = edge(txn, false); err != nil || first == 0 {
			return err
		}
		last, err = edge(txn, true)
		return err
	})
	if err != nil {
		return fmt.Errorf("txnlog: read bounds: %w", err)
	}
	l.first.Store(first)
	l.last.Store(last)
	return nil
}

// edge returns the smallest (or, when last, the largest) zxid, 0 if none.
func edge(txn *badger.Txn, last bool) (int64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{Prefix}, Reverse: last})
	defer it.Close()
	if last {
		it.Seek(appendKey(nil, math.MaxInt64))
	} else {
		it.Rewind()
	}
	if !it.Valid() {
		return 0, nil
	}
	return keyZxid(it.Item().Key())
}
