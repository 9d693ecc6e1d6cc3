// Package reminder renders and delivers the emails patients receive:
// confirmations, reminders, preparation instructions, updates and
// cancellations, each a multipart/alternative message (RFC 2046) with an
// iTIP calendar attachment (RFC 5546) from package calendar.
//
// By default no message says more than docs/privacy.md ("Email")
// allows: no treatment, drug or diagnosis in the subject, the bodies or
// the attachment; detailed preparation instructions only for patients who
// opted in to detailed email; nothing at all for patients who asked for no
// email.
package reminder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/kapbook/kapbook/resources"

	"github.com/kapbook/kapbook/booking"
)

// Kind is the kind of a message.
type Kind string

// The kinds of message a patient receives.
const (
	// Confirmation tells the patient an appointment is booked.
	Confirmation Kind = "confirmation"
	// Reminder reminds the patient of an appointment.
	Reminder Kind = "reminder"
	// Preparation tells the patient how to prepare, the day before.
	Preparation Kind = "preparation"
	// Update tells the patient an appointment has moved or changed.
	Update Kind = "update"
	// Cancellation tells the patient an appointment is cancelled.
	Cancellation Kind = "cancellation"
)

// Kinds lists every kind of message.
var Kinds = []Kind{Confirmation, Reminder, Preparation, Update, Cancellation}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Data holds the variables a template can use, as {{.FirstName}} and so
// on. Every text is already checked: no control characters, and the
// clinic's name, address and the sender's name are left empty where they
// would reveal the treatment.
type Data struct {
	// Kind is the kind of message.
	Kind Kind
	// Subject is the rendered subject; empty while the subject itself is
	// rendered. The HTML part uses it as its title.
	Subject string
	// ClinicName is the clinic's name, or "" when it reveals the treatment.
	ClinicName string
	// ClinicPhone is the clinic's phone number.
	ClinicPhone string
	// ClinicAddress is where the appointment takes place, or "" when it
	// reveals the treatment.
	ClinicAddress string
	// SenderName is the sender's display name, as in the From header.
	SenderName string
	// FirstName is the patient's first name, or "there" ("Hello there").
	FirstName string
	// Date is the appointment's date in the clinic's zone, such as
	// "Monday 1 March 2027".
	Date string
	// StartTime and EndTime are its times in the clinic's zone, "09:00".
	StartTime, EndTime string
	// TimeZone is the zone's abbreviation at the start, such as "EST".
	TimeZone string
	// Start and End are the appointment's times in the clinic's zone, for
	// templates that format them their own way ({{.Start.Format "…"}}).
	Start, End time.Time
	// Video is true for a video call: no address.
	Video bool
	// VideoLink is the video call's address (its therapist's video room),
	// or "" when the clinic sends it another way.
	VideoLink string
	// Prepare is a general line about how to prepare that names no
	// treatment.
	Prepare string
	// Detailed is true when the patient opted in to detailed email.
	Detailed bool
	// Instructions are the detailed preparation instructions for the
	// appointment (docs/privacy.md), only when Detailed; otherwise nil. In a
	// message about several appointments, those of the first appointment
	// that has any, given once.
	Instructions []string
	// InstructionsDate is the date of the appointment the Instructions
	// are for, as Date; empty without Instructions.
	InstructionsDate string
	// Appointments, for a message about several appointments of a series
	// (a confirmation, an update or a cancellation), lists every one of
	// them in order; Date, Start and the other fields above are then the
	// first's. Empty for a message about one appointment.
	Appointments []Slot
}

// Slot is one appointment of a message about several, as Data.Appointments
// lists them: when and where, never the kind of session.
type Slot struct {
	// Date, StartTime, EndTime and TimeZone are as in Data.
	Date, StartTime, EndTime, TimeZone string
	// Start and End are the times in the clinic's zone.
	Start, End time.Time
	// Video is true for a video call.
	Video bool
	// VideoLink is the video call's address, or "".
	VideoLink string
	// Place is "a video call", the clinic's address, or "" when the
	// address reveals the treatment.
	Place string
	// Changed is true, in an update about a series, for an appointment
	// that moved or was added (the list marks it).
	Changed bool
}

// newSlot returns the slot from start to end (in the clinic's zone) at
// address, or on a video call.
func newSlot(start, end time.Time, video bool, address string) Slot {
	s := Slot{Date: start.Format("Monday 2 January 2006"), StartTime: start.Format("15:04"), EndTime: end.Format("15:04"),
		TimeZone: start.Format("MST"), Start: start, End: end, Video: video, Place: address}
	if video {
		s.Place = "a video call"
	}
	return s
}

