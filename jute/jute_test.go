package jute_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/zabd/zabd/jute"
)

// allKinds is a record that uses every Decoder method, so that truncating its
// encoding anywhere hits every read path.
type allKinds struct {
	I32   int32
	I64   int64
	B     bool
	Raw   byte
	S     string
	NullS bool
	Buf   []byte
	Strs  []string
	VecN  int
}

func (r *allKinds) Encode(e *jute.Encoder) {
	e.Int32(r.I32)
	e.Int64(r.I64)
	e.Bool(r.B)
	e.Byte(r.Raw)
	e.String(r.S)
	if r.NullS {
		e.NullString()
	} else {
		e.String("x")
	}
	e.Buffer(r.Buf)
	e.Strings(r.Strs)
	e.Len(r.VecN, false)
	for range r.VecN {
		e.Int32(7)
	}
}

func (r *allKinds) Decode(d *jute.Decoder) {
	r.I32 = d.Int32()
	r.I64 = d.Int64()
	r.B = d.Bool()
	r.Raw = d.Byte()
	r.S = d.String()
	_, r.NullS = d.NullableString()
	r.Buf = d.Buffer()
	r.Strs = d.Strings()
	n, _ := d.VectorLen(4)
	r.VecN = n
	for range n {
		d.Int32()
	}
}

func sample() *allKinds {
	return &allKinds{
		I32: -7, I64: 0x0102030405060708, B: true, Raw: 0xab, S: "/zabd",
		NullS: true, Buf: []byte{1, 2, 3}, Strs: []string{"a", "", "ccc"}, VecN: 2,
	}
}

func TestDecodeWhole(t *testing.T) {
	want := sample()
	b := jute.Marshal(want)
	got := &allKinds{}
	if err := jute.Unmarshal(b, got); err != nil {
		t.Fatalf("Unmarshal(%x) = %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode(%x) = %+v, want %+v", b, got, want)
	}
}

// TestDecodeTruncated cuts the encoding at every offset: each prefix must
// fail with io.ErrUnexpectedEOF, never panic and never succeed.
func TestDecodeTruncated(t *testing.T) {
	b := jute.Marshal(sample())
	for i := range len(b) {
		d := jute.NewDecoder(b[:i], 0)
		var r allKinds
		r.Decode(d)
		if err := d.Err(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Decode(%x) (first %d of %d bytes): err = %v, want %v", b[:i], i, len(b), err, io.ErrUnexpectedEOF)
		}
		if err := jute.Unmarshal(b[:i], &allKinds{}); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Unmarshal(%x) = %v, want %v", b[:i], err, io.ErrUnexpectedEOF)
		}
	}
}

func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// lengthReaders are the Decoder methods that read a length prefix.
var lengthReaders = []struct {
	name string
	read func(d *jute.Decoder)
}{
	{"String", func(d *jute.Decoder) { _ = d.String() }},
	{"NullableString", func(d *jute.Decoder) { d.NullableString() }},
	{"Buffer", func(d *jute.Decoder) { d.Buffer() }},
	{"Strings", func(d *jute.Decoder) { d.Strings() }},
	{"VectorLen", func(d *jute.Decoder) { d.VectorLen(1) }},
}

func TestDecodeLengths(t *testing.T) {
	const max = 16
	tests := []struct {
		name string
		in   []byte
		want error // nil: no error
	}{
		{name: "minus2", in: be32(-2), want: jute.ErrNegativeLength},
		{name: "minInt32", in: be32(math.MinInt32), want: jute.ErrNegativeLength},
		{name: "max+1", in: append(be32(max+1), make([]byte, max+1)...), want: jute.ErrTooLarge},
		{name: "maxInt32", in: be32(math.MaxInt32), want: jute.ErrTooLarge},
		// A vector of max one-byte elements fits; for Strings each element
		// needs 4 bytes, so give it max empty strings.
		{name: "max", in: append(be32(max), make([]byte, 4*max)...)},
		{name: "null", in: be32(-1)},
		{name: "zero", in: be32(0)},
		{name: "short", in: append(be32(3), 'a', 'b'), want: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		for _, r := range lengthReaders {
			t.Run(tc.name+"/"+r.name, func(t *testing.T) {
				d := jute.NewDecoder(tc.in, max)
				r.read(d)
				err := d.Err()
				if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("%s(%x) err = %v, want %v", r.name, tc.in, err, tc.want)
				}
			})
		}
	}
}

