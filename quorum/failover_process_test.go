package quorum_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/quorum"
)

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// connect opens a go-zookeeper session to servers.
func connect(t *testing.T, servers []string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogger(discardLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// writers is a bounded write load: n sessions over the whole ensemble, each
// creating sequential nodes /w/<writer>-<n>-<sequence> one at a time and
// reading /w's child version after each, recording what was acknowledged
// and when (for porcupine) and what each read saw.
type writers struct {
	mu       sync.Mutex
	acked    []string // names of acknowledged creates
	fails    int
	ops      []writeOp
	stop     chan struct{}
	wg       sync.WaitGroup
	conns    []*zk.Conn
	sessions []int64 // each session's id before the fault (markSessions)
}

// writeOp is one create: its name prefix, its interval, and the sequence
// number it got (-1: the answer was lost).
type writeOp struct {
	client    int
	prefix    string
	call, ret int64
	seq       int64
	read      int32 // /w's cversion read right after, -1 if the read failed
}

func startWriters(t *testing.T, servers []string, n int) *writers {
	t.Helper()
	setup := connect(t, servers)
	if _, err := setup.Create("/w", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("create /w: %v", err)
	}
	w := &writers{stop: make(chan struct{})}
	for i := range n {
		c := connect(t, servers)
		w.conns = append(w.conns, c)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for k := 0; ; k++ {
				select {
				case <-w.stop:
					return
				default:
				}
				prefix := fmt.Sprintf("%d-%06d-", i, k)
				call := time.Now().UnixNano()
				path, err := c.Create("/w/"+prefix, []byte(prefix), zk.FlagSequence, zk.WorldACL(zk.PermAll))
				op := writeOp{client: i, prefix: prefix, call: call, ret: time.Now().UnixNano(), seq: -1, read: -1}
				if err == nil {
					op.seq = sequenceOf(path)
				}
				_, st, rerr := c.Exists("/w")
				w.mu.Lock()
				if err == nil {
					w.acked = append(w.acked, strings.TrimPrefix(path, "/w/"))
				} else {
					w.fails++
				}
				if rerr == nil {
					op.read = st.Cversion
				}
				w.ops = append(w.ops, op)
				w.mu.Unlock()
				if err != nil {
					// The session is reconnecting elsewhere: back off a
					// little rather than spin on ErrConnectionClosed.
					select {
					case <-w.stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}
		}()
	}
	return w
}

// sequenceOf returns the 10-digit counter ZooKeeper appends to a
// sequential node's name.
func sequenceOf(path string) int64 {
	n, err := strconv.ParseInt(path[len(path)-10:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// checkHistory checks the writers' history against /w's final children
// (read after sync, from any server: they are all equal by then): the
// creates, with their sequence numbers, are linearizable (porcupine, a
// counter); a create whose answer was lost happened if its node exists,
// and then has that node's number and an open end. The reads after each
// create are sequentially consistent: per session never going back, and
// never behind the session's own creates.
func (e *ensemble) checkHistory(w *writers, final []string) {
	e.t.Helper()
	got := map[string]int64{}
	for _, name := range final {
		if len(name) > 10 {
			got[name[:len(name)-10]] = sequenceOf(name)
		}
	}
	var hist []porcupine.Operation
	unknown := 0
	end := time.Now().UnixNano() + int64(time.Hour)
	for _, op := range w.ops {
		seq, ok := got[op.prefix]
		switch {
		case op.seq >= 0 && (!ok || seq != op.seq):
			e.t.Errorf("acknowledged create %s%010d is not in /w (found %d, %t)", op.prefix, op.seq, seq, ok)
			continue
		case op.seq >= 0:
			hist = append(hist, porcupine.Operation{ClientId: op.client, Input: op.prefix, Call: op.call, Output: seq + 1, Return: op.ret})
		case ok:
			unknown++
			hist = append(hist, porcupine.Operation{ClientId: op.client, Input: op.prefix, Call: op.call, Output: seq + 1, Return: end})
		}
	}
	if !porcupine.CheckOperations(counterModel, hist) {
		e.t.Errorf("the history of %d creates is not linearizable", len(hist))
	}
	last := map[int]int32{}
	own := map[int]int64{}
	reads := 0
	for _, op := range w.ops {
		if op.seq >= 0 {
			own[op.client] = max(own[op.client], op.seq+1)
		}
		if op.read < 0 {
			continue
		}
		reads++
		if op.read < last[op.client] || int64(op.read) < own[op.client] {
			e.t.Errorf("writer %d read cversion %d after reading %d and creating up to %d", op.client, op.read, last[op.client], own[op.client])
		}
		last[op.client] = op.read
	}
	e.t.Logf("history: %d creates (%d with lost answers that happened) linearizable; %d reads sequentially consistent", len(hist), unknown, reads)
}

// counterModel: a sequential create advances /w's child counter and returns
// its new value (the node's sequence number + 1).
var counterModel = porcupine.Model{
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		c := state.(int64)
		return output.(int64) == c+1, c + 1
	},
}

// markSessions notes each writer's session id, once all have one.
func (e *ensemble) markSessions(w *writers) {
	e.t.Helper()
	e.eventually(30*time.Second, "every writer has a session", func() bool {
		w.sessions = w.sessions[:0]
		for _, c := range w.conns {
			if c.SessionID() == 0 {
				return false
			}
			w.sessions = append(w.sessions, c.SessionID())
		}
		return true
	})
}

// sessionsKept reports whether every writer still has the session it
// started with (none expired and was replaced).
func (w *writers) sessionsKept() bool {
	for i, c := range w.conns {
		if c.SessionID() != w.sessions[i] || w.sessions[i] == 0 {
			return false
		}
	}
	return true
}

func (w *writers) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *writers) finish() (acked []string, fails int) {
	close(w.stop)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked), w.fails
}

// waitAcked waits until the writers have n acknowledged writes.
func (e *ensemble) waitAcked(w *writers, n int, d time.Duration) {
	e.t.Helper()
	e.eventually(d, fmt.Sprintf("%d acknowledged writes", n), func() bool { return w.count() >= n })
}

// checkWrites reads /w from each of ids alone, after sync, and checks that
// every acknowledged write is there and that all of them hold the same
// children, which it returns.
func (e *ensemble) checkWrites(acked []string, ids ...int) []string {
	e.t.Helper()
	var first []string
	for _, id := range ids {
		c := connect(e.t, []string{e.addr(id)})
		if _, err := c.Sync("/w"); err != nil {
			e.t.Fatalf("server %d: sync /w: %v", id, err)
		}
		kids, _, err := c.Children("/w")
		if err != nil {
			e.t.Fatalf("server %d: getChildren /w: %v", id, err)
		}
		c.Close()
		slices.Sort(kids)
		var lost []string
		for _, a := range acked {
			if _, ok := slices.BinarySearch(kids, a); !ok {
				lost = append(lost, a)
			}
		}
		if len(lost) > 0 {
			e.t.Errorf("server %d lost %d of %d acknowledged writes: %v", id, len(lost), len(acked), lost[:min(len(lost), 10)])
		}
		if first == nil {
			first = kids
		} else if !slices.Equal(first, kids) {
			e.t.Errorf("server %d has %d children of /w, server %d has %d", id, len(kids), ids[0], len(first))
		}
	}
	return first
}

func others(ids []int, not int) []int {
	return slices.DeleteFunc(slices.Clone(ids), func(x int) bool { return x == not })
}

func (e *ensemble) addrs(ids ...int) []string {
	var a []string
	for _, id := range ids {
		a = append(a, e.addr(id))
	}
	return a
}

// TestLeaderFailover kills the leader with SIGKILL under a write load: the
// others elect a new leader within 2 × initLimit ticks, the load goes on,
// no acknowledged write is lost on any live server, and the old leader
// catches up when it comes back.
func TestLeaderFailover(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, ensembleOpts{voters: 3})
	for _, id := range e.ids {
		e.start(id)
	}
	leader := e.waitSettled(30*time.Second, e.ids...)
	w := startWriters(t, e.addrs(e.ids...), 4)
	e.waitAcked(w, 100, 30*time.Second)
	e.markSessions(w)

	before := w.count()
	killed := time.Now()
	e.kill(leader)
	rest := others(e.ids, leader)
	limit := 2 * time.Duration(e.initLim) * e.tickTime
	newLeader := e.waitSettled(limit, rest...)
	took := time.Since(killed)
	t.Logf("failover: server %d killed, server %d leads after %v (limit 2 × initLimit = %v)", leader, newLeader, took.Round(time.Millisecond), limit)

	e.waitAcked(w, before+100, 30*time.Second)
	acked, fails := w.finish()
	t.Logf("%d writes acknowledged, %d failed or unknown", len(acked), fails)
	if !w.sessionsKept() {
		t.Errorf("a client session did not survive the failover: %v at the start", w.sessions)
	}
	e.checkWrites(acked, rest...)

	e.start(leader)
	e.waitSettled(30*time.Second, e.ids...)
	e.checkHistory(w, e.checkWrites(acked, e.ids...))
	if n := e.grepLog(newLeader, fmt.Sprintf("synchronising learner\" myid=%d sid=%d", newLeader, leader)); n == 0 {
		t.Errorf("the new leader's log does not show server %d synchronising", leader)
	}
	for _, id := range e.ids {
		e.stop(id)
	}
}

// TestFollowerCatchUp kills a follower; the ensemble keeps serving writes;
// restarted, the follower catches up by DIFF. When the leader has purged
// the log the follower lacks (snapCount=20 and autopurge), or with
// ZABD_FORCE_SNAPSHOT_SYNC (ZooKeeper's zookeeper.forceSnapshotSync), the
// leader sends SNAP instead, and the follower keeps the snapshot across a
// restart.
func TestFollowerCatchUp(t *testing.T) {
	skipShort(t)
	for _, tc := range []struct {
		name, mode string
		opts       ensembleOpts
	}{
		{"DIFF", "DIFF", ensembleOpts{}},
		{"purged", "SNAP", ensembleOpts{extra: "snapCount=20\nautopurge.purgeInterval=1\nautopurge.snapRetainCount=3\n"}},
		{"forced", "SNAP", ensembleOpts{env: []string{quorum.ForceSnapSyncEnv + "=true"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mode := tc.mode
			o := tc.opts
			o.voters = 3
			e := newEnsemble(t, o)
			for _, id := range e.ids {
				e.start(id)
			}
			leader := e.waitSettled(30*time.Second, e.ids...)
			follower := others(e.ids, leader)[0]
			w := startWriters(t, e.addrs(leader), 2)
			e.waitAcked(w, 50, 30*time.Second)

			e.kill(follower)
			n := w.count()
			e.waitAcked(w, n+100, 30*time.Second)
			acked, _ := w.finish()

			e.start(follower)
			e.waitSettled(30*time.Second, e.ids...)
			e.checkWrites(acked, e.ids...)
			line := fmt.Sprintf("synchronising learner\" myid=%d sid=%d mode=%s", leader, follower, mode)
			if e.grepLog(leader, line) == 0 {
				t.Errorf("the leader's log lacks %q", line)
			}
			if mode == "SNAP" {
				// The follower restarts from the stored snapshot.
				e.stop(follower)
				e.start(follower)
				e.waitSettled(30*time.Second, e.ids...)
				if l := e.lastLogLine(follower, "loaded the data tree"); strings.Contains(l, "snapshot=0x0 ") {
					t.Errorf("server %d did not load its snapshot at restart: %s", follower, l)
				}
				e.checkWrites(acked, e.ids...)
			}
			for _, id := range e.ids {
				e.stop(id)
			}
		})
	}
}
