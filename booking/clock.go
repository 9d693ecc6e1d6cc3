package booking

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar day in the clinic's time zone, counted in days since
// 1970-01-01. Subtracting two Dates gives the gap in days as docs/protocols.md
// counts it: Monday to Wednesday is 2, whatever the hours.
type Date int32

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return 0, Errorf(EINVALID, "%q is not a date; write it as YYYY-MM-DD, for example 2027-03-15.", Clip(s, 40))
	}
	return DateOf(t), nil
}

// Civil returns the year, month and day.
func (d Date) Civil() (int, time.Month, int) {
	return time.Unix(int64(d)*86400, 0).UTC().Date()
}

// At returns the instant of clock time c on day d in loc. Wall-clock times
// stay put across daylight-saving changes.
func (d Date) At(c Clock, loc *time.Location) time.Time {
	y, m, dd := d.Civil()
	return time.Date(y, m, dd, int(c)/60, int(c)%60, 0, 0, loc)
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return time.Weekday((int(d) + 4) % 7) }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	y, m, dd := d.Civil()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	*d = v
	return err
}

// Clock is a time of day in minutes after midnight, 0 to 1440.
type Clock int

// ParseClock parses HH:MM (24-hour); "24:00" is the end of the day.
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 1440 {
		return 0, Errorf(EINVALID, "%q is not a time of day; write it as HH:MM, for example 09:30.", Clip(s, 40))
	}
	return Clock(hh*60 + mm), nil
}

// ClockOf returns the time of day of t in t's location.
func ClockOf(t time.Time) Clock { return Clock(t.Hour()*60 + t.Minute()) }

// String formats the clock as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// MarshalText implements encoding.TextMarshaler.
func (c Clock) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Clock) UnmarshalText(b []byte) error {
	v, err := ParseClock(string(b))
	*c = v
	return err
}

// Span is a daily period from Start to End, as in opening or working hours.
type Span struct {
	Start, End Clock
}

// ParseSpan parses "HH:MM-HH:MM".
func ParseSpan(s string) (Span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Span{}, Errorf(EINVALID, "%q is not a period of the day; write it as 08:00-18:00.", Clip(s, 40))
	}
	start, err := ParseClock(a)
	if err != nil {
		return Span{}, err
	}
	end, err := ParseClock(b)
	if err != nil {
		return Span{}, err
	}
	if end <= start {
		return Span{}, Errorf(EINVALID, "The period %s ends before it starts.", Clip(s, 40))
	}
	return Span{start, end}, nil
}

// String formats the span as HH:MM-HH:MM.
func (s Span) String() string { return s.Start.String() + "-" + s.End.String() }

// MarshalText implements encoding.TextMarshaler.
func (s Span) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Span) UnmarshalText(b []byte) error {
	v, err := ParseSpan(string(b))
	*s = v
	return err
}

// WeeklyHours lists the periods of each weekday, keyed "mon" to "sun".
// A weekday that is missing or empty is closed (or a day off).
type WeeklyHours map[string][]Span

// WeekdayName is one day of the week in each form kapbook stores or
// shows: Key is what the database and JSON hold ("mon"), Short and Long
// are for people ("Mon", "Monday").
type WeekdayName struct {
	Day   time.Weekday
	Key   string
	Short string
	Long  string
}

// Week lists the weekdays from Monday, as a clinic's week reads. It is the
// one weekday table: keys, labels and parsing all come from it.
var Week = [7]WeekdayName{
	{time.Monday, "mon", "Mon", "Monday"},
	{time.Tuesday, "tue", "Tue", "Tuesday"},
	{time.Wednesday, "wed", "Wed", "Wednesday"},
	{time.Thursday, "thu", "Thu", "Thursday"},
	{time.Friday, "fri", "Fri", "Friday"},
	{time.Saturday, "sat", "Sat", "Saturday"},
	{time.Sunday, "sun", "Sun", "Sunday"},
}

// WeekdayOf returns the names of weekday d.
func WeekdayOf(d time.Weekday) WeekdayName { return Week[(d+6)%7] }

// WeekdayKey returns the short key ("mon") of a weekday.
func WeekdayKey(d time.Weekday) string { return WeekdayOf(d).Key }

// ParseWeekday parses "mon", "monday", "Mon" and the like.
func ParseWeekday(s string) (time.Weekday, error) {
	s = strings.TrimSpace(s)
	for _, w := range Week {
		if strings.EqualFold(s, w.Key) || strings.EqualFold(s, w.Long) {
			return w.Day, nil
		}
	}
	return 0, Errorf(EINVALID, "%q is not a weekday; use mon, tue, wed, thu, fri, sat or sun.", Clip(s, 20))
}

// On returns the periods of weekday d.
func (w WeeklyHours) On(d time.Weekday) []Span { return w[WeekdayKey(d)] }

// Contains reports whether [start,end) on weekday d lies within one period.
func (w WeeklyHours) Contains(d time.Weekday, start, end Clock) bool {
	for _, s := range w.On(d) {
		if start >= s.Start && end <= s.End {
			return true
		}
	}
	return false
}

// Open reports whether any weekday has a period.
func (w WeeklyHours) Open() bool {
	for _, spans := range w {
		if len(spans) > 0 {
			return true
		}
	}
	return false
}

// Validate checks keys, order and overlap of the periods.
func (w WeeklyHours) Validate(what string) error {
	for k, spans := range w {
		if _, err := ParseWeekday(k); err != nil || len(k) != 3 {
			return Errorf(EINVALID, "%s: %q is not a weekday key; use mon, tue, wed, thu, fri, sat or sun.", what, Clip(k, 20))
		}
		for i, s := range spans {
			if s.End <= s.Start || s.End > 1440 {
				return Errorf(EINVALID, "%s: the period %s on %s ends before it starts.", what, s, k)
			}
			if i > 0 && s.Start < spans[i-1].End {
				return Errorf(EINVALID, "%s: the periods on %s overlap or are out of order.", what, k)
			}
		}
	}
	return nil
}

// Interval is a span of time between two instants, end excluded.
type Interval struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason,omitempty"`
}

// UnmarshalJSON reads an interval whose start and end are RFC 3339 times,
// and says in words how to write one that is not.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var raw struct {
		Start  string `json:"start"`
		End    string `json:"end"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, x := range []struct {
		s   string
		dst *time.Time
	}{{raw.Start, &iv.Start}, {raw.End, &iv.End}} {
		if x.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(x.s))
		if err != nil {
			return Errorf(EINVALID, "%q is not a time; write the date, the time and the offset from UTC, such as 2027-01-05T09:00:00-05:00 (a whole day: from 00:00 to 00:00 the next day)", Clip(x.s, 40))
		}
		*x.dst = t
	}
	iv.Reason = raw.Reason
	return nil
}

// Overlaps reports whether the interval overlaps [start,end).
func (iv Interval) Overlaps(start, end time.Time) bool {
	return iv.Start.Before(end) && start.Before(iv.End)
}

// Validate checks that the interval ends after it starts.
func (iv Interval) Validate(what string) error {
	if iv.Start.IsZero() || iv.End.IsZero() {
		return Errorf(EINVALID, "%s needs both a start and an end.", what)
	}
	if !iv.End.After(iv.Start) {
		return Errorf(EINVALID, "%s ends before it starts.", what)
	}
	return checkText(what+" reason", iv.Reason, 500, false)
}

// Clip shortens s to at most n characters and an ellipsis, for quoting
// what someone typed in a message. Every package quotes through it.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// OneLine puts s on one line: runs of spaces, tabs and line breaks become
// one space, and the ends are trimmed.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
