package reminder_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// TestPreview_ShowsTheMessageAsSent: once sent, a message previews as it
// went out, not composed again from today's data: after one of the
// series' appointments is cancelled, the sent confirmation still lists
// its time, as the patient's copy does (issue 14, item 7).
func TestPreview_ShowsTheMessageAsSent(t *testing.T) {
	f := newOutboxFixture(t)
	ctx := context.Background()
	now := f.booked
	d := f.dispatcher(t, f.db, &now, nil)
	if rep := run(t, d); rep.Sent != 1 {
		t.Fatalf("report %+v, want the confirmation sent", rep)
	}
	conf := f.outbox(t)[0]
	if conf.Kind != booking.MessageConfirmation || conf.State != booking.OutboxSent {
		t.Fatalf("first message %s %s, want the sent confirmation", conf.Kind, conf.State)
	}
	files, _ := filepath.Glob(filepath.Join(f.dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d .eml files, want 1", len(files))
	}
	sentFile, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}

	list, err := f.db.Appointments(ctx, booking.AppointmentFilter{PatientID: f.patient.ID})
	if err != nil {
		t.Fatal(err)
	}
	last := list[len(list)-1]
	if _, err := f.svc.Cancel(ctx, booking.CancelRequest{AppointmentID: last.ID, By: booking.ByClinic, Reason: "room closed"}); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/New_York")
	when := last.Start.In(loc).Format("Monday 2 January 2006")

	e, note, err := reminder.Preview(ctx, f.db, d.Composer, conf, now.Add(time.Hour))
	if err != nil || note != "" || e == nil {
		t.Fatalf("preview: %v %q", err, note)
	}
	if !strings.Contains(string(e.Text), when) {
		t.Fatalf("the preview of the sent confirmation leaves out %s, which the patient got:\n%s", when, e.Text)
	}
	if got := e.Headers.Get("Message-Id"); got == "" || !strings.Contains(string(sentFile), got) {
		t.Fatalf("preview Message-Id %q, not the sent message's", got)
	}
	if reminder.AttachmentMethod(e) != "REQUEST" {
		t.Fatalf("preview attachment METHOD %q, want REQUEST as sent", reminder.AttachmentMethod(e))
	}
	// Lists read no copies: they stay light.
	if msgs := f.outbox(t); len(msgs[0].SentCopy) != 0 {
		t.Fatal("a plain outbox read carries the sent copies")
	}
}
