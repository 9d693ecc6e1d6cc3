package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ProposalRequest is what the front desk asks for when booking a series:
// the patient, the protocol, the earliest start and the preferences the
// planner honours when it can.
type ProposalRequest struct {
	PatientID  int64
	ProtocolID string
	From       Date // 0: today in the clinic's zone
	// TherapistID fixes the series therapist; 0 means any therapist.
	TherapistID int64
	// Weekdays ("mon"…"sun") and TimesOfDay (morning, afternoon, evening)
	// are the patient's preferences for this series; they are soft.
	Weekdays     []string
	TimesOfDay   []string
	AllowVideo   bool
	SkipOptional bool
	// SlackDays, when not nil, is how many days of earliness the planner
	// may give up for the preferences in this proposal (0 to 14),
	// instead of the clinic's slack.
	SlackDays *int
	// Reason is why the series is booked while the patient has another
	// active one (Proposal.Active); required then, and recorded as an
	// override.
	Reason string
}

// Proposal is a planned series that is not booked yet: what the front
// desk reviews, changes one appointment at a time, and then books with
// BookProposal.
type Proposal struct {
	Request  ProposalRequest
	Patient  *Patient // as stored, with Request's preferences applied
	Protocol *Protocol
	// From is the first day the series may start (Request.From, or today).
	From        Date
	TherapistID int64
	// Appts are the proposed appointments in series order; ids are 0 and
	// each one's Seq is its place in the series (places of skipped
	// optional steps are missing).
	Appts []*Appointment
	// Created is when the proposal was made.
	Created time.Time
	// Active are the patient's active series when the proposal was made:
	// booking it beside them needs Request.Reason.
	Active []*Series

	loc   *time.Location
	doses []Dose // the patient's doses in other series
}

// Location returns the clinic's time zone the proposal was made in.
func (p *Proposal) Location() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}

// Place returns the proposed appointment at place seq of the series, or
// nil when that place is not part of the proposal.
func (p *Proposal) Place(seq int) *Appointment {
	for _, a := range p.Appts {
		if a.Seq == seq {
			return a
		}
	}
	return nil
}

// preferencesChanged reports whether the request's preferences differ
// from the ones stored for the patient.
func preferencesChanged(stored Preferences, req ProposalRequest) bool {
	return !slices.Equal(normalWeekdays(stored.Weekdays), normalWeekdays(req.Weekdays)) ||
		!slices.Equal(normalTimes(stored.TimesOfDay), normalTimes(req.TimesOfDay))
}

var timeOrder = []string{Morning, Afternoon, Evening}

func normalWeekdays(ws []string) []string {
	keys := make([]string, len(Week))
	for i, w := range Week {
		keys[i] = w.Key
	}
	return inOrder(ws, keys)
}
func normalTimes(ts []string) []string { return inOrder(ts, timeOrder) }

// inOrder returns the members of order that xs holds, in order's order.
func inOrder(xs, order []string) []string {
	out := []string{}
	for _, o := range order {
		if slices.ContainsFunc(xs, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), o) }) {
			out = append(out, o)
		}
	}
	return out
}

// validate checks the request's own values.
func (req *ProposalRequest) validate() error {
	if req.PatientID == 0 {
		return Errorf(EINVALID, "Choose a patient first, or add a new one.")
	}
	if req.ProtocolID == "" {
		return Errorf(EINVALID, "Choose a protocol first.")
	}
	if req.SlackDays != nil && (*req.SlackDays < 0 || *req.SlackDays > 14) {
		return Errorf(EINVALID, "The slack for preferences must be between 0 and 14 days.")
	}
	pr := Preferences{Weekdays: req.Weekdays, TimesOfDay: req.TimesOfDay}
	for _, w := range pr.Weekdays {
		if _, err := ParseWeekday(w); err != nil {
			return err
		}
	}
	for _, t := range pr.TimesOfDay {
		if !slices.Contains(timeOrder, t) {
			return Errorf(EINVALID, "%q is not a time of day; use morning, afternoon or evening.", Clip(t, 20))
		}
	}
	return nil
}

