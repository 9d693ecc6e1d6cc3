// Package errlog keeps the error log of kapbook and kapctl: one file beside
// the clinic database that records internal errors and recovered panics
// with their stack, so a bug leaves a trace a developer can follow while the
// user reads only "Internal error" and where the log is.
//
// The log is health-data safe by construction (docs/privacy.md, "The error
// log"): a record holds where it happened (a fixed text from the code), the
// error code, the kinds of error, the stack, and the error's words with
// quoted text, email addresses, phone numbers and file paths taken out. A
// panic's value is kept only when it is a Go runtime error ("index out of
// range"); any other value is recorded by its type alone, never printed.
// The file is owner-only and rotated at 1 MB, keeping three old files.
package errlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/kapbook/kapbook/booking"
)

// Suffix is added to the database's file name to name its error log:
// clinic.db's log is clinic.db-errors.log, beside it.
const Suffix = "-errors.log"

// Rotation: the log is renamed with a timestamp when it reaches maxMB and
// the oldest of more than maxOld renamed files is removed.
const (
	maxMB  = 1
	maxOld = 3
)

// PathFor returns the error log of the database at dbPath.
func PathFor(dbPath string) string { return dbPath + Suffix }

// Log is one error log. Nothing is created until the first record, so a
// clinic without errors has no log file. A nil *Log records nothing. It is
// safe for concurrent use.
type Log struct {
	path string

	mu     sync.Mutex
	file   *lumberjack.Logger
	logger *slog.Logger
}

// New returns the error log of the database at dbPath.
func New(dbPath string) *Log {
	p := PathFor(dbPath)
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return &Log{path: p}
}

// Path returns the log file's path ("" for a nil Log).
func (l *Log) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// open creates or opens the file, owner-only, and the logger on it.
func (l *Log) open() error {
	if l.logger != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	// The file may be older and looser: a log of a clinic's database is
	// as private as the database (docs/privacy.md). Rotated files keep
	// this mode.
	if err := os.Chmod(l.path, 0o600); err != nil {
		return err
	}
	l.file = &lumberjack.Logger{Filename: l.path, MaxSize: maxMB, MaxBackups: maxOld}
	l.logger = slog.New(slog.NewJSONHandler(l.file, &slog.HandlerOptions{Level: slog.LevelError}))
	return nil
}

// Close closes the file; a later record opens it again.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file, l.logger = nil, nil
	return err
}

// Error records err, an internal error met while doing where (a fixed
// text such as "kapctl book" or "Schedule: move"), with the stack of the
// caller. It returns why the record could not be written, if it could not.
func (l *Log) Error(where string, err error) error {
	if l == nil || err == nil {
		return nil
	}
	var p *Panic
	if errors.As(err, &p) {
		return l.write(where, "panic", p.Stack,
			slog.String("value", p.value()), slog.String("value_type", fmt.Sprintf("%T", p.Value)))
	}
	return l.write(where, "internal error", debug.Stack(),
		slog.String("code", booking.ErrorCode(err)),
		slog.String("error", Scrub(err.Error())),
		slog.Any("error_types", errorTypes(err)))
}

func (l *Log) write(where, msg string, stack []byte, attrs ...slog.Attr) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(); err != nil {
		return err
	}
	attrs = append([]slog.Attr{slog.String("where", Scrub(where))}, attrs...)
	attrs = append(attrs, slog.String("stack", string(stack)))
	l.logger.LogAttrs(context.Background(), slog.LevelError, msg, attrs...)
	return nil
}

// Panic is a recovered panic as an error, with the stack where it
// happened. Its message never shows the value.
type Panic struct {
	Value any
	Stack []byte
}

// Recovered turns the value of recover() into a *Panic with the current
// stack; call it in the deferred function itself. It returns nil for nil.
func Recovered(r any) error {
	if r == nil {
		return nil
	}
	return &Panic{Value: r, Stack: debug.Stack()}
}

// Error implements error.
func (p *Panic) Error() string { return "internal error (a panic)" }

// value is what the log may say of the panic's value: the Go runtime's
// own words ("index out of range [3] with length 3") and nothing else, as
// any other value may hold whatever the code had in hand.
func (p *Panic) value() string {
	if v, ok := p.Value.(runtime.Error); ok {
		return Scrub(v.Error())
	}
	return ""
}

// errorTypes lists the Go types along err's chain, outermost first:
// which library failed, without its words.
func errorTypes(err error) []string {
	var out []string
	for e := err; e != nil && len(out) < 10; e = errors.Unwrap(e) {
		out = append(out, fmt.Sprintf("%T", e))
	}
	return out
}

var scrubbers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"[^"]*"|'[^']*'|“[^”]*”|‘[^’]*’|«[^»]*»|` + "`[^`]*`"), `"…"`},
	{regexp.MustCompile(`[^\s<>()"']+@[^\s<>()"']+`), "<email>"},
	{regexp.MustCompile(`(^|\s)(?:[A-Za-z]:[/\\]|[/\\]|[\w.~-]+[/\\][\w.~ -]*[/\\])[^:"'\n]*`), "${1}<path>"},
	{regexp.MustCompile(`[^\s:"']+\.(?:ics|eml|db|csv|json|txt|log|pdf)\b`), "<file>"},
	{regexp.MustCompile(`\+?\d[\d ().-]{6,}\d`), "<number>"},
}

// Scrub takes out of s what could name a patient: quoted text, email
// addresses, file paths (an export may be named after a patient) and
// phone numbers; short numbers such as ids and counts stay. The result is
// at most 500 bytes, on one line.
func Scrub(s string) string {
	for _, x := range scrubbers {
		s = x.re.ReplaceAllString(s, x.with)
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	return s
}

// Report records err (see Error) and returns what to tell the user:
// that it is an internal error, that nothing was changed (or err's own
// words, when it is a *booking.Error), and where the details are, or that
// they could not be written.
func (l *Log) Report(where string, err error) string {
	head := "Internal error: something went wrong inside kapbook; nothing was changed."
	var be *booking.Error
	if errors.As(err, &be) && be.Message != "" {
		head = be.Message
	}
	if l == nil {
		return head + " Please tell your administrator what you did."
	}
	if werr := l.Error(where, err); werr != nil {
		return head + " The details could not be written to the error log " + l.path + "; please tell your administrator what you did."
	}
	return head + " The details are in the error log " + l.path + "; please give it to your administrator."
}
