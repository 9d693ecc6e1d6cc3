package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/pgtest"
)

// fullClinic fills db with a bit of everything a clinic holds: settings,
// staff, a protocol, a patient with a series, a cancelled and an escorted
// appointment, audit entries, a feed, a subscription with its last copy
// and queued email.
func fullClinic(t *testing.T, db *DB) *fixture {
	t.Helper()
	f := MustFixture(t, db)
	ctx := context.Background()
	MustUpdate(t, db, func(tx booking.Tx) error {
		a, b := f.dosing(f.at(1, 9, 0)), f.dosing(f.at(3, 9, 0))
		a.EscortNeeded = true
		b.Status, b.Reason, b.CancelledBy = booking.Cancelled, "ill", booking.ByPatient
		s := &booking.Series{PatientID: f.patient.ID, ProtocolID: f.protocol.ID, From: booking.DateOf(f.at(1, 0, 0)), Appts: []*booking.Appointment{a, b}}
		if err := tx.CreateSeries(ctx, s); err != nil {
			return err
		}
		if err := tx.AddAudit(ctx, &booking.AuditEntry{At: f.at(1, 8, 0), Actor: "Front desk", Action: "book", PatientID: f.patient.ID, SeriesID: s.ID, After: `{"x":1}`}); err != nil {
			return err
		}
		if err := tx.SaveFeed(ctx, &booking.Feed{TokenHash: feedHash, Resource: booking.Resource{Kind: booking.StaffResource, ID: f.therapist.ID}, Privacy: "initials"}); err != nil {
			return err
		}
		if err := tx.SaveBusySubscription(ctx, &booking.BusySubscription{StaffID: f.therapist.ID, URL: "https://example.org/c.ics", Fetched: time.Unix(1800000000, 0), Body: []byte("BEGIN:VCALENDAR\x00\xff")}); err != nil {
			return err
		}
		return tx.AddOutbox(ctx, &booking.OutboxMessage{Kind: booking.MessageConfirmation, PatientID: f.patient.ID, SeriesID: s.ID, State: booking.OutboxPending, Due: f.at(1, 8, 0)})
	})
	return f
}

// snapshot reads what a front desk sees of a clinic.
func snapshot(t *testing.T, db *DB) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	var err error
	read := func(name string, v any, e error) {
		if e != nil && err == nil {
			err = e
		}
		out[name] = v
	}
	c, e := db.Clinic(ctx)
	read("clinic", c, e)
	s, e := db.StaffList(ctx)
	read("staff", s, e)
	p, e := db.Protocols(ctx)
	read("protocols", p, e)
	pa, e := db.FindPatients(ctx, "")
	read("patients", pa, e)
	sr, e := db.Series(ctx, 1)
	read("series", sr, e)
	au, e := db.Audit(ctx, booking.AuditFilter{})
	read("audit", au, e)
	fe, e := db.Feed(ctx, feedHash)
	read("feed", fe, e)
	bs, e := db.BusySubscriptions(ctx)
	read("busy", bs, e)
	ob, e := db.Outbox(ctx, booking.OutboxFilter{})
	read("outbox", ob, e)
	id, e := db.InstanceID(ctx)
	read("instance", id, e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCopy moves a clinic from a SQLite file to PostgreSQL and back again:
// everything reads the same at each end (calendar UIDs too: the instance
// id moves), new rows get new ids, and a target that holds anything is
// refused untouched.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	src, err := Create(filepath.Join(t.TempDir(), "clinic.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f := fullClinic(t, src)
	want := snapshot(t, src)

	pg, err := Create(pgtest.Shared(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	tables, err := Copy(ctx, src, pg)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(copyTables) || tables[7].Table != "appointments" || tables[7].Rows != 2 {
		t.Fatalf("copied %+v", tables)
	}
	if got := snapshot(t, pg); !reflect.DeepEqual(got, want) {
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s after the copy to PostgreSQL:\n got %+v\nwant %+v", k, got[k], want[k])
			}
		}
		t.FailNow()
	}
	// New rows continue the ids.
	p := &booking.Patient{Name: "Next Patient", Email: "next@example.org"}
	MustUpdate(t, pg, func(tx booking.Tx) error { return tx.SavePatient(ctx, p) })
	if p.ID != f.patient.ID+1 {
		t.Fatalf("a new patient after the copy got id %d, want %d", p.ID, f.patient.ID+1)
	}
	// Into a database that is not empty: refused, nothing changes.
	_, err = Copy(ctx, src, pg)
	wantCode(t, err, booking.EINVALID)

	back, err := Create(filepath.Join(t.TempDir(), "back.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := Copy(ctx, pg, back); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, back)
	if !reflect.DeepEqual(got["series"], want["series"]) || !reflect.DeepEqual(got["busy"], want["busy"]) || got["instance"] != want["instance"] {
		t.Fatalf("after the way back: series %+v, busy %+v", got["series"], got["busy"])
	}
}

// feedHash is the fixture feed's token hash.
const feedHash = "4f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"
