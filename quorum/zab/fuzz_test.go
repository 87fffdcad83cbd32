package zab

import (
	"encoding/binary"
	"testing"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// FuzzStep feeds a Leader and a Learner arbitrary packet sequences, ticks
// and Persisted calls. Property: nothing panics, and a stopped machine
// stays stopped. Input: records of {byte op; byte from; byte type; 8-byte
// zxid; byte n; n bytes of data}.
func FuzzStep(f *testing.F) {
	rec := func(op, from, typ byte, zxid int64, data []byte) []byte {
		b := []byte{op, from, typ}
		b = binary.BigEndian.AppendUint64(b, uint64(zxid))
		b = append(b, byte(len(data)))
		return append(b, data...)
	}
	var seed []byte
	seed = append(seed, rec(0, 2, byte(FollowerInfo), 0, learnerInfo(2, 0))...)
	seed = append(seed, rec(0, 2, byte(AckEpoch), 0, int32Bytes(0))...)
	seed = append(seed, rec(0, 2, byte(Ack), MakeZxid(1, 0), nil)...)
	seed = append(seed, rec(0, 2, byte(Ping), 0, encodeTouches([]Touch{{1, 2}}))...)
	seed = append(seed, rec(0, 2, byte(Request), -1, encodeRequest(LearnerRequest{SessionID: 1}))...)
	seed = append(seed, rec(1, 0, 0, 0, nil)...)
	f.Add(seed)
	var lseed []byte
	lseed = append(lseed, rec(0, 1, byte(LeaderInfo), MakeZxid(1, 0), int32Bytes(ProtocolVersion))...)
	lseed = append(lseed, rec(0, 1, byte(Diff), 0, nil)...)
	lseed = append(lseed, rec(0, 1, byte(Proposal), 0x100000001, []byte("x"))...)
	lseed = append(lseed, rec(0, 1, byte(Commit), 0x100000001, nil)...)
	lseed = append(lseed, rec(0, 1, byte(NewLeader), MakeZxid(1, 0), nil)...)
	lseed = append(lseed, rec(2, 0, 0, 0x100000001, nil)...)
	lseed = append(lseed, rec(0, 1, byte(UpToDate), -1, nil)...)
	lseed = append(lseed, rec(0, 1, byte(Revalidate), -1, encodeRevalidateReply(1, true))...)
	f.Add(lseed)
	f.Fuzz(func(t *testing.T, b []byte) {
		voters := []int64{1, 2, 3}
		l := Lead(Config{ID: 1, Voters: voters, Storage: &memStorage{}})
		fl := Follow(Config{ID: 2, Voters: voters, LeaderID: 1})
		for len(b) >= 12 {
			op, from, typ, zxid, n := b[0], int64(b[1]%5), PacketType(b[2]), int64(binary.BigEndian.Uint64(b[3:])), int(b[11])
			b = b[12:]
			n = min(n, len(b))
			p := zk.QuorumPacket{Type: int32(typ), Zxid: zxid, Data: b[:n]}
			b = b[n:]
			switch op % 4 {
			case 0:
				l.Step(from, p)
				fl.Step(p)
			case 1:
				l.Tick()
				fl.Tick()
			case 2:
				l.Persisted(zxid)
				fl.Persisted(zxid)
				_, _ = l.Propose(p.Data)
			case 3:
				l.Sync(from)
				l.Revalidated(from, zxid, n%2 == 0)
				_ = fl.Forward(LearnerRequest{SessionID: zxid, Data: p.Data})
			}
			for _, m := range []struct {
				phase Phase
				rd    Ready
			}{{l.Phase(), l.Ready()}, {fl.Phase(), fl.Ready()}} {
				if m.phase == Looking && (len(m.rd.Messages) > 0 || len(m.rd.Committed) > 0) && m.rd.Phase != Looking {
					t.Fatalf("output after LOOKING: %+v", m.rd)
				}
			}
		}
	})
}
