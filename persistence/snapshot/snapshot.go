package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zabd/zabd/persistence"
)

// SubDir is the directory under dataDir that holds the snapshots.
const SubDir = "zabd-snap"

const (
	headerMagic = "ZABDSNAP"
	footerMagic = "ZEND"
	version     = 1
	headerLen   = 32
	footerLen   = 16
	namePrefix  = "snap."
	tmpSuffix   = ".tmp"
)

// ErrCorrupt is persistence.ErrCorrupt: a snapshot whose layout or checksum
// does not hold wraps it.
var ErrCorrupt = persistence.ErrCorrupt

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Meta describes one stored snapshot.
type Meta struct {
	// Zxid is the zxid of the last txn applied to the tree when the snapshot
	// was taken.
	Zxid int64
	// Time is when the snapshot was started (millisecond precision).
	Time time.Time
	// Size is the length of the payload in bytes.
	Size int64
	// Checksum is the CRC-32C stored in the footer.
	Checksum uint32
	// Path is the file.
	Path string
	// Err is non-nil when the header or footer does not parse (wrapping
	// ErrCorrupt); Zxid then comes from the file name and the other fields
	// may be zero. List reports such files rather than hiding them; Open
	// refuses them.
	Err error
}

// Name returns the file name of the snapshot of zxid.
func Name(zxid int64) string { return fmt.Sprintf("%s%016x", namePrefix, uint64(zxid)) }

// parseName returns the zxid of a snapshot file name.
func parseName(name string) (int64, bool) {
	hex, ok := strings.CutPrefix(name, namePrefix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	z, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		return 0, false
	}
	return int64(z), true
}

// Dir is a directory of snapshots. See the package comment.
type Dir struct {
	path string
}

// OpenDir opens (creating it if needed) the snapshot directory path and
// removes the temporary files of snapshots that were never committed.
func OpenDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot: open %s: %w", path, err)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: open %s: %w", path, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), namePrefix) && strings.HasSuffix(e.Name(), tmpSuffix) {
			if err := os.Remove(filepath.Join(path, e.Name())); err != nil {
				return nil, fmt.Errorf("snapshot: remove leftover %s: %w", e.Name(), err)
			}
		}
	}
	return &Dir{path: path}, nil
}

// Path returns the directory.
func (d *Dir) Path() string { return d.path }

// List returns the snapshots, newest (largest zxid) first, including those
// whose header or footer is damaged (Meta.Err set). It reads only headers
// and footers; Open and Verify check the payload.
func (d *Dir) List() ([]Meta, error) {
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: list %s: %w", d.path, err)
	}
	var out []Meta
	for _, e := range ents {
		z, ok := parseName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		m, err := ReadMeta(filepath.Join(d.path, e.Name()))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				return nil, err
			}
			m = Meta{Zxid: z, Path: filepath.Join(d.path, e.Name()), Err: err}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zxid > out[j].Zxid })
	return out, nil
}

// ReadMeta reads the header and footer of the snapshot file at path. A file
// that is not a well-formed snapshot gives an error wrapping ErrCorrupt.
func ReadMeta(path string) (Meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return Meta{}, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	m, _, err := readMeta(f, path)
	return m, err
}

