package txnlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// Prefix is the first byte of every log key; see the package comment for the
// layout. Package persistence keeps its other keyspaces off this byte.
const Prefix byte = 'l'

const (
	keyLen = 1 + 8 // Prefix, zxid
	crcLen = 4
)

// ErrCorrupt marks a stored entry that fails its checksum or is malformed.
// Test with errors.Is; persistence.ErrCorrupt is the same value.
var ErrCorrupt = errors.New("persistence: corruption")

// ErrOrder reports an Append whose zxids are not strictly increasing or not
// greater than LastZxid.
var ErrOrder = errors.New("txnlog: zxid not after the last one")

// Entry is one txn of a batch handed to Append.
type Entry struct {
	Zxid int64
	// Data is the marshalled TxnHeader, txn and optional digest; the log does
	// not look inside. Append does not retain it after returning.
	Data []byte
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendKey appends the key of zxid to b.
func appendKey(b []byte, zxid int64) []byte {
	b = append(b, Prefix)
	return binary.BigEndian.AppendUint64(b, uint64(zxid))
}

// keyZxid returns the zxid of a log key.
func keyZxid(key []byte) (int64, error) {
	if len(key) != keyLen || key[0] != Prefix {
		return 0, fmt.Errorf("txnlog: key %x: malformed: %w", key, ErrCorrupt)
	}
	z := binary.BigEndian.Uint64(key[1:])
	if z == 0 || z > math.MaxInt64 {
		return 0, fmt.Errorf("txnlog: key %x: zxid out of range: %w", key, ErrCorrupt)
	}
	return int64(z), nil
}

// checksum is the CRC-32C of the zxid (8 bytes, big-endian) followed by data.
func checksum(zxid int64, data []byte) uint32 {
	var z [8]byte
	binary.BigEndian.PutUint64(z[:], uint64(zxid))
	return crc32.Update(crc32.Checksum(z[:], castagnoli), castagnoli, data)
}

// appendValue appends the stored value of (zxid, data) to b.
func appendValue(b []byte, zxid int64, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, checksum(zxid, data))
	return append(b, data...)
}

// valueData checks a stored value and returns its data, which aliases v.
func valueData(zxid int64, v []byte) ([]byte, error) {
	if len(v) < crcLen {
		return nil, fmt.Errorf("txnlog: entry %#x: value of %d bytes: %w", zxid, len(v), ErrCorrupt)
	}
	want := binary.BigEndian.Uint32(v)
	data := v[crcLen:]
	if got := checksum(zxid, data); got != want {
		return nil, fmt.Errorf("txnlog: entry %#x: checksum %#08x, stored %#08x: %w", zxid, got, want, ErrCorrupt)
	}
	return data, nil
}

// checkOrder reports whether the zxids of batch are strictly increasing and
// all after last.
func checkOrder(last int64, batch []Entry) error {
	for _, e := range batch {
		if e.Zxid <= last {
			return fmt.Errorf("txnlog: append %#x after %#x: %w", e.Zxid, last, ErrOrder)
		}
		last = e.Zxid
	}
	return nil
}
