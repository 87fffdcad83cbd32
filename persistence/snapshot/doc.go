// Package snapshot stores zabd's snapshots: opaque byte streams (the data
// tree's serialisation, which this package does not look inside) with their
// metadata — the zxid they start from, when they were taken, their size and
// checksum — and their retention.
//
// Counterpart: org.apache.zookeeper.server.persistence.FileSnap and
// SnapStream for the files, PurgeTxnLog and DatadirCleanupManager for
// retention.
//
// # Files, not badger
//
// Snapshots are files in a directory of their own, dataDir/zabd-snap, not
// chunks under the 's' keyspace of the badger store. Standalone servers and
// ensemble members use the same directory and, in the store, the same purge
// horizon (persistence.Store.PurgedBefore), so that a dataDir moves between
// the modes; OpenDataDir moves in the snapshots that ensemble members of
// earlier versions kept in dataDir/zabd-quorum. The reasons for files:
//
//   - A snapshot is written once, streamed, read once at start-up and
//     deleted whole. A file does each in one pass with bounded memory; in
//     badger it would be hundreds of chunks of at most ~1 MiB, each commit
//     taking the store's write lock and an fsync (Store.Update) and so
//     stalling log appends while the snapshot is written.
//   - Deleting a file gives the space back at once. Deleted badger keys are
//     reclaimed only by later compactions and value-log garbage collection,
//     so "disk stays bounded under autopurge" would depend on badger's
//     scheduling.
//   - An operator can copy, inspect (zabd snapshot-inspect) and back up a
//     snapshot file while the server runs; badger allows one process.
//   - Atomicity is the classic one: write a temporary file, fsync it, rename
//     it into place, fsync the directory. A crash leaves either the old set
//     of snapshots or the new one, plus possibly a *.tmp that OpenDir removes.
//
// # Layout
//
// One file per snapshot, named snap.<zxid as 16 hex digits>, so that names
// sort by zxid:
//
//	header   magic "ZABDSNAP" (8) | version uint32 = 1 | flags uint32 = 0
//	         | zxid int64 | time int64 (Unix ms)                       32 bytes
//	payload  the snapshot stream, opaque here                          size bytes
//	footer   size uint64 | crc uint32 | magic "ZEND" (4)              16 bytes
//	crc      CRC-32C (Castagnoli) over header | payload | size
//
// All integers are big-endian. The zxid of the header must equal the zxid of
// the file name. The checksum covers the metadata as well as the payload, so
// a flipped bit anywhere is caught.
//
// Zxid is the zxid of the last txn applied to the tree when the snapshot was
// taken; recovery replays the log from there. (The payload zabd writes is in
// Apache ZooKeeper's own snapshot format, which is what makes
// `zabd snapshot-export` a copy; this package does not rely on it.)
//
// # Install
//
// Install makes one snapshot the whole of the data (a leader's SNAP, an
// import): it marks the install in the store, commits the snapshot, drops
// the log and sets its horizon past the snapshot, then clears the mark. A
// crash in between leaves the mark, and CompleteInstall at start-up either
// finishes the job (the snapshot was committed) or drops the mark (it was
// not, and the old log still stands).
//
// # Concurrency
//
// A Dir is safe for concurrent use by one process, but the server writes and
// purges from one goroutine (its snapshot goroutine) so that a purge never
// races a snapshot being written. A Writer and a Reader are not safe for
// concurrent use.
package snapshot
