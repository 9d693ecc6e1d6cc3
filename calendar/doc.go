// Package calendar moves kapbook's appointments in and out as iCalendar,
// which is defined in RFC 5545: exports and live feeds for staff, rooms and
// patients, and the import of staff members' own calendars as busy time.
// It is built on github.com/emersion/go-ical.
package calendar
