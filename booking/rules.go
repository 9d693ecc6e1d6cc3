package booking

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file judges one placement against the rules of docs/protocols.md
// and says what it breaks in words: why a time the front desk typed was
// refused, and which rules an override broke (for the audit trail). The
// search in planner.go keeps the same rules by construction.

// DoseGap returns the least distance the step keeps between two doses:
// its repeat gap's minimum, or one day when it has none.
func (s *Step) DoseGap() Gap {
	if s.RepeatGap != nil {
		return Gap{Min: s.RepeatGap.Min, Max: s.RepeatGap.Min, Unit: s.RepeatGap.Unit}
	}
	return Gap{Min: 1, Max: 1, Unit: Days}
}

// weekOf returns the Monday of d's calendar week.
func weekOf(d Date) Date { return d - Date((int(d.Weekday())+6)%7) }

// label names place seq in rule words, e.g. "dosing 2" or "consultation".
func (p *planner) label(seq int) string {
	in := p.insts[seq]
	if in.step.Count > 1 {
		return fmt.Sprintf("%s %d", strings.ToLower(in.step.Label()), in.index+1)
	}
	return strings.ToLower(in.step.Label())
}

// at formats an instant for rule words: "Thu 4 Mar 11:00".
func (p *planner) at(t time.Time) string { return t.In(p.loc).Format("Mon 2 Jan 15:04") }

// holder returns the appointment that holds place j while place k is
// judged: a placed one before k, a kept one after it.
func (p *planner) holder(j, k int) *Appointment {
	if j < k {
		return p.placed[j]
	}
	if p.omit[j] {
		return nil
	}
	return p.req.Keep[j]
}

// perWeek returns, in words, how place k on day d would put more sessions
// of its kind in d's calendar week than a per-week limit allows, or "".
// The limit is the smallest per_week among the steps of the sessions of
// that kind in the week, place k's own included.
func (p *planner) perWeek(k int, d Date) string {
	st := p.insts[k].step
	week := weekOf(d)
	limit, n := st.PerWeek, 1
	for j, in := range p.insts {
		if j == k || in.step.Kind != st.Kind {
			continue
		}
		a := p.holder(j, k)
		if a == nil || weekOf(DateOf(a.Start.In(p.loc))) != week {
			continue
		}
		n++
		if in.step.PerWeek > 0 && (limit == 0 || in.step.PerWeek < limit) {
			limit = in.step.PerWeek
		}
	}
	if limit > 0 && n > limit {
		return fmt.Sprintf("more than %d %s sessions in the week of %s", limit, st.Kind, week.At(0, p.loc).Format("Mon 2 Jan"))
	}
	return ""
}

// doseClash returns, in words, how a dose of step st at [start, end) comes
// too close to d, a dose of another series, or "": never the same day, and
// at least the larger of the two steps' least distances apart.
func doseClash(loc *time.Location, st *Step, start, end time.Time, d Dose) string {
	day, other := DateOf(start.In(loc)), DateOf(d.Start.In(loc))
	when := d.Start.In(loc).Format("Mon 2 Jan 15:04")
	if day == other {
		return fmt.Sprintf("on the same day as %s (%s)", d.Label, when)
	}
	for _, g := range []Gap{st.DoseGap(), d.MinGap} {
		if g.Unit == "days" {
			if n := int(day - other); max(n, -n) < g.Min {
				return fmt.Sprintf("at least %s from %s (%s)", count(g.Min, "days"), d.Label, when)
			}
			continue
		}
		gap := start.Sub(d.End)
		if start.Before(d.Start) {
			gap = d.Start.Sub(end)
		}
		if gap < time.Duration(g.minutes(g.Min))*time.Minute {
			return fmt.Sprintf("at least %s from %s (%s)", g.Unit.count(g.Min), d.Label, when)
		}
	}
	return ""
}

