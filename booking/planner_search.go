package booking

import (
	"slices"
	"sort"
	"strconv"
	"time"
)

// The search is depth first, earliest first: each place tries the days its
// bounds allow in quarter hours, and a later place that cannot be filled
// sends the search back to the next candidate of an earlier one. Failed
// states are remembered by what the rest of the series depends on, so a
// hopeless request ends quickly (docs/architecture.md).

// Granularity is the step between candidate start times, in minutes.
const Granularity = 15

// maxEvaluations bounds the search so a hopeless request ends in words, not
// a hang.
const maxEvaluations = 4_000_000

// place fills places k and later, depth first, earliest first.
func (p *planner) place(k int) (bool, error) {
	if k == len(p.insts) {
		return true, nil
	}
	if p.omit[k] {
		p.placed[k] = nil
		return p.place(k + 1)
	}
	if a := p.req.Keep[k]; a != nil {
		if broken := p.violates(k, a); broken != "" {
			if k >= p.deepest {
				p.deepest = k
				p.why = whyFailed{kept: broken}
			}
			return false, nil
		}
		p.placed[k] = a
		if p.therap == 0 && p.req.Protocol.SameTherapistRequired() {
			for _, s := range a.Staff {
				if s.Role == RoleTherapist && p.needsSeries(k) {
					p.therap = s.StaffID
				}
			}
		}
		return p.place(k + 1)
	}
	sp := p.window(k)
	key := p.entryKey(k, sp)
	if p.failed[key] {
		return false, nil
	}
	therapBefore := p.therap
	it := p.candidates(k, sp)
	for {
		c, err := it.next()
		if err != nil {
			return false, err
		}
		if c == nil {
			break
		}
		p.placed[k] = c
		if p.needsSeries(k) && p.therap == 0 {
			p.therap = seriesTherapist(c)
		}
		ok, err := p.place(k + 1)
		if err != nil || ok {
			return ok, err
		}
		p.therap = therapBefore
	}
	p.placed[k] = nil
	p.failed[key] = true
	return false, nil
}

// frontiers returns, per place k, the earlier places that the places
// after k depend on (entryKey): only those their constraints name, and the
// first place of a bounded step.
func (p *planner) frontiers(perWeek map[Kind]int) [][]int {
	frontier := make([][]int, len(p.insts))
	for k := range p.insts {
		set := map[int]bool{}
		for _, in := range p.insts[k+1:] {
			for _, pd := range in.preds {
				if pd.seq < k {
					set[pd.seq] = true
				}
			}
			if in.first < k && in.step.WithinDays > 0 {
				set[in.first] = true
			}
		}
		// A per-week limit depends on the sessions of its kind in the
		// latest week so far: among the last few placed before k.
		for kind, limit := range perWeek {
			n := 0
			for j := k - 1; j >= 0 && n < limit; j-- {
				if p.insts[j].step.Kind == kind {
					set[j] = true
					n++
				}
			}
		}
		for s := range set {
			frontier[k] = append(frontier[k], s)
		}
		sort.Ints(frontier[k])
	}
	return frontier
}

// entryKey describes everything the places from k on depend on: the
// bounds of place k (with instants that no longer matter left out), the
// series therapist, and the earlier places that later constraints name.
// Two states with the same key succeed or fail alike, so a failure is
// searched once.
func (p *planner) entryKey(k int, sp window) string {
	lo, hi, loT, hiT := sp.lo, sp.hi, sp.loT, sp.hiT
	if !loT.IsZero() && DateOf(loT.In(p.loc)) < lo {
		loT = time.Time{}
	}
	if !hiT.IsZero() && DateOf(hiT.In(p.loc)) > hi {
		hiT = time.Time{}
	}
	b := make([]byte, 0, 64)
	for _, n := range []int64{int64(k), p.therap, int64(lo), int64(hi), unix(loT), unix(hiT)} {
		b = strconv.AppendInt(b, n, 10)
		b = append(b, '|')
	}
	for _, s := range p.frontier[k] {
		if a := p.placed[s]; a != nil {
			b = strconv.AppendInt(b, a.Start.Unix(), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, a.End.Unix(), 10)
		}
		b = append(b, '|')
	}
	return string(b)
}

