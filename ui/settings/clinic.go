package settings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// commonZones are offered in the time-zone field; any IANA name may be
// typed.
var commonZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
	"America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
	"America/Vancouver", "Europe/London", "Europe/Dublin", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Paris", "Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland",
}

// clinicTab edits the clinic's own settings.
type clinicTab struct {
	v       *View
	content fyne.CanvasObject
	loaded  *booking.Clinic
	shown   string // key of what the form shows (clinicKey)

	name, address, phone, lateCancel *widget.Entry
	slack                            *widget.Entry
	choice                           *widget.Select // how a new series without a named therapist gets one
	zone                             *widget.SelectEntry
	rems                             *widget.Check
	hours                            *hoursEditor
	formView                         *widget.Form // name to REMS; hours has its own
	save                             *kit.Button
	note                             *widget.Label
	loading                          *widget.Label // shown, and the form off, until the clinic is loaded

	closures               *fyne.Container // one row per closure
	closureFrom, closureTo *widget.Entry
	closureReason          *widget.Entry
	addClosure             *kit.Button
	removeClosure          []*kit.Button // one per row, in order
	closureNote            *widget.Label
}

func newClinicTab(v *View) *clinicTab {
	t := &clinicTab{v: v}
	t.name = widget.NewEntry()
	t.zone = widget.NewSelectEntry(commonZones)
	t.zone.SetPlaceHolder("e.g. America/New_York")
	t.address = widget.NewEntry()
	t.phone = widget.NewEntry()
	t.phone.SetPlaceHolder("e.g. +1 617 555 0142")
	t.lateCancel = widget.NewEntry()
	t.lateCancel.SetPlaceHolder("24")
	t.slack = widget.NewEntry()
	t.slack.SetPlaceHolder("2")
	t.choice = widget.NewSelect([]string{choiceBalanced, choiceEarliest}, nil)
	t.rems = widget.NewCheck("REMS-certified (may give esketamine)", nil)
	t.hours = newHoursEditor()
	t.note = newNote()
	t.save = kit.NewButton("Save clinic settings", t.doSave)
	t.save.Importance = widget.HighImportance
	kit.SubmitWith(t.save, t.name, &t.zone.Entry, t.address, t.phone, t.lateCancel, t.slack)
	for _, d := range booking.Week {
		kit.SubmitWith(t.save, t.hours.entries[d.Key])
	}
	t.formView = widget.NewForm(
		widget.NewFormItem("Clinic name", t.name),
		widget.NewFormItem("Time zone", t.zone),
		widget.NewFormItem("Address", t.address),
		widget.NewFormItem("Phone", t.phone),
		widget.NewFormItem("Late cancellation (hours)", t.lateCancel),
		widget.NewFormItem("Planner slack (days)", t.slack),
		widget.NewFormItem("Any therapist", t.choice),
		widget.NewFormItem("", t.rems),
	)
	t.formView.Items[5].HintText = "days a plan may start later to suit the patient"
	t.formView.Items[6].HintText = "who gets a new series when none is named"
	t.closures = container.NewVBox()
	t.closureFrom = widget.NewEntry()
	t.closureFrom.SetPlaceHolder("from YYYY-MM-DD")
	t.closureTo = widget.NewEntry()
	t.closureTo.SetPlaceHolder("to YYYY-MM-DD (empty: one day)")
	t.closureReason = widget.NewEntry()
	t.closureReason.SetPlaceHolder("reason, e.g. Thanksgiving")
	t.addClosure = kit.NewButton("Add closure", t.doAddClosure)
	t.closureReason.OnSubmitted = func(string) { t.doAddClosure() }
	t.closureNote = newNote()
	t.loading = widget.NewLabelWithStyle("Loading the clinic settings…", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	t.setLoaded(false)
	left := container.NewVBox(heading("The clinic"), t.loading, t.formView,
		heading("Opening hours"), explain("Periods of each day, such as 08:00-18:00 or 08:00-12:00, 13:00-18:00; leave a day empty when the clinic is closed."),
		t.hours.form, container.NewHBox(t.save), t.note)
	right := container.NewVBox(heading("Closures"),
		explain("Days the clinic is closed: nobody is booked on them. Adding or removing a closure is saved at once."),
		t.closures,
		container.NewGridWithColumns(3, t.closureFrom, t.closureTo, t.closureReason),
		container.NewHBox(t.addClosure), t.closureNote)
	// The closures go below the clinic's form rather than beside it, so
	// the tab fits a laptop's window (1024 wide) with the sidebar.
	t.content = container.NewVScroll(container.NewVBox(left, widget.NewSeparator(), right))
	return t
}

// show puts the stored clinic on the tab. The form is filled anew only
// when what it shows changed in the store, so unsaved typing survives
// other changes (a closure, the email settings).
func (t *clinicTab) show(d data) {
	c := d.clinic
	t.loaded = c
	defer t.setLoaded(c != nil)
	t.showClosures(c)
	k := clinicKey(c)
	if k == t.shown {
		return
	}
	t.shown = k
	t.name.SetText(c.Name)
	t.zone.SetText(c.TimeZone)
	t.address.SetText(c.Address)
	t.phone.SetText(c.Phone)
	t.lateCancel.SetText(strconv.Itoa(int(c.LateCancel().Hours())))
	t.slack.SetText(strconv.Itoa(c.Slack()))
	t.choice.SetSelected(choiceBalanced)
	if !c.Balanced() {
		t.choice.SetSelected(choiceEarliest)
	}
	t.rems.SetChecked(c.REMSCertified)
	t.hours.set(c.Hours)
}

// setLoaded turns the form on once the stored clinic fills it: until
// then it says it is loading, and nothing can be typed or saved that the
// load would overwrite.
func (t *clinicTab) setLoaded(on bool) {
	fields := []fyne.Disableable{t.name, t.zone, t.address, t.phone, t.lateCancel, t.slack, t.choice, t.rems,
		t.save, t.closureFrom, t.closureTo, t.closureReason, t.addClosure}
	for _, e := range t.hours.entries {
		fields = append(fields, e)
	}
	for _, f := range fields {
		if on {
			f.Enable()
		} else {
			f.Disable()
		}
	}
	// A form draws its labels dim or not as its fields were when it was
	// last refreshed: refreshed now, they do not stay dim once the clinic
	// has loaded (seen in the real window, where it loads after the tab
	// is drawn).
	t.formView.Refresh()
	t.hours.form.Refresh()
	if on {
		t.loading.Hide()
	} else {
		t.loading.Show()
	}
}

// clinicKey is what the clinic form shows of c.
func clinicKey(c *booking.Clinic) string {
	return key([]any{c.Name, c.TimeZone, c.Address, c.Phone, c.LateCancelHours, c.Slack(), c.Balanced(), c.REMSCertified, c.Hours})
}

func (t *clinicTab) showClosures(c *booking.Clinic) {
	t.closures.RemoveAll()
	t.removeClosure = nil
	if len(c.Closures) == 0 {
		t.closures.Add(widget.NewLabel("No closures."))
	}
	for _, cl := range c.Closures {
		cl := cl
		text := cl.From.String()
		if cl.To != cl.From {
			text += " to " + cl.To.String()
		}
		if cl.Reason != "" {
			text += ": " + cl.Reason
		}
		b := kit.NewButton("Remove", func() { t.confirmRemove(cl) })
		t.removeClosure = append(t.removeClosure, b)
		t.closures.Add(container.NewBorder(nil, nil, nil, b, widget.NewLabel(text)))
	}
	t.closures.Refresh()
}

// form returns the clinic as typed, on top of what was loaded.
func (t *clinicTab) form() (*booking.Clinic, error) {
	if t.loaded == nil {
		return nil, booking.Errorf(booking.ECONFLICT, "The clinic settings are still loading; try again in a moment.")
	}
	c := *t.loaded
	c.Name = t.name.Text
	c.TimeZone = strings.TrimSpace(t.zone.Text)
	c.Address = t.address.Text
	c.Phone = t.phone.Text
	c.REMSCertified = t.rems.Checked
	c.LateCancelHours = 0
	if s := strings.TrimSpace(t.lateCancel.Text); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, booking.Errorf(booking.EINVALID, "The late-cancellation notice must be a whole number of hours, such as 24.")
		}
		c.LateCancelHours = n
	}
	c.SlackDays = nil
	if s := strings.TrimSpace(t.slack.Text); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, booking.Errorf(booking.EINVALID, "The planner's slack must be a whole number of days, such as 2.")
		}
		c.SlackDays = &n
	}
	c.TherapistChoice = ""
	if t.choice.Selected == choiceEarliest {
		c.TherapistChoice = booking.TherapistEarliest
	}
	h, err := t.hours.hours("Clinic opening hours")
	if err != nil {
		return nil, err
	}
	c.Hours = h
	return &c, nil
}

