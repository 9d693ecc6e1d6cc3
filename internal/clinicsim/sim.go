// Package clinicsim lives a clinic through months or years, day by day, as
// its front desk would: new patients on every protocol, moves (plain,
// suggested, shifting the later ones, overridden), cancellations by
// patients and by the clinic, no-shows and make-ups, late arrivals, REMS
// enrolment changes, time off added after booking, protocol changes, and
// the clock moving on. Everything goes through booking.Service on a real
// SQLite file; after every action a Checker (internal/rulecheck, which
// shares no code with the planner) checks the whole database. A seed makes
// a run reproducible.
package clinicsim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// Config says what to simulate.
type Config struct {
	// Path is the database file to create.
	Path string
	// Seed makes the run reproducible.
	Seed uint64
	// Start is the first day, Days how many to live.
	Start booking.Date
	Days  int
	// Staff is the clinic's size: 0 for the demo clinic (8 staff, 6
	// rooms), or that many staff (half therapists, a quarter prescribers,
	// a quarter nurses) with rooms to match.
	Staff int
	// NewPerWeek is how many new patients start a series each week.
	NewPerWeek int
	// Check, when set, is called after every action (CheckDaily false) or
	// after every day (CheckDaily true); an error stops the run.
	Check      func(ctx context.Context) error
	CheckDaily bool
	// Progress, when set, is called after every simulated day.
	Progress func(day booking.Date, st *Stats)
}

// Stats counts what happened.
type Stats struct {
	Days         int
	Actions      map[string]int // done, by action
	Refused      map[string]int // refused with a clear reason, by action
	Checks       int
	Appointments int
}

// sim is one run.
type sim struct {
	cfg   Config
	ctx   context.Context
	db    *store.DB
	svc   *booking.Service
	rnd   *rand.Rand
	loc   *time.Location
	now   time.Time
	stats *Stats
	next  int            // patients added
	tried map[int64]bool // missed appointments the desk has decided about
}

