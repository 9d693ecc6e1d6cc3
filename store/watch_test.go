package store

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// secondDesk opens the database of db a second time, as another
// workstation's process would.
func secondDesk(tb testing.TB, db *DB) *DB {
	tb.Helper()
	where := db.path
	if db.pg {
		where = db.pgcfg.ConnString()
	}
	other, err := Open(where)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { other.Close() })
	return other
}

// watch starts db.Watch and returns the channel its calls arrive on.
func watch(tb testing.TB, db *DB, poll time.Duration) <-chan time.Time {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan time.Time, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Watch(ctx, poll, func() { calls <- time.Now() }, nil)
	}()
	tb.Cleanup(func() { cancel(); <-done })
	time.Sleep(100 * time.Millisecond) // let it start listening
	return calls
}

// A booking saved at one desk reaches another desk's Watch within a
// second, once per change, and nothing is reported while nothing changes.
func TestWatch(t *testing.T) {
	db := MustOpenDB(t)
	f := MustFixture(t, db)
	other := secondDesk(t, db)
	calls := watch(t, db, 200*time.Millisecond)
	select {
	case <-calls:
		t.Fatal("a change reported before any was made")
	case <-time.After(500 * time.Millisecond):
	}
	ctx := context.Background()
	for i := range 3 {
		saved := time.Now()
		MustUpdate(t, other, func(tx booking.Tx) error { return tx.CreateAppointment(ctx, f.dosing(f.at(1+i, 9, 0))) })
		select {
		case at := <-calls:
			if d := at.Sub(saved); d > time.Second {
				t.Fatalf("change %d reported after %v, want within a second", i+1, d)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("change %d was not reported", i+1)
		}
	}
	select {
	case <-calls:
		t.Fatal("a change reported twice")
	case <-time.After(500 * time.Millisecond):
	}
}

// BenchmarkWatch measures how long a change takes to reach another desk:
// from the commit at one connection to the Watch call at another, with
// the app's poll of 500 ms (docs/benchmarks.md, "Several workstations").
// Each save waits a random part of the poll first, as a desk's would.
func BenchmarkWatch(b *testing.B) {
	db := MustOpenDB(b)
	f := MustFixture(b, db)
	other := secondDesk(b, db)
	calls := watch(b, db, 500*time.Millisecond)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		start := f.at(1, 8, 0).AddDate(0, 0, i)
		i++
		// A desk saves at any moment of the poll, not just after one.
		time.Sleep(time.Duration(rand.Int64N(int64(500 * time.Millisecond))))
		saved := time.Now()
		MustUpdate(b, other, func(tx booking.Tx) error { return tx.CreateAppointment(ctx, f.dosing(start)) })
		select {
		case at := <-calls:
			lat = append(lat, at.Sub(saved))
		case <-time.After(3 * time.Second):
			b.Fatal("a change was not reported")
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
