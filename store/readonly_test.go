package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kapbook/kapbook/booking"
)

// roFixture returns a database file holding the store's fixture, closed,
// in a folder of its own, and the fixture's patient.
func roFixture(t *testing.T) (string, *booking.Patient) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clinic.db")
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f := MustFixture(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, f.patient
}

// fileSum returns the SHA-256 of the file at path.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// checkReadOnly fails the test unless db reads the patient and refuses a
// write, before the write's function runs, with ESTORE, ErrReadOnly and a
// message holding want.
func checkReadOnly(t *testing.T, db *DB, patientID int64, name, want string) {
	t.Helper()
	ctx := context.Background()
	if !db.ReadOnly() {
		t.Error("ReadOnly()=false, want true")
	}
	if p, err := db.Patient(ctx, patientID); err != nil || p.Name != name {
		t.Fatalf("Patient(%d)=%+v, %v; want %s", patientID, p, err, name)
	}
	if ps, err := db.FindPatients(ctx, ""); err != nil || len(ps) != 1 {
		t.Fatalf("FindPatients: %d, %v; want 1", len(ps), err)
	}
	if _, err := db.Clinic(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Version(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.FullCheck(ctx); err != nil {
		t.Fatal(err)
	}
	ran := false
	err := db.Update(ctx, func(tx booking.Tx) error {
		ran = true
		return tx.SavePatient(ctx, &booking.Patient{Name: "New Patient", Email: "new@example.org"})
	})
	if ran {
		t.Error("Update ran its function on a read-only database")
	}
	if booking.ErrorCode(err) != booking.ESTORE || !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Update: code %q, ErrReadOnly %v (%v); want %q and true", booking.ErrorCode(err), errors.Is(err, ErrReadOnly), err, booking.ESTORE)
	}
	msg := booking.ErrorMessage(err)
	if !strings.Contains(msg, want) || !strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, db.Path()) {
		t.Fatalf("Update: %q; want it to name the file, say %q and that nothing was changed", msg, want)
	}
}

