package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Queue sizes, as in QuorumCnxManager.
const (
	// SendQueueSize is the per-peer send queue (SEND_CAPACITY): one message,
	// the newest, so that a peer never receives a stale notification after
	// a newer one was queued.
	SendQueueSize = 1
	// RecvQueueSize is the receive queue shared by all peers (RECV_CAPACITY).
	RecvQueueSize = 100
)

// Defaults of Config.
const (
	// DefaultConnectTimeout is zookeeper.cnxTimeout (cnxTO), 5 s.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultHandshakeTimeout bounds reading or writing the initial
	// message. Java uses the socket timeout, initLimit*tickTime (20 s with
	// the sample zoo.cfg).
	DefaultHandshakeTimeout = 20 * time.Second
	// DefaultMinBackoff and DefaultMaxBackoff bound the wait between two
	// connection attempts to a peer while a message for it is queued.
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("transport: manager closed")

// ErrMessageSize is returned by Send for an empty message or one over
// MaxMessageSize, which the receiver would refuse.
var ErrMessageSize = errors.New("transport: message size out of range")

// Message is a message received from peer From.
type Message struct {
	From int64
	Data []byte
}

// Config configures a Manager.
type Config struct {
	// ID is this server's id (myid).
	ID int64
	// Addrs are this server's election addresses, "host:port", sent in the
	// initial message (the first only unless MultiAddress is set).
	Addrs []string
	// MultiAddress sends protocol version 2 with every address
	// (multiAddress.enabled). Leave it unset in ensembles with peers older
	// than 3.6.
	MultiAddress bool
	// Peers gives the election addresses of the other servers, tried in
	// order when dialing.
	Peers map[int64][]string
	// Listener accepts election connections. The Manager closes it on
	// Close. If nil, the Manager only dials: peers with larger ids cannot
	// reach it.
	Listener net.Listener
	// Dial opens a connection. Default: net.Dialer.DialContext.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// ConnectTimeout bounds one dial. Default DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// HandshakeTimeout bounds the initial message. Default
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between connection attempts.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection events. Default: discard.
	Logger *slog.Logger
}

// Manager keeps one TCP connection per peer on the election port and moves
// messages over them. Counterpart: QuorumCnxManager.
//
// Connections: only a connection initiated by the larger sid survives. A
// Manager that dials a larger sid sends its initial message and closes; the
// peer then closes any connection it had to us and dials back. A Manager
// accepting a connection from a smaller sid does the same in reverse. A new
// connection replaces the previous one to the same peer.
//
// Goroutines: one accepting on the Listener; one per incoming connection
// until its initial message is read; one dialing per peer while a
// connection is wanted; and, per live connection, one sending and one
// receiving. All are owned by the Manager and have exited when Close
// returns.
//
// Sending: each peer has a send queue of one message; a newer message
// replaces one not yet sent. The last message sent to a peer is sent again
// on each new connection if nothing newer is queued, since it may have been
// lost with the old connection (SendWorker.run). A message to ID itself is
// delivered to Recv directly.
//
// Receiving: messages of all peers go to one channel of RecvQueueSize.
// NB: as Java's CircularBlockingQueue does, a full channel drops its oldest
// message rather than block the connection: election messages supersede
// each other.
//
// Send, Recv, Connected and Close are safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	recv   chan Message

	dropped atomic.Int64 // messages dropped from a full receive channel

	// mu guards the fields below and every peer's conn, dialing, last and
	// advertised. Nothing blocks while holding it.
	mu       sync.Mutex
	closed   bool
	peers    map[int64]*peer
	pending  map[net.Conn]struct{} // connections before or during the handshake
	observer int64                 // last id given to an ObserverID peer
	accepts  uint64                // connections accepted so far
}

type peer struct {
	sid   int64
	queue chan []byte // capacity SendQueueSize; producers hold Manager.mu

	conn       *conn         // live connection, nil if none
	dialing    bool          // a dial goroutine is running
	redial     bool          // dial even if connected or nothing is queued
	kick       chan struct{} // wakes the dial goroutine from its backoff
	last       []byte        // last message taken for sending (lastMessageSent)
	advertised []string      // addresses from the peer's last initial message
	accepted   uint64        // accept sequence number of the installed incoming connection
}

type conn struct {
	c    net.Conn
	r    *bufio.Reader
	done chan struct{}
	once sync.Once
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.c.Close() // NB: nothing to do about a failed close
	})
}

