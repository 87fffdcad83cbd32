package zab

import (
	"encoding/binary"
	"fmt"

	"github.com/zabd/zabd/jute"
	zk "github.com/zabd/zabd/jute/zkproto"
)

// PacketType is the Type of a zkproto.QuorumPacket. The numbers are
// ZooKeeper's (Leader.java, the public static final ints REQUEST .. INFORMANDACTIVATE).
type PacketType int32

// The packet types. Direction and payload of each, as ZooKeeper lays them
// out, are in the package documentation.
const (
	Request           PacketType = 1
	Proposal          PacketType = 2
	Ack               PacketType = 3
	Commit            PacketType = 4
	Ping              PacketType = 5
	Revalidate        PacketType = 6
	Sync              PacketType = 7
	Inform            PacketType = 8
	CommitAndActivate PacketType = 9
	NewLeader         PacketType = 10
	FollowerInfo      PacketType = 11
	UpToDate          PacketType = 12
	Diff              PacketType = 13
	Trunc             PacketType = 14
	Snap              PacketType = 15
	ObserverInfo      PacketType = 16
	LeaderInfo        PacketType = 17
	AckEpoch          PacketType = 18
	InformAndActivate PacketType = 19
)

var packetNames = [...]string{
	Request: "REQUEST", Proposal: "PROPOSAL", Ack: "ACK", Commit: "COMMIT", Ping: "PING",
	Revalidate: "REVALIDATE", Sync: "SYNC", Inform: "INFORM", CommitAndActivate: "COMMITANDACTIVATE",
	NewLeader: "NEWLEADER", FollowerInfo: "FOLLOWERINFO", UpToDate: "UPTODATE", Diff: "DIFF",
	Trunc: "TRUNC", Snap: "SNAP", ObserverInfo: "OBSERVERINFO", LeaderInfo: "LEADERINFO",
	AckEpoch: "ACKEPOCH", InformAndActivate: "INFORMANDACTIVATE",
}

// String returns ZooKeeper's name of the type (Leader.getPacketType), or
// UNKNOWN(n).
func (t PacketType) String() string {
	if t > 0 && int(t) < len(packetNames) {
		return packetNames[t]
	}
	return fmt.Sprintf("UNKNOWN(%d)", int32(t))
}

// ParsePacketType is the inverse of String for the known types.
func ParsePacketType(s string) (PacketType, bool) {
	for i, n := range packetNames {
		if n != "" && n == s {
			return PacketType(i), true
		}
	}
	return 0, false
}

// ProtocolVersion is the ZAB protocol version that learners send in
// LearnerInfo and the leader sends in LEADERINFO (0x10000, "Zab 1.0";
// Learner.registerWithLeader, LearnerHandler.run).
const ProtocolVersion = 0x10000

// MakeZxid returns the zxid of the counter-th txn of epoch (ZxidUtils.makeZxid).
func MakeZxid(epoch, counter int64) int64 { return epoch<<32 | counter&0xffffffff }

// EpochOf returns the epoch of a zxid: its high 32 bits (ZxidUtils.getEpochFromZxid).
func EpochOf(zxid int64) int64 { return zxid >> 32 }

// CounterOf returns the counter of a zxid: its low 32 bits.
func CounterOf(zxid int64) int64 { return zxid & 0xffffffff }

// packet builds a QuorumPacket with null authinfo, as ZooKeeper's
// new QuorumPacket(type, zxid, data, null) does.
func packet(t PacketType, zxid int64, data []byte) zk.QuorumPacket {
	return zk.QuorumPacket{Type: int32(t), Zxid: zxid, Data: data}
}

