package booking_test

import (
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
)

// demoWorld returns the demo clinic with ids assigned and no bookings.
func demoWorld(t testing.TB) (booking.World, map[string]*booking.Protocol) {
	t.Helper()
	f, err := booking.ParseClinicFile(resources.DemoClinic)
	if err != nil {
		t.Fatal(err)
	}
	w := booking.World{Clinic: &f.Clinic}
	for i := range f.Staff {
		f.Staff[i].ID = int64(i + 1)
		w.Staff = append(w.Staff, &f.Staff[i])
	}
	for i := range f.Rooms {
		f.Rooms[i].ID = int64(i + 1)
		w.Rooms = append(w.Rooms, &f.Rooms[i])
	}
	w.Busy = booking.NewIndex(nil, w.Staff)
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*booking.Protocol{}
	for _, p := range ps {
		m[p.ID] = p
	}
	return w, m
}

func mustDate(t testing.TB, s string) booking.Date {
	d, err := booking.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPlanSeries_KAPStandard(t *testing.T) {
	w, ps := demoWorld(t)
	pat := &booking.Patient{ID: 1, Name: "Jane Doe", Email: "jane@example.org"}
	plan, err := booking.PlanSeries(w, booking.PlanRequest{Patient: pat, Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(plan.Appts), 15; got != want {
		t.Fatalf("appointments=%d, want %d", got, want)
	}
	for _, a := range plan.Appts {
		t.Logf("%-16s %s–%s %v room=%s", a.Label(), a.Start.Format("Mon 2006-01-02 15:04 MST"), a.End.Format("15:04"), a.Staff, a.RoomName)
	}
}
