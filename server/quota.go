package server

import (
	"sync"
	"time"

	"github.com/zabd/zabd/jute/zkproto"
	"github.com/zabd/zabd/server/datatree"
)

// checkQuota refuses a create (lastData nil, create true) or a setData
// whose result would take the quota covering path past a hard limit, as
// ZooKeeperServer.checkQuota does when zookeeper.enforceQuota is set:
// QuotaExceeded for a hard limit (countHardLimit, byteHardLimit), a log
// line only for a soft one (count, bytes). Without enforceQuota nothing is
// checked; the stat nodes are kept current either way (datatree).
//
// Like ZooKeeper it reads the limits and the usage from the committed tree,
// not from the changes prep has issued but final has not applied; so
// writes pipelined into one quota may overshoot it together.
// NB: ZooKeeper takes lastData from prep's change record; prep's changes
// carry no data here, so a setData pipelined behind another setData of the
// same node measures its growth against the committed data.
//
// Called by the prep goroutine.
func (s *Server) checkQuota(path string, data []byte, create bool) zkproto.Code {
	if !s.cfg.EnforceQuota {
		return zkproto.Ok
	}
	t := s.tree
	t.RLock()
	defer t.RUnlock()
	prefix := t.QuotaPrefix(path)
	if prefix == "" {
		return zkproto.Ok
	}
	bytesDiff, countDiff := int64(len(data)), int64(1)
	if !create {
		countDiff = 0
		if n := t.Get(path); n != nil {
			bytesDiff -= int64(len(n.Data))
		}
	}
	limits, usage, ok := t.Quota(prefix)
	if !ok {
		s.log.Error("missing quota limit or stat node", "quota", prefix)
		return zkproto.Ok
	}
	checkCount := countDiff != 0 && (limits.Count() > -1 || limits.CountHardLimit() > -1)
	checkBytes := bytesDiff != 0 && (limits.Bytes() > -1 || limits.ByteHardLimit() > -1)
	if checkCount {
		if code := s.quotaLimit(t, path, prefix, "count", usage.Count()+countDiff, limits.CountHardLimit(), limits.Count()); code != zkproto.Ok {
			return code
		}
	}
	if checkBytes {
		if code := s.quotaLimit(t, path, prefix, "bytes", usage.Bytes()+bytesDiff, limits.ByteHardLimit(), limits.Bytes()); code != zkproto.Ok {
			return code
		}
	}
	return zkproto.Ok
}

// quotaLimit compares a new usage with the hard limit when set, else with
// the soft one. Caller holds the tree's read lock.
func (s *Server) quotaLimit(t *datatree.Tree, path, prefix, what string, usage, hard, soft int64) zkproto.Code {
	limit, kind := soft, "soft"
	if hard > -1 {
		limit, kind = hard, "hard"
	}
	if usage <= limit {
		return zkproto.Ok
	}
	if quotaLogLimiter.allow(time.Now()) {
		s.log.Warn("quota exceeded", "quota", prefix, "current "+what, usage, kind+" limit", limit)
	}
	if kind == "hard" {
		t.NoteQuotaExceeded(path)
		return zkproto.ErrQuotaExceeded
	}
	return zkproto.Ok
}

// quotaLogLimiter keeps quota warnings to one every few seconds, as
// ZooKeeper's RateLogger does for them.
var quotaLogLimiter rateLimiter

type rateLimiter struct {
	mu   sync.Mutex
	last time.Time
}

func (r *rateLimiter) allow(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.last) < 5*time.Second {
		return false
	}
	r.last = now
	return true
}
