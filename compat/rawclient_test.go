package compat

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// Deadlines of the raw client. A reply slower than callTimeout is recorded
// as a timeout in the transcript, which then differs from ZooKeeper's.
const (
	dialTimeout    = 5 * time.Second
	callTimeout    = 10 * time.Second
	closeTimeout   = 10 * time.Second
	maxClientFrame = 4 << 20
	defaultSession = 30000 // ms, the session timeout most scenarios ask for
)

// rawConn is a hand-written client connection. It writes exactly the bytes
// it is told to and records in its transcript every request it sends and
// every frame it reads, in order: replies (header, error code, decoded
// body, frame size) and watch events. Reads are synchronous: events that
// arrive before a reply are recorded before it, which is how a scenario
// checks that a watch event precedes the reply of a later read.
//
// Not safe for concurrent use.
type rawConn struct {
	name string
	tr   *transcript
	conn net.Conn // nil once closed

	xid       int32
	lastZxid  int64 // header zxid of the last reply, as the Java client keeps it
	sessionID int64
	passwd    []byte
	timeout   int32

	rbuf    []byte
	pending map[int32]pendingReq
	events  int       // watch events read so far
	last    reply     // the reply readOne decoded last
	hold    *[]string // when set, event lines go here instead of the transcript
	wbuf    []byte    // writes held back while corked
	corked  bool
}

// pendingReq is a request awaiting its reply.
type pendingReq struct {
	op    zkproto.OpCode
	write bool                                // the reply carries the txn's zxid
	body  func(d *jute.Decoder) (string, any) // decodes a successful reply
}

// reply is what a call returns to the scenario.
type reply struct {
	err zkproto.Code
	val any // decoded body, by op: string, *zkproto.Stat, []byte, []string, int32, ...
	ok  bool
}

func (r reply) path() string {
	if s, ok := r.val.(string); ok {
		return s
	}
	if c, ok := r.val.(*zkproto.Create2Response); ok {
		return c.Path
	}
	return ""
}

func (r reply) stat() *zkproto.Stat {
	switch v := r.val.(type) {
	case *zkproto.Stat:
		return v
	case *zkproto.Create2Response:
		return &v.Stat
	case *zkproto.GetDataResponse:
		return &v.Stat
	case *zkproto.GetChildren2Response:
		return &v.Stat
	}
	return nil
}

// newRawConn dials addr. A failed dial is recorded and leaves c closed.
func newRawConn(tr *transcript, name, addr string) *rawConn {
	c := &rawConn{name: name, tr: tr, pending: map[int32]pendingReq{}}
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		tr.logf("%s dial: %s", name, netErr(err))
		return c
	}
	c.conn = conn
	return c
}

func (c *rawConn) logf(dir, format string, args ...any) {
	c.tr.logf(c.name+dir+" "+format, args...)
}

// write sends b, recording a failure.
func (c *rawConn) write(b []byte) bool {
	if c.conn == nil {
		c.logf("!", "write on closed connection")
		return false
	}
	if c.corked {
		c.wbuf = append(c.wbuf, b...)
		return true
	}
	if err := c.conn.SetWriteDeadline(time.Now().Add(callTimeout)); err != nil {
		c.logf("!", "set deadline: %v", err)
		return false
	}
	if _, err := c.conn.Write(b); err != nil {
		c.logf("!", "write: %s", netErr(err))
		c.close()
		return false
	}
	return true
}

// cork holds back writes until uncork sends them in one write, so that
// several requests reach the server in one segment.
func (c *rawConn) cork() { c.corked = true }

func (c *rawConn) uncork() {
	c.corked = false
	b := c.wbuf
	c.wbuf = nil
	c.logf(">", "(the above in one write of %dB)", len(b))
	c.write(b)
}

// close closes the socket without a closeSession request.
func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// netErr classifies a read or write error so that transcripts do not depend
// on whether the server closed with FIN or RST.
func netErr(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "closed mid-frame"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused" // the server is gone
	}
	return err.Error()
}

