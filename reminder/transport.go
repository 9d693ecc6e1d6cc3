package reminder

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"

	"github.com/jordan-wright/email"
)

// Transport delivers messages.
type Transport interface {
	// Send delivers msgs in order and returns one error per message, nil
	// for each one delivered; the slice has len(msgs) entries. Permanent
	// tells a failure worth retrying from one that is not. When ctx ends,
	// the messages not yet sent fail with ctx's error.
	Send(ctx context.Context, msgs []*email.Email) []error
}

// EachSender is a Transport that reports each message's outcome as soon
// as its delivery ends, so that the Dispatcher can record it before the
// next message starts: a crash then repeats at most the one message in
// flight, while the messages still go out together (over one SMTP
// connection). A Transport that is not an EachSender is given one message
// per Send.
type EachSender interface {
	Transport
	// SendEach delivers msgs in order, as Send does, and calls done(i, err)
	// once for each message, in order, on the calling goroutine, right
	// after that message's delivery ended (err is nil when it was
	// delivered) and before the next one starts. It returns after the last
	// call.
	SendEach(ctx context.Context, msgs []*email.Email, done func(i int, err error))
}

var (
	_ EachSender = EMLDir{}
	_ EachSender = (*SMTP)(nil)
)

// sendAll collects the outcomes of SendEach, for Send.
func sendAll(ctx context.Context, s EachSender, msgs []*email.Email) []error {
	errs := make([]error, len(msgs))
	s.SendEach(ctx, msgs, func(i int, err error) { errs[i] = err })
	return errs
}

// EMLDir writes each message as an .eml file (RFC 5322) into Dir, readable
// by any mail program: the demo clinic's default, so that a new user sees
// exactly what patients would receive without a mail server. Files are
// written to a temporary name and renamed, so a reader never sees half a
// message, and have mode 0600: they hold patients' addresses.
type EMLDir struct {
	Dir string
}

// Send writes msgs into d.Dir, one file each, named after the Message-Id.
func (d EMLDir) Send(ctx context.Context, msgs []*email.Email) []error {
	return sendAll(ctx, d, msgs)
}

// SendEach writes msgs into d.Dir as Send does, calling done after each
// file is in place.
func (d EMLDir) SendEach(ctx context.Context, msgs []*email.Email, done func(i int, err error)) {
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			done(i, fmt.Errorf("reminder: %w", err))
			continue
		}
		done(i, d.write(m))
	}
}

func (d EMLDir) write(m *email.Email) error {
	if d.Dir == "" {
		return &permanentError{errors.New("reminder: the .eml folder is not set")}
	}
	b, err := m.Bytes()
	if err != nil {
		return &permanentError{fmt.Errorf("reminder: encoding the message: %w", err)}
	}
	name := fileName(m.Headers.Get("Message-Id"))
	f, err := os.CreateTemp(d.Dir, ".tmp-*.eml") // mode 0600
	if err != nil {
		return fmt.Errorf("reminder: writing the message: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(d.Dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reminder: writing the message: %w", err)
	}
	return nil
}

// fileName returns an .eml file name made from a Message-Id, keeping only
// characters that are safe in a file name everywhere.
func fileName(id string) string {
	id = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		case r == '@':
			return '_'
		}
		return -1
	}, id)
	if id == "" || strings.HasPrefix(id, ".") {
		id = "message" + id
	}
	return id + ".eml"
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent reports whether err is a permanent failure, which retrying
// will not fix: a 5xx reply to a message (such as 550, a refused
// address) or a message that cannot be encoded. Temporary failures (4xx
// replies, network errors, a dropped connection, and any failure to
// connect, log in, start TLS or have the sender accepted, which is the
// settings' and not the message's) are worth retrying later. nil is not
// permanent.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var conn *connError
	if errors.As(err, &conn) {
		return false
	}
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code >= 500 && tp.Code < 600
	}
	return false
}
