package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// busy imports, subscribes to and lists staff members' own calendars, whose
// busy times the planner avoids:
//
//	kapctl busy import --staff ID FILE.ics
//	kapctl busy subscribe --staff ID [--from-file FILE]   (the address on standard input)
//	kapctl busy refresh [--force]
//	kapctl busy list [--staff ID] [--from D --to D]
//	kapctl busy clear --staff ID
//	kapctl busy hosts
//	kapctl busy allow-host HOST
//	kapctl busy disallow-host HOST
func (a *app) busy(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("busy needs a subcommand: import, subscribe, refresh, list, clear, hosts, allow-host or disallow-host")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "import":
		return a.busyImport(ctx, rest)
	case "subscribe":
		return a.busySubscribe(ctx, rest)
	case "refresh":
		return a.busyRefresh(ctx, rest)
	case "list":
		return a.busyList(ctx, rest)
	case "clear":
		return a.busyClear(ctx, rest)
	case "hosts":
		return a.busyHosts(rest)
	case "allow-host", "disallow-host":
		return a.busyAllowHost(ctx, sub, rest)
	default:
		return usagef("unknown command %q; busy takes import, subscribe, refresh, list, clear, hosts, allow-host or disallow-host", "busy "+booking.Clip(sub, 40))
	}
}

// subscriptions returns the service that fetches subscribed calendars.
func (a *app) subscriptions() *calendar.Subscriptions {
	return &calendar.Subscriptions{Store: a.db, Now: func() time.Time { return a.now }, Actor: a.actor}
}

// staffMember returns the staff member with the id given for --staff.
func (a *app) staffMember(ctx context.Context, flagValue string) (*booking.Staff, error) {
	sid, err := id("staff", flagValue)
	if err != nil {
		return nil, err
	}
	staff, err := a.db.StaffList(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range staff {
		if s.ID == sid {
			return s, nil
		}
	}
	return nil, booking.Errorf(booking.ENOTFOUND, "There is no staff member with id %d.", sid)
}

// subscription returns staff member id's subscription, or nil.
func (a *app) subscription(ctx context.Context, staffID int64) (*booking.BusySubscription, error) {
	subs, err := a.db.BusySubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		if s.StaffID == staffID {
			return s, nil
		}
	}
	return nil, nil
}

func (a *app) busyImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("busy import", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *staff == "" || len(pos) != 1 {
		return usagef("busy import needs --staff ID and one calendar file (FILE.ics)")
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return booking.Errorf(booking.EINVALID, "Cannot read the calendar file %s.", pos[0])
	}
	defer f.Close()
	imp, err := calendar.ImportBusyFile(ctx, a.db, s.ID, f, pos[0], a.now, a.actor)
	if err != nil {
		return err
	}
	busy, replaced, clashes, from, to := imp.Imported, imp.Replaced, imp.Clashes, imp.From, imp.To
	sub, err := a.subscription(ctx, s.ID)
	if err != nil {
		return err
	}
	loc := a.clinic.Location()
	return a.print(map[string]any{"staff": s.ID, "name": s.Name, "imported": busy, "replaced": replaced, "from": from.In(loc), "to": to.In(loc),
		"clashes": a.apptJSON(clashes)},
		func(w *tw) {
			w.line("Imported %d busy times for %s (staff %d), %s to %s; they replace the %d imported before.",
				busy, s.Name, s.ID, from.In(loc).Format("Mon 2 Jan 2006"), to.In(loc).Format("Mon 2 Jan 2006"), replaced)
			if sub != nil {
				w.line("Note: %s also has a subscribed calendar (%s); the next \"kapctl busy refresh\" replaces these busy times with it.", s.Name, calendar.RedactURL(sub.URL))
			}
			if len(clashes) > 0 {
				w.line("Warning: %d booked appointment(s) of %s fall in this busy time; new bookings avoid it, but these need moving (kapctl reschedule --suggest):", len(clashes), s.Name)
				a.apptTable(w, clashes)
			}
		})
}

