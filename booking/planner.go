package booking

import (
	"slices"
	"time"
)

// This file holds the planner's inputs and outputs and its entry point,
// PlanSeries; docs/architecture.md describes the whole search. The rest of
// the planner is split by the question each part answers:
//
//	planner_layout.go        how a protocol is laid out as places with rules between them
//	planner_bounds.go        the days and instants one place may start within
//	planner_search.go        the depth-first search for free times, and its memo
//	planner_assign.go        the staff and room for one candidate start
//	planner_explain.go       why nothing fits, in words a front desk can act on
//	planner_alternatives.go  other start times for one place of a series

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
	weekly  map[Kind]bool // kinds some step limits per calendar week
	// judging is set while Judge lists every rule an override breaks.
	judging bool
	// blame counts, over the whole search, what refused candidate times:
	// a therapist's name, a staff need or a room need, in words.
	blame map[string]int
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

// newPlanner checks that the request can be planned at all (EINVALID,
// ENOTFOUND, or ENOPLAN for a REMS protocol the clinic or patient is not
// enrolled for) and sets up the search's state.
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
		weekly: map[Kind]bool{}, blame: map[string]int{}}
	perWeek := map[Kind]int{} // kind → the largest per-week limit of its steps
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
	p.frontier = p.frontiers(perWeek)
	return p, nil
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

// needsSeries reports whether place k needs the series therapist.
func (p *planner) needsSeries(k int) bool {
	for _, n := range p.insts[k].step.Staff {
		if n.Series {
			return true
		}
	}
	return false
}

// seriesTherapist returns the therapist of appointment a, or 0 for none.
func seriesTherapist(a *Appointment) int64 {
	for _, s := range a.Staff {
		if s.Role == RoleTherapist {
			return s.StaffID
		}
	}
	return 0
}

// fixedTherapist returns the series therapist place k must have, or nil
// when the place needs none or the choice is still open.
func (p *planner) fixedTherapist(k int) *Staff {
	if p.therap == 0 || !p.needsSeries(k) || !(p.req.Protocol.SameTherapistRequired() || p.req.TherapistID != 0) {
		return nil
	}
	return staffByID(p.w.Staff, p.therap)
}

// staffByID returns the staff member with the id, or nil.
func staffByID(staff []*Staff, id int64) *Staff {
	for _, s := range staff {
		if s.ID == id {
			return s
		}
	}
	return nil
}
