package datatree

import (
	"math"
	"slices"
	"strings"
	"unicode/utf16"
)

// This file reproduces the orders in which ZooKeeper's Java hash sets list
// names a client can see: a closing session's ephemerals (CloseOrder,
// getEphemerals) and a node's children (OrderedChildren).
//
// Closing a session deletes its ephemerals in the order ZooKeeper does,
// because that order is what other sessions' watches see (NodeDeleted, and
// NodeChildrenChanged of each parent, one path after the other).
//
// ZooKeeper keeps a session's ephemeral paths in a java.util.HashSet.
// PrepRequestProcessor clones that set for a closeSession, adds and removes
// what outstanding txns change, and logs the clone's iteration order in the
// CloseSessionTxn; DataTree.killSession deletes in the logged order. A
// HashSet iterates by bucket, bucket i holding the paths whose spread
// String.hashCode has i in its low bits, each bucket in insertion order; a
// table doubles once it holds more than three quarters of its size. So the
// order follows from the paths, their insertion order and two table sizes:
// the session's set's, which grows with the most paths it ever held and
// never shrinks, and the clone's, sized for the paths it copies.
// CloseOrder works those out and replays the clone. (HashMap turns a bucket
// of eight or more paths into a tree, which iterates differently; at the
// sizes where that happens by chance, the order here may differ.)

// ephSet is the ephemeral paths of one session, each with its insertion
// number, and the most paths the set ever held.
type ephSet struct {
	paths map[string]uint64
	next  uint64
	peak  int
}

func (s *ephSet) add(path string) {
	if _, ok := s.paths[path]; ok {
		return
	}
	s.paths[path] = s.next
	s.next++
	s.peak = max(s.peak, len(s.paths))
}

// PendingEphemeral is a change to a closing session's ephemerals that an
// outstanding txn makes: Created true for a create by the session, false
// for a delete of the path by anyone.
type PendingEphemeral struct {
	Path    string
	Created bool
}

// CloseOrder returns the paths that closing session deletes, in
// ZooKeeper's order: its ephemerals as the tree holds them, changed by
// pending (in the order the outstanding txns were prepared). Caller holds a
// lock.
func (t *Tree) CloseOrder(session int64, pending []PendingEphemeral) []string {
	set := t.ephemerals[session]
	var clone *javaHashSet
	if set == nil || len(set.paths) == 0 {
		// DataTree.getEphemerals: a new HashSet when there is none; a
		// clone of an empty one allocates its table as lazily.
		clone = newJavaHashSet(16)
	} else {
		// The session's set iterates by its own table, in insertion order
		// within a bucket; the clone takes the paths in that order.
		src := javaTableSize(set.peak)
		paths := make([]string, 0, len(set.paths))
		for p := range set.paths {
			paths = append(paths, p)
		}
		hashes := make(map[string]uint32, len(paths))
		for _, p := range paths {
			hashes[p] = javaSpreadHash(p)
		}
		slices.SortFunc(paths, func(a, b string) int {
			if ba, bb := hashes[a]&uint32(src-1), hashes[b]&uint32(src-1); ba != bb {
				return int(ba) - int(bb)
			}
			sa, sb := set.paths[a], set.paths[b]
			switch {
			case sa < sb:
				return -1
			case sa > sb:
				return 1
			}
			return 0
		})
		// HashMap.clone presizes for the count: tableSizeFor(n/0.75f + 1).
		clone = newJavaHashSet(tableSizeFor(int(float32(len(paths))/0.75 + 1)))
		for _, p := range paths {
			clone.add(p, hashes[p])
		}
	}
	for _, c := range pending {
		if c.Created {
			clone.add(c.Path, javaSpreadHash(c.Path))
		} else {
			clone.remove(c.Path)
		}
	}
	return clone.list()
}

// javaHashSet replays the bucket order of a java.util.HashSet of strings.
type javaHashSet struct {
	buckets [][]javaEntry
	size    int
}

type javaEntry struct {
	path string
	hash uint32
}

func newJavaHashSet(table int) *javaHashSet {
	return &javaHashSet{buckets: make([][]javaEntry, table)}
}

func (s *javaHashSet) add(path string, hash uint32) {
	b := &s.buckets[hash&uint32(len(s.buckets)-1)]
	for _, e := range *b {
		if e.path == path {
			return
		}
	}
	*b = append(*b, javaEntry{path, hash})
	if s.size++; s.size > len(s.buckets)*3/4 {
		s.grow()
	}
}

// grow doubles the table, splitting each bucket in order (HashMap.resize).
func (s *javaHashSet) grow() {
	old := s.buckets
	s.buckets = make([][]javaEntry, 2*len(old))
	for _, b := range old {
		for _, e := range b {
			i := e.hash & uint32(len(s.buckets)-1)
			s.buckets[i] = append(s.buckets[i], e)
		}
	}
}

