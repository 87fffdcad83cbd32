package server

import (
	"fmt"
	"sync"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/txnlog"
)

// benchOps drives op through ts from `clients` raw sessions, each keeping
// `depth` requests in flight.
func benchOps(b *testing.B, ts *testServer, op zkproto.OpCode, clients, depth int) {
	rcs := make([]*rawClient, clients)
	for i := range rcs {
		rcs[i] = dialRaw(b, ts.addr, 30000)
		p := fmt.Sprintf("/b%d", i)
		if rh, _ := rcs[i].call(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: p, Data: make([]byte, 128), ACL: zkproto.OpenACLUnsafe}); rh.Err != zkproto.Ok {
			b.Fatalf("create %s: %v", p, rh.Err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	per := b.N/clients + 1
	var wg sync.WaitGroup
	for i, rc := range rcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rec jute.Record
			p := fmt.Sprintf("/b%d", i)
			if op == zkproto.OpSetData {
				rec = &zkproto.SetDataRequest{Path: p, Data: make([]byte, 128), Version: -1}
			} else {
				rec = &zkproto.PathWatch{Path: p}
			}
			e := jute.Encoder{}
			h := zkproto.RequestHeader{Xid: 2, Type: op}
			h.Encode(&e)
			rec.Encode(&e)
			body := e.Buf
			sent, got := 0, 0
			for got < per {
				for sent < per && sent-got < depth {
					rc.send(body)
					sent++
				}
				if _, err := rc.tryRecv(); err != nil {
					b.Error(err)
					return
				}
				got++
			}
		}()
	}
	wg.Wait()
}

func BenchmarkServerGetData(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			benchOps(b, startServer(b, nil, nil), zkproto.OpGetData, 32, depth)
		})
	}
}

func BenchmarkServerSetData(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			benchOps(b, startServer(b, nil, nil), zkproto.OpSetData, 32, depth)
		})
	}
}

// BenchmarkServerSetDataDurable is setData through a real server over the
// badger txn log with forceSync, as zabd-bench drives it: every client waits
// for its reply (depth 1), so each write waits for the fsync of its group
// commit. txns/fsync is the mean number of txns one log append made durable
// (mntr's avg_sync_processor_batch_size).
func BenchmarkServerSetDataDurable(b *testing.B) {
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			st, err := persistence.Open(persistence.Options{Dir: b.TempDir(), ForceSync: true})
			if err != nil {
				b.Fatal(err)
			}
			ts := startServerLog(b, nil, &durableLog{st: st})
			benchOps(b, ts, zkproto.OpSetData, clients, 1)
			b.StopTimer()
			if batch, _ := ts.s.syncStats.snapshot(); batch.Count > 0 {
				b.ReportMetric(float64(batch.Sum)/float64(batch.Count), "txns/fsync")
			}
		})
	}
}

// durableLog is a TxnLog over the badger store's log.
type durableLog struct {
	st  *persistence.Store
	buf []txnlog.Entry
}

func (l *durableLog) Append(batch []LogEntry) error {
	l.buf = l.buf[:0]
	for _, e := range batch {
		l.buf = append(l.buf, txnlog.Entry{Zxid: e.Zxid, Data: e.Data})
	}
	return l.st.Log().Append(l.buf)
}

func (l *durableLog) Iterate(after int64, fn func(zxid int64, data []byte) error) error {
	return l.st.Log().Iterate(after, fn)
}

func (l *durableLog) LastZxid() int64 { return l.st.Log().LastZxid() }
func (l *durableLog) Close() error    { return l.st.Close() }
