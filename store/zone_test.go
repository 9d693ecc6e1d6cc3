package store

import (
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestUnknownZone: a clinic whose time zone this computer does not know
// (a Windows PC without zone data) reads as an error naming the zone, never
// silently in UTC.
func TestUnknownZone(t *testing.T) {
	db := MustOpenDB(t)
	f := MustFixture(t, db)
	// SaveClinic refuses an unknown zone: play a computer that lacks one.
	if _, err := db.sql.ExecContext(t.Context(), "UPDATE clinic SET time_zone = 'Mars/Olympus_Mons' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	p, err := db.Patient(t.Context(), f.patient.ID)
	wantCode(t, err, booking.ESTORE)
	if p != nil {
		t.Fatalf("patient=%+v, want none", p)
	}
	if got, want := booking.ErrorMessage(err), `This computer does not know the clinic's time zone "Mars/Olympus_Mons"`; !strings.HasPrefix(got, want) {
		t.Fatalf("message=%q, want it to start %q", got, want)
	}
}

// TestZoneBeforeSetup: before the clinic is set up, times read in UTC.
func TestZoneBeforeSetup(t *testing.T) {
	db := MustOpenDB(t)
	loc, err := db.location(t.Context())
	if err != nil || loc != time.UTC {
		t.Fatalf("location=%v (%v), want UTC", loc, err)
	}
}
