package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// busyICS writes a calendar file with the given VEVENT lines (one event
// per string, lines separated by |) and returns its path.
func busyICS(t *testing.T, events ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n")
	for i, ev := range events {
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%d@test\r\nDTSTAMP:20270201T000000Z\r\n%s\r\nEND:VEVENT\r\n", i, strings.ReplaceAll(ev, "|", "\r\n"))
	}
	b.WriteString("END:VCALENDAR\r\n")
	path := filepath.Join(t.TempDir(), fmt.Sprintf("cal%d.ics", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// busyOut is kapctl busy list --staff's JSON.
type busyOut struct {
	Staff struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"staff"`
	Subscription *struct {
		Calendar string     `json:"calendar"`
		Fetched  *time.Time `json:"fetched"`
		Error    string     `json:"error"`
	} `json:"subscription"`
	Busy []struct {
		Start  time.Time `json:"start"`
		End    time.Time `json:"end"`
		Reason string    `json:"reason"`
	} `json:"busy"`
}

func (c *clinic) busyList(staff string) busyOut {
	c.t.Helper()
	var out busyOut
	c.json(&out, "busy", "list", "--staff", staff, "--from", "2027-03-01", "--to", "2027-03-07")
	return out
}

// busyState is everything the busy commands could change.
func (c *clinic) busyState() string {
	c.t.Helper()
	return c.ok("--json", "busy", "list", "--from", "2027-02-22", "--to", "2028-03-01") +
		c.ok("--json", "busy", "list", "--staff", "1", "--from", "2027-02-22", "--to", "2028-03-01") + c.state()
}

func TestBusyImport(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	weekly := busyICS(t, "SUMMARY:Couples therapy with J. Doe|DTSTART;TZID=Eastern Standard Time:20270301T120000|DTEND;TZID=Eastern Standard Time:20270301T130000|RRULE:FREQ=WEEKLY;BYDAY=MO,WE",
		"SUMMARY:Day off|DTSTART;VALUE=DATE:20270305")
	var imp struct {
		Staff    int64 `json:"staff"`
		Imported int   `json:"imported"`
		Replaced int   `json:"replaced"`
	}
	c.json(&imp, "busy", "import", "--staff", "1", weekly)
	if imp.Staff != 1 || imp.Imported != 104 || imp.Replaced != 0 {
		t.Fatalf("import=%+v, want 104 busy times (52 Mondays and 51 Wednesdays in the year ahead, and a day off)", imp)
	}
	got := c.busyList("1")
	var spans []string
	for _, b := range got.Busy {
		spans = append(spans, b.Start.Format("Mon 15:04")+"-"+b.End.Format("Mon 15:04 -07:00"))
		if b.Reason != "own calendar" {
			t.Fatalf("reason=%q, want %q", b.Reason, "own calendar")
		}
	}
	if want := "Mon 12:00-Mon 13:00 -05:00 Wed 12:00-Wed 13:00 -05:00 Fri 00:00-Sat 00:00 -05:00"; strings.Join(spans, " ") != want {
		t.Fatalf("busy list=%q, want %q", strings.Join(spans, " "), want)
	}
	out := c.ok("busy", "list", "--staff", "1", "--from", "2027-03-01", "--to", "2027-03-07")
	for _, want := range []string{"Dr. Ana Reyes (staff 1): 3 busy times", "Mon 2027-03-01 12:00  13:00 EST", "Fri 2027-03-05 00:00  Sat 2027-03-06 00:00 EST"} {
		if !strings.Contains(out, want) {
			t.Fatalf("busy list:\n%s\nwant it to contain %q", out, want)
		}
	}
	if strings.Contains(c.busyState(), "Couples therapy") || strings.Contains(c.busyState(), "Day off") {
		t.Fatal("an event's title reached the database or the audit trail")
	}

	// A second import replaces the first.
	c.json(&imp, "busy", "import", "--staff", "1", busyICS(t, "DTSTART:20270302T090000|DURATION:PT1H"))
	if imp.Imported != 1 || imp.Replaced != 104 {
		t.Fatalf("second import=%+v, want 1 replacing 104", imp)
	}
	if got := c.busyList("1"); len(got.Busy) != 1 || got.Busy[0].Start.Format("2006-01-02 15:04") != "2027-03-02 09:00" {
		t.Fatalf("busy=%+v, want only the new one", got.Busy)
	}
	var audit []struct{ Action, Note string }
	c.json(&audit, "audit")
	if audit[0].Action != "busy-import" || audit[1].Action != "busy-import" || audit[0].Note != "1 busy times of staff 1 from a calendar file" {
		t.Fatalf("audit=%+v, want two busy-import entries", audit[:2])
	}
	if c.busyList("2").Busy == nil || len(c.busyList("2").Busy) != 0 {
		t.Fatal("another staff member's busy times changed")
	}
}

// TestBusyImport_RefusedChangesNothing: a malformed calendar is refused
// with the line at fault, and the earlier import stays as it was.
func TestBusyImport_RefusedChangesNothing(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	c.ok("busy", "import", "--staff", "1", busyICS(t, "DTSTART:20270302T090000|DURATION:PT1H"))
	before := c.busyState()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"BadDate", []string{"busy", "import", "--staff", "1", busyICS(t, "DTSTART:20270301T090000|DURATION:PT1H", "DTSTART:2027-03-02")}, 2,
			`was not imported; nothing was changed. Line 13 of the calendar: the event's start (DTSTART): "2027-03-02" is not a date`},
		{"UnknownZone", []string{"busy", "import", "--staff", "1", busyICS(t, "DTSTART;TZID=Harbor Time:20270301T090000|DURATION:PT1H")}, 2,
			`Line 7 of the calendar: the time zone "Harbor Time" is not one kapbook knows`},
		{"NotACalendar", []string{"busy", "import", "--staff", "1", "busy_test.go"}, 2, "Line 1 of the calendar: this is not a calendar (iCalendar) file"},
		{"NoFile", []string{"busy", "import", "--staff", "1", "/no/such.ics"}, 2, "Cannot read the calendar file /no/such.ics."},
		{"UnknownStaff", []string{"busy", "import", "--staff", "99", busyICS(t, "DTSTART:20270301T090000")}, 3, "There is no staff member with id 99."},
		{"BadStaff", []string{"busy", "import", "--staff", "ana", busyICS(t, "DTSTART:20270301T090000")}, 2, `"ana" is not a staff id`},
		{"NoStaff", []string{"busy", "import", busyICS(t, "DTSTART:20270301T090000")}, 2, "busy import needs --staff ID and one calendar file"},
		{"NoSubcommand", []string{"busy"}, 2, "busy needs a subcommand: import, subscribe, refresh, list, clear, hosts, allow-host or disallow-host"},
		{"UnknownSubcommand", []string{"busy", "wipe"}, 2, `unknown command "busy wipe"`},
		{"ClearNoStaff", []string{"busy", "clear"}, 2, "busy clear needs --staff ID and nothing else"},
		{"ClearExtra", []string{"busy", "clear", "--staff", "1", "all"}, 2, "busy clear needs --staff ID and nothing else"},
		{"ClearUnknownStaff", []string{"busy", "clear", "--staff", "99"}, 3, "There is no staff member with id 99."},
		{"SubscribeOnTheCommandLine", []string{"busy", "subscribe", "--staff", "1", "https://example.org/private-123/cal.ics"}, 2, "not on the command line"},
		{"SubscribeFTP", []string{"busy", "subscribe", "--staff", "1", "--from-file", secretFile(t, "ftp://example.org/cal.ics")}, 2, "A calendar address must start with https://"},
		{"SubscribeEmptyFile", []string{"busy", "subscribe", "--staff", "1", "--from-file", secretFile(t, "")}, 2, "is empty"},
		{"RefreshArgs", []string{"busy", "refresh", "now"}, 2, "busy refresh takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
				t.Fatalf("exit=%d stderr=%q stdout=%q\nwant exit %d and %q", r.code, r.stderr, r.stdout, tt.code, tt.stderr)
			}
			if c.busyState() != before {
				t.Fatal("a refused command changed the database")
			}
		})
	}
}

