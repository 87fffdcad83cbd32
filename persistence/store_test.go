package persistence_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/txnlog"
)

func open(t *testing.T, dir string, forceSync bool) *persistence.Store {
	t.Helper()
	s, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: forceSync})
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// payload is the test data of zxid; its length varies with zxid.
func payload(zxid int64) []byte {
	b := make([]byte, int(uint64(zxid)%97)*13)
	for i := range b {
		b[i] = byte(uint64(zxid)>>3) + byte(i)
	}
	return b
}

func appendSeq(t *testing.T, l *txnlog.Log, from, to int64) {
	t.Helper()
	var batch []txnlog.Entry
	for z := from; z <= to; z++ {
		batch = append(batch, txnlog.Entry{Zxid: z, Data: payload(z)})
	}
	if err := l.Append(batch); err != nil {
		t.Fatalf("Append(%#x..%#x) = %v", from, to, err)
	}
}

// contents returns the zxids of l, checking each one's data.
func contents(t *testing.T, l *txnlog.Log) []int64 {
	t.Helper()
	var zs []int64
	err := l.Iterate(0, func(z int64, d []byte) error {
		if !bytes.Equal(d, payload(z)) {
			return fmt.Errorf("zxid %#x: data %x, want %x", z, d, payload(z))
		}
		zs = append(zs, z)
		return nil
	})
	if err != nil {
		t.Fatalf("Iterate = %v", err)
	}
	return zs
}

func seq(from, to int64) []int64 {
	var zs []int64
	for z := from; z <= to; z++ {
		zs = append(zs, z)
	}
	return zs
}

func TestOpenLayout(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, true)
	if got, want := s.Path(), filepath.Join(dir, "zabd"); got != want {
		t.Errorf("Path() = %s, want %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "zabd", "MANIFEST")); err != nil {
		t.Errorf("no MANIFEST: %v", err)
	}
	// Keyspaces stay apart.
	if persistence.PrefixLog == persistence.PrefixMeta || persistence.PrefixLog == persistence.PrefixSnapshot ||
		persistence.PrefixMeta == persistence.PrefixSnapshot {
		t.Errorf("prefixes collide: %q %q %q", persistence.PrefixLog, persistence.PrefixMeta, persistence.PrefixSnapshot)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := persistence.Open(persistence.Options{}); err == nil {
		t.Errorf("Open with no Dir = nil error")
	}
	dir := t.TempDir()
	open(t, dir, true)
	if s, err := persistence.Open(persistence.Options{Dir: dir}); err == nil {
		t.Errorf("second Open of a locked store = nil error")
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}

func TestEpochs(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, true)
	for name, get := range map[string]func() (int64, error){
		"AcceptedEpoch": s.AcceptedEpoch,
		"CurrentEpoch":  s.CurrentEpoch,
	} {
		if got, err := get(); got != -1 || !errors.Is(err, persistence.ErrNotFound) {
			t.Errorf("%s() on a fresh store = %d, %v, want -1, ErrNotFound", name, got, err)
		}
	}
	for _, tc := range []struct{ accepted, current int64 }{
		{0, 0},
		{5, 4},
		{0x7fffffff, 0x7ffffffe},
	} {
		if err := s.SetAcceptedEpoch(tc.accepted); err != nil {
			t.Fatalf("SetAcceptedEpoch(%d) = %v", tc.accepted, err)
		}
		if err := s.SetCurrentEpoch(tc.current); err != nil {
			t.Fatalf("SetCurrentEpoch(%d) = %v", tc.current, err)
		}
		if got, err := s.AcceptedEpoch(); got != tc.accepted || err != nil {
			t.Errorf("AcceptedEpoch() = %d, %v, want %d, nil", got, err, tc.accepted)
		}
		if got, err := s.CurrentEpoch(); got != tc.current || err != nil {
			t.Errorf("CurrentEpoch() = %d, %v, want %d, nil", got, err, tc.current)
		}
	}
}

func TestMeta(t *testing.T) {
	s := open(t, t.TempDir(), false)
	if _, err := s.Meta("updatingEpoch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Errorf("Meta(missing) = %v, want ErrNotFound", err)
	}
	for _, v := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("ab"), 1000)} {
		if err := s.SetMeta("updatingEpoch", v); err != nil {
			t.Fatalf("SetMeta = %v", err)
		}
		if got, err := s.Meta("updatingEpoch"); !bytes.Equal(got, v) || err != nil {
			t.Errorf("Meta = %q, %v, want %q, nil", got, err, v)
		}
	}
	if err := s.DeleteMeta("updatingEpoch"); err != nil {
		t.Fatalf("DeleteMeta = %v", err)
	}
	if err := s.DeleteMeta("updatingEpoch"); err != nil {
		t.Fatalf("DeleteMeta(missing) = %v", err)
	}
	if _, err := s.Meta("updatingEpoch"); !errors.Is(err, persistence.ErrNotFound) {
		t.Errorf("Meta(deleted) = %v, want ErrNotFound", err)
	}
}