// Template renders one kind of message: a subject and a plain-text body
// from a text/template, an HTML body from an html/template.
type Template struct {
	Kind Kind
	text *texttemplate.Template // defines "subject" and "text"
	html *htmltemplate.Template // defines "html"
	// ours is set for kapbook's own templates (DefaultTemplates), which
	// need no time cap.
	ours bool
}

// Source is a template's text: the kind's text/template, which must
// define "subject" and "text", and its html/template, which must define
// "html". Both may use the blocks of the default layout ("when", "where",
// "prepare", "footer"; "head" in HTML).
type Source struct {
	Kind Kind
	Text string
	HTML string
}

// Rendered is one rendered message's texts.
type Rendered struct {
	Subject, Text, HTML string
}

// DefaultSource returns the embedded default template of kind k.
func DefaultSource(k Kind) (Source, error) {
	if !k.Valid() {
		return Source{}, fmt.Errorf("reminder: unknown message kind %q", booking.Clip(string(k), 40))
	}
	text, err := fs.ReadFile(resources.Email, "email/"+string(k)+".txt.tmpl")
	if err != nil {
		return Source{}, fmt.Errorf("reminder: default template: %w", err)
	}
	html, err := fs.ReadFile(resources.Email, "email/"+string(k)+".html.tmpl")
	if err != nil {
		return Source{}, fmt.Errorf("reminder: default template: %w", err)
	}
	return Source{Kind: k, Text: string(text), HTML: string(html)}, nil
}

