package reminder

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/kapbook/kapbook/booking"
)

// Security is how an SMTP connection is protected: the clinic's setting,
// booking.MailSecurity.
type Security = booking.MailSecurity

// The kinds of SMTP connection.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS (RFC
	// 3207), usually on port 587; a server without STARTTLS is refused.
	// The default.
	StartTLS = booking.StartTLS
	// ImplicitTLS speaks TLS from the first byte (RFC 8314), usually on
	// port 465.
	ImplicitTLS = booking.ImplicitTLS
	// NoSecurity is plain text: only to a loopback address (a local relay
	// or a test server) unless SMTP.AllowPlainRemote is set, and never
	// with a password.
	NoSecurity = booking.NoSecurity
)

// SMTP delivers messages to an SMTP server (RFC 5321), all the messages of
// one Send over one connection, reconnecting when the server drops it.
// The password is never logged: String and GoString leave it out, and no
// error holds it.
type SMTP struct {
	Host string
	// Port; zero means 587 for StartTLS, 465 for ImplicitTLS and 25 for
	// NoSecurity.
	Port int
	// Security; empty means StartTLS.
	Security Security
	// User and Password log in with AUTH PLAIN when User is set.
	User, Password string
	// AllowPlainRemote allows NoSecurity to a host that is not loopback.
	AllowPlainRemote bool
	// HelloName is the name sent with EHLO; empty means "localhost".
	HelloName string
	// TLSConfig is for StartTLS and ImplicitTLS; nil verifies Host's
	// certificate against the system's roots.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each message; zero means one minute.
	Timeout time.Duration
}

// String describes s without its password.
func (s SMTP) String() string {
	pw := ""
	if s.Password != "" {
		pw = " password=(set)"
	}
	return fmt.Sprintf("smtp://%s (security=%s user=%q%s)", s.addr(), s.security(), s.User, pw)
}

// GoString describes s without its password, for %#v.
func (s SMTP) GoString() string { return "reminder.SMTP{" + s.String() + "}" }

func (s SMTP) security() Security {
	if s.Security == "" {
		return StartTLS
	}
	return s.Security
}