// readFrame returns the next frame body.
func (c *rawConn) readFrame(deadline time.Time) ([]byte, error) {
	var tmp [64 << 10]byte
	for {
		body, n, err := jute.SplitFrame(c.rbuf, maxClientFrame)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			frame := append([]byte(nil), body...)
			c.rbuf = c.rbuf[n:]
			return frame, nil
		}
		if c.conn == nil {
			return nil, net.ErrClosed
		}
		if err := c.conn.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		k, err := c.conn.Read(tmp[:])
		c.rbuf = append(c.rbuf, tmp[:k]...)
		if err != nil && k == 0 {
			if errors.Is(err, io.EOF) && len(c.rbuf) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// readOne reads and records one frame. It returns the frame's xid, or ok
// false when the connection closed or the deadline passed.
func (c *rawConn) readOne(deadline time.Time) (xid int32, ok bool) {
	frame, err := c.readFrame(deadline)
	if err != nil {
		what := netErr(err)
		c.logf("<", "%s", what)
		if what != "timeout" {
			c.close()
		}
		return 0, false
	}
	d := jute.NewDecoder(frame, maxClientFrame)
	var h zkproto.ReplyHeader
	h.Decode(d)
	if d.Err() != nil {
		c.logf("<", "short frame % x", frame)
		return 0, true
	}
	if h.Xid == zkproto.XidWatchEvent {
		var ev zkproto.WatcherEvent
		ev.Decode(d)
		c.events++
		zx := fmt.Sprint(h.Zxid)
		if h.Zxid > 0 {
			zx = c.tr.zxid(h.Zxid)
		}
		line := fmt.Sprintf("%s< event %s %s %q (zxid=%s %s %dB)%s", c.name, eventName(ev.Type), stateName(ev.State), ev.Path,
			zx, codeName(h.Err), len(frame), trailing(d))
		if c.hold != nil {
			*c.hold = append(*c.hold, line)
		} else {
			c.tr.lines = append(c.tr.lines, line)
		}
		return h.Xid, true
	}
	p, known := c.pending[h.Xid]
	if !known {
		c.logf("<", "unexpected xid=%d zxid=%s %s (%dB)", h.Xid, c.tr.readZxid(h.Zxid), codeName(h.Err), len(frame))
		return h.Xid, true
	}
	delete(c.pending, h.Xid)
	if h.Zxid > 0 {
		c.lastZxid = h.Zxid
	}
	zx := c.tr.readZxid(h.Zxid)
	if p.write {
		zx = c.tr.zxid(h.Zxid)
	}
	body := ""
	var val any
	if h.Err == zkproto.Ok && p.body != nil {
		body, val = p.body(d)
		if d.Err() != nil {
			body += fmt.Sprintf(" DECODE ERROR %v", d.Err())
		}
		body = " " + body
	}
	c.logf("<", "#%d %s zxid=%s %s%s (%dB)%s", h.Xid, p.op, zx, codeName(h.Err), body, len(frame), trailing(d))
	c.last = reply{err: h.Err, val: val, ok: true}
	return h.Xid, true
}

func trailing(d *jute.Decoder) string {
	if d.Err() == nil && d.Remaining() > 0 {
		return fmt.Sprintf(" +%d trailing bytes", d.Remaining())
	}
	return ""
}

// send frames and writes one request with the next xid.
func (c *rawConn) send(op zkproto.OpCode, req jute.Record, desc string, body func(*jute.Decoder) (string, any)) int32 {
	c.xid++
	return c.sendXid(c.xid, op, req, desc, body)
}

// sendXid sends one request with the given xid.
func (c *rawConn) sendXid(xid int32, op zkproto.OpCode, req jute.Record, desc string, body func(*jute.Decoder) (string, any)) int32 {
	c.logf(">", "#%d %s %s", xid, op, desc)
	b, off := jute.AppendFrame(nil)
	e := jute.NewEncoder(b)
	(&zkproto.RequestHeader{Xid: xid, Type: op}).Encode(e)
	if req != nil {
		req.Encode(e)
	}
	jute.FinishFrame(e.Buf, off)
	c.pending[xid] = pendingReq{op: op, write: isWrite(op), body: body}
	c.write(e.Buf)
	return xid
}

// recv reads frames until the reply to xid, recording events on the way.
func (c *rawConn) recv(xid int32) reply {
	c.last = reply{}
	deadline := time.Now().Add(callTimeout)
	for {
		if _, waiting := c.pending[xid]; !waiting {
			return c.last
		}
		got, ok := c.readOne(deadline)
		if !ok {
			delete(c.pending, xid)
			return reply{}
		}
		if got == xid {
			return c.last
		}
	}
}

// call sends a request and waits for its reply.
func (c *rawConn) call(op zkproto.OpCode, req jute.Record, desc string, body func(*jute.Decoder) (string, any)) reply {
	if c.conn == nil {
		c.logf(">", "%s %s: not connected", op, desc)
		return reply{}
	}
	return c.recv(c.send(op, req, desc, body))
}

// waitEvents reads until n more watch events have arrived or d passed.
// Replies read meanwhile are recorded too.
func (c *rawConn) waitEvents(n int, d time.Duration) {
	want := c.events + n
	deadline := time.Now().Add(d)
	for c.events < want {
		if c.conn == nil {
			c.logf("!", "wait for events on closed connection")
			return
		}
		if _, ok := c.readOne(deadline); !ok {
			c.logf("!", "got %d of %d events", n-(want-c.events), n)
			return
		}
	}
}

// waitEventsSorted is waitEvents for events whose order the server does not
// define (ephemerals deleted by one close txn): it records them sorted.
func (c *rawConn) waitEventsSorted(n int, d time.Duration) {
	var held []string
	c.hold = &held
	c.waitEvents(n, d)
	c.hold = nil
	sort.Strings(held)
	c.tr.lines = append(c.tr.lines, held...)
}

// expectClosed reads until the server closes the connection, recording any
// frame that comes first, or until closeTimeout passes.
func (c *rawConn) expectClosed() {
	deadline := time.Now().Add(closeTimeout)
	for c.conn != nil {
		if _, ok := c.readOne(deadline); !ok {
			return
		}
	}
}

// drop closes the socket without closeSession, as a crashed client would.
func (c *rawConn) drop() {
	c.logf(" ", "drops its connection")
	c.close()
}

// isWrite reports whether replies to op carry the zxid of a txn of their own.
func isWrite(op zkproto.OpCode) bool {
	switch op {
	case zkproto.OpCreate, zkproto.OpCreate2, zkproto.OpCreateContainer, zkproto.OpCreateTTL,
		zkproto.OpDelete, zkproto.OpSetData, zkproto.OpSetACL, zkproto.OpMulti,
		zkproto.OpCloseSession, zkproto.OpReconfig:
		return true
	}
	return false
}

// connectOpts is a ConnectRequest with the Java client's defaults.
type connectOpts struct {
	timeout    int32
	sessionID  int64
	passwd     []byte
	lastZxid   int64
	noReadOnly bool // omit the trailing readOnly byte, as go-zookeeper does
}

// handshake sends a ConnectRequest and records the ConnectResponse.
func (c *rawConn) handshake(o connectOpts) bool {
	if o.timeout == 0 {
		o.timeout = defaultSession
	}
	if o.passwd == nil {
		o.passwd = make([]byte, 16)
	}
	req := zkproto.ConnectRequest{ProtocolVersion: 0, LastZxidSeen: o.lastZxid, TimeOut: o.timeout,
		SessionID: o.sessionID, Passwd: o.passwd, HasReadOnly: !o.noReadOnly}
	last := "0"
	if o.lastZxid != 0 {
		last = "seen"
	}
	ro := "readOnly=false"
	if o.noReadOnly {
		ro = "no readOnly byte"
	}
	c.logf(">", "connect timeout=%d session=%s passwd=%s lastZxid=%s %s", o.timeout,
		c.tr.session(o.sessionID), c.tr.passwd(o.sessionID, o.passwd), last, ro)
	if c.conn == nil {
		c.logf("!", "not connected")
		return false
	}
	b, off := jute.AppendFrame(nil)
	e := jute.NewEncoder(b)
	req.Encode(e)
	jute.FinishFrame(e.Buf, off)
	if !c.write(e.Buf) {
		return false
	}
	frame, err := c.readFrame(time.Now().Add(callTimeout))
	if err != nil {
		c.logf("<", "connect: %s", netErr(err))
		c.close()
		return false
	}
	var resp zkproto.ConnectResponse
	d := jute.NewDecoder(frame, maxClientFrame)
	resp.Decode(d)
	if d.Err() != nil {
		c.logf("<", "connect: bad response % x: %v", frame, d.Err())
		c.close()
		return false
	}
	rro := "no readOnly byte"
	if resp.HasReadOnly {
		rro = fmt.Sprintf("readOnly=%v", resp.ReadOnly)
	}
	c.logf("<", "connect proto=%d timeout=%d session=%s passwd=%s %s (%dB)", resp.ProtocolVersion, resp.TimeOut,
		c.tr.session(resp.SessionID), c.tr.passwd(resp.SessionID, resp.Passwd), rro, len(frame))
	c.sessionID, c.passwd, c.timeout = resp.SessionID, resp.Passwd, resp.TimeOut
	c.lastZxid = o.lastZxid
	return resp.SessionID != 0
}

// Body decoders, one per reply layout. Each returns the formatted body and
// the value handed to the scenario.

func bodyPath(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.PathOnly
		r.Decode(d)
		return fmt.Sprintf("path=%q", r.Path), r.Path
	}
}

func bodyCreate2(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.Create2Response
		r.Decode(d)
		return fmt.Sprintf("path=%q %s", r.Path, tr.stat(&r.Stat)), &r
	}
}

