package booking

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// PatientIndex finds patients by name, email or phone in memory, fast
// enough to search tens of thousands of patients on every keystroke. It is
// built once from Reader.FindPatients(ctx, "") and rebuilt when patients
// change; it is safe for concurrent searches but never changes itself.
//
// A search is case-insensitive and ignores common accents ("jose" finds
// "José"). Every word of the query must occur in the patient's name, email
// or phone, so "quinn av" finds Avery Quinn. A word made of digits and
// phone punctuation also matches the phone's digits alone, so
// "(617) 555-0101" and "6175550101" both find "+1 617 555 0101"; phone
// punctuation alone, such as "(", matches everyone.
type PatientIndex struct {
	entries []patientEntry // ordered by name, then id
}

type patientEntry struct {
	p   *Patient
	key string // folded name, email and phone, and the phone's digits
}

// NewPatientIndex indexes patients. It keeps the pointers, not copies; the
// caller must not change the patients afterwards.
func NewPatientIndex(patients []*Patient) *PatientIndex {
	x := &PatientIndex{entries: make([]patientEntry, 0, len(patients))}
	for _, p := range patients {
		if p == nil {
			continue
		}
		x.entries = append(x.entries, patientEntry{p: p, key: patientKey(p)})
	}
	// Ordered as the store orders FindPatients: by lower-cased name, then id.
	names := make([]string, len(x.entries))
	for i, e := range x.entries {
		names[i] = strings.ToLower(e.p.Name)
	}
	sort.Sort(byName{x.entries, names})
	return x
}

type byName struct {
	e     []patientEntry
	names []string
}

func (s byName) Len() int { return len(s.e) }
func (s byName) Less(i, j int) bool {
	if s.names[i] != s.names[j] {
		return s.names[i] < s.names[j]
	}
	return s.e[i].p.ID < s.e[j].p.ID
}
func (s byName) Swap(i, j int) {
	s.e[i], s.e[j] = s.e[j], s.e[i]
	s.names[i], s.names[j] = s.names[j], s.names[i]
}

// Len returns how many patients the index holds.
func (x *PatientIndex) Len() int {
	if x == nil {
		return 0
	}
	return len(x.entries)
}

// Search returns up to limit patients matching q, ordered by name (limit
// 0 or less: all of them), and how many match in all. An empty or blank q
// matches every patient.
func (x *PatientIndex) Search(q string, limit int) (matches []*Patient, total int) {
	if x == nil {
		return nil, 0
	}
	m := x.Match(q)
	return m.Patients(limit), m.Len()
}

// PatientMatches are the patients one query matched, ordered by name. A
// search box refines them as the user types (Refine), which looks only
// at the patients that still can match.
type PatientMatches struct {
	x    *PatientIndex
	q    string
	all  bool            // every patient matched (idx unused)
	idx  []int32         // the matching entries, in order
	from *PatientMatches // what these were refined from, nil for a fresh search
}

// Match returns the patients matching q.
func (x *PatientIndex) Match(q string) *PatientMatches {
	if x == nil {
		x = &PatientIndex{}
	}
	return x.match(q, nil)
}

// match searches the patients of within, or all of them when within is
// nil or matched everyone.
func (x *PatientIndex) match(q string, within *PatientMatches) *PatientMatches {
	out := &PatientMatches{x: x, q: q, from: within}
	pq := newPatientQuery(q)
	if len(pq.words) == 0 {
		out.all = true
		return out
	}
	if within == nil || within.all {
		for i := range x.entries {
			if pq.match(x.entries[i].key) {
				out.idx = append(out.idx, int32(i))
			}
		}
		return out
	}
	for _, i := range within.idx {
		if pq.match(x.entries[i].key) {
			out.idx = append(out.idx, i)
		}
	}
	return out
}

