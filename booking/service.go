package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Service carries out the front desk's actions against a Store: each one
// checks the rules, changes the store in one transaction and appends to the
// audit trail.
type Service struct {
	Store Store
	Now   func() time.Time // defaults to time.Now
	Actor string           // who is acting: a staff name or the OS user
	// Messages, when set, decides when reminders and preparation messages
	// are due, whatever the clinic's settings; nil means the clinic's
	// (Clinic.Messages), else DefaultMessagePolicy.
	Messages *MessagePolicy
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// BookRequest asks for a series to be planned and booked.
type BookRequest struct {
	PatientID   int64
	ProtocolID  string
	From        Date // 0: today in the clinic's zone
	TherapistID int64
	// Step books one ad-hoc appointment of that protocol step instead of
	// the whole series.
	Step         string
	AllowVideo   bool
	SkipOptional bool
	SlackDays    *int
	DryRun       bool // plan only, store nothing
}

// world loads what the planner needs for appointments between from and to,
// leaving out the blocks of the appointments in skip.
func (s *Service) world(ctx context.Context, r Reader, from, to time.Time, skip map[int64]bool) (World, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return World{}, err
	}
	staff, err := r.StaffList(ctx)
	if err != nil {
		return World{}, err
	}
	rooms, err := r.Rooms(ctx)
	if err != nil {
		return World{}, err
	}
	blocks, err := r.Blocks(ctx, from.Add(-24*time.Hour), to.Add(48*time.Hour))
	if err != nil {
		return World{}, err
	}
	if len(skip) > 0 {
		blocks = slices.DeleteFunc(blocks, func(b Block) bool { return skip[b.AppointmentID] })
	}
	return World{Clinic: c, Staff: staff, Rooms: rooms, Busy: NewIndex(blocks, staff)}, nil
}

// adHoc returns a protocol of one appointment of the given step.
func adHoc(p *Protocol, stepID string) (*Protocol, error) {
	st := p.Step(stepID)
	if st == nil {
		return nil, Errorf(ENOTFOUND, "Protocol %s has no step %q.", p.ID, clip(stepID, 40))
	}
	one := *st
	one.Count, one.After, one.AfterEach, one.Gap, one.RepeatGap, one.BeforeNext, one.WithinDays = 1, "", "", nil, nil, false, 0
	q := *p
	q.Steps = []Step{one}
	return &q, nil
}