func int32Bytes(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// ParseLearnerInfo decodes the LearnerInfo in a FOLLOWERINFO or OBSERVERINFO
// packet. The runtime uses it to learn which server a new learner
// connection belongs to before it steps the packet into the Leader.
//
// As LearnerHandler.run does, it accepts a payload cut short after the server
// id (8 bytes: protocol version 0, config version 0) or after the protocol
// version (12 bytes).
func ParseLearnerInfo(p zk.QuorumPacket) (zk.LearnerInfo, error) {
	var li zk.LearnerInfo
	t := PacketType(p.Type)
	if t != FollowerInfo && t != ObserverInfo {
		return li, fmt.Errorf("zab: %v is not FOLLOWERINFO or OBSERVERINFO", t)
	}
	b := p.Data
	if len(b) < 8 {
		return li, fmt.Errorf("zab: %v: LearnerInfo of %d bytes", t, len(b))
	}
	li.ServerID = int64(binary.BigEndian.Uint64(b))
	if len(b) >= 12 {
		li.ProtocolVersion = int32(binary.BigEndian.Uint32(b[8:]))
	}
	if len(b) >= 20 {
		li.ConfigVersion = int64(binary.BigEndian.Uint64(b[12:]))
	}
	return li, nil
}

// encodeRequest lays out a REQUEST payload: long sessionId, int cxid, int
// type, then the request record's bytes (Learner.request).
func encodeRequest(r LearnerRequest) []byte {
	b := make([]byte, 0, 16+len(r.Data))
	b = binary.BigEndian.AppendUint64(b, uint64(r.SessionID))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Cxid))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Type))
	return append(b, r.Data...)
}

// decodeRequest is the inverse of encodeRequest (LearnerHandler.run, case
// Leader.REQUEST).
func decodeRequest(from int64, p zk.QuorumPacket) (LearnerRequest, error) {
	b := p.Data
	if len(b) < 16 {
		return LearnerRequest{}, fmt.Errorf("zab: REQUEST of %d bytes", len(b))
	}
	return LearnerRequest{
		From:      from,
		SessionID: int64(binary.BigEndian.Uint64(b)),
		Cxid:      int32(binary.BigEndian.Uint32(b[8:])),
		Type:      zk.OpCode(int32(binary.BigEndian.Uint32(b[12:]))),
		Data:      b[16:],
		AuthInfo:  p.AuthInfo,
	}, nil
}

// encodeTouches lays out a learner's PING reply: {long sessionId; int
// timeout}* (Learner.ping). An empty table is an empty, non-null buffer, as
// ByteArrayOutputStream.toByteArray gives.
func encodeTouches(ts []Touch) []byte {
	b := make([]byte, 0, 12*len(ts))
	for _, t := range ts {
		b = binary.BigEndian.AppendUint64(b, uint64(t.SessionID))
		b = binary.BigEndian.AppendUint32(b, uint32(t.Timeout))
	}
	return b
}

// decodeTouches reads a PING reply's touch table (LearnerHandler.run, case
// Leader.PING: it reads pairs while bytes remain).
func decodeTouches(b []byte) ([]Touch, error) {
	if len(b)%12 != 0 {
		return nil, fmt.Errorf("zab: PING touch table of %d bytes", len(b))
	}
	ts := make([]Touch, 0, len(b)/12)
	for ; len(b) > 0; b = b[12:] {
		ts = append(ts, Touch{
			SessionID: int64(binary.BigEndian.Uint64(b)),
			Timeout:   int32(binary.BigEndian.Uint32(b[8:])),
		})
	}
	return ts, nil
}

// encodeRevalidate lays out a learner's REVALIDATE: long sessionId, int
// timeout (Learner.validateSession).
func encodeRevalidate(sessionID int64, timeout int32) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 12), uint64(sessionID))
	return binary.BigEndian.AppendUint32(b, uint32(timeout))
}

func decodeRevalidate(b []byte) (sessionID int64, timeout int32, err error) {
	if len(b) < 12 {
		return 0, 0, fmt.Errorf("zab: REVALIDATE of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), int32(binary.BigEndian.Uint32(b[8:])), nil
}

// encodeRevalidateReply lays out the leader's answer: long sessionId, boolean
// valid (Leader.revalidateSession; DataOutputStream.writeBoolean is one byte).
func encodeRevalidateReply(sessionID int64, valid bool) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 9), uint64(sessionID))
	if valid {
		return append(b, 1)
	}
	return append(b, 0)
}

func decodeRevalidateReply(b []byte) (sessionID int64, valid bool, err error) {
	if len(b) < 9 {
		return 0, false, fmt.Errorf("zab: REVALIDATE reply of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), b[8] != 0, nil
}

// learnerInfo encodes the FOLLOWERINFO/OBSERVERINFO payload
// (Learner.registerWithLeader: LearnerInfo{myid, 0x10000, qv version}).
func learnerInfo(id, configVersion int64) []byte {
	return jute.Marshal(&zk.LearnerInfo{ServerID: id, ProtocolVersion: ProtocolVersion, ConfigVersion: configVersion})
}
