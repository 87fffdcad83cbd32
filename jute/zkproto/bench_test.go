package zkproto_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/zabd/zabd/jute"
	zk "github.com/zabd/zabd/jute/zkproto"
)

// benchCase is a hot-path message: the records encoded back to back, as in
// one packet body.
type benchCase struct {
	name  string
	parts []jute.Record
	fresh func() []jute.Record
}

func benchCases() []benchCase {
	cases := []benchCase{{
		name: "GetDataRequest",
		parts: []jute.Record{
			&zk.RequestHeader{Xid: 7, Type: zk.OpGetData},
			&zk.GetDataRequest{Path: "/zabd/bench/node-0000000042", Watch: true},
		},
		fresh: func() []jute.Record { return []jute.Record{&zk.RequestHeader{}, &zk.GetDataRequest{}} },
	}}
	for _, size := range []int{0, 128, 4096} {
		data := bytes.Repeat([]byte{'z'}, size)
		cases = append(cases,
			benchCase{
				name: fmt.Sprintf("CreateRequest/size=%d", size),
				parts: []jute.Record{
					&zk.RequestHeader{Xid: 8, Type: zk.OpCreate},
					&zk.CreateRequest{Path: "/zabd/bench/node-", Data: data, ACL: zk.OpenACLUnsafe, Flags: zk.ModePersistentSequential},
				},
				fresh: func() []jute.Record { return []jute.Record{&zk.RequestHeader{}, &zk.CreateRequest{}} },
			},
			benchCase{
				name: fmt.Sprintf("GetDataResponse/size=%d", size),
				parts: []jute.Record{
					&zk.ReplyHeader{Xid: 7, Zxid: 0x100000042},
					&zk.GetDataResponse{Data: data, Stat: gStat},
				},
				fresh: func() []jute.Record { return []jute.Record{&zk.ReplyHeader{}, &zk.GetDataResponse{}} },
			})
	}
	return cases
}

func BenchmarkEncode(b *testing.B) {
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			e := jute.Encoder{Buf: make([]byte, 0, 8192)}
			for _, r := range bc.parts {
				r.Encode(&e)
			}
			b.SetBytes(int64(len(e.Buf)))
			b.ReportAllocs()
			for b.Loop() {
				e.Buf = e.Buf[:0]
				for _, r := range bc.parts {
					r.Encode(&e)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range benchCases() {
		b.Run(bc.name, func(b *testing.B) {
			var e jute.Encoder
			for _, r := range bc.parts {
				r.Encode(&e)
			}
			in := e.Bytes()
			parts := bc.fresh()
			var d jute.Decoder
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				d.Reset(in, 0)
				for _, r := range parts {
					r.Decode(&d)
				}
				if d.Err() != nil || d.Remaining() != 0 {
					b.Fatalf("Decode(%x): err %v, %d bytes left", in, d.Err(), d.Remaining())
				}
			}
		})
	}
}