// BookSeries plans and books a whole series (or, with Step, one ad-hoc
// appointment) in one transaction: the plan is made inside it, so two
// workstations booking at once can never double-book, and the second one
// gets the next free plan. In the same transaction it queues the series'
// confirmation, due now, and each appointment's reminder and preparation
// message (see MessagePolicy.Plan). With DryRun it only plans.
func (s *Service) BookSeries(ctx context.Context, req BookRequest) (*Series, error) {
	var out *Series
	var pat *Patient
	var loc *time.Location
	plan := func(ctx context.Context, r Reader) error {
		var err error
		pat, err = r.Patient(ctx, req.PatientID)
		if err != nil {
			return err
		}
		pr, err := r.Protocol(ctx, req.ProtocolID)
		if err != nil {
			return err
		}
		if req.Step != "" {
			if pr, err = adHoc(pr, req.Step); err != nil {
				return err
			}
		}
		c, err := r.Clinic(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		from := req.From
		if today := DateOf(now.In(c.Location())); from < today {
			if from != 0 {
				return Errorf(EINVALID, "The start date %s is in the past.", from)
			}
			from = today
		}
		loc = c.Location()
		w, err := s.world(ctx, r, from.At(0, loc), (from+Date(pr.WindowDays)).At(0, loc), nil)
		if err != nil {
			return err
		}
		p, err := PlanSeries(w, PlanRequest{Patient: pat, Protocol: pr, From: from, Now: now, TherapistID: req.TherapistID,
			AllowVideo: req.AllowVideo, SkipOptional: req.SkipOptional, SlackDays: req.SlackDays})
		if err != nil {
			return err
		}
		appts := slices.DeleteFunc(slices.Clone(p.Appts), func(a *Appointment) bool { return a == nil })
		out = &Series{PatientID: pat.ID, ProtocolID: pr.ID, TherapistID: p.TherapistID, From: from, Created: now, Step: req.Step, Appts: appts}
		for _, a := range out.Appts {
			a.Created, a.Updated = now, now
		}
		return nil
	}
	if req.DryRun {
		return out, plan(ctx, s.Store)
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		if err := plan(ctx, tx); err != nil {
			return err
		}
		if err := tx.CreateSeries(ctx, out); err != nil {
			return err
		}
		if err := s.queueBooked(ctx, tx, pat, out, loc); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "book", PatientID: out.PatientID,
			SeriesID: out.ID, After: auditJSON(out.Appts), Note: fmt.Sprintf("%s, %d appointments", out.ProtocolID, len(out.Appts))})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// seriesContext loads an appointment with its series and the protocol
// layout it was booked from.
type seriesContext struct {
	appt     *Appointment
	series   *Series
	protocol *Protocol
	patient  *Patient
	bySeq    map[int]*Appointment
}

func (s *Service) loadSeries(ctx context.Context, r Reader, apptID int64) (*seriesContext, error) {
	a, err := r.Appointment(ctx, apptID)
	if err != nil {
		return nil, err
	}
	sc := &seriesContext{appt: a, bySeq: map[int]*Appointment{}}
	if sc.series, err = r.Series(ctx, a.SeriesID); err != nil {
		return nil, err
	}
	if sc.protocol, err = r.Protocol(ctx, sc.series.ProtocolID); err != nil {
		return nil, err
	}
	if sc.series.Step != "" {
		if sc.protocol, err = adHoc(sc.protocol, sc.series.Step); err != nil {
			return nil, err
		}
	}
	if sc.patient, err = r.Patient(ctx, a.PatientID); err != nil {
		return nil, err
	}
	layout := Instances(sc.protocol)
	for _, x := range sc.series.Appts {
		if x.Seq >= len(layout) || layout[x.Seq].Step != x.Step || layout[x.Seq].Index != x.Index {
			return nil, Errorf(ECONFLICT, "Protocol %s has changed since this series was booked, so kapbook cannot re-check its gap rules; move the appointment with an override.", sc.protocol.ID)
		}
		sc.bySeq[x.Seq] = x
	}
	return sc, nil
}

// request builds the plan request that keeps the series as it is, except
// for the places in move.
func (sc *seriesContext) request(now time.Time, move func(seq int) bool) PlanRequest {
	req := PlanRequest{Patient: sc.patient, Protocol: sc.protocol, From: sc.series.From, Now: now,
		TherapistID: sc.series.TherapistID, AllowVideo: sc.appt.Video(),
		Keep: map[int]*Appointment{}, Omit: map[int]bool{}, PreferRoom: map[int]int64{}}
	for _, in := range Instances(sc.protocol) {
		a := sc.bySeq[in.Seq]
		switch {
		case a == nil || !a.Status.Active():
			req.Omit[in.Seq] = true
		case !move(in.Seq):
			req.Keep[in.Seq] = a
		default:
			req.PreferRoom[in.Seq] = a.RoomID
		}
	}
	return req
}

// Suggestions are the ways to move one appointment of a series.
type Suggestions struct {
	// Alternatives keep every neighbour where it is.
	Alternatives []*Appointment `json:"alternatives"`
	// Later are more times for this appointment, not among Alternatives,
	// at which it fits when the later appointments of the series move along
	// (re-planned to the earliest times that keep them all): a dosing pinned
	// between two integrations can then go to another week.
	Later []*Appointment `json:"later,omitempty"`
	// Shift moves this and the later appointments to the earliest plan
	// that keeps them all; set when no alternative exists.
	Shift []*Appointment `json:"shift,omitempty"`
}

// Suggest lists up to limit new times for an appointment that keep its
// neighbours' gaps, and up to limit more at which it fits when the later
// appointments move along (Later, for Reschedule with shiftLater); when
// there are no alternatives, it proposes a shift of this and the later
// appointments. Returns ENOTFOUND for an unknown appointment.
func (s *Service) Suggest(ctx context.Context, apptID int64, limit int) (*Suggestions, error) {
	sc, err := s.loadSeries(ctx, s.Store, apptID)
	if err != nil {
		return nil, err
	}
	if err := movable(sc.appt); err != nil {
		return nil, err
	}
	k := sc.appt.Seq
	w, err := s.seriesWorld(ctx, s.Store, sc, func(seq int) bool { return seq >= k })
	if err != nil {
		return nil, err
	}
	req := sc.request(s.now(), func(seq int) bool { return seq == k })
	req.Keep[k] = sc.appt // the current time, to be left out of the list
	alts, err := Alternatives(w, req, k, limit)
	if err != nil {
		return nil, err
	}
	out := &Suggestions{Alternatives: alts}
	if slices.ContainsFunc(slices.Collect(maps.Keys(sc.bySeq)), func(seq int) bool { return seq > k }) {
		free := sc.request(s.now(), func(seq int) bool { return seq >= k })
		free.Keep[k] = sc.appt
		later, err := Alternatives(w, free, k, limit)
		if err != nil {
			return nil, err
		}
		for _, a := range later {
			if !slices.ContainsFunc(alts, func(b *Appointment) bool { return b.Start.Equal(a.Start) }) {
				out.Later = append(out.Later, a)
			}
		}
	}
	if len(alts) == 0 {
		req := sc.request(s.now(), func(seq int) bool { return seq >= k })
		// Only a plan that moves something is a proposal; list what moves.
		if p, err := PlanSeries(w, req); err == nil {
			for seq, a := range p.Appts {
				if cur := sc.bySeq[seq]; seq >= k && a != nil && cur != nil && !a.Start.Equal(cur.Start) {
					out.Shift = append(out.Shift, a)
				}
			}
		}
	}
	return out, nil
}

// seriesWorld loads the world for re-planning a series, without the
// blocks of the places that may move.
func (s *Service) seriesWorld(ctx context.Context, r Reader, sc *seriesContext, moving func(seq int) bool) (World, error) {
	skip := map[int64]bool{}
	for seq, a := range sc.bySeq {
		if moving(seq) {
			skip[a.ID] = true
		}
	}
	c, err := r.Clinic(ctx)
	if err != nil {
		return World{}, err
	}
	loc := c.Location()
	return s.world(ctx, r, sc.series.From.At(0, loc), (sc.series.From+Date(sc.protocol.WindowDays)).At(0, loc), skip)
}

func movable(a *Appointment) error {
	if a.Status != Booked {
		return Errorf(ECONFLICT, "This appointment is %s and cannot be moved.", a.Status)
	}
	return nil
}

// Reschedule moves an appointment to start at to, keeping every rule. With
// shiftLater the later appointments of the series are re-planned to the
// earliest times that keep them all; without it they stay, and a move that
// would break their gaps is refused. It returns the appointments that
// changed. In the same transaction the moved appointments' pending
// reminders are cancelled and queued anew for the new times, and one
// update is queued: about the appointment when one moved, about the series
// when several did. Returns ENOPLAN with the reason when
// the time is not possible.
func (s *Service) Reschedule(ctx context.Context, apptID int64, to time.Time, shiftLater bool) ([]*Appointment, error) {
	return s.move(ctx, apptID, to, shiftLater, "")
}

// Override moves an appointment to start at to although that breaks a
// rule (a gap, working hours, a closure), keeping its staff and room. It
// never double-books: the people and the room must be free. The broken
// rule and the reason are recorded in the audit trail. A move that breaks
// no rule is made as an ordinary reschedule.
func (s *Service) Override(ctx context.Context, apptID int64, to time.Time, reason string) ([]*Appointment, error) {
	if err := checkText("Override reason", reason, 500, true); err != nil {
		return nil, Errorf(EINVALID, "An override needs a reason for the audit trail.")
	}
	return s.move(ctx, apptID, to, false, reason)
}

func (s *Service) move(ctx context.Context, apptID int64, to time.Time, shiftLater bool, override string) ([]*Appointment, error) {
	var changed []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		sc, err := s.loadSeries(ctx, tx, apptID)
		if err != nil {
			return err
		}
		if err := movable(sc.appt); err != nil {
			return err
		}
		now := s.now()
		if to.Before(now) {
			return Errorf(EINVALID, "%s is in the past.", to.Format("Mon 2 Jan 2006 15:04"))
		}
		k := sc.appt.Seq
		moving := func(seq int) bool {
			a := sc.bySeq[seq]
			return seq == k || (shiftLater && seq > k && a != nil && a.Status == Booked)
		}
		w, err := s.seriesWorld(ctx, tx, sc, moving)
		if err != nil {
			return err
		}
		req := sc.request(now, moving)
		req.Pin = map[int]time.Time{k: to}
		p, err := PlanSeries(w, req)
		if err != nil && override != "" && ErrorCode(err) == ENOPLAN {
			if err := s.forceMove(ctx, tx, w, sc.appt, to, now, override, ErrorMessage(err), &changed); err != nil {
				return err
			}
			return s.queueMoved(ctx, tx, sc.patient, sc.series.ID, changed, w.Clinic.Location(), now)
		}
		if err != nil {
			return err
		}
		loc := w.Clinic.Location()
		for seq := range p.Appts {
			a, n := sc.bySeq[seq], p.Appts[seq]
			if a == nil || n == nil || !moving(seq) {
				continue
			}
			before, was := auditJSON(a), a.Start
			a.Start, a.End, a.Staff, a.RoomID, a.RoomName, a.Holds = n.Start, n.End, n.Staff, n.RoomID, n.RoomName, n.Holds
			if before == auditJSON(a) {
				continue
			}
			a.Sequence++
			a.Updated = now
			if err := tx.UpdateAppointment(ctx, a); err != nil {
				return err
			}
			note := a.Label() + ": " + was.In(loc).Format("Mon 2 Jan 15:04") + " → " + a.Start.In(loc).Format("Mon 2 Jan 15:04")
			if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "reschedule", PatientID: a.PatientID,
				SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: note}); err != nil {
				return err
			}
			changed = append(changed, a)
		}
		return s.queueMoved(ctx, tx, sc.patient, sc.series.ID, changed, loc, now)
	})
	return changed, err
}

