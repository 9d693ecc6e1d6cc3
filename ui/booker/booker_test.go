package booker

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

const kapStandard = "KAP standard (IM or sublingual)"

func newView(t *testing.T, o kittest.Options) (*kittest.Fixture, *View) {
	t.Helper()
	f := kittest.New(t, o)
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Start(0)
	return f, v
}

// button returns the button labelled text among objs, failing the test
// when there is none.
func button(t *testing.T, objs []fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var labels []string
	for _, o := range objs {
		if b, ok := kit.AsButton(o); ok {
			if b.Text == text || strings.HasPrefix(b.Text, text) {
				return b
			}
			labels = append(labels, b.Text)
		}
	}
	t.Fatalf("no button %q; there are %q", text, labels)
	return nil
}

func enter(e *kit.Field) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// protocolByIDName returns the name of the protocol with the given id.
func (v *View) protocolByIDName(id string) string {
	for _, p := range v.protocols {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

// stored returns the patient's stored appointments in order.
func stored(t *testing.T, f *kittest.Fixture, patientID int64) []*booking.Appointment {
	t.Helper()
	got, err := f.DB.Appointments(context.Background(), booking.AppointmentFilter{PatientID: patientID})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func choose(t *testing.T, v *View, search string) {
	t.Helper()
	test.Type(v.search, search)
	if len(v.found) == 0 {
		t.Fatalf("no patient found for %q", search)
	}
	v.results.Select(0)
	if v.patient == nil {
		t.Fatal("selecting a found patient did not choose it")
	}
	v.protocol.SetSelected(kapStandard)
}

// checkGaps fails unless appts, a stored kap-standard series, is in
// order and keeps docs/protocols.md's gaps.
func checkGaps(t *testing.T, appts []*booking.Appointment) {
	t.Helper()
	if len(appts) != 15 {
		t.Fatalf("appointments=%d, want 15", len(appts))
	}
	loc := kittest.Now.Location()
	day := func(a *booking.Appointment) int { return int(booking.DateOf(a.Start.In(loc))) }
	gap := func(a, b *booking.Appointment, min, max int) {
		if g := day(b) - day(a); g < min || g > max {
			t.Errorf("%d days from %s to %s, want %d–%d", g, a.Label(), b.Label(), min, max)
		}
	}
	for i, a := range appts {
		if a.Seq != i {
			t.Fatalf("appointment %d has place %d", i, a.Seq)
		}
		if i > 0 && a.Start.Before(appts[i-1].End) {
			t.Errorf("%s starts before %s ends", a.Label(), appts[i-1].Label())
		}
	}
	gap(appts[0], appts[1], 1, 21)
	gap(appts[1], appts[2], 1, 14)
	gap(appts[2], appts[3], 1, 14)
	for i := 0; i < 6; i++ {
		d, in := appts[3+2*i], appts[4+2*i]
		if g := in.Start.Sub(d.End); g < 0 || g > 72*time.Hour {
			t.Errorf("%s %v after %s, want 0–72 h", in.Label(), g, d.Label())
		}
		if i < 5 {
			gap(d, appts[5+2*i], 2, 14)
		}
	}
}

func TestBookNewPatientFullSeries(t *testing.T) {
	f, v := newView(t, kittest.Options{})
	test.Tap(v.newPatient)
	if !v.newBox.Visible() {
		t.Fatal("New patient did not open the form")
	}
	test.Type(v.newName, "Robin Vale")
	test.Type(v.newEmail, "robin.vale@example.org")
	test.Type(v.newPhone, "+1 617 555 0199")
	test.Tap(v.addPatient)
	if v.newBox.Visible() || v.patient == nil || v.patient.ID == 0 {
		t.Fatalf("after Add patient: form visible=%v patient=%v", v.newBox.Visible(), v.patient)
	}
	if got := v.patientLabel.Text; got != "Patient: Robin Vale · robin.vale@example.org" {
		t.Fatalf("patient label=%q", got)
	}
	v.protocol.SetSelected(kapStandard)
	if !strings.Contains(v.protocolSummary.Text, "6 × Dosing 180 min, each followed by Integration 60 min") {
		t.Fatalf("summary=%q", v.protocolSummary.Text)
	}
	if v.start.Text != "2027-03-02" || v.startWords.Text != "Tue 2 Mar 2027" {
		t.Fatalf("start=%q (%q), want tomorrow 2027-03-02", v.start.Text, v.startWords.Text)
	}
	test.Tap(v.pickDate)
	if v.datePopup == nil || !v.datePopup.Visible() {
		t.Fatal("the calendar button did not open a calendar")
	}
	v.datePopup.Hide()
	enter(v.start) // Enter in the form proposes.
	if len(v.rows) != 15 || v.book.Disabled() {
		t.Fatalf("rows=%d book disabled=%v, want 15 and enabled; problem %q", len(v.rows), v.book.Disabled(), v.problem.Text)
	}
	if !strings.HasPrefix(v.rows[0], "Tue 2 Mar 2027  ") || !strings.Contains(v.rows[0], "Consultation") ||
		!strings.Contains(v.rows[14], "Integration 6/6") {
		t.Fatalf("rows[0]=%q rows[14]=%q", v.rows[0], v.rows[14])
	}
	if !strings.Contains(v.title.Text, "for Robin Vale") || !strings.Contains(v.title.Text, "15 appointments") {
		t.Fatalf("title=%q", v.title.Text)
	}
	if v.book.Text != "Book 15 appointments" {
		t.Fatalf("book button=%q", v.book.Text)
	}
	proposed := v.current().Appts
	changes := 0
	f.Env.OnChange(func() { changes++ })

	test.Tap(v.book)
	if got, want := v.result.Text, "Booked 15 appointments for Robin Vale; confirmation queued."; got != want || !v.resultBox.Visible() {
		t.Fatalf("result=%q visible=%v, want %q", got, v.resultBox.Visible(), want)
	}
	if changes != 1 {
		t.Fatalf("Changed called %d times, want 1", changes)
	}
	appts := stored(t, f, v.patient.ID)
	checkGaps(t, appts)
	for i, a := range appts {
		if !a.Start.Equal(proposed[i].Start) || a.Status != booking.Booked {
			t.Errorf("stored %s at %s (%s), proposed %s", a.Label(), a.Start, a.Status, proposed[i].Start)
		}
	}
	msgs, err := f.DB.Outbox(context.Background(), booking.OutboxFilter{PatientID: v.patient.ID})
	if err != nil {
		t.Fatal(err)
	}
	confirmations := 0
	for _, m := range msgs {
		if m.Kind == booking.MessageConfirmation && m.State == booking.OutboxPending && m.SeriesID == appts[0].SeriesID {
			confirmations++
		}
	}
	if confirmations != 1 {
		t.Fatalf("pending confirmations=%d of %d messages, want 1", confirmations, len(msgs))
	}
	if len(v.rows) != 15 || v.rows[0] != Row(appts[0], kittest.Now.Location()) || v.book.Visible() || v.current() != nil {
		t.Fatalf("after booking: rows=%d book visible=%v; the booked series should show, with nothing left to book", len(v.rows), v.book.Visible())
	}
	test.Tap(v.toSched)
	if got, want := f.Nav.Last(), "appointment "+itoa(appts[0].ID); got != want {
		t.Fatalf("navigation=%q, want %q", got, want)
	}
	test.Tap(v.toPatient)
	if got, want := f.Nav.Last(), "patient "+itoa(v.patient.ID); got != want {
		t.Fatalf("navigation=%q, want %q", got, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSearch(t *testing.T) {
	_, v := newView(t, kittest.Options{Patients: 3})
	if len(v.found) != 0 || v.noMatch.Visible() {
		t.Fatalf("found=%d with an empty search, want none and no message", len(v.found))
	}
	test.Type(v.search, "r")
	if len(v.found) != 3 || v.found[0].Name != "Avery Quinn" || v.found[2].Name != "Casey Rivera" {
		t.Fatalf("found %d for r, want all three by name", len(v.found))
	}
	test.Type(v.search, "iv")
	if len(v.found) != 1 || v.found[0].Name != "Casey Rivera" {
		t.Fatalf("found %d for riv, want Casey Rivera", len(v.found))
	}
	test.Type(v.search, "x")
	if len(v.found) != 0 || !v.noMatch.Visible() || v.noMatch.Text != `No patient matches "rivx"; press Enter or New patient to add one.` {
		t.Fatalf("found=%d message=%q visible=%v", len(v.found), v.noMatch.Text, v.noMatch.Visible())
	}
	test.Tap(v.newPatient)
	if v.newName.Text != "rivx" {
		t.Fatalf("new patient name=%q, want the search text", v.newName.Text)
	}
}

// TestSearch_EnterWithNoMatchAddsPatient: Enter in the search when nobody
// matches opens the new-patient form with the name typed, its cursor in
// the form; then a new patient is added from the keyboard alone.
func TestSearch_EnterWithNoMatchAddsPatient(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 2})
	c := f.Env.Window.Canvas()
	c.Focus(v.search)
	test.Type(v.search, "Jo Newman")
	if v.newBox.Visible() {
		t.Fatal("the new-patient form shows before Enter")
	}
	enter(v.search)
	if !v.newBox.Visible() || v.newName.Text != "Jo Newman" {
		t.Fatalf("after Enter: form shown %v, name %q", v.newBox.Visible(), v.newName.Text)
	}
	if c.Focused() != fyne.Focusable(v.newName) {
		t.Fatalf("the cursor is in %T, want the new patient's name", c.Focused())
	}
	c.FocusNext()
	test.Type(v.newEmail, "jo@example.org")
	enter(v.newEmail)
	if v.patient == nil || v.patient.Name != "Jo Newman" {
		t.Fatalf("chosen patient %+v after adding from the keyboard", v.patient)
	}
}

func TestNewPatientProblemInWords(t *testing.T) {
	f, v := newView(t, kittest.Options{})
	test.Tap(v.newPatient)
	test.Type(v.newName, "Robin Vale")
	test.Type(v.newEmail, "robin at example")
	enter(v.newEmail) // Enter adds, as the button does.
	if !v.newProblem.Visible() || !strings.HasPrefix(v.newProblem.Text, "Patient email is not a valid address") {
		t.Fatalf("problem=%q visible=%v", v.newProblem.Text, v.newProblem.Visible())
	}
	if v.patient != nil {
		t.Fatal("a patient was chosen although adding failed")
	}
	all, err := f.DB.FindPatients(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 0 {
		t.Fatalf("patients stored=%d, want 0", len(all))
	}
	// Escape closes the form.
	v.newName.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if v.newBox.Visible() || !v.newPatient.Visible() {
		t.Fatal("Escape did not close the new-patient form")
	}
}

func TestProposeNeedsPatientAndProtocol(t *testing.T) {
	_, v := newView(t, kittest.Options{Patients: 1})
	test.Tap(v.propose)
	if !v.formProblem.Visible() || !strings.HasPrefix(v.formProblem.Text, "Choose a patient first") {
		t.Fatalf("problem=%q visible=%v", v.formProblem.Text, v.formProblem.Visible())
	}
	test.Type(v.search, "avery")
	enter(v.search) // Enter chooses the first match.
	if v.patient == nil || v.patient.Name != "Avery Quinn" {
		t.Fatalf("patient=%v after Enter in the search", v.patient)
	}
	// The clinic's usual protocol is chosen (nothing is booked yet: the
	// first listed); without one, Propose asks for it.
	if first := v.protocols[0].Name; v.protocol.Selected != first {
		t.Fatalf("protocol=%q after choosing the patient, want the first listed %q", v.protocol.Selected, first)
	}
	v.protocol.ClearSelected()
	test.Tap(v.propose)
	if !v.formProblem.Visible() || v.formProblem.Text != "Choose a protocol first." {
		t.Fatalf("problem=%q visible=%v", v.formProblem.Text, v.formProblem.Visible())
	}
	v.protocol.SetSelected(kapStandard)
	v.start.SetText("2 March")
	test.Tap(v.propose)
	if !strings.HasPrefix(v.formProblem.Text, "Earliest start: \"2 March\" is not a date") || v.startWords.Text != "not a date" {
		t.Fatalf("problem=%q words=%q", v.formProblem.Text, v.startWords.Text)
	}
	if len(v.rows) != 0 {
		t.Fatalf("rows=%d without a valid form", len(v.rows))
	}
}

func TestChangeOneAppointment(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1})
	choose(t, v, "avery")
	test.Tap(v.propose)
	if len(v.rows) != 15 {
		t.Fatalf("rows=%d, problem %q", len(v.rows), v.problem.Text)
	}
	const k = 7 // Dosing 3/6
	before := v.current().Appts[k]
	v.list.Select(k)
	if !v.altPanel.Visible() || len(v.altBox.Objects) == 0 {
		t.Fatalf("alternatives panel visible=%v with %d choices: %q", v.altPanel.Visible(), len(v.altBox.Objects), v.altTitle.Text)
	}
	if !strings.HasPrefix(v.altTitle.Text, "Other times for Dosing 3/6") {
		t.Fatalf("alternatives title=%q", v.altTitle.Text)
	}
	// Escape closes the alternatives; selecting again opens them.
	v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if v.altPanel.Visible() {
		t.Fatal("Escape did not close the alternatives")
	}
	v.list.Select(k)
	last := v.altBox.Objects[len(v.altBox.Objects)-1].(*kit.Button)
	chosen := v.alts[len(v.alts)-1]
	if strings.HasSuffix(last.Text, " · the appointments after it move too") == chosen.KeepsRest {
		t.Fatalf("button %q for an alternative that keeps the rest=%v", last.Text, chosen.KeepsRest)
	}
	test.Tap(last)
	after := v.current().Appts[k]
	if !after.Start.Equal(chosen.Start) || after.Start.Equal(before.Start) {
		t.Fatalf("Dosing 3/6 at %s, want the chosen %s", after.Start, chosen.Start)
	}
	if !strings.HasPrefix(v.status.Text, "Dosing 3/6 moved to "+kit.DateTime(chosen.Start.In(kittest.Now.Location()))) {
		t.Fatalf("status=%q", v.status.Text)
	}
	if v.rows[k] != Row(after, kittest.Now.Location()) || v.altPanel.Visible() {
		t.Fatalf("row=%q, panel visible=%v", v.rows[k], v.altPanel.Visible())
	}
	test.Tap(v.book)
	appts := stored(t, f, f.Patients[0].ID)
	checkGaps(t, appts)
	if !appts[k].Start.Equal(chosen.Start) {
		t.Fatalf("stored Dosing 3/6 at %s, want %s", appts[k].Start, chosen.Start)
	}
}

func TestNoPlanShowsExplanation(t *testing.T) {
	t.Run("TherapistWithoutHours", func(t *testing.T) {
		f, v := newView(t, kittest.Options{Patients: 1})
		ctx := context.Background()
		staff, err := f.DB.StaffList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ana := staff[0]
		ana.Hours = booking.WeeklyHours{}
		if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.SaveStaff(ctx, ana) }); err != nil {
			t.Fatal(err)
		}
		choose(t, v, "avery")
		v.therapist.SetSelected(ana.Name)
		test.Tap(v.propose)
		if !v.problem.Visible() || !strings.HasPrefix(v.problem.Text, "Cannot book consultation for KAP standard") ||
			!strings.Contains(v.problem.Text, "Dr. Ana Reyes") {
			t.Fatalf("problem=%q visible=%v", v.problem.Text, v.problem.Visible())
		}
		if len(v.rows) != 0 || !v.book.Disabled() {
			t.Fatalf("rows=%d, book enabled=%v without a plan", len(v.rows), !v.book.Disabled())
		}
		if !v.relax.Visible() || v.relaxText.Text != "A plan exists with:" {
			t.Fatalf("relax visible=%v text=%q", v.relax.Visible(), v.relaxText.Text)
		}
		test.Tap(button(t, v.relaxBtns.Objects, "Any therapist"))
		if len(v.rows) != 15 || v.therapist.Selected != AnyTherapist || v.problem.Visible() {
			t.Fatalf("after Any therapist: rows=%d therapist=%q problem=%q", len(v.rows), v.therapist.Selected, v.problem.Text)
		}
	})
	t.Run("ClosedForWeeks", func(t *testing.T) {
		f, v := newView(t, kittest.Options{Patients: 1})
		ctx := context.Background()
		c, err := f.DB.Clinic(ctx)
		if err != nil {
			t.Fatal(err)
		}
		today := booking.DateOf(kittest.Now)
		c.Closures = append(c.Closures, booking.Closure{From: today, To: today + 80, Reason: "Renovation"})
		if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.SaveClinic(ctx, c) }); err != nil {
			t.Fatal(err)
		}
		choose(t, v, "avery")
		enter(v.start)
		if !strings.Contains(v.problem.Text, "before the series window ends") {
			t.Fatalf("problem=%q", v.problem.Text)
		}
		b := button(t, v.relaxBtns.Objects, "Start on ")
		test.Tap(b)
		if len(v.rows) != 15 || v.start.Text != strings.TrimPrefix(b.Text, "Start on ") {
			t.Fatalf("after %s: rows=%d start=%q problem=%q", b.Text, len(v.rows), v.start.Text, v.problem.Text)
		}
	})
}

