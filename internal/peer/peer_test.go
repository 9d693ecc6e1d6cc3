package peer

import (
	"errors"
	"runtime"
	"testing"
)

// fakeT records how Require ended a test.
type fakeT struct {
	testing.TB
	failed, skipped bool
}

// Fatalf and Skipf end the calling goroutine, as testing.T's do.
func (f *fakeT) Helper()               {}
func (f *fakeT) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }
func (f *fakeT) Skipf(string, ...any)  { f.skipped = true; runtime.Goexit() }

func TestRequire(t *testing.T) {
	for _, tt := range []struct {
		name          string
		env           string
		err           error
		fail, skipped bool
	}{
		{"PresentPeer", "1", nil, false, false},
		{"MissingSkips", "", errors.New("no mailpit"), false, true},
		{"MissingFailsInCI", "1", errors.New("no mailpit"), true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KAPBOOK_REQUIRE_PEERS", tt.env)
			f := &fakeT{TB: t}
			done := make(chan struct{})
			go func() { defer close(done); Require(f, tt.err) }()
			<-done
			if f.failed != tt.fail || f.skipped != tt.skipped {
				t.Fatalf("failed=%v skipped=%v, want %v %v", f.failed, f.skipped, tt.fail, tt.skipped)
			}
		})
	}
}
