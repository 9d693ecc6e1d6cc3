package settings

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
	"github.com/kapbook/kapbook/internal/secret"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// calFixture is the Settings screen of a demo clinic with two patients'
// series booked, a Radicale server that signs tara in, and the Staff tab
// showing the therapist of the first series.
type calFixture struct {
	f     *kittest.Fixture
	v     *View
	srv   *davtest.Server
	staff *booking.Staff
	p     *calendarPanel
}

func openCalDAV(t *testing.T) *calFixture {
	t.Helper()
	srv := davtest.Radicale(t, "tara", "pw")
	secret.Mock()
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	if _, err := f.Env.Service.AllowCalendarHost(context.Background(), "127.0.0.1"); err != nil { // the test server
		t.Fatal(err)
	}
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Tabs.SelectIndex(1)
	c := &calFixture{f: f, v: v, srv: srv, p: v.staff.cal}
	id := f.Series[0].TherapistID
	for i, s := range v.staff.d.staff {
		if s.ID == id {
			v.staff.list.Select(i)
			c.staff = s
		}
	}
	if c.staff == nil {
		t.Fatalf("the therapist %d is not listed", id)
	}
	return c
}

// booked returns how many of the staff member's appointments a calendar
// shows: those not cancelled, from a feed's days back to its days ahead.
func (c *calFixture) booked(t *testing.T) int {
	t.Helper()
	appts, err := c.f.DB.Appointments(context.Background(), booking.AppointmentFilter{StaffID: c.staff.ID,
		From: kittest.Now.AddDate(0, 0, -calendar.FeedDaysBack-1), To: kittest.Now.AddDate(0, 0, calendar.FeedDaysAhead)})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range appts {
		if a.Status != booking.Cancelled {
			n++
		}
	}
	if n == 0 {
		t.Fatal("the therapist has no appointments; the test shows nothing")
	}
	return n
}

// onServer returns how many events the calendar at addr holds in the
// coming year, as the server says.
func (c *calFixture) onServer(t *testing.T, addr string) int {
	t.Helper()
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := caldav.NewClient([]string{"127.0.0.1"}, c.srv.User, c.srv.Password).Query(context.Background(), u, kittest.Now.AddDate(0, 0, -30), kittest.Now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatalf("reading %s: %v", addr, err)
	}
	return len(objs)
}

// account returns the stored connection, or nil.
func (c *calFixture) account(t *testing.T) *booking.CalDAVAccount {
	t.Helper()
	accts, err := c.f.DB.CalDAVAccounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		if a.StaffID == c.staff.ID {
			return a
		}
	}
	if len(accts) > 0 {
		t.Fatalf("connections=%+v, want none or the therapist's", accts)
	}
	return nil
}

