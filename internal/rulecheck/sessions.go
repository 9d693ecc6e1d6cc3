package rulecheck

import (
	"fmt"
	"strings"
	"time"
)

// This file checks each appointment on its own: its holds, and for a held
// one, when it is (opening hours, closures, working hours, time off, busy
// times, latest end) and who and where (qualifications, room).

// checkSessions checks every appointment's own rules.
func (c *checker) checkSessions() {
	for _, a := range c.appts {
		if a.place != nil {
			c.checkHolds(a)
		}
		if !a.status.holds() {
			continue
		}
		c.checkClinicTime(a)
		c.checkStaffTime(a)
		if a.place != nil {
			c.checkLatestEnd(a)
			c.checkQualifications(a)
			c.checkRoom(a)
		}
	}
}

// checkHolds checks that the stored hold minutes are the step's: the room
// need's (none for a video call), and the largest of the staff needs'.
func (c *checker) checkHolds(a *appt) {
	c.count(holdsRule)
	st := a.place.step
	roomOK := a.roomBefore == st.Room.HoldBefore && a.roomAfter == st.Room.HoldAfter
	if a.roomID == 0 {
		roomOK = roomOK || (a.roomBefore == 0 && a.roomAfter == 0)
	}
	before, after := st.staffHolds()
	if roomOK && a.staffBefore == before && a.staffAfter == after {
		return
	}
	c.flag(holdsRule, a.series, nil, []int64{a.id}, "%s holds its room %d/%d and its staff %d/%d minutes before/after; %s holds them %d/%d and %d/%d",
		a.name(), a.roomBefore, a.roomAfter, a.staffBefore, a.staffAfter, st.label(), st.Room.HoldBefore, st.Room.HoldAfter, before, after)
}

// span writes the appointment's day and times, e.g. "Tue 2027-03-02
// 09:00–12:00".
func (a *appt) span() string {
	return fmt.Sprintf("%.3s %s %s–%s", a.day.weekday(), a.day, clockString(a.startClock), clockString(a.endClock%1440))
}

// checkClinicTime checks that the appointment lies within one opening
// period of its weekday and not on a closure day.
func (c *checker) checkClinicTime(a *appt) {
	c.count(clinicHours)
	if !c.clinic.hours.contains(a.day.weekday(), a.startClock, a.endClock) {
		c.flag(clinicHours, a.series, []string{"opening hours"}, []int64{a.id}, "%s, %s, is outside the clinic's opening hours", a.name(), a.span())
	}
	c.count(closure)
	if cl, closed := c.clinic.closedOn(a.day); closed {
		c.flag(closure, a.series, []string{"the clinic is closed on"}, []int64{a.id}, "%s is on %s; the clinic is closed from %s to %s (%s)",
			a.name(), a.day, cl.from, cl.to, cl.reason)
	}
}

// checkStaffTime checks that each person of the appointment works then,
// has no time off and no busy time from their own calendar.
func (c *checker) checkStaffTime(a *appt) {
	for _, id := range a.staff {
		m := c.staff[id]
		if m == nil {
			continue // a qualification violation
		}
		c.count(staffHours)
		if !m.hours.contains(a.day.weekday(), a.startClock, a.endClock) {
			c.flag(staffHours, a.series, []string{"working hours"}, []int64{a.id}, "%s, %s, is outside the working hours of staff %d (%s)", a.name(), a.span(), m.id, m.name)
		}
		c.count(timeOff)
		if iv, ok := m.timeOff.overlap(a.start, a.end); ok {
			c.flag(timeOff, a.series, []string{"has time off"}, []int64{a.id}, "%s, %s, overlaps the time off of staff %d (%s) from %s to %s",
				a.name(), a.span(), m.id, m.name, c.instant(iv.start), c.instant(iv.end))
		}
		c.count(busy)
		if iv, ok := m.busy.overlap(a.start, a.end); ok {
			c.flag(busy, a.series, []string{"own calendar"}, []int64{a.id}, "%s, %s, overlaps a busy time in the own calendar of staff %d (%s) from %s to %s",
				a.name(), a.span(), m.id, m.name, c.instant(iv.start), c.instant(iv.end))
		}
	}
}

