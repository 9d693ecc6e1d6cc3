// Package schedule is kapbook's Schedule screen: a day or a week of the
// clinic's appointments on a time grid, in columns per staff member or per
// room, with the selected appointment's details and the front desk's
// actions on it (move, cancel, attendance, escort, confirmation, export).
package schedule

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// Labels of the view toggles.
const (
	viewDay   = "Day"
	viewWeek  = "Week"
	colsStaff = "Staff"
	colsRooms = "Rooms"
)

// week is one loaded week (Monday to Sunday) and the store version it
// was read at.
type week struct {
	start   booking.Date
	version int64
	clinic  *booking.Clinic
	staff   []*booking.Staff
	rooms   []*booking.Room
	appts   []*booking.Appointment // cancelled ones included
	names   map[int64]string       // patients' full names by id
}

// View is the Schedule screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject
	bands   *bands // content's layout
	started bool
	ticking bool

	// Shown state, on the UI goroutine only.
	day      booking.Date // the day shown, or a day of the week shown; 0 until known
	weekView bool
	byRoom   bool
	showAll  bool // show cancelled appointments too
	cur      *week
	proposed []*booking.Appointment
	// extraNames are the names of proposed appointments' patients.
	extraNames map[int64]string
	selected   int64
	loadSeq    int
	// reveal asks for the selected block to be scrolled into view the
	// next time it is drawn: set when the selection, the days shown or
	// the view's layout change, cleared once the grid shows them.
	reveal    bool
	rendering bool // render is laying the grid out; it reveals itself

	cacheMu sync.Mutex
	cache   map[booking.Date]*week

	// Widgets a test drives.
	grid      *grid
	scroll    *container.Scroll
	title     *widget.Label
	prev      *kit.Button
	next      *kit.Button
	today     *kit.Button
	date      *datePicker
	viewMode  *widget.RadioGroup
	colMode   *widget.RadioGroup
	cancelled *widget.Check
	legend    *fyne.Container
	details   *details
}

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env, weekView: true, cache: map[booking.Date]*week{}, extraNames: map[int64]string{}}
	v.grid = newGrid(v.selectAppt)
	v.grid.onBuilt = func() {
		// The grid got a size (the window opened or was resized) after
		// a selection it could not show yet.
		if v.reveal && !v.rendering {
			v.revealSelected()
		}
	}
	v.grid.onDay = func(d booking.Date) {
		v.day = d
		v.viewMode.SetSelected(viewDay)
		v.ShowDay(d)
	}
	v.scroll = container.NewScroll(v.grid)
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.prev = kit.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.step(-1) })
	v.next = kit.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.step(1) })
	v.today = kit.NewButton("Today", func() { v.ShowDay(0) })
	v.date = newDatePicker(v.todayDate)
	v.date.OnChanged = func(t *time.Time) {
		if t != nil {
			if d := booking.DateOf(*t); d != v.day {
				v.ShowDay(d)
			}
		}
	}
	v.viewMode = widget.NewRadioGroup([]string{viewDay, viewWeek}, func(s string) {
		if s == "" {
			v.viewMode.SetSelected(map[bool]string{true: viewWeek, false: viewDay}[v.weekView])
			return
		}
		if (s == viewWeek) != v.weekView {
			v.weekView = s == viewWeek
			v.reveal = true
			v.render()
		}
	})
	v.viewMode.Horizontal = true
	v.viewMode.Required = true
	v.viewMode.Selected = viewWeek
	v.colMode = widget.NewRadioGroup([]string{colsStaff, colsRooms}, func(s string) {
		if s == "" {
			v.colMode.SetSelected(map[bool]string{true: colsRooms, false: colsStaff}[v.byRoom])
			return
		}
		if (s == colsRooms) != v.byRoom {
			v.byRoom = s == colsRooms
			v.reveal = true
			v.render()
		}
	})
	v.colMode.Horizontal = true
	v.colMode.Required = true
	v.colMode.Selected = colsStaff
	v.cancelled = widget.NewCheck("Show cancelled", func(on bool) {
		if on != v.showAll {
			v.showAll = on
			v.render()
		}
	})
	v.legend = legend()
	v.details = newDetails(v)

	bar := container.New(&wrap{},
		container.NewHBox(v.prev, v.today, v.next, container.NewGridWrap(fyne.NewSize(150, v.date.MinSize().Height), v.date)),
		v.title, container.NewHBox(layoutSpacer(), v.viewMode), container.NewHBox(widget.NewSeparator(), v.colMode), v.cancelled)
	split := container.NewHSplit(v.scroll, v.details.content)
	split.Offset = 0.7
	// The toolbar and the legend wrap onto a second row when the screen
	// is narrow (or the schedule is embedded beside the booking form),
	// so all of them show without widening the window beyond the screen.
	middle := container.NewStack(split)
	v.bands = &bands{top: bar, middle: middle, bottom: v.legend}
	v.content = container.New(v.bands, bar, middle, v.legend)
	env.OnChange(v.Refresh)
	return v
}

