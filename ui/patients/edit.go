package patients

import (
	"context"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// editDialog edits a patient's contact details. It stays open, saying
// what is wrong in plain words, until the details are saved or the user
// cancels.
type editDialog struct {
	d                  *dialog.CustomDialog
	name, email, phone *kit.Field
	problem            *widget.Label
	save, cancel       *kit.Button
	prefs              *prefsChecks
	patientID          int64
	saving             bool
}

// EditContact opens the dialog that edits the shown patient's name, email,
// phone and preferred days and times (Enter saves, Escape cancels).
func (v *View) EditContact() {
	if v.shown == nil || v.env.Window == nil {
		return
	}
	v.openDialog("Contact details", v.shown.patient)
}

// NewPatient opens the dialog that adds a patient, with the name filled in
// from the search when it looks like one; the new patient's page shows
// once saved.
func (v *View) NewPatient() {
	if v.env.Window == nil {
		return
	}
	p := &booking.Patient{}
	if q := strings.TrimSpace(v.search.Text); q != "" && !strings.ContainsAny(q, "@0123456789") {
		p.Name = q
	}
	v.openDialog("New patient", p)
}

// openDialog opens the dialog of patient p's details; a p without id is
// a new patient.
func (v *View) openDialog(title string, p *booking.Patient) {
	e := &editDialog{patientID: p.ID, prefs: newPrefsChecks(p.Preferences)}
	hide := func() { e.d.Hide() }
	e.name, e.email, e.phone = kit.NewField(hide), kit.NewField(hide), kit.NewField(hide)
	e.name.SetText(p.Name)
	e.email.SetText(p.Email)
	e.email.SetPlaceHolder("name@example.org")
	e.phone.SetText(p.Phone)
	e.phone.SetPlaceHolder("optional, e.g. +1 617 555 0101")
	for _, en := range []*kit.Field{e.name, e.email, e.phone} {
		en.OnSubmitted = func(string) { v.saveContact(e) }
	}
	e.problem = widget.NewLabel("")
	e.problem.Wrapping = fyne.TextWrapWord
	e.problem.Importance = widget.DangerImportance
	e.problem.Hide()
	form := widget.NewForm(
		widget.NewFormItem("Name", e.name),
		widget.NewFormItem("Email", e.email),
		widget.NewFormItem("Phone", e.phone),
		widget.NewFormItem("Prefers", e.prefs.days),
		widget.NewFormItem("", e.prefs.times),
	)
	e.save = kit.NewButton("Save", func() { v.saveContact(e) })
	e.save.Importance = widget.HighImportance
	e.cancel = kit.NewButton("Cancel", hide)
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(460, 0))
	e.d = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, e.problem, width), v.env.Window)
	e.d.SetButtons([]fyne.CanvasObject{e.cancel, e.save})
	v.edit = e
	e.d.Show()
	v.env.Window.Canvas().Focus(e.name)
}

// saveContact stores the dialog's details; on success it closes the
// dialog and the page shows the patient as stored, otherwise the dialog
// says why.
func (v *View) saveContact(e *editDialog) {
	if e.saving {
		return
	}
	e.saving = true
	p := &booking.Patient{ID: e.patientID, Name: e.name.Text, Email: e.email.Text, Phone: e.phone.Text, Preferences: e.prefs.preferences()}
	v.env.Run("Saving the patient", func(ctx context.Context) error {
		if p.ID == 0 {
			return v.env.Service.AddPatient(ctx, p)
		}
		return v.env.Service.UpdatePatient(ctx, p)
	}, func(err error) {
		e.saving = false
		if err != nil {
			e.problem.SetText(kit.Message(err))
			e.problem.Show()
			e.d.Resize(e.d.MinSize())
			return
		}
		e.d.Hide()
		if v.edit == e {
			v.edit = nil
		}
		if e.patientID == 0 {
			v.Show(p.ID)
			v.setStatus("Patient added.")
		} else {
			v.setStatus("Contact details saved.")
		}
		v.env.Changed()
	})
}
