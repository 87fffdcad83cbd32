// Package zkfiles reads and writes Apache ZooKeeper's own data files, the
// dataDir/version-2 snapshot.<zxid> and dataLogDir/version-2 log.<zxid>
// files, so that zabd can import a real ZooKeeper's data and export a
// snapshot that ZooKeeper loads. It knows the file and record framing
// (PROTOCOL.md §3); what a snapshot stream or a txn means is the caller's
// (server/datatree reads and writes the snapshot stream, server decodes txns).
//
// Counterpart: org.apache.zookeeper.server.persistence.FileTxnLog,
// FileSnap, SnapStream and Util.
//
// # Transaction log file
//
//	FileHeader{int magic "ZKLG"; int version 2; long dbid}
//	{ long adler32; int len; byte[len] txn; byte 'B' } *
//	zero padding (preallocation) to the end of the file
//
// The Adler-32 covers the len bytes of txn only (the FileTxnLog class comment
// says otherwise; the code does not). txn is TxnHeader, the record, and the
// optional TxnDigest (Util.marshallTxnEntry). A len of 0 ends the file, as
// does a clean end of file. An entry cut short or without its 'B' is a
// partial last txn (Util.readTxnBytes): ZooKeeper logs it and moves to the
// next file, and so does Iterate. A checksum that does not hold stops
// ZooKeeper's start-up ("CRC check failed") and is an error wrapping
// ErrCorrupt here.
//
// Nothing here is safe for concurrent use except the plain functions.
package zkfiles

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
)

// VersionDir is the subdirectory of dataDir and dataLogDir that holds the
// files (FileTxnSnapLog.version).
const VersionDir = "version-2"

// File name prefixes (FileSnap.SNAPSHOT_FILE_PREFIX, FileTxnLog.LOG_FILE_PREFIX).
const (
	SnapshotPrefix = "snapshot"
	LogPrefix      = "log"
)

// logVersion is FileTxnLog.VERSION.
const logVersion = 2

// maxEntry bounds the length of one log entry: BinaryInputArchive allows
// jute.maxbuffer plus its extrasize, 2 MiB by default; a server configured
// with a larger jute.maxbuffer stays well under this.
const maxEntry = 64 << 20

// ErrCorrupt is persistence.ErrCorrupt: a file whose framing or checksum
// does not hold wraps it.
var ErrCorrupt = persistence.ErrCorrupt

// ErrPartial reports a txn cut short at the end of a log file (no 'B' after
// it, or the file ends inside it): the tail of a write that never finished.
var ErrPartial = errors.New("zkfiles: partial last txn")

// File is one snapshot or log file and the zxid its name carries.
type File struct {
	Path string
	Zxid int64
}

// SnapshotName returns the name ZooKeeper gives an uncompressed snapshot of
// zxid (Util.makeSnapshotName).
func SnapshotName(zxid int64) string {
	return SnapshotPrefix + "." + strconv.FormatUint(uint64(zxid), 16)
}

// LogName returns the name of a log file whose first txn is zxid
// (Util.makeLogName).
func LogName(zxid int64) string { return LogPrefix + "." + strconv.FormatUint(uint64(zxid), 16) }

// ZxidFromName returns the zxid of a file name "<prefix>.<hex>[.<ext>]",
// as Util.getZxidFromName parses it.
func ZxidFromName(name, prefix string) (int64, bool) { return zxidFromName(name, prefix) }

func zxidFromName(name, prefix string) (int64, bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != prefix {
		return 0, false
	}
	z, err := strconv.ParseUint(parts[1], 16, 64)
	if err != nil {
		return 0, false
	}
	return int64(z), true
}

func list(dir, prefix string) ([]File, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zkfiles: %w", err)
	}
	var out []File
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if z, ok := zxidFromName(e.Name(), prefix); ok {
			out = append(out, File{Path: filepath.Join(dir, e.Name()), Zxid: z})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zxid < out[j].Zxid })
	return out, nil
}

