package compat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zabd/zabd/jute/zkproto"
)

// The ZooKeeper C client's programs, from Debian's zookeeper-bin 3.8.0.
const (
	cliMtPath   = "/usr/lib/zookeeper/bin/cli_mt"
	loadGenPath = "/usr/lib/zookeeper/bin/load_gen"
)

// Bounds of the C client runs. NB: the C client retries a refused or lost
// connection forever, and cli_mt in batch mode waits forever for a command
// that has no completion (exists, myid, addauth, ...), so every run is
// killed at its deadline and the transcript says so.
const (
	cliMtRunTimeout     = 20 * time.Second // one batch cli_mt
	cliMtSessionTimeout = 45 * time.Second // one interactive cli_mt, from its start to its exit
	cliMtWaitTimeout    = 15 * time.Second // one interactive step: its barrier, an awaited line, the exit
	loadGenTimeout      = 30 * time.Second // the load run, or the clean run
	loadGenChildren     = 500              // children load_gen creates, writes, reads and deletes a cycle
	loadGenCycles       = 3                // cycles run before load_gen (which loops forever) is stopped
)

// cliStep is one step of the cli_mt script. A step without a session runs a
// new cli_mt in batch mode (`cli_mt ADDR cmd:LINE`), which exits when the
// command's completion has run and closes its session; a step with a session
// types into a long-lived interactive cli_mt, started on first use, so that
// its session's ephemerals and watches outlive the step.
//
// After every typed line the driver types `sync /cclient-barrier-N` and
// waits for its completion: the C client runs completions and watch events
// in the order the server sent them, so the barrier's completion marks the
// end of the line's output. A step first collects what arrived since the
// session's last step (watch events caused by other steps) behind a barrier
// of its own, so such events never interleave with the line's output.
type cliStep struct {
	sess   string         // interactive session name; "" for batch mode
	line   string         // the command; in a session, "" only collects what arrived
	await  string         // in a session: after typing line (if any), wait for this output line instead of a barrier
	close  bool           // in a session: close stdin (cli_mt says "bye") and wait for the exit
	kill   bool           // in a session: kill the process
	cut    bool           // in a session: cut its connection and hold the client's reconnection; with await
	resume bool           // in a session: let the client's reconnection through; with await
	myid   bool           // batch: `cli_mt -h ADDR -m FILE -c LINE`, the client id file form
	ro     bool           // batch: `cli_mt -r ADDR cmd:LINE`, asking for a read-only session
	chroot string         // batch: appended to ADDR, the client's chroot
	setup  func(*rawConn) // run on a raw connection instead (ACLs cli_mt cannot set)
	detail string         // the step's name in the transcript for a setup step
}

// Steps of the script: a batch run; a line typed into a session; what the
// session received since its last step; an awaited line, with or without a
// line typed first; the end of stdin; a kill; a cut connection and the
// reconnection; a raw client's setup.
func batch(line string) cliStep         { return cliStep{line: line} }
func typeIn(sess, line string) cliStep  { return cliStep{sess: sess, line: line} }
func collect(sess string) cliStep       { return cliStep{sess: sess} }
func awaitIn(sess, line string) cliStep { return cliStep{sess: sess, await: line} }
func typeAwait(sess, line, await string) cliStep {
	return cliStep{sess: sess, line: line, await: await}
}
func eof(sess string) cliStep  { return cliStep{sess: sess, close: true} }
func kill(sess string) cliStep { return cliStep{sess: sess, kill: true} }
func cut(sess string) cliStep {
	return cliStep{sess: sess, cut: true, await: "Watcher SESSION_EVENT state = CONNECTING_STATE"}
}
func resume(sess string) cliStep {
	return cliStep{sess: sess, resume: true, await: "Watcher SESSION_EVENT state = CONNECTED_STATE"}
}
func rawSetup(detail string, f func(*rawConn)) cliStep {
	return cliStep{setup: f, detail: detail}
}

// watchEvent is the line cli_mt's watcher prints for a node event.
func watchEvent(typ, path string) string {
	return "Watcher " + typ + " state = CONNECTED_STATE for path " + path
}

// String names the step in the transcript and in failure messages.
func (s cliStep) String() string {
	switch {
	case s.setup != nil:
		return "raw: " + s.detail
	case s.sess == "" && s.myid:
		return "cli_mt -m FILE -c " + printable(s.line)
	case s.sess == "" && s.ro:
		return "cli_mt -r cmd:" + printable(s.line)
	case s.sess == "" && s.chroot != "":
		return "cli_mt ADDR" + s.chroot + " cmd:" + printable(s.line)
	case s.sess == "":
		return "cli_mt cmd:" + printable(s.line)
	case s.close:
		return "[" + s.sess + "] <EOF>"
	case s.kill:
		return "[" + s.sess + "] <kill>"
	case s.cut:
		return "[" + s.sess + "] <cut the connection>"
	case s.resume:
		return "[" + s.sess + "] <let the reconnection through>"
	case s.await != "" && s.line != "":
		return "[" + s.sess + "] " + s.line + " (await " + s.await + ")"
	case s.await != "":
		return "[" + s.sess + "] await " + s.await
	case s.line == "":
		return "[" + s.sess + "] (collect)"
	default:
		return "[" + s.sess + "] " + printable(s.line)
	}
}

// printable quotes a line that has bytes other than printable ASCII and
// tabs (the paths that are not UTF-8, and the CESU-8 that ZooKeeper
// echoes, are then legible).
func printable(l string) string {
	for i := 0; i < len(l); i++ {
		if (l[i] < ' ' && l[i] != '\t') || l[i] >= 0x7f {
			return strconv.QuoteToASCII(l)
		}
	}
	return l
}

