package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// parse parses flags that may stand before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usagef("%s takes the flags shown in kapctl help", fs.Name())
			}
			return nil, usagef("%s: %s", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// id parses a numeric id given for what.
func id(what, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		article := "a"
		if strings.ContainsRune("aeiou", rune(what[0])) {
			article = "an"
		}
		return 0, booking.Errorf(booking.EINVALID, "%q is not %s %s id; ids are whole numbers such as 12.", clip(s), article, what)
	}
	return n, nil
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// instant parses RFC 3339, or "YYYY-MM-DD HH:MM" (or with a T) in the
// clinic's zone.
func (a *app) instant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, a.clinic.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, booking.Errorf(booking.EINVALID, "%q is not a time; write it as 2027-03-08T10:00 (clinic time) or in RFC 3339.", clip(s))
}

func (a *app) dispatch(ctx context.Context, cmd string, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub = args[0]
	}
	switch cmd {
	case "init":
		return a.initDB(ctx, args)
	case "staff", "room", "protocol", "patient":
		if sub == "" {
			return usagef("%s needs a subcommand", cmd)
		}
		args = args[1:]
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	switch cmd + " " + sub {
	case "staff list":
		return a.staffList(ctx, args)
	case "room list":
		return a.roomList(ctx, args)
	case "protocol list":
		return a.protocolList(ctx, args)
	case "protocol show":
		return a.protocolShow(ctx, args)
	case "protocol add":
		return a.protocolAdd(ctx, args)
	case "patient add":
		return a.patientAdd(ctx, args)
	case "patient list":
		return a.patientList(ctx, args)
	case "patient show":
		return a.patientShow(ctx, args)
	case "patient consent":
		return a.patientConsent(ctx, args)
	}
	switch cmd {
	case "book":
		return a.book(ctx, args)
	case "agenda":
		return a.agenda(ctx, args)
	case "reschedule":
		return a.reschedule(ctx, args)
	case "makeup":
		return a.makeup(ctx, args)
	case "cancel":
		return a.cancel(ctx, args)
	case "status":
		return a.status(ctx, args)
	case "escort":
		return a.escort(ctx, args)
	case "audit":
		return a.audit(ctx, args)
	case "escorts":
		return a.escorts(ctx, args)
	case "export":
		return a.export(ctx, args)
	case "busy":
		return a.busy(ctx, args)
	case "feed":
		return a.feed(ctx, args)
	case "serve":
		return a.serve(ctx, args)
	case "email":
		return a.email(ctx, args)
	case "remind":
		return a.remind(ctx, args)
	case "outbox":
		return a.outbox(ctx, args)
	case "template":
		return a.template(ctx, args)
	case "staff", "room", "protocol", "patient":
		return usagef("unknown command %q", cmd+" "+clip(sub))
	}
	return usagef("unknown command %q", clip(cmd))
}

