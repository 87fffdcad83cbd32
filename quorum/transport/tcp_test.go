package transport

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests use real TCP on 127.0.0.1 with ports chosen by the kernel.
// They wait for events with generous deadlines, never for fixed times.

const tcpDeadline = 10 * time.Second

// connAddrs returns the local and remote addresses of the live connection
// to sid.
func (m *Manager) connAddrs(sid int64) (local, remote string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.peers[sid]
	if p == nil || p.conn == nil {
		return "", "", false
	}
	return p.conn.c.LocalAddr().String(), p.conn.c.RemoteAddr().String(), true
}

type cluster struct {
	t      *testing.T
	ids    []int64
	addrs  map[int64]string
	ms     map[int64]*Manager
	dials  map[int64]*atomic.Int64
	listen map[int64]net.Listener
}

// newCluster reserves a listening port for each id; managers start with
// start.
func newCluster(t *testing.T, ids ...int64) *cluster {
	t.Helper()
	c := &cluster{t: t, ids: ids, addrs: map[int64]string{}, ms: map[int64]*Manager{}, dials: map[int64]*atomic.Int64{}, listen: map[int64]net.Listener{}}
	for _, id := range ids {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.listen[id] = ln
		c.addrs[id] = ln.Addr().String()
		c.dials[id] = &atomic.Int64{}
	}
	t.Cleanup(func() {
		for _, id := range ids {
			if m := c.ms[id]; m != nil {
				if err := m.Close(); err != nil {
					t.Errorf("Close %d: %v", id, err)
				}
			} else if ln := c.listen[id]; ln != nil {
				ln.Close()
			}
		}
	})
	return c
}

func (c *cluster) start(id int64) *Manager {
	c.t.Helper()
	ln := c.listen[id]
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", c.addrs[id]); err != nil {
			c.t.Fatalf("listen again on %s: %v", c.addrs[id], err)
		}
	}
	c.listen[id] = nil
	peers := map[int64][]string{}
	for _, o := range c.ids {
		if o != id {
			peers[o] = []string{c.addrs[o]}
		}
	}
	counter := c.dials[id]
	var d net.Dialer
	m := New(Config{
		ID: id, Addrs: []string{c.addrs[id]}, Peers: peers, Listener: ln,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			counter.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	})
	c.ms[id] = m
	return m
}

func (c *cluster) stop(id int64) {
	c.t.Helper()
	if err := c.ms[id].Close(); err != nil {
		c.t.Fatalf("Close %d: %v", id, err)
	}
	c.ms[id] = nil
}

// expect reads m's messages until it has seen every one in want
// ("from:data"); duplicates are allowed, as a resend of the last message on
// a new connection is.
func (c *cluster) expect(id int64, want ...string) {
	c.t.Helper()
	missing := map[string]bool{}
	for _, w := range want {
		missing[w] = true
	}
	deadline := time.After(tcpDeadline)
	for len(missing) > 0 {
		select {
		case msg := <-c.ms[id].Recv():
			delete(missing, fmt.Sprintf("%d:%s", msg.From, msg.Data))
		case <-deadline:
			c.t.Fatalf("manager %d: still missing %v", id, missing)
		}
	}
}

// settled reports whether every pair of running managers shares exactly one
// TCP connection, dialed by the larger id.
func (c *cluster) settled() error {
	for _, a := range c.ids {
		for _, b := range c.ids {
			if a >= b || c.ms[a] == nil || c.ms[b] == nil {
				continue
			}
			al, ar, aok := c.ms[a].connAddrs(b)
			bl, br, bok := c.ms[b].connAddrs(a)
			switch {
			case !aok || !bok:
				return fmt.Errorf("%d-%d: connected %v/%v", a, b, aok, bok)
			case al != br || ar != bl:
				return fmt.Errorf("%d-%d: different connections %s-%s vs %s-%s", a, b, al, ar, bl, br)
			case br != c.addrs[a]:
				return fmt.Errorf("%d-%d: %d's connection goes to %s, not to %d's listener %s", a, b, b, br, a, c.addrs[a])
			}
		}
	}
	return nil
}

func (c *cluster) waitSettled() {
	c.t.Helper()
	deadline := time.Now().Add(tcpDeadline)
	for {
		err := c.settled()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // polling another goroutine's state
	}
}

func permutations(ids []int64) [][]int64 {
	if len(ids) <= 1 {
		return [][]int64{ids}
	}
	var out [][]int64
	for i := range ids {
		rest := append(append([]int64{}, ids[:i]...), ids[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]int64{ids[i]}, p...))
		}
	}
	return out
}

