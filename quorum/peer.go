package quorum

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	zk "github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/quorum/election"
	"github.com/zabd/zabd/quorum/transport"
	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server"
	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
)

// errServerStopped ends the peer's loop when the client-facing server's
// Serve has returned.
var errServerStopped = errors.New("quorum: server stopped")

// dialRetry is the pause between two attempts to connect to the leader
// (Learner.connectToLeader's leaderConnectDelayDuringRetryMs, 100 ms).
const dialRetry = 100 * time.Millisecond

// peer is one server of an ensemble: the election, the role it plays after
// each election, and the server it drives. One goroutine, run's, owns
// every field; the goroutines of a term (accept, dial, link readers and
// writers) only send it events.
type peer struct {
	cfg      *config.Config
	log      *slog.Logger
	srv      *server.Server
	d        *durable
	tr       *transport.Manager
	el       *election.Election
	voters   []int64
	servers  map[int64]config.Server
	observer bool

	configData []byte
	zabTick    time.Duration // half a tickTime: the leader pings twice a tick
	initLimit  int           // in zab ticks
	syncLimit  int           // in zab ticks
	maxPacket  int

	in     *inbox
	events chan event
	served <-chan struct{} // closed when srv.Serve returned

	// Log syncing (syncer.go).
	syncReqs chan []zab.Entry // capacity 1
	syncDone chan syncResult  // capacity 1
	syncing  bool             // a batch is with the syncer
	queued   []zab.Entry      // entries waiting for the next batch
	syncTerm *term            // the term whose entries are queued or syncing

	// Snapshots: after snapCount/2 + rand(snapCount/2) committed txns
	// (SyncRequestProcessor.shouldSnapshot), taken while serving.
	rng           *rand.Rand
	sinceSnap     int
	snapThreshold int
	// A snapshot being written off the loop: snapDone (capacity 1) brings
	// its end back; setting snapStop ends its walk early.
	snapping bool
	snapStop *atomic.Bool
	snapDone chan snapResult

	t       *term     // nil while LOOKING
	looking time.Time // when the current LOOKING began
}

// term is one role after one election: a leadership, or a connection to a
// leader. Its goroutines end when it ends.
type term struct {
	role     server.Role
	leaderID int64
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	began    time.Time
	serving  bool

	// Leader.
	ln    net.Listener
	zl    *zab.Leader
	links map[int64]*link

	// Learner.
	zf *zab.Learner
	up *link // nil while dialing
}

func (t *term) goroutine(f func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
}

type eventKind uint8

const (
	evHello  eventKind = iota + 1 // leader: a learner's first packet
	evPacket                      // a packet on a link
	evClosed                      // a link broke
	evDialed                      // learner: the connection to the leader
)

// event is what a term's goroutines hand the loop.
type event struct {
	t    *term
	kind eventKind
	l    *link
	pkt  zk.QuorumPacket
	conn net.Conn
	err  error
}

// post hands ev to the loop unless the term ended.
func (p *peer) post(ev event) bool {
	select {
	case p.events <- ev:
		return true
	case <-ev.t.ctx.Done():
		return false
	}
}

// run is the peer's loop: LOOKING, then a role, then LOOKING again, until
// ctx is done. It returns an error only for what ZooKeeper would exit on
// (a failing disk).
func (p *peer) run(ctx context.Context) error {
	defer func() {
		if err := p.endTerm(); err != nil {
			p.log.Error("flushing the log", "err", err)
		}
		p.awaitSnapshot()
	}()
	if err := p.lookForLeader(); err != nil {
		return err
	}
	elTick := time.NewTicker(election.TickInterval)
	defer elTick.Stop()
	zabTick := time.NewTicker(p.zabTick)
	defer zabTick.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-p.served:
			return errServerStopped
		case m, ok := <-p.tr.Recv():
			if !ok {
				return nil
			}
			n, derr := election.DecodeNotification(m.Data)
			if derr != nil {
				p.log.Warn("dropping election message", "from", m.From, "err", derr)
				break
			}
			p.el.Step(m.From, n)
		case <-elTick.C:
			p.el.Tick()
		case <-zabTick.C:
			p.publishStats()
			if t := p.t; t != nil {
				if t.zl != nil {
					t.zl.Tick()
				} else if t.zf != nil {
					t.zf.Tick()
				}
			}
		case ev := <-p.events:
			err = p.onEvents(ev)
		case <-p.in.signal:
			err = p.onInbox()
		case r := <-p.syncDone:
			err = p.synced(r)
		case r := <-p.snapDone:
			p.snapshotted(r)
		}
		if err == nil {
			err = p.drain()
		}
		if err != nil {
			return err
		}
	}
}

