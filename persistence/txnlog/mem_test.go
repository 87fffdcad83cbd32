package txnlog_test

import (
	"errors"
	"testing"

	"github.com/zabd/zabd/persistence/txnlog"
)

var errInjected = errors.New("injected")

func TestMemCrashWithoutForceSync(t *testing.T) {
	m := txnlog.NewMem(false)
	mustAppend(t, m, 1, 2, 3)
	if got := m.SyncedZxid(); got != 0 {
		t.Errorf("SyncedZxid() = %d, want 0", got)
	}
	if err := m.Sync(); err != nil {
		t.Fatalf("Sync() = %v", err)
	}
	mustAppend(t, m, 4, 5)
	if err := m.TruncateAfter(1); err != nil {
		t.Fatalf("TruncateAfter(1) = %v", err)
	}
	checkLog(t, m, []int64{1})
	m.Crash()
	// The truncation was not synced either: the synced image comes back.
	checkLog(t, m, []int64{1, 2, 3})
	mustAppend(t, m, 4)
	checkLog(t, m, []int64{1, 2, 3, 4})
}

func TestMemCrashWithForceSync(t *testing.T) {
	m := txnlog.NewMem(true)
	mustAppend(t, m, 1, 2, 3)
	m.Crash()
	checkLog(t, m, []int64{1, 2, 3})
	if err := m.PurgeBefore(2); err != nil {
		t.Fatalf("PurgeBefore(2) = %v", err)
	}
	m.Crash()
	checkLog(t, m, []int64{2, 3})
}

func TestMemInjectAppend(t *testing.T) {
	m := txnlog.NewMem(true)
	m.InjectError(txnlog.OpAppend, 2, errInjected)
	mustAppend(t, m, 1)
	if err := m.Append(entries(2, 3)); err != errInjected {
		t.Fatalf("second Append = %v, want %v", err, errInjected)
	}
	// Written but not synced: visible until the crash.
	checkLog(t, m, []int64{1, 2, 3})
	if got := m.SyncedZxid(); got != 1 {
		t.Errorf("SyncedZxid() = %d, want 1", got)
	}
	// Poisoned until the crash.
	for name, err := range map[string]error{
		"Append":        m.Append(entries(4)),
		"Sync":          m.Sync(),
		"TruncateAfter": m.TruncateAfter(1),
		"PurgeBefore":   m.PurgeBefore(2),
	} {
		if err != errInjected {
			t.Errorf("%s after failed Append = %v, want %v", name, err, errInjected)
		}
	}
	m.Crash()
	checkLog(t, m, []int64{1})
	mustAppend(t, m, 2)
	checkLog(t, m, []int64{1, 2})
}

func TestMemInjectCounting(t *testing.T) {
	m := txnlog.NewMem(true)
	m.InjectError(txnlog.OpIterate, 3, errInjected)
	m.InjectError(txnlog.OpTruncate|txnlog.OpPurge, 2, errInjected)
	mustAppend(t, m, 1, 2, 3, 4)
	noop := func(int64, []byte) error { return nil }
	for i, want := range []error{nil, nil, errInjected, nil} {
		if err := m.Iterate(0, noop); err != want {
			t.Errorf("Iterate call %d = %v, want %v", i+1, err, want)
		}
	}
	if err := m.PurgeBefore(2); err != nil {
		t.Fatalf("PurgeBefore(2) = %v", err)
	}
	if err := m.TruncateAfter(3); err != errInjected {
		t.Fatalf("TruncateAfter(3) = %v, want %v", err, errInjected)
	}
	// A failed truncation changes nothing.
	checkLog(t, m, []int64{2, 3, 4})
	m.Crash()
	if err := m.TruncateAfter(3); err != nil {
		t.Fatalf("TruncateAfter(3) after Crash = %v", err)
	}
	checkLog(t, m, []int64{2, 3})
}

func TestMemInjectSync(t *testing.T) {
	m := txnlog.NewMem(false)
	m.InjectError(txnlog.OpSync, 1, errInjected)
	mustAppend(t, m, 1, 2)
	if err := m.Sync(); err != errInjected {
		t.Fatalf("Sync() = %v, want %v", err, errInjected)
	}
	m.Crash()
	checkLog(t, m, nil)
}

func TestMemInjectBadN(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("InjectError(n = 0) did not panic")
		}
	}()
	txnlog.NewMem(true).InjectError(txnlog.OpAll, 0, errInjected)
}
