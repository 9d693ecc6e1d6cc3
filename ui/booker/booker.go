// Package booker is kapbook's Book a series screen: the front desk's main
// job. A form on the left chooses or adds the patient, the protocol, the
// earliest start and the patient's preferences; the planner's proposal
// shows on the right as a list and shaded on an embedded schedule. Any one
// appointment can be changed to one of its alternatives before the whole
// series is booked in one click.
package booker

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	"github.com/kapbook/kapbook/ui/schedule"
)

// AnyTherapist is the therapist choice that lets the planner choose.
const AnyTherapist = "Any therapist"

// Words shown for the preferred times of day, in order (the weekdays'
// are booking.Week's).
var (
	timeWords = []string{"Morning", "Afternoon", "Evening"}
	timeKeys  = []string{booking.Morning, booking.Afternoon, booking.Evening}
)

// maxFound is how many matching patients the list shows.
const maxFound = 50

// View is the Book a series screen. Its fields come in groups, one for
// each part of the screen, top left to bottom right. The groups are
// embedded so that the screen's methods and its tests name a widget
// directly (v.search, v.book), as they would in one flat struct.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject

	patientPicker
	newPatientForm
	protocolChoice
	preferences
	formFrame
	proposalArea
	alternatives
	outcome
	panes
	shared

	// beside asks why a series is booked beside the patient's active one.
	beside *besideDialog
}

// patientPicker is step 1 of the form: the search for a patient, its
// matches, and the patient chosen.
type patientPicker struct {
	search *kit.Field
	// usualSeq counts the lookups of the usual protocol; usualPending is
	// set while the latest one runs, and proposeWhenReady when Propose was
	// pressed meanwhile (a fast Enter after choosing the patient).
	usualSeq         int
	usualPending     bool
	proposeWhenReady bool
	usual            string // the usual protocol's id, chosen once the protocols are loaded
	results          *widget.List
	found            []*booking.Patient // the matches results lists, at most maxFound
	searchSeq        int                // the latest search; older answers are dropped
	noMatch          *widget.Label
	noMatchFor       string // the search noMatch says nobody matches

	patient      *booking.Patient // nil until one is chosen
	patientLabel *widget.Label
	// patientNote warns when the patient already has appointments ahead.
	patientNote *widget.Label
}

// newPatientForm adds a patient who is not in the clinic's records yet,
// below the picker; newBox holds it, hidden until New patient is pressed.
type newPatientForm struct {
	newPatient *kit.Button
	newBox     *fyne.Container
	newName    *kit.Field
	newEmail   *kit.Field
	newPhone   *kit.Field
	addPatient *kit.Button
	cancelNew  *kit.Button
	newProblem *widget.Label
}

// protocolChoice is step 2 of the form: the protocol and its steps in
// one line.
type protocolChoice struct {
	protocol        *widget.Select
	protocols       []*booking.Protocol // the choices, in protocol's order
	protocolSummary *widget.Label
}

// preferences is step 3 of the form, when and with whom: the earliest
// start, the preferred weekdays and times of day, the therapist, and
// whether to skip optional steps or fall back to video.
type preferences struct {
	start        *kit.Field
	startWords   *widget.Label // start's day in words, or "not a date"
	pickDate     *kit.Button
	datePopup    *widget.PopUp // the calendar pickDate opens
	weekdays     *widget.CheckGroup
	times        *widget.CheckGroup
	therapist    *widget.Select
	therapists   []*booking.Staff // the choices after AnyTherapist
	skipOptional *widget.Check
	allowVideo   *widget.Check
}

// formFrame is the form's frame: the form scrolls, and below it Propose
// stays in view with what stops the form from proposing.
type formFrame struct {
	formScroll  *container.Scroll
	propose     *kit.Button
	formProblem *widget.Label
}

// proposalArea is the right side above the alternatives: the planner's
// proposal as a list and on an embedded schedule or, when there is none,
// why and what to relax.
type proposalArea struct {
	title     *widget.Label
	problem   *widget.Label
	relax     *fyne.Container // relaxText over relaxBtns
	relaxText *widget.Label
	relaxBtns *fyne.Container // one button for each relaxation that gives a plan
	status    *widget.Label
	list      *widget.List
	rows      []string               // list's rows in words
	shown     []*booking.Appointment // the appointments rows describe
	// cells are the rows' columns (see rowCells); colWant and colCut
	// the columns' widths, fitting their widest content, and which give
	// way, their text whole on hover, when the list is narrower.
	cells    [][]string
	colWant  []float32
	colCut   []bool
	tabs     *container.AppTabs
	schedule *schedule.View
	// misses are the proposed appointments that miss the patient's
	// preferred weekdays or times, by place in the series; prefBox says
	// so over the list, with the slack to widen.
	misses    map[int]booking.PreferenceMiss
	prefBox   *fyne.Container
	prefNote  *widget.Label
	slackDays *kit.Field
	widen     *kit.Button
	// slack is the slack for preferences the desk chose for this
	// booking; nil: the clinic's.
	slack *int
	// dirty is set when the form changed after the proposal on screen
	// was made (or there is none): Enter proposes then, else it books.
	dirty bool
	// lastReq is the request last sent to the planner, proposed again
	// after a booking is refused.
	lastReq booking.ProposalRequest
}

// alternatives is the panel below the list that offers other times for
// the selected appointment.
type alternatives struct {
	altTitle *widget.Label
	altBox   *fyne.Container // a button for each alternative
	altPanel *fyne.Container
	altKeep  *kit.Button
	altSeq   int                   // the place in the series of the appointment offered; -1: none
	alts     []booking.Alternative // the times altBox offers
}

// outcome is booking the proposal and what came of it: the Book button,
// then the result with the ways on from it.
type outcome struct {
	book      *kit.Button
	result    *widget.Label
	resultBox *fyne.Container
	toSched   *kit.Button
	toPatient *kit.Button
}

// panes are the containers around the proposal that relayout lays out
// again when parts of them show or hide.
type panes struct {
	right  *fyne.Container // top and bottom around the tabs
	top    *fyne.Container
	bottom *fyne.Container
}

// shared is the screen's state that is read and written under mu.
type shared struct {
	mu       sync.Mutex
	clinic   *booking.Clinic
	proposal *booking.Proposal // the proposal shown, nil: none
	booked   *booking.Series   // the series just booked, nil: none
}

// HasUnbookedProposal reports whether the screen shows a proposal that was
// not booked, which starting anew would throw away: the shell asks first.
func (v *View) HasUnbookedProposal() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.proposal != nil && v.booked == nil
}

// newEntry returns a field with the placeholder whose Escape calls escape
// (which closes what the screen opened, if anything).
func newEntry(placeholder string, escape func() bool) *kit.Field {
	e := kit.NewField(func() { escape() })
	e.PlaceHolder = placeholder
	return e
}

