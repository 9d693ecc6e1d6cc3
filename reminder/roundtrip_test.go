package reminder_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/internal/mailpittest"
	"github.com/kapbook/kapbook/reminder"
)

// hostileName is a patient name that tries to add a recipient.
const hostileName = "Jane\r\nBcc: evil@example.net"

// sentMail is one message the dispatcher recorded as sent, with the
// moment it ran.
type sentMail struct {
	m  *booking.OutboxMessage
	at time.Time
}

// received is one message as Mailpit's API and the two iCalendar parsers
// give it back.
type received struct {
	sentMail
	mp     *mpMessage
	raw    []byte
	method string
	// seq by UID, as go-ical read them; python3-icalendar must agree.
	seq   map[string]int
	start map[string]int64
}

// TestPeers_MailpitRoundTrip books two patients' series with the clinic's
// email set to Mailpit, runs the dispatcher at chosen times, moves one
// appointment, cancels another, then cancels the rest of the series, and
// reads everything back through Mailpit's API: every message the outbox
// records arrived once, to its patient alone, at the time the dispatcher
// ran, with a subject for its kind, a text and an HTML part, and one
// .ics attachment that go-ical and python3-icalendar both read with
// METHOD:REQUEST (CANCEL for a cancellation), the appointment's UID in
// every message and a higher SEQUENCE after the move; cancelling the rest
// of the series sends one notice; no message says a treatment word; and a
// patient name holding CR/LF adds no header or recipient.
func TestPeers_MailpitRoundTrip(t *testing.T) {
	mp := mailpittest.Start(t)
	f := newOutboxFixture(t)
	ctx := context.Background()
	sam := &booking.Patient{Name: "Sam Lee", Email: "sam@example.org"}
	if err := f.svc.AddPatient(ctx, sam); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BookSeries(ctx, booking.BookRequest{PatientID: sam.ID, ProtocolID: "kap-iv", From: day(2027, 3, 1)}); err != nil {
		t.Fatal(err)
	}
	// A name saved before names were checked, or written by another tool.
	raw, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("UPDATE patients SET name = ? WHERE id = ?", hostileName, f.patient.ID); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if p, err := f.db.Patient(ctx, f.patient.ID); err != nil || p.Name != hostileName {
		t.Fatalf("patient %+v, %v; want the hostile name stored", p, err)
	}

	err = f.svc.SetEmail(ctx, &booking.EmailSettings{Transport: booking.EmailSMTP, Host: "127.0.0.1", Port: mp.SMTPPort,
		Security: "none", From: "appointments@harbor.example", FromName: "Harbor Front Desk"})
	if err != nil {
		t.Fatal(err)
	}
	comp, tr, err := reminder.Setup(ctx, f.db, f.path)
	if err != nil {
		t.Fatal(err)
	}
	now := f.booked
	clock := func() time.Time { return now }
	comp.Now = clock
	d := &reminder.Dispatcher{Store: f.db, Composer: comp, Transport: tr, Now: clock, Actor: "test"}
	var sent []sentMail
	dispatch := func(at time.Time) []sentMail {
		t.Helper()
		now = at
		var out []sentMail
		for {
			rep := run(t, d)
			if len(rep.Messages) == 0 {
				break
			}
			if rep.Retrying+rep.Failed != 0 {
				t.Fatalf("at %v: %+v", at, rep)
			}
			for _, m := range rep.Messages {
				if m.State == booking.OutboxSent {
					out = append(out, sentMail{m, at})
				}
			}
		}
		sent = append(sent, out...)
		return out
	}
	appts, err := f.db.Appointments(ctx, booking.AppointmentFilter{PatientID: f.patient.ID})
	if err != nil {
		t.Fatal(err)
	}

	// Booked: each patient's confirmation.
	if got := dispatch(f.booked); len(got) != 2 || got[0].m.Kind != booking.MessageConfirmation || got[1].m.Kind != booking.MessageConfirmation {
		t.Fatalf("at booking: sent %v, want two confirmations", kinds(got))
	}
	// When the first reminder falls due.
	first := appts[0].Start.Add(-48 * time.Hour)
	if got := dispatch(first.Add(12 * time.Hour)); len(got) == 0 {
		t.Fatalf("nothing sent at %v", now)
	}

	// Move an appointment to another time that keeps its neighbours'
	// gaps: one update about it.
	f.booked = now.Add(time.Hour)
	var (
		moved *booking.Appointment
		to    time.Time
	)
	for _, a := range appts[2:10] {
		sug, err := f.svc.Suggest(ctx, a.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(sug.Alternatives) > 0 {
			moved, to = a, sug.Alternatives[0].Start
			break
		}
	}
	if moved == nil {
		t.Fatal("no appointment can move without moving its neighbours")
	}
	after, err := f.svc.Reschedule(ctx, moved.ID, to, false)
	if err != nil || len(after) != 1 {
		t.Fatalf("Reschedule: %d moved, %v", len(after), err)
	}
	if got := dispatch(f.booked); len(got) != 1 || got[0].m.Kind != booking.MessageUpdate || got[0].m.AppointmentID != moved.ID {
		t.Fatalf("after the move: sent %v, want one update", kinds(got))
	}
	// Its reminder, at its new due time.
	if got := dispatch(after[0].Start.Add(-47 * time.Hour)); !hasKind(got, booking.MessageReminder, moved.ID) {
		t.Fatalf("the moved appointment's reminder was not sent by %v: %v", now, kinds(got))
	}

	// Cancel one appointment, then the rest of the series.
	f.booked = now.Add(time.Hour)
	one := appts[10]
	if _, err := f.svc.Cancel(ctx, booking.CancelRequest{AppointmentID: one.ID, By: booking.ByPatient, Reason: "patient asked"}); err != nil {
		t.Fatal(err)
	}
	if got := only(dispatch(f.booked), booking.MessageCancellation); len(got) != 1 || got[0].m.AppointmentID != one.ID {
		t.Fatalf("after cancelling one: sent cancellations %v, want its cancellation", got)
	}
	f.booked = now.Add(time.Hour)
	rest, err := f.svc.Cancel(ctx, booking.CancelRequest{SeriesID: moved.SeriesID, By: booking.ByClinic, Reason: "screening found the patient unsuitable"})
	if err != nil || len(rest) < 5 {
		t.Fatalf("cancelling the rest: %d, %v", len(rest), err)
	}
	got := only(dispatch(f.booked), booking.MessageCancellation)
	if len(got) != 1 || got[0].m.AppointmentID != 0 || got[0].m.PatientID != f.patient.ID {
		t.Fatalf("after cancelling the rest of the series: sent cancellations %v, want one about the series", got)
	}
	seriesCancel := got[0].m.MessageID
	// Nothing more for Jane, however late the dispatcher runs; Sam's go on.
	for _, g := range dispatch(appts[len(appts)-1].End) {
		if g.m.PatientID == f.patient.ID {
			t.Fatalf("sent %s to Jane after her series was cancelled", g.m.Kind)
		}
	}

	// Read it all back.
	all := mp.Messages(t, "")
	if len(all) != len(sent) {
		t.Fatalf("Mailpit holds %d messages, the outbox records %d sent", len(all), len(sent))
	}
	byID := map[string]mpSummary{}
	for _, s := range all {
		if _, dup := byID[s.MessageID]; dup {
			t.Fatalf("message %s arrived twice", s.MessageID)
		}
		byID[s.MessageID] = s
	}
	bad := forbidden(f.protos())
	email := map[int64]string{f.patient.ID: f.patient.Email, sam.ID: sam.Email}
	greeting := map[int64]string{f.patient.ID: "Hello Jane", sam.ID: "Hello Sam"}
	var recv []*received
	for _, s := range sent {
		sum, ok := byID[strings.Trim(s.m.MessageID, "<>")]
		if !ok {
			t.Fatalf("%s %d (%s) is recorded sent but did not arrive", s.m.Kind, s.m.ID, s.m.MessageID)
		}
		r := &received{sentMail: s, mp: mp.Message(t, sum.ID), raw: mp.Raw(t, sum.ID), seq: map[string]int{}, start: map[string]int64{}}
		recv = append(recv, r)
		what := s.m.Kind + " " + strconv.FormatInt(s.m.ID, 10)
		m := r.mp
		if len(m.To) != 1 || m.To[0].Address != email[s.m.PatientID] || len(m.Cc) != 0 || len(m.Bcc) != 0 {
			t.Fatalf("%s: To=%v Cc=%v Bcc=%v, want %s alone", what, m.To, m.Cc, m.Bcc, email[s.m.PatientID])
		}
		if m.From.Address != "appointments@harbor.example" || m.From.Name != "Harbor Front Desk" {
			t.Fatalf("%s: From=%+v", what, m.From)
		}
		if !strings.HasPrefix(m.Subject, subjectPrefix[s.m.Kind]) {
			t.Fatalf("%s: subject %q, want it to start %q", what, m.Subject, subjectPrefix[s.m.Kind])
		}
		if !strings.Contains(m.Text, greeting[s.m.PatientID]) || !strings.Contains(m.HTML, greeting[s.m.PatientID]) {
			t.Fatalf("%s: the text and HTML parts must both greet the patient:\n%s\n%s", what, m.Text, m.HTML)
		}
		hdr, err := mail.ReadMessage(bytes.NewReader(r.raw))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if date, err := hdr.Header.Date(); err != nil || !date.Equal(s.at.Truncate(time.Second)) {
			t.Fatalf("%s: Date %v (%v), want %v, when the dispatcher ran", what, date, err, s.at)
		}
		for _, h := range []string{"Bcc", "Cc"} {
			if v := hdr.Header.Get(h); v != "" {
				t.Fatalf("%s: a %s header: %q", what, h, v)
			}
		}
		if bytes.Contains(r.raw, []byte("evil@example.net")) && s.m.PatientID != f.patient.ID {
			t.Fatalf("%s: the hostile address reached Sam's message", what)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].FileName != reminder.AttachmentName || !strings.HasPrefix(m.Attachments[0].ContentType, "text/calendar") {
			t.Fatalf("%s: attachments %+v", what, m.Attachments)
		}
		ics := mp.Part(t, sum.ID, m.Attachments[0].PartID)
		if w := bad.FindString(string(r.raw) + m.Text + m.HTML + m.Subject + string(ics)); w != "" {
			t.Fatalf("%s says %q", what, w)
		}
		cal, err := ical.NewDecoder(bytes.NewReader(ics)).Decode()
		if err != nil {
			t.Fatalf("%s: go-ical cannot read the attachment: %v", what, err)
		}
		r.method = cal.Props.Get(ical.PropMethod).Value
		wantMethod := "REQUEST"
		if s.m.Kind == booking.MessageCancellation {
			wantMethod = "CANCEL"
		}
		if r.method != wantMethod {
			t.Fatalf("%s: METHOD %s, want %s", what, r.method, wantMethod)
		}
		for _, ev := range cal.Events() {
			uid := ev.Props.Get(ical.PropUID).Value
			r.seq[uid], _ = strconv.Atoi(ev.Props.Get(ical.PropSequence).Value)
			start, err := ev.DateTimeStart(time.UTC)
			if err != nil {
				t.Fatalf("%s: DTSTART: %v", what, err)
			}
			r.start[uid] = start.Unix()
		}
		py := readCalendarWithPyICal(t, ics)
		if py.Method != r.method || len(py.Events) != len(r.seq) {
			t.Fatalf("%s: python3-icalendar read METHOD %s and %d events; go-ical %s and %d", what, py.Method, len(py.Events), r.method, len(r.seq))
		}
		for _, ev := range py.Events {
			if seq, ok := r.seq[ev.UID]; !ok || seq != ev.Sequence || r.start[ev.UID] != ev.Start {
				t.Fatalf("%s: python3-icalendar read %+v; go-ical SEQUENCE %d start %d", what, ev, seq, r.start[ev.UID])
			}
		}
		if s.m.AppointmentID != 0 {
			if _, ok := r.seq[calendar.UID(f.instance(t), s.m.AppointmentID)]; !ok || len(r.seq) != 1 {
				t.Fatalf("%s: events %v, want only appointment %d's", what, r.seq, s.m.AppointmentID)
			}
		}
	}

	// The hostile name: Jane's messages went to her alone, with no
	// header it tried to add.
	for _, r := range recv {
		if r.m.PatientID != f.patient.ID {
			continue
		}
		head, _, _ := bytes.Cut(r.raw, []byte("\r\n\r\n"))
		for _, line := range strings.Split(string(head), "\r\n") {
			if strings.HasPrefix(strings.ToLower(line), "bcc:") {
				t.Fatalf("%s: an injected header line %q", r.m.Kind, line)
			}
		}
	}
	if n := len(mp.Messages(t, "to:evil@example.net")); n != 0 {
		t.Fatalf("%d messages went to the injected address", n)
	}

	// The moved appointment: the same UID in the confirmation, the update
	// and its reminder, with a higher SEQUENCE and the new time after the
	// move.
	uid := calendar.UID(f.instance(t), moved.ID)
	var seqs []int
	var kindsSeen []string
	for _, r := range recv {
		if seq, ok := r.seq[uid]; ok {
			seqs = append(seqs, seq)
			kindsSeen = append(kindsSeen, r.m.Kind)
			wantStart := moved.Start
			if r.m.Kind != booking.MessageConfirmation {
				wantStart = after[0].Start
			}
			if r.start[uid] != wantStart.Unix() {
				t.Fatalf("%s: appointment %d starts %v, want %v", r.m.Kind, moved.ID, time.Unix(r.start[uid], 0), wantStart)
			}
		}
	}
	if strings.Join(kindsSeen[:2], " ") != "confirmation update" || !sort.IntsAreSorted(seqs) || seqs[1] <= seqs[0] {
		t.Fatalf("appointment %d: messages %v with SEQUENCE %v; want the confirmation, then the update with a higher SEQUENCE", moved.ID, kindsSeen, seqs)
	}
	for i, k := range kindsSeen[2:] {
		seq := seqs[i+2]
		if k == booking.MessageReminder && seq != seqs[1] || k == booking.MessageCancellation && seq <= seqs[1] {
			t.Fatalf("appointment %d: messages %v with SEQUENCE %v; want its reminder with the update's SEQUENCE, a cancellation higher", moved.ID, kindsSeen, seqs)
		}
	}
	if !hasKind(sentOf(recv), booking.MessageReminder, moved.ID) {
		t.Fatalf("appointment %d: no reminder after the move", moved.ID)
	}

	// The series' cancellation: one message, CANCEL for exactly the
	// appointments that action cancelled, each with a higher SEQUENCE
	// than in the confirmation.
	var conf, cancel *received
	for _, r := range recv {
		switch {
		case r.m.PatientID == f.patient.ID && r.m.Kind == booking.MessageConfirmation:
			conf = r
		case r.m.MessageID == seriesCancel:
			cancel = r
		}
	}
	if len(cancel.seq) != len(rest) {
		t.Fatalf("the series' cancellation holds %d events, want %d", len(cancel.seq), len(rest))
	}
	for _, a := range rest {
		u := calendar.UID(f.instance(t), a.ID)
		if seq, ok := cancel.seq[u]; !ok || seq <= conf.seq[u] {
			t.Fatalf("the series' cancellation: %s SEQUENCE %d (present %v), confirmation had %d", u, seq, ok, conf.seq[u])
		}
	}
	t.Logf("%d messages checked: %v", len(recv), kinds(sent))
}

// subjectPrefix is how the default subject of each kind starts.
var subjectPrefix = map[string]string{
	booking.MessageConfirmation: "Your ",
	booking.MessageReminder:     "Reminder: your appointment on ",
	booking.MessagePreparation:  "Preparing for your appointment on ",
	booking.MessageUpdate:       "Changed: your appointment",
	booking.MessageCancellation: "Cancelled: your ",
}

func kinds(list []sentMail) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.m.Kind)
	}
	return out
}

// only returns the messages of kind in list.
func only(list []sentMail, kind string) []sentMail {
	var out []sentMail
	for _, s := range list {
		if s.m.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

func hasKind(list []sentMail, kind string, apptID int64) bool {
	for _, s := range list {
		if s.m.Kind == kind && s.m.AppointmentID == apptID {
			return true
		}
	}
	return false
}

func sentOf(list []*received) []sentMail {
	var out []sentMail
	for _, r := range list {
		out = append(out, r.sentMail)
	}
	return out
}

// instance returns the database's instance id, which calendar UIDs hold.
func (f *outboxFixture) instance(t *testing.T) string {
	t.Helper()
	id, err := f.db.InstanceID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// protos returns the clinic's protocols.
func (f *outboxFixture) protos() []*booking.Protocol {
	ps, err := f.db.Protocols(context.Background())
	if err != nil {
		panic(err)
	}
	return ps
}
