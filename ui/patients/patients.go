// Package patients is kapbook's Patients screen: a list of patients
// searched as you type (name, email or phone) beside one patient's page
// with their contact details, consents, series progress and appointments,
// and the export of their calendar.
//
// The list searches a booking.PatientIndex held in memory, so a keystroke
// never waits on the database; the index is loaded off the UI goroutine
// and rebuilt after every change. Nothing of a patient is ever logged.
package patients

import (
	"context"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// listLimit is how many matches the list shows; typing more narrows it.
const listLimit = 1000

// View is the Patients screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject

	// The list.
	search  *widget.Entry
	add     *kit.Button
	count   *widget.Label
	list    *widget.List
	index   *booking.PatientIndex   // nil until loaded
	matches *booking.PatientMatches // the last search, refined as the user types
	rows    []*booking.Patient      // what the list shows
	listGen int                     // the latest list load; older ones are dropped
	loading bool
	seen    int64 // the newest audit entry when the index was loaded

	// The patient's page.
	page    *container.Scroll
	status  *widget.Label // the result of the last change made here
	current int64         // the patient shown, 0: none
	pageGen int
	shown   *pageData
	w       pageWidgets
	edit    *editDialog
	rems    *remsDialog // withdrawing a REMS enrolment with sessions booked
}

// New builds the screen; it loads its data when first shown (the shell
// calls Refresh then) or when asked to show a patient or find one.
func New(env *kit.Env) *View {
	v := &View{env: env}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search by name, email or phone")
	v.search.OnChanged = func(string) { v.filter() }
	v.search.OnSubmitted = func(string) {
		if len(v.rows) > 0 {
			v.Show(v.rows[0].ID)
		}
	}
	v.count = widget.NewLabel("")
	v.count.Wrapping = fyne.TextWrapWord
	v.list = widget.NewList(
		func() int { return len(v.rows) },
		func() fyne.CanvasObject {
			// Clipped, not cut with an ellipsis: measuring for the
			// ellipsis would cost more than the search itself.
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateClip
			detail := widget.NewLabel("")
			detail.Truncation = fyne.TextTruncateClip
			return container.NewVBox(name, detail)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(v.rows) {
				return
			}
			p := v.rows[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(p.Name)
			box.Objects[1].(*widget.Label).SetText(contactLine(p))
		})
	v.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(v.rows) && v.rows[i].ID != v.current {
			v.Show(v.rows[i].ID)
		}
	}
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Hide()
	v.page = container.NewVScroll(v.emptyPage())

	v.add = kit.NewButtonWithIcon("New patient", theme.ContentAddIcon(), v.NewPatient)
	top := container.NewBorder(nil, nil, nil, v.add, heading("Patients"))
	left := container.NewBorder(container.NewVBox(top, v.search, v.count), nil, nil, nil, v.list)
	split := container.NewHSplit(left, v.page)
	split.Offset = 0.3
	v.content = split
	env.OnChange(v.Refresh)
	v.filter()
	return v
}

// contactLine is a list row's second line: the email and phone.
func contactLine(p *booking.Patient) string {
	if p.Phone == "" {
		return p.Email
	}
	return p.Email + " · " + p.Phone
}

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

// Refresh reloads what the screen shows, off the UI goroutine: the
// patients the list searches and the page of the patient shown.
func (v *View) Refresh() {
	v.loadList()
	if v.current != 0 {
		v.loadPage(v.current)
	}
}

// Find clears nothing, shows the list and focuses the search field.
func (v *View) Find() {
	if v.index == nil && !v.loading {
		v.loadList()
	}
	if v.env.Window != nil {
		v.env.Window.Canvas().Focus(v.search)
	}
}

// Show shows one patient's page.
func (v *View) Show(patientID int64) {
	if v.current != patientID {
		v.status.Hide()
	}
	v.current = patientID
	if v.index == nil && !v.loading {
		v.loadList()
	}
	v.selectInList()
	v.loadPage(patientID)
}

// loadList loads every patient into a new index off the UI goroutine,
// unless the audit trail shows that no patient's name, email or phone can
// have changed since the last load: most changes are bookings and
// attendance, and reloading tens of thousands of patients after each
// would be wasted work.
func (v *View) loadList() {
	v.listGen++
	gen, seen, have := v.listGen, v.seen, v.index != nil
	v.loading = true
	if v.index == nil {
		v.filter()
	}
	var x *booking.PatientIndex
	var latest int64
	run := func(work func(context.Context) error, done func(error)) { v.env.Run("Loading patients", work, done) }
	if have {
		run = v.env.RunQuietly // the list stays usable meanwhile
	}
	run(func(ctx context.Context) error {
		var changed bool
		var err error
		latest, changed, err = patientsChanged(ctx, v.env.Store, seen)
		if err != nil || (have && !changed) {
			return err
		}
		all, err := v.env.Store.FindPatients(ctx, "")
		if err != nil {
			return err
		}
		x = booking.NewPatientIndex(all)
		return nil
	}, func(err error) {
		if gen != v.listGen {
			return
		}
		v.loading = false
		if err != nil {
			v.count.SetText("The patients could not be loaded: " + kit.Message(err))
			return
		}
		v.seen = latest
		if x != nil {
			v.setIndex(x)
		}
	})
}

// auditWindow is how many of the newest audit entries patientsChanged
// reads; with more new entries than that it assumes a change.
const auditWindow = 50

// listUnaffected are the audit actions that never change a patient's name,
// email or phone, which is all the list shows and searches. Any other
// action, including one added later, reloads the list.
var listUnaffected = map[string]bool{
	"book": true, "reschedule": true, "cancel": true, "status": true, "escort": true, "override": true,
	"consent": true, "preferences": true, "resend": true, "outbox-retry": true, "protocol": true,
	"clinic": true, "email-settings": true, "email-template": true, "message-policy": true,
}

// patientsChanged returns the newest audit entry's id and whether an entry
// newer than seen may have changed a patient's name, email or phone (always
// true when seen is 0).
func patientsChanged(ctx context.Context, r booking.Reader, seen int64) (latest int64, changed bool, err error) {
	list, err := r.Audit(ctx, booking.AuditFilter{Limit: auditWindow})
	if err != nil {
		return 0, false, err
	}
	if len(list) == 0 {
		return 0, seen == 0, nil
	}
	latest = list[0].ID
	if seen == 0 {
		return latest, true, nil
	}
	for _, e := range list {
		if e.ID <= seen {
			return latest, false, nil
		}
		if !listUnaffected[e.Action] {
			return latest, true, nil
		}
	}
	return latest, len(list) == auditWindow, nil
}

// setIndex makes the list search x.
func (v *View) setIndex(x *booking.PatientIndex) {
	v.index, v.matches = x, nil
	v.filter()
}

// filter shows the patients matching the search field.
func (v *View) filter() {
	q := v.search.Text
	if v.matches == nil {
		v.matches = v.index.Match(q)
	} else {
		v.matches = v.matches.Refine(q)
	}
	rows, total := v.matches.Patients(listLimit), v.matches.Len()
	v.count.SetText(countText(v.index, v.loading, q, len(rows), total))
	if slices.Equal(rows, v.rows) && len(rows) > 0 {
		return // typing on within the same patients: nothing to redraw
	}
	v.rows = rows
	v.list.UnselectAll()
	v.list.Refresh()
	v.selectInList()
	v.list.ScrollToTop() // the best matches, even when the patient shown is further down
}

// countText says what the list shows.
func countText(x *booking.PatientIndex, loading bool, q string, shown, total int) string {
	switch {
	case x == nil && loading:
		return "Loading patients…"
	case x == nil:
		return ""
	case x.Len() == 0:
		return "No patients yet. Add the first with New patient."
	case total == 0:
		return fmt.Sprintf("No patient matches “%s”. Check the spelling, or add them with New patient.", q)
	case shown < total:
		return fmt.Sprintf("Showing the first %d of %d; type more to narrow the search.", shown, total)
	case blank(q):
		return kit.Plural(total, "patient", "patients")
	}
	return kit.Plural(total, "match", "matches")
}

func blank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' {
			return false
		}
	}
	return true
}

// selectInList highlights the patient shown, when the list has them.
func (v *View) selectInList() {
	for i, p := range v.rows {
		if p.ID == v.current && v.current != 0 {
			v.list.Select(i)
			return
		}
	}
}
