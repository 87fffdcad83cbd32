package server

import (
	"bytes"
	"encoding/binary"
	"net"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/session"
)

// handler is the gnet event handler of the client port. Its callbacks run on
// the event loops and never block: they frame, decode, serve reads and hand
// writes to prep.
type handler struct {
	gnet.BuiltinEventEngine
	s      *Server
	booted chan gnet.Engine // receives the engine once OnBoot runs
}

func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.booted <- eng
	h.s.log.Info("serving clients", "port", h.s.cfg.ClientPort)
	return gnet.None
}

func (h *handler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	s := h.s
	c := &conn{s: s, gc: gc}
	if a, ok := gc.RemoteAddr().(*net.TCPAddr); ok {
		c.remote = a.IP.String()
	}
	c.auth = []zkproto.Id{{Scheme: "ip", ID: c.remote}}
	ids := c.auth
	c.authView.Store(&ids)
	c.stats.connectedMs = time.Now().UnixMilli()
	s.mu.Lock()
	if max := s.cfg.MaxClientCnxns; max > 0 && s.perIP[c.remote] >= max {
		s.mu.Unlock()
		s.log.Warn("too many connections from one address", "ip", c.remote, "max", max)
		return nil, gnet.Close
	}
	s.perIP[c.remote]++
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	gc.SetContext(c)
	return nil, gnet.None
}

func (h *handler) OnClose(gc gnet.Conn, _ error) gnet.Action {
	c, _ := gc.Context().(*conn)
	if c == nil {
		return gnet.None
	}
	s := h.s
	c.mu.Lock()
	c.closing = true
	id := c.session
	c.mu.Unlock()
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.remote]--; s.perIP[c.remote] <= 0 {
		delete(s.perIP, c.remote)
	}
	if id != 0 && s.bySess[id] == c {
		delete(s.bySess, id)
	}
	s.mu.Unlock()
	s.watches.RemoveWatcher(c)
	return gnet.None
}

func (h *handler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*conn)
	if c == nil {
		return gnet.Close
	}
	c.beginLoop()
	action := h.read(c)
	if c.flush() || action == gnet.Close {
		return gnet.Close
	}
	return gnet.None
}

// read consumes every complete frame in the inbound buffer.
func (h *handler) read(c *conn) gnet.Action {
	s := h.s
	gc := c.gc
	for {
		if c.revalidating && !h.revalidated(c) {
			return gnet.None // frames wait for the leader's answer
		}
		n := gc.InboundBuffered()
		if n == 0 {
			return gnet.None
		}
		if !c.handshaken && !c.fourLetter && n >= 4 {
			head, _ := gc.Peek(4)
			if cmd := string(head); isFourLetterWord(cmd) {
				c.fourLetter = true
				_, _ = gc.Discard(4)
				c.writeRaw([]byte(s.fourLetter(cmd)))
				c.closeAfterFlush()
				return gnet.None
			}
		}
		if c.fourLetter {
			_, _ = gc.Discard(n)
			return gnet.None
		}
		buf, _ := gc.Peek(n)
		body, size, err := jute.SplitFrame(buf, s.cfg.JuteMaxBuffer)
		if err != nil {
			s.log.Warn("closing connection", "remote", c.remote, "err", err)
			return gnet.Close
		}
		if size == 0 {
			return gnet.None
		}
		var action gnet.Action
		if !c.handshaken {
			action = h.connect(c, body)
		} else {
			action = h.request(c, body)
		}
		_, _ = gc.Discard(size)
		if action != gnet.None {
			return action
		}
	}
}

