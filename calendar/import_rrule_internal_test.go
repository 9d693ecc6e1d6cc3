package calendar

import (
	"testing"
	"time"
)

// TestCalendarShift_KeepsEveryDate checks the shift that keeps rrule-go's
// walk to the year 9999 short: every day of the years it moves must keep
// its month, day and weekday, or recurring events would land on wrong days.
func TestCalendarShift_KeepsEveryDate(t *testing.T) {
	for _, r := range [][2]int{{2026, 2028}, {2027, 2047}, {2090, 2110}, {1990, 2028}, {1, 2028}, {1601, 2030}, {9000, 9990}} {
		shift := calendarShift(r[0], r[1])
		// Within 2001-2099 a near shift exists; across 2100 only a 400-year cycle.
		within := 400
		if r[0] > 2000 && r[1] < 2099 {
			within = 60
		}
		if moved := civilTime(time.Date(r[1], 12, 31, 0, 0, 0, 0, time.UTC).Unix() + shift).Year(); r[1] < 9000 && (moved < rruleLastYear-within || moved > rruleLastYear-rruleShiftReserve) {
			t.Fatalf("years %d-%d: the last moves to %d, want within %d years below %d", r[0], r[1], moved, within, rruleLastYear)
		}
		for d := time.Date(r[0], 1, 1, 12, 0, 0, 0, time.UTC); d.Year() <= r[1]+1; d = d.AddDate(0, 0, 1) {
			m := civilTime(d.Unix() + shift)
			if m.Month() != d.Month() || m.Day() != d.Day() || m.Weekday() != d.Weekday() || m.Hour() != 12 {
				t.Fatalf("years %d-%d: %s moves to %s", r[0], r[1], d.Format("Mon 2006-01-02"), m.Format("Mon 2006-01-02 15:04"))
			}
		}
	}
}
