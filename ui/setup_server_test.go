package ui_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/internal/pgtest"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui/kit"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The first-run setup of a workstation whose clinic keeps its data on a
// PostgreSQL server: a wrong address is refused in words; the server's
// empty database is set up by the form; a second workstation connecting
// to it finds the clinic at once; each remembers the server without its
// password, and no file is made on this computer.
func TestSetup_Server(t *testing.T) {
	url := pgtest.Shared(t)
	path := filepath.Join(t.TempDir(), "kapbook.db")
	s, env := firstRun(t, path, nil)
	su := s.Setup
	test.Type(su.Server, "db.clinic.example/kapbook")
	test.Tap(su.Connect)
	if s.Ready() || !su.Problem.Visible() || !strings.Contains(su.Problem.Text, "postgres://") {
		t.Fatalf("a wrong address: ready %v, problem %q", s.Ready(), su.Problem.Text)
	}

	withPassword := strings.Replace(url, "postgres://kap@", "postgres://kap:not-kept@", 1)
	su.Server.SetText(withPassword)
	test.Tap(su.Connect)
	if s.Ready() || su.Problem.Visible() || env.DBPath != withPassword {
		t.Fatalf("connected to an empty database: ready %v, problem %q, database %q", s.Ready(), su.Problem.Text, env.DBName())
	}
	kept := env.App.Preferences().String(kit.PrefDatabase)
	if strings.Contains(kept, "not-kept") || !strings.HasPrefix(kept, "postgres://kap@127.0.0.1") {
		t.Fatalf("the workstation remembers %q", kept)
	}
	test.Type(su.Name, "Lakeside Clinic")
	test.Type(su.Therapist, "Dr. Kim Lee")
	test.Type(su.Room, "Room 1")
	test.Tap(su.Create)
	if !s.Ready() || !strings.Contains(s.StatusText(), "Lakeside Clinic") {
		t.Fatalf("after Create: ready %v, status %q, problem %q", s.Ready(), s.StatusText(), su.Problem.Text)
	}
	if exists(path) {
		t.Fatal("a database file was made on this computer")
	}

	// Another workstation: the clinic is there.
	s2, env2 := firstRun(t, filepath.Join(t.TempDir(), "kapbook.db"), nil)
	s2.Setup.Server.SetText(url)
	test.Tap(s2.Setup.Connect)
	if !s2.Ready() || !strings.Contains(s2.StatusText(), "Lakeside Clinic") {
		t.Fatalf("the second workstation: ready %v, status %q, problem %q", s2.Ready(), s2.StatusText(), s2.Setup.Problem.Text)
	}
	db, err := store.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c, err := db.Clinic(context.Background()); err != nil || c.Name != "Lakeside Clinic" {
		t.Fatalf("the server holds %v, %v", c, err)
	}
	_ = env2
}
