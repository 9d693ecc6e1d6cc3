//go:build !linux

package schedule

import "time"

// threadCPU returns 0 where the thread's CPU time is not available; the
// benchmark then reports wall-clock figures only.
func threadCPU() time.Duration { return 0 }
