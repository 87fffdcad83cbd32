package quorum

import (
	"net"
	"syscall"
)

// fdWriter writes to a socket without blocking: write(2) on its
// non-blocking file descriptor until the socket buffer is full. Not safe
// for concurrent use; the loop owns it. NB: Unix only, as package server
// is.
type fdWriter struct {
	rc syscall.RawConn
	fn func(fd uintptr) bool // w.writeFD, bound once

	b   []byte
	n   int
	err error
}

// newFDWriter returns an fdWriter for c, or nil when c has no file
// descriptor.
func newFDWriter(c net.Conn) *fdWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &fdWriter{rc: rc}
	w.fn = w.writeFD
	return w
}

// write writes what the socket takes of b at once and returns how much
// that was; EAGAIN is not an error. It fails without writing on a closed
// connection or once a write deadline has passed (RawConn.Write checks
// both, and serialises with other writes on the connection).
func (w *fdWriter) write(b []byte) (int, error) {
	w.b, w.n, w.err = b, 0, nil
	err := w.rc.Write(w.fn)
	if err == nil {
		err = w.err
	}
	n := w.n
	w.b = nil
	return n, err
}

func (w *fdWriter) writeFD(fd uintptr) bool {
	for w.n < len(w.b) {
		m, err := syscall.Write(int(fd), w.b[w.n:])
		if m > 0 {
			w.n += m
		}
		switch err {
		case nil:
			if m <= 0 {
				return true // no progress; the writer goroutine goes on
			}
		case syscall.EINTR:
		case syscall.EAGAIN:
			return true
		default:
			w.err = err
			return true
		}
	}
	return true
}
