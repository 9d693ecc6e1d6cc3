// Package secret keeps kapbook's passwords in the OS keyring (Secret
// Service on Linux, Keychain on macOS, Credential Manager on Windows),
// never in a database or a file of kapbook's: the SMTP password
// (package reminder) and the password of a clinic's PostgreSQL database
// (package store). Every call is bounded in time, and on a computer
// without a desktop session the keyring is not asked at all.
package secret

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the service name kapbook's passwords are stored under; each
// has an account of its own.
const Service = "kapbook"

// timeout bounds one keyring call: unlocking a locked keyring may ask the
// user for its password.
const timeout = 2 * time.Minute

// ErrNoKeyring is returned (wrapped) when this computer's keyring cannot be
// reached: no D-Bus session on Linux (a server, a container, CI).
var ErrNoKeyring = errors.New("the keyring of this computer cannot be reached")

// ErrTimeout is a keyring call that did not return in time.
var ErrTimeout = errors.New("the keyring did not answer")

// ErrNotFound is returned by Get when nothing is stored for the account.
var ErrNotFound = keyring.ErrNotFound

// mocked is set by Mock.
var mocked atomic.Bool

// Mock replaces the OS keyring with one in memory, for tests, for the rest
// of the process.
func Mock() {
	keyring.MockInit()
	mocked.Store(true)
}

// Mocked reports whether Mock was called.
func Mocked() bool { return mocked.Load() }

// SetMocked sets what Mocked reports, for a test that plays a computer
// without a keyring after Mock (the in-memory keyring stays).
func SetMocked(on bool) { mocked.Store(on) }

// Set stores secret for account.
func Set(account, secret string) error {
	return call(func() error { return keyring.Set(Service, account, secret) })
}

// Get returns the secret stored for account, or ErrNotFound.
func Get(account string) (string, error) {
	var s string
	err := call(func() error {
		var err error
		s, err = keyring.Get(Service, account)
		return err
	})
	return s, err
}

// Delete removes the secret of account; nothing stored is no error.
func Delete(account string) error {
	err := call(func() error { return keyring.Delete(Service, account) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// call runs f against the OS keyring: ErrNoKeyring when there is none to
// reach, ErrTimeout when it does not answer in time.
func call(f func() error) error {
	if err := Reachable(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return ErrTimeout
	}
}

// Reachable returns ErrNoKeyring when the keyring cannot be reached. On
// Linux and the BSDs that needs a D-Bus session bus: without one the
// library would start a new bus with dbus-launch on every call and leave
// it running, so it is not asked at all.
func Reachable() error {
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
