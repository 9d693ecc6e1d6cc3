package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// email configures and tests how patient email is delivered:
//
//	kapctl email set --transport smtp|eml-dir [--host H --port P --security S --user U --from ADDR --from-name NAME --dir DIR]
//	kapctl email show
//	kapctl email test --to ADDR
//	kapctl email password [--delete]
//	kapctl email policy [--reminder-hours H] [--preparation-hours H] [--preparation-kinds K,K] [--quiet HH:MM-HH:MM|off] [--reset]
func (a *app) email(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("email needs a subcommand: set, show, test, password or policy")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "set":
		return a.emailSet(ctx, rest)
	case "show":
		return a.emailShow(rest)
	case "test":
		return a.emailTest(ctx, rest)
	case "password":
		return a.emailPassword(rest)
	case "policy":
		return a.emailPolicy(ctx, rest)
	default:
		return usagef("unknown command %q; email takes set, show, test, password or policy", "email "+booking.Clip(sub, 40))
	}
}

func (a *app) emailSet(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("email set", flag.ContinueOnError)
	var e booking.EmailSettings
	fs.StringVar(&e.Transport, "transport", "", "")
	fs.StringVar(&e.Host, "host", "", "")
	fs.IntVar(&e.Port, "port", 0, "")
	security := fs.String("security", "", "")
	fs.StringVar(&e.User, "user", "", "")
	fs.StringVar(&e.From, "from", "", "")
	fs.StringVar(&e.FromName, "from-name", "", "")
	fs.StringVar(&e.Dir, "dir", "", "")
	fs.BoolVar(&e.AllowPlainRemote, "allow-plain-remote", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("email set takes only flags")
	}
	e.Security = booking.MailSecurity(*security)
	if e.Transport == "" {
		return usagef("email set needs --transport smtp or --transport eml-dir")
	}
	if e.Dir != "" {
		if e.Dir, err = filepath.Abs(e.Dir); err != nil {
			return booking.Errorf(booking.EINVALID, "The folder %q cannot be used: %v.", booking.Clip(e.Dir, 40), err)
		}
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := reminder.CheckSettings(&e); err != nil {
		return booking.Errorf(booking.EINVALID, "These mail-server settings cannot be used: %s.", trimPkg(err))
	}
	if err := a.svc.SetEmail(ctx, &e); err != nil {
		return err
	}
	a.clinic.Email = &e
	return a.emailShow(nil)
}

// emailOut is the JSON form of the email settings. It never holds the
// password, only whether one is found and where.
type emailOut struct {
	booking.EmailSettings
	Dir         string `json:"dir,omitempty"`
	PasswordSet bool   `json:"password_set"`
	// PasswordSource is environment, keyring or none (SMTP only).
	PasswordSource reminder.PasswordOrigin `json:"password_source,omitempty"`
	// PasswordProblem says why no password is found, when one is needed.
	PasswordProblem string `json:"password_problem,omitempty"`
}

func (a *app) emailShow(args []string) error {
	if len(args) > 0 {
		return usagef("email show takes no arguments")
	}
	o := emailOut{EmailSettings: booking.EmailSettings{Transport: booking.EmailEMLDir}}
	if a.clinic.Email != nil {
		o.EmailSettings = *a.clinic.Email
	}
	if o.From == "" {
		o.From = booking.DefaultEmailFrom
	}
	o.Dir = o.EmailSettings.Dir
	if o.Transport == booking.EmailEMLDir && o.Dir == "" {
		o.Dir = a.emlDir()
	}
	if o.Transport == booking.EmailSMTP {
		src, err := reminder.PasswordSource(o.User, o.Host)
		o.PasswordSource, o.PasswordSet = src, src != reminder.PasswordNone
		if err != nil {
			o.PasswordProblem = booking.ErrorMessage(err)
		}
	}
	return a.print(o, func(w *tw) {
		w.row("transport:", o.Transport)
		if o.Transport == booking.EmailEMLDir {
			w.row("folder:", o.Dir)
		} else {
			sec := o.Security
			if sec == "" {
				sec = "starttls"
			}
			port := "default"
			if o.Port != 0 {
				port = fmt.Sprint(o.Port)
			}
			w.row("server:", o.Host)
			w.row("port:", port)
			w.row("security:", sec)
			w.row("user:", o.User)
			switch {
			case o.PasswordSource == reminder.PasswordFromEnv:
				w.row("password:", "from "+reminder.PasswordEnv)
			case o.PasswordSource == reminder.PasswordFromKeyring:
				w.row("password:", "in the keyring of this computer")
			case o.User == "":
				w.row("password:", "none (no user)")
			default:
				w.row("password:", "not set: "+oneLine(o.PasswordProblem))
			}
		}
		w.row("from:", o.From)
		name := o.FromName
		if name == "" {
			name = "(the clinic's name)"
		}
		w.row("from name:", name)
	})
}

// emlDir is the default .eml folder: beside the database.
func (a *app) emlDir() string {
	return filepath.Join(filepath.Dir(store.LocalBase(a.dbPath)), reminder.DefaultDirName)
}

func (a *app) emailTest(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("email test", flag.ContinueOnError)
	to := fs.String("to", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *to == "" {
		return usagef("email test needs --to ADDRESS and nothing else")
	}
	sent, err := reminder.SendTest(ctx, a.db, store.LocalBase(a.dbPath), *to, a.now)
	if err != nil {
		return err
	}
	return a.print(sent, func(w *tw) {
		w.line("Test message sent to %s.", sent.To)
		if sent.EMLDir != "" {
			w.line("It is an .eml file in %s.", sent.EMLDir)
		}
	})
}

// trimPkg returns err's text without the "reminder: " prefix.
func trimPkg(err error) string {
	s := err.Error()
	const p = "reminder: "
	if len(s) > len(p) && s[:len(p)] == p {
		s = s[len(p):]
	}
	return s
}

// settingsError explains an error from reminder.Setup.
func settingsError(err error) error {
	if booking.ErrorCode(err) != booking.EINTERNAL {
		return err
	}
	return booking.Errorf(booking.EINVALID, "The email settings cannot be used: %s; change them with kapctl email set.", trimPkg(err))
}

// remind sends the patient email that is due:
//
//	kapctl remind [--dry-run] [--watch]
func (a *app) remind(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("remind", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "")
	watch := fs.Bool("watch", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (*dry && *watch) {
		return usagef("remind takes --dry-run or --watch")
	}
	start, began := a.now, time.Now()
	now := func() time.Time { return start.Add(time.Since(began)) }
	if *dry {
		// Listing needs neither the templates nor the password.
		d := &reminder.Dispatcher{Store: a.db, Now: now, Actor: a.actor}
		due, err := d.Due(ctx)
		if err != nil {
			return err
		}
		return a.printOutbox(due)
	}
	if a.pretend && !resources.IsDemo(a.clinic) {
		// A pretend clock would settle every message as if that time had
		// come: a month ahead, all of them skipped as too late.
		return booking.Errorf(booking.EINVALID, "kapctl remind sends with the real clock only (the demo clinic aside): unset KAPBOOK_NOW and leave out --now; nothing was sent or changed.")
	}
	comp, tr, err := reminder.Setup(ctx, a.db, store.LocalBase(a.dbPath))
	if err != nil {
		return settingsError(err)
	}
	comp.Now = now
	d := &reminder.Dispatcher{Store: a.db, Composer: comp, Transport: tr, Now: now, Actor: a.actor}
	if !*watch {
		return a.remindOnce(ctx, d, false)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if err := a.remindOnce(ctx, d, true); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// remindOnce runs d until nothing more is due, and prints what became of
// each message; quietly prints nothing when there was nothing to do.
func (a *app) remindOnce(ctx context.Context, d *reminder.Dispatcher, quietly bool) error {
	var done []*booking.OutboxMessage
	for ctx.Err() == nil {
		rep, err := d.RunOnce(ctx)
		done = append(done, rep.Messages...)
		if err != nil {
			return err
		}
		if len(rep.Messages) == 0 {
			break
		}
	}
	if quietly && len(done) == 0 {
		return nil
	}
	return a.printOutbox(done)
}

// outbox lists, shows and retries patient email:
//
//	kapctl outbox list [--state S] [--patient ID] [--from D]
//	kapctl outbox show ID
//	kapctl outbox retry ID
func (a *app) outbox(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("outbox needs a subcommand: list, show or retry")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "list":
		fs := flag.NewFlagSet("outbox list", flag.ContinueOnError)
		state := fs.String("state", "", "")
		patient := fs.String("patient", "", "")
		from := fs.String("from", "", "")
		pos, err := parse(fs, rest)
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usagef("outbox list takes only --state, --patient and --from")
		}
		f := booking.OutboxFilter{State: *state}
		if *from != "" {
			d, err := booking.ParseDate(*from)
			if err != nil {
				return err
			}
			f.DueFrom = d.At(0, a.clinic.Location())
		}
		if *state != "" {
			probe := booking.OutboxMessage{Kind: booking.MessageReminder, State: *state, PatientID: 1, Due: a.now}
			if err := probe.Validate(); err != nil {
				return err
			}
		}
		if *patient != "" {
			if f.PatientID, err = id("patient", *patient); err != nil {
				return err
			}
			if _, err := a.db.Patient(ctx, f.PatientID); err != nil {
				return err
			}
		}
		msgs, err := a.db.Outbox(ctx, f)
		if err != nil {
			return err
		}
		return a.printOutbox(msgs)
	case "show", "retry":
		if len(rest) != 1 {
			return usagef("outbox %s needs one message id", sub)
		}
		mid, err := id("outbox message", rest[0])
		if err != nil {
			return err
		}
		var m *booking.OutboxMessage
		if sub == "retry" {
			if m, err = a.svc.RetryOutbox(ctx, mid); err != nil {
				return err
			}
		} else if m, err = a.outboxMessage(ctx, mid); err != nil {
			return err
		}
		return a.print(m, func(w *tw) {
			loc := a.clinic.Location()
			w.row("id:", m.ID)
			w.row("kind:", m.Kind)
			w.row("patient:", m.PatientID)
			w.row("series:", m.SeriesID)
			w.row("appointment:", m.AppointmentID)
			w.row("state:", m.State)
			w.row("due:", m.Due.In(loc).Format("2006-01-02 15:04"))
			w.row("attempts:", m.Attempts)
			if !m.NextAttempt.IsZero() {
				w.row("next attempt:", m.NextAttempt.In(loc).Format("2006-01-02 15:04"))
			}
			w.row("last error:", oneLine(m.LastError))
			w.row("message-id:", m.MessageID)
			w.row("note:", oneLine(m.Note))
		})
	default:
		return usagef("unknown command %q; outbox takes list, show or retry", "outbox "+booking.Clip(sub, 40))
	}
}

// outboxMessage returns one outbox message. Returns ENOTFOUND if there is
// none with that id.
func (a *app) outboxMessage(ctx context.Context, mid int64) (*booking.OutboxMessage, error) {
	msgs, err := a.db.Outbox(ctx, booking.OutboxFilter{ID: mid})
	if err != nil {
		return nil, err
	}
	if len(msgs) == 1 {
		return msgs[0], nil
	}
	return nil, booking.Errorf(booking.ENOTFOUND, "There is no outbox message with id %d.", mid)
}

func (a *app) printOutbox(msgs []*booking.OutboxMessage) error {
	if msgs == nil {
		msgs = []*booking.OutboxMessage{}
	}
	return a.print(msgs, func(w *tw) {
		if len(msgs) == 0 {
			w.line("No messages.")
			return
		}
		loc := a.clinic.Location()
		w.row("ID", "DUE", "KIND", "PATIENT", "APPOINTMENT", "STATE", "ATTEMPTS", "NOTE")
		for _, m := range msgs {
			appt := "series"
			if m.AppointmentID != 0 {
				appt = fmt.Sprint(m.AppointmentID)
			}
			note := m.Note
			if m.LastError != "" {
				note = m.LastError
			}
			w.row(m.ID, m.Due.In(loc).Format("2006-01-02 15:04"), m.Kind, m.PatientID, appt, m.State, m.Attempts, oneLine(note))
		}
	})
}

// stdin is where email password reads the password; tests replace it.
var stdin io.Reader = os.Stdin

// emailPassword stores the SMTP password, read from standard input (never
// from a flag, which other users could see in the process list), in the
// OS keyring; --delete removes it.
func (a *app) emailPassword(args []string) error {
	fs := flag.NewFlagSet("email password", flag.ContinueOnError)
	del := fs.Bool("delete", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("email password takes no arguments: it reads the password from standard input")
	}
	e := a.clinic.Email
	if e == nil || e.Transport != booking.EmailSMTP || e.User == "" {
		return booking.Errorf(booking.EINVALID, "The email settings have no mail-server user; set them first with kapctl email set --transport smtp --host H --user U --from ADDR.")
	}
	result := map[string]string{"user": e.User, "host": e.Host}
	if *del {
		if err := reminder.DeletePassword(e.User, e.Host); err != nil {
			return err
		}
		result["password"] = "deleted"
		return a.print(result, func(w *tw) {
			w.line("The keyring holds no password for %s on %s now.", e.User, e.Host)
		})
	}
	if err := reminder.CheckKeyring(); err != nil {
		return err
	}
	pw, err := readPassword(fmt.Sprintf("Password for %s on %s: ", e.User, e.Host))
	if err != nil {
		return err
	}
	if err := reminder.SavePassword(e.User, e.Host, pw); err != nil {
		return err
	}
	result["password"] = "stored"
	return a.print(result, func(w *tw) {
		w.line("The password for %s on %s is stored in this computer's keyring.", e.User, e.Host)
		if os.Getenv(reminder.PasswordEnv) != "" {
			w.line("%s is set as well and comes first while it is.", reminder.PasswordEnv)
		}
	})
}

// readPassword reads one line from stdin: without echo, after prompt on
// standard error, when stdin is a terminal.
func readPassword(prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", booking.Errorf(booking.EINVALID, "The password could not be read from the terminal.")
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 4097))
	if err != nil {
		return "", booking.Errorf(booking.EINVALID, "The password could not be read from standard input.")
	}
	if len(b) > 4096 {
		return "", booking.Errorf(booking.EINVALID, "The password is too long (at most 4096 bytes).")
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", booking.Errorf(booking.EINVALID, "No password was given on standard input; nothing was saved.")
	}
	return s, nil
}

// policyOut is the JSON form of the message policy.
type policyOut struct {
	ReminderHours    int            `json:"reminder_hours"`
	PreparationHours int            `json:"preparation_hours"`
	PreparationKinds []booking.Kind `json:"preparation_kinds"`
	QuietStart       string         `json:"quiet_start,omitempty"`
	QuietEnd         string         `json:"quiet_end,omitempty"`
	// Own is true when the clinic has its own settings, false for the
	// defaults.
	Own bool `json:"own"`
}

// emailPolicy shows, or with flags changes, when reminders and
// preparation messages are due.
func (a *app) emailPolicy(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("email policy", flag.ContinueOnError)
	reminderH := fs.Int("reminder-hours", 0, "")
	prepH := fs.Int("preparation-hours", 0, "")
	kindsFlag := fs.String("preparation-kinds", "", "")
	quiet := fs.String("quiet", "", "")
	reset := fs.Bool("reset", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("email policy takes only flags")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *reset && len(set) > 1 {
		return usagef("email policy --reset takes no other flags")
	}
	if len(set) > 0 {
		var m *booking.MessageSettings
		if !*reset {
			m = &booking.MessageSettings{}
			if a.clinic.Messages != nil {
				*m = *a.clinic.Messages
			}
			if set["reminder-hours"] {
				m.ReminderHours = reminderH
			}
			if set["preparation-hours"] {
				m.PreparationHours = prepH
			}
			if set["preparation-kinds"] {
				m.PreparationKinds = []booking.Kind{}
				for _, k := range strings.Split(*kindsFlag, ",") {
					if k = strings.TrimSpace(k); k != "" {
						m.PreparationKinds = append(m.PreparationKinds, booking.Kind(k))
					}
				}
			}
			if set["quiet"] {
				if m.QuietStart, m.QuietEnd, err = quietHours(*quiet); err != nil {
					return err
				}
			}
		}
		if err := a.svc.SetMessagePolicy(ctx, m); err != nil {
			return err
		}
		a.clinic.Messages = m
	}
	p := a.clinic.Messages.Policy()
	o := policyOut{ReminderHours: int(p.ReminderBefore / time.Hour), PreparationHours: int(p.PreparationBefore / time.Hour),
		PreparationKinds: p.PreparationKinds, Own: a.clinic.Messages != nil}
	if o.PreparationKinds == nil {
		o.PreparationKinds = []booking.Kind{}
	}
	if p.QuietStart != p.QuietEnd {
		o.QuietStart, o.QuietEnd = p.QuietStart.String(), p.QuietEnd.String()
	}
	return a.print(o, func(w *tw) {
		if o.ReminderHours == 0 {
			w.row("reminder:", "none")
		} else {
			w.row("reminder:", fmt.Sprintf("%d hours before every appointment", o.ReminderHours))
		}
		if o.PreparationHours == 0 || len(o.PreparationKinds) == 0 {
			w.row("preparation:", "none")
		} else {
			w.row("preparation:", fmt.Sprintf("%d hours before %s appointments", o.PreparationHours, andList(o.PreparationKinds)))
		}
		if o.QuietStart == "" {
			w.row("quiet hours:", "none")
		} else {
			w.row("quiet hours:", fmt.Sprintf("%s to %s clinic time (a message due then waits until %s)", o.QuietStart, o.QuietEnd, o.QuietEnd))
		}
		if !o.Own {
			w.row("", "(the defaults)")
		}
	})
}

// quietHours parses --quiet: "HH:MM-HH:MM", or "off" (or "none") for no
// quiet hours.
func quietHours(s string) (*booking.Clock, *booking.Clock, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "none" {
		z := booking.Clock(0)
		return &z, &z, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if ok {
		from, err1 := booking.ParseClock(a)
		to, err2 := booking.ParseClock(b)
		if err1 == nil && err2 == nil && from < 24*60 && to < 24*60 {
			return &from, &to, nil
		}
	}
	return nil, nil, booking.Errorf(booking.EINVALID, "%q is not a span of quiet hours; write it as 21:00-08:00, or off.", booking.Clip(s, 40))
}

// andList joins words as "a, b and c".
func andList[S ~string](list []S) string {
	words := make([]string, len(list))
	for i, w := range list {
		words[i] = string(w)
	}
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