func (c *calFixture) items(t *testing.T) int {
	t.Helper()
	items, err := c.f.DB.CalDAVItems(context.Background(), c.staff.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

// signIn opens the connect dialog and types the server and sign-in.
func (c *calFixture) signIn(t *testing.T, password string) *connectDialog {
	t.Helper()
	if !c.p.connect.Visible() || c.p.connect.Disabled() {
		t.Fatal("Connect calendar… is not offered")
	}
	test.Tap(c.p.connect)
	d := c.p.dlg
	if d == nil || c.f.Env.Window.Canvas().Overlays().Top() == nil {
		t.Fatal("no connect dialog shows")
	}
	disabled(t, map[string]*kit.Button{"Find calendars": d.find, "Connect": d.connect})
	if !d.choice.Disabled() {
		t.Fatal("the choice of calendar is enabled before any was found")
	}
	test.Type(d.server, c.srv.URL)
	test.Type(d.user, c.srv.User)
	test.Type(d.password, password)
	if d.find.Disabled() {
		t.Fatal("Find calendars is disabled with a server typed")
	}
	return d
}

// disabled fails unless every button is disabled.
func disabled(t *testing.T, buttons map[string]*kit.Button) {
	t.Helper()
	for name, b := range buttons {
		if !b.Disabled() {
			t.Errorf("%s is enabled; it cannot act yet", name)
		}
	}
}

// Connecting a new calendar for kapbook: the dialog finds none, offers a
// new one, connects and sends every appointment; the panel says how the
// calendar stands; Sync now sends nothing more; Disconnect deletes the
// calendar kapbook made.
func TestCalDAV_ConnectNewCalendar(t *testing.T) {
	c := openCalDAV(t)
	w := c.f.Env.Window
	if !strings.HasSuffix(c.p.info.Text, "has no calendar connected.") || c.p.syncNow.Visible() || c.p.disconnect.Visible() {
		t.Fatalf("info=%q sync shown=%v disconnect shown=%v, want only Connect", c.p.info.Text, c.p.syncNow.Visible(), c.p.disconnect.Visible())
	}
	d := c.signIn(t, c.srv.Password)
	test.Tap(d.find)
	if got := overlayTexts(w); strings.Contains(got, "Cannot do that") {
		t.Fatalf("Find calendars failed: %q", got)
	}
	if d.choice.Selected != newCalendarChoice || d.newName.Text != "kapbook" || d.newName.Disabled() || d.connect.Disabled() {
		t.Fatalf("choice=%q name=%q (disabled %v) connect disabled=%v, want a new calendar named kapbook, ready", d.choice.Selected, d.newName.Text, d.newName.Disabled(), d.connect.Disabled())
	}
	if d.privacy.Selected != privacyName(calendar.PrivacyInitials) {
		t.Fatalf("privacy=%q, want initials by default", d.privacy.Selected)
	}
	if d.connect.Importance != widget.HighImportance || d.cancel.Importance == widget.HighImportance {
		t.Fatal("Connect is not the one highlighted button (Enter), or Cancel is (Escape)")
	}
	retype(d.newName, "")
	disabled(t, map[string]*kit.Button{"Connect without a name": d.connect})
	test.Type(d.newName, "Clinic")
	test.Tap(d.connect)

	want := c.booked(t)
	a := c.account(t)
	if a == nil || !a.Made || a.CalendarName != "Clinic" || a.Privacy != "initials" || a.User != "tara" {
		t.Fatalf("connection=%+v, want the calendar Clinic made by kapbook, initials, as tara", a)
	}
	if got := c.items(t); got != want {
		t.Fatalf("items=%d, want the therapist's %d appointments", got, want)
	}
	if got := c.onServer(t, a.Calendar); got != want {
		t.Fatalf("the server holds %d events, want %d", got, want)
	}
	if top := w.Canvas().Overlays().Top(); top != nil {
		t.Fatalf("a dialog still shows: %q", overlayTexts(w))
	}
	note := "Connected " + c.staff.Name + "'s calendar “Clinic” on " + c.srv.Host + ". Sent " + itoa(want) + " appointments to the calendar (" + itoa(want) + " new). 0 busy times from it now block booking."
	if c.p.note.Text != note || !c.p.note.Visible() {
		t.Fatalf("note=%q, want %q", c.p.note.Text, note)
	}
	info := "Connected to the calendar “Clinic” on " + c.srv.Host + ", signed in as tara. Patients show as initials. " + itoa(want) + " appointments are on it. Busy time last read " + "Mon 1 Mar 2027 09:00."
	if c.p.info.Text != info {
		t.Fatalf("info=%q, want %q", c.p.info.Text, info)
	}
	if c.p.connect.Visible() || !c.p.syncNow.Visible() || c.p.syncNow.Disabled() || c.p.disconnect.Disabled() || c.p.problem.Visible() {
		t.Fatal("the panel does not offer Sync now and Disconnect… alone, or shows a problem")
	}
	if !strings.HasPrefix(c.p.log.Text, "Mon 1 Mar 2027 09:00   Sent "+itoa(want)+" appointments to the calendar") || !strings.Contains(c.p.log.Text, "Connected to the calendar “Clinic” (made by kapbook)") {
		t.Fatalf("log=%q, want the push newest first, then the connection", c.p.log.Text)
	}
	if au := lastAudit(t, c.f); au.Action != "caldav-connect" || au.Actor != "kapbook on Front desk" {
		t.Fatalf("audit=%+v, want caldav-connect", au)
	}

	test.Tap(c.p.syncNow)
	if got := overlayTexts(w); got != "" {
		t.Fatalf("Sync now shows %q", got)
	}
	if want := "Nothing needed sending; the calendar shows every appointment. 0 busy times from it now block booking."; c.p.note.Text != want {
		t.Fatalf("note=%q, want %q", c.p.note.Text, want)
	}

	// Disconnect: Keep changes nothing; Disconnect deletes the calendar.
	test.Tap(c.p.disconnect)
	if got := overlayTexts(w); !strings.Contains(got, "Disconnect the calendar “Clinic” on "+c.srv.Host+" from "+c.staff.Name+"?") {
		t.Fatalf("confirmation says %q", got)
	}
	if !c.p.remove.Checked || c.p.remove.Text != "Also delete this calendar, which kapbook made, and its events" || !strings.Contains(overlayTexts(w), "kapbook made “Clinic”: ticked, the calendar itself is deleted.") {
		t.Fatalf("checkbox %q checked=%v, want checked and saying the calendar is deleted", c.p.remove.Text, c.p.remove.Checked)
	}
	tapDialogButton(t, w, "Keep")
	if c.account(t) == nil {
		t.Fatal("Keep disconnected the calendar")
	}
	test.Tap(c.p.disconnect)
	tapDialogButton(t, w, "Disconnect")
	if c.account(t) != nil || c.items(t) != 0 {
		t.Fatal("the connection or its items are still stored")
	}
	u, _ := url.Parse(a.Calendar)
	if _, err := caldav.NewClient([]string{"127.0.0.1"}, "tara", "pw").Query(context.Background(), u, kittest.Now, kittest.Now.AddDate(0, 1, 0)); err == nil {
		t.Fatal("the calendar kapbook made is still on the server")
	}
	if want := "Disconnected the calendar of " + c.staff.Name + ". The calendar kapbook made was deleted from the server."; c.p.note.Text != want {
		t.Fatalf("note=%q, want %q", c.p.note.Text, want)
	}
	if !c.p.connect.Visible() || c.p.syncNow.Visible() || !strings.HasSuffix(c.p.info.Text, "has no calendar connected.") {
		t.Fatalf("after Disconnect the panel shows %q", c.p.info.Text)
	}
}

// Connecting the therapist's own calendar, the first one found; a change
// of privacy is kept; Disconnect with the box ticked removes kapbook's
// events and leaves the calendar.
func TestCalDAV_ConnectTheirCalendar(t *testing.T) {
	c := openCalDAV(t)
	ctx := context.Background()
	cl := caldav.NewClient([]string{"127.0.0.1"}, "tara", "pw")
	home, _, err := cl.Discover(ctx, c.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	work, err := cl.MakeCalendar(ctx, home, "Work")
	if err != nil {
		t.Fatal(err)
	}
	d := c.signIn(t, "pw")
	test.Tap(d.find)
	if d.choice.Selected != "Work" || !d.newName.Disabled() || d.found.Text != "1 calendar found." {
		t.Fatalf("choice=%q name disabled=%v found=%q, want their calendar Work first", d.choice.Selected, d.newName.Disabled(), d.found.Text)
	}
	d.privacy.SetSelected(privacyName(calendar.PrivacyID))
	test.Tap(d.connect)
	want := c.booked(t)
	a := c.account(t)
	if a == nil || a.Made || a.Calendar != work.URL || a.Privacy != "id" {
		t.Fatalf("connection=%+v, want Work, not made, patient numbers", a)
	}
	if got := c.onServer(t, work.URL); got != want {
		t.Fatalf("the server holds %d events, want %d", got, want)
	}
	if !strings.Contains(c.p.info.Text, "Patients show as patient numbers. "+itoa(want)+" appointments are on it.") {
		t.Fatalf("info=%q", c.p.info.Text)
	}

	test.Tap(c.p.disconnect)
	if want := "Also remove the " + itoa(want) + " events kapbook put in this calendar"; c.p.remove.Text != want || !c.p.remove.Checked {
		t.Fatalf("checkbox %q checked=%v, want %q, checked", c.p.remove.Text, c.p.remove.Checked, want)
	}
	tapDialogButton(t, c.f.Env.Window, "Disconnect")
	if c.account(t) != nil || c.items(t) != 0 {
		t.Fatal("the connection or its items are still stored")
	}
	if got := c.onServer(t, work.URL); got != 0 {
		t.Fatalf("the server still holds %d events of kapbook's", got)
	}
	if want := "Disconnected the calendar of " + c.staff.Name + ". Removed " + itoa(want) + " events from it."; c.p.note.Text != want {
		t.Fatalf("note=%q, want %q", c.p.note.Text, want)
	}
}

// A wrong password shows the server's refusal in words and stores
// nothing; a sign-in changed after Find asks to find again.
func TestCalDAV_WrongPassword(t *testing.T) {
	c := openCalDAV(t)
	w := c.f.Env.Window
	d := c.signIn(t, "wrong")
	test.Tap(d.find)
	if got := overlayTexts(w); !strings.Contains(got, "No calendars were found; the server "+c.srv.Host+" refused the user name or password (401 Unauthorized)") {
		t.Fatalf("dialog says %q, want the refusal in words", got)
	}
	tapDialogButton(t, w, "OK")
	if c.account(t) != nil {
		t.Fatal("a connection was stored")
	}
	disabled(t, map[string]*kit.Button{"Connect": d.connect})

	retype(d.password, "pw")
	test.Tap(d.find)
	if d.connect.Disabled() {
		t.Fatal("Connect is disabled after the calendars were found")
	}
	test.Type(d.password, "x")
	disabled(t, map[string]*kit.Button{"Connect after the password changed": d.connect})
	if !d.choice.Disabled() || d.found.Text != "Changed: find them again." {
		t.Fatalf("found=%q choice disabled=%v", d.found.Text, d.choice.Disabled())
	}
	test.Tap(d.cancel)
	if w.Canvas().Overlays().Top() != nil || c.account(t) != nil {
		t.Fatal("Cancel left the dialog, or stored a connection")
	}
}

// A sync that fails shows why on the panel, in words, and Sync now says
// so in a dialog.
func TestCalDAV_SyncFails(t *testing.T) {
	c := openCalDAV(t)
	d := c.signIn(t, "pw")
	test.Tap(d.find)
	test.Tap(d.connect)
	c.srv.Stop()
	test.Tap(c.p.syncNow)
	got := overlayTexts(c.f.Env.Window)
	if !strings.Contains(got, "The calendar of "+c.staff.Name+" was not synced; ") {
		t.Fatalf("dialog says %q", got)
	}
	closeDialogs(c.f.Env.Window)
	a := c.account(t)
	if a == nil || a.Error == "" {
		t.Fatalf("connection=%+v, want its error kept", a)
	}
	if want := "The last sync failed: " + a.Error + "."; !c.p.problem.Visible() || !strings.HasPrefix(c.p.problem.Text, want) {
		t.Fatalf("problem=%q shown=%v, want %q…", c.p.problem.Text, c.p.problem.Visible(), want)
	}
	if !strings.Contains(c.p.log.Text, upper(a.Error)) {
		t.Fatalf("log=%q, want the error", c.p.log.Text)
	}
}

func upper(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// The connect dialog with calendars found, the panel with a calendar
// connected, and after a sync failed, as the front desk sees them in the
// smallest window (1024 × 700), which none may outgrow, and a large one.
func TestCalDAV_Render(t *testing.T) {
	for _, size := range []fyne.Size{fyne.NewSize(1024, 700), fyne.NewSize(1600, 1000)} {
		t.Run(fmt.Sprintf("%.0fx%.0f", size.Width, size.Height), func(t *testing.T) {
			c := openCalDAV(t)
			w := c.f.Env.Window
			w.Resize(size)
			// The server's port changes from run to run: the goldens
			// show a fixed one.
			const fixed = "127.0.0.1:5232"
			check := func(state string) {
				t.Helper()
				for _, l := range []*widget.Label{c.p.info, c.p.problem, c.p.note, c.p.log} {
					l.SetText(strings.ReplaceAll(l.Text, c.srv.Host, fixed))
				}
				w.Canvas().Capture() // lays out what changed
				if m := w.Content().MinSize(); m.Width > size.Width || m.Height > size.Height {
					t.Errorf("%s needs %.0f × %.0f, more than the window's %.0f × %.0f", state, m.Width, m.Height, size.Width, size.Height)
				}
				if top := w.Canvas().Overlays().Top(); top != nil {
					if m := top.MinSize(); m.Width > size.Width || m.Height > size.Height {
						t.Errorf("the dialog of %s needs %.0f × %.0f, more than the window's", state, m.Width, m.Height)
					}
				}
				test.AssertRendersToMarkup(t, fmt.Sprintf("caldav-%s-%.0fx%.0f.xml", state, size.Width, size.Height), w.Canvas())
			}
			d := c.signIn(t, "pw")
			test.Tap(d.find)
			d.server.Text = "http://" + fixed + "/"
			d.server.Refresh()
			check("connect")
			d.server.Text = c.srv.URL
			test.Tap(d.connect)
			check("connected")
			c.srv.Stop()
			test.Tap(c.p.syncNow)
			closeDialogs(w)
			check("failed")
		})
	}
}

// A calendar connected on another desk, whose password this computer's
// keyring lacks: Sync now says why, and the panel shows it as this
// computer's problem, while the connection's shared state stays clear
// (the other desk may be syncing it well).
func TestCalDAV_PasswordOnAnotherDesk(t *testing.T) {
	c := openCalDAV(t)
	ctx := context.Background()
	other := &caldav.Syncer{Store: c.f.Env.Store, Now: c.f.Env.Time, Actor: "kapbook on the other desk"}
	home, _, err := caldav.Discover(ctx, c.f.Env.Store, c.srv.URL, "tara", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Connect(ctx, caldav.ConnectRequest{StaffID: c.staff.ID, Server: c.srv.URL, User: "tara", Password: "pw", Home: home, NewName: "kapbook"}); err != nil {
		t.Fatal(err)
	}
	secret.Delete("caldav:tara@" + c.srv.Host) // only the other desk's keyring has it
	c.p.set(c.staff)
	test.Tap(c.p.syncNow)
	if got := overlayTexts(c.f.Env.Window); !strings.Contains(got, "keyring holds no password") {
		t.Fatalf("dialog says %q", got)
	}
	closeDialogs(c.f.Env.Window)
	c.p.set(c.staff)
	if !c.p.problem.Visible() || !strings.HasPrefix(c.p.problem.Text, "This computer cannot sync the calendar: this computer's keyring holds no password") {
		t.Fatalf("problem=%q shown=%v", c.p.problem.Text, c.p.problem.Visible())
	}
	if a := c.account(t); a == nil || a.Error != "" {
		t.Fatalf("connection=%+v, want its shared error clear", a)
	}
}
