package reminder

import (
	"errors"
	"os"
	"strings"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/secret"
)

// KeyringService is the service name the SMTP password is stored under in
// the OS keyring (internal/secret); the account is the SMTP user, "@" and
// the host.
const KeyringService = secret.Service

// ErrNoKeyring is returned (wrapped) when this computer's keyring cannot be
// reached: no D-Bus session on Linux (a server, a container, CI).
var ErrNoKeyring = secret.ErrNoKeyring

// MockKeyring replaces the OS keyring with one in memory, for tests, for
// the rest of the process.
func MockKeyring() { secret.Mock() }

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
	if err := secret.Set(account(user, host), password); err != nil {
		return keyringError(err)
	}
	return nil
}

// DeletePassword removes the SMTP password of user at host from the OS
// keyring; it is no error when there is none.
func DeletePassword(user, host string) error {
	if err := secret.Delete(account(user, host)); err != nil {
		return keyringError(err)
	}
	return nil
}

// CheckKeyring returns an ESTORE error naming PasswordEnv when this
// computer has no keyring kapbook can reach, without asking the keyring
// anything: a screen or a command can say so before asking for a
// password.
func CheckKeyring() error {
	if err := secret.Reachable(); err != nil {
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
	p, err := secret.Get(account(user, host))
	switch {
	case err == nil && p != "":
		return p, PasswordFromKeyring, nil
	case err == nil || errors.Is(err, secret.ErrNotFound):
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
	if errors.Is(err, secret.ErrTimeout) {
		return booking.Errorf(booking.ESTORE,
			"The keyring did not answer (is it locked?); unlock it and try again, or set the password in %s.", PasswordEnv)
	}
	return booking.Errorf(booking.ESTORE,
		"The keyring refused the request (%s); set the mail server's password in %s instead.", booking.Clip(booking.OneLine(cleanText(err.Error())), 40), PasswordEnv)
}
