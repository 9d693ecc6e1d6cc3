package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/store"
)

// serve's refresh loop fetches a due subscription by itself, and the new
// busy times replace the old.
func TestServeRefreshLoop(t *testing.T) {
	c := mustDemo(t)
	weekly := func(n int) string {
		b, _ := os.ReadFile(busyICS(t, fmt.Sprintf("DTSTART;TZID=America/New_York:20270301T090000|DURATION:PT2H|RRULE:FREQ=WEEKLY;COUNT=%d", n)))
		return string(b)
	}
	var body atomic.Value
	body.Store(weekly(2))
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, body.Load().(string))
	}))
	defer srv.Close()
	c.ok("busy", "allow-host", "127.0.0.1") // the test server
	c.subscribe("2", srv.URL+"/cal.ics")
	if got := c.busyList("2"); got.Subscription == nil {
		t.Fatal("no subscription stored")
	}
	body.Store(weekly(6))
	before := hits.Load()

	db, err := store.Open(c.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	later, _ := time.Parse(time.RFC3339, testNow)
	subs := &calendar.Subscriptions{Store: db, Now: func() time.Time { return later.Add(2 * time.Hour) }, Actor: "test"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { refreshLoop(ctx, subs, 10*time.Millisecond); close(done) }()
	// Wait until the new copy is stored, or give up after the timeout.
	stored := func() bool {
		list, err := db.BusySubscriptions(context.Background())
		return err == nil && len(list) == 1 && list[0].Error == "" && strings.Contains(string(list[0].Body), "COUNT=6")
	}
	for !stored() && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if hits.Load() == before || !stored() {
		t.Fatalf("fetches=%d (before %d), new copy stored=%v; want the loop to fetch and store the due calendar", hits.Load(), before, stored())
	}
}

// Importing a calendar that covers an already-booked appointment names it,
// so the front desk can move it; new bookings avoid the time by themselves.
func TestBusyImportNamesClashes(t *testing.T) {
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")
	b := c.book(p, "--therapist", "1")
	first := b.Appointments[0]
	loc, _ := time.LoadLocation("America/New_York")
	cal := busyICS(t, "DTSTART;TZID=America/New_York:"+first.Start.In(loc).Format("20060102T150405")+"|DURATION:PT30M")
	var out struct {
		Imported int `json:"imported"`
		Clashes  []struct {
			ID int64 `json:"id"`
		} `json:"clashes"`
	}
	c.json(&out, "busy", "import", "--staff", "1", cal)
	if out.Imported != 1 || len(out.Clashes) != 1 || out.Clashes[0].ID != first.ID {
		t.Fatalf("import=%+v, want 1 busy time clashing with appointment %d", out, first.ID)
	}
}
