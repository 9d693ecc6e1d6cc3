package calendar

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
)

// inviteFixture returns a booked kap-standard series' appointments and an
// invite for the first.
func inviteFixture(t *testing.T) (*exportFixture, []*booking.Appointment) {
	t.Helper()
	f := newExportFixture(t)
	list := f.appts(t, booking.AppointmentFilter{PatientID: f.patients[0].ID})
	return f, list
}

func (f *exportFixture) invite(m Method, a *booking.Appointment) Invite {
	return Invite{Method: m, Clinic: f.clinic, InstanceID: f.instance, Appointment: a,
		OrganizerEmail: "appointments@harbor.example", OrganizerName: "Harbor Wellness Center",
		PatientEmail: f.patients[0].Email, Now: f.now}
}

func writeInviteBytes(t *testing.T, x Invite) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteInvite(&buf, x); err != nil {
		t.Fatal(err)
	}
	checkContentLines(t, "invite", buf.Bytes())
	return buf.Bytes()
}

// TestWriteInvite proves that go-ical reads every invite back with the
// method, UID, SEQUENCE, STATUS, ORGANIZER and ATTENDEE iTIP needs, and
// that no text reveals the treatment.
func TestWriteInvite(t *testing.T) {
	f, list := inviteFixture(t)
	for _, a := range list {
		for _, m := range []Method{MethodRequest, MethodCancel} {
			data := writeInviteBytes(t, f.invite(m, a))
			if reveals(string(data)) || strings.Contains(string(data), "Jane") || strings.Contains(string(data), "Doe") {
				t.Fatalf("%s %s reveals the treatment or a name:\n%s", m, a.Label(), data)
			}
			cal := decodeExport(t, data)
			if got := cal.Props.Get(ical.PropMethod).Value; got != string(m) {
				t.Fatalf("METHOD=%s, want %s", got, m)
			}
			evs := exportEvents(t, cal)
			if len(evs) != 1 {
				t.Fatalf("events=%d, want 1", len(evs))
			}
			ev := evs[UID(f.instance, a.ID)]
			if ev == nil {
				t.Fatalf("no event with UID %s", UID(f.instance, a.ID))
			}
			if got := oneProp(t, ev, ical.PropSequence); got != strconv.Itoa(a.Sequence) {
				t.Fatalf("SEQUENCE=%s, want %d", got, a.Sequence)
			}
			wantStatus := "CONFIRMED"
			if m == MethodCancel {
				wantStatus = "CANCELLED"
			}
			if got := oneProp(t, ev, ical.PropStatus); got != wantStatus {
				t.Fatalf("STATUS=%s, want %s", got, wantStatus)
			}
			org := ev.Props.Get(ical.PropOrganizer)
			if org == nil || org.Value != "mailto:appointments@harbor.example" || org.Params.Get(ical.ParamCommonName) != "Harbor Wellness Center" {
				t.Fatalf("ORGANIZER=%+v", org)
			}
			att := ev.Props.Get(ical.PropAttendee)
			if att == nil || att.Value != "mailto:"+f.patients[0].Email || att.Params.Get(ical.ParamCommonName) != "" {
				t.Fatalf("ATTENDEE=%+v", att)
			}
		}
	}
}

