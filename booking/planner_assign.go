package booking

import (
	"slices"
	"sort"
	"time"
)

// assign finds staff and a room for place k at [start, end). It returns
// one assignment per possible series therapist (a branching choice), and
// when the patient or the fixed series therapist is busy, the instant
// their block ends, so the search can skip ahead.
func (p *planner) assign(k int, start, end time.Time, record bool) ([]*Appointment, int64) {
	st := p.insts[k].step
	if busy, until := p.patientBusy(start, end, record); busy {
		return nil, until
	}
	free := p.staffFree(st, start, end)
	need := seriesNeed(st)
	series, until, ok := p.seriesChoices(st, need, free, record)
	if !ok {
		return nil, until
	}
	room, video, roomOK := p.room(k, start.Unix(), end.Unix())
	var out []*Appointment
	for _, t := range series {
		staff, ok := p.otherStaff(st, need, t, free, record)
		if !ok {
			continue
		}
		if !roomOK {
			p.noRoom(st, t, record)
			continue
		}
		out = append(out, p.appointment(k, start, end, staff, room, video))
	}
	return out, 0
}

// patientBusy reports whether the patient has another appointment in
// [start, end), and until when.
func (p *planner) patientBusy(start, end time.Time, record bool) (bool, int64) {
	busy, until := p.w.Busy.Busy(Resource{PatientResource, p.req.Patient.ID}, start.Unix(), end.Unix())
	if !busy || p.req.Patient.ID == 0 {
		return false, 0
	}
	if record {
		p.why.patientBusy++
	}
	return true, until
}

// staffHolds returns the longest time, in minutes, that any staff need of
// the step holds its person before and after the appointment.
func staffHolds(st *Step) (before, after int) {
	for _, n := range st.Staff {
		before, after = max(before, n.HoldBefore), max(after, n.HoldAfter)
	}
	return before, after
}

// staffCheck tests whether a staff member can take step st at [start,
// end): within their working hours and free of bookings, time off and
// their own calendar, holds included. It is a value, not a closure, so
// that the search's hottest loop allocates nothing for it.
type staffCheck struct {
	p      *planner
	hb, ha int64 // the step's longest staff holds, in seconds
	s, e   int64
	wd     time.Weekday
	cs, ce Clock
}

// staffFree returns the check for step st at [start, end).
func (p *planner) staffFree(st *Step, start, end time.Time) staffCheck {
	hb, ha := staffHolds(st)
	cs := ClockOf(start)
	return staffCheck{p: p, hb: int64(hb) * 60, ha: int64(ha) * 60, s: start.Unix(), e: end.Unix(),
		wd: DateOf(start).Weekday(), cs: cs, ce: cs + Clock(st.Minutes)}
}

// free reports whether m can take the step then; when m is busy it also
// returns the instant they could start again (0: not working then).
func (c staffCheck) free(m *Staff) (bool, int64) {
	if !m.Hours.Contains(c.wd, c.cs, c.ce) {
		return false, 0
	}
	busy, until := c.p.w.Busy.Busy(Resource{StaffResource, m.ID}, c.s-c.hb, c.e+c.ha)
	if busy {
		return false, until + c.hb
	}
	return true, 0
}

// seriesNeed returns the index of the step's series-therapist need (the
// last one, if several), or -1 for none.
func seriesNeed(st *Step) int {
	need := -1
	for i, n := range st.Staff {
		if n.Series {
			need = i
		}
	}
	return need
}

