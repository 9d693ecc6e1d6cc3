package reminder_test

import (
	"context"
	"errors"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/mailpittest"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// outboxFixture is the demo clinic in a file with one patient's
// kap-standard series booked at booked.
type outboxFixture struct {
	path    string
	db      *store.DB
	svc     *booking.Service
	booked  time.Time
	patient *booking.Patient
	dir     string // the .eml folder
}

func newOutboxFixture(t *testing.T) *outboxFixture {
	t.Helper()
	ctx := context.Background()
	f := &outboxFixture{path: filepath.Join(t.TempDir(), "clinic.db"), booked: time.Date(2027, 2, 15, 10, 0, 0, 0, time.UTC), dir: t.TempDir()}
	db, err := store.Create(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	if err := resources.InitDemo(ctx, db, "test", f.booked); err != nil {
		t.Fatal(err)
	}
	f.svc = &booking.Service{Store: db, Now: func() time.Time { return f.booked }, Actor: "test"}
	f.patient = &booking.Patient{Name: "Jane Doe", Email: "jane@example.org"}
	if err := f.svc.AddPatient(ctx, f.patient); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BookSeries(ctx, booking.BookRequest{PatientID: f.patient.ID, ProtocolID: "kap-standard", From: day(2027, 3, 1)}); err != nil {
		t.Fatal(err)
	}
	return f
}

// dispatcher returns a dispatcher on db at *now, writing into f.dir
// through tr when it is set.
func (f *outboxFixture) dispatcher(t *testing.T, db booking.Store, now *time.Time, tr reminder.Transport) *reminder.Dispatcher {
	t.Helper()
	id, err := db.InstanceID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	if tr == nil {
		tr = reminder.EMLDir{Dir: f.dir}
	}
	return &reminder.Dispatcher{Store: db, Transport: tr, Now: clock, Actor: "test",
		Composer: &reminder.Composer{FromAddress: "appointments@harbor.example", InstanceID: id, Now: clock}}
}

func (f *outboxFixture) outbox(t *testing.T) []*booking.OutboxMessage {
	t.Helper()
	msgs, err := f.db.Outbox(context.Background(), booking.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func (f *outboxFixture) files(t *testing.T) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(f.dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}

func (f *outboxFixture) count(t *testing.T, state string) int {
	n := 0
	for _, m := range f.outbox(t) {
		if m.State == state {
			n++
		}
	}
	return n
}

func run(t *testing.T, d *reminder.Dispatcher) reminder.Report {
	t.Helper()
	rep, err := d.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestDispatcherTimeline runs the dispatcher at every due time of a booked
// series: each message goes out at its due time, never before, never twice.
func TestDispatcherTimeline(t *testing.T) {
	f := newOutboxFixture(t)
	ctx := context.Background()
	msgs := f.outbox(t)
	if len(msgs) < 3 || msgs[0].Kind != booking.MessageConfirmation {
		t.Fatalf("outbox after booking: %d messages, first %+v", len(msgs), msgs[0])
	}
	// The policy: a reminder 48 h before every appointment, preparation
	// 24 h before dosing, either moved to 08:00 out of quiet hours.
	loc := time.UTC
	if c, err := f.db.Clinic(ctx); err == nil {
		loc = c.Location()
	}
	inWindow := func(m *booking.OutboxMessage, want time.Time) {
		t.Helper()
		if m.Due.Before(want) || !m.Due.Before(want.Add(11*time.Hour)) {
			t.Errorf("%s due %v, want from %v, no later than the end of quiet hours", m.Kind, m.Due, want)
		}
		if c := booking.ClockOf(m.Due.In(loc)); c < 8*60 || c >= 21*60 {
			t.Errorf("%s due %v, in quiet hours", m.Kind, m.Due)
		}
	}
	var sawPrep bool
	for _, m := range msgs[1:] {
		a, err := f.db.Appointment(ctx, m.AppointmentID)
		if err != nil {
			t.Fatal(err)
		}
		switch m.Kind {
		case booking.MessageReminder:
			inWindow(m, a.Start.Add(-48*time.Hour))
		case booking.MessagePreparation:
			sawPrep = true
			if a.Kind != "dosing" {
				t.Errorf("preparation for a %s", a.Kind)
			}
			inWindow(m, a.Start.Add(-24*time.Hour))
		}
	}
	if !sawPrep {
		t.Fatal("no preparation message queued")
	}

	now := f.booked
	d := f.dispatcher(t, f.db, &now, nil)
	times := []time.Time{f.booked}
	for _, m := range msgs {
		times = append(times, m.Due.Add(-time.Second), m.Due)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for _, now = range times {
		run(t, d)
		run(t, d) // a second run at the same time sends nothing more
		want := 0
		for _, m := range msgs {
			if !m.Due.After(now) {
				want++
			}
		}
		if got := f.files(t); got != want {
			t.Fatalf("at %v: %d .eml files, want %d", now, got, want)
		}
	}
	for _, m := range f.outbox(t) {
		if m.State != booking.OutboxSent || m.Attempts != 1 || m.MessageID == "" {
			t.Errorf("message %d (%s): state %s, attempts %d, Message-ID %q", m.ID, m.Kind, m.State, m.Attempts, m.MessageID)
		}
		if _, err := os.Stat(filepath.Join(f.dir, fileNameOf(m.MessageID))); err != nil {
			t.Errorf("message %d: %v", m.ID, err)
		}
	}
}

// fileNameOf mirrors EMLDir's file names for the Message-IDs composed
// here (hex@harbor.example).
func fileNameOf(id string) string {
	b := []byte{}
	for _, r := range id {
		switch {
		case r == '@':
			b = append(b, '_')
		case r == '<' || r == '>':
		default:
			b = append(b, string(r)...)
		}
	}
	return string(b) + ".eml"
}

// TestDispatcherLate: a dispatcher that was not running sends the
// confirmation late, but skips the reminders of appointments that have
// started, with a note.
func TestDispatcherLate(t *testing.T) {
	f := newOutboxFixture(t)
	msgs := f.outbox(t)
	first, err := f.db.Appointment(context.Background(), msgs[1].AppointmentID)
	if err != nil {
		t.Fatal(err)
	}
	now := first.Start.Add(time.Minute)
	rep := run(t, f.dispatcher(t, f.db, &now, nil))
	if rep.Sent == 0 || rep.Skipped == 0 {
		t.Fatalf("report %+v, want some sent and some skipped", rep)
	}
	for _, m := range f.outbox(t) {
		if m.AppointmentID == first.ID && m.State != booking.OutboxSkipped {
			t.Errorf("reminder of a started appointment: state %s", m.State)
		}
		if m.State == booking.OutboxSkipped && m.Note == "" {
			t.Errorf("skipped message %d has no note", m.ID)
		}
	}
	if got := f.files(t); got != rep.Sent {
		t.Fatalf("%d files, want %d", got, rep.Sent)
	}
}

// flaky fails every message of its first fails calls, with err.
type flaky struct {
	next  reminder.Transport
	fails int
	err   error
	calls int
}

func (t *flaky) Send(ctx context.Context, msgs []*email.Email) []error {
	t.calls++
	if t.calls <= t.fails {
		errs := make([]error, len(msgs))
		for i := range errs {
			errs[i] = t.err
		}
		return errs
	}
	return t.next.Send(ctx, msgs)
}

func TestDispatcherRetry(t *testing.T) {
	t.Run("Temporary", func(t *testing.T) {
		f := newOutboxFixture(t)
		now := f.booked
		tr := &flaky{next: reminder.EMLDir{Dir: f.dir}, fails: 2, err: &textproto.Error{Code: 421, Msg: "try again later"}}
		d := f.dispatcher(t, f.db, &now, tr)
		if rep := run(t, d); rep.Retrying != 1 {
			t.Fatalf("first run: %+v, want 1 retrying", rep)
		}
		m := f.outbox(t)[0]
		if m.State != booking.OutboxPending || m.LastError == "" || !m.NextAttempt.Equal(now.Add(time.Minute)) {
			t.Fatalf("after a temporary failure: %+v", m)
		}
		now = now.Add(59 * time.Second)
		if rep := run(t, d); len(rep.Messages) != 0 {
			t.Fatalf("retried before the backoff: %+v", rep)
		}
		now = now.Add(time.Second)
		run(t, d) // second failure: 5 minutes
		if m := f.outbox(t)[0]; m.Attempts != 2 || !m.NextAttempt.Equal(now.Add(5*time.Minute)) {
			t.Fatalf("after the second failure: %+v", m)
		}
		now = now.Add(5 * time.Minute)
		if rep := run(t, d); rep.Sent != 1 {
			t.Fatalf("third run: %+v, want 1 sent", rep)
		}
		if m := f.outbox(t)[0]; m.State != booking.OutboxSent || m.Attempts != 3 || m.LastError != "" {
			t.Fatalf("after success: %+v", m)
		}
		if got := f.files(t); got != 1 {
			t.Fatalf("%d files, want 1", got)
		}
	})
	t.Run("Permanent", func(t *testing.T) {
		f := newOutboxFixture(t)
		now := f.booked
		tr := &flaky{next: reminder.EMLDir{Dir: f.dir}, fails: 100, err: &textproto.Error{Code: 550, Msg: "no such user"}}
		d := f.dispatcher(t, f.db, &now, tr)
		if rep := run(t, d); rep.Failed != 1 {
			t.Fatalf("report %+v, want 1 failed", rep)
		}
		for range 3 {
			now = now.Add(3 * time.Hour)
			run(t, d)
		}
		m := f.outbox(t)[0]
		if m.State != booking.OutboxFailed || m.Attempts != 1 || m.LastError == "" {
			t.Fatalf("after a permanent failure: %+v", m)
		}
	})
	t.Run("GivesUp", func(t *testing.T) {
		f := newOutboxFixture(t)
		now := f.booked
		tr := &flaky{next: reminder.EMLDir{Dir: f.dir}, fails: 100, err: errors.New("connection refused")}
		d := f.dispatcher(t, f.db, &now, tr)
		for range reminder.MaxAttempts {
			run(t, d)
			now = now.Add(3 * time.Hour)
		}
		m := f.outbox(t)[0]
		if m.State != booking.OutboxFailed || m.Attempts != reminder.MaxAttempts {
			t.Fatalf("after %d temporary failures: %+v", reminder.MaxAttempts, m)
		}
	})
}

// TestDispatcherRecoversStale: a message left "sending" by a crashed
// dispatcher goes back to pending after StaleSending, not before.
func TestDispatcherRecoversStale(t *testing.T) {
	f := newOutboxFixture(t)
	ctx := context.Background()
	claimed := f.booked
	err := f.db.Update(ctx, func(tx booking.Tx) error {
		m := f.outbox(t)[0]
		m.State, m.Attempts, m.Updated = booking.OutboxSending, 1, claimed
		return tx.UpdateOutbox(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	now := claimed.Add(reminder.StaleSending)
	d := f.dispatcher(t, f.db, &now, nil)
	if rep := run(t, d); rep.Recovered != 0 || rep.Sent != 0 {
		t.Fatalf("at %v: %+v, want nothing", reminder.StaleSending, rep)
	}
	now = now.Add(time.Second)
	if rep := run(t, d); rep.Recovered != 1 || rep.Sent != 1 {
		t.Fatalf("after %v: %+v, want 1 recovered and sent", reminder.StaleSending, rep)
	}
	if m := f.outbox(t)[0]; m.State != booking.OutboxSent || m.Attempts != 2 {
		t.Fatalf("recovered message: %+v", m)
	}
}

// TestDispatcherConcurrent: two dispatchers on two handles to one file,
// running at once, send each message once.
func TestDispatcherConcurrent(t *testing.T) {
	f := newOutboxFixture(t)
	other, err := store.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	now := f.booked.Add(60 * 24 * time.Hour) // everything is due; most is late
	due := len(f.outbox(t))
	var wg sync.WaitGroup
	reps := make([]reminder.Report, 2)
	errs := make([]error, 2)
	for i, db := range []booking.Store{f.db, other} {
		d := f.dispatcher(t, db, &now, nil)
		d.Batch = 2
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rep, err := d.RunOnce(context.Background())
				if err != nil {
					errs[i] = err
					return
				}
				if len(rep.Messages) == 0 {
					return
				}
				reps[i].Sent += rep.Sent
				reps[i].Skipped += rep.Skipped
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := reps[0].Sent + reps[0].Skipped + reps[1].Sent + reps[1].Skipped; got != due {
		t.Fatalf("handled %d messages, want %d (%+v)", got, due, reps)
	}
	if got, want := f.files(t), reps[0].Sent+reps[1].Sent; got != want || got != f.count(t, booking.OutboxSent) {
		t.Fatalf("%d files, %d reported sent, %d sent in the outbox", got, want, f.count(t, booking.OutboxSent))
	}
}

// hook runs fn before its first Send, then sends through next.
type hook struct {
	next reminder.Transport
	fn   func()
}

func (h *hook) Send(ctx context.Context, msgs []*email.Email) []error {
	if h.fn != nil {
		fn := h.fn
		h.fn = nil
		fn()
	}
	return h.next.Send(ctx, msgs)
}

// TestDispatcherTakeover: a dispatcher so slow that another one took its
// claim over as stale does not overwrite the other's outcome; the message
// goes out at most twice (the one in flight) and is recorded once.
func TestDispatcherTakeover(t *testing.T) {
	f := newOutboxFixture(t)
	slowNow, fastNow := f.booked, f.booked.Add(reminder.StaleSending+time.Second)
	fast := f.dispatcher(t, f.db, &fastNow, nil)
	var fastRep reminder.Report
	slow := f.dispatcher(t, f.db, &slowNow, &hook{next: reminder.EMLDir{Dir: f.dir}, fn: func() {
		fastRep = run(t, fast)
	}})
	slowRep := run(t, slow)
	if fastRep.Recovered != 1 || fastRep.Sent != 1 || slowRep.Sent != 1 {
		t.Fatalf("fast %+v, slow %+v", fastRep, slowRep)
	}
	m := f.outbox(t)[0]
	if m.State != booking.OutboxSent || m.Attempts != 2 || m.MessageID != fastRep.Messages[0].MessageID {
		t.Fatalf("outbox %+v, want the fast dispatcher's record", m)
	}
	if got := f.files(t); got != 2 {
		t.Fatalf("%d files, want 2 (the one in flight, repeated once)", got)
	}
}

// TestPeers_MailpitDispatch configures the clinic for SMTP to Mailpit, as
// kapctl email set does, and dispatches a series' messages: each arrives
// once, however often the dispatcher runs.
func TestPeers_MailpitDispatch(t *testing.T) {
	mp := mailpittest.Start(t)
	f := newOutboxFixture(t)
	ctx := context.Background()
	err := f.svc.SetEmail(ctx, &booking.EmailSettings{Transport: booking.EmailSMTP, Host: "127.0.0.1", Port: mp.SMTPPort,
		Security: "none", From: "appointments@harbor.example", FromName: "Harbor Clinic"})
	if err != nil {
		t.Fatal(err)
	}
	comp, tr, err := reminder.Setup(ctx, f.db, f.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.(*reminder.SMTP); !ok {
		t.Fatalf("transport %T, want SMTP", tr)
	}
	now := f.booked.Add(20 * 24 * time.Hour)
	comp.Now = func() time.Time { return now }
	d := &reminder.Dispatcher{Store: f.db, Composer: comp, Transport: tr, Now: comp.Now, Batch: 3}
	sent := 0
	for range 20 {
		rep := run(t, d)
		sent += rep.Sent
		if rep.Retrying+rep.Failed != 0 {
			t.Fatalf("report %+v: %v", rep, rep.Messages)
		}
	}
	var list struct {
		Total    int
		Messages []mpSummary
	}
	mp.Get(t, "/api/v1/messages?limit=1000", &list)
	if sent == 0 || list.Total != sent || list.Total != f.count(t, booking.OutboxSent) {
		t.Fatalf("mailpit holds %d messages; dispatcher sent %d; outbox %d sent", list.Total, sent, f.count(t, booking.OutboxSent))
	}
	for _, m := range list.Messages {
		if len(m.To) != 1 || m.To[0].Address != "jane@example.org" {
			t.Errorf("message %q to %+v", m.Subject, m.To)
		}
	}
}

// TestDispatcherVideoLink: the dispatcher gives a video call's reminder
// its therapist's link from the clinic's staff (the demo's Dr. Ana Reyes
// has one).
func TestDispatcherVideoLink(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture(t)
	var prep *booking.Appointment
	err := f.db.Update(ctx, func(tx booking.Tx) error {
		list, err := tx.Appointments(ctx, booking.AppointmentFilter{PatientID: f.patient.ID})
		if err != nil {
			return err
		}
		for _, a := range list {
			if a.Kind == "preparation" && prep == nil {
				prep = a
			}
		}
		prep.RoomID, prep.RoomName = 0, "" // held by video
		return tx.UpdateAppointment(ctx, prep)
	})
	if err != nil {
		t.Fatal(err)
	}
	staff, _ := f.db.StaffList(ctx)
	link := booking.VideoLink(prep, staff)
	if link == "" {
		t.Fatalf("the demo's %v have no video link", prep.Staff)
	}
	now := prep.Start.Add(-47 * time.Hour) // its reminder is due 48 hours before
	run(t, f.dispatcher(t, f.db, &now, nil))
	msgs, _ := f.db.Outbox(ctx, booking.OutboxFilter{AppointmentID: prep.ID, State: booking.OutboxSent})
	if len(msgs) != 1 || msgs[0].Kind != booking.MessageReminder {
		t.Fatalf("sent for the preparation: %+v, want its reminder", msgs)
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, fileNameOf(msgs[0].MessageID)))
	if err != nil {
		t.Fatal(err)
	}
	m := parseMessage(t, raw)
	if _, ev := icsEvent(t, m.ics); !strings.Contains(m.text, "Place: a video call at "+link) || ev.Props.Get(ical.PropLocation).Value != link {
		t.Fatalf("the reminder lacks %s:\n%s", link, m.text)
	}
}
