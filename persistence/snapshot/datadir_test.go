package snapshot_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
)

// writeAt stores a snapshot of zxid holding payload, taken at at, in dir.
func writeAt(t *testing.T, dir string, zxid int64, payload string, at time.Time) {
	t.Helper()
	d, err := snapshot.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := d.Create(zxid, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, payload); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// payloads returns the payloads of d's snapshots, newest first.
func payloads(t *testing.T, d *snapshot.Dir) []string {
	t.Helper()
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range list {
		b, err := readAll(d, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Path, err)
		}
		out = append(out, string(b))
	}
	return out
}

func TestOpenDataDirMovesEnsembleLayout(t *testing.T) {
	dataDir := t.TempDir()
	legacy := filepath.Join(dataDir, "zabd-quorum")
	now := time.Now()
	writeAt(t, filepath.Join(dataDir, snapshot.SubDir), 5, "standalone 5", now.Add(-2*time.Hour))
	writeAt(t, filepath.Join(dataDir, snapshot.SubDir), 20, "standalone 20", now.Add(-2*time.Hour))
	writeAt(t, filepath.Join(dataDir, snapshot.SubDir), 30, "standalone 30", now)
	writeAt(t, legacy, 10, "ensemble 10", now.Add(-time.Hour))
	writeAt(t, legacy, 20, "ensemble 20", now.Add(-time.Hour)) // later than standalone 20
	writeAt(t, legacy, 30, "ensemble 30", now.Add(-time.Hour)) // earlier than standalone 30
	if err := os.WriteFile(filepath.Join(legacy, snapshot.Name(40)+".123.tmp"), []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, moved, err := snapshot.OpenDataDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 2 {
		t.Errorf("moved %d snapshots, want 2", moved)
	}
	if want, got := []string{"standalone 30", "ensemble 20", "ensemble 10", "standalone 5"}, payloads(t, d); !slices.Equal(got, want) {
		t.Errorf("snapshots %q, want %q", got, want)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("%s left: %v", legacy, err)
	}
	// Again: nothing to do.
	if _, moved, err := snapshot.OpenDataDir(dataDir); err != nil || moved != 0 {
		t.Errorf("second OpenDataDir moved %d, %v", moved, err)
	}
}

// TestOpenDataDirHalfMoved: a crash in the middle of a move leaves some
// files in each directory; the next open finishes, and a file that is not a
// snapshot keeps the old directory in place.
func TestOpenDataDirHalfMoved(t *testing.T) {
	dataDir := t.TempDir()
	legacy := filepath.Join(dataDir, "zabd-quorum")
	now := time.Now()
	writeAt(t, filepath.Join(dataDir, snapshot.SubDir), 10, "moved 10", now)
	writeAt(t, legacy, 20, "left 20", now)
	if err := os.WriteFile(filepath.Join(legacy, "notes.txt"), []byte("an operator's"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, moved, err := snapshot.OpenDataDir(dataDir)
	if err != nil || moved != 1 {
		t.Fatalf("OpenDataDir moved %d, %v; want 1", moved, err)
	}
	if want, got := []string{"left 20", "moved 10"}, payloads(t, d); !slices.Equal(got, want) {
		t.Errorf("snapshots %q, want %q", got, want)
	}
	if ents, err := os.ReadDir(legacy); err != nil || len(ents) != 1 || ents[0].Name() != "notes.txt" {
		t.Errorf("%s holds %v, %v; want notes.txt alone", legacy, ents, err)
	}
}

func openStore(t *testing.T, dir string, last int64) *persistence.Store {
	t.Helper()
	st, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var es []txnlog.Entry
	for z := int64(1); z <= last; z++ {
		es = append(es, txnlog.Entry{Zxid: z, Data: []byte{byte(z)}})
	}
	if err := st.Log().Append(es); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, 9)
	d, _, err := snapshot.OpenDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Install(st, 50, time.Now(), func(w io.Writer) error {
		_, err := io.WriteString(w, "leader's 50")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Zxid != 50 || st.Log().LastZxid() != 0 {
		t.Errorf("installed %#x, log last %#x; want 50 and an empty log", m.Zxid, st.Log().LastZxid())
	}
	if p, err := st.PurgedBefore(); p != 51 || err != nil {
		t.Errorf("PurgedBefore = %d, %v; want 51", p, err)
	}
	if z, err := st.MetaZxid(persistence.MetaSnapInstalling); z != -1 || err != nil {
		t.Errorf("install mark %d, %v left", z, err)
	}
	if got := payloads(t, d); !slices.Equal(got, []string{"leader's 50"}) {
		t.Errorf("snapshots %q", got)
	}
	// A failed write leaves no snapshot; the mark makes the next open look.
	_, err = d.Install(st, 60, time.Now(), func(w io.Writer) error { return io.ErrShortWrite })
	if err == nil {
		t.Fatal("Install with a failing writer: no error")
	}
	if z, stored, err := d.CompleteInstall(st); z != 60 || stored || err != nil {
		t.Errorf("CompleteInstall = %d, %v, %v; want 60, not stored", z, stored, err)
	}
	if p, _ := st.PurgedBefore(); p != 51 {
		t.Errorf("PurgedBefore = %d after an install that never stored its snapshot, want 51", p)
	}
}

func TestCompleteInstall(t *testing.T) {
	for _, tc := range []struct {
		name      string
		snapshots []int64
		mark      int64
		wantLast  int64
		wantPurge int64
	}{
		{"stored", []int64{4}, 4, 0, 5},
		{"not stored", nil, 4, 9, 0},
		{"older one stored", []int64{3}, 4, 9, 0},
		{"no mark", []int64{4}, -1, 9, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st := openStore(t, dir, 9)
			for _, z := range tc.snapshots {
				writeAt(t, filepath.Join(dir, snapshot.SubDir), z, "x", time.Now())
			}
			if tc.mark >= 0 {
				if err := st.SetMetaZxid(persistence.MetaSnapInstalling, tc.mark); err != nil {
					t.Fatal(err)
				}
			}
			d, _, err := snapshot.OpenDataDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			z, stored, err := d.CompleteInstall(st)
			if err != nil || z != tc.mark || stored != (tc.wantLast == 0) {
				t.Errorf("CompleteInstall = %d, %v, %v", z, stored, err)
			}
			p, _ := st.PurgedBefore()
			if st.Log().LastZxid() != tc.wantLast || p != tc.wantPurge {
				t.Errorf("log last %d, purged before %d; want %d, %d", st.Log().LastZxid(), p, tc.wantLast, tc.wantPurge)
			}
			if z, _ := st.MetaZxid(persistence.MetaSnapInstalling); z != -1 {
				t.Errorf("mark %d left", z)
			}
		})
	}
}
