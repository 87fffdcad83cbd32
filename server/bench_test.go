package server

import (
	"fmt"
	"sync"
	"testing"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// benchOps drives op through a real server from 32 raw sessions, each
// keeping `depth` requests in flight.
func benchOps(b *testing.B, op zkproto.OpCode, depth int) {
	ts := startServer(b, nil, nil)
	const clients = 32
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
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) { benchOps(b, zkproto.OpGetData, depth) })
	}
}

func BenchmarkServerSetData(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) { benchOps(b, zkproto.OpSetData, depth) })
	}
}
