package admin

import (
	"sort"
	"strings"
)

// Monitor returns mntr's keys (without "zk_") and values in ZooKeeper
// 3.8's order: every key of mntrKeys, then the per-namespace keys that
// metrics supplies. A key zabd has no value for gets ZooKeeper's value
// for "nothing happened": 0, 0.0 for averages, -1 for the client response
// sizes; an ensemble's key (peer_state, learners, ...) is left out unless
// supplied.
//
// metrics maps key to int, int64 or float64 (printed as Java prints a
// double), or string. A summary is supplied under its avg_/min_/... keys.
func Monitor(metrics map[string]any) Obj {
	out := make(Obj, 0, 512)
	seen := make(map[string]bool, 512)
	add := func(key string, def any) {
		seen[key] = true
		v, ok := metrics[key]
		if !ok {
			v = def
		}
		out = append(out, Field{key, v})
	}
	for _, k := range mntrKeys {
		switch k.kind {
		case gauge:
			add(k.name, gaugeDefault(k.name))
		case quorumGauge:
			if _, ok := metrics[k.name]; ok {
				add(k.name, nil)
			}
		default:
			add("avg_"+k.name, 0.0)
			add("min_"+k.name, int64(0))
			add("max_"+k.name, int64(0))
			add("cnt_"+k.name, int64(0))
			add("sum_"+k.name, int64(0))
			if k.kind == percentile {
				for _, p := range []string{"p50_", "p95_", "p99_", "p999_"} {
					add(p+k.name, int64(0))
				}
			}
		}
	}
	var extra []string
	for k := range metrics {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	// Group the dynamic keys as ZooKeeper does (gauge sets, counter sets,
	// then summary sets), each in name order.
	sort.Slice(extra, func(i, j int) bool {
		ri, rj := dynamicRank(extra[i]), dynamicRank(extra[j])
		if ri != rj {
			return ri < rj
		}
		return extra[i] < extra[j]
	})
	for _, k := range extra {
		out = append(out, Field{k, metrics[k]})
	}
	return out
}

func gaugeDefault(name string) any {
	switch name {
	case "avg_latency", "connection_drop_probability":
		return 0.0
	case "last_client_response_size", "min_client_response_size", "max_client_response_size":
		return int64(-1)
	case "version", "server_state":
		return ""
	}
	return int64(0)
}

func dynamicRank(k string) int {
	switch {
	case strings.HasSuffix(k, "_quota_exceeded_error_per_namespace"):
		return 1
	case strings.Contains(k, "_quota_"):
		return 0
	}
	return 2
}

// MonitorText renders Monitor as the mntr four-letter word does: one
// "zk_<key>\t<value>" line per key.
func MonitorText(metrics map[string]any) string {
	var b strings.Builder
	for _, f := range Monitor(metrics) {
		b.WriteString("zk_")
		b.WriteString(f.Key)
		b.WriteByte('\t')
		b.WriteString(plain(f.Value))
		b.WriteByte('\n')
	}
	return b.String()
}

// Summary accumulates a ZooKeeper AvgMinMaxCounter: the values that mntr
// prints as avg_, min_, max_, cnt_ and sum_ + name. The zero value is empty.
type Summary struct {
	Min, Max, Count, Sum int64
}

// Add records one value.
func (s *Summary) Add(v int64) {
	if s.Count == 0 || v < s.Min {
		s.Min = v
	}
	if s.Count == 0 || v > s.Max {
		s.Max = v
	}
	s.Count++
	s.Sum += v
}

// Avg is the mean rounded half-up to four decimals, as
// AvgMinMaxCounter.getAvg computes it; 0 when empty.
func (s *Summary) Avg() float64 {
	if s.Count == 0 {
		return 0
	}
	return round4(float64(s.Sum) / float64(s.Count))
}

// Put stores the summary's five values in m under prefix_name.
func (s *Summary) Put(m map[string]any, name string) {
	m["avg_"+name] = s.Avg()
	m["min_"+name] = s.Min
	m["max_"+name] = s.Max
	m["cnt_"+name] = s.Count
	m["sum_"+name] = s.Sum
}

func round4(v float64) float64 {
	// BigDecimal.setScale(4, HALF_UP) of the double's exact value; the
	// half-up tie is as good as never hit by a ratio of integers.
	const scale = 10000
	if v < 0 {
		return -round4(-v)
	}
	return float64(int64(v*scale+0.5)) / scale
}

// RoundAvg returns sum/count as AvgMinMaxCounter.getAvg does: rounded
// half-up to four decimals; 0 when count is 0.
func RoundAvg(sum, count int64) float64 {
	s := Summary{Count: count, Sum: sum}
	return s.Avg()
}
