package server

import (
	"sort"
	"strings"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/datatree"
	"github.com/zabd/zabd/server/watch"
)

func sortStrings(s []string) { sort.Strings(s) }

// finalize applies one committed request to the tree, replies, and serves
// the reads of its session that were waiting behind it. Owned by the final
// goroutine. Counterpart: FinalRequestProcessor.
func (s *Server) finalize(r *request) {
	if r.txn != nil {
		s.tree.Lock()
		r.res = s.tree.Apply(&r.hdr, r.txn)
		s.tree.Unlock()
		s.applied.Store(r.hdr.Zxid)
		s.applySessionEffects(&r.hdr, r.txn)
	}
	switch r.op {
	case zkproto.OpCreateSession:
		if r.c != nil {
			s.sessionCreated(r)
		}
		return
	case zkproto.OpCloseSession:
		s.unbindSession(r.session, r.c)
	}
	c := r.c
	if c == nil {
		return
	}
	hdr := zkproto.ReplyHeader{Xid: r.xid, Zxid: r.hdr.Zxid}
	var body jute.Record
	res := &r.res
	if r.hdr.Type == zkproto.OpError {
		hdr.Err = res.Err
		if hdr.Err == zkproto.ErrSessionMoved {
			// FinalRequestProcessor answers SessionMoved by closing the
			// connection without a reply: the client has moved on to
			// another server and must not be served through this one.
			c.mu.Lock()
			c.closing = true
			c.inflight--
			c.mu.Unlock()
			c.closeAfterFlush()
			return
		}
	} else {
		switch r.op {
		case zkproto.OpCreate:
			body = &zkproto.CreateResponse{Path: res.Path}
		case zkproto.OpCreate2, zkproto.OpCreateContainer, zkproto.OpCreateTTL:
			body = &zkproto.Create2Response{Path: res.Path, Stat: res.Stat}
		case zkproto.OpSetData, zkproto.OpSetACL:
			body = &zkproto.StatResponse{Stat: res.Stat}
		case zkproto.OpSync:
			body = &zkproto.SyncResponse{Path: javaString(r.rec.(*zkproto.PathOnly).Path)}
			hdr.Zxid = s.lastApplied()
			if r.bad {
				hdr.Err, body = zkproto.ErrMarshallingError, nil
			}
		case zkproto.OpMulti:
			body = multiResponse(res.Multi)
		}
	}
	s.recordLatency(r.startNs)
	c.mu.Lock()
	c.stats.lastZxid = hdr.Zxid
	c.stats.sent++
	c.mon.response(r.xid, r.startNs)
	c.reply(hdr, body)
	c.inflight--
	if len(c.pending) > 0 && c.pending[0] == r {
		c.pending[0] = nil
		c.pending = c.pending[1:]
	}
	s.drainPendingLocked(c)
	closing := r.op == zkproto.OpCloseSession
	c.mu.Unlock()
	if closing {
		c.closeAfterFlush()
	}
}

// drainPendingLocked serves the reads at the head of c.pending up to the next
// write. c.mu is held.
func (s *Server) drainPendingLocked(c *conn) {
	i := 0
	for ; i < len(c.pending); i++ {
		q := c.pending[i]
		if isWrite(q.op) {
			break
		}
		s.serveRead(c, q)
		c.pending[i] = nil
	}
	c.pending = c.pending[i:]
	if len(c.pending) == 0 {
		c.pending = nil
	}
}

func (s *Server) lastApplied() int64 { return s.applied.Load() }

// multiResponse encodes the results of a multi as MultiResponse does.
type multiResult []datatree.Result

func multiResponse(rs []datatree.Result) jute.Record { return multiResult(rs) }

