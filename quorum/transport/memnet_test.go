package transport

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// memNet is an in-memory network of net.Pipe connections, for tests inside
// a testing/synctest bubble, where real sockets would not let the fake
// clock advance.
type memNet struct {
	mu        sync.Mutex
	listeners map[string]*memListener
	dials     []dialRec
}

type dialRec struct {
	at   time.Time
	addr string
	ok   bool
}

var errRefused = errors.New("memnet: connection refused")

func newMemNet() *memNet { return &memNet{listeners: map[string]*memListener{}} }

func (n *memNet) Listen(addr string) *memListener {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := &memListener{net: n, addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
	n.listeners[addr] = l
	return l
}

func (n *memNet) Dial(ctx context.Context, _, addr string) (net.Conn, error) {
	n.mu.Lock()
	l := n.listeners[addr]
	n.dials = append(n.dials, dialRec{at: time.Now(), addr: addr, ok: l != nil})
	n.mu.Unlock()
	if l == nil {
		return nil, errRefused
	}
	a, b := net.Pipe()
	select {
	case l.ch <- b:
		return a, nil
	case <-l.done:
		return nil, errRefused
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dialsTo returns the times of the dials to addr.
func (n *memNet) dialsTo(addr string) []time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []time.Time
	for _, d := range n.dials {
		if d.addr == addr {
			out = append(out, d.at)
		}
	}
	return out
}

type memListener struct {
	net  *memNet
	addr string
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.net.mu.Lock()
		if l.net.listeners[l.addr] == l {
			delete(l.net.listeners, l.addr)
		}
		l.net.mu.Unlock()
	})
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr(l.addr) }

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }
