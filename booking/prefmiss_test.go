package booking_test

import (
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
)

// A patient who prefers Tue/Thu mornings gets a series whose integrations
// after two Thursday dosings fall at noon: the misses name them and say
// why; with a week's slack the planner finds mornings for all.
func TestPreferenceMisses(t *testing.T) {
	f := newProposalFixture(t)
	propose := func(slack *int, weekdays, times []string) (*booking.Proposal, []booking.PreferenceMiss) {
		t.Helper()
		p := f.propose(t, booking.ProposalRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", From: f.day + 1,
			Weekdays: weekdays, TimesOfDay: times, SlackDays: slack})
		ms, err := f.svc.PreferenceMisses(f.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return p, ms
	}
	tueThu, morning := []string{"tue", "thu"}, []string{booking.Morning}

	p, ms := propose(nil, tueThu, morning) // the clinic's slack, 2 days
	if len(ms) == 0 {
		t.Fatal("no misses, want the integrations that fall at noon")
	}
	for _, m := range ms {
		a := p.Place(m.Seq)
		local := a.Start.In(f.loc)
		if wd := local.Weekday().String()[:3]; (wd == "Tue" || wd == "Thu") && local.Hour() < 12 {
			t.Errorf("%s at %s is marked as a miss", a.Label(), local.Format("Mon 15:04"))
		}
		if got, want := m.String(), "not Tue/Thu morning: nothing free within 2 days' slack"; got != want || !m.NoneFree {
			t.Errorf("%s: %q (none free %v), want %q", a.Label(), got, m.NoneFree, want)
		}
	}
	missed := map[int]bool{}
	for _, m := range ms {
		missed[m.Seq] = true
	}
	for _, a := range p.Appts {
		local := a.Start.In(f.loc)
		wd := local.Weekday().String()[:3]
		if ok := (wd == "Tue" || wd == "Thu") && local.Hour() < 12; ok == missed[a.Seq] {
			t.Errorf("%s at %s: marked %v", a.Label(), local.Format("Mon 15:04"), missed[a.Seq])
		}
	}

	week := 7
	if _, ms := propose(&week, tueThu, morning); len(ms) != 0 {
		t.Errorf("with a week's slack: misses %v, want none", ms)
	}
	if _, ms := propose(nil, nil, nil); ms != nil {
		t.Errorf("without preferences: misses %v", ms)
	}
	bad := 15
	if _, err := f.svc.Propose(f.ctx, booking.ProposalRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", SlackDays: &bad}); booking.ErrorCode(err) != booking.EINVALID ||
		!strings.Contains(booking.ErrorMessage(err), "between 0 and 14 days") {
		t.Errorf("slack 15: %v, want EINVALID", err)
	}
}

func TestPreferenceWords(t *testing.T) {
	for _, tc := range []struct {
		prefs booking.Preferences
		want  string
	}{
		{booking.Preferences{Weekdays: []string{"thu", "tue"}, TimesOfDay: []string{"morning"}}, "Tue/Thu morning"},
		{booking.Preferences{Weekdays: []string{"mon"}}, "Mon"},
		{booking.Preferences{TimesOfDay: []string{"evening", "morning"}}, "morning/evening"},
	} {
		if got := booking.PreferenceWords(tc.prefs); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.prefs, got, tc.want)
		}
	}
	for n, want := range map[int]string{0: "no slack", 1: "1 day's slack", 4: "4 days' slack"} {
		if got := booking.SlackWords(n); got != want {
			t.Errorf("SlackWords(%d)=%q, want %q", n, got, want)
		}
	}
}