// unfocus takes the keyboard focus from every field, so that Enter
// reaches TypedKey (through the window's key handler): it proposes, or
// books the proposal on screen.
func (v *View) unfocus() {
	if v.env.Window != nil {
		v.env.Window.Canvas().Unfocus()
	}
}

// leaveSelect takes the focus from s after a choice in it (with the mouse,
// or the arrow keys), so that Enter proposes rather than being swallowed
// by the select; ← → keep changing the protocol (TypedKey).
func (v *View) leaveSelect(s *widget.Select) {
	if v.env.Window != nil && v.env.Window.Canvas().Focused() == s {
		v.unfocus()
	}
}

// changed notes that the form no longer says what the proposal on screen
// was made from: Enter proposes again instead of booking.
func (v *View) changed() { v.dirty = true }

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env, alternatives: alternatives{altSeq: -1}}
	v.build()
	env.OnLocalChange(v.Refresh) // not while the desk fills the form
	env.OnChange(v.recheck)
	return v
}

// build makes the screen's widgets, part by part, and lays them out: the
// form on the left in three numbered steps, the proposal on the right.
func (v *View) build() {
	form := slices.Concat(v.buildPatient(), []fyne.CanvasObject{widget.NewSeparator()},
		v.buildProtocol(), []fyne.CanvasObject{widget.NewSeparator()},
		v.buildPreferences())
	v.buildPropose()
	v.buildProposal()
	v.buildAlternatives()
	v.buildOutcome()
	v.content = v.layOut(container.NewVBox(form...))
	v.setStart(v.tomorrow()) // in the local zone until Refresh reads the clinic's
}

