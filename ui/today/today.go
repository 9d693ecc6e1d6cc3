// Package today is kapbook's Today screen: the front desk's morning view of
// who is coming today, the escorts still missing for tomorrow's dosing and
// infusion visits, the reminders that failed, and the monitoring forms due.
package today

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// maxFailed is how many failed reminders the screen lists; the outbox
// shows them all.
const maxFailed = 50

// View is the Today screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject
	// list shows the four sections one line at a time (a heading, an
	// empty text or a row), building widgets only for the lines in view,
	// so a busy day of 200 visits reloads as fast as a quiet one.
	list *widget.List
	// items are the list's lines, built by show.
	items []*item
	// Line heights, measured from a template, and those set on the list
	// by line.
	rowHeight, headHeight, sepHeadHeight, emptyHeight float32
	heights                                           map[int]float32

	// Status says what the last action did, on the title's line: it
	// never moves the rows under the pointer (issue 14, item 6), and a
	// message too long for the line is cut and shows whole on hover.
	Status *kit.HoverLabel
	// said is when Status was last set; a reload kit.MessageFor later
	// clears it.
	said time.Time
	// The sections: a heading with the count, and the rows.
	visits, escorts, failed, tasks section

	// offers maps each row button the screen offers, by action and id,
	// e.g. "arrived 12" or "retry 40", to its line in the list; buttons
	// holds those of the lines on screen by the same keys (for tests).
	offers  map[string]int
	buttons map[string]*kit.Button
	// buttonWidths caches the widths of buttons by their words.
	buttonWidths map[string]float32
	// The escort dialog's fields while it is open.
	escortName, escortPhone *widget.Entry

	data *data
}

// section is one of the screen's four lists.
type section struct {
	// Heading is the section's title with the count; Empty what it says
	// when it has no rows.
	Heading, Empty string
	// Lines are the rows as the user reads them, cells joined by " | ".
	Lines []string
}

// item is one line of the list: a section's heading, its empty text, or
// a row of cells and buttons.
type item struct {
	what lineKind
	// text is a heading's or empty text's words; sep puts a separator
	// above a heading.
	text string
	sep  bool
	// A row: the bar in the kind's colour (none when kind is empty), the
	// cells, the button shown instead of the last cell (escort), the
	// buttons after the cells, and for each of the template's objects
	// the width it wants (its content's, the widest in its section) and
	// whether it may be cut short when the window is narrow (kit.Fit).
	kind   booking.Kind
	cells  []string
	escort *action
	acts   []*action
	want   []float32
	cut    []bool
}

type lineKind int

const (
	headingLine lineKind = iota
	emptyLine
	rowLine
)

// action is a row's button: its words, whether it can be tapped, what it
// does, and its key in View.buttons.
type action struct {
	key, text string
	disabled  bool
	do        func()
}

// The most cells and buttons a row has.
const (
	maxCells   = 7
	maxButtons = 2
)

// line is the list's reusable template: it shows one item at a time.
type line struct {
	widget.BaseWidget
	top     *fyne.Container // the separator and the heading
	sep     *widget.Separator
	heading *widget.Label
	empty   *widget.Label
	// The row: bar, cells, the escort button, then the buttons.
	row     *fyne.Container
	bar     *canvas.Rectangle
	cells   [maxCells]*kit.HoverLabel
	escort  *kit.Button
	btns    [maxButtons]*kit.Button
	content *fyne.Container
	// keys are what its buttons are in View.buttons under.
	keys []string
}

// templateWant and templateCut are the list template's columns (a visit
// row: bar, 7 cells, the escort button, 2 buttons), whose minimum width
// is the list's.
var (
	templateWant = []float32{6, 110, 160, 130, 180, 120, 90, 150, 0, 130, 80}
	templateCut  = []bool{false, false, true, false, true, true, false, true, false, false, false}
)

