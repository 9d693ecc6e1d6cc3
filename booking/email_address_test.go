package booking_test

import (
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// Addresses a person types pass; mail syntax no patient has, address
// literals and malformed domains are refused when saved, and an
// internationalised domain has the ASCII form mail servers take.
func TestCheckEmail(t *testing.T) {
	for _, ok := range []string{"jane@example.org", "jane.doe+kap@mail.example.co.uk", "josé@exámple.org", "a_b-c@x-y.example"} {
		if err := booking.CheckEmail(ok); err != nil {
			t.Errorf("CheckEmail(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"=?utf-8?b?QWxpY2U=?=@example.org", "a@[127.0.0.1]", "a@-example.org", "a@example-.org", "a@example", "a@example.123",
		`"john doe"@example.org`, "a b@example.org", "a@exa_mple.org", "", "@example.org", "a@",
	} {
		if err := booking.CheckEmail(bad); booking.ErrorCode(err) != booking.EINVALID {
			t.Errorf("CheckEmail(%q) = %v, want EINVALID", bad, err)
		}
	}
	if got, err := booking.EmailDomain("exámple.org"); err != nil || got != "xn--exmple-qta.org" {
		t.Errorf("EmailDomain(exámple.org) = %q, %v", got, err)
	}
}

// FuzzCheckEmail: any text is accepted or refused without a panic, and an
// accepted address has one @ before a domain with an ASCII form (make fuzz).
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"jane@example.org", "josé@exámple.org", "a@[127.0.0.1]", "=?utf-8?b?QQ==?=@x.org", "a@-x.org", "\"q\"@x.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if booking.CheckEmail(s) != nil {
			return
		}
		at := strings.LastIndexByte(s, '@')
		if at <= 0 || strings.Count(s[at+1:], "@") != 0 {
			t.Fatalf("accepted %q without one @ before a domain", s)
		}
		if _, err := booking.EmailDomain(s[at+1:]); err != nil {
			t.Fatalf("accepted %q whose domain has no ASCII form: %v", s, err)
		}
	})
}