// heading returns the bold title of a part of the screen.
func heading(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// buildPatient makes the patientPicker and the newPatientForm, and
// returns step 1 of the form. Enter in the search chooses the first
// match; the list shows the matches as they are typed.
func (v *View) buildPatient() []fyne.CanvasObject {
	v.search = newEntry("Find a patient: name, email or phone", v.escape)
	v.search.OnChanged = func(string) { v.find() }
	v.search.OnSubmitted = func(text string) {
		switch {
		case len(v.found) > 0:
			v.choosePatient(v.found[0])
		case !v.noMatch.Hidden && v.noMatchFor == strings.TrimSpace(text):
			// Nobody by that name: add them, the name typed already in.
			v.showNewPatient()
		}
	}
	v.results = widget.NewList(func() int { return len(v.found) },
		func() fyne.CanvasObject { return widget.NewLabel("Patient name · email") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			p := v.found[i]
			o.(*widget.Label).SetText(p.Name + " · " + p.Email)
		})
	v.results.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(v.found) {
			v.choosePatient(v.found[i])
		}
	}
	v.noMatch = widget.NewLabel("")
	v.noMatch.Wrapping = fyne.TextWrapWord
	v.noMatch.Hide()
	v.patientLabel = widget.NewLabelWithStyle("No patient chosen yet.", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.patientLabel.Wrapping = fyne.TextWrapWord
	v.patientNote = widget.NewLabel("")
	v.patientNote.Wrapping = fyne.TextWrapWord
	v.patientNote.Importance = widget.WarningImportance
	v.patientNote.Hide()
	v.buildNewPatient()
	results := container.NewGridWrap(fyne.NewSize(380, 120), v.results)
	return []fyne.CanvasObject{heading("1. Patient"), v.search, v.noMatch, results, v.patientLabel, v.patientNote, v.newPatient, v.newBox}
}

// buildNewPatient makes the newPatientForm, hidden behind its button;
// Enter in any of its fields adds the patient, as the button does.
func (v *View) buildNewPatient() {
	v.newPatient = kit.NewButton("New patient…", v.showNewPatient)
	v.newName = newEntry("Full name", v.escape)
	v.newEmail = newEntry("Email", v.escape)
	v.newPhone = newEntry("Phone (optional)", v.escape)
	for _, e := range []*kit.Field{v.newName, v.newEmail, v.newPhone} {
		e.OnSubmitted = func(string) { v.doAddPatient() }
	}
	v.addPatient = kit.NewButton("Add patient", v.doAddPatient)
	v.addPatient.Importance = widget.HighImportance
	v.cancelNew = kit.NewButton("Cancel", v.hideNewPatient)
	v.newProblem = widget.NewLabel("")
	v.newProblem.Wrapping = fyne.TextWrapWord
	v.newProblem.Importance = widget.DangerImportance
	v.newProblem.Hide()
	v.newBox = container.NewVBox(heading("New patient"),
		v.newName, v.newEmail, v.newPhone, v.newProblem, container.NewHBox(v.addPatient, v.cancelNew))
	v.newBox.Hide()
}

// buildProtocol makes the protocolChoice and returns step 2 of the form.
func (v *View) buildProtocol() []fyne.CanvasObject {
	v.protocol = widget.NewSelect(nil, func(string) {
		v.protocolChanged()
		v.leaveSelect(v.protocol)
	})
	v.protocol.PlaceHolder = "Choose a protocol"
	v.protocolSummary = widget.NewLabel("")
	v.protocolSummary.Wrapping = fyne.TextWrapWord
	return []fyne.CanvasObject{heading("2. Protocol"), v.protocol, v.protocolSummary}
}

// buildPreferences makes the preferences and returns step 3 of the form.
// The weekdays offered are Monday to Friday until Refresh knows the days
// the clinic opens; Enter in the start proposes.
func (v *View) buildPreferences() []fyne.CanvasObject {
	v.start = newEntry("YYYY-MM-DD", v.escape)
	v.start.OnChanged = func(string) { v.startChanged() }
	v.start.OnSubmitted = func(string) { v.Propose() }
	v.startWords = widget.NewLabel("")
	v.pickDate = kit.NewButtonWithIcon("", theme.CalendarIcon(), v.showCalendar)
	v.pickDate.Importance = widget.LowImportance
	v.weekdays = widget.NewCheckGroup(nil, func([]string) { v.changed() })
	for _, d := range booking.Week[:5] {
		v.weekdays.Options = append(v.weekdays.Options, d.Short)
	}
	v.weekdays.Horizontal = true
	v.times = widget.NewCheckGroup(timeWords, func([]string) { v.changed() })
	v.times.Horizontal = true
	v.therapist = widget.NewSelect([]string{AnyTherapist}, func(string) {
		v.changed()
		v.leaveSelect(v.therapist)
	})
	v.therapist.SetSelected(AnyTherapist)
	v.skipOptional = widget.NewCheck("Skip optional steps", func(bool) { v.changed() })
	v.allowVideo = widget.NewCheck("Allow video when no room is free", func(bool) { v.changed() })
	return []fyne.CanvasObject{
		heading("3. When and with whom"),
		widget.NewLabel("Earliest start"), container.NewBorder(nil, nil, nil, container.NewHBox(v.pickDate, v.startWords), v.start),
		widget.NewLabel("Preferred weekdays"), v.weekdays,
		widget.NewLabel("Preferred times of day"), v.times,
		widget.NewLabel("Therapist"), v.therapist,
		v.skipOptional, v.allowVideo,
	}
}

// buildPropose makes Propose and the label for what stops it; layOut
// places them below the scrolling form.
func (v *View) buildPropose() {
	v.propose = kit.NewButton("Propose", v.Propose)
	v.propose.Importance = widget.HighImportance
	v.formProblem = widget.NewLabel("")
	v.formProblem.Wrapping = fyne.TextWrapWord
	v.formProblem.Importance = widget.DangerImportance
	v.formProblem.Hide()
}

// buildProposal makes the proposalArea: the title and, hidden until
// needed, the problem, the relaxations and a status line over two tabs,
// the proposal as a list (each row with its kind's colour) and on the
// schedule. Selecting a row opens its alternatives.
func (v *View) buildProposal() {
	v.title = heading("Choose a patient and a protocol, then press Propose (or Enter).")
	v.title.Wrapping = fyne.TextWrapWord
	v.problem = widget.NewLabel("")
	v.problem.Wrapping = fyne.TextWrapWord
	v.problem.Importance = widget.DangerImportance
	v.problem.Hide()
	v.relaxText = widget.NewLabel("")
	v.relaxText.Wrapping = fyne.TextWrapWord
	v.relaxBtns = container.NewHBox()
	v.relax = container.NewVBox(v.relaxText, v.relaxBtns)
	v.relax.Hide()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Hide()
	v.buildPreferenceNote()
	v.list = widget.NewList(func() int { return len(v.rows) }, newProposalRow, v.updateProposalRow)
	v.list.OnSelected = v.selectRow
	v.schedule = schedule.New(v.env)
	v.tabs = container.NewAppTabs(
		container.NewTabItem("Appointments", v.list),
		container.NewTabItem("On the schedule", v.schedule.Content()),
	)
}

// buildPreferenceNote makes prefBox, hidden until a proposal misses the
// patient's preferences: what misses them and why, and the slack to widen
// with Widen and propose again (as Enter in the days does).
func (v *View) buildPreferenceNote() {
	v.prefNote = widget.NewLabel("")
	v.prefNote.Wrapping = fyne.TextWrapWord
	v.prefNote.Importance = widget.WarningImportance
	v.slackDays = newEntry("days", v.escape)
	v.slackDays.OnSubmitted = func(string) { v.widenSlack() }
	v.widen = kit.NewButton("Widen and propose again", v.widenSlack)
	days := container.NewGridWrap(fyne.NewSize(70, v.slackDays.MinSize().Height), v.slackDays)
	v.prefBox = container.NewVBox(v.prefNote,
		container.NewHBox(widget.NewLabel("Slack in days (0–14):"), days, v.widen))
	v.prefBox.Hide()
}

// widenSlack proposes again with the slack typed beside Widen.
func (v *View) widenSlack() {
	n, err := strconv.Atoi(strings.TrimSpace(v.slackDays.Text))
	if err != nil || n < 0 || n > 14 {
		v.env.ShowError(booking.Errorf(booking.EINVALID, "Slack for preferences: type a number of days from 0 to 14."))
		return
	}
	v.slack = &n
	v.Propose()
}

// slackNow returns the slack the proposal on screen was made with.
func (v *View) slackNow() int {
	if v.lastReq.SlackDays != nil {
		return *v.lastReq.SlackDays
	}
	if c := v.clinicInfo(); c != nil {
		return c.Slack()
	}
	return 2
}

// The columns of the proposal's list after the kind's swatch: date,
// time, kind and step, the missed preference, staff, room.
const (
	colDate = iota
	colTime
	colLabel
	colNote
	colStaff
	colRoom
	nCols
)

// The list template's columns (swatch, then nCols cells), whose minimum
// width is the list's: the note, staff and room are shown only in rows.
var (
	templateWant = []float32{10, 110, 100, 100, 0, 0, 0}
	templateCut  = []bool{false, true, true, true, true, true, true}
)

// newProposalRow returns an empty row of the proposal's list: a swatch of
// the appointment's kind beside its cells, whose texts show whole on
// hover when cut.
func newProposalRow() fyne.CanvasObject {
	sw := canvas.NewRectangle(kit.KindColor(""))
	sw.SetMinSize(fyne.NewSize(10, 10))
	objs := []fyne.CanvasObject{container.NewCenter(sw)}
	for i := range nCols {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		if i >= colNote {
			l.Hide()
		}
		objs = append(objs, l)
	}
	return kit.NewHoverRow(container.New(kit.Fit(templateWant, templateCut), objs...))
}

// updateProposalRow shows row i of the proposal's list in o, a
// newProposalRow.
func (v *View) updateProposalRow(i widget.ListItemID, o fyne.CanvasObject) {
	row := o.(*kit.HoverRow).Row
	if len(v.colWant) == 0 {
		return
	}
	var kind booking.Kind
	imp := widget.MediumImportance
	if i < len(v.shown) {
		kind = v.shown[i].Kind
		if _, missed := v.misses[v.shown[i].Seq]; missed {
			imp = widget.WarningImportance
		}
	}
	for c := range nCols {
		l := row.Objects[1+c].(*widget.Label)
		text := ""
		if i < len(v.cells) {
			text = v.cells[i][c]
		}
		if v.colWant[1+c] == 0 {
			l.Hide()
			continue
		}
		l.Show()
		l.Importance = imp
		l.Text = text
		l.Refresh()
	}
	sw := row.Objects[0].(*fyne.Container).Objects[0].(*canvas.Rectangle)
	sw.FillColor = kit.KindColor(kind)
	sw.Refresh()
	row.Layout = kit.Fit(v.colWant, v.colCut)
	row.Layout.Layout(row.Objects, row.Size())
}

// setRows fills the list's rows with appts, each with its missed
// preference from v.misses, and fits the columns to their content.
func (v *View) setRows(appts []*booking.Appointment, loc *time.Location) {
	v.shown, v.rows, v.cells = appts, nil, nil
	v.colWant = make([]float32, 1+nCols)
	v.colWant[0] = 10
	for _, a := range appts {
		note := ""
		if m, ok := v.misses[a.Seq]; ok {
			note = m.String()
		}
		cells := rowCells(a, loc, note)
		v.cells = append(v.cells, cells)
		v.rows = append(v.rows, row(a, loc, note))
		for c, text := range cells {
			if text != "" {
				v.colWant[1+c] = max(v.colWant[1+c], float32(math.Ceil(float64(kit.TextWidth(text, fyne.TextStyle{})))))
			}
		}
	}
	// Date and time stay whole; the kind, the reason, staff and room
	// give way, widest first.
	v.colCut = []bool{false, false, false, true, true, true, true}
}

// buildAlternatives makes the alternatives panel, hidden until a row is
// selected.
func (v *View) buildAlternatives() {
	v.altTitle = widget.NewLabel("")
	v.altTitle.Wrapping = fyne.TextWrapWord
	v.altBox = container.NewGridWithColumns(3)
	v.altKeep = kit.NewButton("Keep as proposed", v.closeAlternatives)
	v.altPanel = container.NewVBox(widget.NewSeparator(), v.altTitle, v.altBox, container.NewHBox(v.altKeep))
	v.altPanel.Hide()
}

// buildOutcome makes the outcome: Book, disabled until there is a
// proposal, and the result, hidden until a series is booked, with the
// ways on: the series on the schedule, the patient's page, or another
// booking.
func (v *View) buildOutcome() {
	v.book = kit.NewButton("Book", v.Book)
	v.book.Importance = widget.HighImportance
	v.book.Disable()
	v.result = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.result.Wrapping = fyne.TextWrapWord
	v.toSched = kit.NewButton("View on schedule", func() {
		if sr := v.bookedSeries(); sr != nil && len(sr.Appts) > 0 {
			v.env.Nav.ShowAppointment(sr.Appts[0].ID)
		}
	})
	v.toPatient = kit.NewButton("Patient page", func() {
		if sr := v.bookedSeries(); sr != nil {
			v.env.Nav.ShowPatient(sr.PatientID)
		}
	})
	another := kit.NewButton("Book another series", func() { v.Start(0) })
	v.resultBox = container.NewVBox(v.result, container.NewHBox(v.toSched, v.toPatient, another))
	v.resultBox.Hide()
}

// layOut makes the panes and returns the screen's root: form, with
// Propose below it, on the left, a third of the width; on the right the
// proposal's tabs between the parts above and below them.
func (v *View) layOut(form fyne.CanvasObject) fyne.CanvasObject {
	v.top = container.NewVBox(v.title, v.problem, v.relax, v.status, v.prefBox)
	v.bottom = container.NewVBox(v.altPanel, widget.NewSeparator(), v.resultBox, container.NewHBox(v.book))
	v.right = container.NewBorder(v.top, v.bottom, nil, nil, v.tabs)
	v.formScroll = container.NewVScroll(container.NewPadded(form))
	left := container.NewBorder(nil, container.NewPadded(container.NewVBox(v.formProblem, v.propose)), nil, nil, v.formScroll)
	split := container.NewHSplit(left, container.NewPadded(v.right))
	split.Offset = 0.34
	return split
}

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

// TabSet returns the proposal's tabs (its appointments, and the schedule
// with them drawn), which Ctrl+PageUp and Ctrl+PageDown move through.
func (v *View) TabSet() *container.AppTabs { return v.tabs }

// Refresh reloads what the screen shows, off the UI goroutine: the
// protocols, the therapists and the clinic's days.
func (v *View) Refresh() {
	var (
		protocols []*booking.Protocol
		staff     []*booking.Staff
		clinic    *booking.Clinic
	)
	v.env.Run("Loading", func(ctx context.Context) error {
		var err error
		if clinic, err = v.env.Store.Clinic(ctx); err != nil {
			return err
		}
		if protocols, err = v.env.Store.Protocols(ctx); err != nil {
			return err
		}
		staff, err = v.env.Store.StaffList(ctx)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.mu.Lock()
		v.clinic = clinic
		v.mu.Unlock()
		// The choices made stay as they were: the proposal still stands.
		dirty := v.dirty
		v.setProtocols(protocols)
		v.setTherapists(staff)
		v.setWeekdays(clinic)
		v.startChanged()
		v.dirty = dirty
	})
	v.find()
}

func (v *View) setProtocols(ps []*booking.Protocol) {
	v.protocols = ps
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	sel := v.protocol.Selected
	v.protocol.SetOptions(names)
	if sel != "" && v.protocolByName(sel) != nil {
		v.protocol.SetSelected(sel)
	} else if v.patient != nil && v.usual != "" && v.ChooseProtocol(v.usual) {
		// the usual protocol arrived before the protocols
	} else if len(ps) == 1 {
		v.protocol.SetSelected(names[0])
	} else {
		v.protocol.ClearSelected()
	}
}

func (v *View) setTherapists(staff []*booking.Staff) {
	v.therapists = nil
	opts := []string{AnyTherapist}
	for _, s := range staff {
		if s.HasRole(booking.RoleTherapist) {
			v.therapists = append(v.therapists, s)
			opts = append(opts, s.Name)
		}
	}
	sel := v.therapist.Selected
	v.therapist.SetOptions(opts)
	if v.therapistID(sel) == 0 {
		sel = AnyTherapist
	}
	v.therapist.SetSelected(sel)
}

// setWeekdays offers the weekdays the clinic is open.
func (v *View) setWeekdays(c *booking.Clinic) {
	var opts []string
	for _, d := range booking.Week {
		if len(c.Hours.On(d.Day)) > 0 {
			opts = append(opts, d.Short)
		}
	}
	sel := v.weekdays.Selected
	v.weekdays.Options = opts
	v.weekdays.SetSelected(sel)
	v.weekdays.Refresh()
}

// Start begins a new booking, for the patient if patientID is not 0.
func (v *View) Start(patientID int64) {
	v.mu.Lock()
	v.proposal, v.booked = nil, nil
	v.mu.Unlock()
	v.patient = nil
	v.usualSeq++
	v.usual, v.usualPending, v.proposeWhenReady, v.slack = "", false, false, nil
	v.patientLabel.SetText("No patient chosen yet.")
	v.patientNote.Hide()
	v.search.SetText("")
	v.hideNewPatient()
	v.weekdays.SetSelected(nil)
	v.times.SetSelected(nil)
	v.therapist.SetSelected(AnyTherapist)
	v.skipOptional.SetChecked(false)
	v.allowVideo.SetChecked(false)
	v.setStart(v.tomorrow())
	v.protocol.ClearSelected()
	v.showProposal(nil, nil, "")
	v.Refresh()
	if patientID != 0 {
		var p *booking.Patient
		v.env.Run("Loading the patient", func(ctx context.Context) error {
			var err error
			p, err = v.env.Store.Patient(ctx, patientID)
			return err
		}, func(err error) {
			if err != nil {
				v.env.ShowError(err)
				return
			}
			v.choosePatient(p)
		})
		return // choosePatient puts the focus on the protocol
	}
	if v.env.Window != nil {
		v.env.Window.Canvas().Focus(v.search)
	}
}

// TypedKey handles the screen's keys that no field took: Escape closes
// the new-patient form or the alternatives; Enter books the proposal on
// screen when the form is as it was made, and proposes otherwise (after
// a booking it does nothing: Book another series starts anew); ← and →
// choose the previous or next protocol, 1 to 9 the protocol at that place
// in the list. It reports whether it used the key.
func (v *View) TypedKey(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyEscape:
		return v.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		switch {
		case v.bookedSeries() != nil:
			return false
		case v.current() != nil && !v.dirty && v.book.Visible() && !v.book.Disabled():
			v.Book()
		default:
			v.Propose()
		}
		return true
	case fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9:
		// The protocol by its place in the list: any of the first nine in
		// one key, however many the clinic has.
		i := int(ev.Name[0] - '1')
		if i >= len(v.protocol.Options) {
			return false
		}
		v.protocol.SetSelectedIndex(i)
		return true
	case fyne.KeyLeft, fyne.KeyRight:
		n := len(v.protocol.Options)
		if n == 0 {
			return false
		}
		i := v.protocol.SelectedIndex()
		if ev.Name == fyne.KeyRight {
			i = (i + 1) % n
		} else {
			i = (max(i, 0) + n - 1) % n
		}
		v.protocol.SetSelectedIndex(i)
		return true
	}
	return false
}