func TestReopen(t *testing.T) {
	for _, forceSync := range []bool{true, false} {
		t.Run(fmt.Sprintf("forceSync=%t", forceSync), func(t *testing.T) {
			dir := t.TempDir()
			s, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: forceSync})
			if err != nil {
				t.Fatalf("Open = %v", err)
			}
			appendSeq(t, s.Log(), 0x100000001, 0x100000010)
			appendSeq(t, s.Log(), 0x200000001, 0x200000040)
			if err := s.Log().PurgeBefore(0x100000005); err != nil {
				t.Fatalf("PurgeBefore = %v", err)
			}
			if err := s.Log().TruncateAfter(0x200000030); err != nil {
				t.Fatalf("TruncateAfter = %v", err)
			}
			if err := s.SetAcceptedEpoch(3); err != nil {
				t.Fatalf("SetAcceptedEpoch = %v", err)
			}
			if err := s.SetCurrentEpoch(2); err != nil {
				t.Fatalf("SetCurrentEpoch = %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close = %v", err)
			}

			s = open(t, dir, forceSync)
			want := append(seq(0x100000005, 0x100000010), seq(0x200000001, 0x200000030)...)
			if got := contents(t, s.Log()); !slices.Equal(got, want) {
				t.Errorf("after reopen Iterate = %#x, want %#x", got, want)
			}
			if first, last := s.Log().FirstZxid(), s.Log().LastZxid(); first != 0x100000005 || last != 0x200000030 {
				t.Errorf("after reopen bounds = %#x..%#x, want 0x100000005..0x200000030", first, last)
			}
			if got, err := s.AcceptedEpoch(); got != 3 || err != nil {
				t.Errorf("after reopen AcceptedEpoch() = %d, %v, want 3, nil", got, err)
			}
			if got, err := s.CurrentEpoch(); got != 2 || err != nil {
				t.Errorf("after reopen CurrentEpoch() = %d, %v, want 2, nil", got, err)
			}
			appendSeq(t, s.Log(), 0x200000031, 0x200000031)
		})
	}
}

func logKey(zxid int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{persistence.PrefixLog}, uint64(zxid))
}

// rewrite replaces the value of key through the badger API.
func rewrite(t *testing.T, s *persistence.Store, key []byte, edit func(v []byte) []byte) {
	t.Helper()
	err := s.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		return txn.Set(key, edit(v))
	})
	if err != nil {
		t.Fatalf("rewrite %x: %v", key, err)
	}
}

func TestCorruptLog(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, s *persistence.Store)
		seen    []int64 // entries Iterate hands over before the error
	}{
		{"data byte flipped", func(t *testing.T, s *persistence.Store) {
			rewrite(t, s, logKey(5), func(v []byte) []byte { v[len(v)-1] ^= 0x10; return v })
		}, seq(1, 4)},
		{"checksum byte flipped", func(t *testing.T, s *persistence.Store) {
			rewrite(t, s, logKey(3), func(v []byte) []byte { v[0] ^= 0x01; return v })
		}, seq(1, 2)},
		{"truncated value", func(t *testing.T, s *persistence.Store) {
			rewrite(t, s, logKey(4), func(v []byte) []byte { return v[:3] })
		}, seq(1, 3)},
		{"empty value", func(t *testing.T, s *persistence.Store) {
			rewrite(t, s, logKey(2), func([]byte) []byte { return nil })
		}, seq(1, 1)},
		{"value under another zxid", func(t *testing.T, s *persistence.Store) {
			var six []byte
			rewrite(t, s, logKey(6), func(v []byte) []byte { six = slices.Clone(v); return v })
			rewrite(t, s, logKey(7), func([]byte) []byte { return six })
		}, seq(1, 6)},
		{"malformed key", func(t *testing.T, s *persistence.Store) {
			err := s.Update(func(txn *badger.Txn) error {
				return txn.Set(append(logKey(5), 0xff), []byte("junk"))
			})
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
		}, seq(1, 5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, t.TempDir(), true)
			appendSeq(t, s.Log(), 1, 10)
			tc.corrupt(t, s)
			var seen []int64
			err := s.Log().Iterate(0, func(z int64, d []byte) error {
				if !bytes.Equal(d, payload(z)) {
					t.Errorf("Iterate handed over zxid %#x with data %x, want %x", z, d, payload(z))
				}
				seen = append(seen, z)
				return nil
			})
			if !errors.Is(err, persistence.ErrCorrupt) {
				t.Errorf("Iterate = %v, want ErrCorrupt", err)
			}
			if !slices.Equal(seen, tc.seen) {
				t.Errorf("Iterate handed over %v before the error, want %v", seen, tc.seen)
			}
		})
	}
}

