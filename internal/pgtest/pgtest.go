// Package pgtest runs a throwaway PostgreSQL server for tests, the peer
// for kapbook's PostgreSQL store (see the README's "The two commands"): Debian's
// postgresql package, with btree_gist for exclusion constraints over time
// ranges. Missing PostgreSQL programs skip the test with the reason,
// unless KAPBOOK_REQUIRE_PEERS=1 makes it a failure (see internal/peer).
//
// A test either starts its own server with Start, or, in a package whose
// TestMain calls Main (or Run), takes a fresh database on one server that
// the whole test binary shares with Shared:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestStore(t *testing.T) {
//		url := pgtest.Shared(t) // postgres://kap@127.0.0.1:PORT/kap_1?sslmode=disable
//		...
//	}
//
// The server runs as the postgres user when the test runs as root (initdb
// refuses root), trusts every connection, listens on 127.0.0.1 and on a
// socket in its own folder under the system's temporary folder, and runs
// with fsync off: it is for tests only.
package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kapbook/kapbook/internal/peer"
)

// User is the superuser that every server made here has; it needs no
// password.
const User = "kap"

// binGlob is where Debian installs each PostgreSQL version's programs.
const binGlob = "/usr/lib/postgresql/*/bin"

// programs are the PostgreSQL programs this package runs.
var programs = []string{"initdb", "pg_ctl", "psql"}

// missingError says a peer is missing, as opposed to a server that fails.
type missingError struct{ error }

// Bin returns the folder of the PostgreSQL programs: the newest version
// under /usr/lib/postgresql (Debian), or the folder of pg_ctl on PATH.
func Bin() (string, error) {
	dirs, _ := filepath.Glob(binGlob)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if path, err := exec.LookPath("pg_ctl"); err == nil {
		if path, err = filepath.EvalSymlinks(path); err == nil {
			dirs = append(dirs, filepath.Dir(path))
		}
	}
	for _, dir := range dirs {
		if hasPrograms(dir) {
			return dir, nil
		}
	}
	return "", missingError{fmt.Errorf("pgtest: PostgreSQL is not installed (no %s in %s, no pg_ctl on PATH); install it with apt-get install postgresql",
		strings.Join(programs, ", "), binGlob)}
}

// version returns the major version in a path such as
// /usr/lib/postgresql/15/bin, or 0.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func hasPrograms(dir string) bool {
	for _, p := range programs {
		if info, err := os.Stat(filepath.Join(dir, p)); err != nil || info.IsDir() {
			return false
		}
	}
	return true
}

// Server is a running PostgreSQL.
type Server struct {
	// Port is its TCP port on 127.0.0.1.
	Port int
	// Dir is its folder: the cluster in Dir/data, its log in Dir/log, and
	// its Unix socket.
	Dir string

	bin      string
	runAs    []string    // runuser -u postgres -- when running as root
	reaper   *os.Process // stops the server should the test binary die first
	dbs      atomic.Int64
	stopping sync.Once
	stopped  atomic.Bool
	stopErr  error
}

