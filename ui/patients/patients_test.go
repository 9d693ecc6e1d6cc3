package patients

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// open returns a fixture and the screen shown in its window.
func open(t *testing.T, o kittest.Options) (*kittest.Fixture, *View) {
	t.Helper()
	f := kittest.New(t, o)
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Refresh() // as the shell does when the screen first shows
	if v.index == nil {
		t.Fatal("the list did not load")
	}
	return f, v
}

// listed returns the names the list shows.
func listed(v *View) []string {
	out := []string{}
	for i := 0; i < v.list.Length(); i++ {
		out = append(out, v.rows[i].Name)
	}
	return out
}

func TestSearchAsYouType(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 8})
	all := []string{"Avery Quinn", "Blake Morgan", "Casey Rivera", "Devon Brooks", "Emery Patel", "Finley Chen", "Gray Okoro", "Harper Lund"}
	if got := listed(v); !slices.Equal(got, all) {
		t.Fatalf("list=%q, want every patient by name %q", got, all)
	}
	if v.count.Text != "8 patients" {
		t.Fatalf("count=%q, want 8 patients", v.count.Text)
	}
	for _, tt := range []struct {
		name, typed string
		want        []string
		count       string
	}{
		{"Name", "ey", []string{"Casey Rivera", "Finley Chen"}, "2 matches"},
		{"NameNarrows", "rive", []string{"Casey Rivera"}, "1 match"},
		{"NameOtherCase", "OKORO", []string{"Gray Okoro"}, "1 match"},
		{"TwoWords", "chen fin", []string{"Finley Chen"}, "1 match"},
		{"Email", "harper.lund@", []string{"Harper Lund"}, "1 match"},
		{"EmailDomain", "example.org", all, "8 matches"},
		{"PhoneAsStored", "555 0104", []string{"Devon Brooks"}, "1 match"},
		{"PhoneOtherPunctuation", "(617) 555-0107", []string{"Gray Okoro"}, "1 match"},
		{"PhoneDigits", "5550102", []string{"Blake Morgan"}, "1 match"},
		{"NoMatch", "zebra", []string{}, "No patient matches “zebra”. Check the spelling, or add them with New patient."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v.search.SetText("")
			f.Env.Window.Canvas().Focus(v.search)
			test.Type(v.search, tt.typed)
			if got := listed(v); !slices.Equal(got, tt.want) {
				t.Fatalf("typed %q: list=%q, want %q", tt.typed, got, tt.want)
			}
			if v.count.Text != tt.count {
				t.Fatalf("typed %q: count=%q, want %q", tt.typed, v.count.Text, tt.count)
			}
		})
	}

	t.Run("EnterOpensFirst", func(t *testing.T) {
		v.search.SetText("")
		test.Type(v.search, "morgan")
		v.search.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if v.w.name == nil || v.w.name.Text != "Blake Morgan" {
			t.Fatalf("Enter showed %v, want Blake Morgan's page", v.w.name)
		}
	})
	t.Run("SelectOpens", func(t *testing.T) {
		v.search.SetText("")
		v.list.Select(6)
		if v.current != f.Patients[6].ID || v.w.name.Text != "Gray Okoro" {
			t.Fatalf("selecting row 6 showed patient %d, want Gray Okoro (%d)", v.current, f.Patients[6].ID)
		}
	})
	t.Run("Find", func(t *testing.T) {
		f.Env.Window.Canvas().Unfocus()
		v.Find()
		if f.Env.Window.Canvas().Focused() != v.search {
			t.Fatal("Find did not focus the search field")
		}
	})
}

// A patient added elsewhere (Changed) appears in the list without
// reopening the screen.
func TestListReloadsOnChange(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 2})
	p := &booking.Patient{Name: "Zoe Adler", Email: "zoe@example.org"}
	if err := f.Env.Service.AddPatient(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	f.Env.Changed()
	test.Type(v.search, "adler")
	if got := listed(v); !slices.Equal(got, []string{"Zoe Adler"}) {
		t.Fatalf("list=%q, want the new patient", got)
	}
}

