package caldav

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// TestFilePassword: a line is USER@HOST, a space or a tab, and the
// password, the rest of the line (spaces and tabs in it kept); the host
// with its port, user and host matched in any case; comments and blank
// lines skipped; a file others may read is refused.
func TestFilePassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwords")
	file := "# CalDAV passwords\n\n" +
		"tara@dav.example.org s3cret\n" +
		"Ana@DAV.example.org:8443\tpass word\twith tab\r\n" +
		"  lee@dav.example.org   leading spaces kept\n" +
		"nopassword@dav.example.org\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PasswordsEnv, path)
	for _, tc := range []struct {
		user, address, want string
		ok                  bool
	}{
		{"tara", "https://dav.example.org/tara/calendar/", "s3cret", true},
		{"ana", "https://dav.example.org:8443/ana/", "pass word\twith tab", true},
		{"lee", "https://dav.example.org/lee/", "  leading spaces kept", true},
		{"tara", "https://other.example.org/tara/", "", false},
		{"nopassword", "https://dav.example.org/", "", false},
		{"nobody", "https://dav.example.org/", "", false},
	} {
		got, ok, err := FilePassword(tc.user, tc.address)
		if err != nil || ok != tc.ok || got != tc.want {
			t.Errorf("%s at %s: %q, %v, %v; want %q, %v", tc.user, tc.address, got, ok, err, tc.want, tc.ok)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := FilePassword("tara", "https://dav.example.org/"); booking.ErrorCode(err) != booking.EINVALID {
		t.Fatalf("a file others may read: %v, want refused", err)
	}
}
