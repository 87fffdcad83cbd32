// Package server is zabd's client edge and request pipeline: the gnet
// event-loop server speaking Jute framing, the connect handshake and
// sessions, and the prep → sync → final stages of DESIGN.md.
//
// Goroutines: gnet's event loops decode frames and serve reads; one prep
// goroutine owns zxid assignment and outstanding changes; one sync goroutine
// appends batches to the txn log (one fsync per batch); one final goroutine
// applies txns to the tree and replies. Every goroutine is started by Run and
// has exited when Run returns.
//
// Counterpart: ZooKeeperServer, NIOServerCnxnFactory, NIOServerCnxn.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/admin"
	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
	"github.com/zabd/zabd/server/session"
	"github.com/zabd/zabd/server/watch"
)

var errNotDecodable = errors.New("server: record is encode-only")

// LogEntry is one txn for the log: its zxid and its marshalled
// TxnHeader and record.
type LogEntry struct {
	Zxid int64
	Data []byte
}

// TxnLog is what the sync stage needs of the txn log.
type TxnLog interface {
	// Append makes the batch durable before it returns.
	Append(batch []LogEntry) error
	// Iterate calls fn for each entry after zxid, in order.
	Iterate(after int64, fn func(zxid int64, data []byte) error) error
	LastZxid() int64
	Close() error
}

// Server is one standalone zabd server.
type Server struct {
	cfg      *config.Config
	log      *slog.Logger
	tree     *datatree.Tree
	watches  *watch.Manager
	sessions *session.Table
	txnlog   TxnLog
	serverID int64
	started  time.Time

	prep    *prep
	applied atomic.Int64

	prepQ  *queue[*request]
	syncQ  *queue[[]*request]
	finalQ *queue[finalItem]

	ens      atomic.Pointer[ensembleState]
	ensStats atomic.Pointer[func() EnsembleStats] // quorum runtime's report, nil standalone
	epochGen atomic.Int64                         // bumped by SetRole; prep resets on change
	waits    ensembleWaits

	syncStats syncStats

	mu       sync.Mutex
	bySess   map[int64]*conn
	conns    map[*conn]struct{}
	perIP    map[string]int
	eng      gnet.Engine
	stats    serverStats
	stopping atomic.Bool

	wg sync.WaitGroup
}

// syncStats are the standalone sync stage's group commits, as mntr reports
// them: sync_processor_batch_size is the number of txns one log append made
// durable (SyncRequestProcessor.flush adds toFlush.size()), fsynctime the
// milliseconds that append took, badger commit and fsync together
// (FileTxnLog.commit times its fsync alone). In an ensemble the quorum
// runtime syncs, and these stay empty. Safe for concurrent use.
type syncStats struct {
	mu    sync.Mutex // guards batch and fsync
	batch admin.Summary
	fsync admin.Summary
}

func (st *syncStats) add(txns int, took time.Duration) {
	st.mu.Lock()
	st.batch.Add(int64(txns))
	st.fsync.Add(took.Milliseconds())
	st.mu.Unlock()
}

// snapshot returns the summaries so far.
func (st *syncStats) snapshot() (batch, fsync admin.Summary) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.batch, st.fsync
}

func (st *syncStats) reset() {
	st.mu.Lock()
	st.batch, st.fsync = admin.Summary{}, admin.Summary{}
	st.mu.Unlock()
}

type serverStats struct {
	received, sent atomic.Int64
	latencyMin     atomic.Int64
	latencyMax     atomic.Int64
	latencySum     atomic.Int64
	latencyCount   atomic.Int64
	outstanding    atomic.Int64
}

