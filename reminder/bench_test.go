package reminder_test

import (
	"context"
	"net/mail"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/mailpittest"
	"github.com/kapbook/kapbook/reminder"
)

// deliverAll requeues c's messages, empties Mailpit, and times the
// dispatcher sending them all through tr, claiming batch messages at a
// time (zero: reminder.DefaultBatch); it fails b unless each one arrived
// and is recorded sent. The time is the dispatcher's whole work: claiming,
// reading, composing, sending and recording each outcome; requeueing and
// the checks after are outside it. size is the mean size of a message as
// Mailpit received it.
func deliverAll(b *testing.B, c *busyClinic, mp *mailpittest.Server, tr reminder.Transport, batch int) (took time.Duration, size int) {
	b.Helper()
	c.requeue(b)
	mp.DeleteAll(b)
	d := c.dispatcher(b, c.db, tr)
	d.Batch = batch
	start := time.Now()
	sent := 0
	for {
		rep, err := d.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Messages) == 0 {
			break
		}
		if rep.Sent != len(rep.Messages) {
			b.Fatalf("report %+v: not all sent: %v", rep, rep.Messages[0].LastError)
		}
		sent += rep.Sent
	}
	took = time.Since(start)
	got := mp.Messages(b, "")
	if sent != c.due || len(got) != c.due {
		b.Fatalf("sent %d, Mailpit holds %d, want %d", sent, len(got), c.due)
	}
	for _, m := range got {
		size += m.Size
	}
	msgs, err := c.db.Outbox(context.Background(), booking.OutboxFilter{State: booking.OutboxSent})
	if err != nil {
		b.Fatal(err)
	}
	if len(msgs) != c.due {
		b.Fatalf("outbox records %d sent, want %d", len(msgs), c.due)
	}
	return took, size / len(got)
}

// prebuilt is one message ready for the wire: its envelope and bytes.
type prebuilt struct {
	from string
	to   []string
	data []byte
}

// capture is a Transport that keeps what it is given as prebuilt
// messages and sends nothing.
type capture struct{ msgs []prebuilt }

func (c *capture) Send(_ context.Context, msgs []*email.Email) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		var p prebuilt
		from, err := mail.ParseAddress(m.From)
		if err != nil {
			errs[i] = err
			continue
		}
		p.from = from.Address
		for _, r := range m.To {
			to, err := mail.ParseAddress(r)
			if err != nil {
				errs[i] = err
				break
			}
			p.to = append(p.to, to.Address)
		}
		if p.data, errs[i] = m.Bytes(); errs[i] == nil {
			c.msgs = append(c.msgs, p)
		}
	}
	return errs
}

// prebuild composes c's due messages as the dispatcher would (through a
// capture transport) and returns them ready for the wire; the messages
// are then requeued.
func prebuild(b *testing.B, c *busyClinic) []prebuilt {
	b.Helper()
	c.requeue(b)
	tr := &capture{}
	d := c.dispatcher(b, c.db, tr)
	for {
		rep, err := d.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Messages) == 0 {
			break
		}
	}
	if len(tr.msgs) != c.due {
		b.Fatalf("prebuilt %d messages, want %d", len(tr.msgs), c.due)
	}
	c.requeue(b)
	return tr.msgs
}

// BenchmarkDispatchCeiling measures, in one run and against one Mailpit,
// the bare net/smtp ceiling and kapbook's Dispatcher, each sending the
// same 1,000 messages over one SMTP connection. Target (issue 13): the
// dispatcher takes at most 1.25 times the ceiling's time, plain and with
// STARTTLS; the benchmark reports that ratio ("ratio"), and never fails
// on it.
//
// The ceiling (ceilingClient) sends the 1,000 messages the dispatcher
// composes, composed beforehand (prebuild) and so outside its time, with
// Go's net/smtp: connect, EHLO, STARTTLS and login when set, then MAIL,
// RCPT and DATA for each message, and QUIT. Nothing else.
//
// The dispatcher's time is everything it does for the same messages:
// claiming them in the outbox, reading the patients and series, composing
// each message with its calendar attachment, sending it, and recording its
// outcome in SQLite in its own transaction before the server can accept
// the next message (the crash guarantee). Batch is 1,000 so that one
// RunOnce sends them all over one connection; "ratio-batch100" is the same
// with reminder.DefaultBatch, as the app runs it (ten claims, ten
// connections).
//
// Plain is Mailpit as the other tests use it (no TLS, no login); StartTLS
// is Mailpit set up like a mail server on the Internet, requiring STARTTLS
// (a self-signed certificate the test makes and trusts) and AUTH PLAIN,
// as kapbook's default security does. Mailpit is emptied before each
// measurement, so each starts from the same store. Each iteration measures
// the ceiling and the dispatcher back to back, in turn first, and the
// figures reported are medians over the iterations, the ratios taken
// within each iteration: run with -benchtime 3x or more on a busy machine.
func BenchmarkDispatchCeiling(b *testing.B) {
	c := newBusyClinic(b, 1000)
	msgs := prebuild(b, c)
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *mailpittest.Server
		smtp  func(*mailpittest.Server) reminder.SMTP
	}{
		{"Plain", mailpittest.Start, func(mp *mailpittest.Server) reminder.SMTP {
			return reminder.SMTP{Host: "127.0.0.1", Port: mp.SMTPPort, Security: reminder.NoSecurity}
		}},
		{"StartTLS", mailpittest.StartTLS, func(mp *mailpittest.Server) reminder.SMTP {
			return reminder.SMTP{Host: "127.0.0.1", Port: mp.SMTPPort, Security: reminder.StartTLS, TLSConfig: mp.TLSConfig,
				User: "clinic", Password: "benchmark"}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			mp := tc.start(b)
			s := tc.smtp(mp)
			cl := ceilingClient{addr: "127.0.0.1:" + strconv.Itoa(mp.SMTPPort), tls: mp.TLSConfig}
			ceiling := func() time.Duration {
				mp.DeleteAll(b)
				took := cl.prebuilt(b, msgs)
				if got := mp.Count(b); got != len(msgs) {
					b.Fatalf("Mailpit holds %d messages, want %d", got, len(msgs))
				}
				return took
			}
			var ceil, one, hundred []float64
			size := 0
			for b.Loop() {
				// Other work on the machine comes and goes: the order
				// alternates, and each run's figures are paired.
				var ct, dt time.Duration
				if len(ceil)%2 == 0 {
					ct = ceiling()
					dt, size = deliverAll(b, c, mp, s, len(msgs))
				} else {
					dt, size = deliverAll(b, c, mp, s, len(msgs))
					ct = ceiling()
				}
				ht, _ := deliverAll(b, c, mp, s, 0)
				ceil, one, hundred = append(ceil, ct.Seconds()), append(one, dt.Seconds()), append(hundred, ht.Seconds())
			}
			ratios := func(xs []float64) []float64 {
				out := make([]float64, len(xs))
				for i, x := range xs {
					out[i] = x / ceil[i]
				}
				return out
			}
			b.ReportMetric(float64(size), "bytes/msg")
			b.ReportMetric(median(ceil), "s/1000-ceiling")
			b.ReportMetric(median(one), "s/1000-dispatcher")
			b.ReportMetric(median(ratios(one)), "ratio")
			b.ReportMetric(median(ratios(hundred)), "ratio-batch100")
		})
	}
}

// median returns the median of xs, the mean of the middle two when
// there are an even number.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n == 0 {
		return 0
	}
	return (s[(n-1)/2] + s[n/2]) / 2
}