func newLine() *line {
	l := &line{sep: widget.NewSeparator(), heading: kit.Heading(""), empty: widget.NewLabel(""),
		bar: canvas.NewRectangle(kit.KindColor("")), escort: kit.NewButton("", nil)}
	l.bar.SetMinSize(fyne.NewSize(6, 0))
	l.empty.Importance = widget.LowImportance
	objs := []fyne.CanvasObject{l.bar}
	for i := range l.cells {
		l.cells[i] = kit.NewHoverLabel("")
		objs = append(objs, l.cells[i])
	}
	objs = append(objs, l.escort)
	for i := range l.btns {
		l.btns[i] = kit.NewButton("", nil)
		objs = append(objs, l.btns[i])
	}
	// The template is a visit row, whose height every row has.
	l.escort.Hide()
	l.row = container.New(kit.Fit(templateWant, templateCut), objs...)
	l.top = container.NewVBox(l.sep, l.heading)
	l.top.Hide()
	l.empty.Hide()
	l.content = container.NewStack(l.top, l.empty, l.row)
	l.ExtendBaseWidget(l)
	return l
}

// CreateRenderer implements fyne.Widget.
func (l *line) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(l.content) }

// bind shows it in l and files l's buttons under their keys in
// v.buttons. It refreshes only what changed: the list rebinds every line
// in view on each reload, and measuring a label's text is what costs.
func (v *View) bind(l *line, it *item) {
	for _, k := range l.keys {
		if b := v.buttons[k]; b == l.escort || b == l.btns[0] || b == l.btns[1] {
			delete(v.buttons, k)
		}
	}
	l.keys = l.keys[:0]
	show(l.top, it.what == headingLine)
	show(l.empty, it.what == emptyLine)
	show(l.row, it.what == rowLine)
	switch it.what {
	case headingLine:
		show(l.sep, it.sep)
		setText(l.heading, it.text)
		l.top.Layout.Layout(l.top.Objects, l.top.Size())
	case emptyLine:
		setText(l.empty, it.text)
	case rowLine:
		show(l.bar, it.kind != "")
		if c := kit.KindColor(it.kind); it.kind != "" && l.bar.FillColor != c {
			l.bar.FillColor = c
			l.bar.Refresh()
		}
		for i, c := range l.cells {
			shown := i < len(it.cells) && (it.escort == nil || i < len(it.cells)-1)
			show(c, shown)
			if shown {
				setText(&c.Label, it.cells[i])
			}
		}
		show(l.escort, it.escort != nil)
		if it.escort != nil {
			v.setButton(l, l.escort, it.escort)
		}
		for i, b := range l.btns {
			show(b, i < len(it.acts))
			if i < len(it.acts) {
				v.setButton(l, b, it.acts[i])
			}
		}
		l.row.Layout = kit.Fit(it.want, it.cut)
		l.row.Layout.Layout(l.row.Objects, l.row.Size())
	}
}

// show shows or hides o, if it is not so already.
func show(o fyne.CanvasObject, shown bool) {
	switch {
	case shown && !o.Visible():
		o.Show()
	case !shown && o.Visible():
		o.Hide()
	}
}

// setText sets a label's text, if it is not so already.
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

func (v *View) setButton(l *line, b *kit.Button, a *action) {
	if b.Text != a.text {
		b.SetText(a.text)
	}
	b.OnTapped = a.do
	if a.disabled {
		b.Disable()
	} else {
		b.Enable()
	}
	v.buttons[a.key] = b
	l.keys = append(l.keys, a.key)
}

