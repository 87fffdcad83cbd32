package election_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zabd/zabd/quorum/election"
	"github.com/zabd/zabd/quorum/transport"
)

// TestJavaEnsemble runs Fast Leader Election between real Apache ZooKeeper
// servers (QuorumPeerMain from the installed zookeeper.jar) and this
// package, as server 3 of a three-server ensemble, over quorum/transport:
//
//   - join: Java servers 1 and 2 elect a leader and establish it; server 3
//     starts late, and learns from their FOLLOWING/LEADING answers that 2
//     leads.
//   - lead: Java server 1 and server 3 start with empty data; both vote for
//     the highest sid, 3, which decides LEADING, and Java server 1 decides to
//     follow it: it connects to 3's quorum port and sends FOLLOWERINFO.
//
// It needs java and /usr/share/java/zookeeper.jar, and is skipped with
// -short. It runs in real time.
func TestJavaEnsemble(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ZooKeeper servers")
	}
	const jar = "/usr/share/java/zookeeper.jar"
	java, err := exec.LookPath("java")
	if _, serr := os.Stat(jar); serr != nil || err != nil {
		t.Skip("needs java and " + jar)
	}
	t.Run("join", func(t *testing.T) {
		ens := newEnsemble(t, java, jar)
		ens.startJava(1)
		ens.startJava(2)
		ens.waitMode(2, "leader")
		ens.waitMode(1, "follower")
		d := ens.runOurs(nil)
		if d.State != election.Following || d.Vote.Leader != 2 || !d.Joined {
			t.Fatalf("server 3 decided %+v, want to join leader 2 as a follower", d)
		}
	})
	t.Run("lead", func(t *testing.T) {
		ens := newEnsemble(t, java, jar)
		quorum, err := net.Listen("tcp", ens.quorum[3])
		if err != nil {
			t.Fatal(err)
		}
		defer quorum.Close()
		ens.startJava(1)
		d := ens.runOurs(nil)
		if d.State != election.Leading || d.Vote.Leader != 3 {
			t.Fatalf("server 3 decided %+v, want LEADING", d)
		}
		// Java's server 1 follows us: it dials our quorum port and sends a
		// QuorumPacket FOLLOWERINFO (type 11) with its accepted epoch.
		if err := quorum.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			t.Fatal(err)
		}
		c, err := quorum.Accept()
		if err != nil {
			t.Fatalf("server 1 never connected to our quorum port: %v", err)
		}
		defer c.Close()
		if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		var typ [4]byte
		if _, err := io.ReadFull(c, typ[:]); err != nil {
			t.Fatal(err)
		}
		if got := binary.BigEndian.Uint32(typ[:]); got != 11 {
			t.Fatalf("first QuorumPacket type %d, want 11 (FOLLOWERINFO)", got)
		}
	})
}

type ensemble struct {
	t                        *testing.T
	java, jar, dir           string
	client, quorum, election map[int64]string
}

func newEnsemble(t *testing.T, java, jar string) *ensemble {
	e := &ensemble{t: t, java: java, jar: jar, dir: t.TempDir(),
		client: map[int64]string{}, quorum: map[int64]string{}, election: map[int64]string{}}
	for id := int64(1); id <= 3; id++ {
		e.client[id], e.quorum[id], e.election[id] = freeAddr(t), freeAddr(t), freeAddr(t)
	}
	return e
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// configText is the dynamic configuration every server sends in its
// notifications (QuorumMaj.toString); version 0, as a static zoo.cfg has.
func (e *ensemble) configText() string {
	var b strings.Builder
	for id := int64(1); id <= 3; id++ {
		fmt.Fprintf(&b, "server.%d=%s:%s:participant\n", id, e.quorum[id], port(e.election[id]))
	}
	b.WriteString("version=0")
	return b.String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (e *ensemble) startJava(id int64) {
	t := e.t
	dir := filepath.Join(e.dir, fmt.Sprint(id))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprintf("%d\n", id)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("tickTime=200\ninitLimit=20\nsyncLimit=10\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\n"+
		"4lw.commands.whitelist=srvr\nadmin.enableServer=false\n", dir, port(e.client[id]))
	for sid := int64(1); sid <= 3; sid++ {
		cfg += fmt.Sprintf("server.%d=%s:%s\n", sid, e.quorum[sid], port(e.election[sid]))
	}
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e.java, "-cp", e.jar+":/usr/share/java/slf4j-simple.jar",
		"-Dzookeeper.admin.enableServer=false", "-Dzookeeper.jmx.log4j.disable=true",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // our own child, by pid
		_ = cmd.Wait()         // NB: killed on purpose
		logf.Close()
		if t.Failed() || os.Getenv("ZABD_JAVA_LOGS") != "" {
			b, _ := os.ReadFile(logf.Name())
			if len(b) > 8000 && os.Getenv("ZABD_JAVA_LOGS") == "" {
				b = b[len(b)-8000:]
			}
			t.Logf("java server %d log (tail):\n%s", id, b)
		}
	})
}

// waitMode polls the srvr four-letter word until server id reports mode.
func (e *ensemble) waitMode(id int64, mode string) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", e.client[id], time.Second)
		if err == nil {
			_, _ = c.Write([]byte("srvr"))
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			b, _ := io.ReadAll(bufio.NewReader(c))
			c.Close()
			last = string(b)
			if strings.Contains(last, "Mode: "+mode) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond) // polling another process
	}
	e.t.Fatalf("server %d not %s; last srvr: %q", id, mode, last)
}

// runOurs runs server 3: Election over a transport.Manager, ticking in
// real time, until it decides; it keeps answering until the test ends.
func (e *ensemble) runOurs(_ []int64) election.Decision {
	t := e.t
	t.Helper()
	ln, err := net.Listen("tcp", e.election[3])
	if err != nil {
		t.Fatal(err)
	}
	m := transport.New(transport.Config{
		ID: 3, Addrs: []string{e.election[3]}, Listener: ln,
		Peers: map[int64][]string{1: {e.election[1]}, 2: {e.election[2]}},
	})
	el := election.New(election.Config{ID: 3, Verifier: election.NewMajority(1, 2, 3), ConfigData: []byte(e.configText())})
	decided := make(chan election.Decision, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(election.TickInterval)
		defer tick.Stop()
		el.Start(0, 0) // empty data: last zxid 0, epoch 0
		for {
			rd := el.Ready()
			for _, msg := range rd.Messages {
				if err := m.Send(msg.To, election.AppendNotification(nil, msg.Notification)); err != nil {
					t.Errorf("Send: %v", err)
				}
			}
			if rd.Decision != nil {
				decided <- *rd.Decision
			}
			select {
			case <-stop:
				return
			case msg := <-m.Recv():
				n, err := election.DecodeNotification(msg.Data)
				if err != nil {
					t.Errorf("from %d: %v", msg.From, err)
					continue
				}
				el.Step(msg.From, n)
			case <-tick.C:
				el.Tick()
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	select {
	case d := <-decided:
		return d
	case <-time.After(60 * time.Second):
		t.Fatal("server 3 never decided")
	}
	return election.Decision{}
}
