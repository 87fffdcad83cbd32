// Package txnlog is zabd's transaction log: txns keyed by zxid in the badger
// store that package persistence opens, appended in group commits, read back in
// zxid order, truncated at the tail (ZAB TRUNC) and purged at the head (after a
// snapshot).
//
// Counterpart: org.apache.zookeeper.server.persistence.FileTxnLog, with one
// badger database in place of the log.<zxid> files.
//
// # Layout
//
// Every entry is one badger key in the keyspace of prefix 'l' (see package
// persistence for the other keyspaces):
//
//	key   = 'l' | zxid (8 bytes, big-endian)          9 bytes
//	value = crc (4 bytes, big-endian) | data           4+len(data) bytes
//	crc   = CRC-32C (Castagnoli) over key[1:] | data
//
// Zxids are positive, so big-endian order is zxid order. The checksum covers
// the zxid too, so a value copied under the wrong key is caught as well as a
// flipped bit. Data is the marshalled TxnHeader+txn (+digest) and is opaque
// here. A value that fails its checksum is reported as an error wrapping
// ErrCorrupt and is never handed to a caller. FileTxnLog uses Adler32 over the
// data alone (PROTOCOL.md §3.2); CRC-32C is stronger and hardware-accelerated.
//
// # Durability
//
// Append returns once the batch is durable: the whole batch is committed to
// badger and then, with ForceSync, badger's write-ahead log is synced once
// (db.Sync). That single sync per batch is the group commit: the caller hands
// over whatever piled up while the previous sync ran (SyncRequestProcessor
// does the same with its toFlush queue). TruncateAfter and PurgeBefore sync
// as well.
//
// NB: db.Sync syncs only badger's active memtable WAL (and the newest value
// log file). A write from elsewhere that makes badger rotate its memtable
// between our commit and our sync would leave our entries in an older WAL that
// nobody syncs until badger flushes it to a table. So every write to the
// database holds Options.WriteLock from commit through sync, and a batch too
// large for one badger transaction is synced after each transaction. Package
// persistence hands the same lock to its own writers; nothing else may write
// to the database without it.
//
// NB: badger does not fsync its directory when it creates the WAL file of a
// new memtable. On ext4 and XFS the fsync of the new file commits its
// directory entry as well; on file systems that do not, a power cut right
// after a memtable rotation could lose the newest synced batches. A SIGKILL
// cannot (the crash test covers that); a power cut is not tested.
//
// A failed write or sync poisons the Log: later writes return the same error
// until the store is reopened. After a failed fsync the state of the page
// cache is unknown (PostgreSQL's "fsyncgate"); only a restart that rereads the
// disk is safe.
//
// # Performance
//
// An Append is one badger commit and one db.Sync, in that order, under the
// write lock. On the 2-core development VM (ext4, a disk shared with other
// work) a commit of 16 small entries takes 0.05–0.3 ms and the sync 0.4–1.5
// ms (BenchmarkAppend), and the sync also costs about half the CPU a durable
// write takes in the server: badger writes its WAL through a shared mapping
// of a sparse file, so each sync writes back, write-protects and allocates
// the pages just filled, and the next commit faults on them again. Two ways
// around db.Sync were measured and are not used:
//
//   - db.Sync also syncs the newest value-log file, which holds no entry
//     smaller than badger's ValueThreshold (1 MiB), so almost never one of
//     ours; yet on a disk with a write cache a sync of a clean file still
//     flushes the cache.
//     fdatasyncing the memtable WALs alone made an Append 5–10% faster
//     (interleaved runs), but it has to find badger's WAL files by their
//     names ("<fid>.mem") and follow its rotations, and a layout change in a
//     badger upgrade would then lose acknowledged writes silently.
//   - Committing the next batch while the previous one syncs would need the
//     lock to end at the commit, which the memtable rotation described above
//     forbids. A prototype that ignored rotations gained nothing measurable
//     in BenchmarkServerSetDataDurable: the commit is the small part.
//
// # Concurrency
//
// One goroutine at a time may call Append, TruncateAfter, PurgeBefore and
// Sync (the sync stage owns the Log). LastZxid, FirstZxid and Iterate may be
// called from any goroutine at any time; Iterate reads a consistent badger
// snapshot taken when it starts.
//
// # Testing
//
// Mem has the method set of Log and keeps entries in memory. It tracks which
// entries are synced, can Crash (drop the unsynced tail) and can fail the nth
// call, for crash tests of the packages above. Interfaces live with their
// consumers: declare the subset you need and pass a *Log or a *Mem.
package txnlog
