package schedule

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
	x := calendar.Export{Clinic: c, InstanceID: inst, Appointments: sr.Appts, ForPatient: true, Now: now,
		Name: "Appointments at " + c.Name}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return 0, booking.Errorf(booking.EINVALID, "Cannot save to %s: it is a folder; give a file name such as appointments.ics.", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".kapbook-export-*.ics")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, booking.Errorf(booking.EINVALID, "Cannot save to %s: the folder does not exist.", path)
		}
		return 0, booking.Errorf(booking.EINVALID, "Cannot save to %s: kapbook may not write in that folder.", path)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	fail := func() (int, error) {
		return 0, booking.Errorf(booking.EINVALID, "Cannot save to %s: the disk refused the file (is it full?).", path)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail()
	}
	if err := calendar.Write(tmp, x); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fail()
		}
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return fail()
	}
	if err := tmp.Close(); err != nil {
		return fail()
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fail()
	}
	ok = true
	return len(sr.Appts), nil
}
