package reminder_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestDispatcher_ComposePanicIsTheMessagesError: a panic while composing,
// which happens on the dispatcher's composing goroutine where no caller's
// recover reaches, becomes that message's error instead of stopping the
// program; the message is tried again and sent.
func TestDispatcher_ComposePanicIsTheMessagesError(t *testing.T) {
	f := newOutboxFixture(t)
	now := f.booked
	d := f.dispatcher(t, f.db, &now, nil)
	var calls atomic.Int32
	d.Composer.Now = func() time.Time {
		if calls.Add(1) == 1 {
			panic("a bug while composing")
		}
		return now
	}
	rep := run(t, d)
	if rep.Sent != 0 || rep.Retrying+rep.Failed != 1 {
		t.Fatalf("report after the panic: %+v, want the one message retrying or failed", rep)
	}
	msgs := f.outbox(t)
	if msgs[0].State == booking.OutboxSent || msgs[0].LastError == "" {
		t.Fatalf("message after the panic: %s, error %q; want not sent, with an error", msgs[0].State, msgs[0].LastError)
	}
	if _, err := f.svc.RetryOutbox(t.Context(), msgs[0].ID); err != nil && msgs[0].State == booking.OutboxFailed {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if rep := run(t, d); rep.Sent != 1 {
		t.Fatalf("report on the next run: %+v, want the message sent", rep)
	}
}
