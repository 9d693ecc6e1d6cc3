package outbox

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestOutbox_EnterOnFocusedButton: Enter on the focused Retry queues the
// failed message again, and Enter on the focused Open patient opens the
// patient.
func TestOutbox_EnterOnFocusedButton(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	failed := fail(t, f, f.Patients[1].ID, "reminder: 550 mailbox unavailable")
	v := open(f)
	c := f.Env.Window.Canvas()
	v.Select(failed.ID)
	if v.Retry.Hidden {
		t.Fatal("Retry hidden for a failed message")
	}
	c.Focus(v.Retry)
	kittest.PressKey(c, fyne.KeyReturn)
	for _, m := range stored(t, f, booking.OutboxFilter{PatientID: failed.PatientID}) {
		if m.ID == failed.ID && m.State != booking.OutboxPending {
			t.Fatalf("after Enter on Retry: state=%s, want pending", m.State)
		}
	}
	c.Focus(v.OpenPatient)
	kittest.PressKey(c, fyne.KeyEnter)
	if got, want := f.Nav.Last(), fmt.Sprintf("patient %d", failed.PatientID); got != want {
		t.Fatalf("navigation=%q, want %q", got, want)
	}
}
