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
	fl, err := parseExportFlags(args)
	if err != nil {
		return err
	}
	x, err := a.exportSettings(fl)
	if err != nil {
		return err
	}
	f, err := a.exportFilter(ctx, fl)
	if err != nil {
		return err
	}
	if err := a.exportContents(ctx, &x, f); err != nil {
		return err
	}
	return a.writeExport(x, fl.out)
}

// exportFlags are export's flags as given on the command line.
type exportFlags struct {
	patient, series, staff, room string
	all                          bool
	from, to                     string
	privacy                      string
	alarms                       bool
	out                          string
}

// forPatient reports whether the flags ask for a patient's own calendar
// (--patient or --series) rather than a staff calendar.
func (fl *exportFlags) forPatient() bool {
	return fl.patient != "" || fl.series != ""
}

// parseExportFlags parses export's flags and checks that they make one
// calendar: exactly one of whose appointments, an output file, and
// --privacy or --alarms only with the kind of calendar they apply to.
func parseExportFlags(args []string) (*exportFlags, error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var fl exportFlags
	fs.StringVar(&fl.patient, "patient", "", "")
	fs.StringVar(&fl.series, "series", "", "")
	fs.StringVar(&fl.staff, "staff", "", "")
	fs.StringVar(&fl.room, "room", "", "")
	fs.BoolVar(&fl.all, "all", false, "")
	fs.StringVar(&fl.from, "from", "", "")
	fs.StringVar(&fl.to, "to", "", "")
	fs.StringVar(&fl.privacy, "privacy", "", "")
	fs.BoolVar(&fl.alarms, "alarms", false, "")
	fs.StringVar(&fl.out, "o", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usagef("export takes no arguments besides its flags; got %q", booking.Clip(pos[0], 40))
	}
	n := 0
	for _, v := range []string{fl.patient, fl.series, fl.staff, fl.room} {
		if v != "" {
			n++
		}
	}
	if fl.all {
		n++
	}
	if n != 1 {
		return nil, usagef("export takes exactly one of --patient, --series, --staff, --room and --all")
	}
	if fl.out == "" {
		return nil, usagef("export needs -o FILE.ics, or -o - for standard output")
	}
	if fl.forPatient() && fl.privacy != "" {
		return nil, usagef("--privacy is for --staff, --room and --all; a patient's calendar names no one")
	}
	if !fl.forPatient() && fl.alarms {
		return nil, usagef("--alarms is for a patient's calendar (--patient or --series)")
	}
	return &fl, nil
}

// exportSettings returns the export's settings before its contents are
// read: the kind of calendar, alarms, and how a staff calendar names
// patients (default initials).
func (a *app) exportSettings(fl *exportFlags) (calendar.Export, error) {
	x := calendar.Export{Clinic: a.clinic, ForPatient: fl.forPatient(), Alarms: fl.alarms, Now: a.now, Privacy: calendar.PrivacyInitials}
	switch fl.privacy {
	case "":
	case "full", "initials", "id":
		x.Privacy = calendar.Privacy(fl.privacy)
	default:
		return x, usagef("--privacy takes full, initials or id, not %q", booking.Clip(fl.privacy, 40))
	}
	return x, nil
}

// exportFilter turns the flags into the appointments to export: the range
// of days and the patient, series, staff member or room, which must exist.
func (a *app) exportFilter(ctx context.Context, fl *exportFlags) (booking.AppointmentFilter, error) {
	f := booking.AppointmentFilter{}
	var err error
	if f.From, f.To, err = a.exportRange(fl.from, fl.to); err != nil {
		return f, err
	}
	switch {
	case fl.patient != "":
		if f.PatientID, err = id("patient", fl.patient); err != nil {
			return f, err
		}
	case fl.series != "":
		if f.SeriesID, err = id("series", fl.series); err != nil {
			return f, err
		}
		if _, err := a.db.Series(ctx, f.SeriesID); err != nil {
			return f, err
		}
	case fl.staff != "":
		if f.StaffID, err = id("staff", fl.staff); err != nil {
			return f, err
		}
	case fl.room != "":
		if f.RoomID, err = id("room", fl.room); err != nil {
			return f, err
		}
	}
	if err := a.exists(ctx, f); err != nil {
		return f, err
	}
	return f, nil
}

// exportContents reads into x what the calendar shows: the appointments f
// selects, the staff, the calendar's name and, for a staff calendar that
// names patients, every patient's name.
func (a *app) exportContents(ctx context.Context, x *calendar.Export, f booking.AppointmentFilter) error {
	var err error
	if x.InstanceID, err = a.db.InstanceID(ctx); err != nil {
		return err
	}
	if x.Appointments, err = a.db.Appointments(ctx, f); err != nil {
		return err
	}
	if x.Staff, err = a.db.StaffList(ctx); err != nil {
		return err
	}
	if x.Name, err = a.exportName(ctx, f, x.ForPatient); err != nil {
		return err
	}
	if !x.ForPatient && x.Privacy != calendar.PrivacyID {
		names, err := a.allPatientNames(ctx)
		if err != nil {
			return err
		}
		x.PatientName = func(id int64) string { return names[id] }
	}
	return nil
}

// writeExport writes x to standard output ("-") or to the file out, and
// for a file says how many appointments it holds.
func (a *app) writeExport(x calendar.Export, out string) error {
	if out == "-" {
		return calendar.Write(a.out, x)
	}
	if err := calendar.WriteFile(out, x); err != nil {
		return err
	}
	cancelled := 0
	for _, ap := range x.Appointments {
		if !ap.Status.Active() {
			cancelled++
		}
	}
	return a.print(map[string]any{"file": out, "appointments": len(x.Appointments), "cancelled": cancelled}, func(w *tw) {
		w.line("Wrote %d appointments (%d cancelled) to %s.", len(x.Appointments), cancelled, out)
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
