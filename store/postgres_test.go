package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/pgtest"
	"github.com/kapbook/kapbook/internal/secret"
)

// pgDB returns a new kapbook database on the shared throwaway server.
func pgDB(t *testing.T) (*DB, string) {
	t.Helper()
	url := pgtest.Shared(t)
	db, err := Create(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

// What PostgreSQL adds to the store's own rules: the database itself
// refuses an overlap of a person's, room's or patient's blocks, even when
// the store's own check before commit is not there (a bug, or another
// program writing the tables), and the audit trail refuses changes.
func TestPostgres_DatabaseRefusesOverlapAndAuditChanges(t *testing.T) {
	db, url := pgDB(t)
	f := MustFixture(t, db)
	ctx := context.Background()
	a := f.dosing(f.at(1, 9, 0))
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.CreateAppointment(ctx, a) })

	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// A block of the same therapist half an hour later, written behind
	// the store's back.
	_, err = raw.Exec(`INSERT INTO blocks (appointment_id, resource_kind, resource_id, start_unix, end_unix) VALUES ($1, 'staff', $2, $3, $4)`,
		a.ID, f.therapist.ID, a.Start.Add(30*time.Minute).Unix(), a.End.Add(time.Hour).Unix())
	if pgCode(err) != pgExclusion {
		t.Fatalf("an overlapping block written directly: %v, want the exclusion constraint's refusal", err)
	}
	mapped := db.mapErr("book", err)
	wantCode(t, mapped, booking.ECONFLICT)
	if !strings.Contains(booking.ErrorMessage(mapped), "another desk") {
		t.Errorf("the front desk reads %q", booking.ErrorMessage(mapped))
	}
	// Right after it ends is free.
	if _, err := raw.Exec(`INSERT INTO blocks (appointment_id, resource_kind, resource_id, start_unix, end_unix) VALUES ($1, 'room', 999, $2, $3)`,
		a.ID, a.End.Add(30*time.Minute).Unix(), a.End.Add(time.Hour).Unix()); err != nil {
		t.Fatalf("a block of another room: %v", err)
	}

	MustUpdate(t, db, func(tx booking.Tx) error {
		return tx.AddAudit(ctx, &booking.AuditEntry{At: f.at(1, 8, 0), Actor: "Front desk", Action: "book", PatientID: f.patient.ID})
	})
	for _, q := range []string{"UPDATE audit SET actor = 'someone else'", "DELETE FROM audit", "TRUNCATE audit"} {
		_, err := raw.Exec(q)
		if pgCode(err) != pgAuditTrigger {
			t.Errorf("%s: %v, want the append-only trigger's refusal", q, err)
		}
		wantCode(t, db.mapErr("audit", err), booking.EINVALID)
	}
	entries, err := db.Audit(ctx, booking.AuditFilter{})
	if err != nil || len(entries) != 1 || entries[0].Actor != "Front desk" {
		t.Fatalf("audit after the refused changes: %v, %v", entries, err)
	}
}

// Opening: a new database needs Create, a kapbook database refuses Create,
// another application's is refused, and the version counts every commit,
// from any connection.
func TestPostgres_OpenCreateVersion(t *testing.T) {
	url := pgtest.Shared(t)
	_, err := Open(url)
	wantCode(t, err, booking.ENOTFOUND)
	db, err := Create(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = Create(url)
	wantCode(t, err, booking.EINVALID)
	other, err := Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	v1, err := db.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, other, func(tx booking.Tx) error {
		return tx.SaveClinic(ctx, &booking.Clinic{Name: "Harbor", TimeZone: "America/New_York", Hours: weekdays("08:00-18:00")})
	})
	v2, err := db.Version(ctx)
	if err != nil || v2 == v1 {
		t.Fatalf("version %d before and %d (%v) after another connection's commit; want a change", v1, v2, err)
	}
	if v3, _ := db.Version(ctx); v3 != v2 {
		t.Fatalf("version moved from %d to %d without a commit", v2, v3)
	}

	// A database a newer kapbook wrote is refused, unchanged.
	pgtest.Exec(t, url, "UPDATE meta SET value = '99' WHERE key = 'schema'")
	_, err = Open(url)
	wantCode(t, err, booking.ESTORE)
	if !strings.Contains(booking.ErrorMessage(err), "newer version of kapbook") {
		t.Errorf("a newer schema: %q", booking.ErrorMessage(err))
	}
	if got := pgtest.Exec(t, url, "SELECT value FROM meta WHERE key = 'schema'"); !strings.Contains(got, "99") {
		t.Errorf("the refused database was changed: schema %q", got)
	}

	foreign := pgtest.Shared(t)
	pgtest.Exec(t, foreign, "CREATE TABLE invoices (id int)")
	_, err = Open(foreign)
	wantCode(t, err, booking.ESTORE)
	_, err = Create(foreign)
	wantCode(t, err, booking.ESTORE)
}

