package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
	cmds := make([]*exec.Cmd, n)
	stdout := make([]bytes.Buffer, n)
	stderr := make([]bytes.Buffer, n)
	for i, p := range patients {
		desk := filepath.Join(t.TempDir(), fmt.Sprintf("desk%d", i/perDesk+1))
		cmds[i] = exec.Command(bin, "--db", c.path, "--now", testNow, "--as", fmt.Sprintf("desk %d", i/perDesk+1), "--json",
			"book", "--patient", str(p), "--protocol", "kap-standard", "--from", "2027-03-01")
		cmds[i].Env = append(os.Environ(), "HOME="+desk, "XDG_DATA_HOME="+filepath.Join(desk, "data"), "XDG_CONFIG_HOME="+filepath.Join(desk, "config"))
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
	booked := map[int64]bookOut{}
	for i := range cmds {
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
