package kit

import (
	"time"

	"github.com/kapbook/kapbook/booking"
)

// The one way kapbook writes dates and times for people: the weekday, the
// day, the month's short name and the year ("Mon 1 Mar 2027"), and a
// 24-hour clock ("09:30"). Typed dates and times stay ISO
// ("2027-03-10 17:00"), which is unambiguous to type.
const (
	DateLayout     = "Mon 2 Jan 2006"
	ClockLayout    = "15:04"
	DateTimeLayout = DateLayout + " " + ClockLayout
)

// Date writes t's day, e.g. "Mon 1 Mar 2027" (t in the zone it should
// be read in: usually the clinic's).
func Date(t time.Time) string { return t.Format(DateLayout) }

// Clock writes t's time of day, e.g. "09:30".
func Clock(t time.Time) string { return t.Format(ClockLayout) }

// DateTime writes t's day and time, e.g. "Mon 1 Mar 2027 09:30".
func DateTime(t time.Time) string { return t.Format(DateTimeLayout) }

// Day writes a calendar day, e.g. "Mon 1 Mar 2027".
func Day(d booking.Date) string { return Date(d.At(0, time.UTC)) }
