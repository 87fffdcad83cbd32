package zab

import (
	"fmt"
	"slices"
	"strings"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// memStorage is a Storage over an in-memory log whose entries at or below
// base were purged behind a snapshot.
type memStorage struct {
	base int64
	log  []Entry
}

func (s *memStorage) Entries(after, upTo int64) ([]Entry, error) {
	if after < s.base {
		return nil, ErrCompacted
	}
	i, _ := slices.BinarySearchFunc(s.log, after+1, cmpEntry)
	j, _ := slices.BinarySearchFunc(s.log, upTo+1, cmpEntry)
	if j < i {
		j = i
	}
	return s.log[i:j], nil
}

func (s *memStorage) last() int64 {
	if len(s.log) == 0 {
		return s.base
	}
	return s.log[len(s.log)-1].Zxid
}

func cmpEntry(e Entry, z int64) int {
	switch {
	case e.Zxid < z:
		return -1
	case e.Zxid > z:
		return 1
	}
	return 0
}

// entryData is the data the tests give the txn with this zxid.
func entryData(zxid int64) []byte {
	return fmt.Appendf(nil, "e%d.%d", EpochOf(zxid), CounterOf(zxid))
}

func fmtZxid(z int64) string {
	if z < 0 {
		return fmt.Sprint(z)
	}
	return fmt.Sprintf("%#x", z)
}

// fmtData prints nil as nothing, printable bytes quoted, others in hex.
func fmtData(b []byte) string {
	if b == nil {
		return ""
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' {
			return fmt.Sprintf(" data=%x", b)
		}
	}
	return fmt.Sprintf(" data=%q", b)
}

func fmtPacket(p zk.QuorumPacket) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v zxid=%s%s", PacketType(p.Type), fmtZxid(p.Zxid), fmtData(p.Data))
	if p.AuthInfo != nil {
		ids := make([]string, len(p.AuthInfo))
		for i, id := range p.AuthInfo {
			ids[i] = id.Scheme + ":" + id.ID
		}
		fmt.Fprintf(&b, " auth=[%s]", strings.Join(ids, " "))
	}
	return b.String()
}

func fmtEntries(es []Entry) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = fmtZxid(e.Zxid) + fmtData(e.Data)
	}
	return strings.Join(s, ",")
}

// fmtReady prints a Ready one item per line, in the order the runtime acts
// on it; from is the sender of its Messages.
func fmtReady(rd Ready, from int64) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if rd.Phase != 0 {
		line("phase: %v", rd.Phase)
	}
	if rd.Err != nil {
		line("err: %v", rd.Err)
	}
	if rd.Snapshot != nil {
		line("snapshot: zxid=%s%s", fmtZxid(rd.Snapshot.Zxid), fmtData(rd.Snapshot.Data))
	}
	if rd.Truncate {
		line("truncate: %s", fmtZxid(rd.TruncateZxid))
	}
	if rd.AcceptedEpoch != 0 {
		line("accepted-epoch: %d", rd.AcceptedEpoch)
	}
	if rd.CurrentEpoch != 0 {
		line("current-epoch: %d", rd.CurrentEpoch)
	}
	if len(rd.Entries) > 0 {
		line("entries: %s", fmtEntries(rd.Entries))
	}
	for _, m := range rd.Messages {
		line("%d->%d %s", from, m.To, fmtPacket(m.Packet))
	}
	if len(rd.Committed) > 0 {
		line("committed: %s", fmtEntries(rd.Committed))
	}
	for _, r := range rd.Requests {
		line("request: from=%d session=%#x cxid=%d type=%v%s auth=%v", r.From, r.SessionID, r.Cxid, r.Type, fmtData(r.Data), r.AuthInfo)
	}
	for _, t := range rd.Touches {
		line("touch: session=%#x timeout=%d", t.SessionID, t.Timeout)
	}
	for _, r := range rd.Revalidate {
		line("revalidate: learner=%d session=%#x timeout=%d", r.Learner, r.SessionID, r.Timeout)
	}
	for _, d := range rd.Disconnect {
		line("disconnect: %d (%v)", d.ID, d.Err)
	}
	for _, r := range rd.Revalidated {
		line("revalidated: session=%#x valid=%t", r.SessionID, r.Valid)
	}
	for _, z := range rd.Syncs {
		line("sync: after %s", fmtZxid(z))
	}
	return b.String()
}
