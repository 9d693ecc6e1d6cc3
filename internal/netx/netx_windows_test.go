package netx

import (
	"syscall"
	"testing"
)

// TestWindowsCodes: Winsock's and Windows's codes, which errors.Is does
// not match with the portable errors.
func TestWindowsCodes(t *testing.T) {
	if !AddrInUse(wrapped("bind", 10048)) || !ConnRefused(wrapped("connectex", 10061)) || !BrokenPipe(wrapped("write", 232)) || !BrokenPipe(wrapped("write", 109)) {
		t.Fatal("a Windows code was not matched")
	}
	if AddrInUse(wrapped("bind", syscall.Errno(10061))) {
		t.Fatal("WSAECONNREFUSED taken for WSAEADDRINUSE")
	}
}
