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
// follows it on the wire, which the link's writer goroutine produces when
// it gets there (the leader walks its tree for it meanwhile).
type outgoing struct {
	pkt    zk.QuorumPacket
	stream func() ([]byte, error)
}

// chunk is a piece of a link's send queue: bytes, or a stream to produce.
type chunk struct {
	b    []byte
	fill func() ([]byte, error)
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
	queue  []chunk    // for the writer goroutine, in order
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
	if o.stream != nil {
		out := l.out
		l.out = nil
		l.enqueue(chunk{b: out}, chunk{fill: o.stream})
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
	l.enqueue(chunk{b: b})
}

// enqueue hands chunks to the writer goroutine.
func (l *link) enqueue(chunks ...chunk) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return
	}
	for _, c := range chunks {
		l.queued += len(c.b)
	}
	if l.queued > maxQueued {
		l.err = errQueueFull
		l.mu.Unlock()
		l.close()
		return
	}
	l.queue = append(l.queue, chunks...)
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
			q := l.queue
			l.queue = nil
			l.queued = 0
			l.busy = len(q) > 0
			l.mu.Unlock()
			if len(q) == 0 {
				// Let the loop's own writes through again.
				_ = l.conn.SetWriteDeadline(time.Time{})
				break
			}
			if err := l.writeChunks(q, writeTimeout); err != nil {
				l.close()
				return
			}
		}
	}
}

// writeChunks writes q in order, producing each stream when it gets to it.
func (l *link) writeChunks(q []chunk, writeTimeout time.Duration) error {
	var batch net.Buffers
	write := func() error {
		if len(batch) == 0 {
			return nil
		}
		_ = l.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, err := batch.WriteTo(l.conn)
		return err
	}
	for _, c := range q {
		if c.fill == nil {
			batch = append(batch, c.b)
			continue
		}
		if err := write(); err != nil {
			return err
		}
		b, err := c.fill()
		if err != nil {
			return err
		}
		batch = append(batch, b)
	}
	return write()
}
