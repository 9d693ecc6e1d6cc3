package patients

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// pageData is what one patient's page shows, loaded off the UI goroutine.
type pageData struct {
	patient  *booking.Patient
	loc      *time.Location
	today    booking.Date
	series   []seriesProgress
	upcoming []*booking.Appointment // booked or arrived, not over; soonest first
	past     []*booking.Appointment // the rest: over or cancelled; latest first
}

// seriesProgress is how far one series has come.
type seriesProgress struct {
	title     string // the protocol's name
	from      booking.Date
	therapist string
	steps     []string // "Dosing 3/6 done", in the order of the series
	completed int
	total     int // appointments not cancelled
	cancelled int
	noShows   int
	next      *booking.Appointment // the next booked or arrived one, nil if none
}

// loadPageData reads what a patient's page shows.
func loadPageData(ctx context.Context, r booking.Reader, id int64, now time.Time) (*pageData, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	p, err := r.Patient(ctx, id)
	if err != nil {
		return nil, err
	}
	appts, err := r.Appointments(ctx, booking.AppointmentFilter{PatientID: id})
	if err != nil {
		return nil, err
	}
	protocols, err := r.Protocols(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*booking.Protocol{}
	for _, pr := range protocols {
		byID[pr.ID] = pr
	}
	d := &pageData{patient: p, loc: c.Location()}
	d.today = booking.DateOf(now.In(d.loc))
	var seriesIDs []int64
	for _, a := range appts {
		if upcoming(a, now) {
			d.upcoming = append(d.upcoming, a)
		} else {
			d.past = append(d.past, a)
		}
		if a.SeriesID != 0 && !slices.Contains(seriesIDs, a.SeriesID) {
			seriesIDs = append(seriesIDs, a.SeriesID)
		}
	}
	slices.Reverse(d.past)
	for _, sid := range seriesIDs {
		s, err := r.Series(ctx, sid)
		if err != nil {
			return nil, err
		}
		d.series = append(d.series, progressOf(s, byID[s.ProtocolID], now))
	}
	// The latest series first: it is the one the front desk asks about.
	slices.SortStableFunc(d.series, func(a, b seriesProgress) int { return cmp.Compare(b.from, a.from) })
	return d, nil
}

// upcoming reports whether an appointment is still to come (or under way).
func upcoming(a *booking.Appointment, now time.Time) bool {
	return (a.Status == booking.Booked || a.Status == booking.Arrived) && a.End.After(now)
}

// progressOf sums up a series.
func progressOf(s *booking.Series, pr *booking.Protocol, now time.Time) seriesProgress {
	sp := seriesProgress{title: s.ProtocolID, from: s.From}
	if pr != nil {
		sp.title = pr.Name
	}
	if s.Step != "" {
		sp.title += ": single appointment"
	}
	type stepCount struct {
		name        string
		done, count int
	}
	var steps []*stepCount
	byStep := map[string]*stepCount{}
	for _, a := range s.Appts {
		sc := byStep[a.Step]
		if sc == nil {
			name := kit.KindName(a.Kind)
			if pr != nil {
				if st := pr.Step(a.Step); st != nil {
					name = st.Label()
				}
			}
			sc = &stepCount{name: name, count: a.Count}
			byStep[a.Step] = sc
			steps = append(steps, sc)
		}
		switch {
		case !a.Status.Active():
			sp.cancelled++
			continue
		case a.Status == booking.Completed:
			sc.done++
			sp.completed++
		case a.Status == booking.NoShow:
			sp.noShows++
		}
		sp.total++
		if sp.next == nil && upcoming(a, now) {
			sp.next = a
		}
		if sp.therapist == "" && s.TherapistID != 0 {
			for _, st := range a.Staff {
				if st.StaffID == s.TherapistID {
					sp.therapist = st.Name
				}
			}
		}
	}
	for _, sc := range steps {
		sp.steps = append(sp.steps, fmt.Sprintf("%s %d/%d done", sc.name, sc.done, max(sc.count, 1)))
	}
	return sp
}

// pageWidgets are the widgets of the page shown, kept for the tests.
type pageWidgets struct {
	name           *widget.Label
	email, phone   *widget.Label
	prefs          *widget.Label
	noEmail        *widget.Label
	edit           *kit.Button
	book, export   *kit.Button
	consents       map[string]*consentRow
	series         []*seriesCard
	upcoming, past []*apptRow
	noUpcoming     *widget.Label
	problem        *widget.Label // why the page could not be shown
}

type consentRow struct {
	state  *widget.Label
	button *kit.Button
}

type seriesCard struct {
	title, steps, next *widget.Label
	bar                *widget.ProgressBar
}

type apptRow struct {
	id    int64
	cells []*widget.Label // date, time, label, staff, room, status
	open  *kit.Button
}

// consentKinds are the consents a page shows, in order.
var consentKinds = []struct {
	kind, name, help string
	get              func(*booking.Consents) *booking.Date
}{
	{"detailed-email", "Detailed email", "Emails may carry detailed preparation instructions.",
		func(c *booking.Consents) *booking.Date { return c.DetailedEmail }},
	{"no-email", "No email", "The patient asked for no email at all: nothing is sent.",
		func(c *booking.Consents) *booking.Date { return c.NoEmail }},
	{"screening-cleared", "Screening cleared", "The consultation found the treatment suitable.",
		func(c *booking.Consents) *booking.Date { return c.ScreeningCleared }},
	{"rems-enrolled", "REMS enrolled", "Needed before the first esketamine session.",
		func(c *booking.Consents) *booking.Date { return c.REMSEnrolled }},
}

// emptyPage is shown before a patient is chosen.
func (v *View) emptyPage() fyne.CanvasObject {
	l := widget.NewLabel("Choose a patient from the list, or search by name, email or phone (Ctrl+F).")
	l.Wrapping = fyne.TextWrapWord
	return container.NewPadded(l)
}

// loadPage loads and shows a patient's page, off the UI goroutine.
func (v *View) loadPage(id int64) {
	v.pageGen++
	gen := v.pageGen
	var d *pageData
	run := func(work func(context.Context) error, done func(error)) { v.env.Run("Loading the patient", work, done) }
	if v.shown != nil && v.shown.patient.ID == id {
		run = v.env.RunQuietly // a reload of the page shown, which stays usable meanwhile
	}
	run(func(ctx context.Context) error {
		var err error
		d, err = loadPageData(ctx, v.env.Store, id, v.env.Time())
		return err
	}, func(err error) {
		if gen != v.pageGen {
			return
		}
		if err != nil {
			v.shown = nil
			v.w = pageWidgets{problem: widget.NewLabel("This patient cannot be shown: " + kit.Message(err))}
			v.w.problem.Wrapping = fyne.TextWrapWord
			v.setPage(container.NewPadded(v.w.problem))
			return
		}
		v.shown = d
		v.setPage(v.buildPage(d))
	})
}

// setPage swaps the page's content. Refreshing the scroll alone leaves the
// old content drawn in the real window (the headless driver does not show
// this), so the canvas is told to redraw the scroll too.
func (v *View) setPage(o fyne.CanvasObject) {
	v.page.Content = o
	v.page.Refresh()
	canvas.Refresh(v.page)
}

// dateText is a date as the page shows it, e.g. "Mon 1 Mar 2027".
func dateText(d booking.Date) string {
	return kit.Day(d)
}

// buildPage builds the page of d.
func (v *View) buildPage(d *pageData) fyne.CanvasObject {
	p := d.patient
	w := pageWidgets{consents: map[string]*consentRow{}}
	w.name = widget.NewLabelWithStyle(p.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.name.SizeName = theme.SizeNameHeadingText
	w.name.Wrapping = fyne.TextWrapWord
	w.email = widget.NewLabel(p.Email)
	phone := p.Phone
	if phone == "" {
		phone = "not recorded"
	}
	w.phone = widget.NewLabel(phone)
	w.edit = kit.NewButtonWithIcon("Edit contact details", theme.DocumentCreateIcon(), func() { v.EditContact() })
	w.book = kit.NewButtonWithIcon("Book a series", theme.ContentAddIcon(), func() { v.env.Nav.NewBooking(p.ID) })
	w.book.Importance = widget.HighImportance
	w.export = kit.NewButtonWithIcon("Export calendar", theme.DownloadIcon(), func() { v.ExportCalendar() })

	contact := container.New(kit.Columns(70, 0), widget.NewLabel("Email"), w.email)
	phoneRow := container.New(kit.Columns(70, 0), widget.NewLabel("Phone"), w.phone)
	w.prefs = widget.NewLabel(prefsText(p.Preferences))
	prefsRow := container.New(kit.Columns(70, 0), widget.NewLabel("Prefers"), w.prefs)
	since := widget.NewLabel(fmt.Sprintf("Patient %d, added %s", p.ID, kit.Date(p.Created.In(d.loc))))
	since.Importance = widget.LowImportance
	box := container.NewVBox(container.NewBorder(nil, nil, nil, since, w.name), contact, phoneRow, prefsRow)
	if p.Consents.NoEmail != nil {
		w.noEmail = widget.NewLabelWithStyle("No email: this patient asked not to be emailed, so kapbook sends nothing; tell them their times by phone.",
			fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		w.noEmail.Wrapping = fyne.TextWrapWord
		w.noEmail.Importance = widget.WarningImportance
		box.Add(w.noEmail)
	}
	box.Add(container.NewHBox(w.book, w.edit, w.export))
	box.Add(v.status)

	box.Add(widget.NewSeparator())
	box.Add(heading("Consents"))
	for _, k := range consentKinds {
		row := &consentRow{}
		on := k.get(&p.Consents)
		if on != nil {
			row.state = widget.NewLabel("Given " + dateText(*on))
			row.button = kit.NewButton("Withdraw", func() {
				if k.kind == "rems-enrolled" {
					v.withdrawREMS(p, k.name)
					return
				}
				v.env.Confirm("Withdraw this record?",
					fmt.Sprintf("“%s” was recorded for %s on %s. Withdraw it?", k.name, p.Name, dateText(*on)),
					"Withdraw", func() { v.setConsent(k.kind, k.name, nil) })
			})
		} else {
			row.state = widget.NewLabel("Not recorded")
			today := d.today
			row.button = kit.NewButton("Record as given today", func() { v.setConsent(k.kind, k.name, &today) })
		}
		w.consents[k.kind] = row
		help := kit.Cell(k.help)
		help.Importance = widget.LowImportance
		box.Add(kit.NewHoverRow(container.New(kit.Columns(150, 150, 0, 0), widget.NewLabelWithStyle(k.name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			row.state, help, row.button)))
	}

	box.Add(widget.NewSeparator())
	box.Add(heading("Series"))
	if len(d.series) == 0 {
		box.Add(widget.NewLabel("No series booked yet."))
	}
	for _, s := range d.series {
		card := v.seriesCard(d, s)
		w.series = append(w.series, card)
		box.Add(container.NewVBox(card.title, meter(card.bar), card.steps, card.next))
	}

	box.Add(widget.NewSeparator())
	box.Add(heading("Upcoming appointments"))
	if len(d.upcoming) == 0 {
		w.noUpcoming = widget.NewLabel("None booked.")
		box.Add(w.noUpcoming)
	}
	for _, a := range d.upcoming {
		w.upcoming = append(w.upcoming, v.apptRow(d, a))
	}
	for _, a := range d.past {
		w.past = append(w.past, v.apptRow(d, a))
	}
	cols := rowColumns(append(append([]*apptRow{}, w.upcoming...), w.past...))
	for _, r := range w.upcoming {
		box.Add(kit.NewHoverRow(container.New(cols, objects(r)...)))
	}
	box.Add(widget.NewSeparator())
	box.Add(heading("Past and cancelled appointments"))
	if len(d.past) == 0 {
		box.Add(widget.NewLabel("None yet."))
	}
	for _, r := range w.past {
		box.Add(kit.NewHoverRow(container.New(cols, objects(r)...)))
	}
	v.w = w
	return container.NewPadded(box)
}

// rowColumns returns the layout of the appointment rows (date, time,
// label, staff, room, status, and the Open button): each column as wide
// as its widest cell, so upcoming and past rows line up and names show
// whole; on a narrow window the label, staff and room give way, and show
// their whole text on hover.
func rowColumns(rows []*apptRow) fyne.Layout {
	want := make([]float32, 7)
	for _, r := range rows {
		for i, c := range r.cells {
			want[i] = max(want[i], float32(math.Ceil(float64(kit.TextWidth(c.Text, c.TextStyle)))))
		}
	}
	return kit.Fit(want, []bool{false, false, true, true, true, false, false})
}

func objects(r *apptRow) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, c := range r.cells {
		out = append(out, c)
	}
	return append(out, r.open)
}

// seriesCard shows one series' progress.
func (v *View) seriesCard(d *pageData, s seriesProgress) *seriesCard {
	c := &seriesCard{}
	title := s.title + ", from " + dateText(s.from)
	if s.therapist != "" {
		title += " with " + s.therapist
	}
	c.title = widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.title.Wrapping = fyne.TextWrapWord
	c.bar = widget.NewProgressBar()
	if s.total > 0 {
		c.bar.SetValue(float64(s.completed) / float64(s.total))
	}
	summary := fmt.Sprintf("%d of %d done", s.completed, s.total)
	if s.noShows > 0 {
		summary += ", " + kit.Plural(s.noShows, "no-show", "no-shows")
	}
	switch {
	case s.total == 0 && s.cancelled > 0:
		summary = "Cancelled: " + kit.Plural(s.cancelled, "appointment", "appointments")
	case s.cancelled > 0:
		summary += fmt.Sprintf(", %d cancelled", s.cancelled)
	}
	c.bar.TextFormatter = func() string { return summary }
	c.steps = widget.NewLabel(strings.Join(s.steps, " · "))
	c.steps.Wrapping = fyne.TextWrapWord
	if s.next != nil {
		c.next = widget.NewLabel("Next: " + s.next.Label() + ", " + kit.DateTime(s.next.Start.In(d.loc)))
	} else {
		c.next = widget.NewLabel("No appointment to come.")
	}
	return c
}

// apptRow shows one appointment; Open shows it on the schedule.
func (v *View) apptRow(d *pageData, a *booking.Appointment) *apptRow {
	var staff []string
	for _, s := range a.Staff {
		staff = append(staff, s.Name)
	}
	room := a.RoomName
	if a.Video() {
		room = "Video"
	}
	start, end := a.Start.In(d.loc), a.End.In(d.loc)
	r := &apptRow{id: a.ID}
	for _, t := range []string{kit.Date(start), kit.Clock(start) + "–" + kit.Clock(end),
		a.Label(), strings.Join(staff, ", "), room, a.Status.Words()} {
		r.cells = append(r.cells, kit.Cell(t))
	}
	id := a.ID
	r.open = kit.NewButtonWithIcon("Open", theme.NavigateNextIcon(), func() { v.env.Nav.ShowAppointment(id) })
	r.open.Importance = widget.LowImportance
	return r
}

// remsDialog asks what to do with the booked sessions withdrawing a REMS
// enrolment leaves without it.
type remsDialog struct {
	dlg          dialog.Dialog
	cancel, keep *kit.Button
}

// withdrawREMS withdraws p's REMS enrolment, first listing the booked
// sessions that need it and asking whether to cancel them or keep them
// booked (they cannot be checked in until the patient is enrolled again).
func (v *View) withdrawREMS(p *booking.Patient, name string) {
	var left []*booking.Appointment
	var loc *time.Location
	v.env.Run("Looking for booked sessions", func(ctx context.Context) error {
		c, err := v.env.Store.Clinic(ctx)
		if err != nil {
			return err
		}
		loc = c.Location()
		left, err = v.env.Service.REMSUnenrolled(ctx, p.ID, nil)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		if len(left) == 0 || v.env.Window == nil {
			v.env.Confirm("Withdraw this record?", fmt.Sprintf("Withdraw %s's REMS enrolment? No session that needs it is booked.", p.Name),
				"Withdraw", func() { v.changeConsent(booking.ConsentChange{PatientID: p.ID, Kind: "rems-enrolled"}, name) })
			return
		}
		var when []string
		for _, a := range left {
			when = append(when, kit.DateTime(a.Start.In(loc)))
		}
		rd := &remsDialog{}
		msg := widget.NewLabel(fmt.Sprintf("%s has %d sessions booked that need REMS enrolment: %s. Without it they cannot be checked in.",
			p.Name, len(left), strings.Join(when, ", ")))
		msg.Wrapping = fyne.TextWrapWord
		change := func(doses booking.DoseChoice) func() {
			return func() {
				rd.dlg.Hide()
				v.changeConsent(booking.ConsentChange{PatientID: p.ID, Kind: "rems-enrolled", Doses: doses}, name)
			}
		}
		rd.cancel = kit.NewButton("Withdraw and cancel them", change(booking.DosesCancel))
		rd.cancel.Importance = widget.DangerImportance
		rd.keep = kit.NewButton("Withdraw, keep them booked", change(booking.DosesKeep))
		back := kit.NewButton("Back", func() { rd.dlg.Hide() })
		body := container.NewVBox(msg, container.NewHBox(layout.NewSpacer(), back, rd.keep, rd.cancel))
		rd.dlg = dialog.NewCustomWithoutButtons("Withdraw REMS enrolment?", kit.Wrapped(620, body), v.env.Window)
		v.rems = rd
		rd.dlg.Show()
	})
}

// changeConsent records a consent change and says what it did.
func (v *View) changeConsent(c booking.ConsentChange, name string) {
	var cancelled []*booking.Appointment
	v.env.Run("Saving the consent", func(ctx context.Context) (err error) {
		_, cancelled, err = v.env.Service.ChangeConsent(ctx, c)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		msg := name + " withdrawn."
		if len(cancelled) > 0 {
			msg = fmt.Sprintf("%s withdrawn; %d booked sessions cancelled.", name, len(cancelled))
		}
		v.setStatus(msg)
		v.env.Changed()
	})
}

// setConsent records a consent as given on a date, or withdraws it (nil).
func (v *View) setConsent(kind, name string, on *booking.Date) {
	id := v.current
	v.env.Run("Saving the consent", func(ctx context.Context) error {
		_, err := v.env.Service.SetConsent(ctx, id, kind, on)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		if on != nil {
			v.setStatus(fmt.Sprintf("%s recorded as given on %s.", name, dateText(*on)))
		} else {
			v.setStatus(name + " withdrawn.")
		}
		v.env.Changed()
	})
}

// setStatus says on the page what the last change did.
func (v *View) setStatus(s string) {
	v.status.SetText(s)
	v.status.Show()
}
