package reminder

import (
	"context"
	"errors"
	"strings"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/resources"
)

// ClinicSource returns the template of kind k that clinic c uses: its own
// text and HTML parts where it has them (booking.Clinic.Templates), the
// embedded defaults for the rest. own reports whether either part is the
// clinic's.
func ClinicSource(c *booking.Clinic, k Kind) (s Source, own bool, err error) {
	s, err = DefaultSource(k)
	if err != nil {
		return Source{}, false, err
	}
	if c == nil {
		return s, false, nil
	}
	o, ok := c.Templates[string(k)]
	if !ok {
		return s, false, nil
	}
	if o.Text != "" {
		s.Text = o.Text
	}
	if o.HTML != "" {
		s.HTML = o.HTML
	}
	return s, !o.IsZero(), nil
}

// ClinicTemplates parses the clinic's own templates, for
// Composer.Templates: a kind the clinic has none of is left out (the
// default is used). A stored template that no longer works (it was
// checked when saved, so only a hand-edited database or a new kapbook
// version can break it) is left out too, so patients still get the
// default message, and its error is in broken.
func ClinicTemplates(c *booking.Clinic) (ts Templates, broken map[Kind]error) {
	ts = Templates{}
	for _, k := range Kinds {
		s, own, err := ClinicSource(c, k)
		if err != nil || !own {
			continue
		}
		t, err := Parse(s)
		if err != nil {
			if broken == nil {
				broken = map[Kind]error{}
			}
			broken[k] = err
			continue
		}
		ts[k] = t
	}
	return ts, broken
}

// TemplateStatus is what TemplateList says of one kind of message.
type TemplateStatus struct {
	Kind Kind `json:"kind"`
	// OwnText and OwnHTML report which parts are the clinic's own.
	OwnText bool `json:"own_text"`
	OwnHTML bool `json:"own_html"`
	// Problem is why the clinic's own template is not used (the default
	// is sent instead); empty when it works or there is none.
	Problem string `json:"problem,omitempty"`
}

// TemplateList returns, for every kind of message, whether clinic c has
// its own template and whether it works.
func TemplateList(c *booking.Clinic) []TemplateStatus {
	_, broken := ClinicTemplates(c)
	out := make([]TemplateStatus, 0, len(Kinds))
	for _, k := range Kinds {
		st := TemplateStatus{Kind: k}
		if c != nil {
			o := c.Templates[string(k)]
			st.OwnText, st.OwnHTML = o.Text != "", o.HTML != ""
		}
		if err := broken[k]; err != nil {
			st.Problem = errorText(err)
		}
		out = append(out, st)
	}
	return out
}

// TemplateOptions are the choices of SaveTemplate.
type TemplateOptions struct {
	// HTML saves the HTML part; otherwise the text part (subject and
	// plain text).
	HTML bool
	// AllowRevealing lets the template name the treatment, the drug or a
	// diagnosis, which docs/privacy.md's rules forbid by default: the
	// clinic's deliberate choice, recorded in the audit trail with the
	// template.
	AllowRevealing bool
}

// SaveTemplate checks one part of the clinic's own template of kind k and
// saves it with svc, in one transaction: the template made of it, the
// clinic's other part (or the default's) and the default layout is
// rendered with SampleData, with and without detailed consent, for a
// video call and for a series, and again under each demo patient's first
// name, within Render's caps. A template that fails, goes over a cap, or that names the
// treatment, the drug or a diagnosis without opts.AllowRevealing, is
// refused with an EINVALID error saying which line and what is wrong, and
// nothing is changed.
func SaveTemplate(ctx context.Context, svc *booking.Service, k Kind, text string, opts TemplateOptions) error {
	if !k.Valid() {
		return unknownKind(k)
	}
	part := "text"
	if opts.HTML {
		part = "HTML"
	}
	if strings.TrimSpace(text) == "" {
		return booking.Errorf(booking.EINVALID, "The %s %s template is empty; to use the default again, reset it.", k, part)
	}
	_, err := svc.SetTemplate(ctx, string(k), func(cur booking.TemplateText) (booking.TemplateText, error) {
		next := cur
		if opts.HTML {
			next.HTML = text
		} else {
			next.Text = text
		}
		if err := next.Validate(string(k)); err != nil {
			return cur, err
		}
		s, _, err := ClinicSource(&booking.Clinic{Templates: map[string]booking.TemplateText{string(k): next}}, k)
		if err != nil {
			return cur, err
		}
		t, err := Parse(s)
		if err == nil {
			err = checkSampleNames(t)
		}
		if err != nil {
			return cur, booking.Errorf(booking.EINVALID, "%s Nothing was saved.", errorText(err))
		}
		if !opts.AllowRevealing {
			if err := checkWords(t, s, opts.HTML); err != nil {
				return cur, err
			}
		}
		return next, nil
	})
	return err
}

