package rulecheck

import (
	"fmt"
	"strings"
)

// This file checks the rules between the places of one series: which
// appointment holds each place, and the order, gaps and bounds between
// held places (docs/protocols.md, "Rules between places").

// checkSeries checks every series' places.
func (c *checker) checkSeries() {
	for _, s := range c.series {
		if s.layout == nil {
			c.count(order)
			c.flag(order, s.id, nil, appointmentIDs(s.appts), "series %d follows protocol %s version %d%s, which is not stored",
				s.id, s.protocolID, s.version, adHocWords(s))
			continue
		}
		c.checkPlaces(s)
		c.checkOrder(s)
		c.checkGaps(s)
		c.checkWindow(s)
		c.checkWithinDays(s)
		c.checkPerWeek(s)
		c.checkOrphans(s)
		c.checkSameTherapist(s)
	}
	c.checkMakeups()
}

// adHocWords names the step of an ad-hoc series, for a detail.
func adHocWords(s *series) string {
	if s.adHocStep == "" {
		return ""
	}
	return fmt.Sprintf(" (step %s booked ad hoc)", s.adHocStep)
}

// appointmentIDs returns the ids of appointments.
func appointmentIDs(list []*appt) []int64 {
	ids := make([]int64, len(list))
	for i, a := range list {
		ids[i] = a.id
	}
	return ids
}

// checkPlaces finds the appointment that holds each place: every
// appointment must be stored as the place its seq names, and at most one
// may hold a place.
func (c *checker) checkPlaces(s *series) {
	s.holder = make([]*appt, len(s.layout.places))
	for i, a := range s.appts {
		if a.place == nil {
			c.count(order)
			c.flag(order, s.id, nil, []int64{a.id}, "appointment %d is stored as %s number %d of %d at place %d, which protocol %s version %d%s does not lay out there",
				a.id, a.step, a.index, a.count, a.seq, s.protocolID, s.version, adHocWords(s))
			continue
		}
		if !a.status.holds() || s.holder[a.seq] != nil {
			continue // s.appts is by seq, then id: the first holder takes the place
		}
		c.count(oneHolder)
		s.holder[a.seq] = a
		if others := holdersAfter(s.appts[i+1:], a.seq); len(others) > 0 {
			c.flag(oneHolder, s.id, nil, append([]int64{a.id}, appointmentIDs(others)...),
				"%s and %s hold the same place %d of series %d", a.name(), namesOf(others), a.seq, s.id)
		}
	}
}

// holdersAfter returns the appointments at the start of rest that hold
// place seq.
func holdersAfter(rest []*appt, seq int) []*appt {
	var out []*appt
	for _, b := range rest {
		if b.seq != seq {
			break
		}
		if b.place != nil && b.status.holds() {
			out = append(out, b)
		}
	}
	return out
}

// namesOf names appointments for a detail.
func namesOf(list []*appt) string {
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = a.name()
	}
	return strings.Join(names, ", ")
}

// checkMakeups checks that each make-up names a missed appointment of the
// same series and place.
func (c *checker) checkMakeups() {
	for _, a := range c.appts {
		if a.makeupOf == 0 {
			continue
		}
		c.count(makeupLink)
		m := c.byID[a.makeupOf]
		switch {
		case m == nil:
			c.flag(makeupLink, a.series, nil, []int64{a.id}, "%s makes up appointment %d, which does not exist", a.name(), a.makeupOf)
		case m.series != a.series || m.seq != a.seq:
			c.flag(makeupLink, a.series, nil, []int64{a.id, m.id}, "%s makes up %s, which is at place %d of series %d, not at place %d of series %d",
				a.name(), m.name(), m.seq, m.series, a.seq, a.series)
		case !m.status.missed():
			c.flag(makeupLink, a.series, nil, []int64{a.id, m.id}, "%s makes up %s, which is %s, not missed", a.name(), m.name(), m.status)
		}
	}
}

