package rulecheck

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// Violation is one broken rule.
type Violation struct {
	Rule         string  // a rule id, e.g. "gap-max" (see RuleIDs)
	Appointments []int64 // the appointments involved
	Series       int64   // 0 when not about one series
	Detail       string  // in words, e.g. "appointment 12 (dosing 3) is 16 days after appointment 9 (dosing 2); at most 14"
}

// String returns the rule id and the detail.
func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Report is what Check found.
type Report struct {
	Violations []Violation    // broken and not covered by an override
	Overridden []Violation    // broken, but an override audit entry names the rule
	Checked    map[string]int // how many times each rule was checked (rule id -> count)
	// Appointments and Series count the rows read.
	Appointments, Series int
}

// rule is one hard rule; its id is what Violation.Rule says.
type rule int

// The rules, in the order of ruleIDs.
const (
	doubleBooking rule = iota
	holdsRule
	oneHolder
	makeupLink
	order
	gapMin
	gapMax
	beforeNext
	window
	withinDays
	latestEnd
	perWeek
	sameTherapist
	qualification
	roomRule
	clinicHours
	closure
	staffHours
	timeOff
	busy
	orphan
	rems
	doseSpacing
	concurrentSeries
	lateCancel
	ruleCount
)

// RuleIDs returns the ids of every rule Check checks, in a fixed order:
//
//   - double-booking: no person, patient or room in two appointments at
//     once, holds included
//   - holds: an appointment's stored hold minutes are its step's
//   - one-holder: at most one appointment holds a place of a series
//   - makeup-link: a make-up names a missed appointment of its place
//   - order: each held place starts after every earlier one ends, and an
//     appointment is in the place its step and number say
//   - gap-min, gap-max: the gaps of gap, repeat_gap and after_each
//   - before-next: an after-each place ends before its anchor's next one
//   - window, within-days, latest-end, per-week: a step's own bounds
//   - same-therapist: the series therapist at every series-therapist need
//   - qualification, room: the staff and room meet the step's needs
//   - clinic-hours, closure, staff-hours, time-off, busy: when people and
//     the clinic are there
//   - orphan: a held after-each place whose anchor place is empty
//   - rems: REMS certification and enrolment
//   - dose-spacing: one patient's doses in different series
//   - concurrent-series: a second active series needs an override
//   - late-cancel: late-cancelled is a patient's short-notice cancellation
func RuleIDs() []string {
	ids := ruleIDs
	return ids[:]
}

var ruleIDs = [ruleCount]string{
	"double-booking", "holds", "one-holder", "makeup-link", "order", "gap-min", "gap-max", "before-next",
	"window", "within-days", "latest-end", "per-week", "same-therapist", "qualification", "room",
	"clinic-hours", "closure", "staff-hours", "time-off", "busy", "orphan", "rems", "dose-spacing",
	"concurrent-series", "late-cancel",
}

// Check reads the kapbook database db (opened by the caller with the
// "sqlite" driver) and checks every appointment, series and audit entry
// against every rule. It returns an error only when the database cannot
// be read; broken rules are in the report.
func Check(ctx context.Context, db *sql.DB) (*Report, error) {
	return NewChecker(db).Check(ctx)
}

// Checker checks one database again and again, as Check does, after each
// change a caller makes: it keeps the audit entries it read (the audit
// trail is append-only) and reads only the new ones each time. Everything
// else it reads whole every time.
type Checker struct {
	db    *sql.DB
	audit []auditEntry
}

// NewChecker returns a Checker of db.
func NewChecker(db *sql.DB) *Checker { return &Checker{db: db} }

// Check checks the whole database as it is now, as the function Check does.
func (k *Checker) Check(ctx context.Context) (*Report, error) {
	d, err := load(ctx, k.db, k.audit)
	if err != nil {
		return nil, err
	}
	k.audit = d.audit
	c := &checker{data: d}
	c.checkSeries()
	c.checkSessions()
	c.checkOverlaps()
	c.checkDoses()
	c.checkConcurrent()
	c.checkCancellations()
	c.checkREMS()
	return c.report(), nil
}

// finding is a broken rule with the words an override must contain to
// cover it: any one of cover, in the note of an override entry of one of
// its appointments. A nil cover is never covered by such a note;
// overridden says it is covered in another way.
type finding struct {
	v          Violation
	rule       rule
	cover      []string
	overridden bool
}

// checker holds what was read and what was found.
type checker struct {
	*data
	checked       [ruleCount]int
	findings      []finding
	overrideNotes map[int64][]string // lower-case notes of override entries, by appointment
}

// count records that r was checked once.
func (c *checker) count(r rule) { c.checked[r]++ }

// flag records a broken rule.
func (c *checker) flag(r rule, series int64, cover []string, appts []int64, format string, args ...any) {
	c.findings = append(c.findings, finding{
		v:     Violation{Rule: ruleIDs[r], Appointments: appts, Series: series, Detail: fmt.Sprintf(format, args...)},
		rule:  r,
		cover: cover,
	})
}

// report sorts the findings into violations and overridden ones.
func (c *checker) report() *Report {
	r := &Report{Checked: make(map[string]int, ruleCount), Appointments: len(c.appts), Series: len(c.series)}
	for i, n := range c.checked {
		r.Checked[ruleIDs[i]] = n
	}
	sort.SliceStable(c.findings, func(i, j int) bool { return c.findings[i].rule < c.findings[j].rule })
	for _, f := range c.findings {
		if c.covered(f) {
			r.Overridden = append(r.Overridden, f.v)
		} else {
			r.Violations = append(r.Violations, f.v)
		}
	}
	return r
}
