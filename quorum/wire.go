package quorum

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/zabd/zabd/jute"
	zk "github.com/zabd/zabd/jute/zkproto"
)

// Learner connections carry QuorumPackets back to back, each written with
// BinaryOutputArchive.writeRecord(qp, "packet") directly on the socket's
// buffered stream: no length prefix around the record (LearnerHandler.run,
// Learner.writePacket, readPacket).
//
//	int type | long zxid | buffer data (int len, -1 = null) |
//	vector<Id> authinfo (int count, -1 = null; {ustring scheme; ustring id}*)

// errPacket marks a learner-connection stream that does not parse.
var errPacket = errors.New("quorum: malformed quorum packet")

// maxIds bounds the authinfo vector of one packet. A session has one id per
// authenticated scheme; ZooKeeper sets no bound, but a handful is normal.
const maxIds = 1024

// appendPacket appends p in writeRecord's layout.
func appendPacket(b []byte, p *zk.QuorumPacket) []byte {
	e := jute.Encoder{Buf: b}
	p.Encode(&e)
	return e.Buf
}

// readPacket reads one QuorumPacket from r. max bounds the data buffer and
// each string (jute.maxbuffer). It reads no byte past the packet.
func readPacket(r *bufio.Reader, max int) (zk.QuorumPacket, error) {
	var p zk.QuorumPacket
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return p, err
	}
	p.Type = int32(binary.BigEndian.Uint32(hdr[0:]))
	p.Zxid = int64(binary.BigEndian.Uint64(hdr[4:]))
	data, null, err := readBuffer(r, max)
	if err != nil {
		return p, err
	}
	if !null {
		p.Data = data
	}
	n, err := readInt32(r)
	if err != nil {
		return p, err
	}
	switch {
	case n == -1:
		return p, nil
	case n < -1 || n > maxIds:
		return p, fmt.Errorf("%w: %d auth ids", errPacket, n)
	}
	p.AuthInfo = make([]zk.Id, n)
	for i := range p.AuthInfo {
		scheme, _, err := readBuffer(r, max)
		if err != nil {
			return p, err
		}
		id, _, err := readBuffer(r, max)
		if err != nil {
			return p, err
		}
		p.AuthInfo[i] = zk.Id{Scheme: string(scheme), ID: string(id)}
	}
	return p, nil
}

func readInt32(r *bufio.Reader) (int32, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, unexpected(err)
	}
	return int32(binary.BigEndian.Uint32(b[:])), nil
}

// readBuffer reads a Jute buffer or ustring: a length (-1 = null) and the
// bytes.
func readBuffer(r *bufio.Reader, max int) (b []byte, null bool, err error) {
	n, err := readInt32(r)
	if err != nil {
		return nil, false, err
	}
	switch {
	case n == -1:
		return nil, true, nil
	case n < -1 || int(n) > max:
		return nil, false, fmt.Errorf("%w: length %d", errPacket, n)
	}
	b = make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, false, unexpected(err)
	}
	return b, false, nil
}

// unexpected turns an EOF inside a packet into io.ErrUnexpectedEOF; only an
// EOF before a packet's first byte is a clean end of stream.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
