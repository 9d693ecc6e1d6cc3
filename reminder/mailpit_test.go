package reminder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/internal/peer"
	"github.com/kapbook/kapbook/reminder"
)

// Mailpit, a real SMTP server with an HTTP API (shared PEERS.md), receives
// kapbook's messages here. A missing peer skips its test with the reason,
// unless KAPBOOK_REQUIRE_PEERS=1, when it fails.

// requirePeer skips or fails t when a peer is missing (see internal/peer).
func requirePeer(t *testing.T, err error) { peer.Require(t, err) }

// mailpitPath returns the mailpit that scripts/deps.sh installs.
func mailpitPath() (string, error) {
	bin := os.Getenv("GOBIN")
	if bin == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOPATH: %v", err)
		}
		bin = filepath.Join(strings.TrimSpace(string(out)), "bin")
	}
	path := filepath.Join(bin, "mailpit")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("mailpit is not installed in %s", bin)
	}
	return path, nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// mailpit is a running Mailpit.
type mailpit struct {
	api  string // http://127.0.0.1:PORT
	smtp int
}

// startMailpit starts Mailpit on free loopback ports with its database in
// a temporary folder, and stops it when t ends.
func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	path, err := mailpitPath()
	requirePeer(t, err)
	dir := t.TempDir()
	m := &mailpit{smtp: freePort(t)}
	httpPort := freePort(t)
	m.api = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	cmd := exec.Command(path, "--listen", "127.0.0.1:"+strconv.Itoa(httpPort), "--smtp", "127.0.0.1:"+strconv.Itoa(m.smtp),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mailpit: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(m.api + "/api/v1/messages")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(m.smtp)); err == nil {
					c.Close()
					return m
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v\n%s", err, log.Bytes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mailpit) get(t *testing.T, path string, v any) []byte {
	t.Helper()
	resp, err := http.Get(m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return b
}

type mpAddress struct{ Name, Address string }

type mpSummary struct {
	ID      string
	Subject string
	To      []mpAddress
}

type mpMessage struct {
	ID          string
	Subject     string
	From        mpAddress
	To          []mpAddress
	Cc, Bcc     []mpAddress
	Text, HTML  string
	Attachments []struct {
		PartID, FileName, ContentType string
	}
}

// TestPeers_Mailpit sends a confirmation and a cancellation of one
// appointment to Mailpit over one SMTP connection and reads them back
// through its API: who got them, the subject, both MIME parts, no
// injected header or recipient, no forbidden word, and the .ics
// attachment read by go-ical and python3-icalendar with the right METHOD,
// UID and SEQUENCE.
func TestPeers_Mailpit(t *testing.T) {
	mp := startMailpit(t)
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
	cancelled, err := f.svc.Cancel(ctx, a.ID, 0, "")
	if err != nil || len(cancelled) != 1 {
		t.Fatalf("Cancel=%d, %v", len(cancelled), err)
	}
	ca := cancelled[0]
	if ca.Sequence <= a.Sequence {
		t.Fatalf("SEQUENCE %d after cancelling, was %d", ca.Sequence, a.Sequence)
	}
	cancel, err := c.Compose(reminder.Message{Kind: reminder.Cancellation, Clinic: f.clinic, Patient: &p, Appointment: ca})
	if err != nil {
		t.Fatal(err)
	}

	tr := reminder.SMTP{Host: "127.0.0.1", Port: mp.smtp, Security: reminder.NoSecurity}
	checkOutcomes(t, tr.Send(ctx, []*email.Email{confirm, cancel}), sent, sent)

	var list struct {
		Total    int
		Messages []mpSummary
	}
	mp.get(t, "/api/v1/messages", &list)
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
		mp.get(t, "/api/v1/message/"+s.ID, &m)
		if len(m.To) != 1 || m.To[0].Address != p.Email || len(m.Cc) != 0 || len(m.Bcc) != 0 {
			t.Fatalf("%s: To=%v Cc=%v Bcc=%v, want %s alone", s.Subject, m.To, m.Cc, m.Bcc, p.Email)
		}
		if m.From != (mpAddress{"Harbor Front Desk", "appointments@harbor.example"}) {
			t.Fatalf("%s: From=%+v", s.Subject, m.From)
		}
		if !strings.Contains(m.Text, "Hello Jane") || !strings.Contains(m.HTML, "<p>Hello Jane") || !strings.Contains(m.Text, "08:00–11:00") {
			t.Fatalf("%s: parts:\n%s\n%s", s.Subject, m.Text, m.HTML)
		}
		raw := mp.get(t, "/api/v1/message/"+s.ID+"/raw", nil)
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
		ics := mp.get(t, "/api/v1/message/"+s.ID+"/part/"+m.Attachments[0].PartID, nil)
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
}

const pythonPath = "/usr/bin/python3"

// readWithPyICal reads an invite with python3-icalendar (shared PEERS.md).
func readWithPyICal(t *testing.T, ics []byte) pyInvite {
	t.Helper()
	if out, err := exec.Command(pythonPath, "-c", "import icalendar").CombinedOutput(); err != nil {
		requirePeer(t, fmt.Errorf("python3-icalendar: %s", bytes.TrimSpace(out)))
	}
	cmd := exec.Command(pythonPath, "-c", `
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
ev = cal.walk('VEVENT')[0]
print(json.dumps({'method': str(cal['METHOD']), 'uid': str(ev['UID']), 'sequence': int(ev['SEQUENCE']),
    'start': int(ev.decoded('DTSTART').timestamp())}))
`)
	cmd.Stdin = bytes.NewReader(ics)
	var stderr bytes.Buffer
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
