package rulecheck

import (
	"fmt"
	"sort"
	"strings"
)

// This file checks the rules across one patient's series (docs/protocols.md,
// "Several series") and cancellations ("Attendance").

// checkDoses checks that a patient's held doses in different series are
// never on the same day and are at least the larger of the two steps'
// minimum repeat gaps apart.
func (c *checker) checkDoses() {
	byPatient := map[int64][]*appt{}
	var patients []int64
	for _, a := range c.appts {
		if !a.status.holds() || !isDose(a.kind) {
			continue
		}
		if byPatient[a.patient] == nil {
			patients = append(patients, a.patient)
		}
		byPatient[a.patient] = append(byPatient[a.patient], a)
	}
	for _, p := range patients {
		doses := byPatient[p] // by start
		for i, a := range doses {
			for _, b := range doses[i+1:] {
				if a.series != b.series || a.series == 0 {
					c.checkDosePair(a, b)
				}
			}
		}
	}
}

// checkDosePair checks two doses of different series, a starting first.
func (c *checker) checkDosePair(a, b *appt) {
	c.count(doseSpacing)
	ids := []int64{a.id, b.id}
	if a.day == b.day {
		c.flag(doseSpacing, 0, nil, ids, "%s of series %d and %s of series %d are doses of patient %d on the same day, %s",
			a.name(), a.series, b.name(), b.series, a.patient, a.day)
		return
	}
	for _, x := range []*appt{a, b} {
		g := minRepeat(x)
		if short := tooClose(g, a, b); short != "" {
			c.flag(doseSpacing, 0, nil, ids, "%s of series %d and %s of series %d are doses of patient %d %s apart; at least %s (the minimum repeat gap of %s)",
				a.name(), a.series, b.name(), b.series, a.patient, short, g.amount(g.Min), x.kind)
			return
		}
	}
}

// minRepeat returns the step's repeat gap, or one day when it has none.
func minRepeat(a *appt) *gap {
	if a.place != nil && a.place.step.RepeatGap != nil {
		return a.place.step.RepeatGap
	}
	return &gap{Min: 1, Max: 1, Unit: inDays}
}

// tooClose says how far apart a and b are when that is less than g's
// minimum, or "" when they are far enough apart.
func tooClose(g *gap, a, b *appt) string {
	if g.Unit == inDays {
		if n := int(b.day - a.day); n < g.Min {
			return g.amount(n)
		}
		return ""
	}
	if secs := b.start - a.end; secs < g.seconds(g.Min) {
		return duration(max(secs, 0))
	}
	return ""
}

// checkConcurrent checks that, of a patient's active series (an
// appointment booked or arrived), every one but the earliest created has
// an override naming "a second active series".
func (c *checker) checkConcurrent() {
	overridden := map[int64]bool{}
	for _, e := range c.audit {
		if e.action == "override" && e.series != 0 && strings.Contains(strings.ToLower(e.note), "a second active series") {
			overridden[e.series] = true
		}
	}
	for _, list := range c.activeSeries() {
		for _, s := range list[1:] {
			c.count(concurrentSeries)
			c.findings = append(c.findings, finding{
				v: Violation{Rule: ruleIDs[concurrentSeries], Appointments: activeIDs(s), Series: s.id,
					Detail: fmt.Sprintf("series %d of patient %d is active beside series %d", s.id, s.patient, list[0].id)},
				rule:       concurrentSeries,
				overridden: overridden[s.id],
			})
		}
	}
}

// activeSeries returns each patient's active series, earliest created
// first, for the patients with more than one.
func (c *checker) activeSeries() [][]*series {
	byPatient := map[int64][]*series{}
	var patients []int64
	for _, s := range c.series {
		if len(activeIDs(s)) == 0 {
			continue
		}
		if len(byPatient[s.patient]) == 1 {
			patients = append(patients, s.patient)
		}
		byPatient[s.patient] = append(byPatient[s.patient], s)
	}
	sort.Slice(patients, func(i, j int) bool { return patients[i] < patients[j] })
	out := make([][]*series, 0, len(patients))
	for _, p := range patients {
		list := byPatient[p]
		sort.SliceStable(list, func(i, j int) bool { return list[i].created < list[j].created })
		out = append(out, list)
	}
	return out
}

// activeIDs returns the series' appointments that are booked or arrived.
func activeIDs(s *series) []int64 {
	var ids []int64
	for _, a := range s.appts {
		if a.status == booked || a.status == arrived {
			ids = append(ids, a.id)
		}
	}
	return ids
}

// checkCancellations checks that only a patient's cancellation with less
// notice than the clinic's limit is late.
func (c *checker) checkCancellations() {
	for _, a := range c.appts {
		notice := a.start - a.updated
		hours := c.clinic.notice / 3600
		switch {
		case a.status == lateCancelled:
			c.count(lateCancel)
			if a.cancelledBy == byClinic {
				c.flag(lateCancel, a.series, nil, []int64{a.id}, "%s is cancelled late, but the clinic cancelled it", a.name())
			} else if notice >= c.clinic.notice {
				c.flag(lateCancel, a.series, nil, []int64{a.id}, "%s is cancelled late with %s; late is less than %d hours",
					a.name(), noticeWords(notice), hours)
			}
		case a.status == cancelled && a.cancelledBy == byPatient:
			c.count(lateCancel)
			if notice < c.clinic.notice {
				c.flag(lateCancel, a.series, nil, []int64{a.id}, "%s was cancelled by the patient with %s, less than %d hours, but not marked late",
					a.name(), noticeWords(notice), hours)
			}
		}
	}
}

// noticeWords writes seconds of notice: "3 hours of notice".
func noticeWords(secs int64) string {
	if secs < 0 {
		return "no notice (" + duration(-secs) + " after the start)"
	}
	return duration(secs) + " of notice"
}
