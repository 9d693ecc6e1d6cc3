package reminder_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// fixture is the demo clinic with one booked series per default protocol.
type fixture struct {
	clinic   *booking.Clinic
	instance string
	now      time.Time
	// series by protocol id: the patient and the appointments.
	patients map[string]*booking.Patient
	appts    map[string][]*booking.Appointment
	protos   []*booking.Protocol
	svc      *booking.Service
}

var fixtureProtocols = []string{"kap-standard", "kap-iv", "esketamine-induction"}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{now: time.Date(2027, 2, 15, 9, 0, 0, 0, time.UTC), patients: map[string]*booking.Patient{}, appts: map[string][]*booking.Appointment{}}
	db, err := store.Create(filepath.Join(t.TempDir(), "clinic.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := resources.InitDemo(ctx, db, "test", f.now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return f.now }, Actor: "test"}
	f.svc = svc
	enrolled := day(2027, 2, 1)
	for i, proto := range fixtureProtocols {
		p := &booking.Patient{Name: "Jane Doe", Email: "patient" + strconv.Itoa(i) + "@example.org"}
		p.Consents.REMSEnrolled = &enrolled
		p.Consents.ScreeningCleared = &enrolled
		if err := svc.AddPatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: proto, From: day(2027, 3, 1)}); err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		list, err := db.Appointments(ctx, booking.AppointmentFilter{PatientID: p.ID})
		if err != nil || len(list) == 0 {
			t.Fatalf("%s: %d appointments, %v", proto, len(list), err)
		}
		f.patients[proto], f.appts[proto] = p, list
	}
	if f.clinic, err = db.Clinic(ctx); err != nil {
		t.Fatal(err)
	}
	if f.instance, err = db.InstanceID(ctx); err != nil {
		t.Fatal(err)
	}
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		t.Fatal(err)
	}
	f.protos = ps
	return f
}

func (f *fixture) composer() *reminder.Composer {
	return &reminder.Composer{FromAddress: "appointments@harbor.example", InstanceID: f.instance, Now: func() time.Time { return f.now }}
}

// parsed is a composed message read back as a mail program reads it.
type parsed struct {
	raw        []byte
	header     mail.Header
	subject    string
	text, html string
	ics        []byte
	icsName    string
	icsType    string
}

// parseMessage reads e's bytes with net/mail and mime/multipart: the
// structure must be multipart/mixed holding a multipart/alternative
// (text, HTML) and the calendar.
func parseMessage(t testing.TB, raw []byte) *parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v", err)
	}
	p := &parsed{raw: raw, header: m.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	walkParts(t, p, m.Header.Get("Content-Type"), m.Body, "")
	if p.text == "" || p.html == "" || p.ics == nil {
		t.Fatalf("message lacks a part: text=%d html=%d ics=%d\n%s", len(p.text), len(p.html), len(p.ics), raw)
	}
	return p
}

func walkParts(t testing.TB, p *parsed, ctype string, body io.Reader, parent string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart() // decodes quoted-printable
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walkParts(t, p, part.Header.Get("Content-Type"), partBody(t, part), mt)
			if mt == "multipart/mixed" && strings.HasPrefix(part.Header.Get("Content-Disposition"), "attachment") {
				_, dp, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
				p.icsName = dp["filename"]
			}
		}
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	switch mt {
	case "text/plain":
		p.text = string(b)
	case "text/html":
		p.html = string(b)
	case "text/calendar":
		p.ics, p.icsType = b, ctype
	default:
		t.Fatalf("unexpected part %s in %s", mt, parent)
	}
}

// partBody decodes a base64 part; multipart.Reader decodes
// quoted-printable itself.
func partBody(t testing.TB, part *multipart.Part) io.Reader {
	if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		return base64Reader(t, b)
	}
	return part
}

func composeParsed(t testing.TB, c *reminder.Composer, m reminder.Message) *parsed {
	t.Helper()
	e, err := c.Compose(m)
	if err != nil {
		t.Fatalf("%s: %v", m.Kind, err)
	}
	raw, err := e.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return parseMessage(t, raw)
}

// icsEvent decodes an attachment with go-ical and returns its METHOD and
// its one event.
func icsEvent(t testing.TB, data []byte) (string, *ical.Component) {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the attachment: %v\n%s", err, data)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("attachment holds %d events, want 1", len(evs))
	}
	return cal.Props.Get(ical.PropMethod).Value, evs[0].Component
}

