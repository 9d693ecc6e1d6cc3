package booking

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The ways of delivering patient email.
const (
	EmailEMLDir = "eml-dir" // .eml files in a folder, for trying kapbook out
	EmailSMTP   = "smtp"    // a mail server
)

// DefaultEmailFrom is the sending address when none is configured: it
// cannot be delivered to, which is right for .eml files.
const DefaultEmailFrom = "appointments@kapbook.invalid"

// EmailSettings say how the clinic's patient email is delivered. The SMTP
// password is never stored here: it comes from the environment
// (KAPBOOK_SMTP_PASSWORD) or the OS keyring when mail is sent.
type EmailSettings struct {
	Transport string       `json:"transport"`          // eml-dir or smtp
	Dir       string       `json:"dir,omitempty"`      // eml-dir: the folder; empty: outbox-eml beside the database
	Host      string       `json:"host,omitempty"`     // smtp
	Port      int          `json:"port,omitempty"`     // smtp; 0: the usual port for Security
	Security  MailSecurity `json:"security,omitempty"` // smtp: starttls (default), tls or none
	User      string       `json:"user,omitempty"`     // smtp: login name; empty: no login
	From      string       `json:"from,omitempty"`     // the sending address
	FromName  string       `json:"from_name,omitempty"`
	// AllowPlainRemote allows security "none" to a server that is not on
	// this computer.
	AllowPlainRemote bool `json:"allow_plain_remote,omitempty"`
}

// Validate checks the settings, with messages for the front desk.
func (e *EmailSettings) Validate() error {
	switch e.Transport {
	case EmailEMLDir, EmailSMTP:
	default:
		return Errorf(EINVALID, "%q is not a way of sending email; use smtp or eml-dir.", Clip(e.Transport, 30))
	}
	if err := checkText("The .eml folder", e.Dir, 1000, false); err != nil {
		return err
	}
	if e.From != "" {
		if err := CheckEmail(e.From); err != nil {
			return Errorf(EINVALID, "The sending address %q is not a valid email address; write it as appointments@example.org.", Clip(e.From, 60))
		}
	}
	if err := checkText("The sender's name", e.FromName, 100, false); err != nil {
		return err
	}
	if e.Transport == EmailEMLDir {
		return nil
	}
	if e.Host == "" || strings.ContainsAny(e.Host, " /@") {
		return Errorf(EINVALID, "The mail server needs a host name such as smtp.example.org.")
	}
	if err := checkText("The mail server's host name", e.Host, 253, true); err != nil {
		return err
	}
	if e.Port < 0 || e.Port > 65535 {
		return Errorf(EINVALID, "%d is not a port; use a number from 1 to 65535, usually 587.", e.Port)
	}
	if !e.Security.valid() {
		return Errorf(EINVALID, "%q is not a kind of mail-server security; use starttls, tls or none.", Clip(string(e.Security), 30))
	}
	if err := checkText("The mail server's user name", e.User, 254, false); err != nil {
		return err
	}
	if e.From == "" {
		return Errorf(EINVALID, "Sending through a mail server needs the sending address, such as appointments@example.org.")
	}
	return nil
}

// SetEmail saves the clinic's email settings (nil: .eml files beside the
// database), with an audit entry. Returns EINVALID for settings that fail
// validation.
func (s *Service) SetEmail(ctx context.Context, e *EmailSettings) error {
	if e != nil {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		if e != nil {
			for _, f := range [...]struct{ what, s string }{{"The sender's name", e.FromName}, {"The sending address", e.From}} {
				if err := checkTreatmentWords(c, f.what, f.s); err != nil {
					return err
				}
			}
		}
		before := auditJSON(c.Email)
		c.Email = e
		if err := tx.SaveClinic(ctx, c); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "email-settings", Before: before, After: auditJSON(e)})
	})
}