// Cancel cancels one appointment (apptID) or the rest of a series
// (seriesID): every booked appointment that has not started. Less notice
// than the clinic's late-cancel limit marks it late-cancelled. In the same
// transaction their pending reminders are cancelled and one cancellation
// message is queued: about the series, or about the one appointment. It
// returns the cancelled appointments.
func (s *Service) Cancel(ctx context.Context, apptID, seriesID int64, reason string) ([]*Appointment, error) {
	if err := checkText("Reason", reason, 500, false); err != nil {
		return nil, err
	}
	var out []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		var list []*Appointment
		if apptID != 0 {
			a, err := tx.Appointment(ctx, apptID)
			if err != nil {
				return err
			}
			if a.Status != Booked && a.Status != Arrived {
				return Errorf(ECONFLICT, "This appointment is already %s.", a.Status)
			}
			list = []*Appointment{a}
		} else {
			sr, err := tx.Series(ctx, seriesID)
			if err != nil {
				return err
			}
			for _, a := range sr.Appts {
				if a.Status == Booked && a.Start.After(now) {
					list = append(list, a)
				}
			}
			if len(list) == 0 {
				return Errorf(ECONFLICT, "Series %d has no upcoming appointments to cancel.", seriesID)
			}
		}
		for _, a := range list {
			before := auditJSON(a)
			a.Status = Cancelled
			if a.Start.Sub(now) < c.LateCancel() {
				a.Status = LateCancelled
			}
			a.Reason = reason
			a.Sequence++
			a.Updated = now
			if err := tx.UpdateAppointment(ctx, a); err != nil {
				return err
			}
			if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "cancel", PatientID: a.PatientID,
				SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: reason}); err != nil {
				return err
			}
		}
		out = list
		return s.queueCancelled(ctx, tx, list, seriesID, now)
	})
	return out, err
}

