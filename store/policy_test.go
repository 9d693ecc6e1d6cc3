package store

import (
	"context"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// wantDue is when a message before start is due under quiet hours qs to qe
// (minutes after midnight, clinic time, wrapping past midnight): start
// minus before, moved to the end of the quiet hours it falls in, or to the
// minute before they began when that end is not before start.
func wantDue(start time.Time, before time.Duration, qs, qe int, loc *time.Location) time.Time {
	t := start.Add(-before).In(loc)
	c := t.Hour()*60 + t.Minute()
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	at := func(day time.Time, m int) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, loc)
	}
	var qStart, qEnd time.Time
	switch {
	case c >= qs:
		qStart, qEnd = at(midnight, qs), at(midnight.AddDate(0, 0, 1), qe)
	case c < qe:
		qStart, qEnd = at(midnight.AddDate(0, 0, -1), qs), at(midnight, qe)
	default:
		return t
	}
	if qEnd.Before(start) {
		return qEnd
	}
	return qStart.Add(-time.Minute)
}

// A clinic's own message policy, stored with the clinic, decides when new
// reminders and preparation messages are due: other lead times, other
// kinds, other quiet hours; a zero lead time queues none; and resetting it
// brings the defaults back for the next booking.
func TestMessagePolicy_ClinicSettings(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	loc := mustLoc(t, "America/New_York")
	from, _ := booking.ParseDate("2027-03-01")

	hours := func(n int) *int { return &n }
	clock := func(s string) *booking.Clock {
		c, err := booking.ParseClock(s)
		if err != nil {
			t.Fatal(err)
		}
		return &c
	}
	own := &booking.MessageSettings{ReminderHours: hours(72), PreparationHours: hours(12), PreparationKinds: []booking.Kind{"dosing", "integration"},
		QuietStart: clock("22:00"), QuietEnd: clock("07:30")}
	if err := svc.SetMessagePolicy(ctx, own); err != nil {
		t.Fatal(err)
	}
	c, err := db.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Messages == nil || *c.Messages.ReminderHours != 72 || *c.Messages.QuietEnd != 7*60+30 {
		t.Fatalf("stored policy=%+v, want the clinic's own", c.Messages)
	}

	s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from, TherapistID: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, by := outboxOf(t, db, booking.OutboxFilter{PatientID: p.ID, SeriesID: s.ID})
	reminders, preparations := map[int64]*booking.OutboxMessage{}, map[int64]*booking.OutboxMessage{}
	for _, m := range by["reminder/pending"] {
		reminders[m.AppointmentID] = m
	}
	for _, m := range by["preparation/pending"] {
		preparations[m.AppointmentID] = m
	}
	if len(reminders) != 15 || len(preparations) != 12 {
		t.Fatalf("reminders=%d preparations=%d, want 15 and 12 (6 dosing, 6 integration)", len(reminders), len(preparations))
	}
	differs := 0
	for _, a := range s.Appts {
		r := reminders[a.ID]
		if want := wantDue(a.Start, 72*time.Hour, 22*60, 7*60+30, loc); r == nil || !r.Due.Equal(want) {
			t.Fatalf("reminder of %s %d at %v: %v, want due %v", a.Kind, a.Index, a.Start.In(loc), r, want.In(loc))
		}
		if def := wantDue(a.Start, 48*time.Hour, 21*60, 8*60, loc); !reminders[a.ID].Due.Equal(def) {
			differs++
		}
		pm := preparations[a.ID]
		if a.Kind != "dosing" && a.Kind != "integration" {
			if pm != nil {
				t.Fatalf("a preparation message for %s %d, want none", a.Kind, a.Index)
			}
			continue
		}
		if want := wantDue(a.Start, 12*time.Hour, 22*60, 7*60+30, loc); pm == nil || !pm.Due.Equal(want) {
			t.Fatalf("preparation of %s %d at %v: %v, want due %v", a.Kind, a.Index, a.Start.In(loc), pm, want.In(loc))
		}
	}
	if differs != len(s.Appts) {
		t.Fatalf("%d of %d reminders are due as the default policy would have them", len(s.Appts)-differs, len(s.Appts))
	}

	// A move re-times the appointment's messages by the clinic's policy.
	a := s.Appts[len(s.Appts)-1]
	to := a.Start.AddDate(0, 0, 1)
	if _, err := svc.Reschedule(ctx, a.ID, to, false); err != nil {
		t.Fatal(err)
	}
	_, by = outboxOf(t, db, booking.OutboxFilter{AppointmentID: a.ID, State: booking.OutboxPending})
	if r := by["reminder/pending"]; len(r) != 1 || !r[0].Due.Equal(wantDue(to, 72*time.Hour, 22*60, 7*60+30, loc)) {
		t.Fatalf("moved reminder=%v, want one due %v", r, wantDue(to, 72*time.Hour, 22*60, 7*60+30, loc).In(loc))
	}

	// No reminders at all, and back to the defaults.
	if err := svc.SetMessagePolicy(ctx, &booking.MessageSettings{ReminderHours: hours(0)}); err != nil {
		t.Fatal(err)
	}
	q := &booking.Patient{Name: "Sam Lee", Email: "sam@example.org"}
	if err := svc.AddPatient(ctx, q); err != nil {
		t.Fatal(err)
	}
	s2, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: q.ID, ProtocolID: "kap-iv", From: from})
	if err != nil {
		t.Fatal(err)
	}
	_, by = outboxOf(t, db, booking.OutboxFilter{SeriesID: s2.ID})
	if len(by["reminder/pending"]) != 0 || len(by["preparation/pending"]) == 0 {
		t.Fatalf("outbox=%v with reminders off, want preparation messages and no reminder", counts(by))
	}
	if err := svc.SetMessagePolicy(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(ctx, booking.CancelRequest{SeriesID: s2.ID, By: booking.ByPatient, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	s3, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: q.ID, ProtocolID: "kap-iv", From: from})
	if err != nil {
		t.Fatal(err)
	}
	_, by = outboxOf(t, db, booking.OutboxFilter{SeriesID: s3.ID, State: booking.OutboxPending})
	if len(by["reminder/pending"]) != len(s3.Appts) {
		t.Fatalf("reminders=%d after reset, want %d", len(by["reminder/pending"]), len(s3.Appts))
	}
	for _, m := range by["reminder/pending"] {
		for _, a := range s3.Appts {
			if a.ID == m.AppointmentID && !m.Due.Equal(wantDue(a.Start, 48*time.Hour, 21*60, 8*60, loc)) {
				t.Fatalf("reminder after reset due %v, want the default %v", m.Due.In(loc), wantDue(a.Start, 48*time.Hour, 21*60, 8*60, loc).In(loc))
			}
		}
	}
}

