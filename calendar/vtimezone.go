package calendar

import (
	"strconv"
	"time"

	"github.com/emersion/go-ical"
)

// tzLocalFormat is an iCalendar DATE-TIME in local (or TZID) time.
const tzLocalFormat = "20060102T150405"

// vtimezone returns the VTIMEZONE (RFC 5545 section 3.6.5) of loc that
// covers every instant from from to to, both included, built from Go's
// time zone data. It lists one STANDARD or DAYLIGHT observance per period
// of the zone's rules that overlaps the range, each with an explicit DTSTART
// and no RRULE: the observance in force at from, then one per transition
// up to to. A zone without transitions gets one STANDARD observance.
func vtimezone(loc *time.Location, from, to time.Time) *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.Set(&ical.Prop{Name: ical.PropTimezoneID, Params: ical.Params{}, Value: loc.String()})
	if to.Before(from) {
		to = from
	}
	t := from.In(loc)
	// A range within daylight saving time alone begins with the standard
	// time before it, so that every VTIMEZONE of a zone with daylight
	// saving has a STANDARD observance: python3-icalendar 4 (Debian 12's)
	// cannot read one without, as a one-event calendar in summer had.
	if t.IsDST() {
		if start, _ := observance(t, to); !start.IsZero() {
			t = start.Add(-time.Second).In(loc)
		}
	}
	for {
		start, end := observance(t, to)
		name, offset := t.Zone()
		kind := ical.CompTimezoneStandard
		if t.IsDST() {
			kind = ical.CompTimezoneDaylight
		}
		// DTSTART is the local time of the transition as read on the
		// clock before it, that is with TZOFFSETFROM.
		offsetFrom, onset := offset, "19700101T000000"
		if !start.IsZero() {
			_, offsetFrom = start.Add(-time.Second).Zone()
			onset = start.UTC().Add(time.Duration(offsetFrom) * time.Second).Format(tzLocalFormat)
		}
		o := ical.NewComponent(kind)
		o.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}, Value: onset})
		o.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetFrom, Params: ical.Params{}, Value: formatUTCOffset(offsetFrom)})
		o.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetTo, Params: ical.Params{}, Value: formatUTCOffset(offset)})
		if name != "" {
			o.Props.SetText(ical.PropTimezoneName, name)
		}
		tz.Children = append(tz.Children, o)
		if end.IsZero() || end.After(to) {
			return tz
		}
		t = end.In(loc)
	}
}

// observance returns when the observance in force at t (its offset,
// name and daylight saving) began and ends, zero when it has no start or
// end, looking for the end up to after to. It is t.ZoneBounds without the
// bounds where nothing changes: Go's embedded zone data (time/tzdata, all
// a Windows PC has) keeps the rules after a zone's last listed transition
// as a rule, and ZoneBounds then ends each period at a new year.
func observance(t time.Time, to time.Time) (start, end time.Time) {
	loc := t.Location()
	start, _ = t.ZoneBounds()
	end = zoneEnd(t)
	same := func(u time.Time) bool {
		u = u.In(loc)
		n, o := u.Zone()
		tn, to := t.Zone()
		return n == tn && o == to && u.IsDST() == t.IsDST()
	}
	for !start.IsZero() && same(start.Add(-time.Second)) {
		s, _ := start.Add(-time.Second).ZoneBounds()
		if !s.Before(start) {
			break
		}
		start = s
	}
	for !end.IsZero() && !end.After(to) && same(end) {
		end = zoneEnd(end.In(loc))
	}
	return start, end
}

// zoneEnd returns when the zone period holding u ends, after u, or zero
// when it does not end. It is ZoneBounds' end, except that ZoneBounds, for
// a zone whose later rules are kept as a rule, can answer u itself (at the
// end of a leap year: "2028-12-30 19:00 EST" for New York); then a moment
// later is asked, taking any transition between.
func zoneEnd(u time.Time) time.Time {
	_, e := u.ZoneBounds()
	for _, d := range []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour} {
		if e.IsZero() || e.After(u) {
			return e
		}
		s, pe := u.Add(d).ZoneBounds()
		if s.After(u) {
			return s // a transition after u, before the moment asked
		}
		e = pe
	}
	if e.After(u) {
		return e
	}
	return time.Time{}
}

// formatUTCOffset formats an offset east of UTC in seconds as an iCalendar
// UTC-OFFSET: +HHMM, or +HHMMSS when it has seconds (as local mean times do).
func formatUTCOffset(sec int) string {
	sign := byte('+')
	if sec < 0 {
		sign, sec = '-', -sec
	}
	b := []byte{sign}
	two := func(n int) {
		b = append(b, byte('0'+n/10), byte('0'+n%10))
	}
	two(sec / 3600)
	two(sec / 60 % 60)
	if s := sec % 60; s != 0 {
		two(s)
	}
	return string(b)
}

// formatICalDuration formats d, at least one minute, as an iCalendar DURATION
// in whole hours, minutes or seconds.
func formatICalDuration(d time.Duration) string {
	if d < time.Minute {
		d = time.Minute
	}
	switch {
	case d%time.Hour == 0:
		return "PT" + strconv.FormatInt(int64(d/time.Hour), 10) + "H"
	case d%time.Minute == 0:
		return "PT" + strconv.FormatInt(int64(d/time.Minute), 10) + "M"
	}
	return "PT" + strconv.FormatInt(int64(d/time.Second), 10) + "S"
}
