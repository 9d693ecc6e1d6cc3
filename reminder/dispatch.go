package reminder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
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

// Dispatcher sends the outbox's due messages. Claiming messages and
// recording what became of them are each one Store.Update, so two
// dispatchers on one database (two processes) never claim the same
// message, and a dispatcher that crashes repeats at most the one batch it
// had claimed: the next RunOnce after StaleSending returns it to pending.
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
// messages, composes them and sends them over one Transport.Send, and
// records the outcome of each: sent with its Message-ID; failed with the
// reason for a permanent failure or after MaxAttempts; pending again after
// Backoff for a temporary one; skipped with a note for a reminder or
// preparation message whose appointment has started or is no longer
// booked, or for a patient who asked for no email. It returns an error
// only when the store fails; failures of single messages are in the
// Report and the outbox.
func (d *Dispatcher) RunOnce(ctx context.Context) (Report, error) {
	var rep Report
	now := d.now()
	batch := d.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	var claimed []*booking.OutboxMessage
	err := d.Store.Update(ctx, func(tx booking.Tx) error {
		claimed, rep.Recovered = nil, 0
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
			rep.Recovered++
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
	if err != nil || len(claimed) == 0 {
		return rep, err
	}

	// Compose outside the transaction, then send what was composed.
	var (
		mails []*email.Email
		which []*booking.OutboxMessage
		errs  = map[*booking.OutboxMessage]error{}
		mids  = map[*booking.OutboxMessage]string{}
	)
	clinic, err := d.Store.Clinic(ctx)
	for _, m := range claimed {
		if err != nil {
			errs[m] = err
			continue
		}
		e, note, cerr := d.compose(ctx, clinic, m, now)
		switch {
		case note != "":
			m.State, m.Note = booking.OutboxSkipped, note
		case cerr != nil:
			errs[m] = cerr
		default:
			mails, which = append(mails, e), append(which, m)
			mids[m] = e.Headers.Get("Message-Id")
		}
	}
	if len(mails) > 0 {
		for i, serr := range d.Transport.Send(ctx, mails) {
			if serr != nil {
				errs[which[i]] = serr
			}
		}
	}

	// Record the outcome; a context that ended must not keep it from
	// being recorded.
	for _, m := range claimed {
		m.Updated = now
		if m.State == booking.OutboxSkipped {
			rep.Skipped++
			continue
		}
		serr, failed := errs[m]
		switch {
		case !failed:
			m.State, m.MessageID, m.LastError, m.NextAttempt = booking.OutboxSent, mids[m], "", time.Time{}
			rep.Sent++
		case Permanent(serr) || m.Attempts >= MaxAttempts:
			m.State, m.LastError = booking.OutboxFailed, clipError(serr)
			rep.Failed++
		default:
			m.State, m.LastError, m.NextAttempt = booking.OutboxPending, clipError(serr), now.Add(Backoff(m.Attempts))
			rep.Retrying++
		}
	}
	rep.Messages = claimed
	ctx = context.WithoutCancel(ctx)
	err = d.Store.Update(ctx, func(tx booking.Tx) error {
		// A message is still this dispatcher's if it is still sending with
		// the attempt this dispatcher claimed; otherwise another dispatcher
		// took it over as stale, and its outcome is that one's to record.
		still, err := tx.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxSending})
		if err != nil {
			return err
		}
		mine := map[int64]int{}
		for _, m := range still {
			mine[m.ID] = m.Attempts
		}
		for _, m := range claimed {
			if n, ok := mine[m.ID]; !ok || n != m.Attempts {
				continue
			}
			if err := tx.UpdateOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	return rep, err
}

// compose returns m as an email, or a note saying why it is not to be
// sent, or an error (a failure to send it).
func (d *Dispatcher) compose(ctx context.Context, clinic *booking.Clinic, m *booking.OutboxMessage, now time.Time) (*email.Email, string, error) {
	pat, err := d.Store.Patient(ctx, m.PatientID)
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
		if a, err = d.Store.Appointment(ctx, m.AppointmentID); err != nil {
			return nil, "", err
		}
	} else {
		sr, err := d.Store.Series(ctx, m.SeriesID)
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
	e, err := d.Composer.Compose(Message{Kind: Kind(m.Kind), Clinic: clinic, Patient: pat, Appointment: a, Appointments: list})
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

// clipError returns err's text, clipped to fit the outbox.
func clipError(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}
