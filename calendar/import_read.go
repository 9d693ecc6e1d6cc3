package calendar

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	ical "github.com/emersion/go-ical"
)

// The importer reads content lines itself rather than with ical.Decoder:
// the decoder reports no line numbers, and it panics on some malformed
// lines (a parameter with no colon after it, "DTSTART;TZID=x", or a
// character after a quoted parameter value, `X;A="b"c:1`). What it builds
// is go-ical's own model (ical.Component, ical.Prop, ical.Params), so the
// rest of go-ical applies to it.

// maxNesting is how deeply components may nest. VCALENDAR > VEVENT > VALARM
// is 3; VTIMEZONE > STANDARD is 3 as well.
const maxNesting = 8

// icsNode is a component as read, with the line of its BEGIN and of each of
// its properties.
type icsNode struct {
	*ical.Component
	line  int              // the line of BEGIN
	lines map[string][]int // property name: the line of each value, in order
	kids  []*icsNode
}

// propLine returns the line of the i-th property called name, or the
// component's BEGIN line when there is none.
func (n *icsNode) propLine(name string, i int) int {
	if l := n.lines[name]; i < len(l) {
		return l[i]
	}
	return n.line
}

// prop returns the first property called name and its line.
func (n *icsNode) prop(name string) (*ical.Prop, int) {
	p := n.Props.Get(name)
	return p, n.propLine(name, 0)
}

// decodeICS reads every VCALENDAR object in data. Lines end in CRLF or LF; a
// line that starts with a space or a tab continues the one before it
// (RFC 5545 section 3.1); blank lines are skipped.
func decodeICS(data []byte) ([]*icsNode, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	d := &icsDecoder{}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if err := d.line(lineNo, bytes.TrimSuffix(line, []byte("\r"))); err != nil {
			return nil, err
		}
	}
	if err := d.flush(); err != nil {
		return nil, err
	}
	return d.finish()
}

// icsDecoder is decodeICS's state: the components read so far and the
// content line being unfolded.
type icsDecoder struct {
	cals    []*icsNode
	stack   []*icsNode      // the components begun and not yet ended, innermost last
	logical strings.Builder // the content line being unfolded
	start   int             // the line it starts on
	// seen is set by the first BEGIN:VCALENDAR. Until then a line that does
	// not fit means the file is not a calendar at all, and says so.
	seen bool
}

// line takes the physical line lineNo, without its line ending: it
// either continues the content line being unfolded or, once that one is
// read, starts the next.
func (d *icsDecoder) line(lineNo int, line []byte) error {
	if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		if d.logical.Len() == 0 {
			if len(bytes.TrimSpace(line)) == 0 {
				return nil // a line of blanks
			}
			if !d.seen {
				return notICalendar(lineNo, string(line))
			}
			return importErrf(lineNo, "the line starts with a space but continues nothing")
		}
		d.logical.Write(line[1:])
		return nil
	}
	if err := d.flush(); err != nil {
		return err
	}
	if len(line) == 0 {
		return nil
	}
	d.start = lineNo
	d.logical.Write(line)
	return nil
}

// flush reads the content line unfolded so far, if any: a BEGIN, an END,
// or a property of the innermost open component.
func (d *icsDecoder) flush() error {
	if d.logical.Len() == 0 {
		return nil
	}
	s := d.logical.String()
	d.logical.Reset()
	name, params, value, err := parseContentLine(s)
	if err != nil {
		if !d.seen {
			return notICalendar(d.start, s)
		}
		return importErrf(d.start, "%s", err)
	}
	switch name {
	case "BEGIN":
		return d.begin(s, strings.ToUpper(strings.TrimSpace(value)))
	case "END":
		return d.end(s, strings.ToUpper(strings.TrimSpace(value)))
	}
	if len(d.stack) == 0 {
		if !d.seen {
			return notICalendar(d.start, s)
		}
		return importErrf(d.start, "%s stands outside any BEGIN:VCALENDAR", impClip(name))
	}
	top := d.stack[len(d.stack)-1]
	top.Props[name] = append(top.Props[name], ical.Prop{Name: name, Params: params, Value: value})
	top.lines[name] = append(top.lines[name], d.start)
	return nil
}

