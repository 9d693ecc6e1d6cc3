package schedule

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// open returns a fixture of 8 booked patients and the schedule shown in
// its window at the week after kittest.Now (the first dosing week).
func open(t testing.TB) (*kittest.Fixture, *View) {
	t.Helper()
	f := kittest.New(t, kittest.Options{Patients: 8, Booked: true})
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.ShowDay(date(t, "2027-03-08"))
	return f, v
}

func date(t testing.TB, s string) booking.Date {
	t.Helper()
	d, err := booking.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// find returns the stored appointment of the fixture's patient i (0-based)
// with the given label, e.g. "Dosing 1/6".
func find(t testing.TB, f *kittest.Fixture, i int, label string) *booking.Appointment {
	t.Helper()
	sr, err := f.DB.Series(context.Background(), f.Series[i].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range sr.Appts {
		if a.Label() == label {
			return a
		}
	}
	t.Fatalf("%s has no %s", f.Patients[i].Name, label)
	return nil
}

// stored reads an appointment back from the database.
func stored(t testing.TB, f *kittest.Fixture, id int64) *booking.Appointment {
	t.Helper()
	a, err := f.DB.Appointment(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tapBlock taps the block of appointment id on the grid.
func tapBlock(t testing.TB, v *View, id int64) {
	t.Helper()
	pos, ok := v.grid.blockAt(id)
	if !ok {
		t.Fatalf("appointment %d is not drawn", id)
	}
	test.TapAt(v.grid, pos)
}

// dialogTexts returns the label texts of the dialog on top of the window.
func dialogTexts(t *testing.T, w fyne.Window) []string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return nil
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
			r := test.TempWidgetRenderer(t, x)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(top)
	return out
}

// gridTexts returns every text drawn on the grid.
func gridTexts(v *View) []string {
	var out []string
	for _, l := range v.grid.labels {
		out = append(out, l.s)
	}
	return out
}

func TestWeek_Blocks(t *testing.T) {
	f, v := open(t)
	if got := v.title.Text; got != "Week of Mon 8 Mar 2027" {
		t.Fatalf("title=%q", got)
	}
	// Avery Quinn's first dosing, as the front desk sees it: time and
	// initials, step, room.
	a := find(t, f, 0, "Dosing 1/6")
	want := []string{a.Start.In(a.Start.Location()).Format("15:04") + " A.Q.", "Dosing 1/6", a.RoomName}
	if got := v.grid.texts[a.ID]; !slices.Equal(got, want) {
		t.Fatalf("block text=%q, want %q", got, want)
	}
	// Every active appointment of the week is drawn, and nothing else.
	ctx := context.Background()
	loc := f.Env.Time().Location()
	appts, err := f.DB.Appointments(ctx, booking.AppointmentFilter{From: date(t, "2027-03-08").At(0, loc), To: date(t, "2027-03-15").At(0, loc), ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var wantIDs, gotIDs []int64
	for _, a := range appts {
		wantIDs = append(wantIDs, a.ID)
	}
	for _, h := range v.grid.hits {
		if !slices.Contains(gotIDs, h.id) {
			gotIDs = append(gotIDs, h.id)
		}
	}
	slices.Sort(wantIDs)
	slices.Sort(gotIDs)
	if len(wantIDs) < 20 || !slices.Equal(gotIDs, wantIDs) {
		t.Fatalf("drawn %d appointments %v, want %d %v", len(gotIDs), gotIDs, len(wantIDs), wantIDs)
	}
	// A dosing shows in its therapist's and its prescriber's columns.
	n := 0
	for _, h := range v.grid.hits {
		if h.id == a.ID {
			n++
		}
	}
	if n != len(a.Staff) {
		t.Fatalf("dosing drawn in %d columns, want %d (one per staff member)", n, len(a.Staff))
	}
	// The legend names every kind in words.
	var legend []string
	for _, o := range v.legend.Objects {
		if l, ok := o.(*widget.Label); ok {
			legend = append(legend, l.Text)
		}
	}
	for _, k := range []string{"Consultation", "Preparation", "Dosing", "Infusion", "Integration", "Proposed", "Closed", "Time off"} {
		if !slices.Contains(legend, k) {
			t.Fatalf("legend %q lacks %s", legend, k)
		}
	}
}

func TestWeek_Golden(t *testing.T) {
	// The date picker writes dates the system locale's way (8/3 or 3/8):
	// render as in the United States, whatever the machine's locale.
	t.Setenv("LC_ALL", "en_US.UTF-8")
	f, _ := open(t)
	test.AssertRendersToMarkup(t, "week.xml", f.Env.Window.Canvas())
	// Block text is drawn into rasters, which markup does not show: the
	// image shows it.
	test.AssertImageMatches(t, "week.png", f.Env.Window.Canvas().Capture())
}

func TestColumns_Toggle(t *testing.T) {
	f, v := open(t)
	v.viewMode.SetSelected(viewDay)
	names := func() []string {
		var out []string
		for _, c := range v.grid.m.cols[0] {
			out = append(out, c.name)
		}
		return out
	}
	staff, err := f.DB.StaffList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range staff {
		want = append(want, s.Name)
	}
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("staff columns=%q, want %q", got, want)
	}
	v.colMode.SetSelected(colsRooms)
	rooms, err := f.DB.Rooms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want = want[:0]
	for _, r := range rooms {
		want = append(want, r.Name)
	}
	if got := names(); !slices.Equal(got[:len(want)], want) {
		t.Fatalf("room columns=%q, want %q first", got, want)
	}
	// In the room view a block names its staff instead of its room.
	a := find(t, f, 0, "Dosing 1/6")
	if got := v.grid.texts[a.ID]; len(got) != 3 || !strings.Contains(got[2], a.Staff[0].Name) {
		t.Fatalf("room-view block text=%q, want the staff named", got)
	}
	hits := 0
	for _, h := range v.grid.hits {
		if h.id == a.ID {
			hits++
		}
	}
	if hits != 1 {
		t.Fatalf("dosing drawn in %d room columns, want 1", hits)
	}
}

func TestNavigation(t *testing.T) {
	f, v := open(t)
	test.Tap(v.next)
	if got := v.title.Text; got != "Week of Mon 15 Mar 2027" {
		t.Fatalf("after next: title=%q", got)
	}
	test.Tap(v.prev)
	test.Tap(v.prev)
	if got := v.title.Text; got != "Week of Mon 1 Mar 2027" {
		t.Fatalf("after prev twice: title=%q", got)
	}
	test.Tap(v.next)
	test.Tap(v.today)
	if got := v.title.Text; got != "Week of Mon 1 Mar 2027" || v.day != booking.DateOf(kittest.Now) {
		t.Fatalf("after today: title=%q day=%s", got, v.day)
	}
	// Today is marked, and the now-line stands at 09:00 across it.
	if v.grid.todayMark == nil || v.grid.nowLine == nil {
		t.Fatal("today is not marked")
	}
	if y := v.grid.nowLine.Position().Y + 1; y != v.grid.yAt(9*60) {
		t.Fatalf("now-line at y=%v, want %v (09:00)", y, v.grid.yAt(9*60))
	}
	// The date picker moves the schedule; the day view steps a day.
	d := time.Date(2027, 5, 31, 0, 0, 0, 0, time.UTC)
	v.date.SetDate(&d)
	v.viewMode.SetSelected(viewDay)
	if got := v.title.Text; got != "Mon 31 May 2027" {
		t.Fatalf("after picking a date: title=%q", got)
	}
	if !slices.Contains(gridTexts(v), "Closed: Memorial Day") {
		t.Fatalf("closure not shown on Memorial Day: %q", gridTexts(v))
	}
	test.Tap(v.next)
	if got := v.title.Text; got != "Tue 1 Jun 2027" {
		t.Fatalf("day view next: title=%q", got)
	}
	if len(v.grid.m.days) != 1 {
		t.Fatalf("day view shows %d days", len(v.grid.m.days))
	}
	_ = f
}

func TestShading_TimeOffAndBusy(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	loc := f.Env.Time().Location()
	staff, err := f.DB.StaffList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := staff[1] // Sam Okafor
	s.TimeOff = []booking.Interval{{Start: date(t, "2027-03-12").At(9*60, loc), End: date(t, "2027-03-12").At(13*60, loc), Reason: "dentist"}}
	s.Busy = []booking.Interval{{Start: date(t, "2027-03-11").At(14*60, loc), End: date(t, "2027-03-11").At(15*60, loc)}}
	if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.SaveStaff(ctx, s) }); err != nil {
		t.Fatal(err)
	}
	f.Env.Changed()
	texts := gridTexts(v)
	if !slices.Contains(texts, "Time off") || !slices.Contains(texts, "Busy") {
		t.Fatalf("time off or busy not shaded: %q", texts)
	}
	// They show in that person's column on those days.
	fri := slices.Index(v.grid.m.days, date(t, "2027-03-12"))
	if fri < 0 || !slices.ContainsFunc(v.grid.m.cols[fri], func(c column) bool { return c.staff != nil && c.staff.ID == s.ID }) {
		t.Fatalf("Friday lacks %s's column", s.Name)
	}
}

func TestSelect_Details(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, a.ID)
	d := v.details
	if d.body.Hidden || d.patient.Text != "A.Q." {
		t.Fatalf("details hidden=%v patient=%q", d.body.Hidden, d.patient.Text)
	}
	loc := f.Env.Time().Location()
	for field, want := range map[string]string{
		"Kind":   "Dosing",
		"Step":   "Dosing 1/6",
		"Time":   a.Start.In(loc).Format("Mon 2 Jan 2006, 15:04") + "–" + a.End.In(loc).Format("15:04"),
		"Room":   a.RoomName,
		"Status": "Booked",
		"Escort": "Missing: record it before the patient checks in",
	} {
		if got := d.fields[field].Text; got != want {
			t.Errorf("%s=%q, want %q", field, got, want)
		}
	}
	if got := d.fields["Staff"].Text; !strings.Contains(got, a.Staff[0].Name) {
		t.Errorf("Staff=%q, want %s", got, a.Staff[0].Name)
	}
	emails := d.fields["Emails"].Text
	if !strings.Contains(emails, "Confirmation: due") || !strings.Contains(emails, "Reminder: due") || !strings.Contains(emails, "Preparation: due") {
		t.Errorf("Emails=%q, want the confirmation, reminder and preparation due", emails)
	}
	if v.grid.m.selected != a.ID {
		t.Fatalf("grid selection=%d, want %d", v.grid.m.selected, a.ID)
	}
	test.Tap(d.patient)
	if got := f.Nav.Last(); got != "patient 1" {
		t.Fatalf("nav=%q, want patient 1", got)
	}
	// Select by id from another screen: the schedule moves to its week.
	b := find(t, f, 0, "Dosing 4/6")
	v.Select(b.ID)
	if d.fields["Step"].Text != "Dosing 4/6" || weekStart(v.day) != weekStart(booking.DateOf(b.Start.In(loc))) {
		t.Fatalf("Select: step=%q day=%s", d.fields["Step"].Text, v.day)
	}
}

func TestReschedule(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	a := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	if rs == nil || len(rs.choices.Options) == 0 {
		t.Fatal("no alternatives offered")
	}
	choice := rs.choices.Options[0]
	rs.choices.SetSelected(choice)
	to := rs.starts[choice]
	test.Tap(rs.move)
	got := stored(t, f, a.ID)
	if !got.Start.Equal(to) || got.Start.Equal(a.Start) {
		t.Fatalf("stored start %v, want the chosen %v (was %v)", got.Start, to, a.Start)
	}
	if r := v.details.result.Text; !strings.HasPrefix(r, "Moved Dosing 1/6 to "+kit.DateTime(to.In(got.Start.Location()))) {
		t.Fatalf("result=%q", r)
	}
	if v.details.fields["Time"].Text[:len("Mon 2 Jan 2006")] != to.Format("Mon 2 Jan 2006")[:len("Mon 2 Jan 2006")] && !strings.HasPrefix(v.details.fields["Time"].Text, to.In(got.Start.Location()).Format("Mon 2 Jan 2006")) {
		t.Fatalf("details time=%q after the move", v.details.fields["Time"].Text)
	}
	if _, ok := v.grid.blockAt(a.ID); !ok {
		t.Fatal("the moved appointment is not drawn")
	}
	audit, err := f.DB.Audit(ctx, booking.AuditFilter{PatientID: a.PatientID, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(e *booking.AuditEntry) bool { return e.Action == "reschedule" && e.AppointmentID == a.ID }) {
		t.Fatal("no reschedule in the audit trail")
	}
}

func TestReschedule_ShiftLater(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 2, "Dosing 2/6")
	later := find(t, f, 2, "Dosing 3/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	// The latest alternative with the later appointments shifted along.
	choice := rs.choices.Options[0]
	for _, o := range rs.choices.Options {
		if !rs.shifts[o] && rs.starts[o].After(rs.starts[choice]) {
			choice = o
		}
	}
	rs.choices.SetSelected(choice)
	rs.shift.SetChecked(true)
	test.Tap(rs.move)
	got := stored(t, f, a.ID)
	if !got.Start.Equal(rs.starts[choice]) {
		t.Fatalf("stored start %v, want %v", got.Start, rs.starts[choice])
	}
	if gl := stored(t, f, later.ID); gl.Start.Equal(later.Start) && booking.DateOf(gl.Start) <= booking.DateOf(got.Start) {
		t.Fatalf("the later dosing stayed at %v before the moved one at %v", gl.Start, got.Start)
	}
}

func TestCancel(t *testing.T) {
	ctx := context.Background()

	t.Run("LateOne", func(t *testing.T) {
		f, v := open(t)
		v.ShowDay(0)
		// Tomorrow 08:00 is less than 24 h away: a late cancellation.
		a := find(t, f, 0, "Consultation")
		tapBlock(t, v, a.ID)
		test.Tap(v.details.cancel)
		cd := v.details.cd
		// Nothing is cancelled before the desk says who asked; only the
		// patient's cancellation at short notice is late.
		if !cd.ok.Disabled() {
			t.Fatal("Cancel appointment is enabled before saying who asked")
		}
		cd.by.SetSelected(askedClinic)
		if slices.ContainsFunc(dialogTexts(t, f.Env.Window), func(s string) bool { return strings.Contains(s, "late cancellation") }) {
			t.Fatalf("a late warning for the clinic's cancellation: %q", dialogTexts(t, f.Env.Window))
		}
		cd.by.SetSelected(askedPatient)
		if !slices.ContainsFunc(dialogTexts(t, f.Env.Window), func(s string) bool { return strings.Contains(s, "late cancellation") }) {
			t.Fatalf("no late warning in %q", dialogTexts(t, f.Env.Window))
		}
		test.Type(cd.reason, "patient has flu")
		test.Tap(cd.ok)
		got := stored(t, f, a.ID)
		if got.Status != booking.LateCancelled || got.Reason != "patient has flu" {
			t.Fatalf("stored status=%s reason=%q, want late-cancelled with the reason", got.Status, got.Reason)
		}
		if r := v.details.result.Text; r != "Cancelled Consultation late (less than 24 hours' notice)." {
			t.Fatalf("result=%q", r)
		}
		if v.details.fields["Status"].Text != "Cancelled late (short notice) by the patient: patient has flu" {
			t.Fatalf("status shown=%q", v.details.fields["Status"].Text)
		}
		audit, err := f.DB.Audit(ctx, booking.AuditFilter{PatientID: a.PatientID, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(audit, func(e *booking.AuditEntry) bool {
			return e.Action == "cancel" && e.AppointmentID == a.ID && e.Note == "by the patient: patient has flu"
		}) {
			t.Fatal("no cancellation with its reason in the audit trail")
		}
		// The cancelled block now shows, marked, since cancelled ones are shown.
		// The status comes first, where even a short block shows it whole.
		if got := v.grid.texts[a.ID]; len(got) < 3 || got[0] != "Cancelled late" || got[2] != "Consultation" {
			t.Fatalf("cancelled block text=%q", got)
		}
		v.cancelled.SetChecked(false)
		if _, ok := v.grid.blockAt(a.ID); ok {
			t.Fatal("a cancelled appointment is drawn with Show cancelled off")
		}
	})

	t.Run("RestOfSeries", func(t *testing.T) {
		f, v := open(t)
		a := find(t, f, 4, "Dosing 1/6")
		tapBlock(t, v, a.ID)
		test.Tap(v.details.cancel)
		cd := v.details.cd
		if len(cd.scope.Options) != 2 {
			t.Fatalf("scope options=%q", cd.scope.Options)
		}
		cd.scope.SetSelected(cd.scope.Options[1])
		cd.by.SetSelected(askedClinic)
		test.Type(cd.reason, "screening: not suitable")
		test.Tap(cd.ok)
		sr, err := f.DB.Series(ctx, a.SeriesID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range sr.Appts {
			if x.Status != booking.Cancelled || x.CancelledBy != booking.ByClinic {
				t.Fatalf("%s is %s by %q, want cancelled by the clinic (never late)", x.Label(), x.Status, x.CancelledBy)
			}
		}
		if r := v.details.result.Text; !strings.HasPrefix(r, "Cancelled 15 appointments.") {
			t.Fatalf("result=%q", r)
		}
	})
}

func TestArrived_NeedsEscort(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 1/6")
	// The front desk's clock on the morning of the visit.
	at := a.Start.Add(-10 * time.Minute)
	f.Env.Now = func() time.Time { return at }
	f.Env.Service.Now = f.Env.Now
	tapBlock(t, v, a.ID)
	// Without its escort the visit cannot be checked in: Mark arrived is
	// off, and the details say what is missing.
	if !v.details.arrived.Disabled() || v.details.escort.Disabled() {
		t.Fatalf("without an escort: Mark arrived off=%v, Record escort off=%v; want off and on",
			v.details.arrived.Disabled(), v.details.escort.Disabled())
	}
	if got := v.details.fields["Escort"].Text; got != "Missing: record it before the patient checks in" {
		t.Fatalf("escort shown=%q", got)
	}

	test.Tap(v.details.escort)
	ed := v.details.ed
	test.Type(ed.name, "Robin Quinn")
	test.Type(ed.phone, "+1 617 555 0199")
	test.Tap(ed.save)
	got := stored(t, f, a.ID)
	if got.Escort == nil || got.Escort.Name != "Robin Quinn" || got.Escort.Phone != "+1 617 555 0199" {
		t.Fatalf("stored escort %+v", got.Escort)
	}
	if v.details.fields["Escort"].Text != "Robin Quinn, +1 617 555 0199" {
		t.Fatalf("escort shown=%q", v.details.fields["Escort"].Text)
	}
	test.Tap(v.details.arrived)
	if got := stored(t, f, a.ID).Status; got != booking.Arrived {
		t.Fatalf("status=%s after arrival with escort, want arrived", got)
	}
	if v.details.fields["Status"].Text != "Arrived" || v.details.result.Text != "Marked arrived." {
		t.Fatalf("shown status=%q result=%q", v.details.fields["Status"].Text, v.details.result.Text)
	}
	if got := v.grid.texts[a.ID]; len(got) < 2 || got[1] != "Dosing 1/6 · arrived" {
		t.Fatalf("block text=%q", got)
	}
}

func TestEscort_Invalid(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.escort)
	test.Type(v.details.ed.name, "Robin Quinn")
	test.Type(v.details.ed.phone, "call me")
	test.Tap(v.details.ed.save)
	if stored(t, f, a.ID).Escort != nil {
		t.Fatal("an invalid escort was stored")
	}
	if texts := dialogTexts(t, f.Env.Window); !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "is not a phone number") }) {
		t.Fatalf("error dialog says %q", texts)
	}
}

func TestResendConfirmation(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	a := find(t, f, 1, "Infusion 4/6")
	count := func() int {
		msgs, err := f.DB.Outbox(ctx, booking.OutboxFilter{SeriesID: a.SeriesID})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range msgs {
			if m.Kind == booking.MessageConfirmation {
				n++
			}
		}
		return n
	}
	before := count()
	tapBlock(t, v, a.ID)
	test.Tap(v.details.resend)
	if after := count(); after != before+1 {
		t.Fatalf("confirmations %d → %d, want one more", before, after)
	}
	if r := v.details.result.Text; r != "Confirmation queued; it goes out with the next email run." {
		t.Fatalf("result=%q", r)
	}
}

func TestExport(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, a.ID)
	path := filepath.Join(t.TempDir(), "avery.ics")
	v.details.exportTo(a.SeriesID, path)
	if r := v.details.result.Text; r != "Saved 15 appointments to "+path+"." {
		t.Fatalf("result=%q", r)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	cal, err := ical.NewDecoder(file).Decode()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cal.Events()); n != 15 {
		t.Fatalf("events=%d, want 15", n)
	}
	// A folder is refused in words, and nothing is written.
	_, err = WriteSeriesCalendar(context.Background(), f.DB, a.SeriesID, t.TempDir(), kittest.Now)
	if got := booking.ErrorMessage(err); !strings.Contains(got, "it is a folder") {
		t.Fatalf("message=%q", got)
	}
}

