package caldav_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
)

// ownCalendar is a therapist's own calendar with what busy import must
// get right: a weekly series in another zone with an exception and a
// moved instance, an all-day event, floating time, and events that must
// not block (cancelled, free).
const ownCalendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n" +
	"BEGIN:VEVENT\r\nUID:weekly@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20270303T150000\r\nDTEND;TZID=Europe/Berlin:20270303T170000\r\n" +
	"RRULE:FREQ=WEEKLY;COUNT=8\r\nEXDATE;TZID=Europe/Berlin:20270317T150000\r\nSUMMARY:Seminar\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:weekly@example.org\r\nDTSTAMP:20270101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270324T150000\r\nDTSTART;TZID=Europe/Berlin:20270325T180000\r\nDTEND;TZID=Europe/Berlin:20270325T200000\r\nSUMMARY:Seminar (moved)\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:allday@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270311\r\nSUMMARY:Conference\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:floating@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270305T120000\r\nDTEND:20270305T130000\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:cancelled@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270306T120000Z\r\nDTEND:20270306T130000Z\r\nSTATUS:CANCELLED\r\nSUMMARY:Off\r\nEND:VEVENT\r\n" +
	"BEGIN:VEVENT\r\nUID:free@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270308T120000Z\r\nDTEND:20270308T130000Z\r\nTRANSP:TRANSPARENT\r\nSUMMARY:Maybe\r\nEND:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

var (
	eventBlock = regexp.MustCompile(`(?s)BEGIN:VEVENT\r\n.*?END:VEVENT\r\n`)
	timezones  = regexp.MustCompile(`(?s)BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n`)
	uidLine    = regexp.MustCompile(`(?m)^UID:(.*)\r$`)
)

// splitByUID makes one calendar object per UID of a calendar file, as a
// CalDAV server keeps them (RFC 4791 section 4.1), each with the file's
// time zones.
func splitByUID(t testing.TB, ics string) map[string]string {
	t.Helper()
	head := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + strings.Join(timezones.FindAllString(ics, -1), "")
	byUID := map[string]string{}
	for _, ev := range eventBlock.FindAllString(ics, -1) {
		m := uidLine.FindStringSubmatch(ev)
		if m == nil {
			t.Fatalf("an event without UID:\n%s", ev)
		}
		byUID[m[1]] += ev
	}
	out := map[string]string{}
	for uid, evs := range byUID {
		out[uid] = head + evs + "END:VCALENDAR\r\n"
	}
	return out
}

// putOwn puts each object of ics into the calendar at cal.
func putOwn(t testing.TB, srv *davtest.Server, cal, ics string) {
	t.Helper()
	i := 0
	for _, obj := range splitByUID(t, ics) {
		i++
		u := strings.TrimSuffix(cal, "/") + "/own-" + string(rune('a'+i)) + ".ics"
		if code, msg := do(t, srv, "PUT", u, []byte(obj), "Content-Type", "text/calendar; charset=utf-8"); code/100 != 2 {
			t.Fatalf("PUT %s: %d %s", u, code, msg)
		}
	}
}

// TestPeers_PullAsImport: busy time pulled from a CalDAV calendar is
// exactly what busy import makes of the same events in one file:
// recurrences, exceptions, moved instances, zones, all-day and floating
// events, and what must not block; on both servers, with the Outlook
// calendar of the import tests too.
func TestPeers_PullAsImport(t *testing.T) {
	outlook, err := os.ReadFile("../testdata/import/therapist-first-week.ics")
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []func(testing.TB) *davtest.Server{
		func(tb testing.TB) *davtest.Server { return davtest.Radicale(tb, "tara", "") },
		func(tb testing.TB) *davtest.Server { return davtest.Xandikos(tb) },
	} {
		srv := start(t)
		t.Run(srv.Name, func(t *testing.T) {
			for name, ics := range map[string]string{"own": ownCalendar, "outlook": string(outlook)} {
				t.Run(name, func(t *testing.T) {
					f := newFixture(t, 0)
					newName := ""
					if srv.Name == "radicale" {
						newName = "own-" + name
					}
					acct := f.connect(t, srv, newName)
					if srv.Name == "xandikos" { // one calendar: start it empty
						for _, o := range raw(t, srv, acct.Calendar) {
							do(t, srv, "DELETE", o.Path, nil)
						}
					}
					putOwn(t, srv, acct.Calendar, ics)
					res := f.syncNow(t)
					want, err := calendar.ImportBusy(bytes.NewReader([]byte(ics)), calendar.ImportOptions{Clinic: f.loc,
						From: f.now.Add(-24 * time.Hour), To: f.now.AddDate(1, 0, 0), Now: f.now})
					if err != nil {
						t.Fatal(err)
					}
					staff, _ := f.db.StaffList(context.Background())
					var got []booking.Interval
					for _, s := range staff {
						if s.ID == f.therapist {
							got = s.Busy
						}
					}
					if len(want) < 4 || res.Busy != len(want) || !sameTimes(got, want) {
						t.Errorf("pulled %d busy times:\n%s\nbusy import of the file gives %d:\n%s", len(got), spans(got), len(want), spans(want))
					}
				})
			}
		})
	}
}

func sameTimes(a, b []booking.Interval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) {
			return false
		}
	}
	return true
}

func spans(iv []booking.Interval) string {
	var b strings.Builder
	for _, x := range iv {
		b.WriteString("  " + x.Start.Format(time.RFC3339) + " – " + x.End.Format(time.RFC3339) + "\n")
	}
	return b.String()
}

