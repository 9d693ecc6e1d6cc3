package reminder_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// busyClinic is the demo clinic in a file with many patients' series
// booked, and every message of every series due at now and none late:
// reminders and preparation messages are queued a year ahead.
type busyClinic struct {
	path string
	db   *store.DB
	now  time.Time
	due  int
}

// newBusyClinic books series (kap-standard and kap-iv in turn, a few
// days apart) until at least want messages are queued.
func newBusyClinic(tb testing.TB, want int) *busyClinic {
	tb.Helper()
	ctx := context.Background()
	c := &busyClinic{path: filepath.Join(tb.TempDir(), "clinic.db")}
	db, err := store.Create(c.path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c.db = db
	booked := time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
	if err := resources.InitDemo(ctx, db, "test", booked); err != nil {
		tb.Fatal(err)
	}
	policy := booking.DefaultMessagePolicy()
	policy.ReminderBefore, policy.PreparationBefore = 400*24*time.Hour, 400*24*time.Hour
	svc := &booking.Service{Store: db, Now: func() time.Time { return booked }, Actor: "test", Messages: &policy}
	from := booking.DateOf(booked.AddDate(0, 0, 401))
	protos := []string{"kap-standard", "kap-iv"}
	for i := 0; c.due < want; i++ {
		p := &booking.Patient{Name: fmt.Sprintf("Patient %d", i+1), Email: fmt.Sprintf("patient%d@example.org", i+1)}
		if err := svc.AddPatient(ctx, p); err != nil {
			tb.Fatal(err)
		}
		req := booking.BookRequest{PatientID: p.ID, ProtocolID: protos[i%len(protos)], From: from + booking.Date(3*i)}
		if _, err := svc.BookSeries(ctx, req); err != nil {
			tb.Fatalf("booking patient %d: %v", i+1, err)
		}
		msgs, err := db.Outbox(ctx, booking.OutboxFilter{})
		if err != nil {
			tb.Fatal(err)
		}
		c.due = len(msgs)
	}
	c.now = from.At(0, time.UTC)
	// Exactly want messages: the last ones queued are cancelled.
	err = db.Update(ctx, func(tx booking.Tx) error {
		msgs, err := tx.Outbox(ctx, booking.OutboxFilter{})
		if err != nil {
			return err
		}
		for i, m := range msgs {
			if m.State != booking.OutboxPending || m.Due.After(c.now) {
				return fmt.Errorf("message %d (%s): %s, due %v; want pending and due by %v", m.ID, m.Kind, m.State, m.Due, c.now)
			}
			if i >= want {
				m.State, m.Note = booking.OutboxCancelled, "more than the test needs"
				if err := tx.UpdateOutbox(ctx, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	c.due = want
	return c
}

// dispatcher returns a dispatcher on db (a handle to c's file) at c.now
// sending through tr.
func (c *busyClinic) dispatcher(tb testing.TB, db booking.Store, tr reminder.Transport) *reminder.Dispatcher {
	tb.Helper()
	id, err := db.InstanceID(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return c.now }
	return &reminder.Dispatcher{Store: db, Transport: tr, Now: now, Actor: "test",
		Composer: &reminder.Composer{FromAddress: "appointments@harbor.example", InstanceID: id, Now: now}}
}

// requeue puts every message back to pending, never tried.
func (c *busyClinic) requeue(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	err := c.db.Update(ctx, func(tx booking.Tx) error {
		msgs, err := tx.Outbox(ctx, booking.OutboxFilter{})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.State == booking.OutboxCancelled {
				continue
			}
			m.State, m.Attempts, m.NextAttempt, m.LastError, m.MessageID, m.Note = booking.OutboxPending, 0, time.Time{}, "", "", ""
			if err := tx.UpdateOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestDispatcherConcurrentSMTP: two dispatchers on two handles to one
// SQLite file, each with its own SMTP connection to one server, claim
// small batches at the same time: every message reaches the server
// exactly once, with the Message-ID the outbox records.
func TestDispatcherConcurrentSMTP(t *testing.T) {
	c := newBusyClinic(t, 150)
	other, err := store.Open(c.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	b := &testBackend{}
	tr := startTestSMTP(t, b)
	var wg sync.WaitGroup
	sent := make([]int, 2)
	errs := make([]error, 2)
	for i, db := range []booking.Store{c.db, other} {
		d := c.dispatcher(t, db, tr)
		d.Batch = 5
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rep, err := d.RunOnce(context.Background())
				if err != nil {
					errs[i] = err
					return
				}
				if len(rep.Messages) == 0 {
					return
				}
				if rep.Sent != len(rep.Messages) {
					errs[i] = fmt.Errorf("report %+v: not all sent", rep)
					return
				}
				sent[i] += rep.Sent
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := c.db.Outbox(context.Background(), booking.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	ids := map[string]int{}
	for _, id := range b.ids {
		ids[id]++
	}
	total := len(b.ids)
	b.mu.Unlock()
	msgs = slices.DeleteFunc(msgs, func(m *booking.OutboxMessage) bool { return m.State == booking.OutboxCancelled })
	for _, m := range msgs {
		if m.State != booking.OutboxSent || m.Attempts != 1 || ids[m.MessageID] != 1 {
			t.Fatalf("message %d: %s after %d attempts, delivered %d times; want sent once", m.ID, m.State, m.Attempts, ids[m.MessageID])
		}
	}
	if total != len(msgs) || sent[0]+sent[1] != len(msgs) {
		t.Fatalf("server received %d, dispatchers sent %v, outbox holds %d", total, sent, len(msgs))
	}
	t.Logf("%d messages: %d by one dispatcher, %d by the other", len(msgs), sent[0], sent[1])
}