// cliMtSteps covers every cli_mt command (help lists create, create2,
// delete, set, get, ls, ls2, sync, exists, wexists, myid, verbose, addauth,
// config, reconfig, quit; od and reinit are unlisted) in batch mode where
// the command completes, and typed into sessions A..I otherwise.
func cliMtSteps() []cliStep {
	ttlMax := strconv.FormatInt(1<<40-1, 10) // EphemeralType.TTL's largest ttl
	return []cliStep{
		// Creates of every mode, and their errors.
		batch("create /cc"),
		batch("create /cc"), // NodeExists
		batch("create2 /cc/p"),
		batch("create +s /cc/p/s"),
		batch("create2 +s /cc/p/s"),
		batch("create /cc/none/x"),    // NoNode
		batch("create +s /cc/none/x"), // NoNode
		batch("create +e /cc/e"),      // gone when the batch session closes
		batch("create2 +es /cc/p/es"), // also gone, but it took a sequence number
		batch("create +c /cc/ctr0"),   // an empty container is never reaped
		batch("create2 +c /cc/ctr1"),  // createContainer
		batch("create +t=600000 /cc/ttl"),
		batch("create2 +st=600000 /cc/p/ts"),
		batch("create +t=" + ttlMax + " /cc/ttlmax"),
		batch("create /cc/e/x"), // NoNode: the ephemeral is gone
		batch("ls /cc"),
		batch("ls2 /cc/p"),
		// Reads, writes and deletes.
		batch("get /cc/p"),
		batch("set /cc/p pdata"),
		batch("get /cc/p"),
		batch("get /cc/ttl"),
		batch("get /cc/none"),
		batch("set /cc/none x"),
		batch("ls /cc/none"),
		batch("ls2 /cc/none"),
		batch("delete /cc/p"), // NotEmpty
		batch("delete /cc/none"),
		batch("create /cc/d"),
		batch("delete /cc/d"),
		batch("delete /cc/d"),
		batch("sync /cc"),
		batch("sync /cc/none"),
		// The 'a' prefix is accepted and changes nothing.
		batch("acreate /cc/a"),
		batch("aset /cc/a adata"),
		batch("aget /cc/a"),
		batch("als /cc"),
		batch("als2 /cc/a"),
		batch("async /cc/a"),
		batch("adelete /cc/a"),
		// The system subtree, config and reconfig.
		batch("config"),
		batch("get /zookeeper/config"),
		batch("ls /zookeeper"),
		batch("get /zookeeper"),
		batch("ls2 /zookeeper/quota"),
		batch("set /zookeeper/config x"),    // NoAuth: READ_ACL_UNSAFE
		batch("create /zookeeper/config/x"), // NoAuth
		batch("delete /zookeeper/config"),   // BadArguments
		batch("delete /zookeeper"),          // BadArguments
		batch("reconfig -add 2=127.0.0.1:2888:3888;2181"),
		batch("reconfig -remove 3"),
		batch("reconfig -members 1=127.0.0.1:2888:3888;2181 -version 100000000"),
		// od: 200 pipelined 64 KiB sets and gets.
		batch("od"), // NoNode for all of them
		batch("create /od"),
		batch("od"),
		batch("delete /od"),
		// The client id file: cli_mt writes the session it got.
		{line: "create +e /cc/m", myid: true},
		// A read-only session on a server that is not read-only is an
		// ordinary one; a chroot is the client's business.
		{line: "ls /cc/p", ro: true},
		{line: "create /cc/rw", ro: true},
		{line: "delete /cc/rw", ro: true},
		{line: "create2 /chr", chroot: "/cc"},
		{line: "ls2 /", chroot: "/cc"},
		{line: "sync /chr", chroot: "/cc"},
		{line: "delete /chr", chroot: "/cc"},
		// Quotas set by hand: the stat node counts from when it exists;
		// going over a limit is only logged (enforceQuota is off).
		batch("create /ccq"),
		batch("create /ccq/a"),
		batch("create /zookeeper/quota/ccq"),
		batch("create /zookeeper/quota/ccq/zookeeper_limits"),
		batch("set /zookeeper/quota/ccq/zookeeper_limits count=2,bytes=10"),
		batch("create /zookeeper/quota/ccq/zookeeper_stats"),
		batch("get /zookeeper/quota/ccq/zookeeper_stats"),
		batch("create /ccq/b"),
		batch("set /ccq/a 0123456789abcdef"),
		batch("get /zookeeper/quota/ccq/zookeeper_stats"),
		batch("delete /ccq/b"),
		batch("get /zookeeper/quota/ccq/zookeeper_stats"),
		batch("ls /zookeeper/quota/ccq"),
		// Paths as Java reads them: UTF-16, U+FFFD for malformed bytes.
		batch("create /cc/\u00e9"),
		batch("get /cc/\u00e9"),
		batch("delete /cc/\u00e9"),
		batch("create /cc/\U0001F600"), // BadArguments: a surrogate pair in Java
		batch("create /cc/\uf8ff"),     // BadArguments: private use
		batch("create /cc/\xff"),       // BadArguments: U+FFFD
		batch("sync /cc/\U0001F600"),   // echoed in CESU-8
		batch("sync /cc/\xe0\xa0"),     // echoed as one U+FFFD
		batch("get /cc/\U0001F600"),

		// Watches: set in session A, triggered by batch steps and by A.
		typeIn("A", "wexists /cc/w"), // NoNode, watch set
		batch("create /cc/w"),
		collect("A"), // CREATED_EVENT
		typeIn("A", "wexists /cc/w"),
		typeIn("A", "get /cc/w"), // the same watcher: one event
		batch("set /cc/w changed"),
		typeIn("A", "exists /cc/w"), // CHANGED_EVENT first
		typeIn("A", "ls /cc/w"),
		typeIn("A", "ls2 /cc/w"),
		batch("create /cc/w/kid"),
		collect("A"), // CHILD_EVENT
		typeIn("A", "wexists /cc/w/kid"),
		typeIn("A", "ls /cc/w"),
		typeIn("A", "get /cc/w"),
		batch("delete /cc/w/kid"), // DELETED_EVENT, then CHILD_EVENT
		collect("A"),
		typeIn("A", "set /cc/w own"), // its own change: the event before the completion
		typeIn("A", "wexists /cc/w"),
		typeIn("A", "ls /cc/w"),
		typeIn("A", "config"),
		typeIn("A", "delete /cc/w"), // one DELETED_EVENT for the data and the child watch
		typeIn("A", "myid"),
		eof("A"),

		// Ephemerals live as long as their session: B creates, C watches.
		batch("create /cc/eph"),
		typeIn("B", "create +e /cc/eph/be"),
		typeIn("B", "create2 +es /cc/p/bes"),
		typeIn("B", "create /cc/eph/be/child"), // NoChildrenForEphemerals
		typeIn("B", "myid"),
		typeIn("C", "ls /cc/eph"),
		typeIn("C", "wexists /cc/eph/be"),
		typeIn("C", "get /cc/eph/be"), // ephemeralOwner is B
		typeIn("C", "ls2 /cc/p"),
		batch("ls /cc/eph"),
		typeIn("B", "delete /cc/p/bes0000000004"),
		eof("B"),     // closeSession deletes /cc/eph/be
		collect("C"), // DELETED_EVENT, CHILD_EVENT
		typeIn("C", "exists /cc/eph/be"),
		typeIn("C", "ls2 /cc/eph"),
		typeIn("C", "quit"),

		// Client-side errors, verbose, myid, reinit in one session.
		typeIn("D", "help"),
		typeIn("D", "create +et=5 /cc/x"),
		typeIn("D", "create +cs /cc/x"),
		typeIn("D", "create +t=0 /cc/x"),
		typeIn("D", "create +t /cc/x"),
		typeIn("D", "create +q /cc/x"),
		typeIn("D", "create cc"),
		typeIn("D", "create /cc/"),
		typeIn("D", "create +t=1099511627776 /cc/x"), // above EphemeralType.TTL's maximum
		typeIn("D", "set /cc"),
		typeIn("D", "set cc x"),
		typeIn("D", "get cc"),
		typeIn("D", "ls cc"),
		typeIn("D", "delete cc"),
		typeIn("D", "sync cc"),
		typeIn("D", "exists cc"),
		typeIn("D", "reconfig -bogus"),
		typeIn("D", "frobnicate /cc"),
		typeIn("D", "exists /cc/none"),
		typeIn("D", "aexists /cc"),
		typeIn("D", "verbose"),
		typeIn("D", "myid"),
		typeIn("D", "verbose"),
		typeIn("D", "create +e /cc/de"),
		typeIn("D", "reinit"), // closes the session: /cc/de goes
		typeIn("D", "exists /cc/de"),
		typeIn("D", "myid"),
		eof("D"),

		// ACLs: nodes cli_mt cannot create, then addauth digest.
		rawSetup("create /cc/acl [digest alice:cdrwa], /cc/ro [world:r], /cc/nil (null data), /cc/empty", func(c *rawConn) {
			c.createACL("/cc/acl", []byte("secret"), acls(digestACL(zkproto.PermAll, aliceCred)), zkproto.ModePersistent)
			c.createACL("/cc/ro", []byte("ro"), acls(worldACL(zkproto.PermRead)), zkproto.ModePersistent)
			c.create("/cc/nil", nil, zkproto.ModePersistent)
			c.create("/cc/empty", []byte{}, zkproto.ModePersistent)
		}),
		batch("get /cc/nil"),
		batch("get /cc/empty"),
		batch("get /cc/acl"),   // NoAuth
		batch("ls /cc/acl"),    // NoAuth
		batch("set /cc/ro x"),  // NoAuth
		batch("get /cc/ro"),    // world may read
		batch("delete /cc/ro"), // DELETE is checked on /cc
		typeIn("E", "exists /cc/acl"),
		typeIn("E", "get /cc/acl"),
		typeIn("E", "create /cc/acl/x"),
		typeIn("E", "addauth digest bob:builder"),
		typeIn("E", "get /cc/acl"),
		typeIn("E", "addauth digest "+aliceCred),
		typeIn("E", "get /cc/acl"),
		typeIn("E", "create /cc/acl/x"),
		typeIn("E", "set /cc/acl y"),
		typeIn("E", "ls2 /cc/acl"),
		typeIn("E", "delete /cc/acl/x"),
		typeIn("E", "create /cc/ro2"),
		eof("E"),
		rawSetup("create /cc/ro2/kid; setACL /cc/ro2 [world:r]", func(c *rawConn) {
			c.create("/cc/ro2/kid", nil, zkproto.ModePersistent)
			c.setACL("/cc/ro2", acls(worldACL(zkproto.PermRead)), -1)
		}),
		typeIn("F", "delete /cc/ro2/kid"), // NoAuth: DELETE on /cc/ro2
		typeIn("F", "create /cc/ro2/x"),   // NoAuth
		typeIn("F", "addauth digest "+superCred),
		typeIn("F", "delete /cc/ro2/kid"),
		typeIn("F", "set /cc/ro2 super"),
		typeIn("F", "get /cc/acl"),
		eof("F"),
		// AuthFailed: the server closes the connection, cli_mt's watcher
		// closes the handle. NB: cli_mt closes it again when stdin ends, and
		// the two zookeeper_close calls race (both join the client's I/O
		// thread; cli_mt sometimes hangs), so this session is killed.
		typeAwait("G", "addauth nosuch x", "Authentication failure. Shutting down..."),
		kill("G"),

		// Reaping: a container that had a child, and a TTL node.
		batch("create /cc/ctr/k"), // NoNode
		typeIn("H", "create +c /cc/ctr"),
		typeIn("H", "create /cc/ctr/k"),
		typeIn("H", "wexists /cc/ctr"),
		typeIn("H", "delete /cc/ctr/k"),
		awaitIn("H", watchEvent("DELETED_EVENT", "/cc/ctr")),
		typeIn("H", "exists /cc/ctr"),
		typeIn("H", "wexists /cc/t"),
		batch("create +t=3000 /cc/t"),
		collect("H"), // CREATED_EVENT
		typeIn("H", "wexists /cc/t"),
		awaitIn("H", watchEvent("DELETED_EVENT", "/cc/t")),
		typeIn("H", "exists /cc/t"),
		typeIn("H", "ls /cc"),
		eof("H"),

		// Connection loss: the session and its watches survive; on
		// reconnecting the client sends SetWatches and hears of the changes
		// it missed.
		typeIn("I", "create +e /cc/eph/ie"),
		typeIn("I", "wexists /cc/r"), // NoNode
		typeIn("I", "get /cc/p"),
		typeIn("I", "ls /cc/eph"),
		typeIn("I", "wexists /cc/ttl"),
		cut("I"),
		batch("create /cc/r"),
		batch("set /cc/p missed"),
		batch("create /cc/eph/x"),
		resume("I"),
		collect("I"), // CHANGED /cc/p, CREATED /cc/r, CHILD /cc/eph
		typeIn("I", "myid"),
		typeIn("I", "exists /cc/eph/ie"),
		typeIn("I", "set /cc/ttl still-watched"),
		eof("I"),
		batch("ls /cc/eph"),
		batch("ls2 /cc"),
	}
}

