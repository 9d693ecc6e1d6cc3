package booking

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Granularity is the step between candidate start times, in minutes.
const Granularity = 15

// maxEvaluations bounds the search so a hopeless request ends in words, not
// a hang.
const maxEvaluations = 4_000_000

// World is everything the planner plans against.
type World struct {
	Clinic *Clinic
	Staff  []*Staff // ordered by id
	Rooms  []*Room  // ordered by id
	// Busy holds the bookings, each person's time off and the busy times
	// of their own calendar.
	Busy Availability
	// Booked holds the bookings alone, so an override can tell a double
	// booking (never allowed) from time off (allowed). Nil: the planner
	// indexes the world's blocks when it needs it (Service's worlds), or
	// uses Busy.
	Booked Availability
	// Load is how booked each staff member is around the planned window,
	// in thousandths of their working time; with the clinic's balanced
	// therapist choice the planner prefers the least booked therapist
	// among equally good starts.
	Load map[int64]int

	blocks []Block // what Busy and Booked were built from, when known
}

// booked returns the availability of bookings alone: Booked, or an index
// of the blocks the world was built from, made on first use; Busy when
// neither is known.
func (p *planner) booked() Availability {
	switch {
	case p.w.Booked != nil:
	case p.w.blocks != nil:
		p.w.Booked = NewIndex(p.w.blocks, nil)
	default:
		return p.w.Busy
	}
	return p.w.Booked
}

// PlanRequest asks for a series (or a part of one) to be planned.
type PlanRequest struct {
	Patient  *Patient
	Protocol *Protocol
	From     Date      // earliest date of the first appointment
	Now      time.Time // nothing is planned to start before it
	// TherapistID fixes the series therapist; 0 lets the planner choose.
	TherapistID int64
	// AllowVideo lets steps whose room need allows video fall back to video
	// when no room is free.
	AllowVideo   bool
	SkipOptional bool
	// SlackDays overrides the clinic's slack when not nil.
	SlackDays *int

	// Keep holds existing appointments, by their place in the series, that
	// stay exactly as they are (rescheduling); Pin fixes the start of some
	// places; Omit leaves places out (cancelled appointments).
	Keep map[int]*Appointment
	Pin  map[int]time.Time
	Omit map[int]bool
	// PreferRoom keeps a place in the room it had, when free.
	PreferRoom map[int]int64
	// Before holds the appointments that held the places being planned
	// again, as they were: two places out of order already stay allowed so
	// (orderRule).
	Before map[int]*Appointment
	// Doses are the patient's doses in other series; the series' own
	// doses keep their distance from them (docs/protocols.md, "Several
	// series").
	Doses []Dose
}

// Dose is one of a patient's doses in another series.
type Dose struct {
	Start, End time.Time
	// MinGap is the least distance its own step keeps between doses
	// (Step.DoseGap).
	MinGap Gap
	// Label names it in explanations, e.g. "dosing 3 of series 12".
	Label string
}

// instance is one appointment to place, with its constraints to earlier ones.
type instance struct {
	step  *Step
	index int // 0-based within its step
	seq   int
	preds []pred
	first int // seq of the first instance of its step
}

type pred struct {
	seq int
	gap Gap
	why string // "after Preparation 2"
}

// Instances lays the protocol out as the ordered list of appointments it
// books: each step's instances in order, an after_each step's instance
// right after its anchor, optional steps included. It is the order the
// appointments happen in, and an appointment's Seq is its index here.
func Instances(p *Protocol) []*Appointment {
	out := []*Appointment{}
	for _, in := range layout(p) {
		out = append(out, &Appointment{Step: in.step.ID, Kind: in.step.Kind, Index: in.index + 1, Count: in.step.Count, Seq: in.seq})
	}
	return out
}

