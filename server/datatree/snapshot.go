package datatree

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// ErrSnapshotCorrupt reports a snapshot whose magic, layout or Adler-32 seal
// does not hold.
var ErrSnapshotCorrupt = errors.New("datatree: corrupt snapshot")

// snapshotVersion is FileSnap.VERSION.
const snapshotVersion = 2

// WriteSnapshot writes the tree and the sessions in Apache ZooKeeper's
// snapshot format (FileSnap, version 2), so that ZooKeeper can load it:
//
//	FileHeader{magic "ZKSN", version 2, dbid -1}
//	int count; {long sessionId; int timeout}*             SerializeUtils.serializeSnapshot
//	int count; {long aclIndex; vector<ACL>}*              ReferenceCountedACLCache.serialize
//	{ustring path; buffer data; long aclIndex; StatPersisted}*   pre-order, root path ""
//	ustring "/"                                            end of nodes
//	long adler32; ustring "/"                              seal (SnapStream.sealStream)
//
// The Adler-32 covers every byte before it. No digest or lastProcessedZxid
// section is written; ZooKeeper treats both as optional. The caller holds
// the tree's read lock.
func (t *Tree) WriteSnapshot(w io.Writer, sessions map[int64]int32) error {
	var acls aclIndex
	t.walk("/", func(_ string, n *Node) { acls.of(n.ACL) })
	sw := newSnapWriter(w)
	sw.head(sessions, &acls)
	var err error
	t.walk("/", func(path string, n *Node) {
		if err != nil {
			return
		}
		sw.e.Buf = appendNode(sw.e.Buf, path, n, acls.of(n.ACL))
		if len(sw.e.Buf) > 32<<10 {
			err = sw.flush()
		}
	})
	if err != nil {
		return err
	}
	return sw.seal()
}

// snapWriter writes a snapshot file's layout and keeps its Adler-32.
type snapWriter struct {
	w   io.Writer
	sum hash.Hash32
	bw  *bufio.Writer
	e   jute.Encoder
}

func newSnapWriter(w io.Writer) *snapWriter {
	sum := adler32.New()
	return &snapWriter{w: w, sum: sum, bw: bufio.NewWriterSize(io.MultiWriter(w, sum), 64<<10),
		e: jute.Encoder{Buf: make([]byte, 0, 4096)}}
}

func (sw *snapWriter) flush() error {
	_, err := sw.bw.Write(sw.e.Buf)
	sw.e.Buf = sw.e.Buf[:0]
	return err
}

// head encodes the FileHeader, the sessions and the ACL cache.
func (sw *snapWriter) head(sessions map[int64]int32, acls *aclIndex) {
	e := &sw.e
	hdr := zkproto.FileHeader{Magic: zkproto.SnapshotMagic, Version: snapshotVersion, DBID: -1}
	hdr.Encode(e)
	ids := make([]int64, 0, len(sessions))
	for id := range sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	e.Int32(int32(len(ids)))
	for _, id := range ids {
		e.Int64(id)
		e.Int32(sessions[id])
	}
	e.Int32(int32(len(acls.lists)))
	for i, l := range acls.lists {
		e.Int64(int64(i + 1))
		zkproto.EncodeACLs(e, l)
	}
}

// seal ends the node records and appends the checksum.
func (sw *snapWriter) seal() error {
	sw.e.String("/")
	if err := sw.flush(); err != nil {
		return err
	}
	if err := sw.bw.Flush(); err != nil {
		return err
	}
	sw.e.Int64(int64(sw.sum.Sum32()))
	sw.e.String("/")
	_, err := sw.w.Write(sw.e.Buf)
	return err
}

// appendNode appends one node record: its path ("" for the root), data,
// ACL index and persisted stat.
func appendNode(buf []byte, path string, n *Node, acl int64) []byte {
	if path == "/" {
		path = ""
	}
	e := jute.Encoder{Buf: buf}
	e.String(path)
	e.Buffer(n.Data)
	e.Int64(acl)
	n.Stat.Encode(&e)
	return e.Buf
}

// aclIndex numbers distinct ACL lists from 1 in the order they are first
// seen, as ReferenceCountedACLCache numbers them; a nil list is -1. Trees
// mostly share a few lists, so the list looked up last is tried first.
type aclIndex struct {
	index   map[string]int64
	lists   [][]zkproto.ACL
	last    []zkproto.ACL
	lastIdx int64
}

func (a *aclIndex) of(acl []zkproto.ACL) int64 {
	if acl == nil {
		return -1
	}
	if a.last != nil && slices.Equal(acl, a.last) {
		return a.lastIdx
	}
	k := string(jute.Marshal(aclList(acl)))
	idx, ok := a.index[k]
	if !ok {
		if a.index == nil {
			a.index = make(map[string]int64)
		}
		a.lists = append(a.lists, acl)
		idx = int64(len(a.lists))
		a.index[k] = idx
	}
	a.last, a.lastIdx = acl, idx
	return idx
}

