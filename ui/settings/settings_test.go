package settings

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/internal/errlog"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// open shows the Settings screen of a fresh demo clinic.
func open(t *testing.T) (*kittest.Fixture, *View) {
	t.Helper()
	f := kittest.New(t, kittest.Options{})
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	return f, v
}

// overlayTexts returns the texts of the labels in the top dialog, or ""
// when no dialog shows.
func overlayTexts(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var out []string
	for _, o := range test.LaidOutObjects(top) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, "\n")
}

// tapDialogButton taps the button labelled text in the top dialog.
func tapDialogButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog shows; want one with a %q button", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := kit.AsButton(o); ok && b.Text == text {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("the dialog has no %q button; it says %q", text, overlayTexts(w))
}

// closeDialogs hides every dialog.
func closeDialogs(w fyne.Window) {
	for w.Canvas().Overlays().Top() != nil {
		w.Canvas().Overlays().Top().Hide()
		w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
	}
}

func retype(e *widget.Entry, s string) {
	e.SetText("")
	test.Type(e, s)
}

func lastAudit(t *testing.T, f *kittest.Fixture) *booking.AuditEntry {
	t.Helper()
	list, err := f.DB.Audit(context.Background(), booking.AuditFilter{Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("audit=%v err=%v, want an entry", list, err)
	}
	return list[0]
}

// Editing the clinic's name and hours stores them, keeps the email
// settings, and says so.
func TestClinic_Save(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	if err := f.Env.Service.SetEmail(ctx, &booking.EmailSettings{Transport: booking.EmailEMLDir, FromName: "Appointments"}); err != nil {
		t.Fatal(err)
	}
	if got := v.clinic.name.Text; got != "Harbor Wellness Center" {
		t.Fatalf("name shows %q, want the stored name", got)
	}
	retype(v.clinic.name, "Harbor Clinic")
	v.clinic.hours.entries["sat"].SetText("09:00-13:00")
	v.clinic.hours.entries["mon"].SetText("13:00-18:00, 08:00-12:00")
	test.Tap(v.clinic.save)

	if txt := overlayTexts(f.Env.Window); txt != "" {
		t.Fatalf("a dialog shows %q, want none", txt)
	}
	if !v.clinic.note.Visible() || v.clinic.note.Text != "Saved the clinic settings." {
		t.Fatalf("note=%q visible=%v, want it to say Saved", v.clinic.note.Text, v.clinic.note.Visible())
	}
	c, err := f.DB.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Harbor Clinic" {
		t.Fatalf("stored name=%q, want Harbor Clinic", c.Name)
	}
	if got := weekSummary(c.Hours); got != "Mon 08:00-12:00, 13:00-18:00 · Tue 08:00-18:00 · Wed 08:00-18:00 · Thu 08:00-18:00 · Fri 08:00-18:00 · Sat 09:00-13:00" {
		t.Fatalf("stored hours=%s", got)
	}
	if c.Email == nil || c.Email.FromName != "Appointments" {
		t.Fatalf("email=%+v, want the settings saved before kept", c.Email)
	}
	if a := lastAudit(t, f); a.Action != "clinic" || a.Actor != "Front desk" {
		t.Fatalf("audit=%+v, want a clinic entry by the front desk", a)
	}
}