// New starts a Manager: its accept loop if cfg.Listener is set. Dials
// happen on demand, when a message is sent to a peer without a connection.
func New(cfg Config) *Manager {
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg:     cfg,
		log:     log.With("myid", cfg.ID),
		ctx:     ctx,
		cancel:  cancel,
		recv:    make(chan Message, RecvQueueSize),
		peers:   map[int64]*peer{},
		pending: map[net.Conn]struct{}{},
	}
	if cfg.Listener != nil {
		m.goroutine(m.acceptLoop)
	}
	return m
}

// goroutine starts f as a goroutine owned by m. Callers hold m.mu with
// m.closed false, or run in a goroutine owned by m, so that the WaitGroup
// never grows after Close began to wait.
func (m *Manager) goroutine(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// Recv returns the channel of received messages. It is closed by Close.
func (m *Manager) Recv() <-chan Message { return m.recv }

// Dropped returns how many received messages were dropped because the Recv
// channel was full.
func (m *Manager) Dropped() int64 { return m.dropped.Load() }

// Send queues msg for peer sid, replacing a message still queued for it,
// and starts connecting to sid if there is no connection. It does not
// block. msg is copied.
func (m *Manager) Send(sid int64, msg []byte) error {
	if len(msg) == 0 || len(msg) > MaxMessageSize {
		return fmt.Errorf("%w: %d bytes", ErrMessageSize, len(msg))
	}
	msg = slices.Clone(msg)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if sid == m.cfg.ID {
		m.deliver(Message{From: sid, Data: msg})
		return nil
	}
	p := m.peerLocked(sid)
	select {
	case p.queue <- msg:
	default:
		// Full: drop the queued message, keep the newest.
		select {
		case <-p.queue:
		default:
		}
		select {
		case p.queue <- msg:
		default:
		}
	}
	m.connectLocked(p, false)
	return nil
}

// Connected reports whether there is a live connection to sid.
func (m *Manager) Connected(sid int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.peers[sid]
	return p != nil && p.conn != nil
}

// Close closes the listener and every connection and waits for all of the
// Manager's goroutines to exit; then it closes the Recv channel.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	var conns []*conn
	for _, p := range m.peers {
		if p.conn != nil {
			conns = append(conns, p.conn)
		}
	}
	var pending []net.Conn
	for c := range m.pending {
		pending = append(pending, c)
	}
	m.mu.Unlock()

	m.cancel()
	var err error
	if m.cfg.Listener != nil {
		err = m.cfg.Listener.Close()
	}
	for _, c := range conns {
		c.close()
	}
	for _, c := range pending {
		_ = c.Close() // NB: the handshake goroutine reports the failure
	}
	m.wg.Wait()
	close(m.recv)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (m *Manager) peerLocked(sid int64) *peer {
	p := m.peers[sid]
	if p == nil {
		p = &peer{sid: sid, queue: make(chan []byte, SendQueueSize), kick: make(chan struct{}, 1)}
		m.peers[sid] = p
	}
	return p
}

// deliver puts msg on the receive channel, dropping the oldest message if
// it is full.
func (m *Manager) deliver(msg Message) {
	for {
		select {
		case m.recv <- msg:
			return
		default:
		}
		select {
		case <-m.recv:
			m.dropped.Add(1)
		default:
		}
	}
}

// connectLocked makes sure a dial goroutine runs for p if p has no
// connection (QuorumCnxManager.connectOne). With force it dials even if p
// is connected or has nothing queued: the dial-back after we refused a
// connection from a smaller sid.
func (m *Manager) connectLocked(p *peer, force bool) {
	if m.closed {
		return
	}
	if force {
		p.redial = true
	}
	if p.dialing {
		if force {
			select {
			case p.kick <- struct{}{}:
			default:
			}
		}
		return
	}
	if p.conn != nil && !force {
		return
	}
	p.dialing = true
	m.goroutine(func() { m.dialLoop(p) })
}

// dialLoop connects to p: once, then again with exponential backoff while
// a message is queued for p and no connection has appeared. Against a
// larger sid a successful dial ends with the peer dialing back, so the loop
// then only waits and checks.
func (m *Manager) dialLoop(p *peer) {
	backoff := m.cfg.MinBackoff
	for first := true; ; first = false {
		// Decide and clear dialing under one lock, so that a request made
		// after the decision starts a new goroutine.
		m.mu.Lock()
		redial := p.redial
		p.redial = false
		if m.closed || !(redial || p.conn == nil && (first || len(p.queue) > 0)) {
			p.dialing = false
			m.mu.Unlock()
			return
		}
		addrs := slices.Compact(slices.Concat(p.advertised, m.cfg.Peers[p.sid]))
		if len(addrs) == 0 {
			// Nowhere to dial (an observer known only by its connection):
			// the message waits for the peer to connect.
			p.dialing = false
			m.mu.Unlock()
			m.log.Debug("no election address", "sid", p.sid)
			return
		}
		m.mu.Unlock()
		err := m.dialOnce(p, addrs)
		switch {
		case err != nil:
			m.log.Debug("election connection failed", "sid", p.sid, "err", err)
		case p.sid < m.cfg.ID:
			// Installed. Still wait before checking again, so that a peer
			// that drops every connection at once is not redialed in a
			// tight loop.
			backoff = m.cfg.MinBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-m.ctx.Done():
			t.Stop()
		case <-p.kick:
			t.Stop()
		case <-t.C:
			backoff = min(2*backoff, m.cfg.MaxBackoff)
		}
	}
}

// dialOnce is QuorumCnxManager.initiateConnection and startConnection.
func (m *Manager) dialOnce(p *peer, addrs []string) error {
	var c net.Conn
	var err error
	for _, a := range addrs {
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.ConnectTimeout)
		c, err = m.cfg.Dial(ctx, "tcp", a)
		cancel()
		if err == nil {
			break
		}
	}
	if err != nil {
		return err
	}
	if !m.track(c) {
		return ErrClosed
	}
	defer m.untrack(c)
	version := ProtocolVersionV1
	if m.cfg.MultiAddress {
		version = ProtocolVersionV2
	}
	hdr := AppendInitialMessage(nil, version, m.cfg.ID, m.cfg.Addrs)
	if err := c.SetWriteDeadline(time.Now().Add(m.cfg.HandshakeTimeout)); err == nil {
		_, err = c.Write(hdr)
	}
	if err == nil {
		err = c.SetWriteDeadline(time.Time{})
	}
	if err != nil {
		_ = c.Close() // NB: already failing
		return err
	}
	if p.sid > m.cfg.ID {
		// We lose the challenge: the peer drops this connection and dials
		// us back.
		m.log.Debug("smaller id, dropping connection", "sid", p.sid)
		return c.Close()
	}
	m.install(p, c, bufio.NewReader(c), 0)
	return nil
}