// Parse parses s with the default layout and checks it as Check does.
// A template that does not work gives a *TemplateError.
func Parse(s Source) (*Template, error) {
	if !s.Kind.Valid() {
		return nil, fmt.Errorf("reminder: unknown message kind %q", booking.Clip(string(s.Kind), 40))
	}
	layoutText, err := fs.ReadFile(resources.Email, "email/layout.txt.tmpl")
	if err != nil {
		return nil, fmt.Errorf("reminder: layout: %w", err)
	}
	layoutHTML, err := fs.ReadFile(resources.Email, "email/layout.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("reminder: layout: %w", err)
	}
	// The layout is parsed under its own name, so that an error's line
	// number is the kind's own template's line unless it says "layout".
	t := &Template{Kind: s.Kind}
	t.text = texttemplate.New(string(s.Kind)).Option("missingkey=error")
	if _, err := t.text.New(layoutName).Parse(string(layoutText)); err != nil {
		return nil, fmt.Errorf("reminder: layout: %w", err)
	}
	if _, err := t.text.Parse(s.Text); err != nil {
		return nil, templateError(s.Kind, "text", err)
	}
	t.html = htmltemplate.New(string(s.Kind)).Option("missingkey=error")
	if _, err := t.html.New(layoutName).Parse(string(layoutHTML)); err != nil {
		return nil, fmt.Errorf("reminder: layout: %w", err)
	}
	if _, err := t.html.Parse(s.HTML); err != nil {
		return nil, templateError(s.Kind, "HTML", err)
	}
	for _, name := range []string{"subject", "text"} {
		if t.text.Lookup(name) == nil {
			return nil, &TemplateError{Kind: s.Kind, Part: "text", Problem: fmt.Sprintf(
				`it defines no %q; write {{define "subject"}}…{{end}} and {{define "text"}}…{{end}}`, name)}
		}
	}
	if t.html.Lookup("html") == nil {
		return nil, &TemplateError{Kind: s.Kind, Part: "HTML", Problem: `it defines no "html"; write {{define "html"}}…{{end}}`}
	}
	if err := t.checkLoops(); err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// checkLoops refuses loops that could repeat too often (checkLoops).
func (t *Template) checkLoops() error {
	text := map[string]*parse.Tree{}
	for _, x := range t.text.Templates() {
		text[x.Name()] = x.Tree
	}
	if err := checkLoops(t.Kind, "text", text); err != nil {
		return err
	}
	html := map[string]*parse.Tree{}
	for _, x := range t.html.Templates() {
		html[x.Name()] = x.Tree
	}
	return checkLoops(t.Kind, "HTML", html)
}

// layoutName is the name the default layout is parsed under.
const layoutName = "layout"

// TemplateError says what is wrong with a template, in words for the
// person who edited it: which part, which line, what.
type TemplateError struct {
	Kind Kind
	// Part is "text" (the subject and the plain text) or "HTML".
	Part string
	// Line is the line of that part the problem is on; 0 when unknown.
	// Layout is true when the line is the default layout's instead.
	Line   int
	Layout bool
	// Problem is what is wrong.
	Problem string
}

// Error returns "reminder: " and the message.
func (e *TemplateError) Error() string { return "reminder: " + e.Message() }

// Message says what is wrong, in a sentence without the package prefix.
func (e *TemplateError) Message() string {
	where := fmt.Sprintf("The %s %s template", e.Kind, e.Part)
	switch {
	case e.Layout && e.Line > 0:
		where += fmt.Sprintf(" (line %d of the default layout it uses)", e.Line)
	case e.Line > 0:
		where += fmt.Sprintf(", line %d", e.Line)
	}
	return where + ": " + e.Problem + "."
}

// templateErrorRE takes apart the errors of text/template and html/template:
// "template: NAME:LINE[:COL]: [executing "X" at <ACTION>: ]DETAIL".
var templateErrorRE = regexp.MustCompile(`^(?:html/)?template: ?([^:]*):(\d+)(?::\d+)?: (?:executing "[^"]*" at <([^>]*)>: )?(.*)$`)

// templateErrorWords turns the details of Go's template errors into words.
var templateErrorWords = []struct {
	re   *regexp.Regexp
	text string
}{
	{regexp.MustCompile(`can't evaluate field (\w+)`), "there is no variable .$1 (docs/email.md lists the variables)"},
	{regexp.MustCompile(`function "([^"]*)" not defined`), "there is no function $1"},
	{regexp.MustCompile(`(?:no such template|template) "([^"]*)"(?: not defined)?$`), `there is no block "$1"; the layout has when, where, prepare, list and footer (and head in HTML)`},
	{regexp.MustCompile(`bad character U\+007D`), "a single } stands where }} is needed"},
	{regexp.MustCompile(`unexpected EOF`), "something is not closed: every {{if}}, {{range}}, {{with}} and {{define}} needs its {{end}}"},
	{regexp.MustCompile(`unexpected \{\{end\}\}`), "an {{end}} has no {{if}}, {{range}}, {{with}} or {{define}} to close"},
	{regexp.MustCompile(`unclosed action`), "a {{ is not closed with }}"},
	{regexp.MustCompile(`missing value for (\w+)`), "{{$1}} needs a value, such as {{$1 .Video}}"},
}

// templateError explains err, from parsing or rendering kind's part.
func templateError(kind Kind, part string, err error) error {
	var te *TemplateError
	if errors.As(err, &te) {
		return te
	}
	e := &TemplateError{Kind: kind, Part: part, Problem: strings.TrimSpace(err.Error())}
	if m := templateErrorRE.FindStringSubmatch(e.Problem); m != nil {
		e.Line, _ = strconv.Atoi(m[2])
		e.Layout = m[1] == layoutName
		e.Problem = m[4]
		if a := m[3]; a != "" {
			if !strings.HasPrefix(a, "{{") {
				a = "{{" + a + "}}"
			}
			e.Problem = a + ": " + m[4]
		}
		for _, w := range templateErrorWords {
			if loc := w.re.FindStringSubmatchIndex(m[4]); loc != nil {
				e.Problem = string(w.re.ExpandString(nil, w.text, m[4], loc))
				break
			}
		}
	}
	e.Problem = strings.TrimSuffix(e.Problem, ".")
	return e
}

// Check parses s and renders it with sample data, with and without
// detailed consent and for a video call, so that a broken template is
// refused when it is saved rather than found at send time. It returns the
// first error, prefixed "reminder: ".
func Check(s Source) error {
	_, err := Parse(s)
	return err
}

func (t *Template) check() error {
	for _, d := range SampleData(t.Kind) {
		if _, err := t.Render(d); err != nil {
			return err
		}
	}
	return nil
}

// SampleData returns the data Check renders a template of kind k with: an
// appointment in person with detailed instructions, one without, a video
// call, and three appointments of a series (one of them a video call),
// without and with detailed instructions.
func SampleData(k Kind) []Data {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		loc = time.UTC
	}
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, loc)
	d := Data{Kind: k, ClinicName: "Harbor Wellness Center", ClinicPhone: "+1 617 555 0142",
		ClinicAddress: "120 Harbor Street, Boston, MA 02110", SenderName: "Harbor Wellness Center",
		FirstName: "Jane", Start: start, End: start.Add(3 * time.Hour), Prepare: generalPrepare(true, "+1 617 555 0142"),
		Detailed: true, Instructions: []string{"Arrive 10 minutes early."}}
	fillTimes(&d)
	d.InstructionsDate = d.Date
	plain := d
	plain.Detailed, plain.Instructions, plain.InstructionsDate, plain.FirstName = false, nil, "", "there"
	video := plain
	video.Video, video.ClinicAddress, video.ClinicPhone, video.VideoLink = true, "", "", "https://video.example.org/ana-reyes"
	series := plain
	for i := range 3 {
		s := start.AddDate(0, 0, 7*i)
		series.Appointments = append(series.Appointments, newSlot(s, s.Add(time.Hour), i == 1, plain.ClinicAddress))
	}
	series.Appointments[1].VideoLink = "https://video.example.org/ana-reyes"
	series.Appointments[2].Changed = k == Update
	detailedSeries := series
	detailedSeries.Detailed, detailedSeries.FirstName = true, "Jane"
	detailedSeries.Instructions, detailedSeries.InstructionsDate = d.Instructions, series.Appointments[1].Date
	return []Data{d, plain, video, series, detailedSeries}
}

