package compat

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// quotaSteps are zkCli.sh commands on quotas, run in order against both
// servers (enforceQuota=true): setquota with each flag, listquota, delquota
// with and without a flag, the client-side refusals (nested quotas, bad
// values, paths under /zookeeper/quota, missing nodes), and the effect of
// hard limits and of deletes on the zookeeper_stats node.
var quotaSteps = [][]string{
	{"create", "/qt"},
	{"create", "/qt/a", "x"},
	{"setquota", "-N", "3", "/qt"},
	{"listquota", "/qt"},
	{"create", "/qt/b", "yy"},
	{"create", "/qt/c"},
	{"get", "/zookeeper/quota/qt/zookeeper_stats"},
	{"get", "/zookeeper/quota/qt/zookeeper_limits"},
	{"stat", "/zookeeper/quota/qt/zookeeper_stats"},
	{"setquota", "-b", "10", "/qt"},
	{"listquota", "/qt"},
	{"set", "/qt/a", "0123456789abcdef"},
	{"setquota", "-B", "2", "/qt"},
	{"set", "/qt/a", "0123456789abcdefg"},
	{"set", "/qt/a", "z"},
	{"delquota", "-N", "/qt"},
	{"listquota", "/qt"},
	{"create", "/qt/c"},
	{"setquota", "-n", "1", "/qt/a"},
	{"delquota", "/qt"},
	{"listquota", "/qt"},
	{"ls", "-R", "/zookeeper/quota"},
	{"setquota", "-n", "0", "/qt"},
	{"setquota", "-b", "-1", "/qt"},
	{"setquota", "-N", "2", "/zookeeper/quota/x"},
	{"setquota", "-n", "5", "/nonexist"},
	{"setquota", "-n", "5", "/qt/a"},
	{"setquota", "-n", "5", "/qt"},
	{"listquota", "/qt/a"},
	{"create", "/qt/a/k", "kk"},
	{"delete", "/qt/a/k"},
	{"get", "/zookeeper/quota/qt/a/zookeeper_stats"},
	{"delquota", "-n", "/qt/a"},
	{"listquota", "/qt/a"},
	{"deleteall", "/qt"},
	{"get", "/zookeeper/quota/qt/a/zookeeper_stats"},
	{"delquota", "/qt/a"},
	{"delquota", "/qt/a"},
	{"ls", "/zookeeper/quota"},
}

// TestZkCliQuota runs quotaSteps with the stock zkCli.sh against ZooKeeper
// and the target and compares each step's normalised output.
func TestZkCliQuota(t *testing.T) {
	skipShort(t)
	t.Parallel()
	oracle, target := startPairAdmin(t)
	var want, got []string
	var wg sync.WaitGroup
	wg.Add(2)
	run := func(addr string) []string {
		tr := newTranscript()
		out := make([]string, len(quotaSteps))
		for i, step := range quotaSteps {
			out[i] = zkCli(tr, addr, step)
		}
		return out
	}
	go func() { defer wg.Done(); want = run(oracle.addr) }()
	go func() { defer wg.Done(); got = run(target.addr) }()
	wg.Wait()
	for i, step := range quotaSteps {
		t.Run(fmt.Sprintf("%02d_%s", i+1, strings.Join(step, "_")), func(t *testing.T) {
			if d := compareTranscripts(oracle.label, want[i], target.label, got[i]); d != "" {
				t.Error(d)
			}
		})
	}
	// Guard the harness: these ZooKeeper outputs are known (3.8.0).
	for i, frag := range map[int]string{
		3:  "Output stat for /qt count=2,bytes=1",
		5:  "Quota has exceeded : /qt/c",
		6:  "count=3,bytes=3",
		13: "Quota has exceeded : /qt/a",
		18: "has a parent /qt which has a quota",
		20: "quota for /qt does not exist.",
	} {
		if !strings.Contains(want[i], frag) {
			t.Errorf("zkCli step %d %v on ZooKeeper: output lacks %q:\n%s", i+1, quotaSteps[i], frag, want[i])
		}
	}
	if testing.Verbose() && os.Getenv("ZABD_COMPAT_SHOW") != "" {
		t.Logf("ZooKeeper's zkCli quota transcript:\n%s", strings.Join(want, ""))
	}
	checkAlive(t, oracle.server, target.server)
}
