package transport

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJavaInterop runs Apache ZooKeeper's own QuorumCnxManager (via
// testdata/gen/ElectionPeer.java, on the installed zookeeper.jar) as servers
// 1 and 3, and a Manager as server 2 between them, so that each side both
// wins and loses the connection challenge against Java. Skipped with -short
// or without Java and ZooKeeper.
func TestJavaInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts JVMs")
	}
	const jar = "/usr/share/java/zookeeper.jar"
	javac, errc := exec.LookPath("javac")
	java, errj := exec.LookPath("java")
	if _, err := os.Stat(jar); err != nil || errc != nil || errj != nil {
		t.Skip("needs java, javac and " + jar)
	}
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-cp", jar, "-d", classes, "testdata/gen/ElectionPeer.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	cp := jar + ":/usr/share/java/slf4j-nop.jar:" + classes

	for _, javaFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("javaSendsFirst=%v", javaFirst), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addrs := map[int64]string{1: freeAddr(t), 2: ln.Addr().String(), 3: freeAddr(t)}
			var args []string
			for id, a := range addrs {
				args = append(args, fmt.Sprintf("%d=%s", id, a))
			}
			j1 := startJava(t, java, cp, 1, args)
			j3 := startJava(t, java, cp, 3, args)
			m := New(Config{ID: 2, Addrs: []string{addrs[2]}, Listener: ln,
				Peers: map[int64][]string{1: {addrs[1]}, 3: {addrs[3]}}})
			t.Cleanup(func() {
				if err := m.Close(); err != nil {
					t.Error(err)
				}
			})
			c := &cluster{t: t, ms: map[int64]*Manager{2: m}}
			goSends := func() {
				mustSend(t, m, 1, "go to java 1")
				mustSend(t, m, 3, "go to java 3")
			}
			javaSends := func() {
				j1.send(2, "java 1 to go")
				j3.send(2, "java 3 to go")
			}
			if javaFirst {
				javaSends()
				c.expect(2, "1:java 1 to go", "3:java 3 to go")
				goSends()
			} else {
				goSends()
				javaSends()
				c.expect(2, "1:java 1 to go", "3:java 3 to go")
			}
			j1.expect(2, "go to java 1")
			j3.expect(2, "go to java 3")

			// One connection each: 2 dialed 1, 3 dialed 2.
			deadline := time.Now().Add(tcpDeadline)
			for {
				_, r1, ok1 := m.connAddrs(1)
				l3, _, ok3 := m.connAddrs(3)
				if ok1 && ok3 && r1 == addrs[1] && l3 == addrs[2] {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("connections: to 1 %v remote %s, to 3 %v local %s", ok1, r1, ok3, l3)
				}
				time.Sleep(5 * time.Millisecond) // polling another goroutine's state
			}
			// And they keep working.
			mustSend(t, m, 1, "again 1")
			mustSend(t, m, 3, "again 3")
			j1.expect(2, "again 1")
			j3.expect(2, "again 3")
			j1.send(2, "again from 1")
			j3.send(2, "again from 3")
			c.expect(2, "1:again from 1", "3:again from 3")
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

type javaPeer struct {
	t     *testing.T
	id    int64
	stdin io.Writer
	lines chan string
}

func startJava(t *testing.T, java, cp string, id int64, args []string) *javaPeer {
	t.Helper()
	cmd := exec.Command(java, append([]string{"-cp", cp, "ElectionPeer", fmt.Sprint(id)}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &javaPeer{t: t, id: id, stdin: stdin, lines: make(chan string, 100)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.lines <- s.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		fmt.Fprintln(stdin, "quit")
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill() // our own child, by pid
			<-exited
		}
		<-done
		if t.Failed() {
			b, _ := os.ReadFile(stderr.Name())
			t.Logf("java %d stderr:\n%s", id, b)
		}
		stderr.Close()
	})
	select {
	case l := <-p.lines:
		if l != "ready" {
			t.Fatalf("java %d: %q", id, l)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("java %d not ready", id)
	}
	return p
}

func (p *javaPeer) send(to int64, msg string) {
	p.t.Helper()
	if _, err := fmt.Fprintf(p.stdin, "send %d %s\n", to, hex.EncodeToString([]byte(msg))); err != nil {
		p.t.Fatal(err)
	}
}

// expect waits for msg from sid; duplicates and other lines are skipped.
func (p *javaPeer) expect(from int64, msg string) {
	p.t.Helper()
	want := fmt.Sprintf("recv %d %s", from, hex.EncodeToString([]byte(msg)))
	deadline := time.After(tcpDeadline)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("java %d exited", p.id)
			}
			if strings.TrimSpace(l) == want {
				return
			}
		case <-deadline:
			p.t.Fatalf("java %d: no %q from %d", p.id, msg, from)
		}
	}
}