func (v *View) escape() bool {
	switch {
	case v.altPanel.Visible():
		v.closeAlternatives()
		return true
	case v.newBox.Visible():
		v.hideNewPatient()
		return true
	}
	return false
}

// relayout lays the screen out again after parts were shown or hidden
// (the desktop driver would on its next frame; the test canvas does not).
func (v *View) relayout() {
	if v.right == nil {
		return
	}
	// The proposal's parts around the list, not the list and schedule.
	v.top.Refresh()
	v.bottom.Refresh()
	v.right.Layout.Layout(v.right.Objects, v.right.Size())
	v.formScroll.Refresh()
}

func (v *View) tomorrow() booking.Date {
	loc := time.Local
	if c := v.clinicInfo(); c != nil {
		loc = c.Location()
	}
	return booking.DateOf(v.env.Time().In(loc)) + 1
}

func (v *View) setStart(d booking.Date) { v.start.SetText(d.String()) }

// showCalendar pops up a month calendar to pick the earliest start.
func (v *View) showCalendar() {
	if v.env.Window == nil {
		return
	}
	d, err := booking.ParseDate(v.start.Text)
	if err != nil {
		d = v.tomorrow()
	}
	y, m, dd := d.Civil()
	cal := widget.NewCalendar(time.Date(y, m, dd, 12, 0, 0, 0, time.UTC), func(t time.Time) {
		v.setStart(booking.DateOf(t))
		if v.datePopup != nil {
			v.datePopup.Hide()
		}
	})
	c := v.env.Window.Canvas()
	v.datePopup = widget.NewPopUp(cal, c)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.start)
	v.datePopup.ShowAtPosition(pos.Add(fyne.NewPos(0, v.start.Size().Height)))
}

