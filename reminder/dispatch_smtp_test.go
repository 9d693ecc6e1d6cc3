package reminder_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// These tests run the Dispatcher on a real SQLite file against the
// in-process go-smtp server of transport_test.go, whose replies depend on
// the recipient, and assert on the stored outbox rows.

// smtpFixture is the demo clinic in a file with one patient per address,
// each with one consultation booked at booked, so that each has one
// confirmation due then, in the order of the addresses.
type smtpFixture struct {
	path   string
	db     *store.DB
	svc    *booking.Service
	booked time.Time
	ids    map[string]int64 // patient id by address
}

func newSMTPFixture(t *testing.T, addrs ...string) *smtpFixture {
	t.Helper()
	ctx := context.Background()
	f := &smtpFixture{path: filepath.Join(t.TempDir(), "clinic.db"), booked: time.Date(2027, 2, 15, 10, 0, 0, 0, time.UTC), ids: map[string]int64{}}
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
	for i, addr := range addrs {
		p := &booking.Patient{Name: "Patient " + strings.ToUpper(addr[:1]), Email: addr}
		if err := f.svc.AddPatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		f.ids[addr] = p.ID
		req := booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", Step: "consultation", From: day(2027, 3, 1) + booking.Date(i)}
		if _, err := f.svc.BookSeries(ctx, req); err != nil {
			t.Fatalf("booking for %s: %v", addr, err)
		}
	}
	return f
}

func (f *smtpFixture) dispatcher(t *testing.T, db booking.Store, now *time.Time, tr reminder.Transport) *reminder.Dispatcher {
	t.Helper()
	id, err := db.InstanceID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	return &reminder.Dispatcher{Store: db, Transport: tr, Now: clock, Actor: "test",
		Composer: &reminder.Composer{FromAddress: "appointments@harbor.example", InstanceID: id, Now: clock}}
}

// confirmation returns the stored confirmation to addr.
func (f *smtpFixture) confirmation(t *testing.T, addr string) *booking.OutboxMessage {
	t.Helper()
	msgs, err := f.db.Outbox(context.Background(), booking.OutboxFilter{PatientID: f.ids[addr]})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Kind == booking.MessageConfirmation {
			return m
		}
	}
	t.Fatalf("no confirmation to %s", addr)
	return nil
}

// want checks the stored row of addr's confirmation.
func (f *smtpFixture) want(t *testing.T, addr, state string, attempts int, next time.Time, errHas string) {
	t.Helper()
	m := f.confirmation(t, addr)
	if m.State != state || m.Attempts != attempts || !m.NextAttempt.Equal(next) {
		t.Fatalf("%s: state %s, attempts %d, next attempt %v; want %s, %d, %v (last error %q)", addr, m.State, m.Attempts, m.NextAttempt, state, attempts, next, m.LastError)
	}
	if errHas == "" && m.LastError != "" || !strings.Contains(m.LastError, errHas) {
		t.Fatalf("%s: last error %q, want it to say %q", addr, m.LastError, errHas)
	}
	if (state == booking.OutboxSent) != (m.MessageID != "") {
		t.Fatalf("%s: %s with Message-ID %q", addr, state, m.MessageID)
	}
}

// delivered returns how many messages b accepted for each recipient.
func (b *testBackend) deliveredTo() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]int{}
	for _, r := range b.delivered {
		out[r]++
	}
	return out
}