// layoutSpacer returns a spacer for a toolbar.
func layoutSpacer() fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(12, 1))
	return r
}

// legend names every kind beside its colour, and the shadings.
func legend() *fyne.Container {
	row := container.New(&wrap{keep: 2})
	swatch := func(fill, edge color.Color, stroke bool) fyne.CanvasObject {
		r := canvas.NewRectangle(fill)
		if stroke {
			r.FillColor = color.Transparent
			r.StrokeColor, r.StrokeWidth = edge, 2
		}
		r.SetMinSize(fyne.NewSize(18, 14))
		e := canvas.NewRectangle(edge)
		e.SetMinSize(fyne.NewSize(4, 14))
		return container.NewCenter(container.NewStack(r, container.NewHBox(e)))
	}
	for _, k := range kit.Kinds() {
		row.Add(swatch(kit.KindFill(k), kit.KindColor(k), false))
		row.Add(widget.NewLabel(kit.KindName(k)))
	}
	row.Add(swatch(color.Transparent, kit.KindColor(booking.KindDosing), true))
	row.Add(widget.NewLabel("Proposed"))
	for _, s := range []struct {
		c    color.Color
		name string
	}{{shadeClosed, "Closed"}, {shadeTimeOff, "Time off"}, {shadeBusy, "Busy (own calendar)"}, {shadeOffDuty, "Off duty"}} {
		row.Add(swatch(s.c, color.Transparent, false))
		row.Add(widget.NewLabel(s.name))
	}
	return row
}

// Content returns the screen's root object (the same one every call).
// The first call loads the schedule.
func (v *View) Content() fyne.CanvasObject {
	if !v.started {
		v.started = true
		v.load()
	}
	if !v.ticking && !v.env.Inline {
		// Move the now-line along every minute.
		v.ticking = true
		go func() {
			for range time.Tick(time.Minute) {
				fyne.Do(v.render)
			}
		}()
	}
	return v.content
}

// Refresh reloads what the screen shows, off the UI goroutine.
func (v *View) Refresh() {
	v.started = true
	v.load()
	if v.selected != 0 {
		v.details.load(v.selected)
	}
}

// ShowDay moves the schedule to the given day (0: today).
func (v *View) ShowDay(day booking.Date) {
	if day == 0 {
		day = v.todayDate()
	}
	v.day = day
	v.started = true
	v.reveal = true
	v.syncDate()
	if v.cur != nil && v.cur.start == weekStart(day) {
		v.render()
		// Again once the week is read: what is on its way may have moved
		// the selection (an appointment just rescheduled).
		v.reveal = true
	}
	v.load()
}

// Select shows the appointment's day and selects it.
func (v *View) Select(apptID int64) {
	var a *booking.Appointment
	var loc *time.Location
	v.env.Run("Finding the appointment", func(ctx context.Context) error {
		c, err := v.env.Store.Clinic(ctx)
		if err != nil {
			return err
		}
		loc = c.Location()
		a, err = v.env.Store.Appointment(ctx, apptID)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		if !a.Status.Active() && !v.showAll {
			v.cancelled.SetChecked(true)
		}
		v.selectAppt(a.ID)
		v.ShowDay(booking.DateOf(a.Start.In(loc)))
	})
}

