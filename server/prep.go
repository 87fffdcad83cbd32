package server

import (
	"fmt"
	"sync/atomic"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/datatree"
	"github.com/zabd/zabd/server/session"
)

// prep turns write requests into txns. It is owned by the prep goroutine.
//
// It checks paths, ACLs and versions against the committed tree plus the
// changes of txns it has issued that the final stage has not applied yet
// (outstanding), assigns zxids, names sequential nodes, and turns a failed
// request into an error txn that keeps its place in the order.
//
// Counterpart: PrepRequestProcessor.
type prep struct {
	s           *Server
	zxid        int64 // last assigned
	outstanding map[string]*change
	order       []pendingChange // FIFO by zxid, for cleanup
	applied     *atomic.Int64   // last zxid the final stage applied
	gen         int64           // Server.epochGen seen last
	// journal records the map entries a multi overwrote, for rollback.
	journal []journalEntry
	inMulti bool
}

// change is the state of a node as of the txns issued so far
// (PrepRequestProcessor.ChangeRecord). exists false means deleted.
type change struct {
	zxid       int64
	exists     bool
	stat       zkproto.StatPersisted
	childCount int32
	acl        []zkproto.ACL
}

type pendingChange struct {
	zxid int64
	path string
}

type journalEntry struct {
	path string
	prev *change // nil: was absent
}

func newPrep(s *Server, lastZxid int64, applied *atomic.Int64) *prep {
	return &prep{s: s, zxid: lastZxid, outstanding: make(map[string]*change), applied: applied}
}

// cleanup forgets changes the final stage has applied: the tree has them.
func (p *prep) cleanup() {
	applied := p.applied.Load()
	i := 0
	for ; i < len(p.order) && p.order[i].zxid <= applied; i++ {
		pc := p.order[i]
		if c := p.outstanding[pc.path]; c != nil && c.zxid <= applied {
			delete(p.outstanding, pc.path)
		}
	}
	if i > 0 {
		n := copy(p.order, p.order[i:])
		clear(p.order[n:])
		p.order = p.order[:n]
	}
}

// record returns the current state of path, or nil if it does not exist.
// The result is a copy the caller may modify and put back with addChange.
func (p *prep) record(path string) *change {
	if c, ok := p.outstanding[path]; ok {
		if !c.exists {
			return nil
		}
		cp := *c
		return &cp
	}
	t := p.s.tree
	t.RLock()
	n := t.Get(path)
	var c *change
	if n != nil {
		c = &change{exists: true, stat: n.Stat, childCount: int32(len(n.Children)), acl: n.ACL}
	}
	t.RUnlock()
	return c
}

func (p *prep) addChange(path string, c *change) {
	c.zxid = p.zxid
	if p.inMulti {
		prev, ok := p.outstanding[path]
		if !ok {
			prev = nil
		}
		p.journal = append(p.journal, journalEntry{path: path, prev: prev})
	}
	p.outstanding[path] = c
	p.order = append(p.order, pendingChange{zxid: p.zxid, path: path})
}

func (p *prep) rollback() {
	for i := len(p.journal) - 1; i >= 0; i-- {
		j := p.journal[i]
		if j.prev == nil {
			delete(p.outstanding, j.path)
		} else {
			p.outstanding[j.path] = j.prev
		}
	}
	p.journal = p.journal[:0]
}

// reset forgets outstanding changes after a role or epoch change; a leader
// numbers its txns from epoch<<32.
func (p *prep) reset(ens *ensembleState) {
	clear(p.outstanding)
	p.order = p.order[:0]
	p.zxid = p.applied.Load()
	if ens.role == RoleLeading && p.zxid < ens.epoch<<32 {
		p.zxid = ens.epoch << 32
	}
}