func layout(p *Protocol) []*instance {
	attached := map[string][]*Step{}
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.AfterEach != "" {
			attached[s.AfterEach] = append(attached[s.AfterEach], s)
		}
	}
	var order []*instance
	pos := map[string][]int{} // step id → seqs of its instances
	var emit func(s *Step, i int)
	emit = func(s *Step, i int) {
		in := &instance{step: s, index: i, seq: len(order)}
		order = append(order, in)
		pos[s.ID] = append(pos[s.ID], in.seq)
		for _, t := range attached[s.ID] {
			emit(t, i)
		}
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.AfterEach != "" {
			continue
		}
		for k := 0; k < s.Count; k++ {
			emit(s, k)
		}
	}
	// Constraints, now that every instance has its place.
	label := func(seq int) string {
		in := order[seq]
		if in.step.Count > 1 {
			return fmt.Sprintf("%s %d", strings.ToLower(in.step.Label()), in.index+1)
		}
		return strings.ToLower(in.step.Label())
	}
	var prevListed *Step
	for i := range p.Steps {
		s := &p.Steps[i]
		seqs := pos[s.ID]
		for k, seq := range seqs {
			in := order[seq]
			in.first = seqs[0]
			switch {
			case s.AfterEach != "":
				a := pos[s.AfterEach][k]
				in.preds = append(in.preds, pred{a, *s.Gap, "after " + label(a)})
				if s.BeforeNext && k+1 < len(pos[s.AfterEach]) {
					next := order[pos[s.AfterEach][k+1]]
					next.preds = append(next.preds, pred{seq, Gap{0, 1 << 30, "minutes"}, "after " + label(seq)})
				}
			case k == 0 && prevListed != nil:
				ref := prevListed.ID
				if s.After != "" {
					ref = s.After
				}
				if ps := pos[ref]; len(ps) > 0 {
					last := ps[len(ps)-1]
					in.preds = append(in.preds, pred{last, *s.Gap, "after " + label(last)})
				}
			case k > 0:
				in.preds = append(in.preds, pred{seqs[k-1], *s.RepeatGap, "after " + label(seqs[k-1])})
			}
		}
		prevListed = s
	}
	return order
}

// omitsStep reports whether every place of a step is omitted or kept, so
// its rules need no new check.
func (r *PlanRequest) omitsStep(id string) bool {
	if len(r.Omit)+len(r.Keep) == 0 {
		return false
	}
	for _, in := range layout(r.Protocol) {
		if in.step.ID == id && !r.Omit[in.seq] && r.Keep[in.seq] == nil {
			return false
		}
	}
	return true
}

// Plan is a proposed series: one appointment per place, ids unset; a
// place left out (an optional step skipped, a cancelled appointment) is nil.
type Plan struct {
	TherapistID int64
	Appts       []*Appointment
}

// planner is the state of one search.
type planner struct {
	w        World
	req      PlanRequest
	loc      *time.Location
	insts    []*instance
	placed   []*Appointment
	therap   int64
	frontier [][]int // per seq: placed seqs the future depends on
	failed   map[string]bool
	evals    int
	slack    int
	lastDay  Date // series window: last allowed date

	deepest int
	why     whyFailed
	omit    map[int]bool
	weekly  map[string]bool // kinds some step limits per calendar week
	// judging is set while Judge lists every rule an override breaks.
	judging bool
	// blame counts, over the whole search, what refused candidate times:
	// a therapist's name, a staff need or a room need, in words.
	blame map[string]int
}

// whyFailed counts, for the deepest place that could not be filled, the
// furthest check each candidate slot passed.
type whyFailed struct {
	days, closed  int
	noHours       int // the slot is outside opening hours or the latest end
	noTherapist   int
	therapistOff  int // of which outside their working hours
	patientBusy   int // the patient has another appointment then
	noStaff       int
	noRoom        int
	therapistName string
	staffNeed     string
	roomNeed      string
	lo, hi        Date
	bound         string
	empty         bool   // the bounds leave no day at all
	kept          string // a kept appointment whose gap rule would break
	pinned        string // the pinned start, in words
	perWeek       int    // days refused by a per-week limit
	perWeekWords  string
	doses         int // slots too close to a dose of another series
	doseWords     string
	remsFrom      Date // the REMS enrolment date raised the bounds to this
}

// PlanSeries finds the earliest feasible plan for the request: every
// appointment's time, staff and room, keeping the hard rules of docs/protocols.md and
// honouring soft preferences within the clinic's slack. Returns ENOPLAN
// with the failing step and constraint in words when none exists, and
// EINVALID for a request that cannot be planned at all.
func PlanSeries(w World, req PlanRequest) (*Plan, error) {
	p, err := newPlanner(w, req)
	if err != nil {
		return nil, err
	}
	ok, err := p.place(0)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.explain()
	}
	return &Plan{TherapistID: p.therap, Appts: slices.Clone(p.placed)}, nil
}