// A change that cannot touch a patient's name, email or phone (here a
// booking) does not reload the list; an edit does.
func TestListReloadsOnlyWhenPatientsChange(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 2})
	ctx := context.Background()
	before := v.index
	if _, err := f.Env.Service.BookSeries(ctx, booking.BookRequest{PatientID: f.Patients[0].ID, ProtocolID: "kap-iv"}); err != nil {
		t.Fatal(err)
	}
	f.Env.Changed()
	if v.index != before {
		t.Fatal("a booking reloaded the patient list")
	}
	p := *f.Patients[1]
	p.Name = "Blake Morgan-Reyes"
	if err := f.Env.Service.UpdatePatient(ctx, &p); err != nil {
		t.Fatal(err)
	}
	f.Env.Changed()
	if v.index == before {
		t.Fatal("a patient's new name did not reload the list")
	}
	test.Type(v.search, "reyes")
	if got := listed(v); !slices.Equal(got, []string{"Blake Morgan-Reyes"}) {
		t.Fatalf("list=%q, want the new name", got)
	}
}

// completeFirst marks a series' first appointment completed, with a
// service whose clock stands after it ends.
func completeFirst(t *testing.T, f *kittest.Fixture, s *booking.Series) *booking.Appointment {
	t.Helper()
	a := s.Appts[0]
	later := &booking.Service{Store: f.DB, Now: func() time.Time { return a.End.Add(time.Hour) }, Actor: "Front desk"}
	done, err := later.SetStatus(context.Background(), a.ID, booking.Completed)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func TestPatientPage(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 2, Booked: true})
	ctx := context.Background()
	p, s := f.Patients[0], f.Series[0]
	completeFirst(t, f, s)
	cancelled, err := f.Env.Service.Cancel(ctx, booking.CancelRequest{AppointmentID: s.Appts[len(s.Appts)-1].ID, By: booking.ByPatient, Reason: "Patient asked"})
	if err != nil {
		t.Fatal(err)
	}
	v.Show(p.ID)

	if v.w.name.Text != "Avery Quinn" || v.w.email.Text != "avery.quinn@example.org" || v.w.phone.Text != "+1 617 555 0101" {
		t.Fatalf("page shows %q %q %q, want Avery Quinn's details", v.w.name.Text, v.w.email.Text, v.w.phone.Text)
	}
	if len(v.w.series) != 1 {
		t.Fatalf("series shown=%d, want 1", len(v.w.series))
	}
	card := v.w.series[0]
	if want := "KAP standard (IM or sublingual), from " + dateText(s.From); !strings.HasPrefix(card.title.Text, want) {
		t.Fatalf("series title %q, want it to start %q", card.title.Text, want)
	}
	if want := "Consultation 1/1 done · Preparation 0/2 done · Dosing 0/6 done · Integration 0/6 done"; card.steps.Text != want {
		t.Fatalf("steps %q, want %q", card.steps.Text, want)
	}
	if got, want := card.bar.TextFormatter(), "1 of 14 done, 1 cancelled"; got != want {
		t.Fatalf("progress %q, want %q", got, want)
	}
	if got := card.bar.Value; got != 1.0/14 {
		t.Fatalf("progress bar at %v, want 1/14", got)
	}

	// The rows match the store: the active appointments to come, soonest
	// first; then the completed and cancelled ones, latest first.
	stored, err := f.DB.Appointments(ctx, booking.AppointmentFilter{PatientID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	clinic, err := f.DB.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wantUp, wantPast []string
	for _, a := range stored {
		start := a.Start.In(clinic.Location())
		row := fmt.Sprintf("%d %s %s %s", a.ID, start.Format("Mon 2 Jan 2006"), a.Label(), a.Status.Words())
		if a.Status == booking.Booked {
			wantUp = append(wantUp, row)
		} else {
			wantPast = append([]string{row}, wantPast...)
		}
	}
	rows := func(rs []*apptRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%d %s %s %s", r.id, r.cells[0].Text, r.cells[2].Text, r.cells[5].Text))
		}
		return out
	}
	if got := rows(v.w.upcoming); !slices.Equal(got, wantUp) {
		t.Fatalf("upcoming rows\n%q\nwant\n%q", got, wantUp)
	}
	if got := rows(v.w.past); !slices.Equal(got, wantPast) {
		t.Fatalf("past rows\n%q\nwant\n%q", got, wantPast)
	}
	if len(wantUp) != 13 || len(wantPast) != 2 || v.w.past[0].id != cancelled[0].ID {
		t.Fatalf("upcoming %d, past %d (first %d), want 13 and 2 with the cancelled one first", len(wantUp), len(wantPast), v.w.past[0].id)
	}
	next := v.w.upcoming[0]
	if want := "Next: " + stored[1].Label() + ", "; !strings.HasPrefix(card.next.Text, want) || !strings.Contains(card.next.Text, next.cells[0].Text) {
		t.Fatalf("next %q, want %q on %s", card.next.Text, want, next.cells[0].Text)
	}
	// Staff and time are shown as stored.
	first := stored[1]
	if got := v.w.upcoming[0].cells[3].Text; got != first.Staff[0].Name && !strings.HasPrefix(got, first.Staff[0].Name+", ") {
		t.Fatalf("staff cell %q, want it to name %s", got, first.Staff[0].Name)
	}

	test.Tap(v.w.upcoming[2].open)
	if want := fmt.Sprintf("appointment %d", v.w.upcoming[2].id); f.Nav.Last() != want {
		t.Fatalf("Open went to %q, want %q", f.Nav.Last(), want)
	}
	test.Tap(v.w.book)
	if want := fmt.Sprintf("booking %d", p.ID); f.Nav.Last() != want {
		t.Fatalf("Book a series went to %q, want %q", f.Nav.Last(), want)
	}

	// A series cancelled after screening says so.
	all, err := f.Env.Service.Cancel(ctx, booking.CancelRequest{SeriesID: f.Series[1].ID, By: booking.ByClinic, Reason: "Not suitable"})
	if err != nil {
		t.Fatal(err)
	}
	v.Show(f.Patients[1].ID)
	card = v.w.series[0]
	if got, want := card.bar.TextFormatter(), fmt.Sprintf("Cancelled: %d appointments", len(all)); got != want {
		t.Fatalf("progress %q, want %q", got, want)
	}
	if card.next.Text != "No appointment to come." || len(v.w.upcoming) != 0 || len(v.w.past) != len(all) {
		t.Fatalf("cancelled series: next %q, %d upcoming, %d past", card.next.Text, len(v.w.upcoming), len(v.w.past))
	}
}

