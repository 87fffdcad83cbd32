package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"testing"
	"testing/synctest"
	"time"
)

// These tests run in a testing/synctest bubble on memNet: time is fake and
// advances only when every goroutine of the bubble is blocked, so timings
// are exact; and the bubble fails if any goroutine outlives the test, which
// checks that Close stops all of the Manager's goroutines.

func mustSend(t *testing.T, m *Manager, sid int64, msg string) {
	t.Helper()
	if err := m.Send(sid, []byte(msg)); err != nil {
		t.Fatalf("Send(%d, %q) = %v", sid, msg, err)
	}
}

func recvOne(t *testing.T, m *Manager) Message {
	t.Helper()
	select {
	case msg, ok := <-m.Recv():
		if !ok {
			t.Fatal("Recv closed")
		}
		return msg
	case <-time.After(time.Minute): // fake time: fires only if nothing else can happen
		t.Fatal("no message")
	}
	return Message{}
}

func readFrameString(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := readFrame(c)
	if err != nil {
		t.Fatalf("readFrame: %v", err)
	}
	return string(b)
}

func TestDialBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		start := time.Now()
		m1 := New(Config{ID: 1, Addrs: []string{"m1:3888"}, Peers: map[int64][]string{2: {"m2:3888"}}, Listener: n.Listen("m1:3888"), Dial: n.Dial})
		defer m1.Close()
		mustSend(t, m1, 2, "hello")
		time.Sleep(12 * time.Second)
		synctest.Wait()
		var got []time.Duration
		for _, at := range n.dialsTo("m2:3888") {
			got = append(got, at.Sub(start))
		}
		// 100 ms doubling, capped at 5 s.
		ms := time.Millisecond
		want := []time.Duration{0, 100 * ms, 300 * ms, 700 * ms, 1500 * ms, 3100 * ms, 6300 * ms, 11300 * ms}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("dials at %v, want %v", got, want)
		}
		// Peer 2 comes up; the next attempt, at 16.3 s, reaches it: 1 loses
		// the challenge, 2 dials back, and the queued message goes out.
		m2 := New(Config{ID: 2, Addrs: []string{"m2:3888"}, Peers: map[int64][]string{1: {"m1:3888"}}, Listener: n.Listen("m2:3888"), Dial: n.Dial})
		defer m2.Close()
		msg := recvOne(t, m2)
		if msg.From != 1 || string(msg.Data) != "hello" {
			t.Fatalf("m2 received %+v", msg)
		}
		if d := time.Since(start); d != 16300*ms {
			t.Fatalf("delivered after %v, want 16.3s", d)
		}
		synctest.Wait()
		if !m1.Connected(2) || !m2.Connected(1) {
			t.Fatalf("Connected: 1->2 %v, 2->1 %v", m1.Connected(2), m2.Connected(1))
		}
		if d := n.dialsTo("m1:3888"); len(d) != 1 {
			t.Fatalf("2 dialed 1 %d times, want once (the dial-back)", len(d))
		}
	})
}

func TestHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		m := New(Config{ID: 1, Listener: n.Listen("m1:3888"), Dial: n.Dial, HandshakeTimeout: 3 * time.Second})
		defer m.Close()
		c, err := n.Dial(context.Background(), "tcp", "m1:3888")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("Read = %v, want EOF", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("silent connection closed after %v, want 3s", d)
		}
	})
}

// TestSendQueueNewestAndResend: the queue keeps only the newest message; a
// new connection with nothing queued gets the last message again.
func TestSendQueueNewestAndResend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		m := New(Config{ID: 2, Addrs: []string{"m2:3888"}, Peers: map[int64][]string{1: {"p1:3888"}}, Listener: n.Listen("m2:3888"), Dial: n.Dial})
		defer m.Close()
		for _, s := range []string{"a", "b", "c"} {
			mustSend(t, m, 1, s)
		}
		l := n.Listen("p1:3888")
		defer l.Close()
		c, err := l.Accept() // m's retry after 100 ms
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := ReadInitialMessage(c)
		if err != nil {
			t.Fatal(err)
		}
		if want := (InitialMessage{Version: ProtocolVersionV1, SID: 2, Addrs: []string{"m2:3888"}}); !reflect.DeepEqual(hdr, want) {
			t.Fatalf("initial message %+v, want %+v", hdr, want)
		}
		if got := readFrameString(t, c); got != "c" {
			t.Fatalf("first frame %q, want the newest, %q", got, "c")
		}
		mustSend(t, m, 1, "d")
		if got := readFrameString(t, c); got != "d" {
			t.Fatalf("frame %q, want d", got)
		}
		c.Close()
		synctest.Wait()
		if m.Connected(1) {
			t.Fatal("still connected after the peer closed")
		}

		// Peer 1 dials m: 1 < 2, so m drops that connection and dials back
		// the advertised address; with nothing queued it resends "d".
		c2, err := n.Dial(context.Background(), "tcp", "m2:3888")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, _ = c2.Write(AppendInitialMessage(nil, ProtocolVersionV1, 1, []string{"p1:3888"}))
		}()
		if _, err := c2.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("connection from the smaller id: Read = %v, want EOF", err)
		}
		c3, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c3.Close()
		if _, err := ReadInitialMessage(c3); err != nil {
			t.Fatal(err)
		}
		if got := readFrameString(t, c3); got != "d" {
			t.Fatalf("resent %q, want d", got)
		}
	})
}

func TestRecvQueueDropsOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		m := New(Config{ID: 1, Listener: n.Listen("m1:3888"), Dial: n.Dial})
		defer m.Close()
		c, err := n.Dial(context.Background(), "tcp", "m1:3888")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b := AppendInitialMessage(nil, ProtocolVersionV1, 3, []string{"p3:3888"})
		for i := 1; i <= 150; i++ {
			b = appendFrame(b, []byte{byte(i)})
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := m.Dropped(); got != 50 {
			t.Fatalf("Dropped = %d, want 50", got)
		}
		for i := 51; i <= 150; i++ {
			if msg := recvOne(t, m); msg.From != 3 || !bytes.Equal(msg.Data, []byte{byte(i)}) {
				t.Fatalf("message %d: %+v", i, msg)
			}
		}
	})
}

// TestBadInputClosesConnection: every malformed initial message or frame
// closes that connection only.
func TestBadInputClosesConnection(t *testing.T) {
	good := AppendInitialMessage(nil, ProtocolVersionV1, 7, []string{"p7:3888"})
	frame := func(n uint32) []byte {
		return append(append([]byte{}, good...), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"unknown version", header(-3, 7, "p7:1")},
		{"empty address", header(ProtocolVersionV1, 7, "")},
		{"long address", header(ProtocolVersionV1, 7, string(make([]byte, MaxAddressLen+1)))},
		{"bad address", header(ProtocolVersionV1, 7, "nocolon")},
		{"own id", header(ProtocolVersionV1, 5, "p5:1")},
		{"zero frame", frame(0)},
		{"negative frame", frame(0xffffffff)},
		{"huge frame", frame(MaxMessageSize + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newMemNet()
				m := New(Config{ID: 5, Listener: n.Listen("m5:3888"), Dial: n.Dial})
				defer m.Close()
				c, err := n.Dial(context.Background(), "tcp", "m5:3888")
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				go func() { _, _ = c.Write(tt.in) }()
				if _, err := c.Read(make([]byte, 1)); err != io.EOF {
					t.Fatalf("Read = %v, want EOF", err)
				}
				synctest.Wait()
				if m.Connected(7) {
					t.Fatal("connection kept")
				}
				// The manager still works.
				c2, err := n.Dial(context.Background(), "tcp", "m5:3888")
				if err != nil {
					t.Fatal(err)
				}
				defer c2.Close()
				if _, err := c2.Write(appendFrame(append([]byte{}, good...), []byte("ok"))); err != nil {
					t.Fatal(err)
				}
				if msg := recvOne(t, m); msg.From != 7 || string(msg.Data) != "ok" {
					t.Fatalf("received %+v", msg)
				}
			})
		})
	}
}

// TestLegacyAndObserverIDs: a pre-3.5 peer sends only its sid; a peer
// sending OBSERVER_ID gets a negative id, which is smaller than ours, so we
// dial it back at the address it advertised.
func TestLegacyAndObserverIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		m := New(Config{ID: 5, Addrs: []string{"m5:3888"}, Listener: n.Listen("m5:3888"), Dial: n.Dial})
		defer m.Close()

		legacy, err := n.Dial(context.Background(), "tcp", "m5:3888")
		if err != nil {
			t.Fatal(err)
		}
		defer legacy.Close()
		b := appendFrame([]byte{0, 0, 0, 0, 0, 0, 0, 9}, []byte("old"))
		if _, err := legacy.Write(b); err != nil {
			t.Fatal(err)
		}
		if msg := recvOne(t, m); msg.From != 9 || string(msg.Data) != "old" {
			t.Fatalf("legacy peer: received %+v", msg)
		}

		l := n.Listen("obs:3888")
		defer l.Close()
		c, err := n.Dial(context.Background(), "tcp", "m5:3888")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go func() { _, _ = c.Write(AppendInitialMessage(nil, ProtocolVersionV1, ObserverID, []string{"obs:3888"})) }()
		back, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer back.Close()
		hdr, err := ReadInitialMessage(back)
		if err != nil || hdr.SID != 5 {
			t.Fatalf("dial-back initial message %+v, %v", hdr, err)
		}
		synctest.Wait()
		if !m.Connected(-1) {
			t.Fatal("observer not connected as sid -1")
		}
		mustSend(t, m, -1, "to observer")
		if got := readFrameString(t, back); got != "to observer" {
			t.Fatalf("observer got %q", got)
		}
	})
}

func TestSendErrorsAndLoopback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		m := New(Config{ID: 1, Listener: n.Listen("m1:3888"), Dial: n.Dial})
		mustSend(t, m, 1, "self")
		if msg := recvOne(t, m); msg.From != 1 || string(msg.Data) != "self" {
			t.Fatalf("loopback: %+v", msg)
		}
		if err := m.Send(2, nil); !errors.Is(err, ErrMessageSize) {
			t.Fatalf("Send(empty) = %v", err)
		}
		if err := m.Send(2, make([]byte, MaxMessageSize+1)); !errors.Is(err, ErrMessageSize) {
			t.Fatalf("Send(too big) = %v", err)
		}
		// A peer without an address: queued, never dialed.
		mustSend(t, m, 2, "nowhere")
		if err := m.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
		if err := m.Send(2, []byte("x")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Send after Close = %v", err)
		}
		if _, ok := <-m.Recv(); ok {
			t.Fatal("Recv not closed")
		}
	})
}