func TestDecodeNullAndEmpty(t *testing.T) {
	null, empty := be32(-1), be32(0)
	if b := jute.NewDecoder(null, 0).Buffer(); b != nil {
		t.Errorf("Buffer(%x) = %#v, want nil", null, b)
	}
	if b := jute.NewDecoder(empty, 0).Buffer(); b == nil || len(b) != 0 {
		t.Errorf("Buffer(%x) = %#v, want []byte{}", empty, b)
	}
	if v := jute.NewDecoder(null, 0).Strings(); v != nil {
		t.Errorf("Strings(%x) = %#v, want nil", null, v)
	}
	if v := jute.NewDecoder(empty, 0).Strings(); v == nil || len(v) != 0 {
		t.Errorf("Strings(%x) = %#v, want []string{}", empty, v)
	}
	if s, isNull := jute.NewDecoder(null, 0).NullableString(); s != "" || !isNull {
		t.Errorf("NullableString(%x) = %q, %v, want \"\", true", null, s, isNull)
	}
	if s, isNull := jute.NewDecoder(empty, 0).NullableString(); s != "" || isNull {
		t.Errorf("NullableString(%x) = %q, %v, want \"\", false", empty, s, isNull)
	}
	if n, isNull := jute.NewDecoder(null, 0).VectorLen(1); n != 0 || !isNull {
		t.Errorf("VectorLen(%x) = %d, %v, want 0, true", null, n, isNull)
	}
}

func TestEncodeNullAndEmpty(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  func(e *jute.Encoder)
		want []byte
	}{
		{"Buffer(nil)", func(e *jute.Encoder) { e.Buffer(nil) }, be32(-1)},
		{"Buffer(empty)", func(e *jute.Encoder) { e.Buffer([]byte{}) }, be32(0)},
		{"Strings(nil)", func(e *jute.Encoder) { e.Strings(nil) }, be32(-1)},
		{"Strings(empty)", func(e *jute.Encoder) { e.Strings([]string{}) }, be32(0)},
		{"NullString", func(e *jute.Encoder) { e.NullString() }, be32(-1)},
		{"String(empty)", func(e *jute.Encoder) { e.String("") }, be32(0)},
		{"Len(nil)", func(e *jute.Encoder) { e.Len(0, true) }, be32(-1)},
		{"Bool", func(e *jute.Encoder) { e.Bool(true); e.Bool(false) }, []byte{1, 0}},
	} {
		var e jute.Encoder
		tc.enc(&e)
		if !bytes.Equal(e.Bytes(), tc.want) {
			t.Errorf("%s: Encode = %x, want %x", tc.name, e.Bytes(), tc.want)
		}
	}
}

// TestDecodeBoolNonZero: BinaryInputArchive.readBool is readByte() != 0.
func TestDecodeBoolNonZero(t *testing.T) {
	d := jute.NewDecoder([]byte{0, 1, 2, 0xff}, 0)
	got := []bool{d.Bool(), d.Bool(), d.Bool(), d.Bool()}
	if want := []bool{false, true, true, true}; !reflect.DeepEqual(got, want) || d.Err() != nil {
		t.Errorf("Bool(00 01 02 ff) = %v (err %v), want %v", got, d.Err(), want)
	}
}

