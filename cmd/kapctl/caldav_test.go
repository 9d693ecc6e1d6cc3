package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
	"github.com/kapbook/kapbook/internal/secret"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/store"
)

// caldavClinic books n kap-standard series with therapist 1 of the demo
// clinic c from the day after testNow.
func caldavClinic(t *testing.T, c *clinic, n int) {
	t.Helper()
	for i := range n {
		p := c.addPatient(fmt.Sprintf("Sync Patient %d", i+1), fmt.Sprintf("sync%d@example.org", i+1))
		c.book(p, "--therapist", "1", "--from", time.Date(2027, 3, 2+i%20, 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
	}
}

// storedEvents returns the events Radicale keeps on disk in the calendar
// collection, by file name, and when each was last written.
func storedEvents(t *testing.T, srv *davtest.Server) map[string]time.Time {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(srv.Dir, "collections", "collection-root", srv.User, "*", "*.ics"))
	out := map[string]time.Time{}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			out[filepath.Base(f)] = fi.ModTime()
		}
	}
	return out
}

// killWhen starts cmd and kills it (SIGKILL) as soon as done reports
// true, checking every few milliseconds; it fails t if cmd ends first.
func killWhen(t *testing.T, cmd *exec.Cmd, done func() bool) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(3 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("kapctl ended (%v) before it could be killed mid-push", err)
		default:
		}
		if done() {
			cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			return
		}
	}
	cmd.Process.Kill()
	t.Fatal("kapctl never got far enough to be killed")
}

// serverCopies returns, by appointment id, how many events of kapbook's
// the server holds and the start of the last, read from the stored files
// with calendar.ImportBusy.
func serverCopies(t *testing.T, srv *davtest.Server, instance string, loc *time.Location) (map[int64]int, map[int64]time.Time) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(srv.Dir, "collections", "collection-root", srv.User, "*", "*.ics"))
	count, start := map[int64]int{}, map[int64]time.Time{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		for _, line := range strings.Split(string(b), "\n") {
			if uid, ok := strings.CutPrefix(strings.TrimSpace(line), "UID:"); ok && strings.HasSuffix(uid, "-"+instance+"@kapbook") {
				fmt.Sscanf(uid, "%d-", &id)
			}
		}
		if id == 0 {
			continue
		}
		busy, err := calendar.ImportBusy(strings.NewReader(string(b)), calendar.ImportOptions{Clinic: loc, From: time.Date(2027, 1, 1, 0, 0, 0, 0, loc), To: time.Date(2028, 6, 1, 0, 0, 0, 0, loc)})
		if err != nil || len(busy) != 1 {
			t.Fatalf("%s: %d busy times, %v", f, len(busy), err)
		}
		count[id]++
		start[id] = busy[0].Start
	}
	return count, start
}

