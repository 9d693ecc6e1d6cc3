package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// copyTables are the tables a clinic is made of, in an order in which
// every row's references come before it, each with the columns that order
// its rows. meta is copied apart: only the instance id moves, so calendar
// UIDs stay the same after a clinic moves.
var copyTables = []struct{ name, order string }{
	{"clinic", "id"},
	{"staff", "id"},
	{"rooms", "id"},
	{"protocols", "id"},
	{"protocol_versions", "protocol_id, version"},
	{"patients", "id"},
	{"series", "id"},
	{"appointments", "id"},
	{"appointment_staff", "appointment_id, position"},
	{"blocks", "appointment_id, resource_kind, resource_id, start_unix"},
	{"audit", "id"},
	{"feeds", "token_hash"},
	{"busy_subscriptions", "staff_id"},
	{"outbox", "id"},
	{"caldav_accounts", "staff_id"},
	{"caldav_items", "staff_id, appointment_id"},
	{"caldav_log", "id"},
}

// boolColumns are stored as 0 and 1 by SQLite and as booleans by
// PostgreSQL.
var boolColumns = map[string]bool{"needs_rems": true, "escort_needed": true}

// TableCopy is what Copy moved of one table.
type TableCopy struct {
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"` // SHA-256 of the rows in order, the same at both ends
}

// Copy copies a whole clinic from one database to another (a SQLite file
// to a clinic's PostgreSQL server, or back): every table in one
// transaction on the target, then the target is read again and each
// table's row count and checksum compared with the source's. The target
// must hold no clinic data yet (EINVALID otherwise, changing nothing);
// any difference after copying returns ESTORE and the copy is rolled
// back. Both databases must be at the same schema, which Open ensures.
func Copy(ctx context.Context, from, to *DB) ([]TableCopy, error) {
	if err := to.mustBeEmpty(ctx); err != nil {
		return nil, err
	}
	var out []TableCopy
	err := to.write(ctx, func(t *tx) error {
		var instance string
		if err := from.sql.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'instance_id'").Scan(&instance); err != nil {
			return from.mapErr("copy", err)
		}
		if _, err := t.q.ExecContext(ctx, "UPDATE meta SET value = ? WHERE key = 'instance_id'", instance); err != nil {
			return to.mapErr("copy", err)
		}
		for _, tb := range copyTables {
			sum, cols, err := copyTable(ctx, from, t, tb.name, tb.order)
			if err != nil {
				return err
			}
			back, err := checksum(ctx, t.q, tb.name, cols, tb.order)
			if err != nil {
				return to.mapErr("copy", err)
			}
			if back != sum {
				return booking.Errorf(booking.ESTORE, "Nothing was copied: the table %s reads back differently (%d rows sent, %d read back). Please report this.", tb.name, sum.Rows, back.Rows)
			}
			out = append(out, sum)
		}
		if to.pg {
			return resetIdentities(ctx, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mustBeEmpty refuses a database that holds a clinic, staff, patients or
// anything else a clinic is made of.
func (db *DB) mustBeEmpty(ctx context.Context) error {
	for _, tb := range copyTables {
		var n int64
		if err := db.sql.QueryRowContext(ctx, "SELECT count(*) FROM "+tb.name).Scan(&n); err != nil {
			return db.mapErr("copy", err)
		}
		if n > 0 {
			return booking.Errorf(booking.EINVALID, "The database %s is not empty (its %s table has %d rows); kapbook copies a clinic only into an empty database.", db.path, tb.name, n)
		}
	}
	return nil
}

// copyTable copies one table's rows in order and returns their count and
// checksum as read from the source.
func copyTable(ctx context.Context, from *DB, t *tx, table, order string) (TableCopy, []string, error) {
	rows, err := from.sql.QueryContext(ctx, "SELECT * FROM "+table+" ORDER BY "+order)
	if err != nil {
		return TableCopy{}, nil, from.mapErr("copy "+table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return TableCopy{}, nil, from.mapErr("copy "+table, err)
	}
	stmt, err := t.prepare(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")+")")
	if err != nil {
		return TableCopy{}, nil, t.mapErr("copy "+table, err)
	}
	defer stmt.Close()
	h := newRowHash()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	ins := make([]any, len(cols))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableCopy{}, nil, from.mapErr("copy "+table, err)
		}
		for i, c := range cols {
			ins[i] = normal(vals[i], boolColumns[c], t.pg)
			vals[i] = normal(vals[i], boolColumns[c], false)
		}
		h.add(vals)
		if _, err := stmt.ExecContext(ctx, ins...); err != nil {
			return TableCopy{}, nil, booking.Errorf(booking.ESTORE, "Nothing was copied: row %d of the table %s was refused: %s", n+1, table, booking.ErrorMessage(t.mapErr("copy", err)))
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return TableCopy{}, nil, from.mapErr("copy "+table, err)
	}
	return TableCopy{Table: table, Rows: n, Checksum: h.sum()}, cols, nil
}

// checksum reads a table back in order and returns its count and
// checksum, computed as copyTable computes the source's.
func checksum(ctx context.Context, q querier, table string, cols []string, order string) (TableCopy, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+table+" ORDER BY "+order)
	if err != nil {
		return TableCopy{}, err
	}
	defer rows.Close()
	h := newRowHash()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableCopy{}, err
		}
		for i, c := range cols {
			vals[i] = normal(vals[i], boolColumns[c], false)
		}
		h.add(vals)
		n++
	}
	return TableCopy{Table: table, Rows: n, Checksum: h.sum()}, rows.Err()
}

// normal gives a value read from either database one form: integers as
// int64; a boolean column's value as a bool when toBool (for writing to
// PostgreSQL), else as 0 or 1 (for SQLite and for the checksum).
func normal(v any, isBool, toBool bool) any {
	switch x := v.(type) {
	case int32:
		v = int64(x)
	case bool:
		if !toBool && isBool {
			if x {
				return int64(1)
			}
			return int64(0)
		}
		return x
	}
	if isBool {
		if n, ok := v.(int64); ok {
			if toBool {
				return n != 0
			}
			return n
		}
	}
	return v
}

// rowHash is the checksum of a table's rows: each value with its type,
// so that "1" and 1 differ.
type rowHash struct{ h hash.Hash }

func newRowHash() *rowHash { return &rowHash{sha256.New()} }

func (r *rowHash) add(vals []any) {
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			r.h.Write([]byte("n;"))
		case int64:
			r.h.Write([]byte("i" + strconv.FormatInt(x, 10) + ";"))
		case bool:
			r.h.Write([]byte("b" + strconv.FormatBool(x) + ";"))
		case string:
			r.h.Write([]byte("s" + strconv.Itoa(len(x)) + ":" + x))
		case []byte:
			r.h.Write([]byte("s" + strconv.Itoa(len(x)) + ":"))
			r.h.Write(x)
		default:
			fmt.Fprintf(r.h, "%T:%v;", x, x)
		}
	}
	r.h.Write([]byte("\n"))
}

func (r *rowHash) sum() string { return hex.EncodeToString(r.h.Sum(nil)) }

// resetIdentities sets each PostgreSQL identity to follow the largest id
// copied, so the next row gets a new one.
func resetIdentities(ctx context.Context, t *tx) error {
	for _, table := range []string{"staff", "rooms", "patients", "series", "appointments", "audit", "outbox", "caldav_log"} {
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce(max(id), 0) + 1, false) FROM %[1]s", table)
		if _, err := t.conn.ExecContext(ctx, q); err != nil {
			return t.mapErr("copy", err)
		}
	}
	return nil
}