func TestDecodeStickyError(t *testing.T) {
	// A too-large string, then bytes that would read fine on their own.
	in := append(be32(100), be32(42)...)
	d := jute.NewDecoder(in, 10)
	if s := d.String(); s != "" {
		t.Errorf("String(%x) = %q, want \"\"", in, s)
	}
	first := d.Err()
	if !errors.Is(first, jute.ErrTooLarge) {
		t.Fatalf("String(%x) err = %v, want %v", in, first, jute.ErrTooLarge)
	}
	off := d.Offset()
	if v := d.Int32(); v != 0 {
		t.Errorf("Int32 after error = %d, want 0", v)
	}
	if v := d.Int64(); v != 0 {
		t.Errorf("Int64 after error = %d, want 0", v)
	}
	if v := d.Bool(); v {
		t.Errorf("Bool after error = true, want false")
	}
	if v := d.Byte(); v != 0 {
		t.Errorf("Byte after error = %d, want 0", v)
	}
	if v := d.Buffer(); v != nil {
		t.Errorf("Buffer after error = %x, want nil", v)
	}
	if v := d.Strings(); v != nil {
		t.Errorf("Strings after error = %q, want nil", v)
	}
	d.Fail(errors.New("second"))
	if d.Err() != first {
		t.Errorf("Err after Fail = %v, want the first error %v", d.Err(), first)
	}
	if d.Offset() != off {
		t.Errorf("Offset moved after error: %d, want %d", d.Offset(), off)
	}

	d.Reset(be32(42), 0)
	if v := d.Int32(); v != 42 || d.Err() != nil {
		t.Errorf("Int32 after Reset = %d, %v, want 42, nil", v, d.Err())
	}
}

// TestVectorLenBound: a count that cannot fit in the bytes left fails before
// anything is allocated.
func TestVectorLenBound(t *testing.T) {
	in := append(be32(3), make([]byte, 11)...) // 3 elements of >= 4 bytes need 12
	d := jute.NewDecoder(in, 0)
	if n, _ := d.VectorLen(4); n != 0 || !errors.Is(d.Err(), io.ErrUnexpectedEOF) {
		t.Errorf("VectorLen(%x, 4) = %d, %v, want 0, %v", in, n, d.Err(), io.ErrUnexpectedEOF)
	}
	in = append(be32(3), make([]byte, 12)...)
	d = jute.NewDecoder(in, 0)
	if n, _ := d.VectorLen(4); n != 3 || d.Err() != nil {
		t.Errorf("VectorLen(%x, 4) = %d, %v, want 3, nil", in, n, d.Err())
	}
}

func TestDecodeDefaultMax(t *testing.T) {
	for _, max := range []int{0, -1} {
		in := be32(jute.DefaultMaxBuffer + 1)
		d := jute.NewDecoder(in, max)
		d.Buffer()
		if !errors.Is(d.Err(), jute.ErrTooLarge) {
			t.Errorf("NewDecoder(max=%d).Buffer(%x) err = %v, want %v", max, in, d.Err(), jute.ErrTooLarge)
		}
	}
}

func TestUnmarshalTrailing(t *testing.T) {
	in := append(be32(5), 0)
	var r int32Record
	if err := jute.Unmarshal(in, &r); err == nil {
		t.Errorf("Unmarshal(%x) = nil, want a trailing-bytes error", in)
	}
}

type int32Record struct{ V int32 }

func (r *int32Record) Encode(e *jute.Encoder) { e.Int32(r.V) }
func (r *int32Record) Decode(d *jute.Decoder) { r.V = d.Int32() }

// frame returns body with its 4-byte length prefix.
func frame(body string) []byte { return append(be32(int32(len(body))), body...) }

// splitAll parses as many frames as buf holds and returns them and the rest.
func splitAll(buf []byte, max int) (frames [][]byte, rest []byte, err error) {
	for {
		body, n, err := jute.SplitFrame(buf, max)
		if err != nil {
			return frames, buf, err
		}
		if n == 0 {
			return frames, buf, nil
		}
		frames = append(frames, bytes.Clone(body))
		buf = buf[n:]
	}
}