func (m multiResult) Encode(e *jute.Encoder) {
	for _, r := range m {
		h := zkproto.MultiHeader{Type: r.Type}
		switch r.Type {
		case zkproto.OpError:
			h.Err = r.Err
			h.Encode(e)
			e.Int32(int32(r.Err))
			continue
		case zkproto.OpCreate2, zkproto.OpCreateContainer, zkproto.OpCreateTTL:
			h.Type = zkproto.OpCreate2
		}
		h.Encode(e)
		switch h.Type {
		case zkproto.OpCreate:
			e.String(r.Path)
		case zkproto.OpCreate2:
			e.String(r.Path)
			r.Stat.Encode(e)
		case zkproto.OpSetData:
			r.Stat.Encode(e)
		}
	}
	end := zkproto.MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (m multiResult) Decode(d *jute.Decoder) { d.Fail(errNotDecodable) }

// serveRead answers a read request against the tree. c.mu is held (it
// orders this reply among the session's replies).
func (s *Server) serveRead(c *conn, r *request) {
	t := s.tree
	t.RLock()
	zxid := t.LastZxid()
	hdr, body := s.read(c, r)
	t.RUnlock()
	if r.xid == zkproto.XidPing || r.op == zkproto.OpPing {
		hdr.Zxid = zxid
	} else if hdr.Zxid == 0 {
		hdr.Zxid = zxid
	}
	c.stats.lastZxid = hdr.Zxid
	c.stats.sent++
	c.mon.response(r.xid, r.startNs)
	s.noteRead(r, hdr, body)
	s.recordLatency(r.startNs)
	c.reply(hdr, body)
}

// read computes a read's reply under the tree's read lock.
func (s *Server) read(c *conn, r *request) (zkproto.ReplyHeader, jute.Record) {
	t := s.tree
	hdr := zkproto.ReplyHeader{Xid: r.xid}
	fail := func(code zkproto.Code) (zkproto.ReplyHeader, jute.Record) {
		hdr.Err = code
		return hdr, nil
	}
	if r.bad {
		if r.badMulti {
			// FinalRequestProcessor had begun an empty MultiResponse: it
			// goes out with the error (its end marker, 9 bytes).
			hdr.Err = zkproto.ErrMarshallingError
			return hdr, multiReadResult{}
		}
		return fail(zkproto.ErrMarshallingError)
	}
	switch r.op {
	case zkproto.OpPing:
		return hdr, nil
	case zkproto.OpExists:
		x := r.rec.(*zkproto.PathWatch)
		if strings.IndexByte(x.Path, 0) >= 0 {
			return fail(zkproto.ErrBadArguments)
		}
		n := t.Get(readPath(x.Path))
		if x.Watch {
			s.watches.Add(c, x.Path, watch.Data)
		}
		if n == nil {
			return fail(zkproto.ErrNoNode)
		}
		var out zkproto.StatResponse
		n.StatOf(&out.Stat)
		return hdr, &out
	case zkproto.OpGetData:
		x := r.rec.(*zkproto.PathWatch)
		n := t.Get(readPath(x.Path))
		if n == nil {
			return fail(zkproto.ErrNoNode)
		}
		if !s.checkACL(n.ACL, zkproto.PermRead, r.auth) {
			return fail(zkproto.ErrNoAuth)
		}
		if x.Watch {
			s.watches.Add(c, x.Path, watch.Data)
		}
		out := &zkproto.GetDataResponse{Data: n.Data}
		n.StatOf(&out.Stat)
		return hdr, out
	case zkproto.OpGetChildren, zkproto.OpGetChildren2:
		x := r.rec.(*zkproto.PathWatch)
		n := t.Get(readPath(x.Path))
		if n == nil {
			return fail(zkproto.ErrNoNode)
		}
		if !s.checkACL(n.ACL, zkproto.PermRead, r.auth) {
			return fail(zkproto.ErrNoAuth)
		}
		if x.Watch {
			s.watches.Add(c, x.Path, watch.Child)
		}
		kids := t.OrderedChildren(readPath(x.Path), n)
		if r.op == zkproto.OpGetChildren {
			return hdr, &zkproto.GetChildrenResponse{Strings: kids}
		}
		out := &zkproto.GetChildren2Response{Children: kids}
		n.StatOf(&out.Stat)
		return hdr, out
	case zkproto.OpGetAllChildrenNumber:
		x := r.rec.(*zkproto.PathOnly)
		n := t.Get(readPath(x.Path))
		if n == nil {
			return fail(zkproto.ErrNoNode)
		}
		if !s.checkACL(n.ACL, zkproto.PermRead, r.auth) {
			return fail(zkproto.ErrNoAuth)
		}
		total := t.CountDescendants(readPath(x.Path))
		if x.Path == "" {
			total++ // DataTree counts the keys under ""+"/": every node, "/" included
		}
		return hdr, &zkproto.GetAllChildrenNumberResponse{N: int32(total)}
	case zkproto.OpGetEphemerals:
		// In the order of DataTree.getEphemerals' clone of the session's
		// set (datatree.CloseOrder), filtered by the prefix unless it is
		// blank or "/" once trimmed as Java's String.trim does.
		x := r.rec.(*zkproto.PathOnly)
		all := t.CloseOrder(r.session, nil)
		out := make([]string, 0, len(all))
		prefix := strings.TrimFunc(x.Path, func(r rune) bool { return r <= ' ' })
		for _, p := range all {
			if prefix == "" || prefix == "/" || hasPrefix(p, x.Path) {
				out = append(out, p)
			}
		}
		return hdr, &zkproto.GetEphemeralsResponse{Strings: out}
	case zkproto.OpGetACL:
		x := r.rec.(*zkproto.PathOnly)
		n := t.Get(readPath(x.Path))
		if n == nil {
			return fail(zkproto.ErrNoNode)
		}
		// ZOOKEEPER-1392: getACL needs READ or ADMIN, and without ADMIN the
		// digest hashes are masked (FinalRequestProcessor).
		if !s.checkACL(n.ACL, zkproto.PermRead|zkproto.PermAdmin, r.auth) {
			return fail(zkproto.ErrNoAuth)
		}
		out := &zkproto.GetACLResponse{ACL: n.ACL}
		if !s.checkACL(n.ACL, zkproto.PermAdmin, r.auth) {
			out.ACL = maskDigests(n.ACL)
		}
		out.ACL = echoACL(out.ACL)
		n.StatOf(&out.Stat)
		return hdr, out
	case zkproto.OpSetWatches, zkproto.OpSetWatches2:
		if !s.setWatches(c, r) {
			return fail(zkproto.ErrMarshallingError)
		}
		return hdr, nil
	case zkproto.OpWhoAmI:
		out := &zkproto.WhoAmIResponse{ClientInfo: []zkproto.ClientInfo{}}
		for _, id := range r.auth {
			out.ClientInfo = append(out.ClientInfo, zkproto.ClientInfo{AuthScheme: javaString(id.Scheme), User: javaString(authUser(id))})
		}
		return hdr, out
	case zkproto.OpAddWatch:
		x := r.rec.(*zkproto.PathInt)
		kind := watch.Persistent
		if x.N == zkproto.AddWatchPersistentRecursive {
			kind = watch.Recursive
		} else if x.N != zkproto.AddWatchPersistent {
			// WatcherMode.fromZooDef throws; FinalRequestProcessor answers
			// an unexpected exception with MarshallingError.
			return fail(zkproto.ErrMarshallingError)
		}
		s.watches.Add(c, x.Path, kind)
		return hdr, &zkproto.ErrorResponse{N: 0} // FinalRequestProcessor answers addWatch so
	case zkproto.OpCheckWatches, zkproto.OpRemoveWatches:
		return s.removeWatches(c, r)
	case zkproto.OpMultiRead:
		return hdr, s.multiRead(c, r)
	}
	return fail(zkproto.ErrUnimplemented)
}

// readPath maps a read's path to the tree's key: ZooKeeper keeps the root
// under "" too, so a read of "" is a read of "/".
func readPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// setWatches re-registers a reconnecting client's watches, firing at once
// those whose node changed after relativeZxid (DataTree.setWatches).
//
// NB: a null list fails the request with MarshallingError once the lists
// before it are registered, as ZooKeeper's loop over a null list throws.
func (s *Server) setWatches(c *conn, r *request) bool {
	t := s.tree
	var rel int64
	var data, exist, child, pers, rec []string
	v2 := false
	switch x := r.rec.(type) {
	case *zkproto.SetWatches:
		rel, data, exist, child = x.RelativeZxid, x.DataWatches, x.ExistWatches, x.ChildWatches
	case *zkproto.SetWatches2:
		rel, data, exist, child = x.RelativeZxid, x.DataWatches, x.ExistWatches, x.ChildWatches
		pers, rec, v2 = x.PersistentWatches, x.PersistentRecursiveWatches, true
	}
	if data == nil {
		return false
	}
	for _, p := range data {
		n := t.Get(p)
		switch {
		case n == nil:
			c.Notify(zkproto.EventNodeDeleted, p)
		case n.Stat.Mzxid > rel:
			c.Notify(zkproto.EventNodeDataChanged, p)
		default:
			s.watches.Add(c, p, watch.Data)
		}
	}
	if exist == nil {
		return false
	}
	for _, p := range exist {
		if t.Get(p) != nil {
			c.Notify(zkproto.EventNodeCreated, p)
		} else {
			s.watches.Add(c, p, watch.Data)
		}
	}
	if child == nil {
		return false
	}
	for _, p := range child {
		n := t.Get(p)
		switch {
		case n == nil:
			c.Notify(zkproto.EventNodeDeleted, p)
		case n.Stat.Pzxid > rel:
			c.Notify(zkproto.EventNodeChildrenChanged, p)
		default:
			s.watches.Add(c, p, watch.Child)
		}
	}
	if v2 && pers == nil {
		return false
	}
	for _, p := range pers {
		s.watches.Add(c, p, watch.Persistent)
	}
	if v2 && rec == nil {
		return false
	}
	for _, p := range rec {
		s.watches.Add(c, p, watch.Recursive)
	}
	return true
}

// removeWatches implements checkWatches and removeWatches: NoWatcher when
// the session holds no watch of the type, else (for remove) drop it and send
// the matching *WatchRemoved event.
func (s *Server) removeWatches(c *conn, r *request) (zkproto.ReplyHeader, jute.Record) {
	x := r.rec.(*zkproto.PathInt)
	hdr := zkproto.ReplyHeader{Xid: r.xid}
	var kinds watch.Kind
	switch zkproto.WatcherType(x.N) {
	case zkproto.WatcherChildren:
		kinds = watch.Child
	case zkproto.WatcherData:
		kinds = watch.Data
	case zkproto.WatcherAny:
		kinds = watch.Data | watch.Child | watch.Persistent | watch.Recursive
	case zkproto.WatcherPersistent:
		kinds = watch.Persistent
	case zkproto.WatcherPersistentRecursive:
		kinds = watch.Recursive
	default:
		// WatcherType.fromInt throws: MarshallingError, as for addWatch.
		hdr.Err = zkproto.ErrMarshallingError
		return hdr, nil
	}
	if r.op == zkproto.OpCheckWatches {
		if !s.watches.Has(c, x.Path, kinds) {
			hdr.Err = zkproto.ErrNoWatcher
		}
		return hdr, nil
	}
	// NB: ZooKeeper's server sends no *WatchRemoved events; the client
	// library makes them when the reply says the watch is gone.
	if s.watches.Remove(c, x.Path, kinds) == 0 {
		hdr.Err = zkproto.ErrNoWatcher
	}
	return hdr, nil
}

// multiRead answers getData and getChildren ops, each with its own result.
// It sets no watches: MultiOperationRecord rebuilds each op with
// Op.getData(path) or Op.getChildren(path), dropping the watch flag.
func (s *Server) multiRead(c *conn, r *request) jute.Record {
	out := make(multiReadResult, 0, len(r.ops))
	for _, o := range r.ops {
		rec := o.rec
		if pw, ok := rec.(*zkproto.PathWatch); ok && pw.Watch {
			rec = &zkproto.PathWatch{Path: pw.Path}
		}
		sub := &request{c: c, session: r.session, xid: r.xid, op: o.op, rec: rec, auth: r.auth}
		h, body := s.read(c, sub)
		out = append(out, multiReadItem{op: o.op, err: h.Err, body: body})
	}
	return out
}

type multiReadItem struct {
	op   zkproto.OpCode
	err  zkproto.Code
	body jute.Record
}

type multiReadResult []multiReadItem

func (m multiReadResult) Encode(e *jute.Encoder) {
	for _, it := range m {
		if it.err != zkproto.Ok {
			h := zkproto.MultiHeader{Type: zkproto.OpError, Err: it.err}
			h.Encode(e)
			e.Int32(int32(it.err))
			continue
		}
		h := zkproto.MultiHeader{Type: it.op}
		h.Encode(e)
		it.body.Encode(e)
	}
	end := zkproto.MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (m multiReadResult) Decode(d *jute.Decoder) { d.Fail(errNotDecodable) }
