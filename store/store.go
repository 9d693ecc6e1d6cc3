// Package store keeps kapbook's data in one SQLite database file, behind the
// booking.Store and booking.Tx interfaces.
//
// The file is an ordinary SQLite 3 database (file format:
// https://www.sqlite.org/fileformat2.html) in write-ahead-log mode, marked as
// kapbook's by its application id ("KAPB") and versioned by its user version.
// Every kapctl command and every desktop window opens the same file; Update
// takes SQLite's write lock when it begins, so writers from any number of
// processes take turns and each sees what the previous one committed.
//
// Times are stored as Unix seconds and read back in the clinic's time zone.
// The SQL keeps to what PostgreSQL also understands, so that a PostgreSQL
// backend can follow with the same schema.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kapbook/kapbook/booking"
	"modernc.org/sqlite"
)

var (
	_ booking.Store = (*DB)(nil)
	_ booking.Tx    = (*tx)(nil)
)

// pragmas are set on every connection. busy_timeout is how long a writer
// waits for another process's transaction to finish, in milliseconds.
// secure_delete overwrites what a change removes (an old email address, a
// staff member's calendar copy) instead of leaving it in the file's free
// space.
var pragmas = []string{"foreign_keys(1)", "busy_timeout(20000)", "journal_mode(WAL)", "synchronous(NORMAL)", "secure_delete(1)"}

// DB is a kapbook database. It is safe for concurrent use; its read methods
// use a pool of connections, Update a dedicated one.
type DB struct {
	reader
	sql   *sql.DB
	ver   version         // see Version
	pg    bool            // a PostgreSQL database (postgres.go)
	pgcfg *pgx.ConnConfig // PostgreSQL: how to connect, password included
	ro    *readOnly       // why the database may only be read (readonly.go), or nil
	w     *writer         // SQLite: the connection writes run on (writer.go); nil otherwise
}

// DefaultPath returns where kapbook keeps its database unless told otherwise:
// $XDG_DATA_HOME/kapbook/kapbook.db, or ~/.local/share/kapbook/kapbook.db
// when XDG_DATA_HOME is unset or not absolute (as the XDG Base Directory
// Specification requires). On Windows it is %LOCALAPPDATA%\kapbook\kapbook.db,
// else under %APPDATA%, else under the home folder (windowsPath). If the
// home folder is unknown too, it returns kapbook.db in the working
// directory.
func DefaultPath() string {
	if runtime.GOOS == "windows" {
		return windowsPath(os.Getenv, os.UserHomeDir)
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "kapbook", "kapbook.db")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "kapbook.db"
	}
	return filepath.Join(home, ".local", "share", "kapbook", "kapbook.db")
}

// windowsPath returns DefaultPath on Windows, where a program's data
// belongs in the user's local application data folder (%LOCALAPPDATA%,
// which stays on this PC), else in the roaming one (%APPDATA%), else in
// the home folder, given the environment and the home folder.
func windowsPath(getenv func(string) string, home func() (string, error)) string {
	for _, k := range []string{"LOCALAPPDATA", "APPDATA"} {
		if d := getenv(k); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "kapbook", "kapbook.db")
		}
	}
	h, err := home()
	if err != nil || h == "" {
		return "kapbook.db"
	}
	return filepath.Join(h, "kapbook", "kapbook.db")
}