// Run lives the clinic cfg describes and returns what happened. It returns
// an error for anything a front desk should never see: an internal error,
// a refusal without a reason, or a failed check.
func Run(ctx context.Context, cfg Config) (*Stats, error) {
	db, err := store.Create(cfg.Path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	s := &sim{cfg: cfg, ctx: ctx, db: db, rnd: rand.New(rand.NewPCG(cfg.Seed, 0x6b6170)),
		stats: &Stats{Actions: map[string]int{}, Refused: map[string]int{}}, tried: map[int64]bool{}}
	s.now = cfg.Start.At(7*60, time.UTC)
	if err := s.init(); err != nil {
		return nil, err
	}
	s.svc = &booking.Service{Store: db, Now: func() time.Time { return s.now }, Actor: "simulated front desk",
		Messages: &booking.MessagePolicy{}} // no email: the simulation is about the bookings
	for day := range cfg.Days {
		if err := s.live(cfg.Start + booking.Date(day)); err != nil {
			return s.stats, fmt.Errorf("clinicsim: day %s: %w", cfg.Start+booking.Date(day), err)
		}
		s.stats.Days++
		if cfg.CheckDaily {
			if err := s.check("day"); err != nil {
				return s.stats, err
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(cfg.Start+booking.Date(day), s.stats)
		}
	}
	all, err := db.Appointments(ctx, booking.AppointmentFilter{})
	s.stats.Appointments = len(all)
	return s.stats, err
}

// init sets the clinic up: the demo clinic, or a synthetic one of
// cfg.Staff people.
func (s *sim) init() error {
	f, err := booking.ParseClinicFile(resources.DemoClinic)
	if err != nil {
		return err
	}
	if s.cfg.Staff > 0 {
		f = syntheticClinic(f, s.cfg.Staff)
	}
	f.Clinic.Closures = nil // the demo's holidays are for 2026–27; the run may be any year
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		return err
	}
	if s.loc, err = time.LoadLocation(f.Clinic.TimeZone); err != nil {
		return err
	}
	s.now = s.cfg.Start.At(7*60, s.loc)
	return booking.InitClinic(s.ctx, s.db, f, ps, "simulation", s.now)
}

// syntheticClinic returns the demo clinic grown to n staff, with a room
// for every two of them: two in five for dosing, one in five for
// infusions, the others for consultations.
func syntheticClinic(demo *booking.ClinicFile, n int) *booking.ClinicFile {
	f := &booking.ClinicFile{Clinic: demo.Clinic}
	week := booking.WeeklyHours{}
	for _, d := range booking.Week[:5] {
		week[d.Key] = []booking.Span{{Start: 8 * 60, End: 18 * 60}}
	}
	for i := range n {
		role, quals := booking.RoleTherapist, []string{"KAP"}
		switch i % 4 {
		case 1:
			role, quals = booking.RolePrescriber, []string{"ACLS", "REMS"}
		case 3:
			role, quals = booking.RoleNurse, []string{"ACLS"}
		}
		hours := booking.WeeklyHours{}
		for d, spans := range week {
			if (i+len(d))%5 != 0 { // one weekday off for some
				hours[d] = spans
			}
		}
		f.Staff = append(f.Staff, booking.Staff{Name: fmt.Sprintf("Staff %02d", i+1), Roles: []booking.Role{role}, Qualifications: quals, Hours: hours})
	}
	kinds := []booking.RoomKind{booking.RoomConsult, booking.RoomDosing, booking.RoomDosing, booking.RoomConsult, booking.RoomInfusion}
	for i := range max(n/2, 5) {
		r := booking.Room{Name: fmt.Sprintf("Room %02d", i+1), Kind: kinds[i%5]}
		switch r.Kind {
		case booking.RoomDosing:
			r.Equipment = []string{"pulse-oximeter"}
		case booking.RoomInfusion:
			r.Equipment = []string{"monitor", "pulse-oximeter"}
		}
		f.Rooms = append(f.Rooms, r)
	}
	return f
}

// at sets the clock to clock c of day d.
func (s *sim) at(d booking.Date, c booking.Clock) { s.now = d.At(c, s.loc) }

// live lives one day: the morning's desk work, then each appointment as
// it happens.
func (s *sim) live(d booking.Date) error {
	s.at(d, 7*60+30)
	if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		return nil
	}
	for _, step := range []func(booking.Date) error{s.newPatients, s.secondSeries, s.changes, s.makeups, s.consents, s.timeOff, s.protocolChange, s.escorts} {
		if err := step(d); err != nil {
			return err
		}
	}
	return s.attend(d)
}

// pick returns a random element of list, which must not be empty.
func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// chance reports true with probability p.
func (s *sim) chance(p float64) bool { return s.rnd.Float64() < p }

// done records the outcome of an action: a success, a refusal in the
// front desk's words, or an error that must never happen.
func (s *sim) done(action string, err error) error {
	switch booking.ErrorCode(err) {
	case "":
		s.stats.Actions[action]++
		return s.check(action)
	case booking.ENOPLAN, booking.ECONFLICT, booking.EINVALID:
		msg := booking.ErrorMessage(err)
		if msg == "" || strings.Contains(msg, "Internal error") {
			return fmt.Errorf("%s refused without a reason: %v", action, err)
		}
		s.stats.Refused[action]++
		return nil
	}
	return fmt.Errorf("%s at %s: %s (%v)", action, s.now.Format("Mon 2 Jan 2006 15:04"), booking.ErrorMessage(err), err)
}

// check runs the checker after an action.
func (s *sim) check(action string) error {
	if s.cfg.Check == nil || (s.cfg.CheckDaily && action != "day") {
		return nil
	}
	s.stats.Checks++
	if err := s.cfg.Check(s.ctx); err != nil {
		return fmt.Errorf("after %s at %s: %w", action, s.now.Format("Mon 2 Jan 2006 15:04"), err)
	}
	return nil
}