func TestPatientPageErrors(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 1})
	v.Show(999)
	if v.w.problem == nil || !strings.HasPrefix(v.w.problem.Text, "This patient cannot be shown: ") ||
		strings.Contains(v.w.problem.Text, "sql") {
		t.Fatalf("unknown patient shows %v, want a plain-words problem", v.w.problem)
	}
	v.Show(1)
	test.Tap(v.w.export)
	if !strings.Contains(dialogText(t, f.Env.Window.Canvas()), "Avery Quinn has no appointments to export yet.") {
		t.Fatal("exporting a patient without appointments did not say why not")
	}
	if v.w.noUpcoming == nil || v.w.noUpcoming.Text != "None booked." || len(v.w.series) != 0 {
		t.Fatalf("a patient without series shows %d series, no-upcoming %v", len(v.w.series), v.w.noUpcoming)
	}
}

// dialogText returns the texts of the labels in the top overlay (a dialog).
func dialogText(t *testing.T, c fyne.Canvas) string {
	t.Helper()
	top := c.Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shown")
	}
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
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
	walk(top)
	return strings.Join(out, "\n")
}

// findButton returns the button labelled text in the top overlay (a
// dialog), or nil.
func findButton(c fyne.Canvas, text string) *widget.Button {
	top := c.Overlays().Top()
	if top == nil {
		return nil
	}
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := kit.AsButton(o); ok && b.Text == text && found == nil {
			found = b
		}
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
	walk(top)
	return found
}