// TestPeers_RunPushesChanges: with the background sync running, a move
// saved by the front desk reaches the server, as does a cancellation.
func TestPeers_RunPushesChanges(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	f := newFixture(t, 1)
	acct := f.connect(t, srv, "kapbook")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.sync.Run(ctx, nil); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, ok func(map[string][]peerEvent) bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ok(serverEvents(t, srv, acct.Calendar)) {
				return
			}
		}
		t.Fatalf("%s did not reach the server within a minute; log:\n%s", what, f.logText(t))
	}
	want := f.wanted(t)
	waitFor("the first push", func(m map[string][]peerEvent) bool { return len(m) == len(want) })

	var moved *booking.Appointment
	for _, a := range sortedAppts(want) {
		if a.Kind != "integration" {
			continue
		}
		sug, err := f.svc.Suggest(context.Background(), a.ID, 3)
		if err != nil || len(sug.Alternatives) == 0 {
			continue
		}
		out, err := f.svc.Reschedule(context.Background(), a.ID, sug.Alternatives[len(sug.Alternatives)-1].Start, false)
		if err == nil {
			moved = out[0]
			break
		}
	}
	if moved == nil {
		t.Fatal("nothing could be moved")
	}
	uid := calendar.UID(f.instance, moved.ID)
	waitFor("the move", func(m map[string][]peerEvent) bool {
		return len(m[uid]) == 1 && m[uid][0].Start == moved.Start.Unix()
	})
	if _, err := f.svc.Cancel(context.Background(), booking.CancelRequest{AppointmentID: moved.ID, By: booking.ByPatient, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	waitFor("the cancellation", func(m map[string][]peerEvent) bool { return len(m[uid]) == 0 })
}

// TestPeers_OneSourceOfBusyTime: while a staff member's CalDAV calendar is
// connected, a busy import or a subscription for them is refused (the
// next pull would replace it); connecting replaces a subscription.
func TestPeers_OneSourceOfBusyTime(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	f := newFixture(t, 0)
	err := f.db.Update(context.Background(), func(tx booking.Tx) error {
		return tx.SaveBusySubscription(context.Background(), &booking.BusySubscription{StaffID: f.therapist, URL: "https://calendar.example.org/old.ics"})
	})
	if err != nil {
		t.Fatal(err)
	}
	f.connect(t, srv, "kapbook")
	if subs, _ := f.db.BusySubscriptions(context.Background()); len(subs) != 0 {
		t.Errorf("connecting kept the calendar subscription: %+v", subs)
	}
	_, err = calendar.ImportBusyFile(context.Background(), f.db, f.therapist, strings.NewReader(ownCalendar), "own.ics", f.now, "test")
	if booking.ErrorCode(err) != booking.ECONFLICT || !strings.Contains(err.Error(), "disconnect it first") {
		t.Errorf("busy import while connected: %v", err)
	}
	subs := &calendar.Subscriptions{Store: f.db, Now: func() time.Time { return f.now }}
	if _, err := subs.Subscribe(context.Background(), f.therapist, "https://calendar.example.org/own.ics"); booking.ErrorCode(err) != booking.ECONFLICT {
		t.Errorf("subscribe while connected: %v", err)
	}
}

// TestPeers_RunIdle: with nothing to do, the background sync writes
// nothing (a write would wake every desk's sync, each of whose writes
// would wake it again).
func TestPeers_RunIdle(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	f := newFixture(t, 1)
	f.connect(t, srv, "kapbook")
	f.syncNow(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.sync.Run(ctx, nil); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(1500 * time.Millisecond) // Run's first round pulls: one write
	before, err := f.db.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * caldav.WatchEvery)
	after, _ := f.db.Version(ctx)
	if after != before {
		t.Errorf("the store changed %d times in %s of an idle sync; log:\n%s", after-before, 3*caldav.WatchEvery, f.logText(t))
	}
}

// TestPeers_WeeksLater: as the series lives on, a no-show and a
// completed visit are updated on the server, not removed; weeks later,
// appointments that fell out of the window stay on the server and are
// forgotten, never deleted, and nothing is pushed twice.
func TestPeers_WeeksLater(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	f := newFixture(t, 2)
	acct := f.connect(t, srv, "kapbook")
	f.syncNow(t)
	ctx := context.Background()
	appts := sortedAppts(f.wanted(t))
	first, second := appts[0], appts[1]
	f.now = second.End.Add(time.Hour)
	if _, err := f.svc.SetStatus(ctx, first.ID, booking.NoShow); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(ctx, second.ID, booking.Completed); err != nil {
		t.Fatal(err)
	}
	res := f.syncNow(t)
	if res.Changed < 2 || res.Removed != 0 {
		t.Fatalf("after a no-show and a completed visit: %+v", res)
	}
	before := len(raw(t, srv, acct.Calendar))
	// Ninety days on: the first weeks are out of the window.
	f.now = f.now.AddDate(0, 0, 90)
	res = f.syncNow(t)
	if res.Removed != 0 || res.New != 0 {
		t.Fatalf("ninety days later: %+v, want nothing removed or new", res)
	}
	if n := len(raw(t, srv, acct.Calendar)); n != before {
		t.Fatalf("%d events on the server ninety days later, were %d", n, before)
	}
	items, _ := f.db.CalDAVItems(ctx, f.therapist)
	for _, it := range items {
		if it.AppointmentID == first.ID {
			t.Errorf("appointment %d, long past, is still in the record", first.ID)
		}
	}
	if again := f.syncNow(t); again.Pushed() != 0 {
		t.Errorf("a second sync pushed %+v", again)
	}
}
