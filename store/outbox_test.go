package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
)

// demoWithPatient returns the demo clinic with Jane Doe, and a service
// whose clock reads now.
func demoWithPatient(t *testing.T, now time.Time) (*DB, *booking.Service, *booking.Patient) {
	t.Helper()
	ctx := context.Background()
	db := MustOpenDB(t)
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "test"}
	p := &booking.Patient{Name: "Jane Doe", Email: "jane@example.org"}
	if err := svc.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	return db, svc, p
}

// outboxOf returns the patient's outbox messages, grouped by kind and state.
func outboxOf(t *testing.T, r booking.Reader, f booking.OutboxFilter) (all []*booking.OutboxMessage, by map[string][]*booking.OutboxMessage) {
	t.Helper()
	all, err := r.Outbox(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	by = map[string][]*booking.OutboxMessage{}
	for _, m := range all {
		by[m.Kind+"/"+m.State] = append(by[m.Kind+"/"+m.State], m)
	}
	return all, by
}

// checkDue fails unless m is due before (48 h or 24 h) ahead of a's
// start, or at 08:00 when that falls in the default quiet hours.
func checkDue(t *testing.T, m *booking.OutboxMessage, a *booking.Appointment, before time.Duration, loc *time.Location) {
	t.Helper()
	want := a.Start.Add(-before)
	if c := want.In(loc).Format("15:04"); c >= "21:00" || c < "08:00" {
		d := want.In(loc)
		if c >= "21:00" {
			d = d.AddDate(0, 0, 1)
		}
		want = time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, loc)
	}
	if !m.Due.Equal(want) {
		t.Fatalf("%s of %s %d at %v is due %v, want %v", m.Kind, a.Kind, a.Index, a.Start.In(loc), m.Due.In(loc), want.In(loc))
	}
}

