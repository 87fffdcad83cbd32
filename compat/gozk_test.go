package compat

import (
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestGoZK drives the go-zookeeper/zk client through the behaviours its
// users rely on, asserting concrete values, against ZooKeeper (which proves
// the assertions) and against the target.
func TestGoZK(t *testing.T) {
	skipShort(t)
	t.Parallel()
	oracle, target := startPair(t)
	for _, s := range []*server{oracle, target} {
		t.Run(s.label, func(t *testing.T) {
			t.Parallel()
			t.Run("sequential_naming", func(t *testing.T) { gozkSequential(t, s.addr) })
			t.Run("watches_fire_once", func(t *testing.T) { gozkWatches(t, s.addr) })
			t.Run("ephemeral_vanishes_on_close", func(t *testing.T) { gozkEphemeralClose(t, s.addr) })
			t.Run("ephemeral_vanishes_on_expiry", func(t *testing.T) { gozkExpiry(t, s.addr) })
			t.Run("reconnect_keeps_session_and_watches", func(t *testing.T) { gozkReconnect(t, s.addr) })
		})
	}
	t.Cleanup(func() { checkAlive(t, oracle, target) })
}

var openACL = zk.WorldACL(zk.PermAll)

// gozkClient is a connection and what it reported.
type gozkClient struct {
	*zk.Conn
	states chan zk.State // session state changes, in order

	mu     sync.Mutex
	events []zk.Event // node events, in arrival order
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// gozkConnect connects and waits for a session.
func gozkConnect(t *testing.T, addr string, timeout time.Duration, opts ...func(*zk.Conn)) *gozkClient {
	t.Helper()
	c := &gozkClient{states: make(chan zk.State, 256)}
	cb := func(ev zk.Event) {
		if ev.Type == zk.EventSession {
			select {
			case c.states <- ev.State:
			default:
			}
			return
		}
		c.mu.Lock()
		c.events = append(c.events, ev)
		c.mu.Unlock()
	}
	// zk's option type is unexported; let inference name it.
	all := optionList(zk.WithLogger(discardLogger{}), zk.WithEventCallback(cb))
	for _, o := range opts {
		all = append(all, o)
	}
	conn, _, err := zk.Connect([]string{addr}, timeout, all...)
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	c.Conn = conn
	t.Cleanup(conn.Close)
	c.waitState(t, zk.StateHasSession, 20*time.Second)
	return c
}

func optionList[T any](opts ...T) []T { return opts }

// waitState reads state changes until want or the deadline.
func (c *gozkClient) waitState(t *testing.T, want zk.State, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	var seen []zk.State
	for {
		select {
		case s := <-c.states:
			seen = append(seen, s)
			if s == want {
				return
			}
		case <-deadline:
			t.Fatalf("state %v not reached within %v; saw %v", want, d, seen)
		}
	}
}

// nodeEvents returns the node events seen so far for path.
func (c *gozkClient) nodeEvents(path string) []zk.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var v []zk.Event
	for _, ev := range c.events {
		if ev.Path == path {
			v = append(v, ev)
		}
	}
	return v
}

// fence returns once every event the server sent c before now has been
// delivered: it arms a watch on a scratch node, has other change it, and
// waits for that event, which the server sends after any earlier one.
func (c *gozkClient) fence(t *testing.T, other *gozkClient, path string) {
	t.Helper()
	ok, _, ch, err := c.ExistsW(path)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		err = other.Delete(path, -1)
	} else {
		_, err = other.Create(path, nil, 0, openACL)
	}
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, ch, eventWait)
}

func waitEvent(t *testing.T, ch <-chan zk.Event, d time.Duration) zk.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(d):
		t.Fatalf("no watch event within %v", d)
		return zk.Event{}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func gozkSequential(t *testing.T, addr string) {
	c := gozkConnect(t, addr, 30*time.Second)
	root := "/gz-seq"
	_, err := c.Create(root, nil, 0, openACL)
	must(t, err)
	var names []string
	for range 2 {
		p, err := c.Create(root+"/n-", []byte("x"), zk.FlagSequence, openACL)
		must(t, err)
		names = append(names, p)
	}
	must(t, c.Delete(names[0], -1))
	p, err := c.Create(root+"/n-", nil, zk.FlagSequence, openACL)
	must(t, err)
	names = append(names, p)
	_, err = c.Create(root+"/plain", nil, 0, openACL)
	must(t, err)
	if _, err := c.Create(root+"/plain", nil, 0, openACL); !errors.Is(err, zk.ErrNodeExists) {
		t.Errorf("second create of %s: %v, want %v", root+"/plain", err, zk.ErrNodeExists)
	}
	p, err = c.Create(root+"/e-", nil, zk.FlagEphemeral|zk.FlagSequence, openACL)
	must(t, err)
	names = append(names, p)
	// The suffix counts the parent's child creations: a delete does not
	// advance it (although it bumps cversion), nor does a failed create.
	want := []string{root + "/n-0000000000", root + "/n-0000000001", root + "/n-0000000002", root + "/e-0000000004"}
	if !slices.Equal(names, want) {
		t.Errorf("sequential names = %v, want %v", names, want)
	}
	children, st, err := c.Children(root)
	must(t, err)
	slices.Sort(children)
	if want := []string{"e-0000000004", "n-0000000001", "n-0000000002", "plain"}; !slices.Equal(children, want) {
		t.Errorf("children = %v, want %v", children, want)
	}
	if st.Cversion != 6 || st.NumChildren != 4 {
		t.Errorf("parent cversion, numChildren = %d, %d; want 6, 4", st.Cversion, st.NumChildren)
	}
	_, st, err = c.Exists(p)
	must(t, err)
	if st.EphemeralOwner != c.SessionID() {
		t.Errorf("ephemeralOwner = %#x, want the session %#x", st.EphemeralOwner, c.SessionID())
	}
}