// data is what the screen shows, loaded off the UI goroutine.
type data struct {
	loc      *time.Location
	now      time.Time
	today    booking.Date
	visits   []*booking.Appointment
	escorts  []*booking.Appointment
	needs    int // tomorrow's visits that need an escort
	failed   []*booking.OutboxMessage
	nFailed  int
	tasks    []*booking.MonitoringTask
	patients map[int64]*booking.Patient
}

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env, offers: map[string]int{}, buttons: map[string]*kit.Button{}, heights: map[int]float32{}, buttonWidths: map[string]float32{}}
	v.Status = kit.NewHoverLabel("")
	v.visits = section{Empty: "Nobody is booked for today."}
	v.escorts = section{Empty: "Every visit tomorrow that needs an escort has one recorded."}
	v.failed = section{Empty: "No reminder has failed."}
	v.tasks = section{Empty: "No monitoring form is due."}
	probe := newLine()
	v.rowHeight = probe.MinSize().Height
	v.emptyHeight = probe.empty.MinSize().Height
	v.sepHeadHeight = probe.top.MinSize().Height
	probe.sep.Hide()
	v.headHeight = probe.top.MinSize().Height
	title := widget.NewLabelWithStyle("Today", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	refresh := kit.NewButton("Reload", v.Refresh)
	v.list = widget.NewList(func() int { return len(v.items) },
		func() fyne.CanvasObject { return newLine() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.items) {
				v.bind(o.(*line), v.items[id])
			}
		})
	v.list.HideSeparators = true
	// Rows are not chosen, only their buttons tapped.
	v.list.OnSelected = func(id widget.ListItemID) { v.list.Unselect(id) }
	// The message sits between the title and Reload, on a line as tall
	// as Reload with or without one: rows stay where they are.
	v.content = container.NewBorder(container.NewBorder(nil, nil, title, refresh, v.Status), nil, nil, nil, v.list)
	env.OnChange(v.Refresh)
	if !env.Inline {
		// Reload now and then, so the day rolls over at midnight and what
		// other workstations and the background sending changed shows.
		go func() {
			for range time.Tick(autoRefresh) {
				fyne.Do(v.Refresh)
			}
		}()
	}
	return v
}

// autoRefresh is how often the screen reloads by itself.
const autoRefresh = 5 * time.Minute

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

// Refresh reloads what the screen shows, off the UI goroutine.
func (v *View) Refresh() {
	var d *data
	v.env.Run("Loading today", func(ctx context.Context) error {
		var err error
		d, err = load(ctx, v.env)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.show(d)
	})
}

// load reads what the screen shows at the env's current time.
func load(ctx context.Context, env *kit.Env) (*data, error) {
	st := env.Store
	c, err := st.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	d := &data{loc: c.Location(), now: env.Time(), patients: map[int64]*booking.Patient{}}
	d.today = booking.DateOf(d.now.In(d.loc))
	if d.visits, err = st.Appointments(ctx, booking.AppointmentFilter{From: d.today.At(0, d.loc), To: (d.today + 1).At(0, d.loc), ActiveOnly: true}); err != nil {
		return nil, err
	}
	due, err := booking.MissingEscorts(ctx, st, d.today+1, d.loc)
	if err != nil {
		return nil, err
	}
	d.needs, d.escorts = due.Need, due.Missing
	failed, err := st.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxFailed})
	if err != nil {
		return nil, err
	}
	pending, err := st.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxPending})
	if err != nil {
		return nil, err
	}
	for _, m := range pending {
		if m.LastError != "" {
			failed = append(failed, m)
		}
	}
	d.nFailed = len(failed)
	// Newest trouble first.
	for i, j := 0, len(failed)-1; i < j; i, j = i+1, j-1 {
		failed[i], failed[j] = failed[j], failed[i]
	}
	d.failed = failed[:min(len(failed), maxFailed)]
	if d.tasks, err = env.Service.MonitoringTasks(ctx, d.now); err != nil {
		return nil, err
	}
	var ids []int64
	for _, a := range append(append([]*booking.Appointment{}, d.visits...), d.escorts...) {
		ids = append(ids, a.PatientID)
	}
	for _, m := range d.failed {
		ids = append(ids, m.PatientID)
	}
	for _, id := range ids {
		if _, ok := d.patients[id]; ok {
			continue
		}
		p, err := st.Patient(ctx, id)
		if err != nil {
			return nil, err
		}
		d.patients[id] = p
	}
	return d, nil
}