// newPatients adds the day's new patients and books each one's series.
func (s *sim) newPatients(d booking.Date) error {
	n := s.cfg.NewPerWeek / 5
	if s.chance(float64(s.cfg.NewPerWeek%5) / 5) {
		n++
	}
	for range n {
		if err := s.newPatient(d); err != nil {
			return err
		}
	}
	return nil
}

func (s *sim) newPatient(d booking.Date) error {
	s.next++
	p := &booking.Patient{Name: fmt.Sprintf("Patient %05d", s.next), Email: fmt.Sprintf("p%05d@example.org", s.next)}
	if s.chance(0.3) {
		p.Preferences.Weekdays = []string{pick(s.rnd, booking.Week[:5]).Key}
	}
	if s.chance(0.3) {
		p.Preferences.TimesOfDay = []string{pick(s.rnd, []string{booking.Morning, booking.Afternoon})}
	}
	if err := s.svc.AddPatient(s.ctx, p); err != nil {
		return s.done("add patient", err)
	}
	protocol := "kap-standard"
	switch r := s.rnd.Float64(); {
	case r < 0.2:
		protocol = "kap-iv"
	case r < 0.35:
		protocol = "esketamine-induction"
		enrolled := d + booking.Date(s.rnd.IntN(3)*7) // some enrol later than they start
		if _, err := s.svc.SetConsent(s.ctx, p.ID, "rems-enrolled", &enrolled); err != nil {
			return s.done("consent", err)
		}
	}
	req := booking.BookRequest{PatientID: p.ID, ProtocolID: protocol, From: d + booking.Date(1+s.rnd.IntN(14)),
		SkipOptional: s.chance(0.5), AllowVideo: s.chance(0.3)}
	_, err := s.svc.BookSeries(s.ctx, req)
	if booking.ErrorCode(err) == booking.ENOPLAN {
		s.stats.Refused["book"]++
		// The front desk takes what the app offers instead: a later start.
		rs, rerr := s.svc.Relax(s.ctx, booking.ProposalRequest{PatientID: p.ID, ProtocolID: protocol, From: req.From,
			AllowVideo: req.AllowVideo, SkipOptional: req.SkipOptional})
		if rerr != nil {
			return s.done("relax", rerr)
		}
		if len(rs) == 0 {
			return nil
		}
		r := rs[0].Request
		req.From, req.AllowVideo, req.SkipOptional, req.TherapistID = r.From, r.AllowVideo, r.SkipOptional, r.TherapistID
		_, err = s.svc.BookSeries(s.ctx, req)
	}
	return s.done("book", err)
}

// secondSeries sometimes books another series for a patient in the middle
// of one: without a reason (refused), or with the reason the desk gives.
func (s *sim) secondSeries(d booking.Date) error {
	if !s.chance(0.04) {
		return nil
	}
	list, err := s.upcoming(d, 2)
	if err != nil || len(list) == 0 {
		return err
	}
	a := pick(s.rnd, list)
	protocol := pick(s.rnd, []string{"kap-iv", "esketamine-induction", "kap-standard"})
	if protocol == "esketamine-induction" {
		enrolled := d
		if _, err := s.svc.SetConsent(s.ctx, a.PatientID, "rems-enrolled", &enrolled); err != nil {
			return s.done("rems enrol", err)
		}
	}
	req := booking.BookRequest{PatientID: a.PatientID, ProtocolID: protocol, From: d + booking.Date(1+s.rnd.IntN(28))}
	if s.chance(0.7) {
		req.Reason = "the psychiatrist's plan"
	}
	_, err = s.svc.BookSeries(s.ctx, req)
	return s.done("book beside", err)
}