// TestCClient runs the C client's cli_mt through cliMtSteps, and load_gen,
// against ZooKeeper and the target, and compares the normalised transcripts
// step by step.
func TestCClient(t *testing.T) {
	skipShort(t)
	t.Parallel()
	for _, p := range []string{cliMtPath, loadGenPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("the ZooKeeper C client is not installed (`make deps` installs zookeeper-bin): %v", err)
		}
	}
	if _, err := exec.LookPath("stdbuf"); err != nil {
		t.Fatalf("stdbuf (coreutils) is needed to line-buffer cli_mt's stdout: %v", err)
	}
	oracle, target := startPair(t)
	steps := cliMtSteps()
	type side struct {
		steps   []string
		loadGen string
	}
	var want, got side
	var wg sync.WaitGroup
	for _, run := range []struct {
		s   *server
		out *side
	}{{oracle, &want}, {target, &got}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir := t.TempDir()
			start := time.Now()
			run.out.steps = runCliMt(run.s.addr, dir, steps)
			mid := time.Now()
			run.out.loadGen = runLoadGen(run.s.addr, dir)
			t.Logf("%s: cli_mt steps %v, load_gen %v", run.s.label, mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	same := 0
	for i, step := range steps {
		name := fmt.Sprintf("%03d_%s", i+1, step)
		if d := compareTranscripts(oracle.label, want.steps[i], target.label, got.steps[i]); d != "" {
			t.Errorf("step %s: %s", name, d)
			continue
		}
		same++
	}
	t.Logf("cli_mt: %d of %d steps identical", same, len(steps))
	if d := compareTranscripts(oracle.label, want.loadGen, target.label, got.loadGen); d != "" {
		t.Errorf("load_gen: %s", d)
	}
	// Guard the harness: these ZooKeeper outputs are known.
	for _, g := range []struct{ step, frag string }{
		{"cli_mt cmd:create /cc", "[/cc]: rc = -110"},
		{"cli_mt cmd:create +s /cc/p/s", "name = /cc/p/s0000000000"},
		{"cli_mt cmd:create /cc/e/x", "[/cc/e/x]: rc = -101"},
		{"cli_mt cmd:reconfig -remove 3", "-remove 3: rc = -123"},
		{"[A] (collect)", watchEvent("CREATED_EVENT", "/cc/w")},
		{"[C] (collect)", watchEvent("DELETED_EVENT", "/cc/eph/be")},
		{"[E] get /cc/acl", "/cc/acl: rc = 0"},
		{"[G] addauth nosuch x (await Authentication failure. Shutting down...)", "AUTH_FAILED_STATE"},
		{"[H] await " + watchEvent("DELETED_EVENT", "/cc/t"), watchEvent("DELETED_EVENT", "/cc/t")},
	} {
		found := false
		for i, s := range steps {
			found = found || s.String() == g.step && strings.Contains(want.steps[i], g.frag)
		}
		if !found {
			t.Errorf("no step %q on ZooKeeper printed %q", g.step, g.frag)
		}
	}
	if !strings.Contains(want.loadGen, fmt.Sprintf("cycles %d", loadGenCycles)) || !strings.Contains(want.loadGen, "exit 0") {
		t.Errorf("load_gen on ZooKeeper did not finish its cycles and clean up:\n%s", want.loadGen)
	}
	if testing.Verbose() && os.Getenv("ZABD_COMPAT_SHOW") != "" {
		t.Logf("ZooKeeper's cli_mt transcript:\n%s\nload_gen:\n%s", strings.Join(want.steps, ""), want.loadGen)
	}
	checkAlive(t, oracle, target)
}

// runCliMt runs the steps against addr and returns each step's normalised
// transcript. One normaliser spans all steps, so zxids and session ids are
// numbered across the whole run.
func runCliMt(addr, dir string, steps []cliStep) []string {
	tr := newTranscript()
	sessions := map[string]*cliSession{}
	defer func() {
		for _, s := range sessions {
			s.kill()
		}
	}()
	out := make([]string, len(steps))
	for i, st := range steps {
		var sb strings.Builder
		fmt.Fprintf(&sb, "$ %s\n", st)
		switch {
		case st.setup != nil:
			tr.lines = nil
			c := newRawConn(tr, "raw", addr)
			if c.handshake(connectOpts{}) {
				st.setup(c)
				c.closeSession()
			}
			c.close()
			sb.WriteString(tr.String())
			tr.lines = nil
		case st.sess == "":
			sb.WriteString(cliMtBatch(tr, addr, dir, st))
		default:
			s := sessions[st.sess]
			if s == nil {
				var start string
				s, start = startCliSession(addr)
				sessions[st.sess] = s
				writeCliOut(&sb, tr, addr, s.asServer(start, addr), false)
			}
			sb.WriteString(s.step(tr, addr, st))
		}
		out[i] = sb.String()
	}
	return out
}

// cliMtBatch runs one command in batch mode and returns its transcript.
func cliMtBatch(tr *transcript, addr, dir string, st cliStep) string {
	ctx, cancel := context.WithTimeout(context.Background(), cliMtRunTimeout)
	defer cancel()
	args := []string{"-oL", cliMtPath, addr + st.chroot, "cmd:" + st.line}
	switch {
	case st.myid:
		args = []string{"-oL", cliMtPath, "-h", addr, "-m", filepath.Join(dir, "clientid"), "-c", st.line}
	case st.ro:
		args = []string{"-oL", cliMtPath, "-r", addr, "cmd:" + st.line}
	}
	cmd := exec.CommandContext(ctx, "stdbuf", args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out // one pipe: the order is the order written
	status := exitStatus(ctx, cmd.Run())
	var sb strings.Builder
	writeCliOut(&sb, tr, addr, out.String(), true)
	fmt.Fprintf(&sb, "exit %s\n", status)
	return sb.String()
}

// exitStatus formats how a process ended.
func exitStatus(ctx context.Context, err error) string {
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return "killed: " + ctx.Err().Error()
	case errors.As(err, &ee):
		return ee.String()
	case err != nil:
		return err.Error()
	}
	return "0"
}

// cliSession is an interactive cli_mt: the driver types lines into its
// stdin and reads its stdout and stderr, which share one pipe (stdout is
// line-buffered with stdbuf so that myid's line is not held back).
type cliSession struct {
	proxy  *cutProxy // cli_mt connects through it
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	cancel context.CancelFunc
	n      int // barriers typed so far

	mu     sync.Mutex
	out    []byte // all output so far; guarded by mu
	read   int    // out[:read] belongs to earlier steps; guarded by mu
	more   chan struct{}
	done   chan struct{} // closed when the process has exited and out is complete
	status string        // set before done is closed
}

// startCliSession starts `cli_mt ADDR` and waits for its session. It
// returns the output up to the session id line.
func startCliSession(addr string) (*cliSession, string) {
	ctx, cancel := context.WithTimeout(context.Background(), cliMtSessionTimeout)
	s := &cliSession{cancel: cancel, more: make(chan struct{}, 1), done: make(chan struct{})}
	fail := func(err error) (*cliSession, string) {
		cancel()
		s.status = err.Error()
		close(s.done)
		return s, "start: " + err.Error() + "\n"
	}
	proxy, err := newCutProxy(addr)
	if err != nil {
		return fail(err)
	}
	s.proxy = proxy
	s.cmd = exec.CommandContext(ctx, "stdbuf", "-oL", cliMtPath, proxy.addr())
	s.cmd.Env = append(os.Environ(), "TZ=UTC")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := s.cmd.StdinPipe()
	if err != nil {
		return fail(err)
	}
	s.stdin = stdin
	pr, pw, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	err = s.cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return fail(err)
	}
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := pr.Read(buf)
			s.mu.Lock()
			s.out = append(s.out, buf[:n]...)
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
			if err != nil {
				break
			}
		}
		pr.Close()
		s.status = exitStatus(ctx, s.cmd.Wait())
		close(s.done)
	}()
	seg, m, ok := s.waitFor(regexp.MustCompile(`Got a new session id: 0x[0-9a-f]+\n`), cliMtWaitTimeout)
	if ok {
		seg += m[0]
	} else {
		seg += "TIMEOUT waiting for a session\n"
		s.kill()
	}
	return s, seg
}