func TestConsents(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 1})
	ctx := context.Background()
	id := f.Patients[0].ID
	v.Show(id)
	row := v.w.consents["detailed-email"]
	if row.state.Text != "Not recorded" || row.button.Text != "Record as given today" {
		t.Fatalf("detailed email shows %q [%s], want not recorded", row.state.Text, row.button.Text)
	}
	test.Tap(row.button)

	p, err := f.DB.Patient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	today := booking.DateOf(kittest.Now)
	if p.Consents.DetailedEmail == nil || *p.Consents.DetailedEmail != today {
		t.Fatalf("stored detailed-email consent %v, want %s", p.Consents.DetailedEmail, today)
	}
	if p.Consents.NoEmail != nil || p.Consents.ScreeningCleared != nil || p.Consents.REMSEnrolled != nil {
		t.Fatalf("other consents changed: %+v", p.Consents)
	}
	row = v.w.consents["detailed-email"]
	if row.state.Text != "Given Mon 1 Mar 2027" || row.button.Text != "Withdraw" {
		t.Fatalf("after recording the page shows %q [%s], want Given Mon 1 Mar 2027 [Withdraw]", row.state.Text, row.button.Text)
	}
	if !v.status.Visible() || v.status.Text != "Detailed email recorded as given on Mon 1 Mar 2027." {
		t.Fatalf("status %q, want it to say what was recorded", v.status.Text)
	}

	// Withdrawing asks first.
	test.Tap(row.button)
	if p, _ := f.DB.Patient(ctx, id); p.Consents.DetailedEmail == nil {
		t.Fatal("withdrawn before the user confirmed")
	}
	yes := findButton(f.Env.Window.Canvas(), "Withdraw")
	if yes == nil {
		t.Fatal("no confirmation dialog with a Withdraw button")
	}
	test.Tap(yes)
	if p, _ := f.DB.Patient(ctx, id); p.Consents.DetailedEmail != nil {
		t.Fatalf("still stored after withdrawing: %v", p.Consents.DetailedEmail)
	}
	if row := v.w.consents["detailed-email"]; row.state.Text != "Not recorded" {
		t.Fatalf("after withdrawing the page shows %q", row.state.Text)
	}

	// No email shows a warning on the page.
	test.Tap(v.w.consents["no-email"].button)
	if v.w.noEmail == nil || !strings.Contains(v.w.noEmail.Text, "sends nothing") {
		t.Fatal("no warning on the page of a patient who wants no email")
	}
}

