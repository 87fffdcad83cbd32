// Package transport is the election transport of a ZooKeeper ensemble: one
// TCP connection per pair of servers on the election port (3888), carrying
// length-prefixed messages, with ZooKeeper's rules for who keeps a
// connection. Counterpart: org.apache.zookeeper.server.quorum.QuorumCnxManager
// (release-3.9.5; the wire format is unchanged since 3.6).
//
// It moves opaque messages (Fast Leader Election notifications, encoded by
// package quorum/election) and knows nothing of their content. It owns its
// goroutines and sockets and nothing else; it never decides anything about
// the election.
//
// Wire, on each connection:
//
//	dialer -> acceptor: initial message (see InitialMessage)
//	then, both ways:    int length (1..MaxMessageSize) | length bytes
//
// Tests: wire tables and FuzzReadInitialMessage; golden bytes captured from
// Java's QuorumCnxManager on a socket (testdata/gen/CaptureWire.java),
// which a Manager must reproduce exactly; timers, backoff, queues and
// shutdown in testing/synctest bubbles over an in-memory net.Pipe network;
// meshes, restarts and goroutine leaks over TCP on 127.0.0.1; and an
// exchange with Java QuorumCnxManager processes (java_test.go).
//
// Not supported: quorum SASL (QuorumAuthPacket exchange after the initial
// message, quorum.auth.enableSasl), TLS (sslQuorum), and the reachability
// checks of multiAddress.reachabilityCheckEnabled.
package transport