// A server that is not there, or a wrong password, is said in words,
// without the password.
func TestPostgres_Unreachable(t *testing.T) {
	for _, url := range []string{
		"postgres://kap:s3cret-pw@127.0.0.1:1/kapbook?sslmode=disable&connect_timeout=2",
		"postgres://kap:s3cret-pw@127.0.0.1:1/kapbook?sslmode=disable&password=s3cret-pw",
	} {
		_, err := Open(url)
		wantCode(t, err, booking.ESTORE)
		msg := booking.ErrorMessage(err)
		if strings.Contains(msg, "s3cret") || !strings.Contains(msg, "127.0.0.1:1") || !strings.Contains(msg, "cannot reach") {
			t.Errorf("%s: %q", Describe(url), msg)
		}
	}
	if d := Describe("postgres://kap:s3cret@db.example.org/kapbook"); strings.Contains(d, "s3cret") || !strings.Contains(d, "db.example.org") {
		t.Errorf("Describe: %q", d)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                                    "SELECT 1",
		"SELECT a FROM t WHERE x = ? AND y = ?":       "SELECT a FROM t WHERE x = $1 AND y = $2",
		"SELECT '?' , \"q?\" FROM t WHERE z IN (?,?)": "SELECT '?' , \"q?\" FROM t WHERE z IN ($1,$2)",
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// A server that goes away: Watch says so once, in words, and the store's
// calls fail with ESTORE saying nothing was saved; no half-saved work.
func TestPostgres_ServerGone(t *testing.T) {
	s := pgtest.Start(t)
	db, err := Create(s.CreateDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	health := make(chan error, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Watch(ctx, 100*time.Millisecond, func() {}, func(err error) { health <- err })
	}()
	time.Sleep(300 * time.Millisecond)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-health:
		wantCode(t, err, booking.ESTORE)
		if !strings.Contains(booking.ErrorMessage(err), "database server") {
			t.Errorf("health says %q", booking.ErrorMessage(err))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server's going away was not reported")
	}
	err = db.Update(context.Background(), func(tx booking.Tx) error {
		return tx.SaveClinic(context.Background(), &booking.Clinic{Name: "Harbor", TimeZone: "America/New_York", Hours: weekdays("08:00-18:00")})
	})
	wantCode(t, err, booking.ESTORE)
	if !strings.Contains(booking.ErrorMessage(err), "Nothing was saved") {
		t.Errorf("saving while the server is away: %q", booking.ErrorMessage(err))
	}
	select {
	case err := <-health:
		t.Fatalf("reported twice: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	<-done
}

// The password of a server's database is kept apart from its address: in
// the keyring (here the library's in-memory one), under an account that
// names user, server, port and database, never in what kapbook keeps or
// shows.
func TestPostgres_PasswordApart(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://kap:pw@DB.example.org/clinic?sslmode=verify-full":    "postgres kap@db.example.org:5432/clinic",
		"postgresql://kap@127.0.0.1:55432/kapbook?password=pw":           "postgres kap@127.0.0.1:55432/kapbook",
		"postgres://other@db.example.org:6432/clinic?sslmode=verify-ful": "postgres other@db.example.org:6432/clinic",
	} {
		if got := PasswordAccount(in); got != want {
			t.Errorf("PasswordAccount(%q) = %q, want %q", in, got, want)
		}
		kept, pw := WithoutPassword(in)
		if strings.Contains(kept, "pw") || PasswordAccount(kept) != want {
			t.Errorf("WithoutPassword(%q) = %q", in, kept)
		}
		if strings.Contains(in, "pw") != (pw == "pw") {
			t.Errorf("WithoutPassword(%q) found password %q", in, pw)
		}
	}
	secret.Mock()
	url := "postgres://kap@db.example.org/clinic"
	if err := SavePassword(url, "s3cret"); err != nil {
		t.Fatal(err)
	}
	if got, err := secret.Get(PasswordAccount("postgres://kap:other@db.example.org:5432/clinic?sslmode=require")); err != nil || got != "s3cret" {
		t.Fatalf("the keyring holds %q (%v)", got, err)
	}
	wantCode(t, SavePassword(url, "two\nlines"), booking.EINVALID)
}

// A server that asks for a password: without one kapbook says so in words
// (never printing a password); with the password in the keyring (here the
// in-memory one), the address alone opens the database.
func TestPostgres_PasswordFromKeyring(t *testing.T) {
	s := pgtest.Start(t)
	url := s.CreateDB(t)
	pgtest.Exec(t, url, "ALTER ROLE kap PASSWORD 'k3yring-pw'")
	hba := filepath.Join(s.Dir, "data", "pg_hba.conf")
	// Connections over TCP must give the password; the socket (pgtest's
	// own psql) stays trusted.
	if err := os.WriteFile(hba, []byte("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, url, "SELECT pg_reload_conf()")
	time.Sleep(200 * time.Millisecond)
	t.Cleanup(func() { // trust again, for pgtest's own clean-up
		os.WriteFile(hba, []byte("local all all trust\nhost all all 127.0.0.1/32 trust\n"), 0o600)
		pgtest.Psql(strings.Replace(url, "postgres://kap@", "postgres://kap:k3yring-pw@", 1), "SELECT pg_reload_conf()")
		time.Sleep(200 * time.Millisecond)
	})

	secret.Mock()
	secret.Delete(PasswordAccount(url))
	_, err := Create(url)
	wantCode(t, err, booking.ESTORE)
	if msg := booking.ErrorMessage(err); !strings.Contains(msg, "password") || strings.Contains(msg, "k3yring") {
		t.Fatalf("without a password: %q", msg)
	}
	if err := SavePassword(url, "k3yring-pw"); err != nil {
		t.Fatal(err)
	}
	db, err := Create(url)
	if err != nil {
		t.Fatalf("with the password in the keyring: %v", err)
	}
	db.Close()
	withPw := strings.Replace(url, "postgres://kap@", "postgres://kap:wrong@", 1)
	_, err = Open(withPw)
	wantCode(t, err, booking.ESTORE)
	if strings.Contains(booking.ErrorMessage(err), "wrong") {
		t.Fatalf("the password shows: %q", booking.ErrorMessage(err))
	}
}
