package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PreferenceMiss is one proposed appointment that misses the patient's
// preferred weekdays or times of day, and why the planner placed it
// there: the preferences are soft, and give way to the earliest series
// beyond the slack.
type PreferenceMiss struct {
	Seq int // the appointment's place in the series
	// Wanted is the preference in words, e.g. "Tue/Thu morning".
	Wanted string
	// Why says why, e.g. "nothing free within 2 days' slack".
	Why string
	// NoneFree is true when no preferred time was free within the slack:
	// widening the slack may give one.
	NoneFree bool
}

// String is the miss in words, e.g. "not Tue/Thu morning: nothing free
// within 2 days' slack".
func (m PreferenceMiss) String() string { return "not " + m.Wanted + ": " + m.Why }

// maxPreferredTries is how many preferred times of one missed
// appointment PreferenceMisses plans the rest of the series after, to
// tell "free but leaves no room" from "free and passed over".
const maxPreferredTries = 3

// PreferenceMisses lists the appointments of p that miss the preferred
// weekdays or times of day of its request, in series order, each with
// the reason in words: nothing preferred was free within the slack (the
// request's, or the clinic's) after the earliest day the appointment
// could have, a preferred time there would leave the later appointments
// no room, or one was free but keeping the series at one time of day
// came first. Without preferences it returns nil.
func (s *Service) PreferenceMisses(ctx context.Context, p *Proposal) ([]PreferenceMiss, error) {
	if p == nil || p.Patient == nil {
		return nil, nil
	}
	prefs := p.Patient.Preferences
	if len(prefs.Weekdays)+len(prefs.TimesOfDay) == 0 {
		return nil, nil
	}
	loc := p.Location()
	prefers := func(a *Appointment) bool {
		local := a.Start.In(loc)
		return (len(prefs.Weekdays) == 0 || slices.Contains(prefs.Weekdays, WeekdayKey(local.Weekday()))) &&
			(len(prefs.TimesOfDay) == 0 || slices.Contains(prefs.TimesOfDay, timeOfDay(ClockOf(local))))
	}
	var missed []*Appointment
	for _, a := range p.Appts {
		if !prefers(a) {
			missed = append(missed, a)
		}
	}
	if len(missed) == 0 {
		return nil, nil
	}
	w, err := s.proposalWorld(ctx, s.Store, p)
	if err != nil {
		return nil, err
	}
	wanted := PreferenceWords(prefs)
	out := make([]PreferenceMiss, 0, len(missed))
	for _, a := range missed {
		m, err := p.why(w, a.Seq, prefers, s.now())
		if err != nil {
			return nil, err
		}
		m.Wanted = wanted
		out = append(out, m)
	}
	return out, nil
}

// why finds out why place k of the proposal is not at a preferred time:
// it lists the place's candidates within the slack window, as the
// planner ranked them with the earlier places where the proposal has
// them, and plans the rest of the series after a few preferred ones.
func (p *Proposal) why(w World, k int, prefers func(*Appointment) bool, now time.Time) (PreferenceMiss, error) {
	req := p.planRequest(now)
	req.Omit = p.omitted()
	req.Keep = map[int]*Appointment{}
	for _, a := range p.Appts {
		if a.Seq < k {
			req.Keep[a.Seq] = a
		}
	}
	pl, err := newPlanner(w, req)
	if err != nil {
		return PreferenceMiss{}, err
	}
	for j := 0; j < k; j++ {
		if a := req.Keep[j]; a != nil && !pl.omit[j] {
			pl.placed[j] = a
			if pl.therap == 0 && pl.needsSeries(j) {
				pl.therap = seriesTherapist(a)
			}
		}
	}
	within := "within " + SlackWords(pl.slack)
	if pl.slack == 0 {
		within = "on the earliest possible day (no slack)"
	}
	free, tries := 0, 0
	it := pl.candidates(k, pl.window(k))
	for {
		c, err := it.next()
		if err != nil {
			return PreferenceMiss{}, err
		}
		if c == nil || DateOf(c.Start.In(pl.loc)) > it.rankedTo {
			break
		}
		if !prefers(c) {
			continue
		}
		free++
		if tries >= maxPreferredTries {
			continue
		}
		tries++
		pl.placed[k] = c
		ok, err := pl.place(k + 1)
		if err != nil {
			return PreferenceMiss{}, err
		}
		if ok {
			return PreferenceMiss{Seq: k, Why: "one was free, but keeping the series at one time of day came first"}, nil
		}
	}
	if free == 0 {
		return PreferenceMiss{Seq: k, Why: "nothing free " + within, NoneFree: true}, nil
	}
	return PreferenceMiss{Seq: k, Why: "the ones free " + within + " leave the later appointments no room"}, nil
}

// PreferenceWords writes the preferred weekdays and times of day in
// words, e.g. "Tue/Thu morning", "Mon/Wed" or "morning/afternoon".
func PreferenceWords(prefs Preferences) string {
	var days []string
	for _, d := range Week {
		if slices.Contains(prefs.Weekdays, d.Key) {
			days = append(days, d.Short)
		}
	}
	times := normalTimes(prefs.TimesOfDay)
	parts := []string{}
	if len(days) > 0 {
		parts = append(parts, strings.Join(days, "/"))
	}
	if len(times) > 0 {
		parts = append(parts, strings.Join(times, "/"))
	}
	return strings.Join(parts, " ")
}

// SlackWords writes a slack in days, e.g. "2 days' slack", "1 day's
// slack", or "no slack" for 0.
func SlackWords(days int) string {
	switch days {
	case 0:
		return "no slack"
	case 1:
		return "1 day's slack"
	}
	return fmt.Sprintf("%d days' slack", days)
}
