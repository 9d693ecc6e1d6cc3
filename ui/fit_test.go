package ui_test

import (
	"testing"

	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestShell_EveryViewFitsTheDefaultWindow: no view may need a window wider
// than the default, or the window grows past a laptop's screen and its
// right-hand side (titles, Open buttons) is cut off. The booking screen is
// measured with a proposal shown, the patient page with a booked patient.
func TestShell_EveryViewFitsTheDefaultWindow(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 3, Booked: true})
	f.Env.Window.Resize(ui.DefaultSize)
	fits := func(what string) {
		t.Helper()
		if w := f.Env.Window.Content().MinSize().Width; w > ui.DefaultSize.Width {
			t.Errorf("%s needs a window %.0f wide, more than the default %.0f", what, w, ui.DefaultSize.Width)
		}
	}
	for _, v := range []string{ui.ViewToday, ui.ViewSchedule, ui.ViewBook, ui.ViewPatients, ui.ViewOutbox, ui.ViewSettings} {
		s.Show(v)
		fits(v)
	}
	s.NewBooking(f.Patients[0].ID)
	if !s.Booker.ChooseProtocol("kap-standard") {
		t.Fatal("kap-standard not offered")
	}
	s.Booker.Propose()
	fits("the booking screen with a proposal")
	s.ShowPatient(f.Patients[0].ID)
	fits("a patient's page")
	s.ShowAppointment(f.Series[0].Appts[3].ID)
	fits("the schedule with an appointment selected")
}
