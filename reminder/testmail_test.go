package reminder_test

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
)

// TestSendTest sends the settings' test message as kapctl email test and
// Settings → Email do: to an .eml folder, to a port where nothing
// listens, and to an address that is not one. Every failure is EINVALID
// with words that say what to change.
func TestSendTest(t *testing.T) {
	f := newOutboxFixture(t)
	ctx := context.Background()
	now := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	if err := f.svc.SetEmail(ctx, &booking.EmailSettings{Transport: booking.EmailEMLDir, Dir: f.dir, From: "desk@harbor.example"}); err != nil {
		t.Fatal(err)
	}
	sent, err := reminder.SendTest(ctx, f.db, f.path, " me@example.org ", now)
	if err != nil {
		t.Fatal(err)
	}
	if sent.To != "me@example.org" || sent.EMLDir != f.dir || !strings.HasSuffix(sent.MessageID, "@harbor.example>") {
		t.Fatalf("sent %+v, want to me@example.org in %s with a harbor.example id", sent, f.dir)
	}
	files, err := os.ReadDir(f.dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("%d files in the .eml folder (%v), want 1", len(files), err)
	}

	_, err = reminder.SendTest(ctx, f.db, f.path, "not an address", now)
	if booking.ErrorCode(err) != booking.EINVALID {
		t.Fatalf("bad address: %v, want EINVALID", err)
	}

	// A port that was free a moment ago: nothing answers there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	if err := f.svc.SetEmail(ctx, &booking.EmailSettings{Transport: booking.EmailSMTP, Host: "127.0.0.1", Port: port, Security: "none", From: "desk@harbor.example"}); err != nil {
		t.Fatal(err)
	}
	_, err = reminder.SendTest(ctx, f.db, f.path, "me@example.org", now)
	if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), "nothing answers at that server and port") {
		t.Fatalf("dead server: %v (%s), want EINVALID saying nothing answers", err, booking.ErrorCode(err))
	}
}
