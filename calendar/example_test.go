package calendar_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// A patient's own calendar: one appointment, with reminders. It says
// where and when, and nothing about the treatment.
func ExampleWrite() {
	clinic := &booking.Clinic{Name: "Harbor Wellness Center", TimeZone: "America/New_York",
		Address: "120 Harbor Street, Boston, MA 02110", Phone: "+1 617 555 0142"}
	start := time.Date(2027, 3, 15, 9, 0, 0, 0, clinic.Location())
	appt := &booking.Appointment{ID: 17, PatientID: 12, Kind: "dosing", Start: start, End: start.Add(3 * time.Hour),
		RoomID: 4, RoomName: "Dosing 1", Status: booking.Booked, Sequence: 2,
		Created: time.Date(2027, 2, 15, 14, 0, 0, 0, time.UTC), Updated: time.Date(2027, 3, 1, 14, 30, 0, 0, time.UTC)}

	var buf bytes.Buffer
	err := calendar.Write(&buf, calendar.Export{
		Clinic:       clinic,
		InstanceID:   "3f2a9c",
		Appointments: []*booking.Appointment{appt},
		ForPatient:   true,
		Alarms:       true,
		Now:          time.Date(2027, 3, 1, 15, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	// Lines end in CRLF, as RFC 5545 wants; shown here with LF.
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	// Output:
	// BEGIN:VCALENDAR
	// CALSCALE:GREGORIAN
	// PRODID:-//kapbook//kapbook//EN
	// VERSION:2.0
	// X-WR-TIMEZONE:America/New_York
	// BEGIN:VTIMEZONE
	// TZID:America/New_York
	// BEGIN:STANDARD
	// DTSTART:20261101T020000
	// TZNAME:EST
	// TZOFFSETFROM:-0400
	// TZOFFSETTO:-0500
	// END:STANDARD
	// BEGIN:DAYLIGHT
	// DTSTART:20270314T020000
	// TZNAME:EDT
	// TZOFFSETFROM:-0500
	// TZOFFSETTO:-0400
	// END:DAYLIGHT
	// END:VTIMEZONE
	// BEGIN:VEVENT
	// UID:17-3f2a9c@kapbook
	// DTSTAMP:20270301T150000Z
	// SEQUENCE:2
	// CREATED:20270215T140000Z
	// LAST-MODIFIED:20270301T143000Z
	// DTSTART;TZID=America/New_York:20270315T090000
	// DTEND;TZID=America/New_York:20270315T120000
	// STATUS:CONFIRMED
	// TRANSP:OPAQUE
	// CLASS:PRIVATE
	// SUMMARY:Your appointment at Harbor Wellness Center
	// LOCATION:120 Harbor Street\, Boston\, MA 02110
	// DESCRIPTION:Your appointment at Harbor Wellness Center is on Monday 15 Marc
	//  h 2027\, 09:00–12:00 EDT.\nPlace: 120 Harbor Street\, Boston\, MA 02110.
	//  \nTo change or cancel it\, call the clinic at +1 617 555 0142.
	// BEGIN:VALARM
	// ACTION:DISPLAY
	// DESCRIPTION:Reminder: your appointment is tomorrow.
	// TRIGGER:-P1D
	// END:VALARM
	// BEGIN:VALARM
	// ACTION:DISPLAY
	// DESCRIPTION:Reminder: your appointment is in two hours.
	// TRIGGER:-PT2H
	// END:VALARM
	// END:VEVENT
	// END:VCALENDAR
}
