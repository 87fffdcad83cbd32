package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zabd/zabd/server/config"
	"github.com/zabd/zabd/server/datatree"
)

// errQuota is how go-zookeeper (which has no name for -125) reports
// QuotaExceeded.
const errQuota = "unknown error: -125"

// setQuota does what zkCli's setquota does for a new quota: the quota
// path's parents, the limit node, then the stat node with zero usage.
func setQuota(t *testing.T, c *zk.Conn, path, limits string) {
	t.Helper()
	open := zk.WorldACL(zk.PermAll)
	q := datatree.QuotaPath
	for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		q += "/" + part
		if _, err := c.Create(q, nil, 0, open); err != nil && err != zk.ErrNodeExists {
			t.Fatal(err)
		}
	}
	if _, err := c.Create(datatree.LimitPath(path), []byte(limits), 0, open); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(datatree.StatPath(path), []byte("count=0,bytes=0"), 0, open); err != nil {
		t.Fatal(err)
	}
}

func getData(t *testing.T, c *zk.Conn, path string) string {
	t.Helper()
	b, _, err := c.Get(path)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	return string(b)
}

// The sequence and its outcomes are those of a zkCli session against
// Apache ZooKeeper 3.8.0 with zookeeper.enforceQuota=true.
func TestQuotaEnforced(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.EnforceQuota = true }, nil)
	c, _ := connect(t, ts.addr, 10*time.Second)
	open := zk.WorldACL(zk.PermAll)
	mustCreate := func(p, data string) {
		t.Helper()
		if _, err := c.Create(p, []byte(data), 0, open); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
	mustCreate("/q", "")
	mustCreate("/q/a", "x")
	setQuota(t, c, "/q", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3")
	if got, want := getData(t, c, datatree.StatPath("/q")), "count=2,bytes=1"; got != want {
		t.Errorf("stat after setquota -N 3 = %q, want %q", got, want)
	}
	mustCreate("/q/b", "yy")
	for _, p := range []string{"/q/c", "/q/b/d"} {
		if _, err := c.Create(p, nil, 0, open); err == nil || err.Error() != errQuota {
			t.Errorf("create %s over countHardLimit=3: %v, want QuotaExceeded", p, err)
		}
	}
	// A multi fails as a whole; its create carries the error.
	_, err := c.Multi(&zk.CreateRequest{Path: "/q/m", Acl: open})
	if err == nil || err.Error() != errQuota {
		t.Errorf("multi create over the quota: %v", err)
	}
	if got, want := getData(t, c, datatree.StatPath("/q")), "count=3,bytes=3"; got != want {
		t.Errorf("stat after refused creates = %q, want %q", got, want)
	}
	// A soft byte quota only logs.
	if _, err := c.Set(datatree.LimitPath("/q"), []byte("count=-1,bytes=10=;byteHardLimit=-1;countHardLimit=3"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("/q/a", []byte("0123456789abc"), -1); err != nil {
		t.Errorf("set over the soft byte quota: %v", err)
	}
	// A hard byte quota refuses growth, allows shrinking.
	if _, err := c.Set(datatree.LimitPath("/q"), []byte("count=-1,bytes=10=;byteHardLimit=5;countHardLimit=-1"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("/q/b", []byte("123456789"), -1); err == nil || err.Error() != errQuota {
		t.Errorf("set over byteHardLimit: %v", err)
	}
	if _, err := c.Set("/q/a", []byte("z"), -1); err != nil {
		t.Errorf("shrinking set under a hard byte quota: %v", err)
	}
	mustCreate("/q/c", "") // no count limit any more, no bytes added
	if got, want := getData(t, c, datatree.StatPath("/q")), "count=4,bytes=3"; got != want {
		t.Errorf("stat at the end = %q, want %q", got, want)
	}
	m := mntrValues(t, ask4lw(t, ts.addr, "mntr"))
	for k, want := range map[string]string{
		"zk_q_quota_exceeded_error_per_namespace": "4",
		"zk_q_quota_count_limit_per_namespace":    "-1",
		"zk_q_quota_bytes_limit_per_namespace":    "5",
		"zk_q_quota_count_usage_per_namespace":    "4",
		"zk_q_quota_bytes_usage_per_namespace":    "3",
	} {
		if got := m[k]; got != want {
			t.Errorf("mntr %s = %q, want %q", k, got, want)
		}
	}
}

func TestQuotaNotEnforcedByDefault(t *testing.T) {
	ts := startServer(t, nil, nil)
	c, _ := connect(t, ts.addr, 10*time.Second)
	open := zk.WorldACL(zk.PermAll)
	if _, err := c.Create("/q", nil, 0, open); err != nil {
		t.Fatal(err)
	}
	setQuota(t, c, "/q", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=1")
	for _, p := range []string{"/q/a", "/q/b"} {
		if _, err := c.Create(p, []byte("x"), 0, open); err != nil {
			t.Errorf("create %s without enforceQuota: %v", p, err)
		}
	}
	if got, want := getData(t, c, datatree.StatPath("/q")), "count=3,bytes=2"; got != want {
		t.Errorf("stat = %q, want %q (kept current without enforcement)", got, want)
	}
}

func TestEnforceQuotaConfig(t *testing.T) {
	dir := t.TempDir()
	for line, want := range map[string]bool{
		"": false, "enforceQuota=true\n": true, "zookeeper.enforceQuota=true\n": true, "enforceQuota=false\n": false,
	} {
		p := filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(p, []byte("dataDir="+dir+"\nclientPort=2181\n"+line), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(p)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if c.EnforceQuota != want {
			t.Errorf("%q: EnforceQuota = %v, want %v", line, c.EnforceQuota, want)
		}
	}
}