// TestWriteInvite_Errors proves that a bad invite is refused before
// anything is written, and that an organizer name that reveals the
// treatment is left out.
func TestWriteInvite_Errors(t *testing.T) {
	f, list := inviteFixture(t)
	a := list[0]
	cancelled := *a
	cancelled.Status = booking.Cancelled
	for name, mod := range map[string]func(x *Invite){
		"ErrMethod":            func(x *Invite) { x.Method = "PUBLISH" },
		"ErrNoAppointment":     func(x *Invite) { x.Appointment = nil },
		"ErrRequestCancelled":  func(x *Invite) { x.Appointment = &cancelled },
		"ErrOrganizerInjected": func(x *Invite) { x.OrganizerEmail = "a@b.example\r\nATTENDEE:mailto:x@y.example" },
		"ErrAttendeeName":      func(x *Invite) { x.PatientEmail = "Jane <jane@example.org>" },
		"ErrAttendeeEmpty":     func(x *Invite) { x.PatientEmail = "" },
		"ErrInstance":          func(x *Invite) { x.InstanceID = "a b" },
	} {
		t.Run(name, func(t *testing.T) {
			x := f.invite(MethodRequest, a)
			mod(&x)
			var buf bytes.Buffer
			err := WriteInvite(&buf, x)
			if err == nil || !strings.HasPrefix(err.Error(), "calendar: ") {
				t.Fatalf("err=%v, want a calendar: error", err)
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes before refusing", buf.Len())
			}
		})
	}
	t.Run("RevealingOrganizerName", func(t *testing.T) {
		x := f.invite(MethodRequest, a)
		x.OrganizerName = "Harbor Ketamine Clinic"
		data := writeInviteBytes(t, x)
		if reveals(string(data)) {
			t.Fatalf("invite reveals the treatment:\n%s", data)
		}
		ev := exportEvents(t, decodeExport(t, data))[UID(f.instance, a.ID)]
		if cn := ev.Props.Get(ical.PropOrganizer).Params.Get(ical.ParamCommonName); cn != "" {
			t.Fatalf("CN=%q, want none", cn)
		}
	})
	t.Run("CancelActive", func(t *testing.T) {
		cal := decodeExport(t, writeInviteBytes(t, f.invite(MethodCancel, &cancelled)))
		if got := cal.Props.Get(ical.PropMethod).Value; got != "CANCEL" {
			t.Fatalf("METHOD=%s", got)
		}
	})
}

// pyInvite is what python3-icalendar reads from an invite.
type pyInvite struct {
	Method    string `json:"method"`
	UID       string `json:"uid"`
	Sequence  int    `json:"sequence"`
	Status    string `json:"status"`
	Organizer string `json:"organizer"`
	Attendee  string `json:"attendee"`
	Start     int64  `json:"start"`
}

const pyInviteScript = `
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
ev = cal.walk('VEVENT')[0]
print(json.dumps({'method': str(cal['METHOD']), 'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),
    'status': str(ev['STATUS']), 'organizer': str(ev['ORGANIZER']), 'attendee': str(ev['ATTENDEE']),
    'start': int(ev.decoded('DTSTART').timestamp())}))
`

// ParseInviteWithPyICal reads an invite file with python3-icalendar.
func parseInviteWithPyICal(t *testing.T, file string) pyInvite {
	t.Helper()
	requirePeer(t, havePyICal())
	var stderr bytes.Buffer
	cmd := exec.Command(pythonPath, "-c", pyInviteScript, file)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-icalendar: %v\n%s", err, stderr.Bytes())
	}
	var got pyInvite
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python3-icalendar: %v: %s", err, out)
	}
	return got
}

// TestPeers_Invite proves that python3-icalendar reads a REQUEST and a
// CANCEL with the right method, UID, SEQUENCE, STATUS, ORGANIZER,
// ATTENDEE and start time.
func TestPeers_Invite(t *testing.T) {
	f, list := inviteFixture(t)
	a := list[len(list)-1]
	dir := t.TempDir()
	for _, m := range []Method{MethodRequest, MethodCancel} {
		file := filepath.Join(dir, string(m)+".ics")
		if err := os.WriteFile(file, writeInviteBytes(t, f.invite(m, a)), 0o600); err != nil {
			t.Fatal(err)
		}
		got := parseInviteWithPyICal(t, file)
		want := pyInvite{Method: string(m), UID: UID(f.instance, a.ID), Sequence: a.Sequence, Status: "CONFIRMED",
			Organizer: "mailto:appointments@harbor.example", Attendee: "mailto:" + f.patients[0].Email, Start: a.Start.Unix()}
		if m == MethodCancel {
			want.Status = "CANCELLED"
		}
		if got != want {
			t.Fatalf("python3-icalendar read %+v, want %+v", got, want)
		}
	}
}

