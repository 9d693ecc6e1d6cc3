// Command bigdb writes a large kapbook database for scripts/coldstart.sh:
// the demo clinic with six more therapists and six more rooms, a few
// thousand fictional patients, and N appointments (default 100,000): each
// weekday its six rooms full (48 one-hour appointments, as busy as such
// a clinic gets), the last three months ahead of today and the rest
// years of history, a tenth of them cancelled. It writes through the
// store's transactions directly (the planner would take far longer).
//
//	go run ./scripts/bigdb -out FILE [-appointments N]
//
// It refuses to overwrite FILE.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

func main() {
	out := flag.String("out", "", "the database file to write")
	n := flag.Int("appointments", 100_000, "how many appointments")
	flag.Parse()
	if *out == "" || *n <= 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/bigdb -out FILE [-appointments N]")
		os.Exit(2)
	}
	t0 := time.Now()
	if err := write(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bigdb:", booking.ErrorMessage(err))
		os.Remove(*out)
		os.Exit(1)
	}
	fmt.Printf("bigdb: wrote %d appointments to %s in %v\n", *n, *out, time.Since(t0).Round(time.Millisecond))
}

const (
	rooms   = 6
	slots   = 8 // one-hour appointments a room takes a day, 75 minutes apart
	patient = 7000
)

func write(path string, n int) error {
	ctx := context.Background()
	db, err := store.Create(path)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	if err := resources.InitDemo(ctx, db, "bigdb", now); err != nil {
		return err
	}
	c, err := db.Clinic(ctx)
	if err != nil {
		return err
	}
	loc := c.Location()
	weekdays := booking.WeeklyHours{}
	for _, d := range booking.Week[:5] {
		sp, _ := booking.ParseSpan("07:00-19:00")
		weekdays[d.Key] = []booking.Span{sp}
	}
	return db.Update(ctx, func(tx booking.Tx) error {
		var therapists, prescribers []*booking.Staff
		var rs []*booking.Room
		for i := range rooms {
			s := &booking.Staff{Name: fmt.Sprintf("Therapist %02d", i+1), Roles: []booking.Role{booking.RoleTherapist}, Hours: weekdays}
			if err := tx.SaveStaff(ctx, s); err != nil {
				return err
			}
			therapists = append(therapists, s)
			r := &booking.Room{Name: fmt.Sprintf("Room %02d", i+1), Kind: booking.RoomDosing}
			if err := tx.SaveRoom(ctx, r); err != nil {
				return err
			}
			rs = append(rs, r)
		}
		// Half as many prescribers as rooms: the dosing visits that
		// start together (rooms r and r+4 at the same slot) get
		// different ones, as the store insists.
		for i := range rooms / 2 {
			s := &booking.Staff{Name: fmt.Sprintf("Prescriber %02d", i+1), Roles: []booking.Role{booking.RolePrescriber}, Hours: weekdays}
			if err := tx.SaveStaff(ctx, s); err != nil {
				return err
			}
			prescribers = append(prescribers, s)
		}
		var pids []int64
		for i := range patient {
			p := &booking.Patient{Name: fmt.Sprintf("Patient %04d Example", i+1), Email: fmt.Sprintf("p%04d@example.org", i+1)}
			if err := tx.SavePatient(ctx, p); err != nil {
				return err
			}
			pids = append(pids, p.ID)
		}
		kinds := []string{"consultation", "preparation", "dosing", "integration"}
		perDay := rooms * slots
		days := (n + perDay - 1) / perDay
		today := booking.DateOf(now.In(loc))
		// Weekdays only: about 65 weekdays (three months) ahead, the
		// rest behind.
		day := today + 91 - booking.Date(days*7/5)
		made := 0
		for made < n {
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
				day++
				continue
			}
			for i := 0; i < perDay && made < n; i++ {
				room, slot := i%rooms, i/rooms
				start := day.At(booking.Clock(8*60+slot*75), loc)
				kind := kinds[(room+slot)%len(kinds)]
				a := &booking.Appointment{
					PatientID: pids[made%len(pids)], Step: kind, Kind: booking.Kind(kind), Index: 1, Count: 1, EscortNeeded: booking.Kind(kind).IsDose(),
					Start: start, End: start.Add(time.Hour),
					Staff:  []booking.Assignment{{StaffID: therapists[room].ID, Name: therapists[room].Name, Role: booking.RoleTherapist}},
					RoomID: rs[room].ID, RoomName: rs[room].Name, Status: booking.Booked,
					Created: now, Updated: now,
				}
				if kind == "dosing" {
					p := prescribers[room%len(prescribers)]
					a.Staff = append(a.Staff, booking.Assignment{StaffID: p.ID, Name: p.Name, Role: booking.RolePrescriber})
					a.Escort = &booking.Escort{Name: "Escort Example", Phone: "+1 617 555 0100"}
				}
				switch {
				case made%10 == 9:
					a.Status, a.Reason = booking.Cancelled, "patient asked"
				case day < today:
					a.Status = booking.Completed
				}
				if err := tx.CreateAppointment(ctx, a); err != nil {
					return err
				}
				made++
			}
			day++
		}
		return nil
	})
}
