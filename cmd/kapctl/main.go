// Command kapctl is kapbook's headless command: it sets up a clinic's
// database and books, moves, cancels and lists appointments from the shell.
//
//	kapctl [--db FILE] [--read-only] [--now RFC3339] [--json] [--as NAME] COMMAND [flags]
//
// Run "kapctl help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	// Zone data inside the binary: Windows has none of its own, and a
	// clinic's times must never fall back to UTC (issue 15).
	_ "time/tzdata"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/errlog"
	"github.com/kapbook/kapbook/internal/netx"
	"github.com/kapbook/kapbook/store"
)

const usage = `kapctl: book and manage a kapbook clinic from the shell.

Usage: kapctl [--db FILE|URL] [--read-only] [--now RFC3339] [--json] [--as NAME] COMMAND [flags]

Commands:
  init (--demo [--with-patients N] | --clinic FILE.json)
                                      create a new database: the demo clinic (with N fictional
                                      patients booked from tomorrow), or a clinic from a file
  check                               read and check the whole database (every page and index);
                                      damage shows here before a read meets it
  migrate --from FILE|URL --to FILE|URL
                                      copy a whole clinic into an empty database (this computer's
                                      file to the clinic's PostgreSQL server), checked table by table
  db password [--delete]              keep the --db PostgreSQL database's password (read from
                                      standard input) in the OS keyring, not in the address
  staff list | room list
  protocol list | protocol show ID [--version N] | protocol add FILE.json
                                      a changed protocol is saved as a new version; booked
                                      series keep the version they were booked under
  patient add --name N --email E [--phone P] [--weekdays mon,wed] [--times morning] [--earliest D]
  patient list [--search TEXT] | patient show ID
  patient consent ID KIND [--date D | --withdraw] [--cancel-doses | --keep-doses]
                                      KIND: detailed-email, no-email, screening-cleared, rems-enrolled;
                                      withdrawing REMS enrolment asks what to do with booked sessions
  book --patient ID --protocol ID [--from D] [--therapist ID] [--step STEP] [--video] [--skip-optional]
       [--reason TEXT] [--dry-run]         --reason: book beside the patient's active series (audited)
  agenda --from D --to D [--staff ID | --room ID | --patient ID]
  reschedule --appointment ID (--to TIME | --suggest) [--shift-later]
                                      its integration moves with it; past and held ones stay
  reschedule --appointment ID --to TIME --override REASON   break a gap or hours rule, recorded in the audit
  makeup --appointment ID (--suggest | [--to TIME [--override REASON]] [--shift-later])
                                      book a missed (no-show or cancelled) session again in its
                                      place in the series, with its integration
  cancel (--appointment ID | --series ID) --by patient|clinic [--reason TEXT]
                                      only a patient's short-notice cancellation is late; a
                                      dosing's integration is cancelled with it
  status --appointment ID arrived [--late MINUTES] | completed | no-show
  escort --appointment ID --name N --phone P
  escorts [--date D]                  visits that day (default tomorrow) still without an escort
  audit [--patient ID]
  export (--patient ID | --series ID | --staff ID | --room ID | --all) [--from D] [--to D]
         [--privacy full|initials|id] [--alarms] -o FILE.ics     an iCalendar file (-o - for stdout)
  feed url (--staff ID | --room ID) [--privacy full|initials|id] [--rotate | --revoke] [--base URL]
                                      a therapist's or room's calendar feed address, shown only when made
  serve [--addr 127.0.0.1:8080] [--public] [--log]
                                      serve the calendar feeds until Ctrl-C or SIGTERM, refresh
                                      subscribed staff calendars when they are due, and keep
                                      connected CalDAV calendars in step
  busy import --staff ID FILE.ics     block a staff member's own calendar (replaces the last import)
  busy subscribe --staff ID [--from-file FILE]
                                      the same from a private calendar address (https:// or webcal://),
                                      read from standard input or FILE (never the command line), fetched now
  busy refresh [--force]              fetch subscribed calendars that are due (hourly); keeps the last good copy
  busy list [--staff ID] [--from D] [--to D]
  busy clear --staff ID               stop blocking with their own calendar: remove the busy
                                      times, the subscription and its last copy
  busy hosts | busy allow-host HOST | busy disallow-host HOST
                                      the hosts on this computer or the clinic's network that
                                      subscribed calendars may be fetched from (none by default)
  caldav connect --staff ID (--user NAME | --no-password) [--calendar URL | --new NAME] [--privacy P] SERVER
                                      put a staff member's appointments into their own CalDAV calendar
                                      and block booking with its busy time; the password (read from
                                      standard input) goes to the OS keyring. Without --calendar or
                                      --new it lists the calendars found at SERVER
  caldav list | caldav log --staff ID [--limit N] | caldav sync [--staff ID]
                                      connections, their sync log, push and pull now (serve and the
                                      app do it in the background)
  caldav disconnect --staff ID [--keep-events] [--yes]
                                      stop; removes what kapbook put in the calendar unless --keep-events
  email set --transport smtp|eml-dir [--host H] [--port P] [--security starttls|tls|none] [--user U]
            [--from ADDR] [--from-name NAME] [--dir DIR] [--allow-plain-remote]
                                      how patient email goes out; the SMTP password is never
                                      stored in the database (see email password)
  email show | email test --to ADDR   the settings; send one test message (no patient data)
  email password [--delete]           store the SMTP password (read from standard input) in the
                                      OS keyring; $KAPBOOK_SMTP_PASSWORD, when set, comes first
  email policy [--reminder-hours H] [--preparation-hours H] [--preparation-kinds K,K]
               [--quiet HH:MM-HH:MM|off] [--reset]
                                      when reminders and preparation messages are due
  clinic treatment-words [allow|refuse]
                                      whether the clinic's name and address, the sender and video
                                      links may name the treatment in patient email (default: refuse)
  template list | template show KIND [--html] [--default] | template preview KIND [--html]
  template set KIND FILE [--html] [--allow-treatment-words] | template reset KIND
                                      the clinic's own email templates (KIND: confirmation, reminder,
                                      preparation, update, cancellation), checked when saved
  remind [--dry-run] [--watch]        send the patient email that is due (default: .eml files in
                                      outbox-eml beside the database); --watch: every minute until Ctrl-C
  outbox list [--state S] [--patient ID] [--from D] | outbox show ID | outbox retry ID
                                      what went out, what failed and why; retry a failed message
  backup FILE                         copy the database into a new file readable by you only,
                                      safe while others use it (PostgreSQL: pg_dump)

Global flags:
  --db FILE|URL   the database (default: $KAPBOOK_DB, else ` + "$XDG_DATA_HOME/kapbook/kapbook.db" + `,
                  on Windows %LOCALAPPDATA%\kapbook\kapbook.db):
                  a SQLite file, or the clinic's PostgreSQL database, postgres://USER@HOST/DB
                  (password from PGPASSFILE, ~/.pgpass or PGPASSWORD)
  --read-only     open the database file to read only (a backup, a copy): nothing in it can change;
                  a file you may read but not write is opened so without asking
  --now TIME      pretend it is TIME (RFC 3339); also KAPBOOK_NOW
  --json          machine-readable output; times are RFC 3339 in the clinic's offset
  --as NAME       who is acting, for the audit trail (default: the OS user)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exit statuses
const (
	exitOK       = 0
	exitInternal = 1
	exitUsage    = 2
	exitNotFound = 3
	exitConflict = 4
	exitStore    = 5
	// exitBrokenPipe: the reader of the output has gone (kapctl agenda |
	// head); the status a shell gives a Unix command that SIGPIPE stopped,
	// 128+13, on every system.
	exitBrokenPipe = 141
)

// app is one invocation's state.
type app struct {
	dbPath   string
	readOnly bool // --read-only
	now      time.Time
	// pretend is set when --now or KAPBOOK_NOW gave the time: remind then
	// sends only in the demo clinic (docs/operations.md).
	pretend bool
	json    bool
	actor   string
	out     io.Writer
	db      *store.DB
	svc     *booking.Service
	clinic  *booking.Clinic
	names   map[int64]string // patient names, for tables
}

// run executes kapctl with args and returns the exit status. Errors are
// one line on stderr. An internal error or a panic is recorded with its
// stack in the error log beside the database (internal/errlog) and the
// user reads "Internal error" and where the log is, never a trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	var errs *errlog.Log // once the database is known
	where := "kapctl"
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(stderr, "kapctl: "+oneLine(errs.Report(where, errlog.Recovered(r))))
			code = exitInternal
		}
	}()
	a := &app{out: stdout}
	fs := flag.NewFlagSet("kapctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dbDefault := os.Getenv("KAPBOOK_DB")
	if dbDefault == "" {
		dbDefault = store.DefaultPath()
	}
	fs.StringVar(&a.dbPath, "db", dbDefault, "")
	fs.BoolVar(&a.readOnly, "read-only", false, "")
	nowFlag := fs.String("now", os.Getenv("KAPBOOK_NOW"), "")
	fs.BoolVar(&a.json, "json", false, "")
	fs.StringVar(&a.actor, "as", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "kapctl: %s (see kapctl help)\n", oneLine(err.Error()))
		return exitUsage
	}
	if fs.NArg() == 0 || fs.Arg(0) == "help" {
		fmt.Fprint(stdout, usage)
		if fs.NArg() == 0 {
			return exitUsage
		}
		return exitOK
	}
	a.now = time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fmt.Fprintf(stderr, "kapctl: --now %q is not a time; write it as 2027-03-01T09:00:00-05:00.\n", *nowFlag)
			return exitUsage
		}
		a.now, a.pretend = t, true
	}
	if a.actor = strings.TrimSpace(a.actor); a.actor == "" {
		a.actor = osUser()
	} else if !plainName(a.actor) {
		fmt.Fprintln(stderr, "kapctl: --as must be a plain name of at most 100 characters, without control characters (see kapctl help)")
		return exitUsage
	}
	errs, where = errlog.New(store.LocalBase(a.dbPath)), "kapctl "+fs.Arg(0)
	defer errs.Close()
	err := a.refuseReadOnly(fs.Arg(0))
	if err == nil {
		err = a.dispatch(context.Background(), fs.Arg(0), fs.Args()[1:])
	}
	if a.db != nil {
		a.db.Close()
	}
	if netx.BrokenPipe(err) {
		// Nobody reads on: stop quietly, as a Unix command does.
		return exitBrokenPipe
	}
	if err != nil {
		msg := message(err)
		if u := (usageError{}); booking.ErrorCode(err) == booking.EINTERNAL && !errors.As(err, &u) {
			msg = errs.Report(where, err)
			if os.Getenv("KAPBOOK_DEBUG") != "" {
				msg += " (" + err.Error() + ")" // for developers; may name stored values
			}
		}
		fmt.Fprintln(stderr, "kapctl: "+oneLine(msg))
		return exitCode(err)
	}
	return exitOK
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func message(err error) string {
	var u usageError
	if errors.As(err, &u) {
		return u.msg + " (see kapctl help)"
	}
	return booking.ErrorMessage(err)
}

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	switch booking.ErrorCode(err) {
	case booking.EINVALID:
		return exitUsage
	case booking.ENOTFOUND:
		return exitNotFound
	case booking.ECONFLICT, booking.ENOPLAN:
		return exitConflict
	case booking.ESTORE:
		return exitStore
	}
	return exitInternal
}

// oneLine folds a message onto one line and replaces the control
// characters left in it (an escape sequence in a file name or an unknown
// flag), so the message cannot garble the terminal.
func oneLine(s string) string {
	s = booking.OneLine(s)
	return strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// plainName reports whether s can stand in the audit trail as who acted:
// valid text of at most 100 characters without control characters.
func plainName(s string) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= 100 && strings.IndexFunc(s, unsafeRune) < 0
}

// osUser returns who acts when --as is not given: this computer's user
// name, without its Windows domain (the audit trail keeps the whole
// account beside it).
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return store.UserName(u.Username)
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

// open opens the database and the service on it.
func (a *app) open(ctx context.Context) error {
	db, err := a.openDB()
	if err != nil {
		return err
	}
	a.db = db
	a.svc = &booking.Service{Store: db, Now: func() time.Time { return a.now }, Actor: a.actor}
	c, err := db.Clinic(ctx)
	if err != nil {
		if booking.ErrorCode(err) == booking.ENOTFOUND {
			return booking.Errorf(booking.ESTORE, "The database %s has no clinic yet; run kapctl init first.", store.Describe(a.dbPath))
		}
		return err
	}
	a.clinic = c
	return nil
}
