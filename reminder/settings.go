package reminder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kapbook/kapbook/booking"
)

// PasswordEnv is the environment variable holding the SMTP password,
// which is never stored in the database.
const PasswordEnv = "KAPBOOK_SMTP_PASSWORD"

// DefaultDirName is the folder, beside the database, that .eml files go
// to when the clinic has no email settings or no folder set.
const DefaultDirName = "outbox-eml"

// Setup returns the composer and the transport that the clinic's email
// settings describe, for the database at dbPath. The SMTP password is
// read from PasswordEnv. An .eml folder is created (mode 0700) if
// missing. Templates are the defaults.
func Setup(ctx context.Context, st booking.Reader, dbPath string) (*Composer, Transport, error) {
	c, err := st.Clinic(ctx)
	if err != nil {
		return nil, nil, err
	}
	id, err := st.InstanceID(ctx)
	if err != nil {
		return nil, nil, err
	}
	e := c.Email
	if e == nil {
		e = &booking.EmailSettings{Transport: booking.EmailEMLDir}
	}
	comp := &Composer{FromAddress: e.From, FromName: e.FromName, InstanceID: id}
	if comp.FromAddress == "" {
		comp.FromAddress = booking.DefaultEmailFrom
	}
	tr, err := transportFor(e, dbPath, os.Getenv(PasswordEnv))
	if err != nil {
		return nil, nil, err
	}
	return comp, tr, nil
}

// transportFor returns the transport of e.
func transportFor(e *booking.EmailSettings, dbPath, password string) (Transport, error) {
	if e.Transport == booking.EmailSMTP {
		s := &SMTP{Host: e.Host, Port: e.Port, Security: Security(e.Security), User: e.User, Password: password,
			AllowPlainRemote: e.AllowPlainRemote}
		if err := s.Check(); err != nil {
			return nil, err
		}
		return s, nil
	}
	dir := e.Dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(dbPath), DefaultDirName)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("reminder: the .eml folder: %w", err)
	}
	return EMLDir{Dir: dir}, nil
}

// CheckSettings returns an error when e cannot be used to send, beyond
// what e.Validate checks: plain SMTP to a remote server that is not
// allowed, or a password that would travel in plain text.
func CheckSettings(e *booking.EmailSettings) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Transport != booking.EmailSMTP {
		return nil
	}
	s := SMTP{Host: e.Host, Port: e.Port, Security: Security(e.Security), User: e.User, AllowPlainRemote: e.AllowPlainRemote}
	return s.Check()
}
