package calendar

import (
	"archive/zip"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// slimZone loads name from Go's own zone data (the zoneinfo.zip that
// time/tzdata embeds, and all a Windows PC has), which keeps the rules
// after a zone's last listed transition as a rule rather than as
// transitions, unlike Debian's /usr/share/zoneinfo.
func slimZone(t *testing.T, name string) *time.Location {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("Go's zone data: %v", err)
	}
	defer zr.Close()
	f, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func encodeTZ(t *testing.T, tz *ical.Component) string {
	t.Helper()
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//test//EN")
	cal.Children = append(cal.Children, tz)
	var b strings.Builder
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The VTIMEZONE of a zone is the same from Go's embedded zone data as
// from the system's: only real transitions, none at each new year (what a
// Windows PC wrote before: "DTSTART:20261231T190000", a new observance at
// every January).
func TestVTimezoneEmbeddedZoneData(t *testing.T) {
	from := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
	to := time.Date(2033, 6, 1, 9, 0, 0, 0, time.UTC) // 2028 and 2032: leap years
	for _, name := range []string{"America/New_York", "America/Los_Angeles", "Europe/Berlin", "Europe/London", "Australia/Sydney", "Pacific/Auckland", "Asia/Tokyo", "America/Phoenix", "America/Sao_Paulo"} {
		t.Run(name, func(t *testing.T) {
			sys, err := time.LoadLocation(name)
			if err != nil {
				t.Skip(err)
			}
			want := encodeTZ(t, vtimezone(sys, from, to))
			got := encodeTZ(t, vtimezone(slimZone(t, name), from, to))
			if got != want {
				t.Fatalf("from Go's zone data:\n%s\nfrom the system's:\n%s", got, want)
			}
			if strings.Contains(got, "1231T") || strings.Contains(got, "1230T") {
				t.Fatalf("an observance at a new year:\n%s", got)
			}
		})
	}
}
