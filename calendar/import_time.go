package calendar

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The importer works in two kinds of int64 seconds: instants (Unix time)
// and wall-clock ("civil") times, counted as if the wall clock were UTC.
// Recurrence rules are expanded on the wall clock, as RFC 5545 asks, and
// each instance is then placed on the time line in its zone.

const daySecs = 86400

// tzone gives the UTC offset in effect at an instant.
type tzone interface {
	// offset returns the offset east of UTC, in seconds, at instant u.
	offset(u int64) int64
}

// goZone is a zone from Go's time zone database.
type goZone struct{ loc *time.Location }

func (z goZone) offset(u int64) int64 {
	_, off := time.Unix(u, 0).In(z.loc).Zone()
	return int64(off)
}

// fixedZone is a constant offset; fixedZone(0) is UTC.
type fixedZone int64

func (z fixedZone) offset(int64) int64 { return int64(z) }

// ruleZone is a zone built from a VTIMEZONE: its offset changes at the
// onsets of its STANDARD and DAYLIGHT observances.
type ruleZone struct {
	trans []zoneTransition // sorted by at
}

type zoneTransition struct {
	at       int64 // instant of the onset
	from, to int64 // offsets before and after
}

func (z *ruleZone) offset(u int64) int64 {
	i := sort.Search(len(z.trans), func(i int) bool { return z.trans[i].at > u })
	if i == 0 {
		return z.trans[0].from
	}
	return z.trans[i-1].to
}

// toInstant places wall-clock time c of zone z on the time line. A time
// that occurs twice (when clocks go back) is the first of the two; a time
// that does not occur (when clocks go forward) is read with the offset in
// effect before the gap, so 02:30 on a spring-forward night is 03:30 new
// time (RFC 5545 section 3.3.5).
func toInstant(c int64, z tzone) int64 {
	// Offsets are less than a day, so the instant lies within a day of c;
	// assume at most one change of offset within two days.
	before, after := z.offset(c-daySecs), z.offset(c+daySecs)
	u1, u2 := c-before, c-after
	ok1, ok2 := z.offset(u1) == before, z.offset(u2) == after
	switch {
	case ok1 && ok2:
		return min(u1, u2)
	case ok2:
		return u2
	default:
		return u1
	}
}

// toCivil returns the wall-clock time of instant u in zone z.
func toCivil(u int64, z tzone) int64 { return u + z.offset(u) }

// civilDate returns midnight of the day of wall-clock time c.
func civilDate(c int64) int64 { return floorDivInt(c, daySecs) * daySecs }

