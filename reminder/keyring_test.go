package reminder

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/secret"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// noSession makes this process look like a server without a desktop
// session (as CI is) for the rest of the test, even when MockKeyring was
// called before.
func noSession(t *testing.T) {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	was := secret.Mocked()
	secret.SetMocked(false)
	t.Cleanup(func() { secret.SetMocked(was) })
}

// Without a keyring, saving a password and finding one both fail with
// words that name the environment variable, and the variable works.
func TestPassword_NoKeyring(t *testing.T) {
	noSession(t)
	t.Setenv(PasswordEnv, "")
	if err := CheckKeyring(); booking.ErrorCode(err) != booking.ESTORE || !strings.Contains(booking.ErrorMessage(err), PasswordEnv) {
		t.Fatalf("CheckKeyring=%v, want ESTORE naming %s", err, PasswordEnv)
	}
	err := SavePassword("desk", "smtp.example.org", "s3cret-pw")
	if booking.ErrorCode(err) != booking.ESTORE || !strings.Contains(booking.ErrorMessage(err), PasswordEnv) {
		t.Fatalf("SavePassword=%v, want ESTORE naming %s", err, PasswordEnv)
	}
	src, err := PasswordSource("desk", "smtp.example.org")
	if src != PasswordNone || !strings.Contains(booking.ErrorMessage(err), PasswordEnv) {
		t.Fatalf("PasswordSource=%s, %v; want none and a message naming %s", src, err, PasswordEnv)
	}
	if src, err := PasswordSource("", "smtp.example.org"); src != PasswordNone || err != nil {
		t.Fatalf("PasswordSource without a user=%s, %v; want none and no error", src, err)
	}
	t.Setenv(PasswordEnv, "from-env")
	if p, src, err := password("desk", "smtp.example.org"); p != "from-env" || src != PasswordFromEnv || err != nil {
		t.Fatalf("password=%q, %s, %v; want the environment's", p, src, err)
	}
}

// With a keyring (the library's in-memory mock), the password is stored
// under service "kapbook" and user@host, found by Setup for the clinic's
// SMTP settings, overridden by the environment variable, never in an
// error or in the SMTP transport's description, and deleted.
func TestPassword_Keyring(t *testing.T) {
	MockKeyring()
	t.Setenv(PasswordEnv, "")
	if err := CheckKeyring(); err != nil {
		t.Fatalf("CheckKeyring with a keyring: %v", err)
	}
	const pw = "s3cret-pw"
	for name, args := range map[string][3]string{
		"ErrNoUser":     {"", "smtp.example.org", pw},
		"ErrNoPassword": {"desk", "smtp.example.org", ""},
		"ErrLineBreak":  {"desk", "smtp.example.org", "a\nb"},
	} {
		if err := SavePassword(args[0], args[1], args[2]); booking.ErrorCode(err) != booking.EINVALID {
			t.Fatalf("%s: SavePassword=%v, want EINVALID", name, err)
		}
	}
	src, err := PasswordSource("desk", "smtp.example.org")
	if src != PasswordNone || !strings.Contains(booking.ErrorMessage(err), "No password is stored for desk on smtp.example.org") {
		t.Fatalf("before saving: %s, %v", src, err)
	}
	if err := SavePassword("desk", "smtp.example.org", pw); err != nil {
		t.Fatal(err)
	}
	if src, err := PasswordSource("desk", "SMTP.example.org"); src != PasswordFromKeyring || err != nil {
		t.Fatalf("PasswordSource=%s, %v; want keyring", src, err)
	}
	if src, _ := PasswordSource("other", "smtp.example.org"); src != PasswordNone {
		t.Fatalf("another user's password: %s, want none", src)
	}

	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clinic.db")
	db, err := store.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "test"}
	if err := svc.SetEmail(ctx, &booking.EmailSettings{Transport: booking.EmailSMTP, Host: "smtp.example.org", User: "desk",
		From: "appointments@example.org"}); err != nil {
		t.Fatal(err)
	}
	_, tr, err := Setup(ctx, db, path)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := tr.(*SMTP)
	if !ok || s.Password != pw {
		t.Fatalf("transport=%T, want SMTP with the keyring's password", tr)
	}
	if strings.Contains(s.String(), pw) {
		t.Fatalf("the transport's description shows the password: %s", s)
	}
	t.Setenv(PasswordEnv, "from-env")
	if _, tr, err := Setup(ctx, db, path); err != nil || tr.(*SMTP).Password != "from-env" {
		t.Fatalf("Setup with %s set: %v", PasswordEnv, err)
	}
	t.Setenv(PasswordEnv, "")

	if err := DeletePassword("desk", "smtp.example.org"); err != nil {
		t.Fatal(err)
	}
	if err := DeletePassword("desk", "smtp.example.org"); err != nil {
		t.Fatalf("deleting again: %v", err)
	}
	_, _, err = Setup(ctx, db, path)
	if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), PasswordEnv) {
		t.Fatalf("Setup without a password=%v, want EINVALID naming %s", err, PasswordEnv)
	}
	// A preview needs no password.
	if comp, err := NewComposer(ctx, db); err != nil || comp.FromAddress != "appointments@example.org" {
		t.Fatalf("NewComposer without a password: %+v, %v", comp, err)
	}
}