// Invalid settings are refused in words and change nothing.
func TestMessagePolicy_Invalid(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, _ := demoWithPatient(t, now)
	n, big := -1, 400
	c := booking.Clock(21 * 60)
	for name, m := range map[string]*booking.MessageSettings{
		"ErrNegative":  {ReminderHours: &n},
		"ErrTooLong":   {PreparationHours: &big},
		"ErrKind":      {PreparationKinds: []booking.Kind{"Dosing Room"}},
		"ErrHalfQuiet": {QuietStart: &c},
	} {
		t.Run(name, func(t *testing.T) {
			err := svc.SetMessagePolicy(ctx, m)
			if booking.ErrorCode(err) != booking.EINVALID || booking.ErrorMessage(err) == "Internal error." {
				t.Fatalf("SetMessagePolicy=%v, want EINVALID in words", err)
			}
			cl, err := db.Clinic(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cl.Messages != nil {
				t.Fatalf("stored %+v after a refused change", cl.Messages)
			}
		})
	}
}

// OutboxFilter.ID selects one message, with the other filters still
// applying; an unknown id selects none.
func TestOutbox_FilterByID(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	from, _ := booking.ParseDate("2027-03-01")
	if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from}); err != nil {
		t.Fatal(err)
	}
	all, _ := outboxOf(t, db, booking.OutboxFilter{})
	if len(all) < 3 {
		t.Fatalf("outbox=%d messages", len(all))
	}
	want := all[2]
	got, _ := outboxOf(t, db, booking.OutboxFilter{ID: want.ID})
	if len(got) != 1 || got[0].ID != want.ID || got[0].Kind != want.Kind || !got[0].Due.Equal(want.Due) {
		t.Fatalf("ID %d: %+v, want %+v", want.ID, got, want)
	}
	if got, _ := outboxOf(t, db, booking.OutboxFilter{ID: want.ID, State: booking.OutboxSent}); len(got) != 0 {
		t.Fatalf("ID %d and state sent: %d messages, want none", want.ID, len(got))
	}
	if got, _ := outboxOf(t, db, booking.OutboxFilter{ID: all[len(all)-1].ID + 100}); len(got) != 0 {
		t.Fatalf("unknown id: %d messages", len(got))
	}
}
