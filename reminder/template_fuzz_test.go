package reminder

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kapbook/kapbook/booking"
)

// FuzzTemplate feeds Parse and Render the text and HTML parts a clinic
// could save: whatever they hold, Parse either refuses them with a
// TemplateError or accepts a template whose every rendering stays within
// the caps or fails with words (docs/security.md, "Clinic templates").
// make fuzz runs it.
func FuzzTemplate(f *testing.F) {
	def, err := DefaultSource(Reminder)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def.Text, def.HTML)
	f.Add(`{{define "subject"}}Hi{{end}}{{define "text"}}{{range 200000000}}x{{end}}{{end}}`, "")
	f.Add(`{{define "subject"}}{{range .Appointments}}{{.Date}} {{end}}{{end}}{{define "text"}}{{template "when" .}}{{end}}`, `{{define "html"}}<p>{{.FirstName}}</p>{{end}}`)
	f.Add(`{{define "subject"}}{{.ClinicName}}{{end}}{{define "text"}}{{template "t" .}}{{end}}{{define "t"}}{{template "t" .}}{{end}}`, "")
	f.Add(`{{define "subject"}}{{range 150}}Your appointment {{end}}{{end}}{{define "text"}}{{if eq .FirstName "Finley"}}{{range 99999}}0123456789{{end}}{{end}}{{end}}`, "")
	old := renderTimeout
	renderTimeout = 200 * time.Millisecond
	defer func() { renderTimeout = old }()
	f.Fuzz(func(t *testing.T, text, html string) {
		s := Source{Kind: Reminder, Text: text, HTML: html}
		if s.Text == "" {
			s.Text = def.Text
		}
		if s.HTML == "" {
			s.HTML = def.HTML
		}
		tmpl, err := Parse(s)
		if err != nil {
			var te *TemplateError
			words := booking.ErrorMessage(err)
			if errors.As(err, &te) {
				words = te.Message()
			} else if booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("Parse error %T %q, want a TemplateError or a cap's EINVALID", err, err)
			}
			if len(strings.Fields(words)) < 4 {
				t.Fatalf("Parse refused the template with %q, want words that say why", err)
			}
			return
		}
		for _, d := range SampleData(Reminder) {
			r, err := tmpl.Render(d)
			if err != nil {
				if strings.TrimSpace(err.Error()) == "" {
					t.Fatal("Render failed without saying why")
				}
				continue
			}
			if len(r.Subject) > MaxSubjectSize || utf8.RuneCountInString(r.Subject) > MaxSubjectRunes {
				t.Fatalf("subject of %d bytes, %d characters passed the caps", len(r.Subject), utf8.RuneCountInString(r.Subject))
			}
			if len(r.Text) > MaxBodySize || len(r.HTML) > MaxBodySize {
				t.Fatalf("text %d bytes, HTML %d bytes passed the %d-byte cap", len(r.Text), len(r.HTML), MaxBodySize)
			}
		}
	})
}
