package rulecheck_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/rulecheck"
)

// yearProtocols is the mix of the clinic year: two KAP series for each
// infusion series and each esketamine series.
var yearProtocols = []string{"kap-standard", "kap-iv", "kap-standard", "esketamine-induction"}

// clinicYear returns the path of a clinic year: 120 series booked through
// the service, a new patient every third day from 2027-01-04, about 1,500
// appointments; those before July are then completed, each with a status
// audit entry, but every third preparation is a no-show.
func clinicYear(tb testing.TB) string {
	return built(tb, "year", func(ctx context.Context, path string) error {
		first, err := booking.ParseDate("2027-01-04")
		if err != nil {
			return err
		}
		protocols := make([]string, 120)
		for i := range protocols {
			protocols[i] = yearProtocols[i%len(yearProtocols)]
		}
		now := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
		if err := bookClinic(ctx, path, now, protocols, func(i int) booking.Date { return first + booking.Date(3*i) }); err != nil {
			return err
		}
		return completeFirstHalf(path)
	})
}

// completeFirstHalf checks in and completes the appointments before
// July (but every third preparation is a no-show), and records an escort
// for each dose, with the audit entries the service would write: about
// 2,300 in all.
func completeFirstHalf(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	july := time.Date(2027, 7, 1, 0, 0, 0, 0, newYork).Unix()
	for _, st := range []struct{ status, when string }{{"escort", "start_unix - 86400"}, {"arrived", "start_unix"}, {"completed", "end_unix"}} {
		set := "status = '" + st.status + "'"
		switch st.status {
		case "escort":
			set = `escort = '{"name":"Sam Doe","phone":"+1 617 555 0100"}'`
		case "completed":
			set = "status = CASE WHEN kind = 'preparation' AND id % 3 = 0 THEN 'no-show' ELSE 'completed' END"
		}
		if st.status == "escort" {
			if _, err := db.Exec("UPDATE appointments SET "+set+" WHERE start_unix < ? AND kind IN ('dosing', 'infusion')", july); err != nil {
				return err
			}
		} else if _, err := db.Exec("UPDATE appointments SET "+set+", updated = "+st.when+" WHERE start_unix < ?", july); err != nil {
			return err
		}
		action := "status"
		if st.status == "escort" {
			action = "escort"
		}
		_, err := db.Exec(`INSERT INTO audit (at, actor, action, patient_id, series_id, appointment_id, state_before, state_after, note)
			SELECT `+st.when+`, 'test', ?, patient_id, series_id, id, '', `+auditAppointmentJSON+`, ''
			FROM appointments WHERE start_unix < ? AND (? != 'escort' OR kind IN ('dosing', 'infusion')) ORDER BY start_unix`, action, july, action)
		if err != nil {
			return err
		}
	}
	return db.Close()
}

// auditAppointmentJSON is an appointment row as the service writes it
// into the audit trail (booking.Appointment's JSON, empty fields left out).
const auditAppointmentJSON = `json_patch(json_object('id', id, 'series_id', series_id, 'patient_id', patient_id, 'step', step, 'kind', kind,
	'index', idx, 'count', count, 'seq', seq,
	'start', strftime('%Y-%m-%dT%H:%M:%SZ', start_unix, 'unixepoch'), 'end', strftime('%Y-%m-%dT%H:%M:%SZ', end_unix, 'unixepoch'),
	'staff', json((SELECT json_group_array(json_object('id', staff_id, 'name', name, 'role', role)) FROM appointment_staff WHERE appointment_id = appointments.id)),
	'room_id', room_id, 'room_name', room_name, 'holds', json_object('room_after', room_after), 'status', status,
	'escort', json(escort), 'sequence', sequence,
	'created', strftime('%Y-%m-%dT%H:%M:%SZ', created, 'unixepoch'), 'updated', strftime('%Y-%m-%dT%H:%M:%SZ', updated, 'unixepoch')),
	CASE WHEN needs_rems THEN '{"needs_rems":true}' ELSE '{}' END)`

// BenchmarkCheck checks a clinic year, as the simulated clinic does after
// every action.
func BenchmarkCheck(b *testing.B) {
	db := openCopy(b, clinicYear(b))
	ctx := context.Background()
	r, err := rulecheck.Check(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	var audit int
	if err := db.QueryRow("SELECT count(*) FROM audit").Scan(&audit); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := rulecheck.Check(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Appointments), "appointments")
	b.ReportMetric(float64(r.Series), "series")
	b.ReportMetric(float64(audit), "audit-rows")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/check")
}

// TestCheck_ClinicYear checks the benchmark's clinic year: booked through
// the service and then checked in, it keeps every rule.
func TestCheck_ClinicYear(t *testing.T) {
	if testing.Short() {
		t.Skip("books 120 series")
	}
	r := check(t, openCopy(t, clinicYear(t)))
	if len(r.Violations)+len(r.Overridden) != 0 {
		t.Fatalf("violations=%d overridden=%d, want none:%s", len(r.Violations), len(r.Overridden), describe(r.Violations[:min(len(r.Violations), 20)]))
	}
	if r.Appointments < 1400 || r.Series != 120 {
		t.Fatalf("appointments=%d series=%d, want about 1,500 and 120", r.Appointments, r.Series)
	}
}
