package calendar

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// ReplaceBusy replaces staff member staffID's imported busy times with
// busy in one transaction and appends entry to the audit trail (its Action
// defaults to "busy-import", its At to now). Nothing else of the staff
// member changes. It returns how many busy times were replaced, and the
// booked appointments the new busy times cover
// (booking.RecordBusyClashes). Returns ENOTFOUND for an unknown staff
// member.
func ReplaceBusy(ctx context.Context, st booking.Store, staffID int64, busy []booking.Interval, entry booking.AuditEntry) (replaced int, clashes []*booking.Appointment, err error) {
	err = st.Update(ctx, func(tx booking.Tx) error {
		s, err := staffByID(ctx, tx, staffID)
		if err != nil {
			return err
		}
		replaced = len(s.Busy)
		old := s.Busy
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
		if err := tx.AddAudit(ctx, &entry); err != nil {
			return err
		}
		clashes, err = booking.RecordBusyClashes(ctx, tx, s, old, busy, entry.At, entry.Actor)
		return err
	})
	return replaced, clashes, err
}

// Cleared says what ClearBusy removed.
type Cleared struct {
	Busy int    // imported busy times
	Site string // the subscribed calendar's redacted address; "" when none
}

// ClearBusy stops staff member staffID's own calendar from blocking
// booking: it removes their imported busy times and their calendar
// subscription (its address and last good copy) in one transaction, with
// an audit entry "busy-clear" at now by actor. Returns ENOTFOUND for an
// unknown staff member; clearing what is already clear changes nothing
// and records nothing.
func ClearBusy(ctx context.Context, st booking.Store, staffID int64, now time.Time, actor string) (Cleared, error) {
	var c Cleared
	err := st.Update(ctx, func(tx booking.Tx) error {
		c = Cleared{}
		s, err := staffByID(ctx, tx, staffID)
		if err != nil {
			return err
		}
		subs, err := tx.BusySubscriptions(ctx)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if sub.StaffID == staffID {
				c.Site = RedactURL(sub.URL)
			}
		}
		if c.Busy = len(s.Busy); c.Busy == 0 && c.Site == "" {
			return nil
		}
		if c.Busy > 0 {
			s.Busy = nil
			if err := tx.SaveStaff(ctx, s); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteBusySubscription(ctx, staffID); err != nil {
			return err
		}
		note := fmt.Sprintf("%d busy times of staff %d removed", c.Busy, staffID)
		if c.Site != "" {
			note += "; stopped fetching the calendar at " + c.Site
		}
		return tx.AddAudit(ctx, &booking.AuditEntry{At: now, Actor: actor, Action: "busy-clear", Note: note})
	})
	return c, err
}

// notConnected refuses busy time from a file or a subscription for a
// staff member whose busy time comes from their connected CalDAV calendar
// (calendar/caldav): the next pull would replace it.
func notConnected(ctx context.Context, r booking.Reader, staffID int64) error {
	accts, err := r.CalDAVAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accts {
		if a.StaffID == staffID {
			return booking.Errorf(booking.ECONFLICT, "Staff member %d's busy time comes from their connected CalDAV calendar; disconnect it first (kapctl caldav disconnect, or Settings → Staff).", staffID)
		}
	}
	return nil
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

// BusyImport is what ImportBusyFile did.
type BusyImport struct {
	Imported int                    // busy times read over the horizon
	Replaced int                    // busy times imported before, now gone
	From, To time.Time              // the horizon read
	Clashes  []*booking.Appointment // booked appointments the busy times cover
}

// ImportBusyFile reads a staff member's own calendar file, named fileName
// in messages, over the planning horizon (a day before now to a year
// after, in the clinic's zone) and replaces their imported busy times
// with it (ReplaceBusy), so booking keeps clear of them: kapctl busy
// import and Settings → Staff both come here. A file that cannot be read
// is refused in words (Explain) and changes nothing.
func ImportBusyFile(ctx context.Context, st booking.Store, staffID int64, r io.Reader, fileName string, now time.Time, actor string) (*BusyImport, error) {
	if err := notConnected(ctx, st, staffID); err != nil {
		return nil, err
	}
	c, err := st.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	out := &BusyImport{From: now.Add(-24 * time.Hour), To: now.AddDate(1, 0, 0)}
	busy, err := ImportBusy(r, ImportOptions{Clinic: c.Location(), From: out.From, To: out.To, Now: now})
	if err != nil {
		return nil, Explain("The calendar file "+fileName+" was not imported", err)
	}
	out.Imported = len(busy)
	out.Replaced, out.Clashes, err = ReplaceBusy(ctx, st, staffID, busy, booking.AuditEntry{At: now, Actor: actor, Action: "busy-import",
		Note: fmt.Sprintf("%d busy times of staff %d from a calendar file", len(busy), staffID)})
	if err != nil {
		return nil, err
	}
	return out, nil
}
