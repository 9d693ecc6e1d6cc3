package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"github.com/kapbook/kapbook/booking"
)

// Method is an iTIP method (RFC 5546 section 1.4): what a calendar
// attached to an email asks the patient's mail program to do.
type Method string

// The iTIP methods kapbook sends to patients.
const (
	// MethodRequest adds the appointment to the patient's calendar or,
	// with a higher SEQUENCE, updates it in place: confirmations, updates
	// and reminders.
	MethodRequest Method = "REQUEST"
	// MethodCancel removes the appointment: cancellations.
	MethodCancel Method = "CANCEL"
)

// Invite is one iTIP message about one appointment, or about several
// appointments of one patient (a series), for that patient.
type Invite struct {
	// Method is MethodRequest or MethodCancel. A cancelled appointment
	// can only be sent with MethodCancel; MethodCancel marks the event
	// cancelled whatever the appointment's status.
	Method Method
	// Clinic gives the time zone, the address and the phone number.
	Clinic *booking.Clinic
	// InstanceID is part of the UID, as in Export.
	InstanceID string
	// Appointment is the event; its UID is UID(InstanceID, ID) and its
	// SEQUENCE its Sequence, so that a later message updates the event a
	// patient's calendar holds in place.
	Appointment *booking.Appointment
	// Appointments, when not empty, are the events instead of Appointment
	// (which must then be nil): one VEVENT each, with its own UID and
	// SEQUENCE, all in one calendar with one METHOD, for a message about a
	// whole series. They must all be one patient's.
	Appointments []*booking.Appointment
	// OrganizerEmail is the clinic's address (ORGANIZER, mailto:).
	OrganizerEmail string
	// OrganizerName is the ORGANIZER's CN, the configurable sender display
	// name; left out when empty or when it reveals the treatment.
	OrganizerName string
	// PatientEmail is the ATTENDEE's address (mailto:). The ATTENDEE has no
	// CN: the calendar names nobody.
	PatientEmail string
	// Now is the DTSTAMP; zero means the current time.
	Now time.Time
	// Staff gives video calls their link, as in Export.
	Staff []*booking.Staff
}

// WriteInvite writes x to w as an iTIP (RFC 5546) calendar: one VEVENT
// per appointment with METHOD, ORGANIZER and ATTENDEE, the clinic's VTIMEZONE, and the
// same patient-safe texts as Export's ForPatient mode (no treatment, drug,
// diagnosis or person's name). Lines are folded at 75 octets.
//
// WriteInvite checks x before it writes anything.
func WriteInvite(w io.Writer, x Invite) error {
	if x.Method != MethodRequest && x.Method != MethodCancel {
		return fmt.Errorf("calendar: unknown iTIP method %q; use REQUEST or CANCEL", booking.Clip(string(x.Method), 40))
	}
	list := x.Appointments
	switch {
	case len(list) > 0 && x.Appointment != nil:
		return errors.New("calendar: the invite has both Appointment and Appointments; set one")
	case len(list) == 0 && x.Appointment == nil:
		return errors.New("calendar: the invite has no appointment")
	case len(list) == 0:
		list = []*booking.Appointment{x.Appointment}
	}
	for _, a := range list {
		if a == nil {
			return errors.New("calendar: the invite has a missing appointment")
		}
		if x.Method == MethodRequest && !a.Status.Active() {
			return fmt.Errorf("calendar: appointment %d is cancelled; send it with METHOD:CANCEL", a.ID)
		}
	}
	organizer, err := mailtoURI("organizer", x.OrganizerEmail)
	if err != nil {
		return err
	}
	attendee, err := mailtoURI("attendee", x.PatientEmail)
	if err != nil {
		return err
	}
	if x.Clinic == nil {
		return errors.New("calendar: the invite has no clinic")
	}
	// The clinic's texts are checked here, remembering the last clinic's:
	// the check is a regular expression that costs a third of an invite.
	clinic := *x.Clinic
	safe := safeClinicTexts(clinic.Name, clinic.Address, clinic.Phone)
	if clinic.TreatmentWordsAllowed {
		safe = [3]string{plainText(clinic.Name), plainText(clinic.Address), plainText(clinic.Phone)}
	}
	clinic.Name, clinic.Address, clinic.Phone = "", "", ""
	e, err := newEncoder(w, Export{
		Clinic:       &clinic,
		InstanceID:   x.InstanceID,
		Appointments: list,
		ForPatient:   true,
		Now:          x.Now,
		Staff:        x.Staff,
	})
	if err != nil {
		return err
	}
	e.clinicName, e.address, e.phone = safe[0], safe[1], safe[2]
	if err := e.inviteHeader(x.Method); err != nil {
		return err
	}
	cn := safeOrganizerName(x.OrganizerName)
	if clinic.TreatmentWordsAllowed {
		cn = plainText(x.OrganizerName)
	}
	for _, a := range list {
		if err := e.inviteEvent(a, x.Method, organizer, cn, attendee); err != nil {
			return err
		}
	}
	e.bw.WriteString("END:VCALENDAR\r\n")
	if err := e.flush(); err != nil {
		return fmt.Errorf("calendar: writing the invite: %w", err)
	}
	return nil
}

