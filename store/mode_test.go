package store

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestWindowsModes plays Windows, where a chmod of the -wal or -shm file
// SQLite holds open fails with a sharing violation (issue 15, item 2):
// creating, opening and backing up a database never change a mode there,
// so they all work.
func TestWindowsModes(t *testing.T) {
	sqliteOnly(t)
	defer func(m bool, set, c func(string, os.FileMode) error) { modes, setMode, chmod = m, set, c }(modes, setMode, chmod)
	modes = false
	refuse := func(name string, _ os.FileMode) error {
		t.Errorf("chmod %s on Windows", name)
		// ERROR_SHARING_VIOLATION, as Windows answers for an open file.
		return &os.PathError{Op: "chmod", Path: name, Err: syscall.Errno(32)}
	}
	setMode, chmod = refuse, refuse
	dir := t.TempDir()
	path := filepath.Join(dir, "new folder", "kapbook.db")
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	MustFixture(t, db)
	if err := db.Backup(t.Context(), filepath.Join(dir, "backups", "copy.db")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A mode that would be loose elsewhere means nothing here.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// TestTighten: elsewhere, modes are set as before.
func TestTighten(t *testing.T) {
	if !modes {
		t.Skip("Windows: modes are left alone")
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tighten(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode=%v (%v), want 600", fi.Mode().Perm(), err)
	}
}

// TestWindowsReadOnlyWords: on Windows a read-only database's refusal
// names the file's Read-only box, not chmod.
func TestWindowsReadOnlyWords(t *testing.T) {
	defer func(m bool) { modes = m }(modes)
	modes = false
	got := (&readOnly{path: `C:\kb\clinic.db`, why: roFile}).message()
	if strings.Contains(got, "chmod") || !strings.Contains(got, "clear Read-only in the file's Properties") {
		t.Fatalf("message=%q, want the Read-only box and no chmod", got)
	}
}