// TestWriteInvite_SameTextsAsExport proves that an invite's title, place
// and description are exactly those of the patient's own calendar
// (Export's ForPatient mode), for a booked and a cancelled appointment
// and for a clinic whose name reveals the treatment.
func TestWriteInvite_SameTextsAsExport(t *testing.T) {
	f, list := inviteFixture(t)
	cancelled := *list[1]
	cancelled.Status = booking.Cancelled
	revealing := *f.clinic
	revealing.Name = "Harbor Ketamine Clinic"
	for name, tc := range map[string]struct {
		clinic *booking.Clinic
		a      *booking.Appointment
		m      Method
	}{
		"Booked":          {f.clinic, list[0], MethodRequest},
		"Cancelled":       {f.clinic, &cancelled, MethodCancel},
		"RevealingClinic": {&revealing, list[3], MethodRequest},
	} {
		t.Run(name, func(t *testing.T) {
			x := f.invite(tc.m, tc.a)
			x.Clinic = tc.clinic
			inv := exportEvents(t, decodeExport(t, writeInviteBytes(t, x)))[UID(f.instance, tc.a.ID)]
			var buf bytes.Buffer
			if err := Write(&buf, Export{Clinic: tc.clinic, InstanceID: f.instance, Appointments: []*booking.Appointment{tc.a}, ForPatient: true, Now: f.now}); err != nil {
				t.Fatal(err)
			}
			exp := exportEvents(t, decodeExport(t, buf.Bytes()))[UID(f.instance, tc.a.ID)]
			for _, p := range []string{ical.PropSummary, ical.PropLocation, ical.PropDescription} {
				if got, want := textProp(t, inv, p), textProp(t, exp, p); got != want {
					t.Fatalf("%s=%q, want %q as in the patient's calendar", p, got, want)
				}
			}
			for _, p := range []string{ical.PropStatus, ical.PropDateTimeStart, ical.PropDateTimeEnd} {
				if got, want := oneProp(t, inv, p), oneProp(t, exp, p); got != want {
					t.Fatalf("%s=%q, want %q as in the patient's calendar", p, got, want)
				}
			}
		})
	}
}

// seriesInvite returns an invite for every appointment in list.
func (f *exportFixture) seriesInvite(m Method, list []*booking.Appointment) Invite {
	x := f.invite(m, nil)
	x.Appointment, x.Appointments = nil, list
	return x
}

