package reminder

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/kapbook/kapbook/booking"
)

// KeyringService is the service name the SMTP password is stored under in
// the OS keyring (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows); the account is the SMTP user, "@" and the host.
const KeyringService = "kapbook"

// keyringTimeout bounds one keyring call: unlocking a locked keyring may
// ask the user for its password.
const keyringTimeout = 2 * time.Minute

// ErrNoKeyring is returned (wrapped) when this computer's keyring cannot be
// reached: no D-Bus session on Linux (a server, a container, CI).
var ErrNoKeyring = errors.New("reminder: the keyring of this computer cannot be reached")

// errTimeout is a keyring call that did not return in time.
var errTimeout = errors.New("reminder: the keyring did not answer")

// mocked is set by MockKeyring.
var mocked atomic.Bool

// MockKeyring replaces the OS keyring with one in memory
// (keyring.MockInit), for tests, for the rest of the process.
func MockKeyring() {
	keyring.MockInit()
	mocked.Store(true)
}

// PasswordOrigin says where Setup finds the SMTP password.
type PasswordOrigin string

// The places an SMTP password can come from.
const (
	// PasswordFromEnv is the environment variable PasswordEnv, which
	// comes first.
	PasswordFromEnv PasswordOrigin = "environment"
	// PasswordFromKeyring is the OS keyring.
	PasswordFromKeyring PasswordOrigin = "keyring"
	// PasswordNone means there is no password: none is needed (no user),
	// or it is missing.
	PasswordNone PasswordOrigin = "none"
)

// account is the keyring account of user at host.
func account(user, host string) string {
	return strings.TrimSpace(user) + "@" + strings.ToLower(strings.TrimSpace(host))
}

// SavePassword stores the SMTP password of user at host in the OS keyring
// under KeyringService. It never logs or returns the password. Returns
// EINVALID for a missing user, host or password, and an ESTORE error
// naming PasswordEnv when the keyring cannot be reached.
func SavePassword(user, host, password string) error {
	if strings.TrimSpace(user) == "" || strings.TrimSpace(host) == "" {
		return booking.Errorf(booking.EINVALID, "Set the mail server and its user name first (kapctl email set --host H --user U); the password belongs to them.")
	}
	if password == "" {
		return booking.Errorf(booking.EINVALID, "The password is empty; nothing was saved.")
	}
	if strings.ContainsAny(password, "\r\n\x00") {
		return booking.Errorf(booking.EINVALID, "The password contains a line break; type it on one line.")
	}
	err := keyringCall(func() error { return keyring.Set(KeyringService, account(user, host), password) })
	if err != nil {
		return keyringError(err)
	}
	return nil
}

// DeletePassword removes the SMTP password of user at host from the OS
// keyring; it is no error when there is none.
func DeletePassword(user, host string) error {
	err := keyringCall(func() error { return keyring.Delete(KeyringService, account(user, host)) })
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return keyringError(err)
	}
	return nil
}

// CheckKeyring returns an ESTORE error naming PasswordEnv when this
// computer has no keyring kapbook can reach, without asking the keyring
// anything: a screen or a command can say so before asking for a
// password.
func CheckKeyring() error {
	if err := keyringReachable(); err != nil {
		return keyringError(err)
	}
	return nil
}

// PasswordSource reports where Setup would take the SMTP password of user
// at host from, without revealing it: PasswordEnv when set, else the OS
// keyring, else PasswordNone. With PasswordNone, err says why in words
// (no password stored, or no keyring here, naming PasswordEnv); it is nil
// when no user is set, since then no password is needed.
func PasswordSource(user, host string) (PasswordOrigin, error) {
	_, o, err := password(user, host)
	return o, err
}

// password returns the SMTP password of user at host and where it came
// from: PasswordEnv first, then the OS keyring.
func password(user, host string) (string, PasswordOrigin, error) {
	if p := os.Getenv(PasswordEnv); p != "" {
		return p, PasswordFromEnv, nil
	}
	if strings.TrimSpace(user) == "" {
		return "", PasswordNone, nil
	}
	var p string
	err := keyringCall(func() error {
		var err error
		p, err = keyring.Get(KeyringService, account(user, host))
		return err
	})
	switch {
	case err == nil && p != "":
		return p, PasswordFromKeyring, nil
	case err == nil || errors.Is(err, keyring.ErrNotFound):
		return "", PasswordNone, booking.Errorf(booking.EINVALID,
			"No password is stored for %s on %s: store it with kapctl email password (or in the email settings), or set %s.",
			booking.Clip(user, 40), booking.Clip(host, 40), PasswordEnv)
	}
	return "", PasswordNone, keyringError(err)
}

// keyringError explains a failed keyring call; it never holds the
// password (the library's errors do not).
func keyringError(err error) error {
	if errors.Is(err, ErrNoKeyring) {
		return booking.Errorf(booking.ESTORE,
			"This computer has no keyring kapbook can reach (no desktop session); set the mail server's password in the environment variable %s instead.", PasswordEnv)
	}
	if errors.Is(err, errTimeout) {
		return booking.Errorf(booking.ESTORE,
			"The keyring did not answer (is it locked?); unlock it and try again, or set the password in %s.", PasswordEnv)
	}
	return booking.Errorf(booking.ESTORE,
		"The keyring refused the request (%s); set the mail server's password in %s instead.", booking.Clip(booking.OneLine(cleanText(err.Error())), 40), PasswordEnv)
}

// keyringCall runs f against the OS keyring: ErrNoKeyring when there is
// none to reach, errTimeout when it does not answer within keyringTimeout.
func keyringCall(f func() error) error {
	if err := keyringReachable(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(keyringTimeout):
		return errTimeout
	}
}

// keyringReachable returns ErrNoKeyring when the keyring cannot be
// reached. On Linux and the BSDs that needs a D-Bus session bus: without
// one the library would start a new bus with dbus-launch on every call
// and leave it running, so it is not asked at all.
func keyringReachable() error {
	if mocked.Load() {
		return nil
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		return nil
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil && fi.Mode().Type() == os.ModeSocket {
			return nil
		}
	}
	return ErrNoKeyring
}
