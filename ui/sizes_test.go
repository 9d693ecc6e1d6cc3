package ui_test

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// laptop is the smallest window every screen must work in: a laptop at
// the front desk (issue 14, item 8).
var laptop = fyne.NewSize(1024, 700)

// TestSizes_EveryScreen renders every screen, through the shell, at a
// laptop's 1024 × 700 and at 1600 × 1000 and compares each with its
// golden markup in testdata/sizes/ (and, for all but Settings' tabs
// after the first, its golden image: block and progress-bar text is drawn
// into rasters, which markup does not show). At 1024 × 700 each screen's
// minimum size must fit the window: a screen that needs more widens the
// window past a laptop's screen and its right-hand side is cut off.
// Missing or changed goldens are written under testdata/failed/; look
// at them, and move them to testdata/sizes/ when they are right.
func TestSizes_EveryScreen(t *testing.T) {
	// The date picker writes dates the system locale's way.
	t.Setenv("LC_ALL", "en_US.UTF-8")
	for _, size := range []fyne.Size{laptop, fyne.NewSize(1600, 1000)} {
		t.Run(fmt.Sprintf("%.0fx%.0f", size.Width, size.Height), func(t *testing.T) {
			// The day after the series start, so Today lists visits and
			// escorts missing for the day after.
			f := kittest.New(t, kittest.Options{Patients: 3, Booked: true})
			now := kittest.Now.AddDate(0, 0, 1)
			f.Env.Now = func() time.Time { return now }
			f.Env.Service.Now = f.Env.Now
			// Settings show the database's path and the .eml folder beside
			// it: the same path every run (nothing here writes there).
			f.Env.DBPath = "/srv/kapbook/clinic.db"
			s := ui.New(f.Env)
			f.Env.Window.SetContent(s.Content())
			w := f.Env.Window
			w.Resize(size)
			check := func(name string, image bool) {
				t.Helper()
				// The window lays its content out at its size before it is
				// measured: what wraps is measured at the width it has.
				w.Content().Refresh()
				if size == laptop {
					if m := w.Content().MinSize(); m.Width > laptop.Width || m.Height > laptop.Height {
						t.Errorf("%s needs %.0f × %.0f, more than a laptop's %.0f × %.0f", name, m.Width, m.Height, laptop.Width, laptop.Height)
					}
				}
				file := fmt.Sprintf("sizes/%s-%.0fx%.0f", name, size.Width, size.Height)
				test.AssertRendersToMarkup(t, file+".xml", w.Canvas())
				if image {
					test.AssertImageMatches(t, file+".png", w.Canvas().Capture())
				}
			}
			s.Show(ui.ViewToday)
			check("today", true)
			s.ShowSchedule(0)
			check("schedule", true)
			s.ShowAppointment(f.Series[0].Appts[3].ID)
			check("schedule-selected", true)
			s.Show(ui.ViewPatients)
			check("patients", true)
			s.ShowPatient(f.Patients[0].ID)
			check("patient", true)
			s.Show(ui.ViewOutbox)
			check("outbox", true)
			s.Show(ui.ViewSettings)
			for i, tab := range s.Settings.Tabs.Items {
				s.Settings.Tabs.SelectIndex(i)
				check("settings-"+tab.Text, i == 0)
			}
			s.NewBooking(f.Patients[0].ID)
			check("book", true)
			if !s.Booker.ChooseProtocol("kap-standard") {
				t.Fatal("kap-standard not offered")
			}
			s.Booker.Propose()
			check("book-proposal", true)
		})
	}
}

// todayOnLaptop shows Today, the day after the series start, through the
// shell in a laptop's 1024 × 700 window.
func todayOnLaptop(t *testing.T) (*ui.Shell, *kittest.Fixture) {
	t.Helper()
	f := kittest.New(t, kittest.Options{Patients: 3, Booked: true})
	now := kittest.Now.AddDate(0, 0, 1)
	f.Env.Now = func() time.Time { return now }
	f.Env.Service.Now = f.Env.Now
	s := ui.New(f.Env)
	f.Env.Window.SetContent(s.Content())
	f.Env.Window.Resize(laptop)
	s.Show(ui.ViewToday)
	return s, f
}