// Booking, moving and cancelling change the outbox in the same transaction:
// a confirmation and every reminder and preparation message on booking,
// re-timed messages and an update on a move, one cancellation per action.
func TestOutbox_BookMoveCancel(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	loc := mustLoc(t, "America/New_York")
	from, _ := booking.ParseDate("2027-03-01")
	s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from, TherapistID: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Appts) != 15 {
		t.Fatalf("appointments=%d, want 15", len(s.Appts))
	}
	byID := map[int64]*booking.Appointment{}
	for _, a := range s.Appts {
		byID[a.ID] = a
	}

	all, by := outboxOf(t, db, booking.OutboxFilter{PatientID: p.ID})
	if len(all) != 22 || len(by["confirmation/pending"]) != 1 || len(by["reminder/pending"]) != 15 || len(by["preparation/pending"]) != 6 {
		t.Fatalf("outbox=%d rows %v, want 1 confirmation, 15 reminders and 6 preparations, all pending", len(all), counts(by))
	}
	if c := by["confirmation/pending"][0]; c.SeriesID != s.ID || c.AppointmentID != 0 || !c.Due.Equal(now) {
		t.Fatalf("confirmation=%+v, want series %d, no appointment, due now", c, s.ID)
	}
	seen := map[string]bool{}
	for _, m := range all {
		if m.Kind == booking.MessageConfirmation {
			continue
		}
		a := byID[m.AppointmentID]
		if a == nil || m.SeriesID != s.ID {
			t.Fatalf("%s for appointment %d of series %d, not one of series %d", m.Kind, m.AppointmentID, m.SeriesID, s.ID)
		}
		key := fmt.Sprint(m.Kind, a.Kind, a.Index)
		if seen[key] {
			t.Fatalf("two %s messages for %s %d", m.Kind, a.Kind, a.Index)
		}
		seen[key] = true
		switch m.Kind {
		case booking.MessageReminder:
			checkDue(t, m, a, 48*time.Hour, loc)
		case booking.MessagePreparation:
			if a.Kind != "dosing" {
				t.Fatalf("preparation message for a %s", a.Kind)
			}
			checkDue(t, m, a, 24*time.Hour, loc)
		}
	}
	// The filters: due before, due from, state, appointment, limit.
	if got, _ := outboxOf(t, db, booking.OutboxFilter{DueBefore: now.Add(time.Second)}); len(got) != 1 || got[0].Kind != booking.MessageConfirmation {
		t.Fatalf("due now: %d messages, want the confirmation only", len(got))
	}
	everything, _ := outboxOf(t, db, booking.OutboxFilter{})
	split := everything[len(everything)/2].Due
	later, _ := outboxOf(t, db, booking.OutboxFilter{DueFrom: split})
	earlier, _ := outboxOf(t, db, booking.OutboxFilter{DueBefore: split})
	if len(later) == 0 || len(earlier) == 0 || len(later)+len(earlier) != len(everything) || later[0].Due.Before(split) || !earlier[len(earlier)-1].Due.Before(split) {
		t.Fatalf("due from %v: %d messages, before it %d; want the %d split there", split, len(later), len(earlier), len(everything))
	}
	if got, _ := outboxOf(t, db, booking.OutboxFilter{State: booking.OutboxPending, Limit: 5}); len(got) != 5 || !got[0].Due.Equal(now) || got[4].Due.Before(got[3].Due) {
		t.Fatalf("limit 5: %d messages, want 5 in due order from the confirmation", len(got))
	}

	t.Run("RescheduleRetimes", func(t *testing.T) {
		var dosing2 *booking.Appointment
		for _, a := range s.Appts {
			if a.Kind == "dosing" && a.Index == 2 {
				dosing2 = a
			}
		}
		sug, err := svc.Suggest(ctx, dosing2.ID, 1)
		if err != nil || len(sug.Alternatives) == 0 {
			t.Fatalf("suggestions=%+v err=%v, want an alternative time for dosing 2", sug, err)
		}
		to := sug.Alternatives[0].Start
		moved, err := svc.Reschedule(ctx, dosing2.ID, to, false)
		if err != nil || len(moved) != 1 {
			t.Fatalf("moved=%d err=%v, want dosing 2 alone", len(moved), err)
		}
		_, by := outboxOf(t, db, booking.OutboxFilter{AppointmentID: dosing2.ID})
		if len(by["reminder/cancelled"]) != 1 || len(by["preparation/cancelled"]) != 1 || len(by["reminder/pending"]) != 1 ||
			len(by["preparation/pending"]) != 1 || len(by["update/pending"]) != 1 {
			t.Fatalf("dosing 2's outbox=%v, want the old reminder and preparation cancelled, new ones and an update pending", counts(by))
		}
		if n := by["reminder/cancelled"][0].Note; n != "appointment moved" {
			t.Fatalf("note=%q, want the reason the reminder was cancelled", n)
		}
		checkDue(t, by["reminder/pending"][0], moved[0], 48*time.Hour, loc)
		checkDue(t, by["preparation/pending"][0], moved[0], 24*time.Hour, loc)
		if u := by["update/pending"][0]; !u.Due.Equal(now) || u.SeriesID != s.ID {
			t.Fatalf("update=%+v, want due now for series %d", u, s.ID)
		}
		all, by := outboxOf(t, db, booking.OutboxFilter{PatientID: p.ID})
		if len(all) != 25 || len(by["reminder/pending"]) != 15 || len(by["preparation/pending"]) != 6 {
			t.Fatalf("outbox=%v, want the other appointments' messages untouched", counts(by))
		}
	})

	t.Run("ShiftQueuesOneUpdate", func(t *testing.T) {
		var dosing3 *booking.Appointment
		for _, a := range s.Appts {
			if a.Kind == "dosing" && a.Index == 3 {
				dosing3 = a
			}
		}
		cur, err := db.Appointment(ctx, dosing3.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Two days later breaks integration 3's gap: it and the rest shift.
		moved, err := svc.Reschedule(ctx, dosing3.ID, cur.Start.AddDate(0, 0, 2), true)
		if err != nil || len(moved) < 2 {
			t.Fatalf("moved=%d err=%v, want dosing 3 and later ones", len(moved), err)
		}
		_, by := outboxOf(t, db, booking.OutboxFilter{PatientID: p.ID, State: booking.OutboxPending})
		var series []*booking.OutboxMessage
		for _, u := range by["update/pending"] {
			if u.AppointmentID == 0 {
				series = append(series, u)
			}
		}
		if len(by["update/pending"]) != 2 || len(series) != 1 || series[0].SeriesID != s.ID {
			t.Fatalf("pending updates=%d (series-level %d), want dosing 2's and one for the series", len(by["update/pending"]), len(series))
		}
		for _, a := range moved {
			_, by := outboxOf(t, db, booking.OutboxFilter{AppointmentID: a.ID, State: booking.OutboxPending})
			if len(by["reminder/pending"]) != 1 {
				t.Fatalf("%s %d has %d pending reminders, want 1", a.Kind, a.Index, len(by["reminder/pending"]))
			}
			checkDue(t, by["reminder/pending"][0], a, 48*time.Hour, loc)
		}
		// A second shift replaces the pending update about the series.
		if _, err := svc.Reschedule(ctx, dosing3.ID, cur.Start.AddDate(0, 0, 5), true); err != nil {
			t.Fatal(err)
		}
		var pending, replaced int
		_, by = outboxOf(t, db, booking.OutboxFilter{SeriesID: s.ID})
		for _, u := range append(by["update/pending"], by["update/cancelled"]...) {
			switch {
			case u.AppointmentID != 0:
			case u.State == booking.OutboxPending:
				pending++
			case u.Note == "replaced by a newer update":
				replaced++
			}
		}
		if pending != 1 || replaced != 1 {
			t.Fatalf("series-level updates: %d pending, %d replaced; want 1 and 1", pending, replaced)
		}
	})

	t.Run("CancelOneAppointment", func(t *testing.T) {
		last := s.Appts[len(s.Appts)-1]
		if _, err := svc.Cancel(ctx, booking.CancelRequest{AppointmentID: last.ID, By: booking.ByPatient, Reason: "patient is travelling"}); err != nil {
			t.Fatal(err)
		}
		_, by := outboxOf(t, db, booking.OutboxFilter{AppointmentID: last.ID})
		if len(by["cancellation/pending"]) != 1 || len(by["reminder/pending"]) != 0 || len(by["reminder/cancelled"]) == 0 {
			t.Fatalf("outbox of the cancelled appointment=%v, want its reminder cancelled and one cancellation", counts(by))
		}
	})

	t.Run("CancelSeriesSendsOneNotice", func(t *testing.T) {
		list, err := svc.Cancel(ctx, booking.CancelRequest{SeriesID: s.ID, By: booking.ByClinic, Reason: "screening found the treatment unsuitable"})
		if err != nil || len(list) != 14 {
			t.Fatalf("cancelled=%d err=%v, want the 14 still booked", len(list), err)
		}
		all, by := outboxOf(t, db, booking.OutboxFilter{PatientID: p.ID})
		var series []*booking.OutboxMessage
		for _, m := range by["cancellation/pending"] {
			if m.AppointmentID == 0 {
				series = append(series, m)
			}
		}
		if len(by["cancellation/pending"]) != 2 || len(series) != 1 || series[0].SeriesID != s.ID || !series[0].Due.Equal(now) {
			t.Fatalf("cancellations=%d (series-level %d), want the earlier one and one for the series", len(by["cancellation/pending"]), len(series))
		}
		for _, m := range all {
			if m.State == booking.OutboxPending && m.Kind != booking.MessageConfirmation && m.Kind != booking.MessageCancellation {
				t.Fatalf("%s for appointment %d still pending after the series was cancelled", m.Kind, m.AppointmentID)
			}
		}
	})
}