func (a *app) initDB(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	demo := fs.Bool("demo", false, "")
	from := fs.String("clinic", "", "")
	samples := fs.Int("with-patients", 0, "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *samples < 0 || *samples > len(resources.SamplePatients) || (*samples > 0 && !*demo) {
		return usagef("--with-patients takes 1 to %d, with --demo", len(resources.SamplePatients))
	}
	data := resources.DemoClinic
	if *from != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			return booking.Errorf(booking.EINVALID, "Cannot read the clinic file %s.", *from)
		}
		data = b
	} else if !*demo {
		return usagef("init needs --demo or --clinic FILE.json (see resources/demo-clinic.json for the format)")
	}
	f, err := booking.ParseClinicFile(data)
	if err != nil {
		return err
	}
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		return err
	}
	db, err := store.Create(a.dbPath)
	created := err == nil
	if booking.ErrorCode(err) == booking.EINVALID {
		// The file exists. Finish it if it is a kapbook database left
		// without a clinic (an empty file, or an init cut short), which
		// every other command sends here; Open refuses any other file
		// unchanged, and InitClinic one that has a clinic.
		db, err = store.Open(a.dbPath)
	}
	if err != nil {
		return err
	}
	a.db = db
	// discard removes a database this command created and could not finish.
	discard := func(err error) error {
		if created {
			db.Close()
			a.db = nil
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(a.dbPath + suffix)
			}
		}
		return err
	}
	if err := booking.InitClinic(ctx, db, f, ps, a.actor, a.now); err != nil {
		if !created && booking.ErrorCode(err) == booking.ECONFLICT {
			return booking.Errorf(booking.ECONFLICT, "The database %s already has a clinic; kapbook will not overwrite it.", a.dbPath)
		}
		return discard(err)
	}
	booked, err := a.bookSamples(ctx, *samples)
	if err != nil {
		return discard(err)
	}
	return a.print(map[string]any{"database": a.dbPath, "clinic": f.Clinic.Name, "staff": len(f.Staff), "rooms": len(f.Rooms), "protocols": len(ps), "patients": *samples, "appointments": booked},
		func(w *tw) {
			w.line("Created %s with %s: %d staff, %d rooms, %d protocols.", a.dbPath, f.Clinic.Name, len(f.Staff), len(f.Rooms), len(ps))
			if *samples > 0 {
				w.line("Added %d fictional patients with %d booked appointments.", *samples, booked)
			}
		})
}

// bookSamples adds n demo patients and books each one's series from tomorrow.
func (a *app) bookSamples(ctx context.Context, n int) (int, error) {
	a.svc = &booking.Service{Store: a.db, Now: func() time.Time { return a.now }, Actor: a.actor}
	c, err := a.db.Clinic(ctx)
	if err != nil {
		return 0, err
	}
	return resources.BookSamples(ctx, a.svc, n, booking.DateOf(a.now.In(c.Location()))+1)
}

func (a *app) staffList(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("staff list", flag.ContinueOnError), args); err != nil {
		return err
	}
	staff, err := a.db.StaffList(ctx)
	if err != nil {
		return err
	}
	return a.print(staff, func(w *tw) {
		w.row("ID", "NAME", "ROLES", "QUALIFICATIONS", "HOURS")
		for _, s := range staff {
			var roles []string
			for _, r := range s.Roles {
				roles = append(roles, string(r))
			}
			w.row(s.ID, s.Name, strings.Join(roles, ","), strings.Join(s.Qualifications, ","), hoursText(s.Hours))
		}
	})
}

func (a *app) roomList(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("room list", flag.ContinueOnError), args); err != nil {
		return err
	}
	rooms, err := a.db.Rooms(ctx)
	if err != nil {
		return err
	}
	return a.print(rooms, func(w *tw) {
		w.row("ID", "NAME", "KIND", "EQUIPMENT")
		for _, r := range rooms {
			w.row(r.ID, r.Name, r.Kind, strings.Join(r.Equipment, ","))
		}
	})
}

func (a *app) protocolList(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("protocol list", flag.ContinueOnError), args); err != nil {
		return err
	}
	ps, err := a.db.Protocols(ctx)
	if err != nil {
		return err
	}
	return a.print(ps, func(w *tw) {
		w.row("ID", "APPOINTMENTS", "WINDOW", "NAME")
		for _, p := range ps {
			w.row(p.ID, len(booking.Instances(p)), strconv.Itoa(p.WindowDays)+" days", p.Name)
		}
	})
}

func (a *app) protocolShow(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("protocol show", flag.ContinueOnError)
	version := fs.Int("version", 0, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("protocol show needs one protocol id")
	}
	p, err := a.db.Protocol(ctx, pos[0])
	if err == nil && *version != 0 {
		p, err = a.db.ProtocolVersion(ctx, pos[0], *version)
	}
	if err != nil {
		return err
	}
	return a.print(p, func(w *tw) {
		w.line("%s: %s (version %d)", p.ID, p.Name, p.Version)
		if p.Description != "" {
			w.line("%s", p.Description)
		}
		w.line("Whole series within %d days of its start; same therapist throughout: %v.", p.WindowDays, p.SameTherapistRequired())
		w.line("")
		w.row("STEP", "KIND", "COUNT", "LENGTH", "STAFF", "ROOM", "WHEN")
		for i, s := range p.Steps {
			w.row(s.ID, s.Kind, s.Count, strconv.Itoa(s.Minutes)+" min", staffText(s.Staff), roomText(s.Room), whenText(p, i))
		}
	})
}