func (d *data) name(id int64) string {
	if p := d.patients[id]; p != nil {
		return p.Name
	}
	return fmt.Sprintf("Patient %d", id)
}

// staffNames lists who takes part.
func staffNames(a *booking.Appointment) string {
	var s []string
	for _, x := range a.Staff {
		s = append(s, x.Name)
	}
	return strings.Join(s, ", ")
}

func room(a *booking.Appointment) string {
	if a.Video() {
		return "Video"
	}
	return a.RoomName
}

// statusWords says an appointment's status as the front desk says it.
func statusWords(s booking.Status) string {
	switch s {
	case booking.Booked:
		return "Expected"
	case booking.Arrived:
		return "Arrived"
	case booking.Completed:
		return "Completed"
	case booking.NoShow:
		return "No-show"
	}
	return string(s)
}

func escortWords(a *booking.Appointment) string {
	switch {
	case a.Escort != nil:
		return "Escort: " + a.Escort.Name
	case a.NeedsEscort():
		return "No escort yet"
	}
	return "No escort needed"
}

// rows collects a section's lines as show builds them.
type rows struct {
	v     *View
	items []*item
	lines []string
}

// action returns a row's button, offered under key on the row being built.
func (r *rows) action(key, text string, disabled bool, do func()) *action {
	r.v.offers[key] = len(r.v.items) + 1 + len(r.items) // after the heading
	return &action{key: key, text: text, disabled: disabled, do: do}
}

// add adds a row of cells and buttons, after a bar in the kind's colour
// when kind is set (the kind is also in words in the cells); escort, when
// set, is a button in place of the last cell. fill sizes the columns.
func (r *rows) add(kind booking.Kind, cells []string, escort *action, acts ...*action) {
	r.items = append(r.items, &item{what: rowLine, kind: kind, cells: cells, escort: escort, acts: acts})
	r.lines = append(r.lines, strings.Join(cells, " | "))
}

// size gives the section's rows their columns: each as wide as its
// widest content in the section, so the rows line up and nothing is cut
// while the window has room; the cells in cut (by index) give way first
// when it has not, and show their whole text on hover. An escort
// column holding a button is never cut.
func (r *rows) size(cut ...int) {
	cells, buttons := make([]float32, maxCells), make([]float32, maxButtons)
	escort := false
	for _, it := range r.items {
		for i, c := range it.cells {
			if it.escort != nil && i == len(it.cells)-1 {
				cells[i] = max(cells[i], r.v.buttonWidth(it.escort.text))
				escort = true
				continue
			}
			cells[i] = max(cells[i], textWidth(c))
		}
		for i, a := range it.acts {
			buttons[i] = max(buttons[i], r.v.buttonWidth(a.text))
		}
	}
	mayCut := make([]bool, maxCells)
	for _, i := range cut {
		mayCut[i] = true
	}
	for _, it := range r.items {
		n := len(it.cells)
		want := make([]float32, 0, 1+maxCells+1+maxButtons)
		cuts := make([]bool, 0, cap(want))
		want, cuts = append(want, 6), append(cuts, false)
		for i := range maxCells {
			want, cuts = append(want, cells[i]), append(cuts, mayCut[i] && !(escort && i == n-1))
		}
		want, cuts = append(want, cells[max(n-1, 0)]), append(cuts, false)
		for i := range maxButtons {
			want, cuts = append(want, buttons[i]), append(cuts, false)
		}
		it.want, it.cut = want, cuts
	}
}

// textWidth is the width a cell needs to show text whole.
func textWidth(text string) float32 {
	if text == "" {
		return 0
	}
	return float32(math.Ceil(float64(kit.TextWidth(text, fyne.TextStyle{}))))
}

// buttonWidth is the width of a button saying text.
func (v *View) buttonWidth(text string) float32 {
	if w, ok := v.buttonWidths[text]; ok {
		return w
	}
	w := float32(math.Ceil(float64(kit.NewButton(text, nil).MinSize().Width)))
	v.buttonWidths[text] = w
	return w
}

