// Package outbox is kapbook's Outbox screen: every patient email queued,
// sent, failed, skipped or cancelled, a preview of each as the patient
// gets it, retry of a failed one, and sending the due messages now.
package outbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/ui/kit"
)

// States are the filter's choices, in order; "All" shows every state.
var States = []string{"All", "Pending", "Sending", "Sent", "Failed", "Skipped", "Cancelled"}

// History is how far back the list starts: sent, skipped and cancelled
// messages due before then show only after Show older (or when selected
// from elsewhere), so that a clinic with years of messages opens the
// Outbox as fast as a new one. Pending, sending and failed messages show
// however long ago they were due.
const History = 28 * 24 * time.Hour

// OlderStep is how much further back each Show older goes.
const OlderStep = 91 * 24 * time.Hour

// maxRuns bounds how many dispatcher runs one "Send due messages now"
// makes (each sends up to reminder.DefaultBatch messages).
const maxRuns = 50

// View is the Outbox screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject

	// Filter chooses the state shown.
	Filter *widget.Select
	// Count says how many messages the list shows.
	Count *widget.Label
	// ShowOlder shows the messages due before the list's start; hidden
	// when there are none.
	ShowOlder *kit.Button
	// List is the messages; Rows are its rows as the user reads them.
	List *widget.List
	Rows []string
	// SendNow sends the due messages; Result says what it did.
	SendNow *kit.Button
	Result  *widget.Label

	// The selected message's details.
	Title, Info, About, Reason *widget.Label
	// Retry puts a failed message back in the queue; the others open
	// the message's appointment or patient.
	Retry, OpenAppointment, OpenPatient *kit.Button
	// The preview: To, Subject, the calendar attachment's METHOD and the
	// plain-text part, or why there is nothing to show.
	To, Subject, Method, Text, NoPreview *widget.Label
	// PreviewTitle says whether the patient got, will get or never got it.
	PreviewTitle *widget.Label
	details      *fyne.Container
	bar          *fyne.Container

	msgs     []*booking.OutboxMessage
	since    time.Time // the list's start (zero: not chosen yet)
	names    map[int64]string
	loc      *time.Location
	selected int64 // the message shown, 0: none
	want     int64 // a message to select once the list holds it
	composer *reminder.Composer
}

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env, names: map[int64]string{}, loc: time.Local}
	v.Filter = widget.NewSelect(States, func(string) { v.Refresh() })
	v.Filter.Selected = "All"
	v.Count = widget.NewLabel("")
	v.ShowOlder = kit.NewButton("Show older", func() {
		if !v.since.IsZero() {
			v.since = v.since.Add(-OlderStep)
			v.Refresh()
		}
	})
	v.ShowOlder.Hide()
	v.Result = widget.NewLabel("")
	v.Result.Wrapping = fyne.TextWrapWord
	v.Result.Hide()
	v.SendNow = kit.NewButton("Send due messages now", v.send)
	v.List = widget.NewList(func() int { return len(v.Rows) }, newRow, func(i widget.ListItemID, o fyne.CanvasObject) {
		v.fillRow(i, o.(*fyne.Container))
	})
	v.List.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(v.msgs) {
			v.show(v.msgs[i].ID)
		}
	}

	v.Title = kit.Heading("Select a message to see it as the patient gets it.")
	v.Title.Wrapping = fyne.TextWrapWord
	v.Info = widget.NewLabel("")
	v.Info.Wrapping = fyne.TextWrapWord
	v.About = widget.NewLabel("")
	v.About.Wrapping = fyne.TextWrapWord
	v.Reason = widget.NewLabel("")
	v.Reason.Wrapping = fyne.TextWrapWord
	v.Retry = kit.NewButton("Retry", v.retry)
	v.OpenAppointment = kit.NewButton("Open appointment", func() {
		if m := v.message(v.selected); m != nil && m.AppointmentID != 0 {
			v.env.Nav.ShowAppointment(m.AppointmentID)
		}
	})
	v.OpenPatient = kit.NewButton("Open patient", func() {
		if m := v.message(v.selected); m != nil {
			v.env.Nav.ShowPatient(m.PatientID)
		}
	})
	v.To, v.Subject, v.Method = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	for _, l := range []*widget.Label{v.To, v.Subject, v.Method} {
		l.Wrapping = fyne.TextWrapWord
	}
	v.Text = widget.NewLabel("")
	v.Text.Wrapping = fyne.TextWrapWord
	v.PreviewTitle = kit.Heading("As the patient gets it")
	v.NoPreview = widget.NewLabel("")
	v.NoPreview.Wrapping = fyne.TextWrapWord
	v.details = container.NewVBox(v.Info, v.About, v.Reason, container.NewHBox(v.Retry, v.OpenAppointment, v.OpenPatient), widget.NewSeparator(),
		v.PreviewTitle, v.NoPreview, v.To, v.Subject, v.Method, v.Text)
	v.details.Hide()

	v.bar = container.NewBorder(nil, nil, container.NewHBox(kit.Heading("Outbox"), widget.NewLabel("Show:"), v.Filter),
		container.NewHBox(v.ShowOlder, v.SendNow), v.Count)
	top := container.NewVBox(
		v.bar,
		v.Result)
	right := container.NewBorder(v.Title, nil, nil, nil, container.NewVScroll(v.details))
	split := container.NewHSplit(container.NewBorder(header(), nil, nil, nil, v.List), right)
	// The list's names and kinds want the room more than the preview's
	// lines, which wrap.
	split.Offset = 0.64
	v.content = container.NewBorder(top, nil, nil, nil, split)
	env.OnChange(v.Refresh)
	return v
}

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