func floorDivInt(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// civilTime returns the wall-clock time as a time.Time in UTC, the form
// rrule-go expands.
func civilTime(c int64) time.Time { return time.Unix(c, 0).UTC() }

// icsValue is a DATE or DATE-TIME value as written: wall-clock seconds,
// whether it is a date, and whether it ends in Z (UTC).
type icsValue struct {
	civil int64
	date  bool
	utc   bool
}

// parseICSDateTime parses a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS,
// with Z for UTC) value. It also accepts YYYYMMDDZ as a date, which Google
// Calendar writes in RDATE.
func parseICSDateTime(s string) (icsValue, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	bad := func() (icsValue, error) {
		return icsValue{}, fmt.Errorf("%q is not a date (YYYYMMDD) or a date and time (YYYYMMDDTHHMMSS)", impClip(s))
	}
	var v icsValue
	switch {
	case len(s) == 8, len(s) == 9 && s[8] == 'Z':
		v.date = true
	case len(s) == 15 && s[8] == 'T':
	case len(s) == 16 && s[8] == 'T' && s[15] == 'Z':
		v.utc = true
	default:
		return bad()
	}
	num := func(i, n int) int {
		x := 0
		for _, c := range s[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			x = x*10 + int(c-'0')
		}
		return x
	}
	y, mo, d := num(0, 4), num(4, 2), num(6, 2)
	h, mi, sec := 0, 0, 0
	if !v.date {
		h, mi, sec = num(9, 2), num(11, 2), num(13, 2)
	}
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > monthDays(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 {
		return bad()
	}
	sec = min(sec, 59) // a leap second
	v.civil = time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Unix()
	return v, nil
}

func monthDays(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// icsDuration is a DURATION value: nominal days (weeks count as 7 days),
// which keep the wall-clock time across a daylight-saving change, and
// exact seconds (RFC 5545 section 3.3.6).
type icsDuration struct {
	days int64
	secs int64
}

// maxDurationDays bounds a duration, so that no arithmetic can overflow.
const maxDurationDays = 100 * 366

// parseICSDuration parses a DURATION value such as P1D, PT1H30M or P2W. It
// returns neg for a negative duration.
func parseICSDuration(s string) (d icsDuration, neg bool, err error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	bad := fmt.Errorf("%q is not a duration such as PT1H30M, P1D or P1W", impClip(orig))
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return d, false, bad
	}
	s = s[1:]
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			if inTime || len(s) == 1 {
				return d, false, bad
			}
			inTime, s = true, s[1:]
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return d, false, bad
		}
		n, _ := strconv.ParseInt(s[:i], 10, 64)
		unit := s[i]
		s = s[i+1:]
		switch {
		case !inTime && unit == 'W':
			d.days += 7 * n
		case !inTime && unit == 'D':
			d.days += n
		case inTime && unit == 'H':
			d.secs += 3600 * n
		case inTime && unit == 'M':
			d.secs += 60 * n
		case inTime && unit == 'S':
			d.secs += n
		default:
			return d, false, bad
		}
		if d.days+d.secs/daySecs > maxDurationDays {
			return d, false, fmt.Errorf("the duration %q is longer than 100 years", impClip(orig))
		}
	}
	return d, neg, nil
}

// parseICSOffset parses a UTC offset such as -0500 or +053000 (TZOFFSETFROM,
// TZOFFSETTO). -0000 is read as UTC.
func parseICSOffset(s string) (int64, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a UTC offset such as -0500 or +0100", impClip(s))
	if len(s) != 5 && len(s) != 7 || s[0] != '+' && s[0] != '-' {
		return 0, bad
	}
	var parts [3]int64
	for i := 0; i < (len(s)-1)/2; i++ {
		n, err := strconv.ParseUint(s[1+2*i:3+2*i], 10, 8)
		if err != nil {
			return 0, bad
		}
		parts[i] = int64(n)
	}
	if parts[0] > 23 || parts[1] > 59 || parts[2] > 59 {
		return 0, bad
	}
	off := parts[0]*3600 + parts[1]*60 + parts[2]
	if s[0] == '-' {
		off = -off
	}
	return off, nil
}

// ianaCache remembers the zones found in Go's time zone database. Names
// not found are not remembered: a hostile calendar could make up any
// number of them.
var ianaCache sync.Map // string -> *time.Location

// ianaZone returns Go's zone of an IANA name such as America/New_York.
func ianaZone(name string) (*time.Location, bool) {
	if name == "" || len(name) > 80 || name == "Local" || name[0] == '/' || strings.Contains(name, "..") {
		return nil, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("/_+-", c) >= 0) {
			return nil, false
		}
	}
	if v, ok := ianaCache.Load(name); ok {
		return v.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	ianaCache.Store(name, loc)
	return loc, true
}

// knownZone finds a TZID in Go's time zone database: an IANA name, the
// same behind a publisher's prefix (/mozilla.org/20050126_1/America/New_York,
// /freeassociation.sourceforge.net/Tzfile/Europe/Berlin), or a Windows name
// such as "Eastern Standard Time".
func knownZone(tzid string) (*time.Location, bool) {
	tzid = strings.TrimSpace(tzid)
	if loc, ok := ianaZone(tzid); ok {
		return loc, true
	}
	if strings.HasPrefix(tzid, "/") {
		parts := strings.Split(strings.Trim(tzid, "/"), "/")
		for n := min(3, len(parts)); n >= 1; n-- {
			if loc, ok := ianaZone(strings.Join(parts[len(parts)-n:], "/")); ok {
				return loc, true
			}
		}
	}
	if name, ok := WindowsZone(tzid); ok {
		return ianaZone(name)
	}
	return nil, false
}
