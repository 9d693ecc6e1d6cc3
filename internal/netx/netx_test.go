package netx

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// wrapped returns errno as net.Listen and net.Dial wrap it.
func wrapped(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
}

// TestIs: a Windows code matches as the portable error does, however
// deeply it is wrapped (issue 15, item 4).
func TestIs(t *testing.T) {
	wsa := []syscall.Errno{10048}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"Portable", wrapped("bind", syscall.EADDRINUSE), true},
		{"Native", wrapped("bind", 10048), true},
		{"NativeWrapped", fmt.Errorf("feeds: %w", wrapped("bind", 10048)), true},
		{"Other", wrapped("bind", syscall.EACCES), false},
		{"Nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := is(tc.err, syscall.EADDRINUSE, wsa); got != tc.want {
				t.Fatalf("is(%v)=%v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// TestAddrInUse: a port another listener holds, on this system.
func TestAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ln2, err := net.Listen("tcp", ln.Addr().String())
	if err == nil {
		ln2.Close()
		t.Skip("this system let two listeners share a port")
	}
	if !AddrInUse(err) {
		t.Fatalf("AddrInUse(%v)=false", err)
	}
	if ConnRefused(err) || BrokenPipe(err) {
		t.Fatalf("%v taken for another error", err)
	}
}

// TestConnRefused: a port nothing listens on, on this system.
func TestConnRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
		t.Skip("something took the port meanwhile")
	}
	if !ConnRefused(err) {
		t.Fatalf("ConnRefused(%v)=false", err)
	}
}

// TestBrokenPipe: writing into a pipe whose reader has gone, on this
// system.
func TestBrokenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	_, err = w.Write([]byte("agenda\n"))
	if !BrokenPipe(err) {
		t.Fatalf("BrokenPipe(%v)=false", err)
	}
}
