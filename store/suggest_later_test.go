package store

import (
	"context"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestSuggest_Later: a dosing session pinned between two integrations has
// almost no time that keeps every neighbour, so Suggest also offers times
// at which it fits when the later appointments move along, and Reschedule
// with shiftLater takes one of them, keeping every rule.
func TestSuggest_Later(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	sr, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: booking.DateOf(now) + 1})
	if err != nil {
		t.Fatal(err)
	}
	var dosing2 *booking.Appointment
	for _, a := range sr.Appts {
		if a.Kind == "dosing" && a.Index == 2 {
			dosing2 = a
		}
	}
	sg, err := svc.Suggest(ctx, dosing2.ID, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.Later) == 0 {
		t.Fatalf("no later-moving times offered (alternatives=%d)", len(sg.Alternatives))
	}
	loc := dosing2.Start.Location()
	week := func(t time.Time) int { _, w := t.In(loc).ISOWeek(); return w }
	var nextWeek *booking.Appointment
	for _, a := range sg.Later {
		for _, b := range sg.Alternatives {
			if a.Start.Equal(b.Start) {
				t.Errorf("%s is offered both ways", a.Start)
			}
		}
		if week(a.Start) > week(dosing2.Start) && nextWeek == nil {
			nextWeek = a
		}
	}
	if nextWeek == nil {
		t.Fatalf("no later time in another week: %d offered", len(sg.Later))
	}

	changed, err := svc.Reschedule(ctx, dosing2.ID, nextWeek.Start, true)
	if err != nil {
		t.Fatalf("moving to an offered time: %v", err)
	}
	if len(changed) < 2 {
		t.Fatalf("changed=%d, want the dosing and the later appointments", len(changed))
	}
	got, err := db.Series(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(got.Appts); i++ {
		if got.Appts[i].Start.Before(got.Appts[i-1].End) {
			t.Errorf("%s starts before %s ends", got.Appts[i].Label(), got.Appts[i-1].Label())
		}
	}
	for _, a := range got.Appts {
		if a.ID == dosing2.ID && !a.Start.Equal(nextWeek.Start) {
			t.Errorf("dosing 2 at %s, want %s", a.Start, nextWeek.Start)
		}
	}
}
