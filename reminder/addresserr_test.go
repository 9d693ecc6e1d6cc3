package reminder_test

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/kapbook/kapbook/booking"
)

// A server that quotes the recipient in its refusal: the outbox keeps the
// code and the reason, never the patient's address (docs/privacy.md).
func TestDispatcher_ErrorsWithoutTheAddress(t *testing.T) {
	addrs := []string{"casey.rivera@example.org", "ok@example.org"}
	f := newSMTPFixture(t, addrs...)
	b := &testBackend{rcptErr: map[string]error{"casey.rivera@example.org": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "<casey.rivera@example.org>: Recipient address rejected: casey.rivera@example.org unknown"}}}
	tr := startTestSMTP(t, b)
	now := f.booked
	rep := run(t, f.dispatcher(t, f.db, &now, tr))
	if rep.Sent != 1 || rep.Failed != 1 {
		t.Fatalf("report %+v, want one sent, one failed", rep)
	}
	m := f.confirmation(t, "casey.rivera@example.org")
	if m.State != booking.OutboxFailed || !strings.Contains(m.LastError, "550") || !strings.Contains(m.LastError, "Recipient address rejected") {
		t.Fatalf("the refused message: %s, %q; want failed with the server's code and reason", m.State, m.LastError)
	}
	if strings.Contains(m.LastError, "casey") || strings.Contains(m.LastError, "rivera") {
		t.Fatalf("the outbox keeps the patient's address: %q", m.LastError)
	}
}

// An internationalised domain goes out in its ASCII form; an address with
// letters beyond ASCII before the @ fails with the reason at a server
// without SMTPUTF8, and the other messages go out.
func TestDispatcher_InternationalAddresses(t *testing.T) {
	addrs := []string{"jose@exámple.org", "josé@example.org", "ok@example.org"}
	f := newSMTPFixture(t, addrs...)
	b := &testBackend{}
	tr := startTestSMTP(t, b)
	now := f.booked
	rep := run(t, f.dispatcher(t, f.db, &now, tr))
	if rep.Sent != 2 || rep.Failed != 1 {
		t.Fatalf("report %+v, want two sent, one failed", rep)
	}
	if got := b.deliveredTo(); got["jose@xn--exmple-qta.org"] != 1 || got["ok@example.org"] != 1 || len(got) != 2 {
		t.Fatalf("delivered to %v, want the ASCII form of exámple.org and ok@example.org", got)
	}
	m := f.confirmation(t, "josé@example.org")
	if m.State != booking.OutboxFailed || !strings.Contains(m.LastError, "SMTPUTF8") || strings.Contains(m.LastError, "josé") {
		t.Fatalf("the address beyond ASCII: %s, %q", m.State, m.LastError)
	}
}
