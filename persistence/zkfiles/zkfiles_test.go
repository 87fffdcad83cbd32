package zkfiles_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/zkfiles"
)

// testdata/zk380/version-2 was written by Apache ZooKeeper 3.8.0
// (preAllocSize=1 KB): snapshot.0 at first start; log.1 holding zxids 0x1-0xb
// of one session (createSession; create /a, /a/b, /a/s0000000001; setData /a;
// create /secret with a digest ACL; ephemeral /e; multi /m1 /m2; delete /a/b;
// a failed create (error -110); closeSession); snapshot.b at the next start.
const zk380 = "testdata/zk380/version-2"

func TestListZooKeeperFiles(t *testing.T) {
	snaps, err := zkfiles.Snapshots(zk380)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Zxid != 0xb || snaps[1].Zxid != 0 ||
		filepath.Base(snaps[0].Path) != "snapshot.b" {
		t.Errorf("Snapshots = %+v, want snapshot.b then snapshot.0", snaps)
	}
	logs, err := zkfiles.Logs(zk380)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 || logs[0].Zxid != 1 {
		t.Errorf("Logs = %+v, want log.1", logs)
	}
	for _, s := range snaps {
		if ok, err := zkfiles.LooksComplete(s.Path); !ok || err != nil {
			t.Errorf("LooksComplete(%s) = %v, %v", s.Path, ok, err)
		}
	}
	if got := zkfiles.SnapshotName(0x1b00000000); got != "snapshot.1b00000000" {
		t.Errorf("SnapshotName = %q", got)
	}
	if got := zkfiles.LogName(0x1); got != "log.1" {
		t.Errorf("LogName = %q", got)
	}
	if none, err := zkfiles.Snapshots(filepath.Join(t.TempDir(), "missing")); none != nil || err != nil {
		t.Errorf("Snapshots(missing) = %v, %v", none, err)
	}
}

type txn struct {
	zxid int64
	typ  zkproto.OpCode
}

func readTxns(t *testing.T, logs []zkfiles.File, after int64) ([]txn, zkfiles.IterateResult, error) {
	t.Helper()
	var got []txn
	res, err := zkfiles.Iterate(logs, after, func(zxid int64, data []byte) error {
		var h zkproto.TxnHeader
		h.Decode(jute.NewDecoder(data, len(data)))
		if h.Zxid != zxid {
			t.Errorf("zxid %#x, header says %#x", zxid, h.Zxid)
		}
		got = append(got, txn{zxid, h.Type})
		return nil
	})
	return got, res, err
}

func TestReadZooKeeperLog(t *testing.T) {
	logs, err := zkfiles.Logs(zk380)
	if err != nil {
		t.Fatal(err)
	}
	got, res, err := readTxns(t, logs, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []txn{
		{1, zkproto.OpCreateSession}, {2, zkproto.OpCreate}, {3, zkproto.OpCreate}, {4, zkproto.OpCreate},
		{5, zkproto.OpSetData}, {6, zkproto.OpCreate}, {7, zkproto.OpCreate}, {8, zkproto.OpMulti},
		{9, zkproto.OpDelete}, {0xa, zkproto.OpError}, {0xb, zkproto.OpCloseSession},
	}
	if !slices.Equal(got, want) {
		t.Errorf("txns = %v, want %v", got, want)
	}
	if res.Files != 1 || res.Txns != 11 || res.LastZxid != 0xb || len(res.Partial) != 0 {
		t.Errorf("result = %+v", res)
	}
	got, _, err = readTxns(t, logs, 9)
	if err != nil || !slices.Equal(got, want[9:]) {
		t.Errorf("after 9: %v, %v; want %v", got, err, want[9:])
	}
}

// logFile writes a log file of the given txns (zxid, type error) into dir.
func logFile(t *testing.T, dir string, zxids ...int64) string {
	t.Helper()
	path := filepath.Join(dir, zkfiles.LogName(zxids[0]))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := zkfiles.NewLogWriter(f, 0)
	for _, z := range zxids {
		if err := w.Append(txnBytes(z)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Preallocated padding, as FilePadding leaves it.
	if _, err := f.Write(make([]byte, 300)); err != nil {
		t.Fatal(err)
	}
	return path
}

func txnBytes(z int64) []byte {
	e := jute.Encoder{}
	h := zkproto.TxnHeader{ClientID: 7, Cxid: int32(z), Zxid: z, Time: 1000 * z, Type: zkproto.OpError}
	h.Encode(&e)
	(&zkproto.ErrorTxn{N: int32(zkproto.ErrNoNode)}).Encode(&e)
	return e.Buf
}

func TestWriteAndReadLogs(t *testing.T) {
	dir := t.TempDir()
	logFile(t, dir, 1, 2, 3)
	logFile(t, dir, 4, 5)
	logFile(t, dir, 0x100000001, 0x100000002)
	logs, err := zkfiles.Logs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		after     int64
		wantFiles int
		want      []int64
	}{
		{0, 3, []int64{1, 2, 3, 4, 5, 0x100000001, 0x100000002}},
		{2, 3, []int64{3, 4, 5, 0x100000001, 0x100000002}},
		{3, 2, []int64{4, 5, 0x100000001, 0x100000002}},
		{5, 2, []int64{0x100000001, 0x100000002}},
		{0x100000002, 1, nil},
	} {
		got, res, err := readTxns(t, logs, c.after)
		var zs []int64
		for _, g := range got {
			zs = append(zs, g.zxid)
		}
		if err != nil || !slices.Equal(zs, c.want) || res.Files != c.wantFiles {
			t.Errorf("after %#x: %#x (%d files), %v; want %#x (%d files)", c.after, zs, res.Files, err, c.want, c.wantFiles)
		}
	}
}

func TestPartialAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := logFile(t, dir, 1, 2, 3)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entry := 12 + len(txnBytes(1)) + 1
	end := 16 + 3*entry // header, three entries
	second := logFile(t, dir, 4, 5)

	for _, c := range []struct {
		name    string
		data    []byte
		want    []int64 // zxids read, including the next file's
		partial bool
		corrupt bool
	}{
		{"intact", orig, []int64{1, 2, 3, 4, 5}, false, false},
		{"no padding", orig[:end], []int64{1, 2, 3, 4, 5}, false, false},
		{"cut inside the last txn", orig[:end-5], []int64{1, 2, 4, 5}, true, false},
		{"cut inside an entry header", orig[:end-entry+6], []int64{1, 2, 4, 5}, true, false},
		{"no end-of-record byte", with(orig, end-1, 'X'), []int64{1, 2, 4, 5}, true, false},
		{"flipped txn byte", with(orig, end-10, orig[end-10]^1), []int64{1, 2}, false, true},
		{"flipped checksum", with(orig, 16+entry+7, orig[16+entry+7]^1), []int64{1}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			logs := []zkfiles.File{{Path: path, Zxid: 1}, {Path: second, Zxid: 4}}
			got, res, err := readTxns(t, logs, 0)
			var zs []int64
			for _, g := range got {
				zs = append(zs, g.zxid)
			}
			if !slices.Equal(zs, c.want) {
				t.Errorf("read %v, want %v", zs, c.want)
			}
			if c.corrupt != errors.Is(err, persistence.ErrCorrupt) {
				t.Errorf("err = %v, corrupt want %v", err, c.corrupt)
			}
			if c.partial != (len(res.Partial) == 1) || (c.partial && !errors.Is(res.Partial[0], zkfiles.ErrPartial)) {
				t.Errorf("Partial = %v, want partial %v", res.Partial, c.partial)
			}
		})
	}
}

