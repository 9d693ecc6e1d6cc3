package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the moment the tests pretend it is: a Monday morning a week
// before the series they book start.
const testNow = "2027-02-22T09:00:00-05:00"

// clinic is a demo clinic's database in a temporary folder, driven through
// run as a front-desk person would drive kapctl.
type clinic struct {
	t    *testing.T
	path string
	now  string // --now
	as   string // --as
}

// result is what one kapctl invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// mustDemo returns a clinic initialised with kapctl init --demo.
func mustDemo(t *testing.T) *clinic {
	t.Helper()
	c := &clinic{t: t, path: filepath.Join(t.TempDir(), "kapbook.db"), now: testNow, as: "front desk"}
	c.ok("init", "--demo")
	return c
}

// exec runs kapctl with args as given, adding only --db.
func (c *clinic) exec(args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"--db", c.path}, args...), &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// run runs kapctl with the clinic's --now and --as before args.
func (c *clinic) run(args ...string) result {
	c.t.Helper()
	return c.exec(append([]string{"--now", c.now, "--as", c.as}, args...)...)
}

// ok runs kapctl and fails the test unless it succeeds; it returns stdout.
func (c *clinic) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("kapctl %s: exit=%d, want 0; stderr=%q", strings.Join(args, " "), r.code, r.stderr)
	}
	if r.stderr != "" {
		c.t.Fatalf("kapctl %s: stderr=%q, want nothing", strings.Join(args, " "), r.stderr)
	}
	return r.stdout
}

// json runs kapctl --json and decodes its output into v.
func (c *clinic) json(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("kapctl --json %s: %v; output:\n%s", strings.Join(args, " "), err, out)
	}
}

// addPatient adds a patient and returns the id.
func (c *clinic) addPatient(name, email string, more ...string) int64 {
	c.t.Helper()
	var p struct {
		ID int64 `json:"id"`
	}
	c.json(&p, append([]string{"patient", "add", "--name", name, "--email", email}, more...)...)
	if p.ID <= 0 {
		c.t.Fatalf("patient add: id=%d, want > 0", p.ID)
	}
	return p.ID
}

// book books kap-standard (unless --protocol is among more) for a patient
// from 2027-03-01 (unless --from is) and returns kapctl's answer.
func (c *clinic) book(patient int64, more ...string) bookOut {
	c.t.Helper()
	args := []string{"book", "--patient", strconv.FormatInt(patient, 10)}
	if !slices.Contains(more, "--protocol") {
		args = append(args, "--protocol", "kap-standard")
	}
	if !slices.Contains(more, "--from") {
		args = append(args, "--from", "2027-03-01")
	}
	var b bookOut
	c.json(&b, append(args, more...)...)
	return b
}

// agenda lists the appointments from 2027-01-01 to 2027-12-31, with filter.
func (c *clinic) agenda(filter ...string) []appt {
	c.t.Helper()
	var list []appt
	c.json(&list, append([]string{"agenda", "--from", "2027-01-01", "--to", "2027-12-31"}, filter...)...)
	return list
}

// state is everything a command could change, as kapctl shows it: the
// year's agenda, the audit trail, the patients and the protocols.
func (c *clinic) state() string {
	c.t.Helper()
	var b strings.Builder
	for _, args := range [][]string{
		{"agenda", "--from", "2026-01-01", "--to", "2028-12-31"},
		{"audit", "--limit", "100000"},
		{"patient", "list"},
		{"protocol", "list"},
	} {
		b.WriteString(c.ok(append([]string{"--json"}, args...)...))
	}
	return b.String()
}

type bookOut struct {
	Series       *int64 `json:"series"`
	DryRun       bool   `json:"dry_run"`
	Appointments []appt `json:"appointments"`
}