func newPlanner(w World, req PlanRequest) (*planner, error) {
	if w.Clinic == nil || req.Protocol == nil || req.Patient == nil {
		return nil, Errorf(EINVALID, "A booking needs a clinic, a protocol and a patient.")
	}
	pr := req.Protocol
	for i := range pr.Steps {
		s := &pr.Steps[i]
		if s.REMS && !(req.SkipOptional && s.Optional) && !req.omitsStep(s.ID) {
			if !w.Clinic.REMSCertified {
				return nil, Errorf(ENOPLAN, "%s needs a REMS-certified clinic; mark the clinic as REMS-certified in its settings first.", pr.Name)
			}
			if req.Patient.Consents.REMSEnrolled == nil {
				return nil, Errorf(ENOPLAN, "%s is not marked as REMS-enrolled; record the enrolment before booking %s.", req.Patient.Name, pr.Name)
			}
		}
	}
	if err := checkTherapist(w.Staff, req.TherapistID); err != nil {
		return nil, err
	}
	// Places keep their numbers whether optional steps are booked or not.
	p := &planner{w: w, req: req, loc: w.Clinic.Location(), insts: layout(pr), failed: map[string]bool{}, deepest: -1, omit: map[int]bool{},
		weekly: map[string]bool{}, blame: map[string]int{}}
	perWeek := map[string]int{} // kind → the largest per-week limit of its steps
	for i := range pr.Steps {
		if s := &pr.Steps[i]; s.PerWeek > 0 {
			p.weekly[s.Kind] = true
			perWeek[s.Kind] = max(perWeek[s.Kind], s.PerWeek)
		}
	}
	for _, in := range p.insts {
		if req.Omit[in.seq] || (req.SkipOptional && in.step.Optional) {
			p.omit[in.seq] = true
		}
	}
	p.placed = make([]*Appointment, len(p.insts))
	p.therap = req.TherapistID
	p.slack = w.Clinic.Slack()
	if req.SlackDays != nil {
		p.slack = *req.SlackDays
	}
	p.lastDay = req.From + Date(pr.WindowDays) - 1
	// The places after k depend on places before k only through the
	// constraints they name (and the first place of a bounded step).
	p.frontier = make([][]int, len(p.insts))
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
			p.frontier[k] = append(p.frontier[k], s)
		}
		sort.Ints(p.frontier[k])
	}
	return p, nil
}

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

// checkTherapist returns ENOTFOUND or EINVALID unless id (0: any) names a
// therapist among staff.
func checkTherapist(staff []*Staff, id int64) error {
	if id == 0 {
		return nil
	}
	st := staffByID(staff, id)
	if st == nil {
		return Errorf(ENOTFOUND, "There is no staff member with id %d.", id)
	}
	if !st.HasRole(RoleTherapist) {
		return Errorf(EINVALID, "%s is not a therapist.", st.Name)
	}
	return nil
}

func (p *planner) needsSeries(k int) bool {
	for _, n := range p.insts[k].step.Staff {
		if n.Series {
			return true
		}
	}
	return false
}

