package reminder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/internal/mailpittest"
	"github.com/kapbook/kapbook/internal/peer"
	"github.com/kapbook/kapbook/reminder"
)

// Mailpit, a real SMTP server with an HTTP API (README, "The two commands"), receives
// kapbook's messages here (internal/mailpittest). A missing peer skips its
// test with the reason, unless KAPBOOK_REQUIRE_PEERS=1, when it fails.

// requirePeer skips or fails t when a peer is missing (see internal/peer).
func requirePeer(t testing.TB, err error) { peer.Require(t, err) }

type (
	mpSummary = mailpittest.Summary
	mpMessage = mailpittest.Message
	mpAddress = mailpittest.Address
)

// TestPeers_Mailpit sends a confirmation and a cancellation of one
// appointment to Mailpit over one SMTP connection and reads them back
// through its API: who got them, the subject, both MIME parts, no
// injected header or recipient, no forbidden word, and the .ics
// attachment read by go-ical and python3-icalendar with the right METHOD,
// UID and SEQUENCE.
func TestPeers_Mailpit(t *testing.T) {
	mp := mailpittest.Start(t)
	f := newFixture(t)
	ctx := context.Background()
	p := *f.patients["kap-standard"]
	p.Name = "Jane\r\nBcc: evil@example.net"
	a := f.appts["kap-standard"][3]
	c := f.composer()
	c.FromName = "Harbor Front Desk"
	confirm, err := c.Compose(reminder.Message{Kind: reminder.Confirmation, Clinic: f.clinic, Patient: &p, Appointment: a})
	if err != nil {
		t.Fatal(err)
	}
	// Cancelling the dosing cancels its integration with it.
	cancelled, err := f.svc.Cancel(ctx, booking.CancelRequest{AppointmentID: a.ID, By: booking.ByPatient})
	if err != nil || len(cancelled) != 2 || cancelled[1].Kind != "integration" {
		t.Fatalf("Cancel=%d, %v; want the dosing and its integration", len(cancelled), err)
	}
	ca := cancelled[0]
	if ca.Sequence <= a.Sequence {
		t.Fatalf("SEQUENCE %d after cancelling, was %d", ca.Sequence, a.Sequence)
	}
	cancel, err := c.Compose(reminder.Message{Kind: reminder.Cancellation, Clinic: f.clinic, Patient: &p, Appointment: ca})
	if err != nil {
		t.Fatal(err)
	}

	tr := reminder.SMTP{Host: "127.0.0.1", Port: mp.SMTPPort, Security: reminder.NoSecurity}
	checkOutcomes(t, tr.Send(ctx, []*email.Email{confirm, cancel}), sent, sent)

	var list struct {
		Total    int
		Messages []mpSummary
	}
	mp.Get(t, "/api/v1/messages", &list)
	if list.Total != 2 || len(list.Messages) != 2 {
		t.Fatalf("mailpit holds %d messages, want 2", list.Total)
	}
	bad := forbidden(f.protos)
	wants := map[string]struct {
		subject, method string
		a               *booking.Appointment
	}{
		"Your appointment on Thursday 4 March 2027 at 08:00":            {a: a, method: "REQUEST"},
		"Cancelled: your appointment on Thursday 4 March 2027 at 08:00": {a: ca, method: "CANCEL"},
	}
	for _, s := range list.Messages {
		want, ok := wants[s.Subject]
		if !ok {
			t.Fatalf("unexpected subject %q", s.Subject)
		}
		delete(wants, s.Subject)
		var m mpMessage
		mp.Get(t, "/api/v1/message/"+s.ID, &m)
		if len(m.To) != 1 || m.To[0].Address != p.Email || len(m.Cc) != 0 || len(m.Bcc) != 0 {
			t.Fatalf("%s: To=%v Cc=%v Bcc=%v, want %s alone", s.Subject, m.To, m.Cc, m.Bcc, p.Email)
		}
		if m.From != (mpAddress{Name: "Harbor Front Desk", Address: "appointments@harbor.example"}) {
			t.Fatalf("%s: From=%+v", s.Subject, m.From)
		}
		if !strings.Contains(m.Text, "Hello Jane") || !strings.Contains(m.HTML, "<p>Hello Jane") || !strings.Contains(m.Text, "08:00–11:00") {
			t.Fatalf("%s: parts:\n%s\n%s", s.Subject, m.Text, m.HTML)
		}
		raw := mp.Get(t, "/api/v1/message/"+s.ID+"/raw", nil)
		parsed := parseMessage(t, raw)
		delete(parsed.header, "Received") // added by Mailpit
		delete(parsed.header, "Return-Path")
		checkHeaders(t, parsed, p.Email)
		if bytes.Contains(raw, []byte("\nBcc:")) {
			t.Fatalf("%s: an injected header:\n%s", s.Subject, raw)
		}
		if w := bad.FindString(string(raw) + m.Text + m.HTML + m.Subject); w != "" {
			t.Fatalf("%s says %q", s.Subject, w)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].FileName != reminder.AttachmentName || !strings.HasPrefix(m.Attachments[0].ContentType, "text/calendar") {
			t.Fatalf("%s: attachments %+v", s.Subject, m.Attachments)
		}
		ics := mp.Get(t, "/api/v1/message/"+s.ID+"/part/"+m.Attachments[0].PartID, nil)
		if w := bad.FindString(string(ics)); w != "" {
			t.Fatalf("%s: attachment says %q", s.Subject, w)
		}
		method, ev := icsEvent(t, ics)
		uid := calendar.UID(f.instance, want.a.ID)
		if method != want.method || ev.Props.Get(ical.PropUID).Value != uid || ev.Props.Get(ical.PropSequence).Value != strconv.Itoa(want.a.Sequence) {
			t.Fatalf("%s: go-ical read METHOD=%s UID=%s SEQUENCE=%s, want %s %s %d", s.Subject, method,
				ev.Props.Get(ical.PropUID).Value, ev.Props.Get(ical.PropSequence).Value, want.method, uid, want.a.Sequence)
		}
		py := readWithPyICal(t, ics)
		if py.Method != want.method || py.UID != uid || py.Sequence != want.a.Sequence || py.Start != want.a.Start.Unix() {
			t.Fatalf("%s: python3-icalendar read %+v, want %s %s %d", s.Subject, py, want.method, uid, want.a.Sequence)
		}
	}
}

