package datatree

import (
	"bufio"
	"fmt"
	"hash/adler32"
	"io"
	"strings"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// SyncSignature ends the snapshot that a leader streams to a learner after
// SNAP (LearnerHandler.run: writeString("BenWasHere", "signature");
// Learner.syncWithLeader refuses any other string).
const SyncSignature = "BenWasHere"

// The snapshot file layout (see WriteSnapshot) is a FileHeader, then the
// body that ZKDatabase.serializeSnapshot writes, then the Adler-32 seal. A
// SNAP stream is the body alone, then SyncSignature:
//
//	int count; {long sessionId; int timeout}*             SerializeUtils.serializeSnapshot
//	int count; {long aclIndex; vector<ACL>}*              DataTree.serialize (ACL cache)
//	{ustring path; buffer data; long aclIndex; StatPersisted}*   pre-order, root path ""
//	ustring "/"                                            end of nodes
//	ustring "BenWasHere"                                   signature
const (
	fileHeaderLen = 4 + 4 + 8        // FileHeader{int magic; int version; long dbid}
	fileSealLen   = 8 + 4 + len("/") // long adler32; ustring "/"
)

// WriteSyncSnapshot writes the tree and the sessions as a leader streams
// them after a SNAP packet (LearnerHandler.run: ZKDatabase.serializeSnapshot,
// then the signature): WriteSnapshot's layout without the FileHeader and the
// seal, followed by SyncSignature. The caller holds the tree's read lock.
func (t *Tree) WriteSyncSnapshot(w io.Writer, sessions map[int64]int32) error {
	tw := &trimWriter{w: w, skip: fileHeaderLen, keep: fileSealLen}
	if err := t.WriteSnapshot(tw, sessions); err != nil {
		return err
	}
	return tw.finish(w)
}

// WriteSync writes the snapshot as a leader streams it after SNAP, in
// WriteSyncSnapshot's layout.
func (f *FuzzySnapshot) WriteSync(w io.Writer) error {
	tw := &trimWriter{w: w, skip: fileHeaderLen, keep: fileSealLen}
	if err := f.Write(tw); err != nil {
		return err
	}
	return tw.finish(w)
}

// finish checks that the header and the seal were held back and appends
// SyncSignature in the seal's place.
func (t *trimWriter) finish(w io.Writer) error {
	if t.err != nil {
		return t.err
	}
	if t.skip != 0 || len(t.tail) != fileSealLen {
		return fmt.Errorf("datatree: snapshot shorter than its header and seal")
	}
	e := jute.Encoder{}
	e.String(SyncSignature)
	_, err := w.Write(e.Buf)
	return err
}

// trimWriter passes on what is written to it except the first skip bytes
// and the last keep bytes, which it holds back in tail.
type trimWriter struct {
	w    io.Writer
	skip int
	keep int
	tail []byte
	err  error
}

func (t *trimWriter) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n := len(p)
	if t.skip > 0 {
		k := min(t.skip, len(p))
		t.skip -= k
		p = p[k:]
	}
	t.tail = append(t.tail, p...)
	if out := len(t.tail) - t.keep; out > 0 {
		if _, err := t.w.Write(t.tail[:out]); err != nil {
			t.err = err
			return 0, err
		}
		t.tail = append(t.tail[:0], t.tail[out:]...)
	}
	return n, nil
}

// ReadSyncSnapshot reads what WriteSyncSnapshot writes (and what a ZooKeeper
// leader sends after SNAP), signature included, from r, and reads no byte
// past the signature: r is the learner's connection, and packets follow.
// maxBuffer bounds any one length prefix (jute.maxbuffer). The result's Zxid
// is -1: the SNAP packet names it.
func ReadSyncSnapshot(r *bufio.Reader, maxBuffer int) (*Snapshot, error) {
	rd := &snapReader{r: r, sum: adler32.New(), max: maxBuffer}
	snap := &Snapshot{Sessions: map[int64]int32{}, Zxid: -1}
	for n := rd.count(12); n > 0 && rd.err == nil; n-- {
		id := rd.int64()
		snap.Sessions[id] = rd.int32()
	}
	t, err := readNodes(rd)
	if err != nil {
		return nil, err
	}
	if sig := rd.str(); rd.err == nil && sig != SyncSignature {
		return nil, fmt.Errorf("%w: signature %q, want %q", ErrSnapshotCorrupt, sig, SyncSignature)
	}
	if rd.err != nil {
		return nil, rd.err
	}
	snap.Tree = t
	return snap, nil
}