// TestSplitFrameSplits feeds a two-frame stream split at every point, the way
// a connection receives it, and must get the same two frames every time.
func TestSplitFrameSplits(t *testing.T) {
	stream := append(frame("hello"), frame("")...)
	stream = append(stream, frame("world!")...)
	want := [][]byte{[]byte("hello"), {}, []byte("world!")}
	for k := 0; k <= len(stream); k++ {
		t.Run(fmt.Sprintf("split=%d", k), func(t *testing.T) {
			first, rest, err := splitAll(stream[:k], 0)
			if err != nil {
				t.Fatalf("SplitFrame(%x) err = %v", stream[:k], err)
			}
			second, rest, err := splitAll(append(bytes.Clone(rest), stream[k:]...), 0)
			if err != nil {
				t.Fatalf("SplitFrame(%x) err = %v", rest, err)
			}
			got := append(first, second...)
			if !reflect.DeepEqual(got, want) || len(rest) != 0 {
				t.Errorf("SplitFrame(%x | %x) = %q (rest %x), want %q", stream[:k], stream[k:], got, rest, want)
			}
		})
	}
}

func TestSplitFrame(t *testing.T) {
	const max = 8
	tests := []struct {
		name     string
		in       []byte
		wantBody []byte
		wantN    int
		wantErr  bool
	}{
		{name: "empty input", in: nil},
		{name: "partial prefix", in: []byte{0, 0, 0}},
		{name: "prefix only", in: be32(3)},
		{name: "partial body", in: append(be32(3), 'a', 'b')},
		{name: "zero length", in: be32(0), wantBody: []byte{}, wantN: 4},
		{name: "whole", in: frame("abc"), wantBody: []byte("abc"), wantN: 7},
		{name: "whole plus next", in: append(frame("abc"), 0, 0), wantBody: []byte("abc"), wantN: 7},
		{name: "length max", in: frame("12345678"), wantBody: []byte("12345678"), wantN: 12},
		{name: "length max+1", in: be32(max + 1), wantErr: true},
		{name: "length max+1 with body", in: frame("123456789"), wantErr: true},
		{name: "negative", in: be32(-1), wantErr: true},
		{name: "minInt32", in: be32(math.MinInt32), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, n, err := jute.SplitFrame(tc.in, max)
			if tc.wantErr {
				if !errors.Is(err, jute.ErrFrameLength) || body != nil || n != 0 {
					t.Errorf("SplitFrame(%x) = %x, %d, %v, want nil, 0, %v", tc.in, body, n, err, jute.ErrFrameLength)
				}
				return
			}
			if err != nil || n != tc.wantN || !bytes.Equal(body, tc.wantBody) || (tc.wantBody != nil) != (body != nil) {
				t.Errorf("SplitFrame(%x) = %x, %d, %v, want %x, %d, nil", tc.in, body, n, err, tc.wantBody, tc.wantN)
			}
		})
	}
}

func TestSplitFrameDefaultMax(t *testing.T) {
	ok := be32(jute.DefaultMaxBuffer)
	if _, n, err := jute.SplitFrame(ok, 0); n != 0 || err != nil {
		t.Errorf("SplitFrame(%x, 0) = %d, %v, want 0, nil (needs more)", ok, n, err)
	}
	bad := be32(jute.DefaultMaxBuffer + 1)
	if _, _, err := jute.SplitFrame(bad, 0); !errors.Is(err, jute.ErrFrameLength) {
		t.Errorf("SplitFrame(%x, 0) err = %v, want %v", bad, err, jute.ErrFrameLength)
	}
}

func TestAppendFrame(t *testing.T) {
	buf := []byte("xx")
	buf, off := jute.AppendFrame(buf)
	buf = append(buf, "body"...)
	jute.FinishFrame(buf, off)
	want := append([]byte("xx"), frame("body")...)
	if !bytes.Equal(buf, want) {
		t.Errorf("AppendFrame+FinishFrame = %x, want %x", buf, want)
	}
}
