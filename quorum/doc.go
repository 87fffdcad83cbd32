// Package quorum runs a server of an ensemble: the peer's life cycle LOOKING
// → election → LEADING / FOLLOWING / OBSERVING → LOOKING, the learner
// connections on the quorum port, and the wiring of the pure state machines
// (quorum/election, quorum/zab) to the sockets, the disk and the
// client-facing server (package server).
//
// Counterpart: QuorumPeerMain, QuorumPeer.run, Leader.lead's thread and
// LearnerCnxAcceptor, LearnerHandler's reader and sender threads,
// Learner.connectToLeader and the learner's socket reader.
//
// # Goroutines
//
// Run starts the server's Serve and the peer's loop (peer.run). The loop is
// the only goroutine that touches the Election, the zab.Leader or
// zab.Learner, the store (package persistence) and the server's role; it
// selects over:
//
//   - election messages from the transport (quorum/transport), and its tick
//     every election.TickInterval (50 ms);
//   - the ZAB tick, every tickTime/2 (ZooKeeper's leader pings twice per
//     tick), with initLimit and syncLimit doubled to keep their wall time;
//   - events of the current term's goroutines: an accept loop (leader), a
//     dialer (learner), and one reader and one writer per learner
//     connection (link);
//   - the inbox, where the server's prep, final and event-loop goroutines
//     drop proposals, finished syncs and forwarded requests without
//     blocking (server.Replicator, server.Forwarder).
//
// After each input (and the packets already waiting behind it) the loop
// drains Ready of the election and of ZAB and does what zab.Ready's
// documentation orders: snapshot and truncation durable, epochs durable,
// messages written on their links (by the loop itself while the socket
// takes them, the rest by the link's writer goroutine: link.go), entries
// handed to the syncer goroutine (syncer.go: one append and fsync per
// batch, Persisted stepped when it returns, the next batch gathering
// meanwhile), committed txns handed to server.Commit, and the rest. The
// messages leave before the entries of the same Ready are synced, which
// Ready allows (an ACK leaves only once Persisted covers it), so that a
// leader's PROPOSALs go out while its own log syncs. On the leader the
// committed txns go to the server before the messages, so that the snapshot
// that follows a SNAP holds at least the commits so far: the link's writer
// goroutine produces it (peer.syncSnapshot) after a final-stage barrier,
// walking the live tree fuzzily (server.WriteFuzzySyncSnapshot), and the
// learner's replay of the later commits absorbs what the walk already saw.
// A term's goroutines end with the term:
// the loop flushes the log, cancels the term's context, closes its listener
// and connections, and waits for them; events of a finished term are
// discarded.
//
// # Data
//
// An ensemble member keeps its data as a standalone server does, opened by
// server.OpenData (durable.go): the txn log, the epochs and the log's purge
// horizon in the badger store, snapshots in dataDir/zabd-snap. So a
// standalone dataDir, or an Apache ZooKeeper version-2 one (imported on the
// first start), starts an ensemble member with its data: with the highest
// zxid it wins the election and brings the others up by DIFF or SNAP; and
// an ensemble member's dataDir starts a standalone server. Snapshots are
// the peer's own, taken every snapCount txns (snapCount/2 plus a random
// part, as ZooKeeper does) while it serves, walked and written on a
// goroutine of their own (peer.snapshot), the one a SNAP installed, and
// whatever the dataDir held. With autopurge.purgeInterval set, each
// snapshot also drops the snapshots beyond autopurge.snapRetainCount and
// the log before the oldest kept one (at snapshot time, not on the hour);
// a leader then SNAPs a learner that is behind the kept log. The server
// gets an empty TxnLog (logView): the peer loads the tree itself
// (peer.loadTree: the newest snapshot, then the log after it) and
// fast-forwards it to the log's last zxid before each role (catchUpTree),
// so that the tree holds every txn up to the LastZxid that ZAB starts from.
//
// # Wire
//
// Learner connections carry QuorumPackets back to back in Jute's layout,
// with no frame length (wire.go); after SNAP the leader writes the
// snapshot stream (datatree.FuzzySnapshot.WriteSync: sessions, ACLs,
// nodes, then "BenWasHere"), which the learner reads before the next
// packet.
//
// # Not supported
//
// Quorum SASL and TLS; dynamic
// reconfiguration; local sessions; throttling of concurrent syncs. Every
// learner can be made to sync by SNAP with ZABD_FORCE_SNAPSHOT_SYNC=true
// in the leader's environment (tests).
package quorum