// fill ends a section: its heading, then its rows or its empty text.
func (r *rows) fill(s *section, heading string) {
	v := r.v
	s.Heading, s.Lines = heading, r.lines
	v.items = append(v.items, &item{what: headingLine, text: heading, sep: len(v.items) > 0})
	if len(r.items) == 0 {
		v.items = append(v.items, &item{what: emptyLine, text: s.Empty})
	}
	v.items = append(v.items, r.items...)
	r.items, r.lines = nil, nil
}

// show puts d on screen.
func (v *View) show(d *data) {
	v.data = d
	if !v.said.IsZero() && v.env.Time().Sub(v.said) >= kit.MessageFor {
		v.Status.SetText("")
		v.said = time.Time{}
	}
	focused := v.focusedKey()
	v.items = nil
	v.offers = map[string]int{}
	v.buttons = map[string]*kit.Button{}
	loc := d.loc
	r := &rows{v: v}

	arrived := 0
	for _, a := range d.visits {
		if a.Status != booking.Booked {
			arrived++
		}
		var escort *action
		if a.NeedsEscort() && a.Escort == nil && a.Status == booking.Booked {
			// The escort's cell offers to record one, so the patient can
			// then be checked in.
			escort = r.action(fmt.Sprintf("escort %d", a.ID), "Record escort", false, func() { v.askEscort(a) })
		}
		mark := r.action(fmt.Sprintf("arrived %d", a.ID), "Mark arrived", a.Status != booking.Booked, func() { v.markArrived(a) })
		open := r.action(fmt.Sprintf("open %d", a.ID), "Open", false, func() { v.env.Nav.ShowAppointment(a.ID) })
		r.add(a.Kind, []string{
			kit.Clock(a.Start.In(loc)) + "–" + kit.Clock(a.End.In(loc)), d.name(a.PatientID), a.Label(),
			staffNames(a), room(a), statusWords(a.Status), escortWords(a)}, escort, mark, open)
	}
	day := kit.Day(d.today)
	r.size(1, 3, 4, 6)
	r.fill(&v.visits, fmt.Sprintf("Coming today, %s (%s, %d checked in)", day, kit.Plural(len(d.visits), "visit", "visits"), arrived))

	for _, a := range d.escorts {
		rec := r.action(fmt.Sprintf("escort %d", a.ID), "Record escort", false, func() { v.askEscort(a) })
		open := r.action(fmt.Sprintf("open %d", a.ID), "Open", false, func() { v.env.Nav.ShowAppointment(a.ID) })
		phone := ""
		if p := d.patients[a.PatientID]; p != nil {
			phone = p.Phone
		}
		r.add(a.Kind, []string{
			kit.Clock(a.Start.In(loc)) + "–" + kit.Clock(a.End.In(loc)), d.name(a.PatientID), phone, a.Label(), staffNames(a)}, nil, rec, open)
	}
	tomorrow := kit.Day(d.today + 1)
	r.size(1, 4)
	r.fill(&v.escorts, fmt.Sprintf("Escorts missing for tomorrow, %s (%d of %s)", tomorrow, len(d.escorts), kit.Plural(d.needs, "visit that needs one", "visits that need one")))

	for _, m := range d.failed {
		state := fmt.Sprintf("Failed after %s", kit.Plural(m.Attempts, "attempt", "attempts"))
		switch {
		case m.State == booking.OutboxPending && m.Attempts == 0:
			state = "Queued again"
		case m.State == booking.OutboxPending:
			state = fmt.Sprintf("Retrying (%s so far)", kit.Plural(m.Attempts, "attempt", "attempts"))
		}
		retry := r.action(fmt.Sprintf("retry %d", m.ID), "Retry", m.State != booking.OutboxFailed, func() { v.retry(m) })
		open := r.action(fmt.Sprintf("outbox %d", m.ID), "Open in outbox", false, func() { v.env.Nav.ShowOutbox(m.ID) })
		r.add("", []string{
			kit.DateTime(m.Due.In(loc)), d.name(m.PatientID), kit.MessageKindName(m.Kind), state,
			"Reason: " + reason(m.LastError)}, nil, retry, open)
	}
	heading := fmt.Sprintf("Reminders that failed (%d)", d.nFailed)
	if d.nFailed > len(d.failed) {
		heading = fmt.Sprintf("Reminders that failed (%d; the newest %d here, all in the outbox)", d.nFailed, len(d.failed))
	}
	r.size(1, 4)
	r.fill(&v.failed, heading)

	overdue := 0
	for _, t := range d.tasks {
		due := "Due by " + kit.Day(t.Due)
		if t.Overdue {
			overdue++
			due = "Overdue since " + kit.Day(t.Due+1)
		}
		a := t.Appointment
		done := r.action(fmt.Sprintf("form %d", a.ID), "Form done", false, func() { v.recordForm(t) })
		open := r.action(fmt.Sprintf("open %d", a.ID), "Open", false, func() { v.env.Nav.ShowAppointment(a.ID) })
		r.add(a.Kind, []string{
			due, t.PatientName, a.Label() + ", " + kit.DateTime(a.Start.In(loc)), t.Task}, nil, done, open)
	}
	heading = fmt.Sprintf("Monitoring forms due (%d)", len(d.tasks))
	if overdue > 0 {
		heading = fmt.Sprintf("Monitoring forms due (%d, %d overdue)", len(d.tasks), overdue)
	}
	r.size(1, 2, 3)
	r.fill(&v.tasks, heading)

	// Headings and empty texts are not as tall as rows. Each height set
	// redraws the list, so only those that changed are set.
	for id, it := range v.items {
		h := v.rowHeight
		switch {
		case it.what == headingLine && it.sep:
			h = v.sepHeadHeight
		case it.what == headingLine:
			h = v.headHeight
		case it.what == emptyLine:
			h = v.emptyHeight
		}
		if old, set := v.heights[id]; (set && old != h) || (!set && h != v.rowHeight) {
			v.list.SetItemHeight(id, h)
			v.heights[id] = h
		}
	}
	v.list.Refresh()
	if focused != "" {
		v.refocus(focused)
	}
}