// NeedsEscort reports whether the appointment is a visit after which the
// patient must not travel alone.
func (a *Appointment) NeedsEscort() bool { return a.Kind == "dosing" || a.Kind == "infusion" }

// SetStatus records attendance: arrived, completed or no-show. Arrival at
// a dosing visit needs its escort recorded first.
func (s *Service) SetStatus(ctx context.Context, apptID int64, st Status) (*Appointment, error) {
	if st != Arrived && st != Completed && st != NoShow {
		return nil, Errorf(EINVALID, "%q is not a status you can set; use arrived, completed or no-show.", clip(string(st), 20))
	}
	var out *Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Appointment(ctx, apptID)
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case !a.Status.Active():
			return Errorf(ECONFLICT, "This appointment was cancelled.")
		case a.Status == st:
			return Errorf(ECONFLICT, "This appointment is already marked %s.", st)
		case st == Arrived && a.NeedsEscort() && a.Escort == nil:
			return Errorf(ECONFLICT, "Record the escort who will take the patient home before checking in for this visit.")
		case st != Arrived && now.Before(a.Start):
			return Errorf(ECONFLICT, "This appointment has not started yet (%s).", a.Start.Format("Mon 2 Jan 15:04"))
		case st == Arrived && now.Before(a.Start.Add(-12*time.Hour)):
			return Errorf(ECONFLICT, "This appointment is not today; it is on %s.", a.Start.Format("Mon 2 Jan 15:04"))
		}
		before := auditJSON(a)
		a.Status = st
		a.Sequence++
		a.Updated = now
		if err := tx.UpdateAppointment(ctx, a); err != nil {
			return err
		}
		out = a
		return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "status", PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: string(st)})
	})
	return out, err
}

