// Package election is ZooKeeper's Fast Leader Election (FLE) as a pure state
// machine, and the codec of its notification messages.
//
// Counterpart: org.apache.zookeeper.server.quorum.FastLeaderElection (both
// lookForLeader and the Messenger's WorkerReceiver), Vote, and the parts of
// QuorumPeer that hold the current vote. Reference: release-3.9.5; the wire
// layout is unchanged since 3.5 and golden bytes come from 3.8.0.
//
// # Contract
//
// An Election takes inputs and returns outputs; it never starts a goroutine,
// reads the clock, sleeps or touches a socket. One goroutine owns it (the
// peer's runtime in package quorum) and serialises the calls:
//
//	e := election.New(election.Config{ID: 1, Verifier: election.NewMajority(1, 2, 3)})
//	e.Start(lastLoggedZxid, currentEpoch)      // enter LOOKING
//	for {
//		select {
//		case m := <-transport.Recv():           // decode, then Step
//			n, err := election.DecodeNotification(m.Data)
//			if err == nil {
//				e.Step(m.From, n)
//			}
//		case <-ticker.C:                      // every election.TickInterval
//			e.Tick()
//		}
//		rd := e.Ready()
//		for _, m := range rd.Messages {       // send, in order
//			transport.Send(m.To, election.AppendNotification(nil, m.Notification))
//		}
//		if rd.Decision != nil {               // LEADING / FOLLOWING / OBSERVING
//			...
//		}
//	}
//
// The runtime keeps delivering notifications after a decision: a FOLLOWING or
// LEADING peer answers LOOKING peers with its current vote, which is how late
// peers join an established leader. When ZAB gives up (leader lost, no
// quorum), the runtime calls Start again; when a leader establishes a new
// epoch, leader and followers call UpdatePeerEpoch.
//
// # Rules (FastLeaderElection)
//
//   - Votes are ordered by peer epoch, then zxid, then server id
//     (totalOrderPredicate); a candidate of weight 0 never wins.
//   - Each Start increments the logical clock (the round). A LOOKING
//     notification of a later round moves this peer to that round, clears
//     the round's votes, and adopts the better of the notification's vote
//     and the peer's own initial vote; one of an earlier round is ignored,
//     and answered with our proposal.
//   - A peer sends its proposal to every voter, itself included, when the
//     round starts, when its proposal changes, and when no notification has
//     arrived for the notification timeout (which doubles each time, from
//     MinNotificationTicks up to MaxNotificationTicks).
//   - When a quorum of the round's votes equal the proposal, the peer waits
//     FinalizeWaitTicks for a better vote. Each notification that is not
//     better is dropped and restarts the wait; a better one ends it. If the
//     wait runs out, the peer decides.
//   - FOLLOWING and LEADING notifications are counted in the round's votes
//     (same round) and in outofelection (any round); the peer joins their
//     leader once a quorum agrees on it and the leader itself says LEADING
//     (checkLeader).
//   - Only voters count. A notification from a non-voter (an observer) is
//     answered at once with the current vote; an observer has no candidate of
//     its own and learns the leader from the voters' answers.
//
// # Time
//
// Time is a count of Tick calls. The defaults assume one Tick every
// TickInterval (50 ms): finalizeWait (200 ms) is 4 ticks, the notification
// timeout starts at 4 ticks (200 ms) and doubles up to 1200 ticks (60 s).
//
// # Tests
//
//   - notification_test.go: golden bytes written by Java's
//     FastLeaderElection.buildMsg (testdata/gen/GenNotifications.java,
//     ZooKeeper 3.8.0), both directions; the legacy 28- and 40-byte layouts
//     and every malformed length; FuzzDecodeNotification.
//   - vote_test.go: tables of totalOrderPredicate and Vote.Equal.
//   - testdata/conversations/*.txt: datadriven conversations (rounds,
//     finalize wait, timeouts, joining a leader, observers, filters).
//   - sim_test.go: seeded simulation of 3 or 5 voters (and an observer)
//     with loss, delays, duplicates, partitions, crashes and a ZAB stub.
//   - javainterop_test.go: FLE against real ZooKeeper servers.
//
// # Not supported
//
// Dynamic reconfiguration (a notification carrying a newer config makes Java
// call processReconfig and restart the election; here Config is decoded but
// not interpreted), QuorumOracleMaj, and the leader's reportLookingSid hook.
//
// # Known property of FLE
//
// Peers that decide in the same round do not always agree: a peer decides
// once its finalize wait passes without a better vote, and a better vote can
// be lost or late. ZooKeeper relies on ZAB to catch this (a follower of a
// peer that is not leading gives up and looks again); see
// testdata/conversations/disagreement_in_one_round.txt.
package election