// upcoming returns the booked appointments from the day after d for the
// next weeks, in a fixed order.
func (s *sim) upcoming(d booking.Date, weeks int) ([]*booking.Appointment, error) {
	list, err := s.db.Appointments(s.ctx, booking.AppointmentFilter{From: (d + 1).At(0, s.loc), To: (d + booking.Date(7*weeks)).At(0, s.loc), ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(a *booking.Appointment) bool { return a.Status != booking.Booked || a.SeriesID == 0 }), nil
}

// changes makes the day's moves and cancellations.
func (s *sim) changes(d booking.Date) error {
	list, err := s.upcoming(d, 4)
	if err != nil || len(list) == 0 {
		return err
	}
	moves := 1 + s.rnd.IntN(3+len(list)/60)
	for range moves {
		a := pick(s.rnd, list)
		if err := s.move(a); err != nil {
			return err
		}
		list, err = s.upcoming(d, 4)
		if err != nil || len(list) == 0 {
			return err
		}
	}
	if s.chance(0.6) {
		a := pick(s.rnd, list)
		by := booking.ByPatient
		if s.chance(0.2) {
			by = booking.ByClinic
		}
		_, err := s.svc.Cancel(s.ctx, booking.CancelRequest{AppointmentID: a.ID, By: by, Reason: "simulated"})
		if err := s.done("cancel "+string(by), err); err != nil {
			return err
		}
	}
	if s.chance(0.05) {
		a := pick(s.rnd, list)
		by := pick(s.rnd, []booking.Party{booking.ByPatient, booking.ByClinic})
		_, err := s.svc.Cancel(s.ctx, booking.CancelRequest{SeriesID: a.SeriesID, By: by, Reason: "stops the course"})
		return s.done("cancel series", err)
	}
	return nil
}

// move moves one appointment one of the ways the front desk does.
func (s *sim) move(a *booking.Appointment) error {
	switch r := s.rnd.Float64(); {
	case r < 0.45:
		sg, err := s.svc.Suggest(s.ctx, a.ID, 5)
		if err != nil {
			return s.done("suggest", err)
		}
		if len(sg.Alternatives) > 0 {
			_, err = s.svc.Reschedule(s.ctx, a.ID, pick(s.rnd, sg.Alternatives).Start, false)
			return s.done("move suggested", err)
		}
		if len(sg.Later) > 0 {
			_, err = s.svc.Reschedule(s.ctx, a.ID, pick(s.rnd, sg.Later).Start, true)
			return s.done("move shift-later", err)
		}
		return nil
	case r < 0.75:
		// A time the patient asks for: the desk types it; often refused.
		to := s.someTime(a)
		_, err := s.svc.Reschedule(s.ctx, a.ID, to, s.chance(0.4))
		return s.done("move typed", err)
	default:
		to := s.someTime(a)
		_, err := s.svc.Override(s.ctx, a.ID, to, "simulated: the prescriber agreed")
		return s.done("override", err)
	}
}

// someTime returns a start near a's: up to a week either way, on the
// quarter hour between 07:00 and 18:00 (some outside the opening hours).
func (s *sim) someTime(a *booking.Appointment) time.Time {
	d := booking.DateOf(a.Start.In(s.loc)) + booking.Date(s.rnd.IntN(15)-7)
	t := d.At(booking.Clock(7*60+15*s.rnd.IntN(45)), s.loc)
	if !t.After(s.now) {
		t = s.now.Add(24 * time.Hour).Truncate(time.Hour)
	}
	return t
}

// makeups books make-ups for some missed appointments of active series.
func (s *sim) makeups(d booking.Date) error {
	from := (d - 14).At(0, s.loc)
	list, err := s.db.Appointments(s.ctx, booking.AppointmentFilter{From: from, To: (d + 28).At(0, s.loc)})
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.SeriesID == 0 || a.Status.Holds() || a.Kind == "integration" || s.tried[a.ID] {
			continue
		}
		s.tried[a.ID] = true
		if !s.chance(0.6) {
			continue
		}
		req := booking.MakeupRequest{AppointmentID: a.ID, ShiftLater: s.chance(0.5)}
		if s.chance(0.2) {
			sg, err := s.svc.SuggestMakeup(s.ctx, a.ID, 5)
			if err != nil {
				if err := s.done("suggest make-up", err); err != nil {
					return err
				}
				continue
			}
			if alts := append(sg.Alternatives, sg.Later...); len(alts) > 0 {
				req.To = pick(s.rnd, alts).Start
				req.ShiftLater = len(sg.Alternatives) == 0
			}
		}
		_, err := s.svc.MakeUp(s.ctx, req)
		if err := s.done("make-up", err); err != nil {
			return err
		}
	}
	return nil
}

