package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestStaffWindow checks that a staff member's appointments in a window
// are those of the whole window that name them, both through the short
// window's form (the window's index) and the long one's (their history),
// and that each form reads through the index meant for it.
func TestStaffWindow(t *testing.T) {
	ctx := context.Background()
	loc := mustLoc(t, "America/New_York")
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, loc)
	db, svc, _ := demoWithPatient(t, now)
	for i, proto := range []string{"kap-standard", "kap-iv", "kap-standard", "kap-standard"} {
		p := &booking.Patient{Name: fmt.Sprintf("Patient %d", i), Email: fmt.Sprintf("p%d@example.org", i)}
		if err := svc.AddPatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: proto, From: booking.DateOf(now) + booking.Date(2*i)}); err != nil {
			t.Fatal(err)
		}
	}
	staff, err := db.StaffList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(list []*booking.Appointment) []int64 {
		var out []int64
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	found := 0
	for _, days := range []int{7, 31, 90} {
		from, to := now.AddDate(0, 0, 7), now.AddDate(0, 0, 7+days)
		window, err := db.Appointments(ctx, booking.AppointmentFilter{From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range staff {
			f := booking.AppointmentFilter{From: from, To: to, StaffID: s.ID}
			got, err := db.Appointments(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.DeleteFunc(slices.Clone(window), func(a *booking.Appointment) bool {
				return !slices.ContainsFunc(a.Staff, func(as booking.Assignment) bool { return as.StaffID == s.ID })
			})
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("%d days, %s: %v, want %v", days, s.Name, ids(got), ids(want))
			}
			st, err := db.AppointmentsStamp(ctx, f)
			if err != nil || st.Count != len(want) {
				t.Fatalf("%d days, %s: stamp counts %d (%v), want %d", days, s.Name, st.Count, err, len(want))
			}
			found += len(got)

			if testPostgres() {
				continue // SQLite's query plans
			}
			where, args := appointmentWhere(f)
			index := "appointments_start"
			if days > 31 {
				index = "appointment_staff_staff"
			}
			if p := queryPlan(t, db, "SELECT * FROM appointments a WHERE "+where, args...); !strings.Contains(p, index) {
				t.Fatalf("%d days: plan %q, want it to go through %s", days, p, index)
			}
		}
	}
	if found == 0 {
		t.Fatal("no staff member has an appointment in any window; the test proves nothing")
	}
}
