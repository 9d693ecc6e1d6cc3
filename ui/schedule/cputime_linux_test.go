package schedule

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling thread has used, so that a
// benchmark on a busy machine measures its own work, not its waiting.
// The caller must hold its OS thread (runtime.LockOSThread).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
