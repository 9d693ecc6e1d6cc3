package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestCalDAV stores a connection, its items and its log, keeps the log
// to its newest entries, and removes it all with the connection.
func TestCalDAV(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	f := MustFixture(t, db)
	a := f.dosing(f.at(8, 10, 0))
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.CreateAppointment(ctx, a) })

	acct := &booking.CalDAVAccount{StaffID: f.therapist.ID, Server: "https://dav.example.org/", Calendar: "https://dav.example.org/tara/kapbook/",
		CalendarName: "kapbook", Made: true, User: "tara", Privacy: "initials", Pulled: time.Unix(1_800_000_000, 0), Error: "the server did not answer in time"}
	MustUpdate(t, db, func(tx booking.Tx) error {
		if err := tx.SaveCalDAVAccount(ctx, acct); err != nil {
			return err
		}
		return tx.SaveCalDAVItem(ctx, &booking.CalDAVItem{StaffID: f.therapist.ID, AppointmentID: a.ID, Href: "/tara/kapbook/1.ics", ETag: `"e1"`, Hash: "h1"})
	})
	got, err := db.CalDAVAccounts(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("CalDAVAccounts = %v, %v", got, err)
	}
	g := got[0]
	if g.Calendar != acct.Calendar || !g.Made || g.User != "tara" || g.Privacy != "initials" || !g.Pulled.Equal(acct.Pulled) || g.Error != acct.Error || g.Created.IsZero() {
		t.Errorf("stored %+v, read back %+v", acct, g)
	}
	MustUpdate(t, db, func(tx booking.Tx) error { // replace
		return tx.SaveCalDAVItem(ctx, &booking.CalDAVItem{StaffID: f.therapist.ID, AppointmentID: a.ID, Href: "/tara/kapbook/1.ics", ETag: `"e2"`, Hash: "h2"})
	})
	items, err := db.CalDAVItems(ctx, f.therapist.ID)
	if err != nil || len(items) != 1 || items[0].ETag != `"e2"` || items[0].Hash != "h2" {
		t.Fatalf("CalDAVItems = %+v, %v", items, err)
	}

	// The log keeps the newest CalDAVLogKeep entries of each staff member.
	MustUpdate(t, db, func(tx booking.Tx) error {
		for i := range booking.CalDAVLogKeep + 20 {
			for _, sid := range []int64{f.therapist.ID, f.prescriber.ID} {
				if err := tx.AddCalDAVLog(ctx, &booking.CalDAVLogEntry{StaffID: sid, Kind: "push", Message: fmt.Sprint("entry ", i)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	for _, sid := range []int64{f.therapist.ID, f.prescriber.ID} {
		log, err := db.CalDAVLog(ctx, sid, 0)
		if err != nil || len(log) != booking.CalDAVLogKeep {
			t.Fatalf("staff %d: %d log entries, %v; want %d", sid, len(log), err, booking.CalDAVLogKeep)
		}
		if log[0].Message != fmt.Sprint("entry ", booking.CalDAVLogKeep+19) || log[len(log)-1].Message != "entry 20" {
			t.Errorf("staff %d: log runs %q … %q", sid, log[0].Message, log[len(log)-1].Message)
		}
	}
	if log, _ := db.CalDAVLog(ctx, f.therapist.ID, 3); len(log) != 3 {
		t.Errorf("limit 3 gave %d entries", len(log))
	}

	var had bool
	MustUpdate(t, db, func(tx booking.Tx) (err error) { had, err = tx.DeleteCalDAVAccount(ctx, f.therapist.ID); return err })
	items, _ = db.CalDAVItems(ctx, f.therapist.ID)
	log, _ := db.CalDAVLog(ctx, f.therapist.ID, 0)
	accts, _ := db.CalDAVAccounts(ctx)
	if !had || len(items) != 0 || len(log) != 0 || len(accts) != 0 {
		t.Errorf("after delete: had %v, %d items, %d log entries, %d connections", had, len(items), len(log), len(accts))
	}
	if other, _ := db.CalDAVLog(ctx, f.prescriber.ID, 0); len(other) != booking.CalDAVLogKeep {
		t.Errorf("deleting one connection took another's log: %d left", len(other))
	}
	err = db.Update(ctx, func(tx booking.Tx) error {
		return tx.SaveCalDAVAccount(ctx, &booking.CalDAVAccount{StaffID: 999, Calendar: "https://x/"})
	})
	wantCode(t, err, booking.ENOTFOUND)
}
