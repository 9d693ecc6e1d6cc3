package calendar

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// fixture is a real clinic database: the demo clinic with two patients
// whose series cross the spring daylight-saving change of 2027-03-14 in
// America/New_York.
type exportFixture struct {
	ctx      context.Context
	db       *store.DB
	svc      *booking.Service
	now      time.Time
	clinic   *booking.Clinic
	instance string
	patients []*booking.Patient
	names    map[int64]string
}

// fixture patients: names with initials that no other text contains.
var exportPatients = []struct{ name, protocol, from string }{
	{"Jane Doe", "kap-standard", "2027-03-01"},
	{"Xavier Quill", "kap-iv", "2027-03-09"},
}

func newExportFixture(t *testing.T) *exportFixture {
	t.Helper()
	f := &exportFixture{ctx: context.Background(), now: time.Date(2027, 2, 15, 9, 0, 0, 0, time.UTC), names: map[int64]string{}}
	db, err := store.Create(filepath.Join(t.TempDir(), "clinic.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	if err := resources.InitDemo(f.ctx, db, "test", f.now); err != nil {
		t.Fatal(err)
	}
	f.svc = &booking.Service{Store: db, Now: func() time.Time { return f.now }, Actor: "test"}
	for i, fp := range exportPatients {
		p := &booking.Patient{Name: fp.name, Email: "p" + strconv.Itoa(i) + "@example.org"}
		if err := f.svc.AddPatient(f.ctx, p); err != nil {
			t.Fatal(err)
		}
		from, err := booking.ParseDate(fp.from)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: fp.protocol, From: from}); err != nil {
			t.Fatalf("%s: %v", fp.protocol, err)
		}
		f.patients = append(f.patients, p)
		f.names[p.ID] = p.Name
	}
	if f.clinic, err = db.Clinic(f.ctx); err != nil {
		t.Fatal(err)
	}
	if f.instance, err = db.InstanceID(f.ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// appts returns the stored appointments that match filter.
func (f *exportFixture) appts(t *testing.T, filter booking.AppointmentFilter) []*booking.Appointment {
	t.Helper()
	list, err := f.db.Appointments(f.ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatalf("no appointments match %+v", filter)
	}
	return list
}

// export returns an Export of list with the fixture's clinic and names.
func (f *exportFixture) export(list []*booking.Appointment) Export {
	return Export{Clinic: f.clinic, InstanceID: f.instance, Appointments: list,
		PatientName: func(id int64) string { return f.names[id] }, Now: f.now}
}

// write writes x to a file under dir and returns the file's bytes and path.
func writeExport(t *testing.T, dir, name string, x Export) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, x); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	checkContentLines(t, name, buf.Bytes())
	return buf.Bytes(), path
}

// checkContentLines checks RFC 5545's line rules on data: CRLF after every line,
// no other CR or LF, at most 75 octets a line, each line valid UTF-8 (so
// no fold cut a character in two).
func checkContentLines(t *testing.T, name string, data []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("%s does not end with CRLF", name)
	}
	lines := bytes.Split(data[:len(data)-2], []byte("\r\n"))
	for i, l := range lines {
		if n := len(l); n > 75 {
			t.Errorf("%s line %d has %d octets, want at most 75: %q", name, i+1, n, l)
		}
		if !utf8.Valid(l) {
			t.Errorf("%s line %d is not valid UTF-8 on its own (a fold split a character): %q", name, i+1, l)
		}
		if bytes.ContainsAny(l, "\r\n") {
			t.Errorf("%s line %d holds a bare CR or LF: %q", name, i+1, l)
		}
		if len(l) == 0 {
			t.Errorf("%s line %d is empty", name, i+1)
		}
	}
}

// decode parses data with go-ical.
func decodeExport(t *testing.T, data []byte) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the export: %v", err)
	}
	return cal
}

// events returns the calendar's events by UID.
func exportEvents(t *testing.T, cal *ical.Calendar) map[string]*ical.Component {
	t.Helper()
	out := map[string]*ical.Component{}
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		uid := oneProp(t, c, ical.PropUID)
		if out[uid] != nil {
			t.Fatalf("UID %s appears twice", uid)
		}
		out[uid] = c
	}
	return out
}

// prop returns the raw value of c's one property name.
func oneProp(t *testing.T, c *ical.Component, name string) string {
	t.Helper()
	l := c.Props.Values(name)
	if len(l) != 1 {
		t.Fatalf("%s has %d %s properties, want 1", c.Name, len(l), name)
	}
	return l[0].Value
}