func (s SMTP) addr() string {
	port := s.Port
	if port == 0 {
		switch s.security() {
		case ImplicitTLS:
			port = 465
		case NoSecurity:
			port = 25
		default:
			port = 587
		}
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

func (s SMTP) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return time.Minute
}

// Check returns an error when s cannot be used: no host, an unknown
// security, a bad port, or plain text where it is not allowed.
func (s SMTP) Check() error {
	if s.Host == "" || strings.IndexFunc(s.Host, badRune) >= 0 || strings.ContainsAny(s.Host, " /") {
		return fmt.Errorf("reminder: SMTP host %q is not a host name", booking.Clip(s.Host, 40))
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("reminder: SMTP port %d is out of range", s.Port)
	}
	if strings.IndexFunc(s.User, badRune) >= 0 || strings.IndexFunc(s.HelloName, badRune) >= 0 {
		return errors.New("reminder: the SMTP user or hello name holds a control character")
	}
	switch s.security() {
	case StartTLS, ImplicitTLS:
	case NoSecurity:
		if s.User != "" && !isLoopback(s.Host) {
			return errors.New("reminder: SMTP without TLS would send the password in plain text; use starttls or tls")
		}
		if !s.AllowPlainRemote && !isLoopback(s.Host) {
			return fmt.Errorf("reminder: plain SMTP to %s, which is not loopback, is not allowed; use starttls or tls, or allow plain SMTP explicitly", booking.Clip(s.Host, 40))
		}
	default:
		return fmt.Errorf("reminder: unknown SMTP security %q; use starttls, tls or none", booking.Clip(string(s.Security), 40))
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// connError is a failure to connect, greet, start TLS, log in or have the
// sender accepted: the settings' fault, never permanent for a message.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// Send delivers msgs in order over one connection. When the connection
// drops, the message in flight fails with a temporary error (unless it
// had not started, when it is retried once on a new connection) and the
// rest go over a new connection. A failure to connect fails every message
// left.
func (s SMTP) Send(ctx context.Context, msgs []*email.Email) []error {
	return sendAll(ctx, s, msgs)
}

// SendEach delivers msgs as Send does, calling done for each message as
// soon as the server has answered the end of its data (or it failed), on
// the same connection the next message will use.
func (s SMTP) SendEach(ctx context.Context, msgs []*email.Email, done func(i int, err error)) {
	// Each message is encoded while the server stores the one before.
	i := 0
	var ahead *encoded // msgs[i], encoded early
	encode := func() *encoded {
		env, err := envelopeOf(msgs[i])
		return &encoded{env, err}
	}
	s.sendEnvelopes(ctx, func() (*envelope, error, bool) {
		if i == len(msgs) {
			return nil, nil, false
		}
		e := ahead
		if ahead = nil; e == nil {
			e = encode()
		}
		i++
		return e.env, e.err, true
	}, func(err error) { done(i-1, err) }, hooks{idle: func() {
		if ahead == nil && i < len(msgs) {
			ahead = encode()
		}
	}})
}

var _ envelopeSender = SMTP{}

// sendEnvelopes is SendEach for messages handed over one at a time (the
// Dispatcher's, as it composes them): next returns the next message (an
// error: that message failed; false: no more), and done is called with its
// outcome before next is called again. h's hooks let the client's own work
// overlap the server's instead of following it.
func (s SMTP) sendEnvelopes(ctx context.Context, next func() (*envelope, error, bool), done func(err error), h hooks) {
	// failRest fails every message left with err.
	failRest := func(err error) {
		for _, _, ok := next(); ok; _, _, ok = next() {
			done(err)
		}
	}
	if err := s.Check(); err != nil {
		failRest(&connError{err})
		return
	}
	var conn *smtpConn
	defer func() {
		if conn != nil {
			conn.quit()
		}
	}()
	for {
		env, err, ok := next()
		if !ok {
			return
		}
		if cerr := ctx.Err(); cerr != nil {
			done(fmt.Errorf("reminder: %w", cerr))
			continue
		}
		if err != nil {
			done(err)
			continue
		}
		for try := 0; ; try++ {
			fresh := false
			if conn == nil {
				if conn, err = s.dial(ctx); err != nil {
					done(err)
					failRest(err)
					return
				}
				fresh = true
			}
			var started bool
			started, err = conn.deliver(ctx, env, s.timeout(), h)
			if err != nil && conn.broken {
				conn.close()
				conn = nil
				if !started && !fresh && try == 0 {
					continue // the connection had died while idle: nothing was sent
				}
			}
			break
		}
		done(err)
	}
}

// hooks are work of the sender's to do while the server works on a
// message; either may be nil.
type hooks struct {
	// idle is called once for each message whose data went out, while
	// the server stores it and before its reply is read.
	idle func()
	// mailed is called once for each message whose MAIL command went
	// out, before its reply is read, and so before the server can accept
	// that message. When it returns an error the message is not sent:
	// the connection is dropped, which ends its transaction (RFC 5321,
	// 3.3), and the message fails with that error.
	mailed func() error
}

// envelope is one message ready to send.
type envelope struct {
	from string
	to   []string
	data []byte // the message (RFC 5322)
	// dotted is data as DATA sends it, its final dot included (dotted).
	dotted []byte
	// utf8 is set when a recipient's local part is not ASCII: only a
	// server that offers SMTPUTF8 (RFC 6531) can take it.
	utf8 bool
}

func envelopeOf(m *email.Email) (*envelope, error) {
	env := &envelope{}
	from := m.From
	if m.Sender != "" {
		from = m.Sender
	}
	a, err := mail.ParseAddress(from)
	if err != nil || strings.IndexFunc(from, badRune) >= 0 {
		return nil, &permanentError{fmt.Errorf("reminder: the sender %q is not a valid address", booking.Clip(from, 40))}
	}
	env.from = a.Address
	for _, list := range [][]string{m.To, m.Cc, m.Bcc} {
		for _, r := range list {
			a, err := mail.ParseAddress(r)
			if err != nil || strings.IndexFunc(r, badRune) >= 0 {
				// Not quoted: the outbox keeps errors, never addresses.
				return nil, &permanentError{errors.New("reminder: the recipient's address is not valid; correct it on the patient's page")}
			}
			at := strings.LastIndexByte(a.Address, '@')
			local, domain := a.Address[:at], a.Address[at+1:]
			// An internationalised domain goes in its ASCII form, which
			// every server takes (exámple.org → xn--exmple-qta.org).
			ascii, err := booking.EmailDomain(domain)
			if err != nil {
				return nil, &permanentError{errors.New("reminder: the recipient's mail domain is not valid; correct it on the patient's page")}
			}
			env.to = append(env.to, local+"@"+ascii)
			env.utf8 = env.utf8 || strings.IndexFunc(local, func(r rune) bool { return r > 127 }) >= 0
		}
	}
	if len(env.to) == 0 {
		return nil, &permanentError{errors.New("reminder: the message has no recipient")}
	}
	if env.data, err = m.Bytes(); err != nil {
		return nil, &permanentError{fmt.Errorf("reminder: encoding the message: %w", err)}
	}
	env.dotted = dotted(env.data)
	return env, nil
}

// dotted returns data as the text of SMTP's DATA (RFC 5321, 4.5.2 and
// 4.1.1.4), ready for the connection: every line ends in CRLF (a bare LF
// gets its CR), a line that begins with a dot gets a second one, and the
// text ends with CRLF, a dot and CRLF. The bytes are those net/textproto's
// DotWriter sends (TestDotted), made once, ahead, while the server works
// on the message before, instead of a byte at a time on the connection:
// that was a tenth of the dispatcher's own work for each message
// (docs/benchmarks.md, Email).
func dotted(data []byte) []byte {
	out := make([]byte, 0, len(data)+len(data)/64+8)
	lineStart, cr := true, false // at the start of a line; after a CR
	for _, c := range data {
		switch {
		case cr:
			cr = false
			lineStart = c == '\n'
			if c == '\r' {
				// A CR after a CR starts no CRLF of its own, as in
				// DotWriter: a LF next gets a CR in front.
				out = append(out, c)
				continue
			}
		case lineStart:
			lineStart = false
			if c == '.' {
				out = append(out, '.')
			}
			fallthrough
		default:
			if c == '\r' {
				cr = true
			} else if c == '\n' {
				out = append(out, '\r')
				lineStart = true
			}
		}
		out = append(out, c)
	}
	switch {
	case len(data) == 0:
		out = append(out, '\r', '\n')
	case cr:
		out = append(out, '\n')
	case !lineStart:
		out = append(out, '\r', '\n')
	}
	return append(out, '.', '\r', '\n')
}

// encoded is one message's envelope, or why it has none.
type encoded struct {
	env *envelope
	err error
}

// smtpConn is one open connection.
type smtpConn struct {
	nc     net.Conn
	c      *smtp.Client
	broken bool // the connection cannot carry another message
}

// dial connects, greets, starts TLS and logs in.
func (s SMTP) dial(ctx context.Context) (*smtpConn, error) {
	addr := s.addr()
	fail := func(what string, err error) error {
		return &connError{fmt.Errorf("reminder: %s %s: %w", what, addr, err)}
	}
	cfg := s.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: s.Host}
	} else if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = s.Host
	}
	d := &net.Dialer{Timeout: s.timeout()}
	var nc net.Conn
	var err error
	if s.security() == ImplicitTLS {
		nc, err = (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fail("connecting to", err)
	}
	nc.SetDeadline(time.Now().Add(s.timeout()))
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(nc, s.Host)
	if err != nil {
		nc.Close()
		return nil, fail("greeting from", err)
	}
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		c.Close()
		return nil, fail("EHLO to", err)
	}
	if s.security() == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			c.Close()
			return nil, fail("STARTTLS with", errors.New("the server does not offer STARTTLS"))
		}
		if err := c.StartTLS(cfg); err != nil {
			c.Close()
			return nil, fail("STARTTLS with", err)
		}
	}
	if s.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			c.Close()
			return nil, fail("logging in to", errors.New("the server offers no AUTH"))
		}
		if err := c.Auth(smtp.PlainAuth("", s.User, s.Password, s.Host)); err != nil {
			c.Close()
			return nil, fail("logging in to", err)
		}
	}
	return &smtpConn{nc: nc, c: c}, nil
}