// Spool holds the node records of a fuzzy snapshot until the ACL cache that
// precedes them in the file is known.
type Spool interface {
	io.Writer
	// Rewind returns a reader of everything written so far.
	Rewind() (io.Reader, error)
}

// ErrSnapshotStopped is what FuzzySnapshot returns when stop said so.
var ErrSnapshotStopped = errors.New("datatree: snapshot stopped")

// fuzzyChunkNodes is how many nodes FuzzySnapshot serialises per hold
// of the read lock (tests shrink it); a chunk also ends once its records
// pass fuzzyChunkBytes.
var fuzzyChunkNodes = 512

const fuzzyChunkBytes = 256 << 10

// FuzzySnapshot is a snapshot walked by Tree.FuzzySnapshot, ready to be
// written.
type FuzzySnapshot struct {
	// Zxid is the zxid the tree had applied when the walk began: every txn
	// up to it is in the snapshot, later ones may be in part.
	Zxid     int64
	sessions map[int64]int32
	acls     aclIndex
	spool    Spool
}

// FuzzySnapshot walks the tree for a snapshot while txns go on being
// applied, as ZooKeeper's fuzzy snapshot does: the caller holds no lock,
// and the read lock is held for a chunk of nodes at a time. Each node is
// taken as it is when the walk reaches it, with the children its parent had
// when the walk left the parent; a child created later is left out. A
// restore must replay the log from the txn after Zxid, which Apply's
// idempotence makes safe: a create of a present node, a delete of an absent
// one and a set to a version already held leave the node as the log leaves
// it.
//
// sessions is called under the read lock when the walk begins. The node
// records go to spool, since the ACL cache, which comes before them in the
// file, is complete only at the end; Write then writes the file. stop is
// polled between chunks, outside the lock; when it returns true the walk
// ends with ErrSnapshotStopped.
func (t *Tree) FuzzySnapshot(spool Spool, sessions func() map[int64]int32, stop func() bool) (*FuzzySnapshot, error) {
	type frame struct {
		path string
		kids []string
	}
	f := &FuzzySnapshot{spool: spool}
	var buf []byte
	t.mu.RLock()
	f.Zxid = t.lastZxid
	f.sessions = sessions()
	var stack []frame
	if root := t.nodes["/"]; root != nil {
		buf = appendNode(buf, "/", root, f.acls.of(root.ACL))
		stack = append(stack, frame{"/", childNames(root)})
	}
	held := 0
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if len(top.kids) == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		path := Join(top.path, top.kids[0])
		top.kids = top.kids[1:]
		n := t.nodes[path]
		if n == nil {
			continue // deleted since the walk left its parent
		}
		buf = appendNode(buf, path, n, f.acls.of(n.ACL))
		if len(n.Children) > 0 {
			stack = append(stack, frame{path, childNames(n)})
		}
		if held++; held < fuzzyChunkNodes && len(buf) < fuzzyChunkBytes {
			continue
		}
		t.mu.RUnlock()
		held = 0
		if _, err := spool.Write(buf); err != nil {
			return nil, err
		}
		buf = buf[:0]
		if stop != nil && stop() {
			return nil, ErrSnapshotStopped
		}
		t.mu.RLock()
	}
	t.mu.RUnlock()
	if _, err := spool.Write(buf); err != nil {
		return nil, err
	}
	return f, nil
}

// Write writes the snapshot in WriteSnapshot's layout.
func (f *FuzzySnapshot) Write(w io.Writer) error {
	sw := newSnapWriter(w)
	sw.head(f.sessions, &f.acls)
	if err := sw.flush(); err != nil {
		return err
	}
	r, err := f.spool.Rewind()
	if err != nil {
		return err
	}
	if _, err := io.Copy(sw.bw, r); err != nil {
		return err
	}
	return sw.seal()
}

// childNames returns n's child names in map order.
func childNames(n *Node) []string {
	out := make([]string, 0, len(n.Children))
	for c := range n.Children {
		out = append(out, c)
	}
	return out
}

type aclList []zkproto.ACL

func (a aclList) Encode(e *jute.Encoder) { zkproto.EncodeACLs(e, a) }
func (a aclList) Decode(d *jute.Decoder) {}

// walk visits path and its descendants in pre-order, children sorted.
func (t *Tree) walk(path string, fn func(string, *Node)) {
	n := t.nodes[path]
	if n == nil {
		return
	}
	fn(path, n)
	for _, c := range Children(n) {
		t.walk(Join(path, c), fn)
	}
}

// Snapshot is what ReadSnapshot restores.
type Snapshot struct {
	Tree     *Tree
	Sessions map[int64]int32
	// Zxid is the zxid of the ZxidDigest section, or -1 when the snapshot has
	// none (the caller knows it from the file name or its own metadata).
	Zxid int64
}

