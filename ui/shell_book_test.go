package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/ui/booker"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// fakeBook is the Book screen with a proposal that is or is not booked,
// as booker.View will say through HasUnbookedProposal; it records the
// bookings started.
type fakeBook struct {
	*booker.View
	unbooked bool
	starts   []int64
}

func (f *fakeBook) HasUnbookedProposal() bool { return f.unbooked }

func (f *fakeBook) Start(patientID int64) {
	f.starts = append(f.starts, patientID)
	f.unbooked = false
	f.View.Start(patientID)
}

// Ctrl+N (and a new booking from anywhere) asks before it throws away a
// proposal that is not booked: Escape keeps it, Enter starts anew.
func TestShell_NewBookingAsksBeforeDiscarding(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 1})
	s := New(f.Env)
	w := f.Env.Window
	w.SetContent(s.Content())
	s.Show(ViewBook)
	book := &fakeBook{View: s.Booker}
	s.screens[ViewBook] = book
	s.ShowToday()

	ctrlN := func() { w.Canvas().(fyne.Shortcutable).TypedShortcut(ShortcutNewBooking) }
	key := func(name fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }
	asking := func() bool { return w.Canvas().Overlays().Top() != nil }

	book.unbooked = true
	ctrlN()
	if !asking() {
		t.Fatal("Ctrl+N over an unbooked proposal did not ask")
	}
	if s.Current() != ViewBook {
		t.Fatalf("asking on %q, want on the Book screen that holds the proposal", s.Current())
	}
	key(fyne.KeyEscape)
	if asking() || len(book.starts) != 0 || !book.unbooked {
		t.Fatalf("Escape: asking=%v starts=%v unbooked=%v, want the proposal kept", asking(), book.starts, book.unbooked)
	}

	ctrlN()
	key(fyne.KeyReturn)
	if asking() || !slices.Equal(book.starts, []int64{0}) {
		t.Fatalf("Enter: asking=%v starts=%v, want a new booking started", asking(), book.starts)
	}

	ctrlN() // nothing to lose now
	if asking() || !slices.Equal(book.starts, []int64{0, 0}) {
		t.Fatalf("no proposal: asking=%v starts=%v, want a new booking at once", asking(), book.starts)
	}

	book.unbooked = true
	id := f.Patients[0].ID
	s.NewBooking(id) // "Book a series" on a patient's page
	if !asking() {
		t.Fatal("a new booking for a patient over an unbooked proposal did not ask")
	}
	key(fyne.KeyReturn)
	if !slices.Equal(book.starts, []int64{0, 0, id}) {
		t.Fatalf("starts %v, want the patient's booking last", book.starts)
	}
}