func (a *app) protocolAdd(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("protocol add", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("protocol add needs one JSON file")
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return booking.Errorf(booking.EINVALID, "Cannot read the protocol file %s.", pos[0])
	}
	p, err := booking.ParseProtocol(data)
	if err != nil {
		return err
	}
	saved, err := a.svc.SaveProtocol(ctx, p)
	if err != nil {
		return err
	}
	return a.print(map[string]any{"protocol": p, "version": saved.Version, "changed": saved.Changed, "older_active_series": saved.OlderActive},
		func(w *tw) { w.line("%s", booking.ProtocolSavedWords(p, saved)) })
}

func (a *app) patientAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patient add", flag.ContinueOnError)
	name := fs.String("name", "", "")
	email := fs.String("email", "", "")
	phone := fs.String("phone", "", "")
	weekdays := fs.String("weekdays", "", "")
	times := fs.String("times", "", "")
	earliest := fs.String("earliest", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	p := &booking.Patient{Name: *name, Email: *email, Phone: *phone}
	for _, d := range splitList(*weekdays) {
		wd, err := booking.ParseWeekday(d)
		if err != nil {
			return err
		}
		p.Preferences.Weekdays = append(p.Preferences.Weekdays, booking.WeekdayKey(wd))
	}
	p.Preferences.TimesOfDay = splitList(*times)
	if *earliest != "" {
		d, err := booking.ParseDate(*earliest)
		if err != nil {
			return err
		}
		p.Preferences.Earliest = d
	}
	if err := a.svc.AddPatient(ctx, p); err != nil {
		return err
	}
	return a.print(p, func(w *tw) { w.line("Added patient %d: %s.", p.ID, p.Name) })
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (a *app) patientList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patient list", flag.ContinueOnError)
	search := fs.String("search", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ps, err := a.db.FindPatients(ctx, *search)
	if err != nil {
		return err
	}
	return a.print(ps, func(w *tw) {
		w.row("ID", "NAME", "EMAIL", "PHONE")
		for _, p := range ps {
			w.row(p.ID, p.Name, p.Email, p.Phone)
		}
	})
}

func (a *app) patientShow(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("patient show", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("patient show needs one patient id")
	}
	pid, err := id("patient", pos[0])
	if err != nil {
		return err
	}
	p, err := a.db.Patient(ctx, pid)
	if err != nil {
		return err
	}
	appts, err := a.db.Appointments(ctx, booking.AppointmentFilter{PatientID: pid})
	if err != nil {
		return err
	}
	return a.print(map[string]any{"patient": p, "appointments": a.apptJSON(appts)}, func(w *tw) {
		w.line("Patient %d: %s", p.ID, p.Name)
		w.line("Email: %s   Phone: %s", p.Email, p.Phone)
		w.line("Consents: %s", consentText(p.Consents))
		if len(p.Preferences.Weekdays)+len(p.Preferences.TimesOfDay) > 0 {
			w.line("Prefers: %s %s", strings.Join(p.Preferences.Weekdays, ","), strings.Join(p.Preferences.TimesOfDay, ","))
		}
		w.line("")
		a.apptTable(w, appts)
	})
}

func (a *app) patientConsent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patient consent", flag.ContinueOnError)
	date := fs.String("date", "", "")
	withdraw := fs.Bool("withdraw", false, "")
	cancelDoses := fs.Bool("cancel-doses", false, "")
	keepDoses := fs.Bool("keep-doses", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("patient consent needs a patient id and a consent kind")
	}
	if *cancelDoses && *keepDoses {
		return usagef("--cancel-doses and --keep-doses cannot be combined")
	}
	pid, err := id("patient", pos[0])
	if err != nil {
		return err
	}
	var on *booking.Date
	if !*withdraw {
		d := booking.DateOf(a.now.In(a.clinic.Location()))
		if *date != "" {
			if d, err = booking.ParseDate(*date); err != nil {
				return err
			}
		}
		on = &d
	}
	change := booking.ConsentChange{PatientID: pid, Kind: pos[1], On: on}
	switch {
	case *cancelDoses:
		change.Doses = booking.DosesCancel
	case *keepDoses:
		change.Doses = booking.DosesKeep
	}
	p, cancelled, err := a.svc.ChangeConsent(ctx, change)
	if err != nil {
		return err
	}
	return a.print(map[string]any{"patient": p, "cancelled": a.apptJSON(cancelled)}, func(w *tw) {
		w.line("Patient %d consents: %s", p.ID, consentText(p.Consents))
		if len(cancelled) > 0 {
			w.line("Cancelled %d booked session(s) that need REMS enrolment:", len(cancelled))
			a.apptTable(w, cancelled)
		}
	})
}

