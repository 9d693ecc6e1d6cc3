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
	for {
		start, end := t.ZoneBounds()
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