func TestTypedKey(t *testing.T) {
	f, v := open(t)
	monday := date(t, "2027-03-08")
	for _, c := range []struct {
		key  fyne.KeyName
		used bool
		day  booking.Date
	}{
		{fyne.KeyRight, true, monday + 1},
		{fyne.KeyLeft, true, monday},
		{fyne.KeyPageDown, true, monday + 7},
		{fyne.KeyPageUp, true, monday},
		{fyne.KeyLeft, true, monday - 1},
		{fyne.KeyHome, true, booking.DateOf(kittest.Now)},
		{fyne.KeyA, false, booking.DateOf(kittest.Now)},
	} {
		if used := v.TypedKey(&fyne.KeyEvent{Name: c.key}); used != c.used || v.day != c.day {
			t.Fatalf("%s: used=%v day=%s, want %v %s", c.key, used, v.day, c.used, c.day)
		}
		// The week view marks the day the keys move from.
		di := slices.Index(v.grid.m.days, c.day)
		if mk := v.grid.currentMark; di < 0 || mk == nil || mk.Position().X != v.grid.dayAt[di].from {
			t.Fatalf("%s: the current day %s is not marked", c.key, c.day)
		}
	}
	if got := v.title.Text; got != "Week of Mon 1 Mar 2027" {
		t.Fatalf("title=%q", got)
	}
	// Down selects the first appointment shown, then the next.
	list := v.visible()
	if !v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) || v.selected != list[0].ID {
		t.Fatalf("down: selected %d, want %d", v.selected, list[0].ID)
	}
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
	if v.selected != list[0].ID || v.details.fields["Step"].Text != list[0].Label() {
		t.Fatalf("up: selected %d (%q), want %d", v.selected, v.details.fields["Step"].Text, list[0].ID)
	}
	_ = f
}

