package schedule

import (
	"context"
	"strings"
	"testing"
	"time"

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
	if got := rs.verdict.Text; !strings.Contains(got, "cannot be at") || !strings.Contains(got, "ends 18:30, after the latest end 18:00") ||
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

// TestReschedule_NoMoreTimes: More times… keeps adding the nearest
// times of the days the rules allow, more than one a day, until the
// window holds no more; then it says so, turns off and changes nothing.
func TestReschedule_NoMoreTimes(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 2, "Dosing 2/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	first := len(rs.choices.Options)
	days := map[booking.Date]int{}
	for taps := 1; rs.more.Text != "No more times"; taps++ {
		if taps > 40 {
			t.Fatalf("More times… still adds after %d taps (%d choices)", taps, len(rs.choices.Options))
		}
		n := len(rs.choices.Options)
		test.Tap(rs.more)
		if rs.more.Text == "No more times" && len(rs.choices.Options) != n {
			t.Fatalf("the tap that found no more times changed the list from %d to %d", n, len(rs.choices.Options))
		}
	}
	if !rs.more.Disabled() || len(rs.choices.Options) <= first {
		t.Fatalf("after the last time: button disabled=%v, %d choices (first %d)", rs.more.Disabled(), len(rs.choices.Options), first)
	}
	for _, o := range rs.choices.Options {
		if s, ok := rs.starts[o]; ok {
			days[booking.DateOf(s.In(loc(t, f)))]++
		}
	}
	most := 0
	for _, n := range days {
		most = max(most, n)
	}
	if most < 2 {
		t.Fatalf("every day offers one time only (%d days); want the nearest few of each", len(days))
	}
}

// TestReschedule_CheckWaitsForTyping: off the test's inline mode, the
// check waits until typing rests and runs off the UI goroutine; only the
// last time typed is answered.
func TestReschedule_CheckWaitsForTyping(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 3/6")
	day := booking.DateOf(a.Start.In(loc(t, f)))
	v.ShowDay(day)
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	f.Env.Inline = false
	rs.choices.SetSelected(otherTime)
	test.Type(rs.date, day.String())
	rs.clock.SetText("15:00")
	if got := rs.verdict.Text; got != "Checking…" {
		t.Fatalf("verdict=%q while typing, want Checking…", got)
	}
	rs.clock.SetText("15:30")
	// The check starts once typing rests (checkDelay); Wait then waits for
	// it to answer. The label is read only after Wait, as the answer is
	// written on the check's goroutine in the test driver.
	time.Sleep(3 * checkDelay)
	f.Env.Wait()
	if got := rs.verdict.Text; !strings.Contains(got, "cannot be at Mon 15 Mar 2027 15:30") {
		t.Fatalf("verdict=%q once typing rested, want 15:30 checked", got)
	}
}

// TestBlock_NoShowSaysSoFirst: a no-show's block says so on its first line.
func TestBlock_NoShowSaysSoFirst(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 2/6")
	at := a.Start.Add(30 * time.Minute)
	f.Env.Now = func() time.Time { return at }
	f.Env.Service.Now = f.Env.Now
	if _, err := f.Env.Service.SetStatus(context.Background(), a.ID, booking.NoShow); err != nil {
		t.Fatal(err)
	}
	v.Refresh()
	v.ShowDay(booking.DateOf(a.Start.In(loc(t, f))))
	if got := v.grid.texts[a.ID]; len(got) < 3 || got[0] != "No-show" || got[2] != "Dosing 2/6" {
		t.Fatalf("no-show block text=%q, want No-show first", got)
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