// step runs one step in the session and returns its transcript.
func (s *cliSession) step(tr *transcript, addr string, st cliStep) string {
	var sb strings.Builder
	if !s.alive() {
		fmt.Fprintf(&sb, "not running (%s)\n", s.exit())
		return sb.String()
	}
	switch {
	case st.kill:
		s.kill()
		writeCliOut(&sb, tr, addr, s.asServer(s.waitExit(), addr), false)
		sb.WriteString("killed\n")
	case st.close:
		s.stdin.Close()
		seg := s.waitExit()
		writeCliOut(&sb, tr, addr, s.asServer(seg, addr), false)
		fmt.Fprintf(&sb, "exit %s\n", s.exit())
	case st.line == "quit":
		s.typeText("quit\n")
		seg := s.waitExit()
		writeCliOut(&sb, tr, addr, s.asServer(seg, addr), false)
		fmt.Fprintf(&sb, "exit %s\n", s.exit())
	case st.await != "":
		// No barrier: the awaited line may end the session (AuthFailed)
		// or come from a reconnection.
		switch {
		case st.cut:
			s.proxy.cut()
		case st.resume:
			s.proxy.resume()
		}
		if st.line != "" {
			s.typeText(st.line + "\n")
		}
		seg, m, ok := s.waitFor(regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(st.await)+`\n`), cliMtWaitTimeout)
		if ok {
			seg += m[0]
		}
		writeCliOut(&sb, tr, addr, s.asServer(seg, addr), false)
		if !ok {
			sb.WriteString("TIMEOUT\n")
		}
	default:
		// What arrived since the last step, then the line's own output.
		seg, ok := s.barrier("")
		if st.line != "" && ok {
			var more string
			more, ok = s.barrier(st.line + "\n")
			seg += more
		}
		writeCliOut(&sb, tr, addr, s.asServer(seg, addr), false)
		if !ok {
			sb.WriteString("TIMEOUT\n")
		}
	}
	return sb.String()
}