// TestDispatcherSMTPErrors sends one batch through a server that answers
// 4xx to some recipients, 5xx to others, and drops the connection in the
// middle of one message: each outcome is stored as it happened (pending
// with the backoff and the reason, failed with the reason, sent with its
// Message-ID), the messages after the dropped connection go out over a
// new one, and a later run retries exactly the temporary failures.
func TestDispatcherSMTPErrors(t *testing.T) {
	addrs := []string{"a@example.org", "busy@example.org", "nobody@example.org", "later@example.org", "spam@example.org", "drop@example.org", "b@example.org", "c@example.org"}
	f := newSMTPFixture(t, addrs...)
	b := &testBackend{
		rcptErr:    map[string]error{"busy@example.org": smtpErr(451), "nobody@example.org": smtpErr(550)},
		dataErr:    map[string]error{"later@example.org": smtpErr(452), "spam@example.org": smtpErr(554)},
		dropOnData: map[string]bool{"drop@example.org": true},
	}
	tr := startTestSMTP(t, b)
	now := f.booked
	d := f.dispatcher(t, f.db, &now, tr)
	rep := run(t, d)
	if rep.Sent != 3 || rep.Retrying != 3 || rep.Failed != 2 || rep.Skipped != 0 {
		t.Fatalf("report %+v, want 3 sent, 3 retrying, 2 failed", rep)
	}
	retry := now.Add(reminder.Backoff(1))
	f.want(t, "a@example.org", booking.OutboxSent, 1, time.Time{}, "")
	f.want(t, "busy@example.org", booking.OutboxPending, 1, retry, "451")
	f.want(t, "nobody@example.org", booking.OutboxFailed, 1, time.Time{}, "550")
	f.want(t, "later@example.org", booking.OutboxPending, 1, retry, "452")
	f.want(t, "spam@example.org", booking.OutboxFailed, 1, time.Time{}, "554")
	f.want(t, "drop@example.org", booking.OutboxPending, 1, retry, "DATA")
	f.want(t, "b@example.org", booking.OutboxSent, 1, time.Time{}, "")
	f.want(t, "c@example.org", booking.OutboxSent, 1, time.Time{}, "")
	if conns, got := b.state(); conns != 2 || got != "a@example.org b@example.org c@example.org" {
		t.Fatalf("connections=%d delivered=%q, want 2 (a new one after the drop) and a, b, c", conns, got)
	}
	// What was sent is kept as sent, for the Outbox's preview; nothing of
	// what was not.
	for addr, sent := range map[string]bool{"a@example.org": true, "c@example.org": true, "busy@example.org": false, "nobody@example.org": false, "drop@example.org": false} {
		msgs, err := f.db.Outbox(context.Background(), booking.OutboxFilter{PatientID: f.ids[addr], WithCopy: true})
		if err != nil || len(msgs) == 0 || msgs[0].Kind != booking.MessageConfirmation {
			t.Fatalf("%s: %d messages, %v; want the confirmation first", addr, len(msgs), err)
		}
		if got := len(msgs[0].SentCopy) > 0; got != sent {
			t.Fatalf("%s: a copy kept %v, want %v", addr, got, sent)
		}
		if !sent {
			continue
		}
		e, err := reminder.SentMessage(context.Background(), f.db, msgs[0].ID)
		if err != nil || e == nil || len(e.To) != 1 || !strings.Contains(e.To[0], addr) || e.Headers.Get("Message-Id") != msgs[0].MessageID {
			t.Fatalf("%s: the copy as sent reads back as %+v, %v", addr, e, err)
		}
	}

	// Not before the backoff; then the server is well again.
	now = retry.Add(-time.Second)
	if rep := run(t, d); len(rep.Messages) != 0 {
		t.Fatalf("retried before the backoff: %+v", rep)
	}
	b.mu.Lock()
	b.rcptErr, b.dataErr, b.dropOnData = nil, nil, nil
	b.mu.Unlock()
	now = retry
	if rep := run(t, d); rep.Sent != 3 || len(rep.Messages) != 3 {
		t.Fatalf("second run: %+v, want the 3 temporary failures sent", rep)
	}
	for _, addr := range []string{"busy@example.org", "later@example.org", "drop@example.org"} {
		f.want(t, addr, booking.OutboxSent, 2, time.Time{}, "")
	}
	f.want(t, "nobody@example.org", booking.OutboxFailed, 1, time.Time{}, "550")
	f.want(t, "spam@example.org", booking.OutboxFailed, 1, time.Time{}, "554")
	got := b.deliveredTo()
	for _, addr := range addrs {
		want := 1
		if addr == "nobody@example.org" || addr == "spam@example.org" {
			want = 0
		}
		if got[addr] != want {
			t.Fatalf("%s received %d messages, want %d (all: %v)", addr, got[addr], want, got)
		}
	}
	now = now.Add(24 * time.Hour)
	if rep := run(t, d); len(rep.Messages) != 0 {
		t.Fatalf("a permanent failure was retried: %+v", rep)
	}
}

