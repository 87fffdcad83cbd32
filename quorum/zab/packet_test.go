package zab

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zabd/zabd/jute"
	zk "github.com/zabd/zabd/jute/zkproto"
)

// goldenDir holds QuorumPacket encodings by ZooKeeper 3.8.0's own classes
// (jute/zkproto/testdata/gen/GoldenGen.java).
const goldenDir = "../../jute/zkproto/testdata/golden"

func readGolden(t *testing.T, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(goldenDir, name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	var h strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			h.WriteString(line)
		}
	}
	b, err := hex.DecodeString(h.String())
	if err != nil {
		t.Fatalf("%s.hex: %v", name, err)
	}
	return b
}

func TestPacketTypeNumbers(t *testing.T) {
	// Leader.java: REQUEST = 1 ... INFORMANDACTIVATE = 19.
	want := []string{"", "REQUEST", "PROPOSAL", "ACK", "COMMIT", "PING", "REVALIDATE", "SYNC", "INFORM",
		"COMMITANDACTIVATE", "NEWLEADER", "FOLLOWERINFO", "UPTODATE", "DIFF", "TRUNC", "SNAP",
		"OBSERVERINFO", "LEADERINFO", "ACKEPOCH", "INFORMANDACTIVATE"}
	for n := 1; n < len(want); n++ {
		if got := PacketType(n).String(); got != want[n] {
			t.Errorf("PacketType(%d).String() = %q, want %q", n, got, want[n])
		}
		if got, ok := ParsePacketType(want[n]); !ok || got != PacketType(n) {
			t.Errorf("ParsePacketType(%q) = %v, %t, want %d", want[n], got, ok, n)
		}
	}
	if got := PacketType(20).String(); got != "UNKNOWN(20)" {
		t.Errorf("PacketType(20).String() = %q", got)
	}
	if Proposal != 2 || Ack != 3 || Commit != 4 || NewLeader != 10 || LeaderInfo != 17 || AckEpoch != 18 {
		t.Error("packet numbers differ from Leader.java")
	}
}

// TestWireGolden checks whole packets the state machines build against the
// bytes ZooKeeper's QuorumPacket serialises.
func TestWireGolden(t *testing.T) {
	encode := func(p zk.QuorumPacket) []byte { return jute.Marshal(&p) }

	t.Run("ACK", func(t *testing.T) {
		// A follower's ACK of 0x100000012: type=3, data and authinfo null.
		f := Follow(Config{ID: 2, LeaderID: 1, Voters: []int64{1, 2, 3}})
		f.phase, f.newEpoch, f.lastQueued, f.lastZxid = Broadcast, 1, 0x100000011, 0x100000011
		f.Step(packet(Proposal, 0x100000012, []byte("x")))
		f.Ready()
		f.Persisted(0x100000012)
		rd := f.Ready()
		if len(rd.Messages) != 1 {
			t.Fatalf("Ready().Messages = %v, want one ACK", rd.Messages)
		}
		if got, want := encode(rd.Messages[0].Packet), readGolden(t, "QuorumPacket-ack"); !bytes.Equal(got, want) {
			t.Errorf("ACK = %x, want %x", got, want)
		}
	})

	t.Run("PROPOSAL", func(t *testing.T) {
		// The leader's PROPOSAL of a txn entry: type=2, zxid, the entry as
		// data, authinfo null.
		st := &memStorage{}
		l := Lead(Config{ID: 1, Voters: []int64{1, 2}, Storage: st})
		l.Step(2, packet(FollowerInfo, 0, learnerInfo(2, 0)))
		l.Step(2, packet(AckEpoch, 0, int32Bytes(0)))
		l.Step(2, packet(Ack, MakeZxid(1, 0), nil))
		for l.NextZxid() < 0x100000012 {
			if _, err := l.Propose([]byte("filler")); err != nil {
				t.Fatal(err)
			}
		}
		l.Ready()
		entry := readGolden(t, "TxnEntry-create")
		if z, err := l.Propose(entry); err != nil || z != 0x100000012 {
			t.Fatalf("Propose = %#x, %v", z, err)
		}
		rd := l.Ready()
		if got, want := encode(rd.Messages[0].Packet), readGolden(t, "QuorumPacket"); !bytes.Equal(got, want) {
			t.Errorf("PROPOSAL = %x, want %x", got, want)
		}
	})

	t.Run("FOLLOWERINFO", func(t *testing.T) {
		// LearnerInfo{3, 0x10000, 0x100000000}, as the Java record encodes it.
		f := Follow(Config{ID: 3, LeaderID: 1, Voters: []int64{1, 3}, AcceptedEpoch: 1, ConfigVersion: 0x100000000})
		p := f.Ready().Messages[0].Packet
		if got, want := p.Data, readGolden(t, "LearnerInfo"); !bytes.Equal(got, want) {
			t.Errorf("FOLLOWERINFO data = %x, want %x", got, want)
		}
		// QuorumPacket-emptyAuth is FOLLOWERINFO with authinfo=[] (length
		// 0); registerWithLeader sends null (length -1).
		f = Follow(Config{ID: 3, LeaderID: 1, Voters: []int64{1, 3}, AcceptedEpoch: 1, ConfigVersion: -1})
		got := encode(f.Ready().Messages[0].Packet)
		want := readGolden(t, "QuorumPacket-emptyAuth")
		want = append(want[:len(want)-4:len(want)-4], 0xff, 0xff, 0xff, 0xff)
		if !bytes.Equal(got, want) {
			t.Errorf("FOLLOWERINFO = %x, want %x", got, want)
		}
	})
}

