package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// Protocol versions of the initial message, sent as its first long.
// Counterpart: QuorumCnxManager.PROTOCOL_VERSION_V1 and _V2.
const (
	// ProtocolVersionV1 (since 3.5, ZOOKEEPER-107): one "host:port".
	ProtocolVersionV1 int64 = -65536
	// ProtocolVersionV2 (since 3.6, ZOOKEEPER-3188): "h1:p1|h2:p2|...",
	// sent only when multiAddress.enabled is set (ZOOKEEPER-3720).
	ProtocolVersionV2 int64 = -65535
)

// Limits, as in QuorumCnxManager.
const (
	// MaxAddressLen bounds the address string of the initial message
	// (maxBuffer).
	MaxAddressLen = 2048
	// MaxMessageSize bounds a framed message (PACKETMAXSIZE, 512 KiB).
	MaxMessageSize = 512 * 1024
	// ObserverID is the sid of observers that do not send their own
	// (QuorumPeer.OBSERVER_ID); the receiver numbers them -1, -2, ...
	ObserverID int64 = math.MaxInt64
)

// Errors of the wire format. Each closes the connection it came on.
var (
	ErrProtocolVersion = errors.New("transport: unrecognized protocol version")
	ErrAddressLength   = errors.New("transport: unreasonable address length")
	ErrAddress         = errors.New("transport: badly formed address")
	ErrFrameLength     = errors.New("transport: invalid message length")
)

// InitialMessage is what the dialing peer sends first on an election
// connection.
//
// Layout (DataOutputStream, big-endian), QuorumCnxManager.startConnection:
//
//	long  protocolVersion   -65536 (V1) or -65535 (V2)
//	long  sid
//	int   n                 0 < n <= 2048
//	byte  address[n]        UTF-8 "host:port" (V1) or "h1:p1|h2:p2" (V2);
//	                        IPv6 hosts in brackets
//
// A peer older than 3.5 sends only its sid: a first long >= 0 is the sid,
// with no address (QuorumCnxManager.handleConnection).
type InitialMessage struct {
	// Version is ProtocolVersionV1, ProtocolVersionV2, or 0 for the legacy
	// sid-only form.
	Version int64
	SID     int64
	// Addrs are the sender's election addresses as "host:port" strings,
	// wildcard hosts (0.0.0.0, ::) left out as Java leaves them out.
	Addrs []string
}

// AppendInitialMessage appends the V1 or V2 initial message for sid and
// addrs ("host:port" each; V1 sends only the first).
func AppendInitialMessage(b []byte, version, sid int64, addrs []string) []byte {
	if version == ProtocolVersionV1 && len(addrs) > 1 {
		addrs = addrs[:1]
	}
	s := strings.Join(addrs, "|")
	b = binary.BigEndian.AppendUint64(b, uint64(version))
	b = binary.BigEndian.AppendUint64(b, uint64(sid))
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// ReadInitialMessage reads an initial message, with the checks of
// QuorumCnxManager.InitialMessage.parse.
func ReadInitialMessage(r io.Reader) (InitialMessage, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return InitialMessage{}, err
	}
	v := int64(binary.BigEndian.Uint64(b[:]))
	if v >= 0 {
		return InitialMessage{SID: v}, nil
	}
	if v != ProtocolVersionV1 && v != ProtocolVersionV2 {
		return InitialMessage{}, fmt.Errorf("%w: %d", ErrProtocolVersion, v)
	}
	m := InitialMessage{Version: v}
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return m, err
	}
	m.SID = int64(binary.BigEndian.Uint64(b[:]))
	if _, err := io.ReadFull(r, b[:4]); err != nil {
		return m, err
	}
	n := int32(binary.BigEndian.Uint32(b[:4]))
	if n <= 0 || n > MaxAddressLen {
		return m, fmt.Errorf("%w: %d", ErrAddressLength, n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return m, err
	}
	for _, a := range strings.Split(string(buf), "|") {
		host, port, err := splitHostPort(a)
		if err != nil {
			return m, err
		}
		if wildcard(host) {
			continue
		}
		m.Addrs = append(m.Addrs, joinHostPort(host, port))
	}
	return m, nil
}

// splitHostPort is ConfigUtils.getHostAndPort followed by parse's checks:
// "[v6]:port" or "host:port", exactly one port, a number that fits a port.
func splitHostPort(s string) (host string, port int, err error) {
	var parts []string
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]")
		if i < 0 || i+2 >= len(s) || s[i+1] != ':' {
			return "", 0, fmt.Errorf("%w: %q", ErrAddress, s)
		}
		parts = append([]string{s[1:i]}, strings.Split(s[i+2:], ":")...)
	} else {
		parts = strings.Split(s, ":")
	}
	if len(parts) != 2 || strings.ContainsAny(parts[0], "[]") {
		// NB: a bracket outside the [v6]:port form is malformed; accepting
		// it would make an address that joinHostPort cannot round-trip.
		return "", 0, fmt.Errorf("%w: %q", ErrAddress, s)
	}
	p, err := strconv.Atoi(parts[1])
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("%w: bad port in %q", ErrAddress, s)
	}
	return parts[0], p, nil
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// wildcard reports whether host is the any-address (Java:
// InetAddress.isAnyLocalAddress). Host names are not resolved.
func wildcard(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}

// appendFrame appends msg with its int length prefix (SendWorker.send).
func appendFrame(b, msg []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	return append(b, msg...)
}

// readFrame reads one length-prefixed message (RecvWorker.run): a length of
// 0 or less, or over MaxMessageSize, is an error.
func readFrame(r io.Reader) ([]byte, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(b[:]))
	if n <= 0 || n > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d", ErrFrameLength, n)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}