func TestConflictBetweenProposalAndBook(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 2})
	choose(t, v, "avery")
	test.Tap(v.propose)
	p := v.current()
	if p == nil {
		t.Fatalf("no proposal: %q", v.problem.Text)
	}
	// Another workstation books Blake with the same therapist meanwhile.
	ctx := context.Background()
	if _, err := f.Env.Service.BookSeries(ctx, booking.BookRequest{PatientID: f.Patients[1].ID, ProtocolID: "kap-standard",
		From: p.From, TherapistID: p.TherapistID}); err != nil {
		t.Fatal(err)
	}
	test.Tap(v.book)
	if !v.problem.Visible() || !strings.Contains(v.problem.Text, "nothing was booked") || v.title.Text != "Not booked" {
		t.Fatalf("title=%q problem=%q", v.title.Text, v.problem.Text)
	}
	if got := stored(t, f, f.Patients[0].ID); len(got) != 0 {
		t.Fatalf("stored appointments=%d after a refused booking, want 0", len(got))
	}
	msgs, err := f.DB.Outbox(ctx, booking.OutboxFilter{PatientID: f.Patients[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 0 {
		t.Fatalf("messages=%d after a refused booking, want 0", len(msgs))
	}
	test.Tap(button(t, v.relaxBtns.Objects, "Propose again"))
	q := v.current()
	if q == nil || len(v.rows) != 15 || q.Appts[0].Start.Equal(p.Appts[0].Start) {
		t.Fatalf("fresh proposal=%v rows=%d", q != nil, len(v.rows))
	}
	test.Tap(v.book)
	checkGaps(t, stored(t, f, f.Patients[0].ID))
}

// Another desk books what the proposal on screen needs: when the change
// arrives (the background watch calls Changed), the screen says so and
// disables Book before anyone presses it.
func TestOtherDeskMakesProposalStale(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 2})
	choose(t, v, "avery")
	test.Tap(v.propose)
	p := v.current()
	if p == nil {
		t.Fatalf("no proposal: %q", v.problem.Text)
	}
	f.Env.Changed() // a change that leaves the proposal free
	if v.problem.Visible() || v.book.Disabled() {
		t.Fatalf("after an unrelated change: problem %q, Book disabled %v", v.problem.Text, v.book.Disabled())
	}
	desk2 := &booking.Service{Store: f.DB, Now: f.Env.Now, Actor: "Desk 2"}
	if _, err := desk2.BookSeries(context.Background(), booking.BookRequest{PatientID: f.Patients[1].ID, ProtocolID: "kap-standard",
		From: p.From, TherapistID: p.TherapistID}); err != nil {
		t.Fatal(err)
	}
	f.Env.Changed()
	if !v.problem.Visible() || !strings.Contains(v.problem.Text, "can no longer be booked") || !v.book.Disabled() {
		t.Fatalf("after another desk's booking: problem %q (shown %v), Book disabled %v", v.problem.Text, v.problem.Visible(), v.book.Disabled())
	}
	if v.current() != p {
		t.Fatal("the proposal was replaced without the desk asking")
	}
}

