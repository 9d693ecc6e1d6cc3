package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/store"
)

// feedURL runs feed url with args, wants a new address on the first line
// of the output, and returns it.
func (c *clinic) feedURL(args ...string) string {
	c.t.Helper()
	out := c.ok(append([]string{"feed", "url"}, args...)...)
	u, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(u, "http://127.0.0.1:8080/feed/") || !strings.HasSuffix(u, ".ics") {
		c.t.Fatalf("feed url %s: first line %q, want a feed address", strings.Join(args, " "), u)
	}
	return u
}

// fetch asks a FeedHandler on the clinic's database for the feed at
// address u, as kapctl serve would, at the tests' pretend time.
func (c *clinic) fetch(u string) (int, string) {
	c.t.Helper()
	db, err := store.Open(c.path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	now, _ := time.Parse(time.RFC3339, c.now)
	h := &calendar.FeedHandler{Store: db, Now: func() time.Time { return now }}
	parsed, err := url.Parse(u)
	if err != nil {
		c.t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, parsed.Path, nil))
	return rec.Code, rec.Body.String()
}

func TestFeedURL(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")
	c.book(p, "--therapist", "1")

	first := c.feedURL("--staff", "1")
	token := strings.TrimSuffix(strings.TrimPrefix(first, "http://127.0.0.1:8080/feed/"), ".ics")
	if len(token) < 22 { // 128 bits in base64
		t.Fatalf("token %q is too short to carry 128 bits", token)
	}
	code, body := c.fetch(first)
	if code != http.StatusOK || strings.Count(body, "BEGIN:VEVENT") != 15 || !strings.Contains(body, "J.D.") {
		t.Fatalf("new feed: status=%d, %d events, want 200 with Jane Doe's 15 appointments as J.D.", code, strings.Count(body, "BEGIN:VEVENT"))
	}

	// The address is shown once: asking again is refused, with the way out.
	r := c.run("feed", "url", "--staff", "1")
	assertRefused(t, r)
	if r.code != exitConflict || !strings.Contains(r.stderr, "--rotate") || strings.Contains(r.stderr, token) {
		t.Fatalf("second feed url: exit=%d stderr=%q, want %d and advice to use --rotate", r.code, r.stderr, exitConflict)
	}

	// --privacy alone changes a live feed and keeps its address.
	out := c.ok("feed", "url", "--staff", "1", "--privacy", "full")
	if strings.Contains(out, "http") || !strings.Contains(out, "full names") {
		t.Fatalf("feed url --privacy full: %q, want the change and no address", out)
	}
	if code, body := c.fetch(first); code != http.StatusOK || !strings.Contains(body, "Jane Doe") {
		t.Fatalf("after --privacy full: status=%d, want 200 naming Jane Doe", code)
	}

	// --rotate: a new address with the same privacy; the old one is gone.
	second := c.feedURL("--staff", "1", "--rotate")
	if second == first {
		t.Fatal("--rotate printed the same address")
	}
	if code, _ := c.fetch(first); code != http.StatusNotFound {
		t.Fatalf("rotated-out address: status=%d, want 404", code)
	}
	if code, body := c.fetch(second); code != http.StatusOK || !strings.Contains(body, "Jane Doe") {
		t.Fatalf("rotated-in address: status=%d, want 200 keeping full names", code)
	}

	// --revoke ends it; revoking again is refused; then a new one can be made.
	c.ok("feed", "url", "--staff", "1", "--revoke")
	if code, _ := c.fetch(second); code != http.StatusNotFound {
		t.Fatalf("revoked address: status=%d, want 404", code)
	}
	r = c.run("feed", "url", "--staff", "1", "--revoke")
	assertRefused(t, r)
	if r.code != exitConflict {
		t.Fatalf("second revoke: exit=%d, want %d", r.code, exitConflict)
	}
	third, _, _ := strings.Cut(c.ok("feed", "url", "--staff", "1", "--base", "https://cal.example.org/kapbook/"), "\n")
	if !strings.HasPrefix(third, "https://cal.example.org/kapbook/feed/") {
		t.Fatalf("--base: %q", third)
	}

	var room struct {
		URL     string `json:"url"`
		Room    int64  `json:"room"`
		Privacy string `json:"privacy"`
	}
	c.json(&room, "feed", "url", "--room", "4", "--privacy", "id")
	if room.Room != 4 || room.Privacy != "id" || !strings.HasPrefix(room.URL, "http://127.0.0.1:8080/feed/") {
		t.Fatalf("feed url --json --room 4: %+v", room)
	}

	// The audit trail has each change, and no token; the database has no
	// token either.
	var audit []struct {
		Action string `json:"action"`
		Note   string `json:"note"`
		Before string `json:"before"`
		After  string `json:"after"`
	}
	c.json(&audit, "audit")
	var notes []string
	for _, e := range audit {
		if e.Action == "feed" {
			notes = append(notes, e.Note)
		}
	}
	// new, privacy, revoke+new (rotate), revoke, new, new room feed
	if len(notes) != 7 {
		t.Fatalf("feed audit entries=%d, want 7:\n%s", len(notes), strings.Join(notes, "\n"))
	}
	tokens := []string{token, path.Base(second), path.Base(third), path.Base(room.URL)}
	raw, _ := os.ReadFile(c.path)
	wal, _ := os.ReadFile(c.path + "-wal")
	all := string(raw) + string(wal) + c.ok("--json", "audit")
	for _, tok := range tokens {
		tok = strings.TrimSuffix(tok, ".ics")
		if strings.Contains(all, tok) {
			t.Fatalf("token %s is in the database or the audit trail", tok)
		}
		if strings.Contains(c.ok("--json", "audit"), calendar.FeedTokenHash(tok)) {
			t.Fatal("a token's hash is in the audit trail")
		}
	}
}

