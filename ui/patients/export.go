package patients

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/ui/kit"
)

// WriteCalendar writes a patient's own calendar to the file at path: one
// event per appointment that is not cancelled, with reminders, in the
// words calendar.Export's ForPatient allows (the clinic, the time and the
// place; never the treatment). The file is readable by its owner only and
// appears whole or not at all. It returns how many appointments it wrote.
func WriteCalendar(ctx context.Context, r booking.Reader, patientID int64, path string, now time.Time) (int, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := r.Patient(ctx, patientID); err != nil {
		return 0, err
	}
	inst, err := r.InstanceID(ctx)
	if err != nil {
		return 0, err
	}
	appts, err := r.Appointments(ctx, booking.AppointmentFilter{PatientID: patientID, ActiveOnly: true})
	if err != nil {
		return 0, err
	}
	staff, err := r.StaffList(ctx)
	if err != nil {
		return 0, err
	}
	x := calendar.Export{Clinic: c, InstanceID: inst, Appointments: appts, ForPatient: true, Alarms: true, Now: now,
		Name: "Appointments at " + c.Name, Staff: staff}
	if err := calendar.WriteFile(path, x); err != nil {
		return 0, err
	}
	return len(appts), nil
}

// ExportCalendar asks where to save the shown patient's calendar and
// writes it there, off the UI goroutine.
func (v *View) ExportCalendar() {
	if v.shown == nil || v.env.Window == nil {
		return
	}
	if len(v.shown.upcoming) == 0 && !slices.ContainsFunc(v.shown.past, func(a *booking.Appointment) bool { return a.Status.Active() }) {
		v.env.ShowError(booking.Errorf(booking.ECONFLICT, "%s has no appointments to export yet.", v.shown.patient.Name))
		return
	}
	id := v.current
	v.env.AskPath(kit.PathRequest{Title: "Export the patient's calendar", Confirm: "Export", Name: "appointments.ics",
		Extensions: []string{".ics"}}, func(path string) { v.exportTo(id, path) })
}

// exportTo writes patient id's calendar to path and says how it went.
func (v *View) exportTo(id int64, path string) {
	var n int
	v.env.Run("Exporting the calendar", func(ctx context.Context) error {
		var err error
		n, err = WriteCalendar(ctx, v.env.Store, id, path, v.env.Time())
		return err
	}, func(err error) {
		if err != nil {
			// Fyne's file dialog (Browse…) created the file; leave nothing
			// empty behind.
			if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
				os.Remove(path)
			}
			v.env.ShowError(err)
			return
		}
		v.setStatus("Calendar saved as " + path + ": " + kit.Plural(n, "appointment", "appointments") +
			", with the time and place only; it is safe to send to the patient.")
	})
}