// forbidden builds the pattern no default message may match: the words
// of docs/privacy.md and every default protocol's id and name.
func forbidden(protos []*booking.Protocol) *regexp.Regexp {
	words := []string{"ketamine", "esketamine", "spravato", "dosing", "infusion", "psychedelic", "psychotherapy", `\bkap\b`}
	for _, p := range protos {
		words = append(words, regexp.QuoteMeta(p.ID), regexp.QuoteMeta(p.Name))
	}
	return regexp.MustCompile(`(?i)` + strings.Join(words, "|"))
}

// TestCompose_Privacy renders every default message (every kind, with and
// without detailed consent, for every appointment of a booked kap-standard,
// kap-iv and esketamine-induction series) and proves that no subject,
// body, attachment or attachment name says the treatment, the drug or a
// protocol; that detailed instructions go only to patients who opted in;
// and that the attachment carries the right method, UID and SEQUENCE.
func TestCompose_Privacy(t *testing.T) {
	f := newFixture(t)
	bad := forbidden(f.protos)
	c := f.composer()
	consent := day(2027, 1, 10)
	seen := map[string]bool{}
	for _, proto := range fixtureProtocols {
		for _, a := range f.appts[proto] {
			for _, detailed := range []bool{false, true} {
				p := *f.patients[proto]
				if detailed {
					p.Consents.DetailedEmail = &consent
				}
				for _, k := range reminder.Kinds {
					m := composeParsed(t, c, reminder.Message{Kind: k, Clinic: f.clinic, Patient: &p, Appointment: a})
					what := proto + " " + a.Label() + " " + string(k)
					for name, s := range map[string]string{"raw": string(m.raw), "subject": m.subject, "text": m.text, "html": m.html, "attachment": string(m.ics), "attachment name": m.icsName} {
						if w := bad.FindString(s); w != "" {
							t.Fatalf("%s (detailed=%v): %s says %q:\n%s", what, detailed, name, w, s)
						}
					}
					if m.icsName != reminder.AttachmentName {
						t.Fatalf("attachment name=%q, want %q", m.icsName, reminder.AttachmentName)
					}
					wantMethod := "REQUEST"
					if k == reminder.Cancellation {
						wantMethod = "CANCEL"
					}
					if !strings.Contains(m.icsType, "method="+wantMethod) {
						t.Fatalf("%s: attachment type %q, want method=%s", what, m.icsType, wantMethod)
					}
					method, ev := icsEvent(t, m.ics)
					if method != wantMethod || ev.Props.Get(ical.PropUID).Value != calendar.UID(f.instance, a.ID) || ev.Props.Get(ical.PropSequence).Value != strconv.Itoa(a.Sequence) {
						t.Fatalf("%s: METHOD=%s UID=%s SEQUENCE=%s", what, method, ev.Props.Get(ical.PropUID).Value, ev.Props.Get(ical.PropSequence).Value)
					}
					instr := strings.Contains(m.text, "Your preparation instructions")
					if instr && !detailed {
						t.Fatalf("%s: detailed instructions without consent:\n%s", what, m.text)
					}
					if detailed && k != reminder.Cancellation && a.Kind != "integration" && a.Kind != "preparation" && !instr {
						t.Fatalf("%s: no detailed instructions with consent:\n%s", what, m.text)
					}
					if k == reminder.Cancellation && instr {
						t.Fatalf("%s: a cancellation with instructions", what)
					}
					if !strings.Contains(m.text, "Hello Jane,") || !strings.Contains(m.text, f.clinic.Phone) || !strings.Contains(m.html, "Hello Jane,") {
						t.Fatalf("%s: greeting or phone missing:\n%s", what, m.text)
					}
					seen[string(a.Kind)+strconv.FormatBool(a.NeedsREMS)] = true
				}
			}
		}
	}
	var kinds []string
	for k := range seen {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if len(kinds) < 6 { // consultation, preparation, dosing, integration, infusion, esketamine dosing
		t.Fatalf("appointment kinds covered: %v", kinds)
	}
}

// TestCompose_Headers proves the envelope of a message: From with the
// display name, To the patient alone, the headers expected and no other.
func TestCompose_Headers(t *testing.T) {
	f := newFixture(t)
	a := f.appts["kap-standard"][0]
	for name, tc := range map[string]struct{ fromName, want string }{
		"DefaultName":    {"", `"Harbor Wellness Center" <appointments@harbor.example>`},
		"ConfiguredName": {"Dr. Reyes' Office", `"Dr. Reyes' Office" <appointments@harbor.example>`},
		"UnicodeName":    {"Clínica Mar", "=?utf-8?q?Cl=C3=ADnica_Mar?= <appointments@harbor.example>"},
	} {
		t.Run(name, func(t *testing.T) {
			c := f.composer()
			c.FromName = tc.fromName
			m := composeParsed(t, c, reminder.Message{Kind: reminder.Confirmation, Clinic: f.clinic, Patient: f.patients["kap-standard"], Appointment: a})
			if got := m.header.Get("From"); got != tc.want {
				t.Fatalf("From=%q, want %q", got, tc.want)
			}
			checkHeaders(t, m, f.patients["kap-standard"].Email)
		})
	}
}

// checkHeaders fails unless m has exactly the expected top-level headers
// and one recipient.
func checkHeaders(t testing.TB, m *parsed, to string) {
	t.Helper()
	var keys []string
	for k := range m.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := "Auto-Submitted Content-Type Date From Message-Id Mime-Version Subject To"
	if got := strings.Join(keys, " "); got != want {
		t.Fatalf("headers %s, want %s", got, want)
	}
	if got := m.header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Fatalf("Auto-Submitted=%q, want auto-generated (RFC 3834)", got)
	}
	if got := m.header.Get("To"); got != "<"+to+">" {
		t.Fatalf("To=%q, want <%s>", got, to)
	}
}

