package ui_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui"
)

func clinic(t *testing.T) *booking.Clinic {
	c := &booking.Clinic{Name: "Harbor", TimeZone: "America/New_York", Hours: booking.WeeklyHours{}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAgenda_ShowsInitialsNotNames(t *testing.T) {
	test.NewTempApp(t)
	c := clinic(t)
	start := time.Date(2027, 3, 2, 8, 0, 0, 0, c.Location())
	appts := []*booking.Appointment{
		{ID: 1, PatientID: 7, Kind: "dosing", Index: 3, Count: 6, Start: start, End: start.Add(3 * time.Hour), Status: booking.Booked,
			Staff: []booking.Assignment{{StaffID: 1, Name: "Dr. Ana Reyes", Role: booking.RoleTherapist}}, RoomID: 4, RoomName: "Dosing 1"},
		{ID: 2, PatientID: 7, Kind: "integration", Index: 3, Count: 6, Start: start.Add(3 * time.Hour), End: start.Add(4 * time.Hour), Status: booking.Cancelled},
	}
	v := ui.NewAgenda(ui.AgendaData{Clinic: c, From: start, To: start.Add(14 * 24 * time.Hour), Appointments: appts, PatientNames: map[int64]string{7: "Jane Doe"}})
	w := test.NewTempWindow(t, v.Content())
	if got := len(v.Rows); got != 1 {
		t.Fatalf("rows=%d, want 1 (the cancelled one left out)", got)
	}
	row := v.Rows[0]
	for _, want := range []string{"Tue 2 Mar 08:00–11:00", "Dosing 3/6", "J.D.", "Dr. Ana Reyes", "Dosing 1"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q does not show %q", row, want)
		}
	}
	if strings.Contains(test.RenderToMarkup(w.Canvas()), "Jane") {
		t.Error("the window shows the patient's full name")
	}
	if !v.Empty.Hidden {
		t.Error("the empty-state note shows although there are appointments")
	}
}

func TestAgenda_Empty(t *testing.T) {
	test.NewTempApp(t)
	c := clinic(t)
	now := time.Date(2027, 3, 2, 0, 0, 0, 0, c.Location())
	v := ui.NewAgenda(ui.AgendaData{Clinic: c, From: now, To: now.Add(24 * time.Hour)})
	test.NewTempWindow(t, v.Content())
	if v.Empty.Hidden || v.List.Length() != 0 {
		t.Fatalf("empty=%v rows=%d, want the empty-state note and no rows", !v.Empty.Hidden, v.List.Length())
	}
}

func TestProblem_SaysWords(t *testing.T) {
	test.NewTempApp(t)
	obj := ui.Problem("/x/k.db", errors.New("sqlite: SQLITE_NOTADB (26)"))
	text := obj.(*widget.Label).Text
	if strings.Contains(text, "SQLITE") || !strings.Contains(text, "Internal error.") {
		t.Fatalf("text=%q, want no raw error", text)
	}
	obj = ui.Problem("/x/k.db", booking.Errorf(booking.ESTORE, "The file is not a kapbook database."))
	if text := obj.(*widget.Label).Text; !strings.Contains(text, "not a kapbook database") {
		t.Fatalf("text=%q, want the store's message", text)
	}
}
