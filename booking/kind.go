package booking

import (
	"strings"
	"unicode/utf8"
)

// Kind is what an appointment is for: its protocol step's kind. Protocols
// may name kinds of their own (lower-case letters, digits and dashes);
// these are the ones kapbook ships (docs/protocols.md).
type Kind string

// The kinds of the shipped protocols.
const (
	KindConsultation Kind = "consultation"
	KindPreparation  Kind = "preparation"
	KindDosing       Kind = "dosing" // esketamine sessions too
	KindInfusion     Kind = "infusion"
	KindIntegration  Kind = "integration"
)

// IsDose reports whether appointments of this kind are doses: dosing and
// infusion. Doses of one patient in two series keep their distance
// (docs/protocols.md, "Doses"). Whether a visit needs an escort is the
// step's own field (Step.Escort), not its kind.
func (k Kind) IsDose() bool { return k == KindDosing || k == KindInfusion }

// Title is the kind as a heading: "Dosing".
func (k Kind) Title() string {
	if k == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(string(k))
	return strings.ToUpper(string(r)) + string(k[n:])
}

// valid reports whether k can name a kind.
func (k Kind) valid() bool { return idPattern.MatchString(string(k)) }

// GapUnit is what a gap counts (docs/protocols.md, the gap units).
type GapUnit string

// The gap units.
const (
	// Days count calendar days in the clinic's zone between two dates.
	Days GapUnit = "days"
	// Hours and Minutes count from the end of the earlier appointment to
	// the start of the later one.
	Hours   GapUnit = "hours"
	Minutes GapUnit = "minutes"
)

// valid reports whether u is one of the gap units.
func (u GapUnit) valid() bool { return u == Days || u == Hours || u == Minutes }

// count says n of the unit in words: "1 day", "3 hours".
func (u GapUnit) count(n int) string { return count(n, string(u)) }

// MailSecurity is how the connection to the clinic's mail server is
// protected (docs/email.md).
type MailSecurity string

// The kinds of mail-server security.
const (
	// StartTLS upgrades a plain connection (port 587); the default.
	StartTLS MailSecurity = "starttls"
	// ImplicitTLS is TLS from the first byte (port 465).
	ImplicitTLS MailSecurity = "tls"
	// NoSecurity is plain text: only to a loopback address (a local relay)
	// unless the clinic allows a remote one.
	NoSecurity MailSecurity = "none"
)

// valid reports whether s is a kind of security; empty means StartTLS.
func (s MailSecurity) valid() bool {
	return s == "" || s == StartTLS || s == ImplicitTLS || s == NoSecurity
}
