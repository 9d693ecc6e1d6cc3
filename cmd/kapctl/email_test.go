package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/store"
)

// emailState is what the email commands may change: the settings, the
// outbox and the audit.
func (c *clinic) emailState() string {
	c.t.Helper()
	return c.state() + c.ok("--json", "email", "show") + c.ok("--json", "outbox", "list")
}

func (c *clinic) outbox(args ...string) []booking.OutboxMessage {
	c.t.Helper()
	var msgs []booking.OutboxMessage
	c.json(&msgs, append([]string{"outbox", "list"}, args...)...)
	return msgs
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestRemind: on the demo clinic, a booked series' confirmation is due at
// once; remind writes it as an .eml file beside the database and the
// outbox shows it sent; reminders follow when they fall due; a patient who
// asked for no email gets nothing and the outbox says so.
func TestRemind(t *testing.T) {
	c := mustDemo(t)
	dir := filepath.Join(filepath.Dir(c.path), "outbox-eml")
	jane := c.addPatient("Jane Doe", "jane@example.org")
	c.book(jane)

	var due []booking.OutboxMessage
	c.json(&due, "remind", "--dry-run")
	if len(due) != 1 || due[0].Kind != booking.MessageConfirmation || due[0].State != booking.OutboxPending {
		t.Fatalf("remind --dry-run: %+v, want the confirmation, pending", due)
	}
	if out := c.ok("remind", "--dry-run"); !strings.Contains(out, "confirmation") {
		t.Fatalf("remind --dry-run output lacks the confirmation:\n%s", out)
	}
	if files := emlFiles(t, dir); len(files) != 0 {
		t.Fatalf("dry run wrote %d files", len(files))
	}

	if out := c.ok("remind"); !strings.Contains(out, "sent") {
		t.Fatalf("remind output:\n%s", out)
	}
	if files := emlFiles(t, dir); len(files) != 1 {
		t.Fatalf("after remind: %d .eml files in %s, want 1", len(files), dir)
	}
	sent := c.outbox("--state", "sent")
	if len(sent) != 1 || sent[0].Kind != booking.MessageConfirmation || sent[0].MessageID == "" {
		t.Fatalf("outbox list --state sent: %+v", sent)
	}
	// --from lists what is due from a day on, in due order.
	all := c.outbox()
	later := c.outbox("--from", "2027-03-10")
	if len(later) == 0 || len(later) >= len(all) || later[0].Due.Before(time.Date(2027, 3, 10, 0, 0, 0, 0, later[0].Due.Location())) {
		t.Fatalf("outbox list --from 2027-03-10: %d of %d messages, first due %v", len(later), len(all), later[0].Due)
	}
	if r := c.run("outbox", "list", "--from", "10 March"); r.code != 2 || r.stdout != "" {
		t.Fatalf("outbox list --from '10 March': exit %d, stdout %q", r.code, r.stdout)
	}
	c.ok("remind") // nothing more is due: nothing twice
	if files := emlFiles(t, dir); len(files) != 1 {
		t.Fatalf("second remind: %d files, want 1", len(files))
	}

	// A month later every reminder of March's first appointments is due
	// or late; nothing is sent twice and the files match the outbox.
	c.now = "2027-03-02T12:00:00-05:00"
	c.ok("remind")
	if got, want := len(emlFiles(t, dir)), len(c.outbox("--state", "sent")); got != want || got < 2 {
		t.Fatalf("a month later: %d files, %d sent", got, want)
	}
	var show booking.OutboxMessage
	c.json(&show, "outbox", "show", str(sent[0].ID))
	if show.ID != sent[0].ID || show.State != booking.OutboxSent {
		t.Fatalf("outbox show: %+v", show)
	}

	c.now = testNow
	joe := c.addPatient("Joe Roe", "joe@example.org")
	c.ok("patient", "consent", str(joe), "no-email")
	c.book(joe)
	skipped := c.outbox("--patient", str(joe))
	if len(skipped) == 0 {
		t.Fatal("no outbox rows for a patient who asked for no email")
	}
	for _, m := range skipped {
		if m.State != booking.OutboxSkipped || m.Note != booking.NoEmailNote {
			t.Fatalf("no-email patient's message: %+v", m)
		}
	}
	if out := c.ok("outbox", "list", "--patient", str(joe)); !strings.Contains(out, booking.NoEmailNote) {
		t.Fatalf("outbox list does not say why:\n%s", out)
	}
}

// TestEmailSettings: email set saves the settings and show reports them;
// test writes one message without patient data into the default folder.
func TestEmailSettings(t *testing.T) {
	c := mustDemo(t)
	if out := c.ok("email", "show"); !strings.Contains(out, "eml-dir") || !strings.Contains(out, "outbox-eml") {
		t.Fatalf("default settings:\n%s", out)
	}
	c.ok("email", "test", "--to", "me@example.org")
	dir := filepath.Join(filepath.Dir(c.path), "outbox-eml")
	files := emlFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("email test: %d files", len(files))
	}
	b, err := os.ReadFile(files[0])
	if err != nil || !strings.Contains(string(b), "me@example.org") {
		t.Fatalf("test message: %v\n%s", err, b)
	}

	c.ok("email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--port", "587", "--user", "desk",
		"--from", "appointments@example.org", "--from-name", "Harbor Clinic")
	var got struct {
		Transport, Host, User, From string
		Port                        int
		PasswordSet                 bool `json:"password_set"`
	}
	c.json(&got, "email", "show")
	if got.Transport != "smtp" || got.Host != "smtp.example.org" || got.Port != 587 || got.From != "appointments@example.org" {
		t.Fatalf("email show after set: %+v", got)
	}
	if audit := c.ok("audit"); !strings.Contains(audit, "email-settings") {
		t.Fatalf("audit lacks the change:\n%s", audit)
	}

	other := t.TempDir()
	c.ok("email", "set", "--transport", "eml-dir", "--dir", other)
	c.ok("email", "test", "--to", "me@example.org")
	if n := len(emlFiles(t, other)); n != 1 {
		t.Fatalf("--dir: %d files", n)
	}
}

