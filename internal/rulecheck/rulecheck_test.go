package rulecheck_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/rulecheck"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// The fixture is the demo clinic with seven patients booked from Monday
// 2027-03-01, across the spring daylight-saving change (14 March in
// America/New_York). Its series, in booking order, are:
//
//	1 kap-standard  2 kap-iv  3 esketamine-induction  4 kap-standard
//	5 kap-iv        6 esketamine-induction            7 kap-standard
//
// Patient i has series i. The subtests below name appointments by series
// and place (seq) and move them to times the planner left free.
var fixtureProtocols = []string{"kap-standard", "kap-iv", "esketamine-induction", "kap-standard", "kap-iv", "esketamine-induction", "kap-standard"}

var (
	tempDir  string
	fixtures sync.Map // name → *builtDB
)

// builtDB is a database file built once per test binary run.
type builtDB struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	var err error
	if tempDir, err = os.MkdirTemp("", "rulecheck-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tempDir)
	os.Exit(code)
}

// built returns the path of the database name, building it with build
// the first time.
func built(tb testing.TB, name string, build func(ctx context.Context, path string) error) string {
	tb.Helper()
	v, _ := fixtures.LoadOrStore(name, &builtDB{})
	b := v.(*builtDB)
	b.once.Do(func() {
		b.path = filepath.Join(tempDir, name+".db")
		b.err = build(context.Background(), b.path)
	})
	if b.err != nil {
		tb.Fatalf("build %s: %v", name, b.err)
	}
	return b.path
}

// bookedClinic returns the path of the fixture.
func bookedClinic(tb testing.TB) string {
	return built(tb, "booked", func(ctx context.Context, path string) error {
		from, err := booking.ParseDate("2027-03-01")
		if err != nil {
			return err
		}
		patients := slices.Clone(fixtureProtocols)
		return bookClinic(ctx, path, time.Date(2027, 2, 15, 9, 0, 0, 0, time.UTC), patients, func(int) booking.Date { return from })
	})
}

// bookClinic creates the demo clinic at path and books one patient per
// protocol in protocols, patient i from from(i), through the booking
// service; an esketamine patient is REMS-enrolled from that day first.
func bookClinic(ctx context.Context, path string, now time.Time, protocols []string, from func(i int) booking.Date) error {
	db, err := store.Create(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		return err
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "test"}
	for i, proto := range protocols {
		p := &booking.Patient{Name: fmt.Sprintf("Patient %d", i+1), Email: fmt.Sprintf("p%d@example.org", i+1)}
		if err := svc.AddPatient(ctx, p); err != nil {
			return err
		}
		day := from(i)
		if proto == "esketamine-induction" {
			if _, err := svc.SetConsent(ctx, p.ID, "rems-enrolled", &day); err != nil {
				return err
			}
		}
		if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: proto, From: day}); err != nil {
			return fmt.Errorf("patient %d, %s from %s: %w", i+1, proto, day, err)
		}
	}
	return db.Close()
}

