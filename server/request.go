package server

import (
	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/datatree"
)

// request is one client (or server-internal) request on its way through
// the pipeline. Fields are written by one stage and read by the next; the
// queue hand-off orders those accesses.
type request struct {
	c       *conn // nil for server-internal requests (expiry, reaper)
	session int64
	xid     int32
	op      zkproto.OpCode
	rec     jute.Record // decoded body
	ops     []multiOp   // multi and multiRead
	auth    []zkproto.Id
	startNs int64

	bad      bool  // the body did not decode: MarshallingError, in order
	badMulti bool  // a multiRead of write ops: MarshallingError with an empty MultiResponse
	internal bool  // issued by the server itself (expiry, reaper, a replica's commit)
	remote   bool  // forwarded by a learner (leader side)
	learner  int64 // the learner that forwarded it

	// createSession only.
	connReq *zkproto.ConnectRequest
	timeout int32

	// Set by prep.
	hdr   zkproto.TxnHeader
	txn   jute.Record // nil: no txn (sync)
	entry []byte      // marshalled hdr+txn for the log

	// Set by final.
	res datatree.Result
}

// ownerSelf is the session owner of requests from this server's own
// clients (ServerCnxn.me); a learner's forwarded requests are owned by the
// learner's server id.
const ownerSelf int64 = -1

// owner names the server r came through, for the leader's session check.
func (r *request) owner() int64 {
	if r.remote {
		return r.learner
	}
	return ownerSelf
}

// multiOp is one operation of a multi or multiRead request.
type multiOp struct {
	op  zkproto.OpCode
	rec jute.Record
}

// isWrite reports whether op passes through prep, the log and final.
func isWrite(op zkproto.OpCode) bool {
	switch op {
	case zkproto.OpCreate, zkproto.OpCreate2, zkproto.OpCreateContainer, zkproto.OpCreateTTL,
		zkproto.OpDelete, zkproto.OpDeleteContainer, zkproto.OpSetData, zkproto.OpSetACL,
		zkproto.OpCheck, zkproto.OpMulti, zkproto.OpSync, zkproto.OpCreateSession,
		zkproto.OpCloseSession, zkproto.OpReconfig:
		return true
	}
	return false
}

// validOp lists the opcodes a client may send (Request.isValid); any other is
// answered with Unimplemented and the connection is closed.
func validOp(op zkproto.OpCode) bool {
	switch op {
	case zkproto.OpCheck, zkproto.OpCloseSession, zkproto.OpCreate,
		zkproto.OpCreate2, zkproto.OpCreateTTL, zkproto.OpCreateContainer, zkproto.OpDelete,
		zkproto.OpExists, zkproto.OpGetACL, zkproto.OpGetChildren,
		zkproto.OpGetAllChildrenNumber, zkproto.OpGetChildren2, zkproto.OpGetData,
		zkproto.OpGetEphemerals, zkproto.OpMulti, zkproto.OpMultiRead, zkproto.OpPing,
		zkproto.OpSetACL, zkproto.OpSetData, zkproto.OpSetWatches, zkproto.OpSetWatches2,
		zkproto.OpSync, zkproto.OpCheckWatches, zkproto.OpRemoveWatches, zkproto.OpAddWatch,
		zkproto.OpWhoAmI, zkproto.OpAuth, zkproto.OpSASL, zkproto.OpReconfig:
		return true
	}
	return false
}

// multiKind says which ops a multi body holds.
type multiKind uint8

const (
	multiWrites multiKind = 1 << iota
	multiReads
)

// decodeMulti reads the body of a multi or multiRead request: MultiHeader
// and record pairs until a header with Done set. It reports whether the
// body decoded and which kinds of op it holds; ZooKeeper's
// MultiOperationRecord refuses a mix of reads and writes while decoding.
func decodeMulti(d *jute.Decoder) ([]multiOp, multiKind, bool) {
	var ops []multiOp
	var kind multiKind
	for {
		var h zkproto.MultiHeader
		h.Decode(d)
		if d.Err() != nil {
			return nil, kind, false
		}
		if h.Done {
			return ops, kind, kind != multiWrites|multiReads
		}
		var rec jute.Record
		switch h.Type {
		case zkproto.OpCreate, zkproto.OpCreate2, zkproto.OpCreateContainer:
			rec, kind = &zkproto.CreateRequest{}, kind|multiWrites
		case zkproto.OpCreateTTL:
			rec, kind = &zkproto.CreateTTLRequest{}, kind|multiWrites
		case zkproto.OpDelete, zkproto.OpCheck:
			rec, kind = &zkproto.PathVersion{}, kind|multiWrites
		case zkproto.OpSetData:
			rec, kind = &zkproto.SetDataRequest{}, kind|multiWrites
		case zkproto.OpGetChildren, zkproto.OpGetData:
			rec, kind = &zkproto.PathWatch{}, kind|multiReads
		default:
			return nil, kind, false
		}
		rec.Decode(d)
		if d.Err() != nil {
			return nil, kind, false
		}
		op := h.Type
		if cr, ok := rec.(*zkproto.CreateRequest); ok {
			// MultiOperationRecord rebuilds a create with Op.create(flags):
			// the flags, not the header, pick create or createContainer.
			op = zkproto.OpCreate
			if cr.Flags == zkproto.ModeContainer {
				op = zkproto.OpCreateContainer
			}
		}
		ops = append(ops, multiOp{op: op, rec: rec})
	}
}