// The ways to give a new series a therapist when the front desk names none.
const (
	choiceBalanced = "The least booked, within the slack"
	choiceEarliest = "The earliest start, whoever has it"
)

func (t *clinicTab) doSave() {
	t.note.Hide()
	c, err := t.form()
	if err != nil {
		t.v.env.ShowError(err)
		return
	}
	if check := *c; check.Validate() != nil {
		t.store(c) // SaveClinic refuses it, in words, storing nothing
		return
	}
	if old := t.loaded.TimeZone; c.TimeZone != old {
		t.v.env.Confirm("Change the time zone", fmt.Sprintf("Change the clinic's time zone from %s to %s? Booked appointments keep their moment in time, so the clock times shown for them change.", old, c.TimeZone),
			"Change", func() { t.store(c) })
		return
	}
	t.store(c)
}

// store saves c as the clinic's settings.
func (t *clinicTab) store(c *booking.Clinic) {
	var left []*booking.Appointment
	t.v.env.Run("Saving the clinic settings", func(ctx context.Context) (err error) {
		left, err = t.v.env.Service.SaveClinic(ctx, c)
		return err
	}, func(err error) {
		if err != nil {
			t.v.env.ShowError(err)
			return
		}
		t.v.saved(t.note, "Saved the clinic settings."+leftWords(left, c.Location()))
	})
}