func counts(by map[string][]*booking.OutboxMessage) map[string]int {
	out := map[string]int{}
	for k, v := range by {
		out[k] = len(v)
	}
	return out
}

// A patient who asked for no email gets no message, but every row is
// written as skipped with the reason, so the front desk sees it.
func TestOutbox_NoEmailSkipped(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	asked := booking.DateOf(now)
	if _, err := svc.SetConsent(ctx, p.ID, "no-email", &asked); err != nil {
		t.Fatal(err)
	}
	from, _ := booking.ParseDate("2027-03-01")
	s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from, TherapistID: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(ctx, booking.CancelRequest{SeriesID: s.ID, By: booking.ByPatient, Reason: "patient moved away"}); err != nil {
		t.Fatal(err)
	}
	all, by := outboxOf(t, db, booking.OutboxFilter{PatientID: p.ID})
	if len(all) != 23 || len(by["confirmation/skipped"]) != 1 || len(by["reminder/skipped"]) != 15 ||
		len(by["preparation/skipped"]) != 6 || len(by["cancellation/skipped"]) != 1 {
		t.Fatalf("outbox=%v, want a confirmation, 15 reminders, 6 preparations and a cancellation, all skipped", counts(by))
	}
	for _, m := range all {
		if m.Note != booking.NoEmailNote {
			t.Fatalf("%s note=%q, want %q", m.Kind, m.Note, booking.NoEmailNote)
		}
	}
}

