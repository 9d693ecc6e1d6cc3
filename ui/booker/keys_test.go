package booker

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestBooker_EnterOnFocusedButton: Enter on the focused Propose
// proposes, and on the focused Book books; with a proposal on screen,
// Enter on the focused Propose proposes again rather than booking (what
// Enter does when nothing has the focus).
func TestBooker_EnterOnFocusedButton(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1})
	c := f.Env.Window.Canvas()
	choose(t, v, "avery")

	c.Focus(v.propose)
	kittest.PressKey(c, fyne.KeyReturn)
	if v.current() == nil || len(v.rows) != 15 {
		t.Fatalf("Enter on Propose: rows=%d, problem %q", len(v.rows), v.problem.Text)
	}
	c.Focus(v.propose)
	kittest.PressKey(c, fyne.KeyEnter)
	if got := stored(t, f, f.Patients[0].ID); len(got) != 0 {
		t.Fatalf("Enter on Propose booked %d appointments", len(got))
	}
	if v.current() == nil {
		t.Fatalf("Enter on Propose again: no proposal, problem %q", v.problem.Text)
	}

	c.Focus(v.book)
	kittest.PressKey(c, fyne.KeyReturn)
	if got := stored(t, f, f.Patients[0].ID); len(got) != 15 {
		t.Fatalf("Enter on Book: stored %d appointments, want 15 (problem %q)", len(got), v.problem.Text)
	}
}
