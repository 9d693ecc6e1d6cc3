package booking

import (
	"strings"
	"testing"
)

// TestRevealingStems: every pattern of revealingWords begins with at
// least three letters (so the substring check in front of the regular
// expression can never pass over a match), and RevealsTreatment answers
// as the regular expression alone does, for words that name the
// treatment, for neutral text that shares their letters, and for text
// with neither.
func TestRevealingStems(t *testing.T) {
	for i, stem := range revealingStems {
		if len(stem) < 3 {
			t.Errorf("pattern %q begins with %q: fewer than three letters to search for", revealingWords[i], stem)
		}
	}
	texts := []string{
		"Ketamine Clinic", "Dosierung", "a dose", "the doser", "dosage", "KAP", "kapow", "ptsd", "aptsd", "Suchtberatung",
		"Besucht", "obsessive-compulsive", "obsessive compulsive", "obsessivecompulsive", "Venha depressa", "depressão",
		"Harbor Wellness", "https://meet.example.org/room-12", "Patient", "Dr. Maya Patel", "",
		"Your 15 appointments from Wednesday 9 February 2028", "suicidal", "Trauma-informed", "OCD", "ocdx",
	}
	for _, s := range texts {
		if got, want := RevealsTreatment(s), revealing.MatchString(foldWords(s)); got != want {
			t.Errorf("RevealsTreatment(%q) = %v, the regular expression says %v", s, got, want)
		}
	}
}

// FuzzRevealsTreatment: RevealsTreatment answers as the regular
// expression alone, whatever the text.
func FuzzRevealsTreatment(f *testing.F) {
	for _, w := range revealingWords {
		f.Add(strings.NewReplacer(`\b`, " ", "(", "", ")", "", "|", "", ".", "-").Replace(w))
	}
	f.Add("Harbor Wellness")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := RevealsTreatment(s), revealing.MatchString(foldWords(s)); got != want {
			t.Errorf("RevealsTreatment(%q) = %v, the regular expression says %v", s, got, want)
		}
	})
}
