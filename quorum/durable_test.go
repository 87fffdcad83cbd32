package quorum

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/snapshot"
	"github.com/zabd/zabd/persistence/txnlog"
	"github.com/zabd/zabd/quorum/zab"
	"github.com/zabd/zabd/server/config"
)

func openTestDurable(t *testing.T, dir string, purge bool) *durable {
	t.Helper()
	cfg := &config.Config{DataDir: dir, DataLogDir: dir, ForceSync: true, SnapRetainCount: 3}
	if purge {
		cfg.PurgeIntervalHours = 1
	}
	d, err := openDurable(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func appendN(t *testing.T, d *durable, from, to int64) {
	t.Helper()
	var es []zab.Entry
	for z := from; z <= to; z++ {
		es = append(es, zab.Entry{Zxid: z, Data: []byte{byte(z)}})
	}
	if err := d.append(es); err != nil {
		t.Fatal(err)
	}
}

func zxids(t *testing.T, d *durable, after int64) []int64 {
	t.Helper()
	es, err := d.Entries(after, 1<<62)
	if err != nil {
		t.Fatalf("Entries(%#x): %v", after, err)
	}
	var out []int64
	for _, e := range es {
		out = append(out, e.Zxid)
	}
	return out
}

func TestDurableEpochsFromLog(t *testing.T) {
	dir := t.TempDir()
	d := openTestDurable(t, dir, false)
	appendN(t, d, 0x300000001, 0x300000002)
	a, c, err := d.epochs()
	if err != nil || a != 3 || c != 3 {
		t.Fatalf("epochs() = %d, %d, %v; want 3, 3 from the last zxid", a, c, err)
	}
	if err := d.st.SetAcceptedEpoch(5); err != nil {
		t.Fatal(err)
	}
	if a, c, _ := d.epochs(); a != 5 || c != 3 {
		t.Errorf("epochs() = %d, %d; want 5, 3", a, c)
	}
	if err := d.st.SetCurrentEpoch(6); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.epochs(); err == nil {
		t.Error("epochs() with acceptedEpoch < currentEpoch: no error")
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
}

func TestDurableSnapshotsAndPurge(t *testing.T) {
	dir := t.TempDir()
	d := openTestDurable(t, dir, true)
	appendN(t, d, 1, 40)
	for _, z := range []int64{10, 20, 30} {
		if err := d.takeSnapshot(z, []byte("tree")); err != nil {
			t.Fatal(err)
		}
	}
	// Three snapshots kept: the log starts at the oldest (PurgeTxnLog keeps
	// the log from the oldest kept snapshot's zxid on).
	if d.base != 9 || d.snap.Zxid != 30 || d.lastZxid() != 40 {
		t.Fatalf("base %d, snapshot %d, last %d; want 9, 30, 40", d.base, d.snap.Zxid, d.lastZxid())
	}
	if _, err := d.Entries(8, 40); !errors.Is(err, zab.ErrCompacted) {
		t.Errorf("Entries(8) = %v, want ErrCompacted", err)
	}
	if got := zxids(t, d, 9); len(got) != 31 || got[0] != 10 {
		t.Errorf("Entries(9) = %v", got)
	}
	if err := d.takeSnapshot(35, []byte("tree")); err != nil {
		t.Fatal(err)
	}
	if d.base != 19 || d.log.FirstZxid() != 20 {
		t.Errorf("after a fourth snapshot: base %d, first logged %d; want 19, 20", d.base, d.log.FirstZxid())
	}
	if p, _ := d.st.PurgedBefore(); p != 20 {
		t.Errorf("store's purge horizon %d, want 20", p)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDurable(t, dir, true)
	defer d.close()
	if d.base != 19 || d.snap.Zxid != 35 || d.lastZxid() != 40 {
		t.Errorf("reopened: base %d, snapshot %d, last %d; want 19, 35, 40", d.base, d.snap.Zxid, d.lastZxid())
	}
	if d.snap.Path != filepath.Join(dir, snapshot.SubDir, snapshot.Name(35)) {
		t.Errorf("snapshot at %s, want it in %s", d.snap.Path, snapshot.SubDir)
	}
}

// A snapshot whose payload fails its checksum is skipped on open: the
// member starts from the one before, and the log after it.
func TestDurableSkipsSnapshotWithDamagedPayload(t *testing.T) {
	dir := t.TempDir()
	d := openTestDurable(t, dir, true)
	appendN(t, d, 1, 40)
	for _, z := range []int64{10, 20, 30} {
		if err := d.takeSnapshot(z, []byte("a tree of some length")); err != nil {
			t.Fatal(err)
		}
	}
	newest := d.snap.Path
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("some"))
	if i < 0 {
		t.Fatal("payload not found in the snapshot file")
	}
	b[i] ^= 0xff
	if err := os.WriteFile(newest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	d = openTestDurable(t, dir, true)
	defer d.close()
	if d.snap.Zxid != 20 || d.base != 9 {
		t.Fatalf("after damaging snapshot 30: snapshot %d, base %d; want 20 and 9", d.snap.Zxid, d.base)
	}
	if got := zxids(t, d, d.snap.Zxid); len(got) != 20 || got[0] != 21 || got[19] != 40 {
		t.Errorf("log after the snapshot: %v, want 21..40", got)
	}
}

func TestDurableInstall(t *testing.T) {
	dir := t.TempDir()
	d := openTestDurable(t, dir, false)
	appendN(t, d, 0x100000001, 0x100000009)
	if err := d.installSnapshot(0x200000000, []byte("leader's tree")); err != nil {
		t.Fatal(err)
	}
	if d.base != 0x200000000 || d.log.LastZxid() != 0 || d.lastZxid() != 0x200000000 {
		t.Fatalf("after install: base %#x, log last %#x, last %#x", d.base, d.log.LastZxid(), d.lastZxid())
	}
	if p, _ := d.st.PurgedBefore(); p != 0x200000001 {
		t.Errorf("store's purge horizon %#x, want 0x200000001", p)
	}
	if z, _ := d.st.MetaZxid(persistence.MetaSnapInstalling); z != -1 {
		t.Errorf("install mark %#x left", z)
	}
	if got := readSnap(t, d); got != "leader's tree" {
		t.Fatalf("snapshot = %q", got)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
}

func readSnap(t *testing.T, d *durable) string {
	t.Helper()
	rc, err := d.snapshotReader()
	if err != nil {
		t.Fatal(err)
	}
	if rc == nil {
		return ""
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDurableInterruptedInstall: a crash after the SNAP's snapshot is
// stored but before the old log is dropped must not mix the two histories.
// The mark is written under its current name and under the name of the
// earlier ensemble layout (quorumSnapInstalling).
func TestDurableInterruptedInstall(t *testing.T) {
	for _, mark := range []string{persistence.MetaSnapInstalling, "quorumSnapInstalling"} {
		t.Run(mark+"/after the snapshot", func(t *testing.T) {
			dir := t.TempDir()
			d := openTestDurable(t, dir, false)
			appendN(t, d, 0x100000001, 0x100000009)
			if err := d.st.SetMetaZxid(mark, 0x100000004); err != nil {
				t.Fatal(err)
			}
			if err := d.takeSnapshot(0x100000004, []byte("x")); err != nil {
				t.Fatal(err)
			}
			d.close()
			d = openTestDurable(t, dir, false)
			defer d.close()
			if d.base != 0x100000004 || d.log.LastZxid() != 0 {
				t.Errorf("reopened: base %#x, log last %#x; want the log dropped", d.base, d.log.LastZxid())
			}
			for _, name := range []string{persistence.MetaSnapInstalling, "quorumSnapInstalling"} {
				if z, _ := d.st.MetaZxid(name); z != -1 {
					t.Errorf("install mark %s %#x left", name, z)
				}
			}
		})
		t.Run(mark+"/before the snapshot", func(t *testing.T) {
			dir := t.TempDir()
			d := openTestDurable(t, dir, false)
			appendN(t, d, 0x100000001, 0x100000009)
			if err := d.st.SetMetaZxid(mark, 0x200000000); err != nil {
				t.Fatal(err)
			}
			d.close()
			d = openTestDurable(t, dir, false)
			defer d.close()
			if d.base != 0 || d.log.LastZxid() != 0x100000009 {
				t.Errorf("reopened: base %#x, log last %#x; want the log kept", d.base, d.log.LastZxid())
			}
		})
	}
}

// TestDurableLoadsEarlierLayouts opens dataDirs as the previous zabd left
// them: an ensemble member's (snapshots in dataDir/zabd-quorum, the log base
// in quorumLogBase) and a standalone server's (dataDir/zabd-snap,
// logPurgedBefore), and one that was both, in turn.
func TestDurableLoadsEarlierLayouts(t *testing.T) {
	writeSnap := func(t *testing.T, dir string, zxid int64, data string, at time.Time) {
		t.Helper()
		sd, err := snapshot.OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		w, err := sd.Create(zxid, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, data); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// store opens dir's store alone, appends 1..to and sets metadata.
	store := func(t *testing.T, dir string, to int64, meta map[string]int64) {
		t.Helper()
		st, err := persistence.Open(persistence.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var es []txnlog.Entry
		for z := int64(1); z <= to; z++ {
			es = append(es, txnlog.Entry{Zxid: z, Data: []byte{byte(z)}})
		}
		if err := st.Log().Append(es); err != nil {
			t.Fatal(err)
		}
		for k, v := range meta {
			if err := st.SetMetaZxid(k, v); err != nil {
				t.Fatal(err)
			}
		}
		// An earlier store holds the log from the horizon on.
		if err := st.Log().PurgeBefore(max(meta["quorumLogBase"]+1, meta[persistence.MetaPurgedBefore])); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	t.Run("ensemble", func(t *testing.T) {
		dir := t.TempDir()
		writeSnap(t, filepath.Join(dir, "zabd-quorum"), 20, "old 20", now)
		writeSnap(t, filepath.Join(dir, "zabd-quorum"), 30, "old 30", now)
		store(t, dir, 40, map[string]int64{"quorumLogBase": 20})
		d := openTestDurable(t, dir, false)
		defer d.close()
		if d.snap.Zxid != 30 || d.base != 20 || d.lastZxid() != 40 || readSnap(t, d) != "old 30" {
			t.Errorf("snapshot %d, base %d, last %d; want 30, 20, 40", d.snap.Zxid, d.base, d.lastZxid())
		}
		if _, err := os.Stat(filepath.Join(dir, "zabd-quorum")); !os.IsNotExist(err) {
			t.Errorf("zabd-quorum left: %v", err)
		}
		if z, _ := d.st.MetaZxid("quorumLogBase"); z != -1 {
			t.Errorf("quorumLogBase %d left", z)
		}
		if got := zxids(t, d, 30); len(got) != 10 || got[0] != 31 {
			t.Errorf("Entries(30) = %v", got)
		}
	})
	t.Run("standalone", func(t *testing.T) {
		dir := t.TempDir()
		writeSnap(t, filepath.Join(dir, snapshot.SubDir), 25, "standalone 25", now)
		store(t, dir, 40, map[string]int64{persistence.MetaPurgedBefore: 25})
		d := openTestDurable(t, dir, false)
		defer d.close()
		if d.snap.Zxid != 25 || d.base != 24 || d.lastZxid() != 40 || readSnap(t, d) != "standalone 25" {
			t.Errorf("snapshot %d, base %d, last %d; want 25, 24, 40", d.snap.Zxid, d.base, d.lastZxid())
		}
		if _, err := d.Entries(23, -1); !errors.Is(err, zab.ErrCompacted) {
			t.Errorf("Entries(23) = %v, want ErrCompacted", err)
		}
	})
	t.Run("both", func(t *testing.T) {
		// Standalone first (snapshots 10 and 30, the log purged before 10),
		// then an ensemble member (snapshots 30 and 35, base 30): the later
		// snapshot of 30 wins, the higher horizon holds.
		dir := t.TempDir()
		writeSnap(t, filepath.Join(dir, snapshot.SubDir), 10, "standalone 10", now.Add(-time.Hour))
		writeSnap(t, filepath.Join(dir, snapshot.SubDir), 30, "standalone 30", now.Add(-time.Hour))
		writeSnap(t, filepath.Join(dir, "zabd-quorum"), 30, "ensemble 30", now)
		writeSnap(t, filepath.Join(dir, "zabd-quorum"), 35, "ensemble 35", now)
		store(t, dir, 40, map[string]int64{persistence.MetaPurgedBefore: 10, "quorumLogBase": 30})
		d := openTestDurable(t, dir, false)
		defer d.close()
		if d.snap.Zxid != 35 || d.base != 30 || readSnap(t, d) != "ensemble 35" {
			t.Errorf("snapshot %d, base %d; want 35, 30", d.snap.Zxid, d.base)
		}
		list, err := d.snaps.List()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range list {
			r, err := d.snaps.Open(m)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(r)
			r.Close()
			got = append(got, string(b))
		}
		if want := []string{"ensemble 35", "ensemble 30", "standalone 10"}; !slices.Equal(got, want) {
			t.Errorf("snapshots %q, want %q", got, want)
		}
	})
}