// TestMeshEveryOrder: three managers start in every order and send in every
// order; all messages arrive and each pair ends with one connection, dialed
// by the larger id.
func TestMeshEveryOrder(t *testing.T) {
	ids := []int64{1, 2, 3}
	for _, starts := range permutations(ids) {
		for _, sends := range permutations(ids) {
			t.Run(fmt.Sprintf("start%v/send%v", starts, sends), func(t *testing.T) {
				c := newCluster(t, ids...)
				for _, id := range starts {
					c.start(id)
				}
				for _, from := range sends {
					for _, to := range ids {
						if to != from {
							mustSend(t, c.ms[from], to, fmt.Sprintf("%d->%d", from, to))
						}
					}
				}
				for _, to := range ids {
					var want []string
					for _, from := range ids {
						if from != to {
							want = append(want, fmt.Sprintf("%d:%d->%d", from, from, to))
						}
					}
					c.expect(to, want...)
				}
				c.waitSettled()
			})
		}
	}
}

// TestMeshWhileStarting: managers send before their peers listen; the
// queued messages go out once the peers are up.
func TestMeshWhileStarting(t *testing.T) {
	c := newCluster(t, 1, 2, 3)
	c.start(3)
	mustSend(t, c.ms[3], 1, "early")
	mustSend(t, c.ms[3], 2, "early")
	c.start(1)
	mustSend(t, c.ms[1], 2, "early")
	c.start(2)
	c.expect(1, "3:early")
	c.expect(2, "3:early", "1:early")
	mustSend(t, c.ms[2], 1, "late")
	mustSend(t, c.ms[2], 3, "late")
	c.expect(1, "2:late")
	c.expect(3, "2:late")
	c.waitSettled()
}

// TestSmallerDials: 1 sends to 3; 1's connection is dropped and 3 dials
// back, leaving one connection, 3's.
func TestSmallerDials(t *testing.T) {
	c := newCluster(t, 1, 3)
	c.start(1)
	c.start(3)
	mustSend(t, c.ms[1], 3, "x")
	c.expect(3, "1:x")
	c.waitSettled()
	if d := c.dials[1].Load(); d != 1 {
		t.Errorf("1 dialed %d times, want 1", d)
	}
	if d := c.dials[3].Load(); d != 1 {
		t.Errorf("3 dialed %d times, want 1 (the dial-back)", d)
	}
	// Traffic both ways on the one connection.
	mustSend(t, c.ms[3], 1, "y")
	c.expect(1, "3:y")
	mustSend(t, c.ms[1], 3, "z")
	c.expect(3, "1:z")
	if err := c.settled(); err != nil {
		t.Fatal(err)
	}
	if d := c.dials[1].Load() + c.dials[3].Load(); d != 2 {
		t.Errorf("%d dials in all, want 2", d)
	}
}

// TestPeerRestart: a peer that restarts on the same address is reconnected
// from both sides, and a message queued while it was down is delivered.
func TestPeerRestart(t *testing.T) {
	c := newCluster(t, 1, 2, 3)
	for _, id := range c.ids {
		c.start(id)
	}
	for _, from := range c.ids {
		for _, to := range c.ids {
			if from != to {
				mustSend(t, c.ms[from], to, "hi")
			}
		}
	}
	c.expect(1, "2:hi", "3:hi")
	c.expect(2, "1:hi", "3:hi")
	c.expect(3, "1:hi", "2:hi")
	c.waitSettled()

	// Messages sent while 2 is down are queued, or written to the dead
	// connection and kept as the last message; either way they reach 2 once
	// it is back and connections are up again, which its own sends (FLE
	// notifies every voter when it starts) bring about.
	c.stop(2)
	mustSend(t, c.ms[1], 2, "while down")
	mustSend(t, c.ms[3], 2, "while down")
	c.start(2)
	mustSend(t, c.ms[2], 1, "back")
	mustSend(t, c.ms[2], 3, "back")
	c.expect(2, "1:while down", "3:while down")
	c.expect(1, "2:back")
	c.expect(3, "2:back")
	c.waitSettled()
}

// TestCloseLeavesNoGoroutine closes managers in every state (connected,
// dialing a dead peer, in a handshake) and checks that none of their
// goroutines is left.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	c := newCluster(t, 1, 2, 3)
	c.start(1)
	c.start(2)
	mustSend(t, c.ms[1], 2, "x")
	mustSend(t, c.ms[1], 3, "to a dead peer") // 3 never starts: dial loop
	c.expect(2, "1:x")
	// A connection stuck in its handshake.
	raw, err := net.Dial("tcp", c.addrs[2])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c.stop(1)
	c.stop(2)
	deadline := time.Now().Add(tcpDeadline)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "quorum/transport.(*Manager)") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Close:\n%s", stacks)
		}
		time.Sleep(5 * time.Millisecond) // a goroutine past wg.Done may still be returning
	}
}
