package booking_test

import (
	"testing"

	"github.com/kapbook/kapbook/booking"
)

func TestEmailSettingsValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		e    booking.EmailSettings
		want string // "" for OK
	}{
		"OK/EMLDir":       {booking.EmailSettings{Transport: "eml-dir"}, ""},
		"OK/SMTP":         {booking.EmailSettings{Transport: "smtp", Host: "smtp.example.org", Port: 587, From: "a@example.org"}, ""},
		"OK/Loopback6":    {booking.EmailSettings{Transport: "smtp", Host: "::1", Security: "none", From: "a@example.org"}, ""},
		"ErrTransport":    {booking.EmailSettings{Transport: "fax"}, `"fax" is not a way of sending email; use smtp or eml-dir.`},
		"ErrHost":         {booking.EmailSettings{Transport: "smtp", From: "a@example.org"}, "The mail server needs a host name such as smtp.example.org."},
		"ErrPort":         {booking.EmailSettings{Transport: "smtp", Host: "h.example.org", Port: 70000, From: "a@example.org"}, "70000 is not a port; use a number from 1 to 65535, usually 587."},
		"ErrSecurity":     {booking.EmailSettings{Transport: "smtp", Host: "h.example.org", Security: "ssl", From: "a@example.org"}, `"ssl" is not a kind of mail-server security; use starttls, tls or none.`},
		"ErrFromRequired": {booking.EmailSettings{Transport: "smtp", Host: "h.example.org"}, "Sending through a mail server needs the sending address, such as appointments@example.org."},
		"ErrFrom":         {booking.EmailSettings{Transport: "eml-dir", From: "x"}, `The sending address "x" is not a valid email address; write it as appointments@example.org.`},
		"ErrFromName":     {booking.EmailSettings{Transport: "eml-dir", FromName: "A\r\nBcc: x@example.org"}, "The sender's name contains a control character (such as a line break or tab); please retype it."},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.e.Validate()
			if got := booking.ErrorMessage(err); (err == nil) != (tc.want == "") || (err != nil && got != tc.want) {
				t.Fatalf("Validate()=%v, want %q", err, tc.want)
			}
			if err != nil && booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("code=%s, want EINVALID", booking.ErrorCode(err))
			}
		})
	}
}