// asServer rewrites the proxy's address in out to the server's, which the
// client would have printed without the proxy.
func (s *cliSession) asServer(out, addr string) string {
	if s.proxy == nil {
		return out
	}
	return strings.ReplaceAll(out, s.proxy.addr(), addr)
}

// barrier types text and then a sync of a path of its own, and returns the
// output up to the sync's completion.
func (s *cliSession) barrier(text string) (string, bool) {
	s.n++
	p := regexp.QuoteMeta(fmt.Sprintf("/cclient-barrier-%d", s.n))
	s.typeText(fmt.Sprintf("%ssync /cclient-barrier-%d\n", text, s.n))
	// rc 0 prints the name too; anything else is shown, as is a sync that
	// the client refused ("Error -8 for ..." once the handle is gone).
	re := regexp.MustCompile(`(?m)^(?:\[` + p + `\]: rc = 0\n\tname = ` + p + `\n|(\[` + p + `\]: rc = -?[1-9][0-9]*\n|Error -?[0-9]+ for ` + p + `\n))`)
	seg, m, ok := s.waitFor(re, cliMtWaitTimeout)
	if ok && m[1] != "" {
		seg += "barrier: " + m[1]
	}
	return seg, ok
}

// typeText writes text to the session's stdin. A failed write shows up as a
// timeout of the step's barrier.
func (s *cliSession) typeText(text string) {
	_, _ = io.WriteString(s.stdin, text) // NB: a dead process fails the step by its barrier
}

