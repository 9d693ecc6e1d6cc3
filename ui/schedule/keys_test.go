package schedule

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestSchedule_EnterOnFocusedButton: Enter on a focused button presses
// it: the next-week arrow moves the schedule, Today comes back, Cancel…
// opens the cancel dialog, and there Enter on the focused Keep closes it
// with nothing cancelled (the dialog's own Enter would cancel).
func TestSchedule_EnterOnFocusedButton(t *testing.T) {
	f, v := open(t)
	c := f.Env.Window.Canvas()

	c.Focus(v.next)
	kittest.PressKey(c, fyne.KeyReturn)
	if got := v.title.Text; got != "Week of Mon 15 Mar 2027" {
		t.Fatalf("after Enter on next: title=%q", got)
	}
	c.Focus(v.today)
	kittest.PressKey(c, fyne.KeyEnter)
	if v.day != booking.DateOf(kittest.Now) {
		t.Fatalf("after Enter on Today: day=%s, want %s", v.day, booking.DateOf(kittest.Now))
	}

	v.ShowDay(0)
	a := find(t, f, 0, "Consultation")
	tapBlock(t, v, a.ID)
	c.Focus(v.details.cancel)
	kittest.PressKey(c, fyne.KeyReturn)
	cd := v.details.cd
	if cd == nil || c.Overlays().Top() == nil {
		t.Fatal("Enter on Cancel… opened no dialog")
	}
	cd.by.SetSelected(askedClinic) // so that the dialog's default could act
	c.Focus(cd.keep)
	kittest.PressKey(c, fyne.KeyReturn)
	if c.Overlays().Top() != nil {
		t.Fatal("Enter on Keep left the dialog open")
	}
	if got := stored(t, f, a.ID); got.Status != booking.Booked {
		t.Fatalf("status=%s after Enter on Keep, want booked", got.Status)
	}
}
