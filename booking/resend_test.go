package booking_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// resendFixture returns a demo clinic in a real SQLite file with one
// patient booked on kap-standard, and the service that booked it.
func resendFixture(t *testing.T) (*store.DB, *booking.Service, *booking.Series) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Create(filepath.Join(t.TempDir(), "clinic.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2027, 3, 1, 14, 0, 0, 0, time.UTC)
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "Front desk"}
	p := &booking.Patient{Name: "Jane Doe", Email: "jane@example.org"}
	if err := svc.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	sr, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard"})
	if err != nil {
		t.Fatal(err)
	}
	return db, svc, sr
}

// confirmations returns the series' confirmation messages by state.
func confirmations(t *testing.T, db *store.DB, seriesID int64) map[string][]*booking.OutboxMessage {
	t.Helper()
	all, err := db.Outbox(context.Background(), booking.OutboxFilter{SeriesID: seriesID})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]*booking.OutboxMessage{}
	for _, m := range all {
		if m.Kind == booking.MessageConfirmation {
			by[m.State] = append(by[m.State], m)
		}
	}
	return by
}

func TestResendConfirmation(t *testing.T) {
	ctx := context.Background()

	t.Run("OKByAppointment", func(t *testing.T) {
		db, svc, sr := resendFixture(t)
		first := confirmations(t, db, sr.ID)[booking.OutboxPending]
		if len(first) != 1 {
			t.Fatalf("pending confirmations after booking=%d, want 1", len(first))
		}
		m, err := svc.ResendConfirmation(ctx, 0, sr.Appts[3].ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.State != booking.OutboxPending || m.SeriesID != sr.ID || m.AppointmentID != 0 || !m.Due.Equal(svc.Now()) {
			t.Fatalf("queued %+v, want a pending series confirmation due now", m)
		}
		by := confirmations(t, db, sr.ID)
		if len(by[booking.OutboxPending]) != 1 || by[booking.OutboxPending][0].ID != m.ID {
			t.Fatalf("pending confirmations=%d, want only the new one", len(by[booking.OutboxPending]))
		}
		if len(by[booking.OutboxCancelled]) != 1 || by[booking.OutboxCancelled][0].ID != first[0].ID {
			t.Fatalf("cancelled confirmations=%d, want the unsent first one", len(by[booking.OutboxCancelled]))
		}
		audit, err := db.Audit(ctx, booking.AuditFilter{PatientID: sr.PatientID, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 || audit[0].Action != "resend" || audit[0].SeriesID != sr.ID || audit[0].AppointmentID != sr.Appts[3].ID {
			t.Fatalf("last audit entry %+v, want the resend", audit[0])
		}
	})

	t.Run("OKBySeriesAfterSent", func(t *testing.T) {
		db, svc, sr := resendFixture(t)
		// The first confirmation went out: it stays sent, a second is queued.
		first := confirmations(t, db, sr.ID)[booking.OutboxPending][0]
		first.State, first.MessageID = booking.OutboxSent, "<1@test>"
		if err := db.Update(ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(ctx, first) }); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ResendConfirmation(ctx, sr.ID, 0); err != nil {
			t.Fatal(err)
		}
		by := confirmations(t, db, sr.ID)
		if len(by[booking.OutboxSent]) != 1 || len(by[booking.OutboxPending]) != 1 {
			t.Fatalf("sent=%d pending=%d, want 1 and 1", len(by[booking.OutboxSent]), len(by[booking.OutboxPending]))
		}
	})

	t.Run("SkippedNoEmail", func(t *testing.T) {
		db, svc, sr := resendFixture(t)
		today := booking.DateOf(svc.Now())
		if _, err := svc.SetConsent(ctx, sr.PatientID, "no-email", &today); err != nil {
			t.Fatal(err)
		}
		m, err := svc.ResendConfirmation(ctx, sr.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if m.State != booking.OutboxSkipped || m.Note != booking.NoEmailNote {
			t.Fatalf("state=%s note=%q, want skipped because of no email", m.State, m.Note)
		}
		if got := confirmations(t, db, sr.ID)[booking.OutboxSkipped]; len(got) != 1 {
			t.Fatalf("stored skipped confirmations=%d, want 1", len(got))
		}
	})

	t.Run("ErrNothingUpcoming", func(t *testing.T) {
		db, svc, sr := resendFixture(t)
		if _, err := svc.Cancel(ctx, booking.CancelRequest{SeriesID: sr.ID, By: booking.ByClinic, Reason: "screening: not suitable"}); err != nil {
			t.Fatal(err)
		}
		before := len(confirmations(t, db, sr.ID)[booking.OutboxPending])
		_, err := svc.ResendConfirmation(ctx, sr.ID, 0)
		if booking.ErrorCode(err) != booking.ECONFLICT {
			t.Fatalf("err=%v, want ECONFLICT", err)
		}
		if got := booking.ErrorMessage(err); got != "This series has no upcoming appointments, so there is nothing to confirm." {
			t.Fatalf("message=%q", got)
		}
		if after := len(confirmations(t, db, sr.ID)[booking.OutboxPending]); after != before {
			t.Fatalf("pending confirmations %d → %d, want unchanged", before, after)
		}
	})

	t.Run("ErrUnknown", func(t *testing.T) {
		_, svc, _ := resendFixture(t)
		if _, err := svc.ResendConfirmation(ctx, 0, 9999); booking.ErrorCode(err) != booking.ENOTFOUND {
			t.Fatalf("err=%v, want ENOTFOUND", err)
		}
		if _, err := svc.ResendConfirmation(ctx, 0, 0); booking.ErrorCode(err) != booking.EINVALID {
			t.Fatalf("err=%v, want EINVALID", err)
		}
	})
}
