//go:build !unix

package pgtest

import "os"

// startReaper does nothing where there is no POSIX shell; a test binary
// that dies there may leave its server running.
func startReaper(dir string, stop []string) *os.Process { return nil }

func stopReaper(p *os.Process) {}
