package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zabd/zabd/persistence"
)

// legacyQuorumDir is where an ensemble member of zabd kept its snapshots
// before standalone and ensemble shared SubDir. OpenDataDir moves them.
const legacyQuorumDir = "zabd-quorum"

// OpenDataDir opens the snapshot directory of dataDir, dataDir/zabd-snap,
// whichever mode the server runs in. It first moves into it the snapshots an
// ensemble member of an earlier zabd kept in dataDir/zabd-quorum (one
// rename each, so a crash halfway leaves each file in one place or the
// other, and the next open goes on), and removes that directory. Where both
// directories hold a snapshot of the same zxid, the one taken later is kept:
// it belongs to the history the log continues. It returns how many
// snapshots it moved.
func OpenDataDir(dataDir string) (*Dir, int, error) {
	dst := filepath.Join(dataDir, SubDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, 0, fmt.Errorf("snapshot: open %s: %w", dst, err)
	}
	moved, err := moveLegacy(filepath.Join(dataDir, legacyQuorumDir), dst)
	if err != nil {
		return nil, moved, err
	}
	d, err := OpenDir(dst)
	return d, moved, err
}

func moveLegacy(src, dst string) (int, error) {
	ents, err := os.ReadDir(src)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot: migrate %s: %w", src, err)
	}
	moved := 0
	for _, e := range ents {
		from := filepath.Join(src, e.Name())
		if _, ok := parseName(e.Name()); !ok || !e.Type().IsRegular() {
			if strings.HasPrefix(e.Name(), namePrefix) && strings.HasSuffix(e.Name(), tmpSuffix) {
				if err := os.Remove(from); err != nil {
					return moved, fmt.Errorf("snapshot: migrate: %w", err)
				}
			}
			continue // not ours: the directory stays
		}
		to := filepath.Join(dst, e.Name())
		if older(to, from) {
			if err := os.Remove(from); err != nil {
				return moved, fmt.Errorf("snapshot: migrate: %w", err)
			}
			continue
		}
		if err := os.Rename(from, to); err != nil {
			return moved, fmt.Errorf("snapshot: migrate: %w", err)
		}
		moved++
	}
	if moved > 0 {
		if err := syncDir(dst); err != nil {
			return moved, fmt.Errorf("snapshot: migrate: %w", err)
		}
	}
	// Left in place if it holds anything else.
	if err := os.Remove(src); err == nil {
		err = syncDir(filepath.Dir(src))
		if err != nil {
			return moved, fmt.Errorf("snapshot: migrate: %w", err)
		}
	}
	return moved, nil
}

// older reports whether the snapshot file from was taken before the one at
// to, which exists and is well-formed. A damaged from is older than
// anything.
func older(to, from string) bool {
	mt, err := ReadMeta(to)
	if err != nil {
		return false
	}
	mf, err := ReadMeta(from)
	return err != nil || mf.Time.Before(mt.Time)
}

// Install stores the snapshot of zxid that write produces and makes it the
// whole of st's data, as a learner does with a leader's SNAP
// (Learner.syncWithLeader) and as an import does: once it returns, the log
// is empty and its purge horizon is zxid+1, so that no older snapshot is
// used with it.
//
// It marks the install in st (persistence.MetaSnapInstalling) before the
// snapshot is written and clears the mark last; CompleteInstall, at start-up,
// finishes an install a crash interrupted. The caller owns st's log.
func (d *Dir) Install(st *persistence.Store, zxid int64, t time.Time, write func(io.Writer) error) (Meta, error) {
	if err := st.SetMetaZxid(persistence.MetaSnapInstalling, zxid); err != nil {
		return Meta{}, err
	}
	w, err := d.Create(zxid, t)
	if err != nil {
		return Meta{}, err
	}
	defer w.Abort()
	if err := write(w); err != nil {
		return Meta{}, fmt.Errorf("snapshot: install %#x: %w", zxid, err)
	}
	m, err := w.Commit()
	if err != nil {
		return Meta{}, err
	}
	if err := st.ResetLog(zxid + 1); err != nil {
		return m, err
	}
	return m, st.DeleteMeta(persistence.MetaSnapInstalling)
}

// CompleteInstall finishes an Install that a crash interrupted: if the
// snapshot it was writing is stored (and is the newest well-formed one) the
// old log goes, as Install would have dropped it; if not, the log is still
// the whole story and only the mark goes. It returns the zxid of the
// interrupted install (-1: none) and whether the snapshot was stored.
func (d *Dir) CompleteInstall(st *persistence.Store) (zxid int64, stored bool, err error) {
	zxid, err = st.MetaZxid(persistence.MetaSnapInstalling)
	if err != nil || zxid < 0 {
		return zxid, false, err
	}
	list, err := d.List()
	if err != nil {
		return zxid, false, err
	}
	for _, m := range list {
		if m.Err != nil {
			continue
		}
		if m.Zxid == zxid {
			stored = true
			if err := st.ResetLog(zxid + 1); err != nil {
				return zxid, true, err
			}
		}
		break
	}
	return zxid, stored, st.DeleteMeta(persistence.MetaSnapInstalling)
}