func TestStartWithPatient(t *testing.T) {
	t.Run("NotBooked", func(t *testing.T) {
		f, v := newView(t, kittest.Options{Patients: 2})
		v.Start(f.Patients[1].ID)
		if v.patient == nil || v.patient.ID != f.Patients[1].ID || !strings.Contains(v.patientLabel.Text, "Blake Morgan") {
			t.Fatalf("patient=%v label=%q", v.patient, v.patientLabel.Text)
		}
		if v.patientNote.Visible() {
			t.Fatalf("note %q for a patient with nothing booked", v.patientNote.Text)
		}
	})
	t.Run("BookedAlready", func(t *testing.T) {
		f, v := newView(t, kittest.Options{Patients: 1, Booked: true})
		v.Start(f.Patients[0].ID)
		first := kit.DateTime(f.Series[0].Appts[0].Start.In(kittest.Now.Location()))
		want := "Avery Quinn already has 15 upcoming appointments, the next on " + first + "."
		if !v.patientNote.Visible() || v.patientNote.Text != want {
			t.Fatalf("note=%q visible=%v, want %q", v.patientNote.Text, v.patientNote.Visible(), want)
		}
		v.Start(0)
		if v.patientNote.Visible() {
			t.Fatal("the note stayed after starting a new booking")
		}
	})
}

