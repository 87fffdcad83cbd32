package txnlog_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/txnlog"
)

// txnLog is the method set Log and Mem share; the tests below run on both.
type txnLog interface {
	Append(batch []txnlog.Entry) error
	LastZxid() int64
	FirstZxid() int64
	Iterate(after int64, fn func(zxid int64, data []byte) error) error
	TruncateAfter(zxid int64) error
	PurgeBefore(zxid int64) error
	Sync() error
}

var (
	_ txnLog = (*txnlog.Log)(nil)
	_ txnLog = (*txnlog.Mem)(nil)
)

// impls are the constructors of every implementation under test.
var impls = []struct {
	name string
	open func(t *testing.T) txnLog
}{
	{"badger", func(t *testing.T) txnLog { return openStore(t).Log() }},
	{"badger-writebatch", func(t *testing.T) txnLog {
		l := openStore(t).Log()
		txnlog.SetWriteBatch(l, true)
		return l
	}},
	{"mem", func(*testing.T) txnLog { return txnlog.NewMem(true) }},
}

func openStore(tb testing.TB) *persistence.Store {
	tb.Helper()
	s, err := persistence.Open(persistence.Options{Dir: tb.TempDir(), ForceSync: true})
	if err != nil {
		tb.Fatalf("persistence.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func forEachImpl(t *testing.T, f func(t *testing.T, l txnLog)) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) { f(t, impl.open(t)) })
	}
}

// data returns the test payload of zxid: its length and bytes depend on zxid,
// and it is empty for every 7th zxid.
func data(zxid int64) []byte {
	b := make([]byte, int(uint64(zxid)%7)*19)
	for i := range b {
		b[i] = byte(zxid*31 + int64(i))
	}
	return b
}

func entries(zxids ...int64) []txnlog.Entry {
	es := make([]txnlog.Entry, len(zxids))
	for i, z := range zxids {
		es[i] = txnlog.Entry{Zxid: z, Data: data(z)}
	}
	return es
}

// seq returns the zxids from, from+1, ..., to.
func seq(from, to int64) []int64 {
	var zs []int64
	for z := from; z <= to; z++ {
		zs = append(zs, z)
	}
	return zs
}

func mustAppend(t *testing.T, l txnLog, zxids ...int64) {
	t.Helper()
	if err := l.Append(entries(zxids...)); err != nil {
		t.Fatalf("Append(%#x) = %v", zxids, err)
	}
}

// dump returns the zxids after after, checking each one's data.
func dump(t *testing.T, l txnLog, after int64) []int64 {
	t.Helper()
	var zs []int64
	err := l.Iterate(after, func(z int64, d []byte) error {
		if !bytes.Equal(d, data(z)) {
			t.Errorf("Iterate: zxid %#x data %x, want %x", z, d, data(z))
		}
		zs = append(zs, z)
		return nil
	})
	if err != nil {
		t.Fatalf("Iterate(%#x) = %v", after, err)
	}
	return zs
}

// checkLog checks the whole content and bounds of l.
func checkLog(t *testing.T, l txnLog, want []int64) {
	t.Helper()
	if got := dump(t, l, 0); !slices.Equal(got, want) {
		t.Errorf("Iterate(0) = %#x, want %#x", got, want)
	}
	var first, last int64
	if len(want) > 0 {
		first, last = want[0], want[len(want)-1]
	}
	if got := l.FirstZxid(); got != first {
		t.Errorf("FirstZxid() = %#x, want %#x", got, first)
	}
	if got := l.LastZxid(); got != last {
		t.Errorf("LastZxid() = %#x, want %#x", got, last)
	}
}

func TestEmpty(t *testing.T) {
	forEachImpl(t, func(t *testing.T, l txnLog) {
		checkLog(t, l, nil)
		if err := l.Append(nil); err != nil {
			t.Errorf("Append(nil) = %v", err)
		}
		if err := l.TruncateAfter(0); err != nil {
			t.Errorf("TruncateAfter(0) = %v", err)
		}
		if err := l.PurgeBefore(5); err != nil {
			t.Errorf("PurgeBefore(5) = %v", err)
		}
		if err := l.Sync(); err != nil {
			t.Errorf("Sync() = %v", err)
		}
		checkLog(t, l, nil)
	})
}

func TestAppendIterate(t *testing.T) {
	forEachImpl(t, func(t *testing.T, l txnLog) {
		mustAppend(t, l, 0x100000001)
		mustAppend(t, l, seq(0x100000002, 0x100000010)...)
		mustAppend(t, l, 0x200000001, 0x200000005, 0x300000000)
		all := append(seq(0x100000001, 0x100000010), 0x200000001, 0x200000005, 0x300000000)
		checkLog(t, l, all)

		for _, tc := range []struct {
			after int64
			want  []int64
		}{
			{math.MinInt64, all},
			{-1, all},
			{0x100000000, all},
			{0x100000001, all[1:]},
			{0x10000000f, all[15:]},
			{0x200000000, all[16:]},
			{0x200000002, all[17:]},
			{0x300000000, nil},
			{math.MaxInt64, nil},
		} {
			if got := dump(t, l, tc.after); !slices.Equal(got, tc.want) {
				t.Errorf("Iterate(%#x) = %#x, want %#x", tc.after, got, tc.want)
			}
		}

		stop := errors.New("stop")
		var seen []int64
		err := l.Iterate(0, func(z int64, _ []byte) error {
			seen = append(seen, z)
			if len(seen) == 3 {
				return stop
			}
			return nil
		})
		if err != stop || !slices.Equal(seen, all[:3]) {
			t.Errorf("Iterate stopped by fn = %v after %#x, want %v after %#x", err, seen, stop, all[:3])
		}
	})
}

func TestAppendDoesNotRetain(t *testing.T) {
	forEachImpl(t, func(t *testing.T, l txnLog) {
		batch := entries(1, 2, 3)
		if err := l.Append(batch); err != nil {
			t.Fatalf("Append = %v", err)
		}
		for _, e := range batch {
			for i := range e.Data {
				e.Data[i] ^= 0xff
			}
		}
		checkLog(t, l, []int64{1, 2, 3})
	})
}

func TestAppendOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		batch []int64
	}{
		{"zero", []int64{0}},
		{"negative", []int64{-5}},
		{"equal to last", []int64{0x100000005}},
		{"below last", []int64{0x100000003, 0x100000006}},
		{"duplicate in batch", []int64{0x100000006, 0x100000007, 0x100000007}},
		{"decreasing in batch", []int64{0x100000007, 0x100000006}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachImpl(t, func(t *testing.T, l txnLog) {
				mustAppend(t, l, seq(0x100000001, 0x100000005)...)
				err := l.Append(entries(tc.batch...))
				if !errors.Is(err, txnlog.ErrOrder) {
					t.Errorf("Append(%#x) = %v, want ErrOrder", tc.batch, err)
				}
				checkLog(t, l, seq(0x100000001, 0x100000005))
				// A rejected batch does not poison the log.
				mustAppend(t, l, 0x100000006)
			})
		})
	}
	t.Run("zero into empty", func(t *testing.T) {
		forEachImpl(t, func(t *testing.T, l txnLog) {
			if err := l.Append(entries(0)); !errors.Is(err, txnlog.ErrOrder) {
				t.Errorf("Append(0) = %v, want ErrOrder", err)
			}
			checkLog(t, l, nil)
		})
	})
}