func seriesTherapist(a *Appointment) int64 {
	for _, s := range a.Staff {
		if s.Role == RoleTherapist {
			return s.StaffID
		}
	}
	return 0
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

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// window is where a place may start: days lo..hi, instants loT..hiT (zero:
// unbounded), and why the upper bound is where it is, in words on demand.
type window struct {
	lo, hi   Date
	loT, hiT time.Time
	why      func() string
}

func (p *planner) window(k int) window {
	lo, hi, loT, hiT, why := p.bounds(k, false)
	return window{lo, hi, loT, hiT, why}
}

// planned reports whether place j is one the search places (not kept as
// it is, not left out).
func (p *planner) planned(j int) bool { return !p.omit[j] && p.req.Keep[j] == nil }

// orderRule reports whether place k must start after the earlier place i
// ends: always, unless one of them stays as it is and the two were out of
// order already before this change (an override put them so, and its audit
// entry says so): a change keeps what held, and is not judged on what it
// leaves as it was.
func (p *planner) orderRule(i, k int) bool {
	if p.planned(i) && p.planned(k) {
		return true
	}
	bi, bk := p.before(i), p.before(k)
	return bi == nil || bk == nil || !bk.Start.Before(bi.End)
}

// before returns the appointment that held place j before this change, or
// nil for a place the change fills anew.
func (p *planner) before(j int) *Appointment {
	if a := p.req.Keep[j]; a != nil && !p.omit[j] {
		return a
	}
	return p.req.Before[j]
}

// bounds returns the days and instants place k may start within. For a
// place the search fills (kept false) that is every rule: the series
// window, not before now, the REMS enrolment, and each rule to the places
// before it. For a kept place (kept true) it is only the rules to the
// places before it that the search fills: a move is judged on what it
// changes, and a rule between two unchanged places stands as it is.
func (p *planner) bounds(k int, kept bool) (lo, hi Date, loT, hiT time.Time, why func() string) {
	in := p.insts[k]
	lo, hi = p.req.From, p.lastDay
	why = func() string { return fmt.Sprintf("before the series window ends on %s", p.lastDay) }
	if kept {
		lo, hi = Date(math.MinInt32), Date(math.MaxInt32)
	} else {
		if e := p.req.Patient.Preferences.Earliest; e > lo && e <= hi && k == 0 {
			lo = e
		}
		if !p.req.Now.IsZero() {
			loT = p.req.Now
		}
		if e := p.req.Patient.Consents.REMSEnrolled; in.step.REMS && e != nil && *e > lo {
			lo = *e
			if k >= p.deepest {
				p.why.remsFrom = *e
			}
		}
	}
	// Order: after every earlier placed appointment ends.
	for j := k - 1; j >= 0; j-- {
		if a := p.placed[j]; a != nil && (!kept || p.planned(j)) && p.orderRule(j, k) && a.End.After(loT) {
			loT = a.End
		}
	}
	for _, pd := range in.preds {
		a := p.placed[pd.seq]
		if a == nil || (kept && !p.planned(pd.seq)) {
			continue
		}
		if pd.gap.Unit == "days" {
			d := DateOf(a.Start.In(p.loc))
			if d+Date(pd.gap.Min) > lo {
				lo = d + Date(pd.gap.Min)
			}
			if d+Date(pd.gap.Max) < hi {
				hi = d + Date(pd.gap.Max)
				why = func() string { return fmt.Sprintf("within %s %s", count(pd.gap.Max, "days"), pd.why) }
			}
			continue
		}
		min := a.End.Add(time.Duration(pd.gap.minutes(pd.gap.Min)) * time.Minute)
		if min.After(loT) {
			loT = min
		}
		if pd.gap.Max < 1<<30 {
			max := a.End.Add(time.Duration(pd.gap.minutes(pd.gap.Max)) * time.Minute)
			if hiT.IsZero() || max.Before(hiT) {
				hiT = max
				why = func() string { return fmt.Sprintf("within %s %s", count(pd.gap.Max, pd.gap.Unit), pd.why) }
			}
		}
	}
	if in.step.WithinDays > 0 && in.first < k && (!kept || p.planned(in.first)) {
		if f := p.placed[in.first]; f != nil {
			if d := DateOf(f.Start.In(p.loc)) + Date(in.step.WithinDays) - 1; d < hi {
				hi = d
				why = func() string {
					return fmt.Sprintf("within %d days of the first %s", in.step.WithinDays, strings.ToLower(in.step.Label()))
				}
			}
		}
	}
	if !loT.IsZero() {
		if d := DateOf(loT.In(p.loc)); d > lo {
			lo = d
		}
	}
	if !hiT.IsZero() {
		if d := DateOf(hiT.In(p.loc)); d < hi {
			hi = d
		}
	}
	return lo, hi, loT, hiT, why
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
	st := p.insts[k].step
	c := p.w.Clinic
	if record {
		p.why.days++
	}
	if c.ClosedOn(d) != nil || len(c.Hours.On(d.Weekday())) == 0 {
		if record {
			p.why.closed++
		}
		return nil, nil
	}
	// A fixed series therapist who does not work that weekday rules out
	// the whole day.
	if m := p.fixedTherapist(k); m != nil && len(m.Hours.On(d.Weekday())) == 0 {
		if record {
			p.why.noTherapist++
			p.why.therapistOff++
			p.why.therapistName = m.Name
		}
		return nil, nil
	}
	if p.weekly[st.Kind] {
		if words := p.perWeek(k, d); words != "" {
			if record {
				p.why.perWeek++
				p.why.perWeekWords = words
			}
			return nil, nil
		}
	}
	if pin, ok := p.req.Pin[k]; ok {
		if DateOf(pin.In(p.loc)) != d {
			return nil, nil
		}
		m := ClockOf(pin.In(p.loc))
		if !c.Hours.Contains(d.Weekday(), m, m+Clock(st.Minutes)) || (st.LatestEnd != nil && m+Clock(st.Minutes) > *st.LatestEnd) {
			if record {
				p.why.noHours++
			}
			return nil, nil
		}
		got, _, err := p.slot(k, pin, loT, hiT, record)
		return got, err
	}
	var out []*Appointment
	for _, open := range c.Hours.On(d.Weekday()) {
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
	if IsDose(st.Kind) {
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

// fixedTherapist returns the series therapist place k must have, or nil
// when the place needs none or the choice is still open.
func (p *planner) fixedTherapist(k int) *Staff {
	if p.therap == 0 || !p.needsSeries(k) || !(p.req.Protocol.SameTherapistRequired() || p.req.TherapistID != 0) {
		return nil
	}
	return staffByID(p.w.Staff, p.therap)
}

// assign finds staff and a room for place k at [start, end). It returns
// one assignment per possible series therapist (a branching choice), and
// when the fixed series therapist is busy, the instant their block ends.
func (p *planner) assign(k int, start, end time.Time, record bool) ([]*Appointment, int64) {
	in := p.insts[k]
	st := in.step
	hb, ha := 0, 0
	for _, n := range st.Staff {
		hb, ha = max(hb, n.HoldBefore), max(ha, n.HoldAfter)
	}
	s, e := start.Unix(), end.Unix()
	if busy, until := p.w.Busy.Busy(Resource{PatientResource, p.req.Patient.ID}, s, e); busy && p.req.Patient.ID != 0 {
		if record {
			p.why.patientBusy++
		}
		return nil, until
	}
	wd := DateOf(start).Weekday()
	cs, ce := ClockOf(start), ClockOf(start)+Clock(st.Minutes)
	free := func(m *Staff) (bool, int64) {
		if !m.Hours.Contains(wd, cs, ce) {
			return false, 0
		}
		busy, until := p.w.Busy.Busy(Resource{StaffResource, m.ID}, s-int64(hb)*60, e+int64(ha)*60)
		if busy {
			return false, until + int64(hb)*60
		}
		return true, 0
	}
	// Series therapist choices.
	var series []*Staff
	seriesNeed := -1
	for i, n := range st.Staff {
		if n.Series {
			seriesNeed = i
		}
	}
	if seriesNeed >= 0 {
		if p.therap != 0 && (p.req.Protocol.SameTherapistRequired() || p.req.TherapistID != 0) {
			m := staffByID(p.w.Staff, p.therap)
			ok, until := free(m)
			if !ok {
				p.blame[m.Name+" is booked or away"]++
				if record {
					p.why.noTherapist++
					p.why.therapistName = m.Name
					if until == 0 {
						p.why.therapistOff++
					}
				}
				return nil, until
			}
			series = []*Staff{m}
		} else {
			for _, m := range p.w.Staff {
				if m.HasRole(RoleTherapist) && qualified(m, st.Staff[seriesNeed]) && (p.req.TherapistID == 0 || m.ID == p.req.TherapistID) {
					if ok, _ := free(m); ok {
						series = append(series, m)
					}
				}
			}
			// Prefer the series therapist chosen so far when continuity is soft.
			if p.therap != 0 {
				sort.SliceStable(series, func(i, j int) bool { return series[i].ID == p.therap && series[j].ID != p.therap })
			}
			if len(series) == 0 {
				p.blame["no therapist is free"]++
				if record {
					p.why.noTherapist++
					p.why.therapistName = "any therapist"
				}
				return nil, 0
			}
		}
	} else {
		series = []*Staff{nil}
	}
	room, video, roomOK := p.room(k, s, e)
	var out []*Appointment
	for _, t := range series {
		used := map[int64]bool{}
		staff := make([]Assignment, len(st.Staff))
		if t != nil {
			used[t.ID] = true
			staff[seriesNeed] = Assignment{t.ID, t.Name, RoleTherapist}
		}
		if !p.match(st.Staff, 0, seriesNeed, used, staff, free) {
			p.blame["no "+needWords(st.Staff, seriesNeed)+" is free"]++
			if record {
				p.why.noStaff++
				p.why.staffNeed = needWords(st.Staff, seriesNeed)
				if t != nil {
					p.why.therapistName = t.Name
				}
			}
			continue
		}
		if !roomOK {
			p.blame["no "+roomWords(st.Room)+" is free"]++
			if record {
				p.why.noRoom++
				p.why.roomNeed = roomWords(st.Room)
				if t != nil {
					p.why.therapistName = t.Name
				}
			}
			continue
		}
		a := &Appointment{
			PatientID: p.req.Patient.ID, Step: st.ID, Kind: st.Kind, Index: in.index + 1, Count: st.Count, Seq: k,
			Start: start, End: end, Staff: staff, Status: Booked, NeedsREMS: st.REMS,
			Holds: Holds{StaffBefore: hb, StaffAfter: ha},
		}
		if !video {
			a.RoomID, a.RoomName = room.ID, room.Name
			a.Holds.RoomBefore, a.Holds.RoomAfter = st.Room.HoldBefore, st.Room.HoldAfter
		}
		out = append(out, a)
	}
	return out, 0
}

// match fills the staff needs from i on with distinct, free, qualified
// people, trying them in id order and backtracking.
func (p *planner) match(needs []StaffNeed, i, skip int, used map[int64]bool, out []Assignment, free func(*Staff) (bool, int64)) bool {
	if i == len(needs) {
		return true
	}
	if i == skip {
		return p.match(needs, i+1, skip, used, out, free)
	}
	n := needs[i]
	for _, m := range p.w.Staff {
		if used[m.ID] || !qualified(m, n) {
			continue
		}
		if ok, _ := free(m); !ok {
			continue
		}
		used[m.ID] = true
		out[i] = Assignment{m.ID, m.Name, roleFor(m, n)}
		if p.match(needs, i+1, skip, used, out, free) {
			return true
		}
		delete(used, m.ID)
	}
	return false
}

// room picks the room for place k: the room of the patient's previous
// session of the same kind if free, else the first free suitable room, else
// video when allowed.
func (p *planner) room(k int, s, e int64) (room *Room, video, ok bool) {
	need := p.insts[k].step.Room
	if need.Video == "only" {
		return nil, true, true
	}
	prev := p.req.PreferRoom[k]
	for j := k - 1; j >= 0 && prev == 0; j-- {
		if a := p.placed[j]; a != nil && a.Kind == p.insts[k].step.Kind && a.RoomID != 0 {
			prev = a.RoomID
			break
		}
	}
	var first *Room
	for _, r := range p.w.Rooms {
		if !roomFits(r, need) {
			continue
		}
		if busy, _ := p.w.Busy.Busy(Resource{RoomResource, r.ID}, s-int64(need.HoldBefore)*60, e+int64(need.HoldAfter)*60); busy {
			continue
		}
		if r.ID == prev {
			return r, false, true
		}
		if first == nil {
			first = r
		}
	}
	if first != nil {
		return first, false, true
	}
	if need.Video == "allowed" && p.req.AllowVideo {
		return nil, true, true
	}
	return nil, false, false
}

func roomFits(r *Room, need RoomNeed) bool {
	if len(need.Kinds) > 0 && !slices.Contains(need.Kinds, r.Kind) {
		return false
	}
	for _, e := range need.Equipment {
		if !r.HasEquipment(e) {
			return false
		}
	}
	return true
}

func qualified(m *Staff, n StaffNeed) bool {
	if n.Series && !m.HasRole(RoleTherapist) {
		return false
	}
	if len(n.Roles) > 0 && !slices.ContainsFunc(n.Roles, m.HasRole) {
		return false
	}
	for _, q := range n.Qualifications {
		if !m.HasQualification(q) {
			return false
		}
	}
	return true
}

func roleFor(m *Staff, n StaffNeed) Role {
	for _, r := range n.Roles {
		if m.HasRole(r) {
			return r
		}
	}
	return m.Roles[0]
}

func staffByID(staff []*Staff, id int64) *Staff {
	for _, s := range staff {
		if s.ID == id {
			return s
		}
	}
	return nil
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

// explain turns the deepest failure into a sentence a front desk can act on.
func (p *planner) explain() error {
	k := max(p.deepest, 0)
	in := p.insts[k]
	what := strings.ToLower(in.step.Label())
	if in.step.Count > 1 {
		what = fmt.Sprintf("%s %d of %d", what, in.index+1, in.step.Count)
	}
	w := p.why
	if w.kept != "" {
		return Errorf(ENOPLAN, "%s; move the later appointments too (shift later) or pick another time.", w.kept)
	}
	if pin, ok := p.req.Pin[k]; ok {
		var words []string
		for _, x := range p.problems(k, pin, nil) {
			words = append(words, x.String())
		}
		if len(words) == 0 {
			words = []string{"no person or room it needs is free then"}
		}
		if len(words) > 3 {
			words = words[:3]
		}
		return Errorf(ENOPLAN, "%s cannot be at %s: %s.", upperFirst(what), w.pinned, strings.Join(words, "; "))
	}
	if reason := p.impossible(k); reason != "" {
		return Errorf(ENOPLAN, "Cannot book %s for %s: %s.", what, p.req.Protocol.Name, reason)
	}
	return Errorf(ENOPLAN, "Cannot book %s for %s: %s.", what, p.req.Protocol.Name, p.busiest(w))
}

// upperFirst returns s with its first letter in upper case.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// impossible returns, in words, why place k can never be booked in this
// clinic whatever the bookings (no room or nobody of the kind it needs, no
// opening hours that fit it), or "".
func (p *planner) impossible(k int) string {
	st := p.insts[k].step
	for _, n := range st.Staff {
		if !slices.ContainsFunc(p.w.Staff, func(m *Staff) bool { return qualified(m, n) }) {
			return fmt.Sprintf("the clinic has no %s", n)
		}
	}
	if st.Room.Video != "only" && !(st.Room.Video == "allowed" && p.req.AllowVideo) && !slices.ContainsFunc(p.w.Rooms, func(r *Room) bool { return roomFits(r, st.Room) }) {
		return fmt.Sprintf("the clinic has no %s", roomWords(st.Room))
	}
	fits := func(h WeeklyHours) bool {
		for d := time.Sunday; d <= time.Saturday; d++ {
			for _, sp := range h.On(d) {
				end := sp.End
				if st.LatestEnd != nil && *st.LatestEnd < end {
					end = *st.LatestEnd
				}
				if end-sp.Start >= Clock(st.Minutes) {
					return true
				}
			}
		}
		return false
	}
	limit := ""
	if st.LatestEnd != nil {
		limit = " ending by " + st.LatestEnd.String()
	}
	if !fits(p.w.Clinic.Hours) {
		return fmt.Sprintf("the clinic's opening hours leave no %d-minute session%s", st.Minutes, limit)
	}
	if m := p.fixedTherapist(k); m != nil && !fits(m.Hours) {
		return fmt.Sprintf("%s's working hours leave no %d-minute session%s", m.Name, st.Minutes, limit)
	}
	return ""
}

// busiest names what kept the deepest place from being booked, by what
// refused the most candidate slots.
func (p *planner) busiest(w whyFailed) string {
	with := ""
	if w.therapistName != "" && w.therapistName != "any therapist" {
		with = " with " + w.therapistName
	}
	// When the earlier appointments leave this one no day, or only days
	// the clinic is closed, say what pushed them so late: what most often
	// had no time.
	because := ""
	if len(p.blame) > 0 && p.deepest > 0 {
		most := slices.MaxFunc(slices.Sorted(maps.Keys(p.blame)), func(a, b string) int { return p.blame[a] - p.blame[b] })
		because = fmt.Sprintf(", because too often %s at the times that keep the gaps", most)
	}
	if w.empty {
		if w.remsFrom != 0 {
			return fmt.Sprintf("the patient's REMS enrolment on %s leaves no day %s", w.remsFrom, w.bound)
		}
		return fmt.Sprintf("no day is left %s%s", w.bound, because)
	}
	if w.days > 0 && w.closed == w.days {
		if w.lo == w.hi {
			return p.closedWords(w.lo) + ", the only day left " + w.bound + because
		}
		return fmt.Sprintf("the clinic is closed on every day from %s to %s%s", w.lo, w.hi, because)
	}
	blockers := []struct {
		n     int
		words string
	}{
		{w.perWeek, w.perWeekWords + " " + w.bound},
		{w.doses, "each free time is too close to a dose of another series: " + w.doseWords},
		{w.noRoom, fmt.Sprintf("no %s free%s %s", w.roomNeed, with, w.bound)},
		{w.noStaff, fmt.Sprintf("no %s free%s %s", w.staffNeed, with, w.bound)},
		{w.patientBusy, fmt.Sprintf("the patient has other appointments at every free time %s", w.bound)},
	}
	switch {
	case w.noTherapist > 0 && w.therapistName == "any therapist":
		blockers = append(blockers, struct {
			n     int
			words string
		}{w.noTherapist, fmt.Sprintf("no therapist is free %s", w.bound)})
	case w.noTherapist > 0:
		blockers = append(blockers, struct {
			n     int
			words string
		}{w.noTherapist, fmt.Sprintf("%s has no free time (working hours, time off, own calendar or other bookings) %s", w.therapistName, w.bound)})
	}
	best := slices.MaxFunc(blockers, func(a, b struct {
		n     int
		words string
	}) int {
		return a.n - b.n
	})
	if best.n > 0 {
		return best.words
	}
	if w.noHours > 0 {
		return fmt.Sprintf("no free time ends by the step's latest end %s", w.bound)
	}
	return fmt.Sprintf("no slot is free %s", w.bound)
}

// closedWords says why the clinic is closed on day d: a closure or its
// weekly hours.
func (p *planner) closedWords(d Date) string {
	if cl := p.w.Clinic.ClosedOn(d); cl != nil {
		reason := ""
		if cl.Reason != "" {
			reason = " (" + cl.Reason + ")"
		}
		return fmt.Sprintf("the clinic is closed on %s%s", d.At(0, p.loc).Format("Mon 2 Jan 2006"), reason)
	}
	return fmt.Sprintf("the clinic is closed on %ss", d.Weekday())
}

func needWords(needs []StaffNeed, skip int) string {
	var parts []string
	for i, n := range needs {
		if i != skip {
			parts = append(parts, n.String())
		}
	}
	return strings.Join(parts, " and ")
}

func roomWords(n RoomNeed) string {
	var kinds []string
	for _, k := range n.Kinds {
		kinds = append(kinds, string(k))
	}
	s := "room"
	if len(kinds) > 0 {
		s = strings.Join(kinds, " or ") + " room"
	}
	if len(n.Equipment) > 0 {
		s += " with " + strings.Join(n.Equipment, " and ")
	}
	return s
}

// Alternatives lists up to limit start times for place k of a series,
// other places kept as in req.Keep, that keep every gap rule with its
// neighbours. They are in time order.
func Alternatives(w World, req PlanRequest, k int, limit int) ([]*Appointment, error) {
	// Place k is the one the search fills; its current time, if kept,
	// only says which time to leave out.
	cur := req.Keep[k]
	req.Keep = maps.Clone(req.Keep)
	delete(req.Keep, k)
	p, err := newPlanner(w, req)
	if err != nil {
		return nil, err
	}
	if k < 0 || k >= len(p.insts) {
		return nil, Errorf(EINVALID, "The series has no appointment number %d.", k+1)
	}
	for j := 0; j < k; j++ {
		if a := req.Keep[j]; a != nil && !p.omit[j] {
			p.placed[j] = a
			if p.therap == 0 && p.needsSeries(j) {
				p.therap = seriesTherapist(a)
			}
		}
	}
	// One alternative a day, nearest the current time of day, so the list
	// spans the days the rules allow rather than fifteen-minute steps.
	best := map[Date]*Appointment{}
	dist := func(a *Appointment) int {
		if cur == nil {
			return int(ClockOf(a.Start.In(p.loc)))
		}
		d := int(ClockOf(a.Start.In(p.loc)) - ClockOf(cur.Start.In(p.loc)))
		return max(d, -d)
	}
	it := p.candidates(k, p.window(k))
	for {
		c, err := it.next()
		if err != nil {
			return nil, err
		}
		if c == nil {
			break
		}
		if cur != nil && c.Start.Equal(cur.Start) {
			continue
		}
		day := DateOf(c.Start.In(p.loc))
		if len(best) >= limit && day > it.rankedTo && day > slices.Max(slices.Collect(maps.Keys(best))) {
			break // past the ranked days candidates come in day order: the rest are later than enough
		}
		if b := best[day]; b != nil && dist(b) <= dist(c) {
			continue
		}
		p.placed[k] = c
		ok, err := p.place(k + 1)
		if err != nil {
			return nil, err
		}
		if ok {
			best[day] = c
		}
	}
	var out []*Appointment
	for _, a := range best {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// count writes n with its unit, singular for one: "1 day", "3 days".
func count(n int, unit string) string {
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", n, unit)
}
