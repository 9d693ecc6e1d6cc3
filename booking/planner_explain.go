package booking

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// When no plan exists the search has recorded, for the deepest place it
// could not fill, how far each candidate slot got; explain turns that into
// one sentence naming the rule or resource that binds, so the front desk
// knows what to change (docs/architecture.md).

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

// needWords names the staff needs other than the one at skip:
// "prescriber and nurse".
func needWords(needs []StaffNeed, skip int) string {
	var parts []string
	for i, n := range needs {
		if i != skip {
			parts = append(parts, n.String())
		}
	}
	return strings.Join(parts, " and ")
}

// roomWords names a room need: "dosing room with pulse-oximeter and
// recliner".
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

// count writes n with its unit, singular for one: "1 day", "3 days".
func count(n int, unit string) string {
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", n, unit)
}