// TestWriteInvite_Series proves that an invite for a whole series is one
// calendar with one METHOD and one VEVENT per appointment, each with its
// own UID and SEQUENCE and the same ORGANIZER and ATTENDEE, revealing
// nothing; and that mixing Appointment and Appointments, a missing
// appointment, another patient's appointment or a cancelled appointment
// in a REQUEST is refused before anything is written.
func TestWriteInvite_Series(t *testing.T) {
	f, list := inviteFixture(t)
	if len(list) < 2 {
		t.Fatalf("fixture has %d appointments, want a series", len(list))
	}
	for _, m := range []Method{MethodRequest, MethodCancel} {
		data := writeInviteBytes(t, f.seriesInvite(m, list))
		if reveals(string(data)) || strings.Contains(string(data), "Jane") || strings.Contains(string(data), "Doe") {
			t.Fatalf("%s reveals the treatment or a name:\n%s", m, data)
		}
		if n := strings.Count(string(data), "BEGIN:VCALENDAR"); n != 1 {
			t.Fatalf("%d calendars, want 1", n)
		}
		cal := decodeExport(t, data)
		if got := cal.Props.Get(ical.PropMethod).Value; got != string(m) {
			t.Fatalf("METHOD=%s, want %s", got, m)
		}
		evs := exportEvents(t, cal)
		if len(evs) != len(list) {
			t.Fatalf("events=%d, want %d", len(evs), len(list))
		}
		for _, a := range list {
			ev := evs[UID(f.instance, a.ID)]
			if ev == nil {
				t.Fatalf("no event with UID %s", UID(f.instance, a.ID))
			}
			if got := oneProp(t, ev, ical.PropSequence); got != strconv.Itoa(a.Sequence) {
				t.Fatalf("SEQUENCE=%s, want %d", got, a.Sequence)
			}
			org := ev.Props.Get(ical.PropOrganizer)
			if org == nil || org.Value != "mailto:appointments@harbor.example" {
				t.Fatalf("ORGANIZER=%+v", org)
			}
			att := ev.Props.Get(ical.PropAttendee)
			if att == nil || att.Value != "mailto:"+f.patients[0].Email {
				t.Fatalf("ATTENDEE=%+v", att)
			}
		}
	}
	cancelled := *list[1]
	cancelled.Status = booking.Cancelled
	other := *list[0]
	other.PatientID++
	for name, x := range map[string]Invite{
		"Both":             func() Invite { x := f.seriesInvite(MethodRequest, list); x.Appointment = list[0]; return x }(),
		"Missing":          f.seriesInvite(MethodRequest, []*booking.Appointment{list[0], nil}),
		"OtherPatient":     f.seriesInvite(MethodRequest, []*booking.Appointment{list[1], &other}),
		"RequestCancelled": f.seriesInvite(MethodRequest, []*booking.Appointment{list[0], &cancelled}),
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteInvite(&buf, x)
			if err == nil || !strings.HasPrefix(err.Error(), "calendar: ") {
				t.Fatalf("err=%v, want a calendar: error", err)
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes before refusing", buf.Len())
			}
		})
	}
}

const pySeriesScript = `
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
print(json.dumps({'method': str(cal['METHOD']), 'events': [{'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),
    'status': str(ev['STATUS']), 'organizer': str(ev['ORGANIZER']), 'attendee': str(ev['ATTENDEE']),
    'start': int(ev.decoded('DTSTART').timestamp())} for ev in cal.walk('VEVENT')]}))
`

// TestPeers_SeriesInvite proves that python3-icalendar reads a series'
// REQUEST and CANCEL as one method and one event per appointment, each
// with its UID, SEQUENCE, STATUS, ORGANIZER, ATTENDEE and start time.
func TestPeers_SeriesInvite(t *testing.T) {
	f, list := inviteFixture(t)
	requirePeer(t, havePyICal())
	dir := t.TempDir()
	for _, m := range []Method{MethodRequest, MethodCancel} {
		file := filepath.Join(dir, "series-"+string(m)+".ics")
		if err := os.WriteFile(file, writeInviteBytes(t, f.seriesInvite(m, list)), 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(pythonPath, "-c", pySeriesScript, file)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python3-icalendar: %v\n%s", err, stderr.Bytes())
		}
		var got struct {
			Method string `json:"method"`
			Events []pyInvite
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("python3-icalendar: %v: %s", err, out)
		}
		if got.Method != string(m) || len(got.Events) != len(list) {
			t.Fatalf("python3-icalendar read METHOD=%s and %d events, want %s and %d", got.Method, len(got.Events), m, len(list))
		}
		for i, a := range list {
			want := pyInvite{UID: UID(f.instance, a.ID), Sequence: a.Sequence, Status: "CONFIRMED",
				Organizer: "mailto:appointments@harbor.example", Attendee: "mailto:" + f.patients[0].Email, Start: a.Start.Unix()}
			if m == MethodCancel {
				want.Status = "CANCELLED"
			}
			if got.Events[i] != want {
				t.Fatalf("python3-icalendar read event %d as %+v, want %+v", i, got.Events[i], want)
			}
		}
	}
}
