package reminder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// ErrNoEmail is returned by Compose for a patient who asked for no email:
// nothing is composed, and the front desk should be shown why.
var ErrNoEmail = errors.New("reminder: the patient asked for no email")

// AttachmentName is the file name of every message's calendar attachment:
// it names neither the treatment nor the kind of appointment.
const AttachmentName = "appointment.ics"

// Composer composes patients' messages.
type Composer struct {
	// FromAddress is the clinic's sending address: the From header and
	// the calendar's ORGANIZER.
	FromAddress string
	// FromName is the sender's display name, as configured. Empty means
	// the clinic's name, or "Appointments" when the clinic's name reveals
	// the treatment. A configured name is used as it is: choosing it is
	// the clinic's decision.
	FromName string
	// InstanceID is part of every calendar UID (calendar.UID).
	InstanceID string
	// Templates, when set, are the templates by kind, whatever the
	// clinic's; a kind missing here uses the clinic's own template
	// (booking.Clinic.Templates of the message's clinic, so a template
	// saved while a dispatcher runs is used from its next message), else
	// the default.
	Templates Templates
	// Now returns the current time, for the Date header and DTSTAMP; nil
	// means time.Now.
	Now func() time.Time

	// The clinic's texts, checked, for the last clinic seen: checking
	// costs a third of composing a message.
	mu           sync.Mutex
	clinicIn     [3]string
	clinicSafe   [3]string
	clinicCached bool
	// clinicAllowed is the last clinic's TreatmentWordsAllowed.
	clinicAllowed bool
	// The clinic's own templates, parsed, for the last clinic seen.
	ownIn     map[string]booking.TemplateText
	ownParsed Templates
	// revealed holds the privacy check of the sender's address and name,
	// the same in every message (reveals).
	revealed map[string]bool
}

// reveals is booking.RevealsTreatment(s) for the composer's own texts
// (the sender's address and name), remembered: a regular expression over
// the same words for every message was a tenth of composing one.
func (c *Composer) reveals(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.revealed[s]
	if !ok {
		if len(c.revealed) >= 8 {
			clear(c.revealed) // texts changed while the composer lived
		}
		if c.revealed == nil {
			c.revealed = map[string]bool{}
		}
		r = booking.RevealsTreatment(s)
		c.revealed[s] = r
	}
	return r
}

// Message is what to compose: one kind of message about one appointment,
// or about several appointments of one series.
type Message struct {
	Kind    Kind
	Clinic  *booking.Clinic
	Patient *booking.Patient
	// Appointment is the appointment the message is about; for a message
	// about a series, the first of Appointments (nil means just that).
	Appointment *booking.Appointment
	// Appointments, for a message about a whole series (a confirmation,
	// an update or a cancellation), are every appointment it covers, in
	// order: the attachment holds one event for each, and with more than
	// one the templates list them all (Data.Appointments).
	Appointments []*booking.Appointment
	// Changed, in an update about a series, are the appointments that
	// moved or were added (booking.OutboxMessage.Changed).
	Changed []int64
	// Staff gives video calls the link of their therapist's video room
	// (booking.VideoLink); nil: the message says the clinic sends it.
	Staff []*booking.Staff
}

var (
	defaultTemplates = sync.OnceValues(DefaultTemplates)
	defaultInstr     = sync.OnceValues(loadInstructions)
)

// Compose renders m as an email: From with the sender's display name, To
// the patient, the subject, a plain-text and an HTML part
// (multipart/alternative), and the calendar as an iTIP attachment named
// AttachmentName (METHOD:CANCEL for a cancellation, METHOD:REQUEST
// otherwise) with one event per appointment: Appointment, or every one of
// Appointments for a message about a series.
//
// Returns ErrNoEmail when the patient asked for no email, an error
// when an address or a display name holds a control character (CR and LF
// included) or is not a valid address, so that nothing can add a header
// or break the MIME structure, and an EINVALID *booking.Error saying
// which cap when the template goes over one of Render's caps for this
// message (MaxSubjectSize, MaxBodySize, MaxRenderTime).
func (c *Composer) Compose(m Message) (*email.Email, error) {
	if !m.Kind.Valid() {
		return nil, fmt.Errorf("reminder: unknown message kind %q", booking.Clip(string(m.Kind), 40))
	}
	if m.Appointment == nil && len(m.Appointments) > 0 {
		m.Appointment = m.Appointments[0]
	}
	if m.Clinic == nil || m.Patient == nil || m.Appointment == nil {
		return nil, errors.New("reminder: a message needs a clinic, a patient and an appointment")
	}
	if m.Patient.Consents.NoEmail != nil {
		return nil, ErrNoEmail
	}
	if m.Appointment.PatientID != m.Patient.ID {
		return nil, fmt.Errorf("reminder: appointment %d is not patient %d's", m.Appointment.ID, m.Patient.ID)
	}
	for i, a := range m.Appointments {
		if a == nil {
			return nil, fmt.Errorf("reminder: appointment %d of %d is missing", i+1, len(m.Appointments))
		}
		if a.PatientID != m.Patient.ID {
			return nil, fmt.Errorf("reminder: appointment %d is not patient %d's", a.ID, m.Patient.ID)
		}
	}
	if err := checkAddress("clinic's sending address", c.FromAddress); err != nil {
		return nil, err
	}
	if err := checkAddress("patient's address", m.Patient.Email); err != nil {
		return nil, err
	}
	if err := checkHeaderText("sender's display name", c.FromName); err != nil {
		return nil, err
	}
	if !m.Clinic.TreatmentWordsAllowed && c.reveals(c.FromAddress) {
		return nil, booking.Errorf(booking.EINVALID, "The clinic's sending address says %q, which patients see: by default nothing a patient receives names the treatment, the drug or a diagnosis (see docs/privacy.md). Nothing was sent; use another sending address (kapctl email set --from) or let the clinic's own words name the treatment (kapctl clinic treatment-words allow).",
			booking.Clip(booking.RevealingWord(c.FromAddress), 40))
	}
	t := c.Templates[m.Kind]
	if t == nil {
		t = c.clinicTemplate(m.Clinic, m.Kind)
	}
	if t == nil {
		ts, err := defaultTemplates()
		if err != nil {
			return nil, err
		}
		t = ts[m.Kind]
	}
	d, err := c.data(m)
	if err != nil {
		return nil, err
	}
	r, err := t.Render(d)
	if ce := (*capError)(nil); errors.As(err, &ce) {
		return nil, booking.Errorf(booking.EINVALID, "%s Nothing was sent to the patient; fix the template (kapctl template set) or reset it to the default.", ce.err.Message)
	} else if err != nil {
		return nil, err
	}
	now := c.now()
	method := calendar.MethodRequest
	if m.Kind == Cancellation {
		method = calendar.MethodCancel
	}
	inv := calendar.Invite{
		Method: method, Clinic: m.Clinic, InstanceID: c.InstanceID, Appointment: m.Appointment,
		OrganizerEmail: c.FromAddress, OrganizerName: d.SenderName, PatientEmail: m.Patient.Email, Now: now, Staff: m.Staff,
	}
	if len(m.Appointments) > 0 {
		inv.Appointment, inv.Appointments = nil, m.Appointments
	}
	var ics bytes.Buffer
	if err := calendar.WriteInvite(&ics, inv); err != nil {
		return nil, fmt.Errorf("reminder: the calendar attachment: %w", err)
	}

	e := email.NewEmail()
	e.From = (&mail.Address{Name: d.SenderName, Address: c.FromAddress}).String()
	e.To = []string{(&mail.Address{Address: m.Patient.Email}).String()}
	e.Subject = r.Subject
	e.Text = []byte(r.Text)
	e.HTML = []byte(r.HTML)
	e.Headers.Set("Date", now.Format(time.RFC1123Z))
	e.Headers.Set("Message-Id", messageID(c.FromAddress))
	// An automatic message: vacation responders and list servers do not
	// answer it (RFC 3834).
	e.Headers.Set("Auto-Submitted", "auto-generated")
	at, err := e.Attach(&ics, AttachmentName, "text/calendar; charset=utf-8; method="+string(method))
	if err != nil {
		return nil, fmt.Errorf("reminder: attaching the calendar: %w", err)
	}
	// A Content-ID unique to the message, with a domain, as RFC 2392
	// wants; the library's default is the file name, the same in every one.
	at.Header.Set("Content-ID", messageID(c.FromAddress))
	return e, nil
}

