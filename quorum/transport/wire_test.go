package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

func header(version, sid int64, addr string) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(version))
	b = binary.BigEndian.AppendUint64(b, uint64(sid))
	b = binary.BigEndian.AppendUint32(b, uint32(len(addr)))
	return append(b, addr...)
}

func TestReadInitialMessage(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want InitialMessage
		err  error
	}{
		{"v1", header(ProtocolVersionV1, 3, "127.0.0.1:3888"), InitialMessage{Version: ProtocolVersionV1, SID: 3, Addrs: []string{"127.0.0.1:3888"}}, nil},
		{"v2 many", header(ProtocolVersionV2, 7, "10.0.0.1:3888|zk7.example:3889|[::1]:3890"),
			InitialMessage{Version: ProtocolVersionV2, SID: 7, Addrs: []string{"10.0.0.1:3888", "zk7.example:3889", "[::1]:3890"}}, nil},
		{"wildcards left out", header(ProtocolVersionV2, 7, "0.0.0.0:3888|[::]:3888|h:1"), InitialMessage{Version: ProtocolVersionV2, SID: 7, Addrs: []string{"h:1"}}, nil},
		{"only wildcard", header(ProtocolVersionV1, 2, "0.0.0.0:3888"), InitialMessage{Version: ProtocolVersionV1, SID: 2}, nil},
		{"observer id", header(ProtocolVersionV1, ObserverID, "h:1"), InitialMessage{Version: ProtocolVersionV1, SID: ObserverID, Addrs: []string{"h:1"}}, nil},
		// Before 3.5 the first long is the sid and nothing follows.
		{"legacy sid", binary.BigEndian.AppendUint64(nil, 5), InitialMessage{SID: 5}, nil},
		{"legacy sid zero", make([]byte, 8), InitialMessage{SID: 0}, nil},
		{"unknown version", header(-65534, 3, "h:1"), InitialMessage{}, ErrProtocolVersion},
		{"version -1", header(-1, 3, "h:1"), InitialMessage{}, ErrProtocolVersion},
		{"empty address", header(ProtocolVersionV1, 3, ""), InitialMessage{}, ErrAddressLength},
		{"address too long", header(ProtocolVersionV1, 3, string(bytes.Repeat([]byte("a"), MaxAddressLen+1))), InitialMessage{}, ErrAddressLength},
		{"no port", header(ProtocolVersionV1, 3, "host"), InitialMessage{}, ErrAddress},
		{"two colons", header(ProtocolVersionV1, 3, "::1:3888"), InitialMessage{}, ErrAddress},
		{"bad port", header(ProtocolVersionV1, 3, "h:x"), InitialMessage{}, ErrAddress},
		{"port out of range", header(ProtocolVersionV1, 3, "h:65536"), InitialMessage{}, ErrAddress},
		{"bracket without port", header(ProtocolVersionV1, 3, "[::1]"), InitialMessage{}, ErrAddress},
		{"bracket colon no port", header(ProtocolVersionV1, 3, "[::1]:"), InitialMessage{}, ErrAddress},
		{"unclosed bracket", header(ProtocolVersionV1, 3, "[::1:3888"), InitialMessage{}, ErrAddress},
		{"one bad of many", header(ProtocolVersionV2, 3, "h:1|h"), InitialMessage{}, ErrAddress},
		{"short", header(ProtocolVersionV1, 3, "h:1")[:12], InitialMessage{}, io.ErrUnexpectedEOF},
		{"address cut", header(ProtocolVersionV1, 3, "h:1")[:21], InitialMessage{}, io.ErrUnexpectedEOF},
		{"empty", nil, InitialMessage{}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadInitialMessage(bytes.NewReader(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ReadInitialMessage(%x) = %+v, %v, want error %v", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ReadInitialMessage(%x) = %+v, %v, want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestAppendInitialMessage(t *testing.T) {
	tests := []struct {
		name    string
		version int64
		addrs   []string
		want    []byte
	}{
		{"v1 sends the first address", ProtocolVersionV1, []string{"127.0.0.1:3888", "10.0.0.1:3888"}, header(ProtocolVersionV1, 3, "127.0.0.1:3888")},
		{"v2 joins with |", ProtocolVersionV2, []string{"127.0.0.1:3888", "[::1]:3888"}, header(ProtocolVersionV2, 3, "127.0.0.1:3888|[::1]:3888")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AppendInitialMessage(nil, tt.version, 3, tt.addrs); !bytes.Equal(got, tt.want) {
				t.Errorf("AppendInitialMessage(%d, 3, %q) = %x, want %x", tt.version, tt.addrs, got, tt.want)
			}
		})
	}
}

func TestReadFrame(t *testing.T) {
	frame := func(n int32, body []byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(n)), body...)
	}
	max := bytes.Repeat([]byte{7}, MaxMessageSize)
	tests := []struct {
		name string
		in   []byte
		want []byte
		err  error
	}{
		{"one byte", frame(1, []byte{9}), []byte{9}, nil},
		{"max size", frame(MaxMessageSize, max), max, nil},
		{"zero length", frame(0, nil), nil, ErrFrameLength},
		{"negative length", frame(-1, nil), nil, ErrFrameLength},
		{"over max", frame(MaxMessageSize+1, nil), nil, ErrFrameLength},
		{"cut body", frame(5, []byte{1, 2}), nil, io.ErrUnexpectedEOF},
		{"cut length", []byte{0, 0}, nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readFrame(bytes.NewReader(tt.in))
			if !errors.Is(err, tt.err) || !bytes.Equal(got, tt.want) {
				t.Fatalf("readFrame(%d bytes) = %d bytes, %v, want %d bytes, %v", len(tt.in), len(got), err, len(tt.want), tt.err)
			}
		})
	}
	if got := appendFrame(nil, []byte{1, 2, 3}); !bytes.Equal(got, frame(3, []byte{1, 2, 3})) {
		t.Errorf("appendFrame = %x", got)
	}
}