// consents sometimes withdraws or renews a REMS enrolment.
func (s *sim) consents(d booking.Date) error {
	if !s.chance(0.05) {
		return nil
	}
	list, err := s.upcoming(d, 2)
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(a *booking.Appointment) bool { return !a.NeedsREMS })
	if len(list) == 0 {
		return nil
	}
	a := pick(s.rnd, list)
	change := booking.ConsentChange{PatientID: a.PatientID, Kind: "rems-enrolled", Doses: pick(s.rnd, []booking.DoseChoice{booking.DosesCancel, booking.DosesKeep})}
	if s.chance(0.5) {
		later := booking.DateOf(a.Start.In(s.loc)) + 1
		change.On = &later
	}
	_, _, err = s.svc.ChangeConsent(s.ctx, change)
	if err := s.done("rems change", err); err != nil {
		return err
	}
	// Enrolled again a few days later, for most.
	if s.chance(0.7) {
		again := d + booking.Date(s.rnd.IntN(5))
		_, err := s.svc.SetConsent(s.ctx, a.PatientID, "rems-enrolled", &again)
		return s.done("rems enrol", err)
	}
	return nil
}

// timeOff sometimes gives a staff member days off after their
// appointments were booked, then moves or cancels what falls in them, as
// the front desk does when the app warns.
func (s *sim) timeOff(d booking.Date) error {
	if !s.chance(0.06) {
		return nil
	}
	staff, err := s.db.StaffList(s.ctx)
	if err != nil {
		return err
	}
	m := pick(s.rnd, staff)
	start := d + booking.Date(3+s.rnd.IntN(25))
	iv := booking.Interval{Start: start.At(0, s.loc), End: (start + booking.Date(1+s.rnd.IntN(3))).At(0, s.loc), Reason: "leave"}
	m.TimeOff = append(m.TimeOff, iv)
	clash, err := s.svc.SaveStaff(s.ctx, m)
	if err := s.done("time off", err); err != nil {
		return err
	}
	for _, a := range clash {
		if err := s.resolve(a); err != nil {
			return err
		}
	}
	return nil
}

// resolve moves an appointment its staff can no longer keep, or cancels it
// for the clinic when no time fits.
func (s *sim) resolve(a *booking.Appointment) error {
	sg, err := s.svc.Suggest(s.ctx, a.ID, 3)
	if booking.ErrorCode(err) == booking.ECONFLICT {
		return s.done("suggest", err) // cancelled with its dosing meanwhile
	}
	if err != nil {
		return s.done("suggest", err)
	}
	switch {
	case len(sg.Alternatives) > 0:
		_, err = s.svc.Reschedule(s.ctx, a.ID, sg.Alternatives[0].Start, false)
	case len(sg.Later) > 0:
		_, err = s.svc.Reschedule(s.ctx, a.ID, sg.Later[0].Start, true)
	default:
		err = booking.Errorf(booking.ENOPLAN, "no time")
	}
	if err == nil {
		return s.done("move for time off", nil)
	}
	if err := s.done("move for time off", err); err != nil {
		return err
	}
	cur, err := s.db.Appointment(s.ctx, a.ID)
	if err != nil || cur.Status != booking.Booked {
		return err
	}
	_, err = s.svc.Cancel(s.ctx, booking.CancelRequest{AppointmentID: a.ID, By: booking.ByClinic, Reason: "therapist away"})
	return s.done("cancel for time off", err)
}

