package store

import (
	"context"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// An ad-hoc appointment (one step of a protocol, outside a course) is
// planned with that step's rules, stored, and can be moved like any other.
func TestAdHocAppointment(t *testing.T) {
	ctx := context.Background()
	db, svc, p := demoWithPatient(t, time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC))
	from, _ := booking.ParseDate("2027-03-01")
	s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", Step: "dosing", From: from, TherapistID: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Appts) != 1 {
		t.Fatalf("appointments=%d, want 1", len(s.Appts))
	}
	a := s.Appts[0]
	loc := mustLoc(t, "America/New_York")
	if a.Kind != "dosing" || a.End.Sub(a.Start) != 3*time.Hour || a.RoomName != "Dosing 1" || !a.HasStaff(2) || len(a.Staff) != 2 {
		t.Fatalf("appointment=%+v, want a 3-hour dosing in Dosing 1 with Sam Okafor and a prescriber or nurse", a)
	}
	if a.End.In(loc).Format("15:04") > "18:00" {
		t.Fatalf("ends %s, after the step's latest end", a.End.In(loc).Format("15:04"))
	}
	stored, err := db.Series(ctx, s.ID)
	if err != nil || stored.Step != "dosing" {
		t.Fatalf("series=%+v err=%v, want the ad-hoc step kept", stored, err)
	}
	to := time.Date(2027, 3, 3, 10, 0, 0, 0, loc)
	moved, err := svc.Reschedule(ctx, a.ID, to, false)
	if err != nil || len(moved) != 1 || !moved[0].Start.Equal(to) {
		t.Fatalf("moved=%v err=%v, want it at %v", moved, err, to)
	}
	// 16:00 + 3 h ends after 18:00: refused with the rule.
	_, err = svc.Reschedule(ctx, a.ID, time.Date(2027, 3, 3, 16, 0, 0, 0, loc), false)
	if booking.ErrorCode(err) != booking.ENOPLAN {
		t.Fatalf("err=%v, want ENOPLAN for a dosing ending after 18:00", err)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
