package election

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// readGolden loads testdata/notifications.golden, written by
// testdata/gen/GenNotifications.java from Apache ZooKeeper 3.8.0's
// FastLeaderElection.buildMsg (the layout is unchanged in 3.9.5).
func readGolden(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/notifications.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, h, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad golden line %q", line)
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("golden %s: %v", name, err)
		}
		out[name] = b
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func majConfig(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/quorum_maj_config.txt")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNotificationGolden checks both directions against the bytes Java wrote:
// encoding the value must give the golden bytes, and decoding the golden
// bytes must give the value.
func TestNotificationGolden(t *testing.T) {
	golden := readGolden(t)
	cfg := majConfig(t)
	empty := []byte{}
	tests := []struct {
		name string
		n    Notification
	}{
		{"v2-looking-empty-config", Notification{State: Looking, Leader: 1, Zxid: 0, ElectionEpoch: 1, PeerEpoch: 0, Version: 2, Config: empty}},
		{"v2-config", Notification{State: Looking, Leader: 3, Zxid: 0x100000005, ElectionEpoch: 7, PeerEpoch: 1, Version: 2, Config: cfg}},
		{"v2-following", Notification{State: Following, Leader: 3, Zxid: 0x200000000, ElectionEpoch: 0x12, PeerEpoch: 2, Version: 2, Config: empty}},
		{"v2-leading", Notification{State: Leading, Leader: 3, Zxid: math.MaxInt64, ElectionEpoch: math.MaxInt64, PeerEpoch: 0x7fffffff, Version: 2, Config: empty}},
		{"v2-observer-init", Notification{State: Looking, Leader: math.MinInt64, Zxid: math.MinInt64, ElectionEpoch: 1, PeerEpoch: math.MinInt64, Version: 2, Config: empty}},
		{"v2-observing", Notification{State: Observing, Leader: 2, Zxid: -1, ElectionEpoch: 5, PeerEpoch: -1, Version: 2, Config: []byte("x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, ok := golden[tt.name]
			if !ok {
				t.Fatalf("no golden %q", tt.name)
			}
			if got := AppendNotification(nil, tt.n); !bytes.Equal(got, want) {
				t.Errorf("AppendNotification(%v) =\n%x\nwant\n%x", tt.n, got, want)
			}
			got, err := DecodeNotification(want)
			if err != nil {
				t.Fatalf("DecodeNotification(%x) error %v", want, err)
			}
			if !reflect.DeepEqual(got, tt.n) {
				t.Errorf("DecodeNotification(%x) = %+v, want %+v", want, got, tt.n)
			}
		})
	}
}

// TestNotificationLegacyLayouts covers the shorter layouts that
// WorkerReceiver.run still accepts.
func TestNotificationLegacyLayouts(t *testing.T) {
	golden := readGolden(t)
	// v1-40 is Java's version-1 message (buildMsg without config): 40 bytes,
	// so the receiver takes the backCompatibility40 branch and never reads
	// the version: the result has version 0 and no config.
	v1 := golden["v1-40"]
	// The 28-byte layout (before ZOOKEEPER-107) has no builder left upstream.
	// It is the 28-byte prefix that every later layout shares (state, leader,
	// zxid, electionEpoch, read in that order by WorkerReceiver.run); here
	// the prefix of Java's v1-40 message.
	old28 := v1[:28]
	tests := []struct {
		name string
		in   []byte
		want Notification
	}{
		{"v1-40 read as 40-byte layout", v1, Notification{State: Following, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3, Version: 0}},
		{"28-byte layout derives peer epoch", old28, Notification{State: Following, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3}},
		{"28-byte layout negative zxid", append(append([]byte{}, old28[:12]...), 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4),
			Notification{State: Following, Leader: 2, Zxid: -0x1ffffffff, ElectionEpoch: 4, PeerEpoch: -2}},
		// 41..43 bytes with version <= 1: the version is read, no config.
		{"41 bytes version 1", append(append([]byte{}, v1...), 0xaa), Notification{State: Following, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3, Version: 1}},
		// A version-1 message with trailing bytes reads no config.
		{"version 1 with trailing bytes", append(append([]byte{}, v1...), 0, 0, 0, 9, 1, 2), Notification{State: Following, Leader: 2, Zxid: 0x300000009, ElectionEpoch: 4, PeerEpoch: 3, Version: 1}},
		// Bytes after the config are ignored.
		{"v2 trailing bytes", append(append([]byte{}, golden["v2-observing"]...), 0xde, 0xad), Notification{State: Observing, Leader: 2, Zxid: -1, ElectionEpoch: 5, PeerEpoch: -1, Version: 2, Config: []byte("x")}},
		// An unknown state decodes; Election.Step drops it.
		{"unknown state", append([]byte{0, 0, 0, 9}, golden["v2-following"][4:]...), Notification{State: 9, Leader: 3, Zxid: 0x200000000, ElectionEpoch: 0x12, PeerEpoch: 2, Version: 2, Config: []byte{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeNotification(tt.in)
			if err != nil {
				t.Fatalf("DecodeNotification(%x) error %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeNotification(%x) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// TestNotificationMalformed lists the messages a Java receiver drops with a
// BufferUnderflowException or the configLength check.
func TestNotificationMalformed(t *testing.T) {
	golden := readGolden(t)
	v2 := golden["v2-observing"] // 45 bytes, config "x"
	withLen := func(l uint32) []byte {
		b := append([]byte{}, v2...)
		b[40], b[41], b[42], b[43] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShortNotification},
		{"27 bytes", v2[:27], ErrShortNotification},
		{"29 bytes", v2[:29], ErrTruncated},
		{"35 bytes", v2[:35], ErrTruncated},
		{"36 bytes", v2[:36], ErrTruncated},
		{"39 bytes", v2[:39], ErrTruncated},
		{"41 bytes version 2", v2[:41], ErrTruncated},
		{"43 bytes version 2", v2[:43], ErrTruncated},
		{"config cut", v2[:44], ErrTruncated},
		{"negative config length", withLen(0xffffffff), ErrConfigLength},
		{"config length over message", withLen(46), ErrConfigLength},
		// Passes Java's "configLength > capacity" check, then underflows.
		{"config length equals message", withLen(45), ErrTruncated},
		{"config length one over rest", withLen(2), ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeNotification(tt.in)
			if !errors.Is(err, tt.want) {
				t.Errorf("DecodeNotification(%x) = %+v, %v, want error %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzDecodeNotification: no panic, and decode → encode → decode is stable
// for messages that decode with version 2.
func FuzzDecodeNotification(f *testing.F) {
	for _, b := range readGolden(f) {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotification(b)
		if err != nil {
			return
		}
		if n.Config == nil {
			n.Config = []byte{}
		}
		enc := AppendNotification(nil, n)
		n2, err := DecodeNotification(enc)
		if err != nil {
			t.Fatalf("DecodeNotification(AppendNotification(%+v)) error %v", n, err)
		}
		n.Version = NotificationVersion
		if !reflect.DeepEqual(n, n2) {
			t.Fatalf("round trip %+v -> %x -> %+v", n, enc, n2)
		}
	})
}
