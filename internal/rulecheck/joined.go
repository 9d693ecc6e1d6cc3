package rulecheck

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// The pure-Go SQLite driver costs about a fifth of a microsecond per
// column of a row read: a clinic year's appointments, 20 columns each,
// took 5 ms to read row by row. So the two big tables come as one text
// value that SQLite joins (group_concat), split here: about 1.5 ms. The
// fields are ids, numbers and lower-case words, which never hold these
// separators.
const (
	fieldSep  = "\x1f" // ASCII unit separator, char(31): between the fields of a row
	recordSep = "\x1e" // ASCII record separator, char(30): between rows
)

// joinedRows runs q, which returns one text value (or NULL for no rows):
// rows joined by recordSep, each row's fields joined by fieldSep. It calls
// row with the fields of each row, which it must read all.
func joinedRows(ctx context.Context, tx *sql.Tx, what, q string, row func(f *fields)) error {
	var joined sql.NullString
	if err := tx.QueryRowContext(ctx, q).Scan(&joined); err != nil {
		return fmt.Errorf("rulecheck: read %s: %w", what, err)
	}
	for rest, more := joined.String, joined.String != ""; more; {
		var r string
		r, rest, more = strings.Cut(rest, recordSep)
		f := fields{rest: r}
		row(&f)
		if f.err == nil && !f.done {
			f.err = fmt.Errorf("more fields than expected")
		}
		if f.err != nil {
			return fmt.Errorf("rulecheck: read %s: row %q: %w", what, r, f.err)
		}
	}
	return nil
}

// fields reads the fields of one joined row in order, keeping the first
// error.
type fields struct {
	rest string
	done bool // the last field was read
	err  error
}

// text reads the next field.
func (f *fields) text() string {
	if f.done {
		if f.err == nil {
			f.err = fmt.Errorf("fewer fields than expected")
		}
		return ""
	}
	v, rest, more := strings.Cut(f.rest, fieldSep)
	f.rest, f.done = rest, !more
	return v
}

// int64 reads the next field as a decimal integer.
func (f *fields) int64() int64 {
	s := f.text()
	if v, ok := smallInt(s); ok {
		return v
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && f.err == nil {
		f.err = err
	}
	return v
}

// smallInt parses up to 18 decimal digits, with an optional minus sign,
// faster than strconv: a clinic year has 30,000 such fields.
func smallInt(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + int64(d)
	}
	if len(digits) < len(s) {
		v = -v
	}
	return v, true
}

// int reads the next field as a decimal integer.
func (f *fields) int() int { return int(f.int64()) }
