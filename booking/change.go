package booking

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// This file changes a booked series over its life: moves, overrides and
// make-ups, and the times it suggests for them (docs/protocols.md, "A
// series over time"). Every change is judged on what it changes: the
// places it fills or moves are planned against the series as it stands,
// facts (past, completed, no-show and cancelled appointments) included,
// and rules between two places it leaves alone are not judged again.

// seriesContext is an appointment with its series, the protocol version
// the series was booked under, the patient, and who holds each place.
type seriesContext struct {
	appt     *Appointment
	series   *Series
	protocol *Protocol
	patient  *Patient
	// holders maps each held place (seq) to its booked, arrived or
	// completed appointment.
	holders map[int]*Appointment
	layout  []*Appointment // Instances(protocol)
}

func (s *Service) loadSeries(ctx context.Context, r Reader, apptID int64) (*seriesContext, error) {
	a, err := r.Appointment(ctx, apptID)
	if err != nil {
		return nil, err
	}
	if a.SeriesID == 0 {
		return nil, Errorf(ECONFLICT, "Appointment %d belongs to no series, so it has no rules to keep; cancel it and book anew.", a.ID)
	}
	sc := &seriesContext{appt: a, holders: map[int]*Appointment{}}
	if sc.series, err = r.Series(ctx, a.SeriesID); err != nil {
		return nil, err
	}
	if sc.protocol, err = r.ProtocolVersion(ctx, sc.series.ProtocolID, sc.series.ProtocolVersion); err != nil {
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
	sc.layout = Instances(sc.protocol)
	for _, x := range sc.series.Appts {
		if x.Seq >= len(sc.layout) || sc.layout[x.Seq].Step != x.Step || sc.layout[x.Seq].Index != x.Index {
			return nil, Errorf(ESTORE, "Series %d does not match version %d of protocol %s it was booked under; the database may be damaged.", sc.series.ID, sc.series.ProtocolVersion, sc.protocol.ID)
		}
		if x.ID == a.ID {
			sc.appt = x
		}
		if x.Status.Holds() {
			sc.holders[x.Seq] = x
		}
	}
	return sc, nil
}

// dependents returns the places that follow place k (after_each, such as
// the integration after a dosing), theirs included, in order.
func (sc *seriesContext) dependents(k int) []int {
	var out []int
	for _, in := range layout(sc.protocol) {
		if in.step.AfterEach == sc.layout[k].Step && in.index+1 == sc.layout[k].Index {
			out = append(out, in.seq)
			out = append(out, sc.dependents(in.seq)...)
		}
	}
	slices.Sort(out)
	return out
}

// request builds the plan request for the series: the places for which
// planned is true are for the search to fill; every other held place is
// kept as it is, and every other empty place is left out.
func (sc *seriesContext) request(now time.Time, planned func(seq int) bool) PlanRequest {
	req := PlanRequest{Patient: sc.patient, Protocol: sc.protocol, From: sc.series.From, Now: now,
		TherapistID: sc.series.TherapistID, AllowVideo: sc.appt.Video(),
		Keep: map[int]*Appointment{}, Omit: map[int]bool{}, PreferRoom: map[int]int64{}, Before: map[int]*Appointment{}}
	for _, in := range sc.layout {
		a := sc.holders[in.Seq]
		switch {
		case planned(in.Seq):
			if a != nil {
				req.PreferRoom[in.Seq], req.Before[in.Seq] = a.RoomID, a
			}
		case a != nil:
			req.Keep[in.Seq] = a
		default:
			req.Omit[in.Seq] = true
		}
	}
	return req
}

// change is one change to a series: the places it fills anew (make-ups of
// missed appointments), the held places it moves, the place the front desk
// chose (k) with the time they chose for it, and an override's reason.
type change struct {
	sc       *seriesContext
	k        int
	fill     map[int]*Appointment // place → the missed appointment a make-up replaces
	move     map[int]bool         // held places that move
	pin      time.Time            // zero: the earliest time that keeps every rule
	override string
}

func (c *change) planned(seq int) bool { return c.fill[seq] != nil || c.move[seq] }

// moveChange is the change that moves the appointment at place k: with
// its booked dependents, and with shiftLater every later booked one too.
func moveChange(sc *seriesContext, shiftLater bool) (*change, error) {
	if err := movable(sc.appt); err != nil {
		return nil, err
	}
	c := &change{sc: sc, k: sc.appt.Seq, fill: map[int]*Appointment{}, move: map[int]bool{sc.appt.Seq: true}}
	for _, d := range sc.dependents(c.k) {
		if a := sc.holders[d]; a != nil && a.Status == Booked {
			c.move[d] = true
		}
	}
	if shiftLater {
		c.shiftLater()
	}
	return c, nil
}

// shiftLater lets every booked place after k move along.
func (c *change) shiftLater() {
	for seq, a := range c.sc.holders {
		if seq > c.k && a.Status == Booked {
			c.move[seq] = true
		}
	}
}

func movable(a *Appointment) error {
	if a.Status != Booked {
		return Errorf(ECONFLICT, "This appointment is %s and cannot be moved.", a.Status.Words())
	}
	return nil
}

// makeupChange is the change that makes up the missed appointment at place
// k, and its missed dependents; with shiftLater the later booked places
// move along.
func makeupChange(sc *seriesContext, shiftLater bool) (*change, error) {
	a := sc.appt
	switch {
	case a.Status.Holds():
		return nil, Errorf(ECONFLICT, "%s is %s; only a no-show or a cancelled appointment can be made up.", a.Label(), strings.ToLower(a.Status.Words()))
	case sc.holders[a.Seq] != nil:
		h := sc.holders[a.Seq]
		return nil, Errorf(ECONFLICT, "%s was already made up: appointment %d on %s.", a.Label(), h.ID, h.Start.Format("Mon 2 Jan 15:04"))
	}
	c := &change{sc: sc, k: a.Seq, fill: map[int]*Appointment{a.Seq: a}, move: map[int]bool{}}
	for _, d := range sc.dependents(c.k) {
		if h := sc.holders[d]; h != nil && h.Status == Booked {
			c.move[d] = true
		} else if h == nil {
			if missed := sc.lastMissed(d); missed != nil {
				c.fill[d] = missed
			}
		}
	}
	if shiftLater {
		c.shiftLater()
	}
	return c, nil
}

// lastMissed returns the latest no-show or cancelled appointment of place
// seq, or nil.
func (sc *seriesContext) lastMissed(seq int) *Appointment {
	var out *Appointment
	for _, a := range sc.series.Appts {
		if a.Seq == seq && !a.Status.Holds() {
			out = a
		}
	}
	return out
}

// world loads the world for a change: the series' window (and the chosen
// time, which an override may put outside it) without the blocks of the
// appointments that move.
func (s *Service) changeWorld(ctx context.Context, r Reader, c *change) (World, error) {
	skip := map[int64]bool{}
	for seq := range c.move {
		skip[c.sc.holders[seq].ID] = true
	}
	cl, err := r.Clinic(ctx)
	if err != nil {
		return World{}, err
	}
	loc := cl.Location()
	from, to := c.sc.series.From.At(0, loc), (c.sc.series.From+Date(c.sc.protocol.WindowDays)).At(0, loc)
	if !c.pin.IsZero() {
		from, to = minTime(from, c.pin.Add(-24*time.Hour)), maxTime(to, c.pin.Add(48*time.Hour))
	}
	return s.world(ctx, r, from, to, skip)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// plan is a change's outcome: the new appointment of each place it fills
// or moves, and the rules each broke when an override put it there.
type plan struct {
	appts  map[int]*Appointment
	broken map[int][]string
}

// apply plans a change and stores it in tx: moved appointments keep their
// ids, make-ups are new appointments, each audited; the patient's messages
// are re-timed and one notice is queued. It returns the new and the moved
// appointments, in series order.
func (s *Service) apply(ctx context.Context, tx Tx, c *change) ([]*Appointment, error) {
	now := s.now()
	if !c.pin.IsZero() && c.pin.Before(now) {
		return nil, Errorf(EINVALID, "%s is in the past.", c.pin.Format("Mon 2 Jan 2006 15:04"))
	}
	w, err := s.changeWorld(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	doses, err := s.otherDoses(ctx, tx, c.sc.patient.ID, c.sc.series.ID)
	if err != nil {
		return nil, err
	}
	req := c.sc.request(now, c.planned)
	req.Doses = doses
	if !c.pin.IsZero() {
		req.Pin = map[int]time.Time{c.k: c.pin}
	}
	var out *plan
	found, err := PlanSeries(w, req)
	switch {
	case err == nil:
		out = &plan{appts: map[int]*Appointment{}}
		for seq, a := range found.Appts {
			if a != nil && c.planned(seq) {
				out.appts[seq] = a
			}
		}
	case ErrorCode(err) == ENOPLAN && c.override != "" && !c.pin.IsZero():
		if out, err = s.force(w, c, req); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	return s.commit(ctx, tx, c, out, w.Clinic.Location(), now)
}

// force puts place k at the chosen time with its own staff and room,
// whatever rules that breaks, as long as nothing that may never be broken
// is: no one booked twice, REMS, the spacing of doses. The places that
// move with it are then planned around it; when its dependents cannot
// follow by the rules, they keep their distance to it and the rules they
// break are recorded too.
func (s *Service) force(w World, c *change, req PlanRequest) (*plan, error) {
	model := c.sc.holders[c.k]
	if model == nil {
		model = c.fill[c.k]
	}
	at := func(a *Appointment, start time.Time) *Appointment {
		b := *a
		b.End, b.Start = start.Add(a.End.Sub(a.Start)), start
		b.Status = Booked
		return &b
	}
	out := &plan{appts: map[int]*Appointment{}, broken: map[int][]string{}}
	forced := at(model, c.pin)
	soft, err := judgeForced(w, c, req, c.k, forced, nil)
	if err != nil {
		return nil, err
	}
	out.appts[c.k], out.broken[c.k] = forced, soft
	rest := maps.Clone(req.Keep)
	rest[c.k] = forced
	others := slices.DeleteFunc(slices.Sorted(maps.Keys(c.move)), func(seq int) bool { return seq == c.k })
	for seq := range c.fill {
		if seq != c.k {
			others = append(others, seq)
		}
	}
	if len(others) == 0 {
		return out, nil
	}
	after := w.with(forced.Blocks()...)
	req.Keep, req.Pin = rest, nil
	found, err := PlanSeries(after, req)
	if err == nil {
		for _, seq := range others {
			out.appts[seq] = found.Appts[seq]
		}
		return out, nil
	} else if ErrorCode(err) != ENOPLAN || len(others) > len(c.sc.dependents(c.k)) {
		return nil, Errorf(ENOPLAN, "%s can be put there with the override, but the appointments after it cannot follow: %s", model.Label(), ErrorMessage(err))
	}
	// Its dependents follow it by their own rules, as if nothing came
	// after them; the rules to the later places that the override broke
	// are recorded for them too.
	alone := req
	alone.Keep, alone.Omit = maps.Clone(rest), maps.Clone(req.Omit)
	for seq := range rest {
		if seq > c.k {
			delete(alone.Keep, seq)
			alone.Omit[seq] = true
		}
	}
	if found, err := PlanSeries(after, alone); err == nil {
		for _, seq := range others {
			soft, err := judgeForced(after, c, req, seq, found.Appts[seq], out.appts)
			if err != nil {
				return nil, err
			}
			out.appts[seq], out.broken[seq] = found.Appts[seq], soft
			after = after.with(found.Appts[seq].Blocks()...)
		}
		return out, nil
	}
	// Else they keep their distance to the place they follow.
	anchorEnd := model.End
	for _, seq := range c.sc.dependents(c.k) {
		dep := c.sc.holders[seq]
		if dep == nil {
			dep = c.fill[seq]
		}
		if dep == nil {
			continue
		}
		moved := at(dep, forced.End.Add(dep.Start.Sub(anchorEnd)))
		soft, err := judgeForced(after, c, req, seq, moved, out.appts)
		if err != nil {
			return nil, Errorf(ECONFLICT, "%s can be put there with the override, but %s cannot follow it: %s", model.Label(), strings.ToLower(dep.Label()), ErrorMessage(err))
		}
		out.appts[seq], out.broken[seq] = moved, soft
		after = after.with(moved.Blocks()...)
	}
	return out, nil
}

// judgeForced returns the rules a breaks at place seq when the change puts it
// there by override, with the places placed so far by the override kept
// and the change's other places left out; ECONFLICT when it breaks a rule
// no override may break.
func judgeForced(w World, c *change, req PlanRequest, seq int, a *Appointment, placed map[int]*Appointment) ([]string, error) {
	r := req
	r.Pin = nil
	r.Keep, r.Omit = maps.Clone(req.Keep), maps.Clone(req.Omit)
	delete(r.Keep, seq)
	for j := range c.move {
		if j != seq {
			r.Omit[j] = true
		}
	}
	for j := range c.fill {
		if j != seq {
			r.Omit[j] = true
		}
	}
	for j, x := range placed {
		if j != seq {
			r.Keep[j] = x
			delete(r.Omit, j)
		}
	}
	soft, hard, err := Judge(w, r, seq, a)
	if err != nil {
		return nil, err
	}
	if len(hard) > 0 {
		return nil, Errorf(ECONFLICT, "Even with an override, %s cannot be at %s: %s.", strings.ToLower(a.Label()), a.Start.In(w.Clinic.Location()).Format("Mon 2 Jan 2006 15:04"), strings.Join(hard, "; "))
	}
	return soft, nil
}

// commit stores a planned change, audits it and queues the patient's
// messages, returning the new and moved appointments in series order.
func (s *Service) commit(ctx context.Context, tx Tx, c *change, p *plan, loc *time.Location, now time.Time) ([]*Appointment, error) {
	var created, moved []*Appointment
	for _, seq := range slices.Sorted(maps.Keys(p.appts)) {
		n := p.appts[seq]
		if missed := c.fill[seq]; missed != nil {
			a, err := s.createMakeup(ctx, tx, missed, n, loc, now)
			if err != nil {
				return nil, err
			}
			created = append(created, a)
			if broken := p.broken[seq]; broken != nil {
				if err := s.auditOverride(ctx, tx, a, "", c.override, broken, now); err != nil {
					return nil, err
				}
			}
			continue
		}
		a := c.sc.holders[seq]
		before, was := auditJSON(a), a.Start
		a.Start, a.End, a.Staff, a.RoomID, a.RoomName, a.Holds = n.Start, n.End, n.Staff, n.RoomID, n.RoomName, n.Holds
		if before == auditJSON(a) {
			continue
		}
		a.Sequence++
		a.Updated = now
		if err := tx.UpdateAppointment(ctx, a); err != nil {
			return nil, err
		}
		moved = append(moved, a)
		if broken := p.broken[seq]; broken != nil {
			if err := s.auditOverride(ctx, tx, a, before, c.override, broken, now); err != nil {
				return nil, err
			}
			continue
		}
		note := a.Label() + ": " + was.In(loc).Format("Mon 2 Jan 15:04") + " → " + a.Start.In(loc).Format("Mon 2 Jan 15:04")
		if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "reschedule", PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: note}); err != nil {
			return nil, err
		}
	}
	if err := s.queueChanged(ctx, tx, c.sc.patient, c.sc.series.ID, created, moved, loc, now); err != nil {
		return nil, err
	}
	return slices.SortedFunc(slices.Values(append(created, moved...)), func(a, b *Appointment) int { return a.Seq - b.Seq }), nil
}

// createMakeup stores the make-up n of the missed appointment and audits it.
func (s *Service) createMakeup(ctx context.Context, tx Tx, missed, n *Appointment, loc *time.Location, now time.Time) (*Appointment, error) {
	a := *n
	a.ID, a.SeriesID, a.PatientID, a.Status, a.Sequence, a.Escort = 0, missed.SeriesID, missed.PatientID, Booked, 0, nil
	a.Staff = slices.Clone(n.Staff)
	a.MakeupOf, a.Created, a.Updated = missed.ID, now, now
	a.Reason, a.CancelledBy, a.LateMinutes = "", "", 0
	if err := tx.CreateAppointment(ctx, &a); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%s for appointment %d (%s, %s): %s", a.Label(), missed.ID, strings.ToLower(missed.Status.Words()),
		missed.Start.In(loc).Format("Mon 2 Jan 15:04"), a.Start.In(loc).Format("Mon 2 Jan 15:04"))
	return &a, appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "makeup", PatientID: a.PatientID,
		SeriesID: a.SeriesID, AppointmentID: a.ID, Before: auditJSON(missed), After: auditJSON(&a), Note: note})
}

