// Package datatree is the in-memory znode tree: nodes, stats, ephemerals,
// containers and TTL nodes, and the application of committed txns.
//
// A Tree is guarded by its own RWMutex: the final stage (the single writer)
// calls Apply under Lock; readers on the event loops call the read methods
// under RLock. Apply is deterministic: two trees fed the same txns are equal.
// It never reads the clock or does I/O; times come from TxnHeader.Time.
//
// Counterpart: org.apache.zookeeper.server.DataTree.
package datatree

import (
	"sort"
	"strings"
	"sync"

	"github.com/zabd/zabd/jute/zkproto"
)

// Special ephemeralOwner values that mark containers and TTL nodes, as
// EphemeralType encodes them. Clients see 0 for both (ZooKeeper 3.8 hides them).
const (
	ContainerOwner int64 = -1 << 63 // 0x8000000000000000
	ttlMask        int64 = -1 << 56 // 0xff00000000000000
	// MaxTTL is the largest TTL in ms (EphemeralType.MAX_EXTENDED_SERVER_ID TTL space).
	MaxTTL int64 = 0x000000ffffffffff
)

// TTLOwner returns the ephemeralOwner value that marks a TTL node.
func TTLOwner(ttl int64) int64 { return ttlMask | ttl }

// OwnerKind classifies an ephemeralOwner value.
type OwnerKind int

// Kinds of ephemeralOwner.
const (
	OwnerNone OwnerKind = iota
	OwnerSession
	OwnerContainer
	OwnerTTL
)

// KindOf classifies owner as EphemeralType.get does.
func KindOf(owner int64) OwnerKind {
	switch {
	case owner == 0:
		return OwnerNone
	case owner == ContainerOwner:
		return OwnerContainer
	case owner&ttlMask == ttlMask:
		return OwnerTTL
	}
	return OwnerSession
}

// TTLOf returns the TTL (ms) encoded in a TTL owner.
func TTLOf(owner int64) int64 { return owner & MaxTTL }

// Node is one znode. Its fields are owned by the Tree.
type Node struct {
	Data     []byte
	ACL      []zkproto.ACL
	Stat     zkproto.StatPersisted
	Children map[string]struct{}
}

// StatOf fills a client Stat from the node.
func (n *Node) StatOf(s *zkproto.Stat) {
	s.Czxid = n.Stat.Czxid
	s.Mzxid = n.Stat.Mzxid
	s.Ctime = n.Stat.Ctime
	s.Mtime = n.Stat.Mtime
	s.Version = n.Stat.Version
	// NB: the stored cversion counts child creations (it names sequential
	// children); clients see creations plus deletions, as DataNode.copyStat
	// translates it: every create has a delete except the children present.
	s.Cversion = n.Stat.Cversion*2 - int32(len(n.Children))
	s.Aversion = n.Stat.Aversion
	s.EphemeralOwner = n.Stat.EphemeralOwner
	if KindOf(s.EphemeralOwner) != OwnerSession {
		s.EphemeralOwner = 0
	}
	s.DataLength = int32(len(n.Data))
	s.NumChildren = int32(len(n.Children))
	s.Pzxid = n.Stat.Pzxid
}

// Event is a watch trigger produced by Apply: the path and what happened.
//
// ACL is the ACL that decides who may hear it: the node's, or for
// NodeChildrenChanged the parent's. Only watchers with READ on it are told
// (DataTree passes it to WatchManager.triggerWatch since the fix of
// CVE-2024-23944, which Debian's 3.8.0 carries).
type Event struct {
	Type zkproto.EventType
	Path string
	ACL  []zkproto.ACL
}

// Tree is the znode tree.
type Tree struct {
	mu         sync.RWMutex
	nodes      map[string]*Node
	ephemerals map[int64]*ephSet
	containers map[string]struct{}
	ttls       map[string]struct{}
	lastZxid   int64
	// watcher receives the events of every applied txn while the write lock
	// is held, so that an event is queued before any read sees the change.
	watcher func(ev Event)
	// acct is the quota and monitoring bookkeeping of quota.go.
	acct accounting
	// acls shares the ACL lists of nodes (aclcache.go).
	acls aclCache
	// kidsPeak holds the most children a node ever had, for the nodes
	// that have since lost some (OrderedChildren).
	kidsPeak map[string]int32
}

// Quota and config paths of the system subtree.
const (
	ZookeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
)

