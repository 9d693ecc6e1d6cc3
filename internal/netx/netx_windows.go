package netx

import "syscall"

// Windows's own codes (winerror.h), which syscall.EADDRINUSE and the like
// do not match.
var (
	addrInUse   = []syscall.Errno{10048}         // WSAEADDRINUSE
	connRefused = []syscall.Errno{10061, 1225}   // WSAECONNREFUSED, ERROR_CONNECTION_REFUSED
	brokenPipe  = []syscall.Errno{232, 109, 233} // ERROR_NO_DATA, ERROR_BROKEN_PIPE, ERROR_PIPE_NOT_CONNECTED (Wine)
)