// auditOverride records that an override put a where it breaks the rules
// in broken, in the words docs/protocols.md lists.
func (s *Service) auditOverride(ctx context.Context, tx Tx, a *Appointment, before, reason string, broken []string, now time.Time) error {
	rules := strings.Join(broken, "; ")
	if rules == "" {
		rules = "none of its own; it follows an overridden appointment"
	}
	return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "override", PatientID: a.PatientID, SeriesID: a.SeriesID,
		AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: reason + " (rule overridden: " + rules + ")"})
}

// Suggestions are the ways to move one appointment of a series, or to
// make up a missed one.
type Suggestions struct {
	// Alternatives keep every other booked appointment where it is (the
	// appointments that follow this one, such as its integration, move
	// along with it).
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
// appointments. Returns ENOTFOUND for an unknown appointment and ECONFLICT
// for one that is not booked.
func (s *Service) Suggest(ctx context.Context, apptID int64, limit int) (*Suggestions, error) {
	sc, err := s.loadSeries(ctx, s.Store, apptID)
	if err != nil {
		return nil, err
	}
	c, err := moveChange(sc, false)
	if err != nil {
		return nil, err
	}
	return s.suggest(ctx, c, limit)
}

// SuggestMakeup lists times for a make-up of a missed appointment, as
// Suggest does for a move. Returns ECONFLICT for an appointment that was
// not missed or was made up already.
func (s *Service) SuggestMakeup(ctx context.Context, apptID int64, limit int) (*Suggestions, error) {
	sc, err := s.loadSeries(ctx, s.Store, apptID)
	if err != nil {
		return nil, err
	}
	c, err := makeupChange(sc, false)
	if err != nil {
		return nil, err
	}
	return s.suggest(ctx, c, limit)
}

func (s *Service) suggest(ctx context.Context, c *change, limit int) (*Suggestions, error) {
	shifted := &change{sc: c.sc, k: c.k, fill: c.fill, move: maps.Clone(c.move)}
	shifted.shiftLater()
	w, err := s.changeWorld(ctx, s.Store, shifted)
	if err != nil {
		return nil, err
	}
	doses, err := s.otherDoses(ctx, s.Store, c.sc.patient.ID, c.sc.series.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	request := func(c *change) PlanRequest {
		req := c.sc.request(now, c.planned)
		req.Doses = doses
		if cur := c.sc.holders[c.k]; cur != nil {
			req.Keep[c.k] = cur // its current time, to be left out of the list
		}
		return req
	}
	alts, err := Alternatives(w, request(c), c.k, limit)
	if err != nil {
		return nil, err
	}
	out := &Suggestions{Alternatives: alts}
	if len(shifted.move) == len(c.move) {
		return out, nil // nothing later can move along
	}
	later, err := Alternatives(w, request(shifted), c.k, limit)
	if err != nil {
		return nil, err
	}
	for _, a := range later {
		if !slices.ContainsFunc(alts, func(b *Appointment) bool { return b.Start.Equal(a.Start) }) {
			out.Later = append(out.Later, a)
		}
	}
	if len(alts) == 0 {
		// Only a plan that moves something is a proposal; list what moves.
		req := request(shifted)
		delete(req.Keep, c.k)
		if p, err := PlanSeries(w, req); err == nil {
			for seq, a := range p.Appts {
				cur := c.sc.holders[seq]
				if a != nil && shifted.planned(seq) && (cur == nil || !a.Start.Equal(cur.Start)) {
					out.Shift = append(out.Shift, a)
				}
			}
		}
	}
	return out, nil
}

// Reschedule moves an appointment to start at to, keeping every rule
// between it and the rest of the series as it stands; its integration (the
// places that follow it) moves with it. With shiftLater the later
// appointments of the series are re-planned to the earliest times that
// keep them all; without it they stay, and a move that would break their
// gaps is refused. It returns the appointments that changed. In the same
// transaction the moved appointments' pending reminders are cancelled and
// queued anew for the new times, and one update is queued: about the
// appointment when one moved, about the series when several did. Returns
// ENOPLAN with the broken rule in words when the time is not possible.
func (s *Service) Reschedule(ctx context.Context, apptID int64, to time.Time, shiftLater bool) ([]*Appointment, error) {
	var out []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		sc, err := s.loadSeries(ctx, tx, apptID)
		if err != nil {
			return err
		}
		c, err := moveChange(sc, shiftLater)
		if err != nil {
			return err
		}
		c.pin = to
		out, err = s.apply(ctx, tx, c)
		return err
	})
	return out, err
}

