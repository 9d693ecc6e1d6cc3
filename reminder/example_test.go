package reminder_test

import (
	"fmt"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// ExampleComposer composes a reminder with the default templates: the
// subject names no treatment, and the calendar attachment has a neutral
// name.
func ExampleComposer() {
	loc, _ := time.LoadLocation("America/New_York")
	clinic := &booking.Clinic{Name: "Harbor Wellness Center", TimeZone: "America/New_York",
		Address: "120 Harbor Street, Boston, MA 02110", Phone: "+1 617 555 0142"}
	patient := &booking.Patient{ID: 7, Name: "Jane Doe", Email: "jane@example.org"}
	appt := &booking.Appointment{ID: 12, PatientID: 7, Kind: "dosing", RoomID: 3, Status: booking.Booked,
		Start: time.Date(2027, 3, 4, 9, 0, 0, 0, loc), End: time.Date(2027, 3, 4, 12, 0, 0, 0, loc)}
	c := &reminder.Composer{FromAddress: "appointments@harbor.example", InstanceID: "demo"}
	e, err := c.Compose(reminder.Message{Kind: reminder.Reminder, Clinic: clinic, Patient: patient, Appointment: appt})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.From)
	fmt.Println(e.Subject)
	fmt.Println(e.Attachments[0].Filename, e.Attachments[0].ContentType)
	// Output:
	// "Harbor Wellness Center" <appointments@harbor.example>
	// Reminder: your appointment on Thursday 4 March 2027 at 09:00
	// appointment.ics text/calendar; charset=utf-8; method=REQUEST
}
