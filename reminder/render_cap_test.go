package reminder

import (
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// A template that loops without writing anything is stopped by the time
// cap, lowered here so that the test is quick; its loop runs on in the
// background, and is short enough to end soon after.
func TestRender_TimeCap(t *testing.T) {
	old := renderTimeout
	renderTimeout = 50 * time.Millisecond
	// The loop cap refuses this loop when it is saved; the time cap is
	// the second guard, for whatever the loop cap lets through.
	oldLoops := maxLoopItems
	maxLoopItems = 1 << 40
	t.Cleanup(func() { renderTimeout, maxLoopItems = old, oldLoops })
	s, err := DefaultSource(Reminder)
	if err != nil {
		t.Fatal(err)
	}
	s.Text = `{{define "subject"}}Hi{{end}}{{define "text"}}{{if eq .FirstName "Robin"}}{{range 20000000}}{{end}}{{end}}Hello{{end}}`
	tmpl, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse=%v, want the template accepted: no sample is called Robin", err)
	}
	d := SampleData(Reminder)[0]
	d.FirstName = "Robin"
	_, err = tmpl.Render(d)
	if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), "takes longer than 0.05 seconds to fill in") {
		t.Fatalf("Render=%v, want EINVALID saying the time cap", err)
	}
	d.FirstName = "Jane"
	if r, err := tmpl.Render(d); err != nil || r.Text != "Hello" {
		t.Fatalf("Render for Jane=%q, %v; want Hello", r.Text, err)
	}
}
