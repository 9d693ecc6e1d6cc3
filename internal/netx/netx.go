// Package netx tells apart the network and pipe errors that kapbook puts
// in words for people, the same way on every system. Windows reports them
// with its own codes (Winsock's WSAEADDRINUSE, 10048, for a port in use),
// which errors.Is does not match with syscall.EADDRINUSE and the like.
package netx

import (
	"errors"
	"syscall"
)

// AddrInUse reports whether err says that the address to listen on is in
// use by another program (EADDRINUSE; WSAEADDRINUSE on Windows).
func AddrInUse(err error) bool { return is(err, syscall.EADDRINUSE, addrInUse) }

// ConnRefused reports whether err says that nothing listens at the
// address dialled (ECONNREFUSED; WSAECONNREFUSED or
// ERROR_CONNECTION_REFUSED on Windows).
func ConnRefused(err error) bool { return is(err, syscall.ECONNREFUSED, connRefused) }

// BrokenPipe reports whether err says that the reader of a pipe written
// to has gone, as when kapctl's output goes into head (EPIPE;
// ERROR_NO_DATA, ERROR_BROKEN_PIPE or, under Wine, ERROR_PIPE_NOT_CONNECTED
// on Windows).
func BrokenPipe(err error) bool { return is(err, syscall.EPIPE, brokenPipe) }

// is reports whether err is the portable error or one of this system's
// own codes for it.
func is(err error, portable syscall.Errno, native []syscall.Errno) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, portable) {
		return true
	}
	for _, n := range native {
		if errors.Is(err, n) {
			return true
		}
	}
	return false
}