// focusedKey returns the key of the row button that has the keyboard,
// "" when none has.
func (v *View) focusedKey() string {
	if v.env.Window == nil {
		return ""
	}
	f := v.env.Window.Canvas().Focused()
	for k, b := range v.buttons {
		if fyne.Focusable(b) == f {
			return k
		}
	}
	return ""
}

// refocus gives the keyboard back to the button offered under key after
// a reload, so that it keeps its place in the list: when that button can
// no longer act (Mark arrived, once pressed), to the next one after it
// that can. When it is gone with its row (an escort recorded for
// tomorrow), the focus stays on the list's line, which now shows the row
// after it.
func (v *View) refocus(key string) {
	var order []*action
	at := -1
	for _, it := range v.items {
		acts := it.acts
		if it.escort != nil {
			acts = append([]*action{it.escort}, acts...)
		}
		for _, a := range acts {
			if a.key == key {
				at = len(order)
			}
			order = append(order, a)
		}
	}
	if at < 0 {
		return
	}
	for _, a := range order[at:] {
		if b := v.buttons[a.key]; b != nil && !a.disabled {
			v.env.Window.Canvas().Focus(b)
			return
		}
	}
}

// reason returns a failure's stored reason without the package prefix.
func reason(s string) string {
	s = strings.TrimPrefix(s, "reminder: ")
	if s == "" {
		return "not recorded"
	}
	return s
}

// say shows what an action did.
func (v *View) say(msg string) {
	v.Status.SetText(msg)
	v.said = v.env.Time()
}

func (v *View) when(t time.Time) string {
	loc := time.Local
	if v.data != nil {
		loc = v.data.loc
	}
	return kit.DateTime(t.In(loc))
}

