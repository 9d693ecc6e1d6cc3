package reminder_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// templateClinic is the demo clinic in a fresh database with Jane Doe
// booked on kap-standard from Monday 1 March 2027.
type templateClinic struct {
	path   string
	db     *store.DB
	svc    *booking.Service
	jane   *booking.Patient
	series *booking.Series
	comp   *reminder.Composer // made once, as a running dispatcher's is
}

func newTemplateClinic(t *testing.T) *templateClinic {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2027, 2, 22, 14, 0, 0, 0, time.UTC)
	c := &templateClinic{path: filepath.Join(t.TempDir(), "clinic.db")}
	db, err := store.Create(c.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c.db = db
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		t.Fatal(err)
	}
	c.svc = &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "test"}
	c.jane = &booking.Patient{Name: "Jane Doe", Email: "jane@example.org"}
	if err := c.svc.AddPatient(ctx, c.jane); err != nil {
		t.Fatal(err)
	}
	from, _ := booking.ParseDate("2027-03-01")
	if c.series, err = c.svc.BookSeries(ctx, booking.BookRequest{PatientID: c.jane.ID, ProtocolID: "kap-standard", From: from}); err != nil {
		t.Fatal(err)
	}
	return c
}

// clinic returns the clinic as stored.
func (c *templateClinic) clinic(t *testing.T) *booking.Clinic {
	t.Helper()
	cl, err := c.db.Clinic(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// audits counts the audit entries of action.
func (c *templateClinic) audits(t *testing.T, action string) int {
	t.Helper()
	list, err := c.db.Audit(context.Background(), booking.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list {
		if e.Action == action {
			n++
		}
	}
	return n
}

// compose composes kind about appts, with the clinic as stored now, with
// the composer Setup gave the first time: a template saved since is used
// without a new Setup.
func (c *templateClinic) compose(t *testing.T, kind reminder.Kind, appts ...*booking.Appointment) (subject, text, html string) {
	t.Helper()
	ctx := context.Background()
	if c.comp == nil {
		comp, _, err := reminder.Setup(ctx, c.db, c.path)
		if err != nil {
			t.Fatal(err)
		}
		c.comp = comp
	}
	pat, err := c.db.Patient(ctx, c.jane.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := reminder.Message{Kind: kind, Clinic: c.clinic(t), Patient: pat}
	if len(appts) == 1 {
		m.Appointment = appts[0]
	} else {
		m.Appointments = appts
	}
	e, err := c.comp.Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	return e.Subject, string(e.Text), string(e.HTML)
}

const customReminder = `{{define "subject"}}See you on {{.Date}}{{end}}
{{define "text"}}Dear {{.FirstName}},
we look forward to seeing you at {{.StartTime}}.
{{template "footer" .}}{{end}}
`

// A saved template is checked, stored with the clinic, audited, used by
// the composer Setup returns (the other part staying the default), listed
// as the clinic's own, and reset to the default.
func TestSaveTemplate_UsedAndReset(t *testing.T) {
	ctx := context.Background()
	c := newTemplateClinic(t)
	a := c.series.Appts[0]
	defSubject, _, defHTML := c.compose(t, reminder.Reminder, a)

	if err := reminder.SaveTemplate(ctx, c.svc, reminder.Reminder, customReminder, reminder.TemplateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := c.clinic(t).Templates["reminder"]; got.Text != customReminder || got.HTML != "" {
		t.Fatalf("stored=%+v, want the text part only", got)
	}
	if n := c.audits(t, "email-template"); n != 1 {
		t.Fatalf("audit entries=%d, want 1", n)
	}
	subject, text, html := c.compose(t, reminder.Reminder, a)
	if subject != "See you on Monday 1 March 2027" || !strings.HasPrefix(text, "Dear Jane,\nwe look forward to seeing you at ") {
		t.Fatalf("custom reminder: subject=%q text=%q", subject, text)
	}
	if html != strings.Replace(defHTML, defSubject, subject, 1) {
		t.Fatalf("HTML part changed with the text template:\n%s", html)
	}
	if other, _, _ := c.compose(t, reminder.Confirmation, c.series.Appts...); strings.HasPrefix(other, "See you") {
		t.Fatalf("the confirmation uses the reminder's template: %q", other)
	}
	list := reminder.TemplateList(c.clinic(t))
	if len(list) != len(reminder.Kinds) || !list[1].OwnText || list[1].OwnHTML || list[0].OwnText || list[1].Problem != "" {
		t.Fatalf("TemplateList=%+v, want only the reminder's text as the clinic's own", list)
	}

	if err := reminder.ResetTemplate(ctx, c.svc, reminder.Reminder); err != nil {
		t.Fatal(err)
	}
	if cl := c.clinic(t); cl.Templates != nil {
		t.Fatalf("templates after reset=%+v, want none", cl.Templates)
	}
	if subject, _, _ := c.compose(t, reminder.Reminder, a); subject != defSubject {
		t.Fatalf("subject after reset=%q, want %q", subject, defSubject)
	}
}

// A broken template is refused with the line and what is wrong, in
// words, and nothing changes: neither the stored templates nor the audit.
func TestSaveTemplate_Refused(t *testing.T) {
	ctx := context.Background()
	c := newTemplateClinic(t)
	if err := reminder.SaveTemplate(ctx, c.svc, reminder.Reminder, customReminder, reminder.TemplateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		html       bool
		want       string
	}{
		{"ErrUnknownVariable", strings.Replace(customReminder, ".StartTime", ".Starttime", 1), false, "reminder text template, line 3: there is no variable .Starttime"},
		{"ErrNotClosed", `{{define "subject"}}Hi{{end}}` + "\n" + `{{define "text"}}{{if .Video}}x{{end}}`, false, "line 2: something is not closed"},
		{"ErrFunction", `{{define "subject"}}{{upper .Date}}{{end}}{{define "text"}}x{{end}}`, false, "line 1: there is no function upper"},
		{"ErrNoBlock", `{{define "subject"}}Hi{{end}}{{define "text"}}{{template "signature" .}}{{end}}`, false, `there is no block "signature"`},
		{"ErrNoText", `{{define "subject"}}Hi{{end}}`, false, `it defines no "text"`},
		{"ErrEmptySubject", `{{define "subject"}}{{if .Video}}Call{{end}}{{end}}{{define "text"}}x{{end}}`, false, "the subject is empty"},
		{"ErrHTMLVariable", `{{define "html"}}<p>` + "\n" + `{{.Diagnosis}}</p>{{end}}`, true, "reminder HTML template, line 2: there is no variable .Diagnosis"},
		{"ErrNoHTML", `<p>Hello</p>`, true, `it defines no "html"`},
		{"ErrEmpty", "  \n", false, "is empty"},
		{"ErrRevealingLine", strings.Replace(customReminder, "look forward", "look forward to your ketamine session and", 1), false, `line 3, says "ketamine"`},
		{"ErrRevealingRendered", strings.Replace(customReminder, "{{.StartTime}}", `{{.StartTime}} {{printf "%s%s" "infu" "sion"}}`, 1), false, `text would say "infusion"`},
		{"ErrRevealingHTML", `{{define "html"}}<p>Your dosing session</p>{{end}}`, true, `line 1, says "dosing"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := reminder.SaveTemplate(ctx, c.svc, reminder.Reminder, tc.text, reminder.TemplateOptions{HTML: tc.html})
			if booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("SaveTemplate=%v, want EINVALID", err)
			}
			if msg := booking.ErrorMessage(err); !strings.Contains(msg, tc.want) || strings.Contains(msg, "reminder.Data") || strings.Contains(msg, "executing") {
				t.Fatalf("message=%q, want it to say %q in words", msg, tc.want)
			}
			if got := c.clinic(t).Templates["reminder"]; got.Text != customReminder || got.HTML != "" {
				t.Fatalf("stored=%+v after a refused template, want it unchanged", got)
			}
			if n := c.audits(t, "email-template"); n != 1 {
				t.Fatalf("audit entries=%d, want still 1", n)
			}
		})
	}
	if err := reminder.SaveTemplate(ctx, c.svc, "invoice", customReminder, reminder.TemplateOptions{}); booking.ErrorCode(err) != booking.EINVALID {
		t.Fatalf("unknown kind: %v, want EINVALID", err)
	}
}

// A clinic that chooses to name the treatment may, with AllowRevealing.
func TestSaveTemplate_AllowRevealing(t *testing.T) {
	ctx := context.Background()
	c := newTemplateClinic(t)
	text := strings.Replace(customReminder, "See you", "Your dosing session", 1)
	if err := reminder.SaveTemplate(ctx, c.svc, reminder.Reminder, text, reminder.TemplateOptions{AllowRevealing: true}); err != nil {
		t.Fatal(err)
	}
	if subject, _, _ := c.compose(t, reminder.Reminder, c.series.Appts[0]); subject != "Your dosing session on Monday 1 March 2027" {
		t.Fatalf("subject=%q", subject)
	}
}

// A stored template that no longer works (only a hand-edited database can
// hold one) is not used: the default is sent, and the list says why.
func TestClinicTemplates_BrokenFallsBack(t *testing.T) {
	cl := &booking.Clinic{Templates: map[string]booking.TemplateText{
		"reminder":     {Text: `{{define "subject"}}{{.Nope}}{{end}}{{define "text"}}x{{end}}`},
		"cancellation": {Text: `{{define "subject"}}Cancelled{{end}}{{define "text"}}Cancelled.{{end}}`},
	}}
	ts, broken := reminder.ClinicTemplates(cl)
	if ts[reminder.Reminder] != nil || ts[reminder.Cancellation] == nil || len(ts) != 1 {
		t.Fatalf("templates=%v, want only the working cancellation", ts)
	}
	if broken[reminder.Reminder] == nil || len(broken) != 1 {
		t.Fatalf("broken=%v, want the reminder", broken)
	}
	for _, st := range reminder.TemplateList(cl) {
		if (st.Kind == reminder.Reminder) != strings.Contains(st.Problem, "there is no variable .Nope") {
			t.Fatalf("%s: problem=%q", st.Kind, st.Problem)
		}
	}
}

// PreviewTemplate shows the clinic's template with the clinic's own name,
// phone and sender, and detailed instructions; a revealing clinic name is
// left out as in real messages.
func TestPreviewTemplate(t *testing.T) {
	cl := &booking.Clinic{Name: "Lakeside Care", Phone: "+1 207 555 0100", Address: "1 Lake Road",
		Email:     &booking.EmailSettings{Transport: booking.EmailEMLDir, FromName: "Lakeside front desk"},
		Templates: map[string]booking.TemplateText{"reminder": {Text: customReminder}}}
	r, err := reminder.PreviewTemplate(cl, reminder.Reminder)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "See you on Monday 1 March 2027" || !strings.Contains(r.Text, "please call Lakeside Care at +1 207 555 0100") ||
		!strings.HasSuffix(r.Text, "Lakeside front desk\n") {
		t.Fatalf("preview: %q\n%s", r.Subject, r.Text)
	}
	r, err = reminder.PreviewTemplate(cl, reminder.Preparation)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "No food for 6 hours") || !strings.Contains(r.HTML, "<li>No food for 6 hours") || !strings.Contains(r.Text, "Place: 1 Lake Road") {
		t.Fatalf("preparation preview without the detailed instructions or the address:\n%s", r.Text)
	}
	cl.Name, cl.Email = "Lakeside Ketamine Clinic", nil
	if r, err = reminder.PreviewTemplate(cl, reminder.Confirmation); err != nil || strings.Contains(r.Text, "Ketamine") || !strings.Contains(r.Text, "\nAppointments\n") {
		t.Fatalf("preview with a revealing clinic name (%v):\n%s", err, r.Text)
	}
	cl.Templates["update"] = booking.TemplateText{Text: `{{define "subject"}}{{.Nope}}{{end}}{{define "text"}}x{{end}}`}
	var te *reminder.TemplateError
	if _, err := reminder.PreviewTemplate(cl, reminder.Update); !errors.As(err, &te) || te.Kind != reminder.Update {
		t.Fatalf("preview of a broken template: %v, want its TemplateError", err)
	}
}

// docs/email.md documents every variable a template can use: every field
// of Data and of Slot.
func TestDocsListEveryVariable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "email.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, typ := range []reflect.Type{reflect.TypeFor[reminder.Data](), reflect.TypeFor[reminder.Slot]()} {
		for i := range typ.NumField() {
			name := typ.Field(i).Name
			if !regexp.MustCompile("`\\." + name + "`").MatchString(doc) {
				t.Errorf("docs/email.md does not document {{.%s}} of %s", name, typ.Name())
			}
		}
	}
}

// BenchmarkCheck checks a clinic's template as saving it does: parsing it
// with the layout and rendering it with every sample.
func BenchmarkCheck(b *testing.B) {
	def, err := reminder.DefaultSource(reminder.Reminder)
	if err != nil {
		b.Fatal(err)
	}
	s := reminder.Source{Kind: reminder.Reminder, Text: customReminder, HTML: def.HTML}
	for b.Loop() {
		if err := reminder.Check(s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/check")
}

// BenchmarkClinicTemplates parses a clinic's own templates of every kind,
// as Setup does once per dispatcher.
func BenchmarkClinicTemplates(b *testing.B) {
	cl := &booking.Clinic{Templates: map[string]booking.TemplateText{}}
	for _, k := range reminder.Kinds {
		s, err := reminder.DefaultSource(k)
		if err != nil {
			b.Fatal(err)
		}
		cl.Templates[string(k)] = booking.TemplateText{Text: s.Text + "\n", HTML: s.HTML + "\n"}
	}
	for b.Loop() {
		if ts, broken := reminder.ClinicTemplates(cl); len(ts) != len(reminder.Kinds) || broken != nil {
			b.Fatalf("templates=%d broken=%v", len(ts), broken)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/setup")
}
