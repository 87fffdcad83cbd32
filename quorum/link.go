package quorum

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// maxQueued bounds the bytes waiting in one link's send queue. A learner
// that falls this far behind is disconnected (ZooKeeper's LearnerHandler
// queue is unbounded; the learner would time out on ACKs sooner or later).
const maxQueued = 256 << 20

// maxKeptBuffer bounds the encoding buffer a link keeps between flushes.
const maxKeptBuffer = 1 << 20

// errQueueFull closes a link whose peer does not read fast enough.
var errQueueFull = errors.New("quorum: send queue full")

// outgoing is one packet to write, and for SNAP the snapshot stream that
// follows it on the wire.
type outgoing struct {
	pkt    zk.QuorumPacket
	stream []byte
}

// link is one learner connection (leader side: to a learner; learner side:
// to the leader). It has a reader goroutine, which hands packets to the
// peer's loop, and a writer goroutine for what the socket does not take at
// once.
//
// The loop encodes the packets of a Ready with send and writes them with
// one flush, itself, without blocking: a write(2) on the non-blocking
// socket takes what the socket buffer has room for. Only the rest (a peer
// that reads slowly, a SNAP stream) goes to the writer goroutine, and
// while it has work every later flush queues behind it. On loopback and
// on an idle link no other goroutine has to run for a packet to leave:
// each such hop costs a wake-up, which on a busy machine is a trip through
// the OS scheduler on the commit path (PROPOSAL, ACK and COMMIT each took
// one).
//
// send and flush belong to the loop; close is safe from any goroutine. The
// owner waits for both goroutines with the term's WaitGroup.
type link struct {
	id   int64 // the learner's sid (leader side), the leader's (learner side)
	conn net.Conn
	// fd writes without blocking; nil sends everything through the writer
	// goroutine (a net.Pipe in tests).
	fd *fdWriter

	out []byte // loop: encoded packets not yet flushed

	mu     sync.Mutex // guards queue, queued, busy, err
	queue  [][]byte   // bytes for the writer goroutine, in order
	queued int
	busy   bool // the writer goroutine holds bytes it has not written
	err    error
	wake   chan struct{} // capacity 1: the writer has work

	closeOnce sync.Once
	done      chan struct{}
}

func newLink(id int64, c net.Conn) *link {
	return &link{id: id, conn: c, fd: newFDWriter(c), wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// send encodes o for the next flush. A SNAP's stream goes to the writer
// goroutine with everything encoded before it.
func (l *link) send(o outgoing) {
	l.out = appendPacket(l.out, &o.pkt)
	if len(o.stream) > 0 {
		out := l.out
		l.out = nil
		l.enqueue(out, o.stream)
	}
}

// flush writes what send encoded: at once if the writer goroutine is idle
// and the socket takes it, the rest through the writer goroutine.
func (l *link) flush() {
	b := l.out
	if len(b) == 0 {
		return
	}
	l.mu.Lock()
	direct := l.err == nil && !l.busy && len(l.queue) == 0 && l.fd != nil
	l.mu.Unlock()
	if direct {
		// Only the loop adds to the queue, so the writer stays idle.
		n, err := l.fd.write(b)
		switch {
		case n == len(b):
			l.out = b[:0]
			if cap(b) > maxKeptBuffer {
				l.out = nil // after a burst (a DIFF sync)
			}
			return
		case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
			// NB: the reader sees the closed connection and reports it.
			l.close()
			l.out = b[:0]
			return
		}
		b = b[n:]
	}
	l.out = nil // b is the queue's now
	l.enqueue(b)
}

// enqueue hands bufs to the writer goroutine.
func (l *link) enqueue(bufs ...[]byte) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return
	}
	for _, b := range bufs {
		l.queued += len(b)
	}
	if l.queued > maxQueued {
		l.err = errQueueFull
		l.mu.Unlock()
		l.close()
		return
	}
	l.queue = append(l.queue, bufs...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// close closes the connection; both goroutines then end, and later sends
// are dropped.
func (l *link) close() {
	l.closeOnce.Do(func() {
		close(l.done)
		_ = l.conn.Close() // NB: nothing to do about a failed close
		l.mu.Lock()
		if l.err == nil {
			l.err = net.ErrClosed
		}
		l.queue, l.queued = nil, 0
		l.mu.Unlock()
	})
}

// writeLoop writes the queued bytes in order. A write that stalls for
// writeTimeout closes the link.
func (l *link) writeLoop(writeTimeout time.Duration) {
	for {
		select {
		case <-l.done:
			return
		case <-l.wake:
		}
		for {
			l.mu.Lock()
			batch := net.Buffers(l.queue)
			l.queue = nil
			l.queued = 0
			l.busy = len(batch) > 0
			l.mu.Unlock()
			if len(batch) == 0 {
				// Let the loop's own writes through again.
				_ = l.conn.SetWriteDeadline(time.Time{})
				break
			}
			_ = l.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := batch.WriteTo(l.conn); err != nil {
				l.close()
				return
			}
		}
	}
}