// Start starts a new PostgreSQL server on a free port, waits until it
// accepts connections, and stops it and removes its folder when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if errors.As(err, new(missingError)) {
		peer.Require(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func start() (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, missingError{fmt.Errorf("pgtest: running as root and there is no postgres user to run PostgreSQL as (initdb refuses root); install it with apt-get install postgresql: %v", err)}
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		s.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	// Not t.TempDir, nor TMPDIR as root: the postgres user must reach the
	// folder, and those may sit in a folder only root can enter.
	parent := ""
	if uid >= 0 {
		parent = "/tmp"
	}
	s.Dir, err = os.MkdirTemp(parent, "kapbook-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %v", err)
	}
	if uid >= 0 {
		if err := os.Chown(s.Dir, uid, gid); err != nil {
			os.RemoveAll(s.Dir)
			return nil, fmt.Errorf("pgtest: %v", err)
		}
	}
	data := filepath.Join(s.Dir, "data")
	if _, err := s.run(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", User, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(s.Dir)
		return nil, err
	}
	s.reaper = startReaper(s.Dir, slices.Concat(s.runAs, []string{filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"}))
	// The port was free a moment ago; another program may take it before
	// PostgreSQL does, so try a few.
	for try := 1; ; try++ {
		s.Port, err = freePort()
		if err == nil {
			opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", s.Port, s.Dir)
			_, err = s.run(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "start")
		}
		if err == nil || try == 3 {
			break
		}
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
		s.Stop()
		return nil, fmt.Errorf("%v\n%s", err, log)
	}
	return s, nil
}

// run runs a PostgreSQL server program in s.Dir, as the postgres user when
// the test runs as root.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	argv := slices.Concat(s.runAs, []string{name}, args)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("pgtest: %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops the server (pg_ctl -m fast stop) and removes its folder. A
// second call does nothing and returns the first one's error.
func (s *Server) Stop() error {
	s.stopping.Do(func() {
		s.stopped.Store(true)
		stopReaper(s.reaper)
		if _, err := os.Stat(filepath.Join(s.Dir, "data", "postmaster.pid")); err == nil {
			_, s.stopErr = s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.Dir, "data"), "-m", "fast", "-w", "stop")
		}
		if err := os.RemoveAll(s.Dir); err != nil && s.stopErr == nil {
			s.stopErr = fmt.Errorf("pgtest: %v", err)
		}
	})
	return s.stopErr
}

// URL returns the address of database db on the server, for pgx or psql:
// postgres://kap@127.0.0.1:PORT/DB?sslmode=disable.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.Port, db)
}

// CreateDB creates a new, empty database named kap_N and returns its URL.
// The database is dropped when t ends, closing any connection left open,
// unless the server was stopped first.
func (s *Server) CreateDB(t testing.TB) string {
	t.Helper()
	name := "kap_" + strconv.FormatInt(s.dbs.Add(1), 10)
	Exec(t, s.URL("postgres"), "CREATE DATABASE "+name)
	t.Cleanup(func() {
		if s.stopped.Load() {
			return
		}
		if _, err := Psql(s.URL("postgres"), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})
	return s.URL(name)
}

// Psql runs sql (one or more statements) with psql against the database
// at url, stopping at the first error, and returns what psql prints:
// unaligned rows, one a line, fields separated by |. An error carries
// PostgreSQL's message, such as "conflicting key value violates
// exclusion constraint".
func Psql(url, sql string) (string, error) {
	bin, err := Bin()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-")
	cmd.Stdin = strings.NewReader(sql)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("pgtest: psql: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Exec runs sql as Psql does and returns its output; an error fails t.
func Exec(t testing.TB, url, sql string) string {
	t.Helper()
	out, err := Psql(url, sql)
	if err != nil {
		t.Fatalf("%v\nSQL: %s", err, sql)
	}
	return out
}

// The server that Shared hands out databases on, started by the first
// call and stopped by Run.
var shared struct {
	sync.Mutex
	running bool // inside Run
	once    sync.Once
	server  *Server
	err     error
}

// Shared creates a new, empty database on the test binary's shared server,
// started on first use, and returns its URL (see Server.CreateDB). It
// needs the package's TestMain to call Main or Run, which stop the server
// when the tests end.
func Shared(t testing.TB) string {
	t.Helper()
	shared.Lock()
	running := shared.running
	shared.Unlock()
	if !running {
		t.Fatal("pgtest: Shared needs the package's TestMain to call pgtest.Main(m) or pgtest.Run(m), which stop the shared server")
	}
	shared.once.Do(func() { shared.server, shared.err = start() })
	if errors.As(shared.err, new(missingError)) {
		peer.Require(t, shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.server.CreateDB(t)
}

// Run runs the tests and stops the shared server (see Shared), if one was
// started, and returns the exit code for os.Exit: for a TestMain that does
// more than Main.
func Run(m *testing.M) int {
	shared.Lock()
	shared.running = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	shared.running = false
	shared.Unlock()
	if s := shared.server; s != nil {
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Main runs the tests, stops the shared server and exits: call it from
// TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }
