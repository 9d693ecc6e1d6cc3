package schedule_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
	"github.com/kapbook/kapbook/ui/patients"
	"github.com/kapbook/kapbook/ui/schedule"
)

// texts returns the words the window shows, one label or text a line.
func texts(w fyne.Window) []string {
	var out []string
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		switch x := o.(type) {
		case *canvas.Text:
			out = append(out, x.Text)
		case *widget.Label:
			out = append(out, x.Text)
		}
	}
	return out
}

// aDay finds a day written as people read it, with the year if it has one.
var aDay = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]* \d{1,2} [A-Z][a-z]+( \d{4})?`)

// yearless returns the texts that write a day without its year, as
// kapbook once did in some places and not others.
func yearless(texts []string) []string {
	var out []string
	for _, s := range texts {
		for _, m := range aDay.FindAllStringSubmatch(s, -1) {
			if m[2] == "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestDates_SameWordsOnEveryScreen: the schedule's details pane and the
// patient's page write the same appointment's day in the same words
// (issue 14, item 11: "dates in two formats").
func TestDates_SameWordsOnEveryScreen(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	ctx := context.Background()
	c, err := f.DB.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var a *booking.Appointment
	for _, x := range f.Series[0].Appts {
		if strings.HasPrefix(x.Label(), "Dosing") {
			a = x
			break
		}
	}
	if a == nil {
		t.Fatal("the first series has no dosing")
	}
	day := kit.Date(a.Start.In(c.Location()))

	// The schedule's details pane: "Mon 8 Mar 2027, 08:00–11:00".
	sv := schedule.New(f.Env)
	f.Env.Window.SetContent(sv.Content())
	sv.ShowDay(booking.DateOf(a.Start.In(c.Location())))
	sv.Select(a.ID)
	var onSchedule string
	for _, s := range texts(f.Env.Window) {
		if strings.HasSuffix(s, kit.Clock(a.Start.In(c.Location()))+"–"+kit.Clock(a.End.In(c.Location()))) {
			onSchedule = s
		}
	}
	if onSchedule == "" {
		t.Fatalf("the schedule shows no time for %s; it shows %q", a.Label(), texts(f.Env.Window))
	}

	if y := yearless(texts(f.Env.Window)); len(y) > 0 {
		t.Errorf("the schedule writes days without their year: %q", y)
	}

	// The patient's page: the appointment's row has its day.
	pv := patients.New(f.Env)
	f.Env.Window.SetContent(pv.Content())
	pv.Refresh()
	pv.Show(a.PatientID)
	onPage := texts(f.Env.Window)
	if y := yearless(onPage); len(y) > 0 {
		t.Errorf("the patient's page writes days without their year: %q", y)
	}

	onScheduleDay, _, _ := strings.Cut(onSchedule, ", ")
	if onScheduleDay != day {
		t.Fatalf("schedule writes the day of %s as %q, want %q", a.Label(), onScheduleDay, day)
	}
	found := false
	for _, s := range onPage {
		if s == onScheduleDay {
			found = true
		}
	}
	if !found {
		t.Fatalf("the patient's page does not write %s's day as the schedule does (%q); it shows %q", a.Label(), onScheduleDay, onPage)
	}
}
