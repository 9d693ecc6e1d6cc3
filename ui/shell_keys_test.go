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

// TestShell_TabsByKeyboard: Fyne's tabs take no keyboard focus, so the
// menu's Next tab and Previous tab (Ctrl+PageDown, Ctrl+PageUp; a menu
// shortcut works while a field has the focus) move through Settings'
// tabs, round from the last to the first, and take the focus off the
// field of the tab that went. On a view without tabs they do nothing.
func TestShell_TabsByKeyboard(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	w := f.Env.Window
	c := w.Canvas()
	find := func(label string) *fyne.MenuItem {
		t.Helper()
		for _, m := range w.MainMenu().Items {
			for _, it := range m.Items {
				if it.Label == label {
					return it
				}
			}
		}
		t.Fatalf("the menu has no %q", label)
		return nil
	}
	next, prev := find("Next tab"), find("Previous tab")
	if next.Shortcut != ui.ShortcutNextTab || prev.Shortcut != ui.ShortcutPreviousTab {
		t.Fatalf("shortcuts %v and %v, want Ctrl+PageDown and Ctrl+PageUp", next.Shortcut, prev.Shortcut)
	}

	s.Show(ui.ViewToday)
	if s.StepTab(1) {
		t.Fatal("Today has no tabs, yet Next tab acted")
	}
	s.Show(ui.ViewSettings)
	tabs := s.Settings.Tabs
	if tabs.SelectedIndex() != 0 {
		t.Fatalf("Settings opens on tab %d", tabs.SelectedIndex())
	}
	c.FocusNext()
	if c.Focused() == nil {
		t.Fatal("no field of the Clinic tab took the focus")
	}
	next.Action()
	if got := tabs.Selected().Text; got != "Staff" {
		t.Fatalf("Next tab shows %q, want Staff", got)
	}
	if got := c.Focused(); got != nil {
		t.Fatalf("after Next tab the focus is still on %T", got)
	}
	prev.Action()
	prev.Action()
	if got, want := tabs.Selected().Text, tabs.Items[len(tabs.Items)-1].Text; got != want {
		t.Fatalf("Previous tab twice from Staff shows %q, want the last, %q", got, want)
	}
	next.Action()
	if got := tabs.Selected().Text; got != "Clinic" {
		t.Fatalf("Next tab from the last shows %q, want Clinic", got)
	}

	// Book a series: the proposal's list and the schedule beside it.
	s.NewBooking(f.Patients[0].ID)
	book := s.Booker.TabSet()
	before := book.SelectedIndex()
	next.Action()
	if book.SelectedIndex() == before {
		t.Fatalf("Next tab on Book a series stayed on %q", book.Selected().Text)
	}
}