// fillTimes sets d's Date, StartTime, EndTime and TimeZone from Start and End.
func fillTimes(d *Data) {
	d.Date = d.Start.Format("Monday 2 January 2006")
	d.StartTime = d.Start.Format("15:04")
	d.EndTime = d.End.Format("15:04")
	d.TimeZone = d.Start.Format("MST")
}

// Rendering caps. A clinic's template is a small program the clinic
// wrote, and text/template runs whatever loop it is given: {{range
// 200000000}}x{{end}} would fill gigabytes and stall every message after
// it. Render stops a message that goes over a cap with an EINVALID error
// saying which, when a template is saved (its sample messages) as when a
// patient's message is composed.
const (
	// MaxSubjectRunes is the most characters a rendered subject may hold
	// (white space collapsed): its header line stays far below RFC 5322's
	// 998 characters, so it needs no folding.
	MaxSubjectRunes = 200
	// MaxSubjectSize is the most bytes the subject template may write,
	// before its white space is collapsed.
	MaxSubjectSize = 2 << 10
	// MaxBodySize is the most bytes the plain-text part, and the HTML
	// part, of one message may each have.
	MaxBodySize = 256 << 10
	// MaxRenderTime is the longest one message (subject, text and HTML)
	// may take to render.
	MaxRenderTime = 2 * time.Second
)

// renderTimeout is MaxRenderTime; a test lowers it.
var renderTimeout = MaxRenderTime

// capError is a rendering that went over a cap: its *booking.Error says
// which, in words for the front desk.
type capError struct{ err *booking.Error }

func (e *capError) Error() string { return e.err.Error() }
func (e *capError) Unwrap() error { return e.err }

// errTooLarge and errStopped are a capWriter's refusals.
var (
	errTooLarge = errors.New("reminder: output over the cap")
	errStopped  = errors.New("reminder: rendering stopped after the time cap")
)

// capWriter keeps what a template writes, up to max bytes, and refuses
// anything once stop is set: text/template ends its execution at the
// first failed write.
type capWriter struct {
	buf  bytes.Buffer
	max  int
	stop *atomic.Bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if w.stop.Load() {
		return 0, errStopped
	}
	if w.buf.Len()+len(p) > w.max {
		return 0, errTooLarge
	}
	return w.buf.Write(p)
}

// Render renders the subject, the plain text and the HTML of one message.
// The subject becomes one line: runs of white space, line breaks
// included, become one space. Returns an error when a template fails or
// the subject is empty, and an EINVALID *booking.Error when the subject
// would be longer than MaxSubjectSize, a part longer than MaxBodySize, or
// the whole would take longer than MaxRenderTime.
//
// text/template cannot be interrupted, so a clinic's message is rendered
// on its own goroutine. After the time cap Render returns and every later
// write of that goroutine fails, which ends it at once; a loop that writes
// nothing ({{range 200000000}}{{end}}) runs on to its end in the
// background, its result discarded. kapbook's own templates loop over
// nothing larger than a series, and are rendered on the caller's
// goroutine: starting another was a fifth of composing a message.
func (t *Template) Render(d Data) (r Rendered, err error) {
	if t.ours {
		defer func() {
			if p := recover(); p != nil {
				r, err = Rendered{}, fmt.Errorf("reminder: the %s template failed: %v", t.Kind, p)
			}
		}()
		return t.render(d, new(atomic.Bool))
	}
	type result struct {
		r   Rendered
		err error
	}
	var stop atomic.Bool
	done := make(chan result, 1) // never blocks the goroutine left behind
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("reminder: the %s template failed: %v", t.Kind, p)}
			}
		}()
		r, err := t.render(d, &stop)
		done <- result{r, err}
	}()
	timer := time.NewTimer(renderTimeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.r, res.err
	case <-timer.C:
		stop.Store(true)
		return Rendered{}, &capError{booking.Errorf(booking.EINVALID,
			"The %s template takes longer than %s to fill in for this message.", t.Kind, secondsWords(renderTimeout))}
	}
}

