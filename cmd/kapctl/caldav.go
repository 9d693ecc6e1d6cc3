package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/secret"
)

// caldav connects staff members' own calendars on CalDAV servers
// (docs/caldav.md):
//
//	kapctl caldav connect --staff ID [--user NAME] [--calendar URL | --new NAME] [--privacy P] [--no-password] SERVER
//	kapctl caldav list
//	kapctl caldav log --staff ID [--limit N]
//	kapctl caldav sync [--staff ID]
//	kapctl caldav disconnect --staff ID [--keep-events] [--yes]
func (a *app) caldav(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("caldav needs a subcommand: connect, list, log, sync or disconnect")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "connect":
		return a.caldavConnect(ctx, rest)
	case "list":
		return a.caldavList(ctx, rest)
	case "log":
		return a.caldavLog(ctx, rest)
	case "sync":
		return a.caldavSync(ctx, rest)
	case "disconnect":
		return a.caldavDisconnect(ctx, rest)
	default:
		return usagef("unknown command %q; caldav takes connect, list, log, sync or disconnect", "caldav "+booking.Clip(sub, 40))
	}
}

// syncer returns the CalDAV syncer of this run.
func (a *app) syncer() *caldav.Syncer {
	return &caldav.Syncer{Store: a.db, Now: func() time.Time { return a.now }, Actor: a.actor}
}

