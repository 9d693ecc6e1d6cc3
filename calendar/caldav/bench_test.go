package caldav_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
)

// The speed targets of docs/benchmarks.md, "CalDAV", measured against
// Radicale on loopback:
//
//	go test ./calendar/caldav -run '^$' -bench . -benchtime 3x

// connectB connects the fixture's therapist to a new calendar on srv.
func connectB(b *testing.B, f *fixture, srv *davtest.Server, name string) *booking.CalDAVAccount {
	b.Helper()
	ctx := context.Background()
	home, _, err := caldav.Discover(ctx, f.db, srv.URL, srv.User, srv.Password)
	if err != nil {
		b.Fatal(err)
	}
	a, err := f.sync.Connect(ctx, caldav.ConnectRequest{StaffID: f.therapist, Server: srv.URL, User: srv.User, Home: home, NewName: name})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkFirstPush500 is the first push of 500 appointments of one
// therapist to a new calendar (target: at most 30 s).
func BenchmarkFirstPush500(b *testing.B) {
	srv := davtest.Radicale(b, "tara", "")
	f := newFixture(b, 34)
	n := len(f.wanted(b))
	if n < 500 {
		b.Fatalf("the fixture has %d appointments, want 500", n)
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		connectB(b, f, srv, fmt.Sprintf("push %d", i))
		b.StartTimer()
		res, err := f.sync.Sync(ctx, f.therapist, false)
		if err != nil || res[0].Err != nil || res[0].New != n {
			b.Fatalf("push: %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(n), "appointments")
}

// BenchmarkChangeToServer is how long a saved move takes to reach the
// server while the background sync runs (target: at most 2 s).
func BenchmarkChangeToServer(b *testing.B) {
	srv := davtest.Radicale(b, "tara", "")
	f := newFixture(b, 2)
	acct := connectB(b, f, srv, "kapbook")
	f.syncNow(b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.sync.Run(ctx, nil); close(done) }()
	defer func() { cancel(); <-done }()
	var integ []*booking.Appointment
	for _, a := range sortedAppts(f.wanted(b)) {
		if a.Kind == "integration" {
			integ = append(integ, a)
		}
	}
	for i := 0; b.Loop(); i++ {
		a := integ[i%len(integ)]
		cur, err := f.db.Appointment(ctx, a.ID)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		sug, err := f.svc.Suggest(ctx, a.ID, 4)
		if err != nil || len(sug.Alternatives) == 0 {
			b.Fatalf("no time to move appointment %d to: %v", a.ID, err)
		}
		to := sug.Alternatives[0].Start
		for _, alt := range sug.Alternatives {
			if !alt.Start.Equal(cur.Start) {
				to = alt.Start
			}
		}
		b.StartTimer()
		if _, err := f.svc.Reschedule(ctx, a.ID, to, false); err != nil {
			b.Fatal(err)
		}
		href := itemHref(b, f, a.ID)
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
			_, body := do(b, srv, "GET", strings.TrimSuffix(srv.URL, "/")+href, nil)
			if strings.Contains(string(body), "DTSTART;TZID="+f.loc.String()+":"+to.In(f.loc).Format("20060102T150405")) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the move of appointment %d did not reach the server in a minute", a.ID)
			}
		}
	}
	_ = acct
}

// itemHref returns where an appointment's event is on the server.
func itemHref(b *testing.B, f *fixture, apptID int64) string {
	items, err := f.db.CalDAVItems(context.Background(), f.therapist)
	if err != nil {
		b.Fatal(err)
	}
	for _, it := range items {
		if it.AppointmentID == apptID {
			return it.Href
		}
	}
	b.Fatalf("appointment %d is not on the server", apptID)
	return ""
}

// BenchmarkPullYear reads a year of a busy therapist's own calendar,
// 1,000 events and 5 weekly series, and stores it as busy time
// (target: at most 1 s).
func BenchmarkPullYear(b *testing.B) {
	srv := davtest.Radicale(b, "tara", "")
	f := newFixture(b, 0)
	acct := connectB(b, f, srv, "own")
	start := booking.DateOf(f.now)
	for i := range 1000 {
		day := start + booking.Date(i*365/1000)
		s := day.At(0, f.loc).Add(time.Duration(7+i%10) * time.Hour)
		ics := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:own-%d@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Private\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			i, s.UTC().Format("20060102T150405Z"), s.Add(45*time.Minute).UTC().Format("20060102T150405Z"))
		if code, _ := do(b, srv, "PUT", acct.Calendar+fmt.Sprintf("own-%d.ics", i), []byte(ics), "Content-Type", "text/calendar"); code/100 != 2 {
			b.Fatalf("PUT: %d", code)
		}
	}
	for i := range 5 {
		s := (start + booking.Date(i)).At(0, f.loc).Add(18 * time.Hour)
		ics := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:weekly-%d@example.org\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Evening\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			i, s.UTC().Format("20060102T150405Z"), s.Add(time.Hour).UTC().Format("20060102T150405Z"))
		if code, _ := do(b, srv, "PUT", acct.Calendar+fmt.Sprintf("weekly-%d.ics", i), []byte(ics), "Content-Type", "text/calendar"); code/100 != 2 {
			b.Fatalf("PUT: %d", code)
		}
	}
	ctx := context.Background()
	busy := 0
	for b.Loop() {
		res, err := f.sync.Sync(ctx, f.therapist, true)
		if err != nil || res[0].Err != nil || !res[0].Pulled {
			b.Fatalf("pull: %+v, %v", res, err)
		}
		busy = res[0].Busy
	}
	if busy < 1000 {
		b.Fatalf("%d busy times pulled, want over 1000", busy)
	}
	b.ReportMetric(float64(busy), "busy-times")
}
