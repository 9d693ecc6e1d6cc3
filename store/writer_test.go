package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// A claimed message's outcome is stored only while it is still sending
// with the attempt its dispatcher claimed.
func TestUpdateClaimedOutbox(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, _, p := demoWithPatient(t, now)
	m := &booking.OutboxMessage{Kind: booking.MessageConfirmation, PatientID: p.ID, State: booking.OutboxSending, Attempts: 2, Due: now}
	if err := db.Update(ctx, func(tx booking.Tx) error { return tx.AddOutbox(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	claimed := func(edit func(*booking.OutboxMessage)) bool {
		t.Helper()
		c := *m
		edit(&c)
		var kept bool
		err := db.Update(ctx, func(tx booking.Tx) (err error) {
			kept, err = tx.UpdateClaimedOutbox(ctx, &c)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return kept
	}
	stored := func() *booking.OutboxMessage {
		t.Helper()
		got, err := db.Outbox(ctx, booking.OutboxFilter{ID: m.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("outbox %d: %v, %v", m.ID, got, err)
		}
		return got[0]
	}

	// Another dispatcher claimed it again (attempt 3): this one's
	// outcome is not stored.
	if claimed(func(c *booking.OutboxMessage) { c.Attempts, c.State, c.MessageID = 1, booking.OutboxSent, "<old@x>" }) {
		t.Fatal("stored the outcome of attempt 1 over attempt 2's claim")
	}
	if s := stored(); s.State != booking.OutboxSending || s.MessageID != "" {
		t.Fatalf("after a stale outcome: %s %q, want sending and unchanged", s.State, s.MessageID)
	}
	// The claim holds: stored.
	if !claimed(func(c *booking.OutboxMessage) { c.State, c.MessageID = booking.OutboxSent, "<2@x>" }) {
		t.Fatal("the claiming dispatcher's outcome was refused")
	}
	if s := stored(); s.State != booking.OutboxSent || s.MessageID != "<2@x>" || s.Attempts != 2 {
		t.Fatalf("stored %s %q attempts %d, want sent <2@x> 2", s.State, s.MessageID, s.Attempts)
	}
	// Sent already: a second outcome for the same attempt is not stored.
	if claimed(func(c *booking.OutboxMessage) { c.State, c.LastError = booking.OutboxFailed, "550" }) {
		t.Fatal("a sent message was changed by an outcome for its claim")
	}
	if s := stored(); s.State != booking.OutboxSent || s.LastError != "" {
		t.Fatalf("stored %s %q, want still sent", s.State, s.LastError)
	}
}

// Write transactions reuse the writer's connection and its statements;
// one that finds the writer busy runs on a connection of its own; a
// query run again inside the loop over its own rows reads both fully.
func TestWriter(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	db, svc, _ := demoWithPatient(t, now)
	if db.pg {
		t.Skip("PostgreSQL: pgx keeps each connection's prepared statements itself")
	}

	db.w.mu.Lock()
	conn, n := db.w.conn, len(db.w.stmts)
	db.w.mu.Unlock()
	if conn == nil || n == 0 {
		t.Fatalf("after writes: writer connection %v with %d statements, want one kept with its statements", conn, n)
	}
	if err := svc.AddPatient(ctx, &booking.Patient{Name: "Ann Lee", Email: "ann@example.org"}); err != nil {
		t.Fatal(err)
	}
	db.w.mu.Lock()
	same := db.w.conn == conn
	db.w.mu.Unlock()
	if !same {
		t.Fatal("a second write opened another writer connection")
	}

	// Two writers at once: both commit, one on the writer, one on a
	// connection of its own.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = svc.AddPatient(ctx, &booking.Patient{Name: "Same Time", Email: "same@example.org"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	ps, err := db.FindPatients(ctx, "")
	if err != nil || len(ps) != 10 {
		t.Fatalf("patients: %d, %v, want 10", len(ps), err)
	}

	// The same query inside its own rows loop, on the writer.
	const q = "SELECT id FROM patients ORDER BY id"
	outer, inner := 0, 0
	err = db.Update(ctx, func(btx booking.Tx) error {
		tx := btx.(*tx)
		if _, ok := tx.q.(stmtConn); !ok {
			t.Errorf("transaction querier %T, want the writer's", tx.q)
		}
		rows, err := tx.q.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			outer++
			in, err := tx.q.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			for in.Next() {
				inner++
			}
			in.Close()
		}
		return rows.Err()
	})
	if err != nil || outer != 10 || inner != 100 {
		t.Fatalf("nested reads: outer %d inner %d err %v, want 10 and 100", outer, inner, err)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db.w.conn != nil || db.w.stmts != nil {
		t.Fatal("Close left the writer connection open")
	}
}