func bodyStat(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.Stat
		r.Decode(d)
		return tr.stat(&r), &r
	}
}

func bodyGetData(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.GetDataResponse
		r.Decode(d)
		return fmt.Sprintf("data=%s %s", data(r.Data), tr.stat(&r.Stat)), &r
	}
}

func bodyStrings(label string) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.StringsRecord
		r.Decode(d)
		return label + "=" + sortedStrings(r.Strings), r.Strings
	}
}

func bodyChildren2(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.GetChildren2Response
		r.Decode(d)
		return fmt.Sprintf("children=%s %s", sortedStrings(r.Children), tr.stat(&r.Stat)), &r
	}
}

func bodyInt(label string) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.IntRecord
		r.Decode(d)
		return fmt.Sprintf("%s=%d", label, r.N), r.N
	}
}

func bodyACL(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var r zkproto.GetACLResponse
		r.Decode(d)
		return fmt.Sprintf("acl=%s %s", aclString(r.ACL), tr.stat(&r.Stat)), &r
	}
}

func bodyWhoAmI(d *jute.Decoder) (string, any) {
	var r zkproto.WhoAmIResponse
	r.Decode(d)
	var parts []string
	for _, ci := range r.ClientInfo {
		parts = append(parts, ci.AuthScheme+":"+ci.User)
	}
	return "clientInfo=[" + strings.Join(parts, " ") + "]", &r
}