// track registers a connection under handshake so that Close can close it;
// it reports false, having closed c, if the Manager is closed.
func (m *Manager) track(c net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		_ = c.Close() // NB: shutting down
		return false
	}
	m.pending[c] = struct{}{}
	return true
}

func (m *Manager) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.pending, c)
	m.mu.Unlock()
}

func (m *Manager) acceptLoop() {
	backoff := m.cfg.MinBackoff
	for {
		c, err := m.cfg.Listener.Accept()
		if err != nil {
			if m.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (too many open files): wait and retry,
			// as Java's ListenerHandler does.
			m.log.Warn("election accept failed", "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-m.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, m.cfg.MaxBackoff)
			continue
		}
		backoff = m.cfg.MinBackoff
		if !m.track(c) {
			return
		}
		m.mu.Lock()
		m.accepts++
		seq := m.accepts
		m.mu.Unlock()
		m.goroutine(func() { m.handleIncoming(c, seq) })
	}
}

// handleIncoming is QuorumCnxManager.handleConnection for the connection
// accepted seq-th.
//
// Handshakes run in parallel (Java reads them one at a time in its listener
// thread, so that a stalled peer holds up the others), but connections from
// one peer are installed in accept order, as Java's are: a connection
// accepted before the installed one is stale (the peer dialed again since)
// and is dropped. Installing it would replace the live connection with one
// the peer has given up, leaving neither side connected.
func (m *Manager) handleIncoming(c net.Conn, seq uint64) {
	defer m.untrack(c)
	r := bufio.NewReader(c)
	var hdr InitialMessage
	err := c.SetReadDeadline(time.Now().Add(m.cfg.HandshakeTimeout))
	if err == nil {
		hdr, err = ReadInitialMessage(r)
	}
	if err != nil {
		m.log.Debug("bad initial message", "remote", c.RemoteAddr(), "err", err)
		_ = c.Close() // NB: reported above
		return
	}
	sid := hdr.SID
	m.mu.Lock()
	if sid == ObserverID {
		m.observer--
		sid = m.observer
	}
	m.mu.Unlock()
	switch {
	case sid < m.cfg.ID:
		// We win the challenge: drop this connection and any we had, and
		// dial back.
		_ = c.Close() // NB: deliberately dropped
		m.mu.Lock()
		p := m.peerLocked(sid)
		if len(hdr.Addrs) > 0 {
			p.advertised = hdr.Addrs
		}
		old := p.conn
		p.conn = nil
		m.connectLocked(p, true)
		m.mu.Unlock()
		if old != nil {
			old.close()
		}
	case sid == m.cfg.ID:
		// ZOOKEEPER-2164: a configuration error or a bug.
		m.log.Warn("election connection from a server with our own id", "remote", c.RemoteAddr())
		_ = c.Close() // NB: refused
	default:
		// NB: clear the deadline only here; a smaller sid has usually closed
		// its end already, and some conns refuse deadlines once closed.
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			_ = c.Close() // NB: reported here
			m.log.Debug("election connection lost in handshake", "sid", sid, "err", err)
			return
		}
		m.mu.Lock()
		p := m.peerLocked(sid)
		if len(hdr.Addrs) > 0 {
			p.advertised = hdr.Addrs
		}
		m.mu.Unlock()
		m.install(p, c, r, seq)
	}
}

