package main

import (
	"context"
	"flag"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// patientAdd adds a patient with their preferred weekdays, times of day and
// earliest start.
func (a *app) patientAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patient add", flag.ContinueOnError)
	name := fs.String("name", "", "")
	email := fs.String("email", "", "")
	phone := fs.String("phone", "", "")
	weekdays := fs.String("weekdays", "", "")
	times := fs.String("times", "", "")
	earliest := fs.String("earliest", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	p := &booking.Patient{Name: *name, Email: *email, Phone: *phone}
	for _, d := range splitList(*weekdays) {
		wd, err := booking.ParseWeekday(d)
		if err != nil {
			return err
		}
		p.Preferences.Weekdays = append(p.Preferences.Weekdays, booking.WeekdayKey(wd))
	}
	p.Preferences.TimesOfDay = splitList(*times)
	if *earliest != "" {
		d, err := booking.ParseDate(*earliest)
		if err != nil {
			return err
		}
		p.Preferences.Earliest = d
	}
	if err := a.svc.AddPatient(ctx, p); err != nil {
		return err
	}
	return a.print(p, func(w *tw) { w.line("Added patient %d: %s.", p.ID, p.Name) })
}

// splitList splits a comma-separated flag value into lower-case words,
// leaving out empty ones.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// patientList prints the patients, or those --search finds.
func (a *app) patientList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patient list", flag.ContinueOnError)
	search := fs.String("search", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ps, err := a.db.FindPatients(ctx, *search)
	if err != nil {
		return err
	}
	return a.print(ps, func(w *tw) {
		w.row("ID", "NAME", "EMAIL", "PHONE")
		for _, p := range ps {
			w.row(p.ID, p.Name, p.Email, p.Phone)
		}
	})
}

// patientShow prints one patient with their consents, preferences and
// appointments.
func (a *app) patientShow(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("patient show", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("patient show needs one patient id")
	}
	pid, err := id("patient", pos[0])
	if err != nil {
		return err
	}
	p, err := a.db.Patient(ctx, pid)
	if err != nil {
		return err
	}
	appts, err := a.db.Appointments(ctx, booking.AppointmentFilter{PatientID: pid})
	if err != nil {
		return err
	}
	return a.print(map[string]any{"patient": p, "appointments": a.apptJSON(appts)}, func(w *tw) {
		w.line("Patient %d: %s", p.ID, p.Name)
		w.line("Email: %s   Phone: %s", p.Email, p.Phone)
		w.line("Consents: %s", consentText(p.Consents))
		if len(p.Preferences.Weekdays)+len(p.Preferences.TimesOfDay) > 0 {
			w.line("Prefers: %s %s", strings.Join(p.Preferences.Weekdays, ","), strings.Join(p.Preferences.TimesOfDay, ","))
		}
		w.line("")
		a.apptTable(w, appts)
	})
}

// patientConsent records or withdraws a consent; withdrawing REMS
// enrolment cancels or keeps booked doses as --cancel-doses or --keep-doses
// says.
func (a *app) patientConsent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("patient consent", flag.ContinueOnError)
	date := fs.String("date", "", "")
	withdraw := fs.Bool("withdraw", false, "")
	cancelDoses := fs.Bool("cancel-doses", false, "")
	keepDoses := fs.Bool("keep-doses", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("patient consent needs a patient id and a consent kind")
	}
	if *cancelDoses && *keepDoses {
		return usagef("--cancel-doses and --keep-doses cannot be combined")
	}
	pid, err := id("patient", pos[0])
	if err != nil {
		return err
	}
	var on *booking.Date
	if !*withdraw {
		d := booking.DateOf(a.now.In(a.clinic.Location()))
		if *date != "" {
			if d, err = booking.ParseDate(*date); err != nil {
				return err
			}
		}
		on = &d
	}
	change := booking.ConsentChange{PatientID: pid, Kind: pos[1], On: on}
	switch {
	case *cancelDoses:
		change.Doses = booking.DosesCancel
	case *keepDoses:
		change.Doses = booking.DosesKeep
	}
	p, cancelled, err := a.svc.ChangeConsent(ctx, change)
	if err != nil {
		return err
	}
	return a.print(map[string]any{"patient": p, "cancelled": a.apptJSON(cancelled)}, func(w *tw) {
		w.line("Patient %d consents: %s", p.ID, consentText(p.Consents))
		if len(cancelled) > 0 {
			w.line("Cancelled %d booked session(s) that need REMS enrolment:", len(cancelled))
			a.apptTable(w, cancelled)
		}
	})
}
