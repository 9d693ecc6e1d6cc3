package calendar_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// A feed made by FeedAdmin is served at its address until it is rotated
// or revoked; a second one needs rotate, and the token never reaches the
// store or the audit trail.
func TestFeedAdmin(t *testing.T) {
	c := mustFeedClinic(t)
	admin := &calendar.FeedAdmin{Store: c.db, Now: c.clock, Actor: "Front desk"}
	res := booking.Resource{Kind: booking.StaffResource, ID: c.ana}
	get := func(nf *calendar.NewFeed) int {
		t.Helper()
		resp, err := c.client.Get(nf.URL(c.srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	first, err := admin.Create(c.ctx, res, "Dr. Ana Reyes", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if first.Feed.Privacy != "initials" || first.Revoked != 0 || first.Feed.TokenHash != calendar.FeedTokenHash(first.Token) {
		t.Fatalf("feed=%+v revoked=%d, want a new initials feed", first.Feed, first.Revoked)
	}
	if code := get(first); code != http.StatusOK {
		t.Fatalf("GET=%d, want 200", code)
	}
	if !strings.HasPrefix(first.URL("http://127.0.0.1:8080"), "http://127.0.0.1:8080/feed/") {
		t.Fatalf("url=%s", first.URL("http://127.0.0.1:8080"))
	}

	_, err = admin.Create(c.ctx, res, "Dr. Ana Reyes", calendar.PrivacyFull, false)
	if booking.ErrorCode(err) != booking.ECONFLICT || !strings.Contains(booking.ErrorMessage(err), "already has a live calendar feed") {
		t.Fatalf("second create: %v, want ECONFLICT", err)
	}

	second, err := admin.Create(c.ctx, res, "Dr. Ana Reyes", calendar.PrivacyID, true)
	if err != nil {
		t.Fatal(err)
	}
	if second.Revoked != 1 || second.Feed.Privacy != "id" {
		t.Fatalf("rotate: revoked=%d privacy=%s", second.Revoked, second.Feed.Privacy)
	}
	if code := get(first); code != http.StatusNotFound {
		t.Fatalf("old address GET=%d, want 404", code)
	}
	if code := get(second); code != http.StatusOK {
		t.Fatalf("new address GET=%d, want 200", code)
	}

	n, err := admin.Revoke(c.ctx, res, "Dr. Ana Reyes")
	if err != nil || n != 1 {
		t.Fatalf("revoke=%d, %v", n, err)
	}
	if code := get(second); code != http.StatusNotFound {
		t.Fatalf("revoked address GET=%d, want 404", code)
	}
	if _, err := admin.Revoke(c.ctx, res, "Dr. Ana Reyes"); booking.ErrorCode(err) != booking.ECONFLICT {
		t.Fatalf("second revoke: %v, want ECONFLICT", err)
	}
	if _, err := admin.Create(c.ctx, booking.Resource{Kind: booking.StaffResource, ID: 9999}, "Nobody", "", false); booking.ErrorCode(err) != booking.ENOTFOUND {
		t.Fatalf("unknown staff: %v, want ENOTFOUND", err)
	}

	audit, err := c.db.Audit(c.ctx, booking.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	feeds := 0
	for _, e := range audit {
		if e.Action != "feed" {
			continue
		}
		feeds++
		all := e.Note + e.Before + e.After
		if strings.Contains(all, first.Token) || strings.Contains(all, second.Token) || strings.Contains(all, first.Feed.TokenHash) {
			t.Fatalf("audit entry %+v holds a token or its hash", e)
		}
		if e.Actor != "Front desk" || !strings.HasPrefix(e.Note, "Calendar feed of Dr. Ana Reyes (staff ") {
			t.Fatalf("audit entry %+v", e)
		}
	}
	if feeds != 4 { // made, revoked by the rotation, made, revoked
		t.Fatalf("feed audit entries=%d, want 4", feeds)
	}
}

// TestFeedAdmin_Change covers what kapctl feed url asks of Change beyond
// Create and Revoke: a privacy change that keeps the address, a rotation
// that keeps the privacy, and requests that contradict themselves.
func TestFeedAdmin_Change(t *testing.T) {
	c := mustFeedClinic(t)
	admin := &calendar.FeedAdmin{Store: c.db, Now: c.clock, Actor: "Front desk"}
	res := booking.Resource{Kind: booking.RoomResource, ID: 1}
	req := func(r calendar.FeedRequest) calendar.FeedRequest {
		r.Resource, r.Name = res, "Room 1"
		return r
	}
	// No live feed: KeepAddress makes one with the privacy asked for.
	ch, err := admin.Change(c.ctx, req(calendar.FeedRequest{Privacy: calendar.PrivacyID, KeepAddress: true}))
	if err != nil || ch.New == nil || ch.Privacy != calendar.PrivacyID {
		t.Fatalf("first: %+v, %v; want a new id feed", ch, err)
	}
	token := ch.New.Token
	// A live feed: KeepAddress changes what it shows, not its address.
	ch, err = admin.Change(c.ctx, req(calendar.FeedRequest{Privacy: calendar.PrivacyFull, KeepAddress: true}))
	if err != nil || ch.New != nil || ch.Changed != 1 || ch.Revoked != 0 {
		t.Fatalf("privacy: %+v, %v; want one feed changed, no new address", ch, err)
	}
	feeds, err := c.db.Feeds(c.ctx, res)
	if err != nil || len(feeds) != 1 || feeds[0].Privacy != "full" || feeds[0].TokenHash != calendar.FeedTokenHash(token) {
		t.Fatalf("feeds after the privacy change: %+v, %v", feeds, err)
	}
	// Rotating without a privacy keeps the live feed's.
	ch, err = admin.Change(c.ctx, req(calendar.FeedRequest{Rotate: true}))
	if err != nil || ch.New == nil || ch.Revoked != 1 || ch.Privacy != calendar.PrivacyFull {
		t.Fatalf("rotate: %+v, %v; want a new full feed, the old one revoked", ch, err)
	}
	for _, tt := range []struct {
		name string
		r    calendar.FeedRequest
		code string
	}{
		{"RotateAndRevoke", calendar.FeedRequest{Rotate: true, Revoke: true}, booking.EINVALID},
		{"RevokeWithPrivacy", calendar.FeedRequest{Revoke: true, Privacy: calendar.PrivacyID}, booking.EINVALID},
		{"UnknownPrivacy", calendar.FeedRequest{Privacy: "names", KeepAddress: true}, booking.EINVALID},
		{"LiveWithoutRotate", calendar.FeedRequest{}, booking.ECONFLICT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.Change(c.ctx, req(tt.r))
			if booking.ErrorCode(err) != tt.code {
				t.Fatalf("%v, want %s", err, tt.code)
			}
		})
	}
}

// TestImportBusyFile: the horizon counts from the clock it is given (the
// clinic's, which kapctl --now and the app may set), not the wall clock,
// and a file that cannot be read changes nothing.
func TestImportBusyFile(t *testing.T) {
	c := mustFeedClinic(t)
	now := time.Date(2031, 5, 5, 9, 0, 0, 0, time.UTC)
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:a@test\r\nDTSTAMP:20310101T000000Z\r\n" +
		"DTSTART:20310601T140000Z\r\nDTEND:20310601T150000Z\r\nSUMMARY:Private\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	imp, err := calendar.ImportBusyFile(c.ctx, c.db, c.ana, strings.NewReader(ics), "ana.ics", now, "Front desk")
	if err != nil {
		t.Fatal(err)
	}
	if imp.Imported != 1 || !imp.From.Equal(now.Add(-24*time.Hour)) || !imp.To.Equal(now.AddDate(1, 0, 0)) {
		t.Fatalf("import %+v, want the 2031 event over a year from %s", imp, now)
	}
	_, err = calendar.ImportBusyFile(c.ctx, c.db, c.ana, strings.NewReader("BEGIN:VCALENDAR\r\nnonsense"), "broken.ics", now, "Front desk")
	if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), "broken.ics") {
		t.Fatalf("broken file: %v, want EINVALID naming broken.ics", err)
	}
	staff, err := c.db.StaffList(c.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range staff {
		if s.ID == c.ana && len(s.Busy) != 1 {
			t.Fatalf("after the broken file: %d busy times, want the 1 imported before", len(s.Busy))
		}
	}
}

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.8.9.1": true, "::1": true,
		"": false, "0.0.0.0": false, "192.168.1.10": false, "kapbook.example.org": false,
	} {
		if got := calendar.Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", host, got, want)
		}
	}
}
