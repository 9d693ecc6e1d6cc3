package reminder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/errlog"
)

// Dispatch limits.
const (
	// DefaultBatch is how many messages one RunOnce sends when
	// Dispatcher.Batch is zero.
	DefaultBatch = 100
	// MaxAttempts is how many times a message is tried before it is
	// given up as failed.
	MaxAttempts = 8
	// StaleSending is how long a message may stay claimed: one claimed
	// longer ago belongs to a dispatcher that crashed, and goes back to
	// pending.
	StaleSending = 10 * time.Minute
)

// backoff is the wait after each failed attempt; the last is repeated.
var backoff = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// Backoff returns how long to wait before trying a message again after
// its attempts-th temporary failure: 1 min, 5 min, 30 min, then 2 h.
func Backoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	return backoff[min(attempts, len(backoff))-1]
}

// Dispatcher sends the outbox's due messages. Claiming messages is one
// Store.Update, so two dispatchers on one database (two processes) never
// claim the same message; and each message's outcome is its own
// Store.Update, made once its delivery ends and before the server can
// accept the next message (over SMTP, while the next MAIL command is on
// its way), so a dispatcher that crashes (even SIGKILL) repeats at most
// the one message in flight: the next RunOnce after StaleSending
// returns what it had claimed and not recorded to pending. A dispatcher
// that is still sending renews its claim every StaleSending/2, so a slow
// server never makes another dispatcher take its messages over. Over SMTP
// the next message is composed while the server stores the one before.
type Dispatcher struct {
	Store     booking.Store
	Composer  *Composer
	Transport Transport
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Actor names this dispatcher in the notes it writes.
	Actor string
	// Batch is how many messages one RunOnce claims; zero means
	// DefaultBatch.
	Batch int
}

// Report is what one RunOnce did.
type Report struct {
	Recovered int // claimed by a dispatcher that did not finish, returned to pending
	Sent      int
	Retrying  int // failed temporarily, pending again with a later NextAttempt
	Failed    int // failed for good: the reason is in LastError
	Skipped   int // not sent, for the reason in Note
	// Messages are the claimed messages in their new states.
	Messages []*booking.OutboxMessage
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) actor() string {
	if d.Actor != "" {
		return d.Actor
	}
	return "a dispatcher"
}

// isDue reports whether the pending message m may be sent at now.
func isDue(m *booking.OutboxMessage, now time.Time) bool {
	return m.State == booking.OutboxPending && !m.Due.After(now) && !m.NextAttempt.After(now)
}

// dueFilter selects the pending messages due by now (stored times are in
// whole seconds).
func dueFilter(now time.Time) booking.OutboxFilter {
	return booking.OutboxFilter{State: booking.OutboxPending, DueBefore: now.Truncate(time.Second).Add(time.Second)}
}

// Due returns the pending messages RunOnce would send at the current
// time, without claiming them.
func (d *Dispatcher) Due(ctx context.Context) ([]*booking.OutboxMessage, error) {
	now := d.now()
	msgs, err := d.Store.Outbox(ctx, dueFilter(now))
	if err != nil {
		return nil, err
	}
	out := msgs[:0]
	for _, m := range msgs {
		if isDue(m, now) {
			out = append(out, m)
		}
	}
	return out, nil
}