// busyClear stops a staff member's own calendar from blocking booking.
func (a *app) busyClear(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("busy clear", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *staff == "" || len(pos) != 0 {
		return usagef("busy clear needs --staff ID and nothing else")
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	c, err := calendar.ClearBusy(ctx, a.db, s.ID, a.now, a.actor)
	if err != nil {
		return err
	}
	return a.print(map[string]any{"staff": s.ID, "name": s.Name, "removed": c.Busy, "unsubscribed": c.Site},
		func(w *tw) {
			switch {
			case c.Busy == 0 && c.Site == "":
				w.line("%s (staff %d) has no imported busy times and no subscribed calendar; nothing changed.", s.Name, s.ID)
				return
			case c.Site != "":
				w.line("Stopped fetching the calendar of %s (staff %d) at %s and removed its %d busy times.", s.Name, s.ID, c.Site, c.Busy)
			default:
				w.line("Removed the %d imported busy times of %s (staff %d).", c.Busy, s.Name, s.ID)
			}
			w.line("Their own calendar no longer blocks booking; working hours and time off still do.")
		})
}

func (a *app) busySubscribe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("busy subscribe", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	fromFile := fs.String("from-file", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *staff == "" {
		return usagef("busy subscribe needs --staff ID, and the calendar's address on standard input or in --from-file FILE")
	}
	if len(pos) > 0 {
		// A private calendar address is a secret: on the command line it
		// shows in the process list and the shell's history.
		return usagef("busy subscribe takes the calendar's address on standard input (or --from-file FILE), not on the command line, where others could read it")
	}
	addr, err := readSecretLine(*fromFile, "The calendar's private address (https://…): ")
	if err != nil {
		return err
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	res, err := a.subscriptions().Subscribe(ctx, s.ID, addr)
	if err != nil {
		return calendar.Explain(fmt.Sprintf("%s was not subscribed to the calendar", s.Name), err)
	}
	return a.print(map[string]any{"staff": s.ID, "name": s.Name, "calendar": res.Site, "busy": res.Busy},
		func(w *tw) {
			w.line("Subscribed %s (staff %d) to the calendar at %s: %d busy times in the coming year.", s.Name, s.ID, res.Site, res.Busy)
			w.line("Run \"kapctl busy refresh\" regularly (every hour, from cron or a timer) to keep them up to date.")
		})
}

// busyHosts lists the hosts a subscription may reach although they are on
// this computer or the clinic's network.
func (a *app) busyHosts(args []string) error {
	if len(args) > 0 {
		return usagef("busy hosts takes no arguments")
	}
	return a.printHosts(a.clinic.CalendarHosts, "")
}

// busyAllowHost allows (allow-host) or no longer allows (disallow-host)
// one host on this computer or the clinic's network.
func (a *app) busyAllowHost(ctx context.Context, cmd string, args []string) error {
	fs := flag.NewFlagSet("busy "+cmd, flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("busy %s needs one host name, such as calendar.clinic.lan (no https://, no path)", cmd)
	}
	var hosts []string
	var done string
	if cmd == "allow-host" {
		hosts, err = a.svc.AllowCalendarHost(ctx, pos[0])
		done = "Allowed"
	} else {
		hosts, err = a.svc.DisallowCalendarHost(ctx, pos[0])
		done = "No longer allowed"
	}
	if err != nil {
		return err
	}
	a.clinic.CalendarHosts = hosts
	host := strings.ToLower(strings.TrimSpace(pos[0]))
	if h, err := booking.CheckCalendarHost(pos[0]); err == nil {
		host = h
	}
	return a.printHosts(hosts, fmt.Sprintf("%s %s.", done, host))
}

// printHosts shows the allowed calendar hosts after note.
func (a *app) printHosts(hosts []string, note string) error {
	if hosts == nil {
		hosts = []string{}
	}
	return a.print(map[string]any{"calendar_hosts": hosts}, func(w *tw) {
		if note != "" {
			w.line("%s", note)
		}
		if len(hosts) == 0 {
			w.line("No calendar host is allowed on this computer or the clinic's network: subscribed calendars and CalDAV servers are reached on the internet only.")
			w.line("Allow the clinic's own calendar server with: kapctl busy allow-host HOST")
			return
		}
		w.line("Subscribed calendars and CalDAV servers may be reached on these hosts although they are on this computer or the clinic's network:")
		for _, h := range hosts {
			w.line("  %s", h)
		}
	})
}

// refreshOut is the JSON form of one subscription's refresh.
type refreshOut struct {
	Staff    int64  `json:"staff"`
	Name     string `json:"name"`
	Calendar string `json:"calendar"`
	Changed  bool   `json:"changed"`
	Busy     int    `json:"busy"`
	Error    string `json:"error,omitempty"`
}

func (a *app) busyRefresh(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("busy refresh", flag.ContinueOnError)
	force := fs.Bool("force", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("busy refresh takes no arguments, only --force")
	}
	subs, err := a.db.BusySubscriptions(ctx)
	if err != nil {
		return err
	}
	results, err := a.subscriptions().Refresh(ctx, *force)
	if err != nil {
		return err
	}
	names, err := a.staffNames(ctx)
	if err != nil {
		return err
	}
	out := make([]refreshOut, 0, len(results))
	failed := 0
	for _, r := range results {
		o := refreshOut{Staff: r.StaffID, Name: names[r.StaffID], Calendar: r.Site, Changed: r.Changed, Busy: r.Busy}
		if r.Err != nil {
			failed++
			o.Error = refreshReason(r.Err)
		}
		out = append(out, o)
	}
	return a.print(out, func(w *tw) {
		switch {
		case len(subs) == 0:
			w.line("No staff member has a subscribed calendar; add one with kapctl busy subscribe --staff ID (the address on standard input).")
			return
		case len(out) == 0:
			w.line("No subscribed calendar is due; they were fetched less than %d minutes ago (--force fetches them now).", int(calendar.RefreshEvery.Minutes()))
			return
		}
		if failed > 0 {
			w.line("Warning: %d of %d calendars could not be fetched; kapbook keeps their last good copy.", failed, len(out))
		}
		w.row("STAFF", "NAME", "CALENDAR", "RESULT", "BUSY TIMES")
		for _, o := range out {
			result := "unchanged"
			switch {
			case o.Error != "":
				result = "failed: " + o.Error
			case o.Changed:
				result = "updated"
			}
			w.row(o.Staff, o.Name, o.Calendar, result, o.Busy)
		}
	})
}

// refreshReason words a refresh failure.
func refreshReason(err error) string {
	var fe *calendar.FetchError
	var ie *calendar.ImportError
	switch {
	case errors.As(err, &fe):
		return fe.Reason
	case errors.As(err, &ie) && ie.Line > 0:
		return fmt.Sprintf("line %d: %s", ie.Line, ie.Reason)
	case errors.As(err, &ie):
		return ie.Reason
	}
	return booking.ErrorMessage(err)
}

func (a *app) staffNames(ctx context.Context) (map[int64]string, error) {
	staff, err := a.db.StaffList(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, s := range staff {
		names[s.ID] = s.Name
	}
	return names, nil
}

// subscriptionOut is the JSON form of a subscription: never its address.
type subscriptionOut struct {
	Calendar string     `json:"calendar"`
	Fetched  *time.Time `json:"fetched"`
	Error    string     `json:"error,omitempty"`
}

func (a *app) subscriptionJSON(s *booking.BusySubscription) *subscriptionOut {
	if s == nil {
		return nil
	}
	o := &subscriptionOut{Calendar: calendar.RedactURL(s.URL), Error: s.Error}
	if !s.Fetched.IsZero() {
		t := s.Fetched.In(a.clinic.Location())
		o.Fetched = &t
	}
	return o
}

func (a *app) subscriptionText(s *booking.BusySubscription) string {
	text := calendar.RedactURL(s.URL)
	if !s.Fetched.IsZero() {
		text += ", last fetched " + s.Fetched.In(a.clinic.Location()).Format("2006-01-02 15:04")
	}
	if s.Error != "" {
		return text + "; failed: " + s.Error + " (the last good copy is kept)"
	}
	return text + "; OK"
}

func (a *app) busyList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("busy list", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("busy list takes only --staff ID, --from D and --to D")
	}
	start, end, err := a.dateRange(*from, *to)
	if err != nil {
		return err
	}
	loc := a.clinic.Location()
	if *staff == "" {
		return a.busyOverview(ctx, start, end)
	}
	s, err := a.staffMember(ctx, *staff)
	if err != nil {
		return err
	}
	sub, err := a.subscription(ctx, s.ID)
	if err != nil {
		return err
	}
	busy := []booking.Interval{}
	for _, iv := range s.Busy {
		if iv.Overlaps(start, end) {
			busy = append(busy, booking.Interval{Start: iv.Start.In(loc), End: iv.End.In(loc), Reason: iv.Reason})
		}
	}
	last := end.Add(-time.Second)
	return a.print(map[string]any{"staff": map[string]any{"id": s.ID, "name": s.Name}, "from": start, "to": end,
		"subscription": a.subscriptionJSON(sub), "busy": busy},
		func(w *tw) {
			w.line("%s (staff %d): %d busy times from their own calendar, %s to %s.", s.Name, s.ID, len(busy),
				start.Format("Mon 2 Jan 2006"), last.Format("Mon 2 Jan 2006"))
			if sub != nil {
				w.line("Subscribed calendar: %s.", a.subscriptionText(sub))
			}
			if len(busy) == 0 {
				return
			}
			w.row("FROM", "TO")
			for _, iv := range busy {
				endText := iv.End.Format("15:04 MST")
				if booking.DateOf(iv.End) != booking.DateOf(iv.Start) {
					endText = iv.End.Format("Mon 2006-01-02 15:04 MST")
				}
				w.row(iv.Start.Format("Mon 2006-01-02 15:04"), endText)
			}
		})
}

// busyOverview lists every staff member's imported busy times in the range.
func (a *app) busyOverview(ctx context.Context, start, end time.Time) error {
	staff, err := a.db.StaffList(ctx)
	if err != nil {
		return err
	}
	subs, err := a.db.BusySubscriptions(ctx)
	if err != nil {
		return err
	}
	bySub := map[int64]*booking.BusySubscription{}
	for _, s := range subs {
		bySub[s.StaffID] = s
	}
	type row struct {
		Staff        int64            `json:"staff"`
		Name         string           `json:"name"`
		Busy         int              `json:"busy"`
		Subscription *subscriptionOut `json:"subscription"`
	}
	rows := []row{}
	for _, s := range staff {
		n := 0
		for _, iv := range s.Busy {
			if iv.Overlaps(start, end) {
				n++
			}
		}
		rows = append(rows, row{s.ID, s.Name, n, a.subscriptionJSON(bySub[s.ID])})
	}
	return a.print(rows, func(w *tw) {
		w.line("Busy times from staff members' own calendars, %s to %s:", start.Format("Mon 2 Jan 2006"), end.Add(-time.Second).Format("Mon 2 Jan 2006"))
		w.row("STAFF", "NAME", "BUSY TIMES", "SUBSCRIBED CALENDAR")
		for _, r := range rows {
			source := "-"
			if sub := bySub[r.Staff]; sub != nil {
				source = a.subscriptionText(sub)
			}
			w.row(r.Staff, r.Name, r.Busy, source)
		}
	})
}

// readSecretLine reads one secret line (a private calendar address): from
// file when one is named, else from standard input, hidden when that is a
// terminal. The line never appears on the command line.
func readSecretLine(file, prompt string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", booking.Errorf(booking.EINVALID, "The file %q cannot be read: %s.", booking.Clip(file, 60), fileProblem(err))
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if s := strings.TrimSpace(line); s != "" {
			return s, nil
		}
		return "", booking.Errorf(booking.EINVALID, "The file %q is empty; put the calendar's address on its first line.", booking.Clip(file, 60))
	}
	s, err := readPassword(prompt)
	if err != nil {
		return "", booking.Errorf(booking.EINVALID, "Give the calendar's address on standard input (or --from-file FILE).")
	}
	return strings.TrimSpace(s), nil
}
