package quorum

import (
	"errors"
	"io"
	"log/slog"
	"testing"

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
	// Three snapshots kept: the log starts after the oldest.
	if d.base != 10 || d.snap.Zxid != 30 || d.lastZxid() != 40 {
		t.Fatalf("base %d, snapshot %d, last %d; want 10, 30, 40", d.base, d.snap.Zxid, d.lastZxid())
	}
	if _, err := d.Entries(9, 40); !errors.Is(err, zab.ErrCompacted) {
		t.Errorf("Entries(9) = %v, want ErrCompacted", err)
	}
	if got := zxids(t, d, 10); len(got) != 30 || got[0] != 11 {
		t.Errorf("Entries(10) = %v", got)
	}
	if err := d.takeSnapshot(35, []byte("tree")); err != nil {
		t.Fatal(err)
	}
	if d.base != 20 || d.log.FirstZxid() != 21 {
		t.Errorf("after a fourth snapshot: base %d, first logged %d; want 20, 21", d.base, d.log.FirstZxid())
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	d = openTestDurable(t, dir, true)
	defer d.close()
	if d.base != 20 || d.snap.Zxid != 35 || d.lastZxid() != 40 {
		t.Errorf("reopened: base %d, snapshot %d, last %d; want 20, 35, 40", d.base, d.snap.Zxid, d.lastZxid())
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
	rc, err := d.snapshotReader()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(b) != "leader's tree" {
		t.Fatalf("snapshot = %q, %v", b, err)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
}

// TestDurableInterruptedInstall: a crash after the SNAP's snapshot is
// stored but before the old log is dropped must not mix the two histories.
func TestDurableInterruptedInstall(t *testing.T) {
	t.Run("after the snapshot", func(t *testing.T) {
		dir := t.TempDir()
		d := openTestDurable(t, dir, false)
		appendN(t, d, 0x100000001, 0x100000009)
		if err := d.setMetaZxid(metaInstalling, 0x100000004); err != nil {
			t.Fatal(err)
		}
		if err := d.writeSnapshot(0x100000004, []byte("x")); err != nil {
			t.Fatal(err)
		}
		d.close()
		d = openTestDurable(t, dir, false)
		defer d.close()
		if d.base != 0x100000004 || d.log.LastZxid() != 0 {
			t.Errorf("reopened: base %#x, log last %#x; want the log dropped", d.base, d.log.LastZxid())
		}
		if z, _ := d.metaZxid(metaInstalling); z != 0 {
			t.Errorf("install marker %#x left", z)
		}
	})
	t.Run("before the snapshot", func(t *testing.T) {
		dir := t.TempDir()
		d := openTestDurable(t, dir, false)
		appendN(t, d, 0x100000001, 0x100000009)
		if err := d.setMetaZxid(metaInstalling, 0x200000000); err != nil {
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