// TestCompose_Injection proves that CR, LF and other control characters
// in names and addresses can neither add a header nor break the MIME
// structure: addresses and the sender name are refused, the patient's and
// the clinic's names are cleaned.
func TestCompose_Injection(t *testing.T) {
	f := newFixture(t)
	a := f.appts["kap-standard"][0]
	base := *f.patients["kap-standard"]
	for name, mod := range map[string]func(c *reminder.Composer, p *booking.Patient){
		"ErrPatientEmailCRLF": func(c *reminder.Composer, p *booking.Patient) { p.Email = "jane@example.org\r\nBcc: evil@example.net" },
		"ErrPatientEmailLF":   func(c *reminder.Composer, p *booking.Patient) { p.Email = "jane@example.org\nBcc: evil@example.net" },
		"ErrPatientEmailList": func(c *reminder.Composer, p *booking.Patient) { p.Email = "jane@example.org, evil@example.net" },
		"ErrPatientEmailName": func(c *reminder.Composer, p *booking.Patient) { p.Email = "Jane <jane@example.org>" },
		"ErrFromNameCRLF":     func(c *reminder.Composer, p *booking.Patient) { c.FromName = "Clinic\r\nBcc: evil@example.net" },
		"ErrFromNameNUL":      func(c *reminder.Composer, p *booking.Patient) { c.FromName = "Clinic\x00" },
		"ErrFromNameLineSep":  func(c *reminder.Composer, p *booking.Patient) { c.FromName = "Clinic\u2028Bcc: x" },
		"ErrFromAddressCRLF": func(c *reminder.Composer, p *booking.Patient) {
			c.FromAddress = "a@harbor.example\r\nBcc: evil@example.net"
		},
		"ErrFromAddressInvalid": func(c *reminder.Composer, p *booking.Patient) { c.FromAddress = "not an address" },
	} {
		t.Run(name, func(t *testing.T) {
			c, p := f.composer(), base
			mod(c, &p)
			e, err := c.Compose(reminder.Message{Kind: reminder.Confirmation, Clinic: f.clinic, Patient: &p, Appointment: a})
			if err == nil || e != nil || !strings.HasPrefix(err.Error(), "reminder: ") {
				t.Fatalf("Compose=%v, %v; want a reminder: error and no message", e, err)
			}
		})
	}
	t.Run("CleanedNames", func(t *testing.T) {
		p := base
		p.Name = "Jane\r\nBcc: evil@example.net\r\n\r\n--boundary"
		cl := *f.clinic
		cl.Name = "Harbor\r\nBcc: evil@example.net"
		cl.Address = "1 Main St\r\nX-Injected: yes"
		m := composeParsed(t, f.composer(), reminder.Message{Kind: reminder.Confirmation, Clinic: &cl, Patient: &p, Appointment: a})
		checkHeaders(t, m, p.Email)
		if bytes.Contains(m.raw, []byte("\nBcc:")) || bytes.Contains(m.raw, []byte("\nX-Injected:")) {
			t.Fatalf("a line starts a header:\n%s", m.raw)
		}
		if !strings.Contains(m.text, "Hello Jane,") {
			t.Fatalf("text:\n%s", m.text)
		}
	})
}