func (v *View) startChanged() {
	v.changed()
	d, err := booking.ParseDate(v.start.Text)
	if err != nil {
		v.startWords.SetText("not a date")
		return
	}
	v.startWords.SetText(kit.Day(d))
}

// --- the patient ---

// find lists the patients matching the search text (none for an empty
// search), off the UI goroutine; an answer to an older keystroke is
// dropped.
func (v *View) find() {
	v.searchSeq++
	seq, text := v.searchSeq, v.search.Text
	if strings.TrimSpace(text) == "" {
		// Listing every patient of a large clinic helps nobody.
		v.found = nil
		v.results.UnselectAll()
		v.results.Refresh()
		v.noMatch.Hide()
		v.relayout()
		return
	}
	var found []*booking.Patient
	v.env.Run("Finding patients", func(ctx context.Context) error {
		var err error
		found, err = v.env.Store.FindPatients(ctx, text)
		return err
	}, func(err error) {
		if seq != v.searchSeq {
			return
		}
		if err != nil {
			v.env.ShowError(err)
			return
		}
		if len(found) > maxFound {
			found = found[:maxFound]
		}
		v.found = found
		v.results.UnselectAll()
		v.results.Refresh()
		v.noMatchFor = strings.TrimSpace(text)
		v.noMatch.SetText(fmt.Sprintf("No patient matches %q; press Enter or New patient to add one.", v.noMatchFor))
		v.noMatch.Hidden = len(found) > 0
		v.relayout()
	})
}

func (v *View) choosePatient(p *booking.Patient) {
	v.patient = p
	v.hideNewPatient()
	text := "Patient: " + p.Name + " · " + p.Email
	if p.Consents.NoEmail != nil {
		text += " (asked for no email)"
	}
	v.patientLabel.SetText(text)
	var wds, tds []string
	for _, d := range booking.Week {
		if slices.Contains(p.Preferences.Weekdays, d.Key) {
			wds = append(wds, d.Short)
		}
	}
	for i, k := range timeKeys {
		for _, t := range p.Preferences.TimesOfDay {
			if t == k {
				tds = append(tds, timeWords[i])
			}
		}
	}
	v.weekdays.SetSelected(wds)
	v.times.SetSelected(tds)
	if e := p.Preferences.Earliest; e > v.tomorrow() {
		v.setStart(e)
	}
	v.formProblem.Hide()
	v.patientNote.Hide()
	v.relayout()
	v.preselectProtocol(p)
	v.changed()
	// Enter proposes (TypedKey); ← → change the protocol first.
	v.unfocus()
	// Say so when the patient is booked already, so no series is booked twice.
	var upcoming []*booking.Appointment
	now := v.env.Time()
	v.env.Run("Loading the patient's appointments", func(ctx context.Context) error {
		var err error
		upcoming, err = v.env.Store.Appointments(ctx, booking.AppointmentFilter{PatientID: p.ID, From: now, ActiveOnly: true})
		return err
	}, func(err error) {
		if err != nil || v.patient != p || len(upcoming) == 0 {
			return
		}
		loc := time.Local
		if c := v.clinicInfo(); c != nil {
			loc = c.Location()
		}
		v.patientNote.SetText(fmt.Sprintf("%s already has %s, the next on %s.", p.Name,
			kit.Plural(len(upcoming), "upcoming appointment", "upcoming appointments"), kit.DateTime(upcoming[0].Start.In(loc))))
		v.patientNote.Show()
		v.relayout()
	})
}

