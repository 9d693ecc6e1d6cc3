package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestJourney_NewPatientFullSeries is issue 5's "Done when", end to end
// through the app shell: a front-desk user adds a new patient and books a
// full kap-standard series, moves one dosing session to an offered
// alternative, cancels another appointment with a reason, sees the
// emails in the Outbox and exports the patient's calendar. Every step is
// done with the screens' own widgets, found as the user sees them (by
// their labels and placeholders), and checked against the database too.
func TestJourney_NewPatientFullSeries(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{})
	s := ui.New(f.Env)
	w := f.Env.Window
	w.SetContent(s.Content())
	j := &journey{t: t, s: s, w: w}
	loc := kittest.Now.Location()
	when := func(a *booking.Appointment) string { return kit.DateTime(a.Start.In(loc)) }

	// 1. Book a series: add Robin Vale as a new patient, choose the KAP
	// standard protocol, propose from tomorrow and book all of it.
	test.Tap(s.Nav[ui.ViewBook])
	j.showing(ui.ViewBook)
	book := s.Booker.Content()
	j.tap(book, "New patient…")
	j.typeInto(book, "Full name", "Robin Vale")
	j.typeInto(book, "Email", "robin.vale@example.org")
	j.typeInto(book, "Phone (optional)", "+1 617 555 0199")
	j.tap(book, "Add patient")
	j.sees(book, "Patient: Robin Vale · robin.vale@example.org")
	found, err := f.DB.FindPatients(ctx, "Robin Vale")
	if err != nil || len(found) != 1 {
		t.Fatalf("stored patients named Robin Vale=%d (%v), want 1", len(found), err)
	}
	robin := found[0]
	if robin.Email != "robin.vale@example.org" || robin.Phone != "+1 617 555 0199" {
		t.Fatalf("stored patient %+v", robin)
	}
	j.choose(book, "Choose a protocol", "KAP standard (IM or sublingual)")
	if start := j.entry(book, "YYYY-MM-DD"); start.Text != "2027-03-02" {
		t.Fatalf("earliest start %q, want tomorrow 2027-03-02", start.Text)
	}
	j.tap(book, "Propose")
	j.seesPrefix(book, "Proposal: KAP standard (IM or sublingual) for Robin Vale")
	j.tap(book, "Book 15 appointments")
	j.sees(book, "Booked 15 appointments for Robin Vale; confirmation queued.")
	appts := j.appointments(f, robin.ID)
	if len(appts) != 15 {
		t.Fatalf("stored appointments=%d, want 15", len(appts))
	}
	for _, a := range appts {
		if a.Status != booking.Booked || a.SeriesID != appts[0].SeriesID {
			t.Fatalf("%s stored as %s in series %d, want booked in series %d", a.Label(), a.Status, a.SeriesID, appts[0].SeriesID)
		}
	}
	if sr, err := f.DB.Series(ctx, appts[0].SeriesID); err != nil || sr.ProtocolID != "kap-standard" {
		t.Fatalf("series %v (%v), want kap-standard", sr, err)
	}
	if got := j.outbox(f, robin.ID, booking.MessageConfirmation); len(got) != 1 || got[0].State != booking.OutboxPending {
		t.Fatalf("confirmations %v, want one pending", got)
	}

	// 2. From the patient's page, open Dosing 2/6 on the schedule
	// (Navigator.ShowAppointment) and move it to the first time offered.
	j.tap(book, "Patient page")
	j.showing(ui.ViewPatients)
	dosing := j.appt(appts, "Dosing 2/6")
	j.tap(j.row(s.Patients.Content(), "Dosing 2/6"), "Open")
	j.showing(ui.ViewSchedule)
	sched := s.Schedule.Content()
	j.sees(sched, "Dosing 2/6")
	j.sees(sched, dosing.Start.In(loc).Format("Mon 2 Jan 2006, 15:04")+"–"+dosing.End.In(loc).Format("15:04"))
	j.tap(sched, "Reschedule…")
	choices := j.radio(j.dialog())
	choice := ""
	for _, o := range choices.Options {
		if !strings.HasPrefix(o, "Move this and the later") {
			choice = o
			break
		}
	}
	if choice == "" {
		t.Fatalf("no alternative time offered for Dosing 2/6: %q", choices.Options)
	}
	choices.SetSelected(choice)
	j.tap(j.dialog(), "Move")
	if w.Canvas().Overlays().Top() != nil {
		t.Fatal("the Reschedule dialog stayed open after Move")
	}
	moved := j.stored(f, dosing.ID)
	if moved.Start.Equal(dosing.Start) || !strings.HasPrefix(choice, when(moved)+"–") {
		t.Fatalf("Dosing 2/6 stored at %s (was %s), want the chosen %q", when(moved), when(dosing), choice)
	}
	j.sees(sched, "Moved Dosing 2/6 to "+when(moved)+".")
	j.seesPrefix(sched, moved.Start.In(loc).Format("Mon 2 Jan 2006, 15:04")+"–")
	for _, a := range appts {
		if got := j.stored(f, a.ID); a.ID != dosing.ID && !got.Start.Equal(a.Start) {
			t.Fatalf("%s moved from %s to %s with Dosing 2/6", a.Label(), when(a), when(got))
		}
	}
	if got := j.outbox(f, robin.ID, booking.MessageUpdate); len(got) != 1 || got[0].AppointmentID != dosing.ID || got[0].State != booking.OutboxPending {
		t.Fatalf("change notices %v, want one pending for Dosing 2/6", got)
	}

	// 3. Back on the patient's page, open Integration 5/6 and cancel it
	// with a reason.
	test.Tap(s.Nav[ui.ViewPatients])
	j.showing(ui.ViewPatients)
	integration := j.appt(appts, "Integration 5/6")
	j.tap(j.row(s.Patients.Content(), "Integration 5/6"), "Open")
	j.showing(ui.ViewSchedule)
	j.sees(sched, "Integration 5/6")
	j.tap(sched, "Cancel…")
	j.sees(j.dialog(), "Cancel Integration 5/6 on "+when(integration)+"? The patient is sent a cancellation.")
	const reason = "Patient is travelling that week"
	j.typeInto(j.dialog(), "Why (kept in the audit trail)", reason)
	j.pick(j.dialog(), "The patient")
	j.tap(j.dialog(), "Cancel appointment")
	if got := j.stored(f, integration.ID); got.Status != booking.Cancelled || got.Reason != reason {
		t.Fatalf("Integration 5/6 stored as %s (%q), want cancelled with the reason", got.Status, got.Reason)
	}
	j.sees(sched, "Cancelled Integration 5/6.")
	j.sees(sched, "Cancelled by the patient: "+reason)
	if got := j.outbox(f, robin.ID, booking.MessageCancellation); len(got) != 1 || got[0].AppointmentID != integration.ID || got[0].State != booking.OutboxPending {
		t.Fatalf("cancellation notices %v, want one pending for Integration 5/6", got)
	}

	// 4. The Outbox lists Robin's emails as stored: the confirmation, the
	// change notice for the move and the cancellation notice among them;
	// their previews carry METHOD:REQUEST and METHOD:CANCEL.
	test.Tap(s.Nav[ui.ViewOutbox])
	j.showing(ui.ViewOutbox)
	ob := s.Outbox
	all := j.outbox(f, robin.ID, "")
	var rows []string
	var rowAt []int
	for i, r := range ob.Rows {
		if strings.Contains(r, " | Robin Vale | ") {
			rows, rowAt = append(rows, r), append(rowAt, i)
		}
	}
	if len(rows) != len(all) {
		t.Fatalf("the outbox shows %d rows for Robin Vale, the database holds %d messages:\n%s", len(rows), len(all), strings.Join(rows, "\n"))
	}
	t.Logf("the outbox's rows for Robin Vale:\n%s", strings.Join(rows, "\n"))
	kindWords := map[string]string{booking.MessageConfirmation: "Confirmation", booking.MessageReminder: "Reminder",
		booking.MessagePreparation: "Preparation", booking.MessageUpdate: "Change notice", booking.MessageCancellation: "Cancellation notice"}
	row := map[string]int{} // list index of the message kind's row
	for i, m := range all {
		want := strings.Join([]string{kit.DateTime(m.Due.In(loc)), "Robin Vale", kindWords[m.Kind],
			strings.ToUpper(m.State[:1]) + m.State[1:], "0", m.Note}, " | ")
		if rows[i] != want {
			t.Fatalf("row %d %q, want %q for stored message %d", i, rows[i], want, m.ID)
		}
		if m.Kind == booking.MessageConfirmation || m.Kind == booking.MessageUpdate || m.Kind == booking.MessageCancellation {
			row[m.Kind] = rowAt[i]
		}
	}
	for _, k := range []string{booking.MessageConfirmation, booking.MessageUpdate, booking.MessageCancellation} {
		if _, ok := row[k]; !ok {
			t.Fatalf("no %s row among\n%s", kindWords[k], strings.Join(rows, "\n"))
		}
	}
	// The reminders of the moved and the cancelled appointment show why
	// they will not go.
	for _, note := range []string{"| Reminder | Cancelled | 0 | appointment moved", "| Reminder | Cancelled | 0 | appointment cancelled"} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasSuffix(r, note) }) {
			t.Fatalf("no row ends %q among\n%s", note, strings.Join(rows, "\n"))
		}
	}
	ob.List.Select(row[booking.MessageConfirmation])
	if ob.Title.Text != "Confirmation to Robin Vale" || !strings.Contains(ob.Method.Text, "METHOD:REQUEST") || ob.To.Text != "To: <robin.vale@example.org>" {
		t.Fatalf("confirmation: title=%q to=%q method=%q (no preview: %q)", ob.Title.Text, ob.To.Text, ob.Method.Text, ob.NoPreview.Text)
	}
	ob.List.Select(row[booking.MessageUpdate])
	if ob.Title.Text != "Change notice to Robin Vale" || !strings.Contains(ob.Method.Text, "METHOD:REQUEST") || ob.Method.Hidden {
		t.Fatalf("change notice: title=%q method=%q (no preview: %q)", ob.Title.Text, ob.Method.Text, ob.NoPreview.Text)
	}
	if want := "About: Dosing 2/6 on " + moved.Start.In(loc).Format("Mon 2 Jan 2006 15:04"); !strings.HasPrefix(ob.About.Text, want) {
		t.Fatalf("change notice about %q, want %q", ob.About.Text, want)
	}
	if want := "is now on " + moved.Start.In(loc).Format("Monday 2 January 2006 at 15:04"); !strings.Contains(ob.Subject.Text, want) {
		t.Fatalf("change notice subject %q, want the new time (%q)", ob.Subject.Text, want)
	}
	if calendar.Reveals(ob.Subject.Text + ob.Text.Text) {
		t.Fatalf("the change notice names the treatment: %q", ob.Subject.Text+ob.Text.Text)
	}
	ob.List.Select(row[booking.MessageCancellation])
	if ob.Title.Text != "Cancellation notice to Robin Vale" || !strings.Contains(ob.Method.Text, "METHOD:CANCEL") || ob.Method.Hidden {
		t.Fatalf("cancellation notice: title=%q method=%q (no preview: %q)", ob.Title.Text, ob.Method.Text, ob.NoPreview.Text)
	}
	if want := "About: Integration 5/6 on " + integration.Start.In(loc).Format("Mon 2 Jan 2006 15:04") + " (cancelled)."; ob.About.Text != want {
		t.Fatalf("cancellation notice about %q, want %q", ob.About.Text, want)
	}
	if want := "Cancelled: your appointment on " + integration.Start.In(loc).Format("Monday 2 January 2006 at 15:04"); !strings.Contains(ob.Subject.Text, want) {
		t.Fatalf("cancellation notice subject %q, want %q", ob.Subject.Text, want)
	}
	if calendar.Reveals(ob.Subject.Text + ob.Text.Text) {
		t.Fatalf("the cancellation notice names the treatment: %q", ob.Subject.Text+ob.Text.Text)
	}

	// 5. Open Robin's page from the message and export the calendar
	// through the path dialog (the folder used last, the name suggested);
	// go-ical reads 14 events, the moved one at its new time and the
	// cancelled one left out.
	test.Tap(ob.OpenPatient)
	j.showing(ui.ViewPatients)
	page := s.Patients.Content()
	if got := j.progress(page); !slices.Equal(got, []string{"0 of 14 done, 1 cancelled"}) {
		t.Fatalf("series progress %q, want 0 of 14 done, 1 cancelled", got)
	}
	j.sees(j.row(page, "Integration 5/6"), "Cancelled")
	j.sees(j.row(page, "Dosing 2/6"), moved.Start.In(loc).Format("Mon 2 Jan 2006"))
	dir := t.TempDir()
	f.Env.App.Preferences().SetString(kit.PrefFolder, dir)
	j.tap(page, "Export calendar")
	save := j.dialog()
	if name := j.entryWithText(save, filepath.Join(dir, "appointments.ics")); name == nil {
		t.Fatal("the export dialog does not offer appointments.ics in the folder used last")
	}
	j.tap(save, "Export")
	path := filepath.Join(dir, "appointments.ics")
	j.seesPrefix(page, "Calendar saved as "+path+": 14 appointments")
	active := j.active(f, robin.ID)
	if len(active) != 14 || len(j.appointments(f, robin.ID)) != 15 {
		t.Fatalf("stored: %d active of %d, want 14 of 15", len(active), len(j.appointments(f, robin.ID)))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ical.NewDecoder(strings.NewReader(string(data))).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the export: %v", err)
	}
	inst, err := f.DB.InstanceID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	starts := map[string]string{} // event start by UID
	for _, ev := range cal.Events() {
		uid, err := ev.Props.Text(ical.PropUID)
		if err != nil {
			t.Fatal(err)
		}
		start, err := ev.DateTimeStart(loc)
		if err != nil {
			t.Fatalf("event %s: %v", uid, err)
		}
		starts[uid] = start.In(loc).Format("2006-01-02 15:04")
	}
	if len(cal.Events()) != 14 || len(starts) != 14 {
		t.Fatalf("events=%d (%d UIDs), want 14", len(cal.Events()), len(starts))
	}
	for _, a := range active {
		if got, want := starts[calendar.UID(inst, a.ID)], a.Start.In(loc).Format("2006-01-02 15:04"); got != want {
			t.Fatalf("%s: event starts %q, want %q", a.Label(), got, want)
		}
	}
	if got, want := starts[calendar.UID(inst, dosing.ID)], moved.Start.In(loc).Format("2006-01-02 15:04"); got != want {
		t.Fatalf("moved Dosing 2/6: event starts %q, want the new %q", got, want)
	}
	if _, ok := starts[calendar.UID(inst, integration.ID)]; ok {
		t.Fatal("the cancelled Integration 5/6 is in the exported calendar")
	}
	if calendar.Reveals(string(data)) || strings.Contains(string(data), "Robin") {
		t.Fatal("the patient's calendar names the treatment or the patient")
	}
}

