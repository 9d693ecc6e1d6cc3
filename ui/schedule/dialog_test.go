package schedule

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
)

// press sends a key to the window as the desktop driver does: to the
// focused widget, or to the canvas when none has the focus.
func press(w fyne.Window, key fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: key}
	if f := w.Canvas().Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := w.Canvas().OnTypedKey(); h != nil {
		h(ev)
	}
}

// radioItem returns the focusable item of option i of a radio group, as
// the mouse would tap it.
func radioItem(t *testing.T, g *widget.RadioGroup, i int) fyne.Focusable {
	t.Helper()
	var items []fyne.Focusable
	for _, o := range test.TempWidgetRenderer(t, g).Objects() {
		if f, ok := o.(fyne.Focusable); ok {
			items = append(items, f)
		}
	}
	if i >= len(items) {
		t.Fatalf("radio group has %d items, want item %d", len(items), i)
	}
	return items[i]
}

// tapRadio taps option i of g the way the mouse does: the item takes the
// focus, then its choice changes.
func tapRadio(t *testing.T, w fyne.Window, g *widget.RadioGroup, i int) {
	t.Helper()
	item := radioItem(t, g, i)
	w.Canvas().Focus(item)
	test.Tap(item.(fyne.Tappable))
}

// TestDialogs_Escape: Escape closes the Reschedule, Cancel and Record
// escort dialogs, whichever part of them has the keyboard, and changes
// nothing.
func TestDialogs_Escape(t *testing.T) {
	for _, c := range []struct {
		name string
		open func(t *testing.T, w fyne.Window, d *details)
	}{
		{"Reschedule", func(t *testing.T, w fyne.Window, d *details) { test.Tap(d.reschedule) }},
		{"RescheduleAfterTappingATime", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.reschedule)
			tapRadio(t, w, d.rs.choices, 1)
		}},
		{"RescheduleTypingATime", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.reschedule)
			tapRadio(t, w, d.rs.choices, len(d.rs.choices.Options)-1)
			if w.Canvas().Focused() != d.rs.date {
				t.Fatal("choosing Another time does not put the cursor in its date")
			}
			test.Type(d.rs.date, "2027-03-")
		}},
		{"Cancel", func(t *testing.T, w fyne.Window, d *details) { test.Tap(d.cancel) }},
		{"CancelAfterSayingWhoAsked", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.cancel)
			tapRadio(t, w, d.cd.by, 1)
		}},
		{"CancelAfterTappingItsLabel", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.cancel)
			w.Canvas().Unfocus()
			test.TapAt(d.cd.pane, fyne.NewPos(20, 10))
		}},
		{"RecordEscort", func(t *testing.T, w fyne.Window, d *details) { test.Tap(d.escort) }},
		// Tab to a button of the dialog, then Escape: the button gives the
		// key on, and the dialog closes as it does with its pane focused.
		{"RescheduleFromItsCloseButton", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.reschedule)
			w.Canvas().Focus(d.rs.close)
		}},
		{"RescheduleFromMoreTimes", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.reschedule)
			w.Canvas().Focus(d.rs.more)
		}},
		{"CancelFromItsKeepButton", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.cancel)
			w.Canvas().Focus(d.cd.keep)
		}},
		{"RecordEscortFromSave", func(t *testing.T, w fyne.Window, d *details) {
			test.Tap(d.escort)
			test.Type(d.ed.name, "Sam Quinn")
			w.Canvas().Focus(d.ed.save)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, v := open(t)
			w := f.Env.Window
			a := find(t, f, 0, "Dosing 1/6")
			tapBlock(t, v, a.ID)
			c.open(t, w, v.details)
			if w.Canvas().Overlays().Top() == nil {
				t.Fatal("no dialog opened")
			}
			if w.Canvas().Focused() == nil {
				t.Fatal("nothing in the dialog has the keyboard")
			}
			press(w, fyne.KeyEscape)
			if top := w.Canvas().Overlays().Top(); top != nil {
				t.Fatalf("Escape left the dialog open (focus on %T)", w.Canvas().Focused())
			}
			if got := stored(t, f, a.ID); !got.Start.Equal(a.Start) || got.Status != a.Status || got.Escort != nil {
				t.Fatalf("Escape changed the appointment: %s at %v", got.Status, got.Start)
			}
		})
	}
}