// data returns the variables of m's templates.
func (c *Composer) data(m Message) (Data, error) {
	cl, a, p := m.Clinic, m.Appointment, m.Patient
	loc := cl.Location()
	safe := c.clinicTexts(cl)
	d := Data{
		Kind:          m.Kind,
		ClinicName:    safe[0],
		ClinicPhone:   safe[1],
		ClinicAddress: safe[2],
		SenderName:    strings.TrimSpace(c.FromName),
		FirstName:     "there",
		Start:         a.Start.In(loc),
		End:           a.End.In(loc),
		Video:         a.Video(),
	}
	if !cl.TreatmentWordsAllowed && c.reveals(d.SenderName) {
		d.SenderName = "" // stored before kapbook checked it (docs/privacy.md)
	}
	if d.SenderName == "" {
		d.SenderName = d.ClinicName
		if d.SenderName == "" {
			d.SenderName = "Appointments"
		}
	}
	if f := strings.Fields(cleanText(p.Name)); len(f) > 0 && !calendar.Reveals(f[0]) {
		d.FirstName = f[0]
	}
	if d.Video {
		d.ClinicAddress = ""
		if m.Kind != Cancellation {
			d.VideoLink = videoLink(a, m.Staff, cl.TreatmentWordsAllowed)
		}
	}
	fillTimes(&d)
	escort := a.NeedsEscort()
	if len(m.Appointments) > 1 {
		d.Appointments = make([]Slot, len(m.Appointments))
		for i, x := range m.Appointments {
			d.Appointments[i] = newSlot(x.Start.In(loc), x.End.In(loc), x.Video(), safe[2])
			d.Appointments[i].Changed = m.Kind == Update && slices.Contains(m.Changed, x.ID)
			if x.Video() && m.Kind != Cancellation {
				d.Appointments[i].VideoLink = videoLink(x, m.Staff, cl.TreatmentWordsAllowed)
			}
			escort = escort || x.NeedsEscort()
		}
	}
	d.Prepare = generalPrepare(escort, d.ClinicPhone)
	if p.Consents.DetailedEmail != nil {
		d.Detailed = true
		instr, err := defaultInstr()
		if err != nil {
			return Data{}, err
		}
		// A message about several appointments gives the instructions
		// once, for the first appointment that has any: the next one to
		// prepare for. Each later one gets its own preparation message.
		d.Instructions, d.InstructionsDate = instr[instructionsKey(a)], d.Date
		for i, x := range m.Appointments {
			if l := instr[instructionsKey(x)]; len(m.Appointments) > 1 && len(l) > 0 {
				d.Instructions, d.InstructionsDate = l, d.Appointments[i].Date
				break
			}
		}
		if len(d.Instructions) == 0 {
			d.InstructionsDate = ""
		}
	}
	return d, nil
}

// clinicTexts returns the clinic's name, phone and address as safeText
// returns them, remembering the last clinic's.
func (c *Composer) clinicTexts(cl *booking.Clinic) [3]string {
	in := [3]string{cl.Name, cl.Phone, cl.Address}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.clinicCached || c.clinicIn != in || c.clinicAllowed != cl.TreatmentWordsAllowed {
		c.clinicIn, c.clinicAllowed = in, cl.TreatmentWordsAllowed
		for i, s := range in {
			if cl.TreatmentWordsAllowed {
				c.clinicSafe[i] = strings.Join(strings.Fields(cleanText(s)), " ")
			} else {
				c.clinicSafe[i] = safeText(s)
			}
		}
		c.clinicCached = true
	}
	return c.clinicSafe
}

// clinicTemplate returns clinic cl's own template of kind k, or nil when
// it has none that works (ClinicTemplates), remembering the last clinic's.
func (c *Composer) clinicTemplate(cl *booking.Clinic, k Kind) *Template {
	if len(cl.Templates) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ownParsed == nil || !maps.Equal(c.ownIn, cl.Templates) {
		c.ownIn = maps.Clone(cl.Templates)
		c.ownParsed, _ = ClinicTemplates(cl)
	}
	return c.ownParsed[k]
}

// instructionsKey returns the key of a's detailed preparation
// instructions in resources/email/instructions.json, or "".
func instructionsKey(a *booking.Appointment) string {
	switch {
	case a.Kind == booking.KindDosing && a.NeedsREMS:
		return "esketamine"
	case a.Kind == booking.KindConsultation, a.Kind == booking.KindDosing, a.Kind == booking.KindInfusion:
		return string(a.Kind)
	}
	return ""
}

func (c *Composer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// messageID returns a new, random Message-Id in the domain of from.
func messageID(from string) string {
	var b [16]byte
	rand.Read(b[:])
	domain := "kapbook.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// badRune reports whether r may not stand in a header or a message's
// text: invalid UTF-8, control characters (CR, LF and tab included) and
// the Unicode line separators.
func badRune(r rune) bool {
	return r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// checkHeaderText returns an error when s holds a character that could
// break a header.
func checkHeaderText(what, s string) error {
	if !utf8.ValidString(s) || strings.IndexFunc(s, badRune) >= 0 {
		return fmt.Errorf("reminder: the %s %q holds a control character", what, booking.Clip(s, 40))
	}
	return nil
}

// checkAddress returns an error unless s is one plain address, such as
// "jane@example.org", with nothing that could break a header.
func checkAddress(what, s string) error {
	if err := checkHeaderText(what, s); err != nil {
		return err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || strings.ContainsAny(s, "\"\\;:,<> ") {
		return fmt.Errorf("reminder: the %s %q is not a valid email address", what, booking.Clip(s, 40))
	}
	return nil
}

// cleanText replaces invalid UTF-8 and control characters with spaces.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, badRune) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if badRune(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
}

// safeText returns s cleaned and trimmed, or "" when it reveals the
// treatment.
func safeText(s string) string {
	s = strings.Join(strings.Fields(cleanText(s)), " ")
	if calendar.Reveals(s) {
		return ""
	}
	return s
}

// videoLink returns the link of video call a, or "" when there is none or
// it would reveal the treatment and the clinic has not allowed that.
func videoLink(a *booking.Appointment, staff []*booking.Staff, allowed bool) string {
	l := booking.VideoLink(a, staff)
	if !allowed && calendar.Reveals(l) {
		return ""
	}
	return l
}
