//go:build !windows

package netx

import "syscall"

// Elsewhere the portable errors are the system's own.
var addrInUse, connRefused, brokenPipe []syscall.Errno
