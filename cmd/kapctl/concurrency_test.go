package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/internal/pgtest"
)

// binary is the kapctl program, built once per test run for the tests
// that need real processes.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := pgtest.Run(m) // stops the shared PostgreSQL server, if a test started one
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// mustBuild builds kapctl as `make build` does and returns its path.
func mustBuild(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "kapctl-test-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "kapctl")
		cmd := exec.Command("go", "build", "-o", binary.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// TestConcurrentBooking starts several kapctl processes that book a whole
// series on one database file at the same moment. Each books in one
// transaction that plans inside it, so every one must succeed, with the
// next free plan, and no person or room may end up booked twice.
func TestConcurrentBooking(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	c := mustDemo(t)
	const n = 6
	var patients []int64
	for i := range n {
		patients = append(patients, c.addPatient(fmt.Sprintf("Patient %d", i+1), fmt.Sprintf("p%d@example.com", i+1)))
	}

	stdout := bookAtOnce(t, bin, c.path, patients, func(i int) (string, []string) { return fmt.Sprintf("desk %d", i+1), nil })

	// What each process says it booked.
	booked := map[int64]bookOut{}
	for i := range stdout {
		var b bookOut
		if err := json.Unmarshal(stdout[i].Bytes(), &b); err != nil {
			t.Fatalf("process %d: %v; stdout=%q", i+1, err, stdout[i].String())
		}
		if b.Series == nil {
			t.Fatalf("process %d booked no series: %s", i+1, stdout[i].String())
		}
		if _, dup := booked[*b.Series]; dup {
			t.Fatalf("processes share series %d", *b.Series)
		}
		if got := len(b.Appointments); got != 15 {
			t.Fatalf("process %d: appointments=%d, want 15", i+1, got)
		}
		booked[*b.Series] = b
	}

	// What the database holds, read by another process.
	agenda := exec.Command(bin, "--db", c.path, "--now", testNow, "--json", "agenda", "--from", "2027-03-01", "--to", "2027-07-31")
	out, err := agenda.Output()
	if err != nil {
		t.Fatalf("agenda: %v", err)
	}
	var stored []appt
	if err := json.Unmarshal(out, &stored); err != nil {
		t.Fatal(err)
	}
	perSeries := map[int64][]appt{}
	for _, a := range stored {
		perSeries[a.Series] = append(perSeries[a.Series], a)
	}
	if len(perSeries) != n {
		t.Fatalf("series stored=%d, want %d", len(perSeries), n)
	}
	for sid, list := range perSeries {
		b, ok := booked[sid]
		if !ok {
			t.Fatalf("series %d is stored but no process booked it", sid)
		}
		if len(list) != 15 {
			t.Fatalf("series %d: appointments=%d, want 15", sid, len(list))
		}
		storedByID := byID(list)
		for _, a := range b.Appointments {
			s, ok := storedByID[a.ID]
			if !ok || !s.Start.Equal(a.Start) || !s.End.Equal(a.End) || s.Patient != list[0].Patient {
				t.Fatalf("series %d: appointment %d was reported at %v but is stored as %+v", sid, a.ID, a.Start, s)
			}
		}
	}
	assertNoDoubleBooking(t, stored)

	// Six series and four therapists: some therapist had to serve two
	// patients, so the processes really competed for people.
	seriesOf := map[int64]map[int64]bool{}
	for _, a := range stored {
		for _, s := range a.Staff {
			if s.Role == "therapist" {
				if seriesOf[s.ID] == nil {
					seriesOf[s.ID] = map[int64]bool{}
				}
				seriesOf[s.ID][a.Series] = true
			}
		}
	}
	shared := false
	for _, ss := range seriesOf {
		shared = shared || len(ss) > 1
	}
	if !shared {
		t.Fatalf("no therapist has two series (%v); the test did not make the processes compete", seriesOf)
	}
}

// bookAtOnce starts one `kapctl --json book` process per patient on the
// database at db, all before any is waited for, each as the desk and with
// the extra environment deskOf gives it, fails t unless every one
// succeeds, and returns what each printed.
func bookAtOnce(t *testing.T, bin, db string, patients []int64, deskOf func(i int) (string, []string)) []bytes.Buffer {
	t.Helper()
	cmds := make([]*exec.Cmd, len(patients))
	stdout := make([]bytes.Buffer, len(patients))
	stderr := make([]bytes.Buffer, len(patients))
	for i, p := range patients {
		desk, env := deskOf(i)
		cmds[i] = exec.Command(bin, "--db", db, "--now", testNow, "--as", desk, "--json",
			"book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01")
		cmds[i].Env = append(os.Environ(), env...)
		cmds[i].Stdout, cmds[i].Stderr = &stdout[i], &stderr[i]
	}
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatalf("process %d: %v", i+1, err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d (patient %d): %v; stderr=%q", i+1, patients[i], err, stderr[i].String())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return stdout
}

// turnover is how long a dosing room stays held after a dosing session
// (docs/protocols.md, `hold_after`): the room is cleaned and reset.
const turnover = 30 * time.Minute

// assertNoDoubleBooking fails the test if doubleBookings finds any.
func assertNoDoubleBooking(t *testing.T, list []appt) {
	t.Helper()
	if found := doubleBookings(list); len(found) > 0 {
		if len(found) > 10 {
			found = append(found[:10], fmt.Sprintf("and %d more", len(found)-10))
		}
		t.Fatalf("double bookings among %d appointments:\n%s", len(list), strings.Join(found, "\n"))
	}
}

// doubleBookings checks, pair by pair and without the planner, that no
// staff member, room or patient is in two active appointments at once, and
// describes each clash. A dosing appointment holds its room for the
// turnover after it ends.
func doubleBookings(list []appt) []string {
	var active []appt
	for _, a := range list {
		if a.Status != "cancelled" && a.Status != "late-cancelled" {
			active = append(active, a)
		}
	}
	overlap := func(s1, e1, s2, e2 time.Time) bool { return s1.Before(e2) && s2.Before(e1) }
	roomEnd := func(a appt) time.Time {
		if a.Kind == "dosing" {
			return a.End.Add(turnover)
		}
		return a.End
	}
	when := func(a appt, end time.Time) string {
		return fmt.Sprintf("%d (%s %s–%s)", a.ID, a.Kind, a.Start.Format("Mon 2 Jan 15:04"), end.Format("15:04"))
	}
	var found []string
	for i, a := range active {
		if !a.Start.Before(a.End) {
			found = append(found, fmt.Sprintf("appointment %s ends before it starts", when(a, a.End)))
		}
		for _, b := range active[i+1:] {
			if a.Patient == b.Patient && overlap(a.Start, a.End, b.Start, b.End) {
				found = append(found, fmt.Sprintf("patient %d: %s and %s", a.Patient, when(a, a.End), when(b, b.End)))
			}
			for _, s := range a.Staff {
				if b.hasStaff(s.ID) && overlap(a.Start, a.End, b.Start, b.End) {
					found = append(found, fmt.Sprintf("%s: %s and %s", s.Name, when(a, a.End), when(b, b.End)))
				}
			}
			if a.Room != nil && b.Room != nil && a.Room.ID == b.Room.ID && overlap(a.Start, roomEnd(a), b.Start, roomEnd(b)) {
				found = append(found, fmt.Sprintf("%s: %s and %s", a.Room.Name, when(a, roomEnd(a)), when(b, roomEnd(b))))
			}
		}
	}
	return found
}

// TestDoubleBookings checks the checker on hand-made appointments.
func TestDoubleBookings(t *testing.T) {
	t.Parallel()
	at := func(h, m int) time.Time { return time.Date(2027, 3, 4, h, m, 0, 0, time.FixedZone("EST", -5*3600)) }
	mk := func(id, patient int64, kind string, start time.Time, minutes int, staff []int64, room int64) appt {
		a := appt{ID: id, Patient: patient, Kind: kind, Start: start, End: start.Add(time.Duration(minutes) * time.Minute), Status: "booked"}
		for _, s := range staff {
			a.Staff = append(a.Staff, staffJSON{s, fmt.Sprintf("Staff %d", s), "therapist"})
		}
		if room != 0 {
			a.Room = &roomJSON{room, fmt.Sprintf("Room %d", room)}
		}
		return a
	}
	cancelled := mk(9, 3, "dosing", at(8, 0), 180, []int64{1}, 4)
	cancelled.Status = "late-cancelled"
	for _, tt := range []struct {
		name  string
		list  []appt
		clash int
	}{
		{"BackToBack", []appt{mk(1, 1, "consultation", at(8, 0), 90, []int64{1}, 1), mk(2, 2, "consultation", at(9, 30), 90, []int64{1}, 1)}, 0},
		{"StaffOverlap", []appt{mk(1, 1, "consultation", at(8, 0), 90, []int64{1, 5}, 1), mk(2, 2, "preparation", at(9, 0), 60, []int64{2, 5}, 2)}, 1},
		{"PatientOverlap", []appt{mk(1, 1, "dosing", at(8, 0), 180, []int64{1}, 4), mk(2, 1, "preparation", at(10, 0), 60, []int64{3}, 1)}, 1},
		{"RoomOverlap", []appt{mk(1, 1, "consultation", at(8, 0), 90, []int64{1}, 1), mk(2, 2, "consultation", at(9, 0), 90, []int64{2}, 1)}, 1},
		{"DosingTurnover", []appt{mk(1, 1, "dosing", at(8, 0), 180, []int64{1}, 4), mk(2, 2, "dosing", at(11, 15), 180, []int64{2}, 4)}, 1},
		{"AfterTurnover", []appt{mk(1, 1, "dosing", at(8, 0), 180, []int64{1}, 4), mk(2, 2, "dosing", at(11, 30), 180, []int64{2}, 4)}, 0},
		{"NoTurnoverAfterIntegration", []appt{mk(1, 1, "integration", at(8, 0), 60, []int64{1}, 4), mk(2, 2, "dosing", at(9, 0), 180, []int64{2}, 4)}, 0},
		{"VideoHasNoRoom", []appt{mk(1, 1, "integration", at(8, 0), 60, []int64{1}, 0), mk(2, 2, "integration", at(8, 0), 60, []int64{2}, 0)}, 0},
		{"CancelledHoldsNothing", []appt{cancelled, mk(2, 3, "dosing", at(8, 0), 180, []int64{1}, 4)}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := doubleBookings(tt.list); len(got) != tt.clash {
				t.Fatalf("clashes=%q, want %d", got, tt.clash)
			}
		})
	}
}