// install makes c the connection to p, replacing (and closing) the previous
// one, and starts its send and receive goroutines. seq is the accept
// sequence number of an incoming connection (0 for one we dialed); an
// incoming connection accepted before the installed one is dropped.
func (m *Manager) install(p *peer, c net.Conn, r *bufio.Reader, seq uint64) {
	cn := &conn{c: c, r: r, done: make(chan struct{})}
	m.mu.Lock()
	if m.closed || seq != 0 && seq < p.accepted {
		m.mu.Unlock()
		cn.close()
		m.log.Debug("dropping stale election connection", "sid", p.sid)
		return
	}
	if seq != 0 {
		p.accepted = seq
	}
	old := p.conn
	p.conn = cn
	m.goroutine(func() { m.sendLoop(p, cn) })
	m.goroutine(func() { m.recvLoop(p, cn) })
	m.mu.Unlock()
	if old != nil {
		old.close()
	}
	m.log.Info("election connection up", "sid", p.sid, "local", c.LocalAddr(), "remote", c.RemoteAddr())
}

// detach forgets cn as p's connection (if it still is) and closes it.
func (m *Manager) detach(p *peer, cn *conn) {
	m.mu.Lock()
	if p.conn == cn {
		p.conn = nil
	}
	m.mu.Unlock()
	cn.close()
}

// sendLoop is SendWorker.run.
func (m *Manager) sendLoop(p *peer, cn *conn) {
	defer m.detach(p, cn)
	m.mu.Lock()
	last := p.last
	resend := len(p.queue) == 0 && last != nil
	m.mu.Unlock()
	var buf []byte
	if resend {
		buf = appendFrame(buf[:0], last)
		if _, err := cn.c.Write(buf); err != nil {
			m.log.Debug("election send failed", "sid", p.sid, "err", err)
			return
		}
	}
	for {
		select {
		case <-cn.done:
			return
		case <-m.ctx.Done():
			return
		case msg := <-p.queue:
			m.mu.Lock()
			if p.conn != cn {
				// Replaced: leave the message to the new connection, which
				// may already have passed its resend check.
				select {
				case p.queue <- msg:
				default: // a newer message is queued
				}
				m.mu.Unlock()
				return
			}
			p.last = msg
			m.mu.Unlock()
			buf = appendFrame(buf[:0], msg)
			if _, err := cn.c.Write(buf); err != nil {
				m.log.Debug("election send failed", "sid", p.sid, "err", err)
				return
			}
		}
	}
}

// recvLoop is RecvWorker.run.
func (m *Manager) recvLoop(p *peer, cn *conn) {
	defer m.detach(p, cn)
	for {
		msg, err := readFrame(cn.r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				m.log.Debug("election connection broken", "sid", p.sid, "err", err)
			}
			return
		}
		// No lock: Close closes the channel only after this goroutine exits.
		m.deliver(Message{From: p.sid, Data: msg})
	}
}