// Snapshots returns the snapshot files of dir (a version-2 directory),
// newest first. A missing dir has none.
func Snapshots(dir string) ([]File, error) {
	fs, err := list(dir, SnapshotPrefix)
	for i, j := 0, len(fs)-1; i < j; i, j = i+1, j-1 {
		fs[i], fs[j] = fs[j], fs[i]
	}
	return fs, err
}

// Logs returns the log files of dir (a version-2 directory) in zxid order.
// A missing dir has none.
func Logs(dir string) ([]File, error) { return list(dir, LogPrefix) }

// LogsFrom returns the files of logs (in zxid order) that may hold txns with
// a zxid greater than after: the last one that starts at or before after+1,
// and every later one (FileTxnLog.getLogFiles).
func LogsFrom(logs []File, after int64) []File {
	start := 0
	for i, f := range logs {
		if f.Zxid <= after+1 {
			start = i
		}
	}
	return logs[start:]
}

// OpenSnapshot opens the snapshot stream of a snapshot file, uncompressing
// it by its extension as SnapStream.getInputStream does (.gz; no extension
// is the plain stream). Snappy-compressed snapshots are not supported.
func OpenSnapshot(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("zkfiles: %w", err)
	}
	switch ext := filepath.Ext(filepath.Base(path)); {
	case ext == ".gz":
		return newGzipReader(f)
	case ext == ".snappy":
		f.Close()
		return nil, fmt.Errorf("zkfiles: %s: snappy-compressed snapshots are not supported; "+
			"restart ZooKeeper with zookeeper.snapshot.compression.method unset to write an uncompressed one", path)
	}
	return f, nil
}