// Override moves an appointment to start at to although that breaks
// rules (gaps, order, the series window, opening or working hours, time
// off, a per-week limit), keeping its staff and room; its integration
// follows it. It never books a person or room twice, never breaks REMS or
// the spacing of doses across series (ECONFLICT). The audit entry names
// every rule it broke and the reason. A move that breaks no rule is made
// as an ordinary reschedule.
func (s *Service) Override(ctx context.Context, apptID int64, to time.Time, reason string) ([]*Appointment, error) {
	if err := checkText("Override reason", reason, 500, true); err != nil {
		return nil, Errorf(EINVALID, "An override needs a reason for the audit trail.")
	}
	var out []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		sc, err := s.loadSeries(ctx, tx, apptID)
		if err != nil {
			return err
		}
		c, err := moveChange(sc, false)
		if err != nil {
			return err
		}
		c.pin, c.override = to, strings.TrimSpace(reason)
		out, err = s.apply(ctx, tx, c)
		return err
	})
	return out, err
}

// MakeupRequest asks for a make-up of a missed appointment.
type MakeupRequest struct {
	// AppointmentID is the no-show or cancelled appointment to make up.
	AppointmentID int64
	// To is the make-up's start; zero: the earliest time that keeps every
	// rule.
	To time.Time
	// ShiftLater lets the later booked appointments of the series move
	// along.
	ShiftLater bool
	// Override, with To, books it there although that breaks rules, as
	// Override does for a move; it is the reason for the audit trail.
	Override string
}

