package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// templateState is what the template and policy commands can change.
func (c *clinic) templateState() string {
	c.t.Helper()
	return c.state() + c.ok("--json", "template", "list") + c.ok("template", "show", "reminder") +
		c.ok("template", "show", "reminder", "--html") + c.ok("--json", "email", "policy")
}

// writeFile writes s into a file in a temporary folder and returns its path.
func writeFile(t *testing.T, name, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const ownReminder = `{{define "subject"}}See you on {{.Date}}{{end}}
{{define "text"}}Dear {{.FirstName}},
we look forward to seeing you at {{.StartTime}}.
{{template "footer" .}}{{end}}
`

// TestTemplate: template set stores the clinic's own template, list and
// show report it, remind sends it, and reset brings the default back.
func TestTemplate(t *testing.T) {
	c := mustDemo(t)
	def := c.ok("template", "show", "reminder")
	if !strings.Contains(def, `{{define "subject"}}Reminder: your appointment`) {
		t.Fatalf("default reminder template:\n%s", def)
	}
	var list []reminder.TemplateStatus
	c.json(&list, "template", "list")
	if len(list) != 5 || list[1].Kind != reminder.Reminder || list[1].OwnText || list[1].OwnHTML {
		t.Fatalf("template list before: %+v", list)
	}

	out := c.ok("template", "set", "reminder", writeFile(t, "reminder.txt.tmpl", ownReminder))
	if !strings.Contains(out, "Saved the clinic's own text template of the reminder message") {
		t.Fatalf("template set said:\n%s", out)
	}
	c.json(&list, "template", "list")
	if !list[1].OwnText || list[1].OwnHTML || list[0].OwnText {
		t.Fatalf("template list after set: %+v", list)
	}
	if human := c.ok("template", "list"); !strings.Contains(human, "reminder      clinic's own  default") {
		t.Fatalf("template list:\n%s", human)
	}
	if got := c.ok("template", "show", "reminder"); got != ownReminder {
		t.Fatalf("template show=%q, want the saved one", got)
	}
	if got := c.ok("template", "preview", "reminder"); !strings.HasPrefix(got, "Subject: See you on Monday 1 March 2027\n\nDear Jane,\nwe look forward to seeing you at 09:00.\n") ||
		!strings.Contains(got, "Harbor Wellness Center at +1 617 555 0142") {
		t.Fatalf("template preview:\n%s", got)
	}
	if got := c.ok("template", "show", "reminder", "--default"); got != def {
		t.Fatalf("template show --default=%q, want the default", got)
	}
	var shown templateOut
	c.json(&shown, "template", "show", "reminder", "--html")
	if shown.Own || shown.Part != "html" || !strings.Contains(shown.Source, `{{define "html"}}`) {
		t.Fatalf("template show --html: %+v", shown)
	}
	if audit := c.ok("audit"); !strings.Contains(audit, "email-template") {
		t.Fatalf("audit lacks the change:\n%s", audit)
	}

	// The reminders that go out use it.
	c.book(c.addPatient("Jane Doe", "jane@example.org"))
	c.now = "2027-03-01T09:00:00-05:00"
	c.ok("remind")
	dir := filepath.Join(filepath.Dir(c.path), "outbox-eml")
	own := 0
	for _, f := range emlFiles(t, dir) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "Subject: See you on ") {
			own++
		}
	}
	if own == 0 {
		t.Fatalf("no message sent with the clinic's reminder template among %d", len(emlFiles(t, dir)))
	}

	// From standard input, the HTML part.
	html := `{{define "html"}}{{template "head" .}}<p>See you on {{.Date}}.</p>{{template "footer" .}}{{end}}`
	stdin = strings.NewReader(html)
	t.Cleanup(func() { stdin = os.Stdin })
	c.ok("template", "set", "reminder", "-", "--html")
	if got := c.ok("template", "show", "reminder", "--html"); got != html {
		t.Fatalf("template show --html=%q, want the one from standard input", got)
	}

	if out := c.ok("template", "reset", "reminder"); !strings.Contains(out, "default template again") {
		t.Fatalf("template reset said:\n%s", out)
	}
	if got := c.ok("template", "show", "reminder"); got != def {
		t.Fatal("template show after reset is not the default")
	}
}

