package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// TestAcceptance_TenPatients books ten demo patients in a row, across the
// spring daylight-saving change, and then checks the stored appointments
// with a checker that reads the database with its own SQL and knows
// docs/protocols.md's rules by heart: it shares no code with the planner.
func TestAcceptance_TenPatients(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clinic.db")
	db, err := store.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2027, 2, 15, 9, 0, 0, 0, time.UTC)
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "test"}
	protocols := []string{"kap-standard", "kap-standard", "kap-iv", "kap-standard", "esketamine-induction",
		"kap-standard", "kap-iv", "kap-standard", "esketamine-induction", "kap-standard"}
	from := booking.Date(0)
	from.UnmarshalText([]byte("2027-02-22"))
	for i, proto := range protocols {
		p := &booking.Patient{Name: fmt.Sprintf("Patient %d", i+1), Email: fmt.Sprintf("p%d@example.org", i+1)}
		if err := svc.AddPatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		if proto == "esketamine-induction" {
			if _, err := svc.SetConsent(ctx, p.ID, "rems-enrolled", &from); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: proto, From: from}); err != nil {
			t.Fatalf("patient %d, %s: %v", i+1, proto, err)
		}
	}
	db.Close()

	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := loadCheck(t, raw)
	if len(c.series) != 10 {
		t.Fatalf("series=%d, want 10", len(c.series))
	}
	c.noOverlaps(t)
	c.openingHours(t)
	for _, s := range c.series {
		c.seriesRules(t, s)
	}
	if !c.crossedDST {
		t.Fatal("no series crossed the daylight-saving change; the test proves less than it should")
	}
}

// The checker's own view of the stored data.
type chkAppt struct {
	id, series, room int64
	patient          int64
	roomAfter        int // minutes the room stays held after, as stored
	kind, step       string
	start, end       time.Time
	staff            []int64
	roles            []string
}

type chkSeries struct {
	id       int64
	protocol string
	from     time.Time
	appts    []*chkAppt
}

type checker struct {
	loc        *time.Location
	appts      []*chkAppt
	series     []*chkSeries
	roomKind   map[int64]string
	staffRoles map[int64][]string
	staffHours map[int64]map[string][]string
	staffQual  map[int64][]string
	closed     map[string]bool
	crossedDST bool
}