// lastClinicTexts remembers the last clinic's name, address and phone,
// and the same made safe for a patient.
var lastClinicTexts atomic.Pointer[[2][3]string]

// safeClinicTexts returns the clinic's name, address and phone as
// newEncoder makes them for a patient's calendar.
func safeClinicTexts(name, address, phone string) [3]string {
	in := [3]string{name, address, phone}
	if p := lastClinicTexts.Load(); p != nil && p[0] == in {
		return p[1]
	}
	var out [3]string
	for i, s := range in {
		out[i] = safeForPatient(strings.TrimSpace(cleanTextValue(s)))
	}
	lastClinicTexts.Store(&[2][3]string{in, out})
	return out
}

// lastOrganizerName remembers the last organizer name checked: it is a
// setting, the same for every invite, and the check is a regular
// expression that costs as much as the rest of an invite.
var lastOrganizerName atomic.Pointer[[2]string]

// safeOrganizerName returns safeForPatient(name), remembering the last.
func safeOrganizerName(name string) string {
	if p := lastOrganizerName.Load(); p != nil && p[0] == name {
		return p[1]
	}
	safe := safeForPatient(name)
	lastOrganizerName.Store(&[2]string{name, safe})
	return safe
}

// mailtoURI checks a bare address and returns it as a mailto: URI.
func mailtoURI(who, addr string) (string, error) {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || strings.ContainsAny(addr, "\"\\;:,<> \t\r\n") {
		return "", fmt.Errorf("calendar: the %s's address %q is not a plain email address", who, booking.Clip(addr, 40))
	}
	return "mailto:" + addr, nil
}

// inviteHeader writes the calendar's properties, with the iTIP method,
// and its VTIMEZONE, through go-ical's encoder.
func (e *encoder) inviteHeader(m Method) error {
	cal := ical.NewCalendar()
	set := func(name, value string) { cal.Props.Set(&ical.Prop{Name: name, Value: value}) }
	set(ical.PropProductID, productID)
	set(ical.PropVersion, "2.0")
	set(ical.PropCalendarScale, "GREGORIAN")
	set(ical.PropMethod, string(m))
	cal.Children = []*ical.Component{vtimezone(e.loc, e.from, e.to)}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return fmt.Errorf("calendar: encoding the invite header: %w", err)
	}
	b, ok := bytes.CutSuffix(buf.Bytes(), []byte("END:VCALENDAR\r\n"))
	if !ok {
		return errors.New("calendar: go-ical wrote an unexpected calendar")
	}
	if err := writeFolded(e.bw, b); err != nil {
		return fmt.Errorf("calendar: writing the invite: %w", err)
	}
	return nil
}

// inviteEvent writes a as the invite's VEVENT: the properties event
// writes for a patient's calendar, plus ORGANIZER and ATTENDEE. The
// organizer's CN, already safe, is quoted; CN cannot hold a double quote.
func (e *encoder) inviteEvent(a *booking.Appointment, m Method, organizer, cn, attendee string) error {
	cancelled := m == MethodCancel || !a.Status.Active()
	e.head(a, cancelled)
	e.raw("\r\nORGANIZER")
	if cn = strings.ReplaceAll(strings.ReplaceAll(cn, "\"", "'"), "\n", " "); cn != "" {
		e.raw(";CN=\"")
		e.raw(cn)
		e.raw("\"")
	}
	e.raw(":")
	e.raw(organizer)
	e.raw("\r\nATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT")
	// The patient agreed the time with the front desk: ACCEPTED, the same
	// in a REQUEST and in the CANCEL that withdraws it, and no reply asked.
	e.raw(";PARTSTAT=ACCEPTED;RSVP=FALSE:")
	e.raw(attendee)
	e.raw("\r\n")
	e.patientText(a, cancelled)
	e.raw("END:VEVENT\r\n")
	if err := writeFolded(e.bw, e.out); err != nil {
		return fmt.Errorf("calendar: writing the invite: %w", err)
	}
	return nil
}

// Reveals reports whether s contains a word that nothing a patient
// receives may contain by default: the treatment, the drug or a diagnosis
// (docs/privacy.md, "Email"). Patient calendars and invites drop
// such texts; package reminder applies the same rule to emails.
func Reveals(s string) bool { return reveals(s) }