// unix returns t in Unix seconds, 0 for the zero time.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// candidates lists the feasible assignments of place k in the order the
// search should try them: within the slack window after the earliest
// feasible day, best preference score first; then later days in time
// order, computed only when the search gets that far.
func (p *planner) candidates(k int, sp window) *cursor {
	lo, hi, loT, hiT, why := sp.lo, sp.hi, sp.loT, sp.hiT, sp.why
	record := k >= p.deepest
	first := k > p.deepest
	if first {
		p.deepest = k
		p.why = whyFailed{}
	}
	if pin, ok := p.req.Pin[k]; ok {
		// A pinned start is tried on its own day only; explain says what
		// it breaks.
		d := DateOf(pin.In(p.loc))
		if d < lo || d > hi || pin.Before(loT) || (!hiT.IsZero() && pin.After(hiT)) {
			lo, hi = 1, 0
		} else {
			lo, hi = d, d
		}
		if record {
			p.why.pinned = pin.In(p.loc).Format("Mon 2 Jan 2006 15:04")
		}
	}
	// The first attempt at the deepest place names the rule that binds
	// when everything before it is as early as it can be.
	if first {
		p.why.lo, p.why.hi, p.why.bound = lo, hi, why()
		p.why.empty = lo > hi
	}
	return &cursor{p: p, k: k, day: lo, hi: hi, loT: loT, hiT: hiT}
}

// cursor walks the candidates of one place.
type cursor struct {
	p        *planner
	k        int
	day, hi  Date
	loT, hiT time.Time
	ranked   bool
	rankedTo Date // the last day of the ranked slack window
	batch    []*Appointment
}

// next returns the next candidate, or nil when there are no more.
func (c *cursor) next() (*Appointment, error) {
	for len(c.batch) == 0 {
		if c.day > c.hi {
			return nil, nil
		}
		// Record why only while this is the deepest place: a cursor made
		// earlier for a place before it must not overwrite that.
		got, err := c.p.day(c.k, c.day, c.loT, c.hiT, c.k >= c.p.deepest)
		if err != nil {
			return nil, err
		}
		c.day++
		if len(got) > 0 && !c.ranked {
			// The first feasible day opens the slack window: gather it
			// whole and rank it by preference.
			c.ranked = true
			last := min(c.day+Date(c.p.slack)-1, c.hi)
			c.rankedTo = last
			for ; c.day <= last; c.day++ {
				more, err := c.p.day(c.k, c.day, c.loT, c.hiT, c.k >= c.p.deepest)
				if err != nil {
					return nil, err
				}
				got = append(got, more...)
			}
			c.p.rank(c.k, got)
		}
		c.batch = got
	}
	a := c.batch[0]
	c.batch = c.batch[1:]
	return a, nil
}

// day lists the feasible assignments of place k on day d, in time order:
// every quarter hour within opening hours, or only the pinned start.
func (p *planner) day(k int, d Date, loT, hiT time.Time, record bool) ([]*Appointment, error) {
	if record {
		p.why.days++
	}
	if p.dayRuledOut(k, d, record) {
		return nil, nil
	}
	if pin, ok := p.req.Pin[k]; ok {
		return p.pinnedSlot(k, d, pin, loT, hiT, record)
	}
	return p.quarterHours(k, d, loT, hiT, record)
}

// dayRuledOut reports whether place k can have no slot at all on day d:
// the clinic is closed, the fixed series therapist does not work that
// weekday, or the step's per-week limit is reached.
func (p *planner) dayRuledOut(k int, d Date, record bool) bool {
	st := p.insts[k].step
	c := p.w.Clinic
	if c.ClosedOn(d) != nil || len(c.Hours.On(d.Weekday())) == 0 {
		if record {
			p.why.closed++
		}
		return true
	}
	if m := p.fixedTherapist(k); m != nil && len(m.Hours.On(d.Weekday())) == 0 {
		if record {
			p.why.noTherapist++
			p.why.therapistOff++
			p.why.therapistName = m.Name
		}
		return true
	}
	if p.weekly[st.Kind] {
		if words := p.perWeek(k, d); words != "" {
			if record {
				p.why.perWeek++
				p.why.perWeekWords = words
			}
			return true
		}
	}
	return false
}

// pinnedSlot lists the feasible assignments of place k at its pinned
// start, when that is on day d, within opening hours and the step's latest
// end.
func (p *planner) pinnedSlot(k int, d Date, pin, loT, hiT time.Time, record bool) ([]*Appointment, error) {
	st := p.insts[k].step
	if DateOf(pin.In(p.loc)) != d {
		return nil, nil
	}
	m := ClockOf(pin.In(p.loc))
	if !p.w.Clinic.Hours.Contains(d.Weekday(), m, m+Clock(st.Minutes)) || (st.LatestEnd != nil && m+Clock(st.Minutes) > *st.LatestEnd) {
		if record {
			p.why.noHours++
		}
		return nil, nil
	}
	got, _, err := p.slot(k, pin, loT, hiT, record)
	return got, err
}