// TestDispatcherSMTPGivesUp: a recipient the server keeps answering 451
// is tried MaxAttempts times, each after its backoff, then failed with the
// reason; nothing is tried after that.
func TestDispatcherSMTPGivesUp(t *testing.T) {
	f := newSMTPFixture(t, "busy@example.org", "a@example.org")
	b := &testBackend{rcptErr: map[string]error{"busy@example.org": smtpErr(451)}}
	now := f.booked
	d := f.dispatcher(t, f.db, &now, startTestSMTP(t, b))
	for attempt := 1; attempt <= reminder.MaxAttempts; attempt++ {
		rep := run(t, d)
		if attempt < reminder.MaxAttempts {
			if rep.Retrying != 1 {
				t.Fatalf("attempt %d: %+v, want 1 retrying", attempt, rep)
			}
			f.want(t, "busy@example.org", booking.OutboxPending, attempt, now.Add(reminder.Backoff(attempt)), "451")
			now = now.Add(reminder.Backoff(attempt))
		} else if rep.Failed != 1 {
			t.Fatalf("attempt %d: %+v, want 1 failed", attempt, rep)
		}
	}
	f.want(t, "busy@example.org", booking.OutboxFailed, reminder.MaxAttempts, time.Time{}, "451")
	now = now.Add(24 * time.Hour)
	if rep := run(t, d); len(rep.Messages) != 0 {
		t.Fatalf("tried after giving up: %+v", rep)
	}
	f.want(t, "a@example.org", booking.OutboxSent, 1, time.Time{}, "")
}

// failingStore is a Store whose Update fails after ok successful calls,
// as a disk that filled up or a process that died would stop recording.
type failingStore struct {
	booking.Store
	mu sync.Mutex
	ok int
}

var errStoreDown = errors.New("store: disk full")

func (s *failingStore) Update(ctx context.Context, fn func(tx booking.Tx) error) error {
	s.mu.Lock()
	if s.ok == 0 {
		s.mu.Unlock()
		return errStoreDown
	}
	s.ok--
	s.mu.Unlock()
	return s.Store.Update(ctx, fn)
}

// TestDispatcherRecordsEach proves that each outcome is stored as soon as
// its message went out, over one connection: when recording stops in the
// middle of a batch (the store fails, as a killed process would), the
// messages already recorded are sent, the one in flight and the rest stay
// claimed, nothing more is sent; after StaleSending another dispatcher
// sends the rest, and only the one in flight reaches its patient twice.
func TestDispatcherRecordsEach(t *testing.T) {
	addrs := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org", "f@example.org"}
	f := newSMTPFixture(t, addrs...)
	b := &testBackend{}
	tr := startTestSMTP(t, b)
	now := f.booked
	// The claim, then the records of a and b; c's record fails.
	d := f.dispatcher(t, &failingStore{Store: f.db, ok: 3}, &now, tr)
	rep, err := d.RunOnce(context.Background())
	if !errors.Is(err, errStoreDown) {
		t.Fatalf("RunOnce: %v, want the store's error", err)
	}
	if rep.Sent != 3 {
		t.Fatalf("report %+v, want 3 sent (a and b recorded, c in flight)", rep)
	}
	if conns, got := b.state(); conns != 1 || got != "a@example.org b@example.org c@example.org" {
		t.Fatalf("connections=%d delivered=%q, want 1 and a, b, c: nothing after the failed record", conns, got)
	}
	for i, addr := range addrs {
		state := booking.OutboxSending
		if i < 2 {
			state = booking.OutboxSent
		}
		f.want(t, addr, state, 1, time.Time{}, "")
	}

	now = now.Add(reminder.StaleSending + time.Second)
	rep = run(t, f.dispatcher(t, f.db, &now, tr))
	if rep.Recovered != 4 || rep.Sent != 4 {
		t.Fatalf("report %+v, want 4 recovered and sent", rep)
	}
	got := b.deliveredTo()
	for _, addr := range addrs {
		want := 1
		if addr == "c@example.org" {
			want = 2
		}
		if got[addr] != want {
			t.Fatalf("%s received %d messages, want %d (all: %v)", addr, got[addr], want, got)
		}
		f.want(t, addr, booking.OutboxSent, map[bool]int{true: 1, false: 2}[addr < "c"], time.Time{}, "")
	}
}

// eachHook is an EachSender that calls before(i) before message i.
type eachHook struct {
	next   reminder.EachSender
	before func(i int)
}

func (h eachHook) Send(ctx context.Context, msgs []*email.Email) []error {
	return h.next.Send(ctx, msgs)
}

func (h eachHook) SendEach(ctx context.Context, msgs []*email.Email, done func(i int, err error)) {
	for i, m := range msgs {
		h.before(i)
		h.next.SendEach(ctx, []*email.Email{m}, func(_ int, err error) { done(i, err) })
	}
}

