package booker_test

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// press sends a key as the desktop driver does: to the focused widget,
// or to the window's handler when nothing has the focus.
func press(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// typeKeys types text as the desktop driver does: into the focused
// widget, or to the window's handler when nothing has the focus.
func typeKeys(c fyne.Canvas, text string) {
	for _, r := range text {
		if f := c.Focused(); f != nil {
			f.TypedRune(r)
		} else if h := c.OnTypedRune(); h != nil {
			h(r)
		}
	}
}

// The goal: booking a series for an existing patient takes 5
// actions from anywhere in the app: Ctrl+N, type part of the name, Enter
// (the first match), Enter (propose with the usual protocol), Enter
// (book).
func TestBookInFiveActions(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 3})
	ctx := context.Background()
	// Another patient's series makes kap-standard the clinic's usual.
	if _, err := f.Env.Service.BookSeries(ctx, booking.BookRequest{PatientID: f.Patients[2].ID, ProtocolID: "kap-standard",
		From: booking.DateOf(kittest.Now) + 1}); err != nil {
		t.Fatal(err)
	}
	s := ui.New(f.Env)
	w := f.Env.Window
	w.SetContent(s.Content())
	s.Show(ui.ViewSchedule) // anywhere in the app
	c := w.Canvas()

	actions := 0
	act := func(what string, do func()) {
		t.Helper()
		actions++
		do()
		if top := c.Overlays().Top(); top != nil {
			t.Fatalf("after %s (action %d): an overlay (a dialog?) is open", what, actions)
		}
	}
	act("Ctrl+N", func() { c.(fyne.Shortcutable).TypedShortcut(ui.ShortcutNewBooking) })
	if s.Current() != ui.ViewBook {
		t.Fatalf("view %q after Ctrl+N", s.Current())
	}
	act("typing", func() { typeKeys(c, "aver") })
	act("Enter (the patient)", func() { press(c, fyne.KeyReturn) })
	act("Enter (propose)", func() { press(c, fyne.KeyReturn) })
	act("Enter (book)", func() { press(c, fyne.KeyReturn) })

	avery := f.Patients[0]
	series, err := f.DB.SeriesList(ctx, booking.SeriesFilter{PatientID: avery.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || series[0].ProtocolID != "kap-standard" {
		t.Fatalf("after %d actions: %d series for %s, want one kap-standard", actions, len(series), avery.Name)
	}
	appts, err := f.DB.Appointments(ctx, booking.AppointmentFilter{PatientID: avery.ID})
	if err != nil {
		t.Fatal(err)
	}
	if actions != 5 || len(appts) != 15 {
		t.Fatalf("%d actions booked %d appointments, want 5 and 15", actions, len(appts))
	}
}

// Ctrl+N on a proposal not yet booked asks before throwing it away;
// Escape keeps it (issue 14, item 11).
func TestNewBookingAsksBeforeDiscarding(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 3})
	if _, err := f.Env.Service.BookSeries(context.Background(), booking.BookRequest{PatientID: f.Patients[2].ID, ProtocolID: "kap-standard",
		From: booking.DateOf(kittest.Now) + 1}); err != nil {
		t.Fatal(err)
	}
	s := ui.New(f.Env)
	w := f.Env.Window
	w.SetContent(s.Content())
	c := w.Canvas()
	ctrlN := func() { c.(fyne.Shortcutable).TypedShortcut(ui.ShortcutNewBooking) }
	ctrlN()
	typeKeys(c, "aver")
	press(c, fyne.KeyReturn) // the patient
	press(c, fyne.KeyReturn) // propose
	if c.Overlays().Top() != nil {
		t.Fatal("a dialog is open before Ctrl+N")
	}
	ctrlN()
	if c.Overlays().Top() == nil {
		t.Fatal("Ctrl+N threw an unbooked proposal away without asking")
	}
	press(c, fyne.KeyEscape)
	if c.Overlays().Top() != nil {
		t.Fatal("Escape did not close the question")
	}
	press(c, fyne.KeyReturn) // the proposal is still there: Enter books it
	series, err := f.DB.SeriesList(context.Background(), booking.SeriesFilter{PatientID: f.Patients[0].ID})
	if err != nil || len(series) != 1 {
		t.Fatalf("after Escape and Enter: %d series, %v; want the kept proposal booked", len(series), err)
	}
}
