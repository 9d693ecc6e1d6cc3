package kittest_test

import (
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestNew_BooksEveryPatientFromTomorrow checks the fixture's series: each
// starts from tomorrow, within the clinic's slack of two days (and a
// weekend) that the planner may give up to spread new series over the
// therapists, and the KAP series do go to more than one therapist.
func TestNew_BooksEveryPatientFromTomorrow(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	if len(f.Series) != 8 {
		t.Fatalf("series=%d, want 8", len(f.Series))
	}
	tomorrow := booking.DateOf(kittest.Now) + 1
	therapists := map[int64]bool{}
	for i, s := range f.Series {
		if len(s.Appts) == 0 {
			t.Fatalf("series %d (%s) has no appointments", i, s.ProtocolID)
		}
		if d := booking.DateOf(s.Appts[0].Start); d < tomorrow || d > tomorrow+4 {
			t.Errorf("series %d (%s) starts %s, want from tomorrow %s within the slack", i, s.ProtocolID, d, tomorrow)
		}
		if s.ProtocolID == "kap-standard" {
			therapists[s.TherapistID] = true
		}
	}
	if len(therapists) < 2 {
		t.Errorf("the KAP series went to %d therapist(s), want them spread", len(therapists))
	}
	if !f.Env.Inline || f.Env.Window == nil || f.Env.Nav == nil {
		t.Fatal("env not ready for headless tests")
	}
}