func gozkWatches(t *testing.T, addr string) {
	c1 := gozkConnect(t, addr, 30*time.Second)
	c2 := gozkConnect(t, addr, 30*time.Second)
	root := "/gz-watch"
	_, err := c1.Create(root, []byte("0"), 0, openACL)
	must(t, err)

	_, _, ch, err := c1.GetW(root)
	must(t, err)
	_, err = c2.Set(root, []byte("1"), -1)
	must(t, err)
	ev := waitEvent(t, ch, eventWait)
	if ev.Type != zk.EventNodeDataChanged || ev.Path != root || ev.State != zk.StateSyncConnected {
		t.Errorf("data watch event = %+v, want NodeDataChanged on %s", ev, root)
	}
	_, err = c2.Set(root, []byte("2"), -1)
	must(t, err)
	c1.fence(t, c2, root+"-fence")
	if got := c1.nodeEvents(root); len(got) != 1 {
		t.Errorf("events for %s after two sets = %+v, want exactly one (watches are one-shot)", root, got)
	}

	ok, _, ch, err := c1.ExistsW(root + "/new")
	must(t, err)
	if ok {
		t.Fatalf("%s exists before creation", root+"/new")
	}
	_, err = c2.Create(root+"/new", nil, 0, openACL)
	must(t, err)
	if ev := waitEvent(t, ch, eventWait); ev.Type != zk.EventNodeCreated || ev.Path != root+"/new" {
		t.Errorf("exist watch event = %+v, want NodeCreated on %s", ev, root+"/new")
	}

	_, _, ch, err = c1.ChildrenW(root)
	must(t, err)
	_, err = c2.Create(root+"/kid", nil, 0, openACL)
	must(t, err)
	if ev := waitEvent(t, ch, eventWait); ev.Type != zk.EventNodeChildrenChanged || ev.Path != root {
		t.Errorf("child watch event = %+v, want NodeChildrenChanged on %s", ev, root)
	}

	_, _, ch, err = c1.GetW(root + "/kid")
	must(t, err)
	must(t, c2.Delete(root+"/kid", -1))
	if ev := waitEvent(t, ch, eventWait); ev.Type != zk.EventNodeDeleted || ev.Path != root+"/kid" {
		t.Errorf("data watch event on delete = %+v, want NodeDeleted on %s", ev, root+"/kid")
	}
	if _, _, _, err := c1.GetW(root + "/missing"); !errors.Is(err, zk.ErrNoNode) {
		t.Errorf("GetW on a missing node: %v, want %v", err, zk.ErrNoNode)
	}
	if _, err := c2.Set(root, nil, 99); !errors.Is(err, zk.ErrBadVersion) {
		t.Errorf("Set with version 99: %v, want %v", err, zk.ErrBadVersion)
	}
	if err := c2.Delete(root, -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Errorf("Delete of a parent: %v, want %v", err, zk.ErrNotEmpty)
	}
}