func TestTruncateAfter(t *testing.T) {
	// The log holds 0x100000001..0x100000005 and 0x200000001..0x200000003.
	full := append(seq(0x100000001, 0x100000005), seq(0x200000001, 0x200000003)...)
	for _, tc := range []struct {
		name  string
		purge int64 // PurgeBefore first, if not 0
		after int64
		want  []int64
	}{
		{"to last", 0, 0x200000003, full},
		{"beyond last", 0, 0x300000000, full},
		{"one", 0, 0x200000002, full[:7]},
		{"to epoch boundary", 0, 0x200000000, full[:5]},
		{"into gap", 0, 0x1ffffffff, full[:5]},
		{"to existing mid", 0, 0x100000003, full[:3]},
		{"to first", 0, 0x100000001, full[:1]},
		{"to 0", 0, 0, nil},
		{"negative", 0, -1, nil},
		{"below first after purge", 0x200000001, 0x100000004, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachImpl(t, func(t *testing.T, l txnLog) {
				mustAppend(t, l, full...)
				if tc.purge != 0 {
					if err := l.PurgeBefore(tc.purge); err != nil {
						t.Fatalf("PurgeBefore(%#x) = %v", tc.purge, err)
					}
				}
				if err := l.TruncateAfter(tc.after); err != nil {
					t.Fatalf("TruncateAfter(%#x) = %v", tc.after, err)
				}
				checkLog(t, l, tc.want)
				// The log takes zxids again right after the new tail, as a
				// follower does after TRUNC.
				next := max(tc.after, l.LastZxid()) + 1
				mustAppend(t, l, next)
				checkLog(t, l, append(slices.Clone(tc.want), next))
			})
		})
	}
}

