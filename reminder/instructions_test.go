package reminder_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// A message about several appointments of a series gives the detailed
// preparation instructions once, for the first appointment that has any
// (named by its date), never once per appointment; without consent it
// gives none.
func TestSeriesMessage_InstructionsOnce(t *testing.T) {
	ctx := context.Background()
	c := newTemplateClinic(t)
	appts := c.series.Appts
	var dosings, fromIntegration []*booking.Appointment
	for i, a := range appts {
		if a.Kind == "dosing" {
			dosings = append(dosings, a)
		}
		if a.Kind == "integration" && fromIntegration == nil {
			fromIntegration = appts[i:]
		}
	}
	if appts[0].Kind != "consultation" || len(dosings) != 6 || len(fromIntegration) < 2 || fromIntegration[1].Kind != "dosing" {
		t.Fatalf("unexpected series: first %s, %d dosings", appts[0].Kind, len(dosings))
	}
	date := func(a *booking.Appointment) string {
		return a.Start.In(c.clinic(t).Location()).Format("Monday 2 January 2006")
	}

	_, text, html := c.compose(t, reminder.Confirmation, appts...)
	if n := strings.Count(text, "Your preparation instructions"); n != 0 {
		t.Fatalf("instructions %d times without consent:\n%s", n, text)
	}
	on := booking.DateOf(appts[0].Start)
	if _, err := c.svc.SetConsent(ctx, c.jane.ID, "detailed-email", &on); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name      string
		kind      reminder.Kind
		appts     []*booking.Appointment
		about     *booking.Appointment
		want, not string
	}{
		// The consultation comes first: its instructions, not the dosing's.
		{"Confirmation", reminder.Confirmation, appts, appts[0], "Bring a list of all the medicines", "No food for 6 hours"},
		// An update about the dosings: the dosing's instructions, once.
		{"UpdateOfDosings", reminder.Update, dosings, dosings[0], "No food for 6 hours", "Bring a list"},
		// An integration (no instructions) first: the next dosing's.
		{"FirstWithoutInstructions", reminder.Update, fromIntegration, fromIntegration[1], "No food for 6 hours", "Bring a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, text, html = c.compose(t, tc.kind, tc.appts...)
			for part, s := range map[string]string{"text": text, "html": html} {
				head := "Your preparation instructions for your appointment on " + date(tc.about) + ":"
				if n := strings.Count(s, "Your preparation instructions"); n != 1 || !strings.Contains(s, head) {
					t.Fatalf("%s: instructions %d times, want once under %q:\n%s", part, n, head, s)
				}
				if n := strings.Count(s, tc.want); n != 1 {
					t.Fatalf("%s: %q %d times, want once:\n%s", part, tc.want, n, s)
				}
				if strings.Contains(s, tc.not) {
					t.Fatalf("%s: says %q, the instructions of another kind of appointment:\n%s", part, tc.not, s)
				}
			}
		})
	}

	// One appointment: its own instructions, as before.
	_, text, _ = c.compose(t, reminder.Preparation, dosings[2])
	if !strings.Contains(text, "Your preparation instructions:\n") || strings.Count(text, "No food for 6 hours") != 1 {
		t.Fatalf("preparation message for one dosing:\n%s", text)
	}
}
