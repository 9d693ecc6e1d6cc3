package settings

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/ui/kit"
)

// The transports in words, as the radio group offers them.
const (
	transportEML  = "Save messages as .eml files in a folder (for trying kapbook out)"
	transportSMTP = "Send through the clinic's mail server (SMTP)"
)

var securityOptions = []struct {
	value booking.MailSecurity
	name  string
}{
	{booking.StartTLS, "STARTTLS (usually port 587)"},
	{booking.ImplicitTLS, "TLS from the start (usually port 465)"},
	{booking.NoSecurity, "None (only a relay on this computer)"},
}

// emailTab edits how patient email is delivered and sends a test.
type emailTab struct {
	v       *View
	content fyne.CanvasObject
	d       data
	shown   string // key of the stored settings the form shows

	transport  *widget.RadioGroup
	dir        *widget.Entry
	host, port *widget.Entry
	security   *widget.Select
	user       *widget.Entry
	from       *widget.Entry
	fromName   *widget.Entry
	allowPlain *widget.Check
	password   *widget.Entry
	pwState    *widget.Label
	smtpBox    *fyne.Container
	emlBox     *fyne.Container
	save       *kit.Button
	note       *widget.Label

	testTo     *widget.Entry
	sendTest   *kit.Button
	testResult *widget.Label
}

func newEmailTab(v *View) *emailTab {
	t := &emailTab{v: v}
	t.transport = widget.NewRadioGroup([]string{transportEML, transportSMTP}, func(string) { t.showTransport() })
	t.transport.Required = true
	t.dir = widget.NewEntry()
	t.host = widget.NewEntry()
	t.host.SetPlaceHolder("e.g. smtp.example.org")
	t.port = widget.NewEntry()
	t.port.SetPlaceHolder("default for the security")
	var sec []string
	for _, s := range securityOptions {
		sec = append(sec, s.name)
	}
	t.security = widget.NewSelect(sec, nil)
	t.user = widget.NewEntry()
	t.user.SetPlaceHolder("empty: no login")
	t.from = widget.NewEntry()
	t.from.SetPlaceHolder(booking.DefaultEmailFrom)
	t.fromName = widget.NewEntry()
	t.fromName.SetPlaceHolder("e.g. Appointments")
	t.allowPlain = widget.NewCheck("Allow an unencrypted connection to a server on another computer (not recommended)", nil)
	t.password = widget.NewPasswordEntry()
	t.password.SetPlaceHolder("type to store a new password; empty: keep the stored one")
	t.pwState = explain("")
	t.save = kit.NewButton("Save email settings", t.doSave)
	t.save.Importance = widget.HighImportance
	kit.SubmitWith(t.save, t.dir, t.host, t.port, t.user, t.from, t.fromName)
	t.note = newNote()
	t.testTo = widget.NewEntry()
	t.testTo.SetPlaceHolder("an address of yours, e.g. frontdesk@clinic.example")
	t.sendTest = kit.NewButton("Send test email", t.doTest)
	t.testTo.OnSubmitted = func(string) { t.doTest() }
	t.testResult = explain("")
	t.testResult.Hide()

	t.emlBox = container.NewVBox(widget.NewForm(widget.NewFormItem("Folder", t.dir)),
		explain("Messages are written as files that any email program opens; nothing reaches patients."))
	t.smtpBox = container.NewVBox(widget.NewForm(
		widget.NewFormItem("Server", t.host),
		widget.NewFormItem("Port", t.port),
		widget.NewFormItem("Security", t.security),
		widget.NewFormItem("User name", t.user),
		widget.NewFormItem("Password", t.password),
	), t.pwState, t.allowPlain)
	t.content = container.NewVScroll(container.NewVBox(
		heading("How patient email is delivered"), t.transport, t.emlBox, t.smtpBox,
		widget.NewForm(
			widget.NewFormItem("Sending address", t.from),
			widget.NewFormItem("Sender's name", t.fromName),
		),
		explain("The sender's name is what patients see as the sender; a clinic's name can itself reveal the treatment, so a neutral name such as \"Appointments\" is safest. Empty: the clinic's name."),
		container.NewHBox(t.save), t.note,
		widget.NewSeparator(),
		heading("Test"),
		explain("Sends a short test message with the saved settings, to check they work. It says nothing about patients."),
		container.NewBorder(nil, nil, nil, t.sendTest, t.testTo), t.testResult,
	))
	t.transport.SetSelected(transportEML)
	return t
}