// quarterHours lists the feasible assignments of place k at every quarter
// hour of day d within opening hours and the step's latest end, skipping
// past the times the series therapist is busy.
func (p *planner) quarterHours(k int, d Date, loT, hiT time.Time, record bool) ([]*Appointment, error) {
	st := p.insts[k].step
	var out []*Appointment
	for _, open := range p.w.Clinic.Hours.On(d.Weekday()) {
		for m := open.Start; m+Clock(st.Minutes) <= open.End; m += Granularity {
			if st.LatestEnd != nil && m+Clock(st.Minutes) > *st.LatestEnd {
				if record {
					p.why.noHours++
				}
				break
			}
			start := d.At(m, p.loc)
			end := start.Add(time.Duration(st.Minutes) * time.Minute)
			// A wall-clock slot that a DST change shifts is not a real slot.
			if ClockOf(start) != m || (ClockOf(end) != m+Clock(st.Minutes) && m+Clock(st.Minutes) < 1440) {
				continue
			}
			got, skip, err := p.slot(k, start, loT, hiT, record)
			if err != nil {
				return nil, err
			}
			out = append(out, got...)
			if skip > 0 {
				// Jump past the series therapist's blocking interval.
				next := time.Unix(skip, 0).In(p.loc)
				if DateOf(next) != d {
					break
				}
				if nm := ClockOf(next); nm > m+Granularity {
					m = (nm+Granularity-1)/Granularity*Granularity - Granularity
				}
			}
		}
	}
	return out, nil
}

// slot lists the feasible assignments of place k starting at start, and
// when the series therapist is busy then, the instant they are free again.
func (p *planner) slot(k int, start, loT, hiT time.Time, record bool) ([]*Appointment, int64, error) {
	st := p.insts[k].step
	if start.Before(loT) || (!hiT.IsZero() && start.After(hiT)) {
		return nil, 0, nil
	}
	end := start.Add(time.Duration(st.Minutes) * time.Minute)
	if st.Kind.IsDose() {
		for _, d := range p.req.Doses {
			if words := doseClash(p.loc, st, start, end, d); words != "" {
				if record {
					p.why.doses++
					p.why.doseWords = words
				}
				return nil, 0, nil
			}
		}
	}
	p.evals++
	if p.evals > maxEvaluations {
		return nil, 0, Errorf(ENOPLAN, "The search for %s took too long; try a later start date or a named therapist.", p.req.Protocol.Name)
	}
	got, skip := p.assign(k, start, end, record)
	return got, skip, nil
}

// rank orders candidates by preference score, best first, keeping time
// order among equals.
func (p *planner) rank(k int, cs []*Appointment) {
	prefs := p.req.Patient.Preferences
	var anchor *Appointment
	for j := 0; j < k; j++ {
		if p.placed[j] != nil {
			anchor = p.placed[j]
			break
		}
	}
	score := func(a *Appointment) int {
		local := a.Start.In(p.loc)
		c := ClockOf(local)
		n := 0
		if anchor != nil {
			ac := ClockOf(anchor.Start.In(p.loc))
			if ac == c {
				n += 3
			} else if timeOfDay(ac) == timeOfDay(c) {
				n++
			}
		}
		if slices.Contains(prefs.Weekdays, WeekdayKey(local.Weekday())) {
			n += 2
		}
		if slices.Contains(prefs.TimesOfDay, timeOfDay(c)) {
			n += 2
		}
		if le := p.insts[k].step.LatestEnd; le != nil && ClockOf(a.End.In(p.loc)) <= *le-120 {
			n++ // no late-day dosing
		}
		return n
	}
	sc := make(map[*Appointment]int, len(cs))
	for _, a := range cs {
		sc[a] = score(a)
	}
	// While the series therapist is still open, equally good starts go
	// to the least booked therapist first (Clinic.TherapistChoice).
	load := func(*Appointment) int { return 0 }
	if p.therap == 0 && p.needsSeries(k) && p.w.Load != nil && p.w.Clinic.Balanced() {
		load = func(a *Appointment) int { return p.w.Load[seriesTherapist(a)] }
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if sc[cs[i]] != sc[cs[j]] {
			return sc[cs[i]] > sc[cs[j]]
		}
		return load(cs[i]) < load(cs[j])
	})
}