// instant writes Unix seconds in the clinic's zone.
func (c *checker) instant(unix int64) string {
	return time.Unix(unix, 0).In(c.clinic.loc).Format("2006-01-02 15:04")
}

// checkLatestEnd checks that the appointment ends by its step's latest
// end.
func (c *checker) checkLatestEnd(a *appt) {
	st := a.place.step
	if st.latestEnd < 0 {
		return
	}
	c.count(latestEnd)
	if a.endClock > st.latestEnd {
		c.flag(latestEnd, a.series, []string{"after the latest end " + clockString(st.latestEnd)}, []int64{a.id},
			"%s, %s, ends after the latest end %s", a.name(), a.span(), clockString(st.latestEnd))
	}
}

// checkQualifications checks that position i of the appointment's staff
// meets the step's staff need i: one of its roles, all its qualifications,
// and nobody twice.
func (c *checker) checkQualifications(a *appt) {
	needs := a.place.step.Staff
	if len(a.staff) > len(needs) {
		c.flag(qualification, a.series, nil, []int64{a.id}, "%s has %d staff for %d staff needs", a.name(), len(a.staff), len(needs))
	}
	for i := range needs {
		c.count(qualification)
		id := staffAt(a, i)
		if problem := c.unmet(&needs[i], id, a.staff[:min(i, len(a.staff))]); problem != "" {
			c.flag(qualification, a.series, nil, []int64{a.id}, "%s: staff need %d (%s) %s", a.name(), i+1, needWords(&needs[i]), problem)
		}
	}
}

// unmet says how staff member id fails need, or "" when they meet it;
// before are the staff of the needs before it.
func (c *checker) unmet(need *staffNeed, id int64, before []int64) string {
	m := c.staff[id]
	switch {
	case id == 0:
		return "is met by nobody"
	case m == nil:
		return fmt.Sprintf("is met by staff %d, who does not exist", id)
	case containsID(before, id):
		return fmt.Sprintf("is met by staff %d (%s), who meets another need too", id, m.name)
	}
	hasRole := false
	for _, r := range need.roles() {
		hasRole = hasRole || m.has(r)
	}
	if !hasRole {
		return fmt.Sprintf("is met by staff %d (%s), who is a %s", id, m.name, strings.Join(m.roles, " and "))
	}
	for _, q := range need.Qualifications {
		if !containsFold(m.qualifications, q) {
			return fmt.Sprintf("is met by staff %d (%s), who lacks %s", id, m.name, q)
		}
	}
	return ""
}

// needWords describes a staff need: "series therapist", "prescriber or
// nurse with ACLS".
func needWords(n *staffNeed) string {
	s := strings.Join(n.roles(), " or ")
	if n.Series {
		s = "series therapist"
	}
	if len(n.Qualifications) > 0 {
		s += " with " + strings.Join(n.Qualifications, " and ")
	}
	return s
}

// checkRoom checks that the room has one of the step's room kinds and all
// its equipment, or that there is no room and the step allows video.
func (c *checker) checkRoom(a *appt) {
	c.count(roomRule)
	if problem := c.roomProblem(a); problem != "" {
		c.flag(roomRule, a.series, nil, []int64{a.id}, "%s %s", a.name(), problem)
	}
}

// roomProblem says how the appointment's room fails its step's need, or
// "" when it does not.
func (c *checker) roomProblem(a *appt) string {
	need := &a.place.step.Room
	if a.roomID == 0 {
		if !need.allowsVideo() {
			return "is a video call, but " + a.place.step.label() + " needs a room"
		}
		return ""
	}
	r := c.rooms[a.roomID]
	switch {
	case r == nil:
		return fmt.Sprintf("is in room %d, which does not exist", a.roomID)
	case need.Video == videoOnly:
		return fmt.Sprintf("is in room %d (%s), but %s is by video only", r.id, r.name, a.place.step.label())
	case len(need.Kinds) > 0 && !containsFold(need.Kinds, r.kind):
		return fmt.Sprintf("is in room %d (%s), a %s room; %s needs a %s room", r.id, r.name, r.kind, a.place.step.label(), strings.Join(need.Kinds, " or "))
	}
	for _, e := range need.Equipment {
		if !containsFold(r.equipment, e) {
			return fmt.Sprintf("is in room %d (%s), which lacks %s", r.id, r.name, e)
		}
	}
	return ""
}