// TestCompose_NoEmail proves that a patient who asked for no email gets
// nothing: ErrNoEmail and no message.
func TestCompose_NoEmail(t *testing.T) {
	f := newFixture(t)
	p := *f.patients["kap-iv"]
	noEmail := day(2027, 1, 2)
	p.Consents.NoEmail = &noEmail
	for _, k := range reminder.Kinds {
		e, err := f.composer().Compose(reminder.Message{Kind: k, Clinic: f.clinic, Patient: &p, Appointment: f.appts["kap-iv"][0]})
		if !errors.Is(err, reminder.ErrNoEmail) || e != nil {
			t.Fatalf("%s: Compose=%v, %v; want ErrNoEmail", k, e, err)
		}
	}
}

// TestCompose_RevealingClinicName proves that a clinic's name that
// reveals the treatment appears nowhere by default: not in From, not in
// the bodies, not as the organizer's name.
func TestCompose_RevealingClinicName(t *testing.T) {
	f := newFixture(t)
	cl := *f.clinic
	cl.Name = "Harbor Ketamine Clinic"
	m := composeParsed(t, f.composer(), reminder.Message{Kind: reminder.Reminder, Clinic: &cl, Patient: f.patients["kap-standard"], Appointment: f.appts["kap-standard"][0]})
	if w := forbidden(f.protos).FindString(string(m.raw) + m.text + m.html + string(m.ics)); w != "" {
		t.Fatalf("message says %q", w)
	}
	if got := m.header.Get("From"); got != `"Appointments" <appointments@harbor.example>` {
		t.Fatalf("From=%q", got)
	}
}

// TestCompose_TreatmentWordsInOtherLanguages: a clinic name, address,
// sender name or video link stored before kapbook checked them, naming
// the treatment in Spanish, German, French or Portuguese, appears nowhere
// a patient reads unless the clinic allowed it; a sending address that
// names it stops the message with the reason (issue 13, item 2).
func TestCompose_TreatmentWordsInOtherLanguages(t *testing.T) {
	f := newFixture(t)
	words := regexp.MustCompile(`(?i)ketamina|Psychotherapie|perfusion|Depressão|Depress=C3=A3o`)
	cl := *f.clinic
	cl.Name, cl.Address = "Clínica Ketamina Norte", "Zentrum für Psychotherapie, Hauptstraße 4"
	c := f.composer()
	c.FromName = "Centre de perfusion"
	video := *f.appts["kap-standard"][1] // preparation 1, held by video
	video.RoomID, video.RoomName = 0, ""
	var staff []*booking.Staff
	for _, as := range video.Staff {
		staff = append(staff, &booking.Staff{ID: as.StaffID, Name: as.Name, Roles: []booking.Role{as.Role}, VideoLink: "https://meet.example.org/clinica-da-depressão"})
	}
	msg := reminder.Message{Kind: reminder.Reminder, Clinic: &cl, Patient: f.patients["kap-standard"], Appointment: f.appts["kap-standard"][0], Staff: staff}
	onVideo := msg
	onVideo.Appointment = &video
	m := composeParsed(t, c, msg)
	v := composeParsed(t, c, onVideo)
	if w := words.FindString(string(m.raw) + m.text + m.html + string(m.ics) + string(v.raw) + v.text + v.html + string(v.ics)); w != "" {
		t.Fatalf("message says %q", w)
	}
	if got := m.header.Get("From"); got != `"Appointments" <appointments@harbor.example>` {
		t.Fatalf("From=%q, want the neutral name", got)
	}

	cl.TreatmentWordsAllowed = true
	m = composeParsed(t, c, msg)
	if !strings.Contains(m.text, "Clínica Ketamina Norte") || !strings.Contains(string(m.ics), "Ketamina") {
		t.Fatalf("the clinic allowed its own words, yet the message leaves its name out:\n%s", m.text)
	}
	if from, _ := new(mime.WordDecoder).DecodeHeader(m.header.Get("From")); !strings.Contains(from, "Centre de perfusion") {
		t.Fatalf("From=%q, want the sender's name as the clinic chose", from)
	}
	if v = composeParsed(t, c, onVideo); !strings.Contains(v.text, "clinica-da-depressão") {
		t.Fatalf("the clinic allowed its own words, yet the video link is left out:\n%s", v.text)
	}

	cl.TreatmentWordsAllowed = false
	c.FromAddress = "citas@ketamina-norte.example"
	if _, err := c.Compose(msg); booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), "sending address") {
		t.Fatalf("compose from a revealing address: %v, want EINVALID naming the sending address", err)
	}
}

