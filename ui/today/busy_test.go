package today

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// busyDay adds ten therapists, ten rooms and a patient each to the demo
// clinic and books n visits today (kittest.Now's day) across the rooms,
// every fourth a dosing visit and every eighth without an escort yet, and
// n/10 dosing visits tomorrow without an escort. It writes through the
// store's transaction directly, as scripts/bigdb does.
func busyDay(tb testing.TB, f *kittest.Fixture, n int) {
	tb.Helper()
	ctx := context.Background()
	c, err := f.DB.Clinic(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	loc := c.Location()
	today := booking.DateOf(kittest.Now.In(loc))
	const rooms = 10
	kinds := []string{"consultation", "preparation", "dosing", "integration"}
	err = f.DB.Update(ctx, func(tx booking.Tx) error {
		var staff []*booking.Staff
		var rs []*booking.Room
		for i := range rooms {
			s := &booking.Staff{Name: fmt.Sprintf("Therapist %02d", i+1), Roles: []booking.Role{booking.RoleTherapist}}
			if err := tx.SaveStaff(ctx, s); err != nil {
				return err
			}
			staff = append(staff, s)
			r := &booking.Room{Name: fmt.Sprintf("Room %02d", i+1), Kind: booking.RoomDosing}
			if err := tx.SaveRoom(ctx, r); err != nil {
				return err
			}
			rs = append(rs, r)
		}
		book := func(i int, day booking.Date, kind string, escort bool) error {
			p := &booking.Patient{Name: fmt.Sprintf("Patient %04d Example", i+1), Email: fmt.Sprintf("p%04d@example.org", i+1), Phone: "+1 617 555 0100"}
			if err := tx.SavePatient(ctx, p); err != nil {
				return err
			}
			room, slot := i%rooms, (i/rooms)%24
			start := day.At(booking.Clock(7*60+slot*30), loc)
			a := &booking.Appointment{
				PatientID: p.ID, Step: kind, Kind: booking.Kind(kind), Index: 1, Count: 1, EscortNeeded: booking.Kind(kind).IsDose(),
				Start: start, End: start.Add(25 * time.Minute),
				Staff:  []booking.Assignment{{StaffID: staff[room].ID, Name: staff[room].Name, Role: booking.RoleTherapist}},
				RoomID: rs[room].ID, RoomName: rs[room].Name, Status: booking.Booked,
				Created: kittest.Now, Updated: kittest.Now,
			}
			if kind == "dosing" && escort {
				a.Escort = &booking.Escort{Name: "Escort Example", Phone: "+1 617 555 0100"}
			}
			return tx.CreateAppointment(ctx, a)
		}
		for i := range n {
			kind := kinds[i%len(kinds)]
			if err := book(i, today, kind, i%8 != 2); err != nil {
				return err
			}
		}
		for i := range n / 10 {
			if err := book(n+i, today+1, "dosing", false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTodayBusy loads and builds the Today screen (one Refresh: the
// load, then show on the UI goroutine) in its 1200x800 window with 200
// visits today and 20 escorts missing for tomorrow: Open in a new screen
// each time (every line in view built), Reload in the same screen (as
// after an action or the five-minute reload).
func BenchmarkTodayBusy(b *testing.B) {
	f := kittest.New(b, kittest.Options{})
	busyDay(b, f, 200)
	report := func(b *testing.B, v *View) {
		if len(v.visits.Lines) != 200 || len(v.escorts.Lines) != 20 {
			b.Fatalf("rows=%d+%d, want 200+20", len(v.visits.Lines), len(v.escorts.Lines))
		}
		b.ReportMetric(float64(len(v.visits.Lines)+len(v.escorts.Lines)), "rows/op")
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	}
	b.Run("Open", func(b *testing.B) {
		var v *View
		for b.Loop() {
			v = open(f)
		}
		report(b, v)
	})
	b.Run("Reload", func(b *testing.B) {
		v := open(f)
		for b.Loop() {
			v.Refresh()
		}
		report(b, v)
	})
}

// TestToday_BusyDay shows 200 visits: every one is listed and counted,
// only the lines in view are built, and a row far down still checks the
// patient in and offers to record a missing escort.
func TestToday_BusyDay(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{})
	busyDay(t, f, 200)
	v := open(f)
	if len(v.visits.Lines) != 200 || !strings.Contains(v.visits.Heading, "200 visits, 0 checked in") {
		t.Fatalf("rows=%d heading=%q, want 200 visits", len(v.visits.Lines), v.visits.Heading)
	}
	if len(v.escorts.Lines) != 20 {
		t.Fatalf("escort rows=%d, want 20", len(v.escorts.Lines))
	}
	if n := lines(v); n == 0 || n > 40 {
		t.Fatalf("%d lines built for a 800-pixel window, want only those in view", n)
	}
	loc := kittest.Now.Location()
	today := booking.DateOf(kittest.Now.In(loc))
	visits, err := f.DB.Appointments(ctx, booking.AppointmentFilter{From: today.At(0, loc), To: (today + 1).At(0, loc), ActiveOnly: true})
	if err != nil || len(visits) != 200 {
		t.Fatalf("stored visits=%d, err=%v", len(visits), err)
	}
	last := visits[len(visits)-1] // an integration visit: no escort needed
	tap(t, v, fmt.Sprintf("arrived %d", last.ID))
	if a, _ := f.DB.Appointment(ctx, last.ID); a.Status != booking.Arrived {
		t.Fatalf("status=%s, want arrived", a.Status)
	}
	if !strings.HasSuffix(v.visits.Lines[199], "Arrived | No escort needed") || !strings.Contains(v.visits.Heading, "1 checked in") {
		t.Fatalf("last row=%q heading=%q, want it arrived", v.visits.Lines[199], v.visits.Heading)
	}
	if !button(t, v, fmt.Sprintf("arrived %d", last.ID)).Disabled() {
		t.Fatal("Mark arrived still enabled after check-in")
	}
	for _, a := range visits[150:] {
		if a.NeedsEscort() && a.Escort == nil {
			if b := button(t, v, fmt.Sprintf("escort %d", a.ID)); b.Text != "Record escort" || b.Disabled() {
				t.Fatalf("escort button %q disabled=%v, want Record escort", b.Text, b.Disabled())
			}
			return
		}
	}
	t.Fatal("no visit without an escort in the last 50")
}

// lines counts the list's lines built.
func lines(v *View) int {
	n := 0
	for _, o := range test.LaidOutObjects(v.list) {
		if _, ok := o.(*line); ok {
			n++
		}
	}
	return n
}
