package main

import (
	"context"
	"flag"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// export writes appointments as an iCalendar file (issue 3):
//
//	export (--patient ID | --series ID | --staff ID | --room ID | --all)
//	       [--from D] [--to D] [--privacy full|initials|id] [--alarms] -o FILE.ics
//
// --patient and --series make the patient's own calendar, which names no
// one and says nothing of the treatment; --staff, --room and --all make
// staff calendars that show the patient as --privacy says (default
// initials). Cancelled appointments stay in, marked cancelled. -o - writes
// to standard output; a file is written whole or not at all, readable by
// its owner only.
func (a *app) export(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("export", flag.ContinueOnError)
	patient := fl.String("patient", "", "")
	series := fl.String("series", "", "")
	staff := fl.String("staff", "", "")
	room := fl.String("room", "", "")
	all := fl.Bool("all", false, "")
	from := fl.String("from", "", "")
	to := fl.String("to", "", "")
	privacy := fl.String("privacy", "", "")
	alarms := fl.Bool("alarms", false, "")
	out := fl.String("o", "", "")
	pos, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("export takes no arguments besides its flags; got %q", clip(pos[0]))
	}
	n := 0
	for _, v := range []string{*patient, *series, *staff, *room} {
		if v != "" {
			n++
		}
	}
	if *all {
		n++
	}
	if n != 1 {
		return usagef("export takes exactly one of --patient, --series, --staff, --room and --all")
	}
	if *out == "" {
		return usagef("export needs -o FILE.ics, or -o - for standard output")
	}
	forPatient := *patient != "" || *series != ""
	if forPatient && *privacy != "" {
		return usagef("--privacy is for --staff, --room and --all; a patient's calendar names no one")
	}
	if !forPatient && *alarms {
		return usagef("--alarms is for a patient's calendar (--patient or --series)")
	}
	x := calendar.Export{Clinic: a.clinic, ForPatient: forPatient, Alarms: *alarms, Now: a.now, Privacy: calendar.PrivacyInitials}
	switch *privacy {
	case "":
	case "full", "initials", "id":
		x.Privacy = calendar.Privacy(*privacy)
	default:
		return usagef("--privacy takes full, initials or id, not %q", clip(*privacy))
	}

	f := booking.AppointmentFilter{}
	if f.From, f.To, err = a.exportRange(*from, *to); err != nil {
		return err
	}
	switch {
	case *patient != "":
		if f.PatientID, err = id("patient", *patient); err != nil {
			return err
		}
	case *series != "":
		if f.SeriesID, err = id("series", *series); err != nil {
			return err
		}
		if _, err := a.db.Series(ctx, f.SeriesID); err != nil {
			return err
		}
	case *staff != "":
		if f.StaffID, err = id("staff", *staff); err != nil {
			return err
		}
	case *room != "":
		if f.RoomID, err = id("room", *room); err != nil {
			return err
		}
	}
	if err := a.exists(ctx, f); err != nil {
		return err
	}
	if x.InstanceID, err = a.db.InstanceID(ctx); err != nil {
		return err
	}
	if x.Appointments, err = a.db.Appointments(ctx, f); err != nil {
		return err
	}
	if x.Staff, err = a.db.StaffList(ctx); err != nil {
		return err
	}
	if x.Name, err = a.exportName(ctx, f, forPatient); err != nil {
		return err
	}
	if !forPatient && x.Privacy != calendar.PrivacyID {
		names, err := a.allPatientNames(ctx)
		if err != nil {
			return err
		}
		x.PatientName = func(id int64) string { return names[id] }
	}

	if *out == "-" {
		return calendar.Write(a.out, x)
	}
	if err := calendar.WriteFile(*out, x); err != nil {
		return err
	}
	cancelled := 0
	for _, ap := range x.Appointments {
		if !ap.Status.Active() {
			cancelled++
		}
	}
	return a.print(map[string]any{"file": *out, "appointments": len(x.Appointments), "cancelled": cancelled}, func(w *tw) {
		w.line("Wrote %d appointments (%d cancelled) to %s.", len(x.Appointments), cancelled, *out)
	})
}

// exportRange parses --from and --to as whole days in the clinic's zone,
// --to inclusive. Either may be left out: the range is then open on that
// side, and with neither it is everything.
func (a *app) exportRange(from, to string) (time.Time, time.Time, error) {
	if from != "" && to != "" {
		return a.dateRange(from, to)
	}
	loc := a.clinic.Location()
	var start, end time.Time
	if from != "" {
		d, err := booking.ParseDate(from)
		if err != nil {
			return start, end, err
		}
		start = d.At(0, loc)
	}
	if to != "" {
		d, err := booking.ParseDate(to)
		if err != nil {
			return start, end, err
		}
		end = (d + 1).At(0, loc)
	}
	return start, end, nil
}

// exportName returns the calendar's display name: whose appointments
// they are, at which clinic. A patient's calendar says only
// "Appointments at <clinic>", which calendar.Write shortens to
// "Appointments" when the clinic's name reveals the treatment.
func (a *app) exportName(ctx context.Context, f booking.AppointmentFilter, forPatient bool) (string, error) {
	at := a.clinic.Name
	switch {
	case forPatient:
		return "Appointments at " + at, nil
	case f.StaffID != 0:
		list, err := a.db.StaffList(ctx)
		if err != nil {
			return "", err
		}
		for _, s := range list {
			if s.ID == f.StaffID {
				return s.Name + " – " + at, nil
			}
		}
	case f.RoomID != 0:
		list, err := a.db.Rooms(ctx)
		if err != nil {
			return "", err
		}
		for _, r := range list {
			if r.ID == f.RoomID {
				return r.Name + " – " + at, nil
			}
		}
	}
	return at, nil
}

// allPatientNames returns every patient's name by id, in one query.
func (a *app) allPatientNames(ctx context.Context) (map[int64]string, error) {
	list, err := a.db.FindPatients(ctx, "")
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(list))
	for _, p := range list {
		names[p.ID] = p.Name
	}
	return names, nil
}