func TestParseLearnerInfo(t *testing.T) {
	full := learnerInfo(7, 0x55)
	tests := []struct {
		name string
		p    zk.QuorumPacket
		want zk.LearnerInfo
		err  bool
	}{
		{"full", packet(FollowerInfo, 0, full), zk.LearnerInfo{ServerID: 7, ProtocolVersion: ProtocolVersion, ConfigVersion: 0x55}, false},
		{"sid and version", packet(ObserverInfo, 0, full[:12]), zk.LearnerInfo{ServerID: 7, ProtocolVersion: ProtocolVersion}, false},
		{"sid only", packet(FollowerInfo, 0, full[:8]), zk.LearnerInfo{ServerID: 7}, false},
		{"short", packet(FollowerInfo, 0, full[:7]), zk.LearnerInfo{}, true},
		{"not info", packet(Ack, 0, full), zk.LearnerInfo{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLearnerInfo(tt.p)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseLearnerInfo = %+v, %v, want %+v (error %t)", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestPayloadCodecs(t *testing.T) {
	r := LearnerRequest{SessionID: -2, Cxid: 9, Type: zk.OpSetData, Data: []byte{1, 2}}
	got, err := decodeRequest(4, packet(Request, -1, encodeRequest(r)))
	if err != nil || got.SessionID != -2 || got.Cxid != 9 || got.Type != zk.OpSetData || !bytes.Equal(got.Data, r.Data) || got.From != 4 {
		t.Errorf("decodeRequest(encodeRequest(%+v)) = %+v, %v", r, got, err)
	}
	if _, err := decodeRequest(4, packet(Request, -1, make([]byte, 15))); err == nil {
		t.Error("decodeRequest of 15 bytes: no error")
	}
	ts := []Touch{{1, 2}, {-1, 40000}}
	if got, err := decodeTouches(encodeTouches(ts)); err != nil || len(got) != 2 || got[0] != ts[0] || got[1] != ts[1] {
		t.Errorf("decodeTouches(encodeTouches(%v)) = %v, %v", ts, got, err)
	}
	if b := encodeTouches(nil); b == nil || len(b) != 0 {
		t.Errorf("encodeTouches(nil) = %#v, want empty and non-nil", b)
	}
	if _, err := decodeTouches(make([]byte, 13)); err == nil {
		t.Error("decodeTouches of 13 bytes: no error")
	}
	if sid, to, err := decodeRevalidate(encodeRevalidate(5, 6)); sid != 5 || to != 6 || err != nil {
		t.Errorf("decodeRevalidate = %d, %d, %v", sid, to, err)
	}
	if sid, ok, err := decodeRevalidateReply(encodeRevalidateReply(5, true)); sid != 5 || !ok || err != nil {
		t.Errorf("decodeRevalidateReply = %d, %t, %v", sid, ok, err)
	}
	if _, _, err := decodeRevalidateReply(make([]byte, 8)); err == nil {
		t.Error("decodeRevalidateReply of 8 bytes: no error")
	}
}

func TestZxids(t *testing.T) {
	z := MakeZxid(0x12, 0x345)
	if z != 0x1200000345 || EpochOf(z) != 0x12 || CounterOf(z) != 0x345 {
		t.Errorf("MakeZxid(0x12, 0x345) = %#x (epoch %#x, counter %#x)", z, EpochOf(z), CounterOf(z))
	}
}

// TestZxidRollover: the leader never proposes a counter of 0xffffffff; it
// steps down so that a new epoch starts (Leader.propose, ZOOKEEPER-1277).
func TestZxidRollover(t *testing.T) {
	l := Lead(Config{ID: 1, Voters: []int64{1}, Storage: &memStorage{}})
	l.Ready()
	l.lastProposed = MakeZxid(1, 0xfffffffd)
	if z, err := l.Propose(nil); err != nil || z != MakeZxid(1, 0xfffffffe) {
		t.Fatalf("Propose = %#x, %v", z, err)
	}
	if _, err := l.Propose(nil); !errors.Is(err, ErrZxidRollover) {
		t.Fatalf("Propose at counter 0xffffffff: err = %v, want ErrZxidRollover", err)
	}
	if rd := l.Ready(); rd.Phase != Looking || !errors.Is(rd.Err, ErrZxidRollover) || len(rd.Entries) != 1 {
		t.Errorf("Ready = phase %v err %v entries %d, want LOOKING, ErrZxidRollover, 1", rd.Phase, rd.Err, len(rd.Entries))
	}
}
