package jute_test

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zabd/zabd/jute"
)

var writeCorpus = flag.Bool("writecorpus", false, "rewrite testdata/fuzz/<FuzzName>/ seed files from the goldens")

// fuzzFrameMax is small enough for the fuzzer to reach over-long frames and
// large enough for every golden packet.
const fuzzFrameMax = 256

// framePackets returns the whole packets of zkproto/testdata/golden,
// written by the ZooKeeper 3.8.0 Java client and server.
func framePackets(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob("zkproto/testdata/golden/Frame-*.hex")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no Frame-*.hex goldens: %v", err)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var sb strings.Builder
		for _, line := range strings.Split(string(text), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				sb.WriteString(line)
			}
		}
		b, err := hex.DecodeString(sb.String())
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".hex")] = b
	}
	return out
}

type splitSeed struct {
	name string
	data []byte
	k    uint
}

func splitFrameSeeds(tb testing.TB) []splitSeed {
	packets := framePackets(tb)
	var stream []byte
	var seeds []splitSeed
	for _, name := range []string{"Frame-ConnectRequest", "Frame-ConnectResponse", "Frame-GetData", "Frame-Ping", "Frame-Multi"} {
		p, ok := packets[name]
		if !ok {
			tb.Fatalf("missing golden %s", name)
		}
		seeds = append(seeds, splitSeed{name, p, uint(len(p) / 2)})
		stream = append(stream, p...)
	}
	seeds = append(seeds,
		splitSeed{"stream-split-in-prefix", stream, 2},
		splitSeed{"stream-split-mid", stream, uint(len(stream) / 2)},
		splitSeed{"stream-then-bad-length", append(append([]byte{}, stream...), 0xff, 0xff, 0xff, 0xfe), uint(len(stream) + 1)},
		splitSeed{"over-max", append(be32(fuzzFrameMax+1), packets["Frame-Ping"]...), 3},
	)
	return seeds
}

// FuzzSplitFrame feeds a byte stream in two chunks, data[:k] then data[k:],
// as a connection receives it: the frames and the error must be those of
// parsing the whole stream at once (nats-server's FuzzParser idea).
func FuzzSplitFrame(f *testing.F) {
	for _, s := range splitFrameSeeds(f) {
		f.Add(s.data, s.k)
	}
	f.Fuzz(func(t *testing.T, data []byte, k uint) {
		k %= uint(len(data)) + 1
		wantFrames, wantRest, wantErr := splitAll(data, fuzzFrameMax)

		got, rest, err := splitAll(data[:k], fuzzFrameMax)
		if err == nil {
			var more [][]byte
			more, rest, err = splitAll(append(append([]byte{}, rest...), data[k:]...), fuzzFrameMax)
			got = append(got, more...)
		}
		if (err != nil) != (wantErr != nil) || err != nil && !errors.Is(err, jute.ErrFrameLength) {
			t.Fatalf("SplitFrame(%x | %x) err = %v, want %v", data[:k], data[k:], err, wantErr)
		}
		if !reflect.DeepEqual(got, wantFrames) {
			t.Fatalf("SplitFrame(%x | %x) = %q, want %q", data[:k], data[k:], got, wantFrames)
		}
		if err == nil && string(rest) != string(wantRest) {
			t.Fatalf("SplitFrame(%x | %x) rest = %x, want %x", data[:k], data[k:], rest, wantRest)
		}
		for _, fr := range got {
			if len(fr) > fuzzFrameMax {
				t.Fatalf("SplitFrame returned a %d-byte frame, max %d", len(fr), fuzzFrameMax)
			}
		}
	})
}

// TestWriteFuzzCorpus rewrites testdata/fuzz/FuzzSplitFrame from the goldens
// when run with -writecorpus; go test runs those files as seeds.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -writecorpus to rewrite testdata/fuzz")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSplitFrame")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range splitFrameSeeds(t) {
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint(%d)\n", s.data, s.k)
		if err := os.WriteFile(filepath.Join(dir, "golden-"+s.name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