// TestTemplateBadInput: a broken or revealing template, a bad kind or file
// gives one line on stderr, saying what is wrong, and changes nothing.
func TestTemplateBadInput(t *testing.T) {
	c := mustDemo(t)
	c.ok("template", "set", "reminder", writeFile(t, "own.tmpl", ownReminder))
	before := c.templateState()
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"UnknownVariable": {[]string{"template", "set", "reminder", writeFile(t, "a.tmpl", strings.Replace(ownReminder, ".StartTime", ".Time", 1))},
			"line 3: there is no variable .Time"},
		"NotClosed":   {[]string{"template", "set", "reminder", writeFile(t, "b.tmpl", `{{define "subject"}}Hi{{end}}{{define "text"}}{{if .Video}}x`)}, "needs its {{end}}"},
		"NoHTMLBlock": {[]string{"template", "set", "reminder", "--html", writeFile(t, "c.tmpl", "<p>Hi</p>")}, `defines no "html"`},
		"Revealing": {[]string{"template", "set", "reminder", writeFile(t, "d.tmpl", strings.Replace(ownReminder, "See you", "Your infusion", 1))},
			`line 1, says "infusion"`},
		"UnknownKind":  {[]string{"template", "set", "invoice", writeFile(t, "e.tmpl", ownReminder)}, "not a kind of patient email"},
		"NoFile":       {[]string{"template", "set", "reminder", filepath.Join(t.TempDir(), "missing.tmpl")}, "no such file"},
		"NoArgs":       {[]string{"template", "set", "reminder"}, "needs KIND and FILE"},
		"ShowKind":     {[]string{"template", "show", "newsletter"}, "not a kind of patient email"},
		"ResetKind":    {[]string{"template", "reset"}, "needs one KIND"},
		"UnknownSub":   {[]string{"template", "delete", "reminder"}, "unknown command"},
		"BadQuiet":     {[]string{"email", "policy", "--quiet", "25:00-07:00"}, "not a span of quiet hours"},
		"NegativeLead": {[]string{"email", "policy", "--reminder-hours", "-2"}, "between 0 (none) and 336 hours"},
		"BadKind":      {[]string{"email", "policy", "--preparation-kinds", "Dosing Room"}, "not an appointment kind"},
		"ResetAndSet":  {[]string{"email", "policy", "--reset", "--reminder-hours", "3"}, "takes no other flags"},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.run(tc.args...)
			if r.code == 0 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "kapctl: ") || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit=%d stderr=%q, want a failure and one line saying %q", r.code, r.stderr, tc.want)
			}
			if after := c.templateState(); after != before {
				t.Fatal("the failed command changed the database")
			}
		})
	}
}

// TestEmailPolicy: email policy shows the defaults, changes them with
// flags (keeping the ones not given), and the next booking's reminders
// follow the clinic's policy; --reset brings the defaults back.
func TestEmailPolicy(t *testing.T) {
	c := mustDemo(t)
	if out := c.ok("email", "policy"); !strings.Contains(out, "48 hours before every appointment") ||
		!strings.Contains(out, "24 hours before dosing and infusion appointments") || !strings.Contains(out, "21:00 to 08:00") ||
		!strings.Contains(out, "(the defaults)") {
		t.Fatalf("default policy:\n%s", out)
	}
	c.ok("email", "policy", "--reminder-hours", "72", "--quiet", "22:00-07:30")
	c.ok("email", "policy", "--preparation-kinds", "dosing")
	var p policyOut
	c.json(&p, "email", "policy")
	if p.ReminderHours != 72 || p.PreparationHours != 24 || len(p.PreparationKinds) != 1 || p.QuietStart != "22:00" || p.QuietEnd != "07:30" || !p.Own {
		t.Fatalf("policy after changes: %+v", p)
	}
	if audit := c.ok("audit"); !strings.Contains(audit, "message-policy") {
		t.Fatalf("audit lacks the change:\n%s", audit)
	}

	b := c.book(c.addPatient("Jane Doe", "jane@example.org"))
	starts := map[int64]time.Time{}
	for _, a := range b.Appointments {
		starts[a.ID] = a.Start
	}
	reminders := 0
	for _, m := range c.outbox("--state", "pending") {
		if m.Kind != booking.MessageReminder {
			continue
		}
		reminders++
		want := starts[m.AppointmentID].Add(-72 * time.Hour).In(m.Due.Location())
		if c := want.Format("15:04"); c >= "22:00" || c < "07:30" {
			want = time.Date(want.Year(), want.Month(), want.Day(), 7, 30, 0, 0, want.Location())
			if c >= "22:00" {
				want = want.AddDate(0, 0, 1)
			}
		}
		if !m.Due.Equal(want) {
			t.Fatalf("reminder due %v for an appointment at %v: want %v (72 h before, out of 22:00-07:30)", m.Due, starts[m.AppointmentID], want)
		}
	}
	if reminders != len(b.Appointments) {
		t.Fatalf("reminders=%d, want %d", reminders, len(b.Appointments))
	}

	c.ok("email", "policy", "--quiet", "off")
	p = policyOut{}
	c.json(&p, "email", "policy")
	if p.QuietStart != "" || p.ReminderHours != 72 {
		t.Fatalf("policy with quiet hours off: %+v", p)
	}
	c.ok("email", "policy", "--reset")
	p = policyOut{}
	c.json(&p, "email", "policy")
	if p.Own || p.ReminderHours != 48 || p.QuietStart != "21:00" {
		t.Fatalf("policy after reset: %+v", p)
	}
}

