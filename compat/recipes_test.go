package compat

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The kazoo recipe tests run testdata/kazoo_recipes/recipes.py (Debian's
// python3-kazoo) against ZooKeeper and the target: transactions (multi),
// Lock with two contending processes, Election with two candidates, and
// Counter, Semaphore, LockingQueue, Barrier, DataWatch and ChildrenWatch.

// recipesTimeout bounds one run of recipes.py.
const recipesTimeout = 3 * time.Minute

var recipesScript = filepath.Join("testdata", "kazoo_recipes", "recipes.py")

// runRecipes runs recipes.py to the end and returns its stdout.
func runRecipes(py string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), recipesTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{recipesScript}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("recipes.py %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// runRecipesParallel runs several recipes.py processes at once.
func runRecipesParallel(t *testing.T, py string, argss ...[]string) []string {
	t.Helper()
	outs := make([]string, len(argss))
	errs := make([]error, len(argss))
	var wg sync.WaitGroup
	for i, args := range argss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = runRecipes(py, args...)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return outs
}

// TestKazooRecipes runs the recipes against ZooKeeper and the target. The
// deterministic modes (txn, misc) must print what ZooKeeper prints, which
// must equal the golden files (-update rewrites them); the contending ones
// (lock, election) are checked for exclusion and hand-over on each server.
func TestKazooRecipes(t *testing.T) {
	skipShort(t)
	t.Parallel()
	py, err := kazooPython()
	if err != nil {
		t.Fatalf("no python3 with kazoo (run `make deps` for python3-kazoo): %v", err)
	}
	oracle, target := startPair(t)
	for _, mode := range []string{"txn", "misc"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			outs := runRecipesParallel(t, py, []string{mode, oracle.addr, "/kazoo/" + mode}, []string{mode, target.addr, "/kazoo/" + mode})
			golden := filepath.Join("testdata", "kazoo_recipes", mode+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(outs[0]), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			g, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := compareTranscripts("golden", string(g), oracle.label, outs[0]); d != "" {
				t.Errorf("ZooKeeper's output is not the golden one (-update rewrites it): %s", d)
			}
			if d := compareTranscripts(oracle.label, outs[0], target.label, outs[1]); d != "" {
				t.Error(d)
			}
		})
	}
	for _, s := range []*server{oracle, target} {
		t.Run("lock_"+s.label, func(t *testing.T) {
			t.Parallel()
			kazooLock(t, py, s.addr)
		})
		t.Run("election_"+s.label, func(t *testing.T) {
			t.Parallel()
			kazooElection(t, py, s.addr)
		})
	}
	t.Cleanup(func() { checkAlive(t, oracle, target) })
}

// kazooLock: two processes take one Lock 15 times each, appending enter
// and exit to one file while they hold it; the holds never overlap.
func kazooLock(t *testing.T, py, addr string) {
	const rounds = 15
	log := filepath.Join(t.TempDir(), "lock.log")
	runRecipesParallel(t, py,
		[]string{"lock", addr, "/kazoo/lock", log, "A", strconv.Itoa(rounds)},
		[]string{"lock", addr, "/kazoo/lock", log, "B", strconv.Itoa(rounds)})
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := cliLines(string(b))
	if len(lines) != 4*rounds {
		t.Fatalf("lock log has %d lines, want %d:\n%s", len(lines), 4*rounds, b)
	}
	var lastExit int64
	count := map[string]int{}
	switches := 0
	for i := 0; i < len(lines); i += 2 {
		enter, exit := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if enter[0] != "enter" || exit[0] != "exit" || enter[1] != exit[1] {
			t.Fatalf("lines %d-%d %q, %q: not one holder's enter and exit; both held the lock:\n%s", i+1, i+2, lines[i], lines[i+1], b)
		}
		in, out := micros(t, lines[i]), micros(t, lines[i+1])
		if in < lastExit || out < in {
			t.Fatalf("line %d %q enters before the previous holder left (%d):\n%s", i+1, lines[i], lastExit, b)
		}
		lastExit = out
		count[enter[1]]++
		if i > 0 && enter[1] != strings.Fields(lines[i-2])[1] {
			switches++
		}
	}
	if count["A"] != rounds || count["B"] != rounds {
		t.Errorf("acquisitions = %v, want %d each", count, rounds)
	}
	if switches == 0 {
		t.Errorf("the holders never alternated: no contention seen")
	}
}

// kazooElection: two candidates run one Election; the first elected leads
// for 3 s, the other, already waiting, is elected after it resigns and
// never before.
func kazooElection(t *testing.T, py, addr string) {
	outs := runRecipesParallel(t, py,
		[]string{"election", addr, "/kazoo/election", "A", "3"},
		[]string{"election", addr, "/kazoo/election", "B", "3"})
	type term struct {
		id                      string
		started, leader, resign int64
	}
	var terms []term
	for i, id := range []string{"A", "B"} {
		lines := cliLines(outs[i])
		s, l, r := findLine(lines, "started "), findLine(lines, "leader "), findLine(lines, "resign ")
		if s == "" || l == "" || r == "" {
			t.Fatalf("%s printed %q: no started/leader/resign", id, outs[i])
		}
		if !strings.Contains(l, "contenders="+id) {
			t.Errorf("%s leads with %q: its own identifier should head the contenders", id, l)
		}
		terms = append(terms, term{id, micros(t, s), micros(t, l), micros(t, r)})
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].leader < terms[j].leader })
	first, second := terms[0], terms[1]
	if second.started > first.resign {
		t.Fatalf("%s started only after %s resigned; no hand-over was tested", second.id, first.id)
	}
	if second.leader < first.resign {
		t.Errorf("%s led from %d while %s led until %d: two leaders", second.id, second.leader, first.id, first.resign)
	}
	if gap := time.Duration(second.leader-first.resign) * time.Microsecond; gap > 10*time.Second {
		t.Errorf("%s was elected %v after %s resigned", second.id, gap, first.id)
	}
}
