// Package persistence opens zabd's on-disk store: one badger database per
// server, under dataLogDir/zabd, holding the transaction log (package txnlog),
// the quorum epochs and other small metadata, and later the snapshots (package
// persistence/snapshot). It owns the key layout.
//
// Counterpart: org.apache.zookeeper.server.persistence.FileTxnSnapLog for the
// log, and QuorumPeer's acceptedEpoch/currentEpoch files.
//
// # Key layout
//
// The first byte of a key names its keyspace:
//
//	'l' | zxid (8 bytes, big-endian)  → CRC-32C | txn bytes     txnlog (see its package comment)
//	'm' | name (ASCII)                → CRC-32C | value          metadata: epochs, markers
//	's' | ...                         reserved for persistence/snapshot
//
// A metadata value is its 4-byte big-endian CRC-32C (Castagnoli) over the name
// and the value, followed by the value. The epochs are stored under the names
// of ZooKeeper's files, "acceptedEpoch" and "currentEpoch", as 8-byte
// big-endian integers. A value that fails its checksum is reported as an error
// wrapping ErrCorrupt. Standalone servers and ensemble members share the rest:
//
//	logPurgedBefore   the log's purge horizon (Store.PurgedBefore)
//	snapInstalling    a snapshot install in progress (persistence/snapshot)
//
// Open renames "quorumLogBase" (a horizon minus one) and
// "quorumSnapInstalling", which ensemble members of earlier versions wrote.
//
// # Durability
//
// Badger runs with SyncWrites off; durability comes from explicit syncs. The
// log syncs once per Append batch when Options.ForceSync is set (zoo.cfg
// forceSync). Metadata writes always sync before they return, as ZooKeeper's
// AtomicFileOutputStream always fsyncs the epoch files. All writes to the
// database, through Store or the Log, hold one lock from commit through sync,
// because badger's Sync only covers its current memtable (see the txnlog
// package comment). Code given DB must write through Update for the same
// reason.
//
// # Concurrency
//
// A Store is safe for concurrent use. Its Log has a single-writer contract:
// one goroutine (the sync stage) appends, truncates and purges; any goroutine
// reads.
package persistence
