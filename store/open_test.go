package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

func TestCreate(t *testing.T) {
	t.Run("FileModes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "kapbook")
		path := filepath.Join(dir, "kapbook.db")
		db, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		MustFixture(t, db) // write something, so the log files exist
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Fatalf("%s: mode=%o, want 600", filepath.Base(name), got)
			}
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
	})
	t.Run("ErrExists", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kapbook.db")
		if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Create(path)
		wantCode(t, err, booking.EINVALID)
		if got, want := booking.ErrorMessage(err), "A database already exists at "+path+"; kapbook will not overwrite it."; got != want {
			t.Fatalf("message=%q, want %q", got, want)
		}
		if b, _ := os.ReadFile(path); string(b) != "keep me" {
			t.Fatalf("file changed: %q", b)
		}
	})
	t.Run("StaleLogRemoved", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kapbook.db")
		if err := os.WriteFile(path+"-wal", bytes.Repeat([]byte{7}, 5000), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	})
}

func TestDefaultPath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: TestWindowsPath")
	}
	t.Setenv("XDG_DATA_HOME", "/data")
	if got, want := DefaultPath(), filepath.Join("/data", "kapbook", "kapbook.db"); got != want {
		t.Fatalf("DefaultPath()=%q, want %q", got, want)
	}
	t.Setenv("XDG_DATA_HOME", "relative")
	t.Setenv("HOME", "/home/front")
	if got, want := DefaultPath(), filepath.Join("/home/front", ".local", "share", "kapbook", "kapbook.db"); got != want {
		t.Fatalf("DefaultPath()=%q, want %q", got, want)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a dir?#%", "kapbook.db")
		db, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		f := MustFixture(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		p, err := db.Patient(ctx, f.patient.ID)
		if err != nil || p.Name != f.patient.Name {
			t.Fatalf("patient=%+v (%v)", p, err)
		}
		if db.Path() != path {
			t.Fatalf("path=%q", db.Path())
		}
	})
	t.Run("EmptyFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kapbook.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		MustFixture(t, db)
	})
	t.Run("ErrMissing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kapbook.db")
		_, err := Open(path)
		wantCode(t, err, booking.ENOTFOUND)
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open created %s", path)
		}
	})

	// Each refused file must stay exactly as it was.
	for _, tt := range []struct {
		name string
		make func(t *testing.T, path string)
		want string // in the message
	}{
		{"ErrGarbage", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 300), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a kapbook database or is damaged"},
		{"ErrDamaged", func(t *testing.T, path string) {
			newKapbookDB(t, path, nil)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			copy(b[16:], []byte{0xff, 0xff, 0xff, 0xff}) // page size and format versions
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a kapbook database or is damaged"},
		{"ErrForeign", func(t *testing.T, path string) {
			foreignDB(t, path, "PRAGMA application_id = 1234", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('mine')")
		}, "belongs to another application"},
		{"ErrForeignNoID", func(t *testing.T, path string) {
			foreignDB(t, path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
		}, "belongs to another application"},
		{"ErrNewer", func(t *testing.T, path string) {
			newKapbookDB(t, path, func(db *sql.DB) {
				if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
					t.Fatal(err)
				}
			})
		}, "This database was written by a newer version of kapbook (schema 99); update kapbook to open it."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kapbook.db")
			tt.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(path)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			wantCode(t, err, booking.ESTORE)
			t.Log(booking.ErrorMessage(err))
			if msg := booking.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Fatalf("message=%q, want it to contain %q", msg, tt.want)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Fatal("Open changed the file")
			}
		})
	}
}

