package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kapbook/kapbook/internal/mailpittest"
	"github.com/kapbook/kapbook/internal/pgtest"
	"github.com/kapbook/kapbook/reminder"
)

// TestPostgres_TwelveDesks: three workstations (each its own home, data
// and config folders), four kapctl processes on each, book a whole series
// at the same moment on one PostgreSQL database. Every process books its
// series with the next free plan, the database holds exactly what they
// said, and no person, room or patient is booked twice.
func TestPostgres_TwelveDesks(t *testing.T) {
	bin := mustBuild(t)
	c := &clinic{t: t, path: pgtest.Shared(t), now: testNow, as: "front desk"}
	c.ok("init", "--demo")
	const desks, perDesk = 3, 4
	n := desks * perDesk
	var patients []int64
	for i := range n {
		patients = append(patients, c.addPatient(fmt.Sprintf("Patient %d", i+1), fmt.Sprintf("p%d@example.com", i+1)))
	}
	homes := make([]string, desks)
	for d := range homes {
		homes[d] = t.TempDir()
	}
	stdout := bookAtOnce(t, bin, c.path, patients, func(i int) (string, []string) {
		desk := homes[i/perDesk]
		return fmt.Sprintf("desk %d", i/perDesk+1), []string{"HOME=" + desk, "XDG_DATA_HOME=" + filepath.Join(desk, "data"), "XDG_CONFIG_HOME=" + filepath.Join(desk, "config")}
	})
	booked := map[int64]bookOut{}
	for i := range stdout {
		var b bookOut
		if err := json.Unmarshal(stdout[i].Bytes(), &b); err != nil || b.Series == nil || len(b.Appointments) != 15 {
			t.Fatalf("process %d: %v; stdout=%q", i+1, err, stdout[i].String())
		}
		booked[*b.Series] = b
	}
	var stored []appt
	c.json(&stored, "agenda", "--from", "2027-03-01", "--to", "2027-09-30")
	perSeries := map[int64]int{}
	byApp := byID(stored)
	for sid, b := range booked {
		for _, a := range b.Appointments {
			s, ok := byApp[a.ID]
			if !ok || s.Series != sid || !s.Start.Equal(a.Start) {
				t.Fatalf("series %d: appointment %d reported at %v is stored as %+v", sid, a.ID, a.Start, s)
			}
			perSeries[sid]++
		}
	}
	if len(perSeries) != n || len(stored) != 15*n {
		t.Fatalf("%d series and %d appointments stored, want %d and %d", len(perSeries), len(stored), n, 15*n)
	}
	assertNoDoubleBooking(t, stored)
}

// TestPostgres_ThreeDispatchers: three `kapctl remind` processes, each on
// a workstation of its own, share one PostgreSQL outbox: every due
// message reaches Mailpit once and is recorded sent once.
func TestPostgres_ThreeDispatchers(t *testing.T) {
	mp := mailpittest.Start(t)
	c := &clinic{t: t, path: pgtest.Shared(t), now: testNow, as: "front desk"}
	c.ok("init", "--demo")
	remindTogether(t, mp, mustBuild(t), c, 3)
}

// TestPostgres_RemindCrash: a `kapctl remind` killed (SIGKILL) mid-batch
// on PostgreSQL loses nothing and repeats at most the message in flight,
// as on a SQLite file (TestRemindCrash).
func TestPostgres_RemindCrash(t *testing.T) {
	mp := mailpittest.Start(t)
	c := &clinic{t: t, path: pgtest.Shared(t), now: testNow, as: "front desk"}
	c.ok("init", "--demo")
	remindCrash(t, mp, mustBuild(t), c, func(due int) int { return reminder.DefaultBatch + 30 })
}

// killDuringBooking starts kapctl book processes on the demo clinic c and
// kills each (SIGKILL) after a different short while, some before, some
// during and some after their transaction: every series is then stored
// whole (its 15 appointments, its audit entry) or not at all, and nobody
// is booked twice.
func killDuringBooking(t *testing.T, c *clinic) {
	bin := mustBuild(t)
	const n = 16
	var patients []int64
	for i := range n {
		patients = append(patients, c.addPatient(fmt.Sprintf("Killed %d", i+1), fmt.Sprintf("k%d@example.com", i+1)))
	}
	book := func(p int64) *exec.Cmd {
		return exec.Command(bin, "--db", c.path, "--now", testNow, "--as", "desk", "book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01")
	}
	// How long one booking takes from start to exit; the kills are spread
	// over a little more than that.
	began := time.Now()
	if out, err := book(c.addPatient("Timed", "timed@example.com")).CombinedOutput(); err != nil {
		t.Fatalf("a booking: %v\n%s", err, out)
	}
	whole := time.Since(began)
	killed := 0
	for i, p := range patients {
		cmd := book(p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(whole * time.Duration(i) / time.Duration(n-4))
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			killed++
		}
		cmd.Wait()
	}
	var stored []appt
	c.json(&stored, "agenda", "--from", "2027-03-01", "--to", "2027-12-31")
	perSeries := map[int64]int{}
	for _, a := range stored {
		perSeries[a.Series]++
	}
	for sid, k := range perSeries {
		if k != 15 {
			t.Errorf("series %d has %d appointments, want all 15 or none", sid, k)
		}
	}
	var audit []struct {
		Action   string `json:"action"`
		SeriesID int64  `json:"series_id"`
	}
	c.json(&audit, "audit")
	booked := -1 // the timed one
	for _, e := range audit {
		if e.Action == "book" {
			booked++
			if perSeries[e.SeriesID] != 15 {
				t.Errorf("the audit records series %d booked, which holds %d appointments", e.SeriesID, perSeries[e.SeriesID])
			}
		}
	}
	if booked != len(perSeries)-1 {
		t.Errorf("%d series stored, %d booked in the audit", len(perSeries), booked)
	}
	assertNoDoubleBooking(t, stored)
	if len(perSeries) == 1 || len(perSeries) == n+1 {
		// Timing on a busy machine: the kills may all miss the
		// transaction; the checks above then prove less, not nothing.
		t.Logf("all %d or none of the killed bookings were stored: the kills came %s a booking of %v", n,
			map[bool]string{true: "after", false: "before"}[len(perSeries) == n+1], whole)
	}
	t.Logf("a booking takes %v; %d processes killed, %d series stored whole", whole, killed, len(perSeries)-1)
	// The database is still usable after the kills.
	c.ok("book", "--patient", str(c.addPatient("After", "after@example.com")), "--protocol", "kap-standard", "--from", "2027-03-01")
}

// TestKillDuringBooking, on a SQLite file and on PostgreSQL.
func TestKillDuringBooking(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { killDuringBooking(t, mustDemo(t)) })
	t.Run("PostgreSQL", func(t *testing.T) {
		c := &clinic{t: t, path: pgtest.Shared(t), now: testNow, as: "front desk"}
		c.ok("init", "--demo")
		killDuringBooking(t, c)
	})
}
