package txnlog

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Op is a set of Mem methods, for InjectError.
type Op uint8

// The methods InjectError can fail.
const (
	OpAppend Op = 1 << iota
	OpSync
	OpTruncate
	OpPurge
	OpIterate
	OpAll = OpAppend | OpSync | OpTruncate | OpPurge | OpIterate
)

// Mem is an in-memory transaction log with the method set and semantics of
// Log, for crash and fault tests of the packages that use a log (pebble's
// CrashClone and errorfs ideas). It keeps two images: what readers see and
// what is durable. A write becomes durable when it is synced (by Append or a
// truncation with forceSync, or by Sync); Crash throws away everything else, as
// a power cut would. InjectError makes the nth call fail.
//
// Mem is safe for concurrent use, with Log's contract: one writer, any number
// of readers. Iterate does not hold Mem's lock while it calls fn.
type Mem struct {
	forceSync bool

	mu sync.Mutex // guards everything below; no I/O and no callbacks under it
	// entries is what readers see. A slice value once published is never
	// written to in place (writes append past its length or reallocate), so
	// Iterate can range over a copy of the header without the lock.
	entries []Entry
	// durable is what survives Crash: entries as of the last sync.
	durable []Entry
	err     error // sticky error of a failed write, cleared by Crash
	faults  []fault
}

type fault struct {
	ops Op
	n   int // calls of ops left before this one fails
	err error
}

// NewMem returns an empty Mem. forceSync mirrors Options.ForceSync: when
// false, writes stay volatile until Sync.
func NewMem(forceSync bool) *Mem {
	return &Mem{forceSync: forceSync}
}

// InjectError makes the nth call (1 is the next) of any method in ops fail
// with err. A failed Append leaves its batch written but not synced, visible to
// Iterate and LastZxid until Crash, as a badger commit followed by a failed
// fsync would. A failed Append, Sync, TruncateAfter or PurgeBefore poisons the
// Mem like Log: later writes return err until Crash. A failed Iterate calls fn
// for nothing. Several injections may be pending at once.
func (m *Mem) InjectError(ops Op, n int, err error) {
	if n < 1 {
		panic(fmt.Sprintf("txnlog: InjectError n = %d, want >= 1", n))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = append(m.faults, fault{ops: ops, n: n, err: err})
}

// fire counts one call of op and returns the error injected for it, if any.
// Caller holds mu.
func (m *Mem) fire(op Op) error {
	var err error
	kept := m.faults[:0]
	for _, f := range m.faults {
		if f.ops&op != 0 {
			f.n--
			if f.n == 0 {
				if err == nil {
					err = f.err
				}
				continue
			}
		}
		kept = append(kept, f)
	}
	m.faults = kept
	return err
}

// Crash simulates a power cut and restart: unsynced writes are lost, the
// poison of a failed write is cleared, pending injections stay.
func (m *Mem) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = slices.Clip(m.durable)
	m.err = nil
}

// SyncedZxid returns the last zxid that would survive Crash, 0 if none.
func (m *Mem) SyncedZxid() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.durable) == 0 {
		return 0
	}
	return m.durable[len(m.durable)-1].Zxid
}

// LastZxid is Log.LastZxid.
func (m *Mem) LastZxid() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) == 0 {
		return 0
	}
	return m.entries[len(m.entries)-1].Zxid
}

// FirstZxid is Log.FirstZxid.
func (m *Mem) FirstZxid() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) == 0 {
		return 0
	}
	return m.entries[0].Zxid
}

// Append is Log.Append.
func (m *Mem) Append(batch []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	var last int64
	if len(m.entries) > 0 {
		last = m.entries[len(m.entries)-1].Zxid
	}
	if err := checkOrder(last, batch); err != nil {
		return err
	}
	injected := m.fire(OpAppend)
	if m.err != nil {
		return m.err
	}
	for _, e := range batch {
		m.entries = append(m.entries, Entry{Zxid: e.Zxid, Data: slices.Clone(e.Data)})
	}
	if injected != nil {
		m.err = injected
		return injected
	}
	m.synced()
	return nil
}

// synced makes the current image durable when forceSync. Caller holds mu.
func (m *Mem) synced() {
	if m.forceSync {
		m.durable = m.entries
	}
}

// Sync is Log.Sync.
func (m *Mem) Sync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fire(OpSync); err != nil {
		m.err = err
	}
	if m.err != nil {
		return m.err
	}
	m.durable = m.entries
	return nil
}

// TruncateAfter is Log.TruncateAfter.
func (m *Mem) TruncateAfter(zxid int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fire(OpTruncate); err != nil {
		m.err = err
	}
	if m.err != nil {
		return m.err
	}
	if i := firstAfter(m.entries, zxid); i < len(m.entries) {
		m.entries = slices.Clip(m.entries[:i])
		m.synced()
	}
	return nil
}

// PurgeBefore is Log.PurgeBefore.
func (m *Mem) PurgeBefore(zxid int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fire(OpPurge); err != nil {
		m.err = err
	}
	if m.err != nil {
		return m.err
	}
	i := sort.Search(len(m.entries), func(i int) bool { return m.entries[i].Zxid >= zxid })
	if i > 0 {
		m.entries = m.entries[i:]
		m.synced()
	}
	return nil
}

// Iterate is Log.Iterate. fn sees Mem's own copy of each entry's data.
func (m *Mem) Iterate(after int64, fn func(zxid int64, data []byte) error) error {
	m.mu.Lock()
	err := m.fire(OpIterate)
	entries := m.entries
	m.mu.Unlock()
	if err != nil {
		return err
	}
	for _, e := range entries[firstAfter(entries, after):] {
		if err := fn(e.Zxid, e.Data); err != nil {
			return err
		}
	}
	return nil
}

// firstAfter returns the index of the first entry with a zxid above z.
func firstAfter(entries []Entry, z int64) int {
	return sort.Search(len(entries), func(i int) bool { return entries[i].Zxid > z })
}
