// Package jute is the binary codec of Apache ZooKeeper's Jute records:
// big-endian fixed-width integers, one-byte booleans, and length-prefixed
// strings, buffers and vectors in which a length of -1 stands for null.
//
// It knows no ZooKeeper types; those live in jute/zkproto.
//
// An Encoder appends and cannot fail. A Decoder is bounds-checked: its first
// error sticks, later reads return zero values, and Err reports it. Neither is
// safe for concurrent use. A Decoder never panics on input.
//
// Counterpart: org.apache.jute.BinaryInputArchive / BinaryOutputArchive.
package jute

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxBuffer is ZooKeeper's default jute.maxbuffer: 0xfffff bytes.
const DefaultMaxBuffer = 0xfffff

// ErrTooLarge reports a length prefix beyond the decoder's limit.
var ErrTooLarge = errors.New("jute: length exceeds jute.maxbuffer")

// ErrNegativeLength reports a length prefix below -1.
var ErrNegativeLength = errors.New("jute: negative length")

// Record is a Jute record: it can append its encoding and read it back.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Encoder appends Jute values to a byte slice. The zero value is ready.
type Encoder struct {
	Buf []byte
}

// NewEncoder returns an Encoder appending to buf.
func NewEncoder(buf []byte) *Encoder { return &Encoder{Buf: buf} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.Buf }

// Int32 appends a Jute int.
func (e *Encoder) Int32(v int32) { e.Buf = binary.BigEndian.AppendUint32(e.Buf, uint32(v)) }

// Int64 appends a Jute long.
func (e *Encoder) Int64(v int64) { e.Buf = binary.BigEndian.AppendUint64(e.Buf, uint64(v)) }

// Bool appends a Jute boolean (one byte, 0 or 1).
func (e *Encoder) Bool(v bool) {
	if v {
		e.Buf = append(e.Buf, 1)
	} else {
		e.Buf = append(e.Buf, 0)
	}
}

// Byte appends one raw byte.
func (e *Encoder) Byte(v byte) { e.Buf = append(e.Buf, v) }

// String appends a Jute ustring. Go strings cannot be null; use NullString
// for a null ustring.
func (e *Encoder) String(s string) {
	e.Int32(int32(len(s)))
	e.Buf = append(e.Buf, s...)
}

// NullString appends a null ustring (length -1).
func (e *Encoder) NullString() { e.Int32(-1) }

// Buffer appends a Jute buffer. A nil slice is written as null (-1), an
// empty non-nil slice as length 0, as the Java client distinguishes them.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int32(-1)
		return
	}
	e.Int32(int32(len(b)))
	e.Buf = append(e.Buf, b...)
}

// Strings appends a vector<ustring>; nil is written as null (-1).
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Int32(-1)
		return
	}
	e.Int32(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Len appends a vector length, -1 for a nil vector.
func (e *Encoder) Len(n int, isNil bool) {
	if isNil {
		e.Int32(-1)
		return
	}
	e.Int32(int32(n))
}

// Decoder reads Jute values from a byte slice.
type Decoder struct {
	buf []byte
	off int
	max int
	err error
}

// NewDecoder returns a Decoder over buf that refuses any length prefix
// larger than max bytes (max <= 0 means DefaultMaxBuffer).
//
// NB: BinaryInputArchive.checkLength (3.8.0) lets strings and buffers reach
// jute.maxbuffer + zookeeper.jute.maxbuffer.extrasize, twice DefaultMaxBuffer
// by default. A client frame is itself capped at jute.maxbuffer, so this only
// matters for streams from Java peers (a PROPOSAL or log entry holding a
// near-limit setData is a buffer a little over jute.maxbuffer): decode those
// with the sum.
func NewDecoder(buf []byte, max int) *Decoder {
	d := &Decoder{}
	d.Reset(buf, max)
	return d
}

// Reset points d at a new buffer, clearing any error.
func (d *Decoder) Reset(buf []byte, max int) {
	if max <= 0 {
		max = DefaultMaxBuffer
	}
	d.buf, d.off, d.max, d.err = buf, 0, max, nil
}

// Err returns the first error met, if any.
func (d *Decoder) Err() error { return d.err }

// Fail records err unless an error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Offset returns the number of bytes consumed.
func (d *Decoder) Offset() int { return d.off }

// Rest returns the unread bytes without consuming them.
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

func (d *Decoder) need(n int) bool {
	if d.err != nil {
		return false
	}
	if len(d.buf)-d.off < n {
		d.err = io.ErrUnexpectedEOF
		return false
	}
	return true
}

// Int32 reads a Jute int.
func (d *Decoder) Int32() int32 {
	if !d.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(d.buf[d.off:]))
	d.off += 4
	return v
}

