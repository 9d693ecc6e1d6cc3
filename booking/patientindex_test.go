package booking_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

func indexPatients() []*booking.Patient {
	return []*booking.Patient{
		{ID: 1, Name: "Avery Quinn", Email: "avery.quinn@example.org", Phone: "+1 617 555 0101"},
		{ID: 2, Name: "blake Morgan", Email: "bm@example.org", Phone: "(617) 555-0102"},
		{ID: 3, Name: "José Núñez", Email: "jn@example.org"},
		{ID: 4, Name: "Casey Rivera", Email: "casey@rivera.example", Phone: "617.555.0199"},
		{ID: 5, Name: "Avery Quinn", Email: "other.avery@example.org", Phone: "+44 20 7946 0000"},
	}
}

func names(ps []*booking.Patient) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d %s", p.ID, p.Name))
	}
	return out
}

func TestPatientIndexSearch(t *testing.T) {
	x := booking.NewPatientIndex(indexPatients())
	for _, tt := range []struct {
		name, q string
		want    []string
	}{
		{"EmptyListsAllByName", "", []string{"1 Avery Quinn", "5 Avery Quinn", "2 blake Morgan", "4 Casey Rivera", "3 José Núñez"}},
		{"BlankListsAll", "   ", []string{"1 Avery Quinn", "5 Avery Quinn", "2 blake Morgan", "4 Casey Rivera", "3 José Núñez"}},
		{"NameCaseInsensitive", "AVERY", []string{"1 Avery Quinn", "5 Avery Quinn"}},
		{"WordsInAnyOrder", "quinn av", []string{"1 Avery Quinn", "5 Avery Quinn"}},
		{"NameAndEmailWords", "avery other", []string{"5 Avery Quinn"}},
		{"Email", "rivera.example", []string{"4 Casey Rivera"}},
		{"EmailPrefix", "BM@", []string{"2 blake Morgan"}},
		{"PhoneAsStored", "555-0102", []string{"2 blake Morgan"}},
		{"PhoneOtherPunctuation", "(617) 555-0101", []string{"1 Avery Quinn"}},
		{"PhoneDigitsOnly", "6175550199", []string{"4 Casey Rivera"}},
		{"PhoneWithSpaces", "617 555 01", []string{"1 Avery Quinn", "2 blake Morgan", "4 Casey Rivera"}},
		{"PhoneDotted", "555.0101", []string{"1 Avery Quinn"}},
		{"AccentsIgnored", "jose nunez", []string{"3 José Núñez"}},
		{"AccentsTyped", "NÚÑ", []string{"3 José Núñez"}},
		{"PhonePunctuationAlone", "( +", []string{"1 Avery Quinn", "5 Avery Quinn", "2 blake Morgan", "4 Casey Rivera", "3 José Núñez"}},
		{"NoMatch", "zebra", []string{}},
		{"NoMatchAcrossFields", "quinnavery", []string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, total := x.Search(tt.q, 0)
			if g := names(got); !slices.Equal(g, tt.want) {
				t.Fatalf("Search(%q)=%q, want %q", tt.q, g, tt.want)
			}
			if total != len(tt.want) {
				t.Fatalf("total=%d, want %d", total, len(tt.want))
			}
		})
	}
}

func TestPatientIndexLimit(t *testing.T) {
	x := booking.NewPatientIndex(indexPatients())
	got, total := x.Search("example", 2)
	if g, want := names(got), []string{"1 Avery Quinn", "5 Avery Quinn"}; !slices.Equal(g, want) {
		t.Fatalf("Search limited=%q, want %q", g, want)
	}
	if total != 5 {
		t.Fatalf("total=%d, want 5", total)
	}
	if x.Len() != 5 {
		t.Fatalf("Len=%d, want 5", x.Len())
	}
	var nilIndex *booking.PatientIndex
	if got, total := nilIndex.Search("a", 10); got != nil || total != 0 || nilIndex.Len() != 0 {
		t.Fatalf("nil index found %d (%d)", len(got), total)
	}
}

// TestPatientIndexMatchesStoreOrder checks the index orders as
// Reader.FindPatients does: by lower-cased name, then id, whatever the
// input order.
func TestPatientIndexMatchesStoreOrder(t *testing.T) {
	ps := indexPatients()
	slices.Reverse(ps)
	got, _ := booking.NewPatientIndex(ps).Search("", 0)
	if g, want := names(got), []string{"1 Avery Quinn", "5 Avery Quinn", "2 blake Morgan", "4 Casey Rivera", "3 José Núñez"}; !slices.Equal(g, want) {
		t.Fatalf("order=%q, want %q", g, want)
	}
}

