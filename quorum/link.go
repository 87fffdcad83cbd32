package quorum

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// maxQueued bounds the bytes waiting in one link's send queue. A learner
// that falls this far behind is disconnected (ZooKeeper's LearnerHandler
// queue is unbounded; the learner would time out on ACKs sooner or later).
const maxQueued = 256 << 20

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
// peer's loop, and a writer goroutine, which drains the send queue. Send
// never blocks. Close is safe from any goroutine; the owner waits for both
// goroutines with the term's WaitGroup.
type link struct {
	id   int64 // the learner's sid (leader side), the leader's (learner side)
	conn net.Conn

	mu     sync.Mutex // guards queue, queued, err
	queue  []outgoing
	queued int
	err    error
	wake   chan struct{} // capacity 1: the writer has work

	closeOnce sync.Once
	done      chan struct{}
}

func newLink(id int64, c net.Conn) *link {
	return &link{id: id, conn: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// send queues o for the writer.
func (l *link) send(o outgoing) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return
	}
	l.queued += len(o.pkt.Data) + len(o.stream) + 64
	if l.queued > maxQueued {
		l.err = errQueueFull
		l.mu.Unlock()
		l.close()
		return
	}
	l.queue = append(l.queue, o)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// close closes the connection; both goroutines then end.
func (l *link) close() {
	l.closeOnce.Do(func() {
		close(l.done)
		_ = l.conn.Close() // NB: nothing to do about a failed close
	})
}

// writeLoop writes queued packets in order, flushing when the queue is
// empty. A write that stalls for writeTimeout closes the link.
func (l *link) writeLoop(writeTimeout time.Duration) {
	bw := bufio.NewWriterSize(l.conn, 64<<10)
	var buf []byte
	for {
		select {
		case <-l.done:
			return
		case <-l.wake:
		}
		for {
			l.mu.Lock()
			batch := l.queue
			l.queue = nil
			l.queued = 0
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			_ = l.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			for i := range batch {
				buf = appendPacket(buf[:0], &batch[i].pkt)
				if _, err := bw.Write(buf); err != nil {
					l.close()
					return
				}
				if len(batch[i].stream) > 0 {
					if _, err := bw.Write(batch[i].stream); err != nil {
						l.close()
						return
					}
				}
			}
			if err := bw.Flush(); err != nil {
				l.close()
				return
			}
		}
	}
}