// RunOnce returns stale claims to pending, claims up to Batch due
// messages, composes them and sends them in one go (over one SMTP
// connection when the Transport is SMTP or an EachSender; SMTP gets each
// message as soon as it is composed), recording the outcome
// of each as soon as its delivery ends: sent with its Message-ID; failed
// with the reason for a permanent failure or after MaxAttempts (a message
// that cannot be composed, such as one whose template goes over one of
// Render's caps, fails at once, and the next message goes on); pending
// again after Backoff for a temporary one; skipped with a note for a
// reminder or preparation message whose appointment has started or is no
// longer booked, or for a patient who asked for no email. It returns an
// error only when the store fails (it then stops sending, and what it had
// claimed and not recorded goes back to pending after StaleSending);
// failures of single messages are in the Report and the outbox.
func (d *Dispatcher) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	now := d.now()
	claimed, recovered, err := d.claim(ctx, now)
	rep.Recovered = recovered
	if err != nil || len(claimed) == 0 {
		return rep, err
	}
	rep.Messages = claimed
	// Outcomes are recorded even when ctx has ended.
	rctx := context.WithoutCancel(ctx)

	// When the store fails, or another dispatcher took some messages over
	// all the same, sending stops: the rest stays claimed until
	// StaleSending.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		rerr    error
		lost    bool
		renewed = now
	)
	// save records m's outcome, set at at, renewing the claim on rest,
	// the messages still to settle, every StaleSending/2 so that no other
	// dispatcher takes them over while this one is making progress.
	save := func(m *booking.OutboxMessage, at time.Time, rest []*booking.OutboxMessage) {
		kept, err := d.record(rctx, m)
		if err == nil && kept && len(rest) > 0 && at.Sub(renewed) >= StaleSending/2 {
			renewed = at
			kept, err = d.renew(rctx, rest, at)
		}
		if err != nil || !kept {
			rerr, lost = err, !kept
			stop()
		}
	}
	// finish records the outcome of m's delivery (serr nil: sent) before
	// the next message starts.
	finish := func(m *booking.OutboxMessage, serr error, rest []*booking.OutboxMessage) {
		if rerr != nil || lost {
			return
		}
		at := d.now()
		d.outcome(m, serr, at, &rep)
		save(m, at, rest)
	}
	// settle sets m's state when it is not to be sent: skipped with c's
	// note, or failed or retried for c's error.
	settle := func(c composed) {
		if c.note != "" {
			c.m.State, c.m.Note, c.m.Updated = booking.OutboxSkipped, c.note, now
			rep.Skipped++
		} else {
			d.outcome(c.m, c.err, now, &rep)
		}
	}

	// Each message's copy as it goes out (for the Outbox's preview) is
	// stored with its outcome, when it was sent.
	if es, ok := d.Transport.(envelopeSender); ok {
		// One goroutine, like the plainest client (docs/benchmarks.md,
		// Email). Each message is composed while the server stores the
		// one before (idle). Each outcome is recorded while the next
		// message's MAIL command is on its way (mailed), and so before
		// the server can accept that message: a crash still leaves at
		// most one message sent and not recorded. What is not to be sent
		// is settled as it comes.
		cm := d.newComposing(ctx, now, true)
		taken := 0 // claimed[:taken] were handed to the sender or settled
		var (
			cur     *booking.OutboxMessage
			ahead   *composed // claimed[taken], composed early
			pending func()    // records the last outcome, when not yet
		)
		// recorded records the last outcome if it is not yet, and says
		// whether sending may go on.
		recorded := func() error {
			if p := pending; p != nil {
				pending = nil
				p()
			}
			if rerr != nil || lost {
				return errNotRecorded
			}
			return nil
		}
		next := func() (*envelope, error, bool) {
			for rerr == nil && !lost && taken < len(claimed) {
				c := ahead
				if ahead = nil; c == nil {
					c = cm.compose(ctx, claimed[taken])
				}
				taken++
				if c.note != "" || c.err != nil {
					if recorded() != nil {
						break
					}
					settle(*c)
					if _, err := d.record(rctx, c.m); err != nil {
						rerr = err
						stop()
					}
					continue
				}
				c.m.MessageID = c.e.Headers.Get("Message-Id")
				c.m.SentCopy = c.sent
				cur = c.m
				return c.env, nil, true
			}
			return nil, nil, false
		}
		done := func(serr error) {
			if recorded() != nil {
				return
			}
			at, m, rest := d.now(), cur, claimed[taken:]
			d.outcome(m, serr, at, &rep)
			pending = func() { save(m, at, rest) }
		}
		idle := func() {
			if ahead == nil && taken < len(claimed) {
				ahead = cm.compose(ctx, claimed[taken])
			}
		}
		es.sendEnvelopes(sctx, next, done, hooks{idle: idle, mailed: recorded})
		recorded()
		return rep, rerr
	}

	// Any other Transport: compose them all, settle what is not to be
	// sent, then send the rest in one go.
	var (
		mails   []*email.Email
		which   []*booking.OutboxMessage
		settled []*booking.OutboxMessage
	)
	cm := d.newComposing(ctx, now, false)
	for _, m := range claimed {
		c := cm.compose(ctx, m)
		if c.note != "" || c.err != nil {
			settle(*c)
			settled = append(settled, c.m)
			continue
		}
		c.m.MessageID = c.e.Headers.Get("Message-Id")
		c.m.SentCopy = c.sent
		mails, which = append(mails, c.e), append(which, c.m)
	}
	if len(settled) > 0 {
		if _, err := d.record(rctx, settled...); err != nil {
			return rep, err
		}
	}
	done := func(i int, serr error) { finish(which[i], serr, which[i+1:]) }
	if es, ok := d.Transport.(EachSender); ok {
		es.SendEach(sctx, mails, done)
	} else {
		for i, e := range mails {
			if sctx.Err() != nil {
				break
			}
			done(i, d.Transport.Send(sctx, []*email.Email{e})[0])
		}
	}
	return rep, rerr
}