// process assigns a zxid and a txn to r.
func (p *prep) process(r *request, nowMs int64) {
	if g := p.s.epochGen.Load(); g != p.gen {
		p.gen = g
		p.reset(p.s.ens.Load())
	}
	p.cleanup()
	if r.op == zkproto.OpSync {
		r.hdr = zkproto.TxnHeader{ClientID: r.session, Cxid: r.xid, Zxid: p.zxid, Time: nowMs, Type: zkproto.OpSync}
		if code := p.checkSession(r); code != zkproto.Ok {
			r.hdr.Type, r.res.Err = zkproto.OpError, code
		}
		return
	}
	p.zxid++
	r.hdr = zkproto.TxnHeader{ClientID: r.session, Cxid: r.xid, Zxid: p.zxid, Time: nowMs, Type: r.op}
	var typ zkproto.OpCode
	var txn jute.Record
	code := p.checkSession(r)
	switch {
	case r.op == zkproto.OpReconfig:
		// NB: zabd has no dynamic reconfiguration; ZooKeeper with
		// reconfigEnabled=false (its default) refuses every reconfig
		// before any other check.
		code = zkproto.ErrReconfigDisabled
	case code != zkproto.Ok:
	case r.op == zkproto.OpCreateSession:
		typ, txn = r.op, &zkproto.CreateSessionTxn{N: r.timeout}
		p.s.sessions.SetOwner(r.session, r.owner())
	case r.op == zkproto.OpCloseSession:
		typ, txn = r.op, p.closeSession(r.session)
	case r.op == zkproto.OpMulti:
		if r.bad {
			code = zkproto.ErrMarshallingError
		} else {
			typ, txn = r.op, p.multi(r)
		}
	default:
		if r.bad {
			code = zkproto.ErrMarshallingError
		} else {
			typ, txn, code = p.op(r.op, r.rec, r)
		}
	}
	if code != zkproto.Ok {
		typ, txn = zkproto.OpError, &zkproto.ErrorTxn{N: int32(code)}
	}
	r.hdr.Type = typ
	r.txn = txn
	e := jute.Encoder{Buf: make([]byte, 0, 128)}
	r.hdr.Encode(&e)
	txn.Encode(&e)
	r.entry = e.Buf
}

// checkSession is the session check PrepRequestProcessor makes before it
// prepares a client's request: the session must be live, and on a leader
// it must be connected through the server the request came from — the
// first request claims an unowned session; a request through any other
// server is refused with SessionMoved, which closes that connection
// (ZOOKEEPER-710: a client that moved on must not be served through a
// connection it left behind). createSession and closeSession, and the
// server's own requests (expiry, reaper), are not checked.
func (p *prep) checkSession(r *request) zkproto.Code {
	if r.internal || r.op == zkproto.OpCreateSession || r.op == zkproto.OpCloseSession {
		return zkproto.Ok
	}
	switch p.s.sessions.CheckOwner(r.session, r.owner()) {
	case session.CheckExpired:
		return zkproto.ErrSessionExpired
	case session.CheckMoved:
		return zkproto.ErrSessionMoved
	}
	return zkproto.Ok
}

// op prepares one create, delete, setData, setACL or check.
func (p *prep) op(op zkproto.OpCode, rec jute.Record, r *request) (zkproto.OpCode, jute.Record, zkproto.Code) {
	switch x := rec.(type) {
	case *zkproto.CreateRequest:
		return p.create(op, x.Path, x.Data, x.ACL, x.Flags, -1, r)
	case *zkproto.CreateTTLRequest:
		return p.create(op, x.Path, x.Data, x.ACL, x.Flags, x.TTL, r)
	case *zkproto.PathVersion:
		if op == zkproto.OpCheck {
			return p.check(x, r)
		}
		return p.delete(op, x, r)
	case *zkproto.SetDataRequest:
		return p.setData(x, r)
	case *zkproto.SetACLRequest:
		return p.setACL(x, r)
	}
	return 0, nil, zkproto.ErrUnimplemented
}

// checkVersion implements PrepRequestProcessor.checkAndIncVersion.
func checkVersion(current, expected int32) (int32, zkproto.Code) {
	if expected != -1 && expected != current {
		return 0, zkproto.ErrBadVersion
	}
	next := current + 1
	if next == -1<<31 {
		next = 1
	}
	return next, zkproto.Ok
}

