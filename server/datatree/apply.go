package datatree

import (
	"fmt"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// Result is the outcome of applying one txn. For a multi, Multi holds one
// Result per sub-txn and Type is each sub-txn's (possibly error) type.
type Result struct {
	Type  zkproto.OpCode
	Err   zkproto.Code
	Path  string
	Stat  zkproto.Stat
	Multi []Result
}

// Apply applies a committed txn. The caller holds the write lock. Replaying
// a txn whose effects are already present (a fuzzy snapshot) leaves the tree
// as it was, as DataTree.processTxn does.
func (t *Tree) Apply(hdr *zkproto.TxnHeader, txn jute.Record) Result {
	r := t.apply(hdr, hdr.Type, txn)
	if hdr.Zxid > t.lastZxid {
		t.lastZxid = hdr.Zxid
	}
	return r
}

func (t *Tree) apply(hdr *zkproto.TxnHeader, typ zkproto.OpCode, txn jute.Record) Result {
	r := Result{Type: typ}
	switch x := txn.(type) {
	case *zkproto.CreateTxn:
		owner := int64(0)
		if x.Ephemeral {
			owner = hdr.ClientID
		}
		r.Path = x.Path
		r.Err = t.create(x.Path, x.Data, x.ACL, owner, x.ParentCVersion, hdr.Zxid, hdr.Time, &r.Stat)
	case *zkproto.CreateContainerTxn:
		r.Path = x.Path
		r.Err = t.create(x.Path, x.Data, x.ACL, ContainerOwner, x.ParentCVersion, hdr.Zxid, hdr.Time, &r.Stat)
	case *zkproto.CreateTTLTxn:
		r.Path = x.Path
		r.Err = t.create(x.Path, x.Data, x.ACL, TTLOwner(x.TTL), x.ParentCVersion, hdr.Zxid, hdr.Time, &r.Stat)
	case *zkproto.PathOnly: // DeleteTxn
		r.Path = x.Path
		r.Err = t.delete(x.Path, hdr.Zxid)
	case *zkproto.SetDataRequest: // SetDataTxn
		r.Path = x.Path
		r.Err = t.setData(x.Path, x.Data, x.Version, hdr.Zxid, hdr.Time, &r.Stat)
	case *zkproto.SetACLRequest: // SetACLTxn
		r.Path = x.Path
		r.Err = t.setACL(x.Path, x.ACL, x.Version, &r.Stat)
	case *zkproto.PathVersion: // CheckVersionTxn
		r.Path = x.Path
	case *zkproto.StringsRecord: // CloseSessionTxn
		t.closeSession(hdr.ClientID, x.Strings, hdr.Zxid)
	case *zkproto.IntRecord:
		if typ == zkproto.OpError {
			r.Err = zkproto.Code(x.N)
		}
		// CreateSessionTxn: sessions live in the session table.
	case *zkproto.MultiTxn:
		r.Multi = t.applyMulti(hdr, x)
	case nil:
		if typ == zkproto.OpCloseSession {
			t.closeSession(hdr.ClientID, nil, hdr.Zxid)
		}
	default:
		panic(fmt.Sprintf("datatree: unexpected txn %T for %v", txn, typ))
	}
	return r
}

// applyMulti applies the sub-txns of a multi. If any sub-txn is an error the
// whole multi failed in prep: nothing is applied, ops before the failure
// report Ok and ops after it RuntimeInconsistency, as DataTree.processTxn
// reports them.
func (t *Tree) applyMulti(hdr *zkproto.TxnHeader, m *zkproto.MultiTxn) []Result {
	failed := false
	for _, s := range m.Txns {
		if s.Type == zkproto.OpError {
			failed = true
			break
		}
	}
	out := make([]Result, 0, len(m.Txns))
	postFailed := false
	for _, s := range m.Txns {
		if failed {
			code := zkproto.Ok
			if s.Type == zkproto.OpError {
				var e zkproto.ErrorTxn
				if err := jute.Unmarshal(s.Data, &e); err == nil {
					code = zkproto.Code(e.N)
				}
				postFailed = true
			} else if postFailed {
				code = zkproto.ErrRuntimeInconsistency
			}
			out = append(out, Result{Type: zkproto.OpError, Err: code})
			continue
		}
		rec := zkproto.NewTxn(s.Type)
		if rec == nil {
			out = append(out, Result{Type: zkproto.OpError, Err: zkproto.ErrMarshallingError})
			continue
		}
		if err := jute.Unmarshal(s.Data, rec); err != nil {
			out = append(out, Result{Type: zkproto.OpError, Err: zkproto.ErrMarshallingError})
			continue
		}
		out = append(out, t.apply(hdr, s.Type, rec))
	}
	return out
}

func (t *Tree) create(path string, data []byte, acl []zkproto.ACL, owner int64, parentCVersion int32, zxid, time int64, st *zkproto.Stat) zkproto.Code {
	parentPath, name := Split(path)
	parent := t.nodes[parentPath]
	if parent == nil {
		return zkproto.ErrNoNode
	}
	if _, ok := parent.Children[name]; ok {
		// Only a replay over a fuzzy snapshot gets here (prep refuses a
		// create of a present node). In ZooKeeper's (an imported dataDir)
		// the node may have been written after a delete and a new create
		// that its parent, written earlier, does not count: bring the
		// parent up to the txn, as DataTree.processTxn does.
		if parentCVersion > parent.Stat.Cversion {
			parent.Stat.Cversion = parentCVersion
			parent.Stat.Pzxid = max(parent.Stat.Pzxid, zxid)
		}
		return zkproto.ErrNodeExists
	}
	if parentCVersion == -1 {
		parentCVersion = parent.Stat.Cversion + 1
	}
	if parentCVersion > parent.Stat.Cversion {
		parent.Stat.Cversion = parentCVersion
		parent.Stat.Pzxid = zxid
	}
	n := &Node{
		Data: data,
		ACL:  t.acls.intern(acl),
		Stat: zkproto.StatPersisted{
			Czxid: zxid, Mzxid: zxid, Ctime: time, Mtime: time,
			EphemeralOwner: owner, Pzxid: zxid,
		},
	}
	if parent.Children == nil {
		parent.Children = make(map[string]struct{})
	}
	parent.Children[name] = struct{}{}
	t.noteChildAdded(parentPath, parent)
	t.nodes[path] = n
	t.index(path, n)
	n.StatOf(st)
	t.noteCreate(path, data)
	t.fire(zkproto.EventNodeCreated, path, n.ACL)
	t.fire(zkproto.EventNodeChildrenChanged, parentPath, parent.ACL)
	return zkproto.Ok
}

func (t *Tree) delete(path string, zxid int64) zkproto.Code {
	parentPath, name := Split(path)
	parent := t.nodes[parentPath]
	if parent == nil {
		return zkproto.ErrNoNode
	}
	n := t.nodes[path]
	if n == nil {
		// A replay over a fuzzy snapshot gets here (the node was gone when
		// the walk reached it, its parent was written before the delete),
		// and so does a closeSession whose ephemeral was deleted first. The
		// parent's pzxid records the delete either way, as
		// DataTree.deleteNode has it.
		if zxid > parent.Stat.Pzxid {
			parent.Stat.Pzxid = zxid
		}
		return zkproto.ErrNoNode
	}
	// Only a replay over a fuzzy snapshot finds children here (prep
	// refuses to delete a node that has any): they belong to a later
	// incarnation of the node, which the log creates again after this
	// delete, so they go with it rather than stay behind unlinked.
	for c := range n.Children {
		t.delete(Join(path, c), zxid)
	}
	t.noteChildRemoved(parentPath, parent)
	delete(parent.Children, name)
	delete(t.kidsPeak, path)
	if zxid > parent.Stat.Pzxid {
		parent.Stat.Pzxid = zxid
	}
	delete(t.nodes, path)
	switch owner := n.Stat.EphemeralOwner; KindOf(owner) {
	case OwnerSession:
		// NB: the set stays while its session lives, empty or not, as
		// DataTree keeps it: closeOrder needs its history.
		if set := t.ephemerals[owner]; set != nil {
			delete(set.paths, path)
		}
	case OwnerContainer:
		delete(t.containers, path)
	case OwnerTTL:
		delete(t.ttls, path)
	}
	t.noteDelete(path, n.Data)
	t.fire(zkproto.EventNodeDeleted, path, n.ACL)
	t.fire(zkproto.EventNodeChildrenChanged, parentPath, parent.ACL)
	return zkproto.Ok
}

func (t *Tree) setData(path string, data []byte, version int32, zxid, time int64, st *zkproto.Stat) zkproto.Code {
	n := t.nodes[path]
	if n == nil {
		return zkproto.ErrNoNode
	}
	old := n.Data
	n.Data = data
	n.Stat.Version = version
	n.Stat.Mzxid = zxid
	n.Stat.Mtime = time
	n.StatOf(st)
	t.noteSetData(path, old, data)
	t.fire(zkproto.EventNodeDataChanged, path, n.ACL)
	return zkproto.Ok
}

func (t *Tree) setACL(path string, acl []zkproto.ACL, version int32, st *zkproto.Stat) zkproto.Code {
	n := t.nodes[path]
	if n == nil {
		return zkproto.ErrNoNode
	}
	n.ACL = t.acls.intern(acl)
	n.Stat.Aversion = version
	n.StatOf(st)
	return zkproto.Ok
}

// closeSession deletes paths (or, when nil, every ephemeral of the session),
// deepest first.
func (t *Tree) closeSession(session int64, paths []string, zxid int64) {
	if paths == nil {
		paths = t.CloseOrder(session, nil)
	}
	for _, p := range paths {
		t.delete(p, zxid)
	}
	delete(t.ephemerals, session)
}
