package snapshot

import (
	"errors"
	"fmt"
)

// MinRetainCount is the fewest snapshots Purge keeps, as PurgeTxnLog.purge
// refuses a snapRetainCount below 3.
const MinRetainCount = 3

// LogPurger is the part of the txn log that Purge trims: *txnlog.Log has it.
type LogPurger interface {
	// PurgeBefore drops the entries with a zxid less than zxid.
	PurgeBefore(zxid int64) error
}

// PurgeResult says what Purge did.
type PurgeResult struct {
	Kept    []Meta // newest first
	Removed []Meta // newest first
	// LogBefore is the zxid the log was purged before (the oldest kept
	// snapshot's), 0 when the log was left alone.
	LogBefore int64
}

// Purge keeps the keep newest well-formed snapshots (at least
// MinRetainCount), removes every snapshot file older than the oldest of them,
// and then drops the log entries before that snapshot's zxid, which recovery
// from any kept snapshot no longer needs. With fewer than keep well-formed
// snapshots it removes nothing. log may be nil to leave the log alone.
//
// A damaged snapshot newer than the oldest kept one is left for an operator
// to look at; it does not count towards keep.
//
// Counterpart: PurgeTxnLog.purge, which DatadirCleanupManager runs every
// autopurge.purgeInterval hours.
func (d *Dir) Purge(keep int, log LogPurger) (PurgeResult, error) {
	keep = max(keep, MinRetainCount)
	var res PurgeResult
	all, err := d.List()
	if err != nil {
		return res, err
	}
	var oldest *Meta
	for i := range all {
		if all[i].Err != nil {
			continue
		}
		res.Kept = append(res.Kept, all[i])
		if len(res.Kept) == keep {
			oldest = &all[i]
			break
		}
	}
	if oldest == nil {
		return res, nil
	}
	var errs []error
	for _, m := range all {
		if m.Zxid < oldest.Zxid {
			if err := d.Remove(m); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Removed = append(res.Removed, m)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// Keep the log: a snapshot we failed to remove may be one that an
		// operator falls back to.
		return res, err
	}
	if log != nil {
		if err := log.PurgeBefore(oldest.Zxid); err != nil {
			return res, fmt.Errorf("snapshot: purge log before %#x: %w", oldest.Zxid, err)
		}
		res.LogBefore = oldest.Zxid
	}
	return res, nil
}