// TestCalDAVCrash kills `kapctl caldav sync` (SIGKILL) in the middle of
// its first push of 200 appointments to Radicale, and again in the middle
// of pushing 20 moves, and proves after each restart that the server
// holds every appointment exactly once, at kapbook's times: no duplicate,
// no lost update.
func TestCalDAVCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes hundreds of events twice")
	}
	srv := davtest.Radicale(t, "tara", "")
	bin := mustBuild(t)
	c := mustDemo(t)
	caldavClinic(t, c, 14)
	c.ok("busy", "allow-host", "127.0.0.1")
	// Connect without a first push: connect's own sync is the first run,
	// killed once the server holds 60 events.
	connect := exec.Command(bin, "--db", c.path, "--now", c.now, "caldav", "connect", "--staff", "1", "--user", "tara", "--no-password", "--new", "kapbook", srv.URL)
	killWhen(t, connect, func() bool { return len(storedEvents(t, srv)) >= 60 })

	ctx := context.Background()
	db, err := store.Open(c.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	instance, _ := db.InstanceID(ctx)
	clinicRow, _ := db.Clinic(ctx)
	loc := clinicRow.Location()
	items, _ := db.CalDAVItems(ctx, 1)
	onServer := len(storedEvents(t, srv))
	if len(items) >= onServer {
		t.Logf("the kill came after every stored event was recorded (%d items, %d on the server)", len(items), onServer)
	}
	check := func(when string) {
		t.Helper()
		want, err := db.Appointments(ctx, booking.AppointmentFilter{StaffID: 1})
		if err != nil {
			t.Fatal(err)
		}
		count, start := serverCopies(t, srv, instance, loc)
		live := 0
		for _, a := range want {
			if a.Status == booking.Cancelled {
				if count[a.ID] != 0 {
					t.Errorf("%s: cancelled appointment %d is still on the server", when, a.ID)
				}
				continue
			}
			live++
			switch {
			case count[a.ID] != 1:
				t.Errorf("%s: appointment %d is on the server %d times, want once", when, a.ID, count[a.ID])
			case !start[a.ID].Equal(a.Start):
				t.Errorf("%s: appointment %d starts %s on the server, %s in kapbook (a lost update)", when, a.ID, start[a.ID], a.Start)
			}
		}
		if live < 200 {
			t.Fatalf("%s: therapist 1 has %d appointments, want at least 200", when, live)
		}
	}
	c.ok("caldav", "sync", "--staff", "1")
	check("after the first push was killed and run again")

	// Move 20 appointments, then kill the push of those moves half-way.
	svc := &booking.Service{Store: db, Now: func() time.Time { t0, _ := time.Parse(time.RFC3339, c.now); return t0 }, Actor: "front desk"}
	appts, _ := db.Appointments(ctx, booking.AppointmentFilter{StaffID: 1})
	moved := 0
	for _, a := range appts {
		if moved == 20 || a.Kind != "integration" || a.Status == booking.Cancelled {
			continue
		}
		sug, err := svc.Suggest(ctx, a.ID, 3)
		if err != nil || len(sug.Alternatives) == 0 {
			continue
		}
		if _, err := svc.Reschedule(ctx, a.ID, sug.Alternatives[len(sug.Alternatives)-1].Start, false); err == nil {
			moved++
		}
	}
	if moved < 20 {
		t.Fatalf("moved %d appointments, want 20", moved)
	}
	before := storedEvents(t, srv)
	changedSince := func() int {
		n := 0
		for name, mod := range storedEvents(t, srv) {
			if mod.After(before[name]) {
				n++
			}
		}
		return n
	}
	killWhen(t, exec.Command(bin, "--db", c.path, "--now", c.now, "caldav", "sync", "--staff", "1"), func() bool { return changedSince() >= 5 })
	if n := changedSince(); n >= 20 {
		t.Logf("the kill came after all %d moves were on the server", n)
	}
	c.ok("caldav", "sync", "--staff", "1")
	check("after the push of 20 moves was killed and run again")
}

