package rulecheck

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file holds the checker's own view of the stored data: what the
// JSON columns and the rows say, in the shapes the rules need.

// date is a calendar day in the clinic's zone, in days since 1970-01-01.
// Subtracting two dates counts days as docs/protocols.md does: Monday to
// Wednesday is 2.
type date int32

// dateOf returns the calendar day of t in t's own location.
func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// parseDate parses YYYY-MM-DD.
func parseDate(s string) (date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a date", s)
	}
	return dateOf(t), nil
}

// String formats the date as YYYY-MM-DD.
func (d date) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02") }

// weekday returns the day of the week (1970-01-01 was a Thursday).
func (d date) weekday() time.Weekday { return time.Weekday((int(d)%7 + 7 + 4) % 7) }

// monday returns the Monday of d's Monday-to-Sunday week.
func (d date) monday() date { return d - date((int(d.weekday())+6)%7) }

// parseClock parses HH:MM as minutes after midnight; "24:00" is the end
// of the day.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 1440 {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return hh*60 + mm, nil
}

// clockString formats minutes after midnight as HH:MM.
func clockString(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// span is a daily period in minutes after midnight, end excluded.
type span struct{ from, to int }

// weekly holds the periods of each weekday, indexed by time.Weekday; a
// weekday without periods is closed (or a day off).
type weekly [7][]span

// weekdayKeys are the keys of the stored hours, by time.Weekday.
var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseWeekly reads hours stored as {"mon": ["08:00-18:00"], …}.
func parseWeekly(stored map[string][]string) (weekly, error) {
	var w weekly
	for day, key := range weekdayKeys {
		for _, s := range stored[key] {
			a, b, ok := strings.Cut(s, "-")
			from, err1 := parseClock(a)
			to, err2 := parseClock(b)
			if !ok || err1 != nil || err2 != nil {
				return w, fmt.Errorf("%q on %s is not a period such as 08:00-18:00", s, key)
			}
			w[day] = append(w[day], span{from, to})
		}
	}
	return w, nil
}

// contains reports whether one period of weekday day holds [from, to).
func (w *weekly) contains(day time.Weekday, from, to int) bool {
	for _, s := range w[day] {
		if from >= s.from && to <= s.to {
			return true
		}
	}
	return false
}

// interval is a span of time in Unix seconds, end excluded.
type interval struct{ start, end int64 }

// timeline is a list of intervals sorted by start, for quick overlap
// questions.
type timeline struct {
	list   []interval
	maxEnd []int64 // maxEnd[i]: the latest end among list[:i+1]
}

// newTimeline sorts list and returns it as a timeline.
func newTimeline(list []interval) timeline {
	sort.Slice(list, func(i, j int) bool { return list[i].start < list[j].start })
	t := timeline{list: list, maxEnd: make([]int64, len(list))}
	var m int64
	for i, iv := range list {
		if i == 0 || iv.end > m {
			m = iv.end
		}
		t.maxEnd[i] = m
	}
	return t
}

// overlap returns an interval of t that overlaps [start, end), if any.
func (t timeline) overlap(start, end int64) (interval, bool) {
	k := sort.Search(len(t.list), func(i int) bool { return t.list[i].start >= end })
	if k == 0 || t.maxEnd[k-1] <= start {
		return interval{}, false
	}
	for j := k - 1; ; j-- {
		if t.list[j].end > start {
			return t.list[j], true
		}
	}
}

// status is where an appointment stands.
type status string

// The statuses an appointment can have.
const (
	booked        status = "booked"
	arrived       status = "arrived"
	completed     status = "completed"
	noShow        status = "no-show"
	cancelled     status = "cancelled"
	lateCancelled status = "late-cancelled"
)

// holds reports whether the appointment fills its place in the series.
func (s status) holds() bool { return s == booked || s == arrived || s == completed }

// occupies reports whether the appointment takes its people and room.
func (s status) occupies() bool { return s != cancelled && s != lateCancelled }

// missed reports whether the appointment left its place empty.
func (s status) missed() bool { return s == noShow || s == cancelled || s == lateCancelled }

// Who asked for a cancellation.
const (
	byPatient = "patient"
	byClinic  = "clinic"
)

// isDose reports whether an appointment kind is a dose (docs/protocols.md,
// "Doses").
func isDose(kind string) bool { return kind == kindDosing || kind == kindInfusion }

// The appointment kinds that are doses.
const (
	kindDosing   = "dosing"
	kindInfusion = "infusion"
)

// roleTherapist is the role that meets a series-therapist need.
const roleTherapist = "therapist"

// Whether a step may be held by video (roomNeed.Video); empty is never.
const (
	videoAllowed = "allowed"
	videoOnly    = "only"
)

// The units of a gap.
const (
	inDays  = "days"
	inHours = "hours"
)

// clinic is the clinic's settings as the rules need them.
type clinic struct {
	loc           *time.Location
	hours         weekly
	closures      []closedDays
	remsCertified bool
	notice        int64 // seconds of notice below which a cancellation is late
}

// closedDays is a closure, both days included.
type closedDays struct {
	from, to date
	reason   string
}

// closedOn returns the closure covering day d.
func (c *clinic) closedOn(d date) (closedDays, bool) {
	for _, cl := range c.closures {
		if d >= cl.from && d <= cl.to {
			return cl, true
		}
	}
	return closedDays{}, false
}

// staffMember is a person of the clinic's staff.
type staffMember struct {
	id             int64
	name           string
	roles          []string
	qualifications []string
	hours          weekly
	timeOff, busy  timeline
}

// has reports whether m has the role.
func (m *staffMember) has(role string) bool { return containsFold(m.roles, role) }

// room is a treatment or consultation room.
type room struct {
	id        int64
	name      string
	kind      string
	equipment []string
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// protocol is a protocol version as stored in protocol_versions.
type protocol struct {
	ID            string `json:"id"`
	WindowDays    int    `json:"window_days"`
	SameTherapist *bool  `json:"same_therapist"`
	Steps         []step `json:"steps"`
}

// sameTherapist reports whether the series therapist is a hard rule.
func (p *protocol) sameTherapist() bool { return p.SameTherapist == nil || *p.SameTherapist }

// step is one step of a protocol.
type step struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"`
	Name       string      `json:"name"`
	Minutes    int         `json:"minutes"`
	Count      int         `json:"count"`
	Staff      []staffNeed `json:"staff"`
	Room       roomNeed    `json:"room"`
	After      string      `json:"after"`
	Gap        *gap        `json:"gap"`
	RepeatGap  *gap        `json:"repeat_gap"`
	AfterEach  string      `json:"after_each"`
	BeforeNext bool        `json:"before_next"`
	LatestEnd  string      `json:"latest_end"`
	WithinDays int         `json:"within_days"`
	PerWeek    int         `json:"per_week"`
	REMS       bool        `json:"rems"`

	latestEnd int // LatestEnd in minutes after midnight; -1 for none
}

// label names the step in rule words: its name, or its kind, in lower
// case.
func (s *step) label() string {
	if s.Name != "" {
		return strings.ToLower(s.Name)
	}
	return strings.ToLower(s.Kind)
}

// staffHolds returns the minutes the step's staff stay reserved before
// and after: the largest over its needs.
func (s *step) staffHolds() (before, after int) {
	for _, n := range s.Staff {
		before, after = max(before, n.HoldBefore), max(after, n.HoldAfter)
	}
	return before, after
}

// staffNeed is one person a step needs.
type staffNeed struct {
	Roles          []string `json:"roles"`
	Qualifications []string `json:"qualifications"`
	Series         bool     `json:"series_therapist"`
	HoldBefore     int      `json:"hold_before"`
	HoldAfter      int      `json:"hold_after"`
}

// roles returns the roles that meet the need: a series-therapist need is
// met by a therapist.
func (n *staffNeed) roles() []string {
	if n.Series {
		return []string{roleTherapist}
	}
	return n.Roles
}

// roomNeed is the room a step needs, or whether it may be held by video.
type roomNeed struct {
	Kinds      []string `json:"kinds"`
	Equipment  []string `json:"equipment"`
	Video      string   `json:"video"`
	HoldBefore int      `json:"hold_before"`
	HoldAfter  int      `json:"hold_after"`
}

// videoAllowed reports whether the step may be held without a room.
func (n *roomNeed) allowsVideo() bool { return n.Video == videoAllowed || n.Video == videoOnly }

// gap is a minimum and maximum distance between two appointments.
type gap struct {
	Min  int    `json:"min"`
	Max  int    `json:"max"`
	Unit string `json:"unit"` // days, hours or minutes
}

// seconds converts a bound of an hour or minute gap to seconds.
func (g *gap) seconds(v int) int64 {
	if g.Unit == inHours {
		return int64(v) * 3600
	}
	return int64(v) * 60
}

// amount writes n in the gap's unit, singular for one: "1 day", "3 hours".
func (g *gap) amount(n int) string {
	unit := g.Unit
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// series is one patient's booked course of a protocol.
type series struct {
	id, patient, therapist int64
	protocolID             string
	version                int
	adHocStep              string // set for an ad-hoc booking of one step
	from                   date
	created                int64
	layout                 *layout // nil when the protocol version is missing
	appts                  []*appt // by seq, then id
	holder                 []*appt // by seq: the appointment that holds the place
}

// appt is one appointment row with its staff.
type appt struct {
	id, series, patient     int64
	step, kind              string
	index, count, seq       int
	start, end              int64 // Unix seconds
	roomID                  int64 // 0: video
	roomBefore, roomAfter   int
	staffBefore, staffAfter int
	status                  status
	updated                 int64
	needsREMS               bool
	cancelledBy             string
	makeupOf                int64
	staff                   []int64 // by position: position i meets staff need i

	day                  date // start date in the clinic's zone
	startClock, endClock int  // minutes after the local midnight of day (endClock may pass 1440)
	place                *place
}

// locate sets the appointment's date and clock times in the clinic's zone.
func (a *appt) locate(loc *time.Location) {
	start, end := localSeconds(a.start, loc), localSeconds(a.end, loc)
	midnight := start - start%86400
	if start < 0 && start%86400 != 0 {
		midnight -= 86400
	}
	a.day = date(midnight / 86400)
	a.startClock = int(start-midnight) / 60
	a.endClock = int(end-midnight) / 60
}

// localSeconds returns Unix seconds shifted by loc's offset then, so that
// whole days of them are local dates.
func localSeconds(unix int64, loc *time.Location) int64 {
	_, offset := time.Unix(unix, 0).In(loc).Zone()
	return unix + int64(offset)
}

// name describes the appointment in a detail: "appointment 12 (dosing 3)".
func (a *appt) name() string {
	if a.place != nil {
		return fmt.Sprintf("appointment %d (%s)", a.id, a.place.label)
	}
	return fmt.Sprintf("appointment %d (%s)", a.id, a.kind)
}

// when writes the appointment's local start, e.g. "2027-03-04 11:00".
func (a *appt) when() string { return a.day.String() + " " + clockString(a.startClock) }

// auditEntry is one audit row the rules read.
type auditEntry struct {
	id                           int64
	action                       string
	patient, series, appointment int64
	after                        string // state_after, when a rule reads it
	note                         string
}