func loadCheck(t *testing.T, db *sql.DB) *checker {
	t.Helper()
	c := &checker{roomKind: map[int64]string{}, staffRoles: map[int64][]string{}, staffHours: map[int64]map[string][]string{},
		staffQual: map[int64][]string{}, closed: map[string]bool{}}
	var clinic struct {
		Zone     string `json:"time_zone"`
		Closures []struct{ From, To string }
	}
	var data string
	must(t, db.QueryRow("SELECT data FROM clinic").Scan(&data))
	must(t, json.Unmarshal([]byte(data), &clinic))
	loc, err := time.LoadLocation(clinic.Zone)
	must(t, err)
	c.loc = loc
	for _, cl := range clinic.Closures {
		d, _ := time.Parse("2006-01-02", cl.From)
		to, _ := time.Parse("2006-01-02", cl.To)
		for ; !d.After(to); d = d.AddDate(0, 0, 1) {
			c.closed[d.Format("2006-01-02")] = true
		}
	}
	rows, err := db.Query("SELECT id, data FROM rooms")
	must(t, err)
	for rows.Next() {
		var id int64
		var r struct{ Kind string }
		must(t, rows.Scan(&id, &data))
		must(t, json.Unmarshal([]byte(data), &r))
		c.roomKind[id] = r.Kind
	}
	rows, err = db.Query("SELECT id, data FROM staff")
	must(t, err)
	for rows.Next() {
		var id int64
		var s struct {
			Roles []string
			Quals []string `json:"qualifications"`
			Hours map[string][]string
		}
		must(t, rows.Scan(&id, &data))
		must(t, json.Unmarshal([]byte(data), &s))
		c.staffRoles[id], c.staffHours[id], c.staffQual[id] = s.Roles, s.Hours, s.Quals
	}
	rows, err = db.Query(`SELECT a.id, a.series_id, a.patient_id, COALESCE(a.room_id, 0), a.room_after, a.kind, a.step, a.start_unix, a.end_unix
		FROM appointments a WHERE a.status NOT IN ('cancelled', 'late-cancelled') ORDER BY a.start_unix, a.id`)
	must(t, err)
	byID := map[int64]*chkAppt{}
	for rows.Next() {
		a := &chkAppt{}
		var s, e int64
		must(t, rows.Scan(&a.id, &a.series, &a.patient, &a.room, &a.roomAfter, &a.kind, &a.step, &s, &e))
		a.start, a.end = time.Unix(s, 0).In(loc), time.Unix(e, 0).In(loc)
		c.appts = append(c.appts, a)
		byID[a.id] = a
	}
	rows, err = db.Query("SELECT appointment_id, staff_id, role FROM appointment_staff ORDER BY appointment_id, position")
	must(t, err)
	for rows.Next() {
		var aid, sid int64
		var role string
		must(t, rows.Scan(&aid, &sid, &role))
		if a := byID[aid]; a != nil {
			a.staff = append(a.staff, sid)
			a.roles = append(a.roles, role)
		}
	}
	rows, err = db.Query("SELECT id, protocol_id, from_date FROM series ORDER BY id")
	must(t, err)
	for rows.Next() {
		s := &chkSeries{}
		var from string
		must(t, rows.Scan(&s.id, &s.protocol, &from))
		s.from, err = time.ParseInLocation("2006-01-02", from, loc)
		must(t, err)
		for _, a := range c.appts {
			if a.series == s.id {
				s.appts = append(s.appts, a)
			}
		}
		c.series = append(c.series, s)
	}
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// noOverlaps: no person (staff or patient) and no room twice at once; a
// room is held after each session for turnover (a KAP dosing: 30 minutes).
func (c *checker) noOverlaps(t *testing.T) {
	type iv struct {
		s, e time.Time
		id   int64
	}
	busy := map[string][]iv{}
	for _, a := range c.appts {
		k := fmt.Sprintf("patient %d", a.patient)
		busy[k] = append(busy[k], iv{a.start, a.end, a.id})
		for _, s := range a.staff {
			k := fmt.Sprintf("staff %d", s)
			busy[k] = append(busy[k], iv{a.start, a.end, a.id})
		}
		if a.room != 0 {
			// A KAP dosing holds its room 30 minutes for turnover; other
			// steps hold it as their protocol says, as stored.
			end := a.end.Add(time.Duration(a.roomAfter) * time.Minute)
			if a.kind == "dosing" && c.roomKind[a.room] == "dosing" && a.roomAfter < 30 && a.step == "dosing" {
				t.Errorf("appointment %d: a KAP dosing holds its room %d minutes after, want 30", a.id, a.roomAfter)
			}
			k := fmt.Sprintf("room %d", a.room)
			busy[k] = append(busy[k], iv{a.start, end, a.id})
		}
	}
	for k, list := range busy {
		sort.Slice(list, func(i, j int) bool { return list[i].s.Before(list[j].s) })
		for i := 1; i < len(list); i++ {
			if list[i].s.Before(list[i-1].e) {
				t.Errorf("%s: appointments %d and %d overlap (%s–%s, %s–%s)", k, list[i-1].id, list[i].id, list[i-1].s, list[i-1].e, list[i].s, list[i].e)
			}
		}
	}
}

// openingHours: every appointment lies within the clinic's hours (Monday
// to Friday, 08:00–18:00 local), off closures, and within each person's
// working hours.
func (c *checker) openingHours(t *testing.T) {
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	for _, a := range c.appts {
		wd := a.start.Weekday()
		if wd == time.Saturday || wd == time.Sunday {
			t.Errorf("appointment %d on a %s", a.id, wd)
		}
		if c.closed[a.start.Format("2006-01-02")] {
			t.Errorf("appointment %d on a closure day %s", a.id, a.start.Format("2006-01-02"))
		}
		from, to := a.start.Format("15:04"), a.end.Format("15:04")
		if from < "08:00" || to > "18:00" || a.end.Format("2006-01-02") != a.start.Format("2006-01-02") {
			t.Errorf("appointment %d %s–%s local is outside 08:00–18:00", a.id, from, to)
		}
		for _, s := range a.staff {
			ok := false
			for _, span := range c.staffHours[s][days[wd]] {
				if from >= span[:5] && to <= span[6:] {
					ok = true
				}
			}
			if !ok {
				t.Errorf("appointment %d %s %s–%s: staff %d does not work then", a.id, days[wd], from, to, s)
			}
		}
	}
}

func (c *checker) has(id int64, role string) bool {
	for _, r := range c.staffRoles[id] {
		if r == role {
			return true
		}
	}
	return false
}

func (c *checker) qualified(id int64, q string) bool {
	for _, x := range c.staffQual[id] {
		if x == q {
			return true
		}
	}
	return false
}

func days(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// seriesRules checks the protocol table of docs/protocols.md for one series.
func (c *checker) seriesRules(t *testing.T, s *chkSeries) {
	t.Helper()
	where := fmt.Sprintf("series %d (%s)", s.id, s.protocol)
	as := s.appts
	var kinds string
	for i, a := range as {
		kinds += a.kind[:1]
		if i > 0 && a.start.Before(as[i-1].end) {
			t.Errorf("%s: appointment %d starts before %d ends", where, a.id, as[i-1].id)
		}
		if _, off := a.start.Zone(); off != mustOffset(as[0].start) {
			c.crossedDST = true
		}
	}
	gap := func(what string, a, b *chkAppt, min, max int) {
		if d := days(a.start, b.start); d < min || d > max {
			t.Errorf("%s: %s is %d days, want %d–%d", where, what, d, min, max)
		}
	}
	length := func(a *chkAppt, min int) {
		if got := int(a.end.Sub(a.start).Minutes()); got != min {
			t.Errorf("%s: %s %d lasts %d min, want %d", where, a.kind, a.id, got, min)
		}
	}
	roleIn := func(a *chkAppt, roles ...string) bool {
		for _, st := range a.staff {
			for _, r := range roles {
				if c.has(st, r) {
					return true
				}
			}
		}
		return false
	}
	window := 0
	switch s.protocol {
	case "kap-standard":
		window = 84
		if kinds != "cppdidididididi" {
			t.Fatalf("%s: order %s, want consultation, 2 preparations, then dosing and integration alternating", where, kinds)
		}
		c0, p1, p2 := as[0], as[1], as[2]
		length(c0, 90)
		length(p1, 60)
		length(p2, 60)
		gap("consultation → preparation 1", c0, p1, 1, 21)
		gap("preparation 1 → 2", p1, p2, 1, 14)
		if !roleIn(c0, "prescriber") {
			t.Errorf("%s: consultation without a prescriber", where)
		}
		// The therapist: the one therapist on the consultation, on every appointment.
		var therapist int64
		for _, st := range c0.staff {
			if c.has(st, "therapist") {
				therapist = st
			}
		}
		for _, a := range as {
			found := false
			for _, st := range a.staff {
				found = found || st == therapist
			}
			if therapist == 0 || !found {
				t.Errorf("%s: appointment %d is without the series therapist %d", where, a.id, therapist)
			}
		}
		prev := p2
		for i := 3; i < 15; i += 2 {
			d, in := as[i], as[i+1]
			length(d, 180)
			length(in, 60)
			if i == 3 {
				gap("last preparation → dosing 1", prev, d, 1, 14)
			} else {
				gap("dosing → next dosing", prev, d, 2, 14)
			}
			if d.end.Format("15:04") > "18:00" {
				t.Errorf("%s: dosing %d ends after 18:00", where, d.id)
			}
			if !roleIn(d, "prescriber", "nurse") || c.roomKind[d.room] != "dosing" {
				t.Errorf("%s: dosing %d without a prescriber or nurse, or outside a dosing room", where, d.id)
			}
			if h := in.start.Sub(d.end).Hours(); h < 0 || h > 72 {
				t.Errorf("%s: integration %d is %.1f h after its dosing, want 0–72", where, in.id, h)
			}
			if i+2 < 15 && as[i+2].start.Before(in.end) {
				t.Errorf("%s: integration %d is not before the next dosing", where, in.id)
			}
			prev = d
		}
	case "kap-iv":
		window = 56
		if len(as) < 7 || kinds[:7] != "ciiiiii" {
			t.Fatalf("%s: order %s, want a consultation and 6 infusions", where, kinds)
		}
		length(as[0], 60)
		if !roleIn(as[0], "prescriber") {
			t.Errorf("%s: consultation without a prescriber", where)
		}
		gap("consultation → infusion 1", as[0], as[1], 1, 14)
		for i := 1; i <= 6; i++ {
			length(as[i], 120)
			if i > 1 {
				gap("infusion → next infusion", as[i-1], as[i], 1, 4)
			}
			ok := false
			for _, st := range as[i].staff {
				ok = ok || ((c.has(st, "nurse") || c.has(st, "prescriber")) && c.qualified(st, "ACLS"))
			}
			if !ok || c.roomKind[as[i].room] != "infusion" {
				t.Errorf("%s: infusion %d without ACLS staff or outside the infusion room", where, as[i].id)
			}
		}
		if d := days(as[1].start, as[6].start); d >= 21 {
			t.Errorf("%s: infusions span %d days, want within 3 weeks", where, d)
		}
		if len(as) == 8 {
			if h := as[7].start.Sub(as[6].end).Hours(); h < 0 || h > 72 {
				t.Errorf("%s: integration %.1f h after the last infusion, want 0–72", where, h)
			}
		}
	case "esketamine-induction":
		window = 91
		if kinds != "cdddddddddddd" {
			t.Fatalf("%s: order %s, want a consultation and 12 dosing sessions", where, kinds)
		}
		for i := 1; i < 13; i++ {
			length(as[i], 120)
			if !roleIn(as[i], "prescriber") {
				t.Errorf("%s: dosing %d without a prescriber on site", where, as[i].id)
			}
		}
		// Twice a week for four weeks, then weekly.
		if d := days(as[1].start, as[8].start); d >= 28 {
			t.Errorf("%s: the 8 induction sessions span %d days, want within 4 weeks", where, d)
		}
		for i := 2; i <= 8; i++ {
			gap("induction session gap", as[i-1], as[i], 2, 5)
		}
		for i := 9; i < 13; i++ {
			gap("weekly session gap", as[i-1], as[i], 5, 9)
		}
	default:
		t.Fatalf("%s: unknown protocol", where)
	}
	for _, a := range as {
		if d := days(s.from, a.start); d < 0 || d >= window {
			t.Errorf("%s: appointment %d is %d days after the series start, window %d", where, a.id, d, window)
		}
	}
}

func mustOffset(t time.Time) int { _, off := t.Zone(); return off }