// Refining as the user types finds exactly what a fresh search finds,
// for every prefix of the query, and after a backspace.
func TestPatientMatchesRefine(t *testing.T) {
	x := booking.NewPatientIndex(fakePatients(3000))
	for _, q := range []string{"riley silva", "JAMIE.k", "(212) 555-0", "212 555 00", "+1 2", "müller", "quinn  av", "a1"} {
		m := x.Match("")
		r := []rune(q)
		for i := 1; i <= len(r); i++ {
			p := string(r[:i])
			m = m.Refine(p)
			want, total := x.Search(p, 0)
			if got := names(m.Patients(0)); !slices.Equal(got, names(want)) || m.Len() != total {
				t.Fatalf("refined to %q: %d matches, a fresh search finds %d", p, m.Len(), total)
			}
		}
		back := q[:len(q)/2]
		m = m.Refine(back)
		if want, total := x.Search(back, 0); m.Len() != total || !slices.Equal(names(m.Patients(0)), names(want)) {
			t.Fatalf("after backspacing to %q: %d matches, want %d", back, m.Len(), total)
		}
		if m.Len() == 0 && q != "a1" {
			t.Fatalf("%q matches nobody: the test proves little", back)
		}
	}
}

// fakePatients makes n patients with varied names, emails and phones.
func fakePatients(n int) []*booking.Patient {
	first := []string{"Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Jordan", "Kai", "Logan", "Morgan", "Noa", "Parker", "Quinn", "Riley", "Sage", "Taylor", "Jamie", "Rowan", "Skyler", "Dakota", "Reese", "Elliot"}
	last := []string{"Quinn", "Morgan", "Rivera", "Brooks", "Patel", "Chen", "Okoro", "Lund", "Garcia", "Nguyen", "Smith", "Kowalski", "Haddad", "Ivanova", "Müller", "Sato", "Andersen", "Mensah", "O'Brien", "Silva", "Cohen", "Kaur", "Rossi", "Dubois", "Jensen", "Novak", "Park", "Ali"}
	out := make([]*booking.Patient, n)
	for i := range out {
		f, l := first[i%len(first)], last[(i/len(first)+i*7)%len(last)]
		out[i] = &booking.Patient{
			ID:      int64(i + 1),
			Name:    fmt.Sprintf("%s %s", f, l),
			Email:   fmt.Sprintf("%s.%s%d@example.org", f, l, i),
			Phone:   fmt.Sprintf("+1 %03d 555 %04d", 200+i%800, i%10000),
			Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		}
	}
	return out
}

// typedQueries are realistic searches, typed one character at a time.
func typedQueries() []string {
	var out []string
	for _, q := range []string{"riley silva", "jamie.k", "(212) 555-0", "quinn"} {
		for i := 1; i <= len(q); i++ {
			out = append(out, q[:i])
		}
	}
	return out
}

// BenchmarkPatientSearch50k types realistic queries into a search over
// 50,000 patients one character at a time, refining the matches as the
// Patients screen does, and reports the cost of one keystroke's search.
func BenchmarkPatientSearch50k(b *testing.B) {
	x := booking.NewPatientIndex(fakePatients(50000))
	typed := typedQueries()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := x.Match("")
		for _, q := range typed {
			if len(q) == 1 {
				m = x.Match("")
			}
			m = m.Refine(q)
			m.Patients(1000)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(typed)), "ms/keystroke")
}

// BenchmarkPatientSearch50kFresh searches the whole index for every
// keystroke of the same queries: the cost of a pasted query or a
// backspace, the worst case.
func BenchmarkPatientSearch50kFresh(b *testing.B) {
	x := booking.NewPatientIndex(fakePatients(50000))
	typed := typedQueries()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, q := range typed {
			x.Search(q, 1000)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(typed)), "ms/keystroke")
}

// BenchmarkPatientIndexBuild50k measures building the index of 50,000
// patients, which the Patients screen does off the UI goroutine after
// every change.
func BenchmarkPatientIndexBuild50k(b *testing.B) {
	ps := fakePatients(50000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		booking.NewPatientIndex(ps)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/build")
}

// TestPatientIndexFoldsEveryScript checks that a search ignores case and
// accents in every script, including the letters Unicode does not
// decompose, and the order of the words.
func TestPatientIndexFoldsEveryScript(t *testing.T) {
	for name, query := range map[string]string{
		"Zoë Brontë":   "zoe bronte",
		"ZOË ADAMS":    "adams zoë",
		"Anna Straße":  "strasse",
		"Søren Łukasz": "lukasz soren",
		"Ἀθηνᾶ Παππᾶ":  "αθηνα",
		"Ёлка Петрова": "петрова елка",
		"Nguyễn Văn":   "van nguyen",
	} {
		x := booking.NewPatientIndex([]*booking.Patient{{ID: 1, Name: name}, {ID: 2, Name: "Avery Quinn"}})
		got, total := x.Search(query, 0)
		if total != 1 || got[0].Name != name {
			t.Errorf("search %q over %q found %d: %v", query, name, total, got)
		}
	}
}