func gozkEphemeralClose(t *testing.T, addr string) {
	c1 := gozkConnect(t, addr, 30*time.Second)
	c2 := gozkConnect(t, addr, 30*time.Second)
	root := "/gz-close"
	_, err := c1.Create(root, nil, 0, openACL)
	must(t, err)
	_, err = c1.Create(root+"/e", []byte("mine"), zk.FlagEphemeral, openACL)
	must(t, err)
	ok, st, ch, err := c2.ExistsW(root + "/e")
	must(t, err)
	if !ok || st.EphemeralOwner != c1.SessionID() {
		t.Fatalf("exists = %v, owner %#x; want true, %#x", ok, st.EphemeralOwner, c1.SessionID())
	}
	_, _, cch, err := c2.ChildrenW(root)
	must(t, err)
	c1.Close()
	if ev := waitEvent(t, ch, eventWait); ev.Type != zk.EventNodeDeleted || ev.Path != root+"/e" {
		t.Errorf("event = %+v, want NodeDeleted on %s", ev, root+"/e")
	}
	if ev := waitEvent(t, cch, eventWait); ev.Type != zk.EventNodeChildrenChanged || ev.Path != root {
		t.Errorf("event = %+v, want NodeChildrenChanged on %s", ev, root)
	}
	if ok, _, err := c2.Exists(root + "/e"); err != nil || ok {
		t.Errorf("exists after close = %v, %v; want false", ok, err)
	}
}

// switchDialer lets a test cut a client's connection and hold off its
// redials, as a network partition would.
type switchDialer struct {
	mu      sync.Mutex
	blocked bool
	conns   []net.Conn
}

func (d *switchDialer) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.blocked {
		return nil, errors.New("dial held off by the test")
	}
	c, err := net.DialTimeout(network, addr, timeout)
	if err == nil {
		d.conns = append(d.conns, c)
	}
	return c, err
}

// cut closes the open connections and blocks new ones.
func (d *switchDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.blocked = true
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

func (d *switchDialer) heal() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.blocked = false
}

func gozkExpiry(t *testing.T, addr string) {
	c1 := gozkConnect(t, addr, 30*time.Second)
	d := &switchDialer{}
	c3 := gozkConnect(t, addr, expirySession*time.Millisecond, zk.WithDialer(d.dial))
	root := "/gz-expiry"
	_, err := c1.Create(root, nil, 0, openACL)
	must(t, err)
	sid := c3.SessionID()
	_, err = c3.Create(root+"/e", nil, zk.FlagEphemeral, openACL)
	must(t, err)
	ok, _, ch, err := c1.ExistsW(root + "/e")
	must(t, err)
	if !ok {
		t.Fatal("ephemeral missing")
	}
	d.cut() // no closeSession reaches the server: it must expire the session
	if ev := waitEvent(t, ch, expiryWait); ev.Type != zk.EventNodeDeleted || ev.Path != root+"/e" {
		t.Errorf("event = %+v, want NodeDeleted on %s", ev, root+"/e")
	}
	d.heal()
	c3.waitState(t, zk.StateExpired, expiryWait)
	c3.waitState(t, zk.StateHasSession, expiryWait)
	if c3.SessionID() == sid {
		t.Errorf("after expiry the client still has session %#x", sid)
	}
	if ok, _, err := c3.Exists(root + "/e"); err != nil || ok {
		t.Errorf("exists after expiry = %v, %v; want false", ok, err)
	}
}

func gozkReconnect(t *testing.T, addr string) {
	c1 := gozkConnect(t, addr, 30*time.Second)
	d := &switchDialer{}
	c4 := gozkConnect(t, addr, 30*time.Second, zk.WithDialer(d.dial))
	root := "/gz-reconnect"
	_, err := c1.Create(root, []byte("0"), 0, openACL)
	must(t, err)
	sid := c4.SessionID()
	_, err = c4.Create(root+"/e", nil, zk.FlagEphemeral, openACL)
	must(t, err)
	_, _, dch, err := c4.GetW(root)
	must(t, err)
	_, _, ech, err := c4.ExistsW(root + "/new")
	must(t, err)
	d.cut()
	c4.waitState(t, zk.StateDisconnected, eventWait)
	// Changes made while c4 is away reach it through setWatches.
	_, err = c1.Set(root, []byte("1"), -1)
	must(t, err)
	_, err = c1.Create(root+"/new", nil, 0, openACL)
	must(t, err)
	d.heal()
	c4.waitState(t, zk.StateHasSession, expiryWait)
	if c4.SessionID() != sid {
		t.Errorf("session after reconnect = %#x, want %#x", c4.SessionID(), sid)
	}
	if ev := waitEvent(t, dch, eventWait); ev.Type != zk.EventNodeDataChanged || ev.Path != root {
		t.Errorf("data watch event = %+v, want NodeDataChanged on %s", ev, root)
	}
	if ev := waitEvent(t, ech, eventWait); ev.Type != zk.EventNodeCreated || ev.Path != root+"/new" {
		t.Errorf("exist watch event = %+v, want NodeCreated on %s", ev, root+"/new")
	}
	ok, st, err := c4.Exists(root + "/e")
	must(t, err)
	if !ok || st.EphemeralOwner != sid {
		t.Errorf("ephemeral after reconnect: exists %v, owner %#x; want true, %#x", ok, st.EphemeralOwner, sid)
	}
}