// gapRules lists the rules of order, gaps and windows that place k breaks
// when it is at [t, e), each as what it must be ("at least 2 days after
// dosing 1 (Thu 4 Mar 11:00)"). For a kept place (kept true) only the rules
// to places the search fills count; a rule between two unchanged places
// stands as it is.
func (p *planner) gapRules(k int, t, e time.Time, kept bool) []string {
	in := p.insts[k]
	d := DateOf(t.In(p.loc))
	var out []string
	add := func(format string, args ...any) {
		if s := fmt.Sprintf(format, args...); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !kept && (d < p.req.From || d > p.lastDay) {
		add("within the series window, %s to %s", p.req.From, p.lastDay)
	}
	// Order: after every earlier place ends. An override (judging) names
	// every one it puts it before, even those already out of order.
	for j := k - 1; j >= 0; j-- {
		a := p.placed[j]
		if a != nil && (!kept || p.planned(j)) && (p.judging || p.orderRule(j, k)) && t.Before(a.End) {
			add("after %s ends (%s)", p.label(j), p.at(a.End))
		}
	}
	for _, pd := range in.preds {
		a := p.placed[pd.seq]
		if a == nil || (kept && !p.planned(pd.seq)) {
			continue
		}
		g := pd.gap
		if g.Unit == "days" {
			n := int(d - DateOf(a.Start.In(p.loc)))
			if n < g.Min {
				add("at least %s %s (%s)", count(g.Min, "days"), pd.why, p.at(a.Start))
			}
			if n > g.Max {
				add("at most %s %s (%s)", count(g.Max, "days"), pd.why, p.at(a.Start))
			}
			continue
		}
		gap := int(t.Sub(a.End) / time.Minute)
		switch {
		case gap < g.minutes(g.Min) && g.Min == 0:
			add("%s ends (%s)", pd.why, p.at(a.End))
		case gap < g.minutes(g.Min):
			add("at least %s %s ends", g.Unit.count(g.Min), pd.why)
		case g.Max < 1<<30 && gap > g.minutes(g.Max):
			add("at most %s %s ends", g.Unit.count(g.Max), pd.why)
		}
	}
	if in.step.WithinDays > 0 && in.first < k && (!kept || p.planned(in.first)) {
		if f := p.placed[in.first]; f != nil && d > DateOf(f.Start.In(p.loc))+Date(in.step.WithinDays)-1 {
			add("within %d days of the first %s (%s)", in.step.WithinDays, strings.ToLower(in.step.Label()), p.at(f.Start))
		}
	}
	if !kept && !p.req.Now.IsZero() && t.Before(p.req.Now) {
		add("in the future")
	}
	return out
}

// violates checks a kept appointment at place k against the places the
// search filled before it. It returns the first broken rule in words.
func (p *planner) violates(k int, a *Appointment) string {
	if rules := p.gapRules(k, a.Start, a.End, true); len(rules) > 0 {
		return fmt.Sprintf("%s (%s) must be %s", strings.ToLower(a.Label()), p.at(a.Start), rules[0])
	}
	return ""
}

// problem is one rule a placement breaks, in words.
type problem struct {
	lead  string // what makes words a clause after "…: ", such as "it must be "
	words string // the rule, as the audit trail records it
	hard  bool   // no override may break it
}

func (x problem) String() string { return x.lead + x.words }

// problems lists the rules place k breaks when it starts at start: with
// a's own staff and room when a is given (an override keeps them), or, with
// a nil, what keeps the people and rooms the step needs from taking it (why
// a time the front desk chose was refused).
func (p *planner) problems(k int, start time.Time, a *Appointment) []problem {
	st := p.insts[k].step
	end := start.Add(time.Duration(st.Minutes) * time.Minute)
	var out []problem
	soft := func(lead, format string, args ...any) {
		out = append(out, problem{lead, fmt.Sprintf(format, args...), false})
	}
	hard := func(lead, format string, args ...any) {
		out = append(out, problem{lead, fmt.Sprintf(format, args...), true})
	}
	for _, r := range p.gapRules(k, start, end, false) {
		soft("it must be ", "%s", r)
	}
	// An integration never comes before the dosing it follows.
	if in := p.insts[k]; in.step.AfterEach != "" {
		for _, pd := range in.preds {
			if a := p.placed[pd.seq]; a != nil && p.insts[pd.seq].step.ID == in.step.AfterEach && start.Before(a.End) {
				hard("it must be ", "after %s ends (%s): it follows it", p.label(pd.seq), p.at(a.End))
			}
		}
	}
	p.hourProblems(k, start, end, soft)
	if w := p.perWeek(k, DateOf(start.In(p.loc))); p.weekly[st.Kind] && w != "" {
		soft("it makes ", "%s", w)
	}
	if st.REMS {
		if e := p.req.Patient.Consents.REMSEnrolled; e == nil {
			hard("", "the patient is not REMS-enrolled")
		} else if DateOf(start.In(p.loc)) < *e {
			hard("it is ", "before the patient's REMS enrolment on %s", *e)
		}
	}
	if st.Kind.IsDose() {
		for _, d := range p.req.Doses {
			if w := doseClash(p.loc, st, start, end, d); w != "" {
				hard("it is ", "%s", w)
			}
		}
	}
	if busy, _ := p.booked().Busy(Resource{PatientResource, p.req.Patient.ID}, start.Unix(), end.Unix()); busy && p.req.Patient.ID != 0 {
		hard("", "the patient has another appointment then")
	}
	if a != nil {
		p.staffProblems(a.Staff, start, end, st, soft, hard)
		p.roomProblems(a, start, end, st, hard)
		return out
	}
	p.needProblems(k, start, end, soft, hard)
	return out
}

// hourProblems reports a start outside the clinic's days and opening hours
// or after the step's latest end.
func (p *planner) hourProblems(k int, start, end time.Time, soft func(lead, format string, args ...any)) {
	st := p.insts[k].step
	c := p.w.Clinic
	local := start.In(p.loc)
	d, m := DateOf(local), ClockOf(local)
	switch {
	case c.ClosedOn(d) != nil:
		cl := c.ClosedOn(d)
		reason := ""
		if cl.Reason != "" {
			reason = " (" + cl.Reason + ")"
		}
		soft("", "the clinic is closed on %s%s", local.Format("Mon 2 Jan 2006"), reason)
	case len(c.Hours.On(d.Weekday())) == 0:
		soft("it is ", "outside the clinic's opening hours (closed on %ss)", d.Weekday())
	case !c.Hours.Contains(d.Weekday(), m, m+Clock(st.Minutes)):
		soft("it is ", "outside the clinic's opening hours (%s on %ss)", spansText(c.Hours.On(d.Weekday())), d.Weekday())
	}
	if st.LatestEnd != nil && m+Clock(st.Minutes) > *st.LatestEnd {
		soft("it ", "ends %s, after the latest end %s", ClockOf(end.In(p.loc)), *st.LatestEnd)
	}
}

// spansText writes periods of the day: "08:00–12:00, 13:00–18:00".
func spansText(spans []Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = s.Start.String() + "–" + s.End.String()
	}
	return strings.Join(parts, ", ")
}