func TestProposalRender(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1})
	choose(t, v, "avery")
	v.weekdays.SetSelected([]string{"Tue", "Thu"})
	test.Tap(v.propose)
	if len(v.rows) != 15 {
		t.Fatalf("rows=%d, problem %q", len(v.rows), v.problem.Text)
	}
	test.AssertRendersToMarkup(t, "proposal.xml", f.Env.Window.Canvas())
}

func TestKeyboard(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1})
	c := f.Env.Window.Canvas()
	if c.Focused() != v.search {
		t.Fatalf("focus=%T after Start, want the search field", c.Focused())
	}
	// Tab walks the form top to bottom, then the proposal.
	want := []fyne.Focusable{v.search, v.protocol, v.start, v.therapist, v.skipOptional, v.allowVideo, v.propose, v.list}
	at := map[fyne.Focusable]int{}
	for i := 0; i < 60 && c.Focused() != nil; i++ {
		if _, seen := at[c.Focused()]; seen {
			break
		}
		at[c.Focused()] = i
		test.FocusNext(c)
	}
	last := -1
	for _, w := range want {
		i, ok := at[w]
		if !ok || i <= last {
			t.Fatalf("tab order: %T at %d (reached=%v), after %d", w, i, ok, last)
		}
		last = i
	}
	// Enter that no field takes proposes, as the button does.
	choose(t, v, "avery")
	c.Unfocus()
	if !v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) || len(v.rows) != 15 {
		t.Fatalf("Enter: rows=%d, problem %q", len(v.rows), v.problem.Text)
	}
	v.list.Select(3)
	if !v.altPanel.Visible() {
		t.Fatal("selecting a row did not open its alternatives")
	}
	if !v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) || v.altPanel.Visible() {
		t.Fatal("Escape did not close the alternatives")
	}
	if v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) {
		t.Fatal("Escape with nothing open was taken")
	}
}

