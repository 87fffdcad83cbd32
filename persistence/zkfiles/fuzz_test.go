package zkfiles_test

import (
	"bytes"
	"errors"
	"hash/adler32"
	"io"
	"os"
	"testing"

	"github.com/zabd/zabd/persistence/zkfiles"
)

// FuzzLogReader feeds arbitrary bytes to the log reader, seeded with the
// ZooKeeper 3.8.0 log and pieces of it. Properties: no panic, reading ends,
// and every txn handed back without an error matches its checksum and
// re-encodes to the same entry.
func FuzzLogReader(f *testing.F) {
	golden, err := os.ReadFile(zk380 + "/log.1")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:16])
	f.Add(golden[:200])
	f.Add([]byte("ZKLG\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01xB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lr, err := zkfiles.NewLogReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i := 0; i < len(b); i++ {
			data, err := lr.Next()
			if err == io.EOF || errors.Is(err, zkfiles.ErrPartial) {
				return
			}
			if err != nil {
				if !errors.Is(err, zkfiles.ErrCorrupt) {
					t.Fatalf("Next: %v, want ErrCorrupt, ErrPartial or EOF", err)
				}
				continue
			}
			var out bytes.Buffer
			w := zkfiles.NewLogWriter(&out, 0)
			if err := w.Append(data); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if got := out.Bytes()[16:]; uint64(adler32.Checksum(data)) != beUint64(got) {
				t.Fatalf("txn of %d bytes handed back with a bad checksum", len(data))
			}
		}
	})
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}