// text returns the decoded TEXT of c's property name ("" if absent).
func textProp(t *testing.T, c *ical.Component, name string) string {
	t.Helper()
	s, err := c.Props.Text(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestWrite_RoundTrip(t *testing.T) {
	f := newExportFixture(t)
	list := f.appts(t, booking.AppointmentFilter{})
	x := f.export(list)
	x.Privacy = PrivacyFull
	data, _ := writeExport(t, t.TempDir(), "all.ics", x)
	cal := decodeExport(t, data)

	for name, want := range map[string]string{ical.PropProductID: "-//kapbook//kapbook//EN", ical.PropVersion: "2.0",
		ical.PropCalendarScale: "GREGORIAN", "X-WR-TIMEZONE": "America/New_York"} {
		if got := oneProp(t, cal.Component, name); got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	// A plain file is no iTIP message: METHOD without ORGANIZER is one
	// that iTIP checkers refuse (RFC 5546).
	if p := cal.Props.Get(ical.PropMethod); p != nil {
		t.Errorf("METHOD=%q in a plain export, want none", p.Value)
	}
	var zones []string
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			zones = append(zones, oneProp(t, c, ical.PropTimezoneID))
		}
	}
	if !slices.Equal(zones, []string{"America/New_York"}) {
		t.Fatalf("VTIMEZONEs %v, want one for America/New_York", zones)
	}

	events := exportEvents(t, cal)
	if len(events) != len(list) {
		t.Fatalf("events=%d, want %d", len(events), len(list))
	}
	stamp := f.now.UTC().Format("20060102T150405Z")
	for _, a := range list {
		uid := UID(f.instance, a.ID)
		ev := events[uid]
		if ev == nil {
			t.Fatalf("appointment %d: no event with UID %s", a.ID, uid)
		}
		start, err := ev.Props.DateTime(ical.PropDateTimeStart, nil)
		if err != nil {
			t.Fatal(err)
		}
		end, err := ev.Props.DateTime(ical.PropDateTimeEnd, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !start.Equal(a.Start) || !end.Equal(a.End) {
			t.Errorf("appointment %d: %s–%s, want %s–%s", a.ID, start, end, a.Start, a.End)
		}
		if tz := ev.Props.Get(ical.PropDateTimeStart).Params.Get(ical.PropTimezoneID); tz != "America/New_York" {
			t.Errorf("appointment %d: DTSTART TZID %q", a.ID, tz)
		}
		checks := map[string]string{
			ical.PropDateTimeStamp: stamp,
			ical.PropSequence:      strconv.Itoa(a.Sequence),
			ical.PropLastModified:  a.Updated.UTC().Format("20060102T150405Z"),
			ical.PropCreated:       a.Created.UTC().Format("20060102T150405Z"),
			ical.PropStatus:        "CONFIRMED",
			ical.PropClass:         "PRIVATE",
			ical.PropTransparency:  "OPAQUE",
		}
		for name, want := range checks {
			if got := oneProp(t, ev, name); got != want {
				t.Errorf("appointment %d: %s=%q, want %q", a.ID, name, got, want)
			}
		}
		if got, want := textProp(t, ev, ical.PropSummary), "Appointment – "+f.names[a.PatientID]; got != want {
			t.Errorf("appointment %d: SUMMARY=%q, want %q", a.ID, got, want)
		}
		if got, want := textProp(t, ev, ical.PropLocation), a.RoomName+", "+f.clinic.Address; got != want {
			t.Errorf("appointment %d: LOCATION=%q, want %q", a.ID, got, want)
		}
		cats, err := ev.Props.Get(ical.PropCategories).TextList()
		if err != nil || len(cats) != 1 || !strings.EqualFold(cats[0], string(a.Kind)) {
			t.Errorf("appointment %d: CATEGORIES=%q (%v), want [%s]", a.ID, cats, err, a.Kind)
		}
		desc := textProp(t, ev, ical.PropDescription)
		for _, want := range []string{a.Label(), "Patient: " + f.names[a.PatientID], "Room: " + a.RoomName, a.Staff[0].Name + " (" + string(a.Staff[0].Role) + ")"} {
			if !strings.Contains(desc, want) {
				t.Errorf("appointment %d: DESCRIPTION %q lacks %q", a.ID, desc, want)
			}
		}
	}
}

// TestWrite_DaylightSaving checks that an export across 2027-03-14 has
// times on both sides of the change and a VTIMEZONE whose observances give
// each of them Go's offset.
func TestWrite_DaylightSaving(t *testing.T) {
	f := newExportFixture(t)
	list := f.appts(t, booking.AppointmentFilter{PatientID: f.patients[0].ID})
	data, _ := writeExport(t, t.TempDir(), "patient.ics", f.export(list))
	cal := decodeExport(t, data)
	var tz *ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			tz = c
		}
	}
	if tz == nil {
		t.Fatal("no VTIMEZONE")
	}
	offsets := map[int]bool{}
	for _, a := range list {
		_, off := a.Start.Zone()
		offsets[off/3600] = true
		for _, at := range []time.Time{a.Start, a.End} {
			local := at.In(f.clinic.Location()).Format("20060102T150405")
			got, ok := resolveThroughVTZ(t, tz, local)
			if !ok || !got.Equal(at) {
				t.Errorf("appointment %d: %s local reads through the VTIMEZONE as %s (found %v), want %s", a.ID, local, got, ok, at.UTC())
			}
		}
	}
	if !offsets[-5] || !offsets[-4] {
		t.Fatalf("offsets %v: the series should have times in both EST and EDT", offsets)
	}
	if !bytes.Contains(data, []byte("BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\n")) {
		t.Error("VTIMEZONE lacks the DAYLIGHT observance from 2027-03-14 02:00")
	}
}