// defaultDir is the .eml folder used when none is set: beside the database.
func (t *emailTab) defaultDir() string {
	if t.v.env.DBPath == "" {
		return reminder.DefaultDirName
	}
	return filepath.Join(filepath.Dir(t.v.env.LocalBase()), reminder.DefaultDirName)
}

// show puts the stored settings on the tab. The form is filled anew only
// when they changed in the store, so unsaved typing survives other
// changes.
func (t *emailTab) show(d data) {
	t.d = d
	e := d.clinic.Email
	if e == nil {
		e = &booking.EmailSettings{Transport: booking.EmailEMLDir}
	}
	t.pwState.SetText(passwordWords(d))
	if key(e) == t.shown {
		return
	}
	t.shown = key(e)
	t.dir.SetPlaceHolder(t.defaultDir())
	t.dir.SetText(e.Dir)
	t.host.SetText(e.Host)
	t.port.SetText("")
	if e.Port != 0 {
		t.port.SetText(strconv.Itoa(e.Port))
	}
	t.security.SetSelected(securityOptions[0].name)
	for _, s := range securityOptions {
		if s.value == e.Security {
			t.security.SetSelected(s.name)
		}
	}
	t.user.SetText(e.User)
	t.from.SetText(e.From)
	t.fromName.SetText(e.FromName)
	t.allowPlain.SetChecked(e.AllowPlainRemote)
	t.password.SetText("")
	if e.Transport == booking.EmailSMTP {
		t.transport.SetSelected(transportSMTP)
	} else {
		t.transport.SetSelected(transportEML)
	}
	t.showTransport()
}

func (t *emailTab) showTransport() {
	smtp := t.transport.Selected == transportSMTP
	t.smtpBox.Hidden = !smtp
	t.emlBox.Hidden = smtp
	t.pwState.SetText(passwordWords(t.d))
	t.smtpBox.Refresh()
	t.emlBox.Refresh()
}

// form returns the settings as typed.
func (t *emailTab) form() (*booking.EmailSettings, error) {
	e := &booking.EmailSettings{Transport: booking.EmailEMLDir, From: strings.TrimSpace(t.from.Text), FromName: strings.TrimSpace(t.fromName.Text)}
	if t.transport.Selected != transportSMTP {
		if dir := strings.TrimSpace(t.dir.Text); dir != "" {
			abs, err := filepath.Abs(dir)
			if err != nil {
				return nil, booking.Errorf(booking.EINVALID, "The folder %q cannot be used.", dir)
			}
			e.Dir = abs
		}
		return e, nil
	}
	e.Transport = booking.EmailSMTP
	e.Host = strings.TrimSpace(t.host.Text)
	if p := strings.TrimSpace(t.port.Text); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, booking.Errorf(booking.EINVALID, "%q is not a port; use a number from 1 to 65535, usually 587.", p)
		}
		e.Port = n
	}
	for _, s := range securityOptions {
		if s.name == t.security.Selected {
			e.Security = s.value
		}
	}
	e.User = strings.TrimSpace(t.user.Text)
	e.AllowPlainRemote = t.allowPlain.Checked
	return e, nil
}

