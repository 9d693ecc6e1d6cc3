package reminder_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// A template that makes a huge message, for everyone or only for one of
// the demo patients, is refused when it is saved, within the caps: the
// loops below would write gigabytes without them.
func TestSaveTemplate_Caps(t *testing.T) {
	ctx := context.Background()
	c := newTemplateClinic(t)
	if err := reminder.SaveTemplate(ctx, c.svc, reminder.Reminder, customReminder, reminder.TemplateOptions{}); err != nil {
		t.Fatalf("a normal template: %v", err)
	}
	for _, tc := range []struct {
		name, text string
		html       bool
		want       string
	}{
		{"ErrHugeText", `{{define "subject"}}Hi{{end}}{{define "text"}}{{range 30000}}0123456789{{end}}{{end}}`, false, "plain text is larger than 256 KB"},
		{"ErrHugeSubject", `{{define "subject"}}{{range 1000}}Hi {{end}}{{end}}{{define "text"}}x{{end}}`, false, "subject is larger than 2 KB"},
		{"ErrHugeHTML", `{{define "html"}}{{range 40000}}<p>x</p>{{end}}{{end}}`, true, "HTML is larger than 256 KB"},
		{"ErrHugeLoop", `{{define "subject"}}Hi{{end}}{{define "text"}}{{if eq .FirstName "Finley"}}{{range 200000000}}{{end}}{{end}}{{end}}`, false, "could repeat more than 100000 times"},
		{"ErrNestedLoops", `{{define "subject"}}Hi{{end}}{{define "text"}}{{range 400}}{{range .Appointments}}{{template "x" .}}{{end}}{{end}}{{end}}{{define "x"}}{{range 5}}.{{end}}{{end}}`, false, "could repeat more than 100000 times"},
		{"ErrRecursion", `{{define "subject"}}Hi{{end}}{{define "text"}}{{template "r" .}}{{end}}{{define "r"}}{{if eq .FirstName "Finley"}}{{range 3}}{{template "r" .}}{{end}}{{end}}{{end}}`, false, `block "r" calls itself`},
		{"ErrLongSubject", `{{define "subject"}}{{range 30}}Your appointment {{end}}{{end}}{{define "text"}}x{{end}}`, false, "may hold at most 200"},
		{"ErrHugeForFinley", `{{define "subject"}}Hi{{end}}{{define "text"}}Hello {{.FirstName}}` +
			`{{if eq .FirstName "Finley"}}{{range 30000}}0123456789{{end}}{{end}}{{end}}`, false, "plain text is larger than 256 KB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := reminder.SaveTemplate(ctx, c.svc, reminder.Reminder, tc.text, reminder.TemplateOptions{HTML: tc.html})
			if booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("SaveTemplate=%v, want EINVALID", err)
			}
			if msg := booking.ErrorMessage(err); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "Nothing was saved.") {
				t.Fatalf("message=%q, want it to say %q and that nothing was saved", msg, tc.want)
			}
			if got := c.clinic(t).Templates["reminder"]; got.Text != customReminder || got.HTML != "" {
				t.Fatalf("stored=%+v after a refused template, want it unchanged", got)
			}
		})
	}
}

// A template that goes over a cap only for a name no sample has is saved,
// but the one message it makes too large fails for good with the reason,
// and the dispatcher sends the other patient's message all the same.
func TestDispatcher_CapFailsOneMessage(t *testing.T) {
	ctx := context.Background()
	f := newOutboxFixture(t)
	robin := &booking.Patient{Name: "Robin Vale", Email: "robin@example.org"}
	if err := f.svc.AddPatient(ctx, robin); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BookSeries(ctx, booking.BookRequest{PatientID: robin.ID, ProtocolID: "kap-standard", From: day(2027, 3, 8)}); err != nil {
		t.Fatal(err)
	}
	text := `{{define "subject"}}Your appointments{{end}}{{define "text"}}Hello {{.FirstName}},
{{if eq .FirstName "Robin"}}{{range 30000}}0123456789{{end}}{{end}}see you on {{.Date}}.{{end}}`
	if err := reminder.SaveTemplate(ctx, f.svc, reminder.Confirmation, text, reminder.TemplateOptions{}); err != nil {
		t.Fatalf("SaveTemplate=%v, want it saved: no sample is called Robin", err)
	}
	now := f.booked
	d := f.dispatcher(t, f.db, &now, nil)
	rep := run(t, d)
	if rep.Sent != 1 || rep.Failed != 1 || rep.Retrying != 0 {
		t.Fatalf("report: sent %d, failed %d, retrying %d; want 1, 1, 0", rep.Sent, rep.Failed, rep.Retrying)
	}
	for _, m := range f.outbox(t) {
		if m.Kind != booking.MessageConfirmation {
			continue
		}
		switch m.PatientID {
		case robin.ID:
			if m.State != booking.OutboxFailed || !strings.Contains(m.LastError, "larger than 256 KB") || !strings.Contains(m.LastError, "Nothing was sent") {
				t.Fatalf("Robin's confirmation: state %s, error %q; want failed, saying the cap", m.State, m.LastError)
			}
		case f.patient.ID:
			if m.State != booking.OutboxSent {
				t.Fatalf("Jane's confirmation: state %s (%s), want sent", m.State, m.LastError)
			}
		}
	}
	if rep := run(t, d); rep.Failed != 0 || rep.Sent != 0 {
		t.Fatalf("second run: sent %d, failed %d; want nothing tried again", rep.Sent, rep.Failed)
	}
	if got := f.files(t); got != 1 {
		t.Fatalf(".eml files=%d, want 1", got)
	}
}
