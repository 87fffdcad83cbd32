package quorum

import (
	"bufio"
	"bytes"
	hexenc "encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	zk "github.com/zabd/zabd/jute/zkproto"
)

// goldenDir holds QuorumPacket encodings by ZooKeeper 3.8.0's own classes
// (jute/zkproto/testdata/gen/GoldenGen.java).
const goldenDir = "../jute/zkproto/testdata/golden"

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
	b, err := hexenc.DecodeString(h.String())
	if err != nil {
		t.Fatalf("%s.hex: %v", name, err)
	}
	return b
}

// TestReadPacketGolden reads Java's encodings back to back, one byte at a
// time, as they arrive on a learner socket, and re-encodes them.
func TestReadPacketGolden(t *testing.T) {
	names := []string{"QuorumPacket", "QuorumPacket-ack", "QuorumPacket-emptyAuth", "QuorumPacket-request"}
	var stream []byte
	for _, n := range names {
		stream = append(stream, readGolden(t, n)...)
	}
	r := bufio.NewReader(iotest.OneByteReader(bytes.NewReader(stream)))
	for _, n := range names {
		p, err := readPacket(r, 1<<20)
		if err != nil {
			t.Fatalf("%s: readPacket: %v", n, err)
		}
		if got, want := appendPacket(nil, &p), readGolden(t, n); !bytes.Equal(got, want) {
			t.Errorf("%s: appendPacket(readPacket) = %x, want %x", n, got, want)
		}
	}
	if _, err := readPacket(r, 1<<20); err != io.EOF {
		t.Errorf("readPacket at the end = %v, want io.EOF", err)
	}
}

func TestReadPacketNulls(t *testing.T) {
	for _, p := range []zk.QuorumPacket{
		{Type: 3, Zxid: 0x100000001},
		{Type: 2, Zxid: 7, Data: []byte{}, AuthInfo: []zk.Id{}},
		{Type: 1, Zxid: -1, Data: []byte("x"), AuthInfo: []zk.Id{{Scheme: "digest", ID: "u:p"}, {Scheme: "ip", ID: ""}}},
	} {
		got, err := readPacket(bufio.NewReader(bytes.NewReader(appendPacket(nil, &p))), 16)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("readPacket(appendPacket(%+v)) = %+v, %v", p, got, err)
		}
	}
}

func TestReadPacketBad(t *testing.T) {
	good := appendPacket(nil, &zk.QuorumPacket{Type: 2, Zxid: 1, Data: []byte("abcdef"), AuthInfo: []zk.Id{{Scheme: "s", ID: "i"}}})
	for i := 1; i < len(good); i++ {
		_, err := readPacket(bufio.NewReader(bytes.NewReader(good[:i])), 16)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("readPacket(%d of %d bytes) = %v, want io.ErrUnexpectedEOF", i, len(good), err)
		}
	}
	for name, b := range map[string][]byte{
		"data too long": appendPacket(nil, &zk.QuorumPacket{Type: 2, Data: make([]byte, 17)}),
		"negative data": append(make([]byte, 12), 0xff, 0xff, 0xff, 0xfe),
		"ids too many":  append(make([]byte, 12), 0xff, 0xff, 0xff, 0xff, 0, 0x10, 0, 0),
	} {
		if _, err := readPacket(bufio.NewReader(bytes.NewReader(b)), 16); !errors.Is(err, errPacket) {
			t.Errorf("%s: readPacket = %v, want errPacket", name, err)
		}
	}
}

// FuzzReadPacket: readPacket never panics, and what it reads re-encodes to
// bytes that read back the same.
func FuzzReadPacket(f *testing.F) {
	for _, n := range []string{"QuorumPacket", "QuorumPacket-ack", "QuorumPacket-emptyAuth", "QuorumPacket-request"} {
		text, err := os.ReadFile(filepath.Join(goldenDir, n+".hex"))
		if err != nil {
			f.Fatal(err)
		}
		var h strings.Builder
		for _, line := range strings.Split(string(text), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				h.WriteString(line)
			}
		}
		b, err := hexenc.DecodeString(h.String())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := readPacket(bufio.NewReader(bytes.NewReader(b)), 1<<16)
		if err != nil {
			return
		}
		enc := appendPacket(nil, &p)
		q, err := readPacket(bufio.NewReader(bytes.NewReader(enc)), 1<<16)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("re-read of %x = %+v, %v; want %+v", enc, q, err, p)
		}
	})
}