// Propose plans a series for the request without booking anything. The
// request's weekdays and times of day rank the choices within the
// clinic's slack, as the patient's stored preferences would. Returns
// ENOPLAN with the planner's reason when no plan exists, EINVALID for a
// start date in the past or a bad preference, and ENOTFOUND for an unknown
// patient, protocol or therapist.
func (s *Service) Propose(ctx context.Context, req ProposalRequest) (*Proposal, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	pat, err := s.Store.Patient(ctx, req.PatientID)
	if err != nil {
		return nil, err
	}
	pr, err := s.Store.Protocol(ctx, req.ProtocolID)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	loc := c.Location()
	from := req.From
	if today := DateOf(now.In(loc)); from < today {
		if from != 0 {
			return nil, Errorf(EINVALID, "The start date %s is in the past; choose today or later.", from)
		}
		from = today
	}
	p := &Proposal{Request: req, Protocol: pr, From: from, Created: now, loc: loc}
	p.Patient = withPreferences(pat, req)
	if p.Active, err = s.Store.SeriesList(ctx, SeriesFilter{PatientID: pat.ID, Active: true}); err != nil {
		return nil, err
	}
	if p.doses, err = s.otherDoses(ctx, s.Store, pat.ID, 0); err != nil {
		return nil, err
	}
	w, err := s.world(ctx, s.Store, from.At(0, loc), (from+Date(pr.WindowDays)).At(0, loc), nil)
	if err != nil {
		return nil, err
	}
	plan, err := PlanSeries(w, p.planRequest(now))
	if err != nil {
		return nil, err
	}
	p.setPlan(plan)
	return p, nil
}

// withPreferences returns a copy of pat whose weekday and time-of-day
// preferences are the request's. The stored earliest date is left out:
// the request's start date is what the front desk chose.
func withPreferences(pat *Patient, req ProposalRequest) *Patient {
	cp := *pat
	cp.Preferences = Preferences{Weekdays: normalWeekdays(req.Weekdays), TimesOfDay: normalTimes(req.TimesOfDay)}
	return &cp
}

// planRequest is the plan request of the proposal, with nothing kept.
func (p *Proposal) planRequest(now time.Time) PlanRequest {
	return PlanRequest{Patient: p.Patient, Protocol: p.Protocol, From: p.From, Now: now, TherapistID: p.Request.TherapistID,
		AllowVideo: p.Request.AllowVideo, SkipOptional: p.Request.SkipOptional, SlackDays: p.Request.SlackDays, Doses: p.doses}
}

func (p *Proposal) setPlan(plan *Plan) {
	p.TherapistID = plan.TherapistID
	p.Appts = slices.DeleteFunc(slices.Clone(plan.Appts), func(a *Appointment) bool { return a == nil })
}

// omitted returns the places of the series the proposal leaves out.
func (p *Proposal) omitted() map[int]bool {
	out := map[int]bool{}
	for _, in := range Instances(p.Protocol) {
		if p.Place(in.Seq) == nil {
			out[in.Seq] = true
		}
	}
	return out
}

// Alternative is another time for one appointment of a proposal.
type Alternative struct {
	*Appointment
	// KeepsRest is true when every later appointment can stay where it
	// is; false when some of them must be planned anew (ChangeProposal
	// does that).
	KeepsRest bool
}

// ProposalAlternatives lists up to limit other times for the appointment
// at place k of the proposal, in time order. Each keeps the earlier
// appointments where they are and every gap rule; those that keep the
// later appointments too come first in the choice, the others (marked by
// KeepsRest false) need some later appointments planned anew. There is at
// most one a day for each kind, nearest its current time of day. Returns
// EINVALID for a place the proposal does not have.
func (s *Service) ProposalAlternatives(ctx context.Context, p *Proposal, k, limit int) ([]Alternative, error) {
	if p == nil || p.Place(k) == nil {
		return nil, Errorf(EINVALID, "The proposal has no appointment number %d.", k+1)
	}
	w, err := s.proposalWorld(ctx, s.Store, p)
	if err != nil {
		return nil, err
	}
	request := func(later bool) PlanRequest {
		req := p.planRequest(s.now())
		req.TherapistID = p.TherapistID
		req.Omit = p.omitted()
		req.Keep = map[int]*Appointment{}
		for _, a := range p.Appts {
			if a.Seq <= k || later {
				req.Keep[a.Seq] = a // place k too: its current time is left out of the list
			}
		}
		return req
	}
	keep, err := Alternatives(w, request(true), k, limit)
	if err != nil {
		return nil, err
	}
	var free []*Appointment
	if len(keep) < limit {
		// Re-planning the rest for every candidate costs more; only
		// when the list is not full already.
		if free, err = Alternatives(w, request(false), k, limit); err != nil {
			return nil, err
		}
	}
	out := make([]Alternative, 0, limit)
	for _, a := range keep {
		out = append(out, Alternative{a, true})
	}
	for _, a := range free {
		if len(out) >= limit {
			break
		}
		if !slices.ContainsFunc(out, func(b Alternative) bool { return b.Start.Equal(a.Start) }) {
			out = append(out, Alternative{a, false})
		}
	}
	slices.SortFunc(out, func(a, b Alternative) int { return a.Start.Compare(b.Start) })
	return out, nil
}