func TestPreview(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	ctx := context.Background()
	p := &booking.Patient{Name: "Jules Park", Email: "jules@example.org"}
	if err := f.Env.Service.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	plan, err := f.Env.Service.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: date(t, "2027-03-15"), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	// Standalone, as the booking screen embeds it.
	v := New(f.Env)
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1000, 700))
	v.Preview(plan.Appts)
	if got := v.title.Text; got != "Week of Mon 15 Mar 2027" {
		t.Fatalf("title=%q, want the first proposed week", got)
	}
	n := 0
	for _, it := range v.grid.m.items {
		if it.proposed {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no proposed appointments drawn")
	}
	// The first proposed block says who, that it is proposed, and what.
	first := plan.Appts[0]
	texts := gridTexts(v)
	i := slices.Index(texts, first.Start.In(first.Start.Location()).Format("15:04")+" J.P.")
	if i < 0 || i+2 >= len(texts) || texts[i+1] != "Proposed" || texts[i+2] != first.Label() {
		t.Fatalf("no proposed block for %s in %q", first.Label(), texts)
	}
	v.Preview(nil)
	if slices.ContainsFunc(v.grid.m.items, func(it item) bool { return it.proposed }) {
		t.Fatal("Preview(nil) kept the proposal")
	}
}

// gated is a store whose appointment reads wait until the gate opens.
type gated struct {
	booking.Store
	gate chan struct{}
}

