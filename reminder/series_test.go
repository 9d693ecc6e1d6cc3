package reminder_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/reminder"
)

// sentSeriesMessage returns the .eml of the one sent message of kind
// about the whole series, read back as a mail program reads it.
func (f *outboxFixture) sentSeriesMessage(t *testing.T, kind string) *parsed {
	t.Helper()
	var found *booking.OutboxMessage
	for _, m := range f.outbox(t) {
		if m.Kind == kind && m.AppointmentID == 0 && m.State == booking.OutboxSent {
			if found != nil {
				t.Fatalf("two sent %s messages about the series", kind)
			}
			found = m
		}
	}
	if found == nil {
		t.Fatalf("no sent %s message about the series", kind)
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, fileNameOf(found.MessageID)))
	if err != nil {
		t.Fatal(err)
	}
	return parseMessage(t, raw)
}

// checkSeriesMessage proves that m's text and HTML list every appointment
// of want, with its date, times and place, once each and nothing more;
// that its attachment holds one event per appointment of want, with its
// UID and SEQUENCE, and the method; and that nothing reveals the
// treatment.
func (f *outboxFixture) checkSeriesMessage(t *testing.T, m *parsed, method string, want []*booking.Appointment, changed ...*booking.Appointment) {
	t.Helper()
	ctx := context.Background()
	clinic, err := f.db.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	instance, err := f.db.InstanceID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	protos, err := f.db.Protocols(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad := forbidden(protos)
	for name, s := range map[string]string{"subject": m.subject, "text": m.text, "html": m.html, "attachment": string(m.ics), "attachment name": m.icsName} {
		if w := bad.FindString(s); w != "" {
			t.Fatalf("%s says %q:\n%s", name, w, s)
		}
	}
	loc := clinic.Location()
	text := strings.ReplaceAll(m.text, "\r\n", "\n")
	_, list, ok := strings.Cut(text, "Your appointments:\n")
	if !ok {
		t.Fatalf("text lists no appointments:\n%s", m.text)
	}
	var lines []string
	for _, l := range strings.Split(list, "\n") {
		if !strings.HasPrefix(l, "- ") {
			break
		}
		lines = append(lines, l)
	}
	if len(lines) != len(want) {
		t.Fatalf("text lists %d appointments, want %d:\n%s", len(lines), len(want), m.text)
	}
	for i, a := range want {
		s, e := a.Start.In(loc), a.End.In(loc)
		line := "- " + s.Format("Monday 2 January 2006") + ", " + s.Format("15:04") + "–" + e.Format("15:04") + " " + s.Format("MST")
		if a.Video() {
			line += ", a video call"
		} else {
			line += ", " + clinic.Address
		}
		if slices.ContainsFunc(changed, func(c *booking.Appointment) bool { return c.ID == a.ID }) {
			line += " (changed)"
		}
		if lines[i] != line {
			t.Fatalf("text lists appointment %d as %q, want %q", i+1, lines[i], line)
		}
	}
	if n := strings.Count(m.html, "<li>"); n != len(want) {
		t.Fatalf("HTML lists %d appointments, want %d:\n%s", n, len(want), m.html)
	}
	if n := strings.Count(m.html, "<em>(changed)</em></li>"); n != len(changed) {
		t.Fatalf("HTML marks %d appointments changed, want %d:\n%s", n, len(changed), m.html)
	}
	if !strings.Contains(m.icsType, "method="+method) {
		t.Fatalf("attachment type %q, want method=%s", m.icsType, method)
	}
	cal, err := ical.NewDecoder(bytes.NewReader(m.ics)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the attachment: %v\n%s", err, m.ics)
	}
	if got := cal.Props.Get(ical.PropMethod).Value; got != method {
		t.Fatalf("METHOD=%s, want %s", got, method)
	}
	evs := cal.Events()
	var gotUIDs, wantUIDs []string
	seq := map[string]string{}
	for _, ev := range evs {
		uid := ev.Props.Get(ical.PropUID).Value
		gotUIDs = append(gotUIDs, uid)
		seq[uid] = ev.Props.Get(ical.PropSequence).Value
	}
	for _, a := range want {
		uid := calendar.UID(instance, a.ID)
		wantUIDs = append(wantUIDs, uid)
		if got := seq[uid]; got != strconv.Itoa(a.Sequence) {
			t.Fatalf("%s: SEQUENCE=%s, want %d", uid, got, a.Sequence)
		}
	}
	sort.Strings(gotUIDs)
	sort.Strings(wantUIDs)
	if strings.Join(gotUIDs, " ") != strings.Join(wantUIDs, " ") {
		t.Fatalf("attachment UIDs %v, want %v", gotUIDs, wantUIDs)
	}
}

// TestDispatcherSeries proves that the confirmation of a booked
// kap-standard series lists its 15 appointments (text and HTML) and
// attaches them all (15 VEVENTs with the series' UIDs, METHOD:REQUEST);
// that a series-level update lists and attaches every booked appointment
// still to come; and that cancelling the rest of the series sends one
// message listing and attaching (METHOD:CANCEL) exactly the appointments
// that action cancelled, not one cancelled before.
func TestDispatcherSeries(t *testing.T) {
	f := newOutboxFixture(t)
	ctx := context.Background()
	appts, err := f.db.Appointments(ctx, booking.AppointmentFilter{PatientID: f.patient.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(appts) != 15 {
		t.Fatalf("kap-standard booked %d appointments, want 15", len(appts))
	}
	now := f.booked
	d := f.dispatcher(t, f.db, &now, nil)
	if rep := run(t, d); rep.Sent != 1 {
		t.Fatalf("report %+v, want the confirmation sent", rep)
	}
	f.checkSeriesMessage(t, f.sentSeriesMessage(t, booking.MessageConfirmation), "REQUEST", appts)

	// Move the last two appointments a day later: one update about the
	// series, covering every booked appointment to come.
	f.booked = f.booked.Add(time.Hour)
	now = f.booked
	moved, err := f.svc.Reschedule(ctx, appts[13].ID, appts[13].Start.AddDate(0, 0, 1), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) < 2 {
		t.Fatalf("moved %d appointments, want several", len(moved))
	}
	if rep := run(t, d); rep.Sent != 1 {
		t.Fatalf("report %+v, want the update sent", rep)
	}
	if appts, err = f.db.Appointments(ctx, booking.AppointmentFilter{PatientID: f.patient.ID}); err != nil {
		t.Fatal(err)
	}
	// The update marks the appointments that moved, not only the new list
	// (issue 14, item 7).
	f.checkSeriesMessage(t, f.sentSeriesMessage(t, booking.MessageUpdate), "REQUEST", appts, moved...)

	// Cancel one appointment, then, later, the rest of the series: the
	// series' cancellation covers the 14 the second action cancelled.
	f.booked = f.booked.Add(time.Hour)
	if _, err := f.svc.Cancel(ctx, booking.CancelRequest{AppointmentID: appts[0].ID, By: booking.ByPatient, Reason: "patient asked"}); err != nil {
		t.Fatal(err)
	}
	f.booked = f.booked.Add(time.Hour)
	cancelled, err := f.svc.Cancel(ctx, booking.CancelRequest{SeriesID: appts[0].SeriesID, By: booking.ByPatient, Reason: "patient asked"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cancelled) != 14 {
		t.Fatalf("cancelled %d appointments, want 14", len(cancelled))
	}
	now = f.booked
	if rep := run(t, d); rep.Sent != 2 {
		t.Fatalf("report %+v, want both cancellations sent", rep)
	}
	f.checkSeriesMessage(t, f.sentSeriesMessage(t, booking.MessageCancellation), "CANCEL", cancelled)
}

// TestCompose_SeriesPrivacy proves that the series-level confirmation,
// update and cancellation of every default protocol, with and without
// detailed consent, name no treatment, drug or protocol, list every
// appointment and attach one event for each.
func TestCompose_SeriesPrivacy(t *testing.T) {
	f := newFixture(t)
	bad := forbidden(f.protos)
	c := f.composer()
	consent := day(2027, 1, 10)
	for _, proto := range fixtureProtocols {
		list := f.appts[proto]
		for _, detailed := range []bool{false, true} {
			p := *f.patients[proto]
			if detailed {
				p.Consents.DetailedEmail = &consent
			}
			for _, k := range []reminder.Kind{reminder.Confirmation, reminder.Update, reminder.Cancellation} {
				m := composeParsed(t, c, reminder.Message{Kind: k, Clinic: f.clinic, Patient: &p, Appointments: list})
				what := proto + " series " + string(k)
				for name, s := range map[string]string{"raw": string(m.raw), "subject": m.subject, "text": m.text, "html": m.html, "attachment": string(m.ics), "attachment name": m.icsName} {
					if w := bad.FindString(s); w != "" {
						t.Fatalf("%s (detailed=%v): %s says %q:\n%s", what, detailed, name, w, s)
					}
				}
				if len(list) > 1 && (strings.Count(strings.ReplaceAll(m.text, "\r\n", "\n"), "\n- ") < len(list) || strings.Count(m.html, "<li>") < len(list)) {
					t.Fatalf("%s: not every appointment listed:\n%s", what, m.text)
				}
				cal, err := ical.NewDecoder(bytes.NewReader(m.ics)).Decode()
				if err != nil {
					t.Fatal(err)
				}
				if n := len(cal.Events()); n != len(list) {
					t.Fatalf("%s: %d events, want %d", what, n, len(list))
				}
				if !strings.Contains(m.text, "Hello Jane,") || !strings.Contains(m.text, f.clinic.Phone) {
					t.Fatalf("%s: greeting or phone missing:\n%s", what, m.text)
				}
			}
		}
	}
}
