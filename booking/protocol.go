package booking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Protocol is an ordered list of steps that together make one patient's
// course of treatment. Protocols are data: see resources/protocols.
type Protocol struct {
	ID string `json:"id"`
	// Version counts the protocol's saved changes from 1; the store sets
	// it. A booked series keeps the version it was booked under.
	Version     int    `json:"version,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// WindowDays bounds the whole series: every appointment lies on a date
	// before From+WindowDays.
	WindowDays int `json:"window_days"`
	// SameTherapist makes the series therapist the same throughout. Default
	// true; a clinic may turn it off, and the planner then still prefers it.
	SameTherapist *bool  `json:"same_therapist,omitempty"`
	Steps         []Step `json:"steps"`
}

// Step is one kind of appointment in a protocol, booked Count times.
type Step struct {
	ID       string      `json:"id"`
	Kind     Kind        `json:"kind"`
	Name     string      `json:"name,omitempty"`
	Minutes  int         `json:"minutes"`
	Count    int         `json:"count"`
	Optional bool        `json:"optional,omitempty"`
	Staff    []StaffNeed `json:"staff"`
	Room     RoomNeed    `json:"room"`
	// After is the step this one follows (default: the previous step);
	// Gap is from the last instance of After to this step's first instance.
	After string `json:"after,omitempty"`
	Gap   *Gap   `json:"gap,omitempty"`
	// RepeatGap is between consecutive instances of this step.
	RepeatGap *Gap `json:"repeat_gap,omitempty"`
	// AfterEach anchors instance i of this step to instance i of that step
	// (integration after each dosing), with Gap measured from it.
	AfterEach string `json:"after_each,omitempty"`
	// BeforeNext requires an AfterEach instance to end before the anchor
	// step's next instance starts.
	BeforeNext bool `json:"before_next,omitempty"`
	// LatestEnd is the time of day by which the session must end.
	LatestEnd *Clock `json:"latest_end,omitempty"`
	// WithinDays bounds all instances of this step: the last lies before
	// the first's date plus WithinDays.
	WithinDays int `json:"within_days,omitempty"`
	// PerWeek, when set, limits a calendar week (Monday to Sunday, clinic
	// time) that holds a session of this step to that many sessions of
	// this step's kind in the series (esketamine: twice a week in
	// induction, once a week after).
	PerWeek int `json:"per_week,omitempty"`
	// Escort marks a visit after which the patient may leave only with an
	// adult escort, recorded before check-in (the dosing and infusion
	// steps of the shipped protocols; docs/protocols.md, "Doses").
	Escort bool `json:"escort,omitempty"`
	// REMS marks esketamine sessions: the clinic must be REMS-certified and
	// the patient REMS-enrolled before the session.
	REMS bool `json:"rems,omitempty"`
	// Task is a follow-up due after each session (the REMS monitoring form).
	Task *Task `json:"task,omitempty"`
}

// StaffNeed is one person a step needs. Series marks "the series therapist".
type StaffNeed struct {
	Roles          []Role   `json:"roles,omitempty"` // any one of these
	Qualifications []string `json:"qualifications,omitempty"`
	Series         bool     `json:"series_therapist,omitempty"`
	HoldBefore     int      `json:"hold_before,omitempty"`
	HoldAfter      int      `json:"hold_after,omitempty"`
}

// String describes the need in words: "series therapist", "prescriber or
// nurse with ACLS".
func (n StaffNeed) String() string {
	if n.Series {
		return "series therapist"
	}
	roles := make([]string, len(n.Roles))
	for i, r := range n.Roles {
		roles[i] = string(r)
	}
	s := strings.Join(roles, " or ")
	if len(n.Qualifications) > 0 {
		s += " with " + strings.Join(n.Qualifications, " and ")
	}
	return s
}

// RoomNeed says which room a step needs, or whether it may be held by video.
type RoomNeed struct {
	Kinds      []RoomKind `json:"kinds,omitempty"` // any of these; empty: any kind
	Equipment  []string   `json:"equipment,omitempty"`
	Video      string     `json:"video,omitempty"` // "never" (default), "allowed", "only"
	HoldBefore int        `json:"hold_before,omitempty"`
	HoldAfter  int        `json:"hold_after,omitempty"`
}

// Gap is a minimum and maximum distance between two appointments. In days
// it counts calendar days in the clinic's zone between their dates; in
// hours or minutes it counts from the end of the earlier to the start of
// the later (docs/protocols.md, the gap units).
type Gap struct {
	Min  int     `json:"min"`
	Max  int     `json:"max"`
	Unit GapUnit `json:"unit"`
}

// Task is a follow-up due some days after a session.
type Task struct {
	Name    string `json:"name"`
	DueDays int    `json:"due_days"`
}

// Minutes converts an hour or minute gap bound to minutes.
func (g *Gap) minutes(v int) int {
	if g.Unit == Hours {
		return v * 60
	}
	return v
}

// String describes the gap, e.g. "1–14 days".
func (g *Gap) String() string { return fmt.Sprintf("%d–%d %s", g.Min, g.Max, g.Unit) }

// Label returns the step's display name.
func (s *Step) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Kind.Title()
}

// SameTherapistRequired reports whether the series therapist is a hard rule.
func (p *Protocol) SameTherapistRequired() bool { return p.SameTherapist == nil || *p.SameTherapist }

// Step returns the step with the given id, or nil.
func (p *Protocol) Step(id string) *Step {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i]
		}
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ParseProtocol decodes and validates a protocol from JSON. Unknown fields
// are refused, so a misspelt rule is not silently ignored.
func ParseProtocol(data []byte) (*Protocol, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Protocol
	if err := dec.Decode(&p); err != nil {
		return nil, Errorf(EINVALID, "The protocol file cannot be read: %s.", jsonProblem(data, err))
	}
	if dec.More() {
		return nil, Errorf(EINVALID, "The protocol file has extra content after the protocol.")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks that the protocol can be planned: known step references,
// no cycles, sane counts, durations and gaps.
func (p *Protocol) Validate() error {
	if err := p.checkHeader(); err != nil {
		return err
	}
	total := 0
	seen := map[string]int{}
	for i := range p.Steps {
		s := &p.Steps[i]
		if !idPattern.MatchString(s.ID) {
			return Errorf(EINVALID, "Protocol %s, step %d: the step id %q must be lower-case letters, digits and dashes.", p.ID, i+1, Clip(s.ID, 40))
		}
		where := fmt.Sprintf("Protocol %s, step %q", p.ID, s.ID)
		if _, dup := seen[s.ID]; dup {
			return Errorf(EINVALID, "%s appears twice.", where)
		}
		seen[s.ID] = i
		if err := s.validate(where, i == 0); err != nil {
			return err
		}
		total += s.Count
	}
	if total > 200 {
		return Errorf(EINVALID, "Protocol %s books %d appointments; at most 200 are allowed.", p.ID, total)
	}
	if err := p.checkReferences(seen); err != nil {
		return err
	}
	if need := p.leastSpan(); need > p.WindowDays {
		return Errorf(EINVALID, "Protocol %s can never be booked: its steps need at least %d days one after another (at their minimum gaps), but the series window is %d days.", p.ID, need, p.WindowDays)
	}
	return nil
}

// checkHeader checks the protocol's own fields.
func (p *Protocol) checkHeader() error {
	if !idPattern.MatchString(p.ID) {
		return Errorf(EINVALID, "Protocol id %q must be lower-case letters, digits and dashes.", Clip(p.ID, 40))
	}
	if err := checkText("Protocol name", p.Name, 200, true); err != nil {
		return err
	}
	if err := checkText("Protocol description", p.Description, 2000, false); err != nil {
		return err
	}
	if p.WindowDays < 1 || p.WindowDays > 730 {
		return Errorf(EINVALID, "Protocol %s: the series window must be between 1 and 730 days.", p.ID)
	}
	if len(p.Steps) == 0 || len(p.Steps) > 50 {
		return Errorf(EINVALID, "Protocol %s needs between 1 and 50 steps.", p.ID)
	}
	return nil
}

// validate checks one step on its own; where names it in messages, and
// first says it is the protocol's first step (which follows none).
func (s *Step) validate(where string, first bool) error {
	for _, check := range []func(string) error{
		s.checkSession, s.checkStaff, s.checkRoom, s.checkGaps,
	} {
		if err := check(where); err != nil {
			return err
		}
	}
	if err := s.checkOrder(where, first); err != nil {
		return err
	}
	return s.checkLimits(where)
}

// checkSession checks the kind, name, length and count of the sessions.
func (s *Step) checkSession(where string) error {
	if !s.Kind.valid() {
		return Errorf(EINVALID, "%s: the kind %q must be lower-case letters, digits and dashes.", where, Clip(string(s.Kind), 40))
	}
	if err := checkText(where+": name", s.Name, 100, false); err != nil {
		return err
	}
	if s.Minutes < 5 || s.Minutes > 12*60 {
		return Errorf(EINVALID, "%s: the length must be between 5 and 720 minutes.", where)
	}
	if s.Count < 1 || s.Count > 100 {
		return Errorf(EINVALID, "%s: the count must be between 1 and 100.", where)
	}
	return nil
}

// checkStaff checks the people the step needs.
func (s *Step) checkStaff(where string) error {
	if len(s.Staff) == 0 {
		return Errorf(EINVALID, "%s needs at least one staff member.", where)
	}
	for _, n := range s.Staff {
		if !n.Series && len(n.Roles) == 0 {
			return Errorf(EINVALID, "%s: each staff need must name roles or be the series therapist.", where)
		}
		for _, r := range n.Roles {
			if r != RoleTherapist && r != RolePrescriber && r != RoleNurse {
				return Errorf(EINVALID, "%s: %q is not a role; use therapist, prescriber or nurse.", where, Clip(string(r), 30))
			}
		}
		if n.HoldBefore < 0 || n.HoldAfter < 0 || n.HoldBefore > 240 || n.HoldAfter > 240 {
			return Errorf(EINVALID, "%s: holds must be between 0 and 240 minutes.", where)
		}
	}
	return nil
}

// checkRoom checks the room the step needs, or its video.
func (s *Step) checkRoom(where string) error {
	switch s.Room.Video {
	case "", "never", "allowed":
	case "only":
		if len(s.Room.Kinds) > 0 || len(s.Room.Equipment) > 0 {
			return Errorf(EINVALID, "%s: a video-only step cannot also need a room.", where)
		}
	default:
		return Errorf(EINVALID, "%s: video must be never, allowed or only.", where)
	}
	for _, k := range s.Room.Kinds {
		if k != RoomConsult && k != RoomDosing && k != RoomInfusion {
			return Errorf(EINVALID, "%s: %q is not a room kind.", where, Clip(string(k), 30))
		}
	}
	if s.Room.HoldBefore < 0 || s.Room.HoldAfter < 0 || s.Room.HoldBefore > 240 || s.Room.HoldAfter > 240 {
		return Errorf(EINVALID, "%s: room holds must be between 0 and 240 minutes.", where)
	}
	if s.Kind.IsDose() && len(s.Room.Kinds) == 0 && len(s.Room.Equipment) == 0 && s.Room.Video != "only" {
		return Errorf(EINVALID, "%s is a dose and needs a room kind (such as dosing or infusion) or equipment, or it could be booked in any room.", where)
	}
	return nil
}

// checkGaps checks the gap to the step followed and between repeats.
func (s *Step) checkGaps(where string) error {
	for _, g := range []*Gap{s.Gap, s.RepeatGap} {
		if g == nil {
			continue
		}
		if !g.Unit.valid() {
			return Errorf(EINVALID, "%s: a gap's unit must be days, hours or minutes.", where)
		}
		if g.Min < 0 {
			return Errorf(EINVALID, "%s: a gap cannot be negative.", where)
		}
		if g.Min > g.Max {
			return Errorf(EINVALID, "%s: the minimum gap (%d %s) is larger than the maximum (%d %s).", where, g.Min, g.Unit, g.Max, g.Unit)
		}
		if g.Max > 365*24*60 {
			return Errorf(EINVALID, "%s: the maximum gap is too large.", where)
		}
	}
	if s.RepeatGap == nil && s.Count > 1 && s.AfterEach == "" {
		return Errorf(EINVALID, "%s is booked %d times and needs a repeat_gap between them.", where, s.Count)
	}
	return nil
}

// checkOrder checks what the step follows (the references themselves are
// checkReferences's).
func (s *Step) checkOrder(where string, first bool) error {
	switch {
	case s.After != "" && s.AfterEach != "":
		return Errorf(EINVALID, "%s: use either after or after_each, not both.", where)
	case first && (s.After != "" || s.AfterEach != ""):
		return Errorf(EINVALID, "%s is the first step and cannot follow another.", where)
	case !first && s.Gap == nil:
		return Errorf(EINVALID, "%s needs a gap to the step it follows.", where)
	case s.BeforeNext && s.AfterEach == "":
		return Errorf(EINVALID, "%s: before_next needs after_each.", where)
	}
	return nil
}

// checkLimits checks the step's bounds in the day, the series and the
// week, and its follow-up task.
func (s *Step) checkLimits(where string) error {
	if s.LatestEnd != nil && (*s.LatestEnd < Clock(s.Minutes) || *s.LatestEnd > 1440) {
		return Errorf(EINVALID, "%s: the latest end time leaves no room for the session.", where)
	}
	if s.WithinDays < 0 || s.WithinDays > 730 {
		return Errorf(EINVALID, "%s: within_days must be between 0 and 730.", where)
	}
	if s.PerWeek < 0 || s.PerWeek > 7 {
		return Errorf(EINVALID, "%s: per_week must be between 0 (no limit) and 7.", where)
	}
	if err := s.checkWithin(where); err != nil {
		return err
	}
	if s.Task != nil {
		if err := checkText(where+": task name", s.Task.Name, 200, true); err != nil {
			return err
		}
		if s.Task.DueDays < 0 || s.Task.DueDays > 365 {
			return Errorf(EINVALID, "%s: a task must be due within 365 days.", where)
		}
	}
	return nil
}

// checkReferences checks that each step's after and after_each name an
// earlier step, without cycles, and that after-each steps match their
// anchor's count.
func (p *Protocol) checkReferences(seen map[string]int) error {
	next := func(i int) (string, bool) {
		s := &p.Steps[i]
		if s.AfterEach != "" {
			return s.AfterEach, true
		}
		if s.After != "" {
			return s.After, true
		}
		return "", false
	}
	for i := range p.Steps {
		ref, ok := next(i)
		if !ok {
			continue
		}
		j, found := seen[ref]
		if !found {
			return Errorf(EINVALID, "Protocol %s: step %q follows %q, which is not a step of this protocol.", p.ID, p.Steps[i].ID, Clip(ref, 40))
		}
		// Walk the chain; a cycle revisits a step.
		path := []string{p.Steps[i].ID}
		visited := map[int]bool{i: true}
		for {
			path = append(path, p.Steps[j].ID)
			if visited[j] {
				return Errorf(EINVALID, "Protocol %s: the steps %s form a cycle, so none of them can come first.", p.ID, strings.Join(path, " → "))
			}
			visited[j] = true
			r, ok := next(j)
			if !ok {
				break
			}
			if j, found = seen[r]; !found {
				break // reported when its own step is checked
			}
		}
		if j := seen[ref]; j >= i {
			return Errorf(EINVALID, "Protocol %s: step %q follows %q, which comes later in the list; list steps in the order they happen.", p.ID, p.Steps[i].ID, ref)
		}
		if p.Steps[i].AfterEach != "" && p.Steps[seen[ref]].Count != p.Steps[i].Count {
			return Errorf(EINVALID, "Protocol %s: step %q comes after each %q, so both need the same count.", p.ID, p.Steps[i].ID, ref)
		}
	}
	return nil
}

// leastDays returns the fewest calendar days a gap's minimum puts between
// two appointments' dates.
func (g *Gap) leastDays() int {
	if g.Unit == "days" {
		return g.Min
	}
	return g.minutes(g.Min) / (24 * 60)
}

// checkWithin refuses a step whose count cannot fit in its within_days at
// its minimum repeat gap, or in the weeks those days touch at its
// per-week limit.
func (s *Step) checkWithin(where string) error {
	if s.WithinDays == 0 || s.Count < 2 {
		return nil
	}
	if s.RepeatGap != nil {
		if need := (s.Count-1)*s.RepeatGap.leastDays() + 1; need > s.WithinDays {
			return Errorf(EINVALID, "%s can never be booked: %d sessions at least %s apart need %d days, more than its within_days (%d).",
				where, s.Count, s.RepeatGap.Unit.count(s.RepeatGap.Min), need, s.WithinDays)
		}
	}
	if s.PerWeek > 0 && s.Count > mostPerWeek(s.WithinDays, s.PerWeek) {
		return Errorf(EINVALID, "%s can never be booked: %d sessions at most %d a week do not fit in %d days.", where, s.Count, s.PerWeek, s.WithinDays)
	}
	return nil
}

// mostPerWeek returns the most sessions, one a day at most, that days
// consecutive days can hold at perWeek a calendar week, whichever weekday
// they start on.
func mostPerWeek(days, perWeek int) int {
	best := 0
	for start := 0; start < 7; start++ { // the weekday of the first day, Monday 0
		n, inWeek := 0, 0
		for d := 0; d < days; d++ {
			if (start+d)%7 == 0 {
				inWeek = 0
			}
			if inWeek < perWeek {
				n++
				inWeek++
			}
		}
		best = max(best, n)
	}
	return best
}

// leastSpan returns the fewest days a series of p spans, from its first
// appointment's date to its last's, counted inclusively: each place as
// early as its minimum gaps allow (several on one day where they may), and
// a per-week limit spreading its kind over the weeks it needs.
func (p *Protocol) leastSpan() int {
	insts := layout(p)
	day := make([]int, len(insts))
	first := map[Kind]int{} // kind → the day of its first session
	n := map[Kind]int{}     // kind → sessions so far
	limit := map[Kind]int{} // kind → the strictest per-week limit
	for i := range p.Steps {
		if s := &p.Steps[i]; s.PerWeek > 0 && (limit[s.Kind] == 0 || s.PerWeek < limit[s.Kind]) {
			limit[s.Kind] = s.PerWeek
		}
	}
	last := 0
	for k, in := range insts {
		if k > 0 {
			day[k] = day[k-1]
		}
		for _, pd := range in.preds {
			day[k] = max(day[k], day[pd.seq]+pd.gap.leastDays())
		}
		kind := in.step.Kind
		if _, ok := first[kind]; !ok {
			first[kind] = day[k]
		}
		// The m-th session (from 0) of a kind limited to L a week lies at
		// least m/L weeks after the first's week began: a week holds L.
		if l := limit[kind]; l > 0 {
			if weeks := n[kind] / l; weeks > 0 {
				day[k] = max(day[k], first[kind]+7*(weeks-1)+1)
			}
		}
		n[kind]++
		if !in.step.Optional {
			last = max(last, day[k])
		}
	}
	return last + 1
}

// jsonProblem turns a JSON decoding error into words with a line number.
func jsonProblem(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case asErr(err, &se):
		return fmt.Sprintf("line %d is not valid JSON (%s)", lineOf(data, se.Offset), se.Error())
	case asErr(err, &te):
		return fmt.Sprintf("line %d: the field %q has the wrong type (expected %s)", lineOf(data, te.Offset), te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "it has an unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case err.Error() == "EOF":
		return "the file is empty"
	}
	var e *Error
	if asErr(err, &e) {
		return strings.TrimSuffix(e.Message, ".")
	}
	return Clip(err.Error(), 200)
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
