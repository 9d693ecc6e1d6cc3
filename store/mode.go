package store

import (
	"io/fs"
	"os"
	"runtime"
)

// modes reports whether file modes keep other users of this computer out
// of the database. Not on Windows: there the folder's place and access
// list do, mode bits only flip the read-only attribute, and a chmod of
// the -wal or -shm file that SQLite holds open fails with a sharing
// violation. A test sets it to play Windows.
var modes = runtime.GOOS != "windows"

// setMode is os.Chmod; a test replaces it to play Windows's refusal.
var setMode = os.Chmod

// tighten gives the database file, backup or folder name the owner-only
// mode (0600 for a file, 0700 for a folder) where modes guard it, and
// does nothing where they do not.
func tighten(name string, mode fs.FileMode) error {
	if !modes {
		return nil
	}
	return setMode(name, mode)
}