// keyringMocked is set once a test here replaced the OS keyring.
var keyringMocked bool

// TestEmailPassword_NoKeyring: where there is no keyring (as in CI), email
// password and email show say so and name the environment variable.
func TestEmailPassword_NoKeyring(t *testing.T) {
	if keyringMocked {
		t.Skip("the keyring was replaced by a mock earlier in this process")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv(reminder.PasswordEnv, "")
	c := mustDemo(t)
	c.ok("email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--user", "desk", "--from", "appointments@example.org")
	stdin = strings.NewReader("s3cret-pw\n")
	t.Cleanup(func() { stdin = os.Stdin })
	r := c.run("email", "password")
	if r.code != exitStore || !strings.Contains(r.stderr, reminder.PasswordEnv) || strings.Contains(r.stderr, "s3cret") {
		t.Fatalf("email password: exit=%d stderr=%q, want a failure naming %s", r.code, r.stderr, reminder.PasswordEnv)
	}
	if out := c.ok("email", "show"); !strings.Contains(out, "not set: ") || !strings.Contains(out, reminder.PasswordEnv) {
		t.Fatalf("email show:\n%s", out)
	}
	if r := c.run("email", "test", "--to", "me@example.org"); r.code == 0 || !strings.Contains(r.stderr, reminder.PasswordEnv) {
		t.Fatalf("email test: exit=%d stderr=%q, want a failure naming %s", r.code, r.stderr, reminder.PasswordEnv)
	}
}

// TestEmailPassword: email password stores the password read from
// standard input in the keyring; email show says where it comes from and
// never shows it, in either form; --delete removes it.
func TestEmailPassword(t *testing.T) {
	reminder.MockKeyring()
	keyringMocked = true
	t.Setenv(reminder.PasswordEnv, "")
	const pw = "s3cret-pw"
	c := mustDemo(t)
	t.Cleanup(func() { stdin = os.Stdin })

	stdin = strings.NewReader(pw + "\n")
	if r := c.run("email", "password"); r.code != exitUsage || !strings.Contains(r.stderr, "no mail-server user") {
		t.Fatalf("email password without SMTP settings: exit=%d stderr=%q", r.code, r.stderr)
	}
	c.ok("email", "set", "--transport", "smtp", "--host", "smtp.example.org", "--user", "desk", "--from", "appointments@example.org")
	if r := c.run("email", "password", pw); r.code != exitUsage {
		t.Fatalf("email password with an argument: exit=%d, want %d (never from the command line)", r.code, exitUsage)
	}
	stdin = strings.NewReader("")
	if r := c.run("email", "password"); r.code != exitUsage || !strings.Contains(r.stderr, "No password was given") {
		t.Fatalf("email password with nothing on stdin: exit=%d stderr=%q", r.code, r.stderr)
	}
	stdin = strings.NewReader(pw + "\n")
	out := c.ok("email", "password")
	if !strings.Contains(out, "stored in this computer's keyring") || strings.Contains(out, pw) {
		t.Fatalf("email password said:\n%s", out)
	}
	if src, err := reminder.PasswordSource("desk", "smtp.example.org"); src != reminder.PasswordFromKeyring || err != nil {
		t.Fatalf("PasswordSource=%s, %v; want keyring", src, err)
	}
	human, js := c.ok("email", "show"), c.ok("--json", "email", "show")
	if !strings.Contains(human, "in the keyring of this computer") || !strings.Contains(js, `"password_source": "keyring"`) {
		t.Fatalf("email show:\n%s\n%s", human, js)
	}
	t.Setenv(reminder.PasswordEnv, "from-env-pw")
	envShow := c.ok("email", "show") + c.ok("--json", "email", "show")
	if !strings.Contains(envShow, "from "+reminder.PasswordEnv) {
		t.Fatalf("email show with %s set:\n%s", reminder.PasswordEnv, envShow)
	}
	for _, s := range []string{human, js, envShow, c.ok("audit"), c.ok("--json", "audit")} {
		if strings.Contains(s, pw) || strings.Contains(s, "from-env-pw") {
			t.Fatalf("the password shows:\n%s", s)
		}
	}
	t.Setenv(reminder.PasswordEnv, "")

	if out := c.ok("email", "password", "--delete"); !strings.Contains(out, "holds no password") {
		t.Fatalf("email password --delete said:\n%s", out)
	}
	if out := c.ok("email", "show"); !strings.Contains(out, "not set: No password is stored for desk on smtp.example.org") {
		t.Fatalf("email show after delete:\n%s", out)
	}
}
