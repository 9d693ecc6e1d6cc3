package main

import (
	"strings"
	"testing"
)

// TestTreatmentWords: the sender's name may not name the treatment in any
// of the clinic's languages until the clinic says so, and that choice is
// shown, audited and can be taken back (issue 13, item 2).
func TestTreatmentWords(t *testing.T) {
	c := mustDemo(t)
	before := c.state()
	r := c.run("email", "set", "--transport", "eml-dir", "--from", "citas@example.org", "--from-name", "Clínica Ketamina")
	assertRefused(t, r)
	if !strings.Contains(r.stderr, `"Ketamina"`) || !strings.Contains(r.stderr, "clinic treatment-words allow") {
		t.Fatalf("stderr=%q, want the word and the way to allow it", r.stderr)
	}
	if c.state() != before {
		t.Fatal("a refused email set changed the database")
	}
	if out := c.ok("clinic", "treatment-words"); !strings.Contains(out, "may not name") {
		t.Fatalf("clinic treatment-words=%q, want the default (refuse)", out)
	}
	assertRefused(t, c.run("clinic", "treatment-words", "maybe"))

	c.ok("clinic", "treatment-words", "allow")
	var got struct {
		Allowed bool `json:"treatment_words_allowed"`
	}
	c.json(&got, "clinic", "treatment-words")
	if !got.Allowed {
		t.Fatal("clinic treatment-words --json after allow: not allowed")
	}
	c.ok("email", "set", "--transport", "eml-dir", "--from", "citas@example.org", "--from-name", "Clínica Ketamina")
	if audit := c.ok("audit"); !strings.Contains(audit, "treatment-words") {
		t.Fatalf("audit lacks the clinic's choice:\n%s", audit)
	}
	c.ok("clinic", "treatment-words", "refuse")
	c.json(&got, "clinic", "treatment-words")
	if got.Allowed {
		t.Fatal("clinic treatment-words after refuse: still allowed")
	}
}
