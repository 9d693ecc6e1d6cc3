package patients

import (
	"context"
	"fmt"
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// BenchmarkSearchKeystroke50k types queries into the Patients screen's
// search field one character at a time over 50,000 patients and reports
// what one keystroke costs on the UI goroutine: the search, the list's
// refresh and the count. The test driver draws nothing, so painting is
// not included.
func BenchmarkSearchKeystroke50k(b *testing.B) {
	f := kittest.New(b, kittest.Options{})
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	ps := fakePatients(50000)
	v.setIndex(booking.NewPatientIndex(ps))
	var typed []string
	for _, q := range []string{"riley silva", "jamie.k", "(212) 555-0", "quinn"} {
		for i := 1; i <= len(q); i++ {
			typed = append(typed, q[:i])
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, q := range typed {
			v.search.SetText(q)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(typed)), "ms/keystroke")
	if len(v.rows) == 0 {
		b.Fatal("the last query found nobody")
	}
}

// fakePatients makes n patients with varied names, emails and phones.
func fakePatients(n int) []*booking.Patient {
	first := []string{"Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Jordan", "Kai", "Logan", "Riley", "Jamie", "Rowan", "Skyler", "Reese"}
	last := []string{"Quinn", "Morgan", "Rivera", "Brooks", "Patel", "Chen", "Okoro", "Lund", "Garcia", "Nguyen", "Kowalski", "Haddad", "Silva", "Cohen", "Rossi", "Novak", "Park"}
	ps := make([]*booking.Patient, n)
	for i := range ps {
		fn, ln := first[i%len(first)], last[(i/len(first)+i*7)%len(last)]
		ps[i] = &booking.Patient{ID: int64(i + 1), Name: fn + " " + ln,
			Email: fmt.Sprintf("%s.%s%d@example.org", fn, ln, i), Phone: fmt.Sprintf("+1 %03d 555 %04d", 200+i%800, i%10000)}
	}
	return ps
}

// BenchmarkListLoad50k loads 50,000 patients from a real database into
// the list's index, as the screen does off the UI goroutine when it first
// shows and after a patient's details change.
func BenchmarkListLoad50k(b *testing.B) {
	f := kittest.New(b, kittest.Options{})
	save50k(b, f)
	v := New(f.Env)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.index, v.seen = nil, 0
		v.loadList()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/load")
	if v.index.Len() != 50000 {
		b.Fatalf("loaded %d patients", v.index.Len())
	}
}

// BenchmarkStoreSearch50k measures one search through the store among
// 50,000 patients, as kapctl patient list --search and the Book screen's
// search box make it: the same matching as the index, run on the
// database's names, emails and phones.
func BenchmarkStoreSearch50k(b *testing.B) {
	f := kittest.New(b, kittest.Options{})
	ctx := context.Background()
	save50k(b, f)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		found, err := f.DB.FindPatients(ctx, "quinn riley")
		if err != nil {
			b.Fatal(err)
		}
		if len(found) == 0 {
			b.Fatal("found nobody")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
}

// save50k stores fakePatients(50000) in f's database.
func save50k(b *testing.B, f *kittest.Fixture) {
	ctx := context.Background()
	err := f.DB.Update(ctx, func(tx booking.Tx) error {
		for _, p := range fakePatients(50000) {
			p.ID = 0
			if err := tx.SavePatient(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