func (a *app) caldavConnect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("caldav connect", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	user := fs.String("user", "", "")
	cal := fs.String("calendar", "", "")
	newName := fs.String("new", "", "")
	privacy := fs.String("privacy", "", "")
	noPassword := fs.Bool("no-password", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *staff == "" || len(pos) != 1 {
		return usagef("caldav connect needs --staff ID and the calendar server's address, such as https://calendar.example.org/ (the password on standard input)")
	}
	if *cal != "" && *newName != "" {
		return usagef("caldav connect takes --calendar URL (one found on the server) or --new NAME (a calendar kapbook makes), not both")
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	pw := ""
	if !*noPassword {
		if *user == "" {
			return usagef("caldav connect needs --user NAME (or --no-password for a server that asks for none)")
		}
		// The password file of a computer without a keyring comes first.
		listed, ok, err := caldav.FilePassword(*user, pos[0])
		switch {
		case err != nil:
			return err
		case ok:
			pw = listed
		default:
			if err := secret.Reachable(); err != nil {
				return booking.Errorf(booking.ESTORE, "This computer has no keyring kapbook can reach (no desktop session); list the calendar's password in the file %s names instead (docs/caldav.md).", caldav.PasswordsEnv)
			}
			if pw, err = readPassword(fmt.Sprintf("Password (or app password) for %s: ", *user)); err != nil {
				return err
			}
		}
	}
	what := fmt.Sprintf("%s's calendar was not connected", s.Name)
	home, cals, err := caldav.Discover(ctx, a.db, pos[0], *user, pw)
	if err != nil && (*cal == "" || *newName != "") {
		return caldav.Explain(what, err)
	}
	if *cal == "" && *newName == "" {
		return a.printCalendars(s, cals)
	}
	acct, err := a.syncer().Connect(ctx, caldav.ConnectRequest{StaffID: s.ID, Server: pos[0], User: *user, Password: pw,
		Calendar: *cal, NewName: *newName, Home: home, Privacy: *privacy})
	if err != nil {
		return caldav.Explain(what, err)
	}
	res, err := a.syncer().Sync(ctx, s.ID, true)
	if err != nil {
		return err
	}
	out := map[string]any{"staff": s.ID, "calendar": acct.Calendar, "name": acct.CalendarName, "made": acct.Made, "privacy": acct.Privacy}
	var r caldav.Result
	if len(res) == 1 {
		r = res[0]
		out["new"], out["busy"] = r.New, r.Busy
		if r.Err != nil {
			out["error"] = r.Err.Error()
		}
	}
	return a.print(out, func(w *tw) {
		made := ""
		if acct.Made {
			made = ", made by kapbook"
		}
		w.line("Connected %s (staff %d) to the calendar “%s”%s; patients show as %s.", s.Name, s.ID, acct.CalendarName, made, acct.Privacy)
		if r.Err != nil {
			w.line("The first sync failed: %s. kapctl serve (or the app) tries again; kapctl caldav sync tries now.", errText(r.Err))
			return
		}
		w.line("Sent %d appointments to it; %d busy times from it now block booking.", r.New, r.Busy)
		w.line("kapctl serve (or the desktop app) keeps it in step: changes within a minute, busy time every 5 minutes.")
	})
}

// printCalendars lists the calendars found, for choosing one.
func (a *app) printCalendars(s *booking.Staff, cals []caldav.Calendar) error {
	return a.print(map[string]any{"staff": s.ID, "calendars": cals}, func(w *tw) {
		if len(cals) == 0 {
			w.line("The account has no calendar for events yet. Run the same command with --new kapbook to make one.")
			return
		}
		w.line("Calendars found; run the same command again with --calendar URL to use one, or --new NAME to make one for kapbook:")
		w.row("NAME", "URL")
		for _, c := range cals {
			w.row(c.Name, c.URL)
		}
	})
}

// caldavOut is the JSON form of a connection.
type caldavOut struct {
	Staff    int64     `json:"staff"`
	Name     string    `json:"name"`
	Calendar string    `json:"calendar"`
	Title    string    `json:"calendar_name"`
	User     string    `json:"user,omitempty"`
	Privacy  string    `json:"privacy"`
	Items    int       `json:"appointments"`
	Pulled   time.Time `json:"pulled"`
	Error    string    `json:"error,omitempty"`
}

func (a *app) caldavList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("caldav list", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("caldav list takes no arguments")
	}
	sts, err := caldav.Statuses(ctx, a.db, 0)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	staff, err := a.db.StaffList(ctx)
	if err != nil {
		return err
	}
	for _, s := range staff {
		names[s.ID] = s.Name
	}
	out := []caldavOut{}
	for _, st := range sts {
		ac := st.Account
		out = append(out, caldavOut{Staff: ac.StaffID, Name: names[ac.StaffID], Calendar: ac.Calendar, Title: ac.CalendarName,
			User: ac.User, Privacy: ac.Privacy, Items: st.Items, Pulled: ac.Pulled.In(a.clinic.Location()), Error: ac.Error})
	}
	return a.print(out, func(w *tw) {
		if len(out) == 0 {
			w.line("No staff member has a calendar connected; connect one with kapctl caldav connect --staff ID --user NAME SERVER.")
			return
		}
		w.row("STAFF", "NAME", "CALENDAR", "APPOINTMENTS", "BUSY READ", "STATE")
		for _, o := range out {
			pulled := "never"
			if !o.Pulled.IsZero() {
				pulled = o.Pulled.Format("Mon 2 Jan 15:04")
			}
			state := "ok"
			if o.Error != "" {
				state = o.Error
			}
			w.row(o.Staff, o.Name, o.Title+" ("+caldav.Host(o.Calendar)+")", o.Items, pulled, state)
		}
	})
}

func (a *app) caldavLog(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("caldav log", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	limit := fs.Int("limit", 20, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *staff == "" || len(pos) > 0 {
		return usagef("caldav log needs --staff ID")
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	log, err := a.db.CalDAVLog(ctx, s.ID, *limit)
	if err != nil {
		return err
	}
	loc := a.clinic.Location()
	for _, e := range log {
		e.At = e.At.In(loc)
	}
	return a.print(log, func(w *tw) {
		if len(log) == 0 {
			w.line("%s's calendar sync log is empty.", s.Name)
			return
		}
		for i := len(log) - 1; i >= 0; i-- {
			w.line("%s  %s", log[i].At.Format("Mon 2 Jan 15:04"), log[i].Message)
		}
	})
}

func (a *app) caldavSync(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("caldav sync", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("caldav sync takes only --staff ID")
	}
	var sid int64
	if *staff != "" {
		s, err := a.staffMember(ctx, *staff)
		if err != nil {
			return err
		}
		sid = s.ID
	}
	res, err := a.syncer().Sync(ctx, sid, true)
	if err != nil {
		return err
	}
	type out struct {
		Staff    int64  `json:"staff"`
		New      int    `json:"new"`
		Changed  int    `json:"changed"`
		Removed  int    `json:"removed"`
		Restored int    `json:"restored"`
		Busy     int    `json:"busy"`
		Error    string `json:"error,omitempty"`
	}
	outs := []out{}
	failed := 0
	for _, r := range res {
		o := out{Staff: r.StaffID, New: r.New, Changed: r.Changed, Removed: r.Removed, Restored: r.Restored, Busy: r.Busy}
		if r.Err != nil {
			o.Error = errText(r.Err)
			failed++
		}
		outs = append(outs, o)
	}
	err = a.print(outs, func(w *tw) {
		if len(outs) == 0 {
			w.line("No staff member has a calendar connected.")
			return
		}
		w.row("STAFF", "NEW", "CHANGED", "REMOVED", "PUT BACK", "BUSY", "STATE")
		for _, o := range outs {
			state := "ok"
			if o.Error != "" {
				state = o.Error
			}
			w.row(o.Staff, o.New, o.Changed, o.Removed, o.Restored, o.Busy, state)
		}
	})
	if err == nil && failed > 0 {
		return booking.Errorf(booking.ESTORE, "%d of %d calendars could not be synced; kapctl caldav log --staff ID says why and when.", failed, len(outs))
	}
	return err
}

func (a *app) caldavDisconnect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("caldav disconnect", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	keep := fs.Bool("keep-events", false, "")
	yes := fs.Bool("yes", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *staff == "" || len(pos) > 0 {
		return usagef("caldav disconnect needs --staff ID")
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	sts, err := caldav.Statuses(ctx, a.db, 0)
	if err != nil {
		return err
	}
	var st *caldav.Status
	for i := range sts {
		if sts[i].Account.StaffID == s.ID {
			st = &sts[i]
		}
	}
	if st == nil {
		return booking.Errorf(booking.ENOTFOUND, "%s (staff %d) has no calendar connected.", s.Name, s.ID)
	}
	remove := !*keep
	if remove && !*yes {
		what := fmt.Sprintf("the %d appointments kapbook put in the calendar “%s”", st.Items, st.Account.CalendarName)
		if st.Account.Made {
			what = fmt.Sprintf("the calendar “%s”, which kapbook made, with the %d appointments in it", st.Account.CalendarName, st.Items)
		}
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return usagef("caldav disconnect removes %s from %s's server: add --yes to do so, or --keep-events to leave them there", what, s.Name)
		}
		fmt.Fprintf(os.Stderr, "Remove %s on %s? [y/N] ", what, caldav.Host(st.Account.Calendar))
		line, _ := bufio.NewReader(f).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return booking.Errorf(booking.EINVALID, "Nothing was changed; %s's calendar is still connected.", s.Name)
		}
	}
	d, err := a.syncer().Disconnect(ctx, s.ID, remove)
	if err != nil {
		return err
	}
	out := map[string]any{"staff": s.ID, "removed": d.Removed, "deleted_calendar": d.Deleted, "busy": d.Busy}
	if d.Err != nil {
		out["error"] = errText(d.Err)
	}
	return a.print(out, func(w *tw) {
		w.line("%s's calendar is disconnected; its %d busy times no longer block booking.", s.Name, d.Busy)
		switch {
		case d.Err != nil:
			w.line("What kapbook put there could not be removed: %s. Remove it in the calendar app.", errText(d.Err))
		case d.Deleted:
			w.line("The calendar kapbook made was deleted from the server.")
		case remove:
			w.line("Removed the %d appointments kapbook had put in it.", d.Removed)
		default:
			w.line("The appointments kapbook put in it were left there; they no longer change.")
		}
	})
}

// errText is a server's or the keyring's refusal in words.
func errText(err error) string {
	var e *caldav.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return err.Error()
}
