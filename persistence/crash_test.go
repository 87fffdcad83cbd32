package persistence_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zabd/zabd/persistence"
	"github.com/zabd/zabd/persistence/txnlog"
)

// Environment of the child process of TestCrash.
const (
	envCrashDir  = "ZABD_PERSISTENCE_CRASH_DIR"
	envCrashSeed = "ZABD_PERSISTENCE_CRASH_SEED"
)

// TestHelperProcess is the child of TestCrash, not a test: it opens the store
// in $ZABD_PERSISTENCE_CRASH_DIR, appends batches of random size after the
// last zxid, and prints "ack <zxid>" for the last zxid of each batch once
// Append has returned, until it is killed or has appended 100000 batches.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		return
	}
	seed, err := strconv.ParseUint(os.Getenv(envCrashSeed), 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad seed: %v\n", err)
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	s, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "open: %v\n", err)
		os.Exit(2)
	}
	z := s.Log().LastZxid()
	for range 100000 {
		n := 1 + rng.IntN(64)
		batch := make([]txnlog.Entry, n)
		for i := range batch {
			z++
			batch[i] = txnlog.Entry{Zxid: z, Data: payload(z)}
		}
		if err := s.Log().Append(batch); err != nil {
			fmt.Fprintf(os.Stderr, "append: %v\n", err)
			os.Exit(2)
		}
		if _, err := fmt.Fprintf(os.Stdout, "ack %d\n", z); err != nil {
			os.Exit(2)
		}
	}
	os.Exit(0) // skip Close: the parent expects a crash, not a clean shutdown
}

// TestCrash kills a child process that appends to the store with SIGKILL
// after a random number of acknowledged batches, reopens the store, and checks
// that every acknowledged zxid is there with its data and that the log has no
// gap. The child of the next round continues the same log.
func TestCrash(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	var acked int64 // the largest acknowledged zxid of all rounds
	for round := range rounds {
		want := 1 + rng.IntN(40) // acknowledgements before the kill
		got, stderr := runChild(t, dir, rng.Uint64(), want)
		if got != 0 && got < acked {
			t.Fatalf("round %d: child acknowledged %#x, below the %#x acknowledged before", round, got, acked)
		}
		acked = max(acked, got)

		s, err := persistence.Open(persistence.Options{Dir: dir, ForceSync: true})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v\nchild stderr: %s", round, err, stderr)
		}
		var n int64
		err = s.Log().Iterate(0, func(z int64, d []byte) error {
			n++
			if z != n {
				return fmt.Errorf("zxid %#x where %#x belongs", z, n)
			}
			if !bytes.Equal(d, payload(z)) {
				return fmt.Errorf("zxid %#x: data %x, want %x", z, d, payload(z))
			}
			return nil
		})
		last := s.Log().LastZxid()
		if cerr := s.Close(); cerr != nil {
			t.Fatalf("round %d: Close: %v", round, cerr)
		}
		if err != nil {
			t.Fatalf("round %d: Iterate after kill: %v", round, err)
		}
		if n != last || last < acked {
			t.Fatalf("round %d: log holds 1..%#x with LastZxid %#x, want at least 1..%#x (acknowledged)", round, n, last, acked)
		}
		t.Logf("round %d: killed after %d acknowledgements, last acknowledged %#x, recovered up to %#x", round, want, got, last)
	}
	if acked == 0 {
		t.Fatalf("no child acknowledged anything")
	}
}

// runChild runs TestHelperProcess on dir and kills it with SIGKILL after it
// has acknowledged want batches or after 2 s, whichever comes first. It returns the
// last zxid the child acknowledged and the child's stderr.
func runChild(t *testing.T, dir string, seed uint64, want int) (int64, string) {
	t.Helper()
	// The deadline bounds the round if the child stalls (a loaded disk); the
	// check does not depend on whether it fires. Cancelling kills the child.
	ctx, kill := context.WithTimeout(t.Context(), 2*time.Second)
	defer kill()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashSeed+"="+strconv.FormatUint(seed, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("StdoutPipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	// Every line is an acknowledgement, including those the child managed
	// to write between our decision to kill it and its death.
	var last int64
	sc := bufio.NewScanner(out)
	for n := 0; sc.Scan(); {
		zs, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue
		}
		z, err := strconv.ParseInt(zs, 10, 64)
		if err != nil {
			t.Fatalf("child wrote %q", sc.Text())
		}
		last = z
		if n++; n == want {
			kill()
		}
	}
	// Wait reports the kill as an error; any other failure fails the test.
	if err := cmd.Wait(); err != nil && cmd.ProcessState.ExitCode() != -1 {
		t.Fatalf("child: %v\nstderr: %s", err, stderr.String())
	}
	return last, stderr.String()
}
