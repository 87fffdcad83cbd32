package datatree

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Quota nodes, as zkCli's setquota writes them: the limits of the subtree
// rooted at /p live in QuotaPath+"/p/"+LimitNode, and its usage, which Apply
// keeps current, in QuotaPath+"/p/"+StatNode. Both hold StatsTrack text.
// Counterpart: org.apache.zookeeper.Quotas, StatsTrack.
const (
	LimitNode = "zookeeper_limits"
	StatNode  = "zookeeper_stats"
)

// LimitPath returns the limit node of the quota on path.
func LimitPath(path string) string { return QuotaPath + path + "/" + LimitNode }

// StatPath returns the stat node of the quota on path.
func StatPath(path string) string { return QuotaPath + path + "/" + StatNode }

// StatsTrack is the text of a quota node: "count=N,bytes=M" optionally
// followed by "=;byteHardLimit=B;countHardLimit=C" (the extra "=" keeps
// 3.4-era parsers happy). A missing value reads as -1.
type StatsTrack map[string]int64

// Keys of StatsTrack.
const (
	quotaCount          = "count"
	quotaBytes          = "bytes"
	quotaCountHardLimit = "countHardLimit"
	quotaByteHardLimit  = "byteHardLimit"
)

// ParseStatsTrack parses quota node data as StatsTrack(String) does: pairs
// separated by ',' or ';', "key=value" each, an empty value meaning -1.
// Pairs that do not parse are skipped (Java would throw).
func ParseStatsTrack(data []byte) StatsTrack {
	st := StatsTrack{}
	for _, kv := range strings.FieldsFunc(string(data), func(r rune) bool { return r == ',' || r == ';' }) {
		parts := strings.Split(kv, "=")
		// Java's String.split drops trailing empty strings: "bytes=5=" is
		// {"bytes", "5"}.
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		switch {
		case len(parts) == 1 && strings.HasSuffix(kv, "="):
			st[parts[0]] = -1
		case len(parts) >= 2:
			if v, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
				st[parts[0]] = v
			}
		}
	}
	return st
}

func (st StatsTrack) get(key string) int64 {
	if v, ok := st[key]; ok {
		return v
	}
	return -1
}

// Count, Bytes, CountHardLimit and ByteHardLimit return the values, -1
// when absent.
func (st StatsTrack) Count() int64          { return st.get(quotaCount) }
func (st StatsTrack) Bytes() int64          { return st.get(quotaBytes) }
func (st StatsTrack) CountHardLimit() int64 { return st.get(quotaCountHardLimit) }
func (st StatsTrack) ByteHardLimit() int64  { return st.get(quotaByteHardLimit) }

