package server

import (
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// conn is one client connection.
//
// Fields above mu are owned by the connection's event loop. mu guards the
// session binding, auth ids and the per-session order (pending); outMu
// guards the outbox. Lock order: conn.mu, then the data tree, then outMu
// (outMu is a leaf lock; watch triggers take it under the tree's write lock).
type conn struct {
	s      *Server
	gc     gnet.Conn
	remote string // client IP, for the ip ACL scheme and cons

	// Loop-owned.
	handshaken bool
	fourLetter bool
	// revalidating: a learner waits for the leader's answer about the
	// session this connection resumes; revalidation holds the answer.
	revalidating    bool
	connHasReadOnly bool
	revalidation    atomic.Int32

	mu      sync.Mutex
	session int64
	timeout int32
	auth    []zkproto.Id
	// authView mirrors auth for CanRead, which runs under the tree's write
	// lock and so may not take mu.
	authView atomic.Pointer[[]zkproto.Id]
	pending  []*request // requests behind the oldest write still in flight
	inflight int        // writes submitted, not yet replied
	closing  bool       // no more requests accepted
	stats    connStats
	mon      connMon // cons statistics, fourletter.go

	outMu     sync.Mutex
	out       []byte
	spare     []byte
	scheduled bool // a flush is scheduled (Wake sent or inside OnTraffic)
	closeNow  bool // close after the next flush
}

// Answers in conn.revalidation.
const (
	revalidationPending int32 = iota
	revalidationValid
	revalidationInvalid
	revalidationRefused // the invalid answer has been sent
)

type connStats struct {
	received, sent int64
	lastOp         zkproto.OpCode
	lastZxid       int64
	lastLatencyNs  int64
	connectedMs    int64
}

// Notify queues a watch event: ReplyHeader{xid -1, zxid -1, 0} and the
// WatcherEvent, as ServerCnxn.process sends it. Called under the tree's
// write lock (watch.Watcher).
func (c *conn) Notify(typ zkproto.EventType, path string) {
	c.outMu.Lock()
	e := jute.Encoder{Buf: c.out}
	buf, off := jute.AppendFrame(e.Buf)
	e.Buf = buf
	hdr := zkproto.ReplyHeader{Xid: zkproto.XidWatchEvent, Zxid: -1}
	hdr.Encode(&e)
	ev := zkproto.WatcherEvent{Type: typ, State: zkproto.StateSyncConnected, Path: path}
	ev.Encode(&e)
	jute.FinishFrame(e.Buf, off)
	c.out = e.Buf
	c.unlockAndWake()
}

// reply queues one reply frame: the header and an optional body.
func (c *conn) reply(hdr zkproto.ReplyHeader, body jute.Record) {
	c.s.stats.sent.Add(1)
	c.outMu.Lock()
	e := jute.Encoder{Buf: c.out}
	buf, off := jute.AppendFrame(e.Buf)
	e.Buf = buf
	hdr.Encode(&e)
	if body != nil { // callers pass nil on error, but for the odd reply ZooKeeper sends with a body
		body.Encode(&e)
	}
	jute.FinishFrame(e.Buf, off)
	c.out = e.Buf
	c.unlockAndWake()
}

// writeRaw queues bytes as they are (connect responses, 4lw output).
func (c *conn) writeRaw(b []byte) {
	c.outMu.Lock()
	c.out = append(c.out, b...)
	c.unlockAndWake()
}

// closeAfterFlush closes the connection once everything queued is written.
func (c *conn) closeAfterFlush() {
	c.outMu.Lock()
	c.closeNow = true
	c.unlockAndWake()
}

// unlockAndWake releases outMu and, unless a flush is already scheduled,
// schedules one. The Wake (a write to the loop's eventfd) happens after the
// unlock, so the loop's flush and other repliers never wait on the syscall.
func (c *conn) unlockAndWake() {
	if c.scheduled {
		c.outMu.Unlock()
		return
	}
	c.scheduled = true
	c.outMu.Unlock()
	if err := c.gc.Wake(nil); err != nil {
		// Closed or shutting down: nothing will flush this connection.
		c.outMu.Lock()
		c.scheduled = false
		c.outMu.Unlock()
	}
}

// beginLoop is called at the start of OnTraffic: appends made while the loop
// holds the connection need no Wake, the loop flushes at the end.
func (c *conn) beginLoop() {
	c.outMu.Lock()
	c.scheduled = true
	c.outMu.Unlock()
}

// flush writes the outbox on the event loop. It reports whether the
// connection must now be closed.
func (c *conn) flush() bool {
	c.outMu.Lock()
	out := c.out
	c.out = c.spare[:0]
	c.scheduled = false
	closeNow := c.closeNow
	c.outMu.Unlock()
	if len(out) > 0 {
		_, _ = c.gc.Write(out) // gnet copies what it cannot write at once
	}
	c.outMu.Lock()
	if cap(out) <= 64<<10 {
		c.spare = out[:0]
	} else {
		c.spare = nil
	}
	c.outMu.Unlock()
	return closeNow
}

// CanRead reports whether the session may read a node with acl, for watch
// delivery (watch.Watcher).
func (c *conn) CanRead(acl []zkproto.ACL) bool {
	ids := c.authView.Load()
	if ids == nil {
		return c.s.checkACL(acl, zkproto.PermRead, nil)
	}
	return c.s.checkACL(acl, zkproto.PermRead, *ids)
}
