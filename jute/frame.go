package jute

import (
	"encoding/binary"
	"fmt"
)

// FrameHeaderSize is the size of the length prefix of every client and
// learner packet: a 4-byte big-endian length.
const FrameHeaderSize = 4

// ErrFrameLength reports a frame length that is negative or over the limit.
// Counterpart: NIOServerCnxn.checkPacketLength ("Len error").
var ErrFrameLength = fmt.Errorf("jute: bad frame length")

// SplitFrame looks at the start of buf for one length-prefixed frame. It
// returns the frame body and the number of bytes it spans (prefix included),
// or (nil, 0, nil) when more bytes are needed. A negative length or one over
// max (max <= 0 means DefaultMaxBuffer) is an error: the connection must be
// closed.
func SplitFrame(buf []byte, max int) (body []byte, n int, err error) {
	if len(buf) < FrameHeaderSize {
		return nil, 0, nil
	}
	if max <= 0 {
		max = DefaultMaxBuffer
	}
	l := int32(binary.BigEndian.Uint32(buf))
	if l < 0 || int(l) > max {
		return nil, 0, fmt.Errorf("%w: %d (max %d)", ErrFrameLength, l, max)
	}
	end := FrameHeaderSize + int(l)
	if len(buf) < end {
		return nil, 0, nil
	}
	return buf[FrameHeaderSize:end], end, nil
}

// AppendFrame appends a 4-byte length prefix placeholder to buf and returns
// the new slice and the offset of the prefix; call FinishFrame once the body
// has been appended.
func AppendFrame(buf []byte) ([]byte, int) {
	return append(buf, 0, 0, 0, 0), len(buf)
}

// FinishFrame writes the length of the body that follows the prefix at off.
func FinishFrame(buf []byte, off int) {
	binary.BigEndian.PutUint32(buf[off:], uint32(len(buf)-off-FrameHeaderSize))
}
