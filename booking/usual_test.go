package booking_test

import (
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// The usual protocol is the patient's last one, else the clinic's most
// booked, else the first listed.
func TestUsualProtocol(t *testing.T) {
	f := newProposalFixture(t)
	usual := func(patientID int64) string {
		t.Helper()
		id, err := f.svc.UsualProtocol(f.ctx, patientID)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	protocols, err := f.db.Protocols(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := protocols[0].ID
	if got := usual(f.pat.ID); got != first {
		t.Fatalf("nothing booked: %q, want the first listed %q", got, first)
	}
	other := &booking.Patient{Name: "Blake Morgan", Email: "blake.morgan@example.org"}
	if err := f.svc.AddPatient(f.ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: other.ID, ProtocolID: "kap-iv", From: f.day + 1}); err != nil {
		t.Fatal(err)
	}
	if got := usual(f.pat.ID); got != "kap-iv" {
		t.Fatalf("a patient without a series: %q, want the clinic's most booked kap-iv", got)
	}
	if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", From: f.day + 1}); err != nil {
		t.Fatal(err)
	}
	if got := usual(f.pat.ID); got != "kap-standard" {
		t.Fatalf("after booking kap-standard: %q, want the patient's own", got)
	}
	if got := usual(other.ID); got != "kap-iv" {
		t.Fatalf("the other patient: %q, want kap-iv, their own", got)
	}
	// Later series win over earlier ones.
	if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: other.ID, ProtocolID: "kap-standard", From: f.day + 60,
		Reason: "a course after the infusions"}); err != nil {
		t.Fatal(err)
	}
	if got := usual(other.ID); got != "kap-standard" {
		t.Fatalf("after a second series: %q, want the latest, kap-standard", got)
	}
	if got := usual(0); got != "kap-standard" {
		t.Fatalf("the clinic's usual: %q, want the most booked kap-standard", got)
	}
}