func (p *prep) create(op zkproto.OpCode, path string, data []byte, acl []zkproto.ACL, mode zkproto.CreateMode, ttl int64, r *request) (zkproto.OpCode, jute.Record, zkproto.Code) {
	// validateCreateRequest
	if !mode.Valid() {
		return 0, nil, zkproto.ErrBadArguments
	}
	if mode.TTL() && !p.s.cfg.ExtendedTypesEnabled {
		return 0, nil, zkproto.ErrUnimplemented
	}
	if op == zkproto.OpCreateTTL || mode.TTL() {
		if !mode.TTL() || ttl <= 0 || ttl > datatree.MaxTTL {
			return 0, nil, zkproto.ErrBadArguments
		}
	}
	if mode.Ephemeral() && r.internal {
		return 0, nil, zkproto.ErrBadArguments
	}
	// validatePathForCreate
	if len(path) == 0 || path[0] != '/' || containsNul(path) {
		return 0, nil, zkproto.ErrBadArguments
	}
	parentPath := parentOf(path)
	fixed, code := fixupACL(acl, r.auth)
	if code != zkproto.Ok {
		return 0, nil, code
	}
	parent := p.record(parentPath)
	if parent == nil {
		return 0, nil, zkproto.ErrNoNode
	}
	if !p.s.checkACL(parent.acl, zkproto.PermCreate, r.auth) {
		return 0, nil, zkproto.ErrNoAuth
	}
	cv := parent.stat.Cversion
	if mode.Sequential() {
		path += fmt.Sprintf("%010d", cv)
	}
	if !validPath(path) {
		return 0, nil, zkproto.ErrBadArguments
	}
	if p.record(path) != nil {
		return 0, nil, zkproto.ErrNodeExists
	}
	if datatree.KindOf(parent.stat.EphemeralOwner) == datatree.OwnerSession {
		return 0, nil, zkproto.ErrNoChildrenForEphemera
	}
	if code := p.s.checkQuota(path, data, true); code != zkproto.Ok {
		return 0, nil, code
	}
	newCV := cv + 1
	var txn jute.Record
	owner := int64(0)
	switch {
	case op == zkproto.OpCreateContainer:
		// NB: the opcode decides, not the flags: create with the container
		// flag makes a persistent node, createContainer with any flag a
		// container (PrepRequestProcessor.pRequest2TxnCreate).
		txn = &zkproto.CreateContainerTxn{Path: path, Data: data, ACL: fixed, ParentCVersion: newCV}
		owner = datatree.ContainerOwner
		op = zkproto.OpCreateContainer
	case mode.TTL():
		txn = &zkproto.CreateTTLTxn{Path: path, Data: data, ACL: fixed, ParentCVersion: newCV, TTL: ttl}
		owner = datatree.TTLOwner(ttl)
		op = zkproto.OpCreateTTL
	default:
		eph := mode.Ephemeral()
		if eph {
			owner = r.session
		}
		txn = &zkproto.CreateTxn{Path: path, Data: data, ACL: fixed, Ephemeral: eph, ParentCVersion: newCV}
	}
	parent.stat.Cversion = newCV
	parent.stat.Pzxid = p.zxid
	parent.childCount++
	p.addChange(parentPath, parent)
	p.addChange(path, &change{exists: true, acl: fixed, stat: zkproto.StatPersisted{
		Czxid: p.zxid, Mzxid: p.zxid, Pzxid: p.zxid, EphemeralOwner: owner,
	}})
	return op, txn, zkproto.Ok
}