// SetEscort records who takes the patient home after a visit.
func (s *Service) SetEscort(ctx context.Context, apptID int64, e Escort) (*Appointment, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	var out *Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Appointment(ctx, apptID)
		if err != nil {
			return err
		}
		if !a.Status.Active() {
			return Errorf(ECONFLICT, "This appointment was cancelled.")
		}
		before := auditJSON(a)
		a.Escort = &e
		a.Updated = s.now()
		if err := tx.UpdateAppointment(ctx, a); err != nil {
			return err
		}
		out = a
		return appendAudit(ctx, tx, &AuditEntry{At: a.Updated, Actor: s.Actor, Action: "escort", PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a)})
	})
	return out, err
}

// AddPatient validates and stores a new patient.
func (s *Service) AddPatient(ctx context.Context, p *Patient) error {
	p.Name = strings.TrimSpace(p.Name)
	p.Email = strings.TrimSpace(p.Email)
	p.Phone = strings.TrimSpace(p.Phone)
	if err := p.Validate(); err != nil {
		return err
	}
	if p.Created.IsZero() {
		p.Created = s.now()
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		if err := tx.SavePatient(ctx, p); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "patient-add", PatientID: p.ID})
	})
}

// appendAudit appends an entry to the audit trail, refusing an actor name that
// could not be shown safely.
func appendAudit(ctx context.Context, tx Tx, e *AuditEntry) error {
	if err := checkText("The name of who is acting", e.Actor, 100, true); err != nil {
		return err
	}
	return tx.AddAudit(ctx, e)
}

