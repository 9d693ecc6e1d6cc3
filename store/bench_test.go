package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/pgtest"
)

var (
	benchDir  string
	benchOnce sync.Once
	benchErr  error
	benchFix  *fixture
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m) // stops the shared PostgreSQL of the postgres run
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

const benchAppointments = 100_000

// benchDB returns a database holding two years of history: 100,000
// appointments among 20 staff and 10 rooms, a tenth of them cancelled.
// It is built once per test binary run.
func benchDB(b *testing.B) (*DB, *fixture) {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "kapbook-bench-")
		if benchErr != nil {
			return
		}
		var db *DB
		if db, benchErr = Create(filepath.Join(benchDir, "kapbook.db")); benchErr != nil {
			return
		}
		defer db.Close()
		benchFix = MustFixture(b, db)
		f := benchFix
		ctx := context.Background()
		benchErr = db.Update(ctx, func(tx booking.Tx) error {
			var staff []*booking.Staff
			var rooms []*booking.Room
			for i := range 20 {
				s := &booking.Staff{Name: fmt.Sprintf("Staff %d", i), Roles: []booking.Role{booking.RoleTherapist}, Hours: weekdays("08:00-18:00")}
				if err := tx.SaveStaff(ctx, s); err != nil {
					return err
				}
				staff = append(staff, s)
			}
			for i := range 10 {
				r := &booking.Room{Name: fmt.Sprintf("Room %d", i), Kind: booking.RoomDosing}
				if err := tx.SaveRoom(ctx, r); err != nil {
					return err
				}
				rooms = append(rooms, r)
			}
			var patients []*booking.Patient
			for i := range 10 {
				p := &booking.Patient{Name: fmt.Sprintf("Patient %d", i), Email: fmt.Sprintf("p%d@example.org", i)}
				if err := tx.SavePatient(ctx, p); err != nil {
					return err
				}
				patients = append(patients, p)
			}
			// 10 rooms × 14 slots of 45 minutes a day fill 137 appointments
			// a day in about 730 days. Room j holds therapist j, prescriber
			// 10+j and patient j, so nobody is in two places at once (the
			// store refuses that before it commits).
			day0 := f.at(1, 0, 0).AddDate(-1, 0, 0)
			for i := range benchAppointments {
				slot := i % 137
				j := slot % 10
				start := day0.AddDate(0, 0, i/137).Add(time.Duration(8*60+(slot/10)*45) * time.Minute)
				a := f.dosing(start)
				a.End = start.Add(45 * time.Minute)
				a.Holds = booking.Holds{}
				a.PatientID = patients[j].ID
				a.Staff = []booking.Assignment{
					{StaffID: staff[j].ID, Name: staff[j].Name, Role: booking.RoleTherapist},
					{StaffID: staff[10+j].ID, Name: staff[10+j].Name, Role: booking.RolePrescriber},
				}
				a.RoomID, a.RoomName = rooms[j].ID, rooms[j].Name
				if i%10 == 9 {
					a.Status = booking.Cancelled
				}
				if err := tx.CreateAppointment(ctx, a); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	db, err := Open(filepath.Join(benchDir, "kapbook.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, benchFix
}

// BenchmarkBlocksWindow reads one week's blocks, as the planner does for
// each week it searches, from a database with two years of history.
func BenchmarkBlocksWindow(b *testing.B) {
	db, f := benchDB(b)
	ctx := context.Background()
	from := f.at(1, 0, 0)
	to := from.AddDate(0, 0, 7)
	var n int
	b.ResetTimer()
	for b.Loop() {
		blocks, err := db.Blocks(ctx, from, to)
		if err != nil {
			b.Fatal(err)
		}
		n = len(blocks)
	}
	if n == 0 {
		b.Fatal("no blocks in the window")
	}
	b.ReportMetric(float64(n), "blocks/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/block")
}

// BenchmarkAppointmentsWindow reads one week's appointments with their
// staff, as a day or week view does.
func BenchmarkAppointmentsWindow(b *testing.B) {
	db, f := benchDB(b)
	ctx := context.Background()
	from := f.at(1, 0, 0)
	to := from.AddDate(0, 0, 7)
	var n int
	b.ResetTimer()
	for b.Loop() {
		as, err := db.Appointments(ctx, booking.AppointmentFilter{From: from, To: to})
		if err != nil {
			b.Fatal(err)
		}
		n = len(as)
	}
	b.ReportMetric(float64(n), "appointments/op")
}

// BenchmarkOpen opens the two-year database, as every kapctl command does.
func BenchmarkOpen(b *testing.B) {
	benchDB(b)
	path := filepath.Join(benchDir, "kapbook.db")
	for b.Loop() {
		db, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkStaffWindow reads one staff member's appointments for a week
// and their stamp, as a feed and a clash check do, in the two-year
// database (about 5,000 appointments a staff member).
func BenchmarkStaffWindow(b *testing.B) {
	db, f := benchDB(b)
	ctx := context.Background()
	from := f.at(1, 0, 0)
	for _, tc := range []struct {
		name string
		to   time.Time
	}{{"Week", from.AddDate(0, 0, 7)}, {"Feed", from.AddDate(0, 0, 396)}} {
		b.Run(tc.name, func(b *testing.B) {
			filter := booking.AppointmentFilter{From: from, To: tc.to, StaffID: 3}
			var n int
			for b.Loop() {
				as, err := db.Appointments(ctx, filter)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.AppointmentsStamp(ctx, filter); err != nil {
					b.Fatal(err)
				}
				n = len(as)
			}
			b.ReportMetric(float64(n), "appointments/op")
		})
	}
}
