package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kapbook/kapbook/booking"
)

// ErrReadOnly is what errors.Is finds in the error of every write refused
// because the database was opened read-only (see OpenReadOnly and Open),
// so that background work can tell "cannot write here" from a failure
// worth reporting again and again. Its message is booking's, in words.
var ErrReadOnly = errors.New("store: the database is read-only")

// Why a database is open read-only.
const (
	roAsked  = iota // OpenReadOnly: the caller asked
	roFile          // the file may be read but not written by this user
	roFolder        // the folder may not be written: no room for -wal and -shm
	roMedium        // the disk or share is mounted read-only
)

// readOnly says why a database cannot be written, in the words its
// refusals use.
type readOnly struct {
	path  string
	why   int
	owner string // the file's (or folder's) owner, when not this user
	dir   string // the folder, for roFolder
}

// message is the refusal of a write, in front-desk words.
func (ro *readOnly) message() string {
	who := currentUser()
	switch ro.why {
	case roFile:
		if ro.owner != "" {
			return fmt.Sprintf("The database %s is read-only for you (user %s may read it but not change it; it belongs to %s), so nothing was changed. Ask whoever manages this computer to give you write access, or open a copy.", ro.path, who, ro.owner)
		}
		if !modes { // Windows: the read-only attribute or the access list
			return fmt.Sprintf("The database %s is read-only for you (user %s may read it but not change it), so nothing was changed. To allow changes, clear Read-only in the file's Properties or ask whoever manages this computer for write access, or open a copy.", ro.path, who)
		}
		return fmt.Sprintf("The database %s is read-only for you (user %s may read it but not change it), so nothing was changed. To allow changes, run chmod u+w %s, or open a copy.", ro.path, who, shellQuote(ro.path))
	case roFolder:
		if ro.owner != "" {
			return fmt.Sprintf("The database %s is read-only for you (user %s may not change its folder %s, where the database keeps its log files; the folder belongs to %s), so nothing was changed. Ask whoever manages this computer to give you write access to the folder, or open a copy.", ro.path, who, ro.dir, ro.owner)
		}
		return fmt.Sprintf("The database %s is read-only for you (user %s may not change its folder %s, where the database keeps its log files), so nothing was changed. To allow changes, run chmod u+w %s, or open a copy.", ro.path, who, ro.dir, shellQuote(ro.dir))
	case roMedium:
		return fmt.Sprintf("The database %s is on a disk or share that is mounted read-only, so nothing was changed. Copy it to a place you may write to change it.", ro.path)
	}
	return fmt.Sprintf("The database %s is open read-only, so nothing was changed. Open it again without --read-only to make changes.", ro.path)
}

// err is the refusal of a write: ESTORE, and ErrReadOnly to errors.Is.
func (ro *readOnly) err() error {
	return &readOnlyError{booking.Errorf(booking.ESTORE, "%s", ro.message())}
}

// readOnlyError is a write refused by a read-only database: booking's
// error to people, ErrReadOnly to errors.Is.
type readOnlyError struct{ e *booking.Error }

func (e *readOnlyError) Error() string        { return e.e.Message }
func (e *readOnlyError) Unwrap() error        { return e.e }
func (e *readOnlyError) Is(target error) bool { return target == ErrReadOnly }

// ReadOnly reports whether the database was opened read-only, asked for
// (OpenReadOnly) or because this user may not write it (Open). Every
// Update then returns ESTORE, saying why, without touching the file.
func (db *DB) ReadOnly() bool { return db.ro != nil }

// ReadOnlyError returns the error every Update of a read-only database
// returns, saying why, or nil when the database may be written.
func (db *DB) ReadOnlyError() error {
	if db.ro == nil {
		return nil
	}
	return db.ro.err()
}

// OpenReadOnly opens the existing kapbook database at path to read only:
// to look at a backup or a colleague's copy without any chance of
// changing it. Nothing is written: not the file, not its mode, no -wal or
// -shm file where the folder may not be written, and the schema is not
// brought up to date (a database from an older kapbook is refused with
// ESTORE saying so). Every Update returns ESTORE (and ErrReadOnly to
// errors.Is). Returns the errors Open returns, and EINVALID for a
// PostgreSQL address: log in as a role that may only read instead.
func OpenReadOnly(path string) (*DB, error) {
	if IsURL(path) {
		return nil, booking.Errorf(booking.EINVALID, "A PostgreSQL database (%s) is opened read-only by logging in as a role that may only read it; --read-only is for a database file.", Describe(path))
	}
	fi, err := statDB(path)
	if err != nil {
		return nil, err
	}
	if err := refuseEmpty(path, fi); err != nil {
		return nil, err
	}
	ro := notWritable(path)
	if ro == nil {
		ro = &readOnly{path: path, why: roAsked}
	}
	return openReadOnly(path, ro)
}

// statDB returns what Open needs to know of the file at path before
// opening it, or the error Open returns when there is no database there.
func statDB(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no kapbook database at %s; create one with kapctl init, or choose another with --db.", path)
	} else if err != nil {
		return nil, booking.Errorf(booking.ESTORE, "The database %s cannot be opened: %s.", path, describe(err))
	} else if fi.IsDir() {
		return nil, booking.Errorf(booking.ESTORE, "%s is a folder, not a kapbook database.", path)
	}
	return fi, nil
}

// roPragmas are set on every connection of a read-only database: no
// journal mode (setting WAL writes the header). SQLite's mode=ro is what
// keeps every write out; query_only would also refuse the VACUUM INTO of
// Backup, which writes only the new file.
var roPragmas = []string{"foreign_keys(1)", "busy_timeout(20000)"}

