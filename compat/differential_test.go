package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zabd/zabd/jute/zkproto"
)

// scenario is one differential test: a function that drives raw client
// connections against a server and leaves a transcript. It runs once on
// ZooKeeper and once on the target, each time under the same root path
// /sN, and the two normalised transcripts must be equal.
type scenario struct {
	name string
	// exclusive scenarios change state shared by all scenarios (the
	// /zookeeper subtree) and run alone, after the others.
	exclusive bool
	run       func(s *scen)
}

// scen is the context a scenario runs in.
type scen struct {
	tr    *transcript
	addr  string
	root  string
	conns []*rawConn
}

// scenarioParallelism bounds the scenarios running at once; they mostly
// wait on the network or on a session timeout, not on the CPU.
const scenarioParallelism = 8

// allScenarios lists every scenario; each file contributes a group. The
// order fixes each scenario's root path, so new ones go at the end of a
// group list or in a new group.
func allScenarios() []scenario {
	var all []scenario
	for _, g := range [][]scenario{
		createScenarios(),
		errorScenarios(),
		statScenarios(),
		watchScenarios(),
		sessionScenarios(),
		reapScenarios(),
		wireScenarios(),
		systemScenarios(),
		aclScenarios(),
		multiScenarios(),
		watch2Scenarios(),
		ephemeralOrderScenarios(),
		childOrderScenarios(),
	} {
		all = append(all, g...)
	}
	return all
}

// connect dials and handshakes a new session with the default timeout.
func (s *scen) connect(name string) *rawConn { return s.connectWith(name, connectOpts{}) }

// connectWith dials and handshakes with the given ConnectRequest fields.
func (s *scen) connectWith(name string, o connectOpts) *rawConn {
	c := s.dial(name)
	c.handshake(o)
	return c
}

// dial opens a TCP connection without a handshake.
func (s *scen) dial(name string) *rawConn {
	c := newRawConn(s.tr, name, s.addr)
	s.conns = append(s.conns, c)
	return c
}

// reconnect opens a new connection resuming c's session, as a client does
// after losing its socket: same session id and password, last zxid seen.
func (s *scen) reconnect(c *rawConn, name string) *rawConn {
	n := s.dial(name)
	n.handshake(connectOpts{timeout: c.timeout, sessionID: c.sessionID, passwd: c.passwd, lastZxid: c.lastZxid})
	return n
}

// p returns a path under the scenario's root.
func (s *scen) p(rel string) string { return s.root + "/" + rel }

// note adds a comment line to the transcript.
func (s *scen) note(format string, args ...any) { s.tr.logf("# "+format, args...) }

// setup connects client A and creates the scenario's root.
func (s *scen) setup() *rawConn {
	a := s.connect("A")
	a.create(s.root, nil, zkproto.ModePersistent)
	return a
}

// closeAll ends every session still open, outside the transcript, so that
// no session of a finished scenario lingers on the server.
func (s *scen) closeAll() {
	quiet := newTranscript()
	for _, c := range s.conns {
		if c.conn == nil {
			continue
		}
		c.tr = quiet
		c.closeSession()
		c.close()
	}
}

// runScenario runs sc against addr and returns its transcript. A panic in
// the scenario (a harness bug, or a reply missing where one was expected)
// is recorded in the transcript rather than aborting the test binary.
func runScenario(sc scenario, root, addr string) (tr *transcript) {
	s := &scen{tr: newTranscript(), addr: addr, root: root}
	tr = s.tr // also the result when the scenario panics
	defer s.closeAll()
	defer func() {
		if r := recover(); r != nil {
			s.tr.logf("PANIC: %v\n%s", r, debug.Stack())
		}
	}()
	sc.run(s)
	return tr
}

// dump writes a transcript to dir/name.label.txt (ZABD_COMPAT_DUMP=dir).
func dump(t *testing.T, dir, name, label, text string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"."+label+".txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDifferential runs every scenario on ZooKeeper and on the target and
// compares the transcripts.
func TestDifferential(t *testing.T) {
	skipShort(t)
	t.Parallel()
	oracle, target := startPair(t)
	scs := allScenarios()
	filter := os.Getenv("ZABD_COMPAT_SCENARIO") // a regexp, for development
	var re *regexp.Regexp
	if filter != "" {
		re = regexp.MustCompile(filter)
	}
	type result struct {
		want, got *transcript
		took      time.Duration
	}
	results := make([]result, len(scs))
	runOne := func(i int) {
		root := fmt.Sprintf("/s%d", i+1)
		start := time.Now()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); results[i].want = runScenario(scs[i], root, oracle.addr) }()
		go func() { defer wg.Done(); results[i].got = runScenario(scs[i], root, target.addr) }()
		wg.Wait()
		results[i].took = time.Since(start)
	}
	sem := make(chan struct{}, scenarioParallelism)
	var wg sync.WaitGroup
	for i, sc := range scs {
		if sc.exclusive || (re != nil && !re.MatchString(sc.name)) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			runOne(i)
		}()
	}
	wg.Wait()
	for i, sc := range scs {
		if sc.exclusive && (re == nil || re.MatchString(sc.name)) {
			runOne(i)
		}
	}
	knownSeen := 0
	names := map[string]bool{}
	for i, sc := range scs {
		if names[sc.name] {
			t.Errorf("duplicate scenario name %q", sc.name)
		}
		names[sc.name] = true
		r := results[i]
		if r.want == nil {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			want, got := r.want.String(), r.got.String()
			if strings.Contains(want, "PANIC") {
				t.Errorf("scenario panicked on ZooKeeper (harness bug):\n%s", want)
			}
			known, isKnown := zabdKnownDiffs[sc.name]
			isKnown = isKnown && target.kind == kindZabd
			if d := compareTranscripts(oracle.label, want, target.label, got); d != "" {
				if isKnown && !strict() {
					t.Logf("KNOWN DIFFERENCE, not failing (%s=1 to fail): %s\nroot /s%d: %s", envStrict, known, i+1, d)
					knownSeen++
				} else {
					t.Errorf("root /s%d: %s", i+1, d)
				}
			} else if isKnown {
				t.Logf("NOW MATCHES ZooKeeper: remove %q from zabdKnownDiffs", sc.name)
			} else if testing.Verbose() && os.Getenv("ZABD_COMPAT_SHOW") != "" {
				t.Logf("transcript (%v):\n%s", r.took.Round(time.Millisecond), want)
			}
			if dir := os.Getenv("ZABD_COMPAT_DUMP"); dir != "" {
				dump(t, dir, sc.name, oracle.label, want)
				dump(t, dir, sc.name, target.label, got)
			}
		})
	}
	t.Logf("%d scenarios; %d known differences tolerated on %s (see known_diffs_test.go)", len(scs), knownSeen, target.label)
	if knownSeen > 0 {
		// Said outside the test log so that it shows without -v.
		fmt.Fprintf(os.Stderr, "compat: %d of %d scenarios differ from ZooKeeper on %s as listed in known_diffs_test.go; %s=1 makes them fail\n",
			knownSeen, len(scs), target.label, envStrict)
	}
	checkAlive(t, oracle, target)
}