func newRow() fyne.CanvasObject {
	cells := make([]fyne.CanvasObject, 6)
	for i := range cells {
		cells[i] = kit.NewHoverLabel("")
	}
	return container.New(rowColumns(), cells...)
}

// rowWidths are the list's column widths; the last takes the rest (at
// least its heading's width: most messages have no note). Patient,
// message and note give way on a narrow window (and show their whole
// text on hover).
var (
	rowWidths = []float32{168, 130, 130, 74, 50, -52}
	rowCut    = []bool{false, true, true, false, false, true}
)

func rowColumns() fyne.Layout { return kit.Fit(rowWidths, rowCut) }

// header names the list's columns.
func header() fyne.CanvasObject {
	var cells []fyne.CanvasObject
	for _, s := range []string{"Due", "Patient", "Message", "State", "Tries", "Note"} {
		l := kit.Cell(s)
		l.TextStyle.Bold = true
		cells = append(cells, l)
	}
	return container.New(rowColumns(), cells...)
}

func (v *View) fillRow(i int, c *fyne.Container) {
	if i >= len(v.msgs) {
		return
	}
	for j, s := range v.cells(v.msgs[i]) {
		c.Objects[j].(*kit.HoverLabel).SetText(s)
	}
}

// cells are a message's columns: due, patient, kind, state, attempts and
// the last error or note.
func (v *View) cells(m *booking.OutboxMessage) []string {
	why := m.Note
	if m.LastError != "" {
		why = "Error: " + reason(m.LastError)
	}
	if m.State == booking.OutboxSkipped && why != "" {
		why = "Not sent: " + why
	}
	return []string{kit.DateTime(m.Due.In(v.loc)), v.name(m.PatientID), kit.MessageKindName(m.Kind),
		stateWords(m.State), fmt.Sprint(m.Attempts), why}
}

func (v *View) name(id int64) string {
	if n, ok := v.names[id]; ok {
		return n
	}
	return fmt.Sprintf("Patient %d", id)
}

