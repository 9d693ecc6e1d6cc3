package booking

import (
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Clinic holds the clinic's own settings.
type Clinic struct {
	Name          string      `json:"name"`
	TimeZone      string      `json:"time_zone"` // IANA name, e.g. America/New_York
	Hours         WeeklyHours `json:"hours"`
	Closures      []Closure   `json:"closures,omitempty"`
	Address       string      `json:"address"`
	Phone         string      `json:"phone"`
	REMSCertified bool        `json:"rems_certified"` // may give esketamine (Spravato)
	// LateCancelHours is the notice below which a cancellation is late (default 24).
	LateCancelHours int `json:"late_cancel_hours,omitempty"`
	// SlackDays is how many days of earliness the planner may give up for the
	// patient's soft preferences (default 2; 0 means earliest only).
	SlackDays *int `json:"slack_days,omitempty"`
	// Email says how patient email is delivered; nil means .eml files in
	// outbox-eml beside the database.
	Email *EmailSettings `json:"email,omitempty"`
	// Templates are the clinic's own patient email templates by message
	// kind (confirmation, reminder, preparation, update, cancellation); a
	// kind or a part missing here uses the embedded default. Package
	// reminder checks a template before it is saved (SetTemplate).
	Templates map[string]TemplateText `json:"templates,omitempty"`
	// Messages is when reminders and preparation messages are due; nil
	// means DefaultMessagePolicy.
	Messages *MessageSettings `json:"messages,omitempty"`
	// TherapistChoice is how a new series without a named therapist gets
	// one: TherapistBalanced (the default, "") or TherapistEarliest.
	TherapistChoice string `json:"therapist_choice,omitempty"`
	// TreatmentWordsAllowed says the clinic has chosen to let its own
	// patient-facing words (its name and address, the sender's name and
	// address, video links) name the treatment, the drug or a diagnosis;
	// by default they may not (docs/privacy.md, "Email").
	TreatmentWordsAllowed bool `json:"treatment_words_allowed,omitempty"`
	// CalendarHosts are the host names a busy-time subscription may reach
	// although they resolve to a loopback, private or link-local address
	// (docs/security.md, "Calendar subscriptions"); empty means none.
	CalendarHosts []string `json:"calendar_hosts,omitempty"`

	loc *time.Location
}

// Closure is a day or range of days (both inclusive) the clinic is closed.
type Closure struct {
	From   Date   `json:"from"`
	To     Date   `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// Location returns the clinic's time zone. Validate must have succeeded.
func (c *Clinic) Location() *time.Location {
	if c.loc == nil {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return time.UTC
		}
		c.loc = loc
	}
	return c.loc
}

// ClosedOn returns the closure covering day d, or nil.
func (c *Clinic) ClosedOn(d Date) *Closure {
	for i := range c.Closures {
		if d >= c.Closures[i].From && d <= c.Closures[i].To {
			return &c.Closures[i]
		}
	}
	return nil
}

// Ways to choose the therapist of a new series when the front desk names
// none (docs/protocols.md, "Any therapist").
const (
	// TherapistBalanced spreads new series: among the starts within the
	// clinic's slack after the earliest, equally good for the patient, the
	// therapist least booked around the series' window, for their working
	// hours, comes first.
	TherapistBalanced = "balanced"
	// TherapistEarliest takes the earliest start, whoever has it.
	TherapistEarliest = "earliest"
)

// Balanced reports whether new series are spread over the therapists.
func (c *Clinic) Balanced() bool { return c.TherapistChoice != TherapistEarliest }

// Slack returns the planner's slack in days.
func (c *Clinic) Slack() int {
	if c.SlackDays == nil {
		return 2
	}
	return *c.SlackDays
}

// LateCancel returns the notice below which a cancellation counts as late.
func (c *Clinic) LateCancel() time.Duration {
	if c.LateCancelHours <= 0 {
		return 24 * time.Hour
	}
	return time.Duration(c.LateCancelHours) * time.Hour
}

// Validate checks the clinic's settings.
func (c *Clinic) Validate() error {
	if err := checkText("Clinic name", c.Name, 200, true); err != nil {
		return err
	}
	if c.TimeZone == "" || c.TimeZone == "Local" {
		return Errorf(EINVALID, "The clinic needs a time zone such as America/New_York.")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return Errorf(EINVALID, "%q is not a known time zone; use a name such as America/New_York.", Clip(c.TimeZone, 60))
	}
	c.loc = loc
	if err := c.Hours.Validate("Clinic opening hours"); err != nil {
		return err
	}
	if !c.Hours.Open() {
		return Errorf(EINVALID, "The clinic needs opening hours on at least one weekday, such as mon 08:00-18:00.")
	}
	for _, cl := range c.Closures {
		if cl.To < cl.From {
			return Errorf(EINVALID, "The closure from %s to %s ends before it starts.", cl.From, cl.To)
		}
		if err := checkText("Closure reason", cl.Reason, 200, false); err != nil {
			return err
		}
	}
	if err := checkText("Clinic address", c.Address, 500, false); err != nil {
		return err
	}
	if c.Phone != "" {
		if err := CheckPhone(c.Phone); err != nil {
			return err
		}
	}
	if c.SlackDays != nil && (*c.SlackDays < 0 || *c.SlackDays > 14) {
		return Errorf(EINVALID, "The planner's slack must be between 0 and 14 days.")
	}
	switch c.TherapistChoice {
	case "", TherapistBalanced, TherapistEarliest:
	default:
		return Errorf(EINVALID, "%q is not a way to choose a therapist; use balanced or earliest.", Clip(c.TherapistChoice, 30))
	}
	if c.LateCancelHours < 0 || c.LateCancelHours > 24*14 {
		return Errorf(EINVALID, "The late-cancellation notice must be between 0 and 336 hours.")
	}
	if c.Email != nil {
		if err := c.Email.Validate(); err != nil {
			return err
		}
	}
	for k, t := range c.Templates {
		if err := t.Validate(k); err != nil {
			return err
		}
	}
	if c.Messages != nil {
		return c.Messages.Validate()
	}
	return nil
}

// Role is what a staff member can do in a session.
type Role string

// Roles.
const (
	RoleTherapist  Role = "therapist"
	RolePrescriber Role = "prescriber"
	RoleNurse      Role = "nurse"
)

// Staff is a member of the clinic's staff.
type Staff struct {
	ID             int64       `json:"id"`
	Name           string      `json:"name"`
	Email          string      `json:"email,omitempty"`
	Roles          []Role      `json:"roles"`
	Qualifications []string    `json:"qualifications,omitempty"` // ACLS, REMS…
	Hours          WeeklyHours `json:"hours"`
	TimeOff        []Interval  `json:"time_off,omitempty"`
	// Busy holds intervals imported from the person's own calendar.
	Busy []Interval `json:"busy,omitempty"`
	// VideoLink is the address of the person's own video room (such as
	// https://video.example.org/ana-reyes): patients' emails and calendar
	// entries for a video call with them give it. Empty: they say the
	// clinic sends the link.
	VideoLink string `json:"video_link,omitempty"`
}

// HasRole reports whether s has role r.
func (s *Staff) HasRole(r Role) bool { return slices.Contains(s.Roles, r) }

// HasQualification reports whether s holds qualification q (case-insensitive).
func (s *Staff) HasQualification(q string) bool {
	return slices.ContainsFunc(s.Qualifications, func(x string) bool { return strings.EqualFold(x, q) })
}

// Validate checks the staff member's details.
func (s *Staff) Validate() error {
	if err := checkText("Staff name", s.Name, 200, true); err != nil {
		return err
	}
	if s.Email != "" {
		if err := CheckEmail(s.Email); err != nil {
			return err
		}
	}
	if len(s.Roles) == 0 {
		return Errorf(EINVALID, "%s needs at least one role: therapist, prescriber or nurse.", s.Name)
	}
	for _, r := range s.Roles {
		if r != RoleTherapist && r != RolePrescriber && r != RoleNurse {
			return Errorf(EINVALID, "%s: %q is not a role; use therapist, prescriber or nurse.", s.Name, Clip(string(r), 30))
		}
	}
	for _, q := range s.Qualifications {
		if err := checkText("Qualification", q, 40, true); err != nil {
			return err
		}
	}
	if err := s.Hours.Validate("Working hours of " + s.Name); err != nil {
		return err
	}
	for _, iv := range s.TimeOff {
		if err := iv.Validate("Time off of " + s.Name); err != nil {
			return err
		}
	}
	if s.VideoLink != "" {
		if err := CheckVideoLink(s.VideoLink); err != nil {
			return err
		}
	}
	return nil
}

// CheckVideoLink checks that s is a video room's web address: https://,
// a host, no spaces, at most 300 characters.
func CheckVideoLink(s string) error {
	if err := checkText("The video link", s, 300, true); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil || strings.ContainsAny(s, " <>\"\\") {
		return Errorf(EINVALID, "The video link %q is not a web address starting with https://, such as https://video.example.org/ana-reyes.", Clip(s, 60))
	}
	return nil
}

// VideoLink returns the link of a video call a: that of its therapist
// when they have one in staff, else of the first other member of its staff
// who has one; "" for an appointment in a room or when nobody has one.
func VideoLink(a *Appointment, staff []*Staff) string {
	if a == nil || !a.Video() {
		return ""
	}
	link := func(as Assignment) string {
		for _, m := range staff {
			if m.ID == as.StaffID {
				return m.VideoLink
			}
		}
		return ""
	}
	for _, therapist := range []bool{true, false} {
		for _, as := range a.Staff {
			if (as.Role == RoleTherapist) == therapist {
				if l := link(as); l != "" {
					return l
				}
			}
		}
	}
	return ""
}

// RoomKind is what a room is equipped for.
type RoomKind string

// Room kinds.
const (
	RoomConsult  RoomKind = "consult"
	RoomDosing   RoomKind = "dosing"
	RoomInfusion RoomKind = "infusion"
)

// Room is a treatment or consultation room.
type Room struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Kind      RoomKind `json:"kind"`
	Equipment []string `json:"equipment,omitempty"`
}

// HasEquipment reports whether the room has equipment tag e (case-insensitive).
func (r *Room) HasEquipment(e string) bool {
	return slices.ContainsFunc(r.Equipment, func(x string) bool { return strings.EqualFold(x, e) })
}

// Validate checks the room's details.
func (r *Room) Validate() error {
	if err := checkText("Room name", r.Name, 100, true); err != nil {
		return err
	}
	if r.Kind != RoomConsult && r.Kind != RoomDosing && r.Kind != RoomInfusion {
		return Errorf(EINVALID, "Room %s: %q is not a room kind; use consult, dosing or infusion.", r.Name, Clip(string(r.Kind), 30))
	}
	for _, e := range r.Equipment {
		if err := checkText("Equipment tag", e, 40, true); err != nil {
			return err
		}
	}
	return nil
}

// checkText rejects control characters, invalid UTF-8 and over-long text.
func checkText(what, s string, max int, required bool) error {
	if strings.TrimSpace(s) == "" {
		if required {
			return Errorf(EINVALID, "%s is required.", what)
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s contains characters that are not valid text.", what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, "%s is too long (%d characters; at most %d).", what, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return Errorf(EINVALID, "%s contains a control character (such as a line break or tab); please retype it.", what)
		}
	}
	return nil
}

// CheckEmail checks that s is a plain e-mail address such as name@example.org.
func CheckEmail(s string) error {
	if err := checkText("Email", s, 254, true); err != nil {
		return err
	}
	bad := Errorf(EINVALID, "%q is not a valid email address; write it as name@example.org.", Clip(s, 60))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return bad
	}
	local, domain := s[:strings.LastIndexByte(s, '@')], s[strings.LastIndexByte(s, '@')+1:]
	// No quoted local part, encoded word or other mail syntax a person
	// does not type: a patient's address is letters, digits and .+-_…
	if strings.ContainsAny(local, "\"\\ ()<>[]:;,") || strings.Contains(local, "=?") {
		return bad
	}
	if _, err := EmailDomain(domain); err != nil {
		return bad
	}
	return nil
}

// EmailDomain returns domain as mail servers take it: an internationalised
// name in its ASCII form (exámple.org → xn--exmple-cua.org), each label
// letters, digits and inner hyphens, at least two labels, the last not all
// digits. An address literal ([127.0.0.1]) is refused: a patient's mail
// goes to a named domain.
func EmailDomain(domain string) (string, error) {
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return "", Errorf(EINVALID, "%q is not a mail domain.", Clip(domain, 60))
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 || len(ascii) > 253 {
		return "", Errorf(EINVALID, "%q is not a mail domain.", Clip(domain, 60))
	}
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			return "", Errorf(EINVALID, "%q is not a mail domain.", Clip(domain, 60))
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", Errorf(EINVALID, "%q is not a mail domain.", Clip(domain, 60))
	}
	return ascii, nil
}

// domainLabel is one label of a domain name in its ASCII form.
var domainLabel = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckPhone checks a phone number: digits with optional +, spaces, dots,
// dashes and brackets; 7 to 15 digits.
func CheckPhone(s string) error {
	if err := checkText("Phone", s, 40, true); err != nil {
		return err
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return Errorf(EINVALID, "%q is not a phone number; use digits, spaces, dashes and an optional leading +.", Clip(s, 40))
		}
	}
	if digits < 7 || digits > 15 {
		return Errorf(EINVALID, "%q is not a phone number: it has %d digits (7 to 15 expected).", Clip(s, 40), digits)
	}
	return nil
}
