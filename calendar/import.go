package calendar

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/kapbook/kapbook/booking"
)

// BusyReason is the Reason of every imported busy time. The event's own
// title (SUMMARY) is never copied: it may be private.
const BusyReason = "own calendar"

// DefaultMaxInstances is how many busy times ImportBusy returns at most,
// unless ImportOptions.MaxInstances says otherwise.
const DefaultMaxInstances = 10000

// MaxImportBytes is the size of the largest calendar ImportBusy reads.
const MaxImportBytes = 32 << 20

// maxHorizon bounds the planning horizon an import may cover.
const maxHorizon = 20 * 366 * 24 * time.Hour

// ImportOptions says how ImportBusy reads a calendar.
type ImportOptions struct {
	// Clinic is the clinic's time zone. Floating times (no TZID, no Z) are
	// clinic time, and all-day events block whole days in this zone.
	// Required.
	Clinic *time.Location
	// From and To are the planning horizon: ImportBusy returns the busy
	// times that overlap [From, To). A zero From is Now minus one day; a
	// zero To is Now plus one year. At most twenty years.
	From, To time.Time
	// Now is the moment the default horizon counts from (zero: time.Now()).
	Now time.Time
	// MaxInstances is the most busy times a calendar may hold within the
	// horizon before ImportBusy refuses it (0: DefaultMaxInstances). It
	// guards against rules that repeat every minute.
	MaxInstances int
}

// ImportError says why ImportBusy refused a calendar, and on which line
// of the file (0 when it concerns the file as a whole). Reason is meant
// for people: "the event has no start (DTSTART)".
type ImportError struct {
	Line   int
	Reason string
}

// Error implements the error interface: "calendar: line 12: ...".
func (e *ImportError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("calendar: line %d: %s", e.Line, e.Reason)
	}
	return "calendar: " + e.Reason
}

func importErrf(line int, format string, args ...any) *ImportError {
	return &ImportError{Line: line, Reason: fmt.Sprintf(format, args...)}
}

// ImportBusy reads an iCalendar file (RFC 5545), a person's own calendar,
// and returns the times it marks busy within the horizon: sorted, with
// overlapping and touching times merged, each with Reason BusyReason and
// in the clinic's zone.
//
// It expands RRULE (and the deprecated EXRULE), RDATE, EXDATE and
// RECURRENCE-ID overrides (RANGE=THISANDFUTURE included); reads TZID from
// Go's time zone database, from a Windows name such as "Eastern Standard
// Time" (see WindowsZone), or from the file's own VTIMEZONE, in that
// order. All-day (DATE) events block whole days in the clinic's zone;
// floating times are clinic time. An event without DTEND or DURATION lasts
// one day if its start is a date and no time at all (so it blocks
// nothing) if its start is a date and time (RFC 5545 section 3.6.1).
// Events that are CANCELLED, TRANSPARENT, or marked free by Outlook
// (X-MICROSOFT-CDO-BUSYSTATUS:FREE) do not block; TENTATIVE ones do. An
// override blocks or not by its own STATUS and TRANSP. An override whose
// series is not in the file stands on its own.
//
// A file it cannot read in full is refused with an *ImportError naming the
// line; nothing is returned in part. Other errors come from reading r.
func ImportBusy(r io.Reader, opts ImportOptions) ([]booking.Interval, error) {
	im, err := newImporter(opts)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: reading the file: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, &ImportError{Reason: fmt.Sprintf("the file is larger than %d MB", MaxImportBytes>>20)}
	}
	cals, err := decodeICS(data)
	if err != nil {
		return nil, err
	}
	for _, cal := range cals {
		if err := im.calendar(cal); err != nil {
			return nil, err
		}
	}
	return im.result(), nil
}

// busySpan is a busy time in Unix seconds, end excluded.
type busySpan struct{ start, end int64 }

// importer holds one ImportBusy call's state.
type importer struct {
	loc      *time.Location
	clinic   tzone
	from, to int64 // the horizon
	max      int
	budget   expandBudget
	spans    []busySpan

	// Per VCALENDAR object: TZIDs are local to it.
	vtz    map[string]*icsNode
	zones  map[string]tzone
	method bool // the object has METHOD (iTIP), where DTSTART may be missing
}