// openCopy copies the database at path into the test's own directory and
// opens the copy, closed when the test ends.
func openCopy(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "clinic.db")
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(path+suffix, dst+suffix); err != nil && !(suffix != "" && os.IsNotExist(err)) {
			tb.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+dst+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// mustExec runs a statement on the database, bypassing the store.
func mustExec(tb testing.TB, db *sql.DB, q string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// apptAt returns the id of the appointment at place seq of series.
func apptAt(tb testing.TB, db *sql.DB, series, seq int) int64 {
	tb.Helper()
	var id int64
	if err := db.QueryRow("SELECT id FROM appointments WHERE series_id = ? AND seq = ? ORDER BY id LIMIT 1", series, seq).Scan(&id); err != nil {
		tb.Fatalf("series %d, place %d: %v", series, seq, err)
	}
	return id
}

var newYork = mustLocation("America/New_York")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// local parses "2027-03-11 13:00" in the clinic's zone.
func local(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, newYork)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// moveTo moves the appointment at place seq of series to start at local
// time at, keeping its length, and returns its id.
func moveTo(tb testing.TB, db *sql.DB, series, seq int, at string) int64 {
	tb.Helper()
	id := apptAt(tb, db, series, seq)
	start := local(tb, at).Unix()
	mustExec(tb, db, "UPDATE appointments SET end_unix = end_unix - start_unix + ?, start_unix = ? WHERE id = ?", start, start, id)
	return id
}

// check runs Check and fails the test on an error.
func check(tb testing.TB, db *sql.DB) *rulecheck.Report {
	tb.Helper()
	r, err := rulecheck.Check(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// rulesOf returns the distinct rule ids of violations, sorted.
func rulesOf(vs []rulecheck.Violation) []string {
	var out []string
	for _, v := range vs {
		if !slices.Contains(out, v.Rule) {
			out = append(out, v.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// describe lists violations one a line, for a failure message.
func describe(vs []rulecheck.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n\t%s %v", v, v.Appointments)
	}
	return b.String()
}

func TestCheck_BookedClinicKeepsEveryRule(t *testing.T) {
	db := openCopy(t, bookedClinic(t))
	r := check(t, db)
	if len(r.Violations)+len(r.Overridden) != 0 {
		t.Fatalf("violations=%d overridden=%d, want none:%s%s", len(r.Violations), len(r.Overridden), describe(r.Violations), describe(r.Overridden))
	}
	if r.Series != len(fixtureProtocols) || r.Appointments != 87 {
		t.Fatalf("series=%d appointments=%d, want %d and 87", r.Series, r.Appointments, len(fixtureProtocols))
	}
	for _, id := range rulecheck.RuleIDs() {
		if _, ok := r.Checked[id]; !ok {
			t.Errorf("Checked has no %s", id)
		}
	}
	// What the fixture exercises; the rest need a second series, a
	// cancellation, a make-up or a per_week step (see the subtests).
	for _, id := range []string{"double-booking", "holds", "one-holder", "order", "gap-min", "gap-max", "before-next", "window",
		"within-days", "latest-end", "same-therapist", "qualification", "room", "clinic-hours", "closure", "staff-hours",
		"time-off", "busy", "orphan", "rems"} {
		if r.Checked[id] == 0 {
			t.Errorf("%s was never checked", id)
		}
	}
	// The fixture proves less than it should unless it crosses the
	// daylight-saving change with the same wall-clock times.
	var before, after int
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE start_unix < ?), count(*) FILTER (WHERE start_unix >= ?) FROM appointments WHERE series_id = 1 AND kind = 'dosing'`,
		local(t, "2027-03-14 12:00").Unix(), local(t, "2027-03-14 12:00").Unix()).Scan(&before, &after); err != nil {
		t.Fatal(err)
	}
	if before == 0 || after == 0 {
		t.Fatalf("dosing sessions before/after the change=%d/%d, want some on both sides", before, after)
	}
}

// breakage breaks one rule of a fresh copy of the fixture by raw SQL.
type breakage struct {
	name    string
	rule    string   // the rule it must report; "" for none at all
	also    []string // rules it may report besides, because breaking rule breaks them too
	covered []string // the rules it must report as overridden
	apply   func(t *testing.T, db *sql.DB)
}

var breakages = []breakage{
	{"DoubleBooking_ConsultationRunsIntoTheNext", "double-booking", nil, nil, func(t *testing.T, db *sql.DB) {
		// Series 3's consultation, 10:30–11:30, now ends at 12:00: series 4's
		// consultation with the same prescriber in the same room starts 11:30.
		mustExec(t, db, "UPDATE appointments SET end_unix = end_unix + 1800 WHERE id = ?", apptAt(t, db, 3, 0))
	}},
	{"Holds_DosingRoomWithoutTurnover", "holds", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET room_after = 0 WHERE id = ?", apptAt(t, db, 1, 3))
	}},
	{"OneHolder_TwoBookedIntegrations", "one-holder", nil, nil, func(t *testing.T, db *sql.DB) {
		// A second booked integration 6 of series 1, an hour after the first.
		copyAppointment(t, db, apptAt(t, db, 1, 14), time.Hour, 0)
	}},
	{"MakeupLink_MakesUpAnotherPlace", "makeup-link", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET makeup_of = ? WHERE id = ?", apptAt(t, db, 1, 1), apptAt(t, db, 1, 2))
	}},
	{"MakeupLink_MakeUpOfANoShowIsFine", "", nil, nil, func(t *testing.T, db *sql.DB) {
		// Preparation 2 of series 1 is missed at 08:00 and made up at 09:00.
		id := apptAt(t, db, 1, 2)
		mustExec(t, db, "UPDATE appointments SET status = 'no-show' WHERE id = ?", id)
		copyAppointment(t, db, id, time.Hour, id)
		mustExec(t, db, "UPDATE appointments SET status = 'booked' WHERE id = (SELECT max(id) FROM appointments)")
	}},
	{"Order_IntegrationTheDayBeforeItsDosing", "order", []string{"gap-min"}, nil, func(t *testing.T, db *sql.DB) {
		// Integration 1 of series 1 on Wednesday, when its therapist and room
		// are free, before dosing 1 on Thursday: out of order, and less than
		// 0 hours after its dosing.
		moveTo(t, db, 1, 4, "2027-03-03 09:00")
	}},
	{"GapMin_PreparationsOnOneDay", "gap-min", nil, nil, func(t *testing.T, db *sql.DB) {
		moveTo(t, db, 1, 2, "2027-03-02 09:00")
	}},
	{"GapMax_IntegrationAWeekLate", "gap-max", nil, nil, func(t *testing.T, db *sql.DB) {
		moveTo(t, db, 1, 14, "2027-03-30 08:00")
	}},
	{"BeforeNext_IntegrationAfterTheNextDosing", "before-next", []string{"order"}, nil, func(t *testing.T, db *sql.DB) {
		// Integration 2 of series 1, 53 hours after dosing 2, but after
		// dosing 3 that morning; the next place in order, so out of order
		// too.
		moveTo(t, db, 1, 6, "2027-03-10 16:00")
	}},
	{"Window_ConsultationBeforeTheStart", "window", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE series SET from_date = '2027-03-02' WHERE id = 3")
	}},
	{"WithinDays_InductionOver21Days", "within-days", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE protocol_versions SET data = json_set(data, '$.steps[1].within_days', 21) WHERE protocol_id = 'esketamine-induction'`)
	}},
	{"LatestEnd_DosingEndsAfter1530", "latest-end", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE protocol_versions SET data = json_set(data, '$.steps[2].latest_end', '15:30') WHERE protocol_id = 'kap-standard'`)
	}},
	{"PerWeek_TwoInductionSessionsInAWeek", "per-week", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE protocol_versions SET data = json_set(data, '$.steps[1].per_week', 1) WHERE protocol_id = 'esketamine-induction'`)
	}},
	{"SameTherapist_AnotherTherapistForPreparation2", "same-therapist", nil, nil, func(t *testing.T, db *sql.DB) {
		// Jordan Price (4) works Wednesdays from 08:00 and is free.
		mustExec(t, db, "UPDATE appointment_staff SET staff_id = 4 WHERE appointment_id = ? AND position = 0", apptAt(t, db, 1, 2))
	}},
	{"Qualification_TherapistAlsoTheNurse", "qualification", nil, nil, func(t *testing.T, db *sql.DB) {
		// Dosing 1 of series 1 has Dr. Ana Reyes (1) for both its needs.
		mustExec(t, db, "UPDATE appointment_staff SET staff_id = 1 WHERE appointment_id = ? AND position = 1", apptAt(t, db, 1, 3))
	}},
	{"Qualification_TherapistGivesAnInfusion", "qualification", nil, nil, func(t *testing.T, db *sql.DB) {
		// Dr. Mei Lin (3), a therapist, works Fridays and is free.
		mustExec(t, db, "UPDATE appointment_staff SET staff_id = 3 WHERE appointment_id = ? AND position = 0", apptAt(t, db, 2, 4))
	}},
	{"Room_PreparationInADosingRoom", "room", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET room_id = 5, room_name = 'Dosing 2' WHERE id = ?", apptAt(t, db, 1, 1))
	}},
	{"Room_DosingByVideo", "room", []string{"holds"}, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET room_id = NULL, room_name = '' WHERE id = ?", apptAt(t, db, 1, 3))
	}},
	{"ClinicHours_OpensAt0900OnTuesdays", "clinic-hours", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE clinic SET data = json_set(data, '$.hours.tue', json('["09:00-18:00"]'))`)
	}},
	{"Closure_ClosedOn0302", "closure", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE clinic SET data = json_insert(data, '$.closures[#]', json('{"from":"2027-03-02","to":"2027-03-02","reason":"Flood"}'))`)
	}},
	{"StaffHours_PrescriberOffOnTuesdays", "staff-hours", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE staff SET data = json_remove(data, '$.hours.tue') WHERE id = 6`)
	}},
	{"TimeOff_PrescriberOffOnFriday0305", "time-off", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE staff SET data = json_set(data, '$.time_off', json('[{"start":"2027-03-05T00:00:00-05:00","end":"2027-03-06T00:00:00-05:00"}]')) WHERE id = 5`)
	}},
	{"Busy_PrescriberBusyInOwnCalendar", "busy", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE staff SET data = json_set(data, '$.busy', json('[{"start":"2027-03-05T10:00:00-05:00","end":"2027-03-05T10:15:00-05:00"}]')) WHERE id = 5`)
	}},
	{"Orphan_IntegrationAfterANoShow", "orphan", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET status = 'no-show' WHERE id = ?", apptAt(t, db, 1, 13))
	}},
	{"REMS_CheckInWithoutEnrolment", "rems", nil, nil, func(t *testing.T, db *sql.DB) {
		// Patient 3's enrolment is withdrawn, then dosing 1 is checked in.
		addAudit(t, db, "consent", 3, 0, 0, `{}`, "rems-enrolled")
		addAudit(t, db, "status", 3, 3, apptAt(t, db, 3, 1),
			`{"id":25,"series_id":3,"patient_id":3,"start":"2027-03-02T10:30:00-05:00","status":"arrived","needs_rems":true}`, "")
	}},
	{"REMS_CheckInEnrolledIsFine", "", nil, nil, func(t *testing.T, db *sql.DB) {
		addAudit(t, db, "status", 3, 3, apptAt(t, db, 3, 1),
			`{"id":25,"series_id":3,"patient_id":3,"start":"2027-03-02T10:30:00-05:00","status":"arrived","needs_rems":true}`, "")
	}},
	{"REMS_SessionNotMarkedAsNeedingREMS", "rems", nil, nil, func(t *testing.T, db *sql.DB) {
		// Else its check-ins would escape the enrolment check.
		mustExec(t, db, "UPDATE appointments SET needs_rems = 0 WHERE id = ?", apptAt(t, db, 3, 1))
	}},
	{"REMS_ClinicNotCertified", "rems", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, `UPDATE clinic SET data = json_set(data, '$.rems_certified', json('false'))`)
	}},
	{"DoseSpacing_InfusionOnTheDayOfADosing", "dose-spacing", nil, []string{"concurrent-series"}, func(t *testing.T, db *sql.DB) {
		// Patient 1 doses on Thursday 03-04 (series 1); a second series,
		// overridden as such, gives an infusion that afternoon.
		s := addAdHocInfusion(t, db, "2027-03-04 15:30", 7)
		addAudit(t, db, "override", 1, s, 0, "", "front desk (rule overridden: a second active series beside series 1)")
	}},
	{"DoseSpacing_InfusionTheDayAfterADosing", "dose-spacing", nil, []string{"concurrent-series"}, func(t *testing.T, db *sql.DB) {
		// Dosing's repeat gap is at least 2 days; Friday is 1 day after.
		s := addAdHocInfusion(t, db, "2027-03-05 15:30", 8)
		addAudit(t, db, "override", 1, s, 0, "", "front desk (rule overridden: a second active series beside series 1)")
	}},
	{"ConcurrentSeries_SecondSeriesWithoutOverride", "concurrent-series", nil, nil, func(t *testing.T, db *sql.DB) {
		addAdHocConsultation(t, db)
	}},
	{"LateCancel_ByTheClinic", "late-cancel", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET status = 'late-cancelled', cancelled_by = 'clinic' WHERE id = ?", apptAt(t, db, 1, 14))
	}},
	{"LateCancel_PatientAtShortNoticeNotMarkedLate", "late-cancel", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET status = 'cancelled', cancelled_by = 'patient', updated = start_unix - 3600 WHERE id = ?", apptAt(t, db, 1, 14))
	}},
	{"LateCancel_PatientAtShortNoticeIsFine", "", nil, nil, func(t *testing.T, db *sql.DB) {
		mustExec(t, db, "UPDATE appointments SET status = 'late-cancelled', cancelled_by = 'patient', updated = start_unix - 3600 WHERE id = ?", apptAt(t, db, 1, 14))
	}},
}

// copyAppointment inserts a copy of appointment id, with its staff, moved
// by shift, as a make-up of makeupOf when that is not 0.
func copyAppointment(tb testing.TB, db *sql.DB, id int64, shift time.Duration, makeupOf int64) {
	tb.Helper()
	var of any
	if makeupOf != 0 {
		of = makeupOf
	}
	secs := int64(shift / time.Second)
	mustExec(tb, db, `INSERT INTO appointments (series_id, patient_id, step, kind, idx, count, seq, start_unix, end_unix, room_id, room_name,
		room_before, room_after, staff_before, staff_after, status, escort, reason, sequence, created, updated, needs_rems, makeup_of)
		SELECT series_id, patient_id, step, kind, idx, count, seq, start_unix + ?, end_unix + ?, room_id, room_name,
		room_before, room_after, staff_before, staff_after, status, escort, reason, sequence, created, updated, needs_rems, ?
		FROM appointments WHERE id = ?`, secs, secs, of, id)
	mustExec(tb, db, `INSERT INTO appointment_staff (appointment_id, position, staff_id, name, role)
		SELECT (SELECT max(id) FROM appointments), position, staff_id, name, role FROM appointment_staff WHERE appointment_id = ?`, id)
}

// addAudit appends an audit entry; zero ids are stored as NULL.
func addAudit(tb testing.TB, db *sql.DB, action string, patient, series, appt int64, after, note string) {
	tb.Helper()
	null := func(id int64) any {
		if id == 0 {
			return nil
		}
		return id
	}
	mustExec(tb, db, `INSERT INTO audit (at, actor, action, patient_id, series_id, appointment_id, state_before, state_after, note)
		VALUES (?, 'test', ?, ?, ?, ?, '', ?, ?)`, time.Now().Unix(), action, null(patient), null(series), null(appt), after, note)
}

// addAdHocInfusion books patient 1 an ad-hoc kap-iv infusion at local
// time at in the infusion room (6) with nurse staff, and returns the new
// series' id.
func addAdHocInfusion(tb testing.TB, db *sql.DB, at string, staff int64) int64 {
	tb.Helper()
	start := local(tb, at)
	s := addSeries(tb, db, "infusion", start)
	mustExec(tb, db, `INSERT INTO appointments (series_id, patient_id, step, kind, idx, count, seq, start_unix, end_unix, room_id, room_name,
		room_before, room_after, staff_before, staff_after, status, reason, sequence, created, updated, needs_rems)
		VALUES (?, 1, 'infusion', 'infusion', 1, 1, 0, ?, ?, 6, 'Infusion', 0, 30, 0, 0, 'booked', '', 0, 0, 0, 0)`,
		s, start.Unix(), start.Add(2*time.Hour).Unix())
	mustExec(tb, db, `INSERT INTO appointment_staff (appointment_id, position, staff_id, name, role)
		VALUES ((SELECT max(id) FROM appointments), 0, ?, 'nurse', 'nurse')`, staff)
	return s
}

// addAdHocConsultation books patient 1 an ad-hoc kap-iv consultation by
// video with Dr. Priya Nair (5) on Friday 03-05 at 08:00, and returns the
// new series' id.
func addAdHocConsultation(tb testing.TB, db *sql.DB) int64 {
	tb.Helper()
	start := local(tb, "2027-03-05 08:00")
	s := addSeries(tb, db, "consultation", start)
	mustExec(tb, db, `INSERT INTO appointments (series_id, patient_id, step, kind, idx, count, seq, start_unix, end_unix, room_id, room_name,
		room_before, room_after, staff_before, staff_after, status, reason, sequence, created, updated, needs_rems)
		VALUES (?, 1, 'consultation', 'consultation', 1, 1, 0, ?, ?, NULL, '', 0, 0, 0, 0, 'booked', '', 0, 0, 0, 0)`,
		s, start.Unix(), start.Add(time.Hour).Unix())
	mustExec(tb, db, `INSERT INTO appointment_staff (appointment_id, position, staff_id, name, role)
		VALUES ((SELECT max(id) FROM appointments), 0, 5, 'Dr. Priya Nair', 'prescriber')`)
	return s
}

// addSeries adds patient 1 an ad-hoc kap-iv series of step from the day
// of start, created after every other series, and returns its id.
func addSeries(tb testing.TB, db *sql.DB, step string, start time.Time) int64 {
	tb.Helper()
	var id int64
	err := db.QueryRow(`INSERT INTO series (patient_id, protocol_id, protocol_version, therapist_id, from_date, step, created)
		VALUES (1, 'kap-iv', 1, NULL, ?, ?, (SELECT max(created) + 1 FROM series)) RETURNING id`, start.Format("2006-01-02"), step).Scan(&id)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestCheck_OneRuleBroken breaks one rule at a time and wants Check to
// report that rule, and no other unless breaking it breaks that too.
func TestCheck_OneRuleBroken(t *testing.T) {
	path := bookedClinic(t)
	for _, tc := range breakages {
		t.Run(tc.name, func(t *testing.T) {
			db := openCopy(t, path)
			tc.apply(t, db)
			r := check(t, db)
			got := rulesOf(r.Violations)
			if tc.rule == "" {
				if len(got) != 0 {
					t.Fatalf("rules=%v, want none:%s", got, describe(r.Violations))
				}
				return
			}
			if !slices.Contains(got, tc.rule) {
				t.Fatalf("rules=%v, want %s:%s", got, tc.rule, describe(r.Violations))
			}
			for _, rule := range got {
				if rule != tc.rule && !slices.Contains(tc.also, rule) {
					t.Errorf("rules=%v, want only %s (or %v):%s", got, tc.rule, tc.also, describe(r.Violations))
				}
			}
			if got := rulesOf(r.Overridden); !slices.Equal(got, tc.covered) {
				t.Errorf("overridden=%v, want %v:%s", got, tc.covered, describe(r.Overridden))
			}
		})
	}
}

// TestCheck_Override moves integration 6 of series 1 a week late (a
// maximum gap broken) and records overrides of it with different notes.
func TestCheck_Override(t *testing.T) {
	path := bookedClinic(t)
	tests := []struct {
		name      string
		note      string
		other     bool // the override is of another appointment
		overriden bool
	}{
		{"RightWordsCover", "Patient travelling (rule overridden: at most 72 hours after dosing 6 ends)", false, true},
		{"SingularOfAnotherAmountDoesNot", "Patient travelling (rule overridden: at most 7 hours after dosing 6 ends)", false, false},
		{"AnotherRuleDoesNot", "Patient travelling (rule overridden: working hours; within the series window)", false, false},
		{"AnotherDosingDoesNot", "Patient travelling (rule overridden: at most 72 hours after dosing 60 ends)", false, false},
		{"AnotherAppointmentDoesNot", "Patient travelling (rule overridden: at most 72 hours after dosing 6 ends)", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openCopy(t, path)
			id := moveTo(t, db, 1, 14, "2027-03-30 08:00")
			if tc.other {
				id = apptAt(t, db, 1, 12)
			}
			addAudit(t, db, "override", 1, 1, id, "", tc.note)
			r := check(t, db)
			broken, covered := rulesOf(r.Violations), rulesOf(r.Overridden)
			if tc.overriden && (len(broken) != 0 || !slices.Equal(covered, []string{"gap-max"})) {
				t.Fatalf("violations=%v overridden=%v, want none and [gap-max]", broken, covered)
			}
			if !tc.overriden && (!slices.Equal(broken, []string{"gap-max"}) || len(covered) != 0) {
				t.Fatalf("violations=%v overridden=%v, want [gap-max] and none", broken, covered)
			}
		})
	}
}

// TestCheck_ConcurrentSeriesOverride shows that an override naming "a
// second active series" of that series covers it.
func TestCheck_ConcurrentSeriesOverride(t *testing.T) {
	db := openCopy(t, bookedClinic(t))
	s := addAdHocConsultation(t, db)
	addAudit(t, db, "override", 1, s, 0, "", "Urgent review (rule overridden: a second active series beside series 1)")
	r := check(t, db)
	if got := rulesOf(r.Overridden); len(r.Violations) != 0 || !slices.Equal(got, []string{"concurrent-series"}) {
		t.Fatalf("violations=%v overridden=%v, want none and [concurrent-series]", rulesOf(r.Violations), got)
	}
	if v := r.Overridden[0]; v.Series != s {
		t.Fatalf("series=%d, want %d", v.Series, s)
	}
}

// TestCheck_GapMaxDetail pins the words of a violation.
func TestCheck_GapMaxDetail(t *testing.T) {
	db := openCopy(t, bookedClinic(t))
	id := moveTo(t, db, 1, 14, "2027-03-30 08:00")
	r := check(t, db)
	if len(r.Violations) != 1 {
		t.Fatalf("violations=%d, want 1:%s", len(r.Violations), describe(r.Violations))
	}
	v := r.Violations[0]
	dosing := apptAt(t, db, 1, 13)
	want := fmt.Sprintf("appointment %d (integration 6) starts 189 hours after appointment %d (dosing 6) ends; at most 72 hours", id, dosing)
	if v.Detail != want || v.Series != 1 || !slices.Equal(v.Appointments, []int64{dosing, id}) {
		t.Fatalf("got %q %v series %d, want %q [%d %d] series 1", v.Detail, v.Appointments, v.Series, want, dosing, id)
	}
}

// TestCheck_DoseSpacingWords tells the two ways doses of two series are
// too close apart.
func TestCheck_DoseSpacingWords(t *testing.T) {
	path := bookedClinic(t)
	tests := []struct {
		name, at string
		nurse    int64
		want     string
	}{
		{"SameDay", "2027-03-04 15:30", 7, "on the same day, 2027-03-04"},
		{"DosingRepeatGap", "2027-03-05 15:30", 8, "1 day apart; at least 2 days (the minimum repeat gap of dosing)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openCopy(t, path)
			addAdHocInfusion(t, db, tc.at, tc.nurse)
			r := check(t, db)
			var found []rulecheck.Violation
			for _, v := range r.Violations {
				if v.Rule == "dose-spacing" {
					found = append(found, v)
				}
			}
			if len(found) != 1 || !strings.Contains(found[0].Detail, tc.want) {
				t.Fatalf("dose-spacing violations:%s\nwant one saying %q", describe(found), tc.want)
			}
		})
	}
}