// observance is one STANDARD or DAYLIGHT part of a VTIMEZONE, read back.
type vtzObservance struct {
	onset    time.Time // UTC
	from, to int       // offsets in seconds
}

func readObservances(t *testing.T, tz *ical.Component) []vtzObservance {
	t.Helper()
	var out []vtzObservance
	for _, o := range tz.Children {
		if o.Name != ical.CompTimezoneStandard && o.Name != ical.CompTimezoneDaylight {
			t.Fatalf("VTIMEZONE holds a %s", o.Name)
		}
		if len(o.Props.Values(ical.PropRecurrenceRule)) > 0 {
			t.Fatal("observance with RRULE; kapbook writes explicit ones")
		}
		from, to := parseTestOffset(t, oneProp(t, o, ical.PropTimezoneOffsetFrom)), parseTestOffset(t, oneProp(t, o, ical.PropTimezoneOffsetTo))
		local, err := time.Parse("20060102T150405", oneProp(t, o, ical.PropDateTimeStart))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vtzObservance{local.Add(-time.Duration(from) * time.Second), from, to})
	}
	for i := 1; i < len(out); i++ {
		if !out[i].onset.After(out[i-1].onset) {
			t.Fatalf("observance %d does not start after the one before", i+1)
		}
		if out[i].from != out[i-1].to {
			t.Fatalf("observance %d: TZOFFSETFROM %d differs from the previous TZOFFSETTO %d", i+1, out[i].from, out[i-1].to)
		}
	}
	return out
}

// resolveThroughVTZ reads a local time through the VTIMEZONE as a client
// would: the offset is that of the last observance started by then.
func resolveThroughVTZ(t *testing.T, tz *ical.Component, local string) (time.Time, bool) {
	t.Helper()
	naive, err := time.Parse("20060102T150405", local)
	if err != nil {
		t.Fatal(err)
	}
	obs := readObservances(t, tz)
	for i := len(obs) - 1; i >= 0; i-- {
		u := naive.Add(-time.Duration(obs[i].to) * time.Second)
		if !u.Before(obs[i].onset) {
			return u, true
		}
	}
	return time.Time{}, false
}

