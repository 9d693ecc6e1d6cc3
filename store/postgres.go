package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/secret"
)

// A PostgreSQL database is kapbook's store for a clinic with several
// workstations (docs/operations.md, "Several workstations"). It keeps the
// same tables as the SQLite file and is read and written by the same code:
// the SQL of read.go, tx.go, outbox.go and calendar.go is written once, in
// the common part of both dialects, with ? for parameters, which pgQuerier
// numbers for PostgreSQL. What differs lives here: opening and creating,
// the schema, the write lock, the change counter and the errors.

// IsURL reports whether where names a PostgreSQL database (a postgres://
// or postgresql:// URL) rather than a SQLite file.
func IsURL(where string) bool {
	return strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://")
}

// Describe returns where, for showing to people: a file path as it is, a
// PostgreSQL URL without its password.
func Describe(where string) string {
	if !IsURL(where) {
		return where
	}
	u, err := url.Parse(where)
	if err != nil {
		return "the PostgreSQL database (its address cannot be read)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// LocalBase returns the path that the files kapbook keeps beside a
// database start with (the error log, the default folder of .eml files):
// the database file itself, or for a PostgreSQL database "kapbook" in a
// folder of this computer's kapbook data folder, one per server and
// database.
func LocalBase(where string) string {
	if !IsURL(where) {
		return where
	}
	name := "postgres"
	if u, err := url.Parse(where); err == nil {
		name += "-" + u.Hostname() + "-" + u.Port() + "-" + strings.TrimPrefix(u.Path, "/")
	}
	name = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, name)
	return filepath.Join(filepath.Dir(DefaultPath()), name, "kapbook")
}

// PasswordAccount is the OS keyring account (internal/secret) that holds
// the password of the PostgreSQL database at dsn: "postgres", the user,
// server, port and database, whatever else the address says.
func PasswordAccount(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres"
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return "postgres " + u.User.Username() + "@" + strings.ToLower(u.Hostname()) + ":" + port + "/" + strings.TrimPrefix(u.Path, "/")
}

// WithoutPassword returns the address dsn without its password, for
// keeping (the password goes in the keyring: SavePassword), and the
// password it held, if any.
func WithoutPassword(dsn string) (string, string) {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn, ""
	}
	pw, _ := u.User.Password()
	q := u.Query()
	if qp := q.Get("password"); qp != "" {
		pw = qp
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String(), pw
}

// SavePassword keeps the password of the PostgreSQL database at dsn in
// the OS keyring, so that its address can be given (and kept) without it.
func SavePassword(dsn, password string) error {
	if password == "" || strings.ContainsAny(password, "\r\n\x00") {
		return booking.Errorf(booking.EINVALID, "The password is empty or has a line break; nothing was saved.")
	}
	if err := secret.Set(PasswordAccount(dsn), password); err != nil {
		if errors.Is(err, secret.ErrNoKeyring) {
			return booking.Errorf(booking.ESTORE, "This computer has no keyring kapbook can reach (no desktop session); put the password in ~/.pgpass or PGPASSWORD instead (docs/operations.md, \"Several workstations\").")
		}
		return booking.Errorf(booking.ESTORE, "The keyring did not keep the password (%s); put it in ~/.pgpass instead.", booking.Clip(booking.OneLine(err.Error()), 60))
	}
	return nil
}

// pgWriteLock is the advisory lock every write transaction takes first,
// so that writers from every workstation take turns, as SQLite's BEGIN
// IMMEDIATE makes them do on one machine: what a transaction reads stays
// true until it commits. "KAPB" in ASCII, like the SQLite application id.
const pgWriteLock = applicationID

// pgConnectTimeout bounds how long opening waits for the server.
const pgConnectTimeout = 10 * time.Second

// openPG opens the PostgreSQL database at dsn. With create, the database
// must hold no kapbook tables yet (it may be new and empty); without, it
// must hold them. Either way the schema is brought up to date.
func openPG(dsn string, create bool) (*DB, error) {
	where := Describe(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, booking.Errorf(booking.EINVALID, "%s is not a PostgreSQL address kapbook can use: %s.", where, pgDescribe(err))
	}
	if cfg.Password == "" {
		// Not in the address, PGPASSWORD or the password file: the OS
		// keyring, where kapctl db password and the app's setup keep it.
		if pw, err := secret.Get(PasswordAccount(dsn)); err == nil {
			cfg.Password = pw
		}
	}
	sdb := stdlib.OpenDB(*cfg)
	db := &DB{reader: reader{q: pgQuerier{sdb}, path: where, pg: true}, sql: sdb, pg: true, pgcfg: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), pgConnectTimeout)
	defer cancel()
	state, err := db.pgState(ctx)
	if err != nil {
		sdb.Close()
		return nil, err
	}
	switch {
	case state == pgKapbook && create:
		sdb.Close()
		return nil, booking.Errorf(booking.EINVALID, "A kapbook database already exists at %s; kapbook will not overwrite it.", where)
	case state == pgEmpty && !create:
		sdb.Close()
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no kapbook database at %s yet; create one with kapctl init --db, or choose another.", where)
	case state == pgForeign:
		sdb.Close()
		return nil, booking.Errorf(booking.ESTORE, "The PostgreSQL database %s is not a kapbook database: it holds another application's tables.", where)
	}
	if err := db.pgMigrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// What a PostgreSQL database holds before kapbook uses it.
const (
	pgEmpty   = iota // no tables: kapbook's to set up
	pgKapbook        // kapbook's tables
	pgForeign        // someone else's tables
)

// pgState tells an empty database from kapbook's and from another
// application's, by the tables in its current schema.
func (db *DB) pgState(ctx context.Context) (int, error) {
	var tables int
	var hasMeta bool
	err := db.sql.QueryRowContext(ctx, `SELECT count(*), to_regclass('meta') IS NOT NULL
		FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables, &hasMeta)
	if err != nil {
		return 0, db.mapErr("open", err)
	}
	if tables == 0 {
		return pgEmpty, nil
	}
	if hasMeta {
		var app string
		err := db.sql.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'application'").Scan(&app)
		if err == nil && app == "kapbook" {
			return pgKapbook, nil
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, db.mapErr("open", err)
		}
	}
	return pgForeign, nil
}

// pgMigrate applies the migrations the database lacks, under the write
// lock, in one transaction.
func (db *DB) pgMigrate(ctx context.Context) error {
	// A database at this kapbook's schema needs no write to open, so a
	// login that may only read can open it and look (docs/security.md, "A
	// database you may only read").
	var v string
	if err := db.sql.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema'").Scan(&v); err == nil && v == strconv.Itoa(len(pgMigrations)) {
		return nil
	}
	return db.write(ctx, func(t *tx) error {
		applied := 0
		var hasMeta bool
		if err := t.conn.QueryRowContext(ctx, "SELECT to_regclass('meta') IS NOT NULL").Scan(&hasMeta); err != nil {
			return db.mapErr("migrate", err)
		}
		if hasMeta {
			var v string
			err := t.conn.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'schema'").Scan(&v)
			if errors.Is(err, sql.ErrNoRows) {
				return booking.Errorf(booking.ESTORE, "The PostgreSQL database %s has kapbook's tables but no schema version; restore it from a backup.", db.path)
			} else if err != nil {
				return db.mapErr("migrate", err)
			}
			if applied, err = strconv.Atoi(v); err != nil {
				return booking.Errorf(booking.ESTORE, "The PostgreSQL database %s has a damaged schema version %q.", db.path, booking.Clip(v, 20))
			}
		}
		if applied > len(pgMigrations) {
			return booking.Errorf(booking.ESTORE, "This database was written by a newer version of kapbook (schema %d); update kapbook to open it.", applied)
		}
		for i := applied; i < len(pgMigrations); i++ {
			if _, err := t.conn.ExecContext(ctx, pgMigrations[i]); err != nil {
				return db.mapErr(fmt.Sprintf("migration %d", i+1), err)
			}
		}
		if applied == len(pgMigrations) {
			return nil
		}
		_, err := t.conn.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema', $1)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.Itoa(len(pgMigrations)))
		return db.mapErr("migrate", err)
	})
}

// pgVersion reads the change counter that every write transaction raises
// before it commits (see write).
func (db *DB) pgVersion(ctx context.Context) (int64, error) {
	var v string
	if err := db.sql.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'changes'").Scan(&v); err != nil {
		return 0, db.mapErr("version", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, booking.Errorf(booking.ESTORE, "The PostgreSQL database %s has a damaged change counter.", db.path)
	}
	return n, nil
}

// pgCountChange raises the change counter in the transaction on conn and
// has the commit tell the workstations that listen (Watch).
func pgCountChange(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "WITH counted AS (UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'changes' RETURNING 1) "+
		"SELECT pg_notify('"+pgChannel+"', '') FROM counted")
	return err
}

// pgQuerier numbers the ? parameters of the store's SQL for PostgreSQL.
type pgQuerier struct{ q querier }

func (p pgQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.q.ExecContext(ctx, rebind(query), args...)
}

func (p pgQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.q.QueryContext(ctx, rebind(query), args...)
}

func (p pgQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.q.QueryRowContext(ctx, rebind(query), args...)
}

// rebind turns each ? outside quotes into $1, $2, …
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quote := 0, rune(0)
	for _, r := range q {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PostgreSQL error codes the store tells apart
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgNotNull          = "23502"
	pgForeignKey       = "23503"
	pgUnique           = "23505"
	pgCheck            = "23514"
	pgExclusion        = "23P01"
	pgSerialization    = "40001"
	pgDeadlock         = "40P01"
	pgInsufficientPriv = "42501"
	pgDiskFull         = "53100"
	pgAuditTrigger     = "KB001"
)

// pgCode returns err's PostgreSQL error code (SQLSTATE), or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgMapErr is mapErr for PostgreSQL; ok is false for an error it leaves
// to the caller.
func (r *reader) pgMapErr(err error) (error, bool) {
	code := pgCode(err)
	switch code {
	case pgForeignKey:
		return booking.Errorf(booking.EINVALID, "This refers to a patient, series, staff member, room or protocol that does not exist."), true
	case pgUnique:
		return booking.Errorf(booking.ECONFLICT, "This record exists already."), true
	case pgCheck, pgNotNull:
		return booking.Errorf(booking.EINVALID, "A value is missing or out of range."), true
	case pgExclusion:
		return booking.Errorf(booking.ECONFLICT, "Nothing was saved: another desk booked the same person or room at that time just now. Plan again."), true
	case pgAuditTrigger:
		return booking.Errorf(booking.EINVALID, "The audit trail is append-only: its entries cannot be changed or deleted."), true
	case pgSerialization, pgDeadlock:
		return booking.Errorf(booking.ECONFLICT, "Another desk was saving at the same moment; please try again."), true
	case pgInsufficientPriv:
		return booking.Errorf(booking.ESTORE, "The PostgreSQL role kapbook logs in as may not do this (%s), so nothing was changed. If it is meant only to read, use it only to look; otherwise ask the database's administrator for the rights in docs/operations.md.", pgDescribe(err)), true
	case pgReadOnlyTx:
		return pgReadOnlyErr(r.path, err), true
	case pgDiskFull:
		return booking.Errorf(booking.ESTORE, "The database server's disk is full; ask its administrator to free some space."), true
	}
	if code != "" && (strings.HasPrefix(code, "08") || strings.HasPrefix(code, "28") || strings.HasPrefix(code, "3D") || strings.HasPrefix(code, "57P")) {
		return booking.Errorf(booking.ESTORE, "kapbook cannot use the database server %s: %s.", r.path, pgDescribe(err)), true
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return booking.Errorf(booking.ESTORE, "kapbook cannot reach the database server %s (%s); check the network and that the server runs, then try again. Nothing was saved.", r.path, pgDescribe(err)), true
	}
	return nil, false
}

// pgDescribe returns err's words for people: the server's message, or
// the connection's, without the password (pgx never includes it).
func pgDescribe(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.TrimSuffix(pe.Message, ".")
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		err = ce.Unwrap()
	}
	return strings.TrimSuffix(booking.OneLine(err.Error()), ".")
}
