// Package kittest builds what a headless screen test needs: a test app and
// window, a real SQLite database holding the demo clinic, a booking service
// at a fixed time, and a Navigator that records where screens asked to go.
package kittest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui/kit"
)

// Now is the fixed time of every test env: Monday 1 March 2027, 09:00 in
// the demo clinic's zone (America/New_York), two weeks before the
// daylight-saving change.
var Now = time.Date(2027, 3, 1, 9, 0, 0, 0, mustZone("America/New_York"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Nav records the Navigator calls a screen made, in order, e.g.
// "patient 3" or "booking 0".
type Nav struct{ Calls []string }

func (n *Nav) add(f string, a ...any)        { n.Calls = append(n.Calls, fmt.Sprintf(f, a...)) }
func (n *Nav) ShowSchedule(day booking.Date) { n.add("schedule %s", day) }
func (n *Nav) ShowAppointment(id int64)      { n.add("appointment %d", id) }
func (n *Nav) ShowPatient(id int64)          { n.add("patient %d", id) }
func (n *Nav) FindPatient()                  { n.add("find") }
func (n *Nav) NewBooking(patientID int64)    { n.add("booking %d", patientID) }
func (n *Nav) ShowToday()                    { n.add("today") }
func (n *Nav) ShowOutbox(id int64)           { n.add("outbox %d", id) }
func (n *Nav) Last() string {
	if len(n.Calls) == 0 {
		return ""
	}
	return n.Calls[len(n.Calls)-1]
}

// Fixture is a test env and what it was built from.
type Fixture struct {
	Env *kit.Env
	DB  *store.DB
	Nav *Nav
	// Patients are the demo patients added, in order; Series the series
	// booked for them (one each, when Booked).
	Patients []*booking.Patient
	Series   []*booking.Series
}

// Options say what the database holds besides the demo clinic.
type Options struct {
	// Patients is how many fictional patients to add (at most 8).
	Patients int
	// Booked books each patient's series from the day after Now.
	Booked bool
}

var samples = []struct{ name, email, phone, protocol string }{
	{"Avery Quinn", "avery.quinn@example.org", "+1 617 555 0101", "kap-standard"},
	{"Blake Morgan", "blake.morgan@example.org", "+1 617 555 0102", "kap-iv"},
	{"Casey Rivera", "casey.rivera@example.org", "+1 617 555 0103", "kap-standard"},
	{"Devon Brooks", "devon.brooks@example.org", "+1 617 555 0104", "esketamine-induction"},
	{"Emery Patel", "emery.patel@example.org", "+1 617 555 0105", "kap-standard"},
	{"Finley Chen", "finley.chen@example.org", "+1 617 555 0106", "kap-iv"},
	{"Gray Okoro", "gray.okoro@example.org", "+1 617 555 0107", "kap-standard"},
	{"Harper Lund", "harper.lund@example.org", "+1 617 555 0108", "kap-standard"},
}

// New returns a fixture: a temp app (test.NewTempApp), a test window, a
// fresh demo database in t.TempDir() closed at cleanup, a service whose
// clock stands at Now, and an Env with Inline set, so background work
// finishes before the call that started it returns.
func New(t testing.TB, o Options) *Fixture {
	t.Helper()
	ctx := context.Background()
	a := test.NewTempApp(t)
	path := filepath.Join(t.TempDir(), "clinic.db")
	db, err := store.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := resources.InitDemo(ctx, db, "test", Now); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return Now }
	svc := &booking.Service{Store: db, Now: now, Actor: "Front desk"}
	f := &Fixture{DB: db, Nav: &Nav{}}
	if o.Patients > len(samples) {
		t.Fatalf("kittest: at most %d patients", len(samples))
	}
	for _, s := range samples[:o.Patients] {
		p := &booking.Patient{Name: s.name, Email: s.email, Phone: s.phone}
		if s.protocol == "esketamine-induction" {
			today := booking.DateOf(Now)
			p.Consents.REMSEnrolled = &today
		}
		if err := svc.AddPatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		f.Patients = append(f.Patients, p)
		if o.Booked {
			today := booking.DateOf(Now)
			sr, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: s.protocol, From: today + 1})
			if err != nil {
				t.Fatalf("booking %s for %s: %v", s.protocol, s.name, err)
			}
			f.Series = append(f.Series, sr)
		}
	}
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1200, 800))
	f.Env = &kit.Env{Store: db, Service: svc, DBPath: path, Now: now, App: a, Window: w, Nav: f.Nav, Inline: true}
	return f
}