// Open opens the existing kapbook database at path and brings its schema up
// to date. A file that others on this computer may read, and its -wal and
// -shm files, are made readable by their owner only (mode 0600) first; on
// Windows, where the folder's access list decides, the mode is left alone.
// A file this user may read but not write, or one in a folder they may not
// write, or on a read-only disk, is opened read-only instead, as
// OpenReadOnly opens it: nothing is changed, mode included, and every
// Update returns ESTORE saying why (see ReadOnly).
// Returns ENOTFOUND if there is no file at path, and ESTORE, leaving the
// file's content as it was, if the file is not an SQLite database or is
// damaged, belongs to another application, was written by a newer kapbook,
// is an empty file that others may read (left as it was, mode included), or
// others may read it and Open cannot change that (the message says which
// chmod to run).
func Open(path string) (*DB, error) {
	if IsURL(path) {
		return openPG(path, false)
	}
	fi, err := statDB(path)
	if err != nil {
		return nil, err
	}
	if err := refuseEmpty(path, fi); err != nil {
		return nil, err
	}
	if ro := notWritable(path); ro != nil {
		return openReadOnly(path, ro)
	}
	// Private before anything reads or writes it: even the read-only look
	// below may make -wal and -shm files, with the database's mode.
	if err := makePrivate(path); err != nil {
		return nil, err
	}
	// Look before touching: the pool's pragmas switch the file to WAL mode,
	// which would change a foreign file, so inspect it read-only first.
	if err := inspect(path); err != nil {
		return nil, err
	}
	return open(path)
}

// refuseEmpty refuses an empty file that others on this computer may read.
// Create makes every file owner-only (0600) before it writes, so an empty
// file that is not was never kapbook's: someone's touch, or a file another
// user laid out and may hold open to read what kapbook would write. An
// empty owner-only file is what Create leaves when it is cut short, and
// kapctl init finishes it. A file whose content is all still in its -wal
// (a database never checkpointed) is not empty. On Windows, where the
// mode means nothing, an empty file is kapbook's to set up as before.
func refuseEmpty(path string, fi fs.FileInfo) error {
	if !modes || fi.Size() > 0 || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil
	}
	return booking.Errorf(booking.ESTORE, "%s is an empty file, not a kapbook database; to start a new clinic there, remove it and run kapctl init.", path)
}

// makePrivate makes the database file at path, and its -wal and -shm files
// where they exist, readable and writable by their owner only (mode 0600)
// if their mode lets anyone else in: they hold patient names. Returns
// ESTORE naming the chmod to run if it cannot (the files are someone
// else's). Does nothing on Windows, where the folder's access list decides.
func makePrivate(path string) error {
	if !modes {
		return nil
	}
	var stuck []string
	var why error
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return booking.Errorf(booking.ESTORE, "The database %s cannot be opened: %s.", path, describe(err))
		}
		if fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := chmod(name, 0o600); err != nil {
			stuck = append(stuck, shellQuote(name))
			why = err
		}
	}
	if len(stuck) > 0 {
		return booking.Errorf(booking.ESTORE, "Other users of this computer may read the database %s, and kapbook cannot change that (%s). Its owner must run: chmod 600 %s", path, describe(why), strings.Join(stuck, " "))
	}
	return nil
}

// chmod is os.Chmod; a test replaces it to play a file it does not own.
var chmod = os.Chmod

// shellQuote returns s as one word for a POSIX shell.
func shellQuote(s string) string {
	if strings.HasPrefix(s, "-") {
		s = "./" + s // not an option to chmod
	}
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+:,@%=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Create creates a new, empty kapbook database at path, and the folders
// leading to it. The file is readable by its owner only (mode 0600), and so
// are the folders Create makes (0700); on Windows, where the folder's
// place and access list decide, modes are left alone. Returns EINVALID if a file exists at
// path already: Create never overwrites.
func Create(path string) (*DB, error) {
	if IsURL(path) {
		return openPG(path, true)
	}
	dir := filepath.Dir(path)
	if err := mkdirPrivate(dir); err != nil {
		return nil, booking.Errorf(booking.ESTORE, "The folder %s cannot be created: %s.", dir, describe(err))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, booking.Errorf(booking.EINVALID, "A database already exists at %s; kapbook will not overwrite it.", path)
	} else if err != nil {
		return nil, booking.Errorf(booking.ESTORE, "The database %s cannot be created: %s.", path, describe(err))
	}
	err = tighten(path, 0o600) // whatever the umask
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("store: create %s: %w", path, err)
	}
	// A log or journal left by a database that no longer exists would be
	// replayed into the new one.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			os.Remove(path)
			return nil, booking.Errorf(booking.ESTORE, "The old file %s%s is in the way and cannot be removed: %s.", path, suffix, describe(err))
		}
	}
	db, err := open(path)
	if err != nil {
		removeDB(path)
		return nil, err
	}
	// SQLite gives the log and shared-memory files the database's mode; make
	// sure of it (not on Windows, where SQLite holds them open and a chmod
	// fails with a sharing violation).
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := tighten(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			db.Close()
			removeDB(path)
			return nil, fmt.Errorf("store: create %s: %w", path, err)
		}
	}
	return db, nil
}