// auditJSON renders a value for the audit trail's before and after.
func auditJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// InitClinic fills a new database with a clinic, its staff and rooms, and
// protocols, in one transaction.
func InitClinic(ctx context.Context, st Store, f *ClinicFile, protocols []*Protocol, actor string, now time.Time) error {
	return st.Update(ctx, func(tx Tx) error {
		if _, err := tx.Clinic(ctx); err == nil {
			return Errorf(ECONFLICT, "This database already has a clinic.")
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		if err := tx.SaveClinic(ctx, &f.Clinic); err != nil {
			return err
		}
		for i := range f.Staff {
			if err := tx.SaveStaff(ctx, &f.Staff[i]); err != nil {
				return err
			}
		}
		for i := range f.Rooms {
			if err := tx.SaveRoom(ctx, &f.Rooms[i]); err != nil {
				return err
			}
		}
		for _, p := range protocols {
			if err := tx.SaveProtocol(ctx, p); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: actor, Action: "init", Note: f.Clinic.Name})
	})
}

// SaveProtocol validates and stores a protocol (new, or replacing one with
// the same id). Booked series keep their appointments.
func (s *Service) SaveProtocol(ctx context.Context, p *Protocol) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		before := ""
		if old, err := tx.Protocol(ctx, p.ID); err == nil {
			before = auditJSON(old)
		}
		if err := tx.SaveProtocol(ctx, p); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "protocol", Before: before, After: auditJSON(p), Note: p.ID})
	})
}

// SetConsent records (or, with a nil date, withdraws) one of a patient's
// consents: detailed-email, no-email, screening-cleared or rems-enrolled.
func (s *Service) SetConsent(ctx context.Context, patientID int64, kind string, on *Date) (*Patient, error) {
	var out *Patient
	err := s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.Patient(ctx, patientID)
		if err != nil {
			return err
		}
		before := auditJSON(p.Consents)
		switch kind {
		case "detailed-email":
			p.Consents.DetailedEmail = on
		case "no-email":
			p.Consents.NoEmail = on
		case "screening-cleared":
			p.Consents.ScreeningCleared = on
		case "rems-enrolled":
			p.Consents.REMSEnrolled = on
		default:
			return Errorf(EINVALID, "%q is not a consent; use detailed-email, no-email, screening-cleared or rems-enrolled.", clip(kind, 30))
		}
		if err := tx.SavePatient(ctx, p); err != nil {
			return err
		}
		out = p
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "consent", PatientID: p.ID, Before: before, After: auditJSON(p.Consents), Note: kind})
	})
	return out, err
}

// forceMove moves a to start at to with its own staff and room, which must
// be free, and records the override.
func (s *Service) forceMove(ctx context.Context, tx Tx, w World, a *Appointment, to, now time.Time, reason, broken string, changed *[]*Appointment) error {
	b := *a
	b.End = to.Add(a.End.Sub(a.Start))
	b.Start = to
	for _, bl := range b.Blocks() {
		if busy, _ := w.Busy.Busy(bl.Resource, bl.Start, bl.End); busy {
			name := b.RoomName
			for _, st := range b.Staff {
				if bl.Resource.Kind == StaffResource && st.StaffID == bl.Resource.ID {
					name = st.Name
				}
			}
			return Errorf(ECONFLICT, "Even with an override, %s is already booked at %s; nobody is ever booked twice.", name, to.In(w.Clinic.Location()).Format("Mon 2 Jan 2006 15:04"))
		}
	}
	before := auditJSON(a)
	a.Start, a.End = b.Start, b.End
	a.Sequence++
	a.Updated = now
	if err := tx.UpdateAppointment(ctx, a); err != nil {
		return err
	}
	*changed = append(*changed, a)
	return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "override", PatientID: a.PatientID, SeriesID: a.SeriesID,
		AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: reason + " (rule overridden: " + broken + ")"})
}
