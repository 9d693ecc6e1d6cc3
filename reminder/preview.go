package reminder

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
)

// Preview composes an outbox message as the patient gets it, the way the
// Dispatcher composes it, without sending it or changing the outbox. The
// message is composed as at the time it goes (or went) out: for a pending
// message its due time or now, whichever is later; for a sent or failed
// one the time it was last tried; otherwise its due time.
//
// When the message is not to be sent (the patient asked for no email, the
// appointment was cancelled or had started), Preview returns no email and
// the reason as a note. A message that cannot be composed (an invalid
// address, a broken template) returns an EINVALID *booking.Error saying
// why.
func Preview(ctx context.Context, st booking.Store, c *Composer, m *booking.OutboxMessage, now time.Time) (*email.Email, string, error) {
	if m.State == booking.OutboxSent {
		if e, err := SentMessage(ctx, st, m.ID); err != nil || e != nil {
			return e, "", err
		}
	}
	at := m.Due
	switch m.State {
	case booking.OutboxPending, booking.OutboxSending:
		if now.After(at) {
			at = now
		}
	case booking.OutboxSent, booking.OutboxFailed:
		if !m.Updated.IsZero() {
			at = m.Updated
		}
	}
	clinic, err := st.Clinic(ctx)
	if err != nil {
		return nil, "", err
	}
	d := &Dispatcher{Store: st, Composer: c}
	e, note, err := d.compose(ctx, clinic, m, at)
	switch {
	case err != nil && booking.ErrorCode(err) == booking.EINTERNAL:
		return nil, "", booking.Errorf(booking.EINVALID, "This message cannot be composed: %s.", strings.TrimPrefix(err.Error(), "reminder: "))
	case err != nil:
		return nil, "", err
	case note != "":
		return nil, note, nil
	}
	return e, "", nil
}

// SentMessage returns outbox message id as it was sent, read back from
// the copy the dispatcher kept (booking.OutboxMessage.SentCopy), or nil
// when there is none (sent before kapbook kept copies).
func SentMessage(ctx context.Context, st booking.Store, id int64) (*email.Email, error) {
	msgs, err := st.Outbox(ctx, booking.OutboxFilter{ID: id, WithCopy: true})
	if err != nil || len(msgs) != 1 || len(msgs[0].SentCopy) == 0 {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(msgs[0].SentCopy))
	if err != nil {
		return nil, booking.Errorf(booking.ESTORE, "The copy of outbox message %d as sent is damaged; it cannot be shown.", id)
	}
	e, err := email.NewEmailFromReader(io.LimitReader(zr, 16<<20))
	if err != nil {
		return nil, booking.Errorf(booking.ESTORE, "The copy of outbox message %d as sent cannot be read; it cannot be shown.", id)
	}
	return e, nil
}

// AttachmentMethod returns the iTIP METHOD (REQUEST, CANCEL) of the
// calendar attached to e, or "" when there is none.
func AttachmentMethod(e *email.Email) string {
	if e == nil {
		return ""
	}
	for _, a := range e.Attachments {
		sc := bufio.NewScanner(bytes.NewReader(a.Content))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimRight(sc.Text(), "\r"), "METHOD:"); ok {
				return v
			}
		}
	}
	return ""
}