// checkOrder checks that each held place starts at or after every earlier
// held place ends: every pair, not only neighbours, so a place missed later
// cannot make two places neighbours whose order nobody ever judged.
func (c *checker) checkOrder(s *series) {
	var held []*appt
	for _, a := range s.holder {
		if a == nil {
			continue
		}
		for _, prev := range held {
			c.count(order)
			if a.start < prev.end {
				c.flag(order, s.id, []string{"after " + prev.place.label + " ends"}, []int64{prev.id, a.id},
					"%s starts at %s, before %s ends", a.name(), a.when(), prev.name())
			}
		}
		held = append(held, a)
	}
}

// checkGaps checks every constraint of the layout between two held
// places: gaps, and before_next.
func (c *checker) checkGaps(s *series) {
	for _, pl := range s.layout.places {
		later := s.holder[pl.seq]
		if later == nil {
			continue
		}
		for _, pr := range pl.preds {
			earlier := s.holder[pr.from]
			switch {
			case earlier == nil:
			case pr.gap == nil:
				c.checkBeforeNext(s, earlier, later)
			case pr.gap.Unit == inDays:
				c.checkDayGap(s, pr.gap, earlier, later)
			default:
				c.checkTimeGap(s, pr.gap, earlier, later)
			}
		}
	}
}

// checkDayGap checks a gap in days: calendar days between the two dates.
func (c *checker) checkDayGap(s *series, g *gap, earlier, later *appt) {
	n := int(later.day - earlier.day)
	is := func() string { return fmt.Sprintf("%s is %s after %s", later.name(), g.amount(n), earlier.name()) }
	c.count(gapMin)
	if n < g.Min {
		c.flag(gapMin, s.id, gapWords("at least", g, g.Min, earlier.place.label), pair(earlier, later), "%s; at least %d", is(), g.Min)
	}
	c.count(gapMax)
	if n > g.Max {
		c.flag(gapMax, s.id, gapWords("at most", g, g.Max, earlier.place.label), pair(earlier, later), "%s; at most %d", is(), g.Max)
	}
}

// checkTimeGap checks a gap in hours or minutes: from the earlier one's
// end to the later one's start.
func (c *checker) checkTimeGap(s *series, g *gap, earlier, later *appt) {
	secs := later.start - earlier.end
	is := func() string { return fmt.Sprintf("%s starts %s %s ends", later.name(), between(secs), earlier.name()) }
	c.count(gapMin)
	if secs < g.seconds(g.Min) {
		cover := gapWords("at least", g, g.Min, earlier.place.label)
		if g.Min == 0 {
			cover = append(cover, "after "+earlier.place.label+" ends")
		}
		c.flag(gapMin, s.id, cover, pair(earlier, later), "%s; at least %s", is(), g.amount(g.Min))
	}
	c.count(gapMax)
	if secs > g.seconds(g.Max) {
		c.flag(gapMax, s.id, gapWords("at most", g, g.Max, earlier.place.label), pair(earlier, later), "%s; at most %s", is(), g.amount(g.Max))
	}
}

// pair returns the ids of two appointments.
func pair(a, b *appt) []int64 { return []int64{a.id, b.id} }

// between writes how long after (or before) the end of one appointment
// another starts: "3 hours after", "1 hour 30 minutes before".
func between(secs int64) string {
	if secs < 0 {
		return duration(-secs) + " before"
	}
	return duration(secs) + " after"
}

// duration writes seconds in hours and minutes: "0 minutes", "1 hour",
// "2 hours 30 minutes".
func duration(secs int64) string {
	h, m := secs/3600, secs%3600/60
	plural := func(n int64, unit string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s", unit)
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case h == 0:
		return plural(m, "minute")
	case m == 0:
		return plural(h, "hour")
	}
	return plural(h, "hour") + " " + plural(m, "minute")
}

// gapWords returns the words of a gap rule an override names, e.g. "at
// least 2 days after dosing 1", in the singular and the plural.
func gapWords(bound string, g *gap, n int, label string) []string {
	unit := strings.TrimSuffix(g.Unit, "s")
	return []string{
		fmt.Sprintf("%s %d %s after %s", bound, n, unit, label),
		fmt.Sprintf("%s %d %ss after %s", bound, n, unit, label),
	}
}

// checkBeforeNext checks that an after-each place ends before its anchor
// step's next instance starts.
func (c *checker) checkBeforeNext(s *series, each, next *appt) {
	c.count(beforeNext)
	if next.start < each.end {
		c.flag(beforeNext, s.id, []string{"after " + each.place.label + " ends"}, []int64{each.id, next.id},
			"%s starts at %s, before %s ends", next.name(), next.when(), each.name())
	}
}

// checkWindow checks that every held place lies on a date from the
// series' start to start + window_days − 1.
func (c *checker) checkWindow(s *series) {
	last := s.from + date(s.layout.protocol.WindowDays) - 1
	for _, a := range s.holder {
		if a == nil {
			continue
		}
		c.count(window)
		if a.day < s.from || a.day > last {
			c.flag(window, s.id, []string{"within the series window"}, []int64{a.id},
				"%s is on %s, outside the series window %s to %s", a.name(), a.day, s.from, last)
		}
	}
}

// checkWithinDays checks that every instance of a step with within_days
// lies before its first instance's date plus within_days.
func (c *checker) checkWithinDays(s *series) {
	for _, a := range s.holder {
		if a == nil || a.place.step.WithinDays <= 0 || a.place.index == 0 {
			continue
		}
		first := s.holder[a.place.first]
		if first == nil {
			continue
		}
		c.count(withinDays)
		n := a.place.step.WithinDays
		if last := first.day + date(n) - 1; a.day > last {
			c.flag(withinDays, s.id, []string{fmt.Sprintf("within %d days of the first", n), fmt.Sprintf("within %d day of the first", n)},
				[]int64{first.id, a.id}, "%s is on %s, more than %d days from %s on %s", a.name(), a.day, n, first.name(), first.day)
		}
	}
}

// checkPerWeek checks, for each step with per_week and each Monday-to-
// Sunday week holding one of its sessions, that the series holds at most
// per_week sessions of the step's kind that week.
func (c *checker) checkPerWeek(s *series) {
	for i := range s.layout.protocol.Steps {
		st := &s.layout.protocol.Steps[i]
		if st.PerWeek <= 0 {
			continue
		}
		seen := map[date]bool{}
		for _, a := range s.holder {
			if a == nil || a.place.step != st || seen[a.day.monday()] {
				continue
			}
			week := a.day.monday()
			seen[week] = true
			c.count(perWeek)
			if same := sessionsInWeek(s, st.Kind, week); len(same) > st.PerWeek {
				c.flag(perWeek, s.id, []string{"sessions in the week of"}, appointmentIDs(same),
					"series %d holds %d %s sessions in the week of %s; %s allows at most %d", s.id, len(same), st.Kind, week, st.label(), st.PerWeek)
			}
		}
	}
}

// sessionsInWeek returns the held places of the series of that kind in the
// week starting on Monday week.
func sessionsInWeek(s *series, kind string, week date) []*appt {
	var out []*appt
	for _, a := range s.holder {
		if a != nil && a.kind == kind && a.day.monday() == week {
			out = append(out, a)
		}
	}
	return out
}

// checkOrphans checks that every held after-each place has its anchor
// place held.
func (c *checker) checkOrphans(s *series) {
	for _, a := range s.holder {
		if a == nil || a.place.anchor < 0 {
			continue
		}
		c.count(orphan)
		if s.holder[a.place.anchor] == nil {
			anchor := s.layout.places[a.place.anchor]
			c.flag(orphan, s.id, nil, []int64{a.id}, "%s is held, but its %s (place %d) is empty", a.name(), anchor.label, anchor.seq)
		}
	}
}

// checkSameTherapist checks that the series therapist meets every
// series-therapist need, when the protocol makes it a hard rule.
func (c *checker) checkSameTherapist(s *series) {
	if !s.layout.protocol.sameTherapist() {
		return
	}
	for _, a := range s.holder {
		if a == nil {
			continue
		}
		for i, need := range a.place.step.Staff {
			if !need.Series {
				continue
			}
			c.count(sameTherapist)
			if got := staffAt(a, i); s.therapist == 0 || got != s.therapist {
				c.flag(sameTherapist, s.id, nil, []int64{a.id}, "%s has staff %d as its series therapist; the series therapist is %d",
					a.name(), got, s.therapist)
			}
		}
	}
}

// staffAt returns the staff member at position i of a, or 0.
func staffAt(a *appt, i int) int64 {
	if i < len(a.staff) {
		return a.staff[i]
	}
	return 0
}
