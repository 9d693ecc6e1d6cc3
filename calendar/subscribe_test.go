package calendar_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// subServer is a calendar server whose answer the test sets, and which
// records the conditional headers it receives.
type subServer struct {
	*httptest.Server
	mu           sync.Mutex
	status       int
	body         string
	etag, lastMo string
	requests     int
	ifNoneMatch  []string
	ifModified   []string
}

func newSubServer(t *testing.T) *subServer {
	s := &subServer{status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		s.ifNoneMatch = append(s.ifNoneMatch, r.Header.Get("If-None-Match"))
		s.ifModified = append(s.ifModified, r.Header.Get("If-Modified-Since"))
		if s.status == http.StatusOK && s.etag != "" && r.Header.Get("If-None-Match") == s.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if s.etag != "" {
			w.Header().Set("ETag", s.etag)
		}
		if s.lastMo != "" {
			w.Header().Set("Last-Modified", s.lastMo)
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

// set changes what the server answers.
func (s *subServer) set(status int, body, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.etag = status, body, etag
}

// subSecret is the secret part of the test's private calendar addresses.
const subSecret = "s3cr3t-t0ken-abc123"

// url is the server's private calendar address, with a secret in it.
func (s *subServer) url() string { return s.URL + "/calendar/ical/" + subSecret + "/basic.ics" }

// subWeekly is a calendar with a weekly hour on Mondays at 09:00 in New York.
func subWeekly(hour int) string {
	return impCal(impEvent("UID:w", fmt.Sprintf("DTSTART;TZID=America/New_York:20270301T%02d0000", hour), "DURATION:PT1H", "RRULE:FREQ=WEEKLY"))
}

// subClient fetches from the test servers, on 127.0.0.1, which it allows.
var subClient = calendar.NewFetchClient([]string{"127.0.0.1"})

var subOpts = calendar.ImportOptions{Clinic: impNY, Now: time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)}

func TestFetch_ETagThenNotModified(t *testing.T) {
	srv := newSubServer(t)
	srv.set(http.StatusOK, subWeekly(9), `"v1"`)
	srv.lastMo = "Mon, 22 Feb 2027 08:00:00 GMT"
	sub := &booking.BusySubscription{StaffID: 1, URL: srv.url()}
	changed, err := calendar.Fetch(context.Background(), subClient, sub, subOpts)
	if err != nil || !changed || sub.ETag != `"v1"` || sub.LastModified != srv.lastMo || string(sub.Body) != subWeekly(9) || sub.Error != "" {
		t.Fatalf("first fetch: changed=%v err=%v sub=%+v, want the calendar with its ETag", changed, err, sub)
	}
	if !sub.Fetched.Equal(subOpts.Now) {
		t.Fatalf("fetched=%v, want %v", sub.Fetched, subOpts.Now)
	}
	changed, err = calendar.Fetch(context.Background(), subClient, sub, subOpts)
	if err != nil || changed || string(sub.Body) != subWeekly(9) {
		t.Fatalf("second fetch: changed=%v err=%v, want 304 and the copy kept", changed, err)
	}
	if srv.ifNoneMatch[0] != "" || srv.ifNoneMatch[1] != `"v1"` || srv.ifModified[1] != srv.lastMo {
		t.Fatalf("If-None-Match=%q If-Modified-Since=%q, want none first, then the ETag and Last-Modified", srv.ifNoneMatch, srv.ifModified)
	}
	srv.set(http.StatusOK, subWeekly(10), `"v2"`)
	if changed, err = calendar.Fetch(context.Background(), subClient, sub, subOpts); err != nil || !changed || sub.ETag != `"v2"` {
		t.Fatalf("third fetch: changed=%v err=%v etag=%s, want the new calendar", changed, err, sub.ETag)
	}
}

// TestFetch_NoConditionalWithoutCopy: an ETag without a copy (a copy lost
// or never kept) must not make the server answer 304 to nothing.
func TestFetch_NoConditionalWithoutCopy(t *testing.T) {
	srv := newSubServer(t)
	srv.set(http.StatusOK, subWeekly(9), `"v1"`)
	sub := &booking.BusySubscription{StaffID: 1, URL: srv.url(), ETag: `"v1"`}
	if changed, err := calendar.Fetch(context.Background(), subClient, sub, subOpts); err != nil || !changed || len(sub.Body) == 0 {
		t.Fatalf("changed=%v err=%v, want the calendar", changed, err)
	}
	if srv.ifNoneMatch[0] != "" {
		t.Fatalf("If-None-Match=%q sent without a copy", srv.ifNoneMatch[0])
	}
}

// TestFetch_FailuresKeepTheLastGoodCopy: whatever goes wrong, the last good
// copy and its validators stay, and the error says what went wrong
// without the secret address.
func TestFetch_FailuresKeepTheLastGoodCopy(t *testing.T) {
	good := subWeekly(9)
	big := impCal(impEvent("DTSTART:20270301T090000", "DESCRIPTION:"+strings.Repeat("x", calendar.MaxSubscriptionBytes)))
	tests := []struct {
		name   string
		serve  func(w http.ResponseWriter)
		reason string
	}{
		{"ServerError", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }, "answered 500 Internal Server Error"},
		{"Gone", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }, "has no calendar at this address (404 Not Found)"},
		{"Refused", func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized) }, "refused access (401 Unauthorized)"},
		{"Malformed", func(w http.ResponseWriter) {
			fmt.Fprint(w, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		}, `the calendar has an error on line 3: the event's start (DTSTART): … is not a date`},
		{"LoginPage", func(w http.ResponseWriter) { fmt.Fprint(w, "<!DOCTYPE html><title>Sign in</title>") }, "answered 200 OK with content type text/html, which is not a calendar"},
		{"TooLargeSaysSo", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			fmt.Fprint(w, big)
		}, "is larger than 10 MB"},
		{"TooLargeStreamed", func(w http.ResponseWriter) {
			w.(http.Flusher).Flush() // no Content-Length: chunked
			fmt.Fprint(w, big)
		}, "is larger than 10 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tt.serve(w) }))
			defer srv.Close()
			sub := &booking.BusySubscription{StaffID: 1, URL: srv.URL + "/" + subSecret + ".ics", ETag: `"v1"`, LastModified: "Mon, 22 Feb 2027 08:00:00 GMT", Body: []byte(good)}
			changed, err := calendar.Fetch(context.Background(), subClient, sub, subOpts)
			var fe *calendar.FetchError
			if changed || !errors.As(err, &fe) {
				t.Fatalf("changed=%v err=%v, want a *FetchError", changed, err)
			}
			if !strings.Contains(sub.Error, tt.reason) || fe.Reason != sub.Error {
				t.Fatalf("error=%q, want it to say %q", sub.Error, tt.reason)
			}
			if string(sub.Body) != good || sub.ETag != `"v1"` || sub.LastModified == "" || !sub.Fetched.Equal(subOpts.Now) {
				t.Fatalf("sub=%+v: the last good copy and its validators must stay; the attempt is recorded", sub)
			}
			if strings.Contains(err.Error(), subSecret) {
				t.Fatalf("err=%q shows the secret address", err)
			}
		})
	}
}