// TestCompose_Interop: each message's calendar attachment has its own
// Content-ID with a domain (RFC 2392), and the patient's PARTSTAT is the
// same in the REQUEST and in the CANCEL that withdraws it.
func TestCompose_Interop(t *testing.T) {
	f := newFixture(t)
	c := f.composer()
	a := f.appts["kap-standard"][0]
	gone := *a
	gone.Status = booking.Cancelled
	cid := regexp.MustCompile(`(?m)^Content-Id: (.*)\r?$`)
	partstat := regexp.MustCompile(`PARTSTAT=[A-Z-]+`)
	seen := map[string]bool{}
	var stats []string
	for _, m := range []reminder.Message{
		{Kind: reminder.Reminder, Clinic: f.clinic, Patient: f.patients["kap-standard"], Appointment: a},
		{Kind: reminder.Reminder, Clinic: f.clinic, Patient: f.patients["kap-standard"], Appointment: a},
		{Kind: reminder.Cancellation, Clinic: f.clinic, Patient: f.patients["kap-standard"], Appointment: &gone},
	} {
		p := composeParsed(t, c, m)
		ids := cid.FindAllStringSubmatch(string(p.raw), -1)
		if len(ids) != 1 {
			t.Fatalf("%d Content-IDs, want the attachment's one:\n%s", len(ids), p.raw)
		}
		id := strings.TrimSpace(ids[0][1])
		if !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@harbor.example>") || seen[id] {
			t.Fatalf("Content-ID %s: want <unique@harbor.example>, seen before: %v", id, seen[id])
		}
		seen[id] = true
		stats = append(stats, partstat.FindString(string(p.ics)))
	}
	if stats[0] != "PARTSTAT=ACCEPTED" || stats[2] != stats[0] {
		t.Fatalf("PARTSTAT in REQUEST and CANCEL: %q, want ACCEPTED in both", stats)
	}
}

// TestCheck proves that Check accepts every default template and refuses
// broken ones when they are saved.
func TestCheck(t *testing.T) {
	for _, k := range reminder.Kinds {
		s, err := reminder.DefaultSource(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := reminder.Check(s); err != nil {
			t.Fatalf("default %s: %v", k, err)
		}
	}
	ok, _ := reminder.DefaultSource(reminder.Reminder)
	for name, s := range map[string]reminder.Source{
		"ErrSyntax":       {Kind: reminder.Reminder, Text: `{{define "subject"}}{{if}}{{end}}`, HTML: ok.HTML},
		"ErrUnknownField": {Kind: reminder.Reminder, Text: `{{define "subject"}}Hi{{end}}{{define "text"}}{{.Diagnosis}}{{end}}`, HTML: ok.HTML},
		"ErrNoSubject":    {Kind: reminder.Reminder, Text: `{{define "text"}}Hi{{end}}`, HTML: ok.HTML},
		"ErrEmptySubject": {Kind: reminder.Reminder, Text: `{{define "subject"}} {{end}}{{define "text"}}Hi{{end}}`, HTML: ok.HTML},
		"ErrNoHTML":       {Kind: reminder.Reminder, Text: ok.Text, HTML: `<p>hi</p>`},
		"ErrHTMLExec":     {Kind: reminder.Reminder, Text: ok.Text, HTML: `{{define "html"}}{{template "nope" .}}{{end}}`},
		"ErrKind":         {Kind: "invoice", Text: ok.Text, HTML: ok.HTML},
	} {
		t.Run(name, func(t *testing.T) {
			if err := reminder.Check(s); err == nil || !strings.HasPrefix(err.Error(), "reminder: ") {
				t.Fatalf("Check=%v, want a reminder: error", err)
			}
		})
	}
}

// TestRender_HTMLEscapes proves the HTML part escapes what it shows.
func TestRender_HTMLEscapes(t *testing.T) {
	s, _ := reminder.DefaultSource(reminder.Confirmation)
	tm, err := reminder.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	d := reminder.SampleData(reminder.Confirmation)[0]
	d.FirstName = "<script>x</script>"
	r, err := tm.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") {
		t.Fatalf("HTML not escaped:\n%s", r.HTML)
	}
}