func TestCorruptEpoch(t *testing.T) {
	s := open(t, t.TempDir(), true)
	if err := s.SetCurrentEpoch(7); err != nil {
		t.Fatalf("SetCurrentEpoch = %v", err)
	}
	key := append([]byte{persistence.PrefixMeta}, persistence.MetaCurrentEpoch...)
	rewrite(t, s, key, func(v []byte) []byte { v[len(v)-1] ^= 0x02; return v })
	if got, err := s.CurrentEpoch(); got != -1 || !errors.Is(err, persistence.ErrCorrupt) {
		t.Errorf("CurrentEpoch() = %d, %v, want -1, ErrCorrupt", got, err)
	}
	// A well-formed value of the wrong length is corrupt too.
	if err := s.SetMeta(persistence.MetaAcceptedEpoch, []byte{1, 2, 3}); err != nil {
		t.Fatalf("SetMeta = %v", err)
	}
	if got, err := s.AcceptedEpoch(); got != -1 || !errors.Is(err, persistence.ErrCorrupt) {
		t.Errorf("AcceptedEpoch() = %d, %v, want -1, ErrCorrupt", got, err)
	}
}

// TestMetaOfEarlierEnsembleLayout: the metadata an ensemble member of an
// earlier zabd wrote is renamed on open. quorumLogBase B means the log holds
// every txn after B, the horizon B+1; a higher horizon already stored (a
// standalone purge of the same log) stays.
func TestMetaOfEarlierEnsembleLayout(t *testing.T) {
	for _, tc := range []struct {
		name       string
		meta       map[string]int64
		wantPurged int64
		wantMark   int64
	}{
		{"base", map[string]int64{"quorumLogBase": 0x100000004}, 0x100000005, -1},
		{"base 0", map[string]int64{"quorumLogBase": 0}, 0, -1},
		{"base below horizon", map[string]int64{"quorumLogBase": 7, persistence.MetaPurgedBefore: 20}, 20, -1},
		{"base above horizon", map[string]int64{"quorumLogBase": 30, persistence.MetaPurgedBefore: 20}, 31, -1},
		{"installing", map[string]int64{"quorumLogBase": 3, "quorumSnapInstalling": 9}, 4, 9},
		{"current layout", map[string]int64{persistence.MetaPurgedBefore: 20, persistence.MetaSnapInstalling: 21}, 20, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := persistence.Open(persistence.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.meta {
				if err := s.SetMetaZxid(k, v); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir, true)
			if p, err := s.PurgedBefore(); p != tc.wantPurged || err != nil {
				t.Errorf("PurgedBefore = %#x, %v; want %#x", p, err, tc.wantPurged)
			}
			if z, err := s.MetaZxid(persistence.MetaSnapInstalling); z != tc.wantMark || err != nil {
				t.Errorf("%s = %d, %v; want %d", persistence.MetaSnapInstalling, z, err, tc.wantMark)
			}
			for _, old := range []string{"quorumLogBase", "quorumSnapInstalling"} {
				if _, err := s.Meta(old); !errors.Is(err, persistence.ErrNotFound) {
					t.Errorf("%s left: %v", old, err)
				}
			}
		})
	}
}

func TestPurgeBeforeAndResetLog(t *testing.T) {
	s := open(t, t.TempDir(), true)
	appendSeq(t, s.Log(), 1, 30)
	if p, err := s.PurgedBefore(); p != 0 || err != nil {
		t.Fatalf("PurgedBefore of a new store = %d, %v", p, err)
	}
	if err := s.PurgeBefore(10); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PurgedBefore(); p != 10 || s.Log().FirstZxid() != 10 {
		t.Errorf("after PurgeBefore(10): horizon %d, first %d; want 10, 10", p, s.Log().FirstZxid())
	}
	if err := s.PurgeBefore(5); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PurgedBefore(); p != 10 {
		t.Errorf("PurgeBefore(5) lowered the horizon to %d", p)
	}
	if err := s.ResetLog(8); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PurgedBefore(); p != 8 || s.Log().LastZxid() != 0 || len(contents(t, s.Log())) != 0 {
		t.Errorf("after ResetLog(8): horizon %d, last %d; want 8 and an empty log", p, s.Log().LastZxid())
	}
}