func TestPurgeBefore(t *testing.T) {
	full := append(seq(0x100000001, 0x100000005), seq(0x200000001, 0x200000003)...)
	for _, tc := range []struct {
		name   string
		before int64
		want   []int64
	}{
		{"negative", -1, full},
		{"0", 0, full},
		{"first", 0x100000001, full},
		{"second", 0x100000002, full[1:]},
		{"into gap", 0x1ffffffff, full[5:]},
		{"mid", 0x200000002, full[6:]},
		{"last", 0x200000003, full[7:]},
		{"beyond last", 0x200000004, nil},
		{"far beyond", math.MaxInt64, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachImpl(t, func(t *testing.T, l txnLog) {
				mustAppend(t, l, full...)
				if err := l.PurgeBefore(tc.before); err != nil {
					t.Fatalf("PurgeBefore(%#x) = %v", tc.before, err)
				}
				checkLog(t, l, tc.want)
				mustAppend(t, l, 0x300000001)
				checkLog(t, l, append(slices.Clone(tc.want), 0x300000001))
			})
		})
	}
}

// TestLargeBatch covers a batch beyond one badger transaction (1.2 MiB) and
// values beyond badger's 1 MiB value threshold, which live in its value log.
func TestLargeBatch(t *testing.T) {
	forEachImpl(t, func(t *testing.T, l txnLog) {
		var batch []txnlog.Entry
		for z := int64(1); z <= 400; z++ {
			d := bytes.Repeat([]byte{byte(z)}, 10<<10)
			if z%100 == 0 {
				d = bytes.Repeat([]byte{byte(z)}, 2<<20)
			}
			batch = append(batch, txnlog.Entry{Zxid: z, Data: d})
		}
		if err := l.Append(batch); err != nil {
			t.Fatalf("Append = %v", err)
		}
		i := 0
		err := l.Iterate(0, func(z int64, d []byte) error {
			if z != batch[i].Zxid || !bytes.Equal(d, batch[i].Data) {
				t.Fatalf("Iterate entry %d = %#x (%d bytes), want %#x (%d bytes)", i, z, len(d), batch[i].Zxid, len(batch[i].Data))
			}
			i++
			return nil
		})
		if err != nil || i != len(batch) {
			t.Fatalf("Iterate = %v after %d entries, want nil after %d", err, i, len(batch))
		}
		if err := l.TruncateAfter(150); err != nil {
			t.Fatalf("TruncateAfter = %v", err)
		}
		if err := l.PurgeBefore(100); err != nil {
			t.Fatalf("PurgeBefore = %v", err)
		}
		if first, last := l.FirstZxid(), l.LastZxid(); first != 100 || last != 150 {
			t.Errorf("bounds = %d..%d, want 100..150", first, last)
		}
	})
}

// TestConcurrentReaders runs one appender (which also truncates and purges)
// against readers that check every Iterate sees a gapless, ordered run and
// that LastZxid never goes backwards while only Append runs.
func TestConcurrentReaders(t *testing.T) {
	forEachImpl(t, func(t *testing.T, l txnLog) {
		const batches = 60
		done := make(chan struct{})
		var wg sync.WaitGroup
		for r := 0; r < 2; r++ {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					var prev int64
					err := l.Iterate(0, func(z int64, d []byte) error {
						if prev != 0 && z != prev+1 {
							return fmt.Errorf("zxid %#x after %#x", z, prev)
						}
						if !bytes.Equal(d, data(z)) {
							return fmt.Errorf("zxid %#x: data %x, want %x", z, d, data(z))
						}
						prev = z
						return nil
					})
					if err != nil {
						t.Errorf("Iterate = %v", err)
						return
					}
				}
			})
		}
		z := int64(0)
		for i := 0; i < batches; i++ {
			n := int64(i%5 + 1)
			mustAppend(t, l, seq(z+1, z+n)...)
			z += n
			switch i % 20 {
			case 10:
				if err := l.TruncateAfter(z - 2); err != nil {
					t.Fatalf("TruncateAfter = %v", err)
				}
				z -= 2
			case 19:
				if err := l.PurgeBefore(z - 5); err != nil {
					t.Fatalf("PurgeBefore = %v", err)
				}
			}
		}
		close(done)
		wg.Wait()
		if got := l.LastZxid(); got != z {
			t.Errorf("LastZxid() = %d, want %d", got, z)
		}
	})
}
