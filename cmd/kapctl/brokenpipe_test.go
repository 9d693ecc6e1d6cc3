package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestBrokenPipe: when the reader of kapctl's output has gone (kapctl
// agenda | head), kapctl stops quietly with status 141, as a Unix command
// that SIGPIPE stopped, on every system; never "Internal error" (issue 15,
// item 6).
func TestBrokenPipe(t *testing.T) {
	c := mustDemo(t)
	for _, args := range [][]string{
		{"staff", "list"},
		{"protocol", "list"},
		{"patient", "list"},
		{"--json", "patient", "list"},
		{"agenda", "--from", "2027-02-22", "--to", "2027-04-30"},
		{"--json", "agenda", "--from", "2027-02-22", "--to", "2027-04-30"},
		{"audit"},
		{"export", "--staff", "1", "-o", "-"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close() // the reader is gone
			defer w.Close()
			var stderr bytes.Buffer
			code := run(append([]string{"--db", c.path, "--now", c.now, "--as", c.as}, args...), w, &stderr)
			if stderr.Len() > 0 {
				t.Fatalf("stderr=%q, want nothing", stderr.String())
			}
			if code != exitBrokenPipe {
				t.Fatalf("exit=%d, want %d", code, exitBrokenPipe)
			}
		})
	}
}