// drain acts on whatever the election and ZAB have to say until both are
// quiet.
func (p *peer) drain() error {
	for {
		busy := false
		if p.el.HasReady() {
			busy = true
			rd := p.el.Ready()
			for _, m := range rd.Messages {
				if err := p.tr.Send(m.To, election.AppendNotification(nil, m.Notification)); err != nil {
					p.log.Warn("election send", "to", m.To, "err", err)
				}
			}
			if d := rd.Decision; d != nil && p.t == nil {
				if err := p.decided(*d); err != nil {
					return err
				}
			}
		}
		if t := p.t; t != nil {
			var rd zab.Ready
			switch {
			case t.zl != nil && t.zl.HasReady():
				rd = t.zl.Ready()
			case t.zf != nil && t.zf.HasReady():
				rd = t.zf.Ready()
			default:
				if !busy {
					return nil
				}
				continue
			}
			if err := p.handleReady(t, rd); err != nil {
				return err
			}
			continue
		}
		if !busy {
			return nil
		}
	}
}

// lookForLeader ends the current term, if any, and starts an election round
// (QuorumPeer.run, case LOOKING).
func (p *peer) lookForLeader() error {
	if err := p.endTerm(); err != nil {
		return err
	}
	p.looking = time.Now()
	_, current, err := p.d.epochs()
	if err != nil {
		return err
	}
	p.log.Info("LOOKING", "lastZxid", hex(p.d.lastZxid()), "currentEpoch", current)
	p.el.Start(p.d.lastZxid(), current)
	return nil
}

// endTerm makes the log durable, stops the current term's goroutines and
// closes its connections.
func (p *peer) endTerm() error {
	err := p.flush()
	p.stopSnapshot()
	t := p.t
	if t == nil {
		return err
	}
	p.t = nil
	t.cancel()
	if t.ln != nil {
		_ = t.ln.Close() // NB: the accept loop reports nothing
	}
	for _, l := range t.links {
		l.close()
	}
	if t.up != nil {
		t.up.close()
	}
	t.wg.Wait()
	p.srv.SetRole(server.RoleLooking, 0, nil, nil)
	return err
}

// decided starts the role an election decided on.
func (p *peer) decided(d election.Decision) error {
	took := time.Since(p.looking)
	ctx, cancel := context.WithCancel(context.Background())
	t := &term{leaderID: d.Vote.Leader, ctx: ctx, cancel: cancel, began: time.Now()}
	p.log.Info("election decided", "state", d.State, "leader", d.Vote.Leader,
		"zxid", hex(d.Vote.Zxid), "peerEpoch", d.Vote.PeerEpoch, "took", took.Round(time.Millisecond))
	// The tree must hold every txn up to the last zxid given to ZAB
	// (ZKDatabase.fastForwardDataBase).
	if err := p.catchUpTree(); err != nil {
		cancel()
		return err
	}
	p.t = t
	switch d.State {
	case election.Leading:
		t.role = server.RoleLeading
		return p.lead(t)
	case election.Observing:
		t.role = server.RoleObserving
	default:
		t.role = server.RoleFollowing
	}
	p.dial(t)
	return nil
}