// New builds a server over cfg and an opened txn log, replaying the log
// into the tree.
func New(cfg *config.Config, log *slog.Logger, txnlog TxnLog) (*Server, error) {
	s := &Server{
		cfg:      cfg,
		log:      log,
		tree:     datatree.New(),
		watches:  watch.New(),
		txnlog:   txnlog,
		serverID: cfg.MyID,
		started:  time.Now(),
		prepQ:    newQueue[*request](),
		syncQ:    newQueue[[]*request](),
		finalQ:   newQueue[finalItem](),
		bySess:   make(map[int64]*conn),
		conns:    make(map[*conn]struct{}),
		perIP:    make(map[string]int),
	}
	s.ens.Store(&ensembleState{role: RoleStandalone})
	if !cfg.Standalone() {
		s.ens.Store(&ensembleState{role: RoleLooking})
	}
	s.waits.byKey = map[waitKey]*request{}
	s.waits.byZxid = map[int64]*request{}
	s.waits.touched = map[int64]int32{}
	s.waits.reval = map[int64][]*conn{}
	if cfg.Standalone() {
		// ZooKeeperServer.createSessionTrackerServerId: a standalone server
		// puts 1 in the top byte of its session ids.
		s.serverID = 1
	}
	s.sessions = session.NewTable(cfg.TickTime.Milliseconds(), session.InitialID(s.serverID, time.Now().UnixMilli()))
	if err := s.replay(); err != nil {
		return nil, err
	}
	// After replay: recovery may replace the tree, and replay fires nothing.
	s.tree.SetWatcher(func(ev datatree.Event) { s.watches.Trigger(ev.Type, ev.Path, ev.ACL) })
	last := s.tree.LastZxid()
	s.applied.Store(last)
	s.prep = newPrep(s, last, &s.applied)
	s.startSnapshots()
	return s, nil
}

// replay applies every logged txn to the tree and re-registers the sessions
// that were open, which then expire unless their clients come back within
// their timeout (as ZooKeeper restores sessions from its snapshot and log).
func (s *Server) replay() error {
	if sl, ok := s.txnlog.(*storeLog); ok {
		return s.recoverStore(sl) // snapshots, then the log after them: recovery.go
	}
	now := time.Now().UnixMilli()
	open := make(map[int64]int32)
	n := 0
	err := s.txnlog.Iterate(0, func(zxid int64, data []byte) error {
		hdr, txn, err := DecodeTxn(data)
		if err != nil {
			return fmt.Errorf("txn %#x: %w", zxid, err)
		}
		switch hdr.Type {
		case zkproto.OpCreateSession:
			open[hdr.ClientID] = txn.(*zkproto.CreateSessionTxn).N
		case zkproto.OpCloseSession:
			delete(open, hdr.ClientID)
		}
		s.tree.Lock()
		s.tree.Apply(&hdr, txn)
		s.tree.Unlock()
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: replay: %w", err)
	}
	for id, to := range open {
		s.sessions.Add(id, to, now)
	}
	if n > 0 {
		s.log.Info("replayed txn log", "txns", n, "lastZxid", fmt.Sprintf("%#x", s.tree.LastZxid()), "sessions", len(open))
	}
	return nil
}

// DecodeTxn decodes a logged txn: TxnHeader then its record.
func DecodeTxn(data []byte) (zkproto.TxnHeader, jute.Record, error) {
	var hdr zkproto.TxnHeader
	d := jute.NewDecoder(data, len(data)+1)
	hdr.Decode(d)
	txn := zkproto.NewTxn(hdr.Type)
	if txn != nil {
		txn.Decode(d)
	}
	if d.Err() != nil {
		return hdr, nil, d.Err()
	}
	return hdr, txn, nil
}

// Serve runs the pipeline and the client port until ctx is done.
func (s *Server) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.goStage(ctx, s.runPrep)
	s.goStage(ctx, s.runSync)
	s.goStage(ctx, s.runFinal)
	s.goStage(ctx, s.runTicker)

	addr := fmt.Sprintf("tcp://%s", net.JoinHostPort(s.cfg.ClientPortAddress, strconv.Itoa(s.cfg.ClientPort)))
	h := &handler{s: s, booted: make(chan gnet.Engine, 1)}
	errc := make(chan error, 1)
	go func() {
		errc <- gnet.Run(h, addr,
			gnet.WithMulticore(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithReusePort(false),
			gnet.WithReuseAddr(true), // as Java server sockets do: restart despite TIME-WAIT
			gnet.WithReadBufferCap(64<<10),
			gnet.WithLogger(gnetLogger{s.log}),
		)
	}()
	var err error
	select {
	case err = <-errc:
		cancel()
	case eng := <-h.booted:
		select {
		case err = <-errc:
			cancel()
		case <-ctx.Done():
			s.stopping.Store(true)
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			if e := eng.Stop(sctx); e != nil {
				s.log.Warn("stopping client port", "err", e)
			}
			scancel()
			err = <-errc
		}
	}
	cancel()
	s.wg.Wait()
	if cerr := s.txnlog.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func (s *Server) goStage(ctx context.Context, fn func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn(ctx)
	}()
}

func (s *Server) runPrep(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.prepQ.signal:
		}
		batch := s.prepQ.take()
		if len(batch) == 0 {
			continue
		}
		now := time.Now().UnixMilli()
		out := make([]*request, len(batch))
		for i, r := range batch {
			s.prep.process(r, now)
			out[i] = r
		}
		if ens := s.ens.Load(); ens.role == RoleLeading {
			s.propose(ens, out)
			continue
		} else if ens.role != RoleStandalone {
			s.dropPrepared(out)
			continue
		}
		s.syncQ.push(out)
	}
}

