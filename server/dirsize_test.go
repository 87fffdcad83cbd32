package server

import (
	"os"
	"path/filepath"
	"testing"
)

// dirSize counts the bytes a directory holds on disk: a sparse preallocated
// file (as Badger's value log is) adds next to nothing, written bytes count.
func TestDirSizeCountsBytesOnDisk(t *testing.T) {
	dir := t.TempDir()
	sparse, err := os.Create(filepath.Join(dir, "000001.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sparse.Truncate(128 << 20); err != nil {
		t.Fatal(err)
	}
	sparse.Close()
	if n := dirSize(dir); n >= 1<<20 {
		t.Fatalf("a 128 MiB sparse file counts %d bytes, want under 1 MiB", n)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "snap"), make([]byte, 100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := dirSize(dir); n < 100_000 || n >= 1<<20 {
		t.Fatalf("after writing 100000 bytes: %d, want at least 100000 and under 1 MiB", n)
	}
}