// zabConfig is the durable state ZAB starts from.
func (p *peer) zabConfig(leaderID int64) (zab.Config, error) {
	accepted, current, err := p.d.epochs()
	if err != nil {
		return zab.Config{}, err
	}
	return zab.Config{
		ID:            p.cfg.MyID,
		Voters:        p.voters,
		InitLimit:     p.initLimit,
		SyncLimit:     p.syncLimit,
		AcceptedEpoch: accepted,
		CurrentEpoch:  current,
		LastZxid:      p.d.lastZxid(),
		SnapshotZxid:  p.d.snap.Zxid,
		Storage:       p.d,
		ConfigData:    p.configData,
		LeaderID:      leaderID,
		Touches:       touches{p.srv},
	}, nil
}

// lead starts a leadership: the quorum port and zab.Lead (QuorumPeer.run,
// case LEADING; Leader.lead).
func (p *peer) lead(t *term) error {
	me := p.servers[p.cfg.MyID]
	host := me.Host
	if p.cfg.QuorumListenOnAllIPs {
		host = ""
	}
	addr := net.JoinHostPort(host, strconv.Itoa(me.QuorumPort))
	ln, err := listen(addr)
	if err != nil {
		p.log.Error("cannot listen on the quorum port; looking again", "addr", addr, "err", err)
		return p.lookForLeader()
	}
	cfg, err := p.zabConfig(p.cfg.MyID)
	if err != nil {
		_ = ln.Close()
		return err
	}
	t.ln = ln
	t.links = map[int64]*link{}
	t.zl = zab.Lead(cfg)
	p.log.Info("LEADING", "quorumAddr", ln.Addr().String(), "acceptedEpoch", cfg.AcceptedEpoch, "lastZxid", hex(cfg.LastZxid))
	t.goroutine(func() { p.acceptLoop(t) })
	return nil
}

// listen opens a TCP listener with SO_REUSEADDR (Go's default on Unix), so
// that a new leader can bind while old connections linger in TIME_WAIT.
func listen(addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", addr)
}

func (p *peer) acceptLoop(t *term) {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return // the listener closed with the term
		}
		t.goroutine(func() { p.readLearner(t, c) })
	}
}

// readLearner reads a learner connection on the leader: FOLLOWERINFO or
// OBSERVERINFO first (within initLimit), then packets until it breaks.
func (p *peer) readLearner(t *term, c net.Conn) {
	stop := context.AfterFunc(t.ctx, func() { _ = c.Close() })
	defer stop()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	br := bufio.NewReaderSize(c, 64<<10)
	_ = c.SetReadDeadline(time.Now().Add(time.Duration(p.initLimit) * p.zabTick))
	pkt, err := readPacket(br, p.maxPacket)
	if err == nil {
		var li zk.LearnerInfo
		if li, err = zab.ParseLearnerInfo(pkt); err == nil {
			_ = c.SetReadDeadline(time.Time{})
			l := newLink(li.ServerID, c)
			t.goroutine(func() { l.writeLoop(p.writeTimeout()) })
			if !p.post(event{t: t, kind: evHello, l: l, pkt: pkt}) {
				l.close()
				return
			}
			p.readLink(t, l, br)
			return
		}
	}
	p.log.Warn("dropping a learner connection", "remote", c.RemoteAddr().String(), "err", err)
	_ = c.Close()
}

// readLink hands every packet of l to the loop, then evClosed. A SNAP
// packet's snapshot stream is read with it and handed over as its Data,
// in server.WriteSnapshot's format.
func (p *peer) readLink(t *term, l *link, br *bufio.Reader) {
	defer l.close()
	for {
		pkt, err := readPacket(br, p.maxPacket)
		if err == nil && zab.PacketType(pkt.Type) == zab.Snap && t.role != server.RoleLeading {
			pkt.Data, err = readSnapStream(br, p.cfg.JuteMaxBuffer)
		}
		if err != nil {
			p.post(event{t: t, kind: evClosed, l: l, err: err})
			return
		}
		if !p.post(event{t: t, kind: evPacket, l: l, pkt: pkt}) {
			return
		}
	}
}

