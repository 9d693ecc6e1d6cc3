package store

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// TestOpenPermissions: a database others may read is made owner-only
// before kapbook writes into it, and an empty file others may read is not
// taken for a database.
func TestOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: the folder's access list decides, Open leaves the mode alone")
	}
	t.Run("Tightened", func(t *testing.T) {
		// Someone loosens all three while a window keeps the file open,
		// and with it -wal and -shm.
		path := filepath.Join(t.TempDir(), "kapbook.db")
		db, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		f := MustFixture(t, db)
		names := []string{path, path + "-wal", path + "-shm"}
		for _, name := range names {
			if err := os.Chmod(name, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		db2, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		for _, name := range names {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Fatalf("%s: mode=%o, want 600", filepath.Base(name), got)
			}
		}
		if p, err := db2.Patient(t.Context(), f.patient.ID); err != nil || p.Name != f.patient.Name {
			t.Fatalf("patient=%+v (%v)", p, err)
		}
	})
	// An empty owner-only file (what Create leaves when it is cut short)
	// opens: TestOpen/EmptyFile.
	t.Run("ErrEmptyFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kapbook.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
		_, err := Open(path)
		wantCode(t, err, booking.ESTORE)
		if got, want := booking.ErrorMessage(err), path+" is an empty file, not a kapbook database; to start a new clinic there, remove it and run kapctl init."; got != want {
			t.Fatalf("message=%q, want %q", got, want)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != 0 || fi.Mode().Perm() != 0o644 {
			t.Fatalf("refused file changed: size %d, mode %o", fi.Size(), fi.Mode().Perm())
		}
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			if _, err := os.Stat(path + suffix); err == nil {
				t.Fatalf("Open left %s%s", path, suffix)
			}
		}
	})
	t.Run("ErrNotOwner", func(t *testing.T) {
		// Only another user's file refuses chmod, and these tests may run
		// as root: play the refusal.
		defer func(c func(string, os.FileMode) error) { chmod = c }(chmod)
		chmod = func(name string, _ os.FileMode) error {
			return &os.PathError{Op: "chmod", Path: name, Err: syscall.EPERM}
		}
		path := filepath.Join(t.TempDir(), "it's", "kapbook.db")
		db, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		MustFixture(t, db)
		db.Close()
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Open(path)
		wantCode(t, err, booking.ESTORE)
		quoted := "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
		if got := booking.ErrorMessage(err); !strings.HasSuffix(got, "Its owner must run: chmod 600 "+quoted) {
			t.Fatalf("message=%q, want it to end with the chmod of %s", got, quoted)
		}
		if got := shellQuote("/srv/kapbook/clinic.db"); got != "/srv/kapbook/clinic.db" {
			t.Fatalf("shellQuote=%s, want it bare", got)
		}
	})
}
