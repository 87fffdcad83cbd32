package persistence

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// removeEmptyLogs deletes the empty value-log ("*.vlog") and memtable WAL
// ("*.mem") files in badger's directory path before badger opens it.
//
// Badger creates such a file with O_CREATE and then sizes it with ftruncate;
// a process killed in between (TestCrash kills children in Open, which
// always creates a value log) leaves a file of 0 bytes, which badger then
// refuses to open ("Create a new file") until someone deletes it. An empty
// file holds no data, and nothing refers to it by name, so deleting it loses
// nothing.
//
// It deletes only while it holds the flock badger takes on the directory, so
// that it never touches a file another process has just created in a
// database it has open; when the lock is taken it does nothing and badger's
// Open reports the lock.
func removeEmptyLogs(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close() // releases the flock
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil
		}
		return fmt.Errorf("flock %s: %w", path, err)
	}
	ents, err := d.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !(strings.HasSuffix(e.Name(), ".vlog") || strings.HasSuffix(e.Name(), ".mem")) {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if info.Size() == 0 {
			if err := os.Remove(filepath.Join(path, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