// Preview shades proposed, not yet booked appointments on the schedule
// beside the booked ones and moves to the first one's week; nil clears it.
// The booking screen embeds its own View and calls this.
func (v *View) Preview(proposed []*booking.Appointment) {
	v.proposed = slices.DeleteFunc(slices.Clone(proposed), func(a *booking.Appointment) bool { return a == nil })
	if len(v.proposed) == 0 {
		v.proposed = nil
		v.render()
		return
	}
	first := v.proposed[0]
	for _, a := range v.proposed {
		if a.Start.Before(first.Start) {
			first = a
		}
	}
	loc := first.Start.Location()
	if v.cur != nil {
		loc = v.cur.clinic.Location()
	}
	v.ShowDay(booking.DateOf(first.Start.In(loc)))
	// The proposal's patient may have nothing booked yet: read the name.
	id := first.PatientID
	if _, ok := v.extraNames[id]; ok || id == 0 {
		return
	}
	var name string
	v.env.Run("Loading the patient", func(ctx context.Context) error {
		p, err := v.env.Store.Patient(ctx, id)
		if err == nil {
			name = p.Name
		}
		return err
	}, func(err error) {
		if err == nil {
			v.extraNames[id] = name
			v.render()
		}
	})
}

// TypedKey moves through the schedule with the keyboard (arrows: a day,
// PageUp/PageDown: a week) and reports whether it used the key. The shell
// forwards the window's keys here while the schedule shows. Up and Down
// select the previous or next appointment shown; Home goes to today;
// Enter puts the focus on the selected appointment's first action that
// can act.
func (v *View) TypedKey(ev *fyne.KeyEvent) bool {
	if ev == nil {
		return false
	}
	switch ev.Name {
	case fyne.KeyLeft:
		v.ShowDay(v.curDay() - 1)
	case fyne.KeyRight:
		v.ShowDay(v.curDay() + 1)
	case fyne.KeyPageUp:
		v.ShowDay(v.curDay() - 7)
	case fyne.KeyPageDown:
		v.ShowDay(v.curDay() + 7)
	case fyne.KeyHome:
		v.ShowDay(0)
	case fyne.KeyUp:
		v.selectNeighbour(-1)
	case fyne.KeyDown:
		v.selectNeighbour(1)
	case fyne.KeyReturn, fyne.KeyEnter:
		// To the selected appointment's actions: Enter again presses the
		// first that can act, Tab moves on, Escape comes back.
		return v.details.focusAction()
	default:
		return false
	}
	return true
}

// step moves a day in the day view, a week in the week view.
func (v *View) step(dir int) {
	n := booking.Date(dir)
	if v.weekView {
		n *= 7
	}
	v.ShowDay(v.curDay() + n)
}

// curDay returns the day shown, today until the first load.
func (v *View) curDay() booking.Date {
	if v.day == 0 {
		v.day = v.todayDate()
	}
	return v.day
}

// todayDate returns today in the clinic's zone once it is known, in the
// clock's own zone before.
func (v *View) todayDate() booking.Date {
	now := v.env.Time()
	if v.cur != nil {
		now = now.In(v.cur.clinic.Location())
	}
	return booking.DateOf(now)
}

// weekStart returns the Monday of d's week.
func weekStart(d booking.Date) booking.Date {
	return d - booking.Date((int(d.Weekday())+6)%7)
}

// syncDate shows the current day in the date picker.
func (v *View) syncDate() {
	if v.day == 0 {
		return
	}
	if v.date.Date != nil && booking.DateOf(*v.date.Date) == v.day {
		return
	}
	t := v.day.At(12*60, time.UTC)
	if v.cur != nil {
		t = v.day.At(12*60, v.cur.clinic.Location())
	}
	v.date.SetDate(&t)
}