func (g gated) Appointments(ctx context.Context, f booking.AppointmentFilter) ([]*booking.Appointment, error) {
	<-g.gate
	return g.Store.Appointments(ctx, f)
}

// Switching weeks never waits on the database in the UI goroutine: the
// call returns at once, the week shown stays until the new one arrives.
func TestSwitchWeek_Background(t *testing.T) {
	f, v := open(t)
	g := gated{Store: f.DB, gate: make(chan struct{})}
	f.Env.Store = g
	f.Env.Inline = false
	f.Env.Delay = time.Hour
	test.Tap(v.next)
	if got := v.title.Text; got != "Week of Mon 8 Mar 2027" || v.cur.start != date(t, "2027-03-08") {
		t.Fatalf("while loading: title=%q, want the old week still shown", got)
	}
	if len(v.grid.hits) == 0 {
		t.Fatal("while loading: the old week's blocks are gone")
	}
	close(g.gate)
	f.Env.Wait()
	if got := v.title.Text; got != "Week of Mon 15 Mar 2027" || v.cur.start != date(t, "2027-03-15") {
		t.Fatalf("after loading: title=%q", got)
	}
}

// tapButton taps the button with the given text in the dialog on top.
func tapButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := kit.AsButton(o); ok {
			if b.Text == text {
				found = b
			}
			return
		}
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.TempWidgetRenderer(t, x).Objects() {
				walk(c)
			}
		}
	}
	walk(w.Canvas().Overlays().Top())
	if found == nil {
		t.Fatalf("no %q button in the dialog", text)
	}
	test.Tap(found)
}