// TestCalDAVFailures: a wrong password and a server that is down get
// plain words, change nothing they should not, and the sync log says
// when the server is back.
func TestCalDAVFailures(t *testing.T) {
	was := secret.Mocked()
	reminder.MockKeyring()
	t.Cleanup(func() { secret.SetMocked(was) })
	srv := davtest.Radicale(t, "tara", "right horse battery")
	c := mustDemo(t)
	caldavClinic(t, c, 2)

	// Before the clinic allows the loopback host, kapbook refuses it.
	stdin = strings.NewReader("right horse battery\n")
	r := c.run("caldav", "connect", "--staff", "1", "--user", "tara", "--new", "kapbook", srv.URL)
	stdin = os.Stdin
	if r.code != exitUsage || !strings.Contains(r.stderr, "this computer") {
		t.Errorf("loopback server before it is allowed: code %d, %q", r.code, r.stderr)
	}
	c.ok("busy", "allow-host", "127.0.0.1")

	stdin = strings.NewReader("wrong horse\n")
	r = c.run("caldav", "connect", "--staff", "1", "--user", "tara", "--new", "kapbook", srv.URL)
	stdin = os.Stdin
	if r.code != exitUsage || !strings.Contains(r.stderr, "refused the user name or password") || strings.Contains(r.stderr, "wrong horse") {
		t.Errorf("wrong password: code %d, %q", r.code, r.stderr)
	}
	if out := c.ok("caldav", "list"); !strings.Contains(out, "No staff member has a calendar connected") {
		t.Errorf("a refused connect stored something:\n%s", out)
	}

	stdin = strings.NewReader("right horse battery\n")
	out := c.ok("caldav", "connect", "--staff", "1", "--user", "tara", "--new", "kapbook", srv.URL)
	stdin = os.Stdin
	if !strings.Contains(out, "Connected Dr. Ana Reyes (staff 1)") || !strings.Contains(out, "Sent ") {
		t.Errorf("connect:\n%s", out)
	}

	srv.Stop()
	r = c.run("caldav", "sync")
	if r.code != exitStore || !strings.Contains(r.stderr, "could not be synced") || !strings.Contains(r.stdout, "could not be reached") {
		t.Errorf("sync with the server down: code %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	log := c.ok("caldav", "log", "--staff", "1")
	if !strings.Contains(log, "could not be reached") || !strings.Contains(log, "kapbook tries again from") {
		t.Errorf("sync log with the server down:\n%s", log)
	}
	srv.Restart(t)
	c.ok("caldav", "sync")
	if log := c.ok("caldav", "log", "--staff", "1"); !strings.Contains(log, "In touch with the server again.") {
		t.Errorf("sync log after the server came back:\n%s", log)
	}

	// Disconnecting asks first; without a terminal it needs --yes.
	r = c.run("caldav", "disconnect", "--staff", "1")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("disconnect without --yes: code %d, %q", r.code, r.stderr)
	}
	out = c.ok("caldav", "disconnect", "--staff", "1", "--yes")
	if !strings.Contains(out, "The calendar kapbook made was deleted from the server.") {
		t.Errorf("disconnect:\n%s", out)
	}
	if n := len(storedEvents(t, srv)); n != 0 {
		t.Errorf("%d events left on the server after disconnecting", n)
	}
}

// TestServeSyncsCalDAV: while `kapctl serve` runs, a series booked by
// another kapctl reaches the therapist's CalDAV calendar by itself.
func TestServeSyncsCalDAV(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "")
	bin := mustBuild(t)
	c := mustDemo(t)
	c.ok("busy", "allow-host", "127.0.0.1")
	c.ok("caldav", "connect", "--staff", "1", "--user", "tara", "--no-password", "--new", "kapbook", srv.URL)
	before := len(storedEvents(t, srv))
	serve := exec.Command(bin, "--db", c.path, "--now", c.now, "serve", "--addr", "127.0.0.1:0")
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(syscall.SIGTERM)
		serve.Wait()
	}()
	p := c.addPatient("Served Patient", "served@example.org")
	booked := c.book(p, "--therapist", "1")
	mine := 0
	for _, a := range booked.Appointments {
		for _, s := range a.Staff {
			if s.ID == 1 {
				mine++
			}
		}
	}
	deadline := time.Now().Add(time.Minute)
	for len(storedEvents(t, srv)) < before+mine {
		if time.Now().After(deadline) {
			t.Fatalf("%d events on the server a minute after booking, want %d", len(storedEvents(t, srv)), before+mine)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCalDAVPasswordFile: on a computer without a keyring (a server
// running kapctl serve), a calendar's password comes from the file
// KAPBOOK_CALDAV_PASSWORDS names, which must be its owner's alone; the
// keyring is neither asked nor needed.
func TestCalDAVPasswordFile(t *testing.T) {
	was := secret.Mocked()
	secret.SetMocked(false)
	t.Cleanup(func() { secret.SetMocked(was) })
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	srv := davtest.Radicale(t, "tara", "horse battery staple")
	c := mustDemo(t)
	c.ok("busy", "allow-host", "127.0.0.1")

	r := c.run("caldav", "connect", "--staff", "1", "--user", "tara", "--new", "kapbook", srv.URL)
	if r.code != exitStore || !strings.Contains(r.stderr, "no keyring") || !strings.Contains(r.stderr, caldav.PasswordsEnv) {
		t.Fatalf("without a keyring or a password file: code %d, %q", r.code, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "caldav-passwords")
	if err := os.WriteFile(file, []byte("# kapbook's CalDAV passwords\nsam@elsewhere.example other\ntara@"+srv.Host+" horse battery staple\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(caldav.PasswordsEnv, file)
	r = c.run("caldav", "connect", "--staff", "1", "--user", "tara", "--new", "kapbook", srv.URL)
	if r.code != exitUsage || !strings.Contains(r.stderr, "chmod 600 "+file) || strings.Contains(r.stderr, "staple") {
		t.Fatalf("a password file others may read: code %d, %q", r.code, r.stderr)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	out := c.ok("caldav", "connect", "--staff", "1", "--user", "tara", "--new", "kapbook", srv.URL)
	if !strings.Contains(out, "Sent ") {
		t.Fatalf("connect with the password file:\n%s", out)
	}
	p := c.addPatient("Filed Patient", "filed@example.org")
	c.book(p, "--therapist", "1")
	out = c.ok("caldav", "sync", "--staff", "1")
	if !strings.Contains(out, "ok") {
		t.Fatalf("sync with the password file:\n%s", out)
	}
	if n := len(storedEvents(t, srv)); n == 0 {
		t.Fatal("nothing on the server")
	}
}