func TestChoosePatientFillsPreferences(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1})
	ctx := context.Background()
	p := f.Patients[0]
	p.Preferences = booking.Preferences{Weekdays: []string{"tue", "thu"}, TimesOfDay: []string{booking.Afternoon},
		Earliest: booking.DateOf(kittest.Now) + 14}
	if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.SavePatient(ctx, p) }); err != nil {
		t.Fatal(err)
	}
	choose(t, v, "avery")
	if got := strings.Join(v.weekdays.Selected, ","); got != "Tue,Thu" {
		t.Fatalf("weekdays=%s, want Tue,Thu", got)
	}
	if got := strings.Join(v.times.Selected, ","); got != "Afternoon" {
		t.Fatalf("times=%s, want Afternoon", got)
	}
	if v.start.Text != "2027-03-15" {
		t.Fatalf("start=%s, want the patient's earliest 2027-03-15", v.start.Text)
	}
	// Changing them here books with the new ones and stores them.
	v.times.SetSelected([]string{"Morning"})
	test.Tap(v.propose)
	if first := v.current().Appts[0].Start.In(kittest.Now.Location()); first.Hour() >= 12 || booking.DateOf(first) < booking.DateOf(kittest.Now)+14 {
		t.Fatalf("consultation at %s, want a morning from 2027-03-15", first)
	}
	test.Tap(v.book)
	got, err := f.DB.Patient(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(got.Preferences.Weekdays, ","); w != "tue,thu" || strings.Join(got.Preferences.TimesOfDay, ",") != "morning" {
		t.Fatalf("stored preferences=%v, want tue,thu in the morning", got.Preferences)
	}
}

