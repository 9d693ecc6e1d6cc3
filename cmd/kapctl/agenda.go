package main

import (
	"context"
	"flag"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// agenda prints the appointments in a range of days, for one staff member,
// room or patient or for the whole clinic.
func (a *app) agenda(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("agenda", flag.ContinueOnError)
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	staff := fs.String("staff", "", "")
	room := fs.String("room", "", "")
	patient := fs.String("patient", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	start, end, err := a.dateRange(*from, *to)
	if err != nil {
		return err
	}
	f := booking.AppointmentFilter{From: start, To: end}
	n := 0
	for _, x := range []struct {
		v, what string
		dst     *int64
	}{{*staff, "staff", &f.StaffID}, {*room, "room", &f.RoomID}, {*patient, "patient", &f.PatientID}} {
		if x.v == "" {
			continue
		}
		n++
		if *x.dst, err = id(x.what, x.v); err != nil {
			return err
		}
	}
	if n > 1 {
		return usagef("agenda takes at most one of --staff, --room and --patient")
	}
	if err := a.exists(ctx, f); err != nil {
		return err
	}
	appts, err := a.db.Appointments(ctx, f)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(appts), func(w *tw) {
		if len(appts) == 0 {
			w.line("No appointments from %s to %s.", start.Format("Mon 2 Jan 2006"), end.Add(-time.Second).Format("Mon 2 Jan 2006"))
			return
		}
		a.apptTable(w, appts)
	})
}
