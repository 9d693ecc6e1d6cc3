package outbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// revealing matches what docs/privacy.md says no patient email may contain.
var revealing = regexp.MustCompile(`(?i)ketamine|spravato|dosing|infusion|psychedelic|psychotherap|\bkap\b`)

func open(f *kittest.Fixture) *View {
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	v.Refresh()
	return v
}

// fail marks the patient's first pending message failed with reason.
func fail(t *testing.T, f *kittest.Fixture, patientID int64, reason string) *booking.OutboxMessage {
	t.Helper()
	ctx := context.Background()
	msgs, err := f.DB.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxPending, PatientID: patientID})
	if err != nil || len(msgs) == 0 {
		t.Fatalf("pending messages=%d, err=%v", len(msgs), err)
	}
	m := msgs[0]
	m.State, m.Attempts, m.LastError, m.Updated = booking.OutboxFailed, 8, reason, kittest.Now
	if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

func stored(t *testing.T, f *kittest.Fixture, filter booking.OutboxFilter) []*booking.OutboxMessage {
	t.Helper()
	msgs, err := f.DB.Outbox(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestOutbox_FilterByState(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	failed := fail(t, f, f.Patients[1].ID, "reminder: RCPT TO <blake.morgan@example.org>: 550 5.1.1 mailbox unavailable")
	// A patient who asked for no email: everything for them is skipped.
	today := booking.DateOf(kittest.Now)
	quiet := &booking.Patient{Name: "Quinn Silent", Email: "quinn@example.org", Consents: booking.Consents{NoEmail: &today}}
	if err := f.Env.Service.AddPatient(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Env.Service.BookSeries(ctx, booking.BookRequest{PatientID: quiet.ID, ProtocolID: "kap-iv", From: today + 1}); err != nil {
		t.Fatal(err)
	}
	v := open(f)
	if got, want := len(v.Rows), len(stored(t, f, booking.OutboxFilter{})); got != want || want == 0 {
		t.Fatalf("rows=%d with All, want %d (stored)", got, want)
	}
	for _, tc := range []struct {
		filter, state string
		want          string // in every row
	}{
		{"Pending", booking.OutboxPending, "| Pending |"},
		{"Failed", booking.OutboxFailed, "550 5.1.1 mailbox unavailable"},
		{"Skipped", booking.OutboxSkipped, "Not sent: patient asked for no email"},
		{"Sent", booking.OutboxSent, ""},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			v.Filter.SetSelected(tc.filter)
			want := stored(t, f, booking.OutboxFilter{State: tc.state})
			if len(v.Rows) != len(want) {
				t.Fatalf("rows=%d, want %d (stored %s)", len(v.Rows), len(want), tc.state)
			}
			for i, r := range v.Rows {
				if !strings.Contains(r, tc.want) || !strings.Contains(r, stateWords(tc.state)) {
					t.Fatalf("row %d=%q, want %q", i, r, tc.want)
				}
			}
			if !strings.HasPrefix(v.Count.Text, fmt.Sprintf("%d message", len(want))) || !strings.Contains(v.Count.Text, tc.state) {
				t.Fatalf("count=%q, want the %s count", v.Count.Text, tc.state)
			}
		})
	}

	t.Run("SelectShowsAllStates", func(t *testing.T) {
		v.Filter.SetSelected("Sent")
		v.Select(failed.ID)
		if v.Filter.Selected != "All" || v.selected != failed.ID {
			t.Fatalf("filter=%s selected=%d, want All and %d", v.Filter.Selected, v.selected, failed.ID)
		}
		if !strings.Contains(v.Reason.Text, "Why it failed: RCPT TO <blake.morgan@example.org>: 550 5.1.1 mailbox unavailable") {
			t.Fatalf("reason=%q, want the failure in full", v.Reason.Text)
		}
	})

	t.Run("RetryMakesItPending", func(t *testing.T) {
		v.Select(failed.ID)
		if v.Retry.Hidden {
			t.Fatal("Retry hidden for a failed message")
		}
		test.Tap(v.Retry)
		for _, m := range stored(t, f, booking.OutboxFilter{PatientID: failed.PatientID}) {
			if m.ID == failed.ID && (m.State != booking.OutboxPending || m.Attempts != 0) {
				t.Fatalf("after Retry: state=%s attempts=%d, want pending 0", m.State, m.Attempts)
			}
		}
		if !strings.Contains(v.Result.Text, "queued again") || v.selected != failed.ID || !strings.Contains(v.Info.Text, "State: pending") {
			t.Fatalf("result=%q selected=%d info=%q, want the retry in words and the message still selected, now pending", v.Result.Text, v.selected, v.Info.Text)
		}
		if !v.Retry.Hidden {
			t.Fatal("Retry still shown for a pending message")
		}
	})

	t.Run("SkippedShowsWhy", func(t *testing.T) {
		skipped := stored(t, f, booking.OutboxFilter{State: booking.OutboxSkipped})
		v.Select(skipped[0].ID)
		if !strings.Contains(v.Reason.Text, "patient asked for no email") || !strings.Contains(v.NoPreview.Text, "patient asked for no email") {
			t.Fatalf("reason=%q preview=%q, want why it was not sent", v.Reason.Text, v.NoPreview.Text)
		}
	})
}

func TestOutbox_Preview(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	v := open(f)
	for _, m := range stored(t, f, booking.OutboxFilter{PatientID: f.Patients[1].ID}) {
		if m.Kind != booking.MessageConfirmation && m.Kind != booking.MessagePreparation {
			continue
		}
		t.Run(m.Kind, func(t *testing.T) {
			v.Select(m.ID)
			if v.selected != m.ID || v.To.Hidden || v.Subject.Hidden {
				t.Fatalf("selected=%d to hidden=%v, want message %d previewed (no preview: %q)", v.selected, v.To.Hidden, m.ID, v.NoPreview.Text)
			}
			if v.To.Text != "To: <blake.morgan@example.org>" {
				t.Fatalf("to=%q, want Blake Morgan's address", v.To.Text)
			}
			if len(v.Subject.Text) <= len("Subject: ") || !strings.Contains(v.Method.Text, "METHOD:REQUEST") {
				t.Fatalf("subject=%q method=%q, want a subject and METHOD:REQUEST", v.Subject.Text, v.Method.Text)
			}
			if m.Kind == booking.MessagePreparation && !strings.HasPrefix(v.About.Text, "About: Infusion") {
				t.Fatalf("about=%q, want the infusion it prepares for", v.About.Text)
			}
			if len(v.Text.Text) < 40 {
				t.Fatalf("text=%q, want the plain-text part", v.Text.Text)
			}
			for _, s := range []string{v.Subject.Text, v.Text.Text, v.Method.Text} {
				if w := revealing.FindString(s); w != "" {
					t.Fatalf("preview says %q: %q", w, s)
				}
			}
		})
	}
	if v.selected == 0 {
		t.Fatal("no confirmation or preparation message to preview")
	}
}

func TestOutbox_SendNow(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 3, Booked: true})
	_, tr, err := reminder.Setup(ctx, f.DB, f.Env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := tr.(reminder.EMLDir).Dir
	due := stored(t, f, booking.OutboxFilter{State: booking.OutboxPending, DueBefore: kittest.Now.Add(time.Second)})
	if len(due) < 3 {
		t.Fatalf("due messages=%d, want at least the 3 confirmations", len(due))
	}
	n := len(due)
	v := open(f)
	test.Tap(v.SendNow)
	if !strings.Contains(v.Result.Text, fmt.Sprintf("Sent %d messages", n)) || !strings.Contains(v.Result.Text, dir) {
		t.Fatalf("result=%q, want %d sent as .eml files to %s", v.Result.Text, n, dir)
	}
	for _, m := range due {
		var got *booking.OutboxMessage
		for _, x := range stored(t, f, booking.OutboxFilter{PatientID: m.PatientID}) {
			if x.ID == m.ID {
				got = x
			}
		}
		if got == nil || got.State != booking.OutboxSent || got.MessageID == "" {
			t.Fatalf("message %d=%+v, want sent with a Message-ID", m.ID, got)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != n {
		t.Fatalf(".eml files=%d, want %d", len(files), n)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if w := revealing.FindString(string(b)); w != "" {
		t.Fatalf(".eml file says %q", w)
	}
	if v.Filter.SetSelected("Sent"); len(v.Rows) != n {
		t.Fatalf("sent rows=%d, want %d", len(v.Rows), n)
	}

	test.Tap(v.SendNow)
	if !strings.Contains(v.Result.Text, "No message was due") {
		t.Fatalf("second send: result=%q, want nothing due", v.Result.Text)
	}
}

func TestOutbox_Cancellation(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 1, Booked: true})
	// An appointment with a pending reminder, which the cancellation cancels.
	var a *booking.Appointment
	for _, m := range stored(t, f, booking.OutboxFilter{State: booking.OutboxPending}) {
		if m.Kind == booking.MessageReminder && a == nil {
			for _, x := range f.Series[0].Appts {
				if x.ID == m.AppointmentID {
					a = x
				}
			}
		}
	}
	if a == nil {
		t.Fatal("no appointment with a pending reminder")
	}
	if _, err := f.Env.Service.Cancel(ctx, booking.CancelRequest{AppointmentID: a.ID, By: booking.ByPatient, Reason: "patient is unwell"}); err != nil {
		t.Fatal(err)
	}
	v := open(f)
	var notice, reminderOf *booking.OutboxMessage
	for _, m := range stored(t, f, booking.OutboxFilter{AppointmentID: a.ID}) {
		switch {
		case m.Kind == booking.MessageCancellation:
			notice = m
		case m.Kind == booking.MessageReminder && m.State == booking.OutboxCancelled:
			reminderOf = m
		}
	}
	if notice == nil || reminderOf == nil {
		t.Fatalf("cancellation=%v cancelled reminder=%v, want both stored", notice, reminderOf)
	}

	v.Select(notice.ID)
	if !strings.Contains(v.Method.Text, "METHOD:CANCEL") || v.Method.Hidden || !strings.Contains(v.About.Text, "late-cancelled") && !strings.Contains(v.About.Text, "cancelled") {
		t.Fatalf("method=%q about=%q, want METHOD:CANCEL about the cancelled appointment", v.Method.Text, v.About.Text)
	}
	if w := revealing.FindString(v.Subject.Text + v.Text.Text); w != "" {
		t.Fatalf("cancellation preview says %q", w)
	}

	test.Tap(v.OpenAppointment)
	if got, want := f.Nav.Last(), fmt.Sprintf("appointment %d", a.ID); got != want {
		t.Fatalf("navigation=%q, want %q", got, want)
	}
	test.Tap(v.OpenPatient)
	if got, want := f.Nav.Last(), fmt.Sprintf("patient %d", a.PatientID); got != want {
		t.Fatalf("navigation=%q, want %q", got, want)
	}

	v.Select(reminderOf.ID)
	if !strings.Contains(v.Reason.Text, "appointment cancelled") || !v.Subject.Hidden || !strings.Contains(v.NoPreview.Text, "cancelled") {
		t.Fatalf("reason=%q preview=%q subject hidden=%v, want why the reminder is not sent and no preview", v.Reason.Text, v.NoPreview.Text, v.Subject.Hidden)
	}
}

// TestOutbox_Golden renders the list with a failed message; nothing is
// selected, so the golden file does not change with the email templates.
func TestOutbox_Golden(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	fail(t, f, f.Patients[1].ID, "reminder: RCPT TO <blake.morgan@example.org>: 550 5.1.1 mailbox unavailable")
	v := open(f)
	v.Filter.SetSelected("Failed")
	test.AssertRendersToMarkup(t, "outbox.xml", f.Env.Window.Canvas())
}

// addOld stores a message for patientID due days before kittest.Now.
func addOld(t *testing.T, f *kittest.Fixture, patientID int64, days int, state string) *booking.OutboxMessage {
	t.Helper()
	ctx := context.Background()
	due := kittest.Now.AddDate(0, 0, -days)
	m := &booking.OutboxMessage{Kind: booking.MessageConfirmation, PatientID: patientID, State: state, Due: due, Attempts: 1,
		Created: due, Updated: due}
	if state == booking.OutboxFailed {
		m.LastError = "reminder: RCPT TO: 550 5.1.1 mailbox unavailable"
	}
	if err := f.DB.Update(ctx, func(tx booking.Tx) error { return tx.AddOutbox(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

func shows(v *View, id int64) bool { return v.index(id) >= 0 }

// TestOutbox_History checks that the list starts History before today, but
// for what still needs doing, and that Show older and Select reach back.
func TestOutbox_History(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 1, Booked: true})
	pid := f.Patients[0].ID
	recent := addOld(t, f, pid, 20, booking.OutboxSent)
	sent := addOld(t, f, pid, 60, booking.OutboxSent)
	failed := addOld(t, f, pid, 100, booking.OutboxFailed)
	ancient := addOld(t, f, pid, 400, booking.OutboxSkipped)
	all := len(stored(t, f, booking.OutboxFilter{}))

	v := open(f)
	if !shows(v, recent.ID) || shows(v, sent.ID) || shows(v, ancient.ID) || !shows(v, failed.ID) {
		t.Fatalf("first view: recent %v, 60 days %v, 400 days %v, failed %v; want only the recent and the failed one",
			shows(v, recent.ID), shows(v, sent.ID), shows(v, ancient.ID), shows(v, failed.ID))
	}
	if len(v.Rows) != all-2 || v.ShowOlder.Hidden || !strings.Contains(v.Count.Text, "due from Mon 1 Feb 2027 on") {
		t.Fatalf("rows=%d (want %d) show older hidden=%v count=%q", len(v.Rows), all-2, v.ShowOlder.Hidden, v.Count.Text)
	}
	// The old failed message sits in due order, first.
	if v.msgs[0].ID != failed.ID {
		t.Fatalf("first row %q, want the failed message of 100 days ago", v.Rows[0])
	}

	test.Tap(v.ShowOlder)
	if !shows(v, sent.ID) || shows(v, ancient.ID) || v.ShowOlder.Hidden {
		t.Fatalf("after Show older: 60 days %v, 400 days %v, button hidden %v", shows(v, sent.ID), shows(v, ancient.ID), v.ShowOlder.Hidden)
	}
	for range 4 {
		test.Tap(v.ShowOlder)
	}
	if len(v.Rows) != all || !v.ShowOlder.Hidden || strings.Contains(v.Count.Text, "due from") {
		t.Fatalf("after 5 Show older: rows=%d (want %d), button hidden %v, count=%q", len(v.Rows), all, v.ShowOlder.Hidden, v.Count.Text)
	}

	t.Run("FailedShowsAll", func(t *testing.T) {
		w := open(f)
		w.Filter.SetSelected("Failed")
		if !shows(w, failed.ID) || !w.ShowOlder.Hidden {
			t.Fatalf("Failed: shows the 100-day-old failure %v, Show older hidden %v", shows(w, failed.ID), w.ShowOlder.Hidden)
		}
		w.Filter.SetSelected("Sent")
		if shows(w, sent.ID) || !shows(w, recent.ID) || w.ShowOlder.Hidden {
			t.Fatalf("Sent: 60 days %v, 20 days %v, Show older hidden %v", shows(w, sent.ID), shows(w, recent.ID), w.ShowOlder.Hidden)
		}
		if want := fmt.Sprintf("%d sent message", len(w.Rows)); !strings.HasPrefix(w.Count.Text, want) || !strings.HasSuffix(w.Count.Text, " due from Mon 1 Feb 2027 on") {
			t.Fatalf("Sent: count %q, want %q… due from Mon 1 Feb 2027 on", w.Count.Text, want)
		}
	})

	t.Run("SelectReachesBack", func(t *testing.T) {
		w := open(f)
		w.Select(ancient.ID)
		if w.selected != ancient.ID || !shows(w, ancient.ID) || !strings.Contains(w.Info.Text, "Due: ") {
			t.Fatalf("selected %d (want %d), info %q", w.selected, ancient.ID, w.Info.Text)
		}
		// Nothing is older than the 400-day-old message.
		if strings.Contains(w.Count.Text, "due from") || !w.ShowOlder.Hidden {
			t.Fatalf("count %q, Show older hidden %v; want the whole list", w.Count.Text, w.ShowOlder.Hidden)
		}
	})
}