// journey drives the shell as a user does: it finds widgets by what
// they show and fails the test when something is not there.
type journey struct {
	t *testing.T
	s *ui.Shell
	w fyne.Window
}

// showing checks that the named view is the one showing.
func (j *journey) showing(view string) {
	j.t.Helper()
	if got := j.s.Current(); got != view {
		j.t.Fatalf("view %q shows, want %q", got, view)
	}
}

// objects returns the visible objects under root, root first.
func (j *journey) objects(root fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// dialog returns the dialog on top of the window.
func (j *journey) dialog() fyne.CanvasObject {
	j.t.Helper()
	top := j.w.Canvas().Overlays().Top()
	if top == nil {
		j.t.Fatal("no dialog shows")
	}
	return top
}

// tap taps the enabled button labelled text under root.
func (j *journey) tap(root fyne.CanvasObject, text string) {
	j.t.Helper()
	var labels []string
	for _, o := range j.objects(root) {
		if b, ok := kit.AsButton(o); ok {
			if b.Text == text {
				if b.Disabled() {
					j.t.Fatalf("button %q is disabled", text)
				}
				test.Tap(b)
				return
			}
			labels = append(labels, b.Text)
		}
	}
	j.t.Fatalf("no button %q; there are %q", text, labels)
}

// entryOf returns the text entry o is or embeds, else nil.
func entryOf(o fyne.CanvasObject) *widget.Entry {
	if e, ok := o.(*widget.Entry); ok {
		return e
	}
	v := reflect.ValueOf(o)
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		if f := v.Elem().FieldByName("Entry"); f.IsValid() && f.Type() == reflect.TypeFor[widget.Entry]() {
			return f.Addr().Interface().(*widget.Entry)
		}
	}
	return nil
}

