package booking

import (
	"strings"
	"time"
)

// Patient is a person receiving care. Patients never use kapbook themselves.
type Patient struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	Email       string      `json:"email"`
	Phone       string      `json:"phone,omitempty"`
	Preferences Preferences `json:"preferences"`
	Consents    Consents    `json:"consents"`
	Created     time.Time   `json:"created"`
}

// Preferences are the patient's soft wishes; the planner honours them when
// it can without giving up more earliness than the clinic's slack.
type Preferences struct {
	Earliest   Date     `json:"earliest,omitempty"`
	Weekdays   []string `json:"weekdays,omitempty"`     // "mon"…"sun"
	TimesOfDay []string `json:"times_of_day,omitempty"` // morning, afternoon, evening
}

// Times of day a patient can prefer.
const (
	Morning   = "morning"   // before 12:00
	Afternoon = "afternoon" // 12:00 to 17:00
	Evening   = "evening"   // from 17:00
)

// Consents records the patient's consents, each with the date it was given;
// a nil date means not given.
type Consents struct {
	DetailedEmail    *Date `json:"detailed_email,omitempty"`
	NoEmail          *Date `json:"no_email,omitempty"`
	ScreeningCleared *Date `json:"screening_cleared,omitempty"`
	REMSEnrolled     *Date `json:"rems_enrolled,omitempty"`
}

// Validate checks the patient's details.
func (p *Patient) Validate() error {
	if err := checkText("Patient name", p.Name, 200, true); err != nil {
		return err
	}
	if err := CheckEmail(p.Email); err != nil {
		return Errorf(EINVALID, "Patient email is not a valid address: %s", ErrorMessage(err))
	}
	if p.Phone != "" {
		if err := CheckPhone(p.Phone); err != nil {
			return err
		}
	}
	for _, w := range p.Preferences.Weekdays {
		if _, err := ParseWeekday(w); err != nil {
			return err
		}
	}
	for _, t := range p.Preferences.TimesOfDay {
		if t != Morning && t != Afternoon && t != Evening {
			return Errorf(EINVALID, "%q is not a time of day; use morning, afternoon or evening.", Clip(t, 20))
		}
	}
	return nil
}

// Initials returns the patient's initials, e.g. "J.D." for Jane Doe.
func Initials(name string) string {
	var b strings.Builder
	for _, f := range strings.Fields(name) {
		r := []rune(f)
		b.WriteString(strings.ToUpper(string(r[0])))
		b.WriteByte('.')
	}
	return b.String()
}

// timeOfDay names the part of the day clock c falls in.
func timeOfDay(c Clock) string {
	switch {
	case c < 12*60:
		return Morning
	case c < 17*60:
		return Afternoon
	}
	return Evening
}
