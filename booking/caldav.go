package booking

import "time"

// A staff member's own calendar on a CalDAV server (RFC 4791): kapbook
// puts their appointments into it and reads their busy time from it
// (docs/caldav.md). The password is never stored here: it is kept in the
// operating system's keyring.

// CalDAVAccount is one staff member's connection to their calendar.
type CalDAVAccount struct {
	StaffID int64 `json:"staff_id"`
	// Server is the address the connection was made from, as typed
	// (a server, a principal or a calendar).
	Server string `json:"server"`
	// Calendar is the full address of the calendar collection kapbook
	// writes into and reads busy time from, ending in "/".
	Calendar string `json:"calendar"`
	// CalendarName is the calendar's display name, for people.
	CalendarName string `json:"calendar_name"`
	// Made reports that kapbook made the calendar itself (MKCALENDAR).
	Made bool `json:"made"`
	// User is the user name on the server.
	User string `json:"user"`
	// Password reports that a password is kept for User in the OS
	// keyring of the computer that connected; false for a server that
	// asks for none.
	Password bool `json:"password"`
	// Privacy says how events show the patient: full, initials or id,
	// as the staff member's feeds do.
	Privacy string    `json:"privacy"`
	Created time.Time `json:"created"`
	// Pulled is when busy time was last read well; zero: never.
	Pulled time.Time `json:"pulled"`
	// Error is what went wrong last, in words; "" after a good sync.
	Error string `json:"error,omitempty"`
}

// CalDAVItem is an appointment kapbook put on a staff member's server:
// where (Href, the path of the event), the server's ETag for it then,
// and a hash of what was put, so that a change in kapbook shows as a
// different hash and a change on the server as a different ETag.
type CalDAVItem struct {
	StaffID       int64  `json:"staff_id"`
	AppointmentID int64  `json:"appointment_id"`
	Href          string `json:"href"`
	ETag          string `json:"etag"`
	Hash          string `json:"hash"`
}

// CalDAVLogEntry is one line of a staff member's sync log, in words for
// the front desk: what was put, put back, removed or could not be done.
// It names appointment ids and times, never a patient.
type CalDAVLogEntry struct {
	ID      int64     `json:"id"`
	StaffID int64     `json:"staff_id"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // connect, push, pull, restore, error, disconnect
	Message string    `json:"message"`
}

// CalDAVLogKeep is how many log entries a staff member keeps; older ones
// are dropped as new ones come.
const CalDAVLogKeep = 500
