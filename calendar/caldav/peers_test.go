package caldav_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
	"github.com/kapbook/kapbook/internal/peer"
	"github.com/kapbook/kapbook/internal/secret"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

func TestMain(m *testing.M) {
	secret.Mock()
	os.Exit(m.Run())
}

// fixture is the demo clinic with one therapist's series booked, on a
// clock the test moves.
type fixture struct {
	db        *store.DB
	svc       *booking.Service
	sync      *caldav.Syncer
	therapist int64
	instance  string
	now       time.Time
	loc       *time.Location
}

// newFixture books series kap-standard series with the demo clinic's
// first therapist, from 2027-03-02, with the clock at 2027-03-01 09:00.
func newFixture(tb testing.TB, series int) *fixture {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Create(filepath.Join(tb.TempDir(), "kapbook.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	f := &fixture{db: db}
	if err := resources.InitDemo(ctx, db, "test", time.Now()); err != nil {
		tb.Fatal(err)
	}
	c, err := db.Clinic(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	f.loc = c.Location()
	f.now = time.Date(2027, 3, 1, 9, 0, 0, 0, f.loc)
	clock := func() time.Time { return f.now }
	f.svc = &booking.Service{Store: db, Now: clock, Actor: "front desk"}
	f.sync = &caldav.Syncer{Store: db, Now: clock, Actor: "kapbook sync"}
	if _, err := f.svc.AllowCalendarHost(ctx, "127.0.0.1"); err != nil {
		tb.Fatal(err)
	}
	staff, _ := db.StaffList(ctx)
	for _, s := range staff {
		if s.HasRole(booking.RoleTherapist) {
			f.therapist = s.ID
			break
		}
	}
	f.instance, _ = db.InstanceID(ctx)
	for i := range series {
		p := &booking.Patient{Name: fmt.Sprintf("Patient %03d Test", i), Email: fmt.Sprintf("p%d@example.org", i)}
		if err := f.svc.AddPatient(ctx, p); err != nil {
			tb.Fatal(err)
		}
		off := i % 20 // a few weeks, densely
		if series > 20 {
			off = (i * 9) % 300 // as many as the therapist's year holds
		}
		from := booking.DateOf(f.now) + 1 + booking.Date(off)
		if _, err := f.svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: from, TherapistID: f.therapist}); err != nil {
			tb.Fatalf("series %d: %v", i, err)
		}
	}
	return f
}

// wanted returns the therapist's appointments the calendar should show.
func (f *fixture) wanted(tb testing.TB) map[int64]*booking.Appointment {
	tb.Helper()
	appts, err := f.db.Appointments(context.Background(), booking.AppointmentFilter{StaffID: f.therapist,
		From: f.now.AddDate(0, 0, -calendar.FeedDaysBack-1), To: f.now.AddDate(0, 0, calendar.FeedDaysAhead)})
	if err != nil {
		tb.Fatal(err)
	}
	out := map[int64]*booking.Appointment{}
	for _, a := range appts {
		if a.Status != booking.Cancelled {
			out[a.ID] = a
		}
	}
	return out
}

// connect connects the therapist's calendar on srv: a new calendar made
// by kapbook when newName is set, else the first one found.
func (f *fixture) connect(t *testing.T, srv *davtest.Server, newName string) *booking.CalDAVAccount {
	t.Helper()
	ctx := context.Background()
	home, cals, err := caldav.Discover(ctx, f.db, srv.URL, srv.User, srv.Password)
	if err != nil {
		t.Fatalf("discover on %s: %v", srv.Name, err)
	}
	req := caldav.ConnectRequest{StaffID: f.therapist, Server: srv.URL, User: srv.User, Password: srv.Password, Home: home}
	if newName != "" {
		req.NewName = newName
	} else {
		if len(cals) == 0 {
			t.Fatalf("%s: no calendar found from %s (home %s)", srv.Name, srv.URL, home)
		}
		req.Calendar = cals[0].URL
	}
	a, err := f.sync.Connect(ctx, req)
	if err != nil {
		t.Fatalf("connect on %s: %v", srv.Name, err)
	}
	return a
}

// syncNow pushes and pulls the therapist's calendar and fails t on any
// error.
func (f *fixture) syncNow(t testing.TB) caldav.Result {
	t.Helper()
	res, err := f.sync.Sync(context.Background(), f.therapist, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("sync: %+v", res)
	}
	return res[0]
}

// peerEvent is an event as python3-icalendar read it.
type peerEvent struct {
	UID        string `json:"uid"`
	Start, End int64
	Status     string `json:"status"`
	Summary    string `json:"summary"`
	Path       string
}

// serverEvents reads every event of the calendar at cal from the server
// (as the server keeps them) with python3-icalendar, by UID.
func serverEvents(t *testing.T, srv *davtest.Server, cal string) map[string][]peerEvent {
	t.Helper()
	if _, err := exec.Command("/usr/bin/python3", "-c", "import icalendar").CombinedOutput(); err != nil {
		peer.Require(t, fmt.Errorf("python3-icalendar is not installed"))
	}
	objs := raw(t, srv, cal)
	dir := t.TempDir()
	var files []string
	paths := map[string]string{}
	for i, o := range objs {
		name := filepath.Join(dir, fmt.Sprintf("%d.ics", i))
		if err := os.WriteFile(name, o.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
		paths[name] = o.Path
	}
	out := map[string][]peerEvent{}
	if len(files) == 0 {
		return out
	}
	cmd := exec.Command("/usr/bin/python3", append([]string{filepath.Join("..", "testdata", "peers", "pyical_times.py")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-icalendar: %v\n%s", err, stderr.String())
	}
	var parsed map[string][]struct {
		UID        string `json:"uid"`
		Start, End int64
		Status     string `json:"status"`
		Summary    string `json:"summary"`
	}
	if err := json.Unmarshal(b, &parsed); err != nil {
		t.Fatal(err)
	}
	for file, evs := range parsed {
		for _, e := range evs {
			out[e.UID] = append(out[e.UID], peerEvent{UID: e.UID, Start: e.Start, End: e.End, Status: e.Status, Summary: e.Summary, Path: paths[file]})
		}
	}
	return out
}

// raw lists the calendar's objects with a PROPFIND and GETs each one,
// without kapbook's client.
func raw(t *testing.T, srv *davtest.Server, cal string) []caldav.Object {
	t.Helper()
	body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`
	code, resp := do(t, srv, "PROPFIND", cal, []byte(body), "Depth", "1", "Content-Type", "application/xml")
	if code != http.StatusMultiStatus {
		t.Fatalf("PROPFIND %s: %d %s", cal, code, resp)
	}
	var ms struct {
		Hrefs []string `xml:"response>href"`
	}
	if err := xmlUnmarshal(resp, &ms); err != nil {
		t.Fatal(err)
	}
	var out []caldav.Object
	for _, h := range ms.Hrefs {
		if !strings.HasSuffix(h, ".ics") {
			continue
		}
		code, data := do(t, srv, "GET", h, nil)
		if code == http.StatusNotFound {
			// Deleted between the listing and now: a sync running beside
			// the test (TestPeers_RunPushesChanges) removes cancelled
			// events at any moment.
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", h, code)
		}
		out = append(out, caldav.Object{Path: h, Data: data})
	}
	return out
}

// do sends one request to srv (path or full address) and returns the
// status and body.
func do(t testing.TB, srv *davtest.Server, method, target string, body []byte, header ...string) (int, []byte) {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = strings.TrimSuffix(srv.URL, "/") + target
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(srv.User, srv.Password)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

// checkServer asserts that the server holds exactly one event for each
// appointment the therapist's calendar should show, at its times to the
// second, and no other event of kapbook's.
func (f *fixture) checkServer(t *testing.T, srv *davtest.Server, cal string) {
	t.Helper()
	got := serverEvents(t, srv, cal)
	want := f.wanted(t)
	for id, a := range want {
		uid := calendar.UID(f.instance, id)
		evs := got[uid]
		if len(evs) != 1 {
			t.Errorf("%s: appointment %d is on the server %d times, want once", srv.Name, id, len(evs))
			continue
		}
		if evs[0].Start != a.Start.Unix() || evs[0].End != a.End.Unix() {
			t.Errorf("%s: appointment %d is %s–%s on the server, %s–%s in kapbook", srv.Name, id,
				time.Unix(evs[0].Start, 0).In(f.loc), time.Unix(evs[0].End, 0).In(f.loc), a.Start, a.End)
		}
	}
	ours := 0
	for uid, evs := range got {
		if strings.HasSuffix(uid, "-"+f.instance+"@kapbook") {
			ours += len(evs)
		}
	}
	if ours != len(want) {
		t.Errorf("%s: %d of kapbook's events on the server, want %d", srv.Name, ours, len(want))
	}
}

// logText returns the therapist's sync log, oldest first, one line each.
func (f *fixture) logText(t testing.TB) string {
	t.Helper()
	log, err := f.db.CalDAVLog(context.Background(), f.therapist, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := len(log) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "%s: %s\n", log[i].Kind, log[i].Message)
	}
	return b.String()
}

// TestPeers_PushPull is the whole round against Radicale and Xandikos:
// connect with discovery, push 200 appointments, move 20 and cancel 10,
// edit and delete events on the server and see them put back, add a
// private event and see booking avoid it.
func TestPeers_PushPull(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes hundreds of events to two servers")
	}
	for _, start := range []func(testing.TB) *davtest.Server{
		func(tb testing.TB) *davtest.Server { return davtest.Radicale(tb, "tara", "s3cret pass") },
		func(tb testing.TB) *davtest.Server { return davtest.Xandikos(tb) },
	} {
		srv := start(t)
		t.Run(srv.Name, func(t *testing.T) { pushPull(t, srv) })
	}
}

func pushPull(t *testing.T, srv *davtest.Server) {
	ctx := context.Background()
	f := newFixture(t, 14)
	newName := ""
	if srv.Name == "radicale" {
		newName = "kapbook" // Radicale starts with no calendar: kapbook makes one
	}
	acct := f.connect(t, srv, newName)
	if n := len(f.wanted(t)); n < 200 {
		t.Fatalf("the fixture has %d appointments for the therapist, want at least 200", n)
	}

	res := f.syncNow(t)
	if res.New != len(f.wanted(t)) || res.Changed+res.Removed+res.Restored != 0 {
		t.Fatalf("first push: %+v, want %d new", res, len(f.wanted(t)))
	}
	f.checkServer(t, srv, acct.Calendar)
	for _, o := range raw(t, srv, acct.Calendar) {
		if bytes.Contains(o.Data, []byte("Patient 0")) || bytes.Contains(o.Data, []byte("@example.org")) {
			t.Fatalf("%s: an event names a patient in full (privacy initials):\n%s", srv.Name, o.Data)
		}
	}
	if again := f.syncNow(t); again.Pushed() != 0 {
		t.Errorf("a second sync with nothing changed did %+v", again)
	}

	// Move 20, cancel 10.
	moved, cancelled := 0, 0
	for _, a := range sortedAppts(f.wanted(t)) {
		if moved < 20 && a.Kind == "integration" {
			sug, err := f.svc.Suggest(ctx, a.ID, 3)
			if err != nil || len(sug.Alternatives) == 0 {
				continue
			}
			if _, err := f.svc.Reschedule(ctx, a.ID, sug.Alternatives[len(sug.Alternatives)-1].Start, false); err == nil {
				moved++
			}
		} else if cancelled < 10 && a.Kind == "preparation" {
			if _, err := f.svc.Cancel(ctx, booking.CancelRequest{AppointmentID: a.ID, By: booking.ByClinic, Reason: "test"}); err == nil {
				cancelled++
			}
		}
	}
	if moved < 20 || cancelled < 10 {
		t.Fatalf("moved %d, cancelled %d; want 20 and 10", moved, cancelled)
	}
	res = f.syncNow(t)
	if res.Changed < 20 || res.Removed < 10 || res.New != 0 {
		t.Errorf("after 20 moves and 10 cancellations: %+v", res)
	}
	f.checkServer(t, srv, acct.Calendar)

	// The therapist moves one event and deletes another on the server.
	items, _ := f.db.CalDAVItems(ctx, f.therapist)
	want := f.wanted(t)
	var editedID, deletedID int64
	for _, it := range items {
		if want[it.AppointmentID] == nil {
			continue
		}
		cal, _ := urlParse(acct.Calendar)
		u := cal.ResolveReference(mustURL(t, it.Href)).String()
		switch {
		case editedID == 0:
			code, body := do(t, srv, "GET", u, nil)
			if code != 200 {
				t.Fatalf("GET: %d", code)
			}
			a := want[it.AppointmentID]
			shifted := shiftEvent(t, body, a, 2*time.Hour)
			if code, msg := do(t, srv, "PUT", u, shifted, "Content-Type", "text/calendar; charset=utf-8"); code/100 != 2 {
				t.Fatalf("PUT an edit: %d %s", code, msg)
			}
			editedID = it.AppointmentID
		case deletedID == 0:
			if code, _ := do(t, srv, "DELETE", u, nil); code/100 != 2 {
				t.Fatalf("DELETE: %d", code)
			}
			deletedID = it.AppointmentID
		}
	}
	// A private event of the therapist's, on a day kapbook has not filled.
	day := booking.DateOf(f.now) + 40
	privStart, privEnd := day.At(0, f.loc).Add(8*time.Hour), day.At(0, f.loc).Add(18*time.Hour)
	private := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:private-1@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
		privStart.UTC().Format("20060102T150405Z"), privEnd.UTC().Format("20060102T150405Z"))
	if code, msg := do(t, srv, "PUT", strings.TrimSuffix(acct.Calendar, "/")+"/private-1.ics", []byte(private), "Content-Type", "text/calendar; charset=utf-8"); code/100 != 2 {
		t.Fatalf("PUT a private event: %d %s", code, msg)
	}

	res = f.syncNow(t)
	if res.Restored != 2 {
		t.Errorf("restored %d events, want 2 (one moved, one deleted on the server): %+v\nlog:\n%s", res.Restored, res, f.logText(t))
	}
	f.checkServer(t, srv, acct.Calendar)
	log := f.logText(t)
	for _, w := range []string{
		fmt.Sprintf("Appointment %d (", editedID), "was moved on the server to ",
		fmt.Sprintf("Appointment %d (", deletedID), "was deleted on the server; kapbook put it back",
	} {
		if !strings.Contains(log, w) {
			t.Errorf("sync log lacks %q:\n%s", w, log)
		}
	}
	if strings.Contains(log, "Dentist") || strings.Contains(log, "Patient 0") {
		t.Errorf("sync log quotes an event or names a patient:\n%s", log)
	}

	// Booking avoids the private event.
	staff, _ := f.db.StaffList(ctx)
	blocked := false
	for _, s := range staff {
		if s.ID != f.therapist {
			continue
		}
		for _, b := range s.Busy {
			if !b.Start.After(privStart) && !b.End.Before(privEnd) {
				blocked = true
			}
			if b.Start.Before(privEnd) && privStart.Before(b.End) && (b.Start.Before(privStart) || b.End.After(privEnd)) {
				t.Errorf("busy time %s–%s is wider than the private event", b.Start, b.End)
			}
		}
		if len(s.Busy) != 1 {
			t.Errorf("%d busy times from the calendar, want 1 (kapbook's own events must not block)", len(s.Busy))
		}
	}
	if !blocked {
		t.Fatalf("the private event %s–%s does not block the therapist", privStart, privEnd)
	}
	p := &booking.Patient{Name: "Late Comer", Email: "late@example.org"}
	if err := f.svc.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	s, err := f.svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: day, TherapistID: f.therapist})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Appts {
		if a.Start.Before(privEnd) && privStart.Before(a.End) {
			t.Errorf("appointment %d at %s was booked over the therapist's private event", a.ID, a.Start)
		}
	}
}