// envelopeSender is a Transport that takes messages one at a time, already
// encoded, as they are composed: SMTP. next returns the next message (an
// error: a failure of that message; false: no more), and done its outcome,
// before next is called again.
type envelopeSender interface {
	sendEnvelopes(ctx context.Context, next func() (*envelope, error, bool), done func(err error), h hooks)
}

// errNotRecorded ends a delivery before the server can accept it, when
// the outcome of the one before could not be recorded (the store failed,
// or another dispatcher took the message over).
var errNotRecorded = errors.New("reminder: sending stopped: the outbox could not record the message before")

// composed is one claimed message after composing: an email to send, with
// its envelope when the Transport is an envelopeSender, or a note or an
// error that settles it without sending.
type composed struct {
	m    *booking.OutboxMessage
	e    *email.Email
	env  *envelope
	note string
	err  error
	sent []byte // the message's bytes, gzip-compressed: its SentCopy once sent
}

// composing is what composing a run's messages one after another shares:
// the clinic, the patients and series read, and a gzip writer for the
// copies as sent.
type composing struct {
	d      *Dispatcher
	now    time.Time
	encode bool // make each message's envelope too (an envelopeSender's)
	clinic *booking.Clinic
	err    error // reading the clinic failed: every message fails with it
	rd     *reads
	zw     *gzip.Writer
}

func (d *Dispatcher) newComposing(ctx context.Context, now time.Time, encode bool) *composing {
	cm := &composing{d: d, now: now, encode: encode, rd: newReads(d.Store)}
	cm.clinic, cm.err = d.Store.Clinic(ctx)
	cm.zw, _ = gzip.NewWriterLevel(nil, gzip.StatelessCompression)
	return cm
}

// compose composes m: an email to send with its copy as sent (and its
// envelope when encode is set), or a note or an error that settles m.
// It only reads m.
func (cm *composing) compose(ctx context.Context, m *booking.OutboxMessage) *composed {
	c := &composed{m: m, err: cm.err}
	if c.err != nil {
		return c
	}
	c.e, c.note, c.err = cm.d.composeSafely(ctx, cm.rd, cm.clinic, m, cm.now)
	if c.note == "" && c.err == nil && cm.encode {
		c.env, c.err = envelopeOf(c.e)
	}
	if c.note == "" && c.err == nil {
		c.sent = sentCopy(c.e, c.env, cm.zw)
	}
	return c
}

// claim returns stale claims to pending and claims up to Batch due
// messages, in one transaction.
func (d *Dispatcher) claim(ctx context.Context, now time.Time) (claimed []*booking.OutboxMessage, recovered int, err error) {
	batch := d.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	err = d.Store.Update(ctx, func(tx booking.Tx) error {
		claimed, recovered = nil, 0
		stuck, err := tx.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxSending})
		if err != nil {
			return err
		}
		for _, m := range stuck {
			if now.Sub(m.Updated) <= StaleSending {
				continue
			}
			m.State, m.NextAttempt, m.Updated = booking.OutboxPending, time.Time{}, now
			m.Note = "returned to the queue by " + d.actor() + ": the dispatcher that claimed it did not finish"
			if err := tx.UpdateOutbox(ctx, m); err != nil {
				return err
			}
			recovered++
		}
		msgs, err := tx.Outbox(ctx, dueFilter(now))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if len(claimed) == batch {
				break
			}
			if !isDue(m, now) {
				continue
			}
			m.State, m.Attempts, m.Updated = booking.OutboxSending, m.Attempts+1, now
			if err := tx.UpdateOutbox(ctx, m); err != nil {
				return err
			}
			claimed = append(claimed, m)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return claimed, recovered, nil
}

