// Package zab is ZooKeeper Atomic Broadcast as pure state machines: a
// Leader and a Learner (follower or observer) that go through discovery,
// synchronisation and broadcast with ZooKeeper's own packets, so that they
// can talk to Apache ZooKeeper peers.
//
// Counterpart: org.apache.zookeeper.server.quorum Leader, LearnerHandler,
// Learner, Follower and Observer, release-3.9.5. Leader election is package
// quorum/election; connections are package quorum/transport; the goroutines
// that drive these machines are package quorum.
//
// # Contract
//
// A Leader or Learner takes inputs — packets (Step), ticks (Tick),
// durability reports (Persisted) and the server's calls (Propose, Forward,
// Sync, Revalidate) — and returns outputs through Ready. It never starts a
// goroutine, reads the clock, sleeps, or touches a socket or a file; it is
// not safe for concurrent use. One goroutine owns it and serialises every
// call, then drains Ready and does what Ready's documentation says, in that
// order:
//
//	l := zab.Lead(zab.Config{ID: 1, Voters: voters, Storage: log, ...})
//	for {
//		select {
//		case in := <-learnerPackets:     // decoded zkproto.QuorumPacket
//			l.Step(in.From, in.Packet)
//		case <-ticker.C:                 // every tickTime
//			l.Tick()
//		case z := <-synced:              // the sync stage fsynced up to z
//			l.Persisted(z)
//		case txn := <-prepared:          // prep built the txn for l.NextZxid()
//			l.Propose(txn)
//		}
//		rd := l.Ready()
//		// snapshot/truncate, epochs, append entries, send messages,
//		// apply committed, hand requests to prep ... (see Ready)
//		if rd.Phase == zab.Looking {
//			return rd.Err                // back to election
//		}
//	}
//
// One instance lives for one leadership or one connection to a leader.
// When it reports Looking, or the connection breaks, the runtime drops it,
// flushes its log, and after the next election starts a fresh one from the
// persisted state (Config).
//
// # Ordering duties
//
// Written next to Ready, as raft writes "persist before sending": epochs,
// truncation and a SNAP's snapshot are durable before the Messages of the
// same Ready leave; a follower's ACK of a proposal leaves only after its
// txn is synced, which the state machine guarantees by emitting the ACK
// only after Persisted covers it; the NEWLEADER ACK leaves only after the
// txns synced before it and then currentEpoch are durable (ZOOKEEPER-4643,
// -4646, -4785).
//
// The runtime's own snapshots must hold committed txns only: take one of a
// data tree whose txns all came through Ready.Committed or a SNAP. After a
// restart the tree also holds the replayed log tail, which may be
// uncommitted: snapshot it only once Ready.Committed has gone past that
// tail. Otherwise a TRUNC may fall inside the snapshot (ErrTruncateSnapshot).
//
// # Phases
//
// Discovery. Each learner sends FOLLOWERINFO (OBSERVERINFO) with its
// acceptedEpoch. The leader waits for itself and a quorum of voters,
// chooses newEpoch = max(acceptedEpoch)+1, persists it as its acceptedEpoch
// and sends LEADERINFO. A learner persists a larger epoch as acceptedEpoch
// and answers ACKEPOCH with its last zxid and currentEpoch (-1 if it had
// already accepted that epoch; it gives up on a smaller one). The leader
// drops a learner that is more recent than itself (currentEpoch, then last
// zxid) and, with a quorum of ACKEPOCHs, persists currentEpoch.
//
// Synchronisation. For each learner the leader sends DIFF (then
// PROPOSAL+COMMIT of every committed txn the learner lacks), TRUNC (the
// learner has txns past the last committed one) or SNAP (the learner is
// behind the retained log, or diverged across an epoch), then the
// outstanding proposals (followers only), then NEWLEADER. The learner logs
// what it received and persists currentEpoch before it ACKs NEWLEADER. With
// a quorum of NEWLEADER ACKs the leader is established and sends UPTODATE;
// the learner applies the committed txns, ACKs newEpoch<<32 and serves.
// Learners that connect later go through the same steps while broadcast
// goes on; what is proposed meanwhile is queued after their sync packets.
//
// Broadcast. Propose assigns epoch<<32|counter and sends PROPOSAL to the
// followers; a quorum of ACKs (the leader's own is Persisted) commits in
// zxid order: COMMIT to followers, INFORM (with the txn) to observers,
// Ready.Committed locally. Followers ACK each proposal once it is
// persisted and apply COMMITs in order; observers apply INFORMs and never
// ACK. The leader pings every learner each tick; learners answer with
// their session touches. A learner silent for syncLimit ticks, or that
// leaves a proposal unACKed that long, is dropped; a leader without a
// quorum of live followers, or a learner without a word from its leader
// for syncLimit ticks, goes back to LOOKING.
//
// # Wire layouts (QuorumPacket{int type; long zxid; buffer data; vector<Id> authinfo})
//
// Checked against Leader.java, LearnerHandler.java and Learner.java of
// release-3.9.5. "null" is a Jute buffer/vector of length -1.
//
//	type               dir   zxid                        data                                      authinfo
//	REQUEST 1          L→Ld  -1                          long sessionId, int cxid, int type, record session's ids
//	PROPOSAL 2         Ld→F  txn zxid                    TxnHeader + txn [+ TxnDigest]             null
//	ACK 3              F→Ld  acked zxid (newEpoch<<32    null                                      null
//	                         for NEWLEADER and UPTODATE)
//	COMMIT 4           Ld→F  zxid                        null                                      null
//	PING 5             Ld→L  last proposed zxid          null                                      null
//	PING 5 (reply)     L→Ld  echoed                      {long sessionId, int timeout}* (empty,    echoed
//	                                                     not null, when none)
//	REVALIDATE 6       L→Ld  -1                          long sessionId, int timeout               null
//	REVALIDATE 6       Ld→L  echoed (-1)                 long sessionId, byte valid                null
//	SYNC 7             Ld→L  0                           null                                      null
//	INFORM 8           Ld→O  zxid                        as PROPOSAL                               null
//	NEWLEADER 10       Ld→L  newEpoch<<32                dynamic config text (Config.ConfigData)   null
//	FOLLOWERINFO 11    F→Ld  acceptedEpoch<<32           LearnerInfo{long sid, int 0x10000,        null
//	                                                     long configVersion}
//	UPTODATE 12        Ld→L  -1                          null                                      null
//	DIFF 13            Ld→L  peer's zxid if in sync,     null                                      null
//	                         else last committed zxid
//	TRUNC 14           Ld→L  truncate-to zxid            null                                      null
//	SNAP 15            Ld→L  lastProcessedZxid           null; the snapshot stream follows         null
//	OBSERVERINFO 16    O→Ld  acceptedEpoch<<32           LearnerInfo                               null
//	LEADERINFO 17      Ld→L  newEpoch<<32                int 0x10000                               null
//	ACKEPOCH 18        L→Ld  last logged zxid            int currentEpoch, or -1                   null
//
// Handlers cite the actions of ZooKeeper's TLA+ system specification
// (zookeeper-specifications/system-spec/zk-3.7/ZkV3_7_0.tla) that they
// implement, e.g. onNewLeader is FollowerProcessNEWLEADER.
//
// # Deviations from ZooKeeper
//
// Same packets, stricter rules:
//
//   - The leader forgets a learner's ACKs of outstanding proposals when
//     the learner registers again; its sync may TRUNC the txns they vouch
//     for (every outstanding proposal is re-sent and re-ACKed). ZooKeeper
//     keeps them; the simulation lost committed txns that way
//     (testdata/conversations/leader_reconnect.txt).
//   - A learner applies the txns of its sync at UPTODATE, once the leader
//     is established, not at NEWLEADER (or, after SNAP or TRUNC, as they
//     arrive); it installs a SNAP at NEWLEADER, with the txns that follow.
//     An observer, too, logs them before it ACKs NEWLEADER.
//   - TRUNC cannot undo txns held in a snapshot, and a learner can hold
//     uncommitted ones in the SNAP of a leader that failed before it was
//     established. The leader therefore sends TRUNC only to a learner whose
//     currentEpoch (from ACKEPOCH, remembered across reconnections) is its
//     last zxid's epoch or the leader's own, and SNAP otherwise; ZooKeeper
//     sends TRUNC and its learner keeps the snapshot, silently diverging.
//     A learner gives up (ErrTruncateSnapshot) on TRUNC below its newest
//     snapshot's txns, rather than diverge.
//   - A learner gives up on a gap in the zxids of PROPOSAL or INFORM, or a
//     COMMIT for anything but the oldest pending proposal, in every phase;
//     ZooKeeper only warns about some of these.
//   - The leader pings once per tick (ZooKeeper: twice) and checks its
//     quorum every tick. Before it is established it times out only the
//     learners it waits for, in initLimit ticks, as LearnerHandler's socket
//     timeout does.
//
// # Known property: stale establishment
//
// NEWLEADER ACKs stay counted when their learner disconnects, as in
// ZooKeeper (waitForNewLeaderAck). A learner can ACK epoch e's NEWLEADER,
// leave, and help establish epoch e+1, which commits; the epoch e leader may
// then complete its quorum with that old ACK and be established with a
// history that is a prefix of what epoch e+1 committed. It cannot commit
// anything new — epoch e+1's quorum has accepted e+1 and refuses e — and it
// steps down at its next tick without a quorum of synced followers; its
// learners meanwhile serve a stale but consistent prefix, as ZooKeeper's
// reads may. The simulation sees this about once in 20,000 schedules.
//
// # Not supported
//
// Dynamic reconfiguration (COMMITANDACTIVATE, INFORMANDACTIVATE: the learner
// gives up with ErrUnsupported; NEWLEADER's config is sent but not read),
// pre-1.0 learners and leaders (no LEADERINFO), ObserverMaster, hierarchical
// quorums and QuorumOracleMaj, and the throttling of concurrent syncs
// (maxConcurrentSnapSyncs), which is the runtime's to apply.
package zab