// load reads the week of the current day off the UI goroutine. The week
// shown stays until the new one arrives; a later load wins over an
// earlier one still running.
func (v *View) load() {
	v.loadSeq++
	seq := v.loadSeq
	day := v.day
	var got *week
	v.env.Run("Loading the schedule", func(ctx context.Context) error {
		var err error
		got, err = v.fetch(ctx, day)
		return err
	}, func(err error) {
		if seq != v.loadSeq {
			return
		}
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.cur = got
		if v.day == 0 {
			v.day = booking.DateOf(v.env.Time().In(got.clinic.Location()))
		}
		v.syncDate()
		v.render()
		v.prefetch(got.start)
	})
}

// prefetch reads the weeks before and after start into the cache in the
// background, so that Previous and Next usually show at once. Tests
// (Inline) skip it.
func (v *View) prefetch(start booking.Date) {
	if v.env.Inline {
		return
	}
	go func() {
		defer func() { recover() }() // a failed prefetch only means a slower switch
		ctx := context.Background()
		for _, d := range []booking.Date{start + 7, start - 7} {
			if _, err := v.fetch(ctx, d); err != nil {
				return
			}
		}
	}()
}

// fetch returns the week holding day (0: today), from the cache when the
// store has not changed since it was read.
func (v *View) fetch(ctx context.Context, day booking.Date) (*week, error) {
	ver, err := v.env.Store.Version(ctx)
	if err != nil {
		return nil, err
	}
	c, err := v.env.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	loc := c.Location()
	if day == 0 {
		day = booking.DateOf(v.env.Time().In(loc))
	}
	start := weekStart(day)
	v.cacheMu.Lock()
	hit := v.cache[start]
	v.cacheMu.Unlock()
	if hit != nil && hit.version == ver {
		return hit, nil
	}
	w, err := loadWeek(ctx, v.env.Store, c, start)
	if err != nil {
		return nil, err
	}
	w.version = ver
	v.cacheMu.Lock()
	for k, old := range v.cache {
		if old.version != ver {
			delete(v.cache, k)
		}
	}
	v.cache[start] = w
	v.cacheMu.Unlock()
	return w, nil
}

// loadWeek reads one week from the store.
func loadWeek(ctx context.Context, r booking.Reader, c *booking.Clinic, start booking.Date) (*week, error) {
	loc := c.Location()
	w := &week{start: start, clinic: c, names: map[int64]string{}}
	var err error
	if w.staff, err = r.StaffList(ctx); err != nil {
		return nil, err
	}
	if w.rooms, err = r.Rooms(ctx); err != nil {
		return nil, err
	}
	if w.appts, err = r.Appointments(ctx, booking.AppointmentFilter{From: start.At(0, loc), To: (start + 7).At(0, loc)}); err != nil {
		return nil, err
	}
	for _, a := range w.appts {
		if _, ok := w.names[a.PatientID]; ok || a.PatientID == 0 {
			continue
		}
		p, err := r.Patient(ctx, a.PatientID)
		if err != nil {
			return nil, err
		}
		w.names[p.ID] = p.Name
	}
	return w, nil
}

// render rebuilds the grid from the loaded week and the view's settings.
func (v *View) render() {
	w := v.cur
	if w == nil {
		return
	}
	day := v.curDay()
	if weekStart(day) != w.start {
		return // the new week is on its way; keep showing the old one
	}
	label := func(id int64) string {
		if n, ok := w.names[id]; ok {
			return v.env.PatientLabel(n)
		}
		if n, ok := v.extraNames[id]; ok {
			return v.env.PatientLabel(n)
		}
		return ""
	}
	m := buildModel(w, day, v.weekView, v.byRoom, v.showAll, v.proposed, label, v.env.Time())
	m.selected = v.selected
	if v.weekView {
		ws := weekStart(day)
		v.title.SetText(fmt.Sprintf("Week of %s", kit.Day(ws)))
	} else {
		v.title.SetText(kit.Day(day))
	}
	// A longer title can wrap the toolbar onto a second row; Fyne lays a
	// container out again only when its size changes.
	if v.bands.stale() {
		v.content.Refresh()
	}
	v.rendering = true
	v.grid.setModel(m)
	v.scroll.Refresh()
	v.rendering = false
	if v.revealSelected() || v.scroll.Size().Width > 0 {
		// Shown, or not among the days shown: the selection is not
		// looked for again until it or the days change.
		v.reveal = false
	}
}