// TestOpenReadOnly: a database opened read-only on purpose (a backup to
// look at) reads as usual and refuses every write, without changing a
// byte of the file or its mode. Permission bits play no part, so this
// runs as root too.
func TestOpenReadOnly(t *testing.T) {
	path, p := roFixture(t)
	sum := fileSum(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	checkReadOnly(t, db, p.ID, p.Name, "open read-only")
	// A copy can still be made of what one may only read.
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(context.Background(), copyPath); err != nil {
		t.Fatalf("Backup of a read-only database: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileSum(t, path); got != sum {
		t.Fatal("the database file changed while open read-only")
	}
	if after, err := os.Stat(path); err != nil || after.Mode() != fi.Mode() {
		t.Fatalf("mode %v after, %v before (%v)", after.Mode(), fi.Mode(), err)
	}
	copyDB, err := Open(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	if copyDB.ReadOnly() {
		t.Fatal("the copy of a read-only database opened read-only")
	}
	if got, err := copyDB.Patient(context.Background(), p.ID); err != nil || got.Name != p.Name {
		t.Fatalf("the copy: %+v, %v", got, err)
	}
}

// TestOpenReadOnlyOlderSchema: a database from an older kapbook cannot be
// brought up to date read-only, and says so instead of writing.
func TestOpenReadOnlyOlderSchema(t *testing.T) {
	path, _ := roFixture(t)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)-1)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	sum := fileSum(t, path)
	_, err = OpenReadOnly(path)
	if booking.ErrorCode(err) != booking.ESTORE || !strings.Contains(booking.ErrorMessage(err), "needs an upgrade, which cannot be done read-only") {
		t.Fatalf("OpenReadOnly of an older schema: %v; want ESTORE saying it needs an upgrade that cannot be done read-only", err)
	}
	if fileSum(t, path) != sum {
		t.Fatal("the database file changed")
	}
}

// TestOpenNotWritable: Open reads a database this user may read but not
// write (the file, or the folder SQLite keeps -wal and -shm in, or a file
// of another user's that others may read), refuses every write saying
// why, and changes nothing: not a byte of the file, not its mode; no -wal
// or -shm appears in a folder the user may not write or beside another
// user's file, and a -shm beside the user's own is theirs to write
// (0600). Root may write
// anything, so as root the checks run in a copy of this test binary as
// the user nobody (setpriv); they are skipped only when that cannot be.
func TestOpenNotWritable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: the file's access list decides; the mode bits set here mean nothing")
	}
	for _, tc := range []struct {
		name       string
		file, dir  os.FileMode
		others     bool // the file and folder stay root's: only as root
		want       string
		noSideFile bool // no -wal or -shm may appear
	}{
		{name: "File", file: 0o400, dir: 0o700, want: "may read it but not change it), so nothing was changed. To allow changes, run chmod u+w"},
		{name: "Folder", file: 0o600, dir: 0o500, want: "may not change its folder", noSideFile: true},
		{name: "ReadOnlyFileAndFolder", file: 0o400, dir: 0o500, want: "may read it but not change it", noSideFile: true},
		{name: "Others", file: 0o644, dir: 0o755, others: true, want: "it belongs to root", noSideFile: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := os.Geteuid() == 0
			if tc.others && !root {
				t.Skip("a file of another user's is made as root")
			}
			path, p := roFixture(t)
			dir := filepath.Dir(path)
			var child []string
			if root {
				child = nobody(t)
				if !tc.others {
					uid, _ := strconv.Atoi(child[0])
					for _, name := range []string{dir, path} {
						if err := os.Chown(name, uid, -1); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil { // t.TempDir's own folder
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
			sum := fileSum(t, path)
			if root {
				runChild(t, child, "TestOpenNotWritableChild",
					"KAPBOOK_RO_PATH="+path, "KAPBOOK_RO_PATIENT="+strconv.FormatInt(p.ID, 10),
					"KAPBOOK_RO_NAME="+p.Name, "KAPBOOK_RO_WANT="+tc.want)
			} else {
				openNotWritable(t, path, p.ID, p.Name, tc.want)
			}
			if fileSum(t, path) != sum {
				t.Fatal("the database file changed")
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tc.file {
				t.Fatalf("mode after: %v (%v), want %v", fi.Mode().Perm(), err, tc.file)
			}
			for _, suffix := range []string{"-wal", "-shm", "-journal"} {
				fi, err := os.Stat(path + suffix)
				switch {
				case err == nil && tc.noSideFile:
					t.Errorf("%s appeared beside a database the user may not write, in a folder they may not write or of another user's", filepath.Base(path+suffix))
				case err == nil && suffix == "-shm" && fi.Mode().Perm() != 0o600:
					// SQLite gives it the database's mode: 0400 would
					// stop every write once the owner may write again.
					// (An empty -wal follows the database's mode.)
					t.Errorf("%s: mode %v, want 0600", filepath.Base(path+suffix), fi.Mode().Perm())
				}
			}
		})
	}
}

// openNotWritable is the unprivileged half of TestOpenNotWritable.
func openNotWritable(t *testing.T, path string, patientID int64, name, want string) {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open of a database one may only read: %v", err)
	}
	defer db.Close()
	checkReadOnly(t, db, patientID, name, want)
	// OpenReadOnly says the same: the reason is the user's rights, not
	// the asking.
	db2, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	checkReadOnly(t, db2, patientID, name, want)
}

// TestOpenNotWritableChild runs openNotWritable in the process
// TestOpenNotWritable starts as an unprivileged user; on its own it is
// skipped.
func TestOpenNotWritableChild(t *testing.T) {
	path := os.Getenv("KAPBOOK_RO_PATH")
	if path == "" {
		t.Skip("run by TestOpenNotWritable as an unprivileged user")
	}
	id, err := strconv.ParseInt(os.Getenv("KAPBOOK_RO_PATIENT"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	openNotWritable(t, path, id, os.Getenv("KAPBOOK_RO_NAME"), os.Getenv("KAPBOOK_RO_WANT"))
}

// nobody returns the user id and group id of the user nobody, to run a
// child process as, and skips the test when there is no such user or no
// setpriv to become them.
func nobody(t *testing.T) []string {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("running as root, whom permission bits do not stop, and there is no user nobody to run as: %v", err)
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("running as root, whom permission bits do not stop, and setpriv (util-linux) is not installed to run as nobody")
	}
	return []string{u.Uid, u.Gid}
}

// runChild runs the named test of a copy of this test binary as the user
// ids, with env added, and fails the test if it fails.
func runChild(t *testing.T, ids []string, test string, env ...string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "store.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin))} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("setpriv", "--reuid="+ids[0], "--regid="+ids[1], "--clear-groups", "--",
		bin, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("%s as user %s: %v\n%s", test, ids[0], err, out)
	}
}

// copyFile copies the file at from to a new executable file at to.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestPGReadOnlyErr: a write in a PostgreSQL session that may only read
// (default_transaction_read_only, a standby) says so in words, like a
// SQLite file one may only read; a role without the right says what to do.
func TestPGReadOnlyErr(t *testing.T) {
	r := &reader{pg: true, path: "db.example.org/clinic"}
	err := r.mapErr("commit", &pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"})
	if booking.ErrorCode(err) != booking.ESTORE || !errors.Is(err, ErrReadOnly) ||
		booking.ErrorMessage(err) != "The database db.example.org/clinic is read-only for this login (cannot execute INSERT in a read-only transaction), so nothing was changed. Ask the database's administrator for a login that may write, or use this one only to look." {
		t.Fatalf("25006: %q (%s)", booking.ErrorMessage(err), booking.ErrorCode(err))
	}
	err = r.mapErr("commit", &pgconn.PgError{Code: "42501", Message: "permission denied for table patients"})
	if booking.ErrorCode(err) != booking.ESTORE || !strings.Contains(booking.ErrorMessage(err), "(permission denied for table patients), so nothing was changed") {
		t.Fatalf("42501: %q (%s)", booking.ErrorMessage(err), booking.ErrorCode(err))
	}
}
