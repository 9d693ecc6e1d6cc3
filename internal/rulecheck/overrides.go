package rulecheck

import "strings"

// This file decides which broken rules an override covers
// (docs/protocols.md, "How an override is recorded").

// covered reports whether an override covers the finding: one of its
// words is in the note of an override entry of one of its appointments.
// A concurrent-series finding is decided where it is found.
func (c *checker) covered(f finding) bool {
	if f.overridden {
		return true
	}
	if len(f.cover) == 0 {
		return false
	}
	if c.overrideNotes == nil {
		c.indexOverrides()
	}
	for _, id := range f.v.Appointments {
		for _, note := range c.overrideNotes[id] {
			for _, words := range f.cover {
				if mentions(note, words) {
					return true
				}
			}
		}
	}
	return false
}

// indexOverrides collects the notes of override entries, in lower case,
// by appointment.
func (c *checker) indexOverrides() {
	c.overrideNotes = map[int64][]string{}
	for _, e := range c.audit {
		if e.action == "override" && e.appointment != 0 {
			c.overrideNotes[e.appointment] = append(c.overrideNotes[e.appointment], strings.ToLower(e.note))
		}
	}
}

// mentions reports whether note contains words, not followed by a digit:
// "after dosing 1" is not in "after dosing 12".
func mentions(note, words string) bool {
	words = strings.ToLower(words)
	for from := 0; ; {
		i := strings.Index(note[from:], words)
		if i < 0 {
			return false
		}
		end := from + i + len(words)
		if end == len(note) || note[end] < '0' || note[end] > '9' {
			return true
		}
		from += i + 1
	}
}