// ReadSnapshot reads a snapshot in ZooKeeper's format (as WriteSnapshot
// writes it, or as Apache ZooKeeper 3.5-3.9 writes it uncompressed, with its
// optional digest and lastProcessedZxid sections), checking every Adler-32
// seal. maxBuffer bounds any one length prefix (jute.maxbuffer).
func ReadSnapshot(r io.Reader, maxBuffer int) (*Snapshot, error) {
	rd := &snapReader{r: bufio.NewReaderSize(r, 64<<10), sum: adler32.New(), max: maxBuffer}
	var hdr zkproto.FileHeader
	hdr.Magic, hdr.Version, hdr.DBID = rd.int32(), rd.int32(), rd.int64()
	if rd.err == nil && hdr.Magic != zkproto.SnapshotMagic {
		return nil, fmt.Errorf("%w: magic %#x", ErrSnapshotCorrupt, hdr.Magic)
	}
	snap := &Snapshot{Sessions: map[int64]int32{}, Zxid: -1}
	for n := rd.count(12); n > 0 && rd.err == nil; n-- {
		id := rd.int64()
		snap.Sessions[id] = rd.int32()
	}
	t, err := readNodes(rd)
	if err != nil {
		return nil, err
	}
	rd.seal()
	// Optional ZxidDigest, then optional lastProcessedZxid, each sealed.
	if rd.err == nil && rd.more() {
		zxid := rd.int64()
		rd.int32()
		rd.int64()
		rd.seal()
		snap.Zxid = zxid
	}
	if rd.err == nil && rd.more() {
		snap.Zxid = rd.int64()
		rd.seal()
	}
	if rd.err != nil {
		return nil, rd.err
	}
	snap.Tree = t
	return snap, nil
}

// index records an ephemeral, container or TTL node in the side tables.
func (t *Tree) index(path string, n *Node) {
	switch owner := n.Stat.EphemeralOwner; KindOf(owner) {
	case OwnerSession:
		set := t.ephemerals[owner]
		if set == nil {
			set = &ephSet{paths: make(map[string]uint64)}
			t.ephemerals[owner] = set
		}
		set.add(path)
	case OwnerContainer:
		t.containers[path] = struct{}{}
	case OwnerTTL:
		t.ttls[path] = struct{}{}
	}
}

// snapReader reads Jute values from a stream while keeping the running
// Adler-32 of every byte read. The first error sticks.
type snapReader struct {
	r   *bufio.Reader
	sum hash.Hash32
	max int
	err error
	buf [8]byte
}

func (s *snapReader) read(p []byte) bool {
	if s.err != nil {
		return false
	}
	if _, err := io.ReadFull(s.r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		s.err = fmt.Errorf("%w: %v", ErrSnapshotCorrupt, err)
		return false
	}
	s.sum.Write(p)
	return true
}

func (s *snapReader) more() bool {
	_, err := s.r.Peek(1)
	return err == nil
}

func (s *snapReader) int32() int32 {
	if !s.read(s.buf[:4]) {
		return 0
	}
	return int32(uint32(s.buf[0])<<24 | uint32(s.buf[1])<<16 | uint32(s.buf[2])<<8 | uint32(s.buf[3]))
}

func (s *snapReader) int64() int64 {
	hi := s.int32()
	lo := s.int32()
	return int64(hi)<<32 | int64(uint32(lo))
}

func (s *snapReader) length() (int, bool) {
	n := s.int32()
	if s.err != nil {
		return 0, false
	}
	if n == -1 {
		return 0, true
	}
	if n < 0 || int(n) > s.max {
		s.err = fmt.Errorf("%w: length %d", ErrSnapshotCorrupt, n)
		return 0, false
	}
	return int(n), false
}

func (s *snapReader) count(minElem int) int {
	n, null := s.length()
	if null {
		return 0
	}
	return n
}

func (s *snapReader) buffer() []byte {
	n, null := s.length()
	if null || s.err != nil {
		return nil
	}
	b := make([]byte, n)
	s.read(b)
	return b
}

func (s *snapReader) str() string { return string(s.buffer()) }

func (s *snapReader) acls() []zkproto.ACL {
	n, null := s.length()
	if null || s.err != nil {
		return nil
	}
	out := make([]zkproto.ACL, 0, min(n, 1024))
	for ; n > 0 && s.err == nil; n-- {
		var a zkproto.ACL
		a.Perms = s.int32()
		a.ID.Scheme = s.str()
		a.ID.ID = s.str()
		out = append(out, a)
	}
	return out
}

func (s *snapReader) stat() zkproto.StatPersisted {
	var st zkproto.StatPersisted
	st.Czxid = s.int64()
	st.Mzxid = s.int64()
	st.Ctime = s.int64()
	st.Mtime = s.int64()
	st.Version = s.int32()
	st.Cversion = s.int32()
	st.Aversion = s.int32()
	st.EphemeralOwner = s.int64()
	st.Pzxid = s.int64()
	return st
}

// seal reads "long adler32; ustring "/"" and checks the Adler-32 of every
// byte before the long.
func (s *snapReader) seal() {
	if s.err != nil {
		return
	}
	want := s.sum.Sum32()
	got := s.int64()
	path := s.str()
	if s.err == nil && (uint32(got) != want || got>>32 != 0 || !strings.EqualFold(path, "/")) {
		s.err = fmt.Errorf("%w: checksum %#x, computed %#x", ErrSnapshotCorrupt, got, want)
	}
}