// begin opens component comp (the content line s): a VCALENDAR at the top
// level, anything within one, at most maxNesting deep.
func (d *icsDecoder) begin(s, comp string) error {
	if !icsName(comp) {
		return importErrf(d.start, "BEGIN needs a component name such as VEVENT")
	}
	if len(d.stack) == 0 && comp != ical.CompCalendar {
		if !d.seen {
			return notICalendar(d.start, s)
		}
		return importErrf(d.start, "BEGIN:%s stands outside any BEGIN:VCALENDAR", impClip(comp))
	}
	if len(d.stack) >= maxNesting {
		return importErrf(d.start, "components are nested more than %d deep", maxNesting)
	}
	d.seen = true
	n := &icsNode{Component: ical.NewComponent(comp), line: d.start, lines: map[string][]int{}}
	if len(d.stack) > 0 {
		top := d.stack[len(d.stack)-1]
		top.Children = append(top.Children, n.Component)
		top.kids = append(top.kids, n)
	} else {
		d.cals = append(d.cals, n)
	}
	d.stack = append(d.stack, n)
	return nil
}

// end closes component comp (the content line s), which must be the
// innermost open one.
func (d *icsDecoder) end(s, comp string) error {
	if len(d.stack) == 0 {
		if !d.seen {
			return notICalendar(d.start, s)
		}
		return importErrf(d.start, "END:%s has no matching BEGIN", impClip(comp))
	}
	top := d.stack[len(d.stack)-1]
	if comp != top.Name {
		return importErrf(d.start, "END:%s does not close BEGIN:%s of line %d", impClip(comp), top.Name, top.line)
	}
	d.stack = d.stack[:len(d.stack)-1]
	return nil
}

// finish returns the calendars read, once the whole file is: every
// component ended, and at least one calendar.
func (d *icsDecoder) finish() ([]*icsNode, error) {
	if len(d.stack) > 0 {
		top := d.stack[len(d.stack)-1]
		return nil, importErrf(top.line, "the file ends before END:%s: it may have been cut short", top.Name)
	}
	if len(d.cals) == 0 {
		return nil, &ImportError{Reason: "the file is empty; a calendar file starts with BEGIN:VCALENDAR"}
	}
	return d.cals, nil
}

// notICalendar is the error for a file whose first line is not BEGIN:VCALENDAR.
func notICalendar(line int, s string) error {
	return importErrf(line, "this is not a calendar (iCalendar) file: it should start with BEGIN:VCALENDAR, not %q", impClip(s))
}

// parseContentLine splits a content line (RFC 5545 section 3.1) into its
// upper-cased name, its parameters and its raw value.
func parseContentLine(s string) (name string, params ical.Params, value string, err error) {
	i := strings.IndexAny(s, ";:")
	if i < 0 {
		return "", nil, "", fmt.Errorf("%q is not a calendar line (NAME:VALUE)", impClip(s))
	}
	name = strings.ToUpper(s[:i])
	if !icsName(name) {
		return "", nil, "", fmt.Errorf("%q is not a property name", impClip(s[:i]))
	}
	s = s[i:]
	for s[0] == ';' {
		if params == nil {
			params = ical.Params{} // most lines have none: leave those nil
		}
		s = s[1:]
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return "", nil, "", fmt.Errorf("a parameter of %s has no '=' and no value", name)
		}
		pname := strings.ToUpper(s[:eq])
		if !icsName(pname) {
			return "", nil, "", fmt.Errorf("%q is not a parameter name (in %s)", impClip(s[:eq]), name)
		}
		s = s[eq+1:]
		for {
			var v string
			if strings.HasPrefix(s, `"`) {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					return "", nil, "", fmt.Errorf("the quoted value of parameter %s is not closed", pname)
				}
				v, s = s[1:1+end], s[2+end:]
			} else {
				end := strings.IndexAny(s, `;,:"`)
				if end < 0 {
					return "", nil, "", fmt.Errorf("%s has no ':' before its value", name)
				}
				if s[end] == '"' {
					return "", nil, "", fmt.Errorf("a quote stands inside the value of parameter %s", pname)
				}
				v, s = s[:end], s[end:]
			}
			params[pname] = append(params[pname], v)
			if s == "" {
				return "", nil, "", fmt.Errorf("%s has no ':' before its value", name)
			}
			if s[0] != ',' {
				break
			}
			s = s[1:]
		}
		if s[0] != ';' && s[0] != ':' {
			return "", nil, "", fmt.Errorf("unexpected %q after parameter %s", s[0], pname)
		}
	}
	return name, params, s[1:], nil
}

// icsName reports whether s is a name or an x-name: letters, digits and
// dashes (RFC 5545 section 3.1).
func icsName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// impClip shortens s for quoting in an error message and makes it safe to show.
func impClip(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