func TestFeedURL_BadInput(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"NoSubcommand", []string{"feed"}, exitUsage},
		{"NoResource", []string{"feed", "url"}, exitUsage},
		{"BothResources", []string{"feed", "url", "--staff", "1", "--room", "1"}, exitUsage},
		{"BadPrivacy", []string{"feed", "url", "--staff", "1", "--privacy", "everything"}, exitUsage},
		{"RotateAndRevoke", []string{"feed", "url", "--staff", "1", "--rotate", "--revoke"}, exitUsage},
		{"RevokeWithPrivacy", []string{"feed", "url", "--staff", "1", "--revoke", "--privacy", "id"}, exitUsage},
		{"UnknownStaff", []string{"feed", "url", "--staff", "999"}, exitNotFound},
		{"UnknownRoom", []string{"feed", "url", "--room", "999"}, exitNotFound},
		{"NotAnID", []string{"feed", "url", "--staff", "ana"}, exitUsage},
		{"BadBase", []string{"feed", "url", "--staff", "1", "--base", "ftp://example.org"}, exitUsage},
		{"BaseWithQuery", []string{"feed", "url", "--staff", "1", "--base", "https://example.org/?a=b"}, exitUsage},
		{"RevokeNothing", []string{"feed", "url", "--room", "1", "--revoke"}, exitConflict},
		{"ServePublic", []string{"serve", "--addr", "0.0.0.0:0"}, exitUsage},
		{"ServeAllInterfaces", []string{"serve", "--addr", ":0"}, exitUsage},
		{"ServeBadAddr", []string{"serve", "--addr", "nonsense"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(tt.args...)
			assertRefused(t, r)
			if r.code != tt.code {
				t.Fatalf("exit=%d, want %d; stderr=%q", r.code, tt.code, r.stderr)
			}
		})
	}
	// Nothing was made.
	var audit []struct {
		Action string `json:"action"`
	}
	c.json(&audit, "audit")
	for _, e := range audit {
		if e.Action == "feed" {
			t.Fatal("a refused command changed a feed")
		}
	}
}
