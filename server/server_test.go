package server

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/jute"
	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/config"
)

// memLog is an in-memory TxnLog for tests.
type memLog struct {
	mu      sync.Mutex
	entries []LogEntry
}

func (m *memLog) Append(batch []LogEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range batch {
		m.entries = append(m.entries, LogEntry{Zxid: e.Zxid, Data: append([]byte(nil), e.Data...)})
	}
	return nil
}

func (m *memLog) Iterate(after int64, fn func(int64, []byte) error) error {
	m.mu.Lock()
	es := append([]LogEntry(nil), m.entries...)
	m.mu.Unlock()
	for _, e := range es {
		if e.Zxid > after {
			if err := fn(e.Zxid, e.Data); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memLog) LastZxid() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) == 0 {
		return 0
	}
	return m.entries[len(m.entries)-1].Zxid
}

func (m *memLog) Close() error { return nil }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type testServer struct {
	addr string
	s    *Server
	log  *memLog
}

// startServer runs a server on a free loopback port until the test ends.
func startServer(t testing.TB, mod func(*config.Config), log *memLog) *testServer {
	t.Helper()
	if log == nil {
		log = &memLog{}
	}
	ts := startServerLog(t, mod, log)
	ts.log = log
	return ts
}

// startServerLog is startServer over any txn log.
func startServerLog(t testing.TB, mod func(*config.Config), log TxnLog) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.ClientPort = freePort(t)
	cfg.ClientPortAddress = "127.0.0.1"
	cfg.TickTime = 100 * time.Millisecond
	cfg.MinSessionTimeout = 200 * time.Millisecond
	cfg.MaxSessionTimeout = 20 * time.Second
	cfg.FourLetterWords = map[string]bool{"*": true}
	cfg.ExtendedTypesEnabled = true
	if mod != nil {
		mod(cfg)
	}
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.ClientPort))
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &testServer{addr: addr, s: s}
}

func connect(t testing.TB, addr string, timeout time.Duration) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, timeout, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c, ev
			}
		case <-deadline:
			t.Fatal("no session")
		}
	}
}

func TestCreateGetSetDelete(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 5*time.Second)
	p, err := c.Create("/a", []byte("x"), 0, zk.WorldACL(zk.PermAll))
	if err != nil || p != "/a" {
		t.Fatalf("Create = %q, %v", p, err)
	}
	data, st, err := c.Get("/a")
	if err != nil || string(data) != "x" || st.Version != 0 || st.DataLength != 1 || st.Czxid != st.Mzxid {
		t.Fatalf("Get = %q %+v %v", data, st, err)
	}
	st2, err := c.Set("/a", []byte("yy"), 0)
	if err != nil || st2.Version != 1 || st2.DataLength != 2 || st2.Mzxid <= st.Mzxid {
		t.Fatalf("Set = %+v %v", st2, err)
	}
	if _, err := c.Set("/a", []byte("z"), 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("Set stale version = %v, want ErrBadVersion", err)
	}
	if _, err := c.Create("/a", nil, 0, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("Create again = %v", err)
	}
	if _, err := c.Create("/a/b", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/a", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("Delete non-empty = %v", err)
	}
	kids, st3, err := c.Children("/a")
	if err != nil || len(kids) != 1 || kids[0] != "b" || st3.NumChildren != 1 || st3.Cversion != 1 {
		t.Fatalf("Children = %v %+v %v", kids, st3, err)
	}
	if err := c.Delete("/a/b", -1); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/a", 1); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists("/a"); ok || err != nil {
		t.Fatalf("Exists after delete = %v %v", ok, err)
	}
}

func TestSequentialAndEphemeral(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 5*time.Second)
	c.Create("/p", nil, 0, zk.WorldACL(zk.PermAll))
	var got []string
	for i := 0; i < 3; i++ {
		p, err := c.Create("/p/s", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	want := []string{"/p/s0000000000", "/p/s0000000001", "/p/s0000000002"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sequential names = %v, want %v", got, want)
		}
	}
	c2, _ := connect(t, ts.addr, 5*time.Second)
	if _, err := c2.Create("/e", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, st, _ := c.Get("/e")
	if st.EphemeralOwner != c2.SessionID() {
		t.Fatalf("ephemeralOwner = %#x, want %#x", st.EphemeralOwner, c2.SessionID())
	}
	ok, _, ch, err := c.ExistsW("/e")
	if !ok || err != nil {
		t.Fatal(err)
	}
	c2.Close()
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDeleted || ev.Path != "/e" {
			t.Fatalf("event = %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no NodeDeleted after close")
	}
}

func TestWatchFiresOnceBeforeReply(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 5*time.Second)
	c.Create("/w", []byte("1"), 0, zk.WorldACL(zk.PermAll))
	_, _, ch, err := c.GetW("/w")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := connect(t, ts.addr, 5*time.Second)
	c2.Set("/w", []byte("2"), -1)
	c2.Set("/w", []byte("3"), -1)
	// The event must be queued before the reply of this read.
	data, _, err := c.Get("/w")
	if err != nil || string(data) != "3" {
		t.Fatalf("Get = %q %v", data, err)
	}
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDataChanged || ev.Path != "/w" {
			t.Fatalf("event = %+v", ev)
		}
	default:
		t.Fatal("watch event not delivered before the read's reply")
	}
}

// rawClient speaks the client protocol over a bare socket.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	id int64
	pw []byte
}

func dialRaw(t testing.TB, addr string, timeoutMs int32) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	rc := &rawClient{t: t, nc: nc}
	req := zkproto.ConnectRequest{TimeOut: timeoutMs, Passwd: make([]byte, 16)}
	rc.send(jute.Marshal(&req))
	var resp zkproto.ConnectResponse
	if err := jute.Unmarshal(rc.recv(), &resp); err != nil {
		t.Fatal(err)
	}
	rc.id, rc.pw = resp.SessionID, resp.Passwd
	return rc
}

func (rc *rawClient) send(body []byte) {
	rc.t.Helper()
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	if _, err := rc.nc.Write(append(frame, body...)); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawClient) recv() []byte {
	rc.t.Helper()
	b, err := rc.tryRecv()
	if err != nil {
		rc.t.Fatal(err)
	}
	return b
}

func (rc *rawClient) tryRecv() ([]byte, error) {
	rc.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var l [4]byte
	if _, err := io.ReadFull(rc.nc, l[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(l[:]))
	_, err := io.ReadFull(rc.nc, b)
	return b, err
}

// call sends one request and returns the reply header and body.
func (rc *rawClient) call(xid int32, op zkproto.OpCode, rec jute.Record) (zkproto.ReplyHeader, []byte) {
	rc.t.Helper()
	e := jute.Encoder{}
	h := zkproto.RequestHeader{Xid: xid, Type: op}
	h.Encode(&e)
	if rec != nil {
		rec.Encode(&e)
	}
	rc.send(e.Buf)
	b := rc.recv()
	var rh zkproto.ReplyHeader
	d := jute.NewDecoder(b, 0)
	rh.Decode(d)
	return rh, d.Rest()
}

func TestSessionExpiry(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 5*time.Second)
	rc := dialRaw(t, ts.addr, 400)
	rh, _ := rc.call(1, zkproto.OpCreate, &zkproto.CreateRequest{Path: "/x", ACL: zkproto.OpenACLUnsafe, Flags: zkproto.ModeEphemeral})
	if rh.Err != zkproto.Ok || rh.Xid != 1 {
		t.Fatalf("create reply = %+v", rh)
	}
	ok, st, ch, _ := c.ExistsW("/x")
	if !ok || st.EphemeralOwner != rc.id {
		t.Fatalf("ephemeral = %v %+v", ok, st)
	}
	// No pings: the session expires after 400 ms, its ephemeral goes.
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDeleted || ev.Path != "/x" {
			t.Fatalf("event = %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ephemeral not removed on expiry")
	}
	// Reconnecting with the expired id is refused with timeout 0.
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	rc2 := &rawClient{t: t, nc: nc}
	t.Cleanup(func() { nc.Close() })
	rc2.send(jute.Marshal(&zkproto.ConnectRequest{TimeOut: 400, SessionID: rc.id, Passwd: rc.pw}))
	var resp zkproto.ConnectResponse
	if err := jute.Unmarshal(rc2.recv(), &resp); err != nil || resp.TimeOut != 0 || resp.SessionID != 0 {
		t.Fatalf("reconnect to expired session = %+v %v", resp, err)
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.JuteMaxBuffer = 1024 }, nil)
	good, _ := connect(t, ts.addr, 5*time.Second)
	cases := map[string][]byte{
		"negative length": {0xff, 0xff, 0xff, 0xf0},
		"oversized":       binary.BigEndian.AppendUint32(nil, 1025),
		"short connect":   {0, 0, 0, 3, 1, 2, 3},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.Write(b)
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := nc.Read(make([]byte, 16)); err != io.EOF {
				t.Fatalf("read after bad input = %d, %v; want EOF", n, err)
			}
		})
	}
	t.Run("unknown opcode", func(t *testing.T) {
		rc := dialRaw(t, ts.addr, 4000)
		rh, _ := rc.call(7, zkproto.OpCode(999), nil)
		if rh.Xid != 7 || rh.Err != zkproto.ErrUnimplemented {
			t.Fatalf("reply = %+v, want xid 7 Unimplemented", rh)
		}
		if _, err := rc.tryRecv(); err != io.EOF {
			t.Fatalf("after Unimplemented: %v, want EOF", err)
		}
	})
	if _, err := good.Create("/still-fine", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("other session broken: %v", err)
	}
}

func TestFourLetterWords(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.FourLetterWords = map[string]bool{"srvr": true, "ruok": true} }, nil)
	ask := func(cmd string) string {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte(cmd))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(nc)
		return string(b)
	}
	if got := ask("ruok"); got != "imok" {
		t.Fatalf("ruok = %q", got)
	}
	if got := ask("srvr"); !strings.Contains(got, "Mode: standalone\n") || !strings.HasPrefix(got, "Zookeeper version: ") {
		t.Fatalf("srvr = %q", got)
	}
	if got, want := ask("mntr"), "mntr is not executed because it is not in the whitelist.\n"; got != want {
		t.Fatalf("mntr = %q, want %q", got, want)
	}
}