// TestBookBesideActiveSeries: booking a second series for a patient with
// an active one asks why, and records the reason as an override.
func TestBookBesideActiveSeries(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1, Booked: true})
	v.Start(f.Patients[0].ID)
	v.ChooseProtocol("kap-iv")
	v.setStart(booking.DateOf(f.Series[0].Appts[len(f.Series[0].Appts)-1].Start.In(kittest.Now.Location())) + 7)
	test.Tap(v.propose)
	if v.current() == nil || len(v.current().Active) != 1 {
		t.Fatalf("proposal %v, want one that knows the active series", v.current())
	}
	before := len(stored(t, f, f.Patients[0].ID))
	test.Tap(v.book)
	bd := v.beside
	if bd == nil || len(stored(t, f, f.Patients[0].ID)) != before {
		t.Fatal("booked beside the active series without asking why")
	}
	test.Tap(bd.ok) // no reason yet: refused
	if len(stored(t, f, f.Patients[0].ID)) != before {
		t.Fatal("booked without a reason")
	}
	f.Env.Window.Canvas().Overlays().Top().Hide()
	test.Type(bd.reason, "infusions after the course, as the psychiatrist planned")
	test.Tap(bd.ok)
	if got := len(stored(t, f, f.Patients[0].ID)); got <= before {
		t.Fatalf("appointments %d after booking beside, want more than %d", got, before)
	}
	audit, err := f.DB.Audit(context.Background(), booking.AuditFilter{PatientID: f.Patients[0].ID, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) == 0 || audit[0].Action != "override" || !strings.HasPrefix(audit[0].Note, "infusions after the course, as the psychiatrist planned (rule overridden: a second active series beside series ") {
		t.Fatalf("last audit entry %+v, want the override with the reason", audit[0])
	}
}

// pressKey sends a key as the desktop driver does: to the focused
// widget, or to the window's handler when nothing has the focus.
func pressKey(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// tappableWithText returns the innermost tappable object under o that
// shows text, or nil.
func tappableWithText(o fyne.CanvasObject, text string) fyne.Tappable {
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	case *canvas.Text:
		return nil
	}
	for _, k := range kids {
		if t := tappableWithText(k, text); t != nil {
			return t
		}
	}
	if t, ok := o.(fyne.Tappable); ok && showsText(o, text) {
		return t
	}
	return nil
}

func showsText(o fyne.CanvasObject, text string) bool {
	switch x := o.(type) {
	case *canvas.Text:
		return x.Text == text
	case *fyne.Container:
		for _, k := range x.Objects {
			if showsText(k, text) {
				return true
			}
		}
	case fyne.Widget:
		for _, k := range test.WidgetRenderer(x).Objects() {
			if showsText(k, text) {
				return true
			}
		}
	}
	return false
}