func aclString(acl []zkproto.ACL) string {
	if acl == nil {
		return "null"
	}
	var parts []string
	for _, a := range acl {
		parts = append(parts, fmt.Sprintf("%d:%s:%s", a.Perms, a.ID.Scheme, a.ID.ID))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

var modeNames = map[zkproto.CreateMode]string{
	zkproto.ModePersistent: "persistent", zkproto.ModeEphemeral: "ephemeral",
	zkproto.ModePersistentSequential: "persistent_sequential", zkproto.ModeEphemeralSequential: "ephemeral_sequential",
	zkproto.ModeContainer: "container", zkproto.ModePersistentWithTTL: "persistent_ttl",
	zkproto.ModePersistentSequentialWithTTL: "persistent_sequential_ttl",
}

func modeName(m zkproto.CreateMode) string {
	if s, ok := modeNames[m]; ok {
		return s
	}
	return fmt.Sprintf("flags(%d)", int32(m))
}

var eventNames = map[zkproto.EventType]string{
	zkproto.EventNone: "None", zkproto.EventNodeCreated: "NodeCreated", zkproto.EventNodeDeleted: "NodeDeleted",
	zkproto.EventNodeDataChanged: "NodeDataChanged", zkproto.EventNodeChildrenChanged: "NodeChildrenChanged",
	zkproto.EventDataWatchRemoved: "DataWatchRemoved", zkproto.EventChildWatchRemoved: "ChildWatchRemoved",
	zkproto.EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

func eventName(t zkproto.EventType) string {
	if s, ok := eventNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type(%d)", int32(t))
}

var stateNames = map[zkproto.KeeperState]string{
	zkproto.StateDisconnected: "Disconnected", zkproto.StateSyncConnected: "SyncConnected",
	zkproto.StateAuthFailed: "AuthFailed", zkproto.StateConnectedReadOnly: "ConnectedReadOnly",
	zkproto.StateSaslAuthenticated: "SaslAuthenticated", zkproto.StateExpired: "Expired", zkproto.StateClosed: "Closed",
}

func stateName(s zkproto.KeeperState) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// The operations. Each records its request and its reply.

func (c *rawConn) create(path string, d []byte, mode zkproto.CreateMode) reply {
	return c.createACL(path, d, zkproto.OpenACLUnsafe, mode)
}

func (c *rawConn) createACL(path string, d []byte, acl []zkproto.ACL, mode zkproto.CreateMode) reply {
	req := &zkproto.CreateRequest{Path: path, Data: d, ACL: acl, Flags: mode}
	return c.call(zkproto.OpCreate, req, fmt.Sprintf("%q data=%s acl=%s %s", path, data(d), aclString(acl), modeName(mode)), bodyPath(c.tr))
}

// create2 sends op create2, or createContainer when mode is container, as
// the Java client does.
func (c *rawConn) create2(path string, d []byte, mode zkproto.CreateMode) reply {
	op := zkproto.OpCreate2
	if mode == zkproto.ModeContainer {
		op = zkproto.OpCreateContainer
	}
	return c.create2Op(op, path, d, mode)
}

func (c *rawConn) create2Op(op zkproto.OpCode, path string, d []byte, mode zkproto.CreateMode) reply {
	req := &zkproto.CreateRequest{Path: path, Data: d, ACL: zkproto.OpenACLUnsafe, Flags: mode}
	return c.call(op, req, fmt.Sprintf("%q data=%s %s", path, data(d), modeName(mode)), bodyCreate2(c.tr))
}

func (c *rawConn) createTTL(path string, d []byte, mode zkproto.CreateMode, ttl int64) reply {
	req := &zkproto.CreateTTLRequest{Path: path, Data: d, ACL: zkproto.OpenACLUnsafe, Flags: mode, TTL: ttl}
	return c.call(zkproto.OpCreateTTL, req, fmt.Sprintf("%q data=%s %s ttl=%d", path, data(d), modeName(mode), ttl), bodyCreate2(c.tr))
}

func (c *rawConn) delete(path string, version int32) reply {
	return c.call(zkproto.OpDelete, &zkproto.PathVersion{Path: path, Version: version}, fmt.Sprintf("%q version=%d", path, version), nil)
}

func (c *rawConn) exists(path string, watch bool) reply {
	return c.call(zkproto.OpExists, &zkproto.PathWatch{Path: path, Watch: watch}, fmt.Sprintf("%q watch=%v", path, watch), bodyStat(c.tr))
}

func (c *rawConn) getData(path string, watch bool) reply {
	return c.call(zkproto.OpGetData, &zkproto.PathWatch{Path: path, Watch: watch}, fmt.Sprintf("%q watch=%v", path, watch), bodyGetData(c.tr))
}

func (c *rawConn) setData(path string, d []byte, version int32) reply {
	req := &zkproto.SetDataRequest{Path: path, Data: d, Version: version}
	return c.call(zkproto.OpSetData, req, fmt.Sprintf("%q data=%s version=%d", path, data(d), version), bodyStat(c.tr))
}

func (c *rawConn) getChildren(path string, watch bool) reply {
	return c.call(zkproto.OpGetChildren, &zkproto.PathWatch{Path: path, Watch: watch}, fmt.Sprintf("%q watch=%v", path, watch), bodyStrings("children"))
}

func (c *rawConn) getChildren2(path string, watch bool) reply {
	return c.call(zkproto.OpGetChildren2, &zkproto.PathWatch{Path: path, Watch: watch}, fmt.Sprintf("%q watch=%v", path, watch), bodyChildren2(c.tr))
}

func (c *rawConn) sync(path string) reply {
	return c.call(zkproto.OpSync, &zkproto.PathOnly{Path: path}, fmt.Sprintf("%q", path), bodyPath(c.tr))
}

func (c *rawConn) getAllChildrenNumber(path string) reply {
	return c.call(zkproto.OpGetAllChildrenNumber, &zkproto.PathOnly{Path: path}, fmt.Sprintf("%q", path), bodyInt("total"))
}

func (c *rawConn) getEphemerals(prefix string) reply {
	return c.call(zkproto.OpGetEphemerals, &zkproto.PathOnly{Path: prefix}, fmt.Sprintf("prefix=%q", prefix), bodyStrings("ephemerals"))
}

func (c *rawConn) getACL(path string) reply {
	return c.call(zkproto.OpGetACL, &zkproto.PathOnly{Path: path}, fmt.Sprintf("%q", path), bodyACL(c.tr))
}

func (c *rawConn) setACL(path string, acl []zkproto.ACL, version int32) reply {
	req := &zkproto.SetACLRequest{Path: path, ACL: acl, Version: version}
	return c.call(zkproto.OpSetACL, req, fmt.Sprintf("%q acl=%s version=%d", path, aclString(acl), version), bodyStat(c.tr))
}

func (c *rawConn) addWatch(path string, mode int32) reply {
	// The reply body is an ErrorResponse (an int, 0).
	return c.call(zkproto.OpAddWatch, &zkproto.PathInt{Path: path, N: mode}, fmt.Sprintf("%q mode=%d", path, mode), bodyInt("errorResponse"))
}

func (c *rawConn) removeWatches(path string, typ zkproto.WatcherType) reply {
	return c.call(zkproto.OpRemoveWatches, &zkproto.PathInt{Path: path, N: int32(typ)}, fmt.Sprintf("%q type=%d", path, typ), nil)
}

func (c *rawConn) checkWatches(path string, typ zkproto.WatcherType) reply {
	return c.call(zkproto.OpCheckWatches, &zkproto.PathInt{Path: path, N: int32(typ)}, fmt.Sprintf("%q type=%d", path, typ), nil)
}

func (c *rawConn) whoAmI() reply {
	return c.call(zkproto.OpWhoAmI, nil, "", bodyWhoAmI)
}

// ping sends a ping with the xid the Java client uses (-2).
func (c *rawConn) ping() reply {
	if c.conn == nil {
		c.logf(">", "ping: not connected")
		return reply{}
	}
	return c.recv(c.sendXid(zkproto.XidPing, zkproto.OpPing, nil, "", nil))
}

// closeSession ends the session; the server then closes the connection.
func (c *rawConn) closeSession() reply {
	return c.call(zkproto.OpCloseSession, nil, "", nil)
}

// setWatches re-registers watches with the Java client's xid (-8).
func (c *rawConn) setWatches(rel int64, dataW, existW, childW []string) reply {
	if c.conn == nil {
		c.logf(">", "setWatches: not connected")
		return reply{}
	}
	req := &zkproto.SetWatches{RelativeZxid: rel, DataWatches: dataW, ExistWatches: existW, ChildWatches: childW}
	desc := fmt.Sprintf("relZxid=seen data=%v exist=%v child=%v", dataW, existW, childW)
	return c.recv(c.sendXid(zkproto.XidSetWatches, zkproto.OpSetWatches, req, desc, nil))
}

// sendRaw writes arbitrary bytes.
func (c *rawConn) sendRaw(b []byte, desc string) {
	c.logf(">", "raw %dB: %s", len(b), desc)
	c.write(b)
}

// frame prefixes body with its 4-byte length.
func frame(body []byte) []byte {
	b, off := jute.AppendFrame(nil)
	b = append(b, body...)
	jute.FinishFrame(b, off)
	return b
}

// multiOp is one operation of a multi request.
type multiOp struct {
	op  zkproto.OpCode
	rec jute.Record
	s   string
}

func mCreate(path string, d []byte, mode zkproto.CreateMode) multiOp {
	return multiOp{zkproto.OpCreate, &zkproto.CreateRequest{Path: path, Data: d, ACL: zkproto.OpenACLUnsafe, Flags: mode},
		fmt.Sprintf("create %q %s", path, modeName(mode))}
}

func mCreate2(op zkproto.OpCode, path string, d []byte, mode zkproto.CreateMode) multiOp {
	return multiOp{op, &zkproto.CreateRequest{Path: path, Data: d, ACL: zkproto.OpenACLUnsafe, Flags: mode},
		fmt.Sprintf("%s %q %s", op, path, modeName(mode))}
}

func mCreateTTL(path string, d []byte, mode zkproto.CreateMode, ttl int64) multiOp {
	return multiOp{zkproto.OpCreateTTL, &zkproto.CreateTTLRequest{Path: path, Data: d, ACL: zkproto.OpenACLUnsafe, Flags: mode, TTL: ttl},
		fmt.Sprintf("createTTL %q %s ttl=%d", path, modeName(mode), ttl)}
}

func mDelete(path string, version int32) multiOp {
	return multiOp{zkproto.OpDelete, &zkproto.PathVersion{Path: path, Version: version}, fmt.Sprintf("delete %q v=%d", path, version)}
}

func mSetData(path string, d []byte, version int32) multiOp {
	return multiOp{zkproto.OpSetData, &zkproto.SetDataRequest{Path: path, Data: d, Version: version},
		fmt.Sprintf("setData %q %s v=%d", path, data(d), version)}
}

func mCheck(path string, version int32) multiOp {
	return multiOp{zkproto.OpCheck, &zkproto.PathVersion{Path: path, Version: version}, fmt.Sprintf("check %q v=%d", path, version)}
}

// multiRequest encodes a multi body: each op behind a MultiHeader, then the
// end marker {-1, true, -1}.
type multiRequest []multiOp

func (m multiRequest) Encode(e *jute.Encoder) {
	for _, op := range m {
		(&zkproto.MultiHeader{Type: op.op, Done: false, Err: -1}).Encode(e)
		op.rec.Encode(e)
	}
	(&zkproto.MultiHeader{Type: -1, Done: true, Err: -1}).Encode(e)
}

func (m multiRequest) Decode(d *jute.Decoder) { d.Fail(errors.New("not decodable")) }

func (c *rawConn) multi(ops ...multiOp) reply {
	var parts []string
	for _, op := range ops {
		parts = append(parts, op.s)
	}
	return c.call(zkproto.OpMulti, multiRequest(ops), "["+strings.Join(parts, "; ")+"]", bodyMulti(c.tr))
}

func bodyMulti(tr *transcript) func(*jute.Decoder) (string, any) {
	return func(d *jute.Decoder) (string, any) {
		var parts []string
		for i := 0; i < 1000; i++ {
			var h zkproto.MultiHeader
			h.Decode(d)
			if d.Err() != nil {
				break
			}
			if h.Done {
				parts = append(parts, fmt.Sprintf("end(type=%d err=%d)", h.Type, h.Err))
				break
			}
			s := fmt.Sprintf("%s err=%d", h.Type, h.Err)
			switch h.Type {
			case zkproto.OpCreate:
				var r zkproto.PathOnly
				r.Decode(d)
				s += fmt.Sprintf(" path=%q", r.Path)
			case zkproto.OpCreate2, zkproto.OpCreateTTL, zkproto.OpCreateContainer:
				var r zkproto.Create2Response
				r.Decode(d)
				s += fmt.Sprintf(" path=%q %s", r.Path, tr.stat(&r.Stat))
			case zkproto.OpSetData:
				var r zkproto.Stat
				r.Decode(d)
				s += " " + tr.stat(&r)
			case zkproto.OpError:
				var r zkproto.IntRecord
				r.Decode(d)
				s += fmt.Sprintf(" code=%d", r.N)
			}
			parts = append(parts, s)
		}
		return "results=[" + strings.Join(parts, "; ") + "]", nil
	}
}
