package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// parse parses flags that may stand before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usagef("%s takes the flags shown in kapctl help", fs.Name())
			}
			return nil, usagef("%s: %s", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// id parses a numeric id given for what.
func id(what, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		article := "a"
		if strings.ContainsRune("aeiou", rune(what[0])) {
			article = "an"
		}
		return 0, booking.Errorf(booking.EINVALID, "%q is not %s %s id; ids are whole numbers such as 12.", booking.Clip(s, 40), article, what)
	}
	return n, nil
}

// instant parses RFC 3339, or "YYYY-MM-DD HH:MM" (or with a T) in the
// clinic's zone.
func (a *app) instant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, a.clinic.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, booking.Errorf(booking.EINVALID, "%q is not a time; write it as 2027-03-08T10:00 (clinic time) or in RFC 3339.", booking.Clip(s, 40))
}

// dateRange parses --from and --to as whole days in the clinic's zone;
// --to is inclusive.
func (a *app) dateRange(from, to string) (time.Time, time.Time, error) {
	loc := a.clinic.Location()
	today := booking.DateOf(a.now.In(loc))
	f, t := today, today+6
	var err error
	if from != "" {
		if f, err = booking.ParseDate(from); err != nil {
			return time.Time{}, time.Time{}, err
		}
		if to == "" {
			t = f + 6
		}
	}
	if to != "" {
		if t, err = booking.ParseDate(to); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if t < f {
		return time.Time{}, time.Time{}, booking.Errorf(booking.EINVALID, "--to %s is before --from %s.", t, f)
	}
	if t-f > 3660 {
		return time.Time{}, time.Time{}, booking.Errorf(booking.EINVALID, "The range from %s to %s is longer than ten years.", f, t)
	}
	return f.At(0, loc), (t + 1).At(0, loc), nil
}

// exists checks that the staff member, room or patient a filter names exists.
func (a *app) exists(ctx context.Context, f booking.AppointmentFilter) error {
	if f.PatientID != 0 {
		if _, err := a.db.Patient(ctx, f.PatientID); err != nil {
			return err
		}
	}
	if f.StaffID != 0 {
		staff, err := a.db.StaffList(ctx)
		if err != nil {
			return err
		}
		if !containsID(len(staff), func(i int) int64 { return staff[i].ID }, f.StaffID) {
			return booking.Errorf(booking.ENOTFOUND, "There is no staff member with id %d.", f.StaffID)
		}
	}
	if f.RoomID != 0 {
		rooms, err := a.db.Rooms(ctx)
		if err != nil {
			return err
		}
		if !containsID(len(rooms), func(i int) int64 { return rooms[i].ID }, f.RoomID) {
			return booking.Errorf(booking.ENOTFOUND, "There is no room with id %d.", f.RoomID)
		}
	}
	return nil
}

// containsID reports whether one of the n ids at returns is want.
func containsID(n int, at func(int) int64, want int64) bool {
	for i := 0; i < n; i++ {
		if at(i) == want {
			return true
		}
	}
	return false
}