func TestNoShow_AsksFirst(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 1/6")
	at := a.Start.Add(30 * time.Minute)
	f.Env.Now = func() time.Time { return at }
	f.Env.Service.Now = f.Env.Now
	tapBlock(t, v, a.ID)
	test.Tap(v.details.noShow)
	if got := stored(t, f, a.ID).Status; got != booking.Booked {
		t.Fatalf("status=%s before confirming, want booked", got)
	}
	tapButton(t, f.Env.Window, "Mark no-show")
	if got := stored(t, f, a.ID).Status; got != booking.NoShow {
		t.Fatalf("status=%s after confirming, want no-show", got)
	}
	if v.details.fields["Status"].Text != "No-show" {
		t.Fatalf("shown status=%q", v.details.fields["Status"].Text)
	}
}

func TestTapDayName_OpensDay(t *testing.T) {
	_, v := open(t)
	wed := slices.Index(v.grid.m.days, date(t, "2027-03-10"))
	if wed < 0 {
		t.Fatal("Wednesday not shown")
	}
	test.TapAt(v.grid, fyne.NewPos(v.grid.dayAt[wed].from+5, 5))
	if got := v.title.Text; got != "Wed 10 Mar 2027" || v.viewMode.Selected != viewDay || len(v.grid.m.days) != 1 {
		t.Fatalf("title=%q view=%s days=%d, want Wednesday's day view", got, v.viewMode.Selected, len(v.grid.m.days))
	}
}