// A bad zone or overlapping hours shows the reason and stores nothing.
func TestClinic_Refused(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(v *View)
		want string
	}{
		{"ErrZone", func(v *View) { v.clinic.zone.SetText("Mars/Olympus") }, `"Mars/Olympus" is not a known time zone; use a name such as America/New_York.`},
		{"ErrOverlap", func(v *View) { v.clinic.hours.entries["tue"].SetText("08:00-12:00, 11:00-14:00") },
			"Clinic opening hours: the periods on tue overlap or are out of order."},
		{"ErrPeriod", func(v *View) { v.clinic.hours.entries["wed"].SetText("9 to 5") },
			`Clinic opening hours, Wednesday: "9 to 5" is not a period of the day; write it as 08:00-18:00.`},
		{"ErrPhone", func(v *View) { v.clinic.phone.SetText("call us") },
			`"call us" is not a phone number; use digits, spaces, dashes and an optional leading +.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, v := open(t)
			retype(v.clinic.name, "Renamed Clinic")
			tc.edit(v)
			test.Tap(v.clinic.save)
			if got := overlayTexts(f.Env.Window); !strings.Contains(got, tc.want) {
				t.Fatalf("dialog says %q, want %q", got, tc.want)
			}
			if v.clinic.note.Visible() {
				t.Fatalf("note %q shows, want none after a refusal", v.clinic.note.Text)
			}
			c, _ := f.DB.Clinic(context.Background())
			if c.Name != "Harbor Wellness Center" || c.TimeZone != "America/New_York" || len(c.Hours["tue"]) != 1 {
				t.Fatalf("stored clinic changed: %s, %s, %s", c.Name, c.TimeZone, weekSummary(c.Hours))
			}
		})
	}
}

// Adding a closure stores it at once; removing it asks first.
func TestClinic_Closures(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	before, _ := f.DB.Clinic(ctx)
	v.clinic.closureFrom.SetText("2027-04-05")
	v.clinic.closureTo.SetText("2027-04-06")
	v.clinic.closureReason.SetText("Staff training")
	test.Tap(v.clinic.addClosure)
	c, _ := f.DB.Clinic(ctx)
	if len(c.Closures) != len(before.Closures)+1 || c.ClosedOn(mustDate(t, "2027-04-06")) == nil {
		t.Fatalf("closures=%v, want the new one stored", c.Closures)
	}
	if want := "Added the closure 2027-04-05 to 2027-04-06 (Staff training)."; v.clinic.closureNote.Text != want {
		t.Fatalf("note=%q, want %q", v.clinic.closureNote.Text, want)
	}
	// Overlapping closures are refused.
	v.clinic.closureFrom.SetText("2027-04-06")
	test.Tap(v.clinic.addClosure)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "already closed on some of these days") {
		t.Fatalf("dialog says %q, want the overlap refused", got)
	}
	closeDialogs(f.Env.Window)

	i := -1
	for k, cl := range c.Closures {
		if cl.Reason == "Staff training" {
			i = k
		}
	}
	test.Tap(v.clinic.removeClosure[i])
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "Remove the closure 2027-04-05 to 2027-04-06 (Staff training)?") {
		t.Fatalf("dialog says %q, want a question first", got)
	}
	if c, _ := f.DB.Clinic(ctx); len(c.Closures) != len(before.Closures)+1 {
		t.Fatalf("closure removed before the answer")
	}
	tapDialogButton(t, f.Env.Window, "Remove")
	if c, _ := f.DB.Clinic(ctx); len(c.Closures) != len(before.Closures) || c.ClosedOn(mustDate(t, "2027-04-05")) != nil {
		t.Fatalf("closures=%v, want the new one removed", c.Closures)
	}
}

func mustDate(t *testing.T, s string) booking.Date {
	t.Helper()
	d, err := booking.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Adding a staff member stores their details, hours and time off.
func TestStaff_Add(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	n := len(v.staff.d.staff)
	test.Tap(v.staff.add)
	test.Type(v.staff.name, "Robin Hale, RN")
	v.staff.roles.SetSelected([]string{"Nurse"})
	test.Type(v.staff.qualifications, "ACLS, REMS")
	v.staff.hours.entries["mon"].SetText("08:00-16:00")
	v.staff.offFrom.SetText("2027-03-10")
	v.staff.offReason.SetText("Course")
	test.Tap(v.staff.addTimeOff)
	test.Tap(v.staff.save)

	if got := overlayTexts(f.Env.Window); got != "" {
		t.Fatalf("dialog says %q, want none", got)
	}
	if want := "Added Robin Hale, RN to the staff."; v.staff.note.Text != want || !v.staff.note.Visible() {
		t.Fatalf("note=%q, want %q", v.staff.note.Text, want)
	}
	list, _ := f.DB.StaffList(ctx)
	if len(list) != n+1 {
		t.Fatalf("staff=%d, want %d", len(list), n+1)
	}
	s := list[len(list)-1]
	if s.Name != "Robin Hale, RN" || !s.HasRole(booking.RoleNurse) || len(s.Roles) != 1 || !s.HasQualification("REMS") || weekSummary(s.Hours) != "Mon 08:00-16:00" {
		t.Fatalf("stored %+v", s)
	}
	loc := f.Env.Service.Now().Location()
	if len(s.TimeOff) != 1 || !s.TimeOff[0].Start.Equal(mustDate(t, "2027-03-10").At(0, loc)) || !s.TimeOff[0].End.Equal(mustDate(t, "2027-03-11").At(0, loc)) || s.TimeOff[0].Reason != "Course" {
		t.Fatalf("time off=%+v, want 10 March all day", s.TimeOff)
	}
	if v.staff.selectedID != s.ID || v.staff.title.Text != s.Name || v.staff.stored.Hidden {
		t.Fatalf("form shows %d %q, want the new member with busy calendar and feed", v.staff.selectedID, v.staff.title.Text)
	}
	if a := lastAudit(t, f); a.Action != "staff-add" {
		t.Fatalf("audit=%+v, want staff-add", a)
	}
	// A second member of the same name is refused.
	test.Tap(v.staff.add)
	test.Type(v.staff.name, "robin hale, rn")
	test.Tap(v.staff.save)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "Another staff member is already called Robin Hale, RN") {
		t.Fatalf("dialog says %q", got)
	}
	if list, _ := f.DB.StaffList(ctx); len(list) != n+1 {
		t.Fatalf("staff=%d after a refusal, want %d", len(list), n+1)
	}
}

// A video link is saved with the staff member; one that is not an https
// address, or that names the treatment, is refused and nothing changes.
func TestStaff_VideoLink(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	v.staff.list.Select(0)
	id := v.staff.d.staff[0].ID
	stored := func() string {
		list, _ := f.DB.StaffList(ctx)
		for _, s := range list {
			if s.ID == id {
				return s.VideoLink
			}
		}
		return "(gone)"
	}
	before := stored()
	if before != "https://video.harbor.example/ana-reyes" || v.staff.videoLink.Text != before {
		t.Fatalf("demo link %q, form shows %q", before, v.staff.videoLink.Text)
	}
	for _, tc := range []struct{ link, says string }{
		{"http://video.example.org/reyes", "is not a web address starting with https://"},
		{"https://ketamine-care.example.org/reyes", "The video link (patients receive it by email) says"},
	} {
		retype(v.staff.videoLink, tc.link)
		test.Tap(v.staff.save)
		if got := overlayTexts(f.Env.Window); !strings.Contains(got, tc.says) {
			t.Fatalf("%s: dialog says %q, want %q", tc.link, got, tc.says)
		}
		closeDialogs(f.Env.Window)
		if got := stored(); got != before {
			t.Fatalf("%s refused, but %q stored", tc.link, got)
		}
	}
	retype(v.staff.videoLink, "  https://video.example.org/reyes  ")
	test.Tap(v.staff.save)
	if got := stored(); got != "https://video.example.org/reyes" || overlayTexts(f.Env.Window) != "" {
		t.Fatalf("stored %q, dialog %q; want the link, trimmed", got, overlayTexts(f.Env.Window))
	}
	if v.staff.videoLink.Text != "https://video.example.org/reyes" {
		t.Fatalf("form shows %q after saving", v.staff.videoLink.Text)
	}
}

// Importing a calendar file stores the staff member's busy times: the
// button asks for the file (kit.AskPath), its path typed and Enter.
func TestStaff_ImportICS(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	v.staff.list.Select(0)
	s := v.staff.d.staff[0]
	path := filepath.Join("..", "..", "calendar", "testdata", "import", "therapist-first-week.ics")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	loc := f.Env.Service.Now().Location()
	want, err := calendar.ImportBusy(strings.NewReader(string(data)), calendar.ImportOptions{Clinic: loc, Now: kittest.Now,
		From: kittest.Now.Add(-24 * time.Hour), To: kittest.Now.AddDate(1, 0, 0)})
	if err != nil || len(want) == 0 {
		t.Fatalf("reference import: %d, %v", len(want), err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Env.Window.Canvas()
	test.Tap(v.staff.importICS)
	field, ok := c.Focused().(*kit.Field)
	if !ok {
		t.Fatalf("Import a calendar file: the cursor is in %T, want the path", c.Focused())
	}
	field.SetText(abs)
	kittest.PressKey(c, fyne.KeyReturn)

	list, _ := f.DB.StaffList(ctx)
	if got := list[0].Busy; len(got) != len(want) || !got[0].Start.Equal(want[0].Start) {
		t.Fatalf("stored busy=%v, want %v", got, want)
	}
	wantNote := "Imported " + itoa(len(want)) + " busy times for " + s.Name + " from therapist-first-week.ics"
	if !strings.HasPrefix(v.staff.busyNote.Text, wantNote) {
		t.Fatalf("note=%q, want %q…", v.staff.busyNote.Text, wantNote)
	}
	if !strings.HasPrefix(v.staff.busyInfo.Text, itoa(len(want))+" busy times") {
		t.Fatalf("info=%q, want the count", v.staff.busyInfo.Text)
	}

	// A broken file is refused with its line, and nothing changes.
	bad := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2027031\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	v.staff.importBusy(readCloser{strings.NewReader(bad)}, "broken.ics")
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "The calendar file broken.ics was not imported; nothing was changed. Line 5") {
		t.Fatalf("dialog says %q", got)
	}
	if list, _ := f.DB.StaffList(ctx); len(list[0].Busy) != len(want) {
		t.Fatalf("busy=%d after a refused import, want %d", len(list[0].Busy), len(want))
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func itoa(n int) string { return strconv.Itoa(n) }

// A feed link shows once, its hash is stored, Copy puts it on the
// clipboard, and revoking asks first and then ends it.
func TestStaff_Feed(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	v.staff.list.Select(1)
	s := v.staff.d.staff[1]
	if v.staff.feed.create.Hidden || !v.staff.feed.revoke.Hidden {
		t.Fatalf("create hidden=%v revoke hidden=%v, want only create", v.staff.feed.create.Hidden, v.staff.feed.revoke.Hidden)
	}
	test.Tap(v.staff.feed.create)
	u := v.staff.feed.url.Text
	prefix := kit.DefaultFeedBase + calendar.FeedPathPrefix
	if !v.staff.feed.url.Visible() || !strings.HasPrefix(u, prefix) || !strings.HasSuffix(u, ".ics") {
		t.Fatalf("url=%q visible=%v, want %s…", u, v.staff.feed.url.Visible(), prefix)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(u, prefix), ".ics")
	feed, err := f.DB.Feed(ctx, calendar.FeedTokenHash(token))
	if err != nil || feed.Resource.ID != s.ID || feed.Revoked != nil || feed.Privacy != "initials" {
		t.Fatalf("feed=%+v err=%v, want a live initials feed of %s", feed, err, s.Name)
	}
	if !strings.Contains(v.staff.feed.info.Text, "has a live calendar feed") || v.staff.feed.revoke.Hidden {
		t.Fatalf("info=%q, want the live feed described with Revoke", v.staff.feed.info.Text)
	}
	test.Tap(v.staff.feed.copy)
	if got := f.Env.App.Clipboard().Content(); got != u {
		t.Fatalf("clipboard=%q, want %q", got, u)
	}

	test.Tap(v.staff.feed.revoke)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "Revoke the feed link of "+s.Name+"?") {
		t.Fatalf("dialog says %q, want a question", got)
	}
	if feed, _ := f.DB.Feed(ctx, calendar.FeedTokenHash(token)); feed.Revoked != nil {
		t.Fatal("revoked before the answer")
	}
	tapDialogButton(t, f.Env.Window, "Revoke")
	if feed, _ := f.DB.Feed(ctx, calendar.FeedTokenHash(token)); feed.Revoked == nil {
		t.Fatal("feed not revoked")
	}
	if v.staff.feed.url.Visible() || !strings.Contains(v.staff.feed.note.Text, "revoked") || !strings.Contains(v.staff.feed.info.Text, "has no calendar feed") {
		t.Fatalf("after revoke: url visible=%v note=%q info=%q", v.staff.feed.url.Visible(), v.staff.feed.note.Text, v.staff.feed.info.Text)
	}
	if a := lastAudit(t, f); a.Action != "feed" || !strings.Contains(a.Note, "revoked") || strings.Contains(a.Before+a.After+a.Note, token) {
		t.Fatalf("audit=%+v, want a revocation without the token", a)
	}
}

// Rotating asks first, then makes a new link and ends the old one.
func TestStaff_FeedRotate(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	v.staff.list.Select(0)
	v.staff.feed.privacy.SetSelected(privacyName(calendar.PrivacyID))
	test.Tap(v.staff.feed.create)
	old := v.staff.feed.url.Text
	test.Tap(v.staff.feed.rotate)
	tapDialogButton(t, f.Env.Window, "Rotate")
	u := v.staff.feed.url.Text
	if u == old || u == "" {
		t.Fatalf("url=%q, want a new one", u)
	}
	oldFeed, _ := f.DB.Feed(ctx, calendar.FeedTokenHash(strings.TrimSuffix(old[strings.LastIndex(old, "/")+1:], ".ics")))
	newFeed, err := f.DB.Feed(ctx, calendar.FeedTokenHash(strings.TrimSuffix(u[strings.LastIndex(u, "/")+1:], ".ics")))
	if oldFeed == nil || oldFeed.Revoked == nil || err != nil || newFeed.Revoked != nil || newFeed.Privacy != "id" {
		t.Fatalf("old=%+v new=%+v err=%v", oldFeed, newFeed, err)
	}
	if !strings.Contains(v.staff.feed.note.Text, "The old link no longer works.") {
		t.Fatalf("note=%q", v.staff.feed.note.Text)
	}
}

// Adding a room stores it.
func TestRooms_Add(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	n := len(v.rooms.d.rooms)
	test.Tap(v.rooms.add)
	test.Type(v.rooms.name, "Dosing 3")
	v.rooms.kind.SetSelected("Dosing room")
	test.Type(v.rooms.equipment, "pulse-oximeter, recliner")
	test.Tap(v.rooms.save)
	rooms, _ := f.DB.Rooms(ctx)
	if len(rooms) != n+1 {
		t.Fatalf("rooms=%d, want %d", len(rooms), n+1)
	}
	r := rooms[n]
	if r.Name != "Dosing 3" || r.Kind != booking.RoomDosing || !r.HasEquipment("recliner") || len(r.Equipment) != 2 {
		t.Fatalf("stored %+v", r)
	}
	if v.rooms.note.Text != "Added the room Dosing 3." || v.rooms.list.Length() != n+1 {
		t.Fatalf("note=%q list=%d", v.rooms.note.Text, v.rooms.list.Length())
	}
	// Renaming it keeps its id.
	retype(v.rooms.name, "Dosing 3 (quiet)")
	test.Tap(v.rooms.save)
	rooms, _ = f.DB.Rooms(ctx)
	if len(rooms) != n+1 || rooms[n].Name != "Dosing 3 (quiet)" || rooms[n].ID != r.ID {
		t.Fatalf("rooms=%d last=%+v", len(rooms), rooms[n])
	}
}

// Invalid protocol JSON is refused in words; Duplicate makes a new id.
func TestProtocols(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	id := v.protocols.selectedID
	before, _ := f.DB.Protocol(ctx, id)
	if !strings.Contains(v.protocols.summary.Text, "appointments within") {
		t.Fatalf("summary=%q", v.protocols.summary.Text)
	}
	for _, tc := range []struct{ name, json, want string }{
		{"ErrSyntax", `{"id": "` + id + `", "name": `, "The protocol cannot be read: the JSON ends too early; a closing } or ] is missing."},
		{"ErrUnknownField", strings.Replace(v.protocols.json.Text, `"name"`, `"nmae"`, 1), `unknown field "nmae"`},
		{"ErrGap", strings.Replace(v.protocols.json.Text, `"window_days": `, `"window_days": 9`, 1), "the series window must be between 1 and 730 days"},
		{"ErrID", strings.Replace(v.protocols.json.Text, `"id": "`+id+`"`, `"id": "other"`, 1), "The id cannot change here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closeDialogs(f.Env.Window)
			v.protocols.json.SetText(tc.json)
			test.Tap(v.protocols.save)
			if got := overlayTexts(f.Env.Window); !strings.Contains(got, tc.want) {
				t.Fatalf("dialog says %q, want %q", got, tc.want)
			}
			after, _ := f.DB.Protocol(ctx, id)
			if after.WindowDays != before.WindowDays || after.Name != before.Name {
				t.Fatalf("stored protocol changed")
			}
			if _, err := f.DB.Protocol(ctx, "other"); booking.ErrorCode(err) != booking.ENOTFOUND {
				t.Fatalf("protocol other: %v, want none", err)
			}
		})
	}
	closeDialogs(f.Env.Window)
	// A valid edit is stored.
	v.protocols.edit(before)
	v.protocols.json.SetText(strings.Replace(v.protocols.json.Text, `"name": "`+before.Name+`"`, `"name": "Renamed"`, 1))
	test.Tap(v.protocols.save)
	if p, _ := f.DB.Protocol(ctx, id); p.Name != "Renamed" || p.Version != 2 || !strings.HasPrefix(v.protocols.note.Text, "Saved protocol "+id+" as version 2") {
		t.Fatalf("stored name=%q version %d note=%q", p.Name, p.Version, v.protocols.note.Text)
	}

	n := len(v.protocols.d.protocols)
	test.Tap(v.protocols.duplicate)
	all, _ := f.DB.Protocols(ctx)
	cp, err := f.DB.Protocol(ctx, id+"-copy")
	if len(all) != n+1 || err != nil || cp.Name != "Renamed (copy)" || len(cp.Steps) != len(before.Steps) {
		t.Fatalf("protocols=%d copy=%+v err=%v", len(all), cp, err)
	}
	if v.protocols.selectedID != id+"-copy" || v.protocols.note.Text != "Made a copy of "+id+" as "+id+"-copy; edit it here." {
		t.Fatalf("selected %q note %q", v.protocols.selectedID, v.protocols.note.Text)
	}
	test.Tap(v.protocols.duplicate)
	if _, err := f.DB.Protocol(ctx, id+"-copy-copy"); err != nil {
		t.Fatalf("copy of the copy: %v", err)
	}
}

// Choosing who uses the workstation changes the service's actor and the
// next audit entry, and is kept in the preferences.
func TestWorkstation_Actor(t *testing.T) {
	f, v := open(t)
	if got := v.station.actor.Options; len(got) != 8 || got[1] != "Sam Okafor" {
		t.Fatalf("options=%v, want the staff names", got)
	}
	v.station.actor.SetSelected("Sam Okafor")
	if f.Env.Service.Actor != "Sam Okafor" || f.Env.App.Preferences().String(kit.PrefActor) != "Sam Okafor" {
		t.Fatalf("actor=%q pref=%q", f.Env.Service.Actor, f.Env.App.Preferences().String(kit.PrefActor))
	}
	if want := "Changes made here are now recorded as made by Sam Okafor."; v.station.current.Text != want {
		t.Fatalf("shows %q, want %q", v.station.current.Text, want)
	}
	test.Tap(v.rooms.add)
	test.Type(v.rooms.name, "Consult D")
	test.Tap(v.rooms.save)
	if a := lastAudit(t, f); a.Actor != "Sam Okafor" || a.Action != "room-add" {
		t.Fatalf("audit=%+v, want room-add by Sam Okafor", a)
	}
}

// Feed settings are checked and kept; new links start with the address.
func TestWorkstation_FeedAddress(t *testing.T) {
	f, v := open(t)
	v.station.feedBase.SetText("ftp://calendar.example.org")
	test.Tap(v.station.saveBase)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "is not a web address") {
		t.Fatalf("dialog says %q", got)
	}
	closeDialogs(f.Env.Window)
	v.station.feedsAddr.SetText("0.0.0.0:8080")
	v.station.feedBase.SetText("")
	test.Tap(v.station.saveBase)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "only on this computer's own address") {
		t.Fatalf("dialog says %q", got)
	}
	closeDialogs(f.Env.Window)
	if got := f.Env.App.Preferences().String(kit.PrefFeedsAddr); got != "" {
		t.Fatalf("feeds.addr=%q after a refusal", got)
	}
	v.station.feedsAddr.SetText("127.0.0.1:8181")
	v.station.feedBase.SetText("https://calendar.example.org/kap/")
	test.Tap(v.station.saveBase)
	p := f.Env.App.Preferences()
	if p.String(kit.PrefFeedsAddr) != "127.0.0.1:8181" || p.String(kit.PrefFeedBase) != "https://calendar.example.org/kap" {
		t.Fatalf("prefs %q %q", p.String(kit.PrefFeedsAddr), p.String(kit.PrefFeedBase))
	}
	v.staff.list.Select(0)
	test.Tap(v.staff.feed.create)
	if u := v.staff.feed.url.Text; !strings.HasPrefix(u, "https://calendar.example.org/kap/feed/") {
		t.Fatalf("url=%q", u)
	}
}

// The privacy choices are kept and take effect.
func TestPrivacy(t *testing.T) {
	f, v := open(t)
	if f.Env.PatientLabel("Avery Quinn") != "A.Q." {
		t.Fatal("initials are not the default")
	}
	v.privacy.showNames.SetChecked(true)
	if got := f.Env.PatientLabel("Avery Quinn"); got != "Avery Quinn" {
		t.Fatalf("label=%q, want the full name", got)
	}
	v.privacy.feedPrivacy.SetSelected(privacyName(calendar.PrivacyFull))
	if got := f.Env.App.Preferences().String(kit.PrefFeedPrivacy); got != "full" {
		t.Fatalf("feed privacy pref=%q", got)
	}
	v.staff.list.Select(2)
	if v.staff.feed.privacy.Selected != privacyName(calendar.PrivacyFull) {
		t.Fatalf("new feed privacy=%q, want the default", v.staff.feed.privacy.Selected)
	}
	retype(v.privacy.fromName, "Appointments")
	test.Tap(v.privacy.saveFromName)
	c, _ := f.DB.Clinic(context.Background())
	if c.Email == nil || c.Email.FromName != "Appointments" || c.Email.Transport != booking.EmailEMLDir {
		t.Fatalf("email=%+v", c.Email)
	}
	if v.email.fromName.Text != "Appointments" {
		t.Fatalf("the email tab shows %q", v.email.fromName.Text)
	}

	// A sender's name that names the treatment in Spanish is refused
	// until the clinic ticks its choice (issue 13, item 2).
	retype(v.privacy.fromName, "Clínica Ketamina")
	test.Tap(v.privacy.saveFromName)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, `"Ketamina"`) {
		t.Fatalf("dialog says %q, want the word named", got)
	}
	closeDialogs(f.Env.Window)
	if c, _ = f.DB.Clinic(context.Background()); c.Email.FromName != "Appointments" {
		t.Fatalf("refused, yet the sender's name is %q", c.Email.FromName)
	}
	v.privacy.treatmentWords.SetChecked(true)
	test.Tap(v.privacy.saveFromName)
	if c, _ = f.DB.Clinic(context.Background()); !c.TreatmentWordsAllowed || c.Email.FromName != "Clínica Ketamina" {
		t.Fatalf("allowed %v, sender %q: want the clinic's choice and the name saved", c.TreatmentWordsAllowed, c.Email.FromName)
	}
}

// The email settings are checked, saved and tested.
func TestEmail(t *testing.T) {
	reminder.MockKeyring()
	t.Setenv(reminder.PasswordEnv, "")
	f, v := open(t)
	ctx := context.Background()

	// Test send with the default: an .eml file beside the database.
	test.Type(v.email.testTo, "frontdesk@example.org")
	test.Tap(v.email.sendTest)
	dir := filepath.Join(filepath.Dir(f.Env.DBPath), reminder.DefaultDirName)
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 || !strings.HasPrefix(v.email.testResult.Text, "Test message sent to frontdesk@example.org. It is an .eml file in "+dir) {
		t.Fatalf("files=%v result=%q", files, v.email.testResult.Text)
	}
	body, _ := os.ReadFile(files[0])
	if !strings.Contains(string(body), "Subject: Test message from kapbook") {
		t.Fatalf("the .eml has no test subject:\n%s", body)
	}

	// Plain text to a remote server is refused, and nothing is stored.
	v.email.transport.SetSelected(transportSMTP)
	test.Type(v.email.host, "smtp.example.org")
	v.email.security.SetSelected(securityOptions[2].name)
	test.Type(v.email.user, "clinic")
	test.Type(v.email.from, "appointments@harbor.example")
	test.Tap(v.email.save)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "These mail-server settings cannot be used: SMTP without TLS would send the password in plain text") {
		t.Fatalf("dialog says %q", got)
	}
	closeDialogs(f.Env.Window)
	if c, _ := f.DB.Clinic(ctx); c.Email != nil {
		t.Fatalf("email stored after a refusal: %+v", c.Email)
	}

	// Fixed, it is stored, with the password in the keyring only.
	v.email.security.SetSelected(securityOptions[0].name)
	test.Type(v.email.port, "587")
	test.Type(v.email.password, "s3cret")
	test.Tap(v.email.save)
	if got := overlayTexts(f.Env.Window); got != "" {
		t.Fatalf("dialog says %q", got)
	}
	c, _ := f.DB.Clinic(ctx)
	want := booking.EmailSettings{Transport: "smtp", Host: "smtp.example.org", Port: 587, Security: "starttls", User: "clinic", From: "appointments@harbor.example"}
	if c.Email == nil || *c.Email != want {
		t.Fatalf("email=%+v, want %+v", c.Email, want)
	}
	if o, err := reminder.PasswordSource("clinic", "smtp.example.org"); o != reminder.PasswordFromKeyring || err != nil {
		t.Fatalf("password from %s (%v), want the keyring", o, err)
	}
	if !strings.Contains(v.email.note.Text, "The password is stored in this computer's keyring.") || v.email.password.Text != "" {
		t.Fatalf("note=%q password field=%q", v.email.note.Text, v.email.password.Text)
	}
	if !strings.Contains(v.email.pwState.Text, "Now: stored in the keyring.") {
		t.Fatalf("password state=%q", v.email.pwState.Text)
	}

	// A bad port is refused in words.
	retype(v.email.port, "smtp")
	test.Tap(v.email.save)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, `"smtp" is not a port`) {
		t.Fatalf("dialog says %q", got)
	}
}

// Subscribing to a calendar's address stores its busy times and the
// subscription; a failing address says why and stores nothing.
func TestStaff_Subscribe(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "calendar", "testdata", "import", "therapist-first-week.ics"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/private/secret.ics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/calendar")
		w.Write(data)
	}))
	defer srv.Close()
	f, v := open(t)
	ctx := context.Background()
	if _, err := f.Env.Service.AllowCalendarHost(ctx, "127.0.0.1"); err != nil { // the test server
		t.Fatal(err)
	}
	v.staff.list.Select(0)
	s := v.staff.d.staff[0]
	if v.staff.clearBusy.Visible() {
		t.Fatal("Stop using own calendar shown with nothing to stop")
	}

	test.Type(v.staff.subscribeURL, srv.URL+"/private/missing.ics")
	test.Tap(v.staff.subscribe)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, s.Name+" was not subscribed to the calendar; nothing was changed.") || strings.Contains(got, "missing.ics") {
		t.Fatalf("dialog says %q, want the failure without the address", got)
	}
	closeDialogs(f.Env.Window)
	if subs, _ := f.DB.BusySubscriptions(ctx); len(subs) != 0 {
		t.Fatalf("subscriptions=%d after a failure", len(subs))
	}

	retype(v.staff.subscribeURL, srv.URL+"/private/secret.ics")
	test.Tap(v.staff.subscribe)
	subs, _ := f.DB.BusySubscriptions(ctx)
	list, _ := f.DB.StaffList(ctx)
	if len(subs) != 1 || subs[0].StaffID != s.ID || len(list[0].Busy) == 0 {
		t.Fatalf("subscriptions=%+v busy=%d", subs, len(list[0].Busy))
	}
	want := "Subscribed " + s.Name + " to the calendar at " + calendar.RedactURL(srv.URL) + ": " + strconv.Itoa(len(list[0].Busy)) + " busy times"
	if !strings.HasPrefix(v.staff.busyNote.Text, want) || strings.Contains(v.staff.busyInfo.Text, "secret") {
		t.Fatalf("note=%q info=%q, want %q… and no secret", v.staff.busyNote.Text, v.staff.busyInfo.Text, want)
	}
	if v.staff.subscribeURL.Text != "" {
		t.Fatalf("the address stays in the field: %q", v.staff.subscribeURL.Text)
	}

	// Stop using it: asked first, Keep changes nothing, Remove clears.
	if !v.staff.clearBusy.Visible() {
		t.Fatal("Stop using own calendar hidden for a subscribed member")
	}
	test.Tap(v.staff.clearBusy)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "the subscription to "+calendar.RedactURL(srv.URL)) || strings.Contains(got, "secret") {
		t.Fatalf("confirmation says %q, want the calendar's site and no secret", got)
	}
	tapDialogButton(t, f.Env.Window, "Keep")
	if subs, _ := f.DB.BusySubscriptions(ctx); len(subs) != 1 {
		t.Fatalf("subscriptions=%d after Keep", len(subs))
	}
	test.Tap(v.staff.clearBusy)
	tapDialogButton(t, f.Env.Window, "Remove")
	subs, _ = f.DB.BusySubscriptions(ctx)
	list, _ = f.DB.StaffList(ctx)
	if len(subs) != 0 || len(list[0].Busy) != 0 {
		t.Fatalf("after Remove: subscriptions=%d busy=%d, want none", len(subs), len(list[0].Busy))
	}
	if !strings.HasPrefix(v.staff.busyNote.Text, "Stopped fetching the calendar of "+s.Name) || !strings.HasPrefix(v.staff.busyInfo.Text, "0 busy times") ||
		v.staff.clearBusy.Visible() || lastAudit(t, f).Action != "busy-clear" {
		t.Fatalf("note=%q info=%q button shown=%v audit=%q", v.staff.busyNote.Text, v.staff.busyInfo.Text, v.staff.clearBusy.Visible(), lastAudit(t, f).Action)
	}
}

// BenchmarkRefresh measures reloading the whole screen (every tab) from
// the demo clinic's database, as after any change.
func BenchmarkRefresh(b *testing.B) {
	f := kittest.New(b, kittest.Options{Patients: 4, Booked: true})
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		v.Refresh()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/refresh")
	if len(v.staff.d.staff) != 8 {
		b.Fatalf("staff=%d, want the demo's 8", len(v.staff.d.staff))
	}
}

// The staff tab, with a member chosen, as the front desk sees it.
func TestStaff_Render(t *testing.T) {
	f, v := open(t)
	v.Tabs.SelectIndex(1)
	v.staff.list.Select(4)
	f.Env.Window.Canvas().Capture() // lays out what was shown since
	test.AssertRendersToMarkup(t, "staff.xml", f.Env.Window.Canvas())
}

// Time off over a booked appointment is saved, with a warning that the
// appointment needs moving.
func TestStaff_TimeOffClash(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 1, Booked: true})
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	a := f.Series[0].Appts[0]
	staffID := a.Staff[0].StaffID
	for i, s := range v.staff.d.staff {
		if s.ID == staffID {
			v.staff.list.Select(i)
		}
	}
	loc := f.Env.Service.Now().Location()
	day := a.Start.In(loc).Format("2006-01-02")
	v.staff.offFrom.SetText(day)
	test.Tap(v.staff.addTimeOff)
	test.Tap(v.staff.save)
	want := "Warning: 1 booked appointment(s) of " + a.Staff[0].Name + " fall in this time off or outside the changed working hours (" + kit.DateTime(a.Start.In(loc)) + ")"
	if !strings.Contains(v.staff.note.Text, want) {
		t.Fatalf("note=%q, want %q", v.staff.note.Text, want)
	}
	// It stays until it is moved, recorded as a decision.
	audit, _ := f.DB.Audit(context.Background(), booking.AuditFilter{PatientID: a.PatientID, Limit: 1})
	if len(audit) != 1 || audit[0].Action != "override" || audit[0].AppointmentID != a.ID || !strings.Contains(audit[0].Note, a.Staff[0].Name+" has time off then") {
		t.Fatalf("audit %+v, want the time off recorded as an override for appointment %d", audit, a.ID)
	}
	list, _ := f.DB.StaffList(context.Background())
	for _, s := range list {
		if s.ID == staffID && (len(s.TimeOff) != 1 || !s.TimeOff[0].Overlaps(a.Start, a.End)) {
			t.Fatalf("time off=%+v, want the day stored", s.TimeOff)
		}
	}
}

// Unsaved typing on one tab survives a save on another, which reloads
// the screen; the tab that saved shows what was stored.
func TestReload_KeepsUnsavedTyping(t *testing.T) {
	f, v := open(t)
	retype(v.clinic.name, "Typed but not saved")
	v.staff.list.Select(0)
	retype(v.staff.qualifications, "KAP, EMDR")
	test.Tap(v.rooms.add)
	test.Type(v.rooms.name, "Consult D")
	test.Tap(v.rooms.save)
	if v.clinic.name.Text != "Typed but not saved" || v.staff.qualifications.Text != "KAP, EMDR" {
		t.Fatalf("clinic name=%q qualifications=%q after another tab saved", v.clinic.name.Text, v.staff.qualifications.Text)
	}
	if c, _ := f.DB.Clinic(context.Background()); c.Name != "Harbor Wellness Center" {
		t.Fatalf("stored name=%q", c.Name)
	}
	// A closure added meanwhile does not undo the typing either, and the
	// clinic saved afterwards keeps the closure.
	v.clinic.closureFrom.SetText("2027-06-14")
	test.Tap(v.clinic.addClosure)
	test.Tap(v.clinic.save)
	c, _ := f.DB.Clinic(context.Background())
	if c.Name != "Typed but not saved" || c.ClosedOn(mustDate(t, "2027-06-14")) == nil {
		t.Fatalf("stored name=%q closures=%v", c.Name, c.Closures)
	}
}

// Changing the time zone asks first; the planner's slack is stored.
func TestClinic_ZoneAndSlack(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	v.clinic.zone.SetText("America/Chicago")
	retype(v.clinic.slack, "0")
	test.Tap(v.clinic.save)
	if got := overlayTexts(f.Env.Window); !strings.Contains(got, "Change the clinic's time zone from America/New_York to America/Chicago?") {
		t.Fatalf("dialog says %q, want a question", got)
	}
	if c, _ := f.DB.Clinic(ctx); c.TimeZone != "America/New_York" {
		t.Fatalf("zone stored before the answer: %s", c.TimeZone)
	}
	tapDialogButton(t, f.Env.Window, "Change")
	c, _ := f.DB.Clinic(ctx)
	if c.TimeZone != "America/Chicago" || c.SlackDays == nil || *c.SlackDays != 0 {
		t.Fatalf("stored zone=%s slack=%v", c.TimeZone, c.SlackDays)
	}
	if v.clinic.note.Text != "Saved the clinic settings." {
		t.Fatalf("note=%q", v.clinic.note.Text)
	}
}

// A room has a feed link too; a new room, not yet saved, has none to offer.
func TestRooms_Feed(t *testing.T) {
	f, v := open(t)
	test.Tap(v.rooms.add)
	if v.rooms.feed.content.Visible() {
		t.Fatal("the feed panel shows for a room not yet saved")
	}
	v.rooms.list.Select(3)
	r := v.rooms.d.rooms[3]
	if !v.rooms.feed.content.Visible() || v.rooms.feed.info.Text != r.Name+" has no calendar feed." {
		t.Fatalf("visible=%v info=%q", v.rooms.feed.content.Visible(), v.rooms.feed.info.Text)
	}
	test.Tap(v.rooms.feed.create)
	u := v.rooms.feed.url.Text
	token := strings.TrimSuffix(u[strings.LastIndex(u, "/")+1:], ".ics")
	feed, err := f.DB.Feed(context.Background(), calendar.FeedTokenHash(token))
	if err != nil || feed.Resource.Kind != booking.RoomResource || feed.Resource.ID != r.ID {
		t.Fatalf("feed=%+v err=%v, want %s's", feed, err, r.Name)
	}
	if !strings.Contains(v.rooms.feed.info.Text, r.Name+" has a live calendar feed") {
		t.Fatalf("info=%q", v.rooms.feed.info.Text)
	}
}

// TestClinic_TherapistChoice: the clinic chooses how a new series without
// a named therapist gets one.
func TestClinic_TherapistChoice(t *testing.T) {
	f, v := open(t)
	ctx := context.Background()
	if v.clinic.choice.Selected != choiceBalanced {
		t.Fatalf("shown %q, want the default %q", v.clinic.choice.Selected, choiceBalanced)
	}
	v.clinic.choice.SetSelected(choiceEarliest)
	test.Tap(v.clinic.save)
	if c, _ := f.DB.Clinic(ctx); c.TherapistChoice != booking.TherapistEarliest || c.Balanced() {
		t.Fatalf("stored %q, want earliest", c.TherapistChoice)
	}
	v.clinic.choice.SetSelected(choiceBalanced)
	test.Tap(v.clinic.save)
	if c, _ := f.DB.Clinic(ctx); !c.Balanced() {
		t.Fatalf("stored %q, want balanced", c.TherapistChoice)
	}
}

// Settings → Workstation says where the error log is: beside the
// database, where an administrator finds the details of an internal error.
func TestWorkstation_ErrorLog(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	f.Env.ErrorLog = errlog.New(f.Env.DBPath)
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Refresh()
	want := f.Env.DBPath + errlog.Suffix
	if got := v.station.errorLog.Text; !filepath.IsAbs(got) || filepath.Base(got) != filepath.Base(want) || filepath.Dir(got) != filepath.Dir(want) {
		t.Fatalf("the error log is said to be %q, want %q", got, want)
	}
	f.Env.ErrorLog = nil
	if got := errorLogPlace(f.Env); got != "No error log is kept for this window." {
		t.Fatalf("without a log: %q", got)
	}
}

// Another desk's change (the background watch) does not reload Settings
// under the hands of someone typing in it; a change made here does.
func TestSettings_KeepsTypingThroughOtherDesks(t *testing.T) {
	f, v := open(t)
	v.Refresh()
	ctx := context.Background()
	retype(v.clinic.name, "Harbor Clinic (typing)")
	c, err := f.DB.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Phone = "+1 617 555 0199"
	desk2 := &booking.Service{Store: f.DB, Now: f.Env.Now, Actor: "Desk 2"}
	if _, err := desk2.SaveClinic(ctx, c); err != nil {
		t.Fatal(err)
	}
	f.Env.ChangedElsewhere()
	if got := v.clinic.name.Text; got != "Harbor Clinic (typing)" {
		t.Fatalf("another desk's change reset what was typed to %q", got)
	}
	f.Env.Changed()
	if got := v.clinic.phone.Text; got != "+1 617 555 0199" {
		t.Fatalf("a change made here did not reload Settings: phone %q", got)
	}
}

// gatedClinic is a store whose clinic read waits until the gate opens.
type gatedClinic struct {
	booking.Store
	gate chan struct{}
}

func (g gatedClinic) Clinic(ctx context.Context) (*booking.Clinic, error) {
	<-g.gate
	return g.Store.Clinic(ctx)
}

// TestClinic_SaveWaitsForLoad: until the stored clinic fills the form, the
// tab says it is loading and nothing can be typed or saved; then it can.
func TestClinic_SaveWaitsForLoad(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	g := gatedClinic{Store: f.DB, gate: make(chan struct{})}
	f.Env.Store, f.Env.Inline, f.Env.Delay = g, false, time.Hour
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	ct := v.clinic
	if !ct.save.Disabled() || !ct.name.Disabled() || !ct.addClosure.Disabled() {
		t.Fatalf("while loading: save disabled=%v, name disabled=%v, add closure disabled=%v; want all off",
			ct.save.Disabled(), ct.name.Disabled(), ct.addClosure.Disabled())
	}
	if !ct.loading.Visible() || !strings.Contains(ct.loading.Text, "Loading") {
		t.Fatalf("while loading: loading note visible=%v %q", ct.loading.Visible(), ct.loading.Text)
	}
	close(g.gate)
	f.Env.Wait()
	if ct.save.Disabled() || ct.name.Disabled() || ct.loading.Visible() {
		t.Fatalf("after loading: save disabled=%v, name disabled=%v, loading shown=%v", ct.save.Disabled(), ct.name.Disabled(), ct.loading.Visible())
	}
	if ct.name.Text == "" {
		t.Fatal("after loading: the clinic's name is not shown")
	}
}

// Issue 14, item 11: a tab's result line stays through the reload its
// own save brings, and a reload kit.MessageFor later hides it.
func TestSettings_NoteGoesStale(t *testing.T) {
	f, v := open(t)
	start := f.Env.Time()
	test.Tap(v.clinic.save)
	v.Refresh()
	if !v.clinic.note.Visible() || v.clinic.note.Text != "Saved the clinic settings." {
		t.Fatalf("note=%q visible=%v right after saving", v.clinic.note.Text, v.clinic.note.Visible())
	}
	f.Env.Now = func() time.Time { return start.Add(kit.MessageFor) }
	v.Refresh()
	if v.clinic.note.Visible() {
		t.Fatalf("note %q still shows a minute later", v.clinic.note.Text)
	}
}
