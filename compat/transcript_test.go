package compat

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"

	"github.com/zabd/zabd/jute/zkproto"
)

// transcript is the ordered record of one scenario run against one server,
// normalised so that two servers that behave alike produce equal text:
//
//   - every distinct zxid becomes z1, z2, ... in order of first appearance
//     (0 and -1 are kept literally);
//   - ctime and mtime become "t" (0 stays 0: the system nodes carry 0);
//   - session ids become s1, s2, ... in order of appearance, and an
//     ephemeralOwner that is one of them is printed as that token, while
//     any other owner (containers, TTL nodes) is printed in hex;
//   - the zxid in the header of a read reply (or a ping, sync, setWatches,
//     error without txn) is the server's last processed zxid, which depends
//     on what other scenarios did meanwhile, so it is not numbered but
//     checked: ">=seen" when it is at least the largest zxid this scenario
//     has seen, "STALE" otherwise.
//
// Not safe for concurrent use: one goroutine drives one scenario side.
type transcript struct {
	lines    []string
	zxids    map[int64]string
	sessions map[int64]string
	passwds  map[int64][]byte
	maxZxid  int64
}

func newTranscript() *transcript {
	return &transcript{zxids: map[int64]string{}, sessions: map[int64]string{}, passwds: map[int64][]byte{}}
}

func (tr *transcript) logf(format string, args ...any) {
	tr.lines = append(tr.lines, fmt.Sprintf(format, args...))
}

// String returns the transcript, one line per entry.
func (tr *transcript) String() string { return strings.Join(tr.lines, "\n") + "\n" }

// zxid numbers z.
func (tr *transcript) zxid(z int64) string {
	if z == 0 || z == -1 {
		return fmt.Sprint(z)
	}
	if z > tr.maxZxid {
		tr.maxZxid = z
	}
	if s, ok := tr.zxids[z]; ok {
		return s
	}
	s := fmt.Sprintf("z%d", len(tr.zxids)+1)
	tr.zxids[z] = s
	return s
}

// readZxid checks the last-processed zxid of a read reply.
func (tr *transcript) readZxid(z int64) string {
	switch {
	case z == 0 || z == -1:
		return fmt.Sprint(z)
	case z >= tr.maxZxid:
		return ">=seen"
	default:
		return "STALE"
	}
}

// session numbers a session id; 0 stays 0.
func (tr *transcript) session(id int64) string {
	if id == 0 {
		return "0"
	}
	if s, ok := tr.sessions[id]; ok {
		return s
	}
	s := fmt.Sprintf("s%d", len(tr.sessions)+1)
	tr.sessions[id] = s
	return s
}

// owner formats an ephemeralOwner.
func (tr *transcript) owner(id int64) string {
	if id == 0 {
		return "0"
	}
	if s, ok := tr.sessions[id]; ok {
		return s
	}
	return fmt.Sprintf("%#x", uint64(id))
}

func (tr *transcript) time(ms int64) string {
	if ms == 0 {
		return "0"
	}
	return "t"
}

// stat formats every field of a Stat.
func (tr *transcript) stat(st *zkproto.Stat) string {
	return fmt.Sprintf("stat{czxid=%s mzxid=%s ctime=%s mtime=%s version=%d cversion=%d aversion=%d owner=%s len=%d children=%d pzxid=%s}",
		tr.zxid(st.Czxid), tr.zxid(st.Mzxid), tr.time(st.Ctime), tr.time(st.Mtime),
		st.Version, st.Cversion, st.Aversion, tr.owner(st.EphemeralOwner),
		st.DataLength, st.NumChildren, tr.zxid(st.Pzxid))
}

// passwd formats a session password by what it is equal to.
func (tr *transcript) passwd(session int64, pw []byte) string {
	switch {
	case pw == nil:
		return "null"
	case len(pw) > 0 && bytes.Count(pw, []byte{0}) == len(pw):
		return fmt.Sprintf("zero%d", len(pw))
	}
	if old, ok := tr.passwds[session]; ok {
		if bytes.Equal(old, pw) {
			return fmt.Sprintf("%dB(same)", len(pw))
		}
		return fmt.Sprintf("%dB(changed)", len(pw))
	}
	if session != 0 {
		tr.passwds[session] = pw
	}
	return fmt.Sprintf("%dB", len(pw))
}

// data formats znode data, keeping null and empty apart.
func data(b []byte) string {
	switch {
	case b == nil:
		return "null"
	case len(b) <= 64:
		return fmt.Sprintf("%q", b)
	default:
		sum := sha256.Sum256(b)
		return fmt.Sprintf("len=%d sha256=%x", len(b), sum[:8])
	}
}

// sortedStrings formats a vector<ustring>. ZooKeeper returns children and
// ephemerals in Java HashSet order, which no client may rely on, so the
// transcript sorts them; null is kept apart from empty.
func sortedStrings(v []string) string {
	if v == nil {
		return "null"
	}
	c := append([]string(nil), v...)
	sort.Strings(c)
	return "[" + strings.Join(c, " ") + "]"
}

// codeName formats a reply error code.
func codeName(c zkproto.Code) string {
	if c == zkproto.Ok {
		return "ok"
	}
	return fmt.Sprintf("err=%d(%s)", int32(c), c.Error())
}

// diffLines returns a line diff of a and b (longest common subsequence),
// marking lines only in a with "-" and only in b with "+".
func diffLines(a, b string) string {
	x := strings.Split(strings.TrimRight(a, "\n"), "\n")
	y := strings.Split(strings.TrimRight(b, "\n"), "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			sb.WriteString("  " + x[i] + "\n")
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			sb.WriteString("+ " + y[j] + "\n")
			j++
		default:
			sb.WriteString("- " + x[i] + "\n")
			i++
		}
	}
	return sb.String()
}

// compareTranscripts returns "" when want and got are equal, else a report
// with the diff and both transcripts.
func compareTranscripts(wantLabel, want, gotLabel, got string) string {
	if want == got {
		return ""
	}
	return fmt.Sprintf("transcripts differ (- %s, + %s):\n%s\n--- %s:\n%s--- %s:\n%s",
		wantLabel, gotLabel, diffLines(want, got), wantLabel, want, gotLabel, got)
}