func TestFetch_Unreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := "http://user:" + subSecret + "@" + srv.Listener.Addr().String() + "/private/" + subSecret + ".ics"
	srv.Close()
	sub := &booking.BusySubscription{StaffID: 1, URL: addr}
	_, err := calendar.Fetch(context.Background(), subClient, sub, subOpts)
	var fe *calendar.FetchError
	if !errors.As(err, &fe) || !strings.Contains(sub.Error, "could not be reached") {
		t.Fatalf("err=%v, want the server unreachable", err)
	}
	for _, s := range []string{err.Error(), sub.Error, fmt.Sprint(errors.Unwrap(err))} {
		if strings.Contains(s, subSecret) {
			t.Fatalf("%q shows the secret", s)
		}
	}
}

func TestFetch_SlowServer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	sub := &booking.BusySubscription{StaffID: 1, URL: srv.URL + "/cal.ics"}
	_, err := calendar.Fetch(context.Background(), &http.Client{Timeout: 100 * time.Millisecond}, sub, subOpts)
	if err == nil || !strings.Contains(sub.Error, "did not answer in time") {
		t.Fatalf("err=%v error=%q, want a timeout", err, sub.Error)
	}
}

func TestSubscriptionURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://calendar.google.com/calendar/ical/x%40gmail.com/private-abc/basic.ics", "https://calendar.google.com/calendar/ical/x%40gmail.com/private-abc/basic.ics", ""},
		{"  webcal://p52-caldav.icloud.com/published/2/abc  ", "https://p52-caldav.icloud.com/published/2/abc", ""},
		{"HTTP://example.org/cal.ics#x", "http://example.org/cal.ics", ""},
		{"ftp://example.org/cal.ics", "", "must start with https://"},
		{"file:///etc/passwd", "", "not a calendar address"},
		{"calendar.google.com/basic.ics", "", "not a calendar address"},
		{"https://", "", "not a calendar address"},
		{"mailto:ana@example.org", "", "not a calendar address"},
	}
	for _, tt := range tests {
		got, err := calendar.SubscriptionURL(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(booking.ErrorMessage(err), tt.err) {
			t.Errorf("SubscriptionURL(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	if got := calendar.RedactURL("https://user:pw@calendar.google.com/calendar/ical/" + subSecret + "/basic.ics?token=" + subSecret); got != "https://calendar.google.com/…" {
		t.Errorf("RedactURL=%q", got)
	}
}

// subClinic is the demo clinic in a fresh database, at a moment the test moves.
type subClinic struct {
	db  *store.DB
	now time.Time
	svc *calendar.Subscriptions
}

func newSubClinic(t *testing.T) *subClinic {
	t.Helper()
	ctx := context.Background()
	db, err := store.Create(filepath.Join(t.TempDir(), "kapbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &subClinic{db: db, now: time.Date(2027, 2, 22, 9, 0, 0, 0, impNY)}
	if err := resources.InitDemo(ctx, db, "test", c.now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return c.now }, Actor: "front desk"}
	if _, err := svc.AllowCalendarHost(ctx, "127.0.0.1"); err != nil { // the test servers
		t.Fatal(err)
	}
	c.svc = &calendar.Subscriptions{Store: db, Now: func() time.Time { return c.now }, Actor: "front desk"}
	return c
}

// staff returns staff member id as stored.
func (c *subClinic) staff(t *testing.T, id int64) *booking.Staff {
	t.Helper()
	list, err := c.db.StaffList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no staff %d", id)
	return nil
}

func (c *subClinic) subscriptions(t *testing.T) []*booking.BusySubscription {
	t.Helper()
	subs, err := c.db.BusySubscriptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

func TestSubscriptions_SubscribeAndRefresh(t *testing.T) {
	ctx := context.Background()
	c := newSubClinic(t)
	srv := newSubServer(t)

	// A failed first fetch stores nothing.
	srv.set(http.StatusNotFound, "", "")
	if _, err := c.svc.Subscribe(ctx, 1, srv.url()); err == nil || len(c.subscriptions(t)) != 0 || len(c.staff(t, 1).Busy) != 0 {
		t.Fatalf("err=%v subscriptions=%d, want nothing stored after a failed first fetch", err, len(c.subscriptions(t)))
	}
	if _, err := c.svc.Subscribe(ctx, 99, srv.url()); booking.ErrorCode(err) != booking.ENOTFOUND {
		t.Fatalf("err=%v, want ENOTFOUND for an unknown staff member", err)
	}

	srv.set(http.StatusOK, subWeekly(9), `"v1"`)
	res, err := c.svc.Subscribe(ctx, 1, strings.Replace(srv.url(), "http://", "HTTP://", 1))
	if err != nil || !res.Changed || res.Busy != 52 {
		t.Fatalf("subscribe: %+v err=%v, want 52 Mondays in the coming year", res, err)
	}
	busy := c.staff(t, 1).Busy
	if len(busy) != 52 || impSpan(busy[0]) != "2027-03-01T09:00-05:00/2027-03-01T10:00-05:00" || impSpan(busy[51]) != "2028-02-21T09:00-05:00/2028-02-21T10:00-05:00" {
		t.Fatalf("busy=%d %v, want 52 Mondays from 2027-03-01 to 2028-02-21 at 09:00", len(busy), busy)
	}
	subs := c.subscriptions(t)
	if len(subs) != 1 || subs[0].URL != srv.url() || subs[0].ETag != `"v1"` || string(subs[0].Body) != subWeekly(9) {
		t.Fatalf("subscriptions=%+v, want the calendar stored with its ETag", subs)
	}
	audit, _ := c.db.Audit(ctx, booking.AuditFilter{})
	if audit[0].Action != "busy-subscribe" || strings.Contains(audit[0].Note, subSecret) || !strings.Contains(audit[0].Note, "52 busy times") {
		t.Fatalf("audit=%+v, want busy-subscribe without the secret address", audit[0])
	}

	// Within the hour nothing is due; --force fetches anyway (a 304).
	c.now = c.now.Add(30 * time.Minute)
	if got, err := c.svc.Refresh(ctx, false); err != nil || len(got) != 0 {
		t.Fatalf("refresh=%+v err=%v, want nothing due", got, err)
	}
	if got, err := c.svc.Refresh(ctx, true); err != nil || len(got) != 1 || got[0].Changed || got[0].Err != nil || got[0].Busy != 52 {
		t.Fatalf("forced refresh=%+v err=%v, want unchanged", got, err)
	}

	// A changed calendar replaces the busy times.
	srv.set(http.StatusOK, subWeekly(14), `"v2"`)
	c.now = c.now.Add(2 * time.Hour)
	got, err := c.svc.Refresh(ctx, false)
	if err != nil || len(got) != 1 || !got[0].Changed || got[0].Err != nil {
		t.Fatalf("refresh=%+v err=%v, want the new calendar", got, err)
	}
	if b := c.staff(t, 1).Busy; impSpan(b[0]) != "2027-03-01T14:00-05:00/2027-03-01T15:00-05:00" {
		t.Fatalf("busy[0]=%s, want Mondays at 14:00 now", impSpan(b[0]))
	}

	// A failure keeps the last good copy and says why.
	srv.set(http.StatusInternalServerError, "", "")
	c.now = c.now.Add(2 * time.Hour)
	got, _ = c.svc.Refresh(ctx, false)
	if len(got) != 1 || got[0].Err == nil || got[0].Busy != 52 {
		t.Fatalf("refresh=%+v, want a failure with the 52 busy times kept", got)
	}
	subs = c.subscriptions(t)
	if !strings.Contains(subs[0].Error, "answered 500") || string(subs[0].Body) != subWeekly(14) || len(c.staff(t, 1).Busy) != 52 {
		t.Fatalf("subscription=%+v, want the error recorded and the last good copy kept", subs[0])
	}

	// A week later the server says 304: the copy is expanded over the new
	// horizon, so the year ahead rolls on, and the error is cleared.
	srv.set(http.StatusOK, subWeekly(14), `"v2"`)
	c.now = c.now.AddDate(0, 0, 7)
	got, _ = c.svc.Refresh(ctx, false)
	if len(got) != 1 || got[0].Changed || got[0].Err != nil {
		t.Fatalf("refresh=%+v, want unchanged (304)", got)
	}
	b := c.staff(t, 1).Busy
	if last := impSpan(b[len(b)-1]); len(b) != 53 || last != "2028-02-28T14:00-05:00/2028-02-28T15:00-05:00" || c.subscriptions(t)[0].Error != "" {
		t.Fatalf("last busy time=%s error=%q, want the horizon moved on a week and the error cleared", last, c.subscriptions(t)[0].Error)
	}
}

func TestClearBusy(t *testing.T) {
	ctx := context.Background()
	c := newSubClinic(t)
	srv := newSubServer(t)
	srv.set(http.StatusOK, subWeekly(9), `"v1"`)
	if _, err := c.svc.Subscribe(ctx, 1, srv.url()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := calendar.ReplaceBusy(ctx, c.db, 2, c.staff(t, 1).Busy[:3], booking.AuditEntry{Actor: "front desk"}); err != nil {
		t.Fatal(err)
	}
	other := c.staff(t, 3)

	cleared, err := calendar.ClearBusy(ctx, c.db, 1, c.now, "front desk")
	if err != nil || cleared.Busy != 52 || cleared.Site != calendar.RedactURL(srv.url()) {
		t.Fatalf("clear: %+v err=%v, want 52 busy times and the calendar's site", cleared, err)
	}
	if busy, subs := c.staff(t, 1).Busy, c.subscriptions(t); len(busy) != 0 || len(subs) != 0 {
		t.Fatalf("after clear: busy=%d subscriptions=%d, want none", len(busy), len(subs))
	}
	audit, _ := c.db.Audit(ctx, booking.AuditFilter{})
	if a := audit[0]; a.Action != "busy-clear" || a.Actor != "front desk" || strings.Contains(a.Note, subSecret) ||
		a.Note != "52 busy times of staff 1 removed; stopped fetching the calendar at "+cleared.Site {
		t.Fatalf("audit=%+v, want busy-clear naming the site, never the secret", a)
	}
	// Nothing is fetched for them any more.
	c.now = c.now.Add(3 * time.Hour)
	if got, err := c.svc.Refresh(ctx, true); err != nil || len(got) != 0 || len(c.staff(t, 1).Busy) != 0 {
		t.Fatalf("refresh after clear: %+v err=%v busy=%d, want nothing", got, err, len(c.staff(t, 1).Busy))
	}
	// The rest of the staff member, and everyone else, is as it was.
	if s := c.staff(t, 1); s.Name == "" || len(s.Hours) == 0 {
		t.Fatalf("staff 1 after clear: %+v", s)
	}
	if s := c.staff(t, 3); len(s.Busy) != len(other.Busy) || s.Name != other.Name {
		t.Fatalf("staff 3 changed: %+v", s)
	}

	// An import alone; then nothing left to clear records nothing.
	cleared, err = calendar.ClearBusy(ctx, c.db, 2, c.now, "front desk")
	if err != nil || cleared.Busy != 3 || cleared.Site != "" || len(c.staff(t, 2).Busy) != 0 {
		t.Fatalf("clear an import: %+v err=%v", cleared, err)
	}
	before, _ := c.db.Audit(ctx, booking.AuditFilter{})
	if cleared, err = calendar.ClearBusy(ctx, c.db, 2, c.now, "front desk"); err != nil || cleared != (calendar.Cleared{}) {
		t.Fatalf("clear again: %+v err=%v, want nothing", cleared, err)
	}
	if after, _ := c.db.Audit(ctx, booking.AuditFilter{}); len(after) != len(before) {
		t.Fatalf("audit grew from %d to %d clearing nothing", len(before), len(after))
	}
	if _, err := calendar.ClearBusy(ctx, c.db, 99, c.now, "front desk"); booking.ErrorCode(err) != booking.ENOTFOUND {
		t.Fatalf("err=%v, want ENOTFOUND for an unknown staff member", err)
	}
}