// readMeta reads the header and footer of f and checks them against each
// other, the file size and the file name. It returns the encoded header.
func readMeta(f *os.File, path string) (Meta, []byte, error) {
	m := Meta{Path: path}
	st, err := f.Stat()
	if err != nil {
		return m, nil, fmt.Errorf("snapshot: %w", err)
	}
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("snapshot: %s: %s: %w", filepath.Base(path), fmt.Sprintf(format, args...), ErrCorrupt)
	}
	if st.Size() < headerLen+footerLen {
		return m, nil, corrupt("%d bytes, shorter than header and footer", st.Size())
	}
	hdr := make([]byte, headerLen)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return m, nil, fmt.Errorf("snapshot: read %s: %w", path, err)
	}
	var ftr [footerLen]byte
	if _, err := f.ReadAt(ftr[:], st.Size()-footerLen); err != nil {
		return m, nil, fmt.Errorf("snapshot: read %s: %w", path, err)
	}
	if string(hdr[:8]) != headerMagic {
		return m, nil, corrupt("bad header magic %q", hdr[:8])
	}
	if v := binary.BigEndian.Uint32(hdr[8:]); v != version {
		return m, nil, corrupt("version %d, want %d", v, version)
	}
	m.Zxid = int64(binary.BigEndian.Uint64(hdr[16:]))
	m.Time = time.UnixMilli(int64(binary.BigEndian.Uint64(hdr[24:])))
	if string(ftr[12:]) != footerMagic {
		return m, nil, corrupt("bad footer magic %q (torn write?)", ftr[12:])
	}
	m.Size = int64(binary.BigEndian.Uint64(ftr[:]))
	m.Checksum = binary.BigEndian.Uint32(ftr[8:])
	if want := st.Size() - headerLen - footerLen; m.Size != want {
		return m, nil, corrupt("footer says %d payload bytes, file holds %d", m.Size, want)
	}
	if z, ok := parseName(filepath.Base(path)); ok && z != m.Zxid {
		return m, nil, corrupt("header zxid %#x, name zxid %#x", m.Zxid, z)
	}
	return m, hdr, nil
}

// Create starts a snapshot of zxid taken at t. Write the payload to the
// Writer, then Commit it; Abort (deferred) removes an uncommitted one.
func (d *Dir) Create(zxid int64, t time.Time) (*Writer, error) {
	f, err := os.CreateTemp(d.path, Name(zxid)+".*"+tmpSuffix)
	if err != nil {
		return nil, fmt.Errorf("snapshot: create %#x: %w", zxid, err)
	}
	w := &Writer{d: d, f: f, zxid: zxid, time: time.UnixMilli(t.UnixMilli()), crc: crc32.New(castagnoli)}
	w.bw = bufio.NewWriterSize(f, 256<<10)
	hdr := make([]byte, 0, headerLen)
	hdr = append(hdr, headerMagic...)
	hdr = binary.BigEndian.AppendUint32(hdr, version)
	hdr = binary.BigEndian.AppendUint32(hdr, 0)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(zxid))
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(w.time.UnixMilli()))
	if _, err := w.write(hdr); err != nil {
		w.Abort()
		return nil, err
	}
	w.size = 0
	return w, nil
}

// Writer writes one snapshot to a temporary file. Not safe for concurrent
// use.
type Writer struct {
	d    *Dir
	f    *os.File
	bw   *bufio.Writer
	crc  hash.Hash32
	zxid int64
	time time.Time
	size int64
	err  error
	done bool
}

func (w *Writer) write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.crc.Write(p[:n])
	w.size += int64(n)
	if err != nil {
		w.err = fmt.Errorf("snapshot: write %s: %w", w.f.Name(), err)
	}
	return n, w.err
}

// Write appends p to the payload.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("snapshot: write after commit or abort")
	}
	return w.write(p)
}

// Commit writes the footer, syncs the file, renames it into place and syncs
// the directory. Once it returns nil the snapshot survives a crash. A
// snapshot of the same zxid is replaced.
func (w *Writer) Commit() (Meta, error) {
	if w.done {
		return Meta{}, errors.New("snapshot: commit after commit or abort")
	}
	ftr := binary.BigEndian.AppendUint64(make([]byte, 0, footerLen), uint64(w.size))
	w.crc.Write(ftr)
	sum := w.crc.Sum32()
	ftr = binary.BigEndian.AppendUint32(ftr, sum)
	ftr = append(ftr, footerMagic...)
	size := w.size
	if _, err := w.write(ftr); err != nil {
		w.Abort()
		return Meta{}, err
	}
	m := Meta{Zxid: w.zxid, Time: w.time, Size: size, Checksum: sum, Path: filepath.Join(w.d.path, Name(w.zxid))}
	err := w.bw.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), m.Path)
	}
	if err == nil {
		err = syncDir(w.d.path)
	}
	if err != nil {
		w.Abort()
		return Meta{}, fmt.Errorf("snapshot: commit %s: %w", m.Path, err)
	}
	w.done = true
	return m, nil
}

