package caldav_test

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// sortedAppts returns appointments by start, then id.
func sortedAppts(m map[int64]*booking.Appointment) []*booking.Appointment {
	out := make([]*booking.Appointment, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }

// dateLine matches a DTSTART or DTEND line with a local or UTC time.
var dateLine = regexp.MustCompile(`(?m)^(DTSTART|DTEND)([^:\r\n]*):(\d{8}T\d{6})(Z?)\r?$`)

// shiftEvent moves an event's start and end by d, as a therapist's
// calendar app would, keeping their zone.
func shiftEvent(t testing.TB, body []byte, a *booking.Appointment, d time.Duration) []byte {
	t.Helper()
	n := 0
	at := bytes.Index(body, []byte("BEGIN:VEVENT"))
	if at < 0 {
		t.Fatalf("appointment %d: no VEVENT in:\n%s", a.ID, body)
	}
	out := dateLine.ReplaceAllFunc(body[at:], func(line []byte) []byte {
		m := dateLine.FindSubmatch(line)
		tm, err := time.Parse("20060102T150405", string(m[3]))
		if err != nil {
			t.Fatal(err)
		}
		n++
		return []byte(string(m[1]) + string(m[2]) + ":" + tm.Add(d).Format("20060102T150405") + string(m[4]) + "\r")
	})
	if n != 2 {
		t.Fatalf("appointment %d: found %d DTSTART/DTEND lines to move in:\n%s", a.ID, n, body)
	}
	return append(body[:at:at], out...)
}
