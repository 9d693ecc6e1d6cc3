package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// yearsOfMail stores n settled messages for f's patients, due evenly over
// the years before kittest.Now, as a clinic that has sent email for years
// has them.
func yearsOfMail(tb testing.TB, f *kittest.Fixture, n int, years int) {
	tb.Helper()
	ctx := context.Background()
	span := time.Duration(years) * 365 * 24 * time.Hour
	states := []string{booking.OutboxSent, booking.OutboxSent, booking.OutboxSent, booking.OutboxSkipped, booking.OutboxCancelled}
	err := f.DB.Update(ctx, func(tx booking.Tx) error {
		for i := range n {
			due := kittest.Now.Add(-span + span*time.Duration(i)/time.Duration(n))
			m := &booking.OutboxMessage{Kind: booking.MessageReminder, PatientID: f.Patients[i%len(f.Patients)].ID,
				State: states[i%len(states)], Due: due, Attempts: 1, Created: due, Updated: due}
			if err := tx.AddOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkOutboxYears opens the Outbox of a clinic with 100,000 messages
// over four years (and the booked series' pending ones): Recent is the
// list as it opens (the last History and what lies ahead), Everything the
// list after Show older has gone back to the first message.
func BenchmarkOutboxYears(b *testing.B) {
	f := kittest.New(b, kittest.Options{Patients: 8, Booked: true})
	yearsOfMail(b, f, 100_000, 4)
	for _, tc := range []struct {
		name  string
		since time.Time
	}{{"Recent", time.Time{}}, {"Everything", kittest.Now.AddDate(-5, 0, 0)}} {
		b.Run(tc.name, func(b *testing.B) {
			v := New(f.Env)
			f.Env.Window.SetContent(v.Content())
			for b.Loop() {
				v.since = tc.since
				v.Refresh()
			}
			b.ReportMetric(float64(len(v.Rows)), "rows")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}