// A dry run books nothing and queues nothing.
func TestOutbox_DryRunQueuesNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	from, _ := booking.ParseDate("2027-03-01")
	if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from, TherapistID: 2, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if all, _ := outboxOf(t, db, booking.OutboxFilter{}); len(all) != 0 {
		t.Fatalf("outbox=%d rows after a dry run, want none", len(all))
	}
}

// failAudit is a store whose transactions fail when the audit entry is
// appended, after the booking and its messages were written.
type failAudit struct{ *DB }

func (s failAudit) Update(ctx context.Context, fn func(tx booking.Tx) error) error {
	return s.DB.Update(ctx, func(tx booking.Tx) error { return fn(failAuditTx{tx}) })
}

type failAuditTx struct{ booking.Tx }

var errAudit = errors.New("audit trail unavailable")

func (failAuditTx) AddAudit(context.Context, *booking.AuditEntry) error { return errAudit }

// A booking that fails after queueing leaves no message behind: the outbox
// changes in the booking's transaction.
func TestOutbox_RollsBackWithBooking(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	// Count what is queued inside the failing transaction, to prove the
	// failure comes after the messages were written.
	queued := 0
	svc.Store = countingStore{failAudit{db}, &queued}
	from, _ := booking.ParseDate("2027-03-01")
	_, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from, TherapistID: 2})
	if !errors.Is(err, errAudit) {
		t.Fatalf("err=%v, want the audit failure", err)
	}
	if queued != 22 {
		t.Fatalf("queued=%d inside the transaction, want 22 before the audit failed", queued)
	}
	if all, _ := outboxOf(t, db, booking.OutboxFilter{}); len(all) != 0 {
		t.Fatalf("outbox=%d rows after a failed booking, want none", len(all))
	}
	if appts, err := db.Appointments(ctx, booking.AppointmentFilter{PatientID: p.ID}); err != nil || len(appts) != 0 {
		t.Fatalf("appointments=%d err=%v after a failed booking, want none", len(appts), err)
	}
}

// countingStore counts the messages its transactions queue.
type countingStore struct {
	booking.Store
	n *int
}

func (s countingStore) Update(ctx context.Context, fn func(tx booking.Tx) error) error {
	return s.Store.Update(ctx, func(tx booking.Tx) error { return fn(countingTx{tx, s.n}) })
}

type countingTx struct {
	booking.Tx
	n *int
}

func (t countingTx) AddOutbox(ctx context.Context, m *booking.OutboxMessage) error {
	*t.n++
	return t.Tx.AddOutbox(ctx, m)
}