// markArrived checks the patient in; the service refuses a dosing or
// infusion visit without an escort, and the dialog says so.
func (v *View) markArrived(a *booking.Appointment) {
	name := v.data.name(a.PatientID)
	v.env.Run("Checking in", func(ctx context.Context) error {
		_, err := v.env.Service.SetStatus(ctx, a.ID, booking.Arrived)
		return err
	}, func(err error) {
		if err != nil {
			// A missing escort offers its fix: record it, then check in.
			v.env.ShowError(err, kit.Fix{When: kit.MissingEscort, Label: "Record escort…", Do: func() { v.askEscort(a) }})
			return
		}
		v.say(fmt.Sprintf("%s checked in for %s at %s.", name, a.Label(), v.when(a.Start)))
		v.env.Changed()
	})
}

// askEscort asks for the escort's name and phone and records them.
func (v *View) askEscort(a *booking.Appointment) {
	name := v.data.name(a.PatientID)
	v.escortName, v.escortPhone = widget.NewEntry(), widget.NewEntry()
	v.escortName.SetPlaceHolder("Full name")
	v.escortPhone.SetPlaceHolder("+1 617 555 0100")
	en, ep := v.escortName, v.escortPhone
	items := []*widget.FormItem{
		widget.NewFormItem("Escort's name", en),
		widget.NewFormItem("Escort's phone", ep),
	}
	intro := fmt.Sprintf("Who takes %s home after %s on %s?", name, a.Label(), v.when(a.Start))
	items = append([]*widget.FormItem{widget.NewFormItem("", widget.NewLabel(intro))}, items...)
	if v.env.Window == nil {
		return
	}
	d := kit.NewCustomConfirm("Record escort", "Record", "Cancel", widget.NewForm(items...), func(ok bool) {
		if !ok {
			return
		}
		e := booking.Escort{Name: strings.TrimSpace(en.Text), Phone: strings.TrimSpace(ep.Text)}
		v.env.Run("Recording the escort", func(ctx context.Context) error {
			_, err := v.env.Service.SetEscort(ctx, a.ID, e)
			return err
		}, func(err error) {
			if err != nil {
				v.env.ShowError(err)
				return
			}
			v.say(fmt.Sprintf("Escort %s recorded for %s's %s on %s.", e.Name, name, a.Label(), v.when(a.Start)))
			v.env.Changed()
		})
	}, v.env.Window)
	// Enter in either field records, as the Record button does.
	en.OnSubmitted = func(string) { d.Confirm() }
	ep.OnSubmitted = func(string) { d.Confirm() }
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
	v.env.Window.Canvas().Focus(en)
}

// retry puts a failed message back in the queue.
func (v *View) retry(m *booking.OutboxMessage) {
	name := v.data.name(m.PatientID)
	v.env.Run("Retrying", func(ctx context.Context) error {
		_, err := v.env.Service.RetryOutbox(ctx, m.ID)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.say(fmt.Sprintf("The %s to %s is queued again and goes out with the next sending.", strings.ToLower(kit.MessageKindName(m.Kind)), name))
		v.env.Changed()
	})
}

// recordForm records, after asking, that a session's monitoring form is done.
func (v *View) recordForm(t *booking.MonitoringTask) {
	a := t.Appointment
	msg := fmt.Sprintf("Record that the %s for %s's %s on %s is complete? This is kept in the audit trail and cannot be undone.",
		t.Task, t.PatientName, a.Label(), v.when(a.Start))
	v.env.Confirm("Monitoring form", msg, "Record", func() {
		v.env.Run("Recording the form", func(ctx context.Context) error {
			_, err := v.env.Service.RecordMonitoringForm(ctx, a.ID)
			return err
		}, func(err error) {
			if err != nil {
				v.env.ShowError(err)
				return
			}
			v.say(fmt.Sprintf("%s recorded for %s's %s.", t.Task, t.PatientName, a.Label()))
			v.env.Changed()
		})
	})
}
