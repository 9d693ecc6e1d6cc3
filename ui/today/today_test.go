package today

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// at moves the fixture's clock (env and service) to t.
func at(f *kittest.Fixture, t time.Time) {
	f.Env.Now = func() time.Time { return t }
	f.Env.Service.Now = f.Env.Now
}

// open builds the screen in the fixture's window and loads it.
func open(f *kittest.Fixture) *View {
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Refresh()
	return v
}

// overlayTexts returns the texts of the labels in the dialogs on top.
func overlayTexts(w fyne.Window) []string {
	var out []string
	for _, o := range w.Canvas().Overlays().List() {
		for _, x := range test.LaidOutObjects(o) {
			if l, ok := x.(*widget.Label); ok && l.Visible() {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

// tapOverlay taps the button with the given text in the dialog on top.
func tapOverlay(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is showing; wanted one with a %q button", text)
	}
	for _, x := range test.LaidOutObjects(top) {
		if b, ok := kit.AsButton(x); ok && b.Text == text && b.Visible() {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("the dialog has no %q button", text)
}

// button scrolls the row offering the button under key (e.g. "arrived
// 12") into view and returns the button on screen.
func button(t *testing.T, v *View, key string) *kit.Button {
	t.Helper()
	id, ok := v.offers[key]
	if !ok {
		t.Fatalf("no %q button; buttons: %v", key, keys(v.offers))
	}
	v.list.ScrollTo(id)
	b := v.buttons[key]
	if b == nil || !b.Visible() {
		t.Fatalf("the %q button is not on screen after scrolling to line %d", key, id)
	}
	return b
}

func tap(t *testing.T, v *View, key string) {
	t.Helper()
	test.Tap(button(t, v, key))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func contains(lines []string, subs ...string) bool {
	for _, l := range lines {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(l, s)
		}
		if ok {
			return true
		}
	}
	return false
}

// firstEscortVisit returns the earliest dosing or infusion visit booked.
func firstEscortVisit(t *testing.T, f *kittest.Fixture) *booking.Appointment {
	t.Helper()
	var first *booking.Appointment
	for _, sr := range f.Series {
		for _, a := range sr.Appts {
			if a.NeedsEscort() && (first == nil || a.Start.Before(first.Start)) {
				first = a
			}
		}
	}
	if first == nil {
		t.Fatal("no dosing or infusion visit booked")
	}
	return first
}

func patientName(f *kittest.Fixture, id int64) string {
	for _, p := range f.Patients {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

func TestToday_VisitsAndEscorts(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	loc := kittest.Now.Location()
	dose := firstEscortVisit(t, f)
	day := booking.DateOf(dose.Start.In(loc)) - 1
	at(f, day.At(8*60, loc))
	v := open(f)

	// Today: exactly the day's stored visits, in order.
	want, err := f.DB.Appointments(ctx, booking.AppointmentFilter{From: day.At(0, loc), To: (day + 1).At(0, loc), ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.visits.Lines) != len(want) || len(want) == 0 {
		t.Fatalf("today's rows=%d, want %d (stored)", len(v.visits.Lines), len(want))
	}
	for i, a := range want {
		if l := v.visits.Lines[i]; !strings.Contains(l, a.Start.In(loc).Format("15:04")) || !strings.Contains(l, patientName(f, a.PatientID)) || !strings.Contains(l, a.Label()) {
			t.Fatalf("row %d=%q, want %s %s %s", i, l, a.Start.In(loc).Format("15:04"), patientName(f, a.PatientID), a.Label())
		}
	}
	if h := v.visits.Heading; !strings.Contains(h, fmt.Sprintf("%d visits", len(want))) {
		t.Fatalf("heading=%q, want the count %d", h, len(want))
	}

	// Tomorrow's escorts: the dosing visit is listed, by name and phone.
	name := patientName(f, dose.PatientID)
	if !contains(v.escorts.Lines, name, dose.Label()) {
		t.Fatalf("escort rows=%q, want %s's %s", v.escorts.Lines, name, dose.Label())
	}
	before := len(v.escorts.Lines)

	t.Run("BadPhoneRefusedInWords", func(t *testing.T) {
		tap(t, v, fmt.Sprintf("escort %d", dose.ID))
		test.Type(v.escortName, "Sam Quinn")
		test.Type(v.escortPhone, "call me")
		tapOverlay(t, f.Env.Window, "Record")
		if !contains(overlayTexts(f.Env.Window), "is not a phone number") {
			t.Fatalf("dialog texts=%q, want the phone refused in words", overlayTexts(f.Env.Window))
		}
		tapOverlay(t, f.Env.Window, "OK")
		a, err := f.DB.Appointment(ctx, dose.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Escort != nil {
			t.Fatalf("escort stored despite the bad phone: %+v", a.Escort)
		}
	})

	t.Run("RecordEscort", func(t *testing.T) {
		tap(t, v, fmt.Sprintf("escort %d", dose.ID))
		test.Type(v.escortName, "Sam Quinn")
		test.Type(v.escortPhone, "+1 617 555 0199")
		v.escortPhone.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter records
		a, err := f.DB.Appointment(ctx, dose.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Escort == nil || a.Escort.Name != "Sam Quinn" || a.Escort.Phone != "+1 617 555 0199" {
			t.Fatalf("stored escort=%+v, want Sam Quinn +1 617 555 0199", a.Escort)
		}
		if contains(v.escorts.Lines, name, dose.Label()) || len(v.escorts.Lines) != before-1 {
			t.Fatalf("escort rows=%q after recording, want %s's row gone", v.escorts.Lines, name)
		}
		if !strings.Contains(v.Status.Text, "Sam Quinn") || !v.Status.Visible() {
			t.Fatalf("status=%q, want the escort recorded in words", v.Status.Text)
		}
	})

	t.Run("OpenInSchedule", func(t *testing.T) {
		tap(t, v, fmt.Sprintf("open %d", want[0].ID))
		if got, w := f.Nav.Last(), fmt.Sprintf("appointment %d", want[0].ID); got != w {
			t.Fatalf("navigation=%q, want %q", got, w)
		}
	})
}

func TestToday_MarkArrived(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	dose := firstEscortVisit(t, f)
	at(f, dose.Start.Add(-10*time.Minute))
	v := open(f)
	name := patientName(f, dose.PatientID)
	if !contains(v.visits.Lines, name, dose.Label(), "Expected", "No escort yet") {
		t.Fatalf("today's rows=%q, want %s's %s expected without escort", v.visits.Lines, name, dose.Label())
	}

	tap(t, v, fmt.Sprintf("arrived %d", dose.ID))
	if !contains(overlayTexts(f.Env.Window), "Record the escort") {
		t.Fatalf("dialog texts=%q, want the refusal in words", overlayTexts(f.Env.Window))
	}
	if a, _ := f.DB.Appointment(ctx, dose.ID); a.Status != booking.Booked {
		t.Fatalf("status=%s after a refused check-in, want booked", a.Status)
	}

	// The refusal offers its fix (issue 14, item 9): Record escort opens
	// the escort's form; then check-in works.
	tapOverlay(t, f.Env.Window, "Record escort…")
	if v.escortName == nil || !contains(overlayTexts(f.Env.Window), "Who takes") {
		t.Fatalf("dialog texts=%q after the fix, want the escort's form", overlayTexts(f.Env.Window))
	}
	test.Type(v.escortName, "Sam Quinn")
	test.Type(v.escortPhone, "+1 617 555 0199")
	tapOverlay(t, f.Env.Window, "Record")
	if _, ok := v.offers[fmt.Sprintf("escort %d", dose.ID)]; ok {
		t.Fatal("Record escort still offered after recording it")
	}
	tap(t, v, fmt.Sprintf("arrived %d", dose.ID))
	if a, _ := f.DB.Appointment(ctx, dose.ID); a.Status != booking.Arrived {
		t.Fatalf("status=%s, want arrived", a.Status)
	}
	if !contains(v.visits.Lines, name, "Arrived", "Escort: Sam Quinn") {
		t.Fatalf("today's rows=%q, want %s arrived with the escort", v.visits.Lines, name)
	}
	if !button(t, v, fmt.Sprintf("arrived %d", dose.ID)).Disabled() {
		t.Fatal("Mark arrived still enabled after check-in")
	}
}

// fail marks the patient's first pending message failed with reason.
func fail(t *testing.T, f *kittest.Fixture, patientID int64, state, reason string) *booking.OutboxMessage {
	t.Helper()
	ctx := context.Background()
	msgs, err := f.DB.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxPending, PatientID: patientID})
	if err != nil || len(msgs) == 0 {
		t.Fatalf("pending messages=%d, err=%v", len(msgs), err)
	}
	m := msgs[0]
	m.State, m.Attempts, m.LastError, m.Updated = state, 3, reason, kittest.Now
	if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestToday_FailedReminders(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	m := fail(t, f, f.Patients[0].ID, booking.OutboxFailed, "reminder: RCPT TO <avery.quinn@example.org>: 550 5.1.1 mailbox unavailable")
	r := fail(t, f, f.Patients[1].ID, booking.OutboxPending, "reminder: dial tcp 127.0.0.1:25: connection refused")
	v := open(f)
	if len(v.failed.Lines) != 2 || !strings.Contains(v.failed.Heading, "(2)") {
		t.Fatalf("failed rows=%q heading=%q, want 2", v.failed.Lines, v.failed.Heading)
	}
	if !contains(v.failed.Lines, "Avery Quinn", "Failed after 3 attempts", "550 5.1.1 mailbox unavailable") {
		t.Fatalf("failed rows=%q, want Avery Quinn's with the reason", v.failed.Lines)
	}
	if !contains(v.failed.Lines, "Blake Morgan", "Retrying", "connection refused") {
		t.Fatalf("failed rows=%q, want Blake Morgan's retrying", v.failed.Lines)
	}
	if !button(t, v, fmt.Sprintf("retry %d", r.ID)).Disabled() {
		t.Fatal("Retry enabled for a message that is retrying already")
	}

	tap(t, v, fmt.Sprintf("outbox %d", m.ID))
	if got, w := f.Nav.Last(), fmt.Sprintf("outbox %d", m.ID); got != w {
		t.Fatalf("navigation=%q, want %q", got, w)
	}

	tap(t, v, fmt.Sprintf("retry %d", m.ID))
	got, err := f.DB.Outbox(ctx, booking.OutboxFilter{PatientID: m.PatientID})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range got {
		if x.ID == m.ID && (x.State != booking.OutboxPending || x.Attempts != 0) {
			t.Fatalf("after Retry: state=%s attempts=%d, want pending 0", x.State, x.Attempts)
		}
	}
	if !contains(v.failed.Lines, "Avery Quinn", "Queued again") || !strings.Contains(v.Status.Text, "queued again") {
		t.Fatalf("failed rows=%q status=%q, want Avery Quinn's queued again", v.failed.Lines, v.Status.Text)
	}
}

func TestToday_MonitoringForms(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 4, Booked: true})
	devon := f.Series[3] // Devon Brooks, esketamine induction
	var first *booking.Appointment
	for _, a := range devon.Appts {
		if a.Step == "induction" && a.Index == 1 {
			first = a
		}
	}
	if first == nil {
		t.Fatal("no first induction session")
	}
	at(f, first.Start.Add(-5*time.Minute))
	v := open(f)
	if len(v.tasks.Lines) != 0 {
		t.Fatalf("task rows=%q before the session, want none", v.tasks.Lines)
	}

	svc := f.Env.Service
	if _, err := svc.SetEscort(ctx, first.ID, booking.Escort{Name: "Sam Brooks", Phone: "+1 617 555 0198"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetStatus(ctx, first.ID, booking.Arrived); err != nil {
		t.Fatal(err)
	}
	at(f, first.End.Add(10*time.Minute))
	if _, err := svc.SetStatus(ctx, first.ID, booking.Completed); err != nil {
		t.Fatal(err)
	}
	v.Refresh()
	loc := kittest.Now.Location()
	due := (booking.DateOf(first.End.In(loc)) + 7).At(0, loc).Format("Mon 2 Jan")
	if len(v.tasks.Lines) != 1 || !contains(v.tasks.Lines, "Devon Brooks", "Dosing 1/8", "REMS monitoring form", "Due by "+due) {
		t.Fatalf("task rows=%q, want Devon Brooks's Dosing 1/8 due by %s", v.tasks.Lines, due)
	}

	tap(t, v, fmt.Sprintf("form %d", first.ID))
	tapOverlay(t, f.Env.Window, "Record")
	if len(v.tasks.Lines) != 0 {
		t.Fatalf("task rows=%q after recording, want none", v.tasks.Lines)
	}
	audit, err := f.DB.Audit(ctx, booking.AuditFilter{PatientID: first.PatientID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != booking.MonitoringAction || audit[0].AppointmentID != first.ID {
		t.Fatalf("newest audit entry=%+v, want the monitoring form of appointment %d", audit, first.ID)
	}
}

func TestToday_Golden(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	loc := kittest.Now.Location()
	dose := firstEscortVisit(t, f)
	fail(t, f, f.Patients[0].ID, booking.OutboxFailed, "reminder: RCPT TO <avery.quinn@example.org>: 550 5.1.1 mailbox unavailable")
	at(f, (booking.DateOf(dose.Start.In(loc))-1).At(8*60, loc))
	open(f)
	test.AssertRendersToMarkup(t, "today.xml", f.Env.Window.Canvas())
}

// BenchmarkLoad reads everything the Today screen shows, as each reload
// does off the UI goroutine, in the demo clinic with 8 booked courses on
// the day before the first dosing visit.
func BenchmarkLoad(b *testing.B) {
	f := kittest.New(b, kittest.Options{Patients: 8, Booked: true})
	loc := kittest.Now.Location()
	var first *booking.Appointment
	for _, sr := range f.Series {
		for _, a := range sr.Appts {
			if a.NeedsEscort() && (first == nil || a.Start.Before(first.Start)) {
				first = a
			}
		}
	}
	at(f, (booking.DateOf(first.Start.In(loc))-1).At(8*60, loc))
	ctx := context.Background()
	var d *data
	for b.Loop() {
		var err error
		if d, err = load(ctx, f.Env); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(d.visits)+len(d.escorts)), "rows/op")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}

// Issue 14, item 6: a message after Record escort appears where it does
// not move the rows: the next Mark arrived is where it was.
func TestToday_MessageDoesNotMoveRows(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	dose := firstEscortVisit(t, f)
	at(f, dose.Start.Add(-10*time.Minute))
	v := open(f)
	w := f.Env.Window
	w.Resize(fyne.NewSize(1280, 800))
	key := fmt.Sprintf("arrived %d", dose.ID)
	pos := func() fyne.Position {
		t.Helper()
		// The window lays itself out again, as the next frame would.
		w.Content().Refresh()
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(button(t, v, key))
	}
	before := pos()
	if v.Status.Text != "" {
		t.Fatalf("status=%q before any action, want none", v.Status.Text)
	}
	tap(t, v, fmt.Sprintf("escort %d", dose.ID))
	test.Type(v.escortName, "Sam Quinn")
	test.Type(v.escortPhone, "+1 617 555 0199")
	tapOverlay(t, w, "Record")
	if !strings.Contains(v.Status.Text, "Sam Quinn") || !v.Status.Visible() {
		t.Fatalf("status=%q, want the escort recorded in words", v.Status.Text)
	}
	// Only the height: the escort's column widens for the name recorded.
	if after := pos(); after.Y != before.Y {
		t.Fatalf("Mark arrived at y=%.0f after the message, was at y=%.0f: the rows moved", after.Y, before.Y)
	}
}

// Issue 14, item 11: what an action did stays through the reload it
// brings, and a reload a minute later clears it: no message outlives
// what it was about.
func TestToday_MessageGoesStale(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	dose := firstEscortVisit(t, f)
	at(f, dose.Start.Add(-10*time.Minute))
	v := open(f)
	tap(t, v, fmt.Sprintf("escort %d", dose.ID))
	test.Type(v.escortName, "Sam Quinn")
	test.Type(v.escortPhone, "+1 617 555 0199")
	tapOverlay(t, f.Env.Window, "Record")
	v.Refresh()
	if !strings.Contains(v.Status.Text, "Sam Quinn") {
		t.Fatalf("status=%q right after the action's reload, want the escort recorded", v.Status.Text)
	}
	at(f, dose.Start.Add(-10*time.Minute+kit.MessageFor))
	v.Refresh()
	if v.Status.Text != "" {
		t.Fatalf("status=%q a minute later, want none", v.Status.Text)
	}
}
