package reminder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/peer"
)

// keyringChildEnv marks the process TestKeyring_SecretService starts inside
// a private D-Bus session with gnome-keyring.
const keyringChildEnv = "KAPBOOK_KEYRING_CHILD"

// The password goes into a real Secret Service (gnome-keyring, as on a
// Linux desktop) and comes back out: stored under service "kapbook" and
// user@host, found by PasswordSource and Setup, deleted. The keyring runs
// in a private D-Bus session of its own, in temporary folders, so the
// user's own keyring is never touched.
func TestKeyring_SecretService(t *testing.T) {
	if os.Getenv(keyringChildEnv) == "1" {
		secretServiceChild(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service peer runs on Linux")
	}
	var missing error
	for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = fmt.Errorf("%s not found (Debian packages dbus-daemon and gnome-keyring)", bin)
		}
	}
	peer.Require(t, missing)

	tmp := t.TempDir()
	env := []string{keyringChildEnv + "=1", PasswordEnv + "=", "HOME=" + filepath.Join(tmp, "home"), "XDG_RUNTIME_DIR=" + filepath.Join(tmp, "run"),
		"XDG_DATA_HOME=" + filepath.Join(tmp, "data"), "XDG_CONFIG_HOME=" + filepath.Join(tmp, "config"), "XDG_CACHE_HOME=" + filepath.Join(tmp, "cache")}
	for _, e := range env[2:] {
		if err := os.MkdirAll(e[strings.IndexByte(e, '=')+1:], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// gnome-keyring-daemon --unlock creates and unlocks the login keyring
	// with the password on its standard input, then the test binary runs
	// this test again as the child.
	script := `printf '%s' kapbook-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" -test.run='^TestKeyring_SecretService$' -test.count=1 -test.v`
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c", script, os.Args[0])
	cmd.Env = append(withoutEnv(os.Environ(), "DBUS_SESSION_BUS_ADDRESS", "HOME", "XDG_RUNTIME_DIR", PasswordEnv), env...)
	// The session's daemons may outlive a killed dbus-run-session and hold
	// the output open: stop waiting for them soon after.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestKeyring_SecretService") {
		t.Fatalf("the child in a D-Bus session with gnome-keyring: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "s3cret-real") {
		t.Fatalf("the password shows in the output:\n%s", out)
	}
}

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, e := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(e, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, e)
		}
	}
	return out
}

// secretServiceChild runs inside the private session.
func secretServiceChild(t *testing.T) {
	const user, host, pw = "desk@example.org", "smtp.example.org", "s3cret-real"
	if err := CheckKeyring(); err != nil {
		t.Fatalf("CheckKeyring in a D-Bus session: %v", err)
	}
	if src, err := PasswordSource(user, host); src != PasswordNone || err == nil || !strings.Contains(booking.ErrorMessage(err), "No password is stored") {
		t.Fatalf("before saving: %s, %v", src, err)
	}
	if err := SavePassword(user, host, pw); err != nil {
		t.Fatalf("SavePassword: %v", err)
	}
	if got, err := keyring.Get(KeyringService, user+"@"+host); err != nil || got != pw {
		t.Fatalf("the keyring holds %d characters under %s/%s@%s (%v), want the password", len(got), KeyringService, user, host, err)
	}
	if p, src, err := password(user, host); p != pw || src != PasswordFromKeyring || err != nil {
		t.Fatalf("password: %d characters from %s, %v", len(p), src, err)
	}
	if err := SavePassword(user, host, pw+"-2"); err != nil {
		t.Fatalf("SavePassword again: %v", err)
	}
	if p, _, _ := password(user, host); p != pw+"-2" {
		t.Fatal("saving again did not replace the password")
	}
	if err := DeletePassword(user, host); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(KeyringService, user+"@"+host); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("after delete: %v, want not found", err)
	}
}