func (s *Service) proposalWorld(ctx context.Context, r Reader, p *Proposal) (World, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return World{}, err
	}
	loc := c.Location()
	return s.world(ctx, r, p.From.At(0, loc), (p.From+Date(p.Protocol.WindowDays)).At(0, loc), nil)
}

// ChangeProposal returns a new proposal in which the appointment at place
// k starts at chosen's time (one of ProposalAlternatives). The rest is
// re-checked against the current bookings: the earlier appointments must
// stay as they are, and the later ones stay too while they still fit;
// from the first later one that no longer fits, the rest are planned
// anew. The given proposal is not changed. Returns ENOPLAN with the
// reason when the chosen time is no longer possible.
func (s *Service) ChangeProposal(ctx context.Context, p *Proposal, k int, chosen *Appointment) (*Proposal, error) {
	if p == nil || p.Place(k) == nil {
		return nil, Errorf(EINVALID, "The proposal has no appointment number %d.", k+1)
	}
	if chosen == nil {
		return nil, Errorf(EINVALID, "Choose one of the other times first.")
	}
	w, err := s.proposalWorld(ctx, s.Store, p)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var later []*Appointment
	for _, a := range p.Appts {
		if a.Seq > k {
			later = append(later, a)
		}
	}
	// Keep the longest run of later appointments that still fits.
	var lastErr error
	for n := len(later); n >= 0; n-- {
		req := p.planRequest(now)
		req.TherapistID = p.TherapistID
		req.Omit = p.omitted()
		req.Pin = map[int]time.Time{k: chosen.Start}
		req.PreferRoom = map[int]int64{k: chosen.RoomID}
		for _, a := range p.Appts {
			if a.Seq < k || (a.Seq > k && slices.Index(later, a) < n) {
				req.Pin[a.Seq] = a.Start
				req.PreferRoom[a.Seq] = a.RoomID
			}
		}
		plan, err := PlanSeries(w, req)
		if err == nil {
			q := *p
			q.setPlan(plan)
			return &q, nil
		}
		if ErrorCode(err) != ENOPLAN {
			return nil, err
		}
		if lastErr == nil {
			lastErr = err
		}
	}
	return nil, lastErr
}

// Moved lists the appointments of q whose time differs from the same
// place in p: what a change did.
func (p *Proposal) Moved(q *Proposal) []*Appointment {
	var out []*Appointment
	for _, b := range q.Appts {
		if a := p.Place(b.Seq); a == nil || !a.Start.Equal(b.Start) {
			out = append(out, b)
		}
	}
	return out
}