// staffProblems reports the given staff members' working hours, time off,
// own-calendar busy times (an override may break those) and bookings (it
// may not) over [start, end) with the step's holds.
func (p *planner) staffProblems(staff []Assignment, start, end time.Time, st *Step, soft, hard func(lead, format string, args ...any)) {
	hb, ha := 0, 0
	for _, n := range st.Staff {
		hb, ha = max(hb, n.HoldBefore), max(ha, n.HoldAfter)
	}
	s, e := start.Add(-time.Duration(hb)*time.Minute), end.Add(time.Duration(ha)*time.Minute)
	for _, as := range staff {
		m := staffByID(p.w.Staff, as.StaffID)
		if m == nil {
			continue
		}
		p.personProblems(m, start, end, soft)
		for _, iv := range m.TimeOff {
			if iv.Overlaps(s, e) {
				soft("", "%s has time off then", m.Name)
				break
			}
		}
		for _, iv := range m.Busy {
			if iv.Overlaps(s, e) {
				soft("", "%s is busy then in their own calendar", m.Name)
				break
			}
		}
		if busy, _ := p.booked().Busy(Resource{StaffResource, m.ID}, s.Unix(), e.Unix()); busy {
			hard("", "%s is already booked then", m.Name)
		}
	}
}

// personProblems reports a start outside one person's working hours.
func (p *planner) personProblems(m *Staff, start, end time.Time, soft func(lead, format string, args ...any)) {
	local := start.In(p.loc)
	wd := DateOf(local).Weekday()
	spans := m.Hours.On(wd)
	switch {
	case len(spans) == 0:
		soft("it is ", "outside %s's working hours (none on %ss)", m.Name, wd)
	case !m.Hours.Contains(wd, ClockOf(local), ClockOf(local)+Clock(end.Sub(start)/time.Minute)):
		soft("it is ", "outside %s's working hours (%s on %ss)", m.Name, spansText(spans), wd)
	}
}

