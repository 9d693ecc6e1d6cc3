package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// TestBackup copies a clinic with SQLite's online backup: the copy is
// owner-only, in owner-only folders, and reads the same as the original.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	src, err := Create(filepath.Join(t.TempDir(), "clinic.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fullClinic(t, src)
	want := snapshot(t, src)
	wantAppts, err := src.Appointments(ctx, booking.AppointmentFilter{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		// A quote in the name must reach SQLite as part of the name.
		dir := filepath.Join(t.TempDir(), "it's", "backups")
		path := filepath.Join(dir, "clinic.db")
		if err := src.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Fatalf("backup mode=%o, want 600", got)
		}
		for _, d := range []string{dir, filepath.Dir(dir)} {
			fi, err := os.Stat(d)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o700 {
				t.Fatalf("%s: mode=%o, want 700", d, got)
			}
		}
		for _, suffix := range []string{"-journal", "-wal", "-shm"} {
			if _, err := os.Stat(path + suffix); err == nil {
				t.Fatalf("backup left %s%s", path, suffix)
			}
		}
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := snapshot(t, db); !reflect.DeepEqual(got, want) {
			t.Fatalf("backup reads\n%+v\nwant\n%+v", got, want)
		}
		appts, err := db.Appointments(ctx, booking.AppointmentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(appts, wantAppts) {
			t.Fatalf("backup appointments=%+v, want %+v", appts, wantAppts)
		}
		if len(appts) != 2 {
			t.Fatalf("appointments=%d, want 2", len(appts))
		}
	})
	t.Run("DuringWrite", func(t *testing.T) {
		// Another writer's transaction in progress: the backup is taken
		// at once and holds what was committed, not what is pending.
		path := filepath.Join(t.TempDir(), "b.db")
		MustUpdate(t, src, func(tx booking.Tx) error {
			if err := tx.SavePatient(ctx, &booking.Patient{Name: "Pending Patient", Email: "p@example.org"}); err != nil {
				return err
			}
			return src.Backup(ctx, path)
		})
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		pats, err := db.FindPatients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := len(pats); got != len(want["patients"].([]*booking.Patient)) {
			t.Fatalf("patients=%d in the backup, want %d", got, len(want["patients"].([]*booking.Patient)))
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := src.Backup(ctx, path)
		wantCode(t, err, booking.EINVALID)
		if b, _ := os.ReadFile(path); string(b) != "keep me" {
			t.Fatalf("file changed: %q", b)
		}
		// The database itself is a file that exists.
		wantCode(t, src.Backup(ctx, src.Path()), booking.EINVALID)
	})
	t.Run("ErrPostgres", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		wantCode(t, (&DB{pg: true}).Backup(ctx, path), booking.EINVALID)
		if _, err := os.Stat(path); err == nil {
			t.Fatalf("a PostgreSQL backup left %s", path)
		}
	})
}