// TestBusyImport_BookingAvoidsIt: the front desk's view of the issue's
// promise: after importing a therapist's calendar, booking with that
// therapist avoids it.
func TestBusyImport_BookingAvoidsIt(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	p := c.addPatient("Robin Vale", "robin.vale@example.org")
	before := c.book(p, "--therapist", "1", "--dry-run")
	cal := filepath.Join("..", "..", "calendar", "testdata", "import", "therapist-first-week.ics")
	c.ok("busy", "import", "--staff", "1", cal)
	busy := c.busyList("1").Busy
	if len(busy) != 6 {
		t.Fatalf("busy=%d, want 6 in the first week", len(busy))
	}
	clash := func(list []appt) int {
		n := 0
		for _, a := range list {
			for _, b := range busy {
				if a.hasStaff(1) && a.Start.Before(b.End) && b.Start.Before(a.End) {
					n++
				}
			}
		}
		return n
	}
	if clash(before.Appointments) == 0 {
		t.Fatal("the plan before the import avoids the busy times already; the test proves nothing")
	}
	after := c.book(p, "--therapist", "1")
	if len(after.Appointments) != 15 || clash(after.Appointments) != 0 {
		t.Fatalf("booked %d appointments, %d in the therapist's busy time; want 15 and none", len(after.Appointments), clash(after.Appointments))
	}
}

// busyServer serves a calendar whose answer the test changes.
type busyServer struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   string
}

func (s *busyServer) set(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func TestBusySubscribe(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	srv := &busyServer{status: http.StatusOK}
	srv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, "/calendar/ical/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, len(srv.body)))
		if r.Header.Get("If-None-Match") == fmt.Sprintf(`"%d"`, len(srv.body)) && srv.status == http.StatusOK {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(srv.status)
		fmt.Fprint(w, srv.body)
	}))
	defer srv.Close()
	c.ok("busy", "allow-host", "127.0.0.1") // the test server
	if out := c.ok("busy", "refresh"); !strings.Contains(out, "No staff member has a subscribed calendar") {
		t.Fatalf("refresh without subscriptions said %q", out)
	}
	const secret = "private-0123456789abcdef"
	addr := srv.URL + "/calendar/ical/" + secret + "/basic.ics"
	body, _ := os.ReadFile(busyICS(t, "DTSTART;TZID=America/New_York:20270301T090000|DURATION:PT2H|RRULE:FREQ=WEEKLY;COUNT=4"))
	srv.set(http.StatusOK, string(body))

	out := c.subscribe("2", addr)
	if !strings.Contains(out, "Subscribed Sam Okafor (staff 2) to the calendar at http://127.0.0.1") || !strings.Contains(out, "4 busy times") {
		t.Fatalf("subscribe said %q", out)
	}
	if got := c.busyList("2"); len(got.Busy) != 1 || got.Subscription == nil || got.Subscription.Error != "" || !strings.HasSuffix(got.Subscription.Calendar, "/…") {
		t.Fatalf("busy list=%+v, want one busy time in the week and the subscription", got)
	}

	now := c.now
	c.now = "2027-02-22T09:30:00-05:00"
	if out := c.ok("busy", "refresh"); !strings.Contains(out, "No subscribed calendar is due") {
		t.Fatalf("refresh within the hour said %q", out)
	}
	c.now = "2027-02-22T11:00:00-05:00"
	srv.set(http.StatusInternalServerError, "")
	out = c.ok("busy", "refresh")
	if !strings.Contains(out, "Warning: 1 of 1 calendars could not be fetched") || !strings.Contains(out, "failed: the server 127.0.0.1:") || !strings.Contains(out, "answered 500 Internal Server Error") {
		t.Fatalf("failed refresh said %q", out)
	}
	if got := c.busyList("2"); len(got.Busy) != 1 || !strings.Contains(got.Subscription.Error, "answered 500") {
		t.Fatalf("busy list=%+v, want the last good copy kept and the error shown", got)
	}
	srv.set(http.StatusOK, string(body))
	out = c.ok("busy", "refresh", "--force")
	if !strings.Contains(out, "unchanged") {
		t.Fatalf("refresh said %q, want unchanged", out)
	}
	c.now = now

	// The secret address never shows: not in output, list, audit or errors.
	all := c.busyState() + c.ok("busy", "list") + c.ok("audit")
	r := c.runWithInput(srv.URL+"/gone/"+secret+".ics\n", "busy", "subscribe", "--staff", "2")
	if strings.Contains(all+r.stderr, secret) {
		t.Fatal("the calendar's secret address was shown")
	}
	if r.code != 2 || !strings.Contains(r.stderr, "Sam Okafor was not subscribed to the calendar; nothing was changed.") {
		t.Fatalf("exit=%d stderr=%q, want a refused subscription", r.code, r.stderr)
	}

	// Clearing stops the subscription: nothing is fetched any more.
	var year busyOut
	c.json(&year, "busy", "list", "--staff", "2", "--from", "2027-01-01", "--to", "2028-12-31")
	had := len(year.Busy)
	out = c.ok("busy", "clear", "--staff", "2")
	if !strings.Contains(out, "Stopped fetching the calendar of Sam Okafor (staff 2) at http://127.0.0.1:") ||
		!strings.Contains(out, fmt.Sprintf("removed its %d busy times", had)) || had == 0 || strings.Contains(out, secret) {
		t.Fatalf("clear said %q", out)
	}
	if got := c.busyList("2"); len(got.Busy) != 0 || got.Subscription != nil {
		t.Fatalf("busy list after clear=%+v, want nothing", got)
	}
	if out := c.ok("busy", "refresh", "--force"); strings.Contains(out, "Sam Okafor") {
		t.Fatalf("refresh after clear said %q", out)
	}
}

func TestBusyClear(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	c.ok("busy", "import", "--staff", "1", busyICS(t, "DTSTART:20270302T090000|DURATION:PT1H", "DTSTART:20270303T090000|DURATION:PT1H"))
	var out struct {
		Staff        int64  `json:"staff"`
		Removed      int    `json:"removed"`
		Unsubscribed string `json:"unsubscribed"`
	}
	c.json(&out, "busy", "clear", "--staff", "1")
	if out.Staff != 1 || out.Removed != 2 || out.Unsubscribed != "" {
		t.Fatalf("clear=%+v, want 2 busy times removed and no subscription", out)
	}
	if got := c.busyList("1"); len(got.Busy) != 0 {
		t.Fatalf("busy list after clear: %d busy times", len(got.Busy))
	}
	if audit := c.ok("audit"); !strings.Contains(audit, "busy-clear") || !strings.Contains(audit, "2 busy times of staff 1 removed") {
		t.Fatalf("audit:\n%s\nwant the busy-clear entry", audit)
	}
	if text := c.ok("busy", "clear", "--staff", "1"); !strings.Contains(text, "Dr. Ana Reyes (staff 1) has no imported busy times and no subscribed calendar; nothing changed.") {
		t.Fatalf("clear again says %q", text)
	}
}

// secretFile writes a file holding line, for --from-file.
func secretFile(t *testing.T, line string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "address.txt")
	if err := os.WriteFile(p, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// subscribe subscribes staff member id to the calendar at addr, the
// address given on standard input as a front desk would pipe it.
func (c *clinic) subscribe(id, addr string) string {
	c.t.Helper()
	r := c.runWithInput(addr+"\n", "busy", "subscribe", "--staff", id)
	if r.code != 0 {
		c.t.Fatalf("busy subscribe: exit %d: %s", r.code, r.stderr)
	}
	return r.stdout
}

// runWithInput runs kapctl with input on standard input.
func (c *clinic) runWithInput(input string, args ...string) result {
	c.t.Helper()
	stdin = strings.NewReader(input)
	defer func() { stdin = os.Stdin }()
	return c.run(args...)
}
