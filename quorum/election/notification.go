package election

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ServerState is a peer's state as carried in a notification: the ordinal of
// QuorumPeer.ServerState. Values outside 0..3 can arrive on the wire; a
// receiver drops them (FastLeaderElection.Messenger.WorkerReceiver).
type ServerState int32

// The peer states, in QuorumPeer.ServerState order.
const (
	Looking   ServerState = 0
	Following ServerState = 1
	Leading   ServerState = 2
	Observing ServerState = 3
)

func (s ServerState) String() string {
	switch s {
	case Looking:
		return "LOOKING"
	case Following:
		return "FOLLOWING"
	case Leading:
		return "LEADING"
	case Observing:
		return "OBSERVING"
	}
	return fmt.Sprintf("ServerState(%d)", int32(s))
}

// Valid reports whether s is one of the four known states.
func (s ServerState) Valid() bool { return s >= Looking && s <= Observing }

// NotificationVersion is the notification format version this package sends:
// FastLeaderElection.Notification.CURRENTVERSION.
const NotificationVersion = 0x2

// Lengths of the notification layouts a receiver accepts.
const (
	// LenNoPeerEpoch is the pre-ZOOKEEPER-107 layout: state, leader, zxid,
	// electionEpoch. The peer epoch is derived from the zxid.
	LenNoPeerEpoch = 28
	// LenNoVersion is the layout with the peer epoch but without a version.
	// NB: the version-1 layout (FastLeaderElection.buildMsg without config)
	// is also 40 bytes long, and a receiver treats it as this one: it never
	// reads the version field and reports version 0.
	LenNoVersion = 40
	// LenHeader is the fixed part of a version-2 notification: the 40-byte
	// layout with a version, then the config length.
	LenHeader = 44
)

// Errors of DecodeNotification. A receiver drops such a message and keeps the
// connection ("Skipping the processing of a partial / malformed response").
var (
	ErrShortNotification = errors.New("election: notification shorter than 28 bytes")
	ErrTruncated         = errors.New("election: truncated notification")
	ErrConfigLength      = errors.New("election: invalid config length in notification")
)

// Notification is one Fast Leader Election message: the sender's state and
// the vote it proposes, plus the sender's view of the ensemble configuration.
//
// Wire layout of a version-2 notification, big-endian, no outer framing
// (the election transport adds an int length; see quorum/transport):
//
//	offset size field
//	0      4    state          ServerState ordinal
//	4      8    leader         proposed leader sid
//	12     8    zxid           proposed leader's last logged zxid
//	20     8    electionEpoch  sender's logical clock
//	28     8    peerEpoch      proposed leader's current epoch
//	36     4    version        0x2
//	40     4    configLength   0 <= configLength <= message length
//	44     n    config         QuorumVerifier.toString() in UTF-8
//
// Counterpart: FastLeaderElection.buildMsg (sending) and
// FastLeaderElection.Messenger.WorkerReceiver.run (parsing).
type Notification struct {
	State         ServerState
	Leader        int64
	Zxid          int64
	ElectionEpoch int64
	PeerEpoch     int64
	// Version is the format version read from the wire: 0 for the 28- and
	// 40-byte layouts, else the value sent. Encoding always writes
	// NotificationVersion.
	Version int32
	// Config is the sender's dynamic configuration text ("server.N=...\n" lines
	// then "version=<hex>"). It is nil when the message had version <= 1.
	Config []byte
}

// AppendNotification appends the version-2 encoding of n to b, as
// FastLeaderElection.buildMsg(state, leader, zxid, electionEpoch, epoch,
// configData) writes it. n.Version is ignored; a nil Config is sent as an
// empty one (buildMsg's dummyData).
func AppendNotification(b []byte, n Notification) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(n.State))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Leader))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Zxid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.ElectionEpoch))
	b = binary.BigEndian.AppendUint64(b, uint64(n.PeerEpoch))
	b = binary.BigEndian.AppendUint32(b, NotificationVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(n.Config)))
	return append(b, n.Config...)
}

// DecodeNotification parses one notification message of any layout a
// ZooKeeper 3.5+ receiver accepts. The rules, from WorkerReceiver.run:
//
//   - fewer than 28 bytes: rejected;
//   - exactly 28 bytes: no peer epoch; it is zxid >> 32
//     (ZxidUtils.getEpochFromZxid), version 0;
//   - exactly 40 bytes: peer epoch, no version (version 0), even if the
//     sender wrote a version in bytes 36..39;
//   - otherwise the peer epoch and version are read (29..39 bytes are
//     truncated); if version > 1 a config length and that many config bytes
//     follow, with 0 <= length <= message length.
//
// Bytes after the last field read are ignored, as the Java receiver ignores
// them. The State is returned as sent, even when it is not a known state.
// Config aliases b.
func DecodeNotification(b []byte) (Notification, error) {
	var n Notification
	if len(b) < LenNoPeerEpoch {
		return n, fmt.Errorf("%w: %d bytes", ErrShortNotification, len(b))
	}
	n.State = ServerState(int32(binary.BigEndian.Uint32(b[0:])))
	n.Leader = int64(binary.BigEndian.Uint64(b[4:]))
	n.Zxid = int64(binary.BigEndian.Uint64(b[12:]))
	n.ElectionEpoch = int64(binary.BigEndian.Uint64(b[20:]))
	if len(b) == LenNoPeerEpoch {
		n.PeerEpoch = n.Zxid >> 32
		return n, nil
	}
	if len(b) < 36 {
		return n, fmt.Errorf("%w: %d bytes, need 36 for the peer epoch", ErrTruncated, len(b))
	}
	n.PeerEpoch = int64(binary.BigEndian.Uint64(b[28:]))
	if len(b) == LenNoVersion {
		return n, nil
	}
	if len(b) < 40 {
		return n, fmt.Errorf("%w: %d bytes, need 40 for the version", ErrTruncated, len(b))
	}
	n.Version = int32(binary.BigEndian.Uint32(b[36:]))
	if n.Version <= 0x1 {
		return n, nil
	}
	if len(b) < LenHeader {
		return n, fmt.Errorf("%w: %d bytes, need 44 for the config length", ErrTruncated, len(b))
	}
	l := int32(binary.BigEndian.Uint32(b[40:]))
	// NB: Java bounds the length by the whole message (capacity), not by the
	// bytes that remain; a length that passes that check but overruns the
	// message fails as a buffer underflow. Both drop the message.
	if l < 0 || int64(l) > int64(len(b)) {
		return n, fmt.Errorf("%w: %d in a %d-byte message", ErrConfigLength, l, len(b))
	}
	if int(l) > len(b)-LenHeader {
		return n, fmt.Errorf("%w: config of %d bytes, %d remain", ErrTruncated, l, len(b)-LenHeader)
	}
	n.Config = b[LenHeader : LenHeader+int(l) : LenHeader+int(l)]
	return n, nil
}

// String formats n for logs and test output.
func (n Notification) String() string {
	return fmt.Sprintf("%v leader=%d zxid=%#x round=%#x peerEpoch=%#x", n.State, n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch)
}
