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

// TestSchedule_EnterGoesToActions: with an appointment chosen by ↓,
// Enter puts the focus on its first action that can act (Reschedule…)
// and Enter again opens it. With the focus on an action, ↓ still chooses
// the next appointment, and Escape takes the focus off the action so
// the schedule has the keys again.
func TestSchedule_EnterGoesToActions(t *testing.T) {
	f, v := open(t)
	c := f.Env.Window.Canvas()
	// As the shell does: keys nothing focused took go to the screen.
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) { v.TypedKey(ev) })

	kittest.PressKey(c, fyne.KeyReturn)
	if got := c.Focused(); got != nil {
		t.Fatalf("Enter with nothing chosen focused %T", got)
	}
	kittest.PressKey(c, fyne.KeyDown)
	first := v.selected
	if first == 0 {
		t.Fatal("↓ chose nothing")
	}
	kittest.PressKey(c, fyne.KeyReturn)
	if got := c.Focused(); got != v.details.reschedule {
		t.Fatalf("Enter focused %v, want Reschedule…", got)
	}
	kittest.PressKey(c, fyne.KeyDown)
	if v.selected == first || v.selected == 0 {
		t.Fatalf("↓ on a focused action chose %d, want the next after %d", v.selected, first)
	}
	if c.Focused() != v.details.reschedule {
		t.Fatal("↓ took the focus off the action")
	}
	kittest.PressKey(c, fyne.KeyReturn)
	if c.Overlays().Top() == nil || v.details.rs == nil {
		t.Fatal("Enter on Reschedule… opened no dialog")
	}
	kittest.PressKey(c, fyne.KeyEscape)
	if c.Overlays().Top() != nil {
		t.Fatal("Escape left the dialog open")
	}

	c.Focus(v.details.reschedule)
	kittest.PressKey(c, fyne.KeyEscape)
	if got := c.Focused(); got != nil {
		t.Fatalf("Escape on an action left the focus on %T", got)
	}
	second := v.selected
	kittest.PressKey(c, fyne.KeyUp)
	if v.selected != first {
		t.Fatalf("↑ after Escape chose %d, want %d (from %d)", v.selected, first, second)
	}
}
