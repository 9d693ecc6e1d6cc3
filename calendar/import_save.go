package calendar

import (
	"context"
	"fmt"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// ReplaceBusy replaces staff member staffID's imported busy times with
// busy in one transaction and appends entry to the audit trail (its Action
// defaults to "busy-import", its At to now). Nothing else of the staff
// member changes. It returns how many busy times were replaced. Returns
// ENOTFOUND for an unknown staff member.
func ReplaceBusy(ctx context.Context, st booking.Store, staffID int64, busy []booking.Interval, entry booking.AuditEntry) (replaced int, err error) {
	err = st.Update(ctx, func(tx booking.Tx) error {
		s, err := staffByID(ctx, tx, staffID)
		if err != nil {
			return err
		}
		replaced = len(s.Busy)
		s.Busy = busy
		if err := tx.SaveStaff(ctx, s); err != nil {
			return err
		}
		if entry.Action == "" {
			entry.Action = "busy-import"
		}
		if entry.At.IsZero() {
			entry.At = time.Now()
		}
		return tx.AddAudit(ctx, &entry)
	})
	return replaced, err
}

// staffByID returns one staff member. Returns ENOTFOUND if there is none.
func staffByID(ctx context.Context, r booking.Reader, id int64) (*booking.Staff, error) {
	staff, err := r.StaffList(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range staff {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, booking.Errorf(booking.ENOTFOUND, "There is no staff member with id %d.", id)
}

// busyNote is the audit note of an import: how many busy times, never
// what they are.
func busyNote(n int, source string) string {
	return fmt.Sprintf("%d busy times from %s", n, source)
}