// outcome sets m's new state after an attempt that ended with err (nil:
// sent) at now, and counts it in rep.
func (d *Dispatcher) outcome(m *booking.OutboxMessage, err error, now time.Time, rep *Report) {
	m.Updated = now
	switch {
	case err == nil:
		m.State, m.LastError, m.NextAttempt = booking.OutboxSent, "", time.Time{}
		rep.Sent++
	case Permanent(err) || m.Attempts >= MaxAttempts:
		m.State, m.LastError, m.MessageID, m.NextAttempt = booking.OutboxFailed, booking.Clip(err.Error(), 500), "", time.Time{}
		m.SentCopy = nil
		rep.Failed++
	default:
		m.State, m.LastError, m.NextAttempt, m.MessageID = booking.OutboxPending, booking.Clip(err.Error(), 500), now.Add(Backoff(m.Attempts)), ""
		m.SentCopy = nil
		rep.Retrying++
	}
}

// sentCopy returns the bytes of e as they go out (env's, when the
// Transport takes an envelope), gzip-compressed with zw, for the outbox
// to keep once e is sent; nil when they cannot be had (the preview then
// composes the message again). zw is klauspost/compress's stateless
// writer, a third of the standard library's time for one message
// (docs/benchmarks.md, Email); a run's composing keeps one for all its
// messages.
func sentCopy(e *email.Email, env *envelope, zw *gzip.Writer) []byte {
	raw := []byte(nil)
	if env != nil {
		raw = env.data
	} else if b, err := e.Bytes(); err == nil {
		raw = b
	}
	if len(raw) == 0 {
		return nil
	}
	var buf bytes.Buffer
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil || zw.Close() != nil {
		return nil
	}
	return buf.Bytes()
}

// renew marks msgs, claimed by this dispatcher, as claimed again at now,
// in one transaction. It reports false when another dispatcher took any
// of them over. Only the time changes: a message still to be sent is
// stored without the Message-ID and the copy it may have been composed
// with, which its outcome stores once it is sent.
func (d *Dispatcher) renew(ctx context.Context, msgs []*booking.OutboxMessage, now time.Time) (kept bool, err error) {
	unsent := make([]*booking.OutboxMessage, len(msgs))
	for i, m := range msgs {
		m.Updated = now
		u := *m
		u.MessageID, u.SentCopy = "", nil
		unsent[i] = &u
	}
	return d.record(ctx, unsent...)
}

// record stores the outcome of msgs in one transaction, those this
// dispatcher still holds. A message is still this dispatcher's while it is
// sending with the attempt this dispatcher claimed
// (booking.Tx.UpdateClaimedOutbox: one statement, which matters because
// the next delivery waits for each outcome; docs/benchmarks.md, Email);
// otherwise another dispatcher took it over as stale, and its outcome is
// that one's to record. It reports false when any of msgs was taken over.
func (d *Dispatcher) record(ctx context.Context, msgs ...*booking.OutboxMessage) (kept bool, err error) {
	err = d.Store.Update(ctx, func(tx booking.Tx) error {
		kept = true
		for _, m := range msgs {
			mine, err := tx.UpdateClaimedOutbox(ctx, m)
			if err != nil {
				return err
			}
			kept = kept && mine
		}
		return nil
	})
	return kept, err
}

// reads keeps the patients, series and staff one RunOnce read, so that
// the many messages of one patient and series cost one read each.
type reads struct {
	st       booking.Reader
	patients map[int64]*booking.Patient
	series   map[int64]*booking.Series
	staff    []*booking.Staff // nil: not read yet
}

// staffList returns the clinic's staff, for video links.
func (r *reads) staffList(ctx context.Context) ([]*booking.Staff, error) {
	if r.staff == nil {
		s, err := r.st.StaffList(ctx)
		if err != nil {
			return nil, err
		}
		r.staff = s
	}
	return r.staff, nil
}

func newReads(st booking.Reader) *reads {
	return &reads{st: st, patients: map[int64]*booking.Patient{}, series: map[int64]*booking.Series{}}
}

func (r *reads) patient(ctx context.Context, id int64) (*booking.Patient, error) {
	if p, ok := r.patients[id]; ok {
		return p, nil
	}
	p, err := r.st.Patient(ctx, id)
	if err == nil {
		r.patients[id] = p
	}
	return p, err
}

func (r *reads) oneSeries(ctx context.Context, id int64) (*booking.Series, error) {
	if s, ok := r.series[id]; ok {
		return s, nil
	}
	s, err := r.st.Series(ctx, id)
	if err == nil {
		r.series[id] = s
	}
	return s, err
}

// appointment returns appointment id, read with its series when it has
// one.
func (r *reads) appointment(ctx context.Context, seriesID, id int64) (*booking.Appointment, error) {
	if seriesID != 0 {
		if s, err := r.oneSeries(ctx, seriesID); err == nil {
			for _, a := range s.Appts {
				if a.ID == id {
					return a, nil
				}
			}
		}
	}
	return r.st.Appointment(ctx, id)
}

// compose returns m as an email, or a note saying why it is not to be
// sent, or an error (a failure to send it).
func (d *Dispatcher) compose(ctx context.Context, clinic *booking.Clinic, m *booking.OutboxMessage, now time.Time) (*email.Email, string, error) {
	return d.composeWith(ctx, newReads(d.Store), clinic, m, now)
}

// composeSafely is composeWith with a panic turned into that message's
// error (an *errlog.Panic, with its stack): one message must not stop the
// others, or the app.
func (d *Dispatcher) composeSafely(ctx context.Context, rd *reads, clinic *booking.Clinic, m *booking.OutboxMessage, now time.Time) (e *email.Email, note string, err error) {
	defer func() {
		if p := errlog.Recovered(recover()); p != nil {
			e, note, err = nil, "", p
		}
	}()
	return d.composeWith(ctx, rd, clinic, m, now)
}

// composeWith is compose reading through rd.
func (d *Dispatcher) composeWith(ctx context.Context, rd *reads, clinic *booking.Clinic, m *booking.OutboxMessage, now time.Time) (*email.Email, string, error) {
	pat, err := rd.patient(ctx, m.PatientID)
	if err != nil {
		return nil, "", err
	}
	if pat.Consents.NoEmail != nil {
		return nil, booking.NoEmailNote, nil
	}
	var (
		a    *booking.Appointment
		list []*booking.Appointment
	)
	if m.AppointmentID != 0 {
		if a, err = rd.appointment(ctx, m.SeriesID, m.AppointmentID); err != nil {
			return nil, "", err
		}
	} else {
		sr, err := rd.oneSeries(ctx, m.SeriesID)
		if err != nil {
			return nil, "", err
		}
		list = seriesAppointments(sr, m, now)
		if len(list) == 0 {
			return nil, "the series has no upcoming appointment", nil
		}
		a = list[0]
	}
	if m.Kind == booking.MessageReminder || m.Kind == booking.MessagePreparation {
		switch {
		case a.Status != booking.Booked:
			return nil, fmt.Sprintf("the appointment is %s", a.Status), nil
		case !a.Start.After(now):
			return nil, "not sent: the appointment had already started", nil
		}
	}
	staff, err := rd.staffList(ctx)
	if err != nil {
		return nil, "", err
	}
	e, err := d.Composer.Compose(Message{Kind: Kind(m.Kind), Clinic: clinic, Patient: pat, Appointment: a, Appointments: list, Changed: m.Changed, Staff: staff})
	if errors.Is(err, ErrNoEmail) {
		return nil, booking.NoEmailNote, nil
	} else if err != nil {
		return nil, "", &permanentError{err}
	}
	return e, "", nil
}

// seriesAppointments returns the appointments a message about a whole
// series covers, in order. For a cancellation, those the action cancelled:
// the cancelled appointments last changed when the message was queued (in
// the same transaction), or, when none was, every cancelled appointment
// that had not started when it was queued. Otherwise every booked
// appointment that has not started.
func seriesAppointments(sr *booking.Series, m *booking.OutboxMessage, now time.Time) []*booking.Appointment {
	var out []*booking.Appointment
	if m.Kind == booking.MessageCancellation {
		for _, a := range sr.Appts {
			if !a.Status.Active() && a.Updated.Unix() == m.Created.Unix() {
				out = append(out, a)
			}
		}
		if len(out) > 0 {
			return out
		}
		for _, a := range sr.Appts {
			if !a.Status.Active() && a.Start.After(m.Created) {
				out = append(out, a)
			}
		}
		return out
	}
	for _, a := range sr.Appts {
		if a.Status == booking.Booked && a.Start.After(now) {
			out = append(out, a)
		}
	}
	return out
}