// TestDispatcherRenewsClaim: a dispatcher that takes longer than
// StaleSending over one batch, but keeps delivering, renews its claim, so
// another dispatcher running meanwhile takes nothing over and every
// message arrives once.
func TestDispatcherRenewsClaim(t *testing.T) {
	addrs := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
	f := newSMTPFixture(t, addrs...)
	b := &testBackend{}
	tr := startTestSMTP(t, b)
	slowNow := f.booked
	var others []reminder.Report
	slow := f.dispatcher(t, f.db, &slowNow, eachHook{next: tr, before: func(i int) {
		if i == 0 {
			return
		}
		// Each message takes 6 minutes; another dispatcher runs now.
		slowNow = slowNow.Add(6 * time.Minute)
		otherNow := slowNow
		others = append(others, run(t, f.dispatcher(t, f.db, &otherNow, tr)))
	}})
	rep := run(t, slow)
	if rep.Sent != 4 {
		t.Fatalf("slow dispatcher: %+v, want 4 sent", rep)
	}
	for i, o := range others {
		if o.Recovered != 0 || len(o.Messages) != 0 {
			t.Fatalf("other dispatcher, run %d (%v after the claim): %+v, want nothing taken over", i+1, time.Duration(i+1)*6*time.Minute, o)
		}
	}
	got := b.deliveredTo()
	for _, addr := range addrs {
		if got[addr] != 1 {
			t.Fatalf("%s received %d messages, want 1 (all: %v)", addr, got[addr], got)
		}
		f.want(t, addr, booking.OutboxSent, 1, time.Time{}, "")
	}
}

// TestDispatcherStopsWhenTakenOver: a dispatcher stalled for longer than
// StaleSending (so that another took its batch over) finds out when it
// records the message it was sending, and sends nothing more: only that
// one message reaches its patient twice.
func TestDispatcherStopsWhenTakenOver(t *testing.T) {
	addrs := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
	f := newSMTPFixture(t, addrs...)
	b := &testBackend{}
	tr := startTestSMTP(t, b)
	slowNow := f.booked
	var other reminder.Report
	slow := f.dispatcher(t, f.db, &slowNow, eachHook{next: tr, before: func(i int) {
		if i == 1 {
			otherNow := slowNow.Add(reminder.StaleSending + time.Second)
			other = run(t, f.dispatcher(t, f.db, &otherNow, tr))
		}
	}})
	rep := run(t, slow)
	if other.Recovered != 3 || other.Sent != 3 {
		t.Fatalf("other dispatcher: %+v, want b, c and d taken over and sent", other)
	}
	if rep.Sent != 2 {
		t.Fatalf("stalled dispatcher: %+v, want a and b sent, then a stop", rep)
	}
	got := b.deliveredTo()
	for _, addr := range addrs {
		want, attempts := 1, 2
		switch addr {
		case "a@example.org":
			attempts = 1
		case "b@example.org":
			want = 2 // in flight when the stalled dispatcher learnt it
		}
		if got[addr] != want {
			t.Fatalf("%s received %d messages, want %d (all: %v)", addr, got[addr], want, got)
		}
		f.want(t, addr, booking.OutboxSent, attempts, time.Time{}, "")
	}
}

// patientWatch is a Store that sends on read the id of each patient read:
// the Dispatcher reads each message's patient as it composes it.
type patientWatch struct {
	booking.Store
	read chan<- int64
}

func (s patientWatch) Patient(ctx context.Context, id int64) (*booking.Patient, error) {
	s.read <- id
	return s.Store.Patient(ctx, id)
}

// TestDispatcherComposesWhileServerStores proves that the Dispatcher
// composes each message while the server is storing the one before: the
// server holds its answer to each message until the next message's
// patient has been read, and gives up after 10 seconds. Composing after
// the answer instead would make every hold give up.
func TestDispatcherComposesWhileServerStores(t *testing.T) {
	addrs := []string{"a@example.org", "b@example.org", "c@example.org"}
	f := newSMTPFixture(t, addrs...)
	byID := map[int64]string{}
	for addr, id := range f.ids {
		byID[id] = addr
	}
	read := make(chan int64, 16)
	var mu sync.Mutex
	var composed []string
	waited := map[string]bool{} // the hold gave up waiting
	b := &testBackend{hold: func(rcpt string) {
		i := slices.Index(addrs, rcpt)
		if i == len(addrs)-1 {
			return // nothing after it to compose
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			done := slices.Contains(composed, addrs[i+1])
			mu.Unlock()
			if done {
				return
			}
		}
		mu.Lock()
		waited[rcpt] = true
		mu.Unlock()
	}}
	tr := startTestSMTP(t, b)
	now := f.booked
	go func() {
		for id := range read {
			mu.Lock()
			composed = append(composed, byID[id])
			mu.Unlock()
		}
	}()
	rep := run(t, f.dispatcher(t, patientWatch{Store: f.db, read: read}, &now, tr))
	if rep.Sent != len(addrs) {
		t.Fatalf("report %+v, want %d sent", rep, len(addrs))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waited) > 0 {
		t.Fatalf("the server waited in vain for the next message to be composed after %v (composed: %v)", waited, composed)
	}
}