// checkEmail validates e as kapctl email set does: booking's rules, then
// what the mail transport can actually use.
func checkEmail(e *booking.EmailSettings) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if err := reminder.CheckSettings(e); err != nil {
		if booking.ErrorCode(err) != booking.EINTERNAL {
			return err
		}
		return booking.Errorf(booking.EINVALID, "These mail-server settings cannot be used: %s.", trimPkg(err))
	}
	return nil
}

// trimPkg returns err's text without the "reminder: " prefix; reminder's
// settings errors are written for people.
func trimPkg(err error) string {
	return strings.TrimPrefix(err.Error(), "reminder: ")
}

func (t *emailTab) doSave() {
	t.note.Hide()
	e, err := t.form()
	if err == nil {
		err = checkEmail(e)
	}
	pw := t.password.Text
	if err == nil && pw != "" && (e.Transport != booking.EmailSMTP || e.User == "") {
		err = booking.Errorf(booking.EINVALID, "A password goes with a mail server and a user name; give the user name, or leave the password empty.")
	}
	if err != nil {
		t.v.env.ShowError(err)
		return
	}
	var pwErr error
	t.v.env.Run("Saving the email settings", func(ctx context.Context) error {
		if err := t.v.env.Service.SetEmail(ctx, e); err != nil {
			return err
		}
		if pw != "" {
			pwErr = reminder.SavePassword(e.User, e.Host, pw)
		}
		return nil
	}, func(err error) {
		if err != nil {
			t.v.env.ShowError(err)
			return
		}
		t.password.SetText("")
		msg := "Saved: patient email is written as .eml files in " + e.Dir + "."
		if e.Dir == "" {
			msg = "Saved: patient email is written as .eml files in " + t.defaultDir() + "."
		}
		if e.Transport == booking.EmailSMTP {
			msg = "Saved: patient email goes through " + e.Host + "."
			if pw != "" && pwErr == nil {
				msg += " The password is stored in this computer's keyring."
			}
			msg += " Send a test email to check."
		}
		t.v.saved(t.note, msg)
		if pwErr != nil {
			t.v.env.ShowError(booking.Errorf(booking.ErrorCode(pwErr), "The settings were saved, but not the password: %s", booking.ErrorMessage(pwErr)))
		}
	})
}

// doTest sends a test message with the saved settings, as kapctl email
// test does.
func (t *emailTab) doTest() {
	to := strings.TrimSpace(t.testTo.Text)
	t.testResult.Hide()
	env := t.v.env
	var where string
	env.Run("Sending a test email", func(ctx context.Context) error {
		sent, err := reminder.SendTest(ctx, env.Store, env.LocalBase(), to, env.Time())
		if err != nil {
			return err
		}
		where = sent.EMLDir
		return nil
	}, func(err error) {
		if err != nil {
			t.testResult.Importance = widget.DangerImportance
			t.testResult.SetText(booking.ErrorMessage(err))
			t.testResult.Show()
			return
		}
		t.testResult.Importance = widget.SuccessImportance
		msg := "Test message sent to " + to + "."
		if where != "" {
			msg += " It is an .eml file in " + where + "; no email left this computer."
		}
		t.testResult.SetText(msg)
		t.testResult.Show()
	})
}

// passwordWords says where the mail server's password comes from, never
// what it is.
func passwordWords(d data) string {
	s := "The password is never stored in the clinic database: kapbook takes it from the " + reminder.PasswordEnv +
		" environment variable if set, else from this computer's keyring."
	switch {
	case d.clinic == nil || d.clinic.Email == nil || d.clinic.Email.Transport != booking.EmailSMTP:
		return s
	case d.pwOrigin == reminder.PasswordFromEnv:
		return s + " Now: from " + reminder.PasswordEnv + "."
	case d.pwOrigin == reminder.PasswordFromKeyring:
		return s + " Now: stored in the keyring."
	case d.pwErr != nil:
		return s + " Now: " + booking.ErrorMessage(d.pwErr)
	}
	return s + " Now: no password is needed (no user name)."
}
