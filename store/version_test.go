package store

import (
	"context"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestVersion proves that Version stays put while nothing is committed
// and changes with a commit through this DB, through another handle on the
// same file (as another process would), and not with a rolled-back one.
func TestVersion(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	version := func() int64 {
		t.Helper()
		v, err := db.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v1 := version()
	db.Clinic(ctx) // a read changes nothing
	if v2 := version(); v2 != v1 {
		t.Fatalf("version %d→%d without a commit", v1, v2)
	}
	staff := &booking.Staff{Name: "Sam Okafor", Roles: []booking.Role{booking.RoleTherapist}, Hours: booking.WeeklyHours{}}
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveStaff(ctx, staff) })
	v3 := version()
	if v3 == v1 {
		t.Fatal("version unchanged by a commit through the same DB")
	}
	db.Update(ctx, func(tx booking.Tx) error {
		tx.SaveStaff(ctx, &booking.Staff{Name: "Rolled Back", Roles: []booking.Role{booking.RoleTherapist}, Hours: booking.WeeklyHours{}})
		return booking.Errorf(booking.ECONFLICT, "no")
	})
	if v4 := version(); v4 != v3 {
		t.Fatalf("version %d→%d after a rollback", v3, v4)
	}
	other, err := Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	staff.Name = "Sam Okafor-Reyes"
	MustUpdate(t, other, func(tx booking.Tx) error { return tx.SaveStaff(ctx, staff) })
	if v5 := version(); v5 == v3 {
		t.Fatal("version unchanged by another handle's commit")
	}
}

// TestAppointmentsStamp proves that the stamp counts what Appointments
// returns for the same filter and changes with a move, a cancellation
// and a status change.
func TestAppointmentsStamp(t *testing.T) {
	ctx := context.Background()
	db, svc, p := demoWithPatient(t, time.Date(2027, 2, 15, 14, 0, 0, 0, time.UTC))
	from, _ := booking.ParseDate("2027-03-01")
	s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from})
	if err != nil {
		t.Fatal(err)
	}
	loc := mustLoc(t, "America/New_York")
	filters := map[string]booking.AppointmentFilter{
		"All":        {},
		"Therapist":  {StaffID: s.TherapistID},
		"Window":     {From: time.Date(2027, 3, 10, 0, 0, 0, 0, loc), To: time.Date(2027, 4, 10, 0, 0, 0, 0, loc), StaffID: s.TherapistID},
		"Room":       {RoomID: s.Appts[len(s.Appts)-1].RoomID},
		"Limit":      {Limit: 3},
		"ActiveOnly": {ActiveOnly: true},
		"Nobody":     {StaffID: 999},
	}
	stamps := map[string]booking.Stamp{}
	for name, f := range filters {
		list, err := db.Appointments(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := db.AppointmentsStamp(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids, seqs int64
		var newest time.Time
		for _, a := range list {
			ids += a.ID
			seqs += int64(a.Sequence)
			if a.Updated.After(newest) {
				newest = a.Updated
			}
		}
		if st.Count != len(list) || st.IDs != ids || st.Sequences != seqs || !st.Updated.Equal(newest) {
			t.Fatalf("%s: stamp=%+v, want %d appointments, ids %d, sequences %d, updated %v", name, st, len(list), ids, seqs, newest)
		}
		stamps[name] = st
	}
	if stamps["Nobody"].Count != 0 || stamps["All"].Count != len(s.Appts) {
		t.Fatalf("stamps=%+v", stamps)
	}

	last := s.Appts[len(s.Appts)-1]
	therapist := filters["Therapist"]
	changes := []struct {
		name string
		do   func() error
	}{
		{"Reschedule", func() error {
			_, err := svc.Reschedule(ctx, last.ID, last.Start.Add(2*time.Hour), false)
			return err
		}},
		{"Cancel", func() error {
			_, err := svc.Cancel(ctx, booking.CancelRequest{AppointmentID: last.ID, By: booking.ByPatient})
			return err
		}},
	}
	before, _ := db.AppointmentsStamp(ctx, therapist)
	for _, c := range changes {
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		after, err := db.AppointmentsStamp(ctx, therapist)
		if err != nil {
			t.Fatal(err)
		}
		// Same second, same count: only the sequence tells.
		if after == before {
			t.Fatalf("%s: stamp unchanged %+v", c.name, after)
		}
		before = after
	}
}
