package reminder

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/netx"
)

// TestSent says where a test message went.
type TestSent struct {
	To        string `json:"to"`
	MessageID string `json:"message_id"`
	// EMLDir is the folder the message was saved in when the clinic saves
	// messages as .eml files; empty when it went to a mail server.
	EMLDir string `json:"eml_dir,omitempty"`
}

// SendTest sends a short test message to to with the clinic's saved email
// settings, so the front desk can check them: kapctl email test and
// Settings → Email both send it. Every failure is EINVALID, with words
// that say what to change (the address, the settings, the server, the
// password); nothing is stored.
func SendTest(ctx context.Context, st booking.Reader, dbPath, to string, now time.Time) (*TestSent, error) {
	to = strings.TrimSpace(to)
	if err := booking.CheckEmail(to); err != nil {
		return nil, err
	}
	comp, tr, err := Setup(ctx, st, dbPath)
	if err != nil {
		if booking.ErrorCode(err) != booking.EINTERNAL {
			return nil, err
		}
		return nil, booking.Errorf(booking.EINVALID, "The saved email settings cannot be used: %s.", strings.TrimPrefix(err.Error(), "reminder: "))
	}
	name := comp.FromName
	if name == "" {
		name = "kapbook"
	}
	m := email.NewEmail()
	m.From = (&mail.Address{Name: name, Address: comp.FromAddress}).String()
	m.To = []string{to}
	m.Subject = "Test message from kapbook"
	m.Text = []byte("This is a test message from kapbook. If you can read it, the clinic's email settings work.\n")
	m.Headers.Set("Date", now.Format(time.RFC1123Z))
	domain := "kapbook.invalid"
	if i := strings.LastIndexByte(comp.FromAddress, '@'); i >= 0 {
		domain = comp.FromAddress[i+1:]
	}
	id := fmt.Sprintf("<test-%d@%s>", time.Now().UnixNano(), domain)
	m.Headers.Set("Message-Id", id)
	if err := tr.Send(ctx, []*email.Email{m})[0]; err != nil {
		return nil, booking.Errorf(booking.EINVALID, "The test message was not sent: %s.", SendFailure(err))
	}
	sent := &TestSent{To: to, MessageID: id}
	if d, ok := tr.(EMLDir); ok {
		sent.EMLDir = d.Dir
	}
	return sent, nil
}

// SendFailure says in words why a message could not be sent, for a
// person who can change the server, port, security or password.
func SendFailure(err error) string {
	var te *textproto.Error
	var dns *net.DNSError
	var ne net.Error
	var cert *tls.CertificateVerificationError
	msg := err.Error()
	switch {
	case errors.As(err, &te) && (te.Code == 535 || te.Code == 534 || te.Code == 530):
		return "the mail server refused the user name or password (check the user name and " + PasswordEnv + ")"
	case errors.As(err, &te):
		return fmt.Sprintf("the mail server answered %d: %s", te.Code, booking.Clip(booking.OneLine(te.Msg), 200))
	case errors.As(err, &dns):
		return "the mail server's name is not known; check the server name"
	case netx.ConnRefused(err):
		return "nothing answers at that server and port; check them"
	case errors.As(err, &cert):
		return "the mail server's certificate is not trusted"
	case errors.As(err, &ne) && ne.Timeout():
		return "the mail server did not answer in time"
	case strings.Contains(msg, "does not offer STARTTLS"):
		return "the mail server does not offer STARTTLS; choose another security"
	case strings.Contains(msg, "offers no AUTH"):
		return "the mail server does not accept a login; leave the user name empty"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the server does not speak TLS on that port; choose STARTTLS or another port"
	case strings.Contains(msg, PasswordEnv):
		return strings.TrimPrefix(booking.Clip(booking.OneLine(msg), 200), "reminder: ")
	}
	return "the mail server could not be used; check the server, port and security"
}