// TestDispatcherRecordsBeforeNextIsAccepted proves the crash guarantee as
// the server sees it: when the server has a message's data and is about
// to accept it, the outcome of every message before is already recorded
// sent, its copy as sent with it. The Dispatcher records an outcome while
// the next message's envelope goes out, so a later record would show here.
func TestDispatcherRecordsBeforeNextIsAccepted(t *testing.T) {
	addrs := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
	f := newSMTPFixture(t, addrs...)
	var mu sync.Mutex
	var problems []string
	b := &testBackend{hold: func(rcpt string) {
		i := slices.Index(addrs, rcpt)
		for _, before := range addrs[:i] {
			msgs, err := f.db.Outbox(context.Background(), booking.OutboxFilter{PatientID: f.ids[before], WithCopy: true})
			if err != nil {
				t.Error(err)
				return
			}
			for _, m := range msgs {
				if m.Kind == booking.MessageConfirmation && (m.State != booking.OutboxSent || len(m.SentCopy) == 0) {
					mu.Lock()
					problems = append(problems, fmt.Sprintf("when %s's message arrived, %s's was %s with a copy of %d bytes", rcpt, before, m.State, len(m.SentCopy)))
					mu.Unlock()
				}
			}
		}
	}}
	tr := startTestSMTP(t, b)
	now := f.booked
	if rep := run(t, f.dispatcher(t, f.db, &now, tr)); rep.Sent != len(addrs) {
		t.Fatalf("report %+v, want %d sent", rep, len(addrs))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatal(strings.Join(problems, "; "))
	}
	for _, addr := range addrs {
		f.want(t, addr, booking.OutboxSent, 1, time.Time{}, "")
	}
}

// clockStore is a Store on whose clock each patient read takes 6 minutes:
// the Dispatcher reads each message's patient as it composes it.
type clockStore struct {
	booking.Store
	now *time.Time
}

func (s clockStore) Patient(ctx context.Context, id int64) (*booking.Patient, error) {
	*s.now = s.now.Add(6 * time.Minute)
	return s.Store.Patient(ctx, id)
}

// TestDispatcherRenewKeepsNothingUnsent: renewing the claim on messages
// composed but not yet sent stores only the time of the claim, not the
// Message-ID or the copy as sent they were composed with. A message that
// then fails keeps neither, so the Outbox never shows a copy "as the
// patient got it" of a message the patient never got. Over SMTP (composed
// one at a time) and through a Transport given them all at once.
func TestDispatcherRenewKeepsNothingUnsent(t *testing.T) {
	addrs := []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"}
	for _, each := range []bool{false, true} {
		f := newSMTPFixture(t, addrs...)
		b := &testBackend{rcptErr: map[string]error{"d@example.org": smtpErr(550)}}
		var tr reminder.Transport = startTestSMTP(t, b)
		if each {
			tr = eachHook{next: tr.(reminder.EachSender), before: func(int) {}}
		}
		now := f.booked
		rep := run(t, f.dispatcher(t, clockStore{Store: f.db, now: &now}, &now, tr))
		if rep.Sent != 3 || rep.Failed != 1 {
			t.Fatalf("each=%v: report %+v, want 3 sent and d failed", each, rep)
		}
		for _, addr := range addrs {
			msgs, err := f.db.Outbox(context.Background(), booking.OutboxFilter{PatientID: f.ids[addr], WithCopy: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if m.Kind != booking.MessageConfirmation {
					continue
				}
				if sent := m.State == booking.OutboxSent; sent != (len(m.SentCopy) > 0) || sent != (m.MessageID != "") {
					t.Errorf("each=%v: %s is %s with a copy of %d bytes and Message-ID %q", each, addr, m.State, len(m.SentCopy), m.MessageID)
				}
			}
		}
	}
}
