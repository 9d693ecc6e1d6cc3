package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// hosts returns the allowed calendar hosts as kapctl busy hosts --json
// lists them.
func (c *clinic) hosts() []string {
	c.t.Helper()
	var out struct {
		Hosts []string `json:"calendar_hosts"`
	}
	c.json(&out, "busy", "hosts")
	return out.Hosts
}

func TestBusyHosts(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	if out := c.ok("busy", "hosts"); !strings.Contains(out, "No calendar host is allowed") || !strings.Contains(out, "kapctl busy allow-host HOST") {
		t.Fatalf("hosts said %q", out)
	}
	if got := c.hosts(); got == nil || len(got) != 0 {
		t.Fatalf("hosts=%#v, want an empty list", got)
	}

	out := c.ok("busy", "allow-host", " Calendar.Clinic.LAN. ")
	if !strings.Contains(out, "Allowed calendar.clinic.lan.") || !strings.Contains(out, "  calendar.clinic.lan\n") {
		t.Fatalf("allow-host said %q", out)
	}
	c.ok("busy", "allow-host", "[::1]")
	c.ok("busy", "allow-host", "calendar.clinic.lan") // already allowed: no change
	if got := c.hosts(); !slices.Equal(got, []string{"calendar.clinic.lan", "::1"}) {
		t.Fatalf("hosts=%q, want calendar.clinic.lan and ::1 once each", got)
	}
	audit := c.ok("audit")
	if n := strings.Count(audit, "calendar-hosts"); n != 2 {
		t.Fatalf("audit has %d calendar-hosts entries, want 2 (allowing a host twice records it once):\n%s", n, audit)
	}

	out = c.ok("busy", "disallow-host", "CALENDAR.clinic.lan")
	if !strings.Contains(out, "No longer allowed calendar.clinic.lan.") || strings.Contains(out, "  calendar.clinic.lan") {
		t.Fatalf("disallow-host said %q", out)
	}
	if got := c.hosts(); !slices.Equal(got, []string{"::1"}) {
		t.Fatalf("hosts=%q, want ::1 left", got)
	}
	c.ok("busy", "disallow-host", "::1")
	if out := c.ok("busy", "hosts"); !strings.Contains(out, "No calendar host is allowed") {
		t.Fatalf("hosts after disallowing all said %q", out)
	}
}

func TestBusyHosts_Refused(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	c.ok("busy", "allow-host", "calendar.clinic.lan")
	before := c.ok("--json", "busy", "hosts") + c.ok("audit")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"URL", []string{"busy", "allow-host", "https://calendar.clinic.lan/cal.ics"}, 2, "is not a host: give only the server's name"},
		{"Port", []string{"busy", "allow-host", "calendar.clinic.lan:8443"}, 2, "without a port"},
		{"Spaces", []string{"busy", "allow-host", "calendar clinic"}, 2, "is not a host name"},
		{"Pattern", []string{"busy", "allow-host", "*.clinic.lan"}, 2, "is a pattern"},
		{"Unicode", []string{"busy", "allow-host", "kalender.zürich.lan"}, 2, "xn-- form"},
		{"Empty", []string{"busy", "allow-host", " "}, 2, "The calendar host is empty"},
		{"MetadataName", []string{"busy", "allow-host", "metadata.google.internal"}, 2, "metadata service, not a calendar"},
		{"MetadataAddress", []string{"busy", "allow-host", "169.254.169.254"}, 2, "metadata service, not a calendar"},
		{"Unspecified", []string{"busy", "allow-host", "0.0.0.0"}, 2, "is not an address a calendar server can have"},
		{"NoHost", []string{"busy", "allow-host"}, 2, "busy allow-host needs one host name"},
		{"TwoHosts", []string{"busy", "allow-host", "a.lan", "b.lan"}, 2, "busy allow-host needs one host name"},
		{"NotAllowed", []string{"busy", "disallow-host", "other.clinic.lan"}, 3, "other.clinic.lan is not an allowed calendar host; nothing was changed."},
		{"HostsArgs", []string{"busy", "hosts", "all"}, 2, "busy hosts takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
				t.Fatalf("exit=%d stderr=%q stdout=%q\nwant exit %d and %q", r.code, r.stderr, r.stdout, tt.code, tt.stderr)
			}
			if after := c.ok("--json", "busy", "hosts") + c.ok("audit"); after != before {
				t.Fatal("a refused command changed the allowed hosts or the audit trail")
			}
		})
	}
	// Twenty at most.
	for i := range 19 {
		c.ok("busy", "allow-host", "calendar"+strings.Repeat("x", i)+".lan")
	}
	if r := c.run("busy", "allow-host", "one-too-many.lan"); r.code != 2 || !strings.Contains(r.stderr, "At most 20 calendar hosts") {
		t.Fatalf("exit=%d stderr=%q, want at most 20", r.code, r.stderr)
	}
}

// TestBusyHosts_Subscribe: a calendar on this computer is refused, in
// words that say how to allow it, until its host is allowed, and refused
// again once it is no longer allowed.
func TestBusyHosts_Subscribe(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	body, _ := os.ReadFile(busyICS(t, "DTSTART;TZID=America/New_York:20270301T090000|DURATION:PT2H|RRULE:FREQ=WEEKLY;COUNT=4"))
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(body)
	}))
	defer srv.Close()
	const secret = "private-0123456789abcdef"
	_, port, _ := strings.Cut(srv.Listener.Addr().String(), ":")
	addr := "http://localhost:" + port + "/calendar/ical/" + secret + "/basic.ics"

	r := c.runWithInput(addr+"\n", "busy", "subscribe", "--staff", "2")
	if r.code != 2 || !strings.Contains(r.stderr, "Sam Okafor was not subscribed to the calendar; nothing was changed. The calendar server localhost is on this computer (") ||
		!strings.Contains(r.stderr, "allow it: kapctl busy allow-host localhost.") || strings.Contains(r.stderr, secret) || hits.Load() != 0 {
		t.Fatalf("exit=%d stderr=%q hits=%d, want localhost refused before any request", r.code, r.stderr, hits.Load())
	}
	r = c.runWithInput("http://10.0.0.5/calendar/"+secret+".ics\n", "busy", "subscribe", "--staff", "2")
	if r.code != 2 || !strings.Contains(r.stderr, "The calendar address points to the clinic's internal network (10.0.0.5), which kapbook does not fetch from. If this is the clinic's own calendar server, allow it: kapctl busy allow-host 10.0.0.5.") {
		t.Fatalf("exit=%d stderr=%q, want 10.0.0.5 refused", r.code, r.stderr)
	}

	c.ok("busy", "allow-host", "localhost")
	if out := c.subscribe("2", addr); !strings.Contains(out, "4 busy times") || hits.Load() != 1 {
		t.Fatalf("subscribe said %q after %d requests, want 4 busy times", out, hits.Load())
	}
	c.ok("busy", "disallow-host", "localhost")
	out := c.ok("busy", "refresh", "--force")
	if !strings.Contains(out, "failed: the calendar server localhost is on this computer") || hits.Load() != 1 {
		t.Fatalf("refresh said %q after %d requests, want localhost refused again", out, hits.Load())
	}
}