// The store's own checks on outbox rows.
func TestOutbox_StoreErrors(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, _, p := demoWithPatient(t, now)
	ok := func() *booking.OutboxMessage {
		return &booking.OutboxMessage{Kind: booking.MessageConfirmation, PatientID: p.ID, State: booking.OutboxPending, Due: now}
	}
	for _, tt := range []struct {
		name string
		edit func(m *booking.OutboxMessage)
		code string
	}{
		{"ErrUnknownPatient", func(m *booking.OutboxMessage) { m.PatientID = 999 }, booking.ENOTFOUND},
		{"ErrUnknownSeries", func(m *booking.OutboxMessage) { m.SeriesID = 999 }, booking.ENOTFOUND},
		{"ErrUnknownAppointment", func(m *booking.OutboxMessage) { m.AppointmentID = 999 }, booking.ENOTFOUND},
		{"ErrKind", func(m *booking.OutboxMessage) { m.Kind = "newsletter" }, booking.EINVALID},
		{"ErrQueuedTwice", func(m *booking.OutboxMessage) { m.ID = 1 }, booking.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := ok()
			tt.edit(m)
			err := db.Update(ctx, func(tx booking.Tx) error { return tx.AddOutbox(ctx, m) })
			if booking.ErrorCode(err) != tt.code {
				t.Fatalf("err=%v, want %s", err, tt.code)
			}
		})
	}
	t.Run("UpdateRoundTrip", func(t *testing.T) {
		m := ok()
		if err := db.Update(ctx, func(tx booking.Tx) error { return tx.AddOutbox(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		m.State, m.Attempts, m.NextAttempt, m.LastError, m.MessageID = booking.OutboxFailed, 3, now.Add(time.Hour), "550 mailbox unavailable", "<1@kapbook>"
		m.Updated = now.Add(time.Minute)
		if err := db.Update(ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		got, _ := outboxOf(t, db, booking.OutboxFilter{State: booking.OutboxFailed})
		if len(got) != 1 || got[0].Attempts != 3 || !got[0].NextAttempt.Equal(now.Add(time.Hour)) || got[0].LastError != m.LastError ||
			got[0].MessageID != m.MessageID || !got[0].Updated.Equal(m.Updated) || !got[0].Created.Equal(m.Created) {
			t.Fatalf("stored=%+v, want %+v", got, m)
		}
		m.ID = 999
		err := db.Update(ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(ctx, m) })
		if booking.ErrorCode(err) != booking.ENOTFOUND {
			t.Fatalf("err=%v, want ENOTFOUND for an unknown message", err)
		}
	})
}

// An override moves the appointment past a rule, and re-times its
// messages like any move.
func TestOutbox_OverrideRetimes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	loc := mustLoc(t, "America/New_York")
	from, _ := booking.ParseDate("2027-03-01")
	s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", Step: "dosing", From: from, TherapistID: 2})
	if err != nil {
		t.Fatal(err)
	}
	// 16:00 + 3 h ends after 18:00: only an override moves it there.
	to := time.Date(2027, 3, 3, 16, 0, 0, 0, loc)
	moved, err := svc.Override(ctx, s.Appts[0].ID, to, "patient can only come after work")
	if err != nil || len(moved) != 1 || !moved[0].Start.Equal(to) {
		t.Fatalf("moved=%v err=%v, want it at %v", moved, err, to)
	}
	audit, err := db.Audit(ctx, booking.AuditFilter{PatientID: p.ID, Limit: 1})
	if err != nil || len(audit) != 1 || audit[0].Action != "override" {
		t.Fatalf("audit=%v err=%v, want the override recorded", audit, err)
	}
	_, by := outboxOf(t, db, booking.OutboxFilter{AppointmentID: moved[0].ID})
	if len(by["reminder/cancelled"]) != 1 || len(by["reminder/pending"]) != 1 || len(by["preparation/pending"]) != 1 || len(by["update/pending"]) != 1 {
		t.Fatalf("outbox=%v, want the old messages cancelled, new ones and an update pending", counts(by))
	}
	checkDue(t, by["reminder/pending"][0], moved[0], 48*time.Hour, loc)
	checkDue(t, by["preparation/pending"][0], moved[0], 24*time.Hour, loc)
}

// TestOutboxQueryPlans checks that each way the outbox is read goes
// through the index made for it. Cancelling or moving an appointment reads
// its pending messages; before the state's index was kept off that read,
// SQLite walked every pending message of the clinic for each appointment.
func TestOutboxQueryPlans(t *testing.T) {
	sqliteOnly(t)
	db := MustOpenDB(t)
	at := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		f     booking.OutboxFilter
		index string
	}{
		{"Due", booking.OutboxFilter{State: booking.OutboxPending, DueBefore: at, Limit: 50}, "outbox_state_due"},
		{"Appointment", booking.OutboxFilter{State: booking.OutboxPending, AppointmentID: 7}, "outbox_appointment"},
		{"Series", booking.OutboxFilter{State: booking.OutboxPending, SeriesID: 7}, "outbox_series"},
		{"Patient", booking.OutboxFilter{PatientID: 7}, "outbox_patient"},
		{"Recent", booking.OutboxFilter{DueFrom: at}, "outbox_due"},
		{"One", booking.OutboxFilter{ID: 7}, "INTEGER PRIMARY KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, args := outboxQuery(tc.f)
			got := queryPlan(t, db, q, args...)
			if !strings.Contains(got, "SEARCH outbox USING") || !strings.Contains(got, tc.index) {
				t.Fatalf("plan %q, want a search through %s", got, tc.index)
			}
		})
	}
}
