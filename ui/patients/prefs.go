package patients

import (
	"strings"

	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
)

// timeChoices are the times of day a patient can prefer, in words.
var timeChoices = []struct{ key, name string }{
	{booking.Morning, "Mornings"},
	{booking.Afternoon, "Afternoons"},
	{booking.Evening, "Evenings"},
}

// prefsText says a patient's preferences in words, e.g. "Mon, Wed ·
// mornings".
func prefsText(p booking.Preferences) string {
	var days []string
	for _, d := range booking.Week {
		for _, w := range p.Weekdays {
			if wd, err := booking.ParseWeekday(w); err == nil && wd == d.Day {
				days = append(days, d.Short)
				break
			}
		}
	}
	var times []string
	for _, c := range timeChoices {
		for _, t := range p.TimesOfDay {
			if t == c.key {
				times = append(times, strings.ToLower(c.name))
			}
		}
	}
	var parts []string
	if len(days) > 0 {
		parts = append(parts, strings.Join(days, ", "))
	}
	if len(times) > 0 {
		parts = append(parts, strings.Join(times, ", "))
	}
	if len(parts) == 0 {
		return "no preferred days or times"
	}
	return strings.Join(parts, " · ")
}

// prefsChecks are the check boxes of a patient's preferences.
type prefsChecks struct {
	days, times *widget.CheckGroup
	earliest    booking.Date // kept as it was
}

func newPrefsChecks(p booking.Preferences) *prefsChecks {
	c := &prefsChecks{earliest: p.Earliest}
	var dayNames, timeNames []string
	for _, d := range booking.Week {
		dayNames = append(dayNames, d.Short)
	}
	for _, t := range timeChoices {
		timeNames = append(timeNames, t.name)
	}
	c.days = widget.NewCheckGroup(dayNames, nil)
	c.days.Horizontal = true
	c.times = widget.NewCheckGroup(timeNames, nil)
	c.times.Horizontal = true
	var days, times []string
	for _, d := range booking.Week {
		for _, w := range p.Weekdays {
			if wd, err := booking.ParseWeekday(w); err == nil && wd == d.Day {
				days = append(days, d.Short)
				break
			}
		}
	}
	for _, t := range timeChoices {
		for _, x := range p.TimesOfDay {
			if x == t.key {
				times = append(times, t.name)
			}
		}
	}
	c.days.SetSelected(days)
	c.times.SetSelected(times)
	return c
}

// preferences returns what the boxes say.
func (c *prefsChecks) preferences() booking.Preferences {
	p := booking.Preferences{Earliest: c.earliest}
	for _, d := range booking.Week {
		for _, s := range c.days.Selected {
			if s == d.Short {
				p.Weekdays = append(p.Weekdays, d.Key)
			}
		}
	}
	for _, t := range timeChoices {
		for _, s := range c.times.Selected {
			if s == t.name {
				p.TimesOfDay = append(p.TimesOfDay, t.key)
			}
		}
	}
	return p
}