// Names the glyph cache cannot draw as Fyne would (here, in a script
// beyond the theme's font) are left to canvas.Text.
func TestNames_OtherScripts(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	f.Env.App.Preferences().SetBool(kit.PrefShowNames, true)
	ctx := context.Background()
	p := &booking.Patient{Name: "李小龍", Email: "li@example.org"}
	if err := f.Env.Service.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	sr, err := f.Env.Service.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: date(t, "2027-03-02")})
	if err != nil {
		t.Fatal(err)
	}
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.ShowDay(date(t, "2027-03-02"))
	a := sr.Appts[0]
	want := a.Start.In(a.Start.Location()).Format("15:04") + " 李小龍"
	if got := v.grid.texts[a.ID]; len(got) == 0 || got[0] != want {
		t.Fatalf("block text=%q, want %q first", got, want)
	}
	if !slices.ContainsFunc(v.grid.objs, func(o fyne.CanvasObject) bool {
		tx, ok := o.(*canvas.Text)
		return ok && strings.Contains(tx.Text, "李")
	}) {
		t.Fatal("the name is not drawn as canvas.Text")
	}
}

// TestReschedule_LaterWeek: a dosing session pinned between its
// integrations can still go to another week, the later appointments
// moving along; the dialog says so on those choices.
func TestReschedule_LaterWeek(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 2, "Dosing 2/6")
	later := find(t, f, 2, "Dosing 3/6")
	tapBlock(t, v, a.ID)
	test.Tap(v.details.reschedule)
	rs := v.details.rs
	choice := ""
	for _, o := range rs.choices.Options {
		if rs.shifts[o] && booking.DateOf(rs.starts[o]) >= booking.DateOf(a.Start)+5 {
			choice = o
			break
		}
	}
	if choice == "" {
		t.Fatalf("no choice in a later week among %q", rs.choices.Options)
	}
	if !strings.HasSuffix(choice, "the appointments after it move too") {
		t.Fatalf("choice %q does not say the later appointments move", choice)
	}
	rs.choices.SetSelected(choice)
	test.Tap(rs.move)
	got := stored(t, f, a.ID)
	if !got.Start.Equal(rs.starts[choice]) {
		t.Fatalf("stored start %v, want %v", got.Start, rs.starts[choice])
	}
	gl := stored(t, f, later.ID)
	if !gl.Start.After(got.End) {
		t.Fatalf("Dosing 3/6 at %v is not after the moved Dosing 2/6 (%v)", gl.Start, got.Start)
	}
	if r := v.details.result.Text; !strings.Contains(r, "more with it") {
		t.Fatalf("result=%q, want it to say the later appointments moved", r)
	}
}