func TestEditContact(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 2})
	ctx := context.Background()
	id := f.Patients[0].ID
	v.Show(id)
	audits := func() int {
		list, err := f.DB.Audit(ctx, booking.AuditFilter{PatientID: id})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	before, n := f.Patients[0], audits()

	test.Tap(v.w.edit)
	e := v.edit
	if e == nil || e.email.Text != "avery.quinn@example.org" || e.name.Text != "Avery Quinn" {
		t.Fatal("the dialog does not hold the patient's details")
	}

	t.Run("ErrBadEmail", func(t *testing.T) {
		e.email.SetText("")
		test.Type(e.email, "avery at example")
		test.Tap(e.save)
		if !e.problem.Visible() || !strings.Contains(e.problem.Text, "is not a valid email address; write it as name@example.org") {
			t.Fatalf("problem %q (shown %v), want the address refused in words", e.problem.Text, e.problem.Visible())
		}
		if f.Env.Window.Canvas().Overlays().Top() == nil {
			t.Fatal("the dialog closed on an error")
		}
		p, err := f.DB.Patient(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != before.Email || p.Name != before.Name || audits() != n {
			t.Fatalf("stored %q, audits %d→%d: a refused edit changed something", p.Email, n, audits())
		}
	})

	t.Run("OK", func(t *testing.T) {
		e.email.SetText("")
		test.Type(e.email, "avery.q@example.net")
		e.phone.SetText("")
		test.Type(e.phone, "617-555-0199")
		e.prefs.days.SetSelected([]string{"Wed", "Mon"})
		e.prefs.times.SetSelected([]string{"Mornings"})
		e.phone.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter saves
		p, err := f.DB.Patient(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != "avery.q@example.net" || p.Phone != "617-555-0199" || p.Name != "Avery Quinn" {
			t.Fatalf("stored %q %q %q, want the new email and phone", p.Name, p.Email, p.Phone)
		}
		if !slices.Equal(p.Preferences.Weekdays, []string{"mon", "wed"}) || !slices.Equal(p.Preferences.TimesOfDay, []string{"morning"}) {
			t.Fatalf("stored preferences %+v, want mon, wed mornings", p.Preferences)
		}
		if v.w.prefs.Text != "Mon, Wed · mornings" {
			t.Fatalf("page shows preferences %q", v.w.prefs.Text)
		}
		if audits() != n+1 {
			t.Fatalf("audits %d, want %d", audits(), n+1)
		}
		if f.Env.Window.Canvas().Overlays().Top() != nil {
			t.Fatal("the dialog stayed open after saving")
		}
		if v.w.email.Text != "avery.q@example.net" || v.w.phone.Text != "617-555-0199" || v.status.Text != "Contact details saved." {
			t.Fatalf("page shows %q %q, status %q", v.w.email.Text, v.w.phone.Text, v.status.Text)
		}
		test.Type(v.search, "0199")
		if got := listed(v); !slices.Equal(got, []string{"Avery Quinn"}) {
			t.Fatalf("search by the new phone lists %q", got)
		}
	})

	t.Run("EscapeCancels", func(t *testing.T) {
		test.Tap(v.w.edit)
		e := v.edit
		e.name.SetText("Someone Else")
		e.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if f.Env.Window.Canvas().Overlays().Top() != nil {
			t.Fatal("Escape left the dialog open")
		}
		if p, _ := f.DB.Patient(ctx, id); p.Name != "Avery Quinn" {
			t.Fatalf("Escape stored the name %q", p.Name)
		}
	})
}

func TestExportCalendar(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 4, Booked: true})
	ctx := context.Background()
	p, s := f.Patients[3], f.Series[3] // esketamine: the words must not leak
	if _, err := f.Env.Service.Cancel(ctx, booking.CancelRequest{AppointmentID: s.Appts[2].ID, By: booking.ByPatient}); err != nil {
		t.Fatal(err)
	}
	active, err := f.DB.Appointments(ctx, booking.AppointmentFilter{PatientID: p.ID, ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != len(s.Appts)-1 {
		t.Fatalf("active=%d, want %d", len(active), len(s.Appts)-1)
	}
	v.Show(p.ID)
	path := filepath.Join(t.TempDir(), "appointments.ics")
	v.exportTo(p.ID, path)

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the export: %v", err)
	}
	events := cal.Events()
	if len(events) != len(active) {
		t.Fatalf("events=%d, want one per active appointment (%d)", len(events), len(active))
	}
	for i, ev := range events {
		start, err := ev.DateTimeStart(nil)
		if err != nil || !start.Equal(active[i].Start) {
			t.Fatalf("event %d starts %v (%v), want %v", i, start, err, active[i].Start)
		}
	}
	if calendar.Reveals(string(data)) || strings.Contains(string(data), "Devon") || strings.Contains(string(data), "REMS") {
		t.Fatal("the patient's calendar names the treatment or the patient")
	}
	if want := fmt.Sprintf("Calendar saved as %s: %d appointments", path, len(active)); !strings.HasPrefix(v.status.Text, want) {
		t.Fatalf("status %q, want it to start %q", v.status.Text, want)
	}

	t.Run("ErrNoFolder", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "missing", "a.ics")
		_, err := WriteCalendar(ctx, f.DB, p.ID, bad, kittest.Now)
		if msg := booking.ErrorMessage(err); msg != "The calendar could not be saved as "+bad+": its folder does not exist." {
			t.Fatalf("message %q", msg)
		}
	})
	t.Run("ErrFolder", func(t *testing.T) {
		dir := t.TempDir()
		_, err := WriteCalendar(ctx, f.DB, p.ID, dir, kittest.Now)
		if msg := booking.ErrorMessage(err); !strings.Contains(msg, "it is a folder") {
			t.Fatalf("message %q", msg)
		}
	})
	t.Run("ErrUnknownPatient", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.ics")
		_, err := WriteCalendar(ctx, f.DB, 999, path, kittest.Now)
		if booking.ErrorCode(err) != booking.ENOTFOUND {
			t.Fatalf("code %q, want not found", booking.ErrorCode(err))
		}
		if _, err := os.Stat(path); err == nil {
			t.Fatal("a file was written for an unknown patient")
		}
	})
	t.Run("ButtonAsksWhere", func(t *testing.T) {
		test.Tap(v.w.export)
		if f.Env.Window.Canvas().Overlays().Top() == nil {
			t.Fatal("Export calendar did not open a file dialog")
		}
	})
}

func TestPatientPageRender(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 1, Booked: true})
	completeFirst(t, f, f.Series[0])
	today := booking.DateOf(kittest.Now)
	if _, err := f.Env.Service.SetConsent(context.Background(), f.Patients[0].ID, "screening-cleared", &today); err != nil {
		t.Fatal(err)
	}
	v.Show(f.Patients[0].ID)
	test.AssertRendersToMarkup(t, "patient.xml", f.Env.Window.Canvas())
}

