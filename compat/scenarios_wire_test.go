package compat

import (
	"encoding/binary"
	"time"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
)

// request encodes a request frame body: header and record.
func request(xid int32, op zkproto.OpCode, rec jute.Record) []byte {
	e := jute.NewEncoder(nil)
	(&zkproto.RequestHeader{Xid: xid, Type: op}).Encode(e)
	if rec != nil {
		rec.Encode(e)
	}
	return e.Buf
}

// be32 is a 4-byte big-endian integer.
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// readRaw reads bytes until the server closes the connection or d passes,
// and records them; it is for answers that are not frames (four-letter
// words).
func (c *rawConn) readRaw(d time.Duration) {
	if c.conn == nil {
		c.logf("!", "read on closed connection")
		return
	}
	deadline := time.Now().Add(d)
	got := append([]byte(nil), c.rbuf...)
	c.rbuf = nil
	var tmp [4096]byte
	var err error
	for {
		if err = c.conn.SetReadDeadline(deadline); err != nil {
			break
		}
		var k int
		k, err = c.conn.Read(tmp[:])
		got = append(got, tmp[:k]...)
		if err != nil {
			break
		}
	}
	c.logf("<", "raw %q then %s", got, netErr(err))
	c.close()
}

// wireScenarios cover framing and protocol edge cases: unknown opcodes,
// xids, bad frames before and after the handshake, pipelining, and the
// four-letter words on the client port. A bad frame must close only its own
// connection: each scenario checks that another session still works.
func wireScenarios() []scenario {
	return []scenario{
		{name: "unknown_opcode", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.create(s.p("eph"), nil, ephemeral)
			a.call(zkproto.OpCode(999), nil, "(unknown opcode)", nil)
			a.expectClosed()
			b.exists(s.root, false)
			a2 := s.reconnect(a, "A2") // the session outlived the connection
			a2.exists(s.p("eph"), false)
			a2.call(zkproto.OpCode(50), &zkproto.PathOnly{Path: s.root}, "(unassigned opcode with a body)", nil)
			a2.expectClosed()
			b.exists(s.p("eph"), false)
		}},
		{name: "notification_opcode_from_client", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.call(zkproto.OpNotification, nil, "(opcode 0)", nil)
			a.expectClosed()
			b.exists(s.root, false)
		}},
		{name: "xid_echo", run: func(s *scen) {
			a := s.setup()
			for _, xid := range []int32{7, 7, 1 << 30, 0x7fffffff, 0, 3, -5} {
				a.recv(a.sendXid(xid, zkproto.OpExists, &zkproto.PathWatch{Path: s.root}, "", bodyStat(a.tr)))
			}
			a.recv(a.sendXid(42, zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("n"), ACL: zkproto.OpenACLUnsafe}, "", bodyPath(a.tr)))
			a.recv(a.sendXid(41, zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("n"), ACL: zkproto.OpenACLUnsafe}, "", bodyPath(a.tr)))
			a.recv(a.sendXid(-100, zkproto.OpDelete, &zkproto.PathVersion{Path: s.p("n"), Version: -1}, "", nil))
		}},
		{name: "pipelined_requests_in_one_write", run: func(s *scen) {
			a := s.setup()
			a.cork()
			x1 := a.send(zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("a"), Data: []byte("1"), ACL: zkproto.OpenACLUnsafe}, "", bodyPath(a.tr))
			x2 := a.send(zkproto.OpGetData, &zkproto.PathWatch{Path: s.p("a")}, "", bodyGetData(a.tr))
			x3 := a.send(zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("a"), ACL: zkproto.OpenACLUnsafe}, "", bodyPath(a.tr))
			x4 := a.send(zkproto.OpSetData, &zkproto.SetDataRequest{Path: s.p("a"), Data: []byte("2"), Version: 0}, "", bodyStat(a.tr))
			x5 := a.send(zkproto.OpExists, &zkproto.PathWatch{Path: s.p("a")}, "", bodyStat(a.tr))
			x6 := a.sendXid(zkproto.XidPing, zkproto.OpPing, nil, "", nil)
			x7 := a.send(zkproto.OpDelete, &zkproto.PathVersion{Path: s.p("a"), Version: 1}, "", nil)
			a.uncork()
			for _, x := range []int32{x1, x2, x3, x4, x5, x6, x7} {
				a.recv(x)
			}
		}},
		{name: "frame_split_across_writes", run: func(s *scen) {
			a := s.setup()
			b := frame(request(1000, zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("split"), Data: []byte("pieces"), ACL: zkproto.OpenACLUnsafe}))
			a.logf(">", "#1000 create %q sent one byte per write", s.p("split"))
			a.pending[1000] = pendingReq{op: zkproto.OpCreate, write: true, body: bodyPath(a.tr)}
			for i := range b {
				if !a.write(b[i : i+1]) {
					break
				}
			}
			a.recv(1000)
			a.getData(s.p("split"), false)
		}},
		{name: "request_before_handshake", run: func(s *scen) {
			x := s.dial("X")
			x.sendRaw(frame(request(1, zkproto.OpGetData, &zkproto.PathWatch{Path: "/zookeeper"})), "getData before any ConnectRequest")
			x.expectClosed()
			a := s.setup()
			a.exists(s.root, false)
		}},
		{name: "short_frame_after_handshake", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.sendRaw(frame([]byte{0, 0, 1}), "3-byte frame: no room for a RequestHeader")
			a.expectClosed()
			b.exists(s.root, false)
		}},
		{name: "empty_frame_after_handshake", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.sendRaw(be32(0), "zero-length frame")
			a.ping()
			a.expectClosed()
			b.exists(s.root, false)
		}},
		{name: "oversized_length_after_handshake", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.sendRaw(append(be32(jute.DefaultMaxBuffer+1), request(5, zkproto.OpExists, &zkproto.PathWatch{Path: s.root})...), "length 0xfffff+1 (jute.maxbuffer+1)")
			a.expectClosed()
			b.exists(s.root, false)
		}},
		{name: "negative_length_after_handshake", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			a.sendRaw(be32(0xffffffff), "length -1")
			a.expectClosed()
			b.exists(s.root, false)
		}},
		{name: "oversized_length_before_handshake", run: func(s *scen) {
			x := s.dial("X")
			x.sendRaw(be32(0x7fffff00), "length 0x7fffff00 as the first bytes")
			x.expectClosed()
			y := s.dial("Y")
			y.sendRaw(be32(0xfffffffe), "length -2 as the first bytes")
			y.expectClosed()
			a := s.setup()
			a.exists(s.root, false)
		}},
		{name: "truncated_request_body", run: func(s *scen) {
			a := s.setup()
			b := s.connect("B")
			body := request(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("t"), Data: []byte("x"), ACL: zkproto.OpenACLUnsafe})
			a.pending[1] = pendingReq{op: zkproto.OpCreate, write: true, body: bodyPath(a.tr)}
			a.sendRaw(frame(body[:len(body)-6]), "create with its last 6 bytes cut off")
			a.recv(1)
			a.pending[2] = pendingReq{op: zkproto.OpGetData, body: bodyGetData(a.tr)}
			a.sendRaw(frame(append(request(2, zkproto.OpGetData, nil), 0, 0, 0, 100, '/')), "getData whose path length says 100 but has 1 byte")
			a.recv(2)
			a.exists(s.p("t"), false)
			a.expectNothing()
			b.exists(s.root, false)
		}},
		{name: "trailing_bytes_in_request", run: func(s *scen) {
			a := s.setup()
			a.pending[1] = pendingReq{op: zkproto.OpCreate, write: true, body: bodyPath(a.tr)}
			body := request(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: s.p("t"), Data: []byte("x"), ACL: zkproto.OpenACLUnsafe})
			a.sendRaw(frame(append(body, 1, 2, 3, 4, 5)), "create followed by 5 extra bytes")
			a.recv(1)
			a.getData(s.p("t"), false)
		}},
		{name: "four_letter_words", run: func(s *scen) {
			x := s.dial("X")
			x.sendRaw([]byte("ruok"), "ruok")
			x.readRaw(closeTimeout)
			y := s.dial("Y")
			y.sendRaw([]byte("abcd"), "abcd: not a four-letter word, so a length of 0x61626364")
			y.expectClosed()
			a := s.setup()
			a.sendRaw([]byte("ruok"), "ruok after the handshake: a frame length")
			a.expectClosed()
			b := s.connect("B")
			b.exists(s.root, false)
		}},
		{name: "who_am_i", run: func(s *scen) {
			a := s.setup()
			a.whoAmI()
		}},
		{name: "close_session_pipelined_behind_a_read", run: func(s *scen) {
			a := s.setup()
			a.cork()
			x1 := a.send(zkproto.OpExists, &zkproto.PathWatch{Path: s.root}, "", bodyStat(a.tr))
			x2 := a.send(zkproto.OpCloseSession, nil, "", nil)
			a.uncork()
			a.recv(x1)
			a.recv(x2)
			// NB: a request sent after closeSession in the same write gets
			// SessionExpired (-112) or no answer at all from ZooKeeper,
			// depending on timing; the scenario does not send one.
			a.expectClosed()
			b := s.connect("B")
			b.exists(s.root, false)
		}},
	}
}

// expectNothing checks that the connection is still open and quiet: a ping
// must be answered with nothing before it.
func (c *rawConn) expectNothing() {
	if c.conn == nil {
		c.logf("!", "connection closed")
		return
	}
	c.ping()
}
