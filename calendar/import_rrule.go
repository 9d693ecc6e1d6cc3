package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Recurrence rules are expanded by github.com/teambition/rrule-go, which
// trusts its input. Left alone it panics or loops for ever on rules that a
// broken or hostile calendar can hold (a stranger's invitation lands in a
// therapist's calendar), so every rule passes parseRule and prepare first
// and every expansion is bounded:
//
//   - BYDAY=-53MO in a monthly rule (or BYDAY=53MO in a yearly one with
//     BYMONTH) indexes outside its tables and panics: ordinals within a
//     month are limited to 5. BYEASTER, not RFC 5545, panics the same way
//     and is refused. COUNT below 1 would mean "for ever"; INTERVAL is at
//     most maxInterval.
//   - FREQ=MINUTELY;INTERVAL=60;BYMINUTE=30 (and the like with HOURLY and
//     SECONDLY) can never match and spins for ever in an inner loop;
//     reachable detects such rules, which then yield nothing.
//   - A rule that matches no day at all (BYMONTH=2;BYMONTHDAY=30) makes the
//     iterator walk on to the year 9999 without returning. Rules are
//     therefore expanded on a wall clock moved forward by whole years that
//     keep every weekday and leap day of the years expanded (calendarShift),
//     so that the year 9999 lies some 30 years after the horizon rather than
//     8000. An import that still spends more than maxExpandTime expanding
//     is refused.
//   - A rule without COUNT is moved forward by whole periods to just before
//     the horizon (rebase), so a weekly rule from 1990 does not walk 37
//     years to reach it. A rule with COUNT must walk from DTSTART; a walk
//     of more than maxWalk periods (FREQ=SECONDLY since the year 1) is
//     refused, and so is a file whose rules return more than
//     maxStepsPerFile instances in all.
//   - rrule-go builds a period's candidates at once: a yearly rule with
//     every hour, minute and second would build 31 million; a rule with
//     more than maxPerPeriod candidates in a period is refused.

// Bounds on recurrence rules.
const (
	maxInterval       = 10000
	maxSetPos         = 60      // values of BYSETPOS
	maxPerPeriod      = 100_000 // candidates of one period
	maxStepsPerFile   = 1_000_000
	maxWalk           = 2_000_000 // periods one expansion may step through
	maxExpandTime     = 10 * time.Second
	rruleLastYear     = rrule.MAXYEAR
	rruleShiftReserve = 2 // years kept free below rruleLastYear
)

// expandBudget bounds the work of one import's expansions.
type expandBudget struct {
	steps    int       // rrule-go results so far, against maxStepsPerFile
	deadline time.Time // against maxExpandTime
}

// recurRule is a checked RRULE or EXRULE.
type recurRule struct {
	opt     rrule.ROption
	count   bool      // has COUNT
	until   *icsValue // UNTIL as written, or nil
	text    string
	line    int
	reachOK bool  // false: the rule can never match (see reachable)
	dtCivil int64 // DTSTART's wall-clock time, set by prepare
}

// ruleParts names the parts of a recurrence rule that RFC 5545 defines.
var ruleParts = map[string]bool{"FREQ": true, "UNTIL": true, "COUNT": true, "INTERVAL": true, "BYSECOND": true,
	"BYMINUTE": true, "BYHOUR": true, "BYDAY": true, "BYMONTHDAY": true, "BYYEARDAY": true, "BYWEEKNO": true,
	"BYMONTH": true, "BYSETPOS": true, "WKST": true}

