package today

import (
	"context"
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestToday_EnterOnFocusedButton: Enter on a focused row button presses
// it (Record escort… opens the escort's form, Open shows the
// appointment); in the form, Enter on the focused Cancel cancels, and
// Enter in the phone field still records, once.
func TestToday_EnterOnFocusedButton(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	loc := kittest.Now.Location()
	dose := firstEscortVisit(t, f)
	day := booking.DateOf(dose.Start.In(loc)) - 1
	at(f, day.At(8*60, loc))
	v := open(f)
	c := f.Env.Window.Canvas()
	escortKey := fmt.Sprintf("escort %d", dose.ID)

	pressEscort := func(t *testing.T) {
		t.Helper()
		c.Focus(button(t, v, escortKey))
		kittest.PressKey(c, fyne.KeyReturn)
		if !contains(overlayTexts(f.Env.Window), "Who takes") {
			t.Fatalf("dialog texts=%q after Enter on Record escort…, want the escort's form", overlayTexts(f.Env.Window))
		}
	}
	t.Run("CancelInForm", func(t *testing.T) {
		pressEscort(t)
		cancel := kittest.FindButton(c.Overlays().Top(), "Cancel")
		if cancel == nil {
			t.Fatal("the form has no Cancel button")
		}
		test.Type(v.escortName, "Sam Quinn")
		c.Focus(cancel)
		kittest.PressKey(c, fyne.KeyEnter)
		if c.Overlays().Top() != nil {
			t.Fatal("Enter on Cancel left the form open")
		}
		if a, _ := f.DB.Appointment(ctx, dose.ID); a.Escort != nil {
			t.Fatalf("Enter on Cancel recorded the escort %+v", a.Escort)
		}
	})
	t.Run("EnterInFieldRecords", func(t *testing.T) {
		pressEscort(t)
		test.Type(v.escortName, "Sam Quinn")
		c.Focus(v.escortPhone)
		test.Type(v.escortPhone, "+1 617 555 0199")
		kittest.PressKey(c, fyne.KeyReturn)
		if c.Overlays().Top() != nil {
			t.Fatalf("the form still shows: %q", overlayTexts(f.Env.Window))
		}
		a, err := f.DB.Appointment(ctx, dose.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Escort == nil || a.Escort.Name != "Sam Quinn" {
			t.Fatalf("stored escort=%+v, want Sam Quinn", a.Escort)
		}
	})
	t.Run("Open", func(t *testing.T) {
		visits, err := f.DB.Appointments(ctx, booking.AppointmentFilter{From: day.At(0, loc), To: (day + 1).At(0, loc), ActiveOnly: true})
		if err != nil || len(visits) == 0 {
			t.Fatalf("today's visits=%d, err=%v", len(visits), err)
		}
		id := visits[0].ID
		key := fmt.Sprintf("open %d", id)
		c.Focus(button(t, v, key))
		kittest.PressKey(c, fyne.KeyReturn)
		if got, want := f.Nav.Last(), fmt.Sprintf("appointment %d", id); got != want {
			t.Fatalf("navigation=%q, want %q", got, want)
		}
	})
}

// TestToday_FocusKeepsItsPlace: Enter on a focused Mark arrived checks
// the patient in; the reload that follows leaves the focus in that row,
// on its Open (Mark arrived can no longer act), not back at the top of
// the list, so Tab goes on to the next patient's Mark arrived.
func TestToday_FocusKeepsItsPlace(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	var first *booking.Appointment // the first visit of a day, needing no escort
	for _, sr := range f.Series {
		a := sr.Appts[0]
		if !a.NeedsEscort() && (first == nil || a.Start.Before(first.Start)) {
			first = a
		}
	}
	at(f, first.Start.Add(-15*60e9))
	v := open(f)
	c := f.Env.Window.Canvas()
	c.Focus(button(t, v, fmt.Sprintf("arrived %d", first.ID)))
	kittest.PressKey(c, fyne.KeyReturn)
	if a, _ := f.DB.Appointment(ctx, first.ID); a.Status != booking.Arrived {
		t.Fatalf("status=%s after Enter on Mark arrived, want arrived", a.Status)
	}
	open := v.buttons[fmt.Sprintf("open %d", first.ID)]
	if got := c.Focused(); got == nil || got != fyne.Focusable(open) {
		t.Fatalf("after the check-in the focus is on %v, want the row's Open", got)
	}
}

// TestToday_FocusStaysWhenItsRowGoes: with the keyboard on a Record
// escort of tomorrow's list, recording that escort takes the row away on
// the reload; the focus goes to the button now in its place (the next
// row's Record escort), not back to the top of the list.
func TestToday_FocusStaysWhenItsRowGoes(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	loc := kittest.Now.Location()
	dose := firstEscortVisit(t, f)
	at(f, (booking.DateOf(dose.Start.In(loc))-1).At(8*60, loc))
	v := open(f)
	if len(v.data.escorts) < 2 {
		t.Fatalf("%d visits tomorrow without an escort, want two for this test", len(v.data.escorts))
	}
	first, second := v.data.escorts[0], v.data.escorts[1]
	c := f.Env.Window.Canvas()
	c.Focus(button(t, v, fmt.Sprintf("escort %d", first.ID)))
	if _, err := f.Env.Service.SetEscort(ctx, first.ID, booking.Escort{Name: "Sam Quinn", Phone: "+1 617 555 0199"}); err != nil {
		t.Fatal(err)
	}
	v.Refresh()
	if _, ok := v.offers[fmt.Sprintf("escort %d", first.ID)]; ok {
		t.Fatal("the row of the escort recorded is still listed")
	}
	want := v.buttons[fmt.Sprintf("escort %d", second.ID)]
	if got := c.Focused(); want == nil || got != fyne.Focusable(want) {
		t.Fatalf("after the row went the focus is on %v, want the next row's Record escort", got)
	}
}