// runSync appends to the log whatever prep queued while the previous append
// ran, and hands it to final once durable: one fsync per batch.
//
// NB: with N clients each waiting for its reply (zabd-bench), the batches
// settle into two cohorts that take turns: while one batch syncs, the
// clients of the one before it get their replies and send their next
// writes, which wait for the sync in progress. So each write waits for about
// one and a half syncs, and a batch holds about N/2 txns (mntr's
// avg_sync_processor_batch_size: 12–13 at N = 32, the same in ZooKeeper
// 3.8). Waiting for the other cohort before syncing would halve the syncs
// per write but add the clients' round trip to every one; it gained nothing
// in BenchmarkServerSetDataDurable or zabd-bench on the development VM.
func (s *Server) runSync(ctx context.Context) {
	var entries []LogEntry
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.syncQ.signal:
		}
		batches := s.syncQ.take()
		if len(batches) == 0 {
			continue
		}
		entries = entries[:0]
		var all []*request
		for _, b := range batches {
			for _, r := range b {
				if r.entry != nil {
					entries = append(entries, LogEntry{Zxid: r.hdr.Zxid, Data: r.entry})
				}
			}
			all = append(all, b...)
		}
		if len(entries) > 0 {
			start := time.Now()
			if err := s.txnlog.Append(entries); err != nil {
				// NB: a txn we cannot make durable must never be acknowledged;
				// ZooKeeper exits in this case (SyncRequestProcessor), so do we.
				s.log.Error("txn log append failed; stopping", "err", err)
				panic(fmt.Sprintf("server: txn log append: %v", err))
			}
			s.syncStats.add(len(entries), time.Since(start))
		}
		s.finalQ.push(finalItem{reqs: all})
	}
}

func (s *Server) runFinal(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.finalQ.signal:
		}
		for _, it := range s.finalQ.take() {
			s.runFinalItem(it)
		}
	}
}

// runTicker expires sessions every tick and reaps containers and TTL nodes
// every znode.container.checkIntervalMs.
func (s *Server) runTicker(ctx context.Context) {
	tick := time.NewTicker(s.cfg.TickTime)
	defer tick.Stop()
	reapEvery := s.cfg.ContainerCheckInterval
	if reapEvery <= 0 {
		reapEvery = time.Minute
	}
	reap := time.NewTicker(reapEvery)
	defer reap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if r := s.Role(); r != RoleStandalone && r != RoleLeading {
				continue // the leader owns expiry
			}
			for _, id := range s.sessions.Expired(now.UnixMilli()) {
				s.log.Info("session expired", "session", fmt.Sprintf("%#x", id))
				s.submitClose(id)
			}
		case now := <-reap.C:
			if r := s.Role(); r == RoleStandalone || r == RoleLeading {
				s.reap(now.UnixMilli())
			}
		}
	}
}

// submitClose queues a closeSession txn for a session the server ends.
func (s *Server) submitClose(id int64) {
	s.mu.Lock()
	c := s.bySess[id]
	s.mu.Unlock()
	r := &request{session: id, op: zkproto.OpCloseSession, internal: true}
	if c != nil {
		// The client learns of the expiry when it reconnects; close now.
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		c.closeAfterFlush()
	}
	s.submit(r)
}

// reap deletes empty containers and expired TTL nodes
// (ContainerManager.checkContainers).
func (s *Server) reap(nowMs int64) {
	s.tree.RLock()
	paths := s.tree.ReapCandidates(nowMs)
	s.tree.RUnlock()
	if max := s.cfg.ContainerMaxPerMinute; max > 0 && len(paths) > max {
		paths = paths[:max]
	}
	for _, p := range paths {
		s.submit(&request{op: zkproto.OpDeleteContainer, rec: &zkproto.PathVersion{Path: p, Version: -1}, internal: true})
	}
}