// seriesChoices returns the series therapists the slot may have: the fixed
// one, or every free qualified therapist, or a single nil when the step
// needs none. When there is none it returns false, with the instant the
// fixed therapist is free again if known.
func (p *planner) seriesChoices(st *Step, need int, free staffCheck, record bool) ([]*Staff, int64, bool) {
	if need < 0 {
		return []*Staff{nil}, 0, true
	}
	if p.therap != 0 && (p.req.Protocol.SameTherapistRequired() || p.req.TherapistID != 0) {
		return p.fixedSeriesChoice(free, record)
	}
	var series []*Staff
	for _, m := range p.w.Staff {
		if m.HasRole(RoleTherapist) && qualified(m, st.Staff[need]) && (p.req.TherapistID == 0 || m.ID == p.req.TherapistID) {
			if ok, _ := free.free(m); ok {
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
		return nil, 0, false
	}
	return series, 0, true
}

// fixedSeriesChoice returns the series therapist the series is bound to
// (a named therapist, or the one chosen so far when the protocol requires
// the same therapist throughout), when free.
func (p *planner) fixedSeriesChoice(free staffCheck, record bool) ([]*Staff, int64, bool) {
	m := staffByID(p.w.Staff, p.therap)
	ok, until := free.free(m)
	if !ok {
		p.blame[m.Name+" is booked or away"]++
		if record {
			p.why.noTherapist++
			p.why.therapistName = m.Name
			if until == 0 {
				p.why.therapistOff++
			}
		}
		return nil, until, false
	}
	return []*Staff{m}, 0, true
}

// otherStaff assigns the step's staff needs around series therapist t (nil:
// none) by matching, and counts what was missing when they cannot all be met.
func (p *planner) otherStaff(st *Step, need int, t *Staff, free staffCheck, record bool) ([]Assignment, bool) {
	used := map[int64]bool{}
	staff := make([]Assignment, len(st.Staff))
	if t != nil {
		used[t.ID] = true
		staff[need] = Assignment{t.ID, t.Name, RoleTherapist}
	}
	if p.match(st.Staff, 0, need, used, staff, free) {
		return staff, true
	}
	p.blame["no "+needWords(st.Staff, need)+" is free"]++
	if record {
		p.why.noStaff++
		p.why.staffNeed = needWords(st.Staff, need)
		if t != nil {
			p.why.therapistName = t.Name
		}
	}
	return nil, false
}

// noRoom counts a slot refused for want of a room, with series therapist t.
func (p *planner) noRoom(st *Step, t *Staff, record bool) {
	p.blame["no "+roomWords(st.Room)+" is free"]++
	if record {
		p.why.noRoom++
		p.why.roomNeed = roomWords(st.Room)
		if t != nil {
			p.why.therapistName = t.Name
		}
	}
}

// appointment builds the booking of place k at [start, end) with its
// staff and room (none for video), and the holds they keep around it.
func (p *planner) appointment(k int, start, end time.Time, staff []Assignment, room *Room, video bool) *Appointment {
	in := p.insts[k]
	st := in.step
	hb, ha := staffHolds(st)
	a := &Appointment{
		PatientID: p.req.Patient.ID, Step: st.ID, Kind: st.Kind, Index: in.index + 1, Count: st.Count, Seq: k, EscortNeeded: st.Escort,
		Start: start, End: end, Staff: staff, Status: Booked, NeedsREMS: st.REMS,
		Holds: Holds{StaffBefore: hb, StaffAfter: ha},
	}
	if !video {
		a.RoomID, a.RoomName = room.ID, room.Name
		a.Holds.RoomBefore, a.Holds.RoomAfter = st.Room.HoldBefore, st.Room.HoldAfter
	}
	return a
}

// match fills the staff needs from i on with distinct, free, qualified
// people, trying them in id order and backtracking.
func (p *planner) match(needs []StaffNeed, i, skip int, used map[int64]bool, out []Assignment, free staffCheck) bool {
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
		if ok, _ := free.free(m); !ok {
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

// roomFits reports whether room r is of a kind need asks for and has all
// its equipment.
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

// qualified reports whether m has what need n asks for: the roles, the
// qualifications, and a therapist for the series need.
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

// roleFor returns the role m fills for need n: the first of its roles m has.
func roleFor(m *Staff, n StaffNeed) Role {
	for _, r := range n.Roles {
		if m.HasRole(r) {
			return r
		}
	}
	return m.Roles[0]
}