// BenchmarkCompose renders one message with its calendar attachment and
// encodes it, as a transport would.
func BenchmarkCompose(b *testing.B) {
	f := newFixture(b)
	c := f.composer()
	m := reminder.Message{Kind: reminder.Reminder, Clinic: f.clinic, Patient: f.patients["kap-standard"], Appointment: f.appts["kap-standard"][3]}
	if _, err := c.Compose(m); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e, err := c.Compose(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/msg")
}

var _ = email.NewEmail

// day returns a booking.Date.
func day(y int, m time.Month, d int) booking.Date {
	return booking.DateOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// TestCompose_VideoLink: a reminder of a video call gives its therapist's
// link in both parts (a link in HTML) and as the attachment's LOCATION; a
// series confirmation gives it beside that appointment; a cancellation
// and a link that reveals the treatment give none.
func TestCompose_VideoLink(t *testing.T) {
	f := newFixture(t)
	link := "https://video.example.org/ana-reyes?room=4&pin=1"
	appts := f.appts["kap-standard"]
	video := *appts[1] // preparation 1, held by video
	video.RoomID, video.RoomName = 0, ""
	var staff []*booking.Staff
	for _, as := range video.Staff {
		staff = append(staff, &booking.Staff{ID: as.StaffID, Name: as.Name, Roles: []booking.Role{as.Role}})
	}
	staff[0].VideoLink = link
	pat := f.patients["kap-standard"]

	m := composeParsed(t, f.composer(), reminder.Message{Kind: reminder.Reminder, Clinic: f.clinic, Patient: pat, Appointment: &video, Staff: staff})
	if !strings.Contains(m.text, "Place: a video call at "+link) {
		t.Errorf("text part lacks the link:\n%s", m.text)
	}
	if !strings.Contains(m.html, `<a href="https://video.example.org/ana-reyes?room=4&amp;pin=1">`) {
		t.Errorf("HTML part lacks the link:\n%s", m.html)
	}
	if _, ev := icsEvent(t, m.ics); ev.Props.Get(ical.PropLocation).Value != link {
		t.Errorf("attachment LOCATION=%q, want the link", ev.Props.Get(ical.PropLocation).Value)
	}

	series := append([]*booking.Appointment{appts[0], &video}, appts[2:]...)
	m = composeParsed(t, f.composer(), reminder.Message{Kind: reminder.Confirmation, Clinic: f.clinic, Patient: pat, Appointments: series, Staff: staff})
	if !strings.Contains(m.text, "08:00–09:00 EST, a video call at "+link) || strings.Count(m.text, link) != 1 {
		t.Errorf("confirmation text: want the link once, beside the video call:\n%s", m.text)
	}

	gone := video
	gone.Status = booking.Cancelled
	m = composeParsed(t, f.composer(), reminder.Message{Kind: reminder.Cancellation, Clinic: f.clinic, Patient: pat, Appointment: &gone, Staff: staff})
	if strings.Contains(m.text+m.html+string(m.ics), "video.example.org") || strings.Contains(m.text, "sends you the link") || !strings.Contains(m.text, "Place: a video call.") {
		t.Errorf("a cancellation gives the link, or promises one:\n%s", m.text)
	}

	staff[0].VideoLink = "https://ketamine.example.org/reyes"
	m = composeParsed(t, f.composer(), reminder.Message{Kind: reminder.Reminder, Clinic: f.clinic, Patient: pat, Appointment: &video, Staff: staff})
	if w := forbidden(f.protos).FindString(string(m.raw) + m.text + m.html + string(m.ics)); w != "" || !strings.Contains(m.text, "the clinic sends you the link") {
		t.Errorf("a revealing link: message says %q; text:\n%s", w, m.text)
	}
}