type pyInvite struct {
	Method   string `json:"method"`
	UID      string `json:"uid"`
	Sequence int    `json:"sequence"`
	Start    int64  `json:"start"`
	Status   string `json:"status"`
}

// pyCalendar is what python3-icalendar reads from an attachment: its
// METHOD and every VEVENT.
type pyCalendar struct {
	Method string     `json:"method"`
	Events []pyInvite `json:"events"`
}

const pythonPath = "/usr/bin/python3"

// readWithPyICal reads an invite with python3-icalendar (README, "The two commands")
// and returns its first event, with the calendar's METHOD.
func readWithPyICal(t *testing.T, ics []byte) pyInvite {
	t.Helper()
	cal := readCalendarWithPyICal(t, ics)
	if len(cal.Events) == 0 {
		t.Fatalf("python3-icalendar found no event in:\n%s", ics)
	}
	ev := cal.Events[0]
	ev.Method = cal.Method
	return ev
}

// readCalendarWithPyICal reads an attachment with python3-icalendar.
func readCalendarWithPyICal(t *testing.T, ics []byte) pyCalendar {
	t.Helper()
	if out, err := exec.Command(pythonPath, "-c", "import icalendar").CombinedOutput(); err != nil {
		requirePeer(t, fmt.Errorf("python3-icalendar: %s", bytes.TrimSpace(out)))
	}
	cmd := exec.Command(pythonPath, "-c", `
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
print(json.dumps({'method': str(cal['METHOD']), 'events': [{'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),
    'start': int(ev.decoded('DTSTART').timestamp()), 'status': str(ev.get('STATUS', ''))} for ev in cal.walk('VEVENT')]}))
`)
	cmd.Stdin = bytes.NewReader(ics)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-icalendar: %v\n%s", err, stderr.Bytes())
	}
	var got pyCalendar
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python3-icalendar: %v: %s", err, out)
	}
	return got
}
