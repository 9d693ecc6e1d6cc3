// Package booking is kapbook's domain: the clinic, its staff, rooms, patients
// and protocols, the series booked from them, and the planner that finds the
// earliest feasible assignment of a whole treatment journey.
//
// The package knows nothing of SQL, the UI or email. Persistence sits behind
// the Store and Tx interfaces defined here; the clinic's rules (order, gaps,
// hours, qualifications, no double booking) are described in docs/protocols.md and
// docs/architecture.md.
package booking

import (
	"errors"
	"fmt"
)

// Error codes. The code decides a command's exit status or a dialog's kind;
// the message is what a front-desk person reads.
const (
	EINVALID  = "invalid"   // bad input: fix the value and try again
	ENOTFOUND = "not_found" // no such patient, appointment, protocol…
	ECONFLICT = "conflict"  // the slot, person or room is taken
	ENOPLAN   = "no_plan"   // the planner found no feasible plan
	ESTORE    = "store"     // the database cannot be used (corrupt, foreign, newer)
	EINTERNAL = "internal"  // a bug; details are not shown
)

// Error is a domain error with a code and a message meant for people.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's first *Error, EINTERNAL for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err's first *Error, or
// "Internal error." for any other error, so raw Go errors never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }
