package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// Backup writes a copy of the whole database to a new file at path, while
// other windows and commands go on reading and writing: the copy is one
// consistent snapshot, taken with SQLite's VACUUM INTO
// (https://www.sqlite.org/lang_vacuum.html#vacuuminto), and is itself a
// kapbook database that Open reads. The file is readable by its owner only
// (mode 0600) from the moment it exists, and so are the folders Backup
// makes (0700). Returns EINVALID if a file exists at path already (Backup
// never overwrites) or if the database is on a PostgreSQL server (back that
// up with pg_dump; docs/operations.md), and ESTORE if the file cannot be
// written.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.pg {
		return booking.Errorf(booking.EINVALID, "The database is on a PostgreSQL server; back it up there with pg_dump (see docs/operations.md, \"Backups\").")
	}
	if IsURL(path) {
		return booking.Errorf(booking.EINVALID, "A backup goes into a file, not to %s.", Describe(path))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return booking.Errorf(booking.EINVALID, "The backup file %s cannot be found: %s.", path, describe(err))
	}
	dir := filepath.Dir(abs)
	if err := mkdirPrivate(dir); err != nil {
		return booking.Errorf(booking.ESTORE, "The folder %s cannot be created: %s.", dir, describe(err))
	}
	// Make the file owner-only before anything is in it; VACUUM INTO
	// writes into an empty file as into a new one.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return booking.Errorf(booking.EINVALID, "A file already exists at %s; kapbook will not overwrite it with a backup.", path)
	} else if err != nil {
		return booking.Errorf(booking.ESTORE, "The backup %s cannot be created: %s.", path, describe(err))
	}
	err = tighten(abs, 0o600) // whatever the umask
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(abs)
		return booking.Errorf(booking.ESTORE, "The backup %s cannot be created: %s.", path, describe(err))
	}
	// VACUUM INTO takes no parameters: quote the name as an SQL string.
	// It is absolute, so SQLite never reads it as a file: URI.
	if _, err := db.sql.ExecContext(ctx, "VACUUM INTO '"+strings.ReplaceAll(abs, "'", "''")+"'"); err != nil {
		for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
			os.Remove(abs + suffix)
		}
		if code := sqliteCode(err) & 0xff; code == codeFull || code == codeIOErr || code == codeCantOpen || code == codeReadOnly || code == codePerm {
			return booking.Errorf(booking.ESTORE, "The backup %s cannot be written: %s.", path, describe(err))
		}
		return db.mapErr("backup", err)
	}
	if err := tighten(abs, 0o600); err != nil {
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	return nil
}