// revealMargin is the room kept between a revealed block and the edge of
// the view.
const revealMargin = 8

// revealSelected scrolls the grid, when reveal asks for it, so that the
// selected block shows whole (its top left, when it is larger than the
// view), in both directions. It reports whether the block is drawn at a
// size the view can show; reveal stays set when it is not.
func (v *View) revealSelected() bool {
	if !v.reveal || v.selected == 0 {
		return false
	}
	view, content := v.scroll.Size(), v.grid.Size()
	if view.Width <= 0 || view.Height <= 0 || content.Width <= 0 {
		return false
	}
	pos, size, ok := v.grid.blockRect(v.selected)
	if !ok {
		return false
	}
	v.reveal = false
	v.scroll.ScrollToOffset(fyne.NewPos(
		revealAxis(v.scroll.Offset.X, pos.X, size.Width, view.Width, content.Width),
		revealAxis(v.scroll.Offset.Y, pos.Y, size.Height, view.Height, content.Height)))
	return true
}

// revealAxis returns the offset along one axis that shows the span from
// start of length n in a view of length view over content of length
// total, moving the current offset off as little as it can.
func revealAxis(off, start, n, view, total float32) float32 {
	lo, hi := start-revealMargin, start+n+revealMargin
	if hi-off > view {
		off = hi - view
	}
	if lo < off {
		off = lo
	}
	return max(0, min(off, total-view))
}

// buildModel chooses the days, columns, hours and appointments to draw.
func buildModel(w *week, day booking.Date, weekView, byRoom, showAll bool, proposed []*booking.Appointment, label func(id int64) string, now time.Time) *model {
	c := w.clinic
	m := &model{loc: c.Location(), current: day, closed: map[booking.Date]string{}, names: map[int64]string{}, now: now, byRoom: byRoom,
		foreground: theme.Color(theme.ColorNameForeground)}
	items := drawable(w.appts, showAll, proposed)
	for _, it := range items {
		if _, ok := m.names[it.a.PatientID]; !ok {
			m.names[it.a.PatientID] = label(it.a.PatientID)
		}
	}
	if weekView {
		m.days = weekDays(w, day, items, m.loc)
	} else {
		m.days = []booking.Date{day}
	}
	for _, d := range m.days {
		if cl := c.ClosedOn(d); cl != nil {
			m.closed[d] = cl.Reason
			if cl.Reason == "" {
				m.closed[d] = "clinic closed"
			}
		}
	}
	first, last := m.days[0].At(0, m.loc), (m.days[len(m.days)-1]+1).At(0, m.loc)
	for _, it := range items {
		if it.a.Start.Before(last) && it.a.End.After(first) {
			m.items = append(m.items, it)
		}
	}
	m.cols = m.columns(w, weekView)
	m.from, m.to = m.hours(c)
	return m
}

// drawable returns the appointments to draw: the booked ones (the
// cancelled too when showAll), then the proposed ones.
func drawable(appts []*booking.Appointment, showAll bool, proposed []*booking.Appointment) []item {
	var items []item
	for _, a := range appts {
		if a.Status.Active() || showAll {
			items = append(items, item{a: a})
		}
	}
	for _, a := range proposed {
		items = append(items, item{a: a, proposed: true})
	}
	return items
}

// weekDays returns the days of w's week to show: all of them but a
// Saturday or Sunday on which the clinic does not open, unless it is day
// itself or one of items starts on it.
func weekDays(w *week, day booking.Date, items []item, loc *time.Location) []booking.Date {
	var days []booking.Date
	for d := w.start; d < w.start+7; d++ {
		wd := d.Weekday()
		if (wd == time.Saturday || wd == time.Sunday) && len(w.clinic.Hours.On(wd)) == 0 && d != day &&
			!slices.ContainsFunc(items, func(it item) bool { return booking.DateOf(it.a.Start.In(loc)) == d }) {
			continue
		}
		days = append(days, d)
	}
	return days
}