// readSnapStream reads the snapshot that follows SNAP and re-encodes it in
// the snapshot file format, which the learner stores and installs.
func readSnapStream(br *bufio.Reader, maxBuffer int) ([]byte, error) {
	snap, err := datatree.ReadSyncSnapshot(br, maxBuffer)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := snap.Tree.WriteSnapshot(&buf, snap.Sessions); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeTimeout bounds one batch of writes on a learner connection: a peer
// that takes longer than syncLimit to take it is gone.
func (p *peer) writeTimeout() time.Duration {
	return time.Duration(p.syncLimit) * p.zabTick
}

// dial connects to the leader in the background, retrying for initLimit
// ticks (Learner.connectToLeader).
func (p *peer) dial(t *term) {
	ls, ok := p.servers[t.leaderID]
	if !ok {
		p.log.Error("elected leader is not in the configuration", "leader", t.leaderID)
	}
	addr := net.JoinHostPort(ls.Host, strconv.Itoa(ls.QuorumPort))
	p.log.Info("connecting to the leader", "role", t.role, "leader", t.leaderID, "addr", addr)
	t.goroutine(func() {
		deadline := time.Now().Add(time.Duration(p.initLimit) * p.zabTick)
		d := net.Dialer{Timeout: p.cfg.CnxTimeout}
		var c net.Conn
		var err error
		for {
			c, err = d.DialContext(t.ctx, "tcp", addr)
			if err == nil || !ok || time.Now().After(deadline) {
				break
			}
			select {
			case <-t.ctx.Done():
				return
			case <-time.After(dialRetry):
			}
		}
		if !p.post(event{t: t, kind: evDialed, conn: c, err: err}) && c != nil {
			_ = c.Close()
		}
	})
}

// maxBatch bounds how many packets the loop steps before it handles Ready:
// proposals and ACKs that arrived together share one log append and sync.
const maxBatch = 256

// onEvents handles ev and the packets already waiting behind it. Any other
// event ends the batch, after the Ready of the packets before it.
func (p *peer) onEvents(ev event) error {
	for n := 0; ; n++ {
		if err := p.onEvent(ev); err != nil || ev.kind != evPacket || n == maxBatch {
			return err
		}
		select {
		case ev = <-p.events:
		default:
			return nil
		}
		if ev.kind != evPacket {
			if err := p.drain(); err != nil {
				return err
			}
		}
	}
}

// onEvent handles an event of a term's goroutines.
func (p *peer) onEvent(ev event) error {
	t := p.t
	if ev.t != t {
		// From a term that ended; its goroutines are gone or going.
		if ev.conn != nil {
			_ = ev.conn.Close()
		}
		return nil
	}
	switch ev.kind {
	case evHello:
		if old := t.links[ev.l.id]; old != nil {
			old.close()
			t.zl.Disconnected(ev.l.id)
		}
		t.links[ev.l.id] = ev.l
		p.log.Info("learner connected", "sid", ev.l.id, "remote", ev.l.conn.RemoteAddr().String())
		t.zl.Step(ev.l.id, ev.pkt)
	case evPacket:
		switch {
		case t.zl != nil && t.links[ev.l.id] == ev.l:
			t.zl.Step(ev.l.id, ev.pkt)
		case t.zf != nil && t.up == ev.l:
			t.zf.Step(ev.pkt)
		}
	case evClosed:
		switch {
		case t.zl != nil && t.links[ev.l.id] == ev.l:
			p.log.Info("learner disconnected", "sid", ev.l.id, "err", ev.err)
			delete(t.links, ev.l.id)
			t.zl.Disconnected(ev.l.id)
		case t.zf != nil && t.up == ev.l:
			p.log.Warn("connection to the leader broke", "leader", t.leaderID, "err", ev.err)
			return p.lookForLeader()
		}
	case evDialed:
		if ev.err != nil {
			p.log.Warn("cannot connect to the leader; looking again", "leader", t.leaderID, "err", ev.err)
			return p.lookForLeader()
		}
		return p.learn(t, ev.conn)
	}
	return nil
}

// learn starts following or observing over c (Follower.followLeader,
// Observer.observeLeader).
func (p *peer) learn(t *term, c net.Conn) error {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	cfg, err := p.zabConfig(t.leaderID)
	if err != nil {
		_ = c.Close()
		return err
	}
	l := newLink(t.leaderID, c)
	t.up = l
	br := bufio.NewReaderSize(c, 64<<10)
	t.goroutine(func() { l.writeLoop(p.writeTimeout()) })
	t.goroutine(func() {
		stop := context.AfterFunc(t.ctx, l.close)
		defer stop()
		p.readLink(t, l, br)
	})
	if t.role == server.RoleObserving {
		t.zf = zab.Observe(cfg)
	} else {
		t.zf = zab.Follow(cfg)
	}
	p.log.Info(t.role.String(), "leader", t.leaderID, "acceptedEpoch", cfg.AcceptedEpoch, "lastZxid", hex(cfg.LastZxid))
	return nil
}

// onInbox hands the server's proposals, finished syncs and forwarded
// requests to ZAB.
func (p *peer) onInbox() error {
	props, syncs, fwds := p.in.take()
	t := p.t
	for _, pr := range props {
		if pr.t != t || t.zl == nil {
			continue // a term that ended: its clients were disconnected
		}
		for _, e := range pr.entries {
			if t.zl.Phase() != zab.Broadcast {
				break
			}
			if want := t.zl.NextZxid(); e.Zxid != want {
				if zab.EpochOf(e.Zxid) < t.zl.Epoch() {
					continue // prepared before this term's SetRole
				}
				panic(fmt.Sprintf("quorum: prep numbered a txn %#x, ZAB's next zxid is %#x", e.Zxid, want))
			}
			if _, err := t.zl.Propose(e.Data); err != nil {
				p.log.Warn("cannot propose", "zxid", hex(e.Zxid), "err", err)
				break
			}
		}
	}
	for _, s := range syncs {
		if s.t == t && t.zl != nil {
			t.zl.Sync(s.learner)
		}
	}
	for _, f := range fwds {
		if f.t != t || t.zf == nil {
			continue
		}
		r := f.req
		var err error
		if r.Revalidate {
			err = t.zf.Revalidate(r.SessionID, r.Timeout)
		} else {
			err = t.zf.Forward(zab.LearnerRequest{SessionID: r.SessionID, Cxid: r.Cxid, Type: r.Type, Data: r.Data, AuthInfo: r.AuthInfo})
		}
		if err != nil {
			p.log.Warn("cannot forward a request", "session", hex(r.SessionID), "err", err)
		}
	}
	return nil
}

// handleReady does what a zab.Ready asks, in the order its documentation
// gives.
func (p *peer) handleReady(t *term, rd zab.Ready) error {
	if rd.Snapshot != nil || rd.Truncate {
		if err := p.flush(); err != nil {
			return err
		}
	}
	// 1. Snapshot (learner).
	if s := rd.Snapshot; s != nil {
		p.log.Info("installing the leader's snapshot", "zxid", hex(s.Zxid), "bytes", len(s.Data))
		if err := p.d.installSnapshot(s.Zxid, s.Data); err != nil {
			return err
		}
		if err := p.loadTree(); err != nil {
			return err
		}
	}
	// 2. Truncate (learner).
	if rd.Truncate {
		p.log.Info("truncating the log", "after", hex(rd.TruncateZxid))
		if err := p.d.log.TruncateAfter(rd.TruncateZxid); err != nil {
			return err
		}
		if err := p.loadTree(); err != nil {
			return err
		}
	}
	// 3. Epochs.
	if rd.AcceptedEpoch != 0 {
		if err := p.d.st.SetAcceptedEpoch(rd.AcceptedEpoch); err != nil {
			return err
		}
	}
	if rd.CurrentEpoch != 0 {
		if err := p.d.st.SetCurrentEpoch(rd.CurrentEpoch); err != nil {
			return err
		}
		p.el.UpdatePeerEpoch(rd.CurrentEpoch)
	}
	// 6 before 5 on the leader: a SNAP's snapshot must hold every commit so
	// far, and the leader has no step 1 or 2 to wait for.
	if t.zl != nil {
		p.commit(rd.Committed)
	}
	// 5 before 4: nothing in Messages waits for the Entries of the same
	// Ready (an ACK leaves only in a Ready after Persisted covers it), so
	// the leader's PROPOSALs leave while its own log syncs, as ZooKeeper's
	// do.
	if err := p.send(t, rd.Messages); err != nil {
		return err
	}
	// 4. Entries: to the syncer, which reports Persisted.
	p.queueEntries(t, rd.Entries)
	// 6. Committed (learner).
	if t.zf != nil {
		p.commit(rd.Committed)
	}
	// 7. The rest.
	for _, r := range rd.Requests {
		p.srv.SubmitForwarded(server.ForwardedRequest{Learner: r.From, SessionID: r.SessionID, Cxid: r.Cxid,
			Type: r.Type, Data: r.Data, AuthInfo: r.AuthInfo})
	}
	if len(rd.Touches) > 0 {
		ts := make([]server.Touch, len(rd.Touches))
		for i, x := range rd.Touches {
			ts[i] = server.Touch{SessionID: x.SessionID, Timeout: x.Timeout}
		}
		p.srv.TouchSessions(ts)
	}
	for _, r := range rd.Revalidate {
		t.zl.Revalidated(r.Learner, r.SessionID, p.srv.RevalidateSession(r.Learner, r.SessionID))
	}
	for _, r := range rd.Revalidated {
		p.srv.Revalidated(r.SessionID, r.Valid)
	}
	for range rd.Syncs {
		p.srv.SyncReply()
	}
	for _, d := range rd.Disconnect {
		p.log.Info("dropping learner", "sid", d.ID, "err", d.Err)
		if l := t.links[d.ID]; l != nil {
			l.close()
			delete(t.links, d.ID)
		}
	}
	p.sinceSnap += len(rd.Committed)
	switch rd.Phase {
	case zab.Broadcast:
		if err := p.serve(t); err != nil {
			return err
		}
	case zab.Looking:
		p.log.Warn("leaving "+t.role.String(), "err", rd.Err, "after", time.Since(t.began).Round(time.Millisecond))
		return p.lookForLeader()
	}
	if t.serving && p.sinceSnap >= p.snapThreshold {
		return p.snapshot()
	}
	return nil
}

// snapshot starts storing a snapshot of the tree; snapshotted ends it and,
// with autopurge, drops older snapshots and log (ZooKeeperServer.
// takeSnapshot; PurgeTxnLog). Only a serving peer takes one: its tree then
// holds committed txns only, as package zab requires. The tree is walked
// and written on a goroutine of its own while the loop and the final stage
// go on (server.WriteFuzzySnapshot), as ZooKeeper's snapshot thread does;
// one still being written when the next is due is skipped, as
// SyncRequestProcessor skips it ("Too busy to snap, skipping").
func (p *peer) snapshot() error {
	p.sinceSnap = 0
	p.snapThreshold = p.cfg.SnapCount/2 + p.rng.IntN(max(p.cfg.SnapCount/2, 1))
	if p.snapping {
		p.log.Warn("too busy to snap, skipping")
		return nil
	}
	// The log holds every txn the tree does before a snapshot names them.
	if err := p.flush(); err != nil {
		return err
	}
	p.snapping = true
	stop := new(atomic.Bool)
	p.snapStop = stop
	start := time.Now()
	go func() {
		m, err := p.srv.WriteFuzzySnapshot(p.d.snaps, stop.Load)
		p.snapDone <- snapResult{m: m, err: err, took: time.Since(start)}
	}()
	return nil
}

// snapResult is the end of a snapshot written off the loop.
type snapResult struct {
	m    snapshot.Meta
	err  error
	took time.Duration
}

// snapshotted records a snapshot written off the loop as the newest. A
// snapshot that failed is logged and the peer goes on, as ZooKeeper's
// snapshot thread does.
func (p *peer) snapshotted(r snapResult) {
	p.snapping, p.snapStop = false, nil
	switch {
	case errors.Is(r.err, datatree.ErrSnapshotStopped):
		p.log.Info("snapshot abandoned at the end of the term", "after", r.took.Round(time.Millisecond))
		return
	case r.err != nil:
		p.log.Error("taking a snapshot", "err", r.err)
		return
	}
	if err := p.d.snapshotted(r.m); err != nil {
		p.log.Error("purging after a snapshot", "zxid", hex(r.m.Zxid), "err", err)
	}
	p.log.Info("snapshot taken", "zxid", hex(r.m.Zxid), "bytes", r.m.Size, "logBase", hex(p.d.base),
		"took", r.took.Round(time.Millisecond))
}

// stopSnapshot ends the walk of a snapshot being taken, if any, before the
// term ends: the next term may replace the tree (SNAP, TRUNC). The walk
// looks at stop before each chunk, and stop is set before the tree can be
// replaced, so it reads no chunk of a replaced tree; a snapshot already
// walked is still written, and recorded when snapDone brings it, so that a
// large file write does not hold up the election.
func (p *peer) stopSnapshot() {
	if p.snapping {
		p.snapStop.Store(true)
	}
}

// awaitSnapshot waits for a snapshot being taken, if any, to end.
func (p *peer) awaitSnapshot() {
	if p.snapping {
		p.snapStop.Store(true)
		p.snapshotted(<-p.snapDone)
	}
}

func (p *peer) commit(es []zab.Entry) {
	if len(es) == 0 {
		return
	}
	out := make([]server.LogEntry, len(es))
	for i, e := range es {
		out[i] = server.LogEntry{Zxid: e.Zxid, Data: e.Data}
	}
	p.srv.Commit(out)
}

// send writes messages on their links, each link's with one flush. A SNAP
// to a learner is followed by the leader's snapshot, which the link's
// writer goroutine produces (syncSnapshot), once for every learner of the
// same Ready.
func (p *peer) send(t *term, msgs []zab.Message) error {
	var stream func() ([]byte, error)
	for _, m := range msgs {
		o := outgoing{pkt: m.Packet}
		switch typ := zab.PacketType(m.Packet.Type); typ {
		case zab.Diff, zab.Trunc, zab.Snap:
			if t.zl != nil {
				p.log.Info("synchronising learner", "sid", m.To, "mode", typ.String(), "zxid", hex(m.Packet.Zxid))
			}
		}
		if t.zl != nil && zab.PacketType(m.Packet.Type) == zab.Snap {
			if stream == nil {
				zxid := m.Packet.Zxid
				stream = sync.OnceValues(func() ([]byte, error) { return p.syncSnapshot(t, zxid) })
			}
			o.stream = stream
		}
		l := t.up
		if t.zl != nil {
			l = t.links[m.To]
		}
		if l != nil {
			l.send(o)
		}
	}
	if t.up != nil {
		t.up.flush()
	}
	for _, l := range t.links {
		l.flush()
	}
	return nil
}

// syncSnapshot serialises the tree for a SNAP at zxid, on a link's writer
// goroutine: it waits for the final stage to apply every commit handed over
// before the SNAP, then walks the tree fuzzily while the loop and the final
// stage go on (ZooKeeper's LearnerHandler serialises its live tree too);
// the learner replays what the walk already saw of the commits after zxid.
// The term's end stops the walk.
func (p *peer) syncSnapshot(t *term, zxid int64) ([]byte, error) {
	start := time.Now()
	if err := p.inFinal(func() {}); err != nil {
		return nil, err
	}
	spool, err := p.d.snaps.Spool()
	if err != nil {
		return nil, err
	}
	defer spool.Close()
	var buf bytes.Buffer
	walked, err := p.srv.WriteFuzzySyncSnapshot(&buf, spool, func() bool { return t.ctx.Err() != nil })
	// NB: walked may be below zxid: a new leader's SNAP names epoch<<32
	// before the epoch has a txn.
	if err != nil {
		p.log.Warn("snapshot for SNAP not sent", "zxid", hex(zxid), "err", err)
		return nil, fmt.Errorf("quorum: snapshot for SNAP: %w", err)
	}
	p.log.Info("sending a snapshot", "zxid", hex(zxid), "walkedFrom", hex(walked), "bytes", buf.Len(),
		"took", time.Since(start).Round(time.Millisecond))
	return buf.Bytes(), nil
}

// serve opens the server to clients once ZAB is in broadcast.
func (p *peer) serve(t *term) error {
	if t.serving {
		return nil
	}
	t.serving = true
	if t.zl != nil {
		p.srv.SetRole(server.RoleLeading, t.zl.Epoch(), leaderHooks{b: p.in, t: t}, nil)
	} else {
		// The txns of the sync are on their way to the final stage: let
		// them land before clients read.
		if err := p.inFinal(func() {}); err != nil {
			return err
		}
		p.srv.SetRole(t.role, t.zf.Epoch(), nil, learnerHooks{b: p.in, t: t})
	}
	p.publishStats()
	p.log.Info("serving", "role", t.role, "leader", t.leaderID,
		"since election", time.Since(p.looking).Round(time.Millisecond))
	return nil
}

// inFinal runs fn on the server's final stage and waits for it, unless the
// server stops first.
func (p *peer) inFinal(fn func()) error {
	done := make(chan struct{})
	go func() {
		p.srv.RunInFinal(fn)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-p.served:
		return errServerStopped
	}
}

// catchUpTree applies the logged txns that the tree lacks.
func (p *peer) catchUpTree() error {
	es, err := p.d.entries(max(p.srv.LastApplied(), p.d.base), -1)
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return nil
	}
	var aerr error
	if err := p.inFinal(func() { aerr = p.srv.ApplyLogged(es) }); err != nil {
		return err
	}
	return aerr
}