// render is Render without the time cap; every write fails once stop is
// set.
func (t *Template) render(d Data, stop *atomic.Bool) (Rendered, error) {
	d.Subject = ""
	w := &capWriter{max: MaxSubjectSize, stop: stop}
	if err := t.text.ExecuteTemplate(w, "subject", d); err != nil {
		return Rendered{}, t.renderError("text", "subject", MaxSubjectSize, err)
	}
	var r Rendered
	r.Subject = strings.Join(strings.Fields(cleanText(w.buf.String())), " ")
	if r.Subject == "" {
		return Rendered{}, &TemplateError{Kind: t.Kind, Part: "text", Problem: "the subject is empty"}
	}
	if n := utf8.RuneCountInString(r.Subject); n > MaxSubjectRunes {
		return Rendered{}, &TemplateError{Kind: t.Kind, Part: "text", Problem: fmt.Sprintf(
			"the subject is %d characters long; it may hold at most %d (mail programs cut it, and a header line must stay short)", n, MaxSubjectRunes)}
	}
	d.Subject = r.Subject
	w = &capWriter{max: MaxBodySize, stop: stop}
	if err := t.text.ExecuteTemplate(w, "text", d); err != nil {
		return Rendered{}, t.renderError("text", "plain text", MaxBodySize, err)
	}
	r.Text = w.buf.String()
	w = &capWriter{max: MaxBodySize, stop: stop}
	if err := t.html.ExecuteTemplate(w, "html", d); err != nil {
		return Rendered{}, t.renderError("HTML", "HTML", MaxBodySize, err)
	}
	r.HTML = w.buf.String()
	return r, nil
}

// renderError explains err, from rendering part (what: the subject, the
// plain text or the HTML, capped at max bytes).
func (t *Template) renderError(part, what string, max int, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return &capError{booking.Errorf(booking.EINVALID,
			"The %s %s template makes a message whose %s is larger than %d KB.", t.Kind, part, what, max>>10)}
	case errors.Is(err, errStopped):
		return &capError{booking.Errorf(booking.EINVALID,
			"The %s template takes longer than %s to fill in for this message.", t.Kind, secondsWords(renderTimeout))}
	}
	return templateError(t.Kind, part, err)
}

// secondsWords returns d as "2 seconds".
func secondsWords(d time.Duration) string {
	if d == time.Second {
		return "1 second"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
}

// Templates holds one template per kind.
type Templates map[Kind]*Template

// DefaultTemplates parses the embedded default templates.
func DefaultTemplates() (Templates, error) {
	ts := Templates{}
	for _, k := range Kinds {
		s, err := DefaultSource(k)
		if err != nil {
			return nil, err
		}
		if ts[k], err = Parse(s); err != nil {
			return nil, err
		}
		ts[k].ours = true
	}
	return ts, nil
}

// instructions are the detailed preparation instructions by key
// (consultation, dosing, infusion, esketamine), from
// resources/email/instructions.json.
func loadInstructions() (map[string][]string, error) {
	b, err := fs.ReadFile(resources.Email, "email/instructions.json")
	if err != nil {
		return nil, fmt.Errorf("reminder: instructions: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reminder: instructions: %w", err)
	}
	out := map[string][]string{}
	for k, v := range m {
		if strings.HasPrefix(k, "_") {
			continue
		}
		var l []string
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, fmt.Errorf("reminder: instructions %q: %w", k, err)
		}
		out[k] = l
	}
	return out, nil
}

// generalPrepare returns the general line on how to prepare: it names no
// treatment. escort adds that an adult must take the patient home, which
// the clinic needs to know before check-in.
func generalPrepare(escort bool, phone string) string {
	s := "Please arrive 10 minutes early."
	if escort {
		s += " Please arrange for an adult to take you home afterwards; do not plan to drive for the rest of the day."
	}
	if phone != "" {
		s += " If you have questions about how to prepare, call the clinic at " + phone + "."
	}
	return s
}