// protocolChange sometimes saves a changed protocol: a new version that
// booked series do not follow.
func (s *sim) protocolChange(booking.Date) error {
	if !s.chance(0.01) {
		return nil
	}
	p, err := s.db.Protocol(s.ctx, pick(s.rnd, []string{"kap-standard", "kap-iv", "esketamine-induction"}))
	if err != nil {
		return err
	}
	step := &p.Steps[len(p.Steps)-1]
	if step.RepeatGap != nil && step.RepeatGap.Max > step.RepeatGap.Min+1 {
		step.RepeatGap.Max-- // a stricter repeat gap
	} else {
		p.Description = fmt.Sprintf("Revised %s.", s.now.Format("2 Jan 2006"))
	}
	_, err = s.svc.SaveProtocol(s.ctx, p)
	return s.done("protocol change", err)
}

// escorts records tomorrow's escorts, as the desk does the day before.
func (s *sim) escorts(d booking.Date) error {
	list, err := s.db.Appointments(s.ctx, booking.AppointmentFilter{From: (d + 1).At(0, s.loc), To: (d + 4).At(0, s.loc), ActiveOnly: true})
	if err != nil {
		return err
	}
	for _, a := range list {
		if a.NeedsEscort() && a.Escort == nil && a.Status == booking.Booked && s.chance(0.95) {
			_, err := s.svc.SetEscort(s.ctx, a.ID, booking.Escort{Name: "Escort", Phone: "+1 617 555 0100"})
			if err := s.done("escort", err); err != nil {
				return err
			}
		}
	}
	return nil
}

// event is something that happens during a day: a patient arrives (or
// does not), or a visit ends.
type event struct {
	at   time.Time
	appt int64
	what booking.Status // arrived, no-show or completed
	late int
}

// attend lives the day's appointments in time order: arrivals (some late),
// no-shows, completions.
func (s *sim) attend(d booking.Date) error {
	list, err := s.db.Appointments(s.ctx, booking.AppointmentFilter{From: d.At(0, s.loc), To: (d + 1).At(0, s.loc), ActiveOnly: true})
	if err != nil {
		return err
	}
	var events []event
	for _, a := range list {
		if a.Status != booking.Booked || booking.DateOf(a.Start.In(s.loc)) != d {
			continue
		}
		switch {
		case s.chance(0.05):
			events = append(events, event{a.Start.Add(30 * time.Minute), a.ID, booking.NoShow, 0})
		default:
			late := 0
			if s.chance(0.15) {
				late = 1 + s.rnd.IntN(30)
			}
			events = append(events, event{a.Start.Add(time.Duration(late) * time.Minute), a.ID, booking.Arrived, late},
				event{a.End, a.ID, booking.Completed, 0})
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	for _, e := range events {
		if err := s.happen(e); err != nil {
			return err
		}
	}
	return nil
}

// happen records one event, if its appointment is still as expected:
// earlier actions of the day may have cancelled it.
func (s *sim) happen(e event) error {
	cur, err := s.db.Appointment(s.ctx, e.appt)
	if err != nil {
		return err
	}
	want := booking.Booked
	if e.what == booking.Completed {
		want = booking.Arrived
	}
	if cur.Status != want {
		return nil
	}
	s.now = maxTime(s.now, e.at)
	_, err = s.svc.SetStatus(s.ctx, e.appt, e.what)
	if e.what != booking.Arrived || booking.ErrorCode(err) != booking.ECONFLICT {
		return s.done(string(e.what), err)
	}
	// No escort, or no REMS enrolment: the visit cannot go ahead.
	if err := s.done("arrived", err); err != nil {
		return err
	}
	_, err = s.svc.Cancel(s.ctx, booking.CancelRequest{AppointmentID: e.appt, By: booking.ByClinic, Reason: "could not go ahead"})
	return s.done("cancel at check-in", err)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
