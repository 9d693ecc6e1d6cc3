package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/pgtest"
)

// MustOpenDB returns a new database, closed when the test ends: a SQLite
// file in a temporary folder, or, when KAPBOOK_TEST_STORE=postgres, a new
// database on a throwaway PostgreSQL server (internal/pgtest). The store's
// suite runs once for each (make test): one suite, two stores.
func MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	where := filepath.Join(tb.TempDir(), "kapbook.db")
	if testPostgres() {
		where = pgtest.Shared(tb)
	}
	db, err := Create(where)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// testPostgres reports whether this run tests the PostgreSQL store.
func testPostgres() bool { return os.Getenv("KAPBOOK_TEST_STORE") == "postgres" }

// sqliteOnly skips a test of SQLite's own workings (pragmas, query plans)
// in the PostgreSQL run.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if testPostgres() {
		t.Skip("a test of SQLite's own workings")
	}
}

// MustUpdate runs fn in a transaction and fails the test on error.
func MustUpdate(tb testing.TB, db *DB, fn func(tx booking.Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// wantCode fails the test unless err has the booking error code want.
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := booking.ErrorCode(err); got != want {
		tb.Fatalf("error code=%q (%v), want %q", got, err, want)
	}
}

// fixture is a small clinic: two staff, a room, a protocol and a patient.
type fixture struct {
	clinic     *booking.Clinic
	therapist  *booking.Staff
	prescriber *booking.Staff
	room       *booking.Room
	protocol   *booking.Protocol
	patient    *booking.Patient
}

func weekdays(span string) booking.WeeklyHours {
	s, err := booking.ParseSpan(span)
	if err != nil {
		panic(err)
	}
	return booking.WeeklyHours{"mon": {s}, "tue": {s}, "wed": {s}, "thu": {s}, "fri": {s}}
}

// MustFixture stores the fixture clinic in db.
func MustFixture(tb testing.TB, db *DB) *fixture {
	tb.Helper()
	gap := &booking.Gap{Min: 1, Max: 14, Unit: "days"}
	f := &fixture{
		clinic: &booking.Clinic{Name: "Test Clinic", TimeZone: "America/New_York", Hours: weekdays("08:00-18:00"),
			Phone: "+1 555 010 0000", REMSCertified: true},
		therapist:  &booking.Staff{Name: "Tara Therapist", Email: "tara@example.org", Roles: []booking.Role{booking.RoleTherapist}, Hours: weekdays("09:00-17:00")},
		prescriber: &booking.Staff{Name: "Pat Prescriber", Roles: []booking.Role{booking.RolePrescriber}, Qualifications: []string{"ACLS"}, Hours: weekdays("08:00-18:00")},
		room:       &booking.Room{Name: "Dosing 1", Kind: booking.RoomDosing, Equipment: []string{"pulse-oximeter"}},
		protocol: &booking.Protocol{ID: "kap-mini", Name: "Mini KAP", WindowDays: 30, Steps: []booking.Step{
			{ID: "consult", Kind: "consultation", Minutes: 60, Count: 1, Staff: []booking.StaffNeed{{Series: true}}, Room: booking.RoomNeed{Video: "allowed"}},
			{ID: "dosing", Kind: "dosing", Minutes: 180, Count: 1, Gap: gap,
				Staff: []booking.StaffNeed{{Series: true}, {Roles: []booking.Role{booking.RolePrescriber, booking.RoleNurse}}},
				Room:  booking.RoomNeed{Kinds: []booking.RoomKind{booking.RoomDosing}, HoldAfter: 30}},
		}},
		patient: &booking.Patient{Name: "Jane Doe", Email: "jane@example.org", Phone: "(555) 010-1234",
			Preferences: booking.Preferences{Weekdays: []string{"mon", "wed"}, TimesOfDay: []string{booking.Morning}}},
	}
	MustUpdate(tb, db, func(tx booking.Tx) error {
		ctx := context.Background()
		for _, err := range []error{
			tx.SaveClinic(ctx, f.clinic),
			tx.SaveStaff(ctx, f.therapist),
			tx.SaveStaff(ctx, f.prescriber),
			tx.SaveRoom(ctx, f.room),
			tx.SaveProtocol(ctx, f.protocol),
			tx.SavePatient(ctx, f.patient),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	return f
}

// dosing returns an active dosing appointment of the fixture's patient at
// start (clinic time), 180 minutes, therapist and prescriber, in the room
// with a 30-minute turnover.
func (f *fixture) dosing(start time.Time) *booking.Appointment {
	return &booking.Appointment{
		PatientID: f.patient.ID, Step: "dosing", Kind: "dosing", Index: 1, Count: 1, Seq: 1,
		Start: start, End: start.Add(180 * time.Minute),
		Staff: []booking.Assignment{
			{StaffID: f.therapist.ID, Name: f.therapist.Name, Role: booking.RoleTherapist},
			{StaffID: f.prescriber.ID, Name: f.prescriber.Name, Role: booking.RolePrescriber},
		},
		RoomID: f.room.ID, RoomName: f.room.Name, Holds: booking.Holds{RoomAfter: 30},
		Status: booking.Booked, Escort: &booking.Escort{Name: "John Doe", Phone: "555 010 9999"}, NeedsREMS: true,
	}
}

// at returns the clinic-local time on 2027-03-day at hh:mm.
func (f *fixture) at(day, hh, mm int) time.Time {
	return time.Date(2027, 3, day, hh, mm, 0, 0, f.clinic.Location())
}

// equalAppt compares appointments, times by instant.
func equalAppt(tb testing.TB, got, want *booking.Appointment) {
	tb.Helper()
	g, w := *got, *want
	for _, p := range []struct{ g, w *time.Time }{{&g.Start, &w.Start}, {&g.End, &w.End}, {&g.Created, &w.Created}, {&g.Updated, &w.Updated}} {
		if !p.g.Equal(*p.w) {
			tb.Fatalf("appointment %d: time %v, want %v", want.ID, *p.g, *p.w)
		}
		*p.g, *p.w = time.Time{}, time.Time{}
	}
	if !reflect.DeepEqual(g, w) {
		tb.Fatalf("appointment:\n got %+v\nwant %+v", g, w)
	}
}

func TestClinic(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	t.Run("ErrNotSetUp", func(t *testing.T) {
		_, err := db.Clinic(ctx)
		wantCode(t, err, booking.ENOTFOUND)
	})
	t.Run("OK", func(t *testing.T) {
		slack := 3
		c := &booking.Clinic{Name: "Harbour Clinic", TimeZone: "Europe/Berlin", Hours: weekdays("08:00-18:00"),
			Closures: []booking.Closure{{From: 20000, To: 20001, Reason: "Holiday"}}, LateCancelHours: 48, SlackDays: &slack}
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveClinic(ctx, c) })
		c.Name = "Harbour Clinic Two" // replaces
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveClinic(ctx, c) })
		got, err := db.Clinic(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != c.Name || got.TimeZone != c.TimeZone || got.Slack() != 3 || got.LateCancelHours != 48 ||
			!reflect.DeepEqual(got.Hours, c.Hours) || !reflect.DeepEqual(got.Closures, c.Closures) {
			t.Fatalf("clinic=%+v, want %+v", got, c)
		}
		if got.Location().String() != "Europe/Berlin" {
			t.Fatalf("location=%v", got.Location())
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := db.Update(ctx, func(tx booking.Tx) error {
			return tx.SaveClinic(ctx, &booking.Clinic{Name: "X", TimeZone: "Mars/Olympus"})
		})
		wantCode(t, err, booking.EINVALID)
	})
}

func TestStaffAndRooms(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	staff, err := db.StaffList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []*booking.Staff{f.therapist, f.prescriber}; !reflect.DeepEqual(staff, want) {
		t.Fatalf("staff=%+v, want %+v", staff, want)
	}
	rooms, err := db.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []*booking.Room{f.room}; !reflect.DeepEqual(rooms, want) {
		t.Fatalf("rooms=%+v, want %+v", rooms, want)
	}

	t.Run("Update", func(t *testing.T) {
		f.therapist.Qualifications = []string{"MDMA-trained"}
		f.therapist.TimeOff = []booking.Interval{{Start: f.at(10, 0, 0), End: f.at(11, 0, 0), Reason: "Leave"}}
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.SaveStaff(ctx, f.therapist) })
		staff, err := db.StaffList(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := staff[0]
		if got.ID != f.therapist.ID || !reflect.DeepEqual(got.Qualifications, f.therapist.Qualifications) ||
			len(got.TimeOff) != 1 || !got.TimeOff[0].Start.Equal(f.therapist.TimeOff[0].Start) {
			t.Fatalf("staff=%+v, want %+v", got, f.therapist)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := db.Update(ctx, func(tx booking.Tx) error {
			return tx.SaveStaff(ctx, &booking.Staff{ID: 99, Name: "Ghost", Roles: []booking.Role{booking.RoleNurse}})
		})
		wantCode(t, err, booking.ENOTFOUND)
		if got, want := booking.ErrorMessage(err), "There is no staff member with id 99."; got != want {
			t.Fatalf("message=%q, want %q", got, want)
		}
		err = db.Update(ctx, func(tx booking.Tx) error {
			return tx.SaveRoom(ctx, &booking.Room{ID: 99, Name: "Ghost", Kind: booking.RoomConsult})
		})
		wantCode(t, err, booking.ENOTFOUND)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := db.Update(ctx, func(tx booking.Tx) error {
			return tx.SaveRoom(ctx, &booking.Room{Name: "Attic", Kind: "attic"})
		})
		wantCode(t, err, booking.EINVALID)
	})
}

func TestProtocols(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	got, err := db.Protocol(ctx, "kap-mini")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, f.protocol) {
		t.Fatalf("protocol=%+v, want %+v", got, f.protocol)
	}
	second := *f.protocol
	second.ID, second.Name = "a-first", "Sorted first"
	f.protocol.Description = "Replaced"
	MustUpdate(t, db, func(tx booking.Tx) error {
		if err := tx.SaveProtocol(ctx, &second); err != nil {
			return err
		}
		return tx.SaveProtocol(ctx, f.protocol)
	})
	all, err := db.Protocols(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "a-first" || all[1].Description != "Replaced" {
		t.Fatalf("protocols=%+v", all)
	}
	_, err = db.Protocol(ctx, "nope")
	wantCode(t, err, booking.ENOTFOUND)
}

func TestPatients(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	got, err := db.Patient(ctx, f.patient.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(f.patient.Created) || got.Created.Location().String() != "America/New_York" {
		t.Fatalf("created=%v, want %v in the clinic's zone", got.Created, f.patient.Created)
	}
	got.Created = f.patient.Created
	if !reflect.DeepEqual(got, f.patient) {
		t.Fatalf("patient=%+v, want %+v", got, f.patient)
	}

	t.Run("Update", func(t *testing.T) {
		d := booking.Date(20500)
		f.patient.Consents.REMSEnrolled = &d
		f.patient.Email = "jane.doe@example.org"
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.SavePatient(ctx, f.patient) })
		got, err := db.Patient(ctx, f.patient.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != f.patient.Email || got.Consents.REMSEnrolled == nil || *got.Consents.REMSEnrolled != d {
			t.Fatalf("patient=%+v", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.Patient(ctx, 42)
		wantCode(t, err, booking.ENOTFOUND)
		if got, want := booking.ErrorMessage(err), "There is no patient with id 42."; got != want {
			t.Fatalf("message=%q, want %q", got, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := db.Update(ctx, func(tx booking.Tx) error {
			return tx.SavePatient(ctx, &booking.Patient{Name: "No Mail", Email: "nope"})
		})
		wantCode(t, err, booking.EINVALID)
	})
}

func TestFindPatients(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	MustFixture(t, db) // Jane Doe, jane@example.org, (555) 010-1234
	for _, p := range []*booking.Patient{
		{Name: "Zoë Ångström", Email: "zoe@example.org"},
		{Name: "anna 100% Smith", Email: "anna_s@example.org", Phone: "+44 20 7946 0000"},
		{Name: "Bob Brown", Email: "bob@example.com"},
	} {
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.SavePatient(ctx, p) })
	}
	for _, tt := range []struct {
		name, search string
		want         []string
	}{
		{"All", "", []string{"anna 100% Smith", "Bob Brown", "Jane Doe", "Zoë Ångström"}},
		{"NameAnyCase", "jAnE", []string{"Jane Doe"}},
		{"NonASCIICase", "ZOË", []string{"Zoë Ångström"}},
		{"AccentsIgnored", "zoe angstrom", []string{"Zoë Ångström"}},
		{"AnyWordOrder", "smith ANNA", []string{"anna 100% Smith"}},
		{"Email", "EXAMPLE.COM", []string{"Bob Brown"}},
		{"Phone", "010-12", []string{"Jane Doe"}},
		{"PhoneDigits", "5550101234", []string{"Jane Doe"}},
		{"PhoneSpaced", "555 010 1234", []string{"Jane Doe"}},
		{"PercentIsLiteral", "0%", []string{"anna 100% Smith"}},
		{"UnderscoreIsLiteral", "a_s", []string{"anna 100% Smith"}},
		{"NoWildcards", "%", []string{"anna 100% Smith"}},
		{"NoMatchAcrossFields", "doejane", nil},
		{"ControlCharacterPartsWords", "doe\x1fjane", []string{"Jane Doe"}},
		{"None", "nobody", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := db.FindPatients(ctx, tt.search)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("FindPatients(%q)=%q, want %q", tt.search, got, tt.want)
			}
		})
	}
}

func TestSeries(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	consult := &booking.Appointment{Step: "consult", Kind: "consultation", Index: 1, Count: 1, Seq: 0,
		Start: f.at(1, 9, 0), End: f.at(1, 10, 0),
		Staff:  []booking.Assignment{{StaffID: f.therapist.ID, Name: f.therapist.Name, Role: booking.RoleTherapist}},
		Status: booking.Booked}
	dosing := f.dosing(f.at(8, 9, 0))
	dosing.PatientID = 0 // the series supplies it
	s := &booking.Series{PatientID: f.patient.ID, ProtocolID: "kap-mini", TherapistID: f.therapist.ID, From: booking.DateOf(f.at(1, 0, 0)),
		Appts: []*booking.Appointment{consult, dosing}}
	MustUpdate(t, db, func(tx booking.Tx) error { return tx.CreateSeries(ctx, s) })
	if s.ID == 0 || consult.ID == 0 || dosing.ID == 0 || consult.SeriesID != s.ID || dosing.PatientID != f.patient.ID {
		t.Fatalf("ids not set: series %d, appointments %+v %+v", s.ID, consult, dosing)
	}

	got, err := db.Series(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PatientID != s.PatientID || got.ProtocolID != s.ProtocolID || got.TherapistID != s.TherapistID ||
		got.From != s.From || !got.Created.Equal(s.Created) || len(got.Appts) != 2 {
		t.Fatalf("series=%+v, want %+v", got, s)
	}
	equalAppt(t, got.Appts[0], consult)
	equalAppt(t, got.Appts[1], dosing)
	if loc := got.Appts[1].Start.Location().String(); loc != "America/New_York" {
		t.Fatalf("start in %s, want the clinic's zone", loc)
	}
	if _, off := got.Appts[1].Start.Zone(); off != -5*3600 { // EST; summer time starts on 2027-03-14
		t.Fatalf("offset=%d, want -5h", off)
	}

	t.Run("Appointment", func(t *testing.T) {
		a, err := db.Appointment(ctx, dosing.ID)
		if err != nil {
			t.Fatal(err)
		}
		equalAppt(t, a, dosing)
		_, err = db.Appointment(ctx, 999)
		wantCode(t, err, booking.ENOTFOUND)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.Series(ctx, 999)
		wantCode(t, err, booking.ENOTFOUND)
		for name, s := range map[string]*booking.Series{
			"Patient":   {PatientID: 999, ProtocolID: "kap-mini", From: s.From},
			"Protocol":  {PatientID: f.patient.ID, ProtocolID: "nope", From: s.From},
			"Therapist": {PatientID: f.patient.ID, ProtocolID: "kap-mini", TherapistID: 999, From: s.From},
			"Room": {PatientID: f.patient.ID, ProtocolID: "kap-mini", From: s.From,
				Appts: []*booking.Appointment{func() *booking.Appointment { a := f.dosing(f.at(9, 9, 0)); a.RoomID = 999; return a }()}},
		} {
			err := db.Update(ctx, func(tx booking.Tx) error { return tx.CreateSeries(ctx, s) })
			wantCode(t, err, booking.ENOTFOUND)
			if s.ID != 0 {
				t.Fatalf("%s: series id %d set after an error", name, s.ID)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		bad := f.dosing(f.at(9, 9, 0))
		bad.End = bad.Start
		err := db.Update(ctx, func(tx booking.Tx) error {
			return tx.CreateSeries(ctx, &booking.Series{PatientID: f.patient.ID, ProtocolID: "kap-mini", Appts: []*booking.Appointment{bad}})
		})
		wantCode(t, err, booking.EINVALID)
	})
}

func TestAppointments(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	other := &booking.Patient{Name: "Other Patient", Email: "other@example.org"}
	video := &booking.Appointment{PatientID: 0, Step: "integration", Kind: "integration", Index: 1, Count: 1,
		Start: f.at(3, 14, 0), End: f.at(3, 15, 0),
		Staff:  []booking.Assignment{{StaffID: f.therapist.ID, Name: f.therapist.Name, Role: booking.RoleTherapist}},
		Status: booking.Booked}
	a1, a2, a3 := f.dosing(f.at(2, 9, 0)), f.dosing(f.at(4, 9, 0)), f.dosing(f.at(6, 9, 0))
	MustUpdate(t, db, func(tx booking.Tx) error {
		if err := tx.SavePatient(ctx, other); err != nil {
			return err
		}
		video.PatientID = other.ID
		for _, a := range []*booking.Appointment{a3, a1, video, a2} {
			if err := tx.CreateAppointment(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})

	t.Run("Update", func(t *testing.T) {
		a2.Status, a2.Reason, a2.Sequence = booking.Cancelled, "Unwell", 1
		a2.Escort = nil
		a2.Staff = a2.Staff[:1]
		a2.Updated = time.Time{}
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.UpdateAppointment(ctx, a2) })
		if a2.Updated.IsZero() {
			t.Fatal("updated not set")
		}
		got, err := db.Appointment(ctx, a2.ID)
		if err != nil {
			t.Fatal(err)
		}
		equalAppt(t, got, a2)
	})
	t.Run("UpdateErrNotFound", func(t *testing.T) {
		ghost := f.dosing(f.at(2, 9, 0))
		ghost.ID = 999
		err := db.Update(ctx, func(tx booking.Tx) error { return tx.UpdateAppointment(ctx, ghost) })
		wantCode(t, err, booking.ENOTFOUND)
	})
	t.Run("CreateErrSeriesOfOtherPatient", func(t *testing.T) {
		var s *booking.Series
		MustUpdate(t, db, func(tx booking.Tx) error {
			s = &booking.Series{PatientID: other.ID, ProtocolID: "kap-mini", From: 20000}
			return tx.CreateSeries(ctx, s)
		})
		a := f.dosing(f.at(20, 9, 0))
		a.SeriesID = s.ID
		err := db.Update(ctx, func(tx booking.Tx) error { return tx.CreateAppointment(ctx, a) })
		wantCode(t, err, booking.EINVALID)
	})

	ids := func(as []*booking.Appointment) []int64 {
		var out []int64
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    booking.AppointmentFilter
		want []*booking.Appointment
	}{
		{"All", booking.AppointmentFilter{}, []*booking.Appointment{a1, video, a2, a3}},
		{"Window", booking.AppointmentFilter{From: f.at(2, 11, 59), To: f.at(4, 9, 1)}, []*booking.Appointment{a1, video, a2}},
		{"WindowEndsAtStart", booking.AppointmentFilter{From: f.at(2, 12, 0), To: f.at(4, 9, 0)}, []*booking.Appointment{video}},
		{"FromOnly", booking.AppointmentFilter{From: f.at(5, 0, 0)}, []*booking.Appointment{a3}},
		{"ToOnly", booking.AppointmentFilter{To: f.at(3, 0, 0)}, []*booking.Appointment{a1}},
		{"Active", booking.AppointmentFilter{ActiveOnly: true}, []*booking.Appointment{a1, video, a3}},
		{"Staff", booking.AppointmentFilter{StaffID: f.prescriber.ID}, []*booking.Appointment{a1, a3}},
		{"Room", booking.AppointmentFilter{RoomID: f.room.ID}, []*booking.Appointment{a1, a2, a3}},
		{"Patient", booking.AppointmentFilter{PatientID: other.ID}, []*booking.Appointment{video}},
		{"Limit", booking.AppointmentFilter{Limit: 2}, []*booking.Appointment{a1, video}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Appointments(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), ids(tt.want)) {
				t.Fatalf("appointments=%v, want %v", ids(got), ids(tt.want))
			}
			for i := range got {
				equalAppt(t, got[i], tt.want[i])
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	a1, a2, a3 := f.dosing(f.at(2, 9, 0)), f.dosing(f.at(2, 13, 0)), f.dosing(f.at(5, 9, 0))
	MustUpdate(t, db, func(tx booking.Tx) error {
		for _, a := range []*booking.Appointment{a1, a2, a3} {
			if err := tx.CreateAppointment(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	blocks := func(from, to time.Time) []booking.Block {
		t.Helper()
		got, err := db.Blocks(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	t.Run("Window", func(t *testing.T) {
		got := blocks(f.at(2, 0, 0), f.at(3, 0, 0))
		var want []booking.Block
		want = append(want, a1.Blocks()...)
		want = append(want, a2.Blocks()...)
		if len(got) != 8 || !sameBlocks(got, want) { // per appointment: 2 staff, the room, the patient
			t.Fatalf("blocks=%+v, want %+v", got, want)
		}
	})
	t.Run("Holds", func(t *testing.T) {
		// a1 ends 12:00; its room stays taken until 12:30.
		got := blocks(f.at(2, 12, 15), f.at(2, 12, 20))
		if len(got) != 1 || got[0].Resource.Kind != booking.RoomResource || got[0].AppointmentID != a1.ID || got[0].End != f.at(2, 12, 30).Unix() {
			t.Fatalf("blocks=%+v, want a1's room turnover", got)
		}
	})
	t.Run("TouchingIsNotOverlapping", func(t *testing.T) {
		if got := blocks(f.at(2, 12, 30), f.at(2, 13, 0)); len(got) != 0 {
			t.Fatalf("blocks=%+v, want none", got)
		}
	})
	t.Run("CancelledIgnored", func(t *testing.T) {
		a2.Status = booking.LateCancelled
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.UpdateAppointment(ctx, a2) })
		got := blocks(f.at(2, 0, 0), f.at(3, 0, 0))
		if !sameBlocks(got, a1.Blocks()) {
			t.Fatalf("blocks=%+v, want a1's only", got)
		}
		a2.Status = booking.Booked // reinstated: blocks again
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.UpdateAppointment(ctx, a2) })
		if got := blocks(f.at(2, 0, 0), f.at(3, 0, 0)); len(got) != 8 {
			t.Fatalf("blocks=%d, want 8", len(got))
		}
	})
	t.Run("Moved", func(t *testing.T) {
		a3.Start, a3.End = f.at(9, 9, 0), f.at(9, 12, 0)
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.UpdateAppointment(ctx, a3) })
		if got := blocks(f.at(5, 0, 0), f.at(6, 0, 0)); len(got) != 0 {
			t.Fatalf("blocks at the old time=%+v", got)
		}
		if got := blocks(f.at(9, 0, 0), f.at(10, 0, 0)); !sameBlocks(got, a3.Blocks()) {
			t.Fatalf("blocks at the new time=%+v", got)
		}
	})
	t.Run("LongBlockFound", func(t *testing.T) {
		// A 10-hour appointment that starts well before the window.
		long := f.dosing(f.at(20, 7, 0))
		long.End = f.at(20, 17, 0)
		MustUpdate(t, db, func(tx booking.Tx) error { return tx.CreateAppointment(ctx, long) })
		if got := blocks(f.at(20, 16, 0), f.at(20, 16, 30)); len(got) != 4 {
			t.Fatalf("blocks=%+v, want the long appointment's 4", got)
		}
	})
	t.Run("IndexOnly", func(t *testing.T) {
		sqliteOnly(t)
		plan := queryPlan(t, db, blocksQuery, 2, 1, 1)
		if !strings.Contains(plan, "SEARCH blocks USING COVERING INDEX blocks_start (start_unix>? AND start_unix<?)") ||
			strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Fatalf("plan:\n%s\nwant an index range search", plan)
		}
	})
}

// sameBlocks compares blocks regardless of order.
func sameBlocks(got, want []booking.Block) bool {
	if len(got) != len(want) {
		return false
	}
	count := map[booking.Block]int{}
	for _, b := range want {
		count[b]++
	}
	for _, b := range got {
		if count[b]--; count[b] < 0 {
			return false
		}
	}
	return true
}

// queryPlan returns SQLite's plan for q.
func queryPlan(tb testing.TB, db *DB, q string, args ...any) string {
	tb.Helper()
	rows, err := db.sql.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintln(&b, detail)
	}
	return b.String()
}

func TestUpdateRollsBack(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	patients := func() int {
		ps, err := db.FindPatients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	t.Run("Error", func(t *testing.T) {
		errBoom := errors.New("boom")
		err := db.Update(ctx, func(tx booking.Tx) error {
			if err := tx.SavePatient(ctx, &booking.Patient{Name: "Temp", Email: "temp@example.org"}); err != nil {
				return err
			}
			if ps, err := tx.FindPatients(ctx, ""); err != nil || len(ps) != 1 {
				t.Errorf("inside the transaction: patients=%d (%v), want 1", len(ps), err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("err=%v, want fn's error", err)
		}
		if n := patients(); n != 0 {
			t.Fatalf("patients=%d after rollback, want 0", n)
		}
	})
	t.Run("Panic", func(t *testing.T) {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			db.Update(ctx, func(tx booking.Tx) error {
				tx.SavePatient(ctx, &booking.Patient{Name: "Temp", Email: "temp@example.org"})
				panic("boom")
			})
		}()
		if n := patients(); n != 0 {
			t.Fatalf("patients=%d after a panic, want 0", n)
		}
		// The connection is usable again.
		MustUpdate(t, db, func(tx booking.Tx) error {
			return tx.SavePatient(ctx, &booking.Patient{Name: "Kept", Email: "kept@example.org"})
		})
		if n := patients(); n != 1 {
			t.Fatalf("patients=%d, want 1", n)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		err := db.Update(cctx, func(tx booking.Tx) error {
			if err := tx.SavePatient(cctx, &booking.Patient{Name: "Temp", Email: "temp@example.org"}); err != nil {
				return err
			}
			cancel()
			return nil // the commit sees the cancelled context
		})
		if err == nil {
			t.Fatal("committed with a cancelled context")
		}
		if n := patients(); n != 1 {
			t.Fatalf("patients=%d, want 1", n)
		}
	})
}

func TestAudit(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	f := MustFixture(t, db)
	e1 := &booking.AuditEntry{Actor: "frontdesk", Action: "patient-add", PatientID: f.patient.ID, After: `{"id":1}`}
	e2 := &booking.AuditEntry{At: f.at(2, 9, 30), Actor: "frontdesk", Action: "book", PatientID: f.patient.ID, SeriesID: 0, Note: "by phone"}
	e3 := &booking.AuditEntry{Actor: "admin", Action: "override", Before: "{}", After: "{}"}
	MustUpdate(t, db, func(tx booking.Tx) error {
		for _, e := range []*booking.AuditEntry{e1, e2, e3} {
			if err := tx.AddAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	all, err := db.Audit(ctx, booking.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].ID != e3.ID || all[2].ID != e1.ID {
		t.Fatalf("audit=%+v, want newest first", all)
	}
	got := all[1]
	if !got.At.Equal(e2.At) || got.At.Location().String() != "America/New_York" {
		t.Fatalf("at=%v, want %v in the clinic's zone", got.At, e2.At)
	}
	// The store stamps its own clock and the OS account whatever At and
	// Actor say: e2's At is a pretend time months away.
	if !got.Recorded.Equal(e2.Recorded) || got.Recorded.IsZero() || time.Since(got.Recorded) > time.Hour || got.OSUser == "" || got.OSUser != e2.OSUser {
		t.Fatalf("recorded %v by %q, want this computer's clock and account, as AddAudit set them (%v, %q)", got.Recorded, got.OSUser, e2.Recorded, e2.OSUser)
	}
	if !got.PretendTime() || all[0].PretendTime() {
		t.Fatalf("pretend time: e2 %v (at %v), e3 %v; want e2 only", got.PretendTime(), got.At, all[0].PretendTime())
	}
	same := *got
	same.At, same.Recorded = e2.At, e2.Recorded
	if !reflect.DeepEqual(&same, e2) {
		t.Fatalf("entry=%+v, want %+v", got, e2)
	}
	mine, err := db.Audit(ctx, booking.AuditFilter{PatientID: f.patient.ID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[0].ID != e2.ID {
		t.Fatalf("audit=%+v, want e2 only", mine)
	}

	t.Run("ErrAppendOnly", func(t *testing.T) {
		for _, q := range []string{"UPDATE audit SET note = 'changed'", "DELETE FROM audit"} {
			_, err := db.sql.Exec(q)
			if err == nil {
				t.Fatalf("%s: no error", q)
			}
			wantCode(t, db.mapErr("test", err), booking.EINVALID)
		}
		after, err := db.Audit(ctx, booking.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after, all) {
			t.Fatalf("audit changed: %+v", after)
		}
	})
}

// TestUpdateSerializes runs writers in two DBs on one file, as two kapctl
// processes would: each reads the number of patients and adds one named for
// it. Interleaved, two writers would read the same number.
func TestUpdateSerializes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kapbook.db")
	db1, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	db2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	ctx := context.Background()

	const writers, each = 4, 10
	errs := make(chan error, writers)
	for w := range writers {
		db := []*DB{db1, db2}[w%2]
		go func() {
			for range each {
				err := db.Update(ctx, func(tx booking.Tx) error {
					ps, err := tx.FindPatients(ctx, "")
					if err != nil {
						return err
					}
					time.Sleep(time.Millisecond) // give another writer the chance to interleave
					return tx.SavePatient(ctx, &booking.Patient{Name: fmt.Sprintf("Patient %03d", len(ps)), Email: "p@example.org"})
				})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	ps, err := db2.FindPatients(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != writers*each {
		t.Fatalf("patients=%d, want %d", len(ps), writers*each)
	}
	for i, p := range ps {
		if want := fmt.Sprintf("Patient %03d", i); p.Name != want {
			t.Fatalf("patient %d is %q, want %q: two writers interleaved", i, p.Name, want)
		}
	}
}
