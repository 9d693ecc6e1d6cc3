// Package today is kapbook's Today screen: the front desk's morning view of
// who is coming today, the escorts still missing for tomorrow's dosing and
// infusion visits, the reminders that failed, and the monitoring forms due.
package today

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
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
	scroll  *container.Scroll

	// Status says what the last action did.
	Status *widget.Label
	// The sections: a heading with the count, and the rows.
	visits, escorts, failed, tasks section

	// buttons holds each row's buttons by action and id, e.g.
	// "arrived 12" or "retry 40", for tests.
	buttons map[string]*widget.Button
	// The escort dialog's fields while it is open.
	escortName, escortPhone *widget.Entry

	data *data
}

// section is one of the screen's four lists.
type section struct {
	Heading *widget.Label
	Empty   *widget.Label
	Rows    *fyne.Container
	// Lines are the rows as the user reads them, cells joined by " | ".
	Lines []string
}

func newSection(empty string) section {
	s := section{Heading: kit.Heading(""), Empty: widget.NewLabel(empty), Rows: container.NewVBox()}
	s.Empty.Importance = widget.LowImportance
	return s
}

func (s *section) box() fyne.CanvasObject {
	return container.NewVBox(s.Heading, s.Empty, s.Rows)
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
	v := &View{env: env, buttons: map[string]*widget.Button{}}
	v.Status = widget.NewLabel("")
	v.Status.Wrapping = fyne.TextWrapWord
	v.Status.Hide()
	v.visits = newSection("Nobody is booked for today.")
	v.escorts = newSection("Every visit tomorrow that needs an escort has one recorded.")
	v.failed = newSection("No reminder has failed.")
	v.tasks = newSection("No monitoring form is due.")
	title := widget.NewLabelWithStyle("Today", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	refresh := widget.NewButton("Reload", v.Refresh)
	body := container.NewVBox(v.visits.box(), widget.NewSeparator(), v.escorts.box(), widget.NewSeparator(),
		v.failed.box(), widget.NewSeparator(), v.tasks.box())
	v.scroll = container.NewVScroll(body)
	v.content = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, nil, refresh, title), v.Status), nil, nil, nil, v.scroll)
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
	tomorrow, err := st.Appointments(ctx, booking.AppointmentFilter{From: (d.today + 1).At(0, d.loc), To: (d.today + 2).At(0, d.loc), ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	for _, a := range tomorrow {
		if a.NeedsEscort() && a.Status == booking.Booked {
			d.needs++
			if a.Escort == nil {
				d.escorts = append(d.escorts, a)
			}
		}
	}
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

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// button makes a row's button and keeps it for tests under key.
func (v *View) button(key, text string, tapped func()) *widget.Button {
	b := widget.NewButton(text, tapped)
	v.buttons[key] = b
	return b
}

// fill replaces a section's rows.
func (s *section) fill(heading string, rows []fyne.CanvasObject, lines []string) {
	s.Heading.SetText(heading)
	s.Lines = lines
	s.Rows.Objects = rows
	s.Rows.Refresh()
	s.Empty.Hidden = len(rows) > 0
	s.Empty.Refresh()
}

// row lays out cells and buttons in columns of the given widths, after a
// bar in the kind's colour when kind is set (the kind is also in words in
// the cells).
func row(kind string, widths []float32, cells []string, buttons ...fyne.CanvasObject) (fyne.CanvasObject, string) {
	objs := make([]fyne.CanvasObject, 0, len(cells)+len(buttons)+1)
	if kind != "" {
		bar := canvas.NewRectangle(kit.KindColor(kind))
		bar.SetMinSize(fyne.NewSize(6, 0))
		objs = append(objs, bar)
		widths = append([]float32{6}, widths...)
	}
	for _, c := range cells {
		objs = append(objs, kit.Cell(c))
	}
	objs = append(objs, buttons...)
	return container.New(kit.Columns(widths...), objs...), strings.Join(cells, " | ")
}

// show puts d on screen.
func (v *View) show(d *data) {
	v.data = d
	v.buttons = map[string]*widget.Button{}
	loc := d.loc

	var rows []fyne.CanvasObject
	var lines []string
	arrived := 0
	for _, a := range d.visits {
		if a.Status != booking.Booked {
			arrived++
		}
		mark := v.button(fmt.Sprintf("arrived %d", a.ID), "Mark arrived", func() { v.markArrived(a) })
		if a.Status != booking.Booked {
			mark.Disable()
		}
		open := v.button(fmt.Sprintf("open %d", a.ID), "Open", func() { v.env.Nav.ShowAppointment(a.ID) })
		r, l := row(a.Kind, []float32{110, 160, 130, 0, 120, 90, 150, 130, 80}, []string{
			a.Start.In(loc).Format("15:04") + "–" + a.End.In(loc).Format("15:04"), d.name(a.PatientID), a.Label(),
			staffNames(a), room(a), statusWords(a.Status), escortWords(a)}, mark, open)
		if a.NeedsEscort() && a.Escort == nil && a.Status == booking.Booked {
			// The escort's cell offers to record one, so the patient can
			// then be checked in.
			c := r.(*fyne.Container)
			c.Objects[len(c.Objects)-3] = v.button(fmt.Sprintf("escort %d", a.ID), "Record escort", func() { v.askEscort(a) })
		}
		rows, lines = append(rows, r), append(lines, l)
	}
	day := d.today.At(0, loc).Format("Monday 2 January")
	v.visits.fill(fmt.Sprintf("Coming today, %s (%s, %d checked in)", day, plural(len(d.visits), "visit", "visits"), arrived), rows, lines)

	rows, lines = nil, nil
	for _, a := range d.escorts {
		rec := v.button(fmt.Sprintf("escort %d", a.ID), "Record escort", func() { v.askEscort(a) })
		open := v.button(fmt.Sprintf("open %d", a.ID), "Open", func() { v.env.Nav.ShowAppointment(a.ID) })
		phone := ""
		if p := d.patients[a.PatientID]; p != nil {
			phone = p.Phone
		}
		r, l := row(a.Kind, []float32{110, 170, 150, 130, 0, 130, 80}, []string{
			a.Start.In(loc).Format("15:04") + "–" + a.End.In(loc).Format("15:04"), d.name(a.PatientID), phone, a.Label(), staffNames(a)}, rec, open)
		rows, lines = append(rows, r), append(lines, l)
	}
	tomorrow := (d.today + 1).At(0, loc).Format("Monday 2 January")
	v.escorts.fill(fmt.Sprintf("Escorts missing for tomorrow, %s (%d of %s)", tomorrow, len(d.escorts), plural(d.needs, "visit that needs one", "visits that need one")), rows, lines)

	rows, lines = nil, nil
	for _, m := range d.failed {
		state := fmt.Sprintf("Failed after %s", plural(m.Attempts, "attempt", "attempts"))
		switch {
		case m.State == booking.OutboxPending && m.Attempts == 0:
			state = "Queued again"
		case m.State == booking.OutboxPending:
			state = fmt.Sprintf("Retrying (%s so far)", plural(m.Attempts, "attempt", "attempts"))
		}
		retry := v.button(fmt.Sprintf("retry %d", m.ID), "Retry", func() { v.retry(m) })
		if m.State != booking.OutboxFailed {
			retry.Disable()
		}
		open := v.button(fmt.Sprintf("outbox %d", m.ID), "Open in outbox", func() { v.env.Nav.ShowOutbox(m.ID) })
		r, l := row("", []float32{130, 170, 150, 190, 0, 80, 140}, []string{
			m.Due.In(loc).Format("Mon 2 Jan 15:04"), d.name(m.PatientID), kit.MessageKindName(m.Kind), state,
			"Reason: " + reason(m.LastError)}, retry, open)
		rows, lines = append(rows, r), append(lines, l)
	}
	heading := fmt.Sprintf("Reminders that failed (%d)", d.nFailed)
	if d.nFailed > len(d.failed) {
		heading = fmt.Sprintf("Reminders that failed (%d; the newest %d here, all in the outbox)", d.nFailed, len(d.failed))
	}
	v.failed.fill(heading, rows, lines)

	rows, lines = nil, nil
	overdue := 0
	for _, t := range d.tasks {
		due := "Due by " + t.Due.At(0, loc).Format("Mon 2 Jan")
		if t.Overdue {
			overdue++
			due = "Overdue since " + (t.Due+1).At(0, loc).Format("Mon 2 Jan")
		}
		a := t.Appointment
		done := v.button(fmt.Sprintf("form %d", a.ID), "Form done", func() { v.recordForm(t) })
		open := v.button(fmt.Sprintf("open %d", a.ID), "Open", func() { v.env.Nav.ShowAppointment(a.ID) })
		r, l := row(a.Kind, []float32{170, 170, 0, 200, 110, 80}, []string{
			due, t.PatientName, a.Label() + ", " + a.Start.In(loc).Format("Mon 2 Jan 15:04"), t.Task}, done, open)
		rows, lines = append(rows, r), append(lines, l)
	}
	heading = fmt.Sprintf("Monitoring forms due (%d)", len(d.tasks))
	if overdue > 0 {
		heading = fmt.Sprintf("Monitoring forms due (%d, %d overdue)", len(d.tasks), overdue)
	}
	v.tasks.fill(heading, rows, lines)
	v.scroll.Content.Refresh()
	v.scroll.Refresh()
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
	v.Status.Show()
}

func (v *View) when(t time.Time) string {
	loc := time.Local
	if v.data != nil {
		loc = v.data.loc
	}
	return t.In(loc).Format("Mon 2 Jan 15:04")
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
			v.env.ShowError(err)
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
	d := dialog.NewForm("Record escort", "Record", "Cancel", items, func(ok bool) {
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
	en.OnSubmitted = func(string) { d.Submit() }
	ep.OnSubmitted = func(string) { d.Submit() }
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