func with(b []byte, i int, v byte) []byte {
	b = slices.Clone(b)
	b[i] = v
	return b
}

func TestLogHeader(t *testing.T) {
	if _, err := zkfiles.NewLogReader(bytes.NewReader([]byte("ZKSN\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"))); !errors.Is(err, persistence.ErrCorrupt) {
		t.Errorf("snapshot magic: %v, want ErrCorrupt", err)
	}
	if _, err := zkfiles.NewLogReader(bytes.NewReader([]byte("ZKLG"))); !errors.Is(err, persistence.ErrCorrupt) {
		t.Errorf("short header: %v, want ErrCorrupt", err)
	}
	// An empty log file (created, header never written) is skipped.
	dir := t.TempDir()
	empty := filepath.Join(dir, "log.1")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, res, err := readTxns(t, []zkfiles.File{{Path: empty, Zxid: 1}}, 0)
	if err != nil || len(got) != 0 || res.Files != 1 {
		t.Errorf("empty file: %v %+v %v", got, res, err)
	}
}

func TestWriteSnapshotAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "version-2")
	path, err := zkfiles.WriteSnapshot(dir, 0x2a, func(w io.Writer) error {
		_, err := w.Write([]byte("stream"))
		return err
	})
	if err != nil || filepath.Base(path) != "snapshot.2a" {
		t.Fatalf("WriteSnapshot = %q, %v", path, err)
	}
	_, err = zkfiles.WriteSnapshot(dir, 0x2b, func(w io.Writer) error { return errors.New("boom") })
	if err == nil {
		t.Fatal("WriteSnapshot with a failing writer succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir holds %v, want only snapshot.2a", ents)
	}
	rc, err := zkfiles.OpenSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || string(b) != "stream" {
		t.Errorf("read back %q, %v", b, err)
	}
}

func TestOpenCompressedSnapshot(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write([]byte("gzipped stream"))
	z.Close()
	gz := filepath.Join(dir, "snapshot.5.gz")
	if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err := zkfiles.OpenSnapshot(gz)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "gzipped stream" {
		t.Errorf("gz: %q, %v", b, err)
	}
	snaps, err := zkfiles.Snapshots(dir)
	if err != nil || len(snaps) != 1 || snaps[0].Zxid != 5 {
		t.Errorf("Snapshots = %+v, %v", snaps, err)
	}
	sn := filepath.Join(dir, "snapshot.6.snappy")
	if err := os.WriteFile(sn, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := zkfiles.OpenSnapshot(sn); err == nil {
		t.Error("snappy snapshot opened; want a clear error")
	}
}