// loadTree rebuilds the tree from the snapshot and the log after it: at
// start, after SNAP, after TRUNC (ZKDatabase.loadDataBase, truncateLog).
func (p *peer) loadTree() error {
	var snap []byte
	rc, err := p.d.snapshotReader()
	if err != nil {
		return err
	}
	if rc != nil {
		snap, err = io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	snapZxid := p.d.snap.Zxid
	es, err := p.d.entries(snapZxid, -1)
	if err != nil {
		return err
	}
	var ferr error
	err = p.inFinal(func() {
		p.srv.ResetTree()
		if snap != nil {
			if ferr = p.srv.InstallSnapshot(bytes.NewReader(snap), snapZxid); ferr != nil {
				return
			}
		}
		ferr = p.srv.ApplyLogged(es)
	})
	if err != nil {
		return err
	}
	if ferr != nil {
		return fmt.Errorf("quorum: loading the data tree: %w", ferr)
	}
	p.log.Info("loaded the data tree", "snapshot", hex(snapZxid), "txns", len(es), "lastZxid", hex(p.srv.LastApplied()))
	return nil
}

// touches is the learner's zab.TouchSource: the sessions its clients used.
type touches struct{ srv *server.Server }

func (x touches) TouchSnapshot() []zab.Touch {
	ts := x.srv.TouchSnapshot()
	out := make([]zab.Touch, len(ts))
	for i, t := range ts {
		out[i] = zab.Touch{SessionID: t.SessionID, Timeout: t.Timeout}
	}
	return out
}