// newKapbookDB creates a kapbook database at path, then lets change edit it
// through a plain connection.
func newKapbookDB(t *testing.T, path string, change func(db *sql.DB)) {
	t.Helper()
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	MustFixture(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if change == nil {
		return
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	change(raw)
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
}

// foreignDB creates another application's SQLite database at path.
func foreignDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPragmas(t *testing.T) {
	sqliteOnly(t)
	db := MustOpenDB(t)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "20000", "secure_delete": "1"} {
		// Several connections: each must have them.
		for range 3 {
			var got string
			if err := db.sql.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s=%s, want %s", pragma, got, want)
			}
		}
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateFromVersion1 checks that a database written by the first
// schema, with a booked series in it, opens with the later migrations
// applied and its rows kept: the series keeps protocol version 1, which is
// readable, and its appointment reads with nobody recorded as cancelling.
func TestMigrateFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kapbook.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	clinic := `{"name":"Old Clinic","time_zone":"America/New_York","hours":{"mon":["08:00-18:00"]},"address":"","phone":"","rems_certified":false}`
	protocol := `{"id":"one","name":"One","window_days":7,"steps":[{"id":"consultation","kind":"consultation","minutes":60,"count":1,"staff":[{"roles":["prescriber"]}],"room":{}},` +
		`{"id":"dosing","kind":"dosing","minutes":60,"count":1,"staff":[{"roles":["prescriber"]}],"room":{"kinds":["dosing"]},"gap":{"min":1,"max":3,"unit":"days"}}]}`
	for _, q := range []string{
		migrations[0],
		"PRAGMA user_version = 1",
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		"INSERT INTO clinic (id, time_zone, data) VALUES (1, 'America/New_York', '" + clinic + "')",
		`INSERT INTO staff (id, name, data) VALUES (1, 'Dr. Old', '{"name":"Dr. Old","roles":["prescriber"],"hours":{"mon":["08:00-18:00"]}}')`,
		"INSERT INTO protocols (id, data) VALUES ('one', '" + protocol + "')",
		`INSERT INTO patients VALUES (1, 'Pat Old', 'pat@example.org', '', '{}', '{}', 0, 'pat old', 'pat old')`,
		"INSERT INTO series VALUES (1, 1, 'one', NULL, '2027-03-01', '', 0)",
		`INSERT INTO appointments (id, series_id, patient_id, step, kind, idx, count, seq, start_unix, end_unix, room_id, room_name,
			room_before, room_after, staff_before, staff_after, status, escort, reason, sequence, created, updated, needs_rems)
			VALUES (1, 1, 1, 'consultation', 'consultation', 1, 1, 0, 1803477600, 1803481200, NULL, '', 0, 0, 0, 0, 'cancelled', NULL, 'ill', 1, 0, 0, 0)`,
		`INSERT INTO appointments (id, series_id, patient_id, step, kind, idx, count, seq, start_unix, end_unix, room_id, room_name,
			room_before, room_after, staff_before, staff_after, status, escort, reason, sequence, created, updated, needs_rems)
			VALUES (2, 1, 1, 'dosing', 'dosing', 1, 1, 1, 1803564000, 1803567600, NULL, '', 0, 0, 0, 0, 'booked', NULL, '', 1, 0, 0, 0)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, index int
	if err := db.sql.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('outbox_due', 'appointments_makeup')").Scan(&index); err != nil {
		t.Fatal(err)
	}
	if version != len(migrations) || index != 2 {
		t.Fatalf("user_version=%d, indexes=%d after opening a version 1 database; want %d and 2", version, index, len(migrations))
	}
	ctx := context.Background()
	sr, err := db.Series(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sr.ProtocolVersion != 1 || len(sr.Appts) != 2 || sr.Appts[0].CancelledBy != "" || sr.Appts[0].Reason != "ill" || sr.Appts[0].MakeupOf != 0 {
		t.Fatalf("series after migrating: version %d, %d appointments %+v", sr.ProtocolVersion, len(sr.Appts), sr.Appts)
	}
	// Migration 4: dosing visits needed an escort by their kind; now the
	// appointment and its protocol step say so.
	if sr.Appts[0].NeedsEscort() || !sr.Appts[1].NeedsEscort() {
		t.Fatalf("escorts after migrating: consultation %v, dosing %v; want false, true", sr.Appts[0].NeedsEscort(), sr.Appts[1].NeedsEscort())
	}
	p, err := db.ProtocolVersion(ctx, "one", 1)
	if err != nil || p.Name != "One" || p.Version != 1 || p.Steps[0].Escort || !p.Steps[1].Escort {
		t.Fatalf("protocol version 1 after migrating: %+v, %v", p, err)
	}
	if cur, err := db.Protocol(ctx, "one"); err != nil || cur.Version != 1 || cur.Steps[0].Escort || !cur.Steps[1].Escort || cur.Steps[1].Gap.Unit != booking.Days {
		t.Fatalf("current protocol after migrating: %+v, %v", cur, err)
	}
}

// TestMigrationFailure checks that a migration that fails leaves the
// database as it was: all of a migration's changes are one transaction.
func TestMigrationFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kapbook.db")
	newKapbookDB(t, path, nil)
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(migrations[:len(migrations):len(migrations)],
		"CREATE TABLE extra (id INTEGER PRIMARY KEY); CREATE TABLE broken (")
	if db, err := Open(path); err == nil {
		db.Close()
		t.Fatal("opened")
	}
	migrations = saved
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, extra int
	if err := db.sql.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if version != len(saved) || extra != 0 {
		t.Fatalf("user_version=%d, table extra=%d after a failed migration; want %d and 0", version, extra, len(saved))
	}
}

// TestDamaged checks that damage past the header surfaces as ESTORE, from
// Check and from the reads that meet it.
func TestDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kapbook.db")
	newKapbookDB(t, path, func(raw *sql.DB) {
		for i := range 300 {
			if _, err := raw.Exec("INSERT INTO patients (name, email, phone, preferences, consents, created, name_key, search_key) VALUES (?, ?, '', '{}', '{}', 0, ?, ?)",
				"Patient", "p@example.org", i, i); err != nil {
				t.Fatal(err)
			}
		}
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for i := len(b) - 3*page; i < len(b); i++ { // the patients' last pages
		b[i] = 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		wantCode(t, err, booking.ESTORE)
		return
	}
	defer db.Close()
	err = db.Check(context.Background())
	t.Log(booking.ErrorMessage(err))
	wantCode(t, err, booking.ESTORE)
	_, err = db.FindPatients(context.Background(), "")
	wantCode(t, err, booking.ESTORE)
}
