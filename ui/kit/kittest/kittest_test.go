package kittest_test

import (
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

func TestNew_BooksEveryPatientFromTomorrow(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	if len(f.Series) != 8 {
		t.Fatalf("series=%d, want 8", len(f.Series))
	}
	tomorrow := booking.DateOf(kittest.Now) + 1
	for i, s := range f.Series {
		if len(s.Appts) == 0 || booking.DateOf(s.Appts[0].Start) != tomorrow {
			t.Errorf("series %d (%s) does not start tomorrow", i, s.ProtocolID)
		}
	}
	if !f.Env.Inline || f.Env.Window == nil || f.Env.Nav == nil {
		t.Fatal("env not ready for headless tests")
	}
}