// roomProblems reports the appointment's own room booked over [start, end)
// with the step's holds.
func (p *planner) roomProblems(a *Appointment, start, end time.Time, st *Step, hard func(lead, format string, args ...any)) {
	if a.RoomID == 0 {
		return
	}
	s, e := start.Add(-time.Duration(st.Room.HoldBefore)*time.Minute), end.Add(time.Duration(st.Room.HoldAfter)*time.Minute)
	if busy, _ := p.booked().Busy(Resource{RoomResource, a.RoomID}, s.Unix(), e.Unix()); busy {
		hard("", "%s is already booked then", a.RoomName)
	}
}

// needProblems reports what keeps the people and rooms place k needs from
// taking [start, end): the series therapist's hours, time off and bookings
// when the series has one, and otherwise that the clinic has nobody (or no
// room) of the kind the step needs, or that none is free.
func (p *planner) needProblems(k int, start, end time.Time, soft, hard func(lead, format string, args ...any)) {
	st := p.insts[k].step
	if m := p.fixedTherapist(k); m != nil {
		p.staffProblems([]Assignment{{StaffID: m.ID, Name: m.Name}}, start, end, st, soft, hard)
	}
	hb, ha := 0, 0
	for _, n := range st.Staff {
		hb, ha = max(hb, n.HoldBefore), max(ha, n.HoldAfter)
	}
	s, e := start.Unix()-int64(hb)*60, end.Unix()+int64(ha)*60
	local := start.In(p.loc)
	wd, cs, ce := DateOf(local).Weekday(), ClockOf(local), ClockOf(local)+Clock(st.Minutes)
	for _, n := range st.Staff {
		if n.Series && p.fixedTherapist(k) != nil {
			continue
		}
		any, free := false, false
		for _, m := range p.w.Staff {
			if !qualified(m, n) {
				continue
			}
			any = true
			if busy, _ := p.w.Busy.Busy(Resource{StaffResource, m.ID}, s, e); !busy && m.Hours.Contains(wd, cs, ce) {
				free = true
				break
			}
		}
		switch {
		case !any:
			hard("", "the clinic has no %s", n)
		case !free:
			hard("", "no %s is free then", n)
		}
	}
	if st.Room.Video == "only" {
		return
	}
	any, free := false, false
	for _, r := range p.w.Rooms {
		if !roomFits(r, st.Room) {
			continue
		}
		any = true
		if busy, _ := p.w.Busy.Busy(Resource{RoomResource, r.ID}, start.Unix()-int64(st.Room.HoldBefore)*60, end.Unix()+int64(st.Room.HoldAfter)*60); !busy {
			free = true
			break
		}
	}
	video := st.Room.Video == "allowed" && p.req.AllowVideo
	switch {
	case !any && !video:
		hard("", "the clinic has no %s", roomWords(st.Room))
	case !free && !video:
		hard("", "no %s is free then", roomWords(st.Room))
	}
}

// Judge returns the rules that appointment a, put at place k of the
// request's series with its own staff and room, breaks: those an override
// may break (soft) and those nothing may break (hard: a person or room
// booked twice, REMS, the spacing of doses across series). The other
// places stay as req.Keep has them; req.Keep must not hold place k. A rule
// between two kept places is not judged. Returns EINVALID for a place the
// series does not have.
func Judge(w World, req PlanRequest, k int, a *Appointment) (soft, hard []string, err error) {
	p, err := newPlanner(w, req)
	if err != nil {
		return nil, nil, err
	}
	if k < 0 || k >= len(p.insts) || req.Keep[k] != nil {
		return nil, nil, Errorf(EINVALID, "The series has no appointment number %d to judge.", k+1)
	}
	for j := range p.insts {
		if x := req.Keep[j]; x != nil && !p.omit[j] {
			p.placed[j] = x
		}
	}
	p.placed[k] = a
	p.judging = true
	if p.therap == 0 && p.needsSeries(k) {
		p.therap = seriesTherapist(a)
	}
	for _, x := range p.problems(k, a.Start, a) {
		if x.hard {
			hard = append(hard, x.words)
		} else {
			soft = append(soft, x.words)
		}
	}
	for j := k + 1; j < len(p.insts); j++ {
		if x := p.placed[j]; x != nil {
			for _, r := range p.gapRules(j, x.Start, x.End, true) {
				soft = append(soft, fmt.Sprintf("%s (%s) must be %s", strings.ToLower(x.Label()), p.at(x.Start), r))
			}
		}
	}
	return soft, hard, nil
}