// RetryOutbox puts a failed outbox message back in the queue, due now,
// with its attempts reset, and records it in the audit. Returns ENOTFOUND
// for an unknown message and ECONFLICT for one that has not failed.
func (s *Service) RetryOutbox(ctx context.Context, id int64) (*OutboxMessage, error) {
	var m *OutboxMessage
	err := s.Store.Update(ctx, func(tx Tx) error {
		msgs, err := tx.Outbox(ctx, OutboxFilter{ID: id})
		if err != nil {
			return err
		}
		if len(msgs) == 1 {
			m = msgs[0]
		}
		if m == nil {
			return Errorf(ENOTFOUND, "There is no outbox message with id %d.", id)
		}
		// A skipped message can be retried too: a dispatcher with a wrong
		// clock, or settings since put right, may have skipped it.
		if m.State != OutboxFailed && m.State != OutboxSkipped {
			return Errorf(ECONFLICT, "Outbox message %d is %s; only a failed or skipped message can be retried.", id, m.State)
		}
		before := auditJSON(m)
		now := s.now()
		m.State, m.Attempts, m.NextAttempt, m.Updated = OutboxPending, 0, time.Time{}, now
		if m.Due.After(now) {
			m.Due = now
		}
		if err := tx.UpdateOutbox(ctx, m); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "outbox-retry", PatientID: m.PatientID,
			SeriesID: m.SeriesID, AppointmentID: m.AppointmentID, Before: before, After: auditJSON(m)})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// MaxTemplateSize is the longest a template part may be, in bytes.
const MaxTemplateSize = 64 << 10

// TemplateText is a clinic's own template of one kind of patient email:
// the text/template of the subject and plain text, and the html/template
// of the HTML part (package reminder says what each must define). An
// empty part uses the embedded default.
type TemplateText struct {
	Text string `json:"text,omitempty"`
	HTML string `json:"html,omitempty"`
}

// IsZero reports whether t overrides nothing.
func (t TemplateText) IsZero() bool { return t.Text == "" && t.HTML == "" }

// Validate checks that kind is a kind of message and that both parts are
// valid text of at most MaxTemplateSize bytes. Whether they render is
// package reminder's check, made when the template is saved.
func (t TemplateText) Validate(kind string) error {
	if !slices.Contains(messageKinds, kind) {
		return Errorf(EINVALID, "%q is not a kind of patient email; use confirmation, reminder, preparation, update or cancellation.", Clip(kind, 30))
	}
	for _, p := range []struct{ what, s string }{{"text", t.Text}, {"HTML", t.HTML}} {
		if !utf8.ValidString(p.s) || strings.ContainsRune(p.s, 0) {
			return Errorf(EINVALID, "The %s template of the %s message contains characters that are not valid text; save the file as UTF-8.", p.what, kind)
		}
		if len(p.s) > MaxTemplateSize {
			return Errorf(EINVALID, "The %s template of the %s message is too long (%d bytes; at most %d).", p.what, kind, len(p.s), MaxTemplateSize)
		}
	}
	return nil
}

// SetTemplate changes the clinic's own template of one kind of message,
// with an audit entry, in one transaction. edit gets the current override
// (zero when there is none) and returns the new one, or an error that
// refuses the change; a zero result removes the override, so the default
// is used again. SetTemplate returns the saved override. Returns EINVALID
// for an unknown kind or a template that fails validation, and edit's
// error unchanged; nothing is changed then.
func (s *Service) SetTemplate(ctx context.Context, kind string, edit func(cur TemplateText) (TemplateText, error)) (TemplateText, error) {
	if err := (TemplateText{}).Validate(kind); err != nil {
		return TemplateText{}, err
	}
	var out TemplateText
	err := s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		cur := c.Templates[kind]
		next, err := edit(cur)
		if err != nil {
			return err
		}
		if err := next.Validate(kind); err != nil {
			return err
		}
		if next == cur {
			out = cur
			return nil
		}
		if next.IsZero() {
			delete(c.Templates, kind)
			if len(c.Templates) == 0 {
				c.Templates = nil
			}
		} else {
			if c.Templates == nil {
				c.Templates = map[string]TemplateText{}
			}
			c.Templates[kind] = next
		}
		if err := tx.SaveClinic(ctx, c); err != nil {
			return err
		}
		out = next
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "email-template", Before: auditJSON(cur),
			After: auditJSON(next), Note: kind})
	})
	if err != nil {
		return TemplateText{}, err
	}
	return out, nil
}
