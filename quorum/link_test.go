package quorum

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	zk "github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/quorum/zab"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (a, b net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	a, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b = <-accepted
	if b == nil {
		t.FailNow()
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// startLink runs l's writer goroutine until the test ends.
func startLink(t testing.TB, l *link) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.writeLoop(time.Minute)
	}()
	t.Cleanup(func() {
		l.close()
		wg.Wait()
	})
}

func proposal(zxid int64, size int) zk.QuorumPacket {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(zxid + int64(i))
	}
	return zk.QuorumPacket{Type: int32(zab.Proposal), Zxid: zxid, Data: data}
}

// readPackets reads n packets from c and checks that they are proposals
// 1..n as proposal(zxid, size) made them.
func readPackets(t *testing.T, c net.Conn, n, size int) {
	t.Helper()
	br := bufio.NewReader(c)
	for z := int64(1); z <= int64(n); z++ {
		p, err := readPacket(br, 1<<20)
		if err != nil {
			t.Fatalf("packet %d: readPacket = %v", z, err)
		}
		if want := proposal(z, size); p.Zxid != want.Zxid || !bytes.Equal(p.Data, want.Data) {
			t.Fatalf("packet %d: got zxid %#x (%d bytes), want %#x", z, p.Zxid, len(p.Data), want.Zxid)
		}
	}
}

// TestLinkOrderUnderBackpressure sends far more than the socket buffers
// hold while the peer does not read: the loop's own writes fill the
// socket, the rest queues for the writer goroutine, and later flushes
// queue behind it. The peer must read every packet once, in order.
func TestLinkOrderUnderBackpressure(t *testing.T) {
	a, b := tcpPair(t)
	l := newLink(2, a)
	if l.fd == nil {
		t.Skip("no raw writes on this platform")
	}
	startLink(t, l)
	const n, size, perFlush = 8000, 4 << 10, 7 // 32 MB, well past loopback buffers
	for z := int64(1); z <= n; z++ {
		l.send(outgoing{pkt: proposal(z, size)})
		if z%perFlush == 0 || z == n {
			l.flush()
		}
	}
	l.mu.Lock()
	queued := len(l.queue) > 0 || l.busy
	l.mu.Unlock()
	if !queued {
		t.Errorf("nothing went to the writer goroutine; the test does not cover it")
	}
	readPackets(t, b, n, size)
}

// TestLinkPipe: without a file descriptor (net.Pipe), every flush goes
// through the writer goroutine, in order.
func TestLinkPipe(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	l := newLink(2, a)
	if l.fd != nil {
		t.Fatal("net.Pipe has a raw writer")
	}
	startLink(t, l)
	go func() {
		for z := int64(1); z <= 100; z++ {
			l.send(outgoing{pkt: proposal(z, 100)})
			if z%3 == 0 || z == 100 {
				l.flush()
			}
		}
	}()
	readPackets(t, b, 100, 100)
}

// TestLinkSnapStream: a SNAP's stream follows its packet on the wire, and
// a packet sent after it follows the stream even when the socket would
// take it at once.
func TestLinkSnapStream(t *testing.T) {
	a, b := tcpPair(t)
	l := newLink(2, a)
	startLink(t, l)
	stream := bytes.Repeat([]byte("snapshot"), 1<<17) // 1 MiB
	l.send(outgoing{pkt: zk.QuorumPacket{Type: int32(zab.Snap), Zxid: 0x100000005}, stream: func() ([]byte, error) { return stream, nil }})
	l.flush()
	l.send(outgoing{pkt: zk.QuorumPacket{Type: int32(zab.NewLeader), Zxid: 0x200000000}})
	l.flush()

	br := bufio.NewReader(b)
	p, err := readPacket(br, 1<<20)
	if err != nil || zab.PacketType(p.Type) != zab.Snap {
		t.Fatalf("first packet = %v, %v; want SNAP", zab.PacketType(p.Type), err)
	}
	got := make([]byte, len(stream))
	if _, err := io.ReadFull(br, got); err != nil || !bytes.Equal(got, stream) {
		t.Fatalf("stream after SNAP: err %v, equal %v", err, bytes.Equal(got, stream))
	}
	p, err = readPacket(br, 1<<20)
	if err != nil || zab.PacketType(p.Type) != zab.NewLeader {
		t.Fatalf("packet after the stream = %v, %v; want NEWLEADER", zab.PacketType(p.Type), err)
	}
}

// TestLinkExpiredDeadline: a write deadline in the past (left by the
// writer goroutine) makes the loop's write fail without writing; the
// packet then goes through the writer goroutine, which sets a fresh one.
func TestLinkExpiredDeadline(t *testing.T) {
	a, b := tcpPair(t)
	l := newLink(2, a)
	startLink(t, l)
	if err := a.SetWriteDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	l.send(outgoing{pkt: proposal(1, 10)})
	l.flush()
	readPackets(t, b, 1, 10)
}

// TestLinkClosed: sends on a closed link are dropped.
func TestLinkClosed(t *testing.T) {
	a, _ := tcpPair(t)
	l := newLink(2, a)
	startLink(t, l)
	l.close()
	for z := int64(1); z <= 3; z++ {
		l.send(outgoing{pkt: proposal(z, 10), stream: func() ([]byte, error) { return []byte("x"), nil }})
		l.flush()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) != 0 || l.queued != 0 {
		t.Errorf("closed link queued %d buffers (%d bytes)", len(l.queue), l.queued)
	}
}

// BenchmarkLinkRoundTrip is one PROPOSAL and its ACK between two peers on
// loopback TCP, each side as the runtime has it: a reader goroutine that
// hands packets to a loop goroutine, which answers through its link.
// writes=direct is how the loop flushes; writes=goroutine sends every
// flush through the link's writer goroutine, as before, which adds a
// goroutine hop each way.
func BenchmarkLinkRoundTrip(b *testing.B) {
	for _, mode := range []string{"direct", "goroutine"} {
		b.Run("writes="+mode, func(b *testing.B) {
			ca, cb := tcpPair(b)
			la, lb := newLink(2, ca), newLink(1, cb)
			if mode == "goroutine" {
				la.fd, lb.fd = nil, nil
			}
			startLink(b, la)
			startLink(b, lb)
			inA, inB := make(chan zk.QuorumPacket, 256), make(chan zk.QuorumPacket, 256)
			read := func(c net.Conn, in chan<- zk.QuorumPacket) {
				defer close(in)
				br := bufio.NewReaderSize(c, 64<<10)
				for {
					p, err := readPacket(br, 1<<20)
					if err != nil {
						return
					}
					in <- p
				}
			}
			go read(ca, inA)
			go read(cb, inB)
			go func() { // B's loop: ACK every PROPOSAL
				for p := range inB {
					lb.send(outgoing{pkt: zk.QuorumPacket{Type: int32(zab.Ack), Zxid: p.Zxid}})
					lb.flush()
				}
			}()
			prop := proposal(1, 128)
			b.ReportAllocs()
			for b.Loop() {
				prop.Zxid++
				la.send(outgoing{pkt: prop})
				la.flush()
				if ack := <-inA; ack.Zxid != prop.Zxid {
					b.Fatalf("ACK %#x, want %#x", ack.Zxid, prop.Zxid)
				}
			}
		})
	}
}