// changeClosures applies change to the stored clinic's closures and saves
// it at once, leaving its other settings as stored.
func (t *clinicTab) changeClosures(what string, change func(c *booking.Clinic) error, done string) {
	t.closureNote.Hide()
	var left []*booking.Appointment
	loc := time.UTC
	t.v.env.Run(what, func(ctx context.Context) error {
		c, err := t.v.env.Store.Clinic(ctx)
		if err != nil {
			return err
		}
		if err := change(c); err != nil {
			return err
		}
		loc = c.Location()
		left, err = t.v.env.Service.SaveClinic(ctx, c)
		return err
	}, func(err error) {
		if err != nil {
			t.v.env.ShowError(err)
			return
		}
		t.v.saved(t.closureNote, done+leftWords(left, loc))
	})
}

func (t *clinicTab) doAddClosure() {
	from, err := booking.ParseDate(t.closureFrom.Text)
	if err != nil {
		t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The closure's first day: %s", booking.ErrorMessage(err)))
		return
	}
	to := from
	if strings.TrimSpace(t.closureTo.Text) != "" {
		if to, err = booking.ParseDate(t.closureTo.Text); err != nil {
			t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The closure's last day: %s", booking.ErrorMessage(err)))
			return
		}
	}
	cl := booking.Closure{From: from, To: to, Reason: strings.TrimSpace(t.closureReason.Text)}
	t.changeClosures("Adding the closure", func(c *booking.Clinic) error {
		for _, x := range c.Closures {
			if cl.From <= x.To && x.From <= cl.To {
				return booking.Errorf(booking.EINVALID, "The clinic is already closed on some of these days (%s to %s); remove that closure first.", x.From, x.To)
			}
		}
		c.Closures = append(c.Closures, cl)
		return nil
	}, fmt.Sprintf("Added the closure %s.", closureWords(cl)))
	t.closureFrom.SetText("")
	t.closureTo.SetText("")
	t.closureReason.SetText("")
}

func (t *clinicTab) confirmRemove(cl booking.Closure) {
	t.v.env.Confirm("Remove closure", fmt.Sprintf("Remove the closure %s? Appointments can then be booked on those days.", closureWords(cl)), "Remove", func() {
		t.changeClosures("Removing the closure", func(c *booking.Clinic) error {
			for i, x := range c.Closures {
				if x.From == cl.From && x.To == cl.To {
					c.Closures = append(c.Closures[:i], c.Closures[i+1:]...)
					return nil
				}
			}
			return booking.Errorf(booking.ENOTFOUND, "That closure was already removed.")
		}, fmt.Sprintf("Removed the closure %s.", closureWords(cl)))
	})
}

// closureWords names a closure: "2027-11-25 to 2027-11-26 (Thanksgiving)".
func closureWords(cl booking.Closure) string {
	s := cl.From.String()
	if cl.To != cl.From {
		s += " to " + cl.To.String()
	}
	if cl.Reason != "" {
		s += " (" + cl.Reason + ")"
	}
	return s
}

// leftWords warns about the booked appointments a change of hours or
// closures leaves outside them, or says nothing.
func leftWords(appts []*booking.Appointment, loc *time.Location) string {
	if len(appts) == 0 {
		return ""
	}
	return fmt.Sprintf(" Warning: %d booked appointment(s) now fall outside the opening hours or on a closure (%s); new bookings avoid them, but these stay, recorded in the audit trail, until you move them on the schedule.",
		len(appts), whenList(appts, loc))
}