// TestMakeUp_FromNoShow: a no-show dosing offers Make up…; the make-up
// takes its place with its integration, and Make up… is off again.
func TestMakeUp_FromNoShow(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 2/6")
	at := a.Start.Add(30 * time.Minute)
	f.Env.Now = func() time.Time { return at }
	f.Env.Service.Now = f.Env.Now
	v.ShowDay(booking.DateOf(a.Start.In(loc(t, f))))
	tapBlock(t, v, a.ID)
	if !v.details.makeup.Disabled() {
		t.Fatal("Make up… is on for a booked appointment")
	}
	if _, err := f.Env.Service.SetStatus(context.Background(), a.ID, booking.NoShow); err != nil {
		t.Fatal(err)
	}
	v.details.load(a.ID)
	if v.details.makeup.Disabled() {
		t.Fatal("Make up… is off for a no-show")
	}
	test.Tap(v.details.makeup)
	rs := v.details.rs
	if rs == nil || !rs.makeup || len(rs.choices.Options) < 2 || rs.move.Text != "Book make-up" {
		t.Fatalf("make-up dialog: %+v", rs)
	}
	if !rs.move.Disabled() {
		t.Fatal("Book make-up is on before a time is chosen")
	}
	choice := rs.choices.Options[0]
	rs.choices.SetSelected(choice)
	test.Tap(rs.move)
	sr, err := f.DB.Series(context.Background(), a.SeriesID)
	if err != nil {
		t.Fatal(err)
	}
	var made []*booking.Appointment
	for _, x := range sr.Appts {
		if x.MakeupOf != 0 {
			made = append(made, x)
		}
	}
	if len(made) != 2 || made[0].MakeupOf != a.ID || !made[0].Start.Equal(rs.starts[choice]) || made[1].Kind != "integration" {
		t.Fatalf("make-ups %v, want dosing 2 at %v and its integration", made, rs.starts[choice])
	}
	if r := v.details.result.Text; !strings.HasPrefix(r, "Booked a make-up of Dosing 2/6 on ") {
		t.Fatalf("result=%q", r)
	}
}

