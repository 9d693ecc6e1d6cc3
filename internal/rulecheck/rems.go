package rulecheck

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
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

// checkCertified checks that every appointment of a REMS step is marked
// as needing REMS (and no other is), and that the clinic is certified for
// every held one.
func (c *checker) checkCertified() {
	for _, a := range c.appts {
		if a.place != nil {
			c.count(rems)
			if a.needsREMS != a.place.step.REMS {
				c.flag(rems, a.series, nil, []int64{a.id}, "%s is a session of %s, whose rems is %t, but is stored with needs_rems %t",
					a.name(), a.place.step.label(), a.place.step.REMS, a.needsREMS)
			}
		}
		if a.needsREMS && a.status.holds() {
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
		var want []status
		switch e.action {
		case "consent", "patient-add":
			c.enrol(enrolled, e)
			continue
		case "book", "reschedule", "override", "makeup":
			want = []status{booked}
		case "status":
			want = []status{arrived, completed}
		default:
			continue
		}
		if e.after == "" {
			continue
		}
		list, err := appointmentsIn(e.after)
		if err != nil {
			c.flag(rems, e.series, nil, nil, "audit entry %d (%s) cannot be read to check REMS: %v", e.id, e.action, err)
			continue
		}
		for _, a := range list {
			c.checkEnrolled(enrolled, e, a, want)
		}
	}
}

// decoded memoises appointmentsIn by the state's text. The audit trail is
// append-only, and Check runs after every action of a simulated clinic:
// decoding the same states again each time took a quarter of its time in
// a clinic year.
var decoded struct {
	sync.Mutex
	states map[string][]auditAppointment
}

// maxDecoded bounds the memo; when full it starts again.
const maxDecoded = 100_000

// appointmentsIn returns the appointments of an audit state: a JSON array
// of appointments (book) or one appointment.
func appointmentsIn(state string) ([]auditAppointment, error) {
	decoded.Lock()
	list, ok := decoded.states[state]
	decoded.Unlock()
	if ok {
		return list, nil
	}
	var err error
	if strings.HasPrefix(strings.TrimSpace(state), "[") {
		err = json.Unmarshal([]byte(state), &list)
	} else {
		list = make([]auditAppointment, 1)
		err = json.Unmarshal([]byte(state), &list[0])
	}
	if err != nil {
		return nil, err
	}
	decoded.Lock()
	if decoded.states == nil || len(decoded.states) >= maxDecoded {
		decoded.states = map[string][]auditAppointment{}
	}
	decoded.states[state] = list
	decoded.Unlock()
	return list, nil
}

// enrol records the patient's enrolment from a consents JSON.
func (c *checker) enrol(enrolled map[int64]date, e auditEntry) {
	if e.after == "" {
		return
	}
	var cs consents
	if err := json.Unmarshal([]byte(e.after), &cs); err != nil {
		c.flag(rems, 0, nil, nil, "audit entry %d (%s) cannot be read to check REMS: %v", e.id, e.action, err)
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

// checkEnrolled checks that the patient was enrolled on or before the
// date of a, when a needs REMS and has one of the statuses.
func (c *checker) checkEnrolled(enrolled map[int64]date, e auditEntry, a auditAppointment, statuses []status) {
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