// BookProposal books the proposal as it stands, in one transaction: it
// re-checks every appointment against the current bookings, working
// hours and closures, stores the series, saves the patient's weekday and
// time-of-day preferences when they changed, and queues the confirmation,
// reminders and preparation messages as BookSeries does. When anything
// was booked meanwhile that the proposal needs, or the protocol or
// patient changed, it books nothing and returns ECONFLICT saying what;
// propose again then.
func (s *Service) BookProposal(ctx context.Context, p *Proposal) (*Series, error) {
	if p == nil || len(p.Appts) == 0 {
		return nil, Errorf(EINVALID, "There is no proposal to book; press Propose first.")
	}
	var out *Series
	err := s.Store.Update(ctx, func(tx Tx) error {
		pat, err := tx.Patient(ctx, p.Patient.ID)
		if err != nil {
			return err
		}
		pr, err := tx.Protocol(ctx, p.Protocol.ID)
		if err != nil {
			return err
		}
		if auditJSON(pr) != auditJSON(p.Protocol) {
			return Errorf(ECONFLICT, "The protocol %s was changed after this proposal was made; nothing was booked. Propose again.", pr.Name)
		}
		active, err := s.activeSeries(ctx, tx, pat, p.Request.Reason)
		if err != nil {
			return err
		}
		if p.doses, err = s.otherDoses(ctx, tx, pat.ID, 0); err != nil {
			return err
		}
		w, err := s.proposalWorld(ctx, tx, p)
		if err != nil {
			return err
		}
		loc := w.Clinic.Location()
		now := s.now()
		if err := p.taken(w, loc); err != nil {
			return err
		}
		// The planner, with every place pinned, checks hours, closures and
		// gaps again; it must find exactly the proposal.
		req := p.planRequest(now)
		req.TherapistID = p.TherapistID
		req.Omit = p.omitted()
		req.Pin, req.PreferRoom = map[int]time.Time{}, map[int]int64{}
		for _, a := range p.Appts {
			req.Pin[a.Seq], req.PreferRoom[a.Seq] = a.Start, a.RoomID
		}
		plan, err := PlanSeries(w, req)
		if err != nil {
			if ErrorCode(err) == ENOPLAN {
				return Errorf(ECONFLICT, "This proposal no longer fits, so nothing was booked: %s Propose again for a fresh plan.", ErrorMessage(err))
			}
			return err
		}
		if err := p.sameAs(plan, w, loc); err != nil {
			return err
		}
		if preferencesChanged(pat.Preferences, p.Request) {
			before := auditJSON(pat.Preferences)
			pat.Preferences.Weekdays = normalWeekdays(p.Request.Weekdays)
			pat.Preferences.TimesOfDay = normalTimes(p.Request.TimesOfDay)
			if err := tx.SavePatient(ctx, pat); err != nil {
				return err
			}
			if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "preferences", PatientID: pat.ID,
				Before: before, After: auditJSON(pat.Preferences)}); err != nil {
				return err
			}
		}
		appts := make([]*Appointment, len(p.Appts))
		for i, a := range p.Appts {
			cp := *a
			cp.Staff = slices.Clone(a.Staff)
			cp.ID, cp.SeriesID, cp.PatientID, cp.Status, cp.Sequence = 0, 0, pat.ID, Booked, 0
			cp.Created, cp.Updated = now, now
			appts[i] = &cp
		}
		out = &Series{PatientID: pat.ID, ProtocolID: pr.ID, ProtocolVersion: pr.Version, TherapistID: p.TherapistID, From: p.From, Created: now, Appts: appts}
		if err := tx.CreateSeries(ctx, out); err != nil {
			return err
		}
		if err := s.queueBooked(ctx, tx, pat, out, loc); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "book", PatientID: out.PatientID,
			SeriesID: out.ID, After: auditJSON(out.Appts), Note: fmt.Sprintf("%s, %d appointments", out.ProtocolID, len(out.Appts))}); err != nil {
			return err
		}
		return s.auditConcurrent(ctx, tx, out, active, p.Request.Reason)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CheckProposal tells whether p can still be booked as it stands, without
// booking it: it returns ECONFLICT naming the first proposed appointment
// whose person, room or patient was booked (by another desk, say) or
// became unavailable since p was made, and nil while all are free. The
// screen calls it when the database changes, so the desk learns before
// pressing Book; BookProposal checks everything again anyway.
func (s *Service) CheckProposal(ctx context.Context, p *Proposal) error {
	if p == nil || len(p.Appts) == 0 {
		return nil
	}
	w, err := s.proposalWorld(ctx, s.Store, p)
	if err != nil {
		return err
	}
	err = p.taken(w, w.Clinic.Location())
	if ErrorCode(err) == ECONFLICT {
		return Errorf(ECONFLICT, "%s", strings.Replace(ErrorMessage(err), ", so nothing was booked. Propose again for a fresh plan.", ": this proposal can no longer be booked. Propose again for a fresh plan.", 1))
	}
	return err
}

