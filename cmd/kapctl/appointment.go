package main

import (
	"context"
	"flag"
	"strconv"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// reschedule moves an appointment, lists times it could go to, or with
// --override puts it where the desk says and records the rules it breaks.
func (a *app) reschedule(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reschedule", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	to := fs.String("to", "", "")
	suggest := fs.Bool("suggest", false, "")
	shift := fs.Bool("shift-later", false, "")
	override := fs.String("override", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *override != "" && (*shift || *suggest) {
		return usagef("--override moves one appointment to --to TIME; it cannot be combined with --shift-later or --suggest")
	}
	if *appt == "" || (*to == "") == !*suggest {
		return usagef("reschedule needs --appointment ID and either --to TIME or --suggest")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	if *suggest {
		s, err := a.svc.Suggest(ctx, aid, 10)
		if err != nil {
			return err
		}
		return a.printSuggestions(s, "this appointment")
	}
	t, err := a.instant(*to)
	if err != nil {
		return err
	}
	var changed []*booking.Appointment
	if *override != "" {
		changed, err = a.svc.Override(ctx, aid, t, *override)
	} else {
		changed, err = a.svc.Reschedule(ctx, aid, t, *shift)
	}
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(changed), func(w *tw) {
		if len(changed) == 0 {
			w.line("Nothing changed: the appointment is already at that time.")
			return
		}
		w.line("Moved %d appointment(s):", len(changed))
		a.apptTable(w, changed)
	})
}

// cancel cancels an appointment or a whole series, recording who asked.
func (a *app) cancel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cancel", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	series := fs.String("series", "", "")
	reason := fs.String("reason", "", "")
	by := fs.String("by", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*appt == "") == (*series == "") {
		return usagef("cancel needs either --appointment ID or --series ID")
	}
	if *by == "" {
		return usagef("cancel needs --by patient or --by clinic: who asked for it (only a patient's short-notice cancellation is late)")
	}
	party, err := booking.ParseParty(*by)
	if err != nil {
		return err
	}
	req := booking.CancelRequest{By: party, Reason: *reason}
	if *appt != "" {
		req.AppointmentID, err = id("appointment", *appt)
	} else {
		req.SeriesID, err = id("series", *series)
	}
	if err != nil {
		return err
	}
	list, err := a.svc.Cancel(ctx, req)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(list), func(w *tw) {
		w.line("Cancelled %d appointment(s):", len(list))
		a.apptTable(w, list)
	})
}

// status records attendance: arrived (perhaps late), completed or no-show.
func (a *app) status(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	late := fs.String("late", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *appt == "" || len(pos) != 1 {
		return usagef("status needs --appointment ID and one of arrived, completed, no-show")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	at := booking.Attendance{Status: booking.Status(pos[0])}
	if *late != "" {
		if at.Status != booking.Arrived {
			return usagef("--late goes with arrived")
		}
		n, err := strconv.Atoi(strings.TrimSpace(*late))
		if err != nil {
			return booking.Errorf(booking.EINVALID, "%q is not a number of minutes; write it as 20.", booking.Clip(*late, 40))
		}
		at.LateMinutes = &n
	}
	x, err := a.svc.SetAttendance(ctx, aid, at)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON([]*booking.Appointment{x})[0], func(w *tw) {
		switch {
		case x.Status == booking.Arrived && x.LateMinutes > 0:
			w.line("Appointment %d: arrived %d minutes late.", x.ID, x.LateMinutes)
		default:
			w.line("Appointment %d is now %s.", x.ID, x.Status)
		}
	})
}

// escort records the adult who takes the patient home after a dosing visit.
func (a *app) escort(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("escort", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	name := fs.String("name", "", "")
	phone := fs.String("phone", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" {
		return usagef("escort needs --appointment ID --name N --phone P")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	x, err := a.svc.SetEscort(ctx, aid, booking.Escort{Name: strings.TrimSpace(*name), Phone: strings.TrimSpace(*phone)})
	if err != nil {
		return err
	}
	return a.print(a.apptJSON([]*booking.Appointment{x})[0], func(w *tw) { w.line("Escort recorded for appointment %d.", x.ID) })
}

// escorts lists the day's visits that need an escort and have none
// recorded: the front desk's reminder the day before (default tomorrow).
func (a *app) escorts(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("escorts", flag.ContinueOnError)
	date := fs.String("date", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	loc := a.clinic.Location()
	d := booking.DateOf(a.now.In(loc)) + 1
	if *date != "" {
		var err error
		if d, err = booking.ParseDate(*date); err != nil {
			return err
		}
	}
	due, err := booking.MissingEscorts(ctx, a.db, d, loc)
	if err != nil {
		return err
	}
	missing, need := due.Missing, due.Need
	return a.print(a.apptJSON(missing), func(w *tw) {
		day := d.At(0, loc).Format("Mon 2 Jan 2006")
		switch {
		case need == 0:
			w.line("No visit on %s needs an escort.", day)
		case len(missing) == 0:
			w.line("All %d visits on %s that need an escort have one recorded.", need, day)
		default:
			w.line("Warning: %d of %d visits on %s have no escort recorded. Call the patients today:", len(missing), need, day)
			a.apptTable(w, missing)
		}
	})
}
