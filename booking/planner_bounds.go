package booking

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// The bounds of a place are the rules of docs/protocols.md ("Rules between
// places") turned into the days and instants it may start within, given
// the places before it.

// window is where a place may start: days lo..hi, instants loT..hiT (zero:
// unbounded), and why the upper bound is where it is, in words on demand.
type window struct {
	lo, hi   Date
	loT, hiT time.Time
	why      func() string
}

// window returns the bounds of place k for the search to fill it.
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
	b := p.seriesBounds(k, kept)
	p.orderBound(k, kept, &b)
	p.gapBounds(k, kept, &b)
	p.stepWindowBound(k, kept, &b)
	// An instant bounds the days too: a start after it is on its date or later.
	if !b.loT.IsZero() {
		if d := DateOf(b.loT.In(p.loc)); d > b.lo {
			b.lo = d
		}
	}
	if !b.hiT.IsZero() {
		if d := DateOf(b.hiT.In(p.loc)); d < b.hi {
			b.hi = d
		}
	}
	return b.lo, b.hi, b.loT, b.hiT, b.why
}

// seriesBounds returns the bounds of place k before any rule to an earlier
// place. A place the search fills lies in the series window, from the
// patient's earliest date (the first place), not before now, and for a
// REMS step not before the patient's enrolment, which explain names when
// it leaves no day. A kept place is not judged on these: it is unbounded.
func (p *planner) seriesBounds(k int, kept bool) window {
	b := window{lo: p.req.From, hi: p.lastDay}
	b.why = func() string { return fmt.Sprintf("before the series window ends on %s", p.lastDay) }
	if kept {
		b.lo, b.hi = Date(math.MinInt32), Date(math.MaxInt32)
		return b
	}
	if e := p.req.Patient.Preferences.Earliest; e > b.lo && e <= b.hi && k == 0 {
		b.lo = e
	}
	if !p.req.Now.IsZero() {
		b.loT = p.req.Now
	}
	if e := p.req.Patient.Consents.REMSEnrolled; p.insts[k].step.REMS && e != nil && *e > b.lo {
		b.lo = *e
		if k >= p.deepest {
			p.why.remsFrom = *e
		}
	}
	return b
}

// orderBound starts place k after every earlier placed appointment ends,
// where orderRule holds.
func (p *planner) orderBound(k int, kept bool, b *window) {
	for j := k - 1; j >= 0; j-- {
		if a := p.placed[j]; a != nil && (!kept || p.planned(j)) && p.orderRule(j, k) && a.End.After(b.loT) {
			b.loT = a.End
		}
	}
}

// gapBounds narrows b to each gap rule of place k to an earlier placed
// appointment: a gap in days counts calendar days between the two start
// dates in the clinic's zone, a gap in hours or minutes runs from the
// earlier one's end.
func (p *planner) gapBounds(k int, kept bool, b *window) {
	for _, pd := range p.insts[k].preds {
		a := p.placed[pd.seq]
		if a == nil || (kept && !p.planned(pd.seq)) {
			continue
		}
		if pd.gap.Unit == "days" {
			d := DateOf(a.Start.In(p.loc))
			if d+Date(pd.gap.Min) > b.lo {
				b.lo = d + Date(pd.gap.Min)
			}
			if d+Date(pd.gap.Max) < b.hi {
				b.hi = d + Date(pd.gap.Max)
				b.why = func() string { return fmt.Sprintf("within %s %s", count(pd.gap.Max, "days"), pd.why) }
			}
			continue
		}
		min := a.End.Add(time.Duration(pd.gap.minutes(pd.gap.Min)) * time.Minute)
		if min.After(b.loT) {
			b.loT = min
		}
		if pd.gap.Max < 1<<30 {
			max := a.End.Add(time.Duration(pd.gap.minutes(pd.gap.Max)) * time.Minute)
			if b.hiT.IsZero() || max.Before(b.hiT) {
				b.hiT = max
				b.why = func() string { return fmt.Sprintf("within %s %s", pd.gap.Unit.count(pd.gap.Max), pd.why) }
			}
		}
	}
}

// stepWindowBound ends place k's days where its step's within_days
// window, counted from the step's first place, ends.
func (p *planner) stepWindowBound(k int, kept bool, b *window) {
	in := p.insts[k]
	if in.step.WithinDays > 0 && in.first < k && (!kept || p.planned(in.first)) {
		if f := p.placed[in.first]; f != nil {
			if d := DateOf(f.Start.In(p.loc)) + Date(in.step.WithinDays) - 1; d < b.hi {
				b.hi = d
				b.why = func() string {
					return fmt.Sprintf("within %d days of the first %s", in.step.WithinDays, strings.ToLower(in.step.Label()))
				}
			}
		}
	}
}