// New returns a tree holding the system nodes exactly as ZooKeeper 3.8 starts:
// "/" (clients see cversion -1), "/zookeeper" (-2), "/zookeeper/quota" and
// "/zookeeper/config" (world READ, aversion -1).
func New() *Tree {
	t := &Tree{
		nodes:      make(map[string]*Node, 1024),
		ephemerals: make(map[int64]*ephSet),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
	}
	open := zkproto.OpenACLUnsafe
	t.nodes["/"] = &Node{ACL: open, Children: map[string]struct{}{"zookeeper": {}}}
	t.nodes[ZookeeperPath] = &Node{ACL: open, Children: map[string]struct{}{"quota": {}, "config": {}}}
	t.nodes[QuotaPath] = &Node{ACL: open, Data: []byte{}}
	t.nodes[ConfigPath] = &Node{ACL: zkproto.ReadACLUnsafe, Data: []byte{}, Stat: zkproto.StatPersisted{Aversion: -1}}
	t.nodes["/"].Data = []byte{}
	t.nodes[ZookeeperPath].Data = []byte{}
	return t
}

// SetWatcher installs the function that receives watch triggers. It is
// called with the write lock held and must not call back into the tree.
func (t *Tree) SetWatcher(fn func(ev Event)) { t.watcher = fn }

// RLock and RUnlock bracket a group of reads.
func (t *Tree) RLock()   { t.mu.RLock() }
func (t *Tree) RUnlock() { t.mu.RUnlock() }

// Lock and Unlock bracket a group of Apply calls (the final stage only).
func (t *Tree) Lock()   { t.mu.Lock() }
func (t *Tree) Unlock() { t.mu.Unlock() }

// Get returns the node at path or nil. The caller holds a lock and must not
// modify or retain the node past the lock.
func (t *Tree) Get(path string) *Node { return t.nodes[path] }

// LastZxid returns the zxid of the last applied txn. Caller holds a lock.
func (t *Tree) LastZxid() int64 { return t.lastZxid }

// NodeCount returns the znode count as ZooKeeper reports it (srvr "Node
// count", mntr zk_znode_count): DataTree keeps the root under both "" and "/",
// so the count includes it twice. Caller holds a lock.
func (t *Tree) NodeCount() int { return len(t.nodes) + 1 }

// Children returns the sorted child names of n.
func Children(n *Node) []string {
	out := make([]string, 0, len(n.Children))
	for c := range n.Children {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Ephemerals returns the sorted paths of the ephemerals of session. Caller
// holds a lock.
func (t *Tree) Ephemerals(session int64) []string {
	set := t.ephemerals[session]
	if set == nil {
		return []string{}
	}
	out := make([]string, 0, len(set.paths))
	for p := range set.paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// EphemeralSessions returns the sessions that own or have owned
// ephemerals, with their paths: as in DataTree, a session whose ephemerals
// were all deleted is listed, with none, until it closes (dump's "Sessions
// with Ephemerals"). Caller holds a lock.
func (t *Tree) EphemeralSessions() map[int64][]string {
	out := make(map[int64][]string, len(t.ephemerals))
	for s := range t.ephemerals {
		out[s] = t.Ephemerals(s)
	}
	return out
}

// CountDescendants returns the number of nodes below path (not counting
// path). Caller holds a lock.
func (t *Tree) CountDescendants(path string) int {
	n := t.nodes[path]
	if n == nil {
		return 0
	}
	total := 0
	for c := range n.Children {
		total += 1 + t.CountDescendants(Join(path, c))
	}
	return total
}

// Join returns the child path of parent named child.
func Join(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

// Split returns the parent path and the last component of path.
func Split(path string) (parent, name string) {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/", path[i+1:]
	}
	return path[:i], path[i+1:]
}

// ReapCandidates returns containers with no children whose cversion is > 0
// (they once had a child), and TTL nodes with no children whose mtime is more
// than their TTL before now (ms). Counterpart: ContainerManager.getCandidates.
// Caller holds a lock.
func (t *Tree) ReapCandidates(now int64) []string {
	var out []string
	for p := range t.containers {
		n := t.nodes[p]
		if n != nil && len(n.Children) == 0 && n.Stat.Cversion > 0 {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		n := t.nodes[p]
		if n != nil && len(n.Children) == 0 && now-n.Stat.Mtime > TTLOf(n.Stat.EphemeralOwner) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (t *Tree) fire(typ zkproto.EventType, path string, acl []zkproto.ACL) {
	if t.watcher != nil {
		t.watcher(Event{Type: typ, Path: path, ACL: acl})
	}
}

// ReplaceWith makes t hold other's nodes (a snapshot installed by SNAP, or
// an empty tree before a replay), keeping t's watcher, with lastZxid zxid.
// The caller holds t's write lock; other must not be used afterwards.
func (t *Tree) ReplaceWith(other *Tree, zxid int64) {
	t.nodes = other.nodes
	t.ephemerals = other.ephemerals
	t.containers = other.containers
	t.ttls = other.ttls
	t.acct = other.acct
	t.kidsPeak = other.kidsPeak
	t.lastZxid = zxid
}