// parseRule parses and checks a recurrence rule such as
// FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20271231T235959Z.
func parseRule(value string, line int) (*recurRule, error) {
	r := &recurRule{text: value, line: line}
	bad := func(format string, args ...any) error {
		return importErrf(line, "the repeat rule %q %s", impClip(value), fmt.Sprintf(format, args...))
	}
	var rest []string
	seen := map[string]bool{}
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(value)), ";") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			return nil, bad("has a part without a value (%q)", impClip(part))
		}
		if seen[k] {
			return nil, bad("gives %s twice", k)
		}
		seen[k] = true
		switch {
		case k == "UNTIL":
			u, err := parseICSDateTime(v)
			if err != nil {
				return nil, bad("has an end (UNTIL) that is not a date or time")
			}
			r.until = &u
			continue
		case k == "RSCALE" && v == "GREGORIAN", k == "SKIP" && v == "OMIT":
			continue // RFC 7529's defaults
		case !ruleParts[k]:
			return nil, bad("has a part kapbook does not know (%s)", impClip(k))
		}
		rest = append(rest, part)
	}
	if !seen["FREQ"] {
		return nil, bad("has no frequency (FREQ)")
	}
	opt, err := rrule.StrToROption(strings.Join(rest, ";"))
	if err != nil {
		return nil, bad("is not valid (%s)", impClip(err.Error()))
	}
	if seen["COUNT"] && opt.Count < 1 {
		return nil, bad("has a COUNT below 1")
	}
	if seen["INTERVAL"] && (opt.Interval < 1 || opt.Interval > maxInterval) {
		return nil, bad("has an INTERVAL outside 1 to %d", maxInterval)
	}
	r.count = seen["COUNT"]
	for _, l := range []*[]int{&opt.Bysetpos, &opt.Bymonth, &opt.Bymonthday, &opt.Byyearday, &opt.Byweekno, &opt.Byhour, &opt.Byminute, &opt.Bysecond} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	opt.Byweekday = dedupeWeekdays(opt.Byweekday)
	for i, s := range opt.Bysecond {
		if s == 60 { // a leap second, which Go's time cannot hold
			opt.Bysecond[i] = 59
		}
	}
	opt.Bysecond = slices.Compact(opt.Bysecond)
	if len(opt.Bysetpos) > maxSetPos {
		return nil, bad("has more than %d BYSETPOS values", maxSetPos)
	}
	// A numbered weekday (2MO, -1FR) within a month can be at most the 5th.
	if opt.Freq == rrule.MONTHLY || opt.Freq == rrule.YEARLY && len(opt.Bymonth) > 0 {
		for _, w := range opt.Byweekday {
			if w.N() > 5 || w.N() < -5 {
				return nil, bad("asks for weekday %s of a month; a month has at most 5 of each weekday", w)
			}
		}
	}
	if _, err := rrule.NewRRule(*opt); err != nil {
		return nil, bad("is not valid (%s)", impClip(err.Error()))
	}
	r.opt = *opt
	return r, nil
}

