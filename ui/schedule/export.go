package schedule

import (
	"context"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// WriteSeriesCalendar writes the patient's own calendar of one series
// (every appointment, cancelled ones marked so) to the file at path,
// readable by its owner only: a temporary file beside it is renamed over
// path once whole, so a failed export leaves nothing behind. The calendar
// names no one and no treatment (calendar.Export.ForPatient). It returns
// the number of appointments written.
func WriteSeriesCalendar(ctx context.Context, r booking.Reader, seriesID int64, path string, now time.Time) (int, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return 0, err
	}
	sr, err := r.Series(ctx, seriesID)
	if err != nil {
		return 0, err
	}
	inst, err := r.InstanceID(ctx)
	if err != nil {
		return 0, err
	}
	staff, err := r.StaffList(ctx)
	if err != nil {
		return 0, err
	}
	x := calendar.Export{Clinic: c, InstanceID: inst, Appointments: sr.Appts, ForPatient: true, Now: now,
		Name: "Appointments at " + c.Name, Staff: staff}
	if err := calendar.WriteFile(path, x); err != nil {
		return 0, err
	}
	return len(sr.Appts), nil
}