// Abort discards an uncommitted snapshot. It is a no-op after Commit, so
// it can be deferred.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open opens the snapshot m for reading its payload.
func (d *Dir) Open(m Meta) (*Reader, error) {
	if m.Err != nil {
		return nil, m.Err
	}
	return OpenFile(m.Path)
}

// OpenFile opens the snapshot file at path for reading its payload. The
// Reader checks the checksum as the payload is read: the read that reaches
// its end returns io.EOF only if the checksum holds, and an error wrapping
// ErrCorrupt otherwise. A caller that stops early (a parser that knows where
// its stream ends) must call Verify to learn whether the rest holds.
func OpenFile(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	m, hdr, err := readMeta(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &Reader{f: f, meta: m, crc: crc32.New(castagnoli)}
	r.crc.Write(hdr)
	r.br = bufio.NewReaderSize(io.NewSectionReader(f, headerLen, m.Size), 256<<10)
	r.left = m.Size
	return r, nil
}

// Reader reads the payload of one snapshot. Not safe for concurrent use.
type Reader struct {
	f    *os.File
	br   *bufio.Reader
	crc  hash.Hash32
	meta Meta
	left int64
	err  error
}

// Meta returns the snapshot's metadata.
func (r *Reader) Meta() Meta { return r.meta }

// Read reads payload bytes; see OpenFile for how it reports the checksum.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left == 0 {
		r.err = r.check()
		return 0, r.err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.br.Read(p)
	r.crc.Write(p[:n])
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		err = fmt.Errorf("snapshot: %s: truncated: %w", filepath.Base(r.meta.Path), ErrCorrupt)
	}
	if err != nil && err != io.EOF {
		r.err = err
		return n, err
	}
	if r.left == 0 {
		r.err = r.check()
		if r.err != io.EOF {
			return n, r.err
		}
	}
	return n, nil
}

func (r *Reader) check() error {
	r.crc.Write(binary.BigEndian.AppendUint64(nil, uint64(r.meta.Size)))
	if got := r.crc.Sum32(); got != r.meta.Checksum {
		return fmt.Errorf("snapshot: %s: checksum %#08x, stored %#08x: %w", filepath.Base(r.meta.Path), got, r.meta.Checksum, ErrCorrupt)
	}
	return io.EOF
}

// Verify reads what is left of the payload and reports whether the
// checksum holds (nil) or not (an error wrapping ErrCorrupt).
func (r *Reader) Verify() error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	return nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// Verify reads the whole snapshot m and checks its checksum.
func (d *Dir) Verify(m Meta) error {
	r, err := d.Open(m)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Verify()
}

// Remove deletes the snapshot m.
func (d *Dir) Remove(m Meta) error {
	if err := os.Remove(m.Path); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// Spool is a scratch file in the snapshot directory, already unlinked, for
// a payload that has to be written out of order (datatree.FuzzySnapshot's
// node records, which follow an ACL cache known only at the end). Close
// releases its space.
type Spool struct{ f *os.File }

// Spool creates a Spool.
func (d *Dir) Spool() (*Spool, error) {
	f, err := os.CreateTemp(d.path, namePrefix+"spool.*"+tmpSuffix)
	if err != nil {
		return nil, fmt.Errorf("snapshot: spool: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("snapshot: spool: %w", err)
	}
	return &Spool{f: f}, nil
}

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) { return s.f.Write(p) }

// Rewind returns a reader of everything written so far.
func (s *Spool) Rewind() (io.Reader, error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("snapshot: spool: %w", err)
	}
	return s.f, nil
}

// Close removes the spool.
func (s *Spool) Close() error { return s.f.Close() }