// TestEmailBadInput: mistakes give one line on stderr and change nothing.
func TestEmailBadInput(t *testing.T) {
	c := mustDemo(t)
	c.book(c.addPatient("Jane Doe", "jane@example.org"))
	before := c.emailState()
	for name, args := range map[string][]string{
		"UnknownTransport": {"email", "set", "--transport", "pigeon"},
		"NoTransport":      {"email", "set", "--host", "smtp.example.org"},
		"BadPort":          {"email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--port", "70000", "--from", "a@example.org"},
		"PortNotNumber":    {"email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--port", "x"},
		"BadSecurity":      {"email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--security", "ssl3", "--from", "a@example.org"},
		"PlainRemote":      {"email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--security", "none", "--from", "a@example.org"},
		"NoHost":           {"email", "set", "--transport", "smtp", "--from", "a@example.org"},
		"BadFrom":          {"email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--from", "not an address"},
		"TestBadTo":        {"email", "test", "--to", "nobody"},
		"UnknownID":        {"outbox", "show", "999"},
		"RetryUnknown":     {"outbox", "retry", "999"},
		"RetryNotFailed":   {"outbox", "retry", "1"},
		"BadID":            {"outbox", "show", "abc"},
		"BadState":         {"outbox", "list", "--state", "lost"},
		"UnknownPatient":   {"outbox", "list", "--patient", "999"},
		"UnknownSub":       {"outbox", "burn"},
		"RemindBoth":       {"remind", "--dry-run", "--watch"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.run(args...)
			if r.code == 0 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "kapctl: ") {
				t.Fatalf("exit=%d stderr=%q, want a failure and one line", r.code, r.stderr)
			}
			if after := c.emailState(); after != before {
				t.Fatal("the failed command changed the database")
			}
		})
	}
}

// A pretend clock (--now, KAPBOOK_NOW) never sends a real clinic's email:
// it would settle every message as if that time had come. The outbox is
// left as it was; the demo clinic may (its patients are fictional).
func TestRemind_PretendClockOnlyInTheDemo(t *testing.T) {
	c := mustDemo(t)
	p := c.addPatient("Avery Quinn", "avery@example.org")
	c.ok("book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01")
	db, err := store.Open(c.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cl, err := db.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cl.Name = "Lakeside Clinic"
	if err := db.Update(ctx, func(tx booking.Tx) error { return tx.SaveClinic(ctx, cl) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := c.ok("outbox", "list")
	c.now = "2030-01-01T09:00:00-05:00"
	r := c.run("remind")
	if r.code != 2 || !strings.Contains(r.stderr, "real clock only") {
		t.Fatalf("remind with a pretend clock in a real clinic: exit %d, %q", r.code, r.stderr)
	}
	if after := c.ok("outbox", "list"); after != before {
		t.Fatalf("the refused remind changed the outbox:\n%s\nwas\n%s", after, before)
	}
	if r := c.run("remind", "--dry-run"); r.code != 0 {
		t.Fatalf("a dry run with a pretend clock: exit %d, %q", r.code, r.stderr)
	}
}

// kapctl check reads every page and index: a sound database says so, a
// damaged one exits 5 saying it is damaged and to restore a backup.
func TestCheck(t *testing.T) {
	c := mustDemo(t)
	for i := range 40 {
		c.addPatient(fmt.Sprintf("Patient %d", i+1), fmt.Sprintf("p%d@example.org", i+1))
	}
	if out := c.ok("check"); !strings.Contains(out, "is sound") {
		t.Fatalf("a sound database: %q", out)
	}
	// Eight bytes of the patients' name index, which listing and booking
	// never read whole.
	raw, err := sql.Open("sqlite", c.path)
	if err != nil {
		t.Fatal(err)
	}
	var page int64
	err = raw.QueryRow("SELECT pageno FROM dbstat WHERE name = 'patients_name_key' ORDER BY pageno DESC LIMIT 1").Scan(&page)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.path)
	if err != nil {
		t.Fatal(err)
	}
	end := int(page) * 4096
	for i := end - 40; i < end-32; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(c.path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("check")
	if r.code != 5 || !strings.Contains(r.stderr, "damaged") {
		t.Fatalf("a damaged database: exit %d, %q", r.code, r.stderr)
	}
}