// preselectProtocol chooses the patient's usual protocol (booking's
// UsualProtocol) unless one is chosen already. A Propose pressed before it
// arrives proposes when it does.
func (v *View) preselectProtocol(p *booking.Patient) {
	if v.protocol.Selected != "" {
		return
	}
	v.usualSeq++
	seq := v.usualSeq
	v.usualPending, v.proposeWhenReady = true, false
	var id string
	v.env.Run("Choosing the usual protocol", func(ctx context.Context) error {
		var err error
		id, err = v.env.Service.UsualProtocol(ctx, p.ID)
		return err
	}, func(err error) {
		if seq != v.usualSeq || v.patient != p {
			return
		}
		v.usualPending = false
		again := v.proposeWhenReady
		v.proposeWhenReady = false
		if err != nil {
			v.env.ShowError(err)
			return
		}
		if v.protocol.Selected == "" {
			v.usual = id
			v.ChooseProtocol(id)
		}
		if again {
			v.Propose()
		}
	})
}

func (v *View) clinicInfo() *booking.Clinic {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.clinic
}

func (v *View) showNewPatient() {
	v.newName.SetText(strings.TrimSpace(v.search.Text))
	v.newEmail.SetText("")
	v.newPhone.SetText("")
	v.newProblem.Hide()
	v.newBox.Show()
	v.newPatient.Hide()
	v.relayout()
	if v.env.Window != nil {
		v.env.Window.Canvas().Focus(v.newName)
	}
}

func (v *View) hideNewPatient() {
	v.newBox.Hide()
	v.newPatient.Show()
	v.relayout()
}

func (v *View) doAddPatient() {
	p := &booking.Patient{Name: v.newName.Text, Email: v.newEmail.Text, Phone: v.newPhone.Text}
	v.env.Run("Adding the patient", func(ctx context.Context) error {
		return v.env.Service.AddPatient(ctx, p)
	}, func(err error) {
		if err != nil {
			v.newProblem.SetText(kit.Message(err))
			v.newProblem.Show()
			v.relayout()
			return
		}
		v.choosePatient(p)
		v.env.Changed()
	})
}

// --- the request ---

