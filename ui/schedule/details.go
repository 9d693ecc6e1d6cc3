package schedule

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// The fields of the details panel, in the order shown.
var detailFields = []string{"Kind", "Step", "Time", "Staff", "Room", "Status", "Escort", "Emails"}

// details is the panel showing the selected appointment and the actions
// on it.
type details struct {
	v       *View
	content fyne.CanvasObject
	hint    *widget.Label
	body    *fyne.Container
	patient *kit.Button
	fields  map[string]*widget.Label
	result  *widget.Label

	reschedule, makeup, cancel, arrived, completed, noShow, escort, resend, export *kit.Button
	actions                                                                        []*kit.Button // all of them, in their places

	// What is shown, on the UI goroutine only.
	seq    int
	appt   *booking.Appointment
	series *booking.Series
	name   string // the patient's full name
	clinic *booking.Clinic
	noMail bool

	// The open dialog's widgets, for tests.
	rs *rescheduleDialog
	cd *cancelDialog
	ed *escortDialog
}

func newDetails(v *View) *details {
	d := &details{v: v, fields: map[string]*widget.Label{}}
	d.hint = widget.NewLabel("Select an appointment to see its details and what you can do with it.")
	d.hint.Wrapping = fyne.TextWrapWord
	d.patient = kit.NewButton("", func() {
		if d.appt != nil && v.env.Nav != nil {
			v.env.Nav.ShowPatient(d.appt.PatientID)
		}
	})
	form := container.New(layout.NewFormLayout())
	form.Add(widget.NewLabelWithStyle("Patient", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
	form.Add(d.patient)
	for _, f := range detailFields {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		d.fields[f] = l
		form.Add(widget.NewLabelWithStyle(f, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
		form.Add(l)
	}
	d.result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	d.result.Wrapping = fyne.TextWrapWord
	d.reschedule = kit.NewButton("Reschedule…", func() { d.openReschedule(false) })
	d.makeup = kit.NewButton("Make up…", func() { d.openReschedule(true) })
	d.cancel = kit.NewButton("Cancel…", d.openCancel)
	d.arrived = kit.NewButton("Mark arrived", func() { d.setStatus(booking.Arrived) })
	d.completed = kit.NewButton("Mark completed", func() { d.setStatus(booking.Completed) })
	d.noShow = kit.NewButton("Mark no-show", func() {
		v.env.Confirm("Mark as no-show?", "The patient did not come to this appointment. This is recorded in the audit trail.", "Mark no-show",
			func() { d.setStatus(booking.NoShow) })
	})
	d.escort = kit.NewButton("Record escort…", d.openEscort)
	d.resend = kit.NewButton("Resend confirmation", d.resendConfirmation)
	d.export = kit.NewButton("Export .ics…", d.openExport)
	d.actions = []*kit.Button{d.reschedule, d.makeup, d.cancel, d.arrived, d.completed, d.noShow, d.escort, d.resend, d.export}
	actions := container.NewGridWithColumns(2)
	for _, b := range d.actions {
		b.Disable() // until an appointment is selected
		actions.Add(b)
	}
	d.body = container.NewVBox(form)
	d.body.Hide()
	// The actions keep their places whatever is selected: at the top,
	// above the details (which scroll), each off rather than hidden when
	// it cannot act. What an action did shows at the bottom, where it
	// moves nothing.
	d.content = container.NewBorder(container.NewVBox(actions, widget.NewSeparator()), d.result, nil, nil,
		container.NewVScroll(container.NewVBox(d.hint, d.body)))
	return d
}

// load reads the appointment, its series, its patient and its emails off
// the UI goroutine and shows them.
func (d *details) load(id int64) {
	d.seq++
	seq := d.seq
	env := d.v.env
	var (
		a      *booking.Appointment
		sr     *booking.Series
		pat    *booking.Patient
		c      *booking.Clinic
		emails string
	)
	env.Run("Loading the appointment", func(ctx context.Context) error {
		var err error
		if c, err = env.Store.Clinic(ctx); err != nil {
			return err
		}
		if a, err = env.Store.Appointment(ctx, id); err != nil {
			return err
		}
		if pat, err = env.Store.Patient(ctx, a.PatientID); err != nil {
			return err
		}
		if a.SeriesID != 0 {
			if sr, err = env.Store.Series(ctx, a.SeriesID); err != nil {
				return err
			}
		}
		emails, err = emailState(ctx, env.Store, a, pat, c.Location())
		return err
	}, func(err error) {
		if seq != d.seq {
			return
		}
		if err != nil {
			env.ShowError(err)
			return
		}
		if d.appt == nil || d.appt.ID != a.ID {
			d.result.SetText("")
		}
		d.appt, d.series, d.name, d.clinic = a, sr, pat.Name, c
		d.noMail = pat.Consents.NoEmail != nil
		d.show(emails)
	})
}

// show fills the panel from the loaded appointment.
func (d *details) show(emails string) {
	a, loc := d.appt, d.clinic.Location()
	d.hint.Hide()
	d.patient.SetText(d.v.env.PatientLabel(d.name))
	var staff []string
	for _, s := range a.Staff {
		staff = append(staff, fmt.Sprintf("%s (%s)", s.Name, s.Role))
	}
	room := a.RoomName
	if a.Video() {
		room = "Video"
	}
	status := a.Status.Words()
	switch {
	case a.CancelledBy != "" && !a.Status.Active():
		status += " by the " + string(a.CancelledBy)
	case a.LateMinutes > 0:
		status += fmt.Sprintf(", %d minutes late", a.LateMinutes)
	}
	if a.Reason != "" && !a.Status.Active() {
		status += ": " + a.Reason
	}
	escort := "Not needed for this visit"
	switch {
	case a.Escort != nil:
		escort = a.Escort.Name + ", " + a.Escort.Phone
	case a.NeedsEscort():
		escort = "Missing: record it before the patient checks in"
	}
	set := map[string]string{
		"Kind":   kit.KindName(a.Kind),
		"Step":   a.Label(),
		"Time":   kit.Date(a.Start.In(loc)) + ", " + kit.Clock(a.Start.In(loc)) + "–" + kit.Clock(a.End.In(loc)),
		"Staff":  strings.Join(staff, "\n"),
		"Room":   room,
		"Status": status,
		"Escort": escort,
		"Emails": emails,
	}
	for f, l := range d.fields {
		l.SetText(set[f])
	}
	d.enableActions()
	d.body.Show()
	d.content.Refresh()
}

// enableActions turns on the actions that can act on the shown
// appointment and off the others, as the booking service would refuse
// them: attendance only once it has started (arrival from 12 hours
// before, with its escort when it needs one), the escort only for a
// visit that needs one, a confirmation only while the appointment stands
// and its series has one still to come.
func (d *details) enableActions() {
	a, now := d.appt, d.v.env.Time()
	booked, arrived := a.Status == booking.Booked, a.Status == booking.Arrived
	started := !now.Before(a.Start)
	escorted := !a.NeedsEscort() || a.Escort != nil
	enable(d.reschedule, booked)
	enable(d.makeup, d.missed())
	enable(d.cancel, booked || arrived)
	enable(d.arrived, booked && escorted && !now.Before(a.Start.Add(-12*time.Hour)))
	enable(d.completed, (booked || arrived) && started)
	enable(d.noShow, booked && started)
	enable(d.escort, a.Status.Active() && a.NeedsEscort())
	enable(d.resend, a.SeriesID != 0 && a.Status.Active() && d.upcoming(now) > 0)
	enable(d.export, a.SeriesID != 0)
}

// focusAction gives the keyboard to the first action that can act on the
// shown appointment, and reports whether there was one.
func (d *details) focusAction() bool {
	c := d.v.env.Window
	if d.appt == nil || c == nil {
		return false
	}
	for _, b := range d.actions {
		if b.Visible() && !b.Disabled() {
			c.Canvas().Focus(b)
			return true
		}
	}
	return false
}

// upcoming returns how many of the shown series' appointments are booked
// and still to come.
func (d *details) upcoming(now time.Time) int {
	n := 0
	if d.series != nil {
		for _, x := range d.series.Appts {
			if x.Status == booking.Booked && x.Start.After(now) {
				n++
			}
		}
	}
	return n
}

// missed reports whether the shown appointment is a no-show or cancelled
// one of a series whose place nothing holds yet: one to make up.
func (d *details) missed() bool {
	a := d.appt
	if a == nil || a.Status.Holds() || d.series == nil {
		return false
	}
	for _, x := range d.series.Appts {
		if x.Seq == a.Seq && x.Status.Holds() {
			return false
		}
	}
	return true
}

func enable(b *kit.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// emailState says where the appointment's emails stand: its reminder,
// preparation, update or cancellation, and the series' confirmation.
func emailState(ctx context.Context, r booking.Reader, a *booking.Appointment, pat *booking.Patient, loc *time.Location) (string, error) {
	msgs, err := r.Outbox(ctx, booking.OutboxFilter{AppointmentID: a.ID})
	if err != nil {
		return "", err
	}
	if a.SeriesID != 0 {
		all, err := r.Outbox(ctx, booking.OutboxFilter{SeriesID: a.SeriesID})
		if err != nil {
			return "", err
		}
		var last *booking.OutboxMessage
		for _, m := range all {
			if m.Kind == booking.MessageConfirmation && m.AppointmentID == 0 && m.State != booking.OutboxCancelled {
				last = m
			}
		}
		if last != nil {
			msgs = append([]*booking.OutboxMessage{last}, msgs...)
		}
	}
	var lines []string
	if pat.Consents.NoEmail != nil {
		lines = append(lines, "The patient asked for no email: nothing is sent.")
	}
	for _, m := range msgs {
		if m.State == booking.OutboxCancelled {
			continue
		}
		what := kit.MessageKindName(m.Kind)
		var st string
		switch m.State {
		case booking.OutboxPending, booking.OutboxSending:
			st = "due " + kit.DateTime(m.Due.In(loc))
		case booking.OutboxSent:
			st = "sent " + kit.DateTime(m.Updated.In(loc))
		case booking.OutboxFailed:
			st = "failed; see the Outbox"
		case booking.OutboxSkipped:
			st = "not sent (" + m.Note + ")"
		}
		lines = append(lines, what+": "+st)
	}
	if len(lines) == 0 {
		return "None", nil
	}
	return strings.Join(lines, "\n"), nil
}

// done finishes an action: on success it tells every screen, says what
// happened in the panel and reloads; on failure it shows why in words.
func (d *details) done(err error, result string) {
	if err != nil {
		d.v.env.ShowError(err)
		return
	}
	d.v.env.Changed()
	d.result.SetText(result)
}

// setStatus records attendance.
func (d *details) setStatus(st booking.Status) {
	if d.appt == nil {
		return
	}
	id, env := d.appt.ID, d.v.env
	env.Run("Saving", func(ctx context.Context) error {
		_, err := env.Service.SetStatus(ctx, id, st)
		return err
	}, func(err error) { d.done(err, "Marked "+strings.ToLower(st.Words())+".") })
}

// resendConfirmation queues the series' confirmation again.
func (d *details) resendConfirmation() {
	if d.appt == nil {
		return
	}
	id, env := d.appt.ID, d.v.env
	var m *booking.OutboxMessage
	env.Run("Queueing the confirmation", func(ctx context.Context) error {
		var err error
		m, err = env.Service.ResendConfirmation(ctx, 0, id)
		return err
	}, func(err error) {
		msg := "Confirmation queued; it goes out with the next email run."
		if err == nil && m.State == booking.OutboxSkipped {
			msg = "Confirmation not sent: the patient asked for no email."
		}
		d.done(err, msg)
	})
}

// rescheduleDialog offers the planner's times for a move or a make-up,
// and a time the front desk types, with a reason to override the rules.
type rescheduleDialog struct {
	dlg      dialog.Dialog
	pane     *keyPane // takes Escape, Enter, ↑ and ↓
	makeup   bool
	choices  *widget.RadioGroup
	shift    *widget.Check
	date     *kit.Field // another time: YYYY-MM-DD
	clock    *kit.Field // and HH:MM
	override *kit.Field // the reason to break the rules, if any
	move     *kit.Button
	close    *kit.Button
	starts   map[string]time.Time
	shifts   map[string]bool // choices that move the later appointments too
	stepping bool            // ↑ or ↓ is changing the choice

	d       *details
	appt    *booking.Appointment
	verdict *widget.Label // what the typed time would break, checked as it is typed
	more    *kit.Button   // More times…: asks the planner for a longer list
	limit   int           // how many times of each kind were asked for
	gen     int           // the latest check of the typed time
	timer   *time.Timer   // the check waiting for typing to rest
}

// update enables Move when it can act: a time is chosen, or another time
// typed as a date and a time of day.
func (rs *rescheduleDialog) update() {
	switch rs.choices.Selected {
	case "":
		rs.move.Disable()
	case otherTime:
		_, derr := booking.ParseDate(rs.date.Text)
		_, cerr := booking.ParseClock(rs.clock.Text)
		enable(rs.move, derr == nil && cerr == nil)
	default:
		rs.move.Enable()
	}
}

// step chooses the time above (dir -1) or below the chosen one.
func (rs *rescheduleDialog) step(dir int) {
	opts := rs.choices.Options
	i := slices.Index(opts, rs.choices.Selected)
	switch {
	case i < 0 && dir > 0:
		i = 0
	case i < 0:
		i = len(opts) - 1
	default:
		i = min(max(i+dir, 0), len(opts)-1)
	}
	rs.stepping = true
	rs.choices.SetSelected(opts[i])
	rs.stepping = false
}

// refocus gives the keyboard back to the dialog after a choice: to the
// date field when another time was tapped, to the pane otherwise.
func (rs *rescheduleDialog) refocus(c fyne.Canvas) {
	switch {
	case rs.pane == nil:
	case rs.choices.Selected == otherTime && !rs.stepping:
		c.Focus(rs.date)
	default:
		rs.pane.Focus()
	}
}

// otherTime is the choice that takes the typed date and time.
const otherTime = "Another time (type it below)"

// openReschedule asks the planner for other times for the appointment (or,
// with makeup, for a make-up of it), then offers them.
func (d *details) openReschedule(makeup bool) {
	if d.appt == nil || d.v.env.Window == nil {
		return
	}
	a, env := d.appt, d.v.env
	var sg *booking.Suggestions
	env.Run("Finding times", func(ctx context.Context) error {
		var err error
		sg, err = suggest(ctx, env.Service, a.ID, makeup, firstTimes)
		return err
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		d.showReschedule(a, sg, makeup)
	})
}

// firstTimes is how many times of each kind the dialog asks for first;
// each More times… asks for as many more.
const firstTimes = 8

// suggest asks the booking service for up to limit times of each kind.
func suggest(ctx context.Context, svc *booking.Service, id int64, makeup bool, limit int) (*booking.Suggestions, error) {
	if makeup {
		return svc.SuggestMakeup(ctx, id, limit)
	}
	return svc.Suggest(ctx, id, limit)
}

// laterSuffix marks a time at which the appointments after this one move
// too, keeping their gaps.
const laterSuffix = " · the appointments after it move too"

// options returns the dialog's choices for sg, in the order shown, and
// records what each one starts at and whether it moves the later
// appointments too.
func (rs *rescheduleDialog) options(sg *booking.Suggestions) []string {
	loc := rs.d.clinic.Location()
	var opts []string
	option := func(alt *booking.Appointment, suffix string) string {
		var staff []string
		for _, s := range alt.Staff {
			staff = append(staff, s.Name)
		}
		room := alt.RoomName
		if alt.Video() {
			room = "Video"
		}
		o := fmt.Sprintf("%s–%s · %s · %s%s", kit.DateTime(alt.Start.In(loc)), kit.Clock(alt.End.In(loc)), strings.Join(staff, ", "), room, suffix)
		opts = append(opts, o)
		rs.starts[o] = alt.Start
		return o
	}
	for _, alt := range sg.Alternatives {
		option(alt, "")
	}
	// Times at which it fits when the later appointments move too.
	for _, alt := range sg.Later {
		rs.shifts[option(alt, laterSuffix)] = true
	}
	for _, s := range sg.Shift {
		if s.Seq == rs.appt.Seq {
			o := fmt.Sprintf("Move this and the later appointments (%d in all), this one to %s", len(sg.Shift), kit.DateTime(s.Start.In(loc)))
			opts = append(opts, o)
			rs.starts[o], rs.shifts[o] = s.Start, true
		}
	}
	return opts
}

// moreTimes asks the planner for a longer list and adds the times not
// shown yet above "Another time", in time order with the others.
func (rs *rescheduleDialog) moreTimes() {
	env, id, limit := rs.d.v.env, rs.appt.ID, rs.limit+firstTimes
	var sg *booking.Suggestions
	rs.more.Disable()
	env.Run("Finding more times", func(ctx context.Context) error {
		var err error
		sg, err = suggest(ctx, env.Service, id, rs.makeup, limit)
		return err
	}, func(err error) {
		if err != nil {
			rs.more.Enable()
			env.ShowError(err)
			return
		}
		rs.limit = limit
		shown := rs.choices.Options[:len(rs.choices.Options)-1] // all but Another time
		added := 0
		var opts []string
		for _, o := range rs.options(sg) {
			if !slices.Contains(shown, o) {
				added++
			}
			opts = append(opts, o)
		}
		// Keep any shown time the longer list left out (the planner may
		// have found it with a shorter search), so nothing disappears.
		for _, o := range shown {
			if !slices.Contains(opts, o) {
				opts = append(opts, o)
			}
		}
		slices.SortStableFunc(opts, func(a, b string) int { return rs.starts[a].Compare(rs.starts[b]) })
		rs.choices.Options = append(opts, otherTime)
		rs.choices.Refresh()
		if added == 0 {
			rs.more.SetText("No more times")
			return
		}
		rs.more.SetText(fmt.Sprintf("More times… (%d added)", added))
		rs.more.Enable()
	})
}

func (d *details) showReschedule(a *booking.Appointment, sg *booking.Suggestions, makeup bool) {
	rs := &rescheduleDialog{makeup: makeup, starts: map[string]time.Time{}, shifts: map[string]bool{}, d: d, appt: a, limit: firstTimes}
	opts := rs.options(sg)
	what, title, act := a.Label(), "Reschedule", "Move"
	if makeup {
		what, title, act = "a make-up of "+a.Label(), "Make up", "Book make-up"
	}
	intro := widget.NewLabel(fmt.Sprintf("Times for %s that keep the series' gaps. At a time marked \"the appointments after it move too\", the later appointments of the series move with it, keeping their gaps:", what))
	if len(opts) == 0 {
		intro.SetText(fmt.Sprintf("No time for %s keeps the series' gaps within its window. Type another time below; with a reason, it can break the rules (recorded in the audit trail).", what))
	}
	intro.Wrapping = fyne.TextWrapWord
	c := d.v.env.Window.Canvas()
	hide := func() { rs.dlg.Hide() }
	enter := func() { pressIfEnabled(rs.move) }
	rs.date, rs.clock, rs.override = kit.NewField(hide), kit.NewField(hide), kit.NewField(hide)
	rs.date.SetPlaceHolder("YYYY-MM-DD")
	rs.clock.SetPlaceHolder("HH:MM")
	rs.override.SetPlaceHolder("Reason to override the rules (leave empty to keep them)")
	rs.close = kit.NewButton("Close", hide)
	rs.move = kit.NewButton(act, func() { d.chooseTime(a, rs) })
	rs.move.Importance = widget.HighImportance
	rs.move.Disable()
	rs.choices = widget.NewRadioGroup(append(opts, otherTime), func(choice string) {
		for _, e := range []*kit.Field{rs.date, rs.clock, rs.override} {
			if choice == otherTime {
				e.Enable()
			} else {
				e.Disable()
			}
		}
		rs.update()
		rs.checkSoon()
		rs.refocus(c)
	})
	for _, e := range []*kit.Field{rs.date, rs.clock, rs.override} {
		e.OnChanged = func(string) { rs.update(); rs.checkSoon() }
		e.OnSubmitted = func(string) { enter() }
		e.Disable()
	}
	rs.shift = widget.NewCheck("Also move the appointments after it, keeping their gaps", func(bool) { rs.checkSoon(); rs.refocus(c) })
	rs.verdict = widget.NewLabel("")
	rs.verdict.Wrapping = fyne.TextWrapWord
	rs.more = kit.NewButton("More times…", rs.moreTimes)
	if len(opts) == 0 {
		rs.choices.SetSelected(otherTime)
	}
	other := container.NewBorder(nil, nil, nil, nil, container.NewVBox(
		container.NewGridWithColumns(2, rs.date, rs.clock), rs.override))
	// The answer keeps a fixed height (three lines, scrolling if longer),
	// so the buttons below it never move as it changes.
	verdict := container.NewVScroll(rs.verdict)
	verdict.SetMinSize(fyne.NewSize(0, widget.NewLabel("1\n2\n3").MinSize().Height))
	body := container.NewBorder(intro, container.NewVBox(other, verdict, rs.shift, container.NewHBox(rs.more, layout.NewSpacer(), rs.close, rs.move)), nil, nil,
		container.NewVScroll(rs.choices))
	rs.pane = newKeyPane(container.NewGridWrap(fyne.NewSize(720, 460), body), c, hide, enter)
	rs.pane.move = rs.step
	rs.pane.escapeFrom(rs.more, rs.close, rs.move)
	rs.dlg = dialog.NewCustomWithoutButtons(title, rs.pane, d.v.env.Window)
	rs.dlg.SetOnClosed(func() {
		rs.gen++ // no check answers a closed dialog
		if rs.timer != nil {
			rs.timer.Stop()
		}
	})
	d.rs = rs
	rs.dlg.Show()
	if len(opts) == 0 {
		c.Focus(rs.date)
	} else {
		rs.pane.Focus()
	}
}

// chooseTime moves (or makes up) a at the chosen or typed time.
func (d *details) chooseTime(a *booking.Appointment, rs *rescheduleDialog) {
	reason := ""
	to, ok := rs.starts[rs.choices.Selected]
	switch {
	case rs.choices.Selected == otherTime:
		day, err := booking.ParseDate(rs.date.Text)
		if err != nil {
			d.v.env.ShowError(err)
			return
		}
		c, err := booking.ParseClock(rs.clock.Text)
		if err != nil {
			d.v.env.ShowError(err)
			return
		}
		to, reason = day.At(c, d.clinic.Location()), strings.TrimSpace(rs.override.Text)
	case !ok:
		d.v.env.ShowError(booking.Errorf(booking.EINVALID, "Choose one of the times first."))
		return
	}
	rs.dlg.Hide()
	d.move(a, change{to: to, shiftLater: rs.shift.Checked || rs.shifts[rs.choices.Selected], override: reason, makeup: rs.makeup})
}

// change is what the reschedule dialog asks for.
type change struct {
	to         time.Time
	shiftLater bool
	override   string // a reason to break the rules
	makeup     bool   // a make-up of a missed appointment, not a move
}

// move reschedules (or makes up) the appointment and follows it to its new
// day. A refusal says which rule the time breaks.
func (d *details) move(a *booking.Appointment, c change) {
	env := d.v.env
	var changed []*booking.Appointment
	env.Run("Moving the appointment", func(ctx context.Context) error {
		var err error
		switch {
		case c.makeup:
			changed, err = env.Service.MakeUp(ctx, booking.MakeupRequest{AppointmentID: a.ID, To: c.to, ShiftLater: c.shiftLater, Override: c.override})
		case c.override != "":
			changed, err = env.Service.Override(ctx, a.ID, c.to, c.override)
		default:
			changed, err = env.Service.Reschedule(ctx, a.ID, c.to, c.shiftLater)
		}
		return err
	}, func(err error) {
		loc := d.clinic.Location()
		when := kit.DateTime(c.to.In(loc))
		msg := fmt.Sprintf("Moved %s to %s.", a.Label(), when)
		if c.makeup {
			msg = fmt.Sprintf("Booked a make-up of %s on %s.", a.Label(), when)
		}
		if n := len(changed) - 1; n > 0 {
			msg = strings.TrimSuffix(msg, ".") + fmt.Sprintf(", and %d more with it (its integration or the later appointments).", n)
		}
		if c.override != "" {
			msg += " The rules it breaks are recorded in the audit trail."
		}
		d.done(err, msg)
		if err == nil {
			d.v.ShowDay(booking.DateOf(c.to.In(loc)))
		}
	})
}

// cancelDialog asks for the reason and what to cancel.
type cancelDialog struct {
	dlg    dialog.Dialog
	pane   *keyPane // takes Escape and Enter
	reason *kit.Field
	scope  *widget.RadioGroup
	ok     *kit.Button
	keep   *kit.Button
	by     *widget.RadioGroup // who asked
	late   *widget.Label      // the late-cancellation warning
}

// The choices of what to cancel, and of who asked.
const (
	cancelOne    = "This appointment"
	cancelRest   = "Every upcoming appointment of the series"
	askedPatient = "The patient"
	askedClinic  = "The clinic"
)

func (d *details) openCancel() {
	if d.appt == nil || d.v.env.Window == nil {
		return
	}
	a := d.appt
	now := d.v.env.Time()
	upcoming := d.upcoming(now)
	cd := &cancelDialog{}
	c := d.v.env.Window.Canvas()
	hide := func() { cd.dlg.Hide() }
	enter := func() { pressIfEnabled(cd.ok) }
	// After a choice the reason has the keyboard: it is what is left to
	// fill, and Enter there cancels.
	toReason := func() {
		if cd.dlg != nil {
			c.Focus(cd.reason)
		}
	}
	cd.reason = kit.NewField(hide)
	cd.reason.SetPlaceHolder("Why (kept in the audit trail)")
	cd.reason.OnSubmitted = func(string) { enter() }
	opts := []string{cancelOne}
	if upcoming > 1 {
		opts = append(opts, fmt.Sprintf("%s (%d)", cancelRest, upcoming))
	}
	cd.scope = widget.NewRadioGroup(opts, nil)
	cd.scope.SetSelected(cancelOne)
	scope := cancelOne
	cd.scope.OnChanged = func(s string) {
		if s == "" {
			// A tap on the chosen one keeps it (and tells us, so the
			// keyboard comes back).
			cd.scope.SetSelected(scope)
			return
		}
		scope = s
		toReason()
	}
	// The warning keeps its line whoever asked, so nothing below it moves.
	cd.late = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	cd.late.Wrapping = fyne.TextWrapWord
	cd.keep = kit.NewButton("Keep", func() { cd.dlg.Hide() })
	cd.ok = kit.NewButton("Cancel appointment", func() {
		cd.dlg.Hide()
		d.cancelAppts(a, strings.HasPrefix(cd.scope.Selected, cancelRest), cd.party(), strings.TrimSpace(cd.reason.Text))
	})
	cd.ok.Importance = widget.DangerImportance
	cd.ok.Disable()
	cd.by = widget.NewRadioGroup([]string{askedPatient, askedClinic}, func(string) {
		cd.late.SetText("")
		enable(cd.ok, cd.by.Selected != "")
		if d.clinic.IsLateCancel(a, cd.party(), now) {
			cd.late.SetText(fmt.Sprintf("Less than %d hours' notice: this counts as the patient's late cancellation.", int(d.clinic.LateCancel().Hours())))
		}
		toReason()
	})
	cd.by.Horizontal = true
	intro := widget.NewLabel(fmt.Sprintf("Cancel %s on %s? The patient is sent a cancellation.", a.Label(), kit.DateTime(a.Start.In(d.clinic.Location()))))
	intro.Wrapping = fyne.TextWrapWord
	items := []fyne.CanvasObject{intro, cd.scope, widget.NewLabel("Who asked for it?"), cd.by, cd.late,
		widget.NewLabel("Reason"), cd.reason, container.NewHBox(layout.NewSpacer(), cd.keep, cd.ok)}
	cd.pane = newKeyPane(container.NewGridWrap(fyne.NewSize(480, 380), container.NewVBox(items...)), c, hide, enter)
	cd.pane.escapeFrom(cd.keep, cd.ok)
	cd.dlg = dialog.NewCustomWithoutButtons("Cancel appointment", cd.pane, d.v.env.Window)
	d.cd = cd
	cd.dlg.Show()
	c.Focus(cd.reason)
}

// party returns who the dialog says asked for the cancellation.
func (cd *cancelDialog) party() booking.Party {
	switch cd.by.Selected {
	case askedPatient:
		return booking.ByPatient
	case askedClinic:
		return booking.ByClinic
	}
	return ""
}

// cancelAppts cancels the appointment or the rest of its series.
func (d *details) cancelAppts(a *booking.Appointment, rest bool, by booking.Party, reason string) {
	env := d.v.env
	var out []*booking.Appointment
	env.Run("Cancelling", func(ctx context.Context) error {
		req := booking.CancelRequest{AppointmentID: a.ID, By: by, Reason: reason}
		if rest {
			req = booking.CancelRequest{SeriesID: a.SeriesID, By: by, Reason: reason}
		}
		var err error
		out, err = env.Service.Cancel(ctx, req)
		return err
	}, func(err error) {
		late := 0
		for _, x := range out {
			if x.Status == booking.LateCancelled {
				late++
			}
		}
		msg := fmt.Sprintf("Cancelled %d appointments.", len(out))
		if len(out) == 1 {
			msg = "Cancelled " + out[0].Label() + "."
		}
		if late > 0 {
			msg += fmt.Sprintf(" %d of them late (less than %d hours' notice).", late, int(d.clinic.LateCancel().Hours()))
			if len(out) == 1 {
				msg = "Cancelled " + out[0].Label() + fmt.Sprintf(" late (less than %d hours' notice).", int(d.clinic.LateCancel().Hours()))
			}
		}
		if err == nil && !d.v.showAll {
			d.v.cancelled.SetChecked(true)
		}
		d.done(err, msg)
	})
}

// escortDialog asks for the escort's name and phone.
type escortDialog struct {
	dlg   dialog.Dialog
	pane  *keyPane // takes Escape and Enter
	name  *kit.Field
	phone *kit.Field
	save  *kit.Button
}

func (d *details) openEscort() {
	if d.appt == nil || d.v.env.Window == nil {
		return
	}
	a, env := d.appt, d.v.env
	ed := &escortDialog{}
	hide := func() { ed.dlg.Hide() }
	enter := func() { pressIfEnabled(ed.save) }
	ed.name, ed.phone = kit.NewField(hide), kit.NewField(hide)
	if a.Escort != nil {
		ed.name.SetText(a.Escort.Name)
		ed.phone.SetText(a.Escort.Phone)
	}
	ed.phone.SetPlaceHolder("+1 617 555 0100")
	cancel := kit.NewButton("Cancel", hide)
	ed.save = kit.NewButton("Save", func() {
		e := booking.Escort{Name: strings.TrimSpace(ed.name.Text), Phone: strings.TrimSpace(ed.phone.Text)}
		env.Run("Saving the escort", func(ctx context.Context) error {
			_, err := env.Service.SetEscort(ctx, a.ID, e)
			return err
		}, func(err error) {
			if err == nil {
				ed.dlg.Hide()
			}
			d.done(err, "Escort recorded: "+e.Name+".")
		})
	})
	ed.save.Importance = widget.HighImportance
	// Save needs a name; the phone is checked when saving.
	ed.name.OnChanged = func(s string) { enable(ed.save, strings.TrimSpace(s) != "") }
	ed.name.OnChanged(ed.name.Text)
	for _, e := range []*kit.Field{ed.name, ed.phone} {
		e.OnSubmitted = func(string) { enter() }
	}
	form := container.New(layout.NewFormLayout(), widget.NewLabel("Name"), ed.name, widget.NewLabel("Phone"), ed.phone)
	intro := widget.NewLabel("The adult who takes the patient home after the visit.")
	intro.Wrapping = fyne.TextWrapWord
	ed.pane = newKeyPane(container.NewGridWrap(fyne.NewSize(420, 200), container.NewVBox(intro, form, container.NewHBox(layout.NewSpacer(), cancel, ed.save))),
		env.Window.Canvas(), hide, enter)
	ed.pane.escapeFrom(cancel, ed.save)
	ed.dlg = dialog.NewCustomWithoutButtons("Record escort", ed.pane, env.Window)
	d.ed = ed
	ed.dlg.Show()
	env.Window.Canvas().Focus(ed.name)
}

// openExport asks where to save the series' calendar, then writes it.
func (d *details) openExport() {
	if d.appt == nil || d.appt.SeriesID == 0 || d.v.env.Window == nil {
		return
	}
	seriesID := d.appt.SeriesID
	d.v.env.AskPath(kit.PathRequest{Title: "Export the series' calendar", Confirm: "Export", Name: "appointments.ics",
		Extensions: []string{".ics"}}, func(path string) { d.exportTo(seriesID, path) })
}

// exportTo writes the series' calendar to path off the UI goroutine.
func (d *details) exportTo(seriesID int64, path string) {
	env := d.v.env
	var n int
	env.Run("Exporting the calendar", func(ctx context.Context) error {
		var err error
		n, err = WriteSeriesCalendar(ctx, env.Store, seriesID, path, env.Time())
		return err
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		d.result.SetText(fmt.Sprintf("Saved %d appointments to %s.", n, path))
	})
}