func dedupeWeekdays(ws []rrule.Weekday) []rrule.Weekday {
	var out []rrule.Weekday
	for _, w := range ws {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// prepare fills in what rrule-go would take from DTSTART (wall-clock time
// dtstart), so that the rule no longer depends on it and can be rebased,
// and checks how many candidates a period can hold.
func (r *recurRule) prepare(dtstart int64) error {
	o := &r.opt
	t := civilTime(dtstart)
	if len(o.Byweekno)+len(o.Byyearday)+len(o.Bymonthday)+len(o.Byweekday) == 0 {
		switch o.Freq {
		case rrule.YEARLY:
			if len(o.Bymonth) == 0 {
				o.Bymonth = []int{int(t.Month())}
			}
			o.Bymonthday = []int{t.Day()}
		case rrule.MONTHLY:
			o.Bymonthday = []int{t.Day()}
		case rrule.WEEKLY:
			o.Byweekday = []rrule.Weekday{pyWeekday(t.Weekday())}
		}
	}
	if len(o.Byhour) == 0 && o.Freq < rrule.HOURLY {
		o.Byhour = []int{t.Hour()}
	}
	if len(o.Byminute) == 0 && o.Freq < rrule.MINUTELY {
		o.Byminute = []int{t.Minute()}
	}
	if len(o.Bysecond) == 0 && o.Freq < rrule.SECONDLY {
		o.Bysecond = []int{t.Second()}
	}
	timeset := 1
	if o.Freq < rrule.HOURLY {
		timeset *= len(o.Byhour)
	}
	if o.Freq < rrule.MINUTELY {
		timeset *= len(o.Byminute)
	}
	if o.Freq < rrule.SECONDLY {
		timeset *= len(o.Bysecond)
	}
	days := map[rrule.Frequency]int{rrule.YEARLY: 366, rrule.MONTHLY: 31, rrule.WEEKLY: 7}[o.Freq]
	if days == 0 {
		days = 1
	}
	if days*timeset > maxPerPeriod {
		return importErrf(r.line, "the repeat rule %q repeats too often (more than %d times in one period)", impClip(r.text), maxPerPeriod)
	}
	r.dtCivil = dtstart
	r.reachOK = reachable(o, t)
	return nil
}

var pyWeekdays = [7]rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

func pyWeekday(d time.Weekday) rrule.Weekday { return pyWeekdays[d] }

// reachable reports whether a sub-daily rule can ever match. rrule-go
// steps HOURLY rules by INTERVAL hours until the hour is in BYHOUR (and
// MINUTELY and SECONDLY rules likewise with minutes and seconds of the
// day); the values it can reach from DTSTART are those congruent to
// DTSTART's modulo gcd(INTERVAL, day length). If none of them passes the
// BY parts, rrule-go would loop for ever.
func reachable(o *rrule.ROption, t time.Time) bool {
	var period, v0 int
	switch o.Freq {
	case rrule.HOURLY:
		period, v0 = 24, t.Hour()
	case rrule.MINUTELY:
		period, v0 = 1440, t.Hour()*60+t.Minute()
	case rrule.SECONDLY:
		period, v0 = 86400, t.Hour()*3600+t.Minute()*60+t.Second()
	default:
		return true
	}
	n := max(o.Interval, 1)
	g := gcd(n, period)
	ok := func(l []int, v int) bool { return len(l) == 0 || slices.Contains(l, v) }
	for v := v0 % g; v < period; v += g {
		switch o.Freq {
		case rrule.HOURLY:
			if ok(o.Byhour, v) {
				return true
			}
		case rrule.MINUTELY:
			if ok(o.Byhour, v/60) && ok(o.Byminute, v%60) {
				return true
			}
		default:
			if ok(o.Byhour, v/3600) && ok(o.Byminute, v/60%60) && ok(o.Bysecond, v%60) {
				return true
			}
		}
	}
	return false
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// rebase returns a start no later than lo from which the rule, without
// COUNT, yields the same instances at and after lo as from dtstart: a whole
// number of periods later, at the start of a period.
func (r *recurRule) rebase(lo int64) int64 {
	c0 := r.dtCivil
	if r.count || c0 >= lo {
		return c0
	}
	o := &r.opt
	n := int64(max(o.Interval, 1))
	t0, tl := civilTime(c0), civilTime(lo)
	periods := func(span int64) int64 { return (span/n - 1) * n } // one period early, to be safe
	switch o.Freq {
	case rrule.YEARLY:
		if k := periods(int64(tl.Year() - t0.Year())); k > 0 {
			return time.Date(t0.Year()+int(k), 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		}
	case rrule.MONTHLY:
		months := int64(tl.Year()-t0.Year())*12 + int64(tl.Month()-t0.Month())
		if k := periods(months); k > 0 {
			return time.Date(t0.Year(), t0.Month()+time.Month(k), 1, 0, 0, 0, 0, time.UTC).Unix()
		}
	case rrule.WEEKLY:
		// Periods are weeks that begin on WKST; rrule-go numbers weekdays
		// from Monday (0).
		wd := (int64(t0.Weekday()) + 6) % 7
		weekStart := civilDate(c0) - ((wd-int64(o.Wkst.Day())+7)%7)*daySecs
		if k := periods((lo - weekStart) / (7 * daySecs)); k > 0 {
			return weekStart + k*7*daySecs
		}
	case rrule.DAILY:
		if k := periods((lo - civilDate(c0)) / daySecs); k > 0 {
			return civilDate(c0) + k*daySecs
		}
	case rrule.HOURLY:
		h := c0 - c0%3600
		if k := periods((lo - h) / 3600); k > 0 {
			return h + k*3600
		}
	case rrule.MINUTELY:
		m := c0 - c0%60
		if k := periods((lo - m) / 60); k > 0 {
			return m + k*60
		}
	case rrule.SECONDLY:
		if k := periods(lo - c0); k > 0 {
			return c0 + k
		}
	}
	return c0
}

// periodSecs returns the shortest length of one period of the rule.
func (r *recurRule) periodSecs() int64 {
	n := int64(max(r.opt.Interval, 1))
	switch r.opt.Freq {
	case rrule.YEARLY:
		return 365 * daySecs * n
	case rrule.MONTHLY:
		return 28 * daySecs * n
	case rrule.WEEKLY:
		return 7 * daySecs * n
	case rrule.DAILY:
		return daySecs * n
	case rrule.HOURLY:
		return 3600 * n
	case rrule.MINUTELY:
		return 60 * n
	}
	return n
}

// expand calls emit with the wall-clock start of each instance of the rule
// that starts from lo to hi, in order. until converts an UNTIL written in
// UTC to wall-clock time. budget counts the file's work. prepare must have
// been called.
func (r *recurRule) expand(lo, hi int64, until func(icsValue) int64, budget *expandBudget, emit func(c int64) error) error {
	if !r.reachOK || r.dtCivil > hi {
		return nil
	}
	if !budget.deadline.IsZero() && time.Now().After(budget.deadline) {
		return importErrf(r.line, "the calendar's repeat rules are too many or too complex: expanding them took more than %d seconds", int(maxExpandTime.Seconds()))
	}
	end := hi
	if r.until != nil {
		end = min(end, until(*r.until))
	}
	start := r.rebase(lo)
	if end < start {
		return nil
	}
	if (end-start)/r.periodSecs() > maxWalk {
		return importErrf(r.line, "the repeat rule %q repeats too often over too many years for kapbook to expand", impClip(r.text))
	}
	// Shift so that the year 9999, where rrule-go gives up on a rule that
	// never matches, is near.
	shift := calendarShift(civilTime(start).Year(), civilTime(hi).Year())
	o := r.opt
	o.Dtstart = civilTime(start + shift)
	o.Until = civilTime(end + shift)
	rule, err := rrule.NewRRule(o)
	if err != nil {
		return importErrf(r.line, "the repeat rule %q is not valid (%s)", impClip(r.text), impClip(err.Error()))
	}
	next := rule.Iterator()
	for {
		t, ok := next()
		if !ok {
			return nil
		}
		if budget.steps++; budget.steps > maxStepsPerFile {
			return importErrf(r.line, "the repeat rule %q repeats too often to expand (more than %s times)", impClip(r.text), strconv.Itoa(maxStepsPerFile))
		}
		c := t.Unix() - shift
		if c > hi {
			return nil
		}
		if c >= lo {
			if err := emit(c); err != nil {
				return err
			}
		}
	}
}

// calendarShift returns how many seconds to move wall-clock times of the
// years y0 to y1 forward so that y1 lands as close below rrule-go's last
// year as possible while every one of those years keeps its weekdays and
// leap day. A whole 400-year cycle always does; nearer shifts often do
// too (the calendar repeats every 28 years between century years that are
// not leap years), so it tries those first.
func calendarShift(y0, y1 int) int64 {
	top := rruleLastYear - rruleShiftReserve
	if y1 >= top || y0 < 1 {
		return 0
	}
	cycles := (top - y1) / 400 * 400
	d := top - y1
	for ; d > cycles && !sameCalendar(y0, y1+1, d); d-- {
	}
	return time.Date(y0+d, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - time.Date(y0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
}

// sameCalendar reports whether the years y0 to y1 and the same years d
// later begin on the same weekdays and have the same leap days.
func sameCalendar(y0, y1, d int) bool {
	if time.Date(y0, 1, 1, 0, 0, 0, 0, time.UTC).Weekday() != time.Date(y0+d, 1, 1, 0, 0, 0, 0, time.UTC).Weekday() {
		return false
	}
	for y := y0; y <= y1; y++ {
		if isLeapYear(y) != isLeapYear(y+d) {
			return false
		}
	}
	return true
}

func isLeapYear(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