func parseTestOffset(t *testing.T, s string) int {
	t.Helper()
	m := regexp.MustCompile(`^([+-])(\d\d)(\d\d)(\d\d)?$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q is not a UTC offset", s)
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	sec, _ := strconv.Atoi("0" + m[4])
	n := h*3600 + mi*60 + sec
	if m[1] == "-" {
		n = -n
	}
	return n
}

// TestVTimezone checks generated VTIMEZONEs against Go's zone data: at
// every hour of the range, the observance in force gives Go's offset.
func TestVTimezone(t *testing.T) {
	tests := []struct {
		zone     string
		from, to string
		want     int // observances
	}{
		{"America/New_York", "2027-03-01", "2027-03-31", 2},
		{"America/New_York", "2027-01-01", "2027-12-31", 3},
		{"America/New_York", "2027-05-01", "2027-05-02", 2}, // daylight saving time alone starts with the standard time before

		{"Europe/Berlin", "2026-01-01", "2028-12-31", 7},
		{"Australia/Sydney", "2027-01-01", "2027-12-31", 4},
		{"Asia/Tokyo", "2027-01-01", "2029-12-31", 1},
		{"Asia/Kolkata", "2027-01-01", "2027-12-31", 1},
		{"UTC", "2027-01-01", "2027-12-31", 1},
		{"America/Sao_Paulo", "2018-06-01", "2020-06-01", 3}, // Brazil ended DST in 2019
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.zone, "/", "_")+"_"+tt.from, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			from, _ := time.ParseInLocation("2006-01-02", tt.from, loc)
			to, _ := time.ParseInLocation("2006-01-02", tt.to, loc)
			tz := vtimezone(loc, from, to)
			obs := readObservances(t, tz)
			if len(obs) != tt.want {
				t.Fatalf("observances=%d, want %d", len(obs), tt.want)
			}
			if oneProp(t, tz, ical.PropTimezoneID) != tt.zone {
				t.Fatalf("TZID=%q", oneProp(t, tz, ical.PropTimezoneID))
			}
			for at := from; !at.After(to); at = at.Add(time.Hour) {
				_, want := at.Zone()
				var got *vtzObservance
				for i := range obs {
					if !at.Before(obs[i].onset) {
						got = &obs[i]
					}
				}
				if got == nil || got.to != want {
					t.Fatalf("at %s: observance %+v, want offset %d", at.UTC(), got, want)
				}
			}
		})
	}
}

func TestWriteFolded(t *testing.T) {
	tests := []struct {
		name, line string
		want       []int // octets per physical line, continuation space included
	}{
		{"Short", strings.Repeat("a", 75), []int{75}},
		{"OneOver", strings.Repeat("a", 76), []int{75, 2}},
		{"Long", strings.Repeat("a", 75+74+10), []int{75, 75, 11}},
		{"TwoByteAtCut", strings.Repeat("a", 74) + "é" + "b", []int{74, 4}},
		{"FourByteAtCut", strings.Repeat("a", 73) + "😀" + "b", []int{73, 6}},
		{"AllThreeByte", strings.Repeat("東", 60), []int{75, 73, 34}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := bufio.NewWriter(&buf)
			if err := writeFolded(w, []byte(tt.line+"\r\n")); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
			var got []int
			for i, l := range lines {
				got = append(got, len(l))
				if !utf8.ValidString(l) {
					t.Errorf("line %d is not valid UTF-8", i+1)
				}
				if i > 0 && !strings.HasPrefix(l, " ") {
					t.Errorf("line %d does not start with a space", i+1)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("line lengths %v, want %v", got, tt.want)
			}
			if unfolded := strings.ReplaceAll(buf.String(), "\r\n ", ""); unfolded != tt.line+"\r\n" {
				t.Fatalf("unfolds to %q", unfolded)
			}
		})
	}
}

// synthetic returns hand-made appointments of patient 7 around the
// daylight-saving change: one in a room, one by video, one cancelled.
func syntheticAppointments(c *booking.Clinic) []*booking.Appointment {
	loc := c.Location()
	at := func(d, h int) time.Time { return time.Date(2027, 3, d, h, 0, 0, 0, loc) }
	staff := []booking.Assignment{{StaffID: 1, Name: "Dr. Ana Reyes", Role: booking.RoleTherapist}, {StaffID: 7, Name: "Grace Kim, RN", Role: booking.RoleNurse}}
	return []*booking.Appointment{
		{ID: 1, SeriesID: 3, PatientID: 7, Kind: "dosing", Step: "dosing", Index: 2, Count: 6, Start: at(12, 9), End: at(12, 12),
			RoomID: 4, RoomName: "Dosing 1", Staff: staff, Status: booking.Booked, Sequence: 1, Updated: at(1, 9), Created: at(1, 9)},
		{ID: 2, SeriesID: 3, PatientID: 7, Kind: "integration", Step: "integration", Index: 2, Count: 6, Start: at(15, 13), End: at(15, 14),
			Staff: staff[:1], Status: booking.Booked, Updated: at(1, 9), Created: at(1, 9)},
		{ID: 3, SeriesID: 3, PatientID: 7, Kind: "dosing", Step: "dosing", Index: 3, Count: 6, Start: at(16, 9), End: at(16, 12),
			RoomID: 5, RoomName: "Dosing 2", Staff: staff, Status: booking.LateCancelled, Reason: "Feeling unwell", Sequence: 4, Updated: at(15, 9), Created: at(1, 9)},
	}
}

func exportDemoClinic(t *testing.T) *booking.Clinic {
	t.Helper()
	cf, err := booking.ParseClinicFile(resources.DemoClinic)
	if err != nil {
		t.Fatal(err)
	}
	return &cf.Clinic
}

func TestWrite_Folding(t *testing.T) {
	c := exportDemoClinic(t)
	c.Address = strings.Repeat("Ünter den Lïnden 東京都渋谷区 ", 8) + "😀"
	name := strings.Repeat("Zoë Ærøskøbing-Łódź 山田太郎 ", 6)
	list := syntheticAppointments(c)
	x := Export{Clinic: c, InstanceID: "abc", Appointments: list, PatientName: func(int64) string { return name },
		Privacy: PrivacyFull, Now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Name: strings.Repeat("Kalender für Zoë ", 10)}
	data, _ := writeExport(t, t.TempDir(), "long.ics", x)
	if !bytes.Contains(data, []byte("\r\n ")) {
		t.Fatal("nothing was folded; the test proves nothing")
	}
	cal := decodeExport(t, data)
	if got, want := textProp(t, cal.Component, "X-WR-CALNAME"), strings.TrimSpace(x.Name); got != want {
		t.Errorf("X-WR-CALNAME=%q, want %q", got, want)
	}
	for _, ev := range exportEvents(t, cal) {
		if got, want := textProp(t, ev, ical.PropSummary), "Appointment – "+strings.TrimSpace(name); !strings.HasSuffix(got, want) {
			t.Errorf("SUMMARY=%q, want it to end with %q", got, want)
		}
		if got := textProp(t, ev, ical.PropLocation); !strings.HasSuffix(got, strings.TrimSpace(c.Address)) && got != "Video call" {
			t.Errorf("LOCATION=%q, want the address whole", got)
		}
	}
}

func TestWrite_Escaping(t *testing.T) {
	c := exportDemoClinic(t)
	c.Address = `1 Main St, Suite 5; back\door`
	list := syntheticAppointments(c)
	list[0].RoomName = `Room A, 2nd floor; east\wing`
	list[0].Staff[0].Name = "Ana \r\nReyes\rSr.\x00"
	patient := `Doe, Jane; "JJ" \ Jr.`
	x := Export{Clinic: c, InstanceID: "abc", Appointments: list[:1], PatientName: func(int64) string { return patient },
		Privacy: PrivacyFull, Now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	data, _ := writeExport(t, t.TempDir(), "escape.ics", x)
	ev := exportEvents(t, decodeExport(t, data))[UID("abc", 1)]
	if got, want := textProp(t, ev, ical.PropSummary), "Appointment – "+patient; got != want {
		t.Errorf("SUMMARY=%q, want %q", got, want)
	}
	if got, want := textProp(t, ev, ical.PropLocation), list[0].RoomName+", "+c.Address; got != want {
		t.Errorf("LOCATION=%q, want %q", got, want)
	}
	desc := textProp(t, ev, ical.PropDescription)
	if !strings.Contains(desc, "Staff: Ana \nReyes\nSr.  (therapist), Grace Kim, RN (nurse)\n") {
		t.Errorf("DESCRIPTION=%q: the staff line should keep its commas and turn CR/LF into line breaks", desc)
	}
	for _, raw := range []string{`Doe\, Jane\; "JJ" \\ Jr.`, `Room A\, 2nd floor\; east\\wing`} {
		if !bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n "), nil), []byte(raw)) {
			t.Errorf("the file lacks the escaped text %s", raw)
		}
	}
}

func TestWrite_Empty(t *testing.T) {
	c := exportDemoClinic(t)
	for _, x := range []Export{
		{Clinic: c, InstanceID: "abc", Now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)},
		{Clinic: c, InstanceID: "abc", ForPatient: true, Alarms: true, Appointments: []*booking.Appointment{}},
	} {
		data, _ := writeExport(t, t.TempDir(), "empty.ics", x)
		cal := decodeExport(t, data)
		if n := len(cal.Events()); n != 0 {
			t.Fatalf("events=%d, want 0", n)
		}
		if len(cal.Children) != 1 || cal.Children[0].Name != ical.CompTimezone {
			t.Fatalf("an empty calendar should still hold the clinic's VTIMEZONE (RFC 5545 wants one component): %v", cal.Children)
		}
		if oneProp(t, cal.Component, ical.PropProductID) != "-//kapbook//kapbook//EN" {
			t.Fatal("no PRODID")
		}
	}
}

func TestWrite_RescheduleAndCancel(t *testing.T) {
	f := newExportFixture(t)
	dir := t.TempDir()
	filter := booking.AppointmentFilter{PatientID: f.patients[0].ID}
	before := f.appts(t, filter)
	data, _ := writeExport(t, dir, "before.ics", f.export(before))
	old := exportEvents(t, decodeExport(t, data))

	moved, cancelled := f.change(t, before)

	after := f.appts(t, filter)
	data, _ = writeExport(t, dir, "after.ics", f.export(after))
	now := exportEvents(t, decodeExport(t, data))
	if len(now) != len(old) {
		t.Fatalf("events %d after, %d before: a reschedule or cancel must neither add nor drop one", len(now), len(old))
	}
	for uid, o := range old {
		n := now[uid]
		if n == nil {
			t.Fatalf("UID %s is gone after the changes", uid)
		}
		so, _ := strconv.Atoi(oneProp(t, o, ical.PropSequence))
		sn, _ := strconv.Atoi(oneProp(t, n, ical.PropSequence))
		changed := uid == UID(f.instance, moved.ID) || uid == UID(f.instance, cancelled.ID)
		if changed && sn <= so {
			t.Errorf("%s: SEQUENCE %d after a change, was %d; it must rise", uid, sn, so)
		}
		if !changed && sn != so {
			t.Errorf("%s: SEQUENCE %d → %d without a change", uid, so, sn)
		}
	}
	ev := now[UID(f.instance, cancelled.ID)]
	if s := oneProp(t, ev, ical.PropStatus); s != "CANCELLED" {
		t.Errorf("cancelled appointment: STATUS=%s", s)
	}
	if s := textProp(t, ev, ical.PropSummary); !strings.HasPrefix(s, "Cancelled: ") {
		t.Errorf("cancelled appointment: SUMMARY=%q", s)
	}
	ev = now[UID(f.instance, moved.ID)]
	start, err := ev.Props.DateTime(ical.PropDateTimeStart, nil)
	if err != nil || !start.Equal(moved.Start) {
		t.Errorf("moved appointment: DTSTART %s (%v), want %s", start, err, moved.Start)
	}
	if s := oneProp(t, ev, ical.PropStatus); s != "CONFIRMED" {
		t.Errorf("moved appointment: STATUS=%s", s)
	}
}

// change moves the patient's last appointment to another time the
// planner offers and cancels the integration before its dosing (cancelling
// a dosing would cancel its integration too); it returns both as stored
// afterwards.
func (f *exportFixture) change(t *testing.T, list []*booking.Appointment) (moved, cancelled *booking.Appointment) {
	t.Helper()
	last, prev := list[len(list)-1], list[len(list)-3]
	sug, err := f.svc.Suggest(f.ctx, last.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(sug.Alternatives) == 0 {
		t.Fatal("the planner offers no other time for the last appointment")
	}
	f.now = f.now.Add(time.Hour)
	if _, err := f.svc.Reschedule(f.ctx, last.ID, sug.Alternatives[0].Start, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Cancel(f.ctx, booking.CancelRequest{AppointmentID: prev.ID, By: booking.ByPatient, Reason: "Patient asked"}); err != nil {
		t.Fatal(err)
	}
	if moved, err = f.db.Appointment(f.ctx, last.ID); err != nil {
		t.Fatal(err)
	}
	if cancelled, err = f.db.Appointment(f.ctx, prev.ID); err != nil {
		t.Fatal(err)
	}
	if moved.Start.Equal(last.Start) || moved.Sequence <= last.Sequence || cancelled.Status.Active() {
		t.Fatalf("the changes did not happen: moved %s → %s, cancelled %s", last.Start, moved.Start, cancelled.Status)
	}
	return moved, cancelled
}

func TestWrite_Privacy(t *testing.T) {
	f := newExportFixture(t)
	jane := f.patients[0]
	list := f.appts(t, booking.AppointmentFilter{PatientID: jane.ID})
	tests := []struct {
		privacy       Privacy
		shows         string
		mustNotAppear []string
	}{
		{PrivacyFull, "Jane Doe", nil},
		{PrivacyInitials, "J.D.", []string{"Jane", "Doe"}},
		{"", "J.D.", []string{"Jane", "Doe"}},
		{PrivacyID, "Patient #" + strconv.FormatInt(jane.ID, 10), []string{"Jane", "Doe", "J.D."}},
	}
	for _, tt := range tests {
		t.Run("Privacy_"+string(tt.privacy), func(t *testing.T) {
			x := f.export(list)
			x.Privacy = tt.privacy
			data, _ := writeExport(t, t.TempDir(), "staff.ics", x)
			for _, w := range tt.mustNotAppear {
				if bytes.Contains(data, []byte(w)) {
					t.Errorf("%q appears in a %q export", w, tt.privacy)
				}
			}
			for _, ev := range exportEvents(t, decodeExport(t, data)) {
				s := textProp(t, ev, ical.PropSummary)
				if want := "Appointment – " + tt.shows; strings.TrimPrefix(s, "Cancelled: ") != want {
					t.Errorf("SUMMARY=%q, want %q", s, want)
				}
				if forbiddenPatientWords.MatchString(s) {
					t.Errorf("SUMMARY %q is not neutral", s)
				}
				if !strings.Contains(textProp(t, ev, ical.PropDescription), "Patient: "+tt.shows) {
					t.Errorf("DESCRIPTION does not show the patient as %q", tt.shows)
				}
			}
		})
	}
	x := f.export(list)
	x.Privacy = "everything"
	if err := Write(&bytes.Buffer{}, x); err == nil || !strings.HasPrefix(err.Error(), "calendar: ") {
		t.Fatalf("unknown privacy: err=%v, want a calendar: error", err)
	}
}

// forbiddenPatientWords are what nothing a patient receives may say
// (docs/privacy.md, "Email"), with common diagnoses; kept apart from the
// code's own list so that a word dropped there still fails here.
var forbiddenPatientWords = regexp.MustCompile(`(?i)ketamine|esketamine|spravato|dosing|infusion|psychedelic|psychotherapy|depression|ptsd|anxiety`)

func TestWrite_PatientWordsRule(t *testing.T) {
	f := newExportFixture(t)
	hostile := *f.clinic
	hostile.Name = "Harbor Ketamine & Psychotherapy Institute"
	hostile.Address = "1 Spravato Way, Boston, MA 02110"
	staff, err := f.db.StaffList(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	rooms, err := f.db.Rooms(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var forbidden []string
	for _, s := range staff {
		forbidden = append(forbidden, s.Name)
	}
	for _, r := range rooms {
		forbidden = append(forbidden, r.Name)
	}
	for _, p := range f.patients {
		forbidden = append(forbidden, p.Name, patientInitials(p.Name))
	}
	dir := t.TempDir()
	for _, clinic := range []*booking.Clinic{f.clinic, &hostile} {
		for _, p := range f.patients {
			list := f.appts(t, booking.AppointmentFilter{PatientID: p.ID})
			x := f.export(list)
			x.Clinic, x.ForPatient, x.Alarms, x.Name = clinic, true, true, clinic.Name+" appointments"
			x.Privacy = PrivacyFull // ignored for patients
			data, _ := writeExport(t, dir, "patient.ics", x)
			if m := forbiddenPatientWords.Find(data); m != nil {
				t.Errorf("%s, clinic %q: the patient's calendar says %q", p.Name, clinic.Name, m)
			}
			for _, w := range forbidden {
				if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n "), nil), []byte(w)) {
					t.Errorf("%s, clinic %q: the patient's calendar names %q", p.Name, clinic.Name, w)
				}
			}
			cal := decodeExport(t, data)
			for _, ev := range exportEvents(t, cal) {
				desc := textProp(t, ev, ical.PropDescription)
				if !strings.Contains(desc, "+1 617 555 0142") || !strings.HasPrefix(desc, "Your appointment") {
					t.Errorf("DESCRIPTION=%q: want the appointment, the time and the clinic's phone", desc)
				}
				if clinic == f.clinic && textProp(t, ev, ical.PropLocation) != clinic.Address {
					t.Errorf("LOCATION=%q, want the clinic's address", textProp(t, ev, ical.PropLocation))
				}
				if len(ev.Props.Values(ical.PropCategories)) != 0 {
					t.Error("a patient's event has CATEGORIES")
				}
				if n := len(ev.Children); n != 2 {
					t.Errorf("alarms=%d, want 2", n)
				}
			}
		}
	}
	mixed := append(f.appts(t, booking.AppointmentFilter{PatientID: f.patients[0].ID}), f.appts(t, booking.AppointmentFilter{PatientID: f.patients[1].ID})...)
	x := f.export(mixed)
	x.ForPatient = true
	var buf bytes.Buffer
	if err := Write(&buf, x); err == nil || buf.Len() != 0 {
		t.Fatalf("a patient calendar with two patients' appointments: err=%v, %d bytes written", err, buf.Len())
	}
}

func TestWrite_PatientVideoAndCancelled(t *testing.T) {
	c := exportDemoClinic(t)
	x := Export{Clinic: c, InstanceID: "abc", Appointments: syntheticAppointments(c), ForPatient: true, Alarms: true, Now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}
	data, _ := writeExport(t, t.TempDir(), "patient.ics", x)
	ev := exportEvents(t, decodeExport(t, data))
	if got := textProp(t, ev[UID("abc", 2)], ical.PropLocation); got != "Video call" {
		t.Errorf("video appointment: LOCATION=%q", got)
	}
	if got := textProp(t, ev[UID("abc", 1)], ical.PropDescription); !strings.Contains(got, "Friday 12 March 2027, 09:00–12:00 EST") {
		t.Errorf("DESCRIPTION=%q lacks the local time", got)
	}
	if got := textProp(t, ev[UID("abc", 2)], ical.PropDescription); !strings.Contains(got, "13:00–14:00 EDT") {
		t.Errorf("DESCRIPTION=%q lacks the local time", got)
	}
	cancelled := ev[UID("abc", 3)]
	if oneProp(t, cancelled, ical.PropStatus) != "CANCELLED" || len(cancelled.Children) != 0 {
		t.Errorf("cancelled: STATUS=%s, alarms=%d; want CANCELLED and none", oneProp(t, cancelled, ical.PropStatus), len(cancelled.Children))
	}
	if bytes.Contains(data, []byte("Feeling unwell")) {
		t.Error("the cancellation reason reached the patient's calendar")
	}
}

func TestWrite_Feed(t *testing.T) {
	c := exportDemoClinic(t)
	x := Export{Clinic: c, InstanceID: "abc", Appointments: syntheticAppointments(c), RefreshInterval: 15 * time.Minute, Name: "Dr. Ana Reyes"}
	data, _ := writeExport(t, t.TempDir(), "feed.ics", x)
	cal := decodeExport(t, data)
	for name, want := range map[string]string{"REFRESH-INTERVAL": "PT15M", "X-PUBLISHED-TTL": "PT15M", "X-WR-CALNAME": "Dr. Ana Reyes"} {
		if got := oneProp(t, cal.Component, name); got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	if v := cal.Props.Get("REFRESH-INTERVAL").Params.Get("VALUE"); v != "DURATION" {
		t.Errorf("REFRESH-INTERVAL VALUE=%q, want DURATION (RFC 7986)", v)
	}
	if got := oneProp(t, exportEvents(t, cal)[UID("abc", 1)], ical.PropDateTimeStamp); got == "" || got == "00010101T000000Z" {
		t.Errorf("DTSTAMP=%q with Now unset, want the current time", got)
	}
}

func TestWrite_Errors(t *testing.T) {
	c := exportDemoClinic(t)
	ok := func() Export {
		return Export{Clinic: c, InstanceID: "abc", Appointments: syntheticAppointments(c)}
	}
	tests := []struct {
		name   string
		change func(x *Export)
	}{
		{"ErrNoClinic", func(x *Export) { x.Clinic = nil }},
		{"ErrNoInstanceID", func(x *Export) { x.InstanceID = "" }},
		{"ErrInstanceIDWithNewline", func(x *Export) { x.InstanceID = "a\r\nb" }},
		{"ErrAlarmsForStaff", func(x *Export) { x.Alarms = true }},
		{"ErrNegativeRefresh", func(x *Export) { x.RefreshInterval = -time.Minute }},
		{"ErrEndsBeforeStart", func(x *Export) { x.Appointments[1].End = x.Appointments[1].Start.Add(-time.Minute) }},
		{"ErrNilAppointment", func(x *Export) { x.Appointments = append(x.Appointments, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := ok()
			tt.change(&x)
			var buf bytes.Buffer
			err := Write(&buf, x)
			if err == nil || !strings.HasPrefix(err.Error(), "calendar: ") {
				t.Fatalf("err=%v, want a calendar: error", err)
			}
			if buf.Len() != 0 {
				t.Fatalf("%d bytes written before the error", buf.Len())
			}
		})
	}
	t.Run("ErrWriter", func(t *testing.T) {
		boom := errors.New("disk full")
		err := Write(failingWriter{boom}, ok())
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "calendar: ") {
			t.Fatalf("err=%v, want it to wrap %v", err, boom)
		}
	})
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestUID(t *testing.T) {
	if got, want := UID("3f2a", 17), "17-3f2a@kapbook"; got != want {
		t.Fatalf("UID=%q, want %q", got, want)
	}
	if UID("a", 1) == UID("b", 1) || UID("a", 1) == UID("a", 11) {
		t.Fatal("UIDs collide")
	}
}

// TestWrite_Streams checks that Write does not hold the calendar in
// memory: writing 20,000 events allocates less than half of what it
// writes, which a Write that built the whole calendar first could not.
func TestWrite_Streams(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 events")
	}
	c := exportDemoClinic(t)
	appts := benchExportAppointments(c, 20_000)
	x := Export{Clinic: c, InstanceID: "abc", Appointments: appts, PatientName: func(int64) string { return "Jane Doe" }}
	var w countingWriter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := Write(&w, x); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := int64(after.TotalAlloc - before.TotalAlloc); alloc > w.n/2 {
		t.Fatalf("allocated %d bytes to write %d", alloc, w.n)
	}
}

// TestWrite_VideoLink: a video call gives its therapist's link, escaped,
// in patient and staff calendars and in an invite, but not once cancelled
// and never when the link reveals the treatment.
func TestWrite_VideoLink(t *testing.T) {
	c := exportDemoClinic(t)
	link := "https://video.example.org/ana-reyes?pwd=a,b;c"
	staff := []*booking.Staff{{ID: 1, Name: "Dr. Ana Reyes", VideoLink: link}, {ID: 7, Name: "Grace Kim, RN"}}
	list := syntheticAppointments(c)
	gone := *list[1]
	gone.ID, gone.Status = 4, booking.Cancelled
	list = append(list, &gone)
	now := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)

	data, _ := writeExport(t, t.TempDir(), "patient.ics", Export{Clinic: c, InstanceID: "abc", Appointments: list, ForPatient: true, Now: now, Staff: staff})
	ev := exportEvents(t, decodeExport(t, data))
	if got := textProp(t, ev[UID("abc", 2)], ical.PropLocation); got != link {
		t.Errorf("patient: LOCATION=%q, want the link", got)
	}
	if got := textProp(t, ev[UID("abc", 2)], ical.PropDescription); !strings.Contains(got, "It is a video call: "+link) {
		t.Errorf("patient: DESCRIPTION=%q, want the link", got)
	}
	if got := textProp(t, ev[UID("abc", 1)], ical.PropLocation); !strings.HasSuffix(got, strings.TrimSpace(c.Address)) {
		t.Errorf("in a room: LOCATION=%q, want the address", got)
	}
	loc, desc := textProp(t, ev[UID("abc", 4)], ical.PropLocation), textProp(t, ev[UID("abc", 4)], ical.PropDescription)
	if loc != "Video call" || !strings.Contains(desc, "It was a video call.") || strings.Contains(desc, link) {
		t.Errorf("cancelled: LOCATION=%q DESCRIPTION=%q, want no link", loc, desc)
	}

	data, _ = writeExport(t, t.TempDir(), "staff.ics", Export{Clinic: c, InstanceID: "abc", Appointments: list[:2], Now: now, Staff: staff})
	if got := textProp(t, exportEvents(t, decodeExport(t, data))[UID("abc", 2)], ical.PropLocation); got != "Video call: "+link {
		t.Errorf("staff: LOCATION=%q, want the link", got)
	}

	inv := writeInviteBytes(t, Invite{Method: MethodRequest, Clinic: c, InstanceID: "abc", Appointment: list[1], OrganizerEmail: "appointments@harbor.example",
		PatientEmail: "jane@example.org", Now: now, Staff: staff})
	if got := textProp(t, exportEvents(t, decodeExport(t, inv))[UID("abc", 2)], ical.PropLocation); got != link {
		t.Errorf("invite: LOCATION=%q, want the link", got)
	}

	staff[0].VideoLink = "https://ketamine-care.example.org/reyes"
	data, _ = writeExport(t, t.TempDir(), "revealing.ics", Export{Clinic: c, InstanceID: "abc", Appointments: list[1:2], ForPatient: true, Now: now, Staff: staff})
	if got := textProp(t, exportEvents(t, decodeExport(t, data))[UID("abc", 2)], ical.PropLocation); got != "Video call" || bytes.Contains(bytes.ToLower(data), []byte("ketamine")) {
		t.Errorf("a revealing link: LOCATION=%q; want it left out of the patient's calendar", got)
	}
}