func containsNul(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func (p *prep) delete(op zkproto.OpCode, x *zkproto.PathVersion, r *request) (zkproto.OpCode, jute.Record, zkproto.Code) {
	path := x.Path
	if len(path) == 0 || path[0] != '/' || containsNul(path) || reservedPath(path) {
		return 0, nil, zkproto.ErrBadArguments
	}
	parentPath := parentOf(path)
	parent := p.record(parentPath)
	if parent == nil {
		return 0, nil, zkproto.ErrNoNode
	}
	if !r.internal && !p.s.checkACL(parent.acl, zkproto.PermDelete, r.auth) {
		return 0, nil, zkproto.ErrNoAuth
	}
	node := p.record(path)
	if node == nil {
		return 0, nil, zkproto.ErrNoNode
	}
	if _, code := checkVersion(node.stat.Version, x.Version); code != zkproto.Ok {
		return 0, nil, code
	}
	if node.childCount > 0 {
		return 0, nil, zkproto.ErrNotEmpty
	}
	if op == zkproto.OpDeleteContainer {
		k := datatree.KindOf(node.stat.EphemeralOwner)
		if k != datatree.OwnerContainer && k != datatree.OwnerTTL {
			return 0, nil, zkproto.ErrBadArguments
		}
	}
	parent.childCount--
	parent.stat.Pzxid = p.zxid
	p.addChange(parentPath, parent)
	p.addChange(path, &change{exists: false})
	return op, &zkproto.DeleteTxn{Path: path}, zkproto.Ok
}

func (p *prep) setData(x *zkproto.SetDataRequest, r *request) (zkproto.OpCode, jute.Record, zkproto.Code) {
	if !validPath(x.Path) {
		return 0, nil, zkproto.ErrBadArguments
	}
	node := p.record(x.Path)
	if node == nil {
		return 0, nil, zkproto.ErrNoNode
	}
	if !p.s.checkACL(node.acl, zkproto.PermWrite, r.auth) {
		return 0, nil, zkproto.ErrNoAuth
	}
	if code := p.s.checkQuota(x.Path, x.Data, false); code != zkproto.Ok {
		return 0, nil, code
	}
	v, code := checkVersion(node.stat.Version, x.Version)
	if code != zkproto.Ok {
		return 0, nil, code
	}
	node.stat.Version = v
	node.stat.Mzxid = p.zxid
	p.addChange(x.Path, node)
	return zkproto.OpSetData, &zkproto.SetDataTxn{Path: x.Path, Data: x.Data, Version: v}, zkproto.Ok
}

func (p *prep) setACL(x *zkproto.SetACLRequest, r *request) (zkproto.OpCode, jute.Record, zkproto.Code) {
	if !validPath(x.Path) {
		return 0, nil, zkproto.ErrBadArguments
	}
	fixed, code := fixupACL(x.ACL, r.auth)
	if code != zkproto.Ok {
		return 0, nil, code
	}
	node := p.record(x.Path)
	if node == nil {
		return 0, nil, zkproto.ErrNoNode
	}
	if !p.s.checkACL(node.acl, zkproto.PermAdmin, r.auth) {
		return 0, nil, zkproto.ErrNoAuth
	}
	v, code := checkVersion(node.stat.Aversion, x.Version)
	if code != zkproto.Ok {
		return 0, nil, code
	}
	node.stat.Aversion = v
	node.acl = fixed
	p.addChange(x.Path, node)
	return zkproto.OpSetACL, &zkproto.SetACLTxn{Path: x.Path, ACL: fixed, Version: v}, zkproto.Ok
}

func (p *prep) check(x *zkproto.PathVersion, r *request) (zkproto.OpCode, jute.Record, zkproto.Code) {
	if !validPath(x.Path) {
		return 0, nil, zkproto.ErrBadArguments
	}
	node := p.record(x.Path)
	if node == nil {
		return 0, nil, zkproto.ErrNoNode
	}
	if !p.s.checkACL(node.acl, zkproto.PermRead, r.auth) {
		return 0, nil, zkproto.ErrNoAuth
	}
	if _, code := checkVersion(node.stat.Version, x.Version); code != zkproto.Ok {
		return 0, nil, code
	}
	return zkproto.OpCheck, &zkproto.CheckVersionTxn{Path: x.Path, Version: x.Version}, zkproto.Ok
}

// closeSession lists the session's ephemerals (committed and outstanding)
// in the order ZooKeeper deletes them (datatree.CloseOrder) and records
// their deletion.
func (p *prep) closeSession(session int64) jute.Record {
	// The outstanding changes, in the order they were prepared, as
	// PrepRequestProcessor walks outstandingChanges (each path by its
	// latest change).
	var pending []datatree.PendingEphemeral
	seen := make(map[string]bool)
	for _, pc := range p.order {
		c := p.outstanding[pc.path]
		if c == nil || seen[pc.path] {
			continue
		}
		seen[pc.path] = true
		if !c.exists || c.stat.EphemeralOwner == session {
			pending = append(pending, datatree.PendingEphemeral{Path: pc.path, Created: c.exists})
		}
	}
	t := p.s.tree
	t.RLock()
	out := t.CloseOrder(session, pending)
	t.RUnlock()
	for _, path := range out {
		parentPath := parentOf(path)
		if parent := p.record(parentPath); parent != nil {
			parent.childCount--
			parent.stat.Pzxid = p.zxid
			p.addChange(parentPath, parent)
		}
		p.addChange(path, &change{exists: false})
	}
	return &zkproto.CloseSessionTxn{Strings: out}
}

// multi prepares every op of a multi in one txn. On the first failure the
// changes of the earlier ops are rolled back, the failing op carries its
// error and the later ones RuntimeInconsistency (PrepRequestProcessor multi).
func (p *prep) multi(r *request) jute.Record {
	p.inMulti = true
	p.journal = p.journal[:0]
	txns := make([]zkproto.Txn, 0, len(r.ops))
	failed := false
	for _, o := range r.ops {
		var typ zkproto.OpCode
		var txn jute.Record
		var code zkproto.Code
		if failed {
			code = zkproto.ErrRuntimeInconsistency
		} else {
			typ, txn, code = p.op(o.op, o.rec, r)
			if code != zkproto.Ok {
				failed = true
				p.rollback()
			}
		}
		if code != zkproto.Ok {
			typ, txn = zkproto.OpError, &zkproto.ErrorTxn{N: int32(code)}
		}
		txns = append(txns, zkproto.Txn{Type: typ, Data: jute.Marshal(txn)})
	}
	p.inMulti = false
	p.journal = p.journal[:0]
	return &zkproto.MultiTxn{Txns: txns}
}