// openReadOnly opens the file at path with SQLite's mode=ro and checks,
// without writing, that it is a kapbook database of this kapbook's schema.
// A database in WAL mode needs a shared-memory file (-shm) beside it that
// SQLite makes when it is missing, with the database's mode, and leaves
// behind. One made by this user beside another user's database would stop
// its owner from writing, so where the -shm is missing and the database is
// someone else's, or the folder may not be written and no other process
// has the database open (no -wal with changes in it), the file is opened
// as immutable instead: what it held when opened, with nothing made
// beside it (https://www.sqlite.org/walformat.html#readonly,
// https://www.sqlite.org/uri.html#uriimmutable). A -shm this user makes
// beside their own read-only file is made readable and writable by them
// (0600), so that it is no obstacle once they may write the file.
func openReadOnly(path string, ro *readOnly) (*DB, error) {
	_, err := os.Stat(path + "-shm")
	shmMissing := errors.Is(err, fs.ErrNotExist)
	immutable := shmMissing && ownerOf(path) != ""
	sdb, h, err := openRO(path, immutable)
	if err == nil && !immutable && shmMissing {
		ownShm(path)
	}
	if err != nil && !immutable && retryImmutable(err) {
		if walInUse(path) {
			return nil, booking.Errorf(booking.ESTORE, "The database %s cannot be read here: its latest changes are still in %s-wal, which this user cannot read without creating a file in the folder. Ask whoever manages this computer for write access to the folder, or copy the database together with its -wal file and open the copy.", path, filepath.Base(path))
		}
		sdb, h, err = openRO(path, true)
	}
	if err != nil {
		switch sqliteCode(err) & 0xff {
		case codeNotADB, codeCorrupt:
			return nil, booking.Errorf(booking.ESTORE, "The file %s is not a kapbook database or is damaged: %s.", path, describe(err))
		case codeReadOnly, codeCantOpen, codePerm:
			return nil, booking.Errorf(booking.ESTORE, "The database %s cannot be read (%s); check that you may read it and its folder.", path, describe(err))
		}
		return nil, (&reader{path: path}).mapErr("open", err)
	}
	if err := h.check(path); err != nil {
		sdb.Close()
		return nil, err
	}
	if h.appID != applicationID || h.version < int64(len(migrations)) {
		sdb.Close()
		what := fmt.Sprintf("was made by an older kapbook (schema %d; this kapbook needs %d) and needs an upgrade", h.version, len(migrations))
		if h.objects == 0 {
			what = "is empty and needs setting up"
		}
		return nil, booking.Errorf(booking.ESTORE, "The database %s %s, which cannot be done read-only (%s). Open it once with write access to upgrade it, or open it with the kapbook that made it.", path, what, ro.reason())
	}
	return &DB{reader: reader{q: sdb, path: path}, sql: sdb, ro: ro}, nil
}

// reason is why the database is read-only, in a few words for messages
// that go on to say what cannot be done.
func (ro *readOnly) reason() string {
	switch ro.why {
	case roFile:
		return "you may read the file but not change it"
	case roFolder:
		return "you may not change its folder " + ro.dir
	case roMedium:
		return "its disk is mounted read-only"
	}
	return "it was opened read-only"
}

// openRO opens a read-only pool on path and reads its header.
func openRO(path string, immutable bool) (*sql.DB, header, error) {
	name := dsn(path, "ro", roPragmas...)
	if immutable {
		name += "&immutable=1"
	}
	sdb, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, header{}, err
	}
	h, err := readHeader(context.Background(), sdb)
	if err != nil {
		sdb.Close()
		return nil, header{}, err
	}
	return sdb, h, nil
}

// ownShm makes the -shm file that SQLite made for a read-only connection
// readable and writable by its owner, this user: SQLite gives it the mode
// of the database, which may lack the owner's write bit, and would then
// refuse every write through it once the database itself may be written.
// (An empty -wal takes the database's mode each time SQLite opens it.)
func ownShm(path string) {
	name := path + "-shm"
	if !modes {
		return
	}
	if fi, err := os.Stat(name); err == nil && ownerOf(name) == "" && fi.Mode().Perm() != 0o600 {
		chmod(name, 0o600)
	}
}

// retryImmutable reports whether a read-only open failed for want of
// a -shm file SQLite could make (SQLITE_READONLY_DIRECTORY,
// SQLITE_READONLY_CANTINIT, SQLITE_CANTOPEN).
func retryImmutable(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == codeReadOnly || c == codeCantOpen
}

// walInUse reports whether the database's -wal file holds changes not
// yet in the database file, which an immutable open would not see.
func walInUse(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}

// readOnlyErr is mapErr's answer to SQLite's "attempt to write a readonly
// database" on a database opened for writing: the file or its folder
// became read-only since, or SQLite could not write for another reason.
func readOnlyErr(path string, err error) error {
	if ro := notWritable(path); ro != nil {
		return ro.err()
	}
	return booking.Errorf(booking.ESTORE, "The database %s cannot be written (%s), so nothing was changed; check the file's permissions.", path, describe(err))
}

// pgReadOnlyTx is PostgreSQL's read_only_sql_transaction: a write in a
// session that may only read (default_transaction_read_only, or a server
// in recovery: a standby).
const pgReadOnlyTx = "25006"

// pgReadOnlyErr is pgMapErr's answer to a write refused because the
// session may only read: ESTORE, and ErrReadOnly to errors.Is.
func pgReadOnlyErr(where string, err error) error {
	return &readOnlyError{booking.Errorf(booking.ESTORE, "The database %s is read-only for this login (%s), so nothing was changed. Ask the database's administrator for a login that may write, or use this one only to look.", where, pgDescribe(err))}
}