// TestReschedule_TypedTimeNamesTheRule: a time the desk types that breaks
// a rule is refused saying which; with a reason it is made, and the audit
// trail names the rule.
func TestReschedule_TypedTimeNamesTheRule(t *testing.T) {
	f, v := open(t)
	a := find(t, f, 0, "Dosing 3/6")
	v.ShowDay(booking.DateOf(a.Start.In(loc(t, f))))
	day := booking.DateOf(a.Start.In(loc(t, f)))
	typed := func(reason string) {
		t.Helper()
		tapBlock(t, v, a.ID)
		test.Tap(v.details.reschedule)
		rs := v.details.rs
		rs.choices.SetSelected(otherTime)
		if rs.date.Disabled() || rs.clock.Disabled() {
			t.Fatal("the typed time cannot be entered")
		}
		// Move waits for a date and a time of day.
		if !rs.move.Disabled() {
			t.Fatal("Move is on before a time is typed")
		}
		test.Type(rs.date, day.String())
		test.Type(rs.clock, "15:30")
		test.Type(rs.override, reason)
		if rs.move.Disabled() {
			t.Fatal("Move is off with a date and a time typed")
		}
		test.Tap(rs.move)
	}
	typed("")
	texts := dialogTexts(t, f.Env.Window)
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "ends 18:30, after the latest end 18:00") }) {
		t.Fatalf("refusal says %q, want the latest end named", texts)
	}
	if got := stored(t, f, a.ID); !got.Start.Equal(a.Start) {
		t.Fatalf("moved to %v although refused", got.Start)
	}
	f.Env.Window.Canvas().Overlays().Top().Hide()
	typed("patient can only come in the afternoon")
	got := stored(t, f, a.ID)
	if got.Start.In(loc(t, f)).Format("15:04") != "15:30" {
		t.Fatalf("stored start %v, want 15:30 by the override", got.Start)
	}
	audit, err := f.DB.Audit(context.Background(), booking.AuditFilter{PatientID: a.PatientID, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(e *booking.AuditEntry) bool {
		return e.Action == "override" && e.AppointmentID == a.ID && strings.Contains(e.Note, "patient can only come in the afternoon (rule overridden: ") &&
			strings.Contains(e.Note, "after the latest end 18:00")
	}) {
		t.Fatal("no override naming the latest end in the audit trail")
	}
}

// loc returns the clinic's time zone.
func loc(t testing.TB, f *kittest.Fixture) *time.Location {
	t.Helper()
	c, err := f.DB.Clinic(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Location()
}
