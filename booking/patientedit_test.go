package booking_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// UpdatePatient refuses bad details with a message for the front desk
// before it touches the store (the service here has none: reaching it
// would panic). store/patientedit_test.go tests the stored result.
func TestUpdatePatientValidates(t *testing.T) {
	svc := &booking.Service{Actor: "test"}
	for _, tt := range []struct {
		name string
		p    *booking.Patient
		want string
	}{
		{"ErrMissing", nil, "The patient is missing."},
		{"ErrNoName", &booking.Patient{ID: 1, Name: "  ", Email: "a@example.org"}, "Patient name is required."},
		{"ErrBadEmail", &booking.Patient{ID: 1, Name: "Jane Doe", Email: "jane@"}, "Patient email is not a valid address"},
		{"ErrNoEmail", &booking.Patient{ID: 1, Name: "Jane Doe"}, "Patient email is not a valid address"},
		{"ErrBadPhone", &booking.Patient{ID: 1, Name: "Jane Doe", Email: "a@example.org", Phone: "call me"}, "is not a phone number"},
		{"ErrBadWeekday", &booking.Patient{ID: 1, Name: "Jane Doe", Email: "a@example.org",
			Preferences: booking.Preferences{Weekdays: []string{"someday"}}}, "someday"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := svc.UpdatePatient(context.Background(), tt.p)
			if booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("code=%q (%v), want %q", booking.ErrorCode(err), err, booking.EINVALID)
			}
			if msg := booking.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Fatalf("message %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}
