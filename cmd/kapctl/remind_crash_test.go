package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/mailpittest"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// crashClinic books the demo clinic's sample patients and a few more in
// the demo database at path, with reminders and preparation messages due
// 120 days ahead so that, at the returned moment (a day before the first
// appointment), every message of every series is due and none is late.
// It returns that moment and how many messages are due then.
func crashClinic(t *testing.T, path string) (time.Time, int) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loc := c.Location()
	booked := time.Date(2027, 1, 4, 9, 0, 0, 0, loc)
	policy := booking.DefaultMessagePolicy()
	policy.ReminderBefore, policy.PreparationBefore = 120*24*time.Hour, 120*24*time.Hour
	svc := &booking.Service{Store: db, Now: func() time.Time { return booked }, Actor: "crash test", Messages: &policy}
	from := booking.DateOf(booked.AddDate(0, 0, 121))
	if _, err := resources.BookSamples(ctx, svc, len(resources.SamplePatients), from); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		p := &booking.Patient{Name: fmt.Sprintf("Extra Patient %d", i+1), Email: fmt.Sprintf("extra%d@example.org", i+1)}
		if err := svc.AddPatient(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-iv", From: from + booking.Date(i)}); err != nil {
			t.Fatalf("booking extra patient %d: %v", i+1, err)
		}
	}
	appts, err := db.Appointments(ctx, booking.AppointmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	first := appts[0].Start
	for _, a := range appts {
		if a.Start.Before(first) {
			first = a.Start
		}
	}
	now := first.Add(-24 * time.Hour)
	msgs, err := db.Outbox(ctx, booking.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.State != booking.OutboxPending || m.Due.After(now) {
			t.Fatalf("message %d (%s) is %s, due %v; want every message pending and due by %v", m.ID, m.Kind, m.State, m.Due, now)
		}
	}
	return now, len(msgs)
}

// TestRemindCrash kills a `kapctl remind` process (SIGKILL) while it is
// sending a few hundred messages to Mailpit, in its first, a middle and
// its last batch, then runs it again past reminder.StaleSending, and
// proves through Mailpit's API that every due message arrived exactly
// once, except at most the one in flight when the process died, which may
// have arrived twice; and that the outbox shows every message sent.
func TestRemindCrash(t *testing.T) {
	mp := mailpittest.Start(t)
	bin := mustBuild(t)
	for _, tc := range []struct {
		name string
		at   func(due int) int // kill once Mailpit holds this many
	}{
		{"FirstBatch", func(due int) int { return 20 }},
		{"MiddleBatch", func(due int) int { return reminder.DefaultBatch + 30 }},
		{"LastBatch", func(due int) int { return due - 40 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp.DeleteAll(t)
			remindCrash(t, mp, bin, mustDemo(t), tc.at)
		})
	}
}

// remindCrash is TestRemindCrash's proof on the demo clinic c, which
// holds no messages yet.
func remindCrash(t *testing.T, mp *mailpittest.Server, bin string, c *clinic, at func(due int) int) {
	now, due := crashClinic(t, c.path)
	if due < 2*reminder.DefaultBatch+50 {
		t.Fatalf("%d messages due, want a few hundred", due)
	}
	c.ok("email", "set", "--transport", "smtp", "--host", "127.0.0.1", "--port", strconv.Itoa(mp.SMTPPort), "--security", "none",
		"--from", "appointments@harbor.example", "--from-name", "Harbor Clinic")

	// The first run, killed once Mailpit holds at(due) messages.
	cmd := exec.Command(bin, "--db", c.path, "--now", now.Format(time.RFC3339), "--as", "crash test", "remind")
	cmd.Dir = t.TempDir()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	killed := false
	for !killed {
		select {
		case err := <-exited:
			t.Fatalf("kapctl remind finished (%v) before it could be killed, with %d of %d messages in Mailpit:\n%s", err, mp.Count(t), due, out.String())
		case <-time.After(2 * time.Millisecond):
		}
		if mp.Count(t) >= at(due) {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("kapctl remind: %v, want killed", err)
	}
	// The message in flight may still be landing in Mailpit's store after
	// the kill: count once the number has settled.
	atKill := mp.Count(t)
	for settle := time.Now().Add(3 * time.Second); time.Now().Before(settle); {
		time.Sleep(200 * time.Millisecond)
		n := mp.Count(t)
		if n == atKill {
			break
		}
		atKill = n
	}
	var mid []booking.OutboxMessage
	c.json(&mid, "outbox", "list")
	states := map[string]int{}
	claimed := map[int64]bool{} // claimed by the killed run, not recorded
	for _, m := range mid {
		states[m.State]++
		claimed[m.ID] = m.State == booking.OutboxSending
	}
	if atKill >= due || states[booking.OutboxSending] == 0 || states[booking.OutboxSent] == 0 {
		t.Fatalf("killed with %d of %d messages in Mailpit and outbox states %v; want the run cut short mid-batch", atKill, due, states)
	}
	if states[booking.OutboxSent] < atKill-1 {
		t.Fatalf("outbox records %d sent, Mailpit holds %d: more than the one in flight went unrecorded", states[booking.OutboxSent], atKill)
	}

	// Before StaleSending, another run must not touch the claimed ones.
	remindProcess(t, bin, c.path, now.Add(reminder.StaleSending-time.Minute))
	if n := mp.Count(t); n != atKill+states[booking.OutboxPending] {
		t.Fatalf("a run within StaleSending: Mailpit holds %d, want %d (the ones not yet claimed)", n, atKill+states[booking.OutboxPending])
	}

	// Past StaleSending: the rest goes out.
	remindProcess(t, bin, c.path, now.Add(reminder.StaleSending+time.Minute))
	var final []booking.OutboxMessage
	c.json(&final, "outbox", "list")
	if len(final) != due {
		t.Fatalf("outbox holds %d messages, want %d", len(final), due)
	}
	recorded := map[string]bool{}
	inFlight := map[string]bool{} // Message-IDs of the messages the killed run had claimed
	recovered := 0
	for _, m := range final {
		if m.State != booking.OutboxSent || m.MessageID == "" {
			t.Fatalf("message %d (%s): state %s, Message-ID %q; want sent", m.ID, m.Kind, m.State, m.MessageID)
		}
		recorded[strings.Trim(m.MessageID, "<>")] = true
		inFlight[strings.Trim(m.MessageID, "<>")] = claimed[m.ID]
		if strings.Contains(m.Note, "did not finish") {
			recovered++
		}
	}
	if recovered != states[booking.OutboxSending] {
		t.Fatalf("%d messages recovered from the killed run, want %d", recovered, states[booking.OutboxSending])
	}

	// Every recorded message arrived once; anything else is the one in
	// flight: a repeat (same patient, same subject) of a message the
	// killed run had claimed and not recorded.
	got := mp.Messages(t, "")
	seen := map[string]int{}
	key := func(s mailpittest.Summary) string {
		var to []string
		for _, a := range s.To {
			to = append(to, a.Address)
		}
		return strings.Join(to, ",") + " " + s.Subject
	}
	keys := map[string]bool{}
	var extra []mailpittest.Summary
	for _, s := range got {
		if recorded[s.MessageID] {
			seen[s.MessageID]++
			keys[key(s)] = keys[key(s)] || inFlight[s.MessageID]
		} else {
			extra = append(extra, s)
		}
	}
	for id := range recorded {
		if seen[id] != 1 {
			t.Errorf("message %s arrived %d times, want once", id, seen[id])
		}
	}
	if len(extra) > 1 {
		t.Fatalf("%d messages arrived that the outbox does not record, want at most the one in flight: %+v", len(extra), extra)
	}
	for _, s := range extra {
		if !keys[key(s)] {
			t.Fatalf("message %q to %v arrived but is not a repeat of one the killed run had claimed", s.Subject, s.To)
		}
	}
	if len(got) != due+len(extra) {
		t.Fatalf("Mailpit holds %d messages, want %d due + %d repeated", len(got), due, len(extra))
	}
	t.Logf("killed at %d of %d messages (%d claimed, unrecorded); %d repeated", atKill, due, states[booking.OutboxSending], len(extra))
}

// remindProcess runs `kapctl remind --now at` as a process to the end,
// and fails t unless it succeeds.
func remindProcess(t *testing.T, bin, db string, at time.Time) {
	t.Helper()
	cmd := exec.Command(bin, "--db", db, "--now", at.Format(time.RFC3339), "--as", "crash test", "remind")
	cmd.Dir = t.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kapctl remind --now %s: %v\n%s", at.Format(time.RFC3339), err, out)
	}
}

// TestRemindTwoProcesses runs two `kapctl remind` processes on one
// database at the same moment, as the desktop app and a server's
// `kapctl remind --watch` would: every due message reaches Mailpit
// exactly once, and the outbox records each sent once.
func TestRemindTwoProcesses(t *testing.T) {
	remindTogether(t, mailpittest.Start(t), mustBuild(t), mustDemo(t), 2)
}

// remindTogether starts n `kapctl remind` processes at once on the demo
// clinic c, each from a workstation of its own (home and data folders),
// and proves that every due message arrived once and is recorded sent
// once.
func remindTogether(t *testing.T, mp *mailpittest.Server, bin string, c *clinic, n int) {
	now, due := crashClinic(t, c.path)
	c.ok("email", "set", "--transport", "smtp", "--host", "127.0.0.1", "--port", strconv.Itoa(mp.SMTPPort), "--security", "none",
		"--from", "appointments@harbor.example", "--from-name", "Harbor Clinic")
	var cmds []*exec.Cmd
	outs := make([]*strings.Builder, n)
	for i := range outs {
		cmd := exec.Command(bin, "--db", c.path, "--now", now.Format(time.RFC3339), "--as", "process "+strconv.Itoa(i+1), "--json", "remind")
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "HOME="+cmd.Dir, "XDG_DATA_HOME="+cmd.Dir+"/data", "XDG_CONFIG_HOME="+cmd.Dir+"/config")
		outs[i] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	sentBy := make([]int, n)
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i+1, err, outs[i])
		}
		var done []booking.OutboxMessage
		if err := json.Unmarshal([]byte(outs[i].String()), &done); err != nil {
			t.Fatalf("process %d: %v\n%s", i+1, err, outs[i])
		}
		for _, m := range done {
			if m.State == booking.OutboxSent {
				sentBy[i]++
			}
		}
	}
	var final []booking.OutboxMessage
	c.json(&final, "outbox", "list")
	ids := map[string]int{}
	for _, s := range mp.Messages(t, "") {
		ids[s.MessageID]++
	}
	for _, m := range final {
		if m.State != booking.OutboxSent || m.Attempts != 1 || ids[strings.Trim(m.MessageID, "<>")] != 1 {
			t.Fatalf("message %d: %s after %d attempts, arrived %d times; want sent once", m.ID, m.State, m.Attempts, ids[strings.Trim(m.MessageID, "<>")])
		}
	}
	total := 0
	for _, k := range sentBy {
		total += k
	}
	if got := mp.Count(t); got != due || total != due {
		t.Fatalf("Mailpit holds %d, the processes sent %v, want %d in all", got, sentBy, due)
	}
	t.Logf("%d messages, sent by the processes: %v", due, sentBy)
}
