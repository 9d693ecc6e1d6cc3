package reminder_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/reminder"
)

// testBackend is an in-process go-smtp server whose replies depend on the
// recipient, for the error paths a real server cannot produce on demand.
type testBackend struct {
	mu           sync.Mutex
	conns        int
	delivered    []string // recipients of accepted messages, in order
	ids          []string // Message-Ids of accepted messages, in order
	rcptErr      map[string]error
	dataErr      map[string]error
	dropOnData   map[string]bool // close the connection at DATA
	dropNextMail bool            // close the connection at the next MAIL
	dropAfter    map[string]bool // after accepting this one, drop at the next MAIL
	password     string          // when set, MAIL needs AUTH PLAIN as "clinic"
	// hold, when set, is called with each message's recipient once its
	// data has arrived, before the server answers.
	hold func(rcpt string)
}

func (b *testBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conns++
	return &testSession{b: b, c: c}, nil
}

type testSession struct {
	b      *testBackend
	c      *smtp.Conn
	rcpt   string
	authed bool
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != "clinic" || password != s.b.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *testSession) Reset()        { s.rcpt = "" }
func (s *testSession) Logout() error { return nil }

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.password != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	if s.b.dropNextMail {
		s.b.dropNextMail = false
		s.c.Conn().Close()
		return errors.New("dropped")
	}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.rcpt = to
	return s.b.rcptErr[to]
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	id := ""
	if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		id = m.Header.Get("Message-Id")
	}
	if s.b.hold != nil {
		s.b.hold(s.rcpt)
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.dropOnData[s.rcpt] {
		s.c.Conn().Close()
		return errors.New("dropped")
	}
	if err := s.b.dataErr[s.rcpt]; err != nil {
		return err
	}
	s.b.delivered = append(s.b.delivered, s.rcpt)
	s.b.ids = append(s.b.ids, id)
	if s.b.dropAfter[s.rcpt] {
		s.b.dropNextMail = true
	}
	return nil
}

// startTestSMTP starts b on a free loopback port and returns a transport
// that talks to it in plain text.
func startTestSMTP(t *testing.T, b *testBackend) reminder.SMTP {
	t.Helper()
	s := smtp.NewServer(b)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return reminder.SMTP{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Security: reminder.NoSecurity}
}

func testMessages(to ...string) []*email.Email {
	var out []*email.Email
	for _, r := range to {
		e := email.NewEmail()
		e.From = "Clinic <appointments@harbor.example>"
		e.To = []string{r}
		e.Subject = "Your appointment"
		e.Text = []byte("Hello there,\n")
		e.HTML = []byte("<p>Hello there,</p>")
		out = append(out, e)
	}
	return out
}

func smtpErr(code int) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: fmt.Sprintf("test reply %d", code)}
}

// outcome is one message's expected result.
type outcome int

const (
	sent outcome = iota
	temporary
	permanent
)

func checkOutcomes(t *testing.T, errs []error, want ...outcome) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors=%d, want %d", len(errs), len(want))
	}
	for i, err := range errs {
		var got outcome
		switch {
		case err == nil:
			got = sent
		case reminder.Permanent(err):
			got = permanent
		default:
			got = temporary
		}
		if got != want[i] {
			t.Fatalf("message %d: err=%v (outcome %d), want outcome %d", i, err, got, want[i])
		}
		if err != nil && !strings.HasPrefix(err.Error(), "reminder: ") {
			t.Fatalf("message %d: err=%q lacks the reminder: prefix", i, err)
		}
	}
}

func (b *testBackend) state() (int, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns, strings.Join(b.delivered, " ")
}

// TestSMTP_Errors proves that many messages go over one connection, that
// 4xx replies are temporary and 5xx permanent (refused address, refused
// message), and that a failure leaves the connection usable for the rest.
func TestSMTP_Errors(t *testing.T) {
	b := &testBackend{
		rcptErr: map[string]error{"busy@example.org": smtpErr(451), "nobody@example.org": smtpErr(550)},
		dataErr: map[string]error{"later@example.org": smtpErr(452), "spam@example.org": smtpErr(554)},
	}
	tr := startTestSMTP(t, b)
	errs := tr.Send(context.Background(), testMessages("a@example.org", "busy@example.org", "nobody@example.org", "later@example.org", "spam@example.org", "b@example.org"))
	checkOutcomes(t, errs, sent, temporary, permanent, temporary, permanent, sent)
	if conns, got := b.state(); conns != 1 || got != "a@example.org b@example.org" {
		t.Fatalf("connections=%d delivered=%q, want 1 and a, b", conns, got)
	}
}

// TestSMTP_DroppedConnection proves that a connection dropped in the
// middle of a message fails that message as temporary, and that a new
// connection delivers the rest.
func TestSMTP_DroppedConnection(t *testing.T) {
	b := &testBackend{dropOnData: map[string]bool{"drop@example.org": true}}
	tr := startTestSMTP(t, b)
	errs := tr.Send(context.Background(), testMessages("a@example.org", "drop@example.org", "b@example.org", "c@example.org"))
	checkOutcomes(t, errs, sent, temporary, sent, sent)
	if conns, got := b.state(); conns != 2 || got != "a@example.org b@example.org c@example.org" {
		t.Fatalf("connections=%d delivered=%q, want 2 and a, b, c", conns, got)
	}
}

// TestSMTP_DroppedBetweenMessages proves that a connection the server
// closed between two messages costs nothing: the next message, not yet
// started, goes over a new connection.
func TestSMTP_DroppedBetweenMessages(t *testing.T) {
	b := &testBackend{dropAfter: map[string]bool{"a@example.org": true}}
	tr := startTestSMTP(t, b)
	errs := tr.Send(context.Background(), testMessages("a@example.org", "b@example.org", "c@example.org"))
	checkOutcomes(t, errs, sent, sent, sent)
	if conns, got := b.state(); conns != 2 || got != "a@example.org b@example.org c@example.org" {
		t.Fatalf("connections=%d delivered=%q, want 2 and a, b, c", conns, got)
	}
}

// TestSMTP_Unreachable proves that a server that cannot be reached fails
// every message as temporary.
func TestSMTP_Unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tr := reminder.SMTP{Host: "127.0.0.1", Port: port, Security: reminder.NoSecurity}
	checkOutcomes(t, tr.Send(context.Background(), testMessages("a@example.org", "b@example.org")), temporary, temporary)
}

// TestSMTP_StartTLSRequired proves that StartTLS refuses a server that
// does not offer it, rather than sending in plain text.
func TestSMTP_StartTLSRequired(t *testing.T) {
	b := &testBackend{}
	tr := startTestSMTP(t, b)
	tr.Security = reminder.StartTLS
	errs := tr.Send(context.Background(), testMessages("a@example.org"))
	checkOutcomes(t, errs, temporary)
	if !strings.Contains(errs[0].Error(), "STARTTLS") {
		t.Fatalf("err=%v", errs[0])
	}
	if _, got := b.state(); got != "" {
		t.Fatalf("delivered %q in plain text", got)
	}
}

// TestSMTP_Check proves the settings rules: plain SMTP only to loopback
// unless allowed, never with a password to a remote host, and that the
// password never shows in the settings' text.
func TestSMTP_Check(t *testing.T) {
	for name, tc := range map[string]struct {
		s  reminder.SMTP
		ok bool
	}{
		"OKLoopbackPlain":      {reminder.SMTP{Host: "127.0.0.1", Security: reminder.NoSecurity}, true},
		"OKLocalhostPlain":     {reminder.SMTP{Host: "localhost", Port: 1025, Security: reminder.NoSecurity}, true},
		"OKRemoteStartTLS":     {reminder.SMTP{Host: "smtp.example.org", User: "u", Password: "p"}, true},
		"OKRemoteTLS":          {reminder.SMTP{Host: "smtp.example.org", Security: reminder.ImplicitTLS}, true},
		"OKRemotePlainAllowed": {reminder.SMTP{Host: "relay.example.org", Security: reminder.NoSecurity, AllowPlainRemote: true}, true},
		"ErrRemotePlain":       {reminder.SMTP{Host: "relay.example.org", Security: reminder.NoSecurity}, false},
		"ErrRemotePlainAuth":   {reminder.SMTP{Host: "relay.example.org", Security: reminder.NoSecurity, AllowPlainRemote: true, User: "u", Password: "p"}, false},
		"ErrSecurity":          {reminder.SMTP{Host: "smtp.example.org", Security: "ssl"}, false},
		"ErrNoHost":            {reminder.SMTP{}, false},
		"ErrHostCRLF":          {reminder.SMTP{Host: "smtp.example.org\r\nRCPT TO:<x@y>"}, false},
		"ErrPort":              {reminder.SMTP{Host: "smtp.example.org", Port: 70000}, false},
		"ErrUserCRLF":          {reminder.SMTP{Host: "smtp.example.org", User: "u\r\nx"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.s.Check()
			if (err == nil) != tc.ok {
				t.Fatalf("Check=%v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				errs := tc.s.Send(context.Background(), testMessages("a@example.org"))
				if errs[0] == nil || reminder.Permanent(errs[0]) {
					t.Fatalf("Send=%v, want a temporary error", errs[0])
				}
			}
		})
	}
	s := reminder.SMTP{Host: "smtp.example.org", User: "clinic", Password: "s3cret-pw"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, s); strings.Contains(out, "s3cret-pw") {
			t.Fatalf("%s shows the password: %s", f, out)
		}
	}
}

// TestEMLDir proves that each message becomes one complete .eml file with
// mode 0600, readable as the message composed, and no temporary file
// stays behind.
func TestEMLDir(t *testing.T) {
	f := newFixture(t)
	c := f.composer()
	var msgs []*email.Email
	for _, k := range []reminder.Kind{reminder.Confirmation, reminder.Cancellation} {
		e, err := c.Compose(reminder.Message{Kind: k, Clinic: f.clinic, Patient: f.patients["kap-standard"], Appointment: f.appts["kap-standard"][0]})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, e)
	}
	dir := t.TempDir()
	checkOutcomes(t, reminder.EMLDir{Dir: dir}.Send(context.Background(), msgs), sent, sent)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("files=%d, want 2", len(entries))
	}
	methods := map[string]bool{}
	for _, de := range entries {
		if !strings.HasSuffix(de.Name(), ".eml") || strings.HasPrefix(de.Name(), ".") {
			t.Fatalf("file %q", de.Name())
		}
		info, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, want 0600", de.Name(), info.Mode().Perm())
		}
		raw, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m := parseMessage(t, raw)
		checkHeaders(t, m, f.patients["kap-standard"].Email)
		method, _ := icsEvent(t, m.ics)
		methods[method] = true
	}
	if !methods["REQUEST"] || !methods["CANCEL"] {
		t.Fatalf("methods %v, want REQUEST and CANCEL", methods)
	}
	errs := reminder.EMLDir{Dir: filepath.Join(dir, "missing")}.Send(context.Background(), msgs[:1])
	checkOutcomes(t, errs, temporary)
}

// TestSMTP_Auth proves that the transport logs in with AUTH PLAIN, and
// that a refused login fails every message as temporary (the settings',
// not the messages', fault) without the password in any error.
func TestSMTP_Auth(t *testing.T) {
	b := &testBackend{password: "right-pw"}
	tr := startTestSMTP(t, b)
	tr.User, tr.Password = "clinic", "right-pw"
	checkOutcomes(t, tr.Send(context.Background(), testMessages("a@example.org", "b@example.org")), sent, sent)
	tr.Password = "wrong-pw"
	errs := tr.Send(context.Background(), testMessages("c@example.org", "d@example.org"))
	checkOutcomes(t, errs, temporary, temporary)
	for _, err := range errs {
		if strings.Contains(err.Error(), "wrong-pw") {
			t.Fatalf("error shows the password: %v", err)
		}
	}
	tr.User, tr.Password = "", ""
	checkOutcomes(t, tr.Send(context.Background(), testMessages("e@example.org")), temporary) // 530 at MAIL: the settings' fault
	if conns, got := b.state(); conns != 3 || got != "a@example.org b@example.org" {
		t.Fatalf("connections=%d delivered=%q, want 3 and a, b", conns, got)
	}
}

// TestSMTP_SendEach proves that SendEach reports each message once, in
// order, as soon as the server has answered it and before the next one
// starts, all over one connection, and that Send gives the same outcomes.
func TestSMTP_SendEach(t *testing.T) {
	b := &testBackend{rcptErr: map[string]error{"nobody@example.org": smtpErr(550)}}
	tr := startTestSMTP(t, b)
	msgs := testMessages("a@example.org", "nobody@example.org", "b@example.org", "c@example.org")
	var calls []int
	errs := make([]error, len(msgs))
	tr.SendEach(context.Background(), msgs, func(i int, err error) {
		calls = append(calls, i)
		errs[i] = err
		_, got := b.state()
		want := map[int]string{0: "a@example.org", 1: "a@example.org", 2: "a@example.org b@example.org", 3: "a@example.org b@example.org c@example.org"}[i]
		if got != want {
			t.Errorf("when message %d was reported, the server had %q, want %q", i, got, want)
		}
	})
	if fmt.Sprint(calls) != "[0 1 2 3]" {
		t.Fatalf("reported %v, want each message once, in order", calls)
	}
	checkOutcomes(t, errs, sent, permanent, sent, sent)
	if conns, _ := b.state(); conns != 1 {
		t.Fatalf("connections=%d, want 1", conns)
	}
	dir := t.TempDir()
	calls = nil
	for i, m := range msgs {
		m.Headers.Set("Message-Id", fmt.Sprintf("<each-%d@example.org>", i))
	}
	reminder.EMLDir{Dir: dir}.SendEach(context.Background(), msgs[:2], func(i int, err error) {
		calls = append(calls, i)
		if names, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(names) != i+1 || err != nil {
			t.Errorf("when message %d was reported: %d files, err %v", i, len(names), err)
		}
	})
	if fmt.Sprint(calls) != "[0 1]" {
		t.Fatalf("EMLDir reported %v, want [0 1]", calls)
	}
}