// cutCells returns the cells under root whose text is cut short.
func cutCells(root fyne.CanvasObject) []*kit.HoverLabel {
	var cut []*kit.HoverLabel
	for _, o := range kittest.Visible(root) {
		if l, ok := o.(*kit.HoverLabel); ok && l.Cut() {
			cut = append(cut, l)
		}
	}
	return cut
}

// TestSizes_CutTextShowsWholeOnHover: at a laptop's width Today's longest
// texts are cut short, and the pointer on one shows it whole.
func TestSizes_CutTextShowsWholeOnHover(t *testing.T) {
	s, f := todayOnLaptop(t)
	w := f.Env.Window
	cut := cutCells(w.Content())
	if len(cut) == 0 {
		t.Fatal("no text is cut on Today at 1024 × 700; the test shows nothing")
	}
	tipped, ok := w.Content().(*kit.Tipped)
	if !ok {
		t.Fatalf("the window's content is %T, want a kit.Tipped", w.Content())
	}
	l := cut[0]
	l.MouseIn(&desktop.MouseEvent{})
	if got := tipped.Tip(); got != l.Text {
		t.Fatalf("hovering %q shows %q, want the whole text", l.Text, got)
	}
	l.MouseOut()
	if got := tipped.Tip(); got != "" {
		t.Fatalf("after the pointer left, %q still shows", got)
	}

	// On a patient's page, rows show their cut texts (a consent's help)
	// whole where the pointer rests.
	s.ShowPatient(f.Patients[0].ID)
	var row *kit.HoverRow
	var label *widget.Label
	for _, o := range kittest.Visible(w.Content()) {
		r, ok := o.(*kit.HoverRow)
		for i := 0; ok && label == nil && i < len(r.Row.Objects); i++ {
			if l, isLabel := r.Row.Objects[i].(*widget.Label); isLabel && kit.Cut(l) {
				row, label = r, l
			}
		}
	}
	if label == nil {
		t.Fatal("no text is cut on a patient's page at 1024 × 700; the test shows nothing")
	}
	row.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: label.Position().Add(fyne.NewPos(2, 2))}})
	if got := tipped.Tip(); got != label.Text {
		t.Fatalf("hovering %q shows %q, want the whole text", label.Text, got)
	}
	row.MouseOut()
	if got := tipped.Tip(); got != "" {
		t.Fatalf("after the pointer left the row, %q still shows", got)
	}
}

// TestTips_LeaveTheKeyboardAlone: a cut text shown whole takes no keys:
// with the pointer resting on a cut cell of Today, Ctrl+F and the name
// typed still find the patient (a pop-up would have taken the keyboard:
// seen in the real window), and the text shown whole goes when the view
// changes under a pointer that did not move.
func TestTips_LeaveTheKeyboardAlone(t *testing.T) {
	s, f := todayOnLaptop(t)
	w := f.Env.Window
	tipped := w.Content().(*kit.Tipped)
	cuts := cutCells(w.Content())
	if len(cuts) == 0 {
		t.Fatal("no text is cut on Today at 1024 × 700; the test shows nothing")
	}
	cut := cuts[0]
	cut.MouseIn(&desktop.MouseEvent{})
	if tipped.Tip() == "" {
		t.Fatal("the cut text does not show whole")
	}
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("the whole text shows as an overlay (%T), which takes the keyboard", top)
	}
	s.FindPatient()
	if tipped.Tip() != "" {
		t.Fatalf("%q still shows over the Patients view", tipped.Tip())
	}
	// The canvas gives keys to what it says has the focus: with an
	// overlay on top, that overlay's focused object, or nothing.
	e, ok := w.Canvas().Focused().(*widget.Entry)
	if !ok {
		t.Fatalf("keys go to %T, want the search field", w.Canvas().Focused())
	}
	name := f.Patients[1].Name
	test.Type(e, name[:5])
	if !ok || e.Text != name[:5] {
		t.Fatalf("typed %q; the focused %T holds %v", name[:5], w.Canvas().Focused(), e)
	}
}