// Issue 14, item 3: a protocol chosen with the mouse, then Enter,
// proposes (the select keeps the focus and passes Enter on).
func TestEnterAfterChoosingProtocolWithMouse(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 1})
	c := f.Env.Window.Canvas()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) { v.TypedKey(ev) }) // as the shell does
	test.Type(v.search, "avery")
	enter(v.search)
	test.Tap(v.protocol)
	menu := c.Overlays().Top()
	if menu == nil {
		t.Fatal("tapping the protocol opened no list")
	}
	item := tappableWithText(menu, kapStandard)
	if item == nil {
		t.Fatalf("no %q in the list", kapStandard)
	}
	test.Tap(item)
	if v.protocol.Selected != kapStandard || c.Overlays().Top() != nil {
		t.Fatalf("protocol=%q, list open %v", v.protocol.Selected, c.Overlays().Top() != nil)
	}
	pressKey(c, fyne.KeyReturn)
	if len(v.rows) != 15 || v.current() == nil || v.current().Protocol.ID != "kap-standard" {
		t.Fatalf("Enter after choosing with the mouse: rows=%d problem %q", len(v.rows), v.formProblem.Text)
	}
	if c.Focused() != nil {
		t.Fatalf("focus=%T after the proposal, want none: Enter books", c.Focused())
	}
	pressKey(c, fyne.KeyReturn)
	if got := stored(t, f, f.Patients[0].ID); len(got) != 15 {
		t.Fatalf("Enter on Book stored %d appointments, want 15", len(got))
	}
}

// The protocol of the patient's last series is chosen with the patient,
// and the focus goes to the protocol, where Enter proposes.
func TestPatientsUsualProtocol(t *testing.T) {
	f, v := newView(t, kittest.Options{Patients: 2, Booked: true})
	test.Type(v.search, "blake")
	enter(v.search)
	if v.protocol.Selected != v.protocolByIDName("kap-iv") {
		t.Fatalf("protocol=%q for Blake, whose series is kap-iv", v.protocol.Selected)
	}
	if f.Env.Window.Canvas().Focused() != nil {
		t.Fatalf("focus=%T after choosing the patient, want none: Enter proposes", f.Env.Window.Canvas().Focused())
	}
	// ← → choose another protocol, in the list's order.
	i := v.protocol.SelectedIndex()
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
	if got := v.protocol.SelectedIndex(); got != (i+1)%len(v.protocols) {
		t.Fatalf("→ chose protocol %d, want %d", got, (i+1)%len(v.protocols))
	}
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	if got := v.protocol.SelectedIndex(); got != i {
		t.Fatalf("← chose protocol %d, want %d back", got, i)
	}
	// 1 to 9: the protocol at that place in the list; past the last,
	// nothing.
	for n := range v.protocol.Options {
		if !v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyName(string(rune('1' + n)))}) || v.protocol.SelectedIndex() != n {
			t.Fatalf("%d chose protocol %d, want %d", n+1, v.protocol.SelectedIndex(), n)
		}
	}
	past := fyne.KeyName(string(rune('1' + len(v.protocol.Options))))
	if v.TypedKey(&fyne.KeyEvent{Name: past}) || v.protocol.SelectedIndex() != len(v.protocol.Options)-1 {
		t.Fatalf("%s, past the last protocol, chose %d", past, v.protocol.SelectedIndex())
	}
	// A protocol chosen first stays.
	v.Start(0)
	v.ChooseProtocol("kap-standard")
	test.Type(v.search, "blake")
	enter(v.search)
	if v.protocol.Selected != kapStandard {
		t.Fatalf("protocol=%q, want the one chosen before the patient", v.protocol.Selected)
	}
}

// proposeForTueThuMornings opens the Book screen on the demo clinic with
// one patient who prefers Tuesday and Thursday mornings, and proposes the
// standard series for them: some appointments miss the preference.
func proposeForTueThuMornings(t *testing.T) (*kittest.Fixture, *View) {
	t.Helper()
	f, v := newView(t, kittest.Options{Patients: 1})
	ctx := context.Background()
	p := f.Patients[0]
	p.Preferences = booking.Preferences{Weekdays: []string{"tue", "thu"}, TimesOfDay: []string{booking.Morning}}
	if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.SavePatient(ctx, p) }); err != nil {
		t.Fatal(err)
	}
	choose(t, v, "avery")
	test.Tap(v.propose)
	return f, v
}