// sameAs checks that a re-check's plan keeps the proposal's times and
// series therapist, and that each person the proposal names still works
// then (someone else may be first in line now; the proposal's own choice
// stands when it is still free and at work).
func (p *Proposal) sameAs(plan *Plan, w World, loc *time.Location) error {
	fresh := map[int]*Appointment{}
	for _, a := range plan.Appts {
		if a != nil {
			fresh[a.Seq] = a
		}
	}
	for _, a := range p.Appts {
		b := fresh[a.Seq]
		ok := b != nil && b.Start.Equal(a.Start) && b.End.Equal(a.End) && seriesTherapist(b) == seriesTherapist(a)
		start := a.Start.In(loc)
		for _, st := range a.Staff {
			m := staffByID(w.Staff, st.StaffID)
			ok = ok && m != nil && m.Hours.Contains(DateOf(start).Weekday(), ClockOf(start), ClockOf(start)+Clock(a.End.Sub(a.Start)/time.Minute))
		}
		if a.RoomID != 0 {
			ok = ok && slices.ContainsFunc(w.Rooms, func(r *Room) bool { return r.ID == a.RoomID })
		}
		if !ok {
			return Errorf(ECONFLICT, "%s on %s can no longer be held as proposed, so nothing was booked. Propose again for a fresh plan.",
				a.Label(), start.Format("Mon 2 Jan 15:04"))
		}
	}
	return nil
}

// taken returns ECONFLICT naming the first proposed appointment whose
// person or room is already booked or away, or nil.
func (p *Proposal) taken(w World, loc *time.Location) error {
	for _, a := range p.Appts {
		b := *a
		b.ID, b.Status = 0, Booked
		for _, bl := range b.Blocks() {
			if busy, _ := w.Busy.Busy(bl.Resource, bl.Start, bl.End); !busy {
				continue
			}
			who := "the patient"
			switch bl.Resource.Kind {
			case RoomResource:
				who = a.RoomName
			case StaffResource:
				for _, st := range a.Staff {
					if st.StaffID == bl.Resource.ID {
						who = st.Name
					}
				}
			}
			return Errorf(ECONFLICT, "Since this proposal was made, %s was booked or became unavailable at the time of %s (%s), so nothing was booked. Propose again for a fresh plan.",
				who, a.Label(), a.Start.In(loc).Format("Mon 2 Jan 15:04"))
		}
	}
	return nil
}

// Relaxation is one change to a request that lets the planner find a plan.
type Relaxation struct {
	// Label is the change in words, for a button: "Start on 2027-03-15".
	Label   string
	Request ProposalRequest
}

// Relax tries the usual ways to loosen a request that has no plan (any
// therapist, video when no room is free, skipping optional steps, a later
// start) and returns those that give a plan, most modest first. Weekday
// and time-of-day preferences are soft and never prevent a plan, so they
// are not tried.
func (s *Service) Relax(ctx context.Context, req ProposalRequest) ([]Relaxation, error) {
	pr, err := s.Store.Protocol(ctx, req.ProtocolID)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	from := req.From
	if today := DateOf(s.now().In(c.Location())); from < today {
		from = today
	}
	var video, optional bool
	for _, st := range pr.Steps {
		video = video || st.Room.Video == "allowed"
		optional = optional || st.Optional
	}
	var tries []Relaxation
	if req.TherapistID != 0 {
		r := req
		r.TherapistID = 0
		tries = append(tries, Relaxation{"Any therapist", r})
	}
	if video && !req.AllowVideo {
		r := req
		r.AllowVideo = true
		tries = append(tries, Relaxation{"Allow video", r})
	}
	if optional && !req.SkipOptional {
		r := req
		r.SkipOptional = true
		tries = append(tries, Relaxation{"Skip optional steps", r})
	}
	for _, weeks := range []int{1, 2, 4, 8} {
		r := req
		r.From = from + Date(7*weeks)
		tries = append(tries, Relaxation{"Start on " + r.From.String(), r})
	}
	var out []Relaxation
	later := false
	for _, t := range tries {
		if later && strings.HasPrefix(t.Label, "Start on") {
			continue // one later start is enough
		}
		if _, err := s.Propose(ctx, t.Request); err != nil {
			if c := ErrorCode(err); c == ENOPLAN || c == EINVALID {
				continue
			}
			return nil, err
		}
		out = append(out, t)
		later = later || strings.HasPrefix(t.Label, "Start on")
	}
	return out, nil
}