type appt struct {
	ID      int64       `json:"id"`
	Series  int64       `json:"series"`
	Patient int64       `json:"patient"`
	Kind    string      `json:"kind"`
	Step    string      `json:"step"`
	Index   int         `json:"index"`
	Start   time.Time   `json:"start"`
	End     time.Time   `json:"end"`
	Status  string      `json:"status"`
	Staff   []staffJSON `json:"staff"`
	Room    *roomJSON   `json:"room"`
	Escort  *struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"escort"`
	Reason      string `json:"reason"`
	CancelledBy string `json:"cancelled_by"`
	LateMinutes int    `json:"late_minutes"`
	MakeupOf    int64  `json:"makeup_of"`
}

type staffJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

type roomJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (a appt) hasStaff(id int64) bool {
	return slices.ContainsFunc(a.Staff, func(s staffJSON) bool { return s.ID == id })
}

// find returns the appointment of a list with the given kind and index.
func find(t *testing.T, list []appt, kind string, index int) appt {
	t.Helper()
	for _, a := range list {
		if a.Kind == kind && a.Index == index {
			return a
		}
	}
	t.Fatalf("no %s %d among %d appointments", kind, index, len(list))
	return appt{}
}

func byID(list []appt) map[int64]appt {
	m := map[int64]appt{}
	for _, a := range list {
		m[a.ID] = a
	}
	return m
}

func str(n int64) string { return strconv.FormatInt(n, 10) }

func TestInit(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		c := &clinic{t: t, path: filepath.Join(t.TempDir(), "sub", "kapbook.db"), now: testNow, as: "admin"}
		out := c.ok("init", "--demo")
		if want := "Harbor Wellness Center: 8 staff, 6 rooms, 3 protocols."; !strings.Contains(out, want) {
			t.Fatalf("init output=%q, want it to contain %q", out, want)
		}
		var audit []struct {
			Actor  string `json:"actor"`
			Action string `json:"action"`
		}
		c.json(&audit, "audit")
		if len(audit) != 1 || audit[0].Action != "init" || audit[0].Actor != "admin" {
			t.Fatalf("audit=%+v, want one init by admin", audit)
		}
	})
	t.Run("ErrSecondInit", func(t *testing.T) {
		c := mustDemo(t)
		c.addPatient("Jane Doe", "jane@example.com")
		before, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		r := c.run("init", "--demo")
		assertRefused(t, r)
		if !strings.Contains(r.stderr, "will not overwrite") {
			t.Fatalf("stderr=%q, want it to say kapbook will not overwrite the database", r.stderr)
		}
		after, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Fatalf("database changed by a refused init (%d bytes before, %d after)", len(before), len(after))
		}
		if got := c.ok("patient", "list"); !strings.Contains(got, "Jane Doe") {
			t.Fatalf("patient list=%q, want Jane Doe still there", got)
		}
	})
	t.Run("ErrNoFlag", func(t *testing.T) {
		c := &clinic{t: t, path: filepath.Join(t.TempDir(), "kapbook.db"), now: testNow, as: "admin"}
		assertRefused(t, c.run("init"))
		if _, err := os.Stat(c.path); err == nil {
			t.Fatalf("init without --demo left a file at %s", c.path)
		}
	})
	t.Run("EmptyFileFinished", func(t *testing.T) {
		// An empty file (or an init cut short) is kapbook's to set up: the
		// other commands say "run kapctl init first", so init must work.
		c := &clinic{t: t, path: filepath.Join(t.TempDir(), "kapbook.db"), now: testNow, as: "admin"}
		if err := os.WriteFile(c.path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := c.run("staff", "list")
		assertRefused(t, r)
		if !strings.Contains(r.stderr, "run kapctl init first") {
			t.Fatalf("stderr=%q, want the advice to run kapctl init", r.stderr)
		}
		c.ok("init", "--demo")
		if got := c.ok("staff", "list"); !strings.Contains(got, "Dr. Ana Reyes") {
			t.Fatalf("staff list=%q, want the demo staff", got)
		}
	})
	t.Run("ErrNoDatabase", func(t *testing.T) {
		c := &clinic{t: t, path: filepath.Join(t.TempDir(), "none.db"), now: testNow, as: "admin"}
		r := c.run("agenda")
		assertRefused(t, r)
		if r.code != exitNotFound {
			t.Fatalf("exit=%d, want %d", r.code, exitNotFound)
		}
		if _, err := os.Stat(c.path); err == nil {
			t.Fatalf("agenda created %s", c.path)
		}
	})
}

func TestLists(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	t.Run("Staff", func(t *testing.T) {
		var staff []struct {
			ID    int64    `json:"id"`
			Name  string   `json:"name"`
			Roles []string `json:"roles"`
		}
		c.json(&staff, "staff", "list")
		roles := map[string][]string{}
		for _, s := range staff {
			for _, r := range s.Roles {
				roles[r] = append(roles[r], s.Name)
			}
		}
		for role, want := range map[string][]string{
			"therapist":  {"Dr. Ana Reyes", "Sam Okafor", "Dr. Mei Lin", "Jordan Price"},
			"prescriber": {"Dr. Priya Nair", "Dr. Tom Becker"},
			"nurse":      {"Grace Kim, RN", "Luis Ortega, RN"},
		} {
			if !slices.Equal(roles[role], want) {
				t.Fatalf("%ss=%q, want %q", role, roles[role], want)
			}
		}
		out := c.ok("staff", "list")
		if want := "mon 08:00-17:00, tue 08:00-17:00"; !strings.Contains(out, want) {
			t.Fatalf("staff list does not show Dr. Reyes' hours %q:\n%s", want, out)
		}
	})
	t.Run("Rooms", func(t *testing.T) {
		var rooms []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
			Kind string `json:"kind"`
		}
		c.json(&rooms, "room", "list")
		var dosing []string
		for _, r := range rooms {
			if r.Kind == "dosing" {
				dosing = append(dosing, r.Name)
			}
		}
		if len(rooms) != 6 {
			t.Fatalf("rooms=%d, want 6", len(rooms))
		}
		if want := []string{"Dosing 1", "Dosing 2"}; !slices.Equal(dosing, want) {
			t.Fatalf("dosing rooms=%q, want %q", dosing, want)
		}
	})
	t.Run("Protocols", func(t *testing.T) {
		var ps []struct {
			ID    string `json:"id"`
			Steps []struct {
				Count int `json:"count"`
			} `json:"steps"`
		}
		c.json(&ps, "protocol", "list")
		got := map[string]int{}
		for _, p := range ps {
			for _, s := range p.Steps {
				got[p.ID] += s.Count
			}
		}
		for pid, n := range map[string]int{"kap-standard": 15, "kap-iv": 8, "esketamine-induction": 13} {
			if got[pid] != n {
				t.Fatalf("%s: appointments=%d, want %d", pid, got[pid], n)
			}
		}
		out := c.ok("protocol", "show", "kap-standard")
		for _, want := range []string{"Whole series within 84 days", "series therapist + prescriber or nurse", "dosing, +30 min turnover", "ends by 18:00"} {
			if !strings.Contains(out, want) {
				t.Fatalf("protocol show kap-standard lacks %q:\n%s", want, out)
			}
		}
	})
}

func TestPatient(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	jane := c.addPatient("Jane Doe", "jane@example.com", "--phone", "+1 617 555 0100", "--weekdays", "mon,Wed", "--times", "morning")
	bob := c.addPatient("Bob Smith", "bob@example.org", "--phone", "617-555-0199")
	ann := c.addPatient("Ann Jones", "ann@example.net")
	zoe := c.addPatient("Zoë Brontë", "zb@example.net")
	type patient struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		Email       string `json:"email"`
		Phone       string `json:"phone"`
		Preferences struct {
			Weekdays   []string `json:"weekdays"`
			TimesOfDay []string `json:"times_of_day"`
		} `json:"preferences"`
	}
	t.Run("ListAllByName", func(t *testing.T) {
		var ps []patient
		c.json(&ps, "patient", "list")
		var names []string
		for _, p := range ps {
			names = append(names, p.Name)
		}
		if want := []string{"Ann Jones", "Bob Smith", "Jane Doe", "Zoë Brontë"}; !slices.Equal(names, want) {
			t.Fatalf("patients=%q, want %q", names, want)
		}
	})
	for _, tt := range []struct {
		name, search string
		want         []int64
	}{
		{"SearchName", "jane", []int64{jane}},
		{"SearchNameCase", "SMITH", []int64{bob}},
		{"SearchEmail", "example.org", []int64{bob}},
		{"SearchPhone", "555 0100", []int64{jane}},
		{"SearchNone", "nobody", nil},
		{"SearchWithoutAccents", "zoe bronte", []int64{zoe}},
		{"SearchWordOrder", "jones an", []int64{ann}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ps []patient
			c.json(&ps, "patient", "list", "--search", tt.search)
			var got []int64
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("--search %q: ids=%v, want %v", tt.search, got, tt.want)
			}
		})
	}
	t.Run("Show", func(t *testing.T) {
		c.book(jane)
		var show struct {
			Patient      patient `json:"patient"`
			Appointments []appt  `json:"appointments"`
		}
		c.json(&show, "patient", "show", str(jane))
		p := show.Patient
		if p.ID != jane || p.Name != "Jane Doe" || p.Email != "jane@example.com" || p.Phone != "+1 617 555 0100" {
			t.Fatalf("patient=%+v, want Jane Doe's details", p)
		}
		if !slices.Equal(p.Preferences.Weekdays, []string{"mon", "wed"}) || !slices.Equal(p.Preferences.TimesOfDay, []string{"morning"}) {
			t.Fatalf("preferences=%+v, want mon,wed mornings", p.Preferences)
		}
		if got := len(show.Appointments); got != 15 {
			t.Fatalf("appointments=%d, want 15", got)
		}
		out := c.ok("patient", "show", str(jane))
		for _, want := range []string{"Patient 1: Jane Doe", "Consents: none recorded", "Dosing 1/6", "(no escort yet)"} {
			if !strings.Contains(out, want) {
				t.Fatalf("patient show lacks %q:\n%s", want, out)
			}
		}
	})
}

// wantOffset is the clinic's UTC offset at t, written as in RFC 3339.
func wantOffset(t *testing.T, at time.Time) string {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return at.In(loc).Format("-07:00")
}

func TestBook(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")

	t.Run("DryRunStoresNothing", func(t *testing.T) {
		before := c.state()
		b := c.book(p, "--dry-run")
		if b.Series != nil || !b.DryRun {
			t.Fatalf("series=%v dry_run=%v, want null and true", b.Series, b.DryRun)
		}
		if got := len(b.Appointments); got != 15 {
			t.Fatalf("proposed appointments=%d, want 15", got)
		}
		for _, a := range b.Appointments {
			if a.ID != 0 {
				t.Fatalf("proposed appointment has id %d, want none", a.ID)
			}
		}
		if got := c.agenda(); len(got) != 0 {
			t.Fatalf("agenda after --dry-run=%d appointments, want 0", len(got))
		}
		if after := c.state(); after != before {
			t.Fatalf("--dry-run changed the database:\nbefore %s\nafter %s", before, after)
		}
		if out := c.ok("book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01", "--dry-run"); !strings.Contains(out, "nothing booked") {
			t.Fatalf("dry-run output does not say nothing was booked:\n%s", out)
		}
	})

	t.Run("JSONShape", func(t *testing.T) {
		out := c.ok("--json", "book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01")
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &top); err != nil {
			t.Fatal(err)
		}
		var series int64
		if err := json.Unmarshal(top["series"], &series); err != nil || series <= 0 {
			t.Fatalf("series=%s, want a positive id", top["series"])
		}
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(top["appointments"], &list); err != nil {
			t.Fatalf("appointments=%s: %v", top["appointments"], err)
		}
		if len(list) != 15 {
			t.Fatalf("appointments=%d, want 15", len(list))
		}
		offsets := map[string]bool{}
		for i, a := range list {
			for _, k := range []string{"id", "kind", "step", "start", "end", "status", "staff", "room"} {
				if _, ok := a[k]; !ok {
					t.Fatalf("appointment %d has no %q: %v", i, k, keys(a))
				}
			}
			var aid int64
			var kind, step, status string
			if err := json.Unmarshal(a["id"], &aid); err != nil || aid <= 0 {
				t.Fatalf("appointment %d: id=%s, want a positive number", i, a["id"])
			}
			for k, dst := range map[string]*string{"kind": &kind, "step": &step, "status": &status} {
				if err := json.Unmarshal(a[k], dst); err != nil || *dst == "" {
					t.Fatalf("appointment %d: %s=%s, want a string", i, k, a[k])
				}
			}
			if status != "booked" {
				t.Fatalf("appointment %d: status=%q, want booked", i, status)
			}
			for _, k := range []string{"start", "end"} {
				var s string
				if err := json.Unmarshal(a[k], &s); err != nil {
					t.Fatalf("appointment %d: %s=%s, want a string", i, k, a[k])
				}
				at, err := time.Parse(time.RFC3339, s)
				if err != nil {
					t.Fatalf("appointment %d: %s=%q is not RFC 3339", i, k, s)
				}
				if off := wantOffset(t, at); !strings.HasSuffix(s, off) {
					t.Fatalf("appointment %d: %s=%q, want the clinic's offset %s", i, k, s, off)
				}
				offsets[s[len(s)-6:]] = true
			}
			var staff []map[string]json.RawMessage
			if err := json.Unmarshal(a["staff"], &staff); err != nil || len(staff) == 0 {
				t.Fatalf("appointment %d: staff=%s, want a non-empty list", i, a["staff"])
			}
			for _, s := range staff {
				if got := keys(s); !slices.Equal(got, []string{"id", "name", "role"}) {
					t.Fatalf("appointment %d: staff keys=%q, want id, name, role", i, got)
				}
			}
			if string(a["room"]) != "null" {
				var room map[string]json.RawMessage
				if err := json.Unmarshal(a["room"], &room); err != nil {
					t.Fatalf("appointment %d: room=%s, want an object or null", i, a["room"])
				}
				if got := keys(room); !slices.Equal(got, []string{"id", "name"}) {
					t.Fatalf("appointment %d: room keys=%q, want id, name", i, got)
				}
			}
		}
		// 2027-03-01 to the end of March crosses the change to daylight time
		// on 14 March.
		if !offsets["-05:00"] || !offsets["-04:00"] {
			t.Fatalf("offsets=%v, want both -05:00 and -04:00", offsets)
		}
	})

	t.Run("SeriesKeepsTheRules", func(t *testing.T) {
		list := c.agenda("--patient", str(p))
		kinds := map[string]int{}
		therapists := map[int64]bool{}
		for _, a := range list {
			kinds[a.Kind]++
			for _, s := range a.Staff {
				if s.Role == "therapist" {
					therapists[s.ID] = true
				}
			}
			if a.Kind == "dosing" {
				if a.Room == nil || !strings.HasPrefix(a.Room.Name, "Dosing") {
					t.Fatalf("dosing %d in room %+v, want a dosing room", a.Index, a.Room)
				}
				if len(a.Staff) != 2 || (a.Staff[1].Role != "prescriber" && a.Staff[1].Role != "nurse") {
					t.Fatalf("dosing %d staff=%+v, want the therapist and a prescriber or nurse", a.Index, a.Staff)
				}
				if a.End.Sub(a.Start) != 3*time.Hour {
					t.Fatalf("dosing %d lasts %v, want 3h", a.Index, a.End.Sub(a.Start))
				}
			}
		}
		if want := map[string]int{"consultation": 1, "preparation": 2, "dosing": 6, "integration": 6}; !mapsEqual(kinds, want) {
			t.Fatalf("kinds=%v, want %v", kinds, want)
		}
		if len(therapists) != 1 {
			t.Fatalf("therapists=%v, want one throughout", therapists)
		}
	})

	t.Run("VideoHasNullRoom", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "check-in.json")
		writeJSON(t, file, map[string]any{
			"id": "check-in", "name": "Check-in call", "window_days": 14,
			"steps": []any{map[string]any{"id": "call", "kind": "check-in", "minutes": 30, "count": 1,
				"staff": []any{map[string]any{"roles": []string{"therapist"}}}, "room": map[string]any{"video": "only"}}},
		})
		c.ok("protocol", "add", file)
		out := c.ok("--json", "book", "--patient", str(p), "--protocol", "check-in", "--from", "2027-03-01", "--reason", "a check-in call beside the series")
		var top struct {
			Appointments []map[string]json.RawMessage `json:"appointments"`
		}
		if err := json.Unmarshal([]byte(out), &top); err != nil {
			t.Fatal(err)
		}
		if len(top.Appointments) != 1 || string(top.Appointments[0]["room"]) != "null" {
			t.Fatalf("video booking=%s, want one appointment with room null", out)
		}
	})
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAgenda(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	jane := c.addPatient("Jane Doe", "jane@example.com")
	bob := c.addPatient("Bob Smith", "bob@example.com")
	c.book(jane, "--therapist", "1")
	c.book(bob, "--therapist", "2")
	all := c.agenda()
	if len(all) != 30 {
		t.Fatalf("agenda=%d appointments, want 30", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Start.Before(all[i-1].Start) {
			t.Fatalf("agenda not in time order at %d: %v after %v", i, all[i].Start, all[i-1].Start)
		}
	}
	for _, tt := range []struct {
		name   string
		filter []string
		keep   func(appt) bool
	}{
		{"Staff", []string{"--staff", "2"}, func(a appt) bool { return a.hasStaff(2) }},
		{"StaffPrescriber", []string{"--staff", "5"}, func(a appt) bool { return a.hasStaff(5) }},
		{"Room", []string{"--room", "4"}, func(a appt) bool { return a.Room != nil && a.Room.ID == 4 }},
		{"Patient", []string{"--patient", str(bob)}, func(a appt) bool { return a.Patient == bob }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.agenda(tt.filter...)
			var want []int64
			for _, a := range all {
				if tt.keep(a) {
					want = append(want, a.ID)
				}
			}
			var ids []int64
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if len(want) == 0 || !slices.Equal(ids, want) {
				t.Fatalf("agenda %v=%v, want %v", tt.filter, ids, want)
			}
		})
	}
	t.Run("OneWeek", func(t *testing.T) {
		got := c.agenda2("--from", "2027-03-01", "--to", "2027-03-07")
		for _, a := range got {
			if a.Start.Before(time.Date(2027, 3, 1, 5, 0, 0, 0, time.UTC)) || !a.Start.Before(time.Date(2027, 3, 8, 5, 0, 0, 0, time.UTC)) {
				t.Fatalf("appointment %d at %v is outside 1–7 March", a.ID, a.Start)
			}
		}
		if len(got) == 0 || len(got) == len(all) {
			t.Fatalf("first week=%d appointments, want some but not all %d", len(got), len(all))
		}
	})
	t.Run("Empty", func(t *testing.T) {
		out := c.ok("agenda", "--from", "2027-01-04", "--to", "2027-01-08")
		if want := "No appointments from Mon 4 Jan 2027 to Fri 8 Jan 2027."; !strings.Contains(out, want) {
			t.Fatalf("agenda=%q, want %q", out, want)
		}
	})
	t.Run("ErrTwoFilters", func(t *testing.T) {
		assertRefused(t, c.run("agenda", "--staff", "1", "--room", "4"))
	})
}

// agenda2 runs agenda --json with exactly the given flags.
func (c *clinic) agenda2(args ...string) []appt {
	c.t.Helper()
	var list []appt
	c.json(&list, append([]string{"agenda"}, args...)...)
	return list
}

func TestReschedule(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")
	b := c.book(p)
	prep1 := find(t, b.Appointments, "preparation", 1)
	dosing2 := find(t, b.Appointments, "dosing", 2)

	t.Run("Suggest", func(t *testing.T) {
		var s struct {
			Alternatives []appt `json:"alternatives"`
			Shift        []appt `json:"shift"`
		}
		c.json(&s, "reschedule", "--appointment", str(prep1.ID), "--suggest")
		if len(s.Alternatives) == 0 {
			t.Fatalf("no alternatives for preparation 1 at %v", prep1.Start)
		}
		for _, a := range s.Alternatives {
			if a.Start.Equal(prep1.Start) {
				t.Fatalf("alternative %v is the current time", a.Start)
			}
			if a.Kind != "preparation" || a.Index != 1 {
				t.Fatalf("alternative is %s %d, want preparation 1", a.Kind, a.Index)
			}
		}
		if got := c.agenda(); !slices.EqualFunc(got, b.Appointments, sameTime) {
			t.Fatalf("--suggest moved appointments")
		}
	})

	t.Run("ToSuggestedTime", func(t *testing.T) {
		var s struct {
			Alternatives []appt `json:"alternatives"`
		}
		c.json(&s, "reschedule", "--appointment", str(prep1.ID), "--suggest")
		to := s.Alternatives[0].Start
		var moved []appt
		c.json(&moved, "reschedule", "--appointment", str(prep1.ID), "--to", to.Format(time.RFC3339))
		if len(moved) != 1 || moved[0].ID != prep1.ID || !moved[0].Start.Equal(to) {
			t.Fatalf("moved=%+v, want preparation 1 alone at %v", moved, to)
		}
		got := byID(c.agenda())[prep1.ID]
		if !got.Start.Equal(to) || got.End.Sub(got.Start) != time.Hour {
			t.Fatalf("stored preparation 1 at %v–%v, want %v for an hour", got.Start, got.End, to)
		}
	})

	t.Run("ErrBreaksLaterGap", func(t *testing.T) {
		// Dosing 2 a day later would come after its integration.
		before := c.state()
		r := c.run("reschedule", "--appointment", str(dosing2.ID), "--to", "2027-03-09T11:00")
		assertRefused(t, r)
		if !strings.Contains(r.stderr, "shift later") {
			t.Fatalf("stderr=%q, want the advice to shift the later appointments", r.stderr)
		}
		if after := c.state(); after != before {
			t.Fatal("a refused reschedule changed the database")
		}
	})

	t.Run("ShiftLater", func(t *testing.T) {
		before := c.agenda()
		var moved []appt
		c.json(&moved, "reschedule", "--appointment", str(dosing2.ID), "--to", "2027-03-09T11:00", "--shift-later")
		if len(moved) < 2 {
			t.Fatalf("moved %d appointments, want dosing 2 and later ones", len(moved))
		}
		after := c.agenda()
		stored := byID(after)
		if got := stored[dosing2.ID].Start; !got.Equal(time.Date(2027, 3, 9, 16, 0, 0, 0, time.UTC)) {
			t.Fatalf("dosing 2 at %v, want Tue 9 Mar 11:00 EST", got)
		}
		for _, a := range before {
			if a.Start.Before(dosing2.Start) && !stored[a.ID].Start.Equal(a.Start) {
				t.Fatalf("%s %d before dosing 2 moved from %v to %v", a.Kind, a.Index, a.Start, stored[a.ID].Start)
			}
		}
		for _, m := range moved {
			if m.Start.Before(dosing2.Start) {
				t.Fatalf("%s %d moved, but it comes before dosing 2", m.Kind, m.Index)
			}
		}
		// The series is still in order: each integration after its dosing.
		for i := 1; i <= 6; i++ {
			d, in := find(t, after, "dosing", i), find(t, after, "integration", i)
			if in.Start.Before(d.End) {
				t.Fatalf("integration %d at %v starts before dosing %d ends at %v", i, in.Start, i, d.End)
			}
			if i < 6 {
				if next := find(t, after, "dosing", i+1); next.Start.Before(in.End) {
					t.Fatalf("dosing %d at %v starts before integration %d ends", i+1, next.Start, i)
				}
			}
		}
		assertNoDoubleBooking(t, after)
	})
}

func sameTime(a, b appt) bool { return a.ID == b.ID && a.Start.Equal(b.Start) && a.End.Equal(b.End) }

func TestCancel(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")
	b := c.book(p)
	dosing1 := find(t, b.Appointments, "dosing", 1) // Thu 4 Mar 08:00
	dosing2 := find(t, b.Appointments, "dosing", 2) // Mon 8 Mar
	// The evening before dosing 1: less than 24 hours' notice for it.
	c.now = dosing1.Start.Add(-12 * time.Hour).Format(time.RFC3339)
	// Each dosing's integration is cancelled with it, by the clinic and
	// never late: the patient cancelled one visit.
	for _, tt := range []struct {
		name       string
		appt       appt
		by         string
		wantStatus string
	}{
		{"Late", dosing1, "patient", "late-cancelled"},
		{"OnTime", dosing2, "patient", "cancelled"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []appt
			c.json(&got, "cancel", "--appointment", str(tt.appt.ID), "--by", tt.by, "--reason", "unwell")
			if len(got) != 2 || got[0].Status != tt.wantStatus || got[0].Reason != "unwell" || got[0].CancelledBy != tt.by {
				t.Fatalf("cancel=%+v, want the dosing %s by the %s with reason unwell", got, tt.wantStatus, tt.by)
			}
			if in := got[1]; in.Kind != "integration" || in.Index != tt.appt.Index || in.Status != "cancelled" || in.CancelledBy != "clinic" {
				t.Fatalf("cancelled with it: %+v, want integration %d cancelled by the clinic", in, tt.appt.Index)
			}
			if st := byID(c.agenda())[tt.appt.ID].Status; st != tt.wantStatus {
				t.Fatalf("stored status=%q, want %q", st, tt.wantStatus)
			}
		})
	}
	t.Run("ErrAgain", func(t *testing.T) {
		assertRefused(t, c.run("cancel", "--appointment", str(dosing2.ID), "--by", "patient"))
	})
	t.Run("ErrWho", func(t *testing.T) {
		r := c.run("cancel", "--appointment", str(find(t, b.Appointments, "dosing", 3).ID))
		if r.code != exitUsage || !strings.Contains(r.stderr, "--by patient or --by clinic") {
			t.Fatalf("cancel without --by: exit %d, %q", r.code, r.stderr)
		}
	})
	t.Run("Series", func(t *testing.T) {
		var got []appt
		// The clinic's screening found the patient unsuitable: by the
		// clinic, so nothing is late however short the notice.
		c.json(&got, "cancel", "--series", str(*b.Series), "--by", "clinic", "--reason", "screening: not suitable")
		// 15 less the three already held and the four cancelled above.
		if len(got) != 8 {
			t.Fatalf("cancelled %d, want 8", len(got))
		}
		for _, a := range got {
			if a.Status != "cancelled" || a.CancelledBy != "clinic" {
				t.Fatalf("%s %d: %s by %q, want cancelled by the clinic", a.Kind, a.Index, a.Status, a.CancelledBy)
			}
		}
		now, _ := time.Parse(time.RFC3339, c.now)
		for _, a := range c.agenda() {
			cancelled := a.Status == "cancelled" || a.Status == "late-cancelled"
			if a.Start.After(now) != cancelled {
				t.Fatalf("%s %d at %v is %s after cancelling the series at %v", a.Kind, a.Index, a.Start, a.Status, now)
			}
		}
	})
	t.Run("FreesTheSlots", func(t *testing.T) {
		// Dosing 2's slot (Mon 8 Mar 08:00 with Dr. Reyes and Dr. Nair) is
		// the earliest for a new consultation with Dr. Reyes.
		other := c.addPatient("Bob Smith", "bob@example.com")
		c.now = testNow
		nb := c.book(other, "--from", "2027-03-08", "--therapist", "1")
		if got := find(t, nb.Appointments, "consultation", 1).Start; !got.Equal(dosing2.Start) {
			t.Fatalf("new consultation at %v, want the freed %v", got, dosing2.Start)
		}
	})
}

func TestStatusAndEscort(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")
	b := c.book(p)
	consult := find(t, b.Appointments, "consultation", 1)
	dosing1 := find(t, b.Appointments, "dosing", 1)

	c.now = dosing1.Start.Add(-30 * time.Minute).Format(time.RFC3339)
	t.Run("ErrArrivedWithoutEscort", func(t *testing.T) {
		before := c.state()
		r := c.run("status", "--appointment", str(dosing1.ID), "arrived")
		assertRefused(t, r)
		if !strings.Contains(r.stderr, "escort") {
			t.Fatalf("stderr=%q, want it to ask for the escort", r.stderr)
		}
		if after := c.state(); after != before {
			t.Fatal("a refused check-in changed the database")
		}
	})
	t.Run("Escort", func(t *testing.T) {
		var got appt
		c.json(&got, "escort", "--appointment", str(dosing1.ID), "--name", "Tom Doe", "--phone", "+1 617 555 0123")
		if got.Escort == nil || got.Escort.Name != "Tom Doe" || got.Escort.Phone != "+1 617 555 0123" {
			t.Fatalf("escort=%+v, want Tom Doe", got.Escort)
		}
	})
	t.Run("Arrived", func(t *testing.T) {
		var got appt
		c.json(&got, "status", "--appointment", str(dosing1.ID), "arrived")
		if got.Status != "arrived" {
			t.Fatalf("status=%q, want arrived", got.Status)
		}
	})
	t.Run("ErrCompletedBeforeStart", func(t *testing.T) {
		assertRefused(t, c.run("status", "--appointment", str(dosing1.ID), "completed"))
	})
	t.Run("Completed", func(t *testing.T) {
		c.now = dosing1.End.Format(time.RFC3339)
		var got appt
		c.json(&got, "status", "--appointment", str(dosing1.ID), "completed")
		if got.Status != "completed" {
			t.Fatalf("status=%q, want completed", got.Status)
		}
	})
	t.Run("NoShow", func(t *testing.T) {
		// The consultation was days ago and nobody checked the patient in.
		var got appt
		c.json(&got, "status", "--appointment", str(consult.ID), "no-show")
		if got.Status != "no-show" {
			t.Fatalf("status=%q, want no-show", got.Status)
		}
	})
	t.Run("ErrNotAStatus", func(t *testing.T) {
		assertRefused(t, c.run("status", "--appointment", str(consult.ID), "booked"))
	})
	t.Run("Stored", func(t *testing.T) {
		stored := byID(c.agenda())
		for id, want := range map[int64]string{dosing1.ID: "completed", consult.ID: "no-show"} {
			if got := stored[id].Status; got != want {
				t.Fatalf("appointment %d status=%q, want %q", id, got, want)
			}
		}
	})
}

func TestAudit(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	c.as = "Maria at the front desk"
	p := c.addPatient("Jane Doe", "jane@example.com")
	other := c.addPatient("Bob Smith", "bob@example.com")
	b := c.book(p)
	var s struct {
		Alternatives []appt `json:"alternatives"`
	}
	prep1 := find(t, b.Appointments, "preparation", 1)
	c.json(&s, "reschedule", "--appointment", str(prep1.ID), "--suggest")
	c.ok("reschedule", "--appointment", str(prep1.ID), "--to", s.Alternatives[0].Start.Format(time.RFC3339))
	dosing1 := find(t, b.Appointments, "dosing", 1)
	c.ok("escort", "--appointment", str(dosing1.ID), "--name", "Tom Doe", "--phone", "617 555 0123")
	c.now = dosing1.Start.Format(time.RFC3339)
	c.ok("status", "--appointment", str(dosing1.ID), "arrived")
	c.ok("cancel", "--series", str(*b.Series), "--by", "clinic")

	type entry struct {
		Actor     string `json:"actor"`
		Action    string `json:"action"`
		PatientID int64  `json:"patient_id"`
	}
	var all []entry
	c.json(&all, "audit")
	var actions []string
	for _, e := range all {
		if e.Action == "init" {
			continue
		}
		actions = append(actions, e.Action)
		if e.Actor != "Maria at the front desk" {
			t.Fatalf("%s by %q, want the --as name", e.Action, e.Actor)
		}
	}
	slices.Reverse(actions) // newest first
	want := []string{"patient-add", "patient-add", "book", "reschedule", "escort", "status"}
	for range 11 {
		want = append(want, "cancel") // the 11 appointments after dosing 1
	}
	if !slices.Equal(actions, want) {
		t.Fatalf("actions=%q, want %q", actions, want)
	}

	t.Run("Patient", func(t *testing.T) {
		var list []entry
		c.json(&list, "audit", "--patient", str(other))
		if len(list) != 1 || list[0].Action != "patient-add" || list[0].PatientID != other {
			t.Fatalf("audit --patient %d=%+v, want its one patient-add", other, list)
		}
	})
	t.Run("Human", func(t *testing.T) {
		out := c.ok("audit", "--limit", "3")
		if n := strings.Count(out, "\n"); n != 4 {
			t.Fatalf("audit --limit 3 printed %d lines, want a header and 3:\n%s", n, out)
		}
		if !strings.Contains(out, "Maria at the front desk") {
			t.Fatalf("audit does not show who acted:\n%s", out)
		}
	})
	// The pretend clock (--now, months from the real date) and the typed
	// --as name are recorded as such, beside this computer's own clock
	// and account (issue 13, item 4).
	t.Run("RealClockAndAccount", func(t *testing.T) {
		account := "uid " + strconv.Itoa(os.Getuid())
		if u, err := user.Current(); err == nil {
			account = u.Username
		}
		var list []struct {
			At       time.Time `json:"at"`
			Recorded time.Time `json:"recorded"`
			OSUser   string    `json:"os_user"`
			Actor    string    `json:"actor"`
		}
		c.json(&list, "audit", "--limit", "1")
		e := list[0]
		if time.Since(e.Recorded).Abs() > time.Hour || e.OSUser != account || e.Actor != "Maria at the front desk" {
			t.Fatalf("recorded %v by %q as %q, want now by %q as the --as name", e.Recorded, e.OSUser, e.Actor, account)
		}
		if e.At.Sub(e.Recorded).Abs() < 24*time.Hour {
			t.Fatalf("at %v, want the pretend clock (%s) kept as such", e.At, c.now)
		}
		out := c.ok("audit", "--limit", "1")
		if !strings.Contains(out, e.Recorded.Format("2006-01-02 15:04")+" (pretend time "+e.At.Format("2006-01-02 15:04")+")") || !strings.Contains(out, account) {
			t.Fatalf("audit shows:\n%s\nwant the real time, the pretend time beside it and the account %q", out, account)
		}
	})
}

// assertRefused checks that a command failed the way kapctl promises:
// a non-zero exit, one line on stderr starting "kapctl: ", no Go trace,
// nothing on stdout.
func assertRefused(t *testing.T, r result) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("exit=0, want non-zero; stdout=%q", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "kapctl: ") || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("stderr=%q, want one line starting \"kapctl: \"", r.stderr)
	}
	for _, bad := range []string{"goroutine", "panic", "Internal error", "internal error", "\x1b"} {
		if strings.Contains(r.stderr, bad) {
			t.Fatalf("stderr=%q contains %q", r.stderr, bad)
		}
	}
	if r.stdout != "" {
		t.Fatalf("stdout=%q, want nothing from a refused command", r.stdout)
	}
}

// TestRegressions guards against the return of bugs once found in booking.
func TestRegressions(t *testing.T) {
	t.Parallel()
	t.Run("PatientBookedTwiceAtOnce", func(t *testing.T) {
		c := mustDemo(t)
		p := c.addPatient("Jane Doe", "jane@example.com")
		c.book(p, "--therapist", "1")
		// The second series plans around the first: the patient is a resource too.
		if r := c.run("book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01", "--therapist", "3", "--reason", "test"); r.code != 0 {
			t.Fatalf("second series: exit %d: %s", r.code, r.stderr)
		}
		assertNoDoubleBooking(t, c.agenda())
	})
	t.Run("ShiftSuggestionMovesNothing", func(t *testing.T) {
		c := mustDemo(t)
		p := c.addPatient("Jane Doe", "jane@example.com")
		b := c.book(p)
		d := find(t, b.Appointments, "dosing", 1)
		var s struct {
			Alternatives []appt `json:"alternatives"`
			Shift        []appt `json:"shift"`
		}
		c.json(&s, "reschedule", "--appointment", str(d.ID), "--suggest")
		if len(s.Alternatives) == 0 && len(s.Shift) > 0 && s.Shift[0].Start.Equal(d.Start) {
			t.Fatalf("shift proposal starts at the current time %v", d.Start)
		}
	})
}

func TestEscortsWarnsTheDayBefore(t *testing.T) {
	c := mustDemo(t)
	p := c.addPatient("Jane Doe", "jane@example.com")
	b := c.book(p)
	d := find(t, b.Appointments, "dosing", 1)
	dayBefore := d.Start.AddDate(0, 0, -1).Format(time.RFC3339)
	var missing []appt
	c.json(&missing, "--now", dayBefore, "escorts")
	if len(missing) != 1 || missing[0].ID != d.ID {
		t.Fatalf("missing=%+v, want dosing 1 (%d)", missing, d.ID)
	}
	c.run("escort", "--appointment", str(d.ID), "--name", "John Doe", "--phone", "+1 617 555 0199")
	c.json(&missing, "--now", dayBefore, "escorts")
	if len(missing) != 0 {
		t.Fatalf("missing=%+v after the escort was recorded, want none", missing)
	}
}