func stateWords(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// reason returns a stored failure reason without the package prefix.
func reason(s string) string { return strings.TrimPrefix(s, "reminder: ") }

// state returns the filter's state for the store, "" for all.
func (v *View) state() string {
	if v.Filter.Selected == "" || v.Filter.Selected == "All" {
		return ""
	}
	return strings.ToLower(v.Filter.Selected)
}

// windowed reports whether the list of state starts at since: all states
// (but for what still needs doing), and the settled ones, which pile up
// over the years.
func windowed(state string) bool {
	switch state {
	case booking.OutboxPending, booking.OutboxSending, booking.OutboxFailed:
		return false
	}
	return true
}

// Refresh reloads what the screen shows, off the UI goroutine.
func (v *View) Refresh() {
	state := v.state()
	since, want, now := v.since, v.want, v.env.Time()
	var p *page
	v.env.Run("Loading the outbox", func(ctx context.Context) error {
		var err error
		p, err = loadPage(ctx, v.env.Store, state, since, want, now)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.showPage(p, state)
	})
}

// page is one load of the list, as loadPage reads it off the UI
// goroutine.
type page struct {
	msgs  []*booking.OutboxMessage
	names map[int64]string // the patients' names by id
	loc   *time.Location   // the clinic's
	since time.Time        // the list's start
	older bool             // settled messages are due before since
}

// loadPage reads the messages of state ("" for all) that the list shows.
// A settled state starts at since (zero: History before now), moved back
// to the day of message want when that is older; what still needs doing
// shows however long ago it was due.
func loadPage(ctx context.Context, r booking.Reader, state string, since time.Time, want int64, now time.Time) (*page, error) {
	c, err := r.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	p := &page{loc: c.Location(), since: since}
	if p.since.IsZero() {
		p.since = booking.DateOf(now.In(p.loc).Add(-History)).At(0, p.loc)
	}
	filter := booking.OutboxFilter{State: state}
	if windowed(state) {
		if want != 0 {
			if p.since, err = reachBack(ctx, r, want, p.since, p.loc); err != nil {
				return nil, err
			}
		}
		filter.DueFrom = p.since
		if p.older, err = anyOlder(ctx, r, state, p.since); err != nil {
			return nil, err
		}
	}
	if p.msgs, err = r.Outbox(ctx, filter); err != nil {
		return nil, err
	}
	if state == "" {
		if p.msgs, err = withOpen(ctx, r, p.msgs, p.since); err != nil {
			return nil, err
		}
	}
	if p.names, err = patientNames(ctx, r, p.msgs); err != nil {
		return nil, err
	}
	return p, nil
}

// reachBack returns the list's start moved back to the day of message id
// when that is due before since: a message asked for from elsewhere
// shows, however old.
func reachBack(ctx context.Context, r booking.Reader, id int64, since time.Time, loc *time.Location) (time.Time, error) {
	w, err := r.Outbox(ctx, booking.OutboxFilter{ID: id})
	if err != nil {
		return since, err
	}
	if len(w) == 1 && w[0].Due.Before(since) {
		since = booking.DateOf(w[0].Due.In(loc)).At(0, loc)
	}
	return since, nil
}

// anyOlder reports whether a settled message of state ("" for any) is due
// before since, which Show older would bring into the list.
func anyOlder(ctx context.Context, r booking.Reader, state string, since time.Time) (bool, error) {
	settled := []string{state}
	if state == "" {
		settled = []string{booking.OutboxSent, booking.OutboxSkipped, booking.OutboxCancelled}
	}
	older := false
	for _, st := range settled {
		before, err := r.Outbox(ctx, booking.OutboxFilter{State: st, DueBefore: since, Limit: 1})
		if err != nil {
			return false, err
		}
		older = older || len(before) > 0
	}
	return older, nil
}

// withOpen adds to msgs, the list of every state from since, the pending,
// sending and failed messages due before since (what still needs doing
// shows however long ago it was due), in order of due time, then id.
func withOpen(ctx context.Context, r booking.Reader, msgs []*booking.OutboxMessage, since time.Time) ([]*booking.OutboxMessage, error) {
	n := len(msgs)
	for _, st := range []string{booking.OutboxPending, booking.OutboxSending, booking.OutboxFailed} {
		open, err := r.Outbox(ctx, booking.OutboxFilter{State: st, DueBefore: since})
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, open...)
	}
	if len(msgs) > n {
		slices.SortStableFunc(msgs, func(a, b *booking.OutboxMessage) int {
			if c := a.Due.Compare(b.Due); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
	}
	return msgs, nil
}

// patientNames reads the name of each patient msgs go to, by id.
func patientNames(ctx context.Context, r booking.Reader, msgs []*booking.OutboxMessage) (map[int64]string, error) {
	names := map[int64]string{}
	for _, m := range msgs {
		if _, ok := names[m.PatientID]; ok {
			continue
		}
		p, err := r.Patient(ctx, m.PatientID)
		if err != nil {
			return nil, err
		}
		names[m.PatientID] = p.Name
	}
	return names, nil
}

// showPage shows a loaded page of the list of state and selects again
// what was selected or asked for.
func (v *View) showPage(p *page, state string) {
	v.msgs, v.names, v.loc, v.composer, v.since = p.msgs, p.names, p.loc, nil, p.since
	v.Rows = v.Rows[:0]
	for _, m := range p.msgs {
		v.Rows = append(v.Rows, strings.Join(v.cells(m), " | "))
	}
	v.Count.SetText(countWords(len(p.msgs), state, p.older, p.since))
	if p.older != v.ShowOlder.Visible() {
		v.ShowOlder.Hidden = !p.older
		v.bar.Refresh()
	}
	v.List.UnselectAll()
	v.List.Refresh()
	v.reselect()
}

// countWords says how many messages of state ("" for all) the list shows,
// and from when when older ones are left out.
func countWords(n int, state string, older bool, since time.Time) string {
	if older {
		kind := strings.TrimSpace(state + " message")
		return kit.Plural(n, kind, kind+"s") + " due from " + kit.Date(since) + " on"
	}
	return fmt.Sprintf("%s %s", kit.Plural(n, "message", "messages"), map[bool]string{true: "in all", false: state}[state == ""])
}

// reselect selects the message asked for (Select) or, failing that, the
// one selected before the list reloaded. With neither in the list it
// shows no message and scrolls to what goes out next, not to the oldest
// history.
func (v *View) reselect() {
	want := v.want
	if want == 0 {
		want = v.selected
	}
	v.want = 0
	if i := v.index(want); i >= 0 {
		v.List.Select(i)
		v.List.ScrollTo(i)
		return
	}
	v.clear()
	now := v.env.Time()
	if i := slices.IndexFunc(v.msgs, func(m *booking.OutboxMessage) bool { return !m.Due.Before(now) }); i > 0 {
		v.List.ScrollTo(i)
	}
}

func (v *View) index(id int64) int {
	if id == 0 {
		return -1
	}
	return slices.IndexFunc(v.msgs, func(m *booking.OutboxMessage) bool { return m.ID == id })
}

// Select selects the message with the given id (0: none), showing every
// state when the current filter hides it.
func (v *View) Select(id int64) {
	if id == 0 {
		v.List.UnselectAll()
		v.clear()
		return
	}
	if i := v.index(id); i >= 0 {
		v.List.Select(i)
		v.List.ScrollTo(i)
		return
	}
	v.want = id
	if v.Filter.Selected != "All" {
		v.Filter.SetSelected("All") // reloads
		return
	}
	v.Refresh()
}

// clear shows no message.
func (v *View) clear() {
	v.selected = 0
	v.Title.SetText("Select a message to see it as the patient gets it.")
	v.details.Hide()
}

func (v *View) message(id int64) *booking.OutboxMessage {
	if i := v.index(id); i >= 0 {
		return v.msgs[i]
	}
	return nil
}

// show shows one message's details and composes its preview.
func (v *View) show(id int64) {
	m := v.message(id)
	if m == nil {
		v.clear()
		return
	}
	v.selected = id
	v.Title.SetText(fmt.Sprintf("%s to %s", kit.MessageKindName(m.Kind), v.name(m.PatientID)))
	when := func(t time.Time) string { return kit.DateTime(t.In(v.loc)) }
	info := []string{fmt.Sprintf("State: %s after %s.", strings.ToLower(stateWords(m.State)), kit.Plural(m.Attempts, "attempt", "attempts")),
		"Due: " + when(m.Due) + "."}
	if m.State == booking.OutboxPending && !m.NextAttempt.IsZero() {
		info = append(info, "Next attempt: "+when(m.NextAttempt)+".")
	}
	if m.State == booking.OutboxSent {
		info = append(info, "Sent: "+when(m.Updated)+".")
	}
	v.Info.SetText(strings.Join(info, "\n"))
	v.About.SetText("")
	switch {
	case m.LastError != "" && m.State == booking.OutboxFailed:
		v.Reason.SetText("Why it failed: " + reason(m.LastError))
	case m.LastError != "":
		v.Reason.SetText("Last error: " + reason(m.LastError))
	case m.Note != "" && m.State == booking.OutboxSkipped:
		v.Reason.SetText("Not sent: " + m.Note + ".")
	case m.Note != "":
		v.Reason.SetText("Note: " + m.Note + ".")
	default:
		v.Reason.SetText("")
	}
	v.Reason.Hidden = v.Reason.Text == ""
	v.Retry.Hidden = m.State != booking.OutboxFailed && m.State != booking.OutboxSkipped
	switch m.State {
	case booking.OutboxSent:
		v.PreviewTitle.SetText("As the patient got it")
	case booking.OutboxFailed:
		v.PreviewTitle.SetText("As the patient would get it")
	case booking.OutboxCancelled, booking.OutboxSkipped:
		v.PreviewTitle.SetText("As it would have read (never sent)")
	default:
		v.PreviewTitle.SetText("As the patient will get it")
	}
	v.OpenAppointment.Hidden = m.AppointmentID == 0
	v.details.Show()
	v.details.Refresh()
	v.preview(m)
}

// preview composes m as the patient gets it.
func (v *View) preview(m *booking.OutboxMessage) {
	var (
		e     *previewed
		note  string
		about = "About: the whole series."
	)
	loc := v.loc
	comp := v.composer
	v.env.Run("Composing the preview", func(ctx context.Context) error {
		if comp == nil {
			c, _, err := reminder.Setup(ctx, v.env.Store, v.env.LocalBase())
			if err != nil {
				return settingsError(err)
			}
			comp = c
		}
		if m.AppointmentID != 0 {
			a, err := v.env.Store.Appointment(ctx, m.AppointmentID)
			if err != nil {
				return err
			}
			about = fmt.Sprintf("About: %s on %s (%s).", a.Label(), kit.DateTime(a.Start.In(loc)), a.Status)
		}
		mail, n, err := reminder.Preview(ctx, v.env.Store, comp, m, v.env.Time())
		if err != nil {
			return err
		}
		note = n
		if mail != nil {
			e = &previewed{to: strings.Join(mail.To, ", "), subject: mail.Subject, method: reminder.AttachmentMethod(mail), text: string(mail.Text)}
		}
		return nil
	}, func(err error) {
		if v.composer == nil {
			v.composer = comp
		}
		if v.selected != m.ID {
			return // another message was selected meanwhile
		}
		for _, l := range []*widget.Label{v.To, v.Subject, v.Method, v.Text} {
			l.Hide()
		}
		if err == nil {
			v.About.SetText(about)
		}
		v.NoPreview.Show()
		switch {
		case err != nil:
			v.NoPreview.SetText("No preview: " + kit.Message(err))
		case e == nil:
			v.NoPreview.SetText("Nothing to show: " + note + ".")
		default:
			v.NoPreview.Hide()
			v.To.SetText("To: " + e.to)
			v.Subject.SetText("Subject: " + e.subject)
			method := "none"
			if e.method != "" {
				method = fmt.Sprintf("%s (%s, METHOD:%s)", reminder.AttachmentName, methodWords(e.method), e.method)
			}
			v.Method.SetText("Calendar attachment: " + method)
			v.Text.SetText(e.text)
			for _, l := range []*widget.Label{v.To, v.Subject, v.Method, v.Text} {
				l.Show()
			}
		}
		v.details.Refresh()
	})
}

type previewed struct{ to, subject, method, text string }

func methodWords(m string) string {
	switch m {
	case "REQUEST":
		return "adds or updates the event"
	case "CANCEL":
		return "removes the event"
	}
	return "calendar"
}

// settingsError explains a problem with the email settings in words.
func settingsError(err error) error {
	if booking.ErrorCode(err) != booking.EINTERNAL {
		return err
	}
	return booking.Errorf(booking.EINVALID, "The email settings cannot be used (%s); check them in Settings, Email.", reason(err.Error()))
}

// retry puts the selected failed message back in the queue.
func (v *View) retry() {
	m := v.message(v.selected)
	if m == nil {
		return
	}
	name := v.name(m.PatientID)
	v.env.Run("Retrying", func(ctx context.Context) error {
		_, err := v.env.Service.RetryOutbox(ctx, m.ID)
		return err
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.say(fmt.Sprintf("The %s to %s is queued again and goes out with the next sending.", strings.ToLower(kit.MessageKindName(m.Kind)), name))
		v.want = m.ID
		v.env.Changed()
	})
}

func (v *View) say(s string) {
	v.Result.SetText(s)
	v.Result.Show()
}

// send runs the dispatcher until nothing more is due, and says what it did.
func (v *View) send() {
	var (
		total reminder.Report
		dir   string
	)
	v.env.Run("Sending due messages", func(ctx context.Context) error {
		comp, tr, err := reminder.Setup(ctx, v.env.Store, v.env.LocalBase())
		if err != nil {
			return settingsError(err)
		}
		if d, ok := tr.(reminder.EMLDir); ok {
			dir = d.Dir
		}
		comp.Now = v.env.Time
		d := &reminder.Dispatcher{Store: v.env.Store, Composer: comp, Transport: tr, Now: v.env.Time, Actor: v.env.Service.Actor}
		for range maxRuns {
			rep, err := d.RunOnce(ctx)
			total.Recovered += rep.Recovered
			total.Sent += rep.Sent
			total.Retrying += rep.Retrying
			total.Failed += rep.Failed
			total.Skipped += rep.Skipped
			if err != nil {
				return err
			}
			if len(rep.Messages) == 0 {
				break
			}
		}
		return nil
	}, func(err error) {
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.say(sentWords(total, dir))
		v.env.Changed()
	})
}

// sentWords says what a sending did.
func sentWords(r reminder.Report, dir string) string {
	if r.Sent+r.Retrying+r.Failed+r.Skipped == 0 {
		return "No message was due; pending messages go out at their due time."
	}
	var parts []string
	if r.Sent > 0 {
		s := "Sent " + kit.Plural(r.Sent, "message", "messages")
		if dir != "" {
			s += " (written as .eml files to " + dir + ")"
		}
		parts = append(parts, s)
	}
	if r.Skipped > 0 {
		parts = append(parts, kit.Plural(r.Skipped, "message was", "messages were")+" not sent; the list says why")
	}
	if r.Retrying > 0 {
		parts = append(parts, kit.Plural(r.Retrying, "message", "messages")+" could not be sent now and will be tried again")
	}
	if r.Failed > 0 {
		parts = append(parts, kit.Plural(r.Failed, "message", "messages")+" failed; select it to see why, then Retry")
	}
	return strings.Join(parts, ". ") + "."
}
