package store

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestWindowsPath: on Windows the database lives under %LOCALAPPDATA%,
// else %APPDATA%, else the home folder, never in ~/.local/share (issue 15,
// item 3).
func TestWindowsPath(t *testing.T) {
	root := t.TempDir() // absolute here and on Windows
	local, roaming, home := filepath.Join(root, "Local"), filepath.Join(root, "Roaming"), filepath.Join(root, "front")
	homeDir := func() (string, error) { return home, nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	for _, tc := range []struct {
		name string
		env  map[string]string
		home func() (string, error)
		want string
	}{
		{"LocalAppData", map[string]string{"LOCALAPPDATA": local, "APPDATA": roaming}, homeDir, filepath.Join(local, "kapbook", "kapbook.db")},
		{"AppData", map[string]string{"APPDATA": roaming}, homeDir, filepath.Join(roaming, "kapbook", "kapbook.db")},
		{"RelativeIgnored", map[string]string{"LOCALAPPDATA": "Local", "APPDATA": roaming}, homeDir, filepath.Join(roaming, "kapbook", "kapbook.db")},
		{"Home", map[string]string{}, homeDir, filepath.Join(home, "kapbook", "kapbook.db")},
		{"Nothing", map[string]string{}, noHome, "kapbook.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			if got := windowsPath(getenv, tc.home); got != tc.want {
				t.Fatalf("windowsPath=%q, want %q", got, tc.want)
			}
		})
	}
}