// checkSampleNames renders t with SampleData under the first name of
// each of the demo clinic's patients (resources.SamplePatients), so that
// a template that fails or goes over a rendering cap only for one name,
// such as {{if eq .FirstName "Finley"}}{{range 200000000}}…{{end}}{{end}},
// is refused when it is saved. A name no sample has is caught only when
// that patient's message is composed: that message fails, the others go.
func checkSampleNames(t *Template) error {
	for _, sp := range resources.SamplePatients {
		first, _, _ := strings.Cut(sp.Name, " ")
		for _, d := range SampleData(t.Kind) {
			d.FirstName = first
			if _, err := t.Render(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// ResetTemplate removes the clinic's own template of kind k, both parts,
// so the default is used again.
func ResetTemplate(ctx context.Context, svc *booking.Service, k Kind) error {
	if !k.Valid() {
		return unknownKind(k)
	}
	_, err := svc.SetTemplate(ctx, string(k), func(booking.TemplateText) (booking.TemplateText, error) {
		return booking.TemplateText{}, nil
	})
	return err
}

// checkWords refuses a template that names the treatment, the drug or a
// diagnosis (calendar.Reveals): in a line of the part being saved, or in
// any message rendered from the sample data.
func checkWords(t *Template, s Source, html bool) error {
	src, part := s.Text, "text"
	if html {
		src, part = s.HTML, "HTML"
	}
	for i, line := range strings.Split(src, "\n") {
		if calendar.Reveals(line) {
			return booking.Errorf(booking.EINVALID, "The %s %s template, line %d, says %q: by default no patient email names the treatment, the drug or a diagnosis (see docs/privacy.md). Nothing was saved.",
				t.Kind, part, i+1, revealingWord(line))
		}
	}
	for _, d := range SampleData(t.Kind) {
		r, err := t.Render(d)
		if err != nil {
			return booking.Errorf(booking.EINVALID, "%s Nothing was saved.", errorText(err))
		}
		for _, x := range []struct{ what, s string }{{"subject", r.Subject}, {"text", r.Text}, {"HTML", r.HTML}} {
			if calendar.Reveals(x.s) {
				return booking.Errorf(booking.EINVALID, "The %s message's %s would say %q: by default no patient email names the treatment, the drug or a diagnosis (see docs/privacy.md). Nothing was saved.",
					t.Kind, x.what, revealingWord(x.s))
			}
		}
	}
	return nil
}

// revealingWord returns the first word of s that names the treatment.
func revealingWord(s string) string { return booking.RevealingWord(s) }

// errorText returns err's message for the front desk: a TemplateError's
// sentence, or the error without the package prefix.
func errorText(err error) string {
	var te *TemplateError
	if errors.As(err, &te) {
		return te.Message()
	}
	if booking.ErrorCode(err) != booking.EINTERNAL {
		return booking.ErrorMessage(err)
	}
	return strings.TrimPrefix(err.Error(), "reminder: ")
}

// unknownKind is the error for a kind of message that does not exist.
func unknownKind(k Kind) error {
	return booking.Errorf(booking.EINVALID, "%q is not a kind of patient email; use %s.", booking.Clip(string(k), 40), kindList())
}

// kindList returns "confirmation, reminder, … or cancellation".
func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// PreviewTemplate renders clinic c's template of kind k (its own, or the
// default) as a fictional patient with detailed consent would get it for
// a three-hour appointment in person: the first of SampleData with c's
// name, phone, address and sender name, and the detailed instructions of
// a dosing session. An own template that no longer works gives its error.
func PreviewTemplate(c *booking.Clinic, k Kind) (Rendered, error) {
	s, _, err := ClinicSource(c, k)
	if err != nil {
		return Rendered{}, err
	}
	t, err := Parse(s)
	if err != nil {
		return Rendered{}, err
	}
	d := SampleData(k)[0]
	if c != nil {
		d.ClinicName, d.ClinicPhone, d.ClinicAddress = safeText(c.Name), safeText(c.Phone), safeText(c.Address)
		d.SenderName = d.ClinicName
		if c.Email != nil && strings.TrimSpace(c.Email.FromName) != "" {
			d.SenderName = strings.TrimSpace(c.Email.FromName)
		}
		if d.SenderName == "" {
			d.SenderName = "Appointments"
		}
		d.Prepare = generalPrepare(true, d.ClinicPhone)
	}
	if instr, err := defaultInstr(); err == nil && len(instr["dosing"]) > 0 {
		d.Instructions = instr["dosing"]
	}
	return t.Render(d)
}