// field returns the entry with the given placeholder under root and the
// widget to type into (the entry itself, or the screen's own entry that
// embeds it).
func (j *journey) field(root fyne.CanvasObject, placeholder string) (fyne.Focusable, *widget.Entry) {
	j.t.Helper()
	for _, o := range j.objects(root) {
		if e := entryOf(o); e != nil && e.PlaceHolder == placeholder {
			return o.(fyne.Focusable), e
		}
	}
	j.t.Fatalf("no field %q", placeholder)
	return nil, nil
}

func (j *journey) entry(root fyne.CanvasObject, placeholder string) *widget.Entry {
	j.t.Helper()
	_, e := j.field(root, placeholder)
	return e
}

// entryWithText returns the entry under root holding text, else nil.
func (j *journey) entryWithText(root fyne.CanvasObject, text string) *widget.Entry {
	for _, o := range j.objects(root) {
		if e := entryOf(o); e != nil && e.Text == text {
			return e
		}
	}
	return nil
}

// typeInto types text into the empty field with the given placeholder.
func (j *journey) typeInto(root fyne.CanvasObject, placeholder, text string) {
	j.t.Helper()
	o, e := j.field(root, placeholder)
	if e.Text != "" {
		j.t.Fatalf("field %q holds %q already", placeholder, e.Text)
	}
	test.Type(o, text)
	if e.Text != text {
		j.t.Fatalf("field %q holds %q after typing %q", placeholder, e.Text, text)
	}
}

// choose picks option in the drop-down with the given placeholder.
func (j *journey) choose(root fyne.CanvasObject, placeholder, option string) {
	j.t.Helper()
	for _, o := range j.objects(root) {
		if sel, ok := o.(*widget.Select); ok && sel.PlaceHolder == placeholder {
			if !slices.Contains(sel.Options, option) {
				j.t.Fatalf("%q offers %q, not %q", placeholder, sel.Options, option)
			}
			sel.SetSelected(option)
			return
		}
	}
	j.t.Fatalf("no drop-down %q", placeholder)
}

// pick selects option in the choice group under root that offers it.
func (j *journey) pick(root fyne.CanvasObject, option string) {
	j.t.Helper()
	for _, o := range j.objects(root) {
		if r, ok := o.(*widget.RadioGroup); ok && slices.Contains(r.Options, option) {
			r.SetSelected(option)
			return
		}
	}
	j.t.Fatalf("no choice %q", option)
}

// radio returns the first choice group under root.
func (j *journey) radio(root fyne.CanvasObject) *widget.RadioGroup {
	j.t.Helper()
	for _, o := range j.objects(root) {
		if r, ok := o.(*widget.RadioGroup); ok {
			return r
		}
	}
	j.t.Fatal("no choices shown")
	return nil
}

// labels returns the texts of the labels under root.
func (j *journey) labels(root fyne.CanvasObject) []string {
	var out []string
	for _, o := range j.objects(root) {
		if l, ok := o.(*widget.Label); ok && l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

// sees checks that a label under root reads text.
func (j *journey) sees(root fyne.CanvasObject, text string) {
	j.t.Helper()
	if got := j.labels(root); !slices.Contains(got, text) {
		j.t.Fatalf("no label reads %q; the labels read:\n%s", text, strings.Join(got, "\n"))
	}
}

// seesPrefix checks that a label under root starts with prefix.
func (j *journey) seesPrefix(root fyne.CanvasObject, prefix string) {
	j.t.Helper()
	got := j.labels(root)
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, prefix) }) {
		j.t.Fatalf("no label starts %q; the labels read:\n%s", prefix, strings.Join(got, "\n"))
	}
}

// progress returns what the progress bars under root say.
func (j *journey) progress(root fyne.CanvasObject) []string {
	var out []string
	for _, o := range j.objects(root) {
		if p, ok := o.(*widget.ProgressBar); ok && p.TextFormatter != nil {
			out = append(out, p.TextFormatter())
		}
	}
	return out
}

// row returns the row under root (a container holding a button) that has
// a label reading text.
func (j *journey) row(root fyne.CanvasObject, text string) fyne.CanvasObject {
	j.t.Helper()
	for _, o := range j.objects(root) {
		c, ok := o.(*fyne.Container)
		if !ok {
			continue
		}
		label, button := false, false
		for _, x := range c.Objects {
			switch x := x.(type) {
			case *widget.Label:
				label = label || x.Text == text
			case *widget.Button, *kit.Button:
				button = true
			}
		}
		if label && button {
			return c
		}
	}
	j.t.Fatalf("no row reads %q", text)
	return nil
}

// appointments returns the patient's stored appointments in order.
func (j *journey) appointments(f *kittest.Fixture, patientID int64) []*booking.Appointment {
	j.t.Helper()
	got, err := f.DB.Appointments(context.Background(), booking.AppointmentFilter{PatientID: patientID})
	if err != nil {
		j.t.Fatal(err)
	}
	return got
}

// active returns the patient's stored appointments not cancelled.
func (j *journey) active(f *kittest.Fixture, patientID int64) []*booking.Appointment {
	j.t.Helper()
	got, err := f.DB.Appointments(context.Background(), booking.AppointmentFilter{PatientID: patientID, ActiveOnly: true})
	if err != nil {
		j.t.Fatal(err)
	}
	return got
}

// appt returns the appointment labelled label among appts.
func (j *journey) appt(appts []*booking.Appointment, label string) *booking.Appointment {
	j.t.Helper()
	for _, a := range appts {
		if a.Label() == label {
			return a
		}
	}
	j.t.Fatalf("no %s in the series", label)
	return nil
}

// stored reads an appointment back from the database.
func (j *journey) stored(f *kittest.Fixture, id int64) *booking.Appointment {
	j.t.Helper()
	a, err := f.DB.Appointment(context.Background(), id)
	if err != nil {
		j.t.Fatal(err)
	}
	return a
}

// outbox returns the patient's stored messages of a kind ("" for all).
func (j *journey) outbox(f *kittest.Fixture, patientID int64, kind string) []*booking.OutboxMessage {
	j.t.Helper()
	msgs, err := f.DB.Outbox(context.Background(), booking.OutboxFilter{PatientID: patientID})
	if err != nil {
		j.t.Fatal(err)
	}
	return slices.DeleteFunc(msgs, func(m *booking.OutboxMessage) bool { return kind != "" && m.Kind != kind })
}