// TestCancel_Enter: Enter does nothing while Cancel appointment cannot
// act (who asked is not said), then cancels, from the reason or after a
// tap on a choice.
func TestCancel_Enter(t *testing.T) {
	for _, c := range []struct {
		name string
		fill func(t *testing.T, w fyne.Window, cd *cancelDialog)
	}{
		{"InTheReason", func(t *testing.T, w fyne.Window, cd *cancelDialog) {
			cd.by.SetSelected(askedClinic)
			test.Type(cd.reason, "therapist ill")
			if w.Canvas().Focused() != cd.reason {
				t.Fatalf("focus on %T, want the reason", w.Canvas().Focused())
			}
		}},
		{"AfterTappingWhoAsked", func(t *testing.T, w fyne.Window, cd *cancelDialog) {
			test.Type(cd.reason, "therapist ill")
			tapRadio(t, w, cd.by, 1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, v := open(t)
			w := f.Env.Window
			a := find(t, f, 0, "Dosing 1/6")
			tapBlock(t, v, a.ID)
			test.Tap(v.details.cancel)
			cd := v.details.cd
			press(w, fyne.KeyReturn)
			if w.Canvas().Overlays().Top() == nil || stored(t, f, a.ID).Status != booking.Booked {
				t.Fatal("Enter acted before saying who asked")
			}
			c.fill(t, w, cd)
			if cd.ok.Disabled() {
				t.Fatal("Cancel appointment is off after saying who asked")
			}
			press(w, fyne.KeyReturn)
			if w.Canvas().Overlays().Top() != nil {
				t.Fatal("the dialog stayed open after Enter")
			}
			got := stored(t, f, a.ID)
			if got.Status != booking.Cancelled || got.CancelledBy != booking.ByClinic || got.Reason != "therapist ill" {
				t.Fatalf("stored %s by %q (%q), want cancelled by the clinic with the reason", got.Status, got.CancelledBy, got.Reason)
			}
		})
	}
}

// TestReschedule_Keys: Move is off until a time is chosen and Enter does
// nothing till then; ↑ and ↓ choose a time, a tapped time leaves the
// keyboard with the dialog, tapping it again un-chooses it, and Enter
// moves the appointment.
func TestReschedule_Keys(t *testing.T) {
	f, v := open(t)
	w := f.Env.Window
	a := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	if len(rs.choices.Options) < 3 {
		t.Fatalf("options %q, want at least two times and Another time", rs.choices.Options)
	}
	if !rs.move.Disabled() {
		t.Fatal("Move is on before a time is chosen")
	}
	press(w, fyne.KeyReturn)
	if w.Canvas().Overlays().Top() == nil || !stored(t, f, a.ID).Start.Equal(a.Start) {
		t.Fatal("Enter acted with no time chosen")
	}

	press(w, fyne.KeyDown)
	press(w, fyne.KeyDown)
	press(w, fyne.KeyUp)
	if got, want := rs.choices.Selected, rs.choices.Options[0]; got != want || rs.move.Disabled() {
		t.Fatalf("↓↓↑ chose %q (Move off: %v), want %q", got, rs.move.Disabled(), want)
	}

	tapRadio(t, w, rs.choices, 1)
	if rs.choices.Selected != rs.choices.Options[1] || w.Canvas().Focused() != rs.pane {
		t.Fatalf("after tapping a time: chosen %q, focus on %T", rs.choices.Selected, w.Canvas().Focused())
	}
	tapRadio(t, w, rs.choices, 1) // tapped again: un-chosen
	if rs.choices.Selected != "" || !rs.move.Disabled() {
		t.Fatalf("after tapping the chosen time again: chosen %q, Move off: %v", rs.choices.Selected, rs.move.Disabled())
	}
	press(w, fyne.KeyReturn)
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("Enter closed the dialog with no time chosen")
	}

	tapRadio(t, w, rs.choices, 1)
	to := rs.starts[rs.choices.Options[1]]
	press(w, fyne.KeyReturn)
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("the dialog stayed open after Enter")
	}
	if got := stored(t, f, a.ID); !got.Start.Equal(to) {
		t.Fatalf("stored start %v, want the chosen %v", got.Start, to)
	}
}

// TestEscort_SaveNeedsName: Save is off without a name; Enter in the
// phone saves.
func TestEscort_SaveNeedsName(t *testing.T) {
	f, v := open(t)
	w := f.Env.Window
	a := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.escort)
	ed := v.details.ed
	if !ed.save.Disabled() {
		t.Fatal("Save is on without a name")
	}
	test.Type(ed.name, "Robin Quinn")
	w.Canvas().Focus(ed.phone)
	test.Type(ed.phone, "+1 617 555 0199")
	press(w, fyne.KeyReturn)
	if got := stored(t, f, a.ID); got.Escort == nil || got.Escort.Name != "Robin Quinn" {
		t.Fatalf("stored escort %+v after Enter", got.Escort)
	}
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("the dialog stayed open after saving")
	}
}