// Issue 14, item 4: a patient who prefers Tue/Thu mornings gets two
// integrations at noon; the proposal marks them with the reason, and
// widening the slack right there honours the preferences.
func TestPreferenceMissesMarkedAndSlackWidened(t *testing.T) {
	f, v := proposeForTueThuMornings(t)
	if len(v.rows) != 15 {
		t.Fatalf("rows=%d, problem %q", len(v.rows), v.problem.Text)
	}
	const why = "not Tue/Thu morning: nothing free within 2 days' slack"
	marked := 0
	for i, r := range v.rows {
		a := v.shown[i]
		local := a.Start.In(kittest.Now.Location())
		wd := local.Format("Mon")
		honoured := (wd == "Tue" || wd == "Thu") && local.Hour() < 12
		if strings.Contains(r, a.Label()+" · "+why+" · ") == honoured {
			t.Errorf("row %q: marked %v", r, !honoured)
		}
		if !honoured {
			marked++
		}
	}
	if marked == 0 {
		t.Fatal("no appointment misses the preferences; the test needs one")
	}
	if !v.prefBox.Visible() || !strings.HasPrefix(v.prefNote.Text, kit.Plural(marked, "appointment misses", "appointments miss")+" the preferred Tue/Thu morning") ||
		v.slackDays.Text != "7" {
		t.Fatalf("note %q (shown %v), slack %q", v.prefNote.Text, v.prefBox.Visible(), v.slackDays.Text)
	}
	test.AssertRendersToMarkup(t, "proposal-misses.xml", f.Env.Window.Canvas())
	// At 1024 × 700 the screen has 884 px beside the navigation: the
	// form and the proposal with its slack row fit side by side.
	if w := v.Content().MinSize().Width; w > 1024-140 {
		t.Errorf("with misses the screen needs %.0f px, more than the %d at 1024 px", w, 1024-140)
	}
	before := v.current()
	test.Tap(v.widen)
	after := v.current()
	if after == nil || after == before || len(after.Moved(before)) == 0 {
		t.Fatal("widening the slack did not change the proposal")
	}
	if v.prefBox.Visible() || len(v.misses) != 0 {
		t.Fatalf("with 7 days' slack: %d misses, note %q", len(v.misses), v.prefNote.Text)
	}
	if after.Request.SlackDays == nil || *after.Request.SlackDays != 7 {
		t.Fatalf("slack asked %v, want 7", after.Request.SlackDays)
	}
	// A slack out of range is refused in words, and nothing is proposed.
	v.slackDays.SetText("30")
	enter(v.slackDays)
	if v.current() != after {
		t.Fatal("a slack of 30 days proposed anew")
	}
}

// Issue 14, item 5: the proposal's rows are columns that fit their
// content; the reason for a missed preference and the staff are cells
// of their own, and a cut one shows its whole text on hover.
func TestProposalColumnsShowWholeOnHover(t *testing.T) {
	f, v := proposeForTueThuMornings(t)
	if len(v.rows) != 15 || len(v.misses) == 0 {
		t.Fatalf("rows=%d misses=%d, want 15 rows and a miss; problem %q", len(v.rows), len(v.misses), v.problem.Text)
	}
	w := f.Env.Window
	// As the shell does: cut texts show whole on the window's tip layer.
	tipped := kit.NewTipped(v.Content())
	w.SetContent(tipped)
	// Narrow enough that the reason is cut.
	w.Resize(fyne.NewSize(1024, 700))
	w.Content().Refresh()
	const why = "not Tue/Thu morning: nothing free within 2 days' slack"
	var (
		cut *widget.Label
		row *kit.HoverRow
	)
	staff := map[string]bool{}
	for _, a := range v.shown {
		staff[rowCells(a, kittest.Now.Location(), "")[colStaff]] = true
	}
	shownStaff := 0
	for _, o := range test.LaidOutObjects(v.list) {
		r, ok := o.(*kit.HoverRow)
		if !ok || !r.Visible() {
			continue
		}
		for _, x := range r.Row.Objects {
			l, ok := x.(*widget.Label)
			if !ok || !l.Visible() {
				continue
			}
			if staff[l.Text] {
				shownStaff++
			}
			if l.Text == why && kit.Cut(l) && cut == nil {
				cut, row = l, r
			}
		}
	}
	if shownStaff == 0 {
		t.Fatal("no row has the staff names in a cell of their own")
	}
	if cut == nil {
		t.Fatalf("no row shows %q cut short in a cell of its own at 1024 px", why)
	}
	// The pointer comes to rest on the cut reason.
	row.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: cut.Position().Add(fyne.NewPos(10, 10))}})
	if got := tipped.Tip(); got != why {
		t.Fatalf("hover shows %q, want the whole reason %q", got, why)
	}
}
