package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// readCommands are commands that only read: they work on a database one
// may only read. The file name OUT is replaced by a file in a folder the
// command may write.
var readCommands = [][]string{
	{"agenda", "--from", "2027-02-22", "--to", "2027-04-30"},
	{"patient", "list"},
	{"patient", "show", "1"},
	{"staff", "list"},
	{"room", "list"},
	{"protocol", "list"},
	{"audit"},
	{"escorts"},
	{"outbox", "list"},
	{"email", "show"},
	{"busy", "list"},
	{"check"},
	{"export", "--all", "-o", "OUT.ics"},
	{"backup", "OUT.db"},
}

// writeCommands each change the database.
var writeCommands = [][]string{
	{"patient", "add", "--name", "Rae Reader", "--email", "rae@example.org"},
	{"book", "--patient", "1", "--protocol", "kap-standard"},
	{"cancel", "--appointment", "1", "--by", "clinic"},
	{"email", "policy", "--reminder-hours", "30"},
	{"feed", "url", "--staff", "1"},
}

// outArgs returns args with OUT replaced by a new file name in dir.
func outArgs(args []string, dir string, i int) []string {
	out := make([]string, len(args))
	for j, a := range args {
		if strings.HasPrefix(a, "OUT.") {
			a = filepath.Join(dir, fmt.Sprintf("out%d%s", i, strings.TrimPrefix(a, "OUT")))
		}
		out[j] = a
	}
	return out
}

func sha(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestReadOnlyFlag: kapctl --read-only reads a clinic as usual, and every
// write exits with the store's status and says why nothing was changed;
// the file keeps every byte. Permission bits play no part: this runs as
// root too.
func TestReadOnlyFlag(t *testing.T) {
	c := &clinic{t: t, path: filepath.Join(t.TempDir(), "kapbook.db"), now: testNow, as: "front desk"}
	c.ok("init", "--demo", "--with-patients", "2")
	sum := sha(t, c.path)
	out := t.TempDir()
	for i, args := range readCommands {
		c.ok(append([]string{"--read-only"}, outArgs(args, out, i)...)...)
	}
	for _, args := range writeCommands {
		r := c.run(append([]string{"--read-only"}, args...)...)
		if r.code != exitStore || !strings.Contains(r.stderr, "is open read-only, so nothing was changed") || !strings.Contains(r.stderr, "without --read-only") {
			t.Errorf("kapctl --read-only %s: exit %d, stderr %q; want %d and why nothing was changed", strings.Join(args, " "), r.code, r.stderr, exitStore)
		}
	}
	for _, cmd := range []string{"init", "migrate"} {
		if r := c.run("--read-only", cmd); r.code != exitUsage || !strings.Contains(r.stderr, "--read-only cannot go with "+cmd) {
			t.Errorf("kapctl --read-only %s: exit %d, stderr %q; want %d", cmd, r.code, r.stderr, exitUsage)
		}
	}
	if sha(t, c.path) != sum {
		t.Fatal("the database file changed under --read-only")
	}
	// The backup is an ordinary database: it can be written.
	backup := filepath.Join(out, fmt.Sprintf("out%d.db", len(readCommands)-1))
	if r := run([]string{"--db", backup, "--now", testNow, "patient", "add", "--name", "Rae Reader", "--email", "rae@example.org"}, new(strings.Builder), new(strings.Builder)); r != exitOK {
		t.Fatalf("adding a patient to the backup of a read-only database: exit %d", r)
	}
}

// TestReadOnlyFile: a database file the user may read but not write, or
// in a folder they may not write, is read by every read command of the
// real kapctl, and each write exits with the store's status saying, in
// words, that the database is read-only for them and what to do; the
// file keeps every byte and, where the folder may not be written, no
// -wal or -shm appears. Root may write anything, so as root kapctl runs
// as the user nobody (setpriv); the test is skipped only when that
// cannot be.
func TestReadOnlyFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: the file's access list decides; the mode bits set here mean nothing")
	}
	bin := mustBuild(t)
	var as []string // the command prefix that runs as an unprivileged user
	uid := -1
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("running as root, whom permission bits do not stop, and there is no user nobody to run as: %v", err)
		}
		if _, err := exec.LookPath("setpriv"); err != nil {
			t.Skip("running as root, whom permission bits do not stop, and setpriv (util-linux) is not installed to run as nobody")
		}
		as = []string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--"}
		uid, _ = strconv.Atoi(u.Uid)
		if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil { // mustBuild's folder
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name      string
		file, dir os.FileMode
		want      string
	}{
		{"File", 0o400, 0o700, "may read it but not change it), so nothing was changed. To allow changes, run chmod u+w "},
		{"Folder", 0o600, 0o500, "may not change its folder "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir, out := filepath.Join(base, "db"), filepath.Join(base, "out")
			path := filepath.Join(dir, "kapbook.db")
			c := &clinic{t: t, path: path, now: testNow, as: "front desk"}
			c.ok("init", "--demo", "--with-patients", "2")
			if err := os.Mkdir(out, 0o700); err != nil {
				t.Fatal(err)
			}
			if uid >= 0 {
				for _, name := range []string{dir, path, out} {
					if err := os.Chown(name, uid, -1); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chmod(base, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(filepath.Dir(base), 0o755); err != nil { // t.TempDir's own folder
					t.Fatal(err)
				}
			}
			if err := os.Chmod(path, tc.file); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dir); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) }) // for TempDir's removal
			sum := sha(t, path)
			kapctl := func(args ...string) (string, int) {
				t.Helper()
				argv := append(append(append([]string{}, as...), bin, "--db", path, "--now", testNow), args...)
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Dir = "/"
				cmd.Env = append(os.Environ(), "KAPBOOK_DB=")
				b, err := cmd.CombinedOutput()
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				return string(b), code
			}
			for i, args := range readCommands {
				if got, code := kapctl(outArgs(args, out, i)...); code != exitOK {
					t.Errorf("kapctl %s: exit %d: %s", strings.Join(args, " "), code, got)
				}
			}
			for _, args := range writeCommands {
				got, code := kapctl(args...)
				if code != exitStore || !strings.Contains(got, "is read-only for you") || !strings.Contains(got, tc.want) {
					t.Errorf("kapctl %s: exit %d, %q; want %d and %q", strings.Join(args, " "), code, got, exitStore, tc.want)
				}
			}
			if sha(t, path) != sum {
				t.Fatal("the database file changed")
			}
			if tc.dir&0o200 == 0 {
				for _, suffix := range []string{"-wal", "-shm", "-journal"} {
					if _, err := os.Stat(path + suffix); err == nil {
						t.Errorf("%s appeared in a folder the user may not write", filepath.Base(path+suffix))
					}
				}
			}
		})
	}
}
