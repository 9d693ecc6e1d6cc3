package rulecheck

import (
	"encoding/json"
	"fmt"
	"time"
)

// This file checks the REMS rules (docs/protocols.md, "REMS"): a held
// session that needs REMS needs a REMS-certified clinic, and each time
// the audit trail books, moves, makes up or checks in such a session the
// patient was REMS-enrolled on or before its date.

// checkREMS checks certification now, and enrolment at every audited
// action.
func (c *checker) checkREMS() {
	c.checkCertified()
	c.replayEnrolment()
}

// checkCertified checks that every held session of a REMS step is marked
// as needing REMS and that the clinic is certified for them.
func (c *checker) checkCertified() {
	for _, a := range c.appts {
		if !a.status.holds() {
			continue
		}
		if a.place != nil && a.place.step.REMS {
			c.count(rems)
			if !a.needsREMS {
				c.flag(rems, a.series, nil, []int64{a.id}, "%s is a session of %s, a REMS step, but is not marked as needing REMS", a.name(), a.place.step.label())
			}
		}
		if a.needsREMS {
			c.count(rems)
			if !c.clinic.remsCertified {
				c.flag(rems, a.series, nil, []int64{a.id}, "%s needs REMS, but the clinic is not REMS-certified", a.name())
			}
		}
	}
}

// auditAppointment is an appointment as the audit trail records it.
type auditAppointment struct {
	ID        int64     `json:"id"`
	SeriesID  int64     `json:"series_id"`
	PatientID int64     `json:"patient_id"`
	Start     time.Time `json:"start"`
	Status    string    `json:"status"`
	NeedsREMS bool      `json:"needs_rems"`
}

// consents is the patient's consents JSON, as far as REMS goes.
type consents struct {
	REMSEnrolled *string `json:"rems_enrolled"`
}

// replayEnrolment replays the audit trail in order, keeping each
// patient's REMS enrolment date, and checks every audited booking, move,
// make-up and check-in of a session that needs REMS against it.
func (c *checker) replayEnrolment() {
	enrolled := map[int64]date{} // patient → enrolment date; missing: not enrolled
	for _, e := range c.audit {
		switch e.action {
		case "consent", "patient-add":
			if e.after != "" {
				c.enrol(enrolled, e)
			}
		case "book":
			var list []auditAppointment
			if c.decode(e, &list) {
				for _, a := range list {
					c.checkEnrolled(enrolled, e, a, booked)
				}
			}
		case "reschedule", "override", "makeup":
			var a auditAppointment
			if e.after != "" && c.decode(e, &a) {
				c.checkEnrolled(enrolled, e, a, booked)
			}
		case "status":
			var a auditAppointment
			if c.decode(e, &a) {
				c.checkEnrolled(enrolled, e, a, arrived, completed)
			}
		}
	}
}

// enrol records the patient's enrolment from a consents JSON.
func (c *checker) enrol(enrolled map[int64]date, e auditEntry) {
	var cs consents
	if !c.decode(e, &cs) {
		return
	}
	if cs.REMSEnrolled == nil {
		delete(enrolled, e.patient)
		return
	}
	d, err := parseDate(*cs.REMSEnrolled)
	if err != nil {
		c.flag(rems, 0, nil, nil, "audit entry %d (%s) records a REMS enrolment that is not a date: %v", e.id, e.action, err)
		return
	}
	enrolled[e.patient] = d
}

// decode reads the entry's state_after into v, reporting a state it
// cannot read as a REMS violation: the rule cannot be checked.
func (c *checker) decode(e auditEntry, v any) bool {
	if err := json.Unmarshal([]byte(e.after), v); err != nil {
		c.flag(rems, e.series, nil, nil, "audit entry %d (%s) cannot be read to check REMS: %v", e.id, e.action, err)
		return false
	}
	return true
}

// checkEnrolled checks that the patient was enrolled on or before the
// date of a, when a needs REMS and has one of the statuses.
func (c *checker) checkEnrolled(enrolled map[int64]date, e auditEntry, a auditAppointment, statuses ...status) {
	if !a.NeedsREMS || !hasStatus(statuses, status(a.Status)) {
		return
	}
	c.count(rems)
	patient := a.PatientID
	if patient == 0 {
		patient = e.patient
	}
	day := dateOf(a.Start.In(c.clinic.loc))
	on, ok := enrolled[patient]
	if ok && on <= day {
		return
	}
	why := fmt.Sprintf("patient %d is not REMS-enrolled", patient)
	if ok {
		why = fmt.Sprintf("patient %d is REMS-enrolled only from %s", patient, on)
	}
	c.flag(rems, a.SeriesID, nil, []int64{a.ID}, "audit entry %d (%s) makes %s %s on %s, but %s",
		e.id, e.action, c.auditName(a), a.Status, day, why)
}

// hasStatus reports whether list holds s.
func hasStatus(list []status, s status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// auditName names an audited appointment by what is stored of it now.
func (c *checker) auditName(a auditAppointment) string {
	if stored := c.byID[a.ID]; stored != nil {
		return stored.name()
	}
	return fmt.Sprintf("appointment %d", a.ID)
}