// submit hands a write to prep.
func (s *Server) submit(r *request) {
	s.stats.outstanding.Add(1)
	s.prepQ.push(r)
}

// sessionCreated finishes a new session's handshake once its createSession
// txn is durable and applied.
func (s *Server) sessionCreated(r *request) {
	c := r.c
	if c == nil {
		return
	}
	s.sessions.Add(r.session, r.timeout, time.Now().UnixMilli())
	s.bindSession(r.session, c)
	resp := zkproto.ConnectResponse{
		TimeOut: r.timeout, SessionID: r.session, Passwd: session.Password(r.session),
		HasReadOnly: r.connReq.HasReadOnly,
	}
	c.mu.Lock()
	c.session = r.session
	c.timeout = r.timeout
	c.writeConnectResponse(&resp)
	c.inflight--
	if len(c.pending) > 0 && c.pending[0] == r {
		c.pending = c.pending[1:]
	}
	s.drainPendingLocked(c)
	c.mu.Unlock()
}

func (c *conn) writeConnectResponse(resp *zkproto.ConnectResponse) {
	e := jute.Encoder{Buf: make([]byte, 0, 48)}
	buf, off := jute.AppendFrame(e.Buf)
	e.Buf = buf
	resp.Encode(&e)
	jute.FinishFrame(e.Buf, off)
	c.writeRaw(e.Buf)
}

func (s *Server) bindSession(id int64, c *conn) {
	s.mu.Lock()
	old := s.bySess[id]
	s.bySess[id] = c
	s.mu.Unlock()
	if old != nil && old != c {
		old.mu.Lock()
		old.closing = true
		old.mu.Unlock()
		old.closeAfterFlush()
	}
}

// unbindSession forgets a closed session's connection and closes it, unless
// it is the connection that asked for the close (it closes after the reply).
func (s *Server) unbindSession(id int64, asker *conn) {
	s.mu.Lock()
	c := s.bySess[id]
	delete(s.bySess, id)
	s.mu.Unlock()
	if c != nil {
		s.watches.RemoveWatcher(c)
		if c != asker {
			c.mu.Lock()
			c.closing = true
			c.mu.Unlock()
			c.closeAfterFlush()
		}
	}
}

// gnetLogger routes gnet's own log lines to slog at debug level (warnings
// and errors keep their level).
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error(fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error(fmt.Sprintf(f, a...)) }

// recordLatency adds one request's latency (ms, as ZooKeeper reports it).
func (s *Server) recordLatency(startNs int64) {
	if startNs == 0 {
		return
	}
	ms := (time.Now().UnixNano() - startNs) / int64(time.Millisecond)
	st := &s.stats
	st.latencySum.Add(ms)
	if st.latencyCount.Add(1) == 1 {
		st.latencyMin.Store(ms)
	}
	for {
		cur := st.latencyMin.Load()
		if ms >= cur || st.latencyMin.CompareAndSwap(cur, ms) {
			break
		}
	}
	for {
		cur := st.latencyMax.Load()
		if ms <= cur || st.latencyMax.CompareAndSwap(cur, ms) {
			break
		}
	}
}

// propose hands a leader's prepared batch to ZAB. Local writes wait for their
// commit by zxid; a sync waits behind every proposal before it.
func (s *Server) propose(ens *ensembleState, batch []*request) {
	entries := make([]LogEntry, 0, len(batch))
	for _, r := range batch {
		if r.entry == nil { // sync: a barrier at the zxid prep had reached
			b := &barrier{zxid: r.hdr.Zxid, r: r}
			if r.remote {
				b.r, b.learner = nil, r.learner
				s.stats.outstanding.Add(-1)
			}
			if len(entries) > 0 {
				ens.rep.Propose(entries)
				entries = entries[:0:0]
			}
			s.finalQ.push(finalItem{barrier: b})
			continue
		}
		if !r.internal && !r.remote {
			s.waits.mu.Lock()
			s.waits.byZxid[r.hdr.Zxid] = r
			s.waits.mu.Unlock()
		} else {
			s.stats.outstanding.Add(-1)
		}
		entries = append(entries, LogEntry{Zxid: r.hdr.Zxid, Data: r.entry})
	}
	if len(entries) > 0 {
		ens.rep.Propose(entries)
	}
}