// connect handles the first frame of a connection: a ConnectRequest.
func (h *handler) connect(c *conn, body []byte) gnet.Action {
	s := h.s
	var req zkproto.ConnectRequest
	d := jute.NewDecoder(body, s.cfg.JuteMaxBuffer)
	req.Decode(d)
	if d.Err() != nil || d.Remaining() > 0 {
		s.log.Warn("closing connection: bad connect request", "remote", c.remote, "err", d.Err())
		return gnet.Close
	}
	if s.stopping.Load() || s.Role() == RoleLooking {
		// ZooKeeper does not serve clients while it elects a leader.
		return gnet.Close
	}
	if req.LastZxidSeen > s.lastApplied() {
		// ZooKeeperServer.processConnectRequest: the client has seen a newer
		// state than ours; it must find another server.
		s.log.Info("refusing session: client has seen a newer zxid", "clientZxid", req.LastZxidSeen, "ourZxid", s.lastApplied())
		return gnet.Close
	}
	c.handshaken = true
	timeout := req.TimeOut
	if min := int32(s.cfg.MinSessionTimeout.Milliseconds()); timeout < min {
		timeout = min
	}
	if max := int32(s.cfg.MaxSessionTimeout.Milliseconds()); timeout > max {
		timeout = max
	}
	now := time.Now().UnixMilli()
	if req.SessionID != 0 {
		// Reconnect: a valid id and password resume the session at once;
		// otherwise the client is told it expired (timeout 0) and dropped.
		sess, ok := s.sessions.Get(req.SessionID)
		valid := ok && !sess.Closing && bytes.Equal(req.Passwd, session.Password(req.SessionID))
		resp := zkproto.ConnectResponse{HasReadOnly: req.HasReadOnly, Passwd: make([]byte, session.PasswordLen)}
		if ok && !valid {
			// ZooKeeper closes the session's live connection before it
			// checks the password (NIOServerCnxnFactory session map).
			s.mu.Lock()
			old := s.bySess[req.SessionID]
			s.mu.Unlock()
			if old != nil && old != c {
				// Stop it taking requests now: the close itself runs on its
				// own event loop, after this reply may have reached the client.
				old.mu.Lock()
				old.closing = true
				old.mu.Unlock()
				old.closeAfterFlush()
			}
		}
		if ens := s.ens.Load(); ens.role.learner() && bytes.Equal(req.Passwd, session.Password(req.SessionID)) {
			// A learner asks the leader, which owns sessions, whether the
			// session lives and makes this server its owner
			// (Learner.validateSession). Frames behind the handshake wait in
			// the inbound buffer until the answer (disableRecv).
			c.revalidating, c.connHasReadOnly = true, req.HasReadOnly
			c.mu.Lock()
			c.session, c.timeout = req.SessionID, timeout
			c.mu.Unlock()
			s.awaitRevalidation(c)
			ens.fwd.Forward(ForwardedRequest{SessionID: req.SessionID, Revalidate: true, Timeout: timeout})
			return gnet.None
		}
		if !valid {
			c.writeConnectResponse(&resp)
			c.closeAfterFlush()
			return gnet.None
		}
		// The leader (or a standalone server) now owns the session
		// (LeaderZooKeeperServer.revalidateSession).
		s.sessions.Add(req.SessionID, timeout, now)
		s.sessions.SetOwner(req.SessionID, ownerSelf)
		c.mu.Lock()
		c.session, c.timeout = req.SessionID, timeout
		c.mu.Unlock()
		s.resumeSession(c, req.HasReadOnly)
		return gnet.None
	}
	id := s.sessions.NextID()
	// Track the session now, so requests pipelined behind the handshake are
	// accepted; the reply waits for the createSession txn.
	s.sessions.Add(id, timeout, now)
	r := &request{c: c, session: id, op: zkproto.OpCreateSession, connReq: &req, timeout: timeout}
	c.mu.Lock()
	c.session = id
	c.inflight++
	c.pending = append(c.pending, r)
	if ens := s.ens.Load(); ens.role.learner() {
		// A learner's new session is a txn the leader orders: forward it
		// with its timeout as the body (Learner.request of createSession).
		s.forward(ens, r, binary.BigEndian.AppendUint32(nil, uint32(timeout)))
	} else {
		s.submit(r)
	}
	c.mu.Unlock()
	return gnet.None
}

// revalidated finishes a learner's reconnect handshake once the leader has
// answered, on the connection's loop: a live session resumes, one the
// leader does not know is told it expired. It reports whether the
// connection may take requests now.
func (h *handler) revalidated(c *conn) bool {
	s := h.s
	switch c.revalidation.Load() {
	case revalidationValid:
		c.revalidating = false
		c.mu.Lock()
		id, timeout := c.session, c.timeout
		c.mu.Unlock()
		s.sessions.Add(id, timeout, time.Now().UnixMilli())
		s.resumeSession(c, c.connHasReadOnly)
		return true
	case revalidationInvalid:
		c.revalidation.Store(revalidationRefused)
		c.mu.Lock()
		c.session = 0
		c.closing = true
		c.mu.Unlock()
		c.writeConnectResponse(&zkproto.ConnectResponse{HasReadOnly: c.connHasReadOnly, Passwd: make([]byte, session.PasswordLen)})
		c.closeAfterFlush()
	}
	return false
}

