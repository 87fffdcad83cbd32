package transport

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
)

// testdata/wire.golden holds bytes that Apache ZooKeeper 3.8.0's own
// QuorumCnxManager wrote on election connections, captured by
// testdata/gen/CaptureWire.java (the transport is unchanged in 3.9.5).

const goldenMsg = "zabd election transport golden"

func readWireGolden(t *testing.T) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/wire.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); line != "" && !strings.HasPrefix(line, "#") {
			name, h, _ := strings.Cut(line, " ")
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = b
		}
	}
	return out
}

var wireCases = []struct {
	name     string
	id, to   int64
	version  int64
	addrs    []string
	keepsMsg bool
}{
	{"v1-keep", 3, 1, ProtocolVersionV1, []string{"127.0.0.1:3883"}, true},
	{"v1-drop", 1, 3, ProtocolVersionV1, []string{"127.0.0.1:3881"}, false},
	// Java sends MultipleAddresses in its set's order.
	{"v2-keep", 3, 1, ProtocolVersionV2, []string{"127.0.0.2:3893", "127.0.0.1:3883"}, true},
}

// TestWireGoldenCodec: our encoding equals Java's bytes, and parsing Java's
// bytes gives the values.
func TestWireGoldenCodec(t *testing.T) {
	golden := readWireGolden(t)
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			want := golden[tc.name]
			enc := AppendInitialMessage(nil, tc.version, tc.id, tc.addrs)
			if tc.keepsMsg {
				enc = appendFrame(enc, []byte(goldenMsg))
			}
			if !bytes.Equal(enc, want) {
				t.Errorf("encoding =\n%x\nwant\n%x", enc, want)
			}
			r := bytes.NewReader(want)
			hdr, err := ReadInitialMessage(r)
			if err != nil {
				t.Fatal(err)
			}
			if w := (InitialMessage{Version: tc.version, SID: tc.id, Addrs: tc.addrs}); !reflect.DeepEqual(hdr, w) {
				t.Errorf("ReadInitialMessage = %+v, want %+v", hdr, w)
			}
			if tc.keepsMsg {
				msg, err := readFrame(r)
				if err != nil || string(msg) != goldenMsg {
					t.Errorf("readFrame = %q, %v", msg, err)
				}
			}
			if r.Len() != 0 {
				t.Errorf("%d bytes left", r.Len())
			}
		})
	}
}

// TestWireGoldenManager: a Manager in Java's place writes exactly what Java
// wrote: the same initial message, the same frame, and for a larger peer
// nothing after the initial message.
func TestWireGoldenManager(t *testing.T) {
	golden := readWireGolden(t)
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newMemNet()
				l := n.Listen("peer:3888")
				defer l.Close()
				m := New(Config{
					ID: tc.id, Addrs: tc.addrs, MultiAddress: tc.version == ProtocolVersionV2,
					Peers: map[int64][]string{tc.to: {"peer:3888"}}, Dial: n.Dial,
				})
				defer m.Close()
				mustSend(t, m, tc.to, goldenMsg)
				c, err := l.Accept()
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				want := golden[tc.name]
				got := make([]byte, len(want))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("Manager wrote\n%x\nJava wrote\n%x", got, want)
				}
				if !tc.keepsMsg {
					if _, err := c.Read(make([]byte, 1)); err != io.EOF {
						t.Errorf("after the initial message to a larger id: %v, want EOF", err)
					}
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