// open opens the pool on an existing file and migrates it.
func open(path string) (*DB, error) {
	sdb, err := sql.Open("sqlite", dsn(path, "rw", pragmas...))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{reader: reader{q: sdb, path: path}, sql: sdb, w: newWriter()}
	if err := db.migrate(context.Background()); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// dsn returns the data source name of the file at path opened in mode (ro
// or rw; never create) with the given pragmas.
func dsn(path, mode string, pragmas ...string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows: file:/C:/x
	}
	q := url.Values{"mode": {mode}}
	q["_pragma"] = pragmas
	u := url.URL{Scheme: "file", OmitHost: true, Path: p, RawQuery: q.Encode()}
	return u.String()
}

// mkdirPrivate makes dir and its missing parents with mode 0700.
func mkdirPrivate(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, d := range missing {
		if err := tighten(d, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// removeDB removes a database that Create could not finish.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + suffix)
	}
}

// Path returns the database's file name as it was given to Open or Create.
func (db *DB) Path() string { return db.path }

// Close closes the database. Transactions in progress are rolled back.
func (db *DB) Close() error {
	db.ver.close()
	db.w.close()
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Update runs fn in one write transaction. It takes the database's write
// lock when it begins (BEGIN IMMEDIATE), waiting up to 20 seconds for
// another process's transaction to end, so nothing fn reads can change
// before fn's writes commit. The transaction commits if fn returns nil and
// rolls back if fn returns an error or panics. Returns fn's error,
// ECONFLICT if the database stayed busy, or ESTORE (and ErrReadOnly to
// errors.Is) before fn runs if the database may only be read. fn must not
// call Update itself: the inner call would wait for the outer one to end.
func (db *DB) Update(ctx context.Context, fn func(tx booking.Tx) error) error {
	return db.write(ctx, func(t *tx) error { return fn(t) })
}

// write runs fn in a write transaction on a dedicated connection. On a
// read-only database it returns ESTORE saying why, and touches nothing.
func (db *DB) write(ctx context.Context, fn func(t *tx) error) error {
	if db.ro != nil {
		return db.ro.err()
	}
	conn, stmts, held, err := db.w.take(ctx, db.sql)
	if err == nil && !held {
		conn, err = db.sql.Conn(ctx)
	}
	if err != nil {
		return db.mapErr("begin", err)
	}
	broken := false // the connection is not to be used again
	if held {
		defer func() { db.w.put(broken) }()
	} else {
		defer conn.Close()
	}
	begin := "BEGIN IMMEDIATE"
	if db.pg {
		begin = "BEGIN"
	}
	// On the writer's connection BEGIN and COMMIT are prepared once too:
	// parsing them was a fifth of recording an email's outcome.
	exec := conn.ExecContext
	if held {
		exec = stmtConn{conn, stmts}.ExecContext
	}
	if _, err := exec(ctx, begin); err != nil {
		broken = badConn(err)
		return db.mapErr("begin", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Roll back even if ctx is done; should that fail, keep the
		// connection out of the pool rather than return it mid-transaction.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			broken = true
		}
	}()
	t := &tx{reader: reader{q: conn, path: db.path, zone: new(string)}, conn: conn}
	if held {
		t.q, t.cache = stmtConn{conn, stmts}, stmtConn{conn, stmts}
	}
	if db.pg {
		t.q, t.pg = pgQuerier{conn}, true
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", pgWriteLock); err != nil {
			return db.mapErr("begin", err)
		}
	}
	defer t.close()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.checkFree(ctx); err != nil {
		return err
	}
	if db.pg {
		if err := pgCountChange(ctx, conn); err != nil {
			return db.mapErr("commit", err)
		}
	}
	if _, err := exec(ctx, "COMMIT"); err != nil {
		broken = badConn(err)
		return db.mapErr("commit", err)
	}
	committed = true
	return nil
}

// Check reads the whole database file and returns ESTORE if it is damaged
// (PRAGMA quick_check). It takes a quarter of a second for two years of a
// busy clinic, so Open leaves it out; call it from a maintenance command or
// in the background.
func (db *DB) Check(ctx context.Context) error { return db.check(ctx, "quick_check") }

// FullCheck is Check with SQLite's full integrity_check, which also
// compares every index with its table: damage that quick_check misses
// (a few overwritten bytes in an index) shows here. It takes a few times
// longer; kapctl check runs it.
func (db *DB) FullCheck(ctx context.Context) error { return db.check(ctx, "integrity_check") }

// check runs the named SQLite check pragma and returns ESTORE naming what
// it found.
func (db *DB) check(ctx context.Context, pragma string) error {
	if db.pg {
		return nil // the server checks its own pages
	}
	rows, err := db.sql.QueryContext(ctx, "PRAGMA "+pragma)
	if err != nil {
		return db.mapErr("check", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return db.mapErr("check", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return db.mapErr("check", err)
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
		}
		return booking.Errorf(booking.ESTORE, "The database %s is damaged (%s); restore it from a backup.", db.path, strings.Join(problems, "; "))
	}
	return nil
}

// SQLite result codes the store tells apart (https://www.sqlite.org/rescode.html).
const (
	codePerm             = 3
	codeBusy             = 5
	codeLocked           = 6
	codeReadOnly         = 8
	codeIOErr            = 10
	codeCorrupt          = 11
	codeFull             = 13
	codeCantOpen         = 14
	codeNotADB           = 26
	codeConstraintCheck  = 19 | 1<<8
	codeConstraintFK     = 19 | 3<<8
	codeConstraintNotNul = 19 | 5<<8
	codeConstraintPK     = 19 | 6<<8
	codeConstraintTrig   = 19 | 7<<8
	codeConstraintUnique = 19 | 8<<8
)

// sqliteCode returns err's SQLite result code (extended), or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// mapErr turns an error from database/sql into a booking error where the
// cause is something a person can act on, and otherwise wraps it as
// "store: op: err", which users see as "Internal error.".
func (r *reader) mapErr(op string, err error) error {
	var be *booking.Error
	if err == nil || errors.As(err, &be) {
		return err
	}
	if r.pg {
		if mapped, ok := r.pgMapErr(err); ok {
			return mapped
		}
		return fmt.Errorf("store: %s: %w", op, err)
	}
	code := sqliteCode(err)
	switch code {
	case codeConstraintFK:
		return booking.Errorf(booking.EINVALID, "This refers to a patient, series, staff member, room or protocol that does not exist.")
	case codeConstraintPK, codeConstraintUnique:
		return booking.Errorf(booking.ECONFLICT, "This record exists already.")
	case codeConstraintCheck, codeConstraintNotNul:
		return booking.Errorf(booking.EINVALID, "A value is missing or out of range.")
	case codeConstraintTrig:
		return booking.Errorf(booking.EINVALID, "The audit trail is append-only: its entries cannot be changed or deleted.")
	}
	switch code & 0xff {
	case codeBusy, codeLocked:
		return booking.Errorf(booking.ECONFLICT, "Another kapbook window or command kept the database busy for too long; please try again.")
	case codeCorrupt, codeNotADB:
		return booking.Errorf(booking.ESTORE, "The database %s is damaged (%s); restore it from a backup.", r.path, describe(err))
	case codeReadOnly, codePerm:
		return readOnlyErr(r.path, err)
	case codeFull:
		return booking.Errorf(booking.ESTORE, "The disk holding %s is full; free some space and try again.", r.path)
	case codeIOErr, codeCantOpen:
		return booking.Errorf(booking.ESTORE, "The database %s cannot be read or written (%s).", r.path, describe(err))
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// describe returns err's text without SQLite's trailing result code, for
// messages meant for people.
func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