// waitFor waits for re to match the output not yet given to a step. It
// returns the output before the match and the submatches, and consumes
// both; on timeout or exit, it returns (and consumes) everything unread.
func (s *cliSession) waitFor(re *regexp.Regexp, d time.Duration) (string, []string, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		unread := string(s.out[s.read:])
		if loc := re.FindStringSubmatchIndex(unread); loc != nil {
			m := make([]string, len(loc)/2)
			for i := range m {
				if loc[2*i] >= 0 {
					m[i] = unread[loc[2*i]:loc[2*i+1]]
				}
			}
			s.read += loc[1]
			s.mu.Unlock()
			return unread[:loc[0]], m, true
		}
		s.mu.Unlock()
		select {
		case <-s.more:
			continue
		case <-s.done:
		case <-deadline.C:
		}
		s.mu.Lock()
		unread = string(s.out[s.read:])
		s.read = len(s.out)
		s.mu.Unlock()
		if loc := re.FindStringIndex(unread); loc != nil {
			return unread[:loc[0]], re.FindStringSubmatch(unread), true
		}
		return unread, nil, false
	}
}

// waitExit waits for the process to exit and returns its remaining output.
func (s *cliSession) waitExit() string {
	select {
	case <-s.done:
	case <-time.After(cliMtWaitTimeout):
		s.kill()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := string(s.out[s.read:])
	s.read = len(s.out)
	return seg
}

func (s *cliSession) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *cliSession) exit() string {
	<-s.done
	return s.status
}

// kill ends the process, if it runs, and waits for the reader.
func (s *cliSession) kill() {
	s.cancel()
	<-s.done
	if s.proxy != nil {
		s.proxy.close()
	}
}

// cutProxy relays one interactive cli_mt's connections to the server, so
// that a step can cut them: the client loses its connection while its
// session lives on, and its reconnection is held (accepted, not relayed:
// the client waits for the handshake without retrying) until resume.
//
// Safe for concurrent use; mu guards paused, closed, conns and held.
type cutProxy struct {
	ln     net.Listener
	server string
	wg     sync.WaitGroup // the accept loop and the copiers

	mu     sync.Mutex
	paused bool
	closed bool
	conns  []net.Conn // relayed connections, both ends
	held   []net.Conn // accepted while paused
}

func newCutProxy(server string) (*cutProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &cutProxy{ln: ln, server: server}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		switch {
		case p.closed:
			c.Close()
		case p.paused:
			p.held = append(p.held, c)
		default:
			p.relayLocked(c)
		}
		p.mu.Unlock()
	}
}

// relayLocked dials the server for c and copies both ways; what the client
// sent while held is in c's buffer and goes first.
func (p *cutProxy) relayLocked(c net.Conn) {
	s, err := net.DialTimeout("tcp", p.server, dialTimeout)
	if err != nil {
		c.Close() // the client sees a lost connection and retries
		return
	}
	p.conns = append(p.conns, c, s)
	p.wg.Add(2)
	go p.copy(s, c)
	go p.copy(c, s)
}

// copy relays src to dst until either closes, then closes dst, which ends
// the copy the other way.
func (p *cutProxy) copy(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src) // NB: its error is the close that ends the relay
	dst.Close()
}

// cut closes the relayed connections and holds new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// resume relays the held connections and new ones.
func (p *cutProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = false
	for _, c := range p.held {
		p.relayLocked(c)
	}
	p.held = nil
}

// close stops the proxy and waits for its goroutines.
func (p *cutProxy) close() {
	p.mu.Lock()
	p.closed = true
	p.ln.Close()
	for _, c := range append(p.conns, p.held...) {
		c.Close()
	}
	p.conns, p.held = nil, nil
	p.mu.Unlock()
	p.wg.Wait()
}