func (s *javaHashSet) remove(path string) {
	for i, b := range s.buckets {
		for j, e := range b {
			if e.path == path {
				s.buckets[i] = slices.Delete(b, j, j+1)
				s.size--
				return
			}
		}
	}
}

func (s *javaHashSet) list() []string {
	out := make([]string, 0, s.size)
	for _, b := range s.buckets {
		for _, e := range b {
			out = append(out, e.path)
		}
	}
	return out
}

// javaTableSize is the table of a HashSet that was created with the default
// capacity (16) and has held at most peak elements.
func javaTableSize(peak int) int {
	n := 16
	for peak > n*3/4 {
		n *= 2
	}
	return n
}

// tableSizeFor is HashMap.tableSizeFor: the power of two at or above c.
func tableSizeFor(c int) int {
	n := 1
	for n < c && n < math.MaxInt32/2 {
		n *= 2
	}
	return n
}

// javaSpreadHash is String.hashCode over the UTF-16 code units of s, spread
// as HashMap.hash spreads it (h ^ h>>>16).
func javaSpreadHash(s string) uint32 {
	var h uint32
	i := 0
	for ; i < len(s) && s[i] < 0x80; i++ {
		h = 31*h + uint32(s[i])
	}
	for _, r := range s[i:] {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			h = 31*h + uint32(r1)
			h = 31*h + uint32(r2)
			continue
		}
		h = 31*h + uint32(r)
	}
	return h ^ h>>16
}

// Children in ZooKeeper's order. DataNode keeps a node's child names in a
// java.util.HashSet created with capacity 8, and getChildren lists them in
// its iteration order: by bucket of the spread String.hashCode in a table
// sized by the most children the node ever had (the table never shrinks),
// in insertion order within a bucket. A child's insertion order is its
// czxid order (a child deleted and created again goes to the end of its
// bucket, as it does in the set); children created by one multi share a
// czxid and keep name order. After a restart ZooKeeper's sets hold the
// children in the order its snapshot listed them, which may order a
// bucket differently; the buckets themselves agree.

// childTableSize is the table of a HashSet created with capacity 8 that
// has held at most peak elements.
func childTableSize(peak int) int {
	n := 8
	for peak > n*3/4 {
		n *= 2
	}
	return n
}

// OrderedChildren returns the child names of the node n at path in
// ZooKeeper's getChildren order. Caller holds a lock.
//
// It sorts by bucket and looks up czxids only for buckets that hold more
// than one child, which a table at most three quarters full keeps few.
func (t *Tree) OrderedChildren(path string, n *Node) []string {
	if len(n.Children) < 2 {
		return childNames(n)
	}
	mask := uint32(childTableSize(max(len(n.Children), int(t.kidsPeak[path]))) - 1)
	type entry struct {
		name   string
		bucket uint32
		czxid  int64
	}
	// A counting sort by bucket: the table has fewer than three times as
	// many buckets as children.
	byName := make([]entry, 0, len(n.Children))
	start := make([]int32, mask+2)
	for c := range n.Children {
		b := javaSpreadHash(c) & mask
		byName = append(byName, entry{name: c, bucket: b})
		start[b+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	es := make([]entry, len(byName))
	for _, e := range byName {
		es[start[e.bucket]] = e
		start[e.bucket]++
	}
	var key []byte
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].bucket == es[i].bucket {
			j++
		}
		if j-i > 1 {
			run := es[i:j]
			for k := range run {
				key = append(append(append(key[:0], path...), '/'), run[k].name...)
				if path == "/" {
					key = append(key[:1], run[k].name...)
				}
				if cn := t.nodes[string(key)]; cn != nil {
					run[k].czxid = cn.Stat.Czxid
				}
			}
			slices.SortFunc(run, func(a, b entry) int {
				switch {
				case a.czxid < b.czxid:
					return -1
				case a.czxid > b.czxid:
					return 1
				}
				return strings.Compare(a.name, b.name)
			})
		}
		i = j
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.name
	}
	return out
}

// noteChildRemoved records, before a child of the node at path goes, how
// many children it had at most (its HashSet's table does not shrink).
func (t *Tree) noteChildRemoved(path string, n *Node) {
	if _, ok := t.kidsPeak[path]; !ok {
		if t.kidsPeak == nil {
			t.kidsPeak = make(map[string]int32)
		}
		t.kidsPeak[path] = int32(len(n.Children))
	}
}

// noteChildAdded keeps the recorded most children of the node at path.
func (t *Tree) noteChildAdded(path string, n *Node) {
	if p, ok := t.kidsPeak[path]; ok && int32(len(n.Children)) > p {
		t.kidsPeak[path] = int32(len(n.Children))
	}
}