// String formats st as StatsTrack.toString: count and bytes first, then
// "=" and the other keys sorted, each after a ';'.
func (st StatsTrack) String() string {
	var b strings.Builder
	b.WriteString("count=" + strconv.FormatInt(st.Count(), 10))
	b.WriteString(",bytes=" + strconv.FormatInt(st.Bytes(), 10))
	var keys []string
	for k := range st {
		if k != quotaCount && k != quotaBytes {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		b.WriteString("=")
		for _, k := range keys {
			b.WriteString(";" + k + "=" + strconv.FormatInt(st[k], 10))
		}
	}
	return b.String()
}

// QuotaPrefix returns the deepest path among path and its ancestors that
// has a quota (a limit node), or "" when none does, as
// DataTree.getMaxPrefixWithQuota does ("/" never has one). Caller holds a
// lock.
func (t *Tree) QuotaPrefix(path string) string {
	q := t.nodes[QuotaPath]
	if q == nil || len(q.Children) == 0 || path == "" || path == "/" {
		return ""
	}
	for p := path; p != "/" && p != ""; p, _ = Split(p) {
		if t.nodes[LimitPath(p)] != nil {
			return p
		}
	}
	return ""
}

// Quota returns the limits and the usage of the quota rooted at prefix,
// and whether both nodes exist. Caller holds a lock.
func (t *Tree) Quota(prefix string) (limits, usage StatsTrack, ok bool) {
	l, s := t.nodes[LimitPath(prefix)], t.nodes[StatPath(prefix)]
	if l == nil || s == nil {
		return nil, nil, false
	}
	return ParseStatsTrack(l.Data), ParseStatsTrack(s.Data), true
}

// QuotaNamespaces sums the limit and usage nodes under the quota subtree
// by top namespace, as QuotaMetricsUtils does for mntr's
// quota_{count,bytes}_{limit,usage}_per_namespace (a limit is the hard one
// when set, else the soft one). Caller holds a lock.
func (t *Tree) QuotaNamespaces() map[string]QuotaTotals {
	out := map[string]QuotaTotals{}
	var walk func(path string)
	walk = func(path string) {
		n := t.nodes[path]
		if n == nil {
			return
		}
		if len(n.Children) > 0 {
			for c := range n.Children {
				walk(Join(path, c))
			}
			return
		}
		parent, name := Split(path)
		if name != LimitNode && name != StatNode {
			return
		}
		ns := TopNamespace(strings.TrimPrefix(parent, QuotaPath))
		if ns == "" {
			return
		}
		st := ParseStatsTrack(n.Data)
		tot := out[ns]
		if name == LimitNode {
			tot.CountLimit += hardOrSoft(st.CountHardLimit(), st.Count())
			tot.BytesLimit += hardOrSoft(st.ByteHardLimit(), st.Bytes())
		} else {
			tot.CountUsage += st.Count()
			tot.BytesUsage += st.Bytes()
		}
		out[ns] = tot
	}
	walk(QuotaPath)
	return out
}

// QuotaTotals are one namespace's summed quota limits and usage.
type QuotaTotals struct {
	CountLimit, BytesLimit, CountUsage, BytesUsage int64
}

func hardOrSoft(hard, soft int64) int64 {
	if hard > -1 {
		return hard
	}
	return soft
}

// TopNamespace returns the first component of path ("a" for "/a/b"), or ""
// for "/" (PathUtils.getTopNamespace).
func TopNamespace(path string) string {
	path = strings.TrimPrefix(path, "/")
	ns, _, _ := strings.Cut(path, "/")
	return ns
}

// accounting is what the tree tracks beside the nodes for monitoring: the
// approximate data size and the per-namespace write statistics, guarded by
// the tree's lock like the nodes; and the per-namespace read statistics and
// quota rejections, which readers record holding the read lock, guarded by
// liveMu as well.
type accounting struct {
	sizeKnown bool
	size      int64                     // sum of len(path)+len(data), as DataTree.nodeDataSize
	writes    map[string]*NamespaceStat // top namespace -> write sizes

	reads    map[string]*NamespaceStat // top namespace -> read sizes
	exceeded map[string]int64          // top namespace -> hard quota rejections
}

// liveMu guards the reads and exceeded maps of every tree's accounting
// (a leaf lock, taken under a tree's read or write lock). It is not in the
// Tree so that a Tree stays copyable field by field (ReplaceWith).
var liveMu sync.Mutex

// statOverhead is what DataTree.updateReadStat adds to every read for the
// Stat (6 longs and 5 ints).
const statOverhead = 6*8 + 5*4

// NoteRead records a read of path that returned bytes of data or child
// names (0 for exists), as DataTree.updateReadStat does for getData,
// exists and getChildren. The caller holds no lock of the tree.
func (t *Tree) NoteRead(path string, bytes int) {
	ns := TopNamespace(path)
	if ns == "" {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	liveMu.Lock()
	defer liveMu.Unlock()
	if t.acct.reads == nil {
		t.acct.reads = make(map[string]*NamespaceStat)
	}
	s := t.acct.reads[ns]
	if s == nil {
		s = &NamespaceStat{}
		t.acct.reads[ns] = s
	}
	s.add(int64(JavaLen(path) + bytes + statOverhead))
}

// NamespaceReads returns a copy of the read statistics per top namespace.
// Caller holds a lock.
func (t *Tree) NamespaceReads() map[string]NamespaceStat {
	liveMu.Lock()
	defer liveMu.Unlock()
	out := make(map[string]NamespaceStat, len(t.acct.reads))
	for k, v := range t.acct.reads {
		out[k] = *v
	}
	return out
}

// NoteQuotaExceeded counts a write of path refused by a hard quota
// (ZooKeeperServer.updateQuotaExceededMetrics). Caller holds a lock.
func (t *Tree) NoteQuotaExceeded(path string) {
	ns := TopNamespace(path)
	if ns == "" {
		return
	}
	liveMu.Lock()
	defer liveMu.Unlock()
	if t.acct.exceeded == nil {
		t.acct.exceeded = make(map[string]int64)
	}
	t.acct.exceeded[ns]++
}

// QuotaExceeded returns the hard quota rejections per top namespace.
// Caller holds a lock.
func (t *Tree) QuotaExceeded() map[string]int64 {
	liveMu.Lock()
	defer liveMu.Unlock()
	out := make(map[string]int64, len(t.acct.exceeded))
	for k, v := range t.acct.exceeded {
		out[k] = v
	}
	return out
}

// NamespaceStat is a summary of sizes: count, sum, min and max (one
// AvgMinMaxCounter of ZooKeeper's per-namespace summary sets).
type NamespaceStat struct {
	Count, Sum, Min, Max int64
}

func (s *NamespaceStat) add(v int64) {
	if s.Count == 0 || v < s.Min {
		s.Min = v
	}
	if s.Count == 0 || v > s.Max {
		s.Max = v
	}
	s.Count++
	s.Sum += v
}

// ApproximateDataSize returns the sum over all nodes of the path length
// and the data length, as mntr's zk_approximate_data_size reports it
// (DataTree.cachedApproximateDataSize: the root counts as "" and "/").
// Caller holds a lock.
func (t *Tree) ApproximateDataSize() int64 {
	if t.acct.sizeKnown {
		return t.acct.size
	}
	return t.countDataSize()
}

func (t *Tree) countDataSize() int64 {
	var n int64
	for p, node := range t.nodes {
		n += nodeSize(p, node.Data)
	}
	return n
}

// NamespaceWrites returns a copy of the write statistics per top namespace:
// each create, delete and setData adds len(path)+len(data) (0 for a delete),
// as DataTree.updateWriteStat does. Caller holds a lock.
func (t *Tree) NamespaceWrites() map[string]NamespaceStat {
	out := make(map[string]NamespaceStat, len(t.acct.writes))
	for k, v := range t.acct.writes {
		out[k] = *v
	}
	return out
}

// JavaLen returns the length of s in UTF-16 code units, as Java's
// String.length counts it.
func JavaLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 && r != utf8.RuneError {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func nodeSize(path string, data []byte) int64 {
	return int64(JavaLen(path) + len(data))
}

func (t *Tree) sizeDelta(d int64) {
	if !t.acct.sizeKnown {
		t.acct.size = t.countDataSize()
		t.acct.sizeKnown = true
		return // the count already includes the change
	}
	t.acct.size += d
}

func (t *Tree) noteWrite(path string, bytes int) {
	ns := TopNamespace(path)
	if ns == "" {
		return
	}
	if t.acct.writes == nil {
		t.acct.writes = make(map[string]*NamespaceStat)
	}
	s := t.acct.writes[ns]
	if s == nil {
		s = &NamespaceStat{}
		t.acct.writes[ns] = s
	}
	s.add(int64(JavaLen(path) + bytes))
}

// noteCreate updates quotas and accounting after path was created
// (DataTree.createNode): a new stat node gets the current usage of its
// subtree, and the quota covering path counts the node and its data.
func (t *Tree) noteCreate(path string, data []byte) {
	t.sizeDelta(nodeSize(path, data))
	parent, name := Split(path)
	if name == StatNode && strings.HasPrefix(parent, QuotaPath) {
		t.recountQuota(strings.TrimPrefix(parent, QuotaPath))
	}
	if p := t.QuotaPrefix(path); p != "" {
		t.addQuotaUsage(p, int64(len(data)), 1)
	}
	t.noteWrite(path, len(data))
}

// noteDelete updates quotas and accounting after path, which held data,
// was deleted (DataTree.deleteNode).
func (t *Tree) noteDelete(path string, data []byte) {
	t.sizeDelta(-nodeSize(path, data))
	if p := t.QuotaPrefix(path); p != "" {
		t.addQuotaUsage(p, -int64(len(data)), -1)
	}
	t.noteWrite(path, 0)
}

// noteSetData updates quotas and accounting after path's data changed
// from old to data (DataTree.setData).
func (t *Tree) noteSetData(path string, old, data []byte) {
	if p := t.QuotaPrefix(path); p != "" {
		t.addQuotaUsage(p, int64(len(data)-len(old)), 0)
	}
	t.sizeDelta(int64(len(data) - len(old)))
	t.noteWrite(path, len(data))
}

// addQuotaUsage adds to the usage in prefix's stat node
// (DataTree.updateQuotaStat). The node's data changes in place: no version,
// mzxid or watch event, as in ZooKeeper.
func (t *Tree) addQuotaUsage(prefix string, bytes, count int64) {
	n := t.nodes[StatPath(prefix)]
	if n == nil {
		return // ZooKeeper logs "Missing node for stat"
	}
	st := ParseStatsTrack(n.Data)
	st[quotaCount] = st.Count() + count
	st[quotaBytes] = st.Bytes() + bytes
	n.Data = []byte(st.String())
}

// recountQuota sets the stat node of the quota on path to the count and
// bytes of path's subtree, path included (DataTree.updateQuotaForPath).
func (t *Tree) recountQuota(path string) {
	n := t.nodes[StatPath(path)]
	if n == nil {
		return
	}
	root := path
	if root == "" {
		root = "/"
	}
	var count, bytes int64
	var walk func(p string)
	walk = func(p string) {
		node := t.nodes[p]
		if node == nil {
			return
		}
		count++
		bytes += int64(len(node.Data))
		for c := range node.Children {
			walk(Join(p, c))
		}
	}
	walk(root)
	n.Data = []byte(StatsTrack{quotaCount: count, quotaBytes: bytes}.String())
}

// ResetStats zeroes the per-namespace read and write statistics and the
// quota rejection counts, keeping their namespaces, as srst's
// ServerMetrics.resetAll does. The caller holds no lock of the tree.
func (t *Tree) ResetStats() {
	t.mu.Lock()
	defer t.mu.Unlock()
	liveMu.Lock()
	defer liveMu.Unlock()
	for _, s := range t.acct.writes {
		*s = NamespaceStat{}
	}
	for _, s := range t.acct.reads {
		*s = NamespaceStat{}
	}
	for ns := range t.acct.exceeded {
		t.acct.exceeded[ns] = 0
	}
}
