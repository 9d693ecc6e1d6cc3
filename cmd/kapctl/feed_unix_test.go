//go:build unix

package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe runs kapctl serve on a free loopback port, fetches a feed
// through it, and stops it with SIGTERM as a service manager would.
func TestServe(t *testing.T) {
	c := mustDemo(t)
	u := c.feedURL("--staff", "2")
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"--db", c.path, "--now", c.now, "serve", "--addr", "127.0.0.1:0", "--log"}, &out, &errOut)
	}()
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); {
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d; stderr=%q", code, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		line, _, _ := strings.Cut(out.String(), "\n")
		if a, ok := strings.CutPrefix(line, "Serving calendar feeds on "); ok {
			addr, _, _ = strings.Cut(a, " ")
		}
	}
	if !strings.HasPrefix(addr, "http://127.0.0.1:") {
		t.Fatalf("serve printed %q, want its address on the first line", out.String())
	}
	feedPath := strings.TrimPrefix(u, "http://127.0.0.1:8080")
	resp, err := http.Get(addr + feedPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" || !bytes.HasPrefix(body, []byte("BEGIN:VCALENDAR")) {
		t.Fatalf("GET through kapctl serve: status=%d type=%q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit=%d after SIGTERM, want 0; stderr=%q", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	log := out.String()
	sc := bufio.NewScanner(strings.NewReader(log))
	lines := 0
	for sc.Scan() {
		lines++
	}
	token := strings.TrimSuffix(filepath.Base(feedPath), ".ics")
	if lines != 2 || !strings.Contains(log, "status=200") || strings.Contains(log, token) {
		t.Fatalf("output=%q, want the address and one request line without the token", log)
	}
	if _, err := http.Get(addr + feedPath); err == nil {
		t.Fatal("the server still answers after SIGTERM")
	}
}
