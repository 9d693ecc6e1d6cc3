package reminder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kapbook/kapbook/booking"
)

// PasswordEnv is the environment variable holding the SMTP password,
// which is never stored in the database; when it is not set, the password
// comes from the OS keyring (SavePassword).
const PasswordEnv = "KAPBOOK_SMTP_PASSWORD"

// DefaultDirName is the folder, beside the database, that .eml files go
// to when the clinic has no email settings or no folder set.
const DefaultDirName = "outbox-eml"

// Setup returns the composer and the transport that the clinic's email
// settings describe, for the database at dbPath. The composer uses the
// clinic's own templates (ClinicTemplates) as the message's clinic has
// them when it composes, the defaults for the rest.
// The SMTP password is read from PasswordEnv, else from the OS keyring
// (SavePassword); when a user is set and neither has it, Setup returns an
// error saying so, naming PasswordEnv. An .eml folder is created (mode
// 0700) if missing.
func Setup(ctx context.Context, st booking.Reader, dbPath string) (*Composer, Transport, error) {
	c, err := st.Clinic(ctx)
	if err != nil {
		return nil, nil, err
	}
	comp, err := composerFor(ctx, st, c)
	if err != nil {
		return nil, nil, err
	}
	e := c.Email
	if e == nil {
		e = &booking.EmailSettings{Transport: booking.EmailEMLDir}
	}
	pw := ""
	if e.Transport == booking.EmailSMTP {
		if pw, _, err = password(e.User, e.Host); err != nil {
			return nil, nil, err
		}
	}
	tr, err := transportFor(e, dbPath, pw)
	if err != nil {
		return nil, nil, err
	}
	return comp, tr, nil
}

// NewComposer returns the composer the clinic's settings describe, as
// Setup does, without the transport: for previews, which need neither the
// mail server nor its password.
func NewComposer(ctx context.Context, st booking.Reader) (*Composer, error) {
	c, err := st.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	return composerFor(ctx, st, c)
}

// composerFor returns the composer of clinic c: its sending address and
// name, its own templates, the database's instance id.
func composerFor(ctx context.Context, st booking.Reader, c *booking.Clinic) (*Composer, error) {
	id, err := st.InstanceID(ctx)
	if err != nil {
		return nil, err
	}
	comp := &Composer{FromAddress: booking.DefaultEmailFrom, InstanceID: id}
	if e := c.Email; e != nil {
		comp.FromName = e.FromName
		if e.From != "" {
			comp.FromAddress = e.From
		}
	}
	return comp, nil
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
