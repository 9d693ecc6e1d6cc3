package calendar_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// TestImportBusy_PlannerAvoidsBusyTime imports a therapist's own calendar
// (testdata/import/therapist-first-week.ics: the mornings of the first week
// of March 2027, all of that Wednesday, Thursday afternoon) into the demo
// clinic's SQLite store and books kap-standard with that therapist from
// the Monday: no appointment may overlap a busy time. The same booking
// planned before the import must overlap one, or the test would prove
// nothing.
func TestImportBusy_PlannerAvoidsBusyTime(t *testing.T) {
	ctx := context.Background()
	c := newSubClinic(t)
	svc := &booking.Service{Store: c.db, Now: func() time.Time { return c.now }, Actor: "test"}
	const therapist = 1
	p := &booking.Patient{Name: "Robin Vale", Email: "robin.vale@example.org"}
	if err := svc.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	monday, err := booking.ParseDate("2027-03-01")
	if err != nil {
		t.Fatal(err)
	}
	req := booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: monday, TherapistID: therapist}

	f, err := os.Open("testdata/import/therapist-first-week.ics")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	busy, err := calendar.ImportBusy(f, calendar.ImportOptions{Clinic: impNY, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, iv := range busy {
		got = append(got, impSpan(iv))
	}
	want := []string{
		"2027-03-01T08:00-05:00/2027-03-01T12:00-05:00", "2027-03-02T08:00-05:00/2027-03-02T12:00-05:00",
		"2027-03-03T00:00-05:00/2027-03-04T00:00-05:00", "2027-03-04T08:00-05:00/2027-03-04T12:00-05:00",
		"2027-03-04T13:00-05:00/2027-03-04T17:00-05:00", "2027-03-05T08:00-05:00/2027-03-05T12:00-05:00",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("imported %v\nwant %v", got, want)
	}
	overlaps := func(s *booking.Series) []string {
		var out []string
		for _, a := range s.Appts {
			if !slices.ContainsFunc(a.Staff, func(x booking.Assignment) bool { return x.StaffID == therapist }) {
				t.Fatalf("appointment %s %d has no therapist %d", a.Step, a.Index, therapist)
			}
			for _, iv := range busy {
				if iv.Overlaps(a.Start, a.End) {
					out = append(out, a.Step+" "+a.Start.In(impNY).Format("Mon 2006-01-02 15:04")+" overlaps "+impSpan(iv))
				}
			}
		}
		return out
	}

	req.DryRun = true
	before, err := svc.BookSeries(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("planned without the import, %d appointments fall in busy time", len(overlaps(before)))
	if len(overlaps(before)) == 0 {
		t.Fatal("without the import the plan already avoids the busy times; the test proves nothing")
	}

	if _, _, err := calendar.ReplaceBusy(ctx, c.db, therapist, busy, booking.AuditEntry{At: c.now, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	req.DryRun = false
	s, err := svc.BookSeries(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if s.TherapistID != therapist || len(s.Appts) != 15 {
		t.Fatalf("therapist=%d appointments=%d, want 15 with therapist %d", s.TherapistID, len(s.Appts), therapist)
	}
	if o := overlaps(s); len(o) > 0 {
		t.Fatalf("booked into imported busy time:\n%v", o)
	}
	// And as stored, read back.
	stored, err := c.db.Series(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o := overlaps(stored); len(o) > 0 || stored.Appts[0].Start.Before(before.Appts[0].Start) {
		t.Fatalf("stored series overlaps %v or starts before the unconstrained plan", o)
	}
}