// MakeUp books a make-up of a missed (no-show or cancelled) appointment:
// a new appointment in its place in the series, with the series
// therapist, the gaps to its held neighbours and after now; a missed
// integration after it is made up too. It returns the new appointments,
// and any later ones that moved along, in series order. The patient gets
// one message: a confirmation of the make-up, or an update listing the
// series when more changed. Returns ECONFLICT for an appointment that was
// not missed or was made up already, and ENOPLAN with the reason when no
// time keeps the rules.
func (s *Service) MakeUp(ctx context.Context, req MakeupRequest) ([]*Appointment, error) {
	if req.Override != "" && req.To.IsZero() {
		return nil, Errorf(EINVALID, "An override needs the time to book the make-up at.")
	}
	if req.Override != "" {
		if err := checkText("Override reason", req.Override, 500, true); err != nil {
			return nil, err
		}
	}
	var out []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		sc, err := s.loadSeries(ctx, tx, req.AppointmentID)
		if err != nil {
			return err
		}
		c, err := makeupChange(sc, req.ShiftLater)
		if err != nil {
			return err
		}
		c.pin, c.override = req.To, strings.TrimSpace(req.Override)
		out, err = s.apply(ctx, tx, c)
		return err
	})
	return out, err
}

// otherDoses returns the patient's held doses outside series except, each
// with the least distance its own step keeps.
func (s *Service) otherDoses(ctx context.Context, r Reader, patientID, except int64) ([]Dose, error) {
	appts, err := r.Appointments(ctx, AppointmentFilter{PatientID: patientID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	var out []Dose
	protocols := map[int64]*Protocol{}
	for _, a := range appts {
		if a.SeriesID == except || !a.Status.Holds() || !a.Kind.IsDose() {
			continue
		}
		gap := Gap{Min: 1, Max: 1, Unit: Days}
		if a.SeriesID != 0 {
			pr := protocols[a.SeriesID]
			if pr == nil {
				sr, err := r.Series(ctx, a.SeriesID)
				if err != nil {
					return nil, err
				}
				if pr, err = r.ProtocolVersion(ctx, sr.ProtocolID, sr.ProtocolVersion); err != nil {
					return nil, err
				}
				protocols[a.SeriesID] = pr
			}
			if st := pr.Step(a.Step); st != nil {
				gap = st.DoseGap()
			}
		}
		out = append(out, Dose{Start: a.Start, End: a.End, MinGap: gap, Label: fmt.Sprintf("%s of series %d", strings.ToLower(a.Label()), a.SeriesID)})
	}
	return out, nil
}
