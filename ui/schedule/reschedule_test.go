package schedule

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
)

// TestReschedule_CheckedAsTyped: the typed time is checked as it is typed,
// with the booking service's own rules, before Move is pressed; nothing is
// stored, queued or audited by the check.
func TestReschedule_CheckedAsTyped(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 3/6")
	day := booking.DateOf(a.Start.In(loc(t, f)))
	v.ShowDay(day)
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	rs.choices.SetSelected(otherTime)
	test.Type(rs.date, day.String())
	if got := rs.verdict.Text; !strings.Contains(got, "YYYY-MM-DD") {
		t.Fatalf("verdict=%q before a time is typed, want the format asked for", got)
	}
	test.Type(rs.clock, "15:30")
	if got := rs.verdict.Text; !strings.Contains(got, "breaks a rule") || !strings.Contains(got, "ends 18:30, after the latest end 18:00") ||
		!strings.Contains(got, "Type a reason") {
		t.Fatalf("verdict=%q while typing, want the latest end named and a reason asked for", got)
	}
	test.Type(rs.override, "only afternoons")
	if got := rs.verdict.Text; !strings.Contains(got, "booked anyway") {
		t.Fatalf("verdict=%q with a reason, want it to say it is booked anyway", got)
	}
	// Back to the appointment's own time of day: it keeps every rule.
	rs.override.SetText("")
	rs.clock.SetText(a.Start.In(loc(t, f)).Format("15:04"))
	if got := rs.verdict.Text; !strings.HasSuffix(got, "keeps every rule.") {
		t.Fatalf("verdict=%q at its own time, want it to keep every rule", got)
	}
	if got := stored(t, f, a.ID); !got.Start.Equal(a.Start) {
		t.Fatalf("checking moved it to %v", got.Start)
	}
	audit, err := f.DB.Audit(context.Background(), booking.AuditFilter{PatientID: a.PatientID, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range audit {
		if e.Action == "override" || e.Action == "reschedule" {
			t.Fatalf("checking left an audit entry %q", e.Action)
		}
	}
}

// TestReschedule_MoreTimes: More times… asks the planner for a longer
// list and adds the new times, keeping those shown; when the series'
// window holds no more, it says so and turns off.
func TestReschedule_MoreTimes(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Preparation 1/2")
	v.ShowDay(booking.DateOf(a.Start.In(loc(t, f))))
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	before := append([]string(nil), rs.choices.Options...)
	test.Tap(rs.more)
	after := rs.choices.Options
	if len(after) <= len(before) {
		t.Fatalf("%d choices after More times…, want more than %d", len(after), len(before))
	}
	for _, o := range before {
		if !containsString(after, o) {
			t.Fatalf("%q gone after More times…", o)
		}
	}
	if after[len(after)-1] != otherTime {
		t.Fatalf("last choice %q, want %q", after[len(after)-1], otherTime)
	}
	if !strings.Contains(rs.more.Text, "added") {
		t.Fatalf("More times… reads %q, want how many were added", rs.more.Text)
	}
	// A new one can be chosen and moved to.
	var added string
	for _, o := range after[:len(after)-1] {
		if !containsString(before, o) {
			added = o
			break
		}
	}
	rs.choices.SetSelected(added)
	test.Tap(rs.move)
	if got := stored(t, f, a.ID); !got.Start.Equal(rs.starts[added]) {
		t.Fatalf("stored start %v, want %v (%q)", got.Start, rs.starts[added], added)
	}
}

func TestReschedule_NoMoreTimes(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 2, "Dosing 2/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	n := len(rs.choices.Options)
	test.Tap(rs.more)
	if len(rs.choices.Options) != n || !rs.more.Disabled() || rs.more.Text != "No more times" {
		t.Fatalf("choices %d (was %d), button %q disabled=%v; want the same list and No more times, off",
			len(rs.choices.Options), n, rs.more.Text, rs.more.Disabled())
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