// Off the UI goroutine (as in the app, not inline as in the other
// tests), the list and the page arrive once the work is done.
func TestBackgroundLoad(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 3, Booked: true})
	f.Env.Inline = false
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Refresh()
	v.Show(f.Patients[1].ID)
	f.Env.Wait()
	if got := listed(v); len(got) != 3 {
		t.Fatalf("list=%q, want 3 patients", got)
	}
	if v.w.name == nil || v.w.name.Text != "Blake Morgan" || len(v.w.upcoming) != len(f.Series[1].Appts) {
		t.Fatalf("page not shown after the background load: %+v", v.w.name)
	}
	// A reload after a change runs without a progress dialog.
	p := *f.Patients[1]
	p.Name = "Blake Morgan-Reyes"
	if err := f.Env.Service.UpdatePatient(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	f.Env.Changed()
	f.Env.Wait()
	if got := listed(v); !slices.Contains(got, "Blake Morgan-Reyes") || v.w.name.Text != "Blake Morgan-Reyes" {
		t.Fatalf("after the quiet reload: list %q, page %q", got, v.w.name.Text)
	}
}

func TestNewPatient(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 2})
	ctx := context.Background()
	count := func() int {
		all, err := f.DB.FindPatients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	test.Type(v.search, "Jane Roe")
	if len(v.rows) != 0 {
		t.Fatalf("list=%q before adding", listed(v))
	}
	test.Tap(v.add)
	e := v.edit
	if e == nil || e.name.Text != "Jane Roe" || e.email.Text != "" {
		t.Fatal("the new-patient dialog does not start with the searched name")
	}
	test.Tap(e.save)
	if !strings.HasPrefix(e.problem.Text, "Patient email is not a valid address") || count() != 2 {
		t.Fatalf("without email: problem %q, %d patients stored, want a refusal and 2", e.problem.Text, count())
	}
	test.Type(e.email, "jane.roe@example.org")
	test.Tap(e.save)
	found, err := f.DB.FindPatients(ctx, "jane.roe@example.org")
	if err != nil || len(found) != 1 || found[0].Name != "Jane Roe" {
		t.Fatalf("stored %v (%v), want Jane Roe", found, err)
	}
	if v.current != found[0].ID || v.w.name.Text != "Jane Roe" || v.status.Text != "Patient added." {
		t.Fatalf("shows patient %d %q, status %q; want the new patient's page", v.current, v.w.name.Text, v.status.Text)
	}
	if got := listed(v); !slices.Equal(got, []string{"Jane Roe"}) {
		t.Fatalf("list=%q, want the new patient", got)
	}
}

// TestWithdrawREMS: withdrawing the enrolment of a patient with esketamine
// sessions booked lists them and can cancel them.
func TestWithdrawREMS(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 4, Booked: true})
	ctx := context.Background()
	devon := f.Patients[3] // esketamine-induction, enrolled
	v.Show(devon.ID)
	test.Tap(v.w.consents["rems-enrolled"].button)
	rd := v.rems
	if rd == nil {
		t.Fatal("no question about the booked sessions")
	}
	if p, _ := f.DB.Patient(ctx, devon.ID); p.Consents.REMSEnrolled == nil {
		t.Fatal("withdrawn before the front desk answered")
	}
	test.Tap(rd.cancel)
	p, err := f.DB.Patient(ctx, devon.ID)
	if err != nil || p.Consents.REMSEnrolled != nil {
		t.Fatalf("enrolment after withdrawing: %v, %v", p.Consents.REMSEnrolled, err)
	}
	appts, err := f.DB.Appointments(ctx, booking.AppointmentFilter{PatientID: devon.ID})
	if err != nil {
		t.Fatal(err)
	}
	cancelled := 0
	for _, a := range appts {
		if a.NeedsREMS && a.Status == booking.Booked {
			t.Fatalf("%s is still booked", a.Label())
		}
		if a.NeedsREMS && a.Status == booking.Cancelled && a.CancelledBy == booking.ByClinic {
			cancelled++
		}
	}
	if cancelled != 12 || !strings.Contains(v.status.Text, "12 booked sessions cancelled") {
		t.Fatalf("cancelled %d sessions, status %q; want all 12", cancelled, v.status.Text)
	}
}