func (v *View) protocolByName(name string) *booking.Protocol {
	for _, p := range v.protocols {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (v *View) therapistID(name string) int64 {
	for _, s := range v.therapists {
		if s.Name == name {
			return s.ID
		}
	}
	return 0
}

func (v *View) protocolChanged() {
	v.changed()
	p := v.protocolByName(v.protocol.Selected)
	if p == nil {
		v.protocolSummary.SetText("")
		return
	}
	v.protocolSummary.SetText(Summary(p))
	optional := false
	for _, s := range p.Steps {
		optional = optional || s.Optional
	}
	if optional {
		v.skipOptional.Enable()
	} else {
		v.skipOptional.SetChecked(false)
		v.skipOptional.Disable()
	}
}

// Summary describes a protocol's steps on one line, e.g.
// "Consultation 90 min → 2 × Preparation 60 min → 6 × Dosing 180 min,
// each followed by Integration 60 min · within 84 days".
func Summary(p *booking.Protocol) string {
	var parts []string
	for _, s := range p.Steps {
		if s.AfterEach != "" {
			continue
		}
		part := fmt.Sprintf("%s %d min", s.Label(), s.Minutes)
		if s.Count > 1 {
			part = fmt.Sprintf("%d × %s", s.Count, part)
		}
		for _, t := range p.Steps {
			if t.AfterEach == s.ID {
				part += fmt.Sprintf(", each followed by %s %d min", t.Label(), t.Minutes)
			}
		}
		if s.Optional {
			part += " (optional)"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " → ") + fmt.Sprintf(" · within %d days", p.WindowDays)
}

// request reads the form; a problem comes back in words.
func (v *View) request() (booking.ProposalRequest, error) {
	req := booking.ProposalRequest{}
	if v.patient == nil {
		return req, booking.Errorf(booking.EINVALID, "Choose a patient first: search for one, or press New patient.")
	}
	req.PatientID = v.patient.ID
	p := v.protocolByName(v.protocol.Selected)
	if p == nil {
		return req, booking.Errorf(booking.EINVALID, "Choose a protocol first.")
	}
	req.ProtocolID = p.ID
	d, err := booking.ParseDate(v.start.Text)
	if err != nil {
		return req, booking.Errorf(booking.EINVALID, "Earliest start: %s", booking.ErrorMessage(err))
	}
	req.From = d
	for _, w := range v.weekdays.Selected {
		for _, d := range booking.Week {
			if w == d.Short {
				req.Weekdays = append(req.Weekdays, d.Key)
			}
		}
	}
	for _, t := range v.times.Selected {
		for i, word := range timeWords {
			if t == word {
				req.TimesOfDay = append(req.TimesOfDay, timeKeys[i])
			}
		}
	}
	req.TherapistID = v.therapistID(v.therapist.Selected)
	req.SkipOptional = v.skipOptional.Checked
	req.AllowVideo = v.allowVideo.Checked
	req.SlackDays = v.slack
	return req, nil
}

// Propose runs the planner on the form, off the UI goroutine, and shows
// its proposal or, when there is none, its explanation and what to relax.
func (v *View) Propose() {
	if v.patient != nil && v.protocol.Selected == "" && v.usualPending {
		v.proposeWhenReady = true // the usual protocol is on its way
		return
	}
	req, err := v.request()
	if err != nil {
		v.formProblem.SetText(kit.Message(err))
		v.formProblem.Show()
		v.relayout()
		return
	}
	v.formProblem.Hide()
	v.run(req)
}

// setForm puts a request back into the form (after a relaxation).
func (v *View) setForm(req booking.ProposalRequest) {
	v.setStart(req.From)
	name := AnyTherapist
	for _, s := range v.therapists {
		if s.ID == req.TherapistID {
			name = s.Name
		}
	}
	v.therapist.SetSelected(name)
	v.allowVideo.SetChecked(req.AllowVideo)
	v.skipOptional.SetChecked(req.SkipOptional)
	v.slack = req.SlackDays
}

func (v *View) run(req booking.ProposalRequest) {
	var (
		p      *booking.Proposal
		misses []booking.PreferenceMiss
	)
	v.lastReq = req
	v.env.Run("Planning the series", func(ctx context.Context) error {
		var err error
		if p, err = v.env.Service.Propose(ctx, req); err != nil {
			return err
		}
		misses, err = v.env.Service.PreferenceMisses(ctx, p)
		return err
	}, func(err error) {
		if err != nil {
			v.noPlan(req, err)
			return
		}
		v.mu.Lock()
		v.booked = nil
		v.mu.Unlock()
		v.showProposal(p, misses, "")
		v.unfocus() // Enter books
	})
}

// noPlan shows why there is no plan and, for a planner's no, the changes
// that would give one.
func (v *View) noPlan(req booking.ProposalRequest, err error) {
	v.showProposal(nil, nil, "")
	v.title.SetText("No proposal")
	v.problem.SetText(kit.Message(err))
	v.problem.Show()
	v.relayout()
	if booking.ErrorCode(err) != booking.ENOPLAN {
		return
	}
	var rs []booking.Relaxation
	v.env.Run("Looking for what to relax", func(ctx context.Context) error {
		var err error
		rs, err = v.env.Service.Relax(ctx, req)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.relaxBtns.RemoveAll()
		if len(req.Weekdays)+len(req.TimesOfDay) > 0 {
			v.status.SetText("Preferred weekdays and times never prevent a plan: they only choose among the earliest possible days.")
			v.status.Show()
		}
		v.relaxText.SetText("A plan exists with:")
		if len(rs) == 0 {
			v.relaxText.SetText("Nothing simple gives a plan (any therapist, video, skipping optional steps, a start up to 8 weeks later); check the therapists' hours and the clinic's closures in Settings.")
		}
		for _, r := range rs {
			r := r
			v.relaxBtns.Add(kit.NewButton(r.Label, func() {
				v.setForm(r.Request)
				v.run(r.Request)
			}))
		}
		v.relax.Show()
		v.relayout()
	})
}

// --- the proposal ---

// recheck asks, after any change to the database (another desk's booking
// included, docs/operations.md "Several workstations"), whether the
// proposal on screen can still be booked, and when it cannot says why and
// disables Book, before anyone presses it.
func (v *View) recheck() {
	p := v.current()
	if p == nil || v.bookedSeries() != nil {
		return
	}
	var stale error
	v.env.RunQuietly(func(ctx context.Context) error {
		stale = v.env.Service.CheckProposal(ctx, p)
		return nil
	}, func(error) {
		if stale == nil || v.current() != p || v.bookedSeries() != nil {
			return
		}
		v.problem.SetText(kit.Message(stale))
		v.problem.Show()
		v.book.Disable()
	})
}

func (v *View) current() *booking.Proposal {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.proposal
}

func (v *View) bookedSeries() *booking.Series {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.booked
}

// showProposal shows p (nil: none) with a status line.
func (v *View) showProposal(p *booking.Proposal, misses []booking.PreferenceMiss, status string) {
	v.mu.Lock()
	v.proposal = p
	v.mu.Unlock()
	v.closeAlternatives()
	v.problem.Hide()
	v.relaxBtns.RemoveAll()
	v.relax.Hide()
	v.status.SetText(status)
	v.status.Hidden = status == ""
	v.status.Refresh()
	v.rows, v.shown, v.cells = nil, nil, nil
	v.showMisses(p, misses)
	v.resultBox.Hide()
	v.book.Show()
	if p == nil {
		v.title.SetText("Choose a patient and a protocol, then press Propose (or Enter).")
		v.book.SetText("Book")
		v.book.Disable()
		v.schedule.Preview(nil)
	} else {
		loc := p.Location()
		v.setRows(p.Appts, loc)
		first, last := p.Appts[0].Start.In(loc), p.Appts[len(p.Appts)-1].Start.In(loc)
		with := ""
		for _, s := range p.Appts[0].Staff {
			if s.StaffID == p.TherapistID {
				with = " with " + s.Name
			}
		}
		v.title.SetText(fmt.Sprintf("Proposal: %s for %s%s: %d appointments, %s to %s. Select one to change it; Book (or Enter) books them all.",
			p.Protocol.Name, p.Patient.Name, with, len(p.Appts), kit.Date(first), kit.Date(last)))
		v.book.SetText(fmt.Sprintf("Book %d appointments", len(p.Appts)))
		v.book.Enable()
		v.schedule.Preview(p.Appts)
	}
	v.list.UnselectAll()
	v.list.Refresh()
	v.relayout()
}

// showMisses notes the appointments of p that miss the patient's
// preferences (marked in the list too), with the slack to widen; it hides
// the note when there are none.
func (v *View) showMisses(p *booking.Proposal, misses []booking.PreferenceMiss) {
	v.misses = map[int]booking.PreferenceMiss{}
	v.dirty = p == nil
	if p == nil || len(misses) == 0 {
		v.prefBox.Hide()
		return
	}
	noneFree := 0
	for _, m := range misses {
		v.misses[m.Seq] = m
		if m.NoneFree {
			noneFree++
		}
	}
	slack := v.slackNow()
	text := fmt.Sprintf("%s the preferred %s (marked below). Preferences give way to the earliest series beyond %s.",
		kit.Plural(len(misses), "appointment misses", "appointments miss"), misses[0].Wanted, booking.SlackWords(slack))
	if noneFree > 0 && slack < 14 {
		text += " A wider slack may honour them, at the cost of later dates:"
		v.slackDays.SetText(strconv.Itoa(min(slack+5, 14)))
	} else {
		v.slackDays.SetText(strconv.Itoa(slack))
	}
	v.prefNote.SetText(text)
	v.prefBox.Show()
}

// Row describes one proposed appointment: date, time, kind and step,
// staff and room, e.g. "Tue 2 Mar 2027  09:00–10:30  Consultation ·
// Dr. Priya Nair, Dr. Ana Reyes · Consult A".
func Row(a *booking.Appointment, loc *time.Location) string { return row(a, loc, "") }

// row is Row with a note after the kind and step, when not "": a missed
// preference, which the end of a long row would hide.
func row(a *booking.Appointment, loc *time.Location, note string) string {
	c := rowCells(a, loc, note)
	label := c[colLabel]
	if note != "" {
		label += " · " + note
	}
	return fmt.Sprintf("%s  %s  %s · %s · %s", c[colDate], c[colTime], label, c[colStaff], c[colRoom])
}

// rowCells returns the columns of a's row in the list, note in its own.
func rowCells(a *booking.Appointment, loc *time.Location, note string) []string {
	var staff []string
	for _, s := range a.Staff {
		staff = append(staff, s.Name)
	}
	room := a.RoomName
	if a.Video() {
		room = "video"
	}
	c := make([]string, nCols)
	c[colDate] = kit.Date(a.Start.In(loc))
	c[colTime] = kit.Clock(a.Start.In(loc)) + "–" + kit.Clock(a.End.In(loc))
	c[colLabel], c[colNote] = a.Label(), note
	c[colStaff], c[colRoom] = strings.Join(staff, ", "), room
	return c
}

// selectRow opens the alternatives of the selected appointment.
func (v *View) selectRow(i widget.ListItemID) {
	p := v.current()
	if p == nil || i < 0 || i >= len(p.Appts) {
		return
	}
	a := p.Appts[i]
	// The schedule tab follows the selection.
	v.schedule.ShowDay(booking.DateOf(a.Start.In(p.Location())))
	var alts []booking.Alternative
	v.env.Run("Finding other times", func(ctx context.Context) error {
		var err error
		alts, err = v.env.Service.ProposalAlternatives(ctx, p, a.Seq, 9)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		if v.current() != p {
			return
		}
		v.showAlternatives(p, a, alts)
	})
}

func (v *View) showAlternatives(p *booking.Proposal, a *booking.Appointment, alts []booking.Alternative) {
	loc := p.Location()
	v.altSeq, v.alts = a.Seq, alts
	v.altBox.RemoveAll()
	when := kit.DateTime(a.Start.In(loc))
	if len(alts) == 0 {
		v.altTitle.SetText(fmt.Sprintf("No other time for %s (%s) keeps the gaps with the appointments before it. Change one of those first.", a.Label(), when))
	} else {
		v.altTitle.SetText(fmt.Sprintf("Other times for %s (now %s) that keep the series' gaps. At a time marked \"the appointments after it move too\", the later appointments of the series move with it, keeping their gaps:", a.Label(), when))
	}
	for _, alt := range alts {
		alt := alt
		room := alt.RoomName
		if alt.Video() {
			room = "video"
		}
		text := fmt.Sprintf("%s–%s · %s", kit.DateTime(alt.Start.In(loc)), kit.Clock(alt.End.In(loc)), room)
		if !alt.KeepsRest {
			text += " · the appointments after it move too"
		}
		b := kit.NewButton(text, func() { v.change(p, alt.Appointment) })
		v.altBox.Add(b)
	}
	v.altKeep.SetText("Keep " + when)
	v.altPanel.Show()
	v.relayout()
}

func (v *View) closeAlternatives() {
	v.altSeq, v.alts = -1, nil
	v.altBox.RemoveAll()
	v.altPanel.Hide()
	v.list.UnselectAll()
	v.relayout()
}

// change moves one appointment of p to alt and shows the re-checked
// proposal.
func (v *View) change(p *booking.Proposal, alt *booking.Appointment) {
	var (
		q      *booking.Proposal
		misses []booking.PreferenceMiss
	)
	v.env.Run("Re-checking the series", func(ctx context.Context) error {
		var err error
		if q, err = v.env.Service.ChangeProposal(ctx, p, alt.Seq, alt); err != nil {
			return err
		}
		misses, err = v.env.Service.PreferenceMisses(ctx, q)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		loc := q.Location()
		moved := p.Moved(q)
		a := q.Place(alt.Seq)
		status := fmt.Sprintf("%s moved to %s.", a.Label(), kit.DateTime(a.Start.In(loc)))
		if n := len(moved) - 1; n > 0 {
			status += fmt.Sprintf(" %s re-planned to fit.", kit.Plural(n, "later appointment was", "later appointments were"))
		}
		v.showProposal(q, misses, status)
		v.unfocus()
	})
}

// besideDialog asks for the reason to book a series while the patient has
// another active one.
type besideDialog struct {
	dlg    dialog.Dialog
	reason *widget.Entry
	ok     *kit.Button
}

// askBeside asks why p is booked beside the patient's active series, and
// books it with that reason.
func (v *View) askBeside(p *booking.Proposal) {
	var which []string
	for _, s := range p.Active {
		which = append(which, fmt.Sprintf("series %d (%s)", s.ID, s.ProtocolID))
	}
	bd := &besideDialog{reason: widget.NewEntry()}
	bd.reason.SetPlaceHolder("Why both (kept in the audit trail)")
	intro := widget.NewLabel(fmt.Sprintf("%s already has an active series: %s. A missed session is booked again with Make up… on the schedule. To book this series beside it, give the reason; doses of the two are kept apart.",
		p.Patient.Name, strings.Join(which, ", ")))
	intro.Wrapping = fyne.TextWrapWord
	bd.ok = kit.NewButton("Book beside it", func() {
		reason := strings.TrimSpace(bd.reason.Text)
		if reason == "" {
			v.env.ShowError(booking.Errorf(booking.EINVALID, "Give the reason to book a second series."))
			return
		}
		bd.dlg.Hide()
		q := *p
		q.Request.Reason = reason
		v.bookNow(&q)
	})
	bd.ok.Importance = widget.HighImportance
	back := kit.NewButton("Back", func() { bd.dlg.Hide() })
	body := container.NewVBox(intro, bd.reason, container.NewHBox(layout.NewSpacer(), back, bd.ok))
	bd.dlg = dialog.NewCustomWithoutButtons("Another active series", kit.Wrapped(520, body), v.env.Window)
	v.beside = bd
	bd.dlg.Show()
	v.env.Window.Canvas().Focus(bd.reason)
}

// Book books the proposal as it stands, in one click; when the patient
// has an active series it first asks why both.
func (v *View) Book() {
	p := v.current()
	if p == nil {
		return
	}
	if len(p.Active) > 0 && p.Request.Reason == "" && v.env.Window != nil {
		v.askBeside(p)
		return
	}
	v.bookNow(p)
}

// bookNow books p.
func (v *View) bookNow(p *booking.Proposal) {
	var sr *booking.Series
	v.book.Disable() // one click books once
	v.env.Run("Booking the series", func(ctx context.Context) error {
		var err error
		sr, err = v.env.Service.BookProposal(ctx, p)
		return err
	}, func(err error) {
		if err != nil {
			v.refused(err)
			return
		}
		v.showProposal(nil, nil, "")
		v.mu.Lock()
		v.booked = sr
		v.mu.Unlock()
		msg := fmt.Sprintf("Booked %d appointments for %s; confirmation queued.", len(sr.Appts), p.Patient.Name)
		if p.Patient.Consents.NoEmail != nil {
			msg = fmt.Sprintf("Booked %d appointments for %s. No email is sent: the patient asked for none.", len(sr.Appts), p.Patient.Name)
		}
		v.title.SetText(fmt.Sprintf("Booked: %s for %s", p.Protocol.Name, p.Patient.Name))
		v.result.SetText(msg)
		v.resultBox.Show()
		v.book.Hide()
		v.setRows(sr.Appts, p.Location())
		v.list.Refresh()
		v.relayout()
		v.env.Changed()
	})
}

// refused shows why booking failed and offers a fresh proposal.
func (v *View) refused(err error) {
	req := v.lastReq
	v.showProposal(nil, nil, "")
	v.title.SetText("Not booked")
	v.problem.SetText(kit.Message(err))
	v.problem.Show()
	v.relaxText.SetText("The proposal was not booked. Ask the planner again:")
	v.relaxBtns.Add(kit.NewButton("Propose again", func() { v.run(req) }))
	v.relax.Show()
	v.relayout()
}

// ChooseProtocol selects the protocol with the given id, as picking it in
// the form does, and reports whether the form offers it.
func (v *View) ChooseProtocol(id string) bool {
	for _, p := range v.protocols {
		if p.ID == id {
			v.protocol.SetSelected(p.Name)
			return true
		}
	}
	return false
}