// columns returns each day's columns: every staff member, or every room
// (and video when something is by video). In the week view a day keeps
// only the columns with something to show that day, so a week fits the
// screen.
func (m *model) columns(w *week, weekView bool) [][]column {
	var all []column
	if m.byRoom {
		for _, r := range w.rooms {
			all = append(all, column{name: r.Name, room: r})
		}
		if slices.ContainsFunc(m.items, func(it item) bool { return it.a.Video() }) {
			all = append(all, column{name: "Video", video: true})
		}
	} else {
		for _, s := range w.staff {
			all = append(all, column{name: s.Name, staff: s})
		}
	}
	var cols [][]column
	for _, d := range m.days {
		if weekView {
			cols = append(cols, m.usedColumns(all, d))
		} else {
			cols = append(cols, all)
		}
	}
	return cols
}

// usedColumns returns the columns of all with something to show on day d:
// an appointment, or a staff member's time off or busy time. A day with
// none keeps one empty column, so it still has a column's width.
func (m *model) usedColumns(all []column, d booking.Date) []column {
	ds, de := d.At(0, m.loc), (d+1).At(0, m.loc)
	overlaps := func(iv booking.Interval) bool { return iv.Overlaps(ds, de) }
	var cols []column
	for _, col := range all {
		used := slices.ContainsFunc(m.items, func(it item) bool {
			return it.a.Start.Before(de) && it.a.End.After(ds) && col.holds(it.a)
		})
		if !used && col.staff != nil {
			used = slices.ContainsFunc(col.staff.TimeOff, overlaps) || slices.ContainsFunc(col.staff.Busy, overlaps)
		}
		if used {
			cols = append(cols, col)
		}
	}
	if len(cols) == 0 {
		cols = []column{{}}
	}
	return cols
}

// hours returns the grid's hours: the clinic's opening hours on the days
// shown (08:00 to 18:00 when it opens on none of them), widened to every
// appointment drawn (to midnight for one that ends on a later day) and
// then to whole hours.
func (m *model) hours(c *booking.Clinic) (from, to booking.Clock) {
	from, to = 24*60, 0
	for _, d := range m.days {
		for _, sp := range c.Hours.On(d.Weekday()) {
			from, to = min(from, sp.Start), max(to, sp.End)
		}
	}
	if from >= to {
		from, to = 8*60, 18*60
	}
	for _, it := range m.items {
		s, e := it.a.Start.In(m.loc), it.a.End.In(m.loc)
		if booking.DateOf(s) == booking.DateOf(e) {
			from, to = min(from, booking.ClockOf(s)), max(to, booking.ClockOf(e))
		} else {
			from, to = min(from, booking.ClockOf(s)), 24*60
		}
	}
	return from / 60 * 60, min(24*60, (to+59)/60*60)
}

// selectAppt selects an appointment and loads its details.
func (v *View) selectAppt(id int64) {
	v.selected = id
	v.reveal = true
	if v.grid.m != nil {
		v.grid.m.selected = id
		v.grid.Refresh()
	}
	v.revealSelected()
	v.details.load(id)
}

// visible returns the appointments drawn, in order of start.
func (v *View) visible() []*booking.Appointment {
	if v.grid.m == nil {
		return nil
	}
	var out []*booking.Appointment
	for _, it := range v.grid.m.items {
		if !it.proposed {
			out = append(out, it.a)
		}
	}
	slices.SortStableFunc(out, func(a, b *booking.Appointment) int { return a.Start.Compare(b.Start) })
	return out
}

// selectNeighbour selects the appointment before (dir -1) or after the
// selected one among those shown.
func (v *View) selectNeighbour(dir int) {
	list := v.visible()
	if len(list) == 0 {
		return
	}
	i := slices.IndexFunc(list, func(a *booking.Appointment) bool { return a.ID == v.selected })
	switch {
	case i < 0 && dir > 0:
		i = 0
	case i < 0:
		i = len(list) - 1
	default:
		i = min(max(i+dir, 0), len(list)-1)
	}
	v.selectAppt(list[i].ID)
}
