package calendar

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
)

// productID is the PRODID of every calendar kapbook writes.
const productID = "-//kapbook//kapbook//EN"

// Privacy says how staff and room calendars show the patient.
type Privacy string

// Privacy modes. Whatever the mode, the title of a staff or room event is
// neutral ("Appointment – J.D."), never the kind of session.
const (
	// PrivacyFull shows the patient's full name.
	PrivacyFull Privacy = "full"
	// PrivacyInitials shows the patient's initials, such as "J.D."; the default.
	PrivacyInitials Privacy = "initials"
	// PrivacyID shows an opaque number, such as "Patient #12".
	PrivacyID Privacy = "id"
)

// Export is one calendar to write.
type Export struct {
	// Clinic gives the time zone, the address and the phone number.
	Clinic *booking.Clinic
	// InstanceID comes from booking.Reader.InstanceID and is part of every
	// UID, so that two clinics' appointments never share one.
	InstanceID string
	// Appointments are the events, cancelled ones included: they stay in
	// the calendar with STATUS:CANCELLED so that subscribed clients drop
	// them instead of keeping a stale copy.
	Appointments []*booking.Appointment
	// PatientName returns a patient's full name; staff and room calendars
	// in the full and initials modes need it.
	PatientName func(id int64) string
	// Privacy says how staff and room calendars show the patient; empty
	// means PrivacyInitials. Patient calendars ignore it.
	Privacy Privacy
	// ForPatient makes a patient's own calendar: every appointment must be
	// that patient's, and no text names a patient, a member of staff, a
	// room, the treatment, the drug or a diagnosis (docs/privacy.md,
	// "Calendars"). Each event says "Your appointment at <clinic>", the time,
	// the place and the clinic's phone number.
	ForPatient bool
	// Alarms adds reminders a day and two hours before each appointment
	// that is not cancelled; only for patient calendars.
	Alarms bool
	// Now is the DTSTAMP of every event; zero means the current time.
	Now time.Time
	// Name is the calendar's display name (X-WR-CALNAME), optional. In a
	// patient calendar a name that reveals the treatment is replaced by
	// "Appointments".
	Name string
	// Staff gives video calls the link of their therapist's video room
	// (booking.VideoLink) as LOCATION and in the description; without it,
	// or for someone without a link, a patient's event says the clinic
	// sends the link. A link that reveals the treatment is left out of
	// patient calendars.
	Staff []*booking.Staff
	// RefreshInterval, when not zero, tells subscribed clients how often
	// to fetch the calendar again (REFRESH-INTERVAL and X-PUBLISHED-TTL);
	// feeds set it, files need not.
	RefreshInterval time.Duration
}

// UID returns the appointment's UID, which never changes, such as
// "17-3f2a…@kapbook".
func UID(instanceID string, appointmentID int64) string {
	return strconv.FormatInt(appointmentID, 10) + "-" + instanceID + "@kapbook"
}

// Write writes x to w as one VCALENDAR, streaming event by event: memory
// does not grow with the number of appointments. The calendar holds a
// VTIMEZONE for the clinic's zone covering every appointment (or, with
// none, the current time), so that clients read the times right on either
// side of a daylight-saving change. Lines are folded at 75 octets.
//
// Write checks the whole export before it writes anything; an error from
// w can leave a partial calendar behind, so write files to a temporary
// name first.
func Write(w io.Writer, x Export) error {
	e, err := newEncoder(w, x)
	if err != nil {
		return err
	}
	if err := e.header(); err != nil {
		return err
	}
	for _, a := range x.Appointments {
		if err := e.event(a); err != nil {
			return err
		}
	}
	e.bw.WriteString("END:VCALENDAR\r\n")
	if err := e.flush(); err != nil {
		return fmt.Errorf("calendar: writing the calendar: %w", err)
	}
	return nil
}

// encoder is one Write's state.
//
// go-ical encodes the calendar's properties and the VTIMEZONE. Events are
// written straight into a reused buffer, in the same form go-ical writes
// (its property model, the same TEXT escaping), and the tests read every
// event back with go-ical's decoder: going through go-ical's encoder cost
// a map, a sort and a buffer per property, about as much as all the rest
// of an event.
type encoder struct {
	x        Export
	bw       *bufio.Writer
	loc      *time.Location
	tzid     string    // the clinic's zone, as TZID
	tzParam  string    // ";TZID=<zone>:", quoted if need be
	from, to time.Time // the range the VTIMEZONE covers
	stamp    string    // DTSTAMP
	privacy  Privacy
	alarms   []byte // the VALARMs of a patient's event, encoded by go-ical
	out      []byte // the event being written, reused

	// The clinic's words; in patient calendars only those that reveal
	// nothing.
	clinicName, address, phone string
}

var instanceIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// writers keeps the encoders' buffers for the next: an invite goes with
// every email, and a new 32 KB buffer for each was a third of what
// composing an email allocated.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

// flush writes what e holds to its writer and gives its buffer back; e
// writes nothing more.
func (e *encoder) flush() error {
	err := e.bw.Flush()
	e.bw.Reset(nil)
	writers.Put(e.bw)
	e.bw = nil
	return err
}

// newEncoder checks x and returns the encoder that writes it.
func newEncoder(w io.Writer, x Export) (*encoder, error) {
	if x.Clinic == nil {
		return nil, errors.New("calendar: the export has no clinic")
	}
	if !instanceIDPattern.MatchString(x.InstanceID) {
		return nil, fmt.Errorf("calendar: instance id %q cannot stand in a UID", booking.Clip(x.InstanceID, 40))
	}
	e := &encoder{x: x, privacy: x.Privacy}
	switch e.privacy {
	case "":
		e.privacy = PrivacyInitials
	case PrivacyFull, PrivacyInitials, PrivacyID:
	default:
		return nil, fmt.Errorf("calendar: unknown privacy %q; use full, initials or id", booking.Clip(string(x.Privacy), 40))
	}
	if x.Alarms && !x.ForPatient {
		return nil, errors.New("calendar: alarms are for patient calendars only")
	}
	if x.RefreshInterval < 0 {
		return nil, errors.New("calendar: negative refresh interval")
	}
	if x.Now.IsZero() {
		e.x.Now = time.Now()
	}
	e.stamp = e.x.Now.UTC().Format(stampFormat)
	e.loc = x.Clinic.Location()
	e.tzid = e.loc.String()
	switch {
	case strings.ContainsAny(e.tzid, "\"\r\n"):
		return nil, fmt.Errorf("calendar: time zone %q cannot stand in a TZID", booking.Clip(e.tzid, 40))
	case strings.ContainsAny(e.tzid, ";:,"):
		e.tzParam = ";TZID=\"" + e.tzid + "\":"
	default:
		e.tzParam = ";TZID=" + e.tzid + ":"
	}
	e.from, e.to = e.x.Now, e.x.Now
	for i, a := range x.Appointments {
		if a == nil {
			return nil, fmt.Errorf("calendar: appointment %d of %d is missing", i+1, len(x.Appointments))
		}
		if a.End.Before(a.Start) {
			return nil, fmt.Errorf("calendar: appointment %d ends before it starts", a.ID)
		}
		if x.ForPatient && a.PatientID != x.Appointments[0].PatientID {
			return nil, fmt.Errorf("calendar: a patient's calendar would hold appointments of patients %d and %d", x.Appointments[0].PatientID, a.PatientID)
		}
		if i == 0 || a.Start.Before(e.from) {
			e.from = a.Start
		}
		if i == 0 || a.End.After(e.to) {
			e.to = a.End
		}
	}
	if x.Alarms && len(x.Appointments) > 0 {
		e.from = e.from.Add(-24 * time.Hour) // the first reminder
	}
	e.clinicName = strings.TrimSpace(cleanTextValue(x.Clinic.Name))
	e.address = strings.TrimSpace(cleanTextValue(x.Clinic.Address))
	e.phone = strings.TrimSpace(cleanTextValue(x.Clinic.Phone))
	if x.ForPatient && !x.Clinic.TreatmentWordsAllowed {
		e.clinicName = safeForPatient(e.clinicName)
		e.address = safeForPatient(e.address)
		e.phone = safeForPatient(e.phone)
		if x.Alarms {
			var err error
			e.alarms, err = encodeAlarms()
			if err != nil {
				return nil, err
			}
		}
	}
	e.bw = writers.Get().(*bufio.Writer)
	e.bw.Reset(w)
	e.out = make([]byte, 0, 2048)
	return e, nil
}

const stampFormat = "20060102T150405Z"

// header writes the calendar's properties and its VTIMEZONE, through
// go-ical's encoder.
func (e *encoder) header() error {
	cal := ical.NewCalendar()
	set := func(name, value string) { cal.Props.Set(&ical.Prop{Name: name, Value: value}) }
	set(ical.PropProductID, productID)
	set(ical.PropVersion, "2.0")
	set(ical.PropCalendarScale, "GREGORIAN")
	// No METHOD: a plain file or feed is not an iTIP message, and
	// METHOD:PUBLISH without an ORGANIZER is one that iTIP checkers
	// refuse (RFC 5546, section 1.4).
	if name := strings.TrimSpace(cleanTextValue(e.x.Name)); name != "" {
		if e.x.ForPatient && !e.x.Clinic.TreatmentWordsAllowed && reveals(name) {
			name = "Appointments"
		}
		set("X-WR-CALNAME", escapeTextValue(name))
	}
	set("X-WR-TIMEZONE", e.tzid)
	if d := e.x.RefreshInterval; d > 0 {
		cal.Props.Set(&ical.Prop{Name: ical.PropRefreshInterval, Params: ical.Params{ical.ParamValue: {string(ical.ValueDuration)}}, Value: formatICalDuration(d)})
		set("X-PUBLISHED-TTL", formatICalDuration(d))
	}
	cal.Children = []*ical.Component{vtimezone(e.loc, e.from, e.to)}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return fmt.Errorf("calendar: encoding the calendar header: %w", err)
	}
	b, ok := bytes.CutSuffix(buf.Bytes(), []byte("END:VCALENDAR\r\n"))
	if !ok {
		return errors.New("calendar: go-ical wrote an unexpected calendar")
	}
	if err := writeFolded(e.bw, b); err != nil {
		return fmt.Errorf("calendar: writing the calendar: %w", err)
	}
	return nil
}

// encodeAlarms returns the VALARMs of a patient's event, encoded by
// go-ical: reminders a day and two hours before.
func encodeAlarms() ([]byte, error) {
	ev := ical.NewEvent()
	ev.Props.Set(&ical.Prop{Name: ical.PropUID, Value: "alarms"})
	ev.Props.Set(&ical.Prop{Name: ical.PropDateTimeStamp, Value: "19700101T000000Z"})
	for _, a := range []struct{ trigger, text string }{
		{"-P1D", "Reminder: your appointment is tomorrow."},
		{"-PT2H", "Reminder: your appointment is in two hours."},
	} {
		c := ical.NewComponent(ical.CompAlarm)
		c.Props.Set(&ical.Prop{Name: ical.PropAction, Value: "DISPLAY"})
		c.Props.Set(&ical.Prop{Name: ical.PropTrigger, Value: a.trigger})
		c.Props.SetText(ical.PropDescription, a.text)
		ev.Children = append(ev.Children, c)
	}
	cal := ical.NewCalendar()
	cal.Props.Set(&ical.Prop{Name: ical.PropProductID, Value: productID})
	cal.Props.Set(&ical.Prop{Name: ical.PropVersion, Value: "2.0"})
	cal.Children = []*ical.Component{ev.Component}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("calendar: encoding alarms: %w", err)
	}
	b := buf.Bytes()
	i, j := bytes.Index(b, []byte("BEGIN:VALARM")), bytes.LastIndex(b, []byte("END:VEVENT"))
	if i < 0 || j < i {
		return nil, errors.New("calendar: go-ical wrote unexpected alarms")
	}
	return b[i:j], nil
}

// head starts a VEVENT in e.out, from BEGIN to CLASS (no line end):
// the identity, stamps, times and status every event has.
func (e *encoder) head(a *booking.Appointment, cancelled bool) {
	e.out = append(e.out[:0], "BEGIN:VEVENT\r\nUID:"...)
	e.out = strconv.AppendInt(e.out, a.ID, 10)
	e.raw("-")
	e.raw(e.x.InstanceID)
	e.raw("@kapbook\r\nDTSTAMP:")
	e.raw(e.stamp)
	e.raw("\r\nSEQUENCE:")
	e.out = strconv.AppendInt(e.out, int64(a.Sequence), 10)
	if !a.Created.IsZero() {
		e.raw("\r\nCREATED:")
		e.out = a.Created.UTC().AppendFormat(e.out, stampFormat)
	}
	if !a.Updated.IsZero() {
		e.raw("\r\nLAST-MODIFIED:")
		e.out = a.Updated.UTC().AppendFormat(e.out, stampFormat)
	}
	e.raw("\r\nDTSTART")
	e.raw(e.tzParam)
	e.out = a.Start.In(e.loc).AppendFormat(e.out, tzLocalFormat)
	e.raw("\r\nDTEND")
	e.raw(e.tzParam)
	e.out = a.End.In(e.loc).AppendFormat(e.out, tzLocalFormat)
	if cancelled {
		e.raw("\r\nSTATUS:CANCELLED\r\nTRANSP:TRANSPARENT")
	} else {
		e.raw("\r\nSTATUS:CONFIRMED\r\nTRANSP:OPAQUE")
	}
	e.raw("\r\nCLASS:PRIVATE")
}

// event writes one appointment as a VEVENT.
func (e *encoder) event(a *booking.Appointment) error {
	cancelled := !a.Status.Active()
	e.head(a, cancelled)
	e.raw("\r\n")
	if e.x.ForPatient {
		e.patientText(a, cancelled)
		if e.x.Alarms && !cancelled {
			e.out = append(e.out, e.alarms...)
		}
	} else {
		e.staffText(a, cancelled)
	}
	e.raw("END:VEVENT\r\n")
	if err := writeFolded(e.bw, e.out); err != nil {
		return fmt.Errorf("calendar: writing the calendar: %w", err)
	}
	return nil
}

// raw appends s, which needs no escaping, to the event.
func (e *encoder) raw(s string) { e.out = append(e.out, s...) }

// text appends s to the event, cleaned and escaped as TEXT.
func (e *encoder) text(s string) { e.out = appendTextValue(e.out, cleanTextValue(s)) }

// newline appends an escaped line break inside a TEXT value.
func (e *encoder) newline() { e.raw(`\n`) }

// patientText writes the title, description and location of a patient's
// own event: no kind of session, no names of people or rooms.
func (e *encoder) patientText(a *booking.Appointment, cancelled bool) {
	at := "your appointment"
	if e.clinicName != "" {
		at += " at " + e.clinicName
	}
	if cancelled {
		e.raw("SUMMARY:Cancelled: ")
		e.text(at)
	} else {
		e.raw("SUMMARY:")
		e.text(upperFirst(at))
	}
	link := booking.VideoLink(a, e.x.Staff)
	if cancelled || !e.x.Clinic.TreatmentWordsAllowed && reveals(link) {
		link = ""
	}
	switch {
	case a.Video() && link != "":
		e.raw("\r\nLOCATION:")
		e.text(link)
	case a.Video():
		e.raw("\r\nLOCATION:Video call")
	case e.address != "":
		e.raw("\r\nLOCATION:")
		e.text(e.address)
	}
	e.raw("\r\nDESCRIPTION:")
	e.text(upperFirst(at))
	if cancelled {
		e.raw(" on ")
	} else {
		e.raw(" is on ")
	}
	e.out = appendEscapedTime(e.out, a.Start.In(e.loc), "Monday 2 January 2006, 15:04")
	e.raw("–")
	e.out = appendEscapedTime(e.out, a.End.In(e.loc), "15:04 MST")
	if cancelled {
		e.raw(" has been cancelled")
	}
	e.raw(".")
	switch {
	case a.Video() && cancelled:
		e.newline()
		e.raw("It was a video call.")
	case a.Video() && link != "":
		e.newline()
		e.raw("It is a video call: ")
		e.text(link)
	case a.Video():
		e.newline()
		e.raw(`It is a video call\; the clinic sends you the link.`)
	case e.address != "":
		e.newline()
		e.raw("Place: ")
		e.text(e.address)
		e.raw(".")
	}
	if e.phone != "" {
		e.newline()
		if cancelled {
			e.raw("Questions: call the clinic at ")
		} else {
			e.raw(`To change or cancel it\, call the clinic at `)
		}
		e.text(e.phone)
		e.raw(".")
	}
	e.raw("\r\n")
}

// staffText writes the title, description, location and category of a
// staff or room event. The title is neutral whatever the privacy mode.
func (e *encoder) staffText(a *booking.Appointment, cancelled bool) {
	who := e.patient(a.PatientID)
	e.raw("SUMMARY:")
	if cancelled {
		e.raw("Cancelled: ")
	}
	e.raw("Appointment – ")
	e.text(who)

	e.raw("\r\nLOCATION:")
	link := booking.VideoLink(a, e.x.Staff)
	if a.Video() {
		e.raw("Video call")
		if link != "" {
			e.raw(": ")
			e.text(link)
		}
	} else {
		e.text(a.RoomName)
		if e.address != "" {
			e.raw(`\, `)
			e.text(e.address)
		}
	}

	e.raw("\r\nDESCRIPTION:")
	e.text(a.Label())
	e.newline()
	e.raw("Patient: ")
	e.text(who)
	if len(a.Staff) > 0 {
		e.newline()
		e.raw("Staff: ")
		for i, s := range a.Staff {
			if i > 0 {
				e.raw(`\, `)
			}
			e.text(s.Name)
			e.raw(" (")
			e.text(string(s.Role))
			e.raw(")")
		}
	}
	e.newline()
	if a.Video() {
		e.raw("Video call")
	} else {
		e.raw("Room: ")
		e.text(a.RoomName)
	}
	e.newline()
	e.raw("Status: ")
	e.text(string(a.Status))
	if a.NeedsEscort() && !cancelled {
		e.newline()
		if a.Escort != nil {
			e.raw("Escort: recorded")
		} else {
			e.raw("Escort: not recorded yet")
		}
	}
	if cancelled && a.Reason != "" && e.privacy == PrivacyFull {
		e.newline()
		e.raw("Reason: ")
		e.text(a.Reason)
	}
	e.newline()
	e.raw("kapbook appointment ")
	e.out = strconv.AppendInt(e.out, a.ID, 10)
	if a.SeriesID != 0 {
		e.raw(`\, series `)
		e.out = strconv.AppendInt(e.out, a.SeriesID, 10)
	}
	if a.Kind != "" {
		e.raw("\r\nCATEGORIES:")
		e.text(a.Kind.Title())
	}
	e.raw("\r\n")
}

// appendEscapedTime appends t formatted with layout, escaped as TEXT.
func appendEscapedTime(b []byte, t time.Time, layout string) []byte {
	n := len(b)
	b = t.AppendFormat(b, layout)
	if bytes.ContainsAny(b[n:], "\\;,\n") {
		s := string(b[n:])
		b = appendTextValue(b[:n], s)
	}
	return b
}

// patient returns how a staff or room calendar shows patient id.
func (e *encoder) patient(id int64) string {
	if e.privacy != PrivacyID && e.x.PatientName != nil {
		if name := strings.TrimSpace(cleanTextValue(e.x.PatientName(id))); name != "" {
			if e.privacy == PrivacyFull {
				return name
			}
			return patientInitials(name)
		}
	}
	return "Patient #" + strconv.FormatInt(id, 10)
}

// initials returns "J.D." for "Jane Doe" and "M.J.G." for "María José
// García-López": the first letter of each word.
func patientInitials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		b.WriteString(strings.ToUpper(string(r)))
		b.WriteByte('.')
	}
	return b.String()
}

// upperFirst upper-cases the first letter of s.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}

// cleanTextValue makes s safe to write as TEXT, where a raw CR or LF would
// break the line (go-ical's encoder refuses them): invalid UTF-8 is
// replaced, CR and CRLF become LF (written escaped, as \n), and other
// control characters become spaces. Stored names are validated
// already; this is the second line of defence.
func cleanTextValue(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return cleanTextSlow(s)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if badTextRune(r) {
			return cleanTextSlow(s)
		}
		i += n
	}
	return s
}

// badTextRune reports whether r is invalid UTF-8 or a control or line
// separator character that cleanTextValue replaces.
func badTextRune(r rune) bool {
	return r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

func cleanTextSlow(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n':
			return '\n'
		case r == utf8.RuneError:
			return r
		case badTextRune(r):
			return ' '
		}
		return r
	}, s)
}

// escapeTextValue escapes s as an iCalendar TEXT value (RFC 5545 section
// 3.3.11), as go-ical's SetText does: backslash, semicolon and comma get a
// backslash, a line break becomes \n.
func escapeTextValue(s string) string {
	if !strings.ContainsAny(s, "\\;,\n") {
		return s
	}
	return string(appendTextValue(make([]byte, 0, len(s)+8), s))
}

// appendTextValue appends s to b, escaped as iCalendar TEXT.
func appendTextValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

// reveals reports whether s contains a word a patient's calendar must not
// (booking.RevealsTreatment).
func reveals(s string) bool { return booking.RevealsTreatment(s) }

// plainText returns s cleaned and trimmed, as typed otherwise.
func plainText(s string) string { return strings.TrimSpace(cleanTextValue(s)) }

// safeForPatient returns s cleaned, or "" when it reveals the treatment.
func safeForPatient(s string) string {
	s = strings.TrimSpace(cleanTextValue(s))
	if reveals(s) {
		return ""
	}
	return s
}