// FuzzReadInitialMessage: no panic; a parsed V1/V2 message re-encodes to
// something that parses the same.
func FuzzReadInitialMessage(f *testing.F) {
	f.Add(header(ProtocolVersionV1, 3, "127.0.0.1:3888"))
	f.Add(header(ProtocolVersionV2, 3, "a:1|[::1]:2|0.0.0.0:3"))
	f.Add(binary.BigEndian.AppendUint64(nil, 9))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadInitialMessage(bytes.NewReader(b))
		if err != nil || m.Version == 0 || len(m.Addrs) == 0 {
			return
		}
		enc := AppendInitialMessage(nil, ProtocolVersionV2, m.SID, m.Addrs)
		m2, err := ReadInitialMessage(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("re-read %x: %v", enc, err)
		}
		m.Version = ProtocolVersionV2
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip %+v -> %+v", m, m2)
		}
	})
}

// TestReadSplits reads an initial message and frames through readers that
// return one byte, or half of what is asked, at a time.
func TestReadSplits(t *testing.T) {
	in := AppendInitialMessage(nil, ProtocolVersionV2, 4, []string{"a:1", "[::1]:2"})
	in = appendFrame(in, []byte("first"))
	in = appendFrame(in, bytes.Repeat([]byte{1}, 5000))
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	} {
		t.Run(name, func(t *testing.T) {
			r := wrap(bytes.NewReader(in))
			hdr, err := ReadInitialMessage(r)
			if err != nil || hdr.SID != 4 || len(hdr.Addrs) != 2 {
				t.Fatalf("ReadInitialMessage = %+v, %v", hdr, err)
			}
			if b, err := readFrame(r); err != nil || string(b) != "first" {
				t.Fatalf("readFrame = %q, %v", b, err)
			}
			if b, err := readFrame(r); err != nil || len(b) != 5000 {
				t.Fatalf("readFrame = %d bytes, %v", len(b), err)
			}
			if _, err := readFrame(r); err != io.EOF {
				t.Fatalf("readFrame at end = %v, want EOF", err)
			}
		})
	}
}
