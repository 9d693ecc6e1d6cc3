package ui_test

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestShell_EnterOnFocusedButton: Enter on a focused button presses that
// button, through the window as the desktop driver delivers it: a
// sidebar button shows its view; in a dialog, the focused Keep button
// keeps and the shell's dialog keys do not also confirm; with nothing
// focused, Enter confirms once.
func TestShell_EnterOnFocusedButton(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	c := f.Env.Window.Canvas()
	open := func() bool { return c.Overlays().Top() != nil }

	t.Run("Sidebar", func(t *testing.T) {
		for _, key := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEnter} {
			s.Show(ui.ViewToday)
			c.Focus(s.Nav[ui.ViewOutbox])
			kittest.PressKey(c, key)
			if got := s.Current(); got != ui.ViewOutbox {
				t.Fatalf("%s on the focused Outbox button: view %q, want %q", key, got, ui.ViewOutbox)
			}
		}
	})
	for _, tc := range []struct {
		name, focus string // focus: the button focused, "" none
		wantYes     int
	}{
		{"FocusedKeepKeeps", "Keep", 0},
		{"FocusedActionActs", "Cancel appointment", 1},
		{"NothingFocusedConfirmsOnce", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.Unfocus()
			yes := 0
			f.Env.Confirm("Cancel this appointment?", "The patient is told by email.", "Cancel appointment", func() { yes++ })
			if !open() {
				t.Fatal("no dialog shown")
			}
			if tc.focus != "" {
				b := kittest.FindButton(c.Overlays().Top(), tc.focus)
				if b == nil {
					t.Fatalf("the dialog has no %q button", tc.focus)
				}
				c.Focus(b)
			}
			kittest.PressKey(c, fyne.KeyReturn)
			if open() {
				t.Fatal("Enter left the dialog open")
			}
			if yes != tc.wantYes {
				t.Fatalf("confirmed %d times, want %d", yes, tc.wantYes)
			}
		})
	}
}
