package resources_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

func TestBookSamples(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	newDB := func(t *testing.T) (*store.DB, *booking.Service) {
		db, err := store.Create(filepath.Join(t.TempDir(), "demo.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := resources.InitDemo(ctx, db, "test", now); err != nil {
			t.Fatal(err)
		}
		return db, &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "test"}
	}
	from := booking.DateOf(now) + 1

	t.Run("OK", func(t *testing.T) {
		db, svc := newDB(t)
		n := 4 // the fourth is the esketamine patient
		booked, err := resources.BookSamples(ctx, svc, n, from)
		if err != nil {
			t.Fatal(err)
		}
		appts, err := db.Appointments(ctx, booking.AppointmentFilter{ActiveOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if booked == 0 || len(appts) != booked {
			t.Fatalf("booked=%d, stored appointments=%d; want the same, more than 0", booked, len(appts))
		}
		samples := map[string]resources.SamplePatient{}
		for _, sp := range resources.SamplePatients[:n] {
			samples[sp.Name] = sp
		}
		patients := map[int64]bool{}
		for _, a := range appts {
			patients[a.PatientID] = true
			if booking.DateOf(a.Start.In(time.UTC)) < from {
				t.Fatalf("appointment %d starts %v, before the first day %s", a.ID, a.Start, from)
			}
		}
		if len(patients) != n {
			t.Fatalf("patients with appointments=%d, want %d", len(patients), n)
		}
		for id := range patients {
			p, err := db.Patient(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := samples[p.Name]
			if !ok || p.Email != want.Email {
				t.Fatalf("patient %d: %q <%s>, want one of the first %d sample patients", id, p.Name, p.Email, n)
			}
			if enrolled := p.Consents.REMSEnrolled != nil; enrolled != (want.Protocol == "esketamine-induction") {
				t.Fatalf("%s: REMS enrolled=%v, want it only for the esketamine patient", p.Name, enrolled)
			}
		}
	})
	t.Run("ErrTooMany", func(t *testing.T) {
		_, svc := newDB(t)
		_, err := resources.BookSamples(ctx, svc, len(resources.SamplePatients)+1, from)
		if booking.ErrorCode(err) != booking.EINVALID || booking.ErrorMessage(err) == "" {
			t.Fatalf("err=%v, want EINVALID with a message", err)
		}
	})
}