func newImporter(opts ImportOptions) (*importer, error) {
	if opts.Clinic == nil {
		return nil, errors.New("calendar: ImportOptions.Clinic is required")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	from, to := opts.From, opts.To
	if from.IsZero() {
		from = now.Add(-24 * time.Hour)
	}
	if to.IsZero() {
		to = now.AddDate(1, 0, 0)
	}
	if !to.After(from) || to.Sub(from) > maxHorizon || from.Year() < 1 || to.Year() > 9000 {
		return nil, fmt.Errorf("calendar: the import horizon %s to %s is empty or longer than twenty years", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	im := &importer{loc: opts.Clinic, clinic: goZone{opts.Clinic}, from: from.Unix(), to: to.Unix(), max: opts.MaxInstances,
		budget: expandBudget{deadline: time.Now().Add(maxExpandTime)}}
	if im.max <= 0 {
		im.max = DefaultMaxInstances
	}
	return im, nil
}

// result sorts and merges the busy times.
func (im *importer) result() []booking.Interval {
	sort.Slice(im.spans, func(i, j int) bool { return im.spans[i].start < im.spans[j].start })
	out := []booking.Interval{}
	for _, s := range im.spans {
		if n := len(out); n > 0 && s.start <= out[n-1].End.Unix() {
			if s.end > out[n-1].End.Unix() {
				out[n-1].End = time.Unix(s.end, 0).In(im.loc)
			}
			continue
		}
		out = append(out, booking.Interval{Start: time.Unix(s.start, 0).In(im.loc), End: time.Unix(s.end, 0).In(im.loc), Reason: BusyReason})
	}
	return out
}

// emit records a busy time if it overlaps the horizon.
func (im *importer) emit(s, e int64, line int) error {
	if e <= s || e <= im.from || s >= im.to {
		return nil
	}
	if len(im.spans) >= im.max {
		return importErrf(line, "the calendar has more than %d busy times between %s and %s, the most kapbook takes; an event may repeat every few minutes",
			im.max, time.Unix(im.from, 0).In(im.loc).Format(time.DateOnly), time.Unix(im.to, 0).In(im.loc).Format(time.DateOnly))
	}
	im.spans = append(im.spans, busySpan{s, e})
	return nil
}

// calendar imports one VCALENDAR object.
func (im *importer) calendar(cal *icsNode) error {
	im.vtz, im.zones = map[string]*icsNode{}, map[string]tzone{}
	im.method = cal.Props.Get(ical.PropMethod) != nil
	for _, n := range cal.kids {
		if n.Name != ical.CompTimezone {
			continue
		}
		// A VTIMEZONE without TZID cannot be referred to; skip it.
		if p := n.Props.Get(ical.PropTimezoneID); p != nil && strings.TrimSpace(p.Value) != "" {
			if id := strings.TrimSpace(p.Value); im.vtz[id] == nil {
				im.vtz[id] = n
			}
		}
	}
	var masters []*vevent
	overrides := map[string][]*vevent{} // by UID
	for _, n := range cal.kids {
		if n.Name != ical.CompEvent {
			continue // VTODO, VJOURNAL, VFREEBUSY and unknown components do not block
		}
		ev, err := im.event(n)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		if ev.recur != nil {
			overrides[ev.uid] = append(overrides[ev.uid], ev)
		} else {
			masters = append(masters, ev)
		}
	}
	masterOf := map[string]*vevent{} // the first series of each UID
	for _, m := range masters {
		if m.uid != "" && masterOf[m.uid] == nil {
			masterOf[m.uid] = m
		}
	}
	for _, m := range masters {
		var ovs []*vevent
		if m.uid != "" {
			ovs = overrides[m.uid]
		}
		if err := im.series(m, ovs); err != nil {
			return err
		}
	}
	// Each override is an event of its own; of two for the same instance,
	// the one with the higher SEQUENCE (or the later one) counts.
	uids := make([]string, 0, len(overrides))
	for uid := range overrides {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	for _, uid := range uids {
		var master *vevent
		if uid != "" {
			master = masterOf[uid]
		}
		latest := map[int64]*vevent{}
		var order []int64
		for _, o := range overrides[uid] {
			k, err := im.overrideKey(o, master)
			if err != nil {
				return err
			}
			if old, ok := latest[k]; !ok {
				order = append(order, k)
				latest[k] = o
			} else if o.seq >= old.seq {
				latest[k] = o
			}
		}
		for _, k := range order {
			if err := im.single(latest[k], master); err != nil {
				return err
			}
		}
	}
	return nil
}

// vevent is a VEVENT as the importer needs it.
type vevent struct {
	n      *icsNode
	uid    string
	seq    int
	blocks bool // not cancelled, not transparent, not free

	start     icsValue
	zone      tzone // of a date-time start: a TZID's, UTC, or the clinic's (floating)
	startLine int
	length    icsDuration // from DTEND or DURATION, or the default
	hasLength bool        // DTEND or DURATION was given

	recur     *icsValue // RECURRENCE-ID
	recurProp *ical.Prop
	recurLine int
	future    bool // RANGE=THISANDFUTURE

	rrules, exrules []*recurRule
	rdates          []dateProp
	exdates         []dateProp
}

// dateProp is one value of an RDATE or EXDATE.
type dateProp struct {
	v    icsValue
	prop *ical.Prop
	line int
	// An RDATE;VALUE=PERIOD has its own end or duration.
	period    bool
	end       *icsValue
	periodDur icsDuration
}

// event reads a VEVENT's timing, recurrence and whether it blocks. It
// returns nil for an event that cannot take part (no DTSTART in an iTIP
// message).
func (im *importer) event(n *icsNode) (*vevent, error) {
	ev := &vevent{n: n, blocks: true}
	readIdentity(ev)
	p, line := n.prop(ical.PropDateTimeStart)
	if p == nil {
		if im.method {
			return nil, nil
		}
		return nil, importErrf(n.line, "the event has no start (DTSTART)")
	}
	v, err := parseICSDateTime(p.Value)
	if err != nil {
		return nil, importErrf(line, "the event's start (DTSTART): %s", err)
	}
	ev.start, ev.startLine = v, line
	if ev.zone, err = im.valueZone(p, v, line, nil); err != nil {
		return nil, err
	}
	if err := im.readLength(ev); err != nil {
		return nil, err
	}
	if err := readRecurrenceID(ev); err != nil {
		return nil, err
	}
	if err := readRules(ev); err != nil {
		return nil, err
	}
	if err := readDates(ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// readIdentity reads which event ev is (UID), which revision of it
// (SEQUENCE), and whether it blocks: not when it is cancelled,
// transparent, or free in Outlook's own property.
func readIdentity(ev *vevent) {
	n := ev.n
	if p := n.Props.Get(ical.PropUID); p != nil {
		ev.uid = strings.TrimSpace(p.Value)
	}
	if p := n.Props.Get(ical.PropSequence); p != nil {
		ev.seq, _ = strconv.Atoi(strings.TrimSpace(p.Value))
	}
	upper := func(name string) string {
		if p := n.Props.Get(name); p != nil {
			return strings.ToUpper(strings.TrimSpace(p.Value))
		}
		return ""
	}
	if upper(ical.PropStatus) == "CANCELLED" || upper(ical.PropTransparency) == "TRANSPARENT" || upper("X-MICROSOFT-CDO-BUSYSTATUS") == "FREE" {
		ev.blocks = false
	}
}

// readLength reads how long ev lasts, from DTEND or DURATION (never both);
// without either, an all-day event lasts its one day and a timed one no
// time at all (RFC 5545 section 3.6.1).
func (im *importer) readLength(ev *vevent) error {
	endp, endLine := ev.n.prop(ical.PropDateTimeEnd)
	durp, durLine := ev.n.prop(ical.PropDuration)
	switch {
	case endp != nil && durp != nil:
		return importErrf(durLine, "the event has both an end (DTEND, line %d) and a duration (DURATION); it may have only one", endLine)
	case endp != nil:
		ev.hasLength = true
		return im.readEnd(ev, endp, endLine)
	case durp != nil:
		ev.hasLength = true
		d, neg, err := parseICSDuration(durp.Value)
		if err != nil {
			return importErrf(durLine, "the event's duration (DURATION): %s", err)
		}
		if neg {
			return importErrf(durLine, "the event's duration (DURATION) is negative")
		}
		ev.length = d
	case ev.start.date:
		ev.length.days = 1 // a date without an end is that one day
	}
	return nil
}

// readEnd sets ev's length from its DTEND, which must be of the same kind
// as its start (a date, or a date and time) and not before it. A timed
// end may be in another zone than the start.
func (im *importer) readEnd(ev *vevent, endp *ical.Prop, endLine int) error {
	v, line := ev.start, ev.startLine
	e, err := parseICSDateTime(endp.Value)
	if err != nil {
		return importErrf(endLine, "the event's end (DTEND): %s", err)
	}
	if e.date != v.date {
		what := "a date and time"
		if v.date {
			what = "a date"
		}
		return importErrf(endLine, "the event's end (DTEND) must be %s, like its start on line %d", what, line)
	}
	if v.date {
		ev.length.days = (e.civil - v.civil) / daySecs
	} else {
		ez, err := im.valueZone(endp, e, endLine, nil)
		if err != nil {
			return err
		}
		ev.length.secs = toInstant(e.civil, ez) - toInstant(v.civil, ev.zone)
	}
	if ev.length.days < 0 || ev.length.secs < 0 {
		return importErrf(endLine, "the event ends (DTEND) before it starts (line %d)", line)
	}
	return nil
}

// readRecurrenceID reads the RECURRENCE-ID that makes ev an override of
// one instance of a series (or, with RANGE=THISANDFUTURE, of that
// instance and all later ones).
func readRecurrenceID(ev *vevent) error {
	rp, rl := ev.n.prop(ical.PropRecurrenceID)
	if rp == nil {
		return nil
	}
	rv, err := parseICSDateTime(rp.Value)
	if err != nil {
		return importErrf(rl, "the changed occurrence's original time (RECURRENCE-ID): %s", err)
	}
	ev.recur, ev.recurProp, ev.recurLine = &rv, rp, rl
	ev.future = strings.EqualFold(rp.Params.Get("RANGE"), "THISANDFUTURE")
	return nil
}

// readRules reads ev's RRULEs and EXRULEs, each prepared to repeat from
// its start.
func readRules(ev *vevent) error {
	n := ev.n
	for _, kind := range []struct {
		name string
		dst  *[]*recurRule
	}{{ical.PropRecurrenceRule, &ev.rrules}, {"EXRULE", &ev.exrules}} {
		for i, rp := range n.Props[kind.name] {
			r, err := parseRule(rp.Value, n.propLine(kind.name, i))
			if err != nil {
				return err
			}
			if err := r.prepare(ev.start.civil); err != nil {
				return err
			}
			*kind.dst = append(*kind.dst, r)
		}
	}
	return nil
}

// readDates reads ev's RDATEs and EXDATEs; each property may list several
// values, separated by commas.
func readDates(ev *vevent) error {
	n := ev.n
	for _, kind := range []struct {
		name string
		dst  *[]dateProp
	}{{ical.PropRecurrenceDates, &ev.rdates}, {ical.PropExceptionDates, &ev.exdates}} {
		for i := range n.Props[kind.name] {
			dp := &n.Props[kind.name][i]
			dl := n.propLine(kind.name, i)
			for _, s := range strings.Split(dp.Value, ",") {
				d, err := parseDateProp(dp, s, kind.name == ical.PropRecurrenceDates)
				if err != nil {
					return importErrf(dl, "%s: %s", kind.name, err)
				}
				d.line = dl
				*kind.dst = append(*kind.dst, d)
			}
		}
	}
	return nil
}

// parseDateProp parses one value of an RDATE (where a PERIOD is allowed)
// or an EXDATE.
func parseDateProp(p *ical.Prop, s string, periodOK bool) (dateProp, error) {
	d := dateProp{prop: p}
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, "/"); ok || strings.EqualFold(p.Params.Get(ical.ParamValue), "PERIOD") {
		if !periodOK || !ok {
			return d, fmt.Errorf("%q is not a date or a date and time", impClip(s))
		}
		v, err := parseICSDateTime(a)
		if err != nil || v.date {
			return d, fmt.Errorf("the period %q does not start with a date and time", impClip(s))
		}
		d.v, d.period = v, true
		if strings.HasPrefix(strings.ToUpper(strings.TrimPrefix(b, "+")), "P") {
			dur, neg, err := parseICSDuration(b)
			if err != nil || neg {
				return d, fmt.Errorf("the period %q has no valid end or duration", impClip(s))
			}
			d.periodDur = dur
		} else {
			e, err := parseICSDateTime(b)
			if err != nil || e.date {
				return d, fmt.Errorf("the period %q has no valid end or duration", impClip(s))
			}
			d.end = &e
		}
		return d, nil
	}
	v, err := parseICSDateTime(s)
	if err != nil {
		return d, err
	}
	d.v = v
	return d, nil
}

// valueZone returns the zone of a date-time value: UTC for Z, its TZID's,
// inherit for a floating value when given (recurrence values follow their
// event's start), else the clinic's. A date has none.
func (im *importer) valueZone(p *ical.Prop, v icsValue, line int, inherit tzone) (tzone, error) {
	switch {
	case v.date:
		return nil, nil
	case v.utc:
		return fixedZone(0), nil
	}
	if tzid := strings.TrimSpace(p.Params.Get(ical.PropTimezoneID)); tzid != "" {
		return im.zoneFor(tzid, line)
	}
	if inherit != nil {
		return inherit, nil
	}
	return im.clinic, nil
}

// zoneFor resolves a TZID: Go's time zone database first (IANA and Windows
// names), then the file's VTIMEZONE.
func (im *importer) zoneFor(tzid string, line int) (tzone, error) {
	if z, ok := im.zones[tzid]; ok {
		return z, nil
	}
	var z tzone
	if loc, ok := knownZone(tzid); ok {
		z = goZone{loc}
	} else if n := im.vtz[tzid]; n != nil {
		rz, err := im.ruleZone(tzid, n)
		if err != nil {
			return nil, err
		}
		z = rz
	} else {
		return nil, importErrf(line, "the time zone %q is not one kapbook knows, and the file does not describe it (no VTIMEZONE with that TZID)", impClip(tzid))
	}
	im.zones[tzid] = z
	return z, nil
}

// maxTransitions bounds the offset changes of one VTIMEZONE.
const maxTransitions = 5000

// ruleZone builds a zone from a VTIMEZONE's STANDARD and DAYLIGHT parts,
// with the offset changes of the horizon and two years either side.
func (im *importer) ruleZone(tzid string, n *icsNode) (tzone, error) {
	lo := time.Date(time.Unix(im.from, 0).UTC().Year()-2, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(time.Unix(im.to, 0).UTC().Year()+2, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	z := &ruleZone{}
	for _, obs := range n.kids {
		if obs.Name != ical.CompTimezoneStandard && obs.Name != ical.CompTimezoneDaylight {
			continue
		}
		need := func(name string) (*ical.Prop, int, error) {
			p, l := obs.prop(name)
			if p == nil {
				return nil, 0, importErrf(obs.line, "the %s part of time zone %q has no %s", obs.Name, impClip(tzid), name)
			}
			return p, l, nil
		}
		sp, sl, err := need(ical.PropDateTimeStart)
		if err != nil {
			return nil, err
		}
		start, err := parseICSDateTime(sp.Value)
		if err != nil {
			return nil, importErrf(sl, "the start of time zone %q: %s", impClip(tzid), err)
		}
		var offs [2]int64
		for i, name := range []string{ical.PropTimezoneOffsetFrom, ical.PropTimezoneOffsetTo} {
			p, l, err := need(name)
			if err != nil {
				return nil, err
			}
			if offs[i], err = parseICSOffset(p.Value); err != nil {
				return nil, importErrf(l, "time zone %q: %s", impClip(tzid), err)
			}
		}
		from, to := offs[0], offs[1]
		add := func(c int64) error {
			if len(z.trans) >= maxTransitions {
				return importErrf(obs.line, "time zone %q changes its offset too often (more than %d times)", impClip(tzid), maxTransitions)
			}
			z.trans = append(z.trans, zoneTransition{at: c - from, from: from, to: to})
			return nil
		}
		if err := add(start.civil); err != nil {
			return nil, err
		}
		for i, rp := range obs.Props[ical.PropRecurrenceRule] {
			r, err := parseRule(rp.Value, obs.propLine(ical.PropRecurrenceRule, i))
			if err != nil {
				return nil, err
			}
			if err := r.prepare(start.civil); err != nil {
				return nil, err
			}
			until := func(u icsValue) int64 {
				switch {
				case u.date:
					return u.civil + daySecs - 1
				case u.utc:
					return u.civil + from // UTC to the wall clock before the change
				}
				return u.civil
			}
			if err := r.expand(lo, hi, until, &im.budget, add); err != nil {
				return nil, err
			}
		}
		for i, rp := range obs.Props[ical.PropRecurrenceDates] {
			for _, s := range strings.Split(rp.Value, ",") {
				d, err := parseDateProp(&rp, s, true)
				if err != nil {
					return nil, importErrf(obs.propLine(ical.PropRecurrenceDates, i), "time zone %q: %s", impClip(tzid), err)
				}
				if err := add(d.v.civil); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(z.trans) == 0 {
		return nil, importErrf(n.line, "time zone %q has no STANDARD or DAYLIGHT part", impClip(tzid))
	}
	sort.SliceStable(z.trans, func(i, j int) bool { return z.trans[i].at < z.trans[j].at })
	return z, nil
}

// key identifies an instance of a series: its start instant, or for an
// all-day series its date (wall-clock midnight).
func (m *vevent) key(c int64) int64 {
	if m.start.date {
		return c
	}
	return toInstant(c, m.zone)
}

// valueKey converts an RDATE, EXDATE or RECURRENCE-ID value of series m
// to the key of the instance it names. For a date that names a day of a
// timed series, it returns the day and date=true.
func (im *importer) valueKey(m *vevent, v icsValue, p *ical.Prop, line int) (key int64, date bool, err error) {
	var inherit tzone
	if m != nil && !m.start.date {
		inherit = m.zone
	}
	z, err := im.valueZone(p, v, line, inherit)
	if err != nil {
		return 0, false, err
	}
	switch {
	case m == nil:
		if v.date {
			return v.civil, false, nil
		}
		return toInstant(v.civil, z), false, nil
	case m.start.date && v.date:
		return v.civil, false, nil
	case m.start.date && v.utc:
		return civilDate(toCivil(toInstant(v.civil, z), im.clinic)), false, nil
	case m.start.date:
		return civilDate(v.civil), false, nil
	case v.date:
		return v.civil, true, nil
	}
	return toInstant(v.civil, z), false, nil
}

// overrideKey identifies the instance an override replaces.
func (im *importer) overrideKey(o, master *vevent) (int64, error) {
	k, date, err := im.valueKey(master, *o.recur, o.recurProp, o.recurLine)
	if date {
		k = -k - 1 // keep day keys apart from instant keys
	}
	return k, err
}

// futureOverride is a RANGE=THISANDFUTURE override: the instances after key move
// by delta (wall clock), last length and block or not as it says.
type futureOverride struct {
	key    int64
	delta  int64
	length icsDuration
	blocks bool
}

// series expands a VEVENT that is not an override, leaving out the
// instances its EXDATEs, EXRULEs and overrides remove.
func (im *importer) series(m *vevent, ovs []*vevent) error {
	x := &expansion{im: im, m: m,
		overridden: map[int64]bool{}, overriddenDays: map[int64]bool{},
		excluded: map[int64]bool{}, excludedDays: map[int64]bool{},
		seen: map[int64]bool{}}
	if err := x.readOverrides(ovs); err != nil {
		return err
	}
	if !m.blocks && !slices.ContainsFunc(x.futures, func(f futureOverride) bool { return f.blocks }) {
		return nil // nothing of this series can block
	}
	x.setWindow()
	if err := x.readExclusions(); err != nil {
		return err
	}
	return x.addInstances()
}

// expansion is one series being expanded into busy times: what its
// overrides and exclusions take out or move, and the wall-clock window
// its instances are looked for in.
type expansion struct {
	im *importer
	m  *vevent

	// overridden are the instances (by key) that overrides replace, and
	// overriddenDays the days of a timed series they replace whole.
	overridden, overriddenDays map[int64]bool
	futures                    []futureOverride // by key
	maxDelta                   int64            // the largest move of a future override, either way

	// excluded and excludedDays are the same for EXDATE and EXRULE.
	excluded, excludedDays map[int64]bool

	wz     tzone // the wall clock the series repeats on
	lo, hi int64 // the wall-clock window instances may start in
	seen   map[int64]bool
}

// readOverrides notes the instances the overrides ovs replace and, for
// RANGE=THISANDFUTURE ones, how they move the instances after them.
func (x *expansion) readOverrides(ovs []*vevent) error {
	for _, o := range ovs {
		k, date, err := x.im.valueKey(x.m, *o.recur, o.recurProp, o.recurLine)
		if err != nil {
			return err
		}
		if date {
			x.overriddenDays[k] = true
			continue
		}
		x.overridden[k] = true
		if o.future {
			f := x.futureOverride(o, k)
			x.maxDelta = max(x.maxDelta, f.delta, -f.delta)
			x.futures = append(x.futures, f)
		}
	}
	sort.Slice(x.futures, func(i, j int) bool { return x.futures[i].key < x.futures[j].key })
	return nil
}

// futureOverride returns what the RANGE=THISANDFUTURE override o of the
// instance with key k does to the instances from k on: they last as long
// as o (or the series, when o gives no length), block as o says, and,
// when o and the series start alike (both dates or both times), move by
// o's move on the series' wall clock.
func (x *expansion) futureOverride(o *vevent, k int64) futureOverride {
	m := x.m
	f := futureOverride{key: k, length: o.length, blocks: o.blocks}
	if !o.hasLength {
		f.length = m.length
	}
	if m.start.date == o.start.date {
		rc := k
		if !m.start.date {
			rc = toCivil(k, m.zone)
		}
		oc := o.start.civil
		if !m.start.date {
			oc = toCivil(toInstant(o.start.civil, o.zone), m.zone)
		}
		f.delta = oc - rc
	}
	return f
}

// setWindow sets the wall clock the series repeats on (the clinic's for
// an all-day series) and the window its instances are looked for in: the
// horizon on that clock, with two days' slack each side for the
// difference between wall-clock time and instants, widened before by the
// instances' length (one that starts earlier may still reach into the
// horizon) and both ways by the largest move of a future override.
func (x *expansion) setWindow() {
	m := x.m
	x.wz = m.zone
	if m.start.date {
		x.wz = x.im.clinic
	}
	margin := m.length.days*daySecs + m.length.secs + 2*daySecs + x.maxDelta
	x.lo, x.hi = toCivil(x.im.from, x.wz)-margin, toCivil(x.im.to, x.wz)+2*daySecs+x.maxDelta
}

// until converts a rule's UNTIL to the series' wall clock; a date that
// ends a timed series takes in the whole day.
func (x *expansion) until(u icsValue) int64 {
	switch {
	case u.date && !x.m.start.date:
		return u.civil + daySecs - 1 // the whole day
	case u.utc:
		return toCivil(u.civil, x.wz)
	}
	return u.civil
}

// readExclusions notes the instances the series' EXDATEs and EXRULEs take
// out.
func (x *expansion) readExclusions() error {
	m := x.m
	for _, ex := range m.exdates {
		k, date, err := x.im.valueKey(m, ex.v, ex.prop, ex.line)
		if err != nil {
			return err
		}
		if date {
			x.excludedDays[k] = true
		} else {
			x.excluded[k] = true
		}
	}
	for _, r := range m.exrules {
		err := r.expand(x.lo, x.hi, x.until, &x.im.budget, func(c int64) error {
			x.excluded[m.key(c)] = true
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// addInstances emits the series' instances: its start, those of its
// RRULEs, and its RDATEs.
func (x *expansion) addInstances() error {
	m := x.m
	if err := x.add(m.start.civil, m.key(m.start.civil), m.length, m.n.line); err != nil {
		return err
	}
	for _, r := range m.rrules {
		err := r.expand(x.lo, x.hi, x.until, &x.im.budget, func(c int64) error { return x.add(c, m.key(c), m.length, r.line) })
		if err != nil {
			return err
		}
	}
	for _, rd := range m.rdates {
		if err := x.addRDate(rd); err != nil {
			return err
		}
	}
	return nil
}

// addRDate emits the instance an RDATE adds, if it starts within the
// window. A date in a timed series is at the series' time of day; a
// PERIOD lasts as long as it says.
func (x *expansion) addRDate(rd dateProp) error {
	m := x.m
	k, date, err := x.im.valueKey(m, rd.v, rd.prop, rd.line)
	if err != nil {
		return err
	}
	var c int64
	switch {
	case m.start.date:
		c = k
	case date: // a day of a timed series: at the series' time of day
		c = k + m.start.civil - civilDate(m.start.civil)
		k = m.key(c)
	default:
		c = toCivil(k, m.zone)
	}
	if c < x.lo || c > x.hi {
		return nil
	}
	length := m.length
	if rd.period {
		length = rd.periodDur
		if rd.end != nil {
			ez, err := x.im.valueZone(rd.prop, *rd.end, rd.line, m.zone)
			if err != nil {
				return err
			}
			length = icsDuration{secs: max(0, toInstant(rd.end.civil, ez)-toInstant(rd.v.civil, ez))}
		}
	}
	return x.add(c, k, length, rd.line)
}

// add emits an instance by its wall-clock start c and its key k, once,
// unless an exclusion or an override takes it out. A future override
// before it moves it, sets its length and says whether it blocks.
func (x *expansion) add(c, k int64, length icsDuration, line int) error {
	m := x.m
	if x.seen[k] {
		return nil
	}
	x.seen[k] = true
	if x.excluded[k] || x.overridden[k] || !m.start.date && (x.excludedDays[civilDate(c)] || x.overriddenDays[civilDate(c)]) {
		return nil
	}
	blocks := m.blocks
	if i := sort.Search(len(x.futures), func(i int) bool { return x.futures[i].key >= k }); i > 0 {
		f := x.futures[i-1]
		c, length, blocks = c+f.delta, f.length, f.blocks
		k = m.key(c)
	}
	if !blocks {
		return nil
	}
	s, e := x.im.span(m, c, k, length)
	return x.im.emit(s, e, line)
}

// span returns the busy time of an instance of ev that starts at
// wall-clock time c (key k) and lasts length.
func (im *importer) span(ev *vevent, c, k int64, length icsDuration) (int64, int64) {
	if ev.start.date {
		return toInstant(c, im.clinic), toInstant(c+length.days*daySecs, im.clinic) + length.secs
	}
	if length.days == 0 {
		return k, k + length.secs
	}
	return k, toInstant(c+length.days*daySecs, ev.zone) + length.secs
}

// single imports an override as an event of its own. Without DTEND or
// DURATION it lasts as long as its series.
func (im *importer) single(o, master *vevent) error {
	if !o.blocks {
		return nil
	}
	length := o.length
	if !o.hasLength && master != nil && master.start.date == o.start.date {
		length = master.length
	}
	s, e := im.span(o, o.start.civil, o.key(o.start.civil), length)
	return im.emit(s, e, o.n.line)
}