func (a *app) book(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("book", flag.ContinueOnError)
	patient := fs.String("patient", "", "")
	protocol := fs.String("protocol", "", "")
	from := fs.String("from", "", "")
	therapist := fs.String("therapist", "", "")
	step := fs.String("step", "", "")
	video := fs.Bool("video", false, "")
	skip := fs.Bool("skip-optional", false, "")
	dry := fs.Bool("dry-run", false, "")
	slack := fs.Int("slack", -1, "")
	reason := fs.String("reason", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *patient == "" || *protocol == "" {
		return usagef("book needs --patient ID and --protocol ID")
	}
	req := booking.BookRequest{ProtocolID: *protocol, Step: *step, AllowVideo: *video, SkipOptional: *skip, DryRun: *dry, Reason: *reason}
	var err error
	if req.PatientID, err = id("patient", *patient); err != nil {
		return err
	}
	if *therapist != "" && *therapist != "any" {
		if req.TherapistID, err = id("therapist", *therapist); err != nil {
			return err
		}
	}
	if *from != "" {
		if req.From, err = booking.ParseDate(*from); err != nil {
			return err
		}
	}
	if *slack >= 0 {
		req.SlackDays = slack
	}
	s, err := a.svc.BookSeries(ctx, req)
	if booking.ErrorCode(err) == booking.ENOPLAN && req.Step == "" {
		return a.withRelaxations(ctx, err, req)
	}
	if err != nil {
		return err
	}
	var sid any = s.ID
	if *dry {
		sid = nil
	}
	return a.print(map[string]any{"series": sid, "dry_run": *dry, "appointments": a.apptJSON(s.Appts)}, func(w *tw) {
		if *dry {
			w.line("Proposed plan (nothing booked):")
		} else {
			w.line("Booked series %d: %d appointments.", s.ID, len(s.Appts))
		}
		a.apptTable(w, s.Appts)
	})
}

// dateRange parses --from and --to as whole days in the clinic's zone;
// --to is inclusive.
func (a *app) dateRange(from, to string) (time.Time, time.Time, error) {
	loc := a.clinic.Location()
	today := booking.DateOf(a.now.In(loc))
	f, t := today, today+6
	var err error
	if from != "" {
		if f, err = booking.ParseDate(from); err != nil {
			return time.Time{}, time.Time{}, err
		}
		if to == "" {
			t = f + 6
		}
	}
	if to != "" {
		if t, err = booking.ParseDate(to); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if t < f {
		return time.Time{}, time.Time{}, booking.Errorf(booking.EINVALID, "--to %s is before --from %s.", t, f)
	}
	if t-f > 3660 {
		return time.Time{}, time.Time{}, booking.Errorf(booking.EINVALID, "The range from %s to %s is longer than ten years.", f, t)
	}
	return f.At(0, loc), (t + 1).At(0, loc), nil
}

func (a *app) agenda(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agenda", flag.ContinueOnError)
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	staff := fs.String("staff", "", "")
	room := fs.String("room", "", "")
	patient := fs.String("patient", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	start, end, err := a.dateRange(*from, *to)
	if err != nil {
		return err
	}
	f := booking.AppointmentFilter{From: start, To: end}
	n := 0
	for _, x := range []struct {
		v, what string
		dst     *int64
	}{{*staff, "staff", &f.StaffID}, {*room, "room", &f.RoomID}, {*patient, "patient", &f.PatientID}} {
		if x.v == "" {
			continue
		}
		n++
		if *x.dst, err = id(x.what, x.v); err != nil {
			return err
		}
	}
	if n > 1 {
		return usagef("agenda takes at most one of --staff, --room and --patient")
	}
	if err := a.exists(ctx, f); err != nil {
		return err
	}
	appts, err := a.db.Appointments(ctx, f)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(appts), func(w *tw) {
		if len(appts) == 0 {
			w.line("No appointments from %s to %s.", start.Format("Mon 2 Jan 2006"), end.Add(-time.Second).Format("Mon 2 Jan 2006"))
			return
		}
		a.apptTable(w, appts)
	})
}

// exists checks that the staff member, room or patient a filter names exists.
func (a *app) exists(ctx context.Context, f booking.AppointmentFilter) error {
	if f.PatientID != 0 {
		if _, err := a.db.Patient(ctx, f.PatientID); err != nil {
			return err
		}
	}
	if f.StaffID != 0 {
		staff, err := a.db.StaffList(ctx)
		if err != nil {
			return err
		}
		if !containsID(len(staff), func(i int) int64 { return staff[i].ID }, f.StaffID) {
			return booking.Errorf(booking.ENOTFOUND, "There is no staff member with id %d.", f.StaffID)
		}
	}
	if f.RoomID != 0 {
		rooms, err := a.db.Rooms(ctx)
		if err != nil {
			return err
		}
		if !containsID(len(rooms), func(i int) int64 { return rooms[i].ID }, f.RoomID) {
			return booking.Errorf(booking.ENOTFOUND, "There is no room with id %d.", f.RoomID)
		}
	}
	return nil
}

func containsID(n int, at func(int) int64, want int64) bool {
	for i := 0; i < n; i++ {
		if at(i) == want {
			return true
		}
	}
	return false
}

func (a *app) reschedule(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reschedule", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	to := fs.String("to", "", "")
	suggest := fs.Bool("suggest", false, "")
	shift := fs.Bool("shift-later", false, "")
	override := fs.String("override", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *override != "" && (*shift || *suggest) {
		return usagef("--override moves one appointment to --to TIME; it cannot be combined with --shift-later or --suggest")
	}
	if *appt == "" || (*to == "") == !*suggest {
		return usagef("reschedule needs --appointment ID and either --to TIME or --suggest")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	if *suggest {
		s, err := a.svc.Suggest(ctx, aid, 10)
		if err != nil {
			return err
		}
		return a.printSuggestions(s, "this appointment")
	}
	t, err := a.instant(*to)
	if err != nil {
		return err
	}
	var changed []*booking.Appointment
	if *override != "" {
		changed, err = a.svc.Override(ctx, aid, t, *override)
	} else {
		changed, err = a.svc.Reschedule(ctx, aid, t, *shift)
	}
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(changed), func(w *tw) {
		if len(changed) == 0 {
			w.line("Nothing changed: the appointment is already at that time.")
			return
		}
		w.line("Moved %d appointment(s):", len(changed))
		a.apptTable(w, changed)
	})
}

func (a *app) cancel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cancel", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	series := fs.String("series", "", "")
	reason := fs.String("reason", "", "")
	by := fs.String("by", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*appt == "") == (*series == "") {
		return usagef("cancel needs either --appointment ID or --series ID")
	}
	if *by == "" {
		return usagef("cancel needs --by patient or --by clinic: who asked for it (only a patient's short-notice cancellation is late)")
	}
	party, err := booking.ParseParty(*by)
	if err != nil {
		return err
	}
	req := booking.CancelRequest{By: party, Reason: *reason}
	if *appt != "" {
		req.AppointmentID, err = id("appointment", *appt)
	} else {
		req.SeriesID, err = id("series", *series)
	}
	if err != nil {
		return err
	}
	list, err := a.svc.Cancel(ctx, req)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(list), func(w *tw) {
		w.line("Cancelled %d appointment(s):", len(list))
		a.apptTable(w, list)
	})
}

func (a *app) status(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	late := fs.String("late", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *appt == "" || len(pos) != 1 {
		return usagef("status needs --appointment ID and one of arrived, completed, no-show")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	at := booking.Attendance{Status: booking.Status(pos[0])}
	if *late != "" {
		if at.Status != booking.Arrived {
			return usagef("--late goes with arrived")
		}
		n, err := strconv.Atoi(strings.TrimSpace(*late))
		if err != nil {
			return booking.Errorf(booking.EINVALID, "%q is not a number of minutes; write it as 20.", clip(*late))
		}
		at.LateMinutes = &n
	}
	x, err := a.svc.SetAttendance(ctx, aid, at)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON([]*booking.Appointment{x})[0], func(w *tw) {
		switch {
		case x.Status == booking.Arrived && x.LateMinutes > 0:
			w.line("Appointment %d: arrived %d minutes late.", x.ID, x.LateMinutes)
		default:
			w.line("Appointment %d is now %s.", x.ID, x.Status)
		}
	})
}

func (a *app) escort(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("escort", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	name := fs.String("name", "", "")
	phone := fs.String("phone", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" {
		return usagef("escort needs --appointment ID --name N --phone P")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	x, err := a.svc.SetEscort(ctx, aid, booking.Escort{Name: strings.TrimSpace(*name), Phone: strings.TrimSpace(*phone)})
	if err != nil {
		return err
	}
	return a.print(a.apptJSON([]*booking.Appointment{x})[0], func(w *tw) { w.line("Escort recorded for appointment %d.", x.ID) })
}

func (a *app) audit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	patient := fs.String("patient", "", "")
	limit := fs.Int("limit", 200, "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	f := booking.AuditFilter{Limit: *limit}
	if *patient != "" {
		var err error
		if f.PatientID, err = id("patient", *patient); err != nil {
			return err
		}
		if _, err := a.db.Patient(ctx, f.PatientID); err != nil {
			return err
		}
	}
	es, err := a.db.Audit(ctx, f)
	if err != nil {
		return err
	}
	return a.print(es, func(w *tw) {
		w.row("WHEN", "WHO", "WHAT", "PATIENT", "APPOINTMENT", "NOTE")
		for _, e := range es {
			w.row(e.At.In(a.clinic.Location()).Format("2006-01-02 15:04"), e.Actor, e.Action, orDash(e.PatientID), orDash(e.AppointmentID), e.Note)
		}
	})
}

func orDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// escorts lists the day's visits that need an escort and have none
// recorded: the front desk's reminder the day before (default tomorrow).
func (a *app) escorts(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("escorts", flag.ContinueOnError)
	date := fs.String("date", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	loc := a.clinic.Location()
	d := booking.DateOf(a.now.In(loc)) + 1
	if *date != "" {
		var err error
		if d, err = booking.ParseDate(*date); err != nil {
			return err
		}
	}
	due, err := booking.MissingEscorts(ctx, a.db, d, loc)
	if err != nil {
		return err
	}
	missing, need := due.Missing, due.Need
	return a.print(a.apptJSON(missing), func(w *tw) {
		day := d.At(0, loc).Format("Mon 2 Jan 2006")
		switch {
		case need == 0:
			w.line("No visit on %s needs an escort.", day)
		case len(missing) == 0:
			w.line("All %d visits on %s that need an escort have one recorded.", need, day)
		default:
			w.line("Warning: %d of %d visits on %s have no escort recorded. Call the patients today:", len(missing), need, day)
			a.apptTable(w, missing)
		}
	})
}