// request decodes and dispatches one request after the handshake.
func (h *handler) request(c *conn, body []byte) gnet.Action {
	s := h.s
	d := jute.NewDecoder(body, s.cfg.JuteMaxBuffer)
	var rh zkproto.RequestHeader
	rh.Decode(d)
	if d.Err() != nil {
		return gnet.Close
	}
	s.stats.received.Add(1)
	r := &request{c: c, xid: rh.Xid, op: rh.Type, startNs: time.Now().UnixNano()}
	if !validOp(rh.Type) {
		// UnimplementedRequestProcessor: reply, then close the connection.
		c.reply(zkproto.ReplyHeader{Xid: rh.Xid, Zxid: -1, Err: zkproto.ErrUnimplemented}, nil)
		c.closeAfterFlush()
		return gnet.None
	}
	// NB: a body that does not decode is answered with MarshallingError in
	// its place in the session's order, and the connection stays open: a
	// write still consumes a zxid (PrepRequestProcessor.pRequest), a read is
	// answered by the final stage.
	switch rh.Type {
	case zkproto.OpMulti, zkproto.OpMultiRead:
		ops, kind, ok := decodeMulti(d)
		r.ops, r.bad = ops, !ok
		if rh.Type == zkproto.OpMulti && kind&multiReads != 0 {
			r.bad = true
		}
		if ok && rh.Type == zkproto.OpMultiRead && kind == multiWrites {
			// It decodes; FinalRequestProcessor then fails on the first op
			// with its MultiResponse begun.
			r.bad, r.badMulti = true, true
		}
	case zkproto.OpAuth:
		var ap zkproto.AuthPacket
		ap.Decode(d)
		if d.Err() != nil {
			return gnet.Close
		}
		return h.auth(c, rh.Xid, &ap)
	default:
		if rec := zkproto.NewRequest(rh.Type); rec != nil {
			rec.Decode(d)
			r.bad = d.Err() != nil
			// NB: body records are decoded into fresh slices and strings,
			// so nothing here points into gnet's buffer after Discard.
			r.rec = rec
		}
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return gnet.None
	}
	r.session = c.session
	r.auth = c.auth
	c.stats.received++
	c.stats.lastOp = rh.Type
	ens := s.ens.Load()
	owner := session.NoOwner
	if ens.role == RoleLeading && !isWrite(rh.Type) {
		// A leader checks its own clients' reads and pings for a moved
		// session too; writes meet the same check in prep.
		owner = ownerSelf
	}
	if s.sessions.TouchOwner(c.session, owner, time.Now().UnixMilli()) != session.CheckOK {
		// Expired, or moved to another server: close without a reply
		// (FinalRequestProcessor's SessionMovedException).
		c.closing = true
		c.mu.Unlock()
		c.closeAfterFlush()
		return gnet.None
	}
	if ens.role.learner() {
		s.noteTouch(c.session, c.timeout)
	}
	if isWrite(rh.Type) {
		if rh.Type == zkproto.OpCloseSession {
			c.closing = true
			s.sessions.SetClosing(c.session)
		}
		c.inflight++
		c.pending = append(c.pending, r)
		if ens.role.learner() {
			s.forward(ens, r, append([]byte(nil), body[8:]...))
		} else {
			s.submit(r)
		}
	} else if len(c.pending) == 0 {
		s.serveRead(c, r)
	} else {
		c.pending = append(c.pending, r)
	}
	c.mu.Unlock()
	return gnet.None
}

// auth handles addauth (xid -4), as ZooKeeperServer.processPacket does:
// the reply goes out at once, outside the session's order. The digest
// provider takes any bytes (the user is what precedes the first colon, or
// all of them) and adds user:base64(sha1), preceded by super when that is
// the super digest; the ip provider adds the connection's address. Any
// other scheme fails with AuthFailed and the connection is closed.
func (h *handler) auth(c *conn, xid int32, ap *zkproto.AuthPacket) gnet.Action {
	s := h.s
	var ids []zkproto.Id
	switch ap.Scheme {
	case "digest":
		// DigestAuthenticationProvider reads the bytes as a Java string
		// and hashes that string's UTF-8.
		id := DigestOf(javaNormal(string(ap.Auth)))
		if s.cfg.SuperDigest != "" && id == s.cfg.SuperDigest {
			ids = append(ids, zkproto.Id{Scheme: "super", ID: ""})
		}
		ids = append(ids, zkproto.Id{Scheme: "digest", ID: id})
	case "ip":
		ids = append(ids, zkproto.Id{Scheme: "ip", ID: c.remote})
	}
	if len(ids) == 0 {
		c.reply(zkproto.ReplyHeader{Xid: xid, Zxid: 0, Err: zkproto.ErrAuthFailed}, nil)
		c.closeAfterFlush()
		return gnet.None
	}
	c.mu.Lock()
	auth := c.auth
	for _, id := range ids {
		auth = addAuthID(auth, id)
	}
	c.auth = auth
	c.authView.Store(&auth)
	c.reply(zkproto.ReplyHeader{Xid: xid, Zxid: 0}, nil)
	c.mu.Unlock()
	return gnet.None
}

// isFourLetterWord reports whether the first four bytes of a connection
// name a four-letter word rather than a frame length.
func isFourLetterWord(cmd string) bool {
	_, ok := fourLetterWords[cmd]
	return ok && binary.BigEndian.Uint32([]byte(cmd)) > 0
}
