package txnlog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zabd/zabd/persistence/txnlog"
)

// BenchmarkAppend measures a group commit of batch entries of 128 bytes with
// ForceSync: one badger commit and one fsync per op. txns/s is the throughput
// of a sync stage that always finds batch txns waiting; p50-ns is the median
// latency of one Append. mode=writebatch is the alternative write path the
// package does not use.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []string{"txn", "writebatch"} {
		for _, batch := range []int{1, 16, 128} {
			b.Run(fmt.Sprintf("mode=%s/batch=%d", mode, batch), func(b *testing.B) {
				l := openStore(b).Log()
				txnlog.SetWriteBatch(l, mode == "writebatch")
				value := make([]byte, 128)
				entries := make([]txnlog.Entry, batch)
				var z int64
				var lat []time.Duration
				b.ReportAllocs()
				b.SetBytes(int64(batch * len(value)))
				for b.Loop() {
					for i := range entries {
						z++
						entries[i] = txnlog.Entry{Zxid: z, Data: value}
					}
					t0 := time.Now()
					if err := l.Append(entries); err != nil {
						b.Fatalf("Append = %v", err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.ReportMetric(float64(z)/b.Elapsed().Seconds(), "txns/s")
				b.ReportMetric(float64(median(lat)), "p50-ns")
			})
		}
	}
}

// BenchmarkFsync measures this disk: write 128 bytes to a file and fsync it.
// p50-ns is the median of one fsync. mode=append grows the file each time, so
// every fsync also commits the new size; mode=overwrite rewrites the first
// block of a preallocated file, as badger does with its preallocated WAL
// (which it syncs with msync, a data-only sync).
func BenchmarkFsync(b *testing.B) {
	for _, mode := range []string{"append", "overwrite"} {
		b.Run("mode="+mode, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := f.Close(); err != nil {
					b.Error(err)
				}
			}()
			buf := make([]byte, 128)
			if mode == "overwrite" {
				if _, err := f.Write(make([]byte, 1<<20)); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			var lat []time.Duration
			for b.Loop() {
				if mode == "overwrite" {
					_, err = f.WriteAt(buf, 0)
				} else {
					_, err = f.Write(buf)
				}
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.ReportMetric(float64(median(lat)), "p50-ns")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}