// LooksComplete reports whether an uncompressed snapshot file ends as a
// sealed one does (int 1, '/'), the cheap test of
// SnapStream.isValidCheckedStream; compressed files are not checked.
func LooksComplete(path string) (bool, error) {
	if filepath.Ext(path) == ".gz" || filepath.Ext(path) == ".snappy" {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("zkfiles: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("zkfiles: %w", err)
	}
	if st.Size() < 10 {
		return false, nil
	}
	var b [5]byte
	if _, err := f.ReadAt(b[:], st.Size()-5); err != nil {
		return false, fmt.Errorf("zkfiles: %w", err)
	}
	return b == [5]byte{0, 0, 0, 1, '/'}, nil
}

// LogReader reads the entries of one log file. Not safe for concurrent use.
type LogReader struct {
	r      *bufio.Reader
	Header zkproto.FileHeader
	buf    []byte
}

// NewLogReader reads and checks the file header of a log file.
func NewLogReader(r io.Reader) (*LogReader, error) {
	lr := &LogReader{r: bufio.NewReaderSize(r, 64<<10)}
	var h [16]byte
	if _, err := io.ReadFull(lr.r, h[:]); err != nil {
		return nil, fmt.Errorf("zkfiles: log header: %v: %w", err, ErrCorrupt)
	}
	d := jute.NewDecoder(h[:], 16)
	lr.Header.Decode(d)
	if lr.Header.Magic != zkproto.TxnLogMagic {
		return nil, fmt.Errorf("zkfiles: log header: magic %#x, want %#x: %w", uint32(lr.Header.Magic), zkproto.TxnLogMagic, ErrCorrupt)
	}
	return lr, nil
}

// Next returns the next txn (TxnHeader, record and optional digest). It
// returns io.EOF at the end of the entries (a zero length or the end of the
// file between entries), an error wrapping ErrPartial for a txn cut short,
// and one wrapping ErrCorrupt when the checksum does not hold; then it also
// returns the txn, for a tool to show (TxnLogToolkit prints "CRC ERROR"), and
// the next call reads on. The data is valid until the next call.
func (lr *LogReader) Next() ([]byte, error) {
	var h [12]byte
	n, err := io.ReadFull(lr.r, h[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		if allZero(h[:n]) {
			return nil, io.EOF // the file ends inside the zero padding
		}
		return nil, fmt.Errorf("%w: entry header cut short after %d bytes", ErrPartial, n)
	}
	sum := uint64(h[0])<<56 | uint64(h[1])<<48 | uint64(h[2])<<40 | uint64(h[3])<<32 |
		uint64(h[4])<<24 | uint64(h[5])<<16 | uint64(h[6])<<8 | uint64(h[7])
	l := int32(uint32(h[8])<<24 | uint32(h[9])<<16 | uint32(h[10])<<8 | uint32(h[11]))
	if l == 0 {
		return nil, io.EOF // preallocated zero padding
	}
	if l < 0 || l > maxEntry {
		return nil, fmt.Errorf("zkfiles: entry length %d: %w", l, ErrCorrupt)
	}
	need := int(l) + 1
	var b []byte
	if cap(lr.buf) >= need {
		b = lr.buf[:need]
		if n, err := io.ReadFull(lr.r, b); err != nil {
			return nil, fmt.Errorf("%w: %d of %d bytes", ErrPartial, n, need)
		}
	} else {
		// Grow as the bytes arrive: a damaged length allocates no more than
		// the file holds.
		var bb bytes.Buffer
		n, err := io.CopyN(&bb, lr.r, int64(need))
		if err != nil {
			return nil, fmt.Errorf("%w: %d of %d bytes", ErrPartial, n, need)
		}
		lr.buf = bb.Bytes()
		b = lr.buf[:need]
	}
	if b[l] != 'B' {
		return nil, fmt.Errorf("%w: end-of-record byte %#x, want 'B'", ErrPartial, b[l])
	}
	data := b[:l]
	if got := uint64(adler32.Checksum(data)); got != sum {
		return data, fmt.Errorf("zkfiles: CRC check failed: adler32 %#x, stored %#x: %w", got, sum, ErrCorrupt)
	}
	return data, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TxnZxid returns the zxid of a logged txn's TxnHeader.
func TxnZxid(data []byte) (int64, error) {
	if len(data) < zkproto.TxnHeaderSize {
		return 0, fmt.Errorf("zkfiles: txn of %d bytes, shorter than its header: %w", len(data), ErrCorrupt)
	}
	var hdr zkproto.TxnHeader
	hdr.Decode(jute.NewDecoder(data[:zkproto.TxnHeaderSize], zkproto.TxnHeaderSize))
	return hdr.Zxid, nil
}

// IterateResult says what Iterate read.
type IterateResult struct {
	Files int // log files opened
	Txns  int // txns handed to fn
	// Partial lists the partial txns that ended a file early, each error
	// naming its file. ZooKeeper logs "Last transaction was partial." and
	// goes on with the next file.
	Partial []error
	// Skipped counts txns whose zxid was not after the one before (a
	// duplicate across files); they are not handed to fn.
	Skipped int
	// LastZxid is the zxid of the last txn handed to fn, or after if none.
	LastZxid int64
}

// Iterate calls fn, in order, for every txn with a zxid greater than after
// in the log files of logs (in zxid order, as Logs returns them), until fn
// returns an error, which Iterate returns unchanged. data is valid only
// until fn returns.
func Iterate(logs []File, after int64, fn func(zxid int64, data []byte) error) (IterateResult, error) {
	res := IterateResult{LastZxid: after}
	for _, f := range LogsFrom(logs, after) {
		if err := iterateFile(f.Path, &res, fn); err != nil {
			return res, err
		}
	}
	return res, nil
}

func iterateFile(path string, res *IterateResult, fn func(int64, []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("zkfiles: %w", err)
	}
	defer f.Close()
	res.Files++
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("zkfiles: %w", err)
	}
	if st.Size() == 0 {
		// FileTxnIterator.goToNextLog: a log file created but never given
		// its header is skipped.
		return nil
	}
	lr, err := NewLogReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for {
		data, err := lr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, ErrPartial) {
			res.Partial = append(res.Partial, fmt.Errorf("%s: %w", path, err))
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		z, err := TxnZxid(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if z <= res.LastZxid {
			if z > 0 && res.Txns > 0 {
				res.Skipped++
			}
			continue
		}
		if err := fn(z, data); err != nil {
			return err
		}
		res.Txns++
		res.LastZxid = z
	}
}