// Int64 reads a Jute long.
func (d *Decoder) Int64() int64 {
	if !d.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(d.buf[d.off:]))
	d.off += 8
	return v
}

// Bool reads a Jute boolean; any non-zero byte is true, as in Java.
func (d *Decoder) Bool() bool {
	if !d.need(1) {
		return false
	}
	v := d.buf[d.off] != 0
	d.off++
	return v
}

// Byte reads one raw byte.
func (d *Decoder) Byte() byte {
	if !d.need(1) {
		return 0
	}
	v := d.buf[d.off]
	d.off++
	return v
}

// length reads a length prefix: -1 is null, other negatives and values over
// the limit are errors.
func (d *Decoder) length() (n int, null bool) {
	l := d.Int32()
	if d.err != nil {
		return 0, false
	}
	switch {
	case l == -1:
		return 0, true
	case l < -1:
		d.err = fmt.Errorf("%w: %d", ErrNegativeLength, l)
		return 0, false
	case int(l) > d.max:
		d.err = fmt.Errorf("%w: %d > %d", ErrTooLarge, l, d.max)
		return 0, false
	}
	return int(l), false
}

// String reads a Jute ustring; null reads as "".
func (d *Decoder) String() string {
	s, _ := d.NullableString()
	return s
}

// NullableString reads a Jute ustring and reports whether it was null.
func (d *Decoder) NullableString() (s string, null bool) {
	n, null := d.length()
	if null || !d.need(n) {
		return "", null
	}
	s = string(d.buf[d.off : d.off+n])
	d.off += n
	return s, false
}

// Buffer reads a Jute buffer into a fresh slice; null reads as nil, empty as
// a non-nil empty slice.
func (d *Decoder) Buffer() []byte {
	n, null := d.length()
	if null || !d.need(n) {
		return nil
	}
	b := make([]byte, n)
	copy(b, d.buf[d.off:])
	d.off += n
	return b
}

// VectorLen reads a vector length. Null reads as (0, true). Each element
// takes at least minElem bytes, which bounds the length by the input left.
func (d *Decoder) VectorLen(minElem int) (n int, null bool) {
	n, null = d.length()
	if d.err == nil && minElem > 0 && n > (len(d.buf)-d.off)/minElem {
		d.err = io.ErrUnexpectedEOF
		return 0, false
	}
	return n, null
}

// Strings reads a vector<ustring>; null reads as nil.
func (d *Decoder) Strings() []string {
	n, null := d.VectorLen(4)
	if null || d.err != nil {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = d.String()
	}
	if d.err != nil {
		return nil
	}
	return v
}

// Marshal encodes r into a new slice.
func Marshal(r Record) []byte {
	e := Encoder{Buf: make([]byte, 0, 64)}
	r.Encode(&e)
	return e.Buf
}

// Unmarshal decodes r from b and requires every byte to be consumed.
func Unmarshal(b []byte, r Record) error {
	d := NewDecoder(b, len(b)+1)
	r.Decode(d)
	if d.err != nil {
		return d.err
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("jute: %d trailing bytes", d.Remaining())
	}
	return nil
}
