package persistence_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/txnlog"
)

// TestOpenAfterKillInFileCreation reopens a store in which a process was
// killed between creating one of badger's log files and sizing it, which
// leaves an empty file: badger fails to open an empty value log or memtable
// WAL ("Create a new file"), and TestCrash met it when a child was killed in
// Open, which always creates a value log. Open removes them: they hold
// nothing.
func TestOpenAfterKillInFileCreation(t *testing.T) {
	for _, tc := range []struct{ kind, name string }{
		{"value log", "%06d.vlog"},
		{"memtable WAL", "%05d.mem"},
	} {
		name := tc.name
		t.Run(tc.kind, func(t *testing.T) {
			dir := t.TempDir()
			s, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Log().Append([]txnlog.Entry{{Zxid: 1, Data: []byte("one")}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			empty := filepath.Join(dir, persistence.SubDir, fmt.Sprintf(name, 99))
			if err := os.WriteFile(empty, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err = persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
			if err != nil {
				t.Fatalf("Open with an empty %s: %v", filepath.Base(empty), err)
			}
			defer s.Close()
			var got []byte
			if err := s.Log().Iterate(0, func(z int64, d []byte) error { got = append(got, d...); return nil }); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, []byte("one")) {
				t.Errorf("log after reopen = %q, want %q", got, "one")
			}
		})
	}
}

// TestOpenLeavesLockedStoreAlone checks that Open deletes nothing in a
// database another Open holds: there an empty file may be one badger has
// just created and is about to size.
func TestOpenLeavesLockedStoreAlone(t *testing.T) {
	dir := t.TempDir()
	s, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	empty := filepath.Join(dir, persistence.SubDir, "00099.mem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if s2, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true}); err == nil {
		s2.Close()
		t.Fatal("second Open of a store in use succeeded")
	}
	if _, err := os.Stat(empty); err != nil {
		t.Errorf("empty file in the store in use: %v", err)
	}
}
