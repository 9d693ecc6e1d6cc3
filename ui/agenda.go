// Package ui holds kapbook's Fyne screens. Screens take the data or
// services they need and return a fyne.CanvasObject; the package never
// imports fyne.io/fyne/v2/app, so its tests run headless and without cgo.
package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
)

// Agenda is a read-only list of upcoming appointments: the first screen
// until the scheduling screens arrive. Patients show as initials.
type Agenda struct {
	Title  *widget.Label
	Empty  *widget.Label
	List   *widget.List
	Rows   []string // one line per appointment, as shown
	Footer *widget.Label
}

// AgendaData is what the agenda shows.
type AgendaData struct {
	Clinic       *booking.Clinic
	From, To     time.Time
	Appointments []*booking.Appointment
	PatientNames map[int64]string
}

// NewAgenda builds the agenda for the given data.
func NewAgenda(d AgendaData) *Agenda {
	loc := d.Clinic.Location()
	v := &Agenda{}
	v.Title = widget.NewLabelWithStyle(fmt.Sprintf("%s: appointments %s to %s", d.Clinic.Name,
		d.From.In(loc).Format("Mon 2 Jan"), d.To.In(loc).Add(-time.Second).Format("Mon 2 Jan 2006")), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	for _, a := range d.Appointments {
		if !a.Status.Active() {
			continue
		}
		var staff []string
		for _, s := range a.Staff {
			staff = append(staff, s.Name)
		}
		room := a.RoomName
		if a.Video() {
			room = "video"
		}
		v.Rows = append(v.Rows, fmt.Sprintf("%s–%s   %-16s %-6s %s · %s",
			a.Start.In(loc).Format("Mon 2 Jan 15:04"), a.End.In(loc).Format("15:04"), a.Label(),
			booking.Initials(d.PatientNames[a.PatientID]), strings.Join(staff, ", "), room))
	}
	v.List = widget.NewList(func() int { return len(v.Rows) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.Rows[i]) })
	v.Empty = widget.NewLabel("No appointments in these days. Book a series with kapctl book.")
	v.Empty.Hidden = len(v.Rows) > 0
	v.Footer = widget.NewLabel("Read-only preview. The scheduling screens arrive with the desktop UI; use kapctl meanwhile.")
	v.Footer.Wrapping = fyne.TextWrapWord
	return v
}

// Content returns the screen.
func (v *Agenda) Content() fyne.CanvasObject {
	return container.NewBorder(container.NewVBox(v.Title, v.Empty), v.Footer, nil, nil, v.List)
}

// Problem is the screen shown when the database cannot be opened: the
// message in words, never a raw error.
func Problem(path string, err error) fyne.CanvasObject {
	l := widget.NewLabel(fmt.Sprintf("kapbook cannot open the clinic database %s.\n\n%s", path, booking.ErrorMessage(err)))
	l.Wrapping = fyne.TextWrapWord
	return l
}
