package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestWeek: the one weekday table names every day once, from Monday, and
// parsing reads back each of its forms.
func TestWeek(t *testing.T) {
	seen := map[time.Weekday]bool{}
	for i, w := range booking.Week {
		if i == 0 && w.Day != time.Monday {
			t.Fatalf("the week starts on %s, want Monday", w.Day)
		}
		if seen[w.Day] {
			t.Fatalf("%s twice in the week", w.Day)
		}
		seen[w.Day] = true
		if w.Long != w.Day.String() || w.Short != w.Long[:3] {
			t.Errorf("%s: names %q/%q", w.Day, w.Short, w.Long)
		}
		if got := booking.WeekdayKey(w.Day); got != w.Key {
			t.Errorf("WeekdayKey(%s) = %q, want %q", w.Day, got, w.Key)
		}
		for _, s := range []string{w.Key, w.Short, w.Long, " " + w.Long + " ", strings.ToLower(w.Long)} {
			d, err := booking.ParseWeekday(s)
			if err != nil || d != w.Day {
				t.Errorf("ParseWeekday(%q) = %s, %v; want %s", s, d, err, w.Day)
			}
		}
	}
	for _, bad := range []string{"", "mo", "mondays", "lundi"} {
		if _, err := booking.ParseWeekday(bad); booking.ErrorCode(err) != booking.EINVALID {
			t.Errorf("ParseWeekday(%q): %v, want EINVALID", bad, err)
		}
	}
}
