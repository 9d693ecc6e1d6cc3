package booking_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// MessageSettings.Policy replaces only the fields the clinic set; nil is
// the default policy.
func TestMessageSettings_Policy(t *testing.T) {
	def := booking.DefaultMessagePolicy()
	var none *booking.MessageSettings
	if p := none.Policy(); p.ReminderBefore != def.ReminderBefore || p.QuietStart != def.QuietStart || !slices.Equal(p.PreparationKinds, def.PreparationKinds) {
		t.Fatalf("nil settings: %+v, want the defaults", p)
	}
	zero, twelve := 0, 12
	seven := booking.Clock(7 * 60)
	for name, tc := range map[string]struct {
		m    booking.MessageSettings
		want func(*booking.MessagePolicy)
	}{
		"Empty":          {booking.MessageSettings{}, func(*booking.MessagePolicy) {}},
		"NoReminders":    {booking.MessageSettings{ReminderHours: &zero}, func(p *booking.MessagePolicy) { p.ReminderBefore = 0 }},
		"Preparation12h": {booking.MessageSettings{PreparationHours: &twelve}, func(p *booking.MessagePolicy) { p.PreparationBefore = 12 * time.Hour }},
		"NoKinds":        {booking.MessageSettings{PreparationKinds: []booking.Kind{}}, func(p *booking.MessagePolicy) { p.PreparationKinds = []booking.Kind{} }},
		"QuietOff":       {booking.MessageSettings{QuietStart: &seven, QuietEnd: &seven}, func(p *booking.MessagePolicy) { p.QuietStart, p.QuietEnd = seven, seven }},
	} {
		t.Run(name, func(t *testing.T) {
			want := booking.DefaultMessagePolicy()
			tc.want(&want)
			got := tc.m.Policy()
			if got.ReminderBefore != want.ReminderBefore || got.PreparationBefore != want.PreparationBefore || got.QuietStart != want.QuietStart ||
				got.QuietEnd != want.QuietEnd || !slices.Equal(got.PreparationKinds, want.PreparationKinds) {
				t.Fatalf("Policy=%+v, want %+v", got, want)
			}
		})
	}
}

// The settings survive the clinic's JSON, and validation refuses what
// cannot work, in words.
func TestMessageSettings_ValidateAndJSON(t *testing.T) {
	h, q1, q2 := 72, booking.Clock(22*60), booking.Clock(7*60+30)
	in := booking.MessageSettings{ReminderHours: &h, PreparationKinds: []booking.Kind{"dosing"}, QuietStart: &q1, QuietEnd: &q2}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"reminder_hours":72,"preparation_kinds":["dosing"],"quiet_start":"22:00","quiet_end":"07:30"}` {
		t.Fatalf("JSON=%s", b)
	}
	var out booking.MessageSettings
	if err := json.Unmarshal(b, &out); err != nil || *out.ReminderHours != 72 || *out.QuietEnd != q2 || out.PreparationHours != nil {
		t.Fatalf("decoded %+v, %v", out, err)
	}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	neg, big, late := -1, 337, booking.Clock(24*60)
	for name, tc := range map[string]struct {
		m    booking.MessageSettings
		want string
	}{
		"ErrNegative": {booking.MessageSettings{ReminderHours: &neg}, "between 0 (none) and 336 hours"},
		"ErrTooLong":  {booking.MessageSettings{PreparationHours: &big}, "preparation message lead time"},
		"ErrKind":     {booking.MessageSettings{PreparationKinds: []booking.Kind{"dosing room"}}, "not an appointment kind"},
		"ErrHalf":     {booking.MessageSettings{QuietEnd: &q2}, "both a start and an end"},
		"Err24":       {booking.MessageSettings{QuietStart: &q1, QuietEnd: &late}, "between 00:00 and 23:59"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.m.Validate()
			if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), tc.want) {
				t.Fatalf("Validate=%v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
}

// A template override must be of a known kind, valid UTF-8 and not too long.
func TestTemplateText_Validate(t *testing.T) {
	ok := booking.TemplateText{Text: `{{define "subject"}}Hi{{end}}`}
	if err := ok.Validate("reminder"); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		kind string
		t    booking.TemplateText
		want string
	}{
		"ErrKind":    {"newsletter", ok, "not a kind of patient email"},
		"ErrUTF8":    {"reminder", booking.TemplateText{HTML: "caf\xe9"}, "HTML template of the reminder message contains characters"},
		"ErrNUL":     {"update", booking.TemplateText{Text: "a\x00b"}, "not valid text"},
		"ErrTooLong": {"reminder", booking.TemplateText{Text: strings.Repeat("x", booking.MaxTemplateSize+1)}, "too long"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.t.Validate(tc.kind)
			if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), tc.want) {
				t.Fatalf("Validate=%v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
	c := booking.Clinic{Name: "Harbor", TimeZone: "America/New_York", Templates: map[string]booking.TemplateText{"invoice": ok}}
	if err := c.Validate(); booking.ErrorCode(err) != booking.EINVALID {
		t.Fatalf("clinic with an unknown template kind: %v, want EINVALID", err)
	}
}