// Lines of cli_mt's output that need rewriting.
var (
	// The C client's log line: time, pid(thread id), level, function, line.
	cLogRe     = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+:\d+\(0x[0-9a-f]+\):ZOO_([A-Z]+)@([A-Za-z0-9_]+)@\d+: (.*)$`)
	cSessionRe = regexp.MustCompile(`^(Got a new session id: |session Id = )(?:0x)?([0-9a-f]+)$`)
	cZxidRe    = regexp.MustCompile(`^\t(czxid|mzxid)=([0-9a-f]+)$`)
	cTimeRe    = regexp.MustCompile(`^\t(ctime = |mtime=)(.*)$`)
	cOwnerRe   = regexp.MustCompile(`^\tephemeralOwner = ([0-9a-f]+)$`)
	cElapsedRe = regexp.MustCompile(`^time = -?\d+ msec$`)
	cRcRe      = regexp.MustCompile(`: rc = -?\d+$`)
	cSessLogRe = regexp.MustCompile(`sessionId=0x([0-9a-f]+)`)
	// What processline prints on cli_mt's main thread, each in one write.
	cMainMsgRe = regexp.MustCompile(`(?:Creating \[[^\n]*\] node \(mode: -?\d+\)|Error -?\d+ for [^\n]*|Path must start with /, found: [^\n]*|No data found after path|Overdosing\.\.\.|od command failed: -?\d+|Unknown option: [^\n]|Missing ttl value after \+t|ttl value must be a positive integer|Invalid mode\.)\n`)
)

// writeCliOut normalises cli_mt output and writes it line by line.
//
// The C client's debug and info log lines (seen after `verbose`) depend on
// timing and are dropped; warnings and errors are kept without their time
// and thread. Children, which ZooKeeper lists in HashSet order, are sorted.
// In batch mode cli_mt runs the command on its main thread while the
// client's completion thread connects and reports, so the main thread's
// messages are taken out, even from the middle of a line (the watcher
// prints its line in three writes), and put after "Batch mode", which
// comes before the client starts; in a session the barriers keep the two
// apart.
func writeCliOut(sb *strings.Builder, tr *transcript, addr, out string, batchMode bool) {
	var lines []string
	if batchMode {
		rest := cliLines(cMainMsgRe.ReplaceAllString(out, ""))
		if len(rest) > 0 && strings.HasPrefix(rest[0], "Batch mode: ") {
			lines, rest = []string{rest[0]}, rest[1:]
		}
		for _, m := range cMainMsgRe.FindAllString(out, -1) {
			lines = append(lines, strings.TrimSuffix(m, "\n"))
		}
		out = strings.Join(append(lines, rest...), "\n")
	}
	lines = cliLines(strings.ReplaceAll(out, addr, "ADDR"))
	lines = slices.DeleteFunc(lines, func(l string) bool {
		m := cLogRe.FindStringSubmatch(l)
		return m != nil && (m[1] == "DEBUG" || m[1] == "INFO")
	})
	sortChildren(lines)
	for i, l := range lines {
		lines[i] = normalizeCliMtLine(tr, l)
	}
	for _, l := range collapseRuns(lines) {
		sb.WriteString(printable(l) + "\n")
	}
}

// TestCliMtBatchOutput checks that a batch run's transcript does not
// depend on how cli_mt's main thread and its client's threads interleave.
func TestCliMtBatchOutput(t *testing.T) {
	const want = "Batch mode: 'create /a'\n" +
		"Creating [/a] node (mode: 0)\n" +
		"Watcher SESSION_EVENT state = CONNECTED_STATE\n" +
		"Got a new session id: s1\n" +
		"[/a]: rc = 0\n" +
		"\tname = /a\n"
	for _, out := range []string{
		"Batch mode: 'create /a'\nCreating [/a] node (mode: 0)\nWatcher SESSION_EVENT state = CONNECTED_STATE\nGot a new session id: 0x1f\n[/a]: rc = 0\n\tname = /a\n",
		"Batch mode: 'create /a'\nWatcher SESSION_EVENT state = CONNECTED_STATE\nCreating [/a] node (mode: 0)\nGot a new session id: 0x1f\n[/a]: rc = 0\n\tname = /a\n",
		// The watcher's line is three writes; the main thread's one.
		"Batch mode: 'create /a'\nWatcher SESSION_EVENT state = CONNECTED_STATECreating [/a] node (mode: 0)\n\nGot a new session id: 0x1f\n[/a]: rc = 0\n\tname = /a\n",
	} {
		var sb strings.Builder
		writeCliOut(&sb, newTranscript(), "127.0.0.1:2181", out, true)
		if got := sb.String(); got != want {
			t.Errorf("writeCliOut(%q) =\n%s\nwant\n%s", out, got, want)
		}
	}
}

// collapseRuns writes a block of one or two lines that repeats three or
// more times in a row once, followed by how often it came (od's 200
// completions, each after the watch event of the set before it).
func collapseRuns(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); {
		runs, size := 1, 1
		for k := 1; k <= 2; k++ {
			n := 1
			for i+(n+1)*k <= len(lines) && slices.Equal(lines[i:i+k], lines[i+n*k:i+(n+1)*k]) {
				n++
			}
			if n >= 3 && n*k > runs*size {
				runs, size = n, k
			}
		}
		if runs < 3 {
			out = append(out, lines[i])
			i++
			continue
		}
		out = append(out, lines[i:i+size]...)
		out = append(out, fmt.Sprintf("(the %d line(s) above, %d times)", size, runs))
		i += runs * size
	}
	return out
}

// sortChildren sorts each run of children that a strings completion
// prints between its "PATH: rc = N" and "time = N msec" lines.
func sortChildren(lines []string) {
	for i := 0; i < len(lines); i++ {
		if !cRcRe.MatchString(lines[i]) {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.HasPrefix(lines[j], "\t") {
			j++
		}
		if j < len(lines) && cElapsedRe.MatchString(lines[j]) {
			slices.Sort(lines[i+1 : j])
		}
	}
}

// normalizeCliMtLine rewrites session ids, zxids, times and elapsed times
// in one line.
func normalizeCliMtLine(tr *transcript, l string) string {
	if m := cLogRe.FindStringSubmatch(l); m != nil {
		msg := cSessLogRe.ReplaceAllStringFunc(m[3], func(s string) string {
			return "sessionId=" + tr.session(parseHex(strings.TrimPrefix(s, "sessionId=")))
		})
		return "ZOO_" + m[1] + "@" + m[2] + ": " + msg
	}
	if m := cSessionRe.FindStringSubmatch(l); m != nil {
		return m[1] + tr.session(parseHex(m[2]))
	}
	if m := cZxidRe.FindStringSubmatch(l); m != nil {
		return "\t" + m[1] + "=" + tr.zxid(parseHex(m[2]))
	}
	if m := cTimeRe.FindStringSubmatch(l); m != nil {
		if m[2] == "Thu Jan  1 00:00:00 1970" {
			return "\t" + m[1] + "0"
		}
		return "\t" + m[1] + "t"
	}
	if m := cOwnerRe.FindStringSubmatch(l); m != nil {
		return "\tephemeralOwner = " + tr.owner(parseHex(m[1]))
	}
	if cElapsedRe.MatchString(l) {
		return "time = T msec"
	}
	return l
}

// runLoadGen runs load_gen's load loop on /cclient-lg until it has done
// loadGenCycles cycles of creates, writes, reads and deletes of
// loadGenChildren children (it loops forever, so it is killed when the
// next cycle starts), then `load_gen ADDR /cclient-lg clean`, which deletes
// the subtree and exits. It returns the normalised transcript: load_gen's
// own log lines and the client's warnings and errors (a failed request logs
// "Failed to ... rc=N"; a wrong read exits 1), the cycles done and the
// exit statuses.
func runLoadGen(addr, dir string) string {
	tr := newTranscript()
	var sb strings.Builder
	const root = "/cclient-lg"

	fmt.Fprintf(&sb, "$ load_gen ADDR %s %d\n", root, loadGenChildren)
	ctx, cancel := context.WithTimeout(context.Background(), loadGenTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, loadGenPath, addr, root, strconv.Itoa(loadGenChildren))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(&sb, "start: %v\n", err)
		return sb.String()
	}
	// Read until the cycle after the last wanted one starts; then kill.
	cycles, starts := 0, 0
	var lines []string
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
read:
	for {
		n, rerr := stderr.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			i := strings.IndexByte(string(buf), '\n')
			if i < 0 {
				break
			}
			l := string(buf[:i])
			buf = buf[i+1:]
			lines = append(lines, l)
			switch {
			case strings.HasSuffix(l, "Creating children for path "+root):
				starts++
				if starts > loadGenCycles {
					break read
				}
			case strings.HasSuffix(l, "Starting the delete cycle for path "+root):
				cycles++
			}
		}
		if rerr != nil {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		fmt.Fprintf(&sb, "kill: %v\n", err)
	}
	_, _ = io.Copy(io.Discard, stderr) // NB: the kill ends the stream; what follows it is not compared
	err = cmd.Wait()
	writeLoadGenOut(&sb, tr, addr, lines)
	fmt.Fprintf(&sb, "cycles %d", cycles)
	if starts <= loadGenCycles {
		fmt.Fprintf(&sb, ", then exit %s", exitStatus(ctx, err))
	}
	sb.WriteString("\n")

	fmt.Fprintf(&sb, "$ load_gen ADDR %s clean\n", root)
	cctx, ccancel := context.WithTimeout(context.Background(), loadGenTimeout)
	defer ccancel()
	clean := exec.CommandContext(cctx, loadGenPath, addr, root, "clean")
	clean.Dir = dir
	clean.Env = cmd.Env
	out, err := clean.CombinedOutput()
	writeLoadGenOut(&sb, tr, addr, cliLines(string(out)))
	fmt.Fprintf(&sb, "exit %s\n", exitStatus(cctx, err))
	return sb.String()
}

var loadGenDeletedRe = regexp.MustCompile(`\(\d+ nodes\)$`)

// writeLoadGenOut keeps load_gen's own lines (its main loop, its creates),
// the session's establishment and every warning and error, normalised. The
// lines of the client's threads follow those of load_gen's main thread:
// the two run concurrently.
func writeLoadGenOut(sb *strings.Builder, tr *transcript, addr string, lines []string) {
	var main, client []string
	for _, l := range lines {
		l = strings.ReplaceAll(l, addr, "ADDR")
		m := cLogRe.FindStringSubmatch(l)
		switch {
		case m == nil:
			main = append(main, l)
		case m[2] == "main" || m[2] == "doCreateNodes":
			main = append(main, l)
		case m[1] != "INFO" && m[1] != "DEBUG", m[2] == "finalize_session_establishment":
			client = append(client, l)
		default:
			// The environment, pointers, recursiveDelete's first leaf (in
			// hash order).
		}
	}
	if len(client) > 0 {
		main = append(append(main, "client threads:"), client...)
	}
	for _, l := range main {
		l = normalizeCliMtLine(tr, l)
		// The clean run deletes what the killed run's last creates left.
		sb.WriteString(loadGenDeletedRe.ReplaceAllString(l, "(N nodes)") + "\n")
	}
}