// readNodes reads the ACL cache and the nodes up to the "/" end marker, as
// ReadSnapshot does, and completes the system nodes a snapshot may lack.
func readNodes(rd *snapReader) (*Tree, error) {
	acls := map[int64][]zkproto.ACL{}
	for n := rd.count(12); n > 0 && rd.err == nil; n-- {
		idx := rd.int64()
		acls[idx] = rd.acls()
	}
	t := &Tree{
		nodes:      make(map[string]*Node, 1024),
		ephemerals: make(map[int64]*ephSet),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
	}
	for rd.err == nil {
		path := rd.str()
		if path == "/" || rd.err != nil {
			break
		}
		if path == "" {
			path = "/"
		}
		n := &Node{Data: rd.buffer()}
		idx := rd.int64()
		// ReferenceCountedACLCache: index -1 is OPEN_ACL_UNSAFE (ZooKeeper's
		// own root is stored so), not a missing list.
		n.ACL = zkproto.OpenACLUnsafe
		if idx != -1 {
			l, ok := acls[idx]
			if !ok && rd.err == nil {
				rd.err = fmt.Errorf("%w: node %s names unknown ACL index %d", ErrSnapshotCorrupt, path, idx)
			}
			n.ACL = l
		}
		n.Stat = rd.stat()
		if rd.err != nil {
			break
		}
		if path[0] != '/' || t.nodes[path] != nil {
			// DataTree.deserialize fails on a path without a slash.
			return nil, fmt.Errorf("%w: node path %q not absolute or repeated", ErrSnapshotCorrupt, path)
		}
		if path != "/" && (strings.HasSuffix(path, "/") || strings.Contains(path, "//")) {
			// No client can create such a node, and its parent could not
			// name it: "//a" would be the child "a" of "/".
			return nil, fmt.Errorf("%w: node path %q has an empty component", ErrSnapshotCorrupt, path)
		}
		if path != "/" {
			parent, name := Split(path)
			p := t.nodes[parent]
			if p == nil {
				return nil, fmt.Errorf("%w: node %s before its parent", ErrSnapshotCorrupt, path)
			}
			if p.Children == nil {
				p.Children = make(map[string]struct{})
			}
			p.Children[name] = struct{}{}
		}
		t.nodes[path] = n
		t.index(path, n)
	}
	if rd.err != nil {
		return nil, rd.err
	}
	if t.nodes["/"] == nil {
		return nil, fmt.Errorf("%w: no root node", ErrSnapshotCorrupt)
	}
	for _, sys := range []string{ZookeeperPath, QuotaPath, ConfigPath} {
		if t.nodes[sys] == nil {
			fresh := New()
			parent, name := Split(sys)
			t.nodes[sys] = fresh.nodes[sys]
			t.nodes[sys].Children = nil
			if t.nodes[parent].Children == nil {
				t.nodes[parent].Children = map[string]struct{}{}
			}
			t.nodes[parent].Children[name] = struct{}{}
		}
	}
	// The usage of each quota is counted again from the nodes, as
	// DataTree.setupQuota does: a stat node written by a fuzzy walk may be
	// older or newer than the nodes it counts, and the replay after it
	// moves the usage only for txns it applies.
	for path := range t.nodes {
		if prefix, ok := strings.CutSuffix(path, "/"+LimitNode); ok && strings.HasPrefix(prefix, QuotaPath+"/") {
			t.recountQuota(strings.TrimPrefix(prefix, QuotaPath))
		}
	}
	return t, nil
}
