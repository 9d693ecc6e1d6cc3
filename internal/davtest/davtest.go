// Package davtest starts real CalDAV servers for tests: Radicale and
// Xandikos, from Debian's packages, each in a temporary folder on a free
// loopback port, stopped when the test ends. A missing server skips the
// test, or fails it under KAPBOOK_REQUIRE_PEERS=1 (internal/peer).
package davtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/internal/peer"
)

// Server is a CalDAV server started for one test.
type Server struct {
	Name string // "radicale" or "xandikos"
	// URL is the address a user gives kapbook: the server's root, from
	// which the account's calendars are discovered.
	URL  string
	Host string // host:port
	// User and Password sign in; Password is "" when the server asks for
	// none.
	User, Password string
	// Dir is the folder the server keeps its data in.
	Dir string

	mu   sync.Mutex
	cmd  *exec.Cmd
	args []string
	env  []string
	logs bytes.Buffer
}

// freeAddr returns a free loopback address.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Radicale starts Radicale. With password not "", it signs users in
// from an htpasswd file holding user with password; else any user name
// is let in (Radicale still wants one).
func Radicale(tb testing.TB, user, password string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("radicale")
	if err != nil {
		peer.Require(tb, fmt.Errorf("radicale is not installed"))
	}
	dir := tb.TempDir()
	addr := freeAddr(tb)
	auth := "type = none\n"
	if password != "" {
		users := filepath.Join(dir, "users")
		if err := os.WriteFile(users, []byte(user+":"+password+"\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
		auth = fmt.Sprintf("type = htpasswd\nhtpasswd_filename = %s\nhtpasswd_encryption = plain\ndelay = 0\n", users)
	}
	conf := filepath.Join(dir, "config")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`[server]
hosts = %s
[auth]
%s[rights]
type = owner_only
[storage]
filesystem_folder = %s
[web]
type = none
[logging]
level = warning
`, addr, auth, filepath.Join(dir, "collections"))), 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Name: "radicale", URL: "http://" + addr + "/", Host: addr, User: user, Password: password, Dir: dir,
		args: []string{bin, "--config", conf}, env: append(os.Environ(), "HOME="+dir)}
	s.start(tb)
	return s
}

// Xandikos starts Xandikos with its defaults: a calendar and an address
// book for the principal /user/, no sign-in.
func Xandikos(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("xandikos")
	if err != nil {
		peer.Require(tb, fmt.Errorf("xandikos is not installed"))
	}
	dir := tb.TempDir()
	addr := freeAddr(tb)
	host, port, _ := net.SplitHostPort(addr)
	s := &Server{Name: "xandikos", URL: "http://" + addr + "/", Host: addr, User: "user", Dir: dir,
		args: []string{bin, "--defaults", "-d", filepath.Join(dir, "data"), "-l", host, "-p", port}, env: append(os.Environ(), "HOME="+dir)}
	s.start(tb)
	return s
}

// start starts the server and waits until it takes connections.
func (s *Server) start(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs.Reset()
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = &s.logs, &s.logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s.cmd = cmd
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() {
			tb.Logf("%s said:\n%s", s.Name, s.Logs())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", s.Host, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not start on %s: %v\n%s", s.Name, s.Host, err, s.logs.String())
		}
	}
}

// Stop stops the server; its data stays for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts a stopped server again on the same port and data.
func (s *Server) Restart(tb testing.TB) { s.start(tb) }

// Logs returns what the server said, but for its access log.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if !strings.Contains(line, "aiohttp.access") {
			b.WriteString(line + "\n")
		}
	}
	return strings.TrimSpace(b.String())
}
