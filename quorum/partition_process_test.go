package quorum_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// netLab is a network of namespaces made for one test: one namespace per
// server, each with a veth into a bridge in the test's namespace, which has
// an address on the same subnet and so reaches every server. Partitions
// are blackhole routes inside the namespaces, so the test itself still
// talks to both sides.
type netLab struct {
	t      *testing.T
	prefix string // of every interface and namespace name
	subnet string // "10.a.b."
	n      int
}

// newNetLab builds n namespaces; it skips the test unless it runs as root
// with the ip tool.
func newNetLab(t *testing.T, n int) *netLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip tool (iproute2)")
	}
	l := &netLab{
		t:      t,
		prefix: fmt.Sprintf("zq%04x", rand.IntN(0x10000)),
		subnet: fmt.Sprintf("10.%d.%d.", 100+rand.IntN(100), rand.IntN(250)),
		n:      n,
	}
	t.Cleanup(l.teardown)
	br := l.prefix + "br"
	l.ip("link", "add", br, "type", "bridge")
	l.ip("addr", "add", l.subnet+"254/24", "dev", br)
	l.ip("link", "set", br, "up")
	for i := 1; i <= n; i++ {
		ns, veth := l.ns(i), fmt.Sprintf("%sv%d", l.prefix, i)
		l.ip("netns", "add", ns)
		l.ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.ip("link", "set", veth, "master", br, "up")
		l.ip("-n", ns, "addr", "add", l.addr(i)+"/24", "dev", "eth0")
		l.ip("-n", ns, "link", "set", "eth0", "up")
		l.ip("-n", ns, "link", "set", "lo", "up")
	}
	return l
}

func (l *netLab) ns(i int) string   { return fmt.Sprintf("%sn%d", l.prefix, i) }
func (l *netLab) addr(i int) string { return fmt.Sprintf("%s%d", l.subnet, i) }

// ip runs the ip tool; a failure fails the test.
func (l *netLab) ip(args ...string) {
	l.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		l.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (l *netLab) teardown() {
	for i := 1; i <= l.n; i++ {
		_ = exec.Command("ip", "netns", "del", l.ns(i)).Run() // NB: also removes the veth
	}
	_ = exec.Command("ip", "link", "del", l.prefix+"br").Run()
}

// cut drops all traffic between the servers of a and those of b, both ways.
func (l *netLab) cut(a, b []int) { l.routes("add", a, b) }

// heal undoes cut.
func (l *netLab) heal(a, b []int) { l.routes("del", a, b) }

func (l *netLab) routes(op string, a, b []int) {
	l.t.Helper()
	for _, x := range a {
		for _, y := range b {
			l.ip("-n", l.ns(x), "route", op, "blackhole", l.addr(y)+"/32")
			l.ip("-n", l.ns(y), "route", op, "blackhole", l.addr(x)+"/32")
		}
	}
}

// TestPartition cuts the leader of three voters off from the two others:
// the minority side stops serving (no write succeeds there), the majority
// elects a leader and goes on taking writes, and once the partition heals
// the old leader follows and holds every acknowledged write.
func TestPartition(t *testing.T) {
	skipShort(t)
	lab := newNetLab(t, 3)
	e := newEnsemble(t, ensembleOpts{voters: 3, lab: lab})
	for _, id := range e.ids {
		e.start(id)
	}
	leader := e.waitSettled(30*time.Second, e.ids...)
	rest := others(e.ids, leader)
	w := startWriters(t, e.addrs(rest...), 2)
	e.waitAcked(w, 50, 30*time.Second)

	lab.cut([]int{leader}, rest)
	cut := time.Now()
	newLeader := e.waitSettled(2*time.Duration(e.initLim)*e.tickTime+10*time.Second, rest...)
	t.Logf("partition: server %d cut off, server %d leads the majority after %v", leader, newLeader, time.Since(cut).Round(time.Millisecond))
	e.eventually(20*time.Second, fmt.Sprintf("server %d stops leading", leader), func() bool {
		// It answers, and not as a leader: while it elects, srvr says it
		// is not serving, as ZooKeeper's does.
		out, err := fourLetter(e.addr(leader), "srvr")
		return err == nil && !strings.Contains(out, "Mode: leader")
	})
	// No write succeeds on the minority side.
	minority, _, err := zk.Connect([]string{e.addr(leader)}, 4*time.Second, zk.WithLogger(discardLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := minority.Create("/minority", nil, 0, zk.WorldACL(zk.PermAll))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a write succeeded on the minority side")
		}
	case <-time.After(8 * time.Second):
		// Still waiting for a server that serves: not acknowledged.
	}
	minority.Close()
	n := w.count()
	e.waitAcked(w, n+50, 30*time.Second)

	lab.heal([]int{leader}, rest)
	e.waitSettled(60*time.Second, e.ids...)
	acked, _ := w.finish()
	e.checkHistory(w, e.checkWrites(acked, e.ids...))
	c := connect(t, e.addrs(e.ids...))
	if _, _, err := c.Get("/minority"); !errors.Is(err, zk.ErrNoNode) {
		t.Errorf("get /minority after the heal = %v, want no node", err)
	}
	for _, id := range e.ids {
		e.stop(id)
	}
}
