package booking_test

import (
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

func TestCheckVideoLink(t *testing.T) {
	for _, ok := range []string{"https://video.example.org/ana-reyes", "HTTPS://doxy.me/reyes?room=1", "https://zoom.us/j/123456789?pwd=abc"} {
		if err := booking.CheckVideoLink(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for link, want := range map[string]string{
		"http://video.example.org/x":                            "starting with https://",
		"video.example.org/x":                                   "starting with https://",
		"https:///x":                                            "starting with https://",
		"https://user:pw@video.example.org/x":                   "starting with https://",
		"https://video.example.org/a b":                         "starting with https://",
		"javascript:alert(1)":                                   "starting with https://",
		"https://video.example.org/\r\nBcc: x@example.org":      "control character",
		"https://video.example.org/" + strings.Repeat("x", 300): "too long",
	} {
		err := booking.CheckVideoLink(link)
		if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), want) {
			t.Errorf("%q: err=%v, want EINVALID saying %q", link, err, want)
		}
	}
	s := &booking.Staff{Name: "Dr. Ana Reyes", Roles: []booking.Role{booking.RoleTherapist}, VideoLink: "ftp://x"}
	if err := s.Validate(); booking.ErrorCode(err) != booking.EINVALID {
		t.Fatalf("staff with a bad link: err=%v, want EINVALID", err)
	}
}

func TestVideoLink(t *testing.T) {
	staff := []*booking.Staff{
		{ID: 1, Name: "Dr. Ana Reyes", VideoLink: "https://video.example.org/reyes"},
		{ID: 2, Name: "Dr. Priya Nair", VideoLink: "https://video.example.org/nair"},
		{ID: 3, Name: "Sam Okafor"},
	}
	consult := []booking.Assignment{{StaffID: 2, Role: booking.RolePrescriber}, {StaffID: 1, Role: booking.RoleTherapist}}
	for _, tc := range []struct {
		name string
		a    *booking.Appointment
		want string
	}{
		{"TherapistFirst", &booking.Appointment{Staff: consult}, "https://video.example.org/reyes"},
		{"ElseAnyone", &booking.Appointment{Staff: []booking.Assignment{{StaffID: 3, Role: booking.RoleTherapist}, {StaffID: 2, Role: booking.RolePrescriber}}}, "https://video.example.org/nair"},
		{"Nobody", &booking.Appointment{Staff: []booking.Assignment{{StaffID: 3, Role: booking.RoleTherapist}}}, ""},
		{"InARoom", &booking.Appointment{RoomID: 4, Staff: consult}, ""},
		{"Nil", nil, ""},
	} {
		if got := booking.VideoLink(tc.a, staff); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