// deliver sends one message, calling h's hooks (those not nil) on the way.
// started is false when the failure
// came before the server could have accepted any part of it. A reply error
// leaves the connection usable (after RSET); anything else breaks it.
func (c *smtpConn) deliver(ctx context.Context, env *envelope, timeout time.Duration, h hooks) (started bool, err error) {
	idle, mailed := h.idle, h.mailed
	c.nc.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	defer func() {
		if err == nil {
			return
		}
		var tp *textproto.Error
		if !errors.As(err, &tp) || tp.Code == 421 {
			c.broken = true
		} else if rerr := c.c.Reset(); rerr != nil {
			c.broken = true
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	}()
	if ok, _ := c.c.Extension("SMTPUTF8"); env.utf8 && !ok {
		return false, &permanentError{errors.New("reminder: the recipient's address has letters beyond ASCII before the @, and the mail server does not accept those (it offers no SMTPUTF8); ask the patient for another address")}
	}
	// MAIL as net/smtp's Client.Mail sends it, with mailed between the
	// command and its reply.
	text := c.c.Text
	cmd := "MAIL FROM:<%s>"
	if ok, _ := c.c.Extension("8BITMIME"); ok {
		cmd += " BODY=8BITMIME"
	}
	if ok, _ := c.c.Extension("SMTPUTF8"); ok {
		cmd += " SMTPUTF8"
	}
	// env.from holds no line break: envelopeOf refuses control characters.
	id, err := text.Cmd(cmd, env.from)
	if err == nil && mailed != nil {
		if err := mailed(); err != nil {
			// Not a reply: the deferred check breaks the connection, so
			// this message is never sent; started keeps it from being
			// tried again on another.
			return true, err
		}
	}
	if err == nil {
		text.StartResponse(id)
		_, _, err = text.ReadResponse(250)
		text.EndResponse(id)
	}
	if err != nil {
		// A refused sender (530 login required, 550 sender not allowed)
		// is the settings' fault, not the message's: never permanent.
		return false, &connError{fmt.Errorf("reminder: MAIL FROM: %w", err)}
	}
	// The server's replies may quote the recipient; neither they nor our
	// words keep the patient's address (docs/privacy.md: errors name ids
	// and times), since the outbox stores and shows them.
	for _, r := range env.to {
		if err := c.c.Rcpt(r); err != nil {
			return true, fmt.Errorf("reminder: the server refused the recipient (RCPT TO): %w", withoutAddresses(err))
		}
	}
	// DATA as net/smtp's Client.Data and its Close do it, with idle
	// between the final dot and the reply.
	id, err = text.Cmd("DATA")
	if err == nil {
		text.StartResponse(id)
		_, _, err = text.ReadResponse(354)
		text.EndResponse(id)
	}
	if err != nil {
		return true, fmt.Errorf("reminder: DATA: %w", withoutAddresses(err))
	}
	if _, err = text.W.Write(env.dotted); err == nil {
		err = text.W.Flush()
	}
	if err != nil {
		return true, fmt.Errorf("reminder: sending the message: %w", err)
	}
	if idle != nil {
		idle()
	}
	if _, _, err := text.ReadResponse(250); err != nil {
		return true, fmt.Errorf("reminder: end of DATA: %w", withoutAddresses(err))
	}
	return true, nil
}

// anAddress is anything in a server's reply that looks like an email
// address, with or without angle brackets.
var anAddress = regexp.MustCompile(`<?[^\s<>@"]+@[^\s<>"]+>?`)

// withoutAddresses returns err with every email address in a server's
// reply replaced by "<address>", keeping the reply's code, so that
// temporary and permanent failures are told apart as before.
func withoutAddresses(err error) error {
	var tp *textproto.Error
	if !errors.As(err, &tp) {
		return err
	}
	return &textproto.Error{Code: tp.Code, Msg: anAddress.ReplaceAllString(tp.Msg, "<address>")}
}

func (c *smtpConn) quit() {
	if !c.broken {
		c.nc.SetDeadline(time.Now().Add(5 * time.Second))
		if c.c.Quit() == nil {
			return
		}
	}
	c.close()
}

func (c *smtpConn) close() { c.c.Close() }
