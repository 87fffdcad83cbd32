package zkfiles

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"path/filepath"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

type gzipReader struct {
	*gzip.Reader
	f *os.File
}

func newGzipReader(f *os.File) (io.ReadCloser, error) {
	z, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("zkfiles: %s: %v: %w", f.Name(), err, ErrCorrupt)
	}
	return &gzipReader{Reader: z, f: f}, nil
}

func (g *gzipReader) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// WriteSnapshot writes the snapshot file dir/snapshot.<zxid> atomically: the
// stream that write produces goes to a temporary file, which is synced and
// renamed into place, and dir is synced (AtomicFileOutputStream, which
// FileSnap uses when it syncs). dir is created if needed. It returns the
// file's path.
func WriteSnapshot(dir string, zxid int64, write func(w io.Writer) error) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("zkfiles: %w", err)
	}
	path := filepath.Join(dir, SnapshotName(zxid))
	f, err := os.CreateTemp(dir, SnapshotName(zxid)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("zkfiles: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		return "", fmt.Errorf("zkfiles: write %s: %w", path, err)
	}
	err = bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("zkfiles: write %s: %w", path, err)
	}
	committed = true
	d, err := os.Open(dir)
	if err == nil {
		err = d.Sync()
		d.Close()
	}
	if err != nil {
		return "", fmt.Errorf("zkfiles: sync %s: %w", dir, err)
	}
	return path, nil
}

// LogWriter writes a log file in FileTxnLog's format, without the
// preallocated padding. Not safe for concurrent use.
type LogWriter struct {
	w   *bufio.Writer
	err error
}

// NewLogWriter writes the file header (magic "ZKLG", version 2, dbid) to w.
func NewLogWriter(w io.Writer, dbid int64) *LogWriter {
	lw := &LogWriter{w: bufio.NewWriterSize(w, 64<<10)}
	e := jute.Encoder{}
	h := zkproto.FileHeader{Magic: zkproto.TxnLogMagic, Version: logVersion, DBID: dbid}
	h.Encode(&e)
	_, lw.err = lw.w.Write(e.Buf)
	return lw
}

// Append writes one entry: the Adler-32 of data, its length, data and 'B'
// (FileTxnLog.append, Util.writeTxnBytes).
func (lw *LogWriter) Append(data []byte) error {
	if lw.err != nil {
		return lw.err
	}
	var h [12]byte
	binary.BigEndian.PutUint64(h[:], uint64(adler32.Checksum(data)))
	binary.BigEndian.PutUint32(h[8:], uint32(len(data)))
	if _, err := lw.w.Write(h[:]); err != nil {
		lw.err = err
		return err
	}
	if _, err := lw.w.Write(data); err != nil {
		lw.err = err
		return err
	}
	lw.err = lw.w.WriteByte('B')
	return lw.err
}

// Flush writes buffered entries to the underlying writer.
func (lw *LogWriter) Flush() error {
	if lw.err != nil {
		return lw.err
	}
	lw.err = lw.w.Flush()
	return lw.err
}