// Refine returns the patients matching q. It searches only the patients
// of the longest earlier query that q extends, among m and those m was
// refined from: every patient that matches a query also matches each of
// its prefixes. So typing searches fewer patients with every character,
// and a backspace returns the earlier matches at once.
func (m *PatientMatches) Refine(q string) *PatientMatches {
	for b := m; b != nil; b = b.from {
		if q == b.q {
			return b
		}
		if strings.HasPrefix(q, b.q) && utf8.ValidString(b.q) {
			return m.x.match(q, b)
		}
	}
	return m.x.match(q, nil)
}

// Len returns how many patients matched.
func (m *PatientMatches) Len() int {
	if m.all {
		return len(m.x.entries)
	}
	return len(m.idx)
}

// Patients returns the first limit patients that matched, ordered by
// name (limit 0 or less: all of them).
func (m *PatientMatches) Patients(limit int) []*Patient {
	n := m.Len()
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]*Patient, n)
	for i := range out {
		e := i
		if !m.all {
			e = int(m.idx[i])
		}
		out[i] = m.x.entries[e].p
	}
	return out
}

// patientQuery is a search prepared once for all the patients.
type patientQuery struct {
	words []queryWord
	// digits is the whole query's digits when it looks like a phone number
	// typed with spaces ("617 555 0101"): it may match the phone's digits.
	digits string
}

// queryWord is one word of a query and, when it looks like part of a
// phone number, its digits.
type queryWord struct{ text, digits string }

func newPatientQuery(q string) patientQuery {
	// A control character (a pasted tab, the key's field separator) parts
	// words like a space, so no word matches across two fields.
	q = foldText(strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, q))
	var m patientQuery
	for _, w := range strings.Fields(q) {
		qw := queryWord{text: w}
		if phoneLike(w) {
			d := digitsOf(w)
			if d == "" {
				// "(" or "+": the start of a phone number, which
				// matches nothing yet and so narrows nothing.
				continue
			}
			if d != w {
				qw.digits = d
			}
		}
		m.words = append(m.words, qw)
	}
	if len(m.words) > 1 && phoneLike(q) {
		m.digits = digitsOf(q)
	}
	return m
}

func (m *patientQuery) match(key string) bool {
	if m.digits != "" && strings.Contains(key, m.digits) {
		return true
	}
	for _, w := range m.words {
		if strings.Contains(key, w.text) {
			continue
		}
		if w.digits != "" && strings.Contains(key, w.digits) {
			continue
		}
		return false
	}
	return true
}

// patientKey is what a search looks in: the folded name, email and phone
// and the phone's digits, apart so that no word matches across two.
func patientKey(p *Patient) string {
	return foldText(p.Name) + "\x1f" + foldText(p.Email) + "\x1f" + foldText(p.Phone) + "\x1f" + digitsOf(p.Phone)
}

// phoneLike reports whether s has only the characters of a phone number.
func phoneLike(s string) bool {
	return strings.Trim(s, "0123456789+-.() ") == ""
}

// digitsOf returns the ASCII digits of s.
func digitsOf(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, s)
}

// foldText case-folds s and takes the accents off letters in every script
// ("Zoë" and "ZOE" both fold to "zoe", "Ἀθηνᾶ" to "αθηνα"), so that a
// search need not match either: Unicode case folding, then canonical
// decomposition with the combining marks dropped. The few letters that
// Unicode does not decompose (ø, ł, đ, æ…) get their plain spelling from
// plainLetters.
func foldText(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	t := transform.Chain(cases.Fold(), norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = strings.ToLower(s)
	}
	return plainLetters.Replace(folded)
}

// plainLetters spells the lower-case letters that have no Unicode
// decomposition as the plain letters people type for them.
var plainLetters = strings.NewReplacer("æ", "ae", "œ", "oe", "ø", "o", "đ", "d", "ł", "l", "ı", "i", "þ", "th", "ð", "d", "ħ", "h", "ŧ", "t", "ŀ", "l")
