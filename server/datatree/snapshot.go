package datatree

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
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
	sum := adler32.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 64<<10)
	e := jute.Encoder{Buf: make([]byte, 0, 4096)}
	flush := func() error {
		_, err := bw.Write(e.Buf)
		e.Buf = e.Buf[:0]
		return err
	}
	hdr := zkproto.FileHeader{Magic: zkproto.SnapshotMagic, Version: snapshotVersion, DBID: -1}
	hdr.Encode(&e)
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
	// ACL cache: one index per distinct ACL list, from 1; a nil list is -1.
	index := map[string]int64{}
	var lists [][]zkproto.ACL
	aclKey := func(acl []zkproto.ACL) string { return string(jute.Marshal(aclList(acl))) }
	t.walk("/", func(_ string, n *Node) {
		if n.ACL == nil {
			return
		}
		k := aclKey(n.ACL)
		if _, ok := index[k]; !ok {
			lists = append(lists, n.ACL)
			index[k] = int64(len(lists))
		}
	})
	e.Int32(int32(len(lists)))
	for i, l := range lists {
		e.Int64(int64(i + 1))
		zkproto.EncodeACLs(&e, l)
	}
	if err := flush(); err != nil {
		return err
	}
	var err error
	t.walk("/", func(path string, n *Node) {
		if err != nil {
			return
		}
		if path == "/" {
			path = ""
		}
		e.String(path)
		e.Buffer(n.Data)
		idx := int64(-1)
		if n.ACL != nil {
			idx = index[aclKey(n.ACL)]
		}
		e.Int64(idx)
		n.Stat.Encode(&e)
		if len(e.Buf) > 32<<10 {
			err = flush()
		}
	})
	if err != nil {
		return err
	}
	e.String("/")
	if err := flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	e.Int64(int64(sum.Sum32()))
	e.String("/")
	_, err = w.Write(e.Buf)
	return err
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
			set = make(map[string]struct{})
			t.ephemerals[owner] = set
		}
		set[path] = struct{}{}
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
