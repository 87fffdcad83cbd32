package snapshot_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
)

func openDir(t *testing.T) *snapshot.Dir {
	t.Helper()
	d, err := snapshot.OpenDir(filepath.Join(t.TempDir(), snapshot.SubDir))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func write(t *testing.T, d *snapshot.Dir, zxid int64, payload []byte) snapshot.Meta {
	t.Helper()
	w, err := d.Create(zxid, time.UnixMilli(1700000000123))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	// Write in uneven pieces.
	for p := payload; len(p) > 0; {
		n := min(len(p), 1+len(p)/3)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	m, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readAll(d *snapshot.Dir, m snapshot.Meta) ([]byte, error) {
	r, err := d.Open(m)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func testPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestWriteListRead(t *testing.T) {
	d := openDir(t)
	p1, p2, p3 := testPayload(10), testPayload(300000), []byte{}
	m1 := write(t, d, 0x100000005, p1)
	m2 := write(t, d, 0x200000001, p2)
	m3 := write(t, d, 0x1ff, p3)
	if m2.Zxid != 0x200000001 || m2.Size != 300000 || m2.Time != time.UnixMilli(1700000000123) ||
		filepath.Base(m2.Path) != "snap.0000000200000001" {
		t.Errorf("Commit = %+v", m2)
	}
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, m := range list {
		if m.Err != nil {
			t.Errorf("List: %s: %v", m.Path, m.Err)
		}
		got = append(got, m.Zxid)
	}
	if want := []int64{0x200000001, 0x100000005, 0x1ff}; !slices.Equal(got, want) {
		t.Errorf("List zxids = %#x, want %#x", got, want)
	}
	if list[0] != m2 || list[1] != m1 || list[2] != m3 {
		t.Errorf("List = %+v, want %+v %+v %+v", list, m2, m1, m3)
	}
	for _, c := range []struct {
		m    snapshot.Meta
		want []byte
	}{{m1, p1}, {m2, p2}, {m3, p3}} {
		b, err := readAll(d, c.m)
		if err != nil || !bytes.Equal(b, c.want) {
			t.Errorf("read %#x = %d bytes, %v; want %d bytes", c.m.Zxid, len(b), err, len(c.want))
		}
		if err := d.Verify(c.m); err != nil {
			t.Errorf("Verify(%#x) = %v", c.m.Zxid, err)
		}
	}
}

// TestCorruption flips every byte of a small snapshot in turn (and truncates
// it at every length): each damage is caught by ReadMeta or by the checksum.
func TestCorruption(t *testing.T) {
	d := openDir(t)
	m := write(t, d, 42, testPayload(100))
	orig, err := os.ReadFile(m.Path)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, b []byte) {
		t.Helper()
		if err := os.WriteFile(m.Path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		list, err := d.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 {
			t.Fatalf("%s: List = %+v", what, list)
		}
		if list[0].Err != nil {
			if !errors.Is(list[0].Err, persistence.ErrCorrupt) {
				t.Errorf("%s: List Err = %v, want ErrCorrupt", what, list[0].Err)
			}
			return
		}
		_, err = readAll(d, list[0])
		if !errors.Is(err, snapshot.ErrCorrupt) {
			t.Errorf("%s: read = %v, want ErrCorrupt", what, err)
		}
		if err := d.Verify(list[0]); !errors.Is(err, snapshot.ErrCorrupt) {
			t.Errorf("%s: Verify = %v, want ErrCorrupt", what, err)
		}
	}
	for i := range orig {
		b := slices.Clone(orig)
		b[i] ^= 0x10
		check("flip byte "+strconv.Itoa(i), b)
	}
	for n := 0; n < len(orig); n += 5 {
		check("truncate to "+strconv.Itoa(n), orig[:n])
	}
}

func TestOpenDirRemovesTemp(t *testing.T) {
	d := openDir(t)
	w, err := d.Create(7, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("half a snapshot")); err != nil {
		t.Fatal(err)
	}
	// A crash here leaves the temporary file; List ignores it and the next
	// OpenDir removes it.
	if list, err := d.List(); err != nil || len(list) != 0 {
		t.Fatalf("List = %+v, %v; want nothing", list, err)
	}
	if _, err := snapshot.OpenDir(d.Path()); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(d.Path())
	if err != nil || len(ents) != 0 {
		t.Fatalf("after OpenDir: %v %v, want an empty directory", ents, err)
	}
	w.Abort()
}

type fakeLog struct{ purgedBefore []int64 }

func (f *fakeLog) PurgeBefore(z int64) error {
	f.purgedBefore = append(f.purgedBefore, z)
	return nil
}

func TestPurge(t *testing.T) {
	d := openDir(t)
	log := &fakeLog{}
	for z := int64(1); z <= 2; z++ {
		write(t, d, z*100, testPayload(int(z)))
	}
	res, err := d.Purge(3, log)
	if err != nil || len(res.Removed) != 0 || len(log.purgedBefore) != 0 {
		t.Fatalf("Purge with 2 snapshots = %+v, %v, log %v; want nothing removed", res, err, log.purgedBefore)
	}
	for z := int64(3); z <= 6; z++ {
		write(t, d, z*100, testPayload(int(z)))
	}
	// A damaged snapshot among the newest does not count towards keep.
	damaged := filepath.Join(d.Path(), snapshot.Name(550))
	if err := os.WriteFile(damaged, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = d.Purge(1, log) // below the minimum: keeps 3
	if err != nil {
		t.Fatal(err)
	}
	zxids := func(ms []snapshot.Meta) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.Zxid)
		}
		return out
	}
	if got, want := zxids(res.Kept), []int64{600, 500, 400}; !slices.Equal(got, want) {
		t.Errorf("Kept = %v, want %v", got, want)
	}
	if got, want := zxids(res.Removed), []int64{300, 200, 100}; !slices.Equal(got, want) {
		t.Errorf("Removed = %v, want %v", got, want)
	}
	if res.LogBefore != 400 || !slices.Equal(log.purgedBefore, []int64{400}) {
		t.Errorf("log purged before %v (LogBefore %d), want [400]", log.purgedBefore, res.LogBefore)
	}
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := zxids(list), []int64{600, 550, 500, 400}; !slices.Equal(got, want) {
		t.Errorf("left = %v, want %v", got, want)
	}
}

func TestSameZxidReplaces(t *testing.T) {
	d := openDir(t)
	write(t, d, 9, []byte("old"))
	m := write(t, d, 9, []byte("new!"))
	list, err := d.List()
	if err != nil || len(list) != 1 || list[0] != m {
		t.Fatalf("List = %+v, %v; want only %+v", list, err, m)
	}
	if b, err := readAll(d, m); err != nil || string(b) != "new!" {
		t.Fatalf("read = %q, %v", b, err)
	}
}

// TestSpool: what is written comes back after Rewind, the file takes no
// name in the directory, and List and Purge never see it.
func TestSpool(t *testing.T) {
	d, err := snapshot.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Spool()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{"node records ", "", "then more"} {
		if n, err := s.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if ents, err := os.ReadDir(d.Path()); err != nil || len(ents) != 0 {
		t.Fatalf("directory holds %v (%v), want nothing", ents, err)
	}
	r, err := s.Rewind()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "node records then more" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if ms, err := d.List(); err != nil || len(ms) != 0 {
		t.Fatalf("List = %v, %v", ms, err)
	}
}
