//go:build unix

package store

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// wOK and xOK are access(2)'s modes: may write, may enter.
const (
	wOK = 0x2
	xOK = 0x1
)

// notWritable returns why this user may read the database at path but
// not write it, or nil if they may write it (root always may, except on
// a read-only disk) or the reason is something else, which opening will
// tell. SQLite writes the database's -wal and -shm files beside it, so a
// folder this user may not write makes the database read-only too.
func notWritable(path string) *readOnly {
	err := syscall.Access(path, wOK)
	switch {
	case errors.Is(err, syscall.EROFS):
		return &readOnly{path: path, why: roMedium}
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return &readOnly{path: path, why: roFile, owner: ownerOf(path)}
	case err != nil:
		return nil
	}
	dir := filepath.Dir(path)
	err = syscall.Access(dir, wOK|xOK)
	switch {
	case errors.Is(err, syscall.EROFS):
		return &readOnly{path: path, why: roMedium}
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return &readOnly{path: path, why: roFolder, dir: dir, owner: ownerOf(dir)}
	}
	return nil
}

// ownerOf returns the name of the user who owns the file at path, or ""
// if that is this user or cannot be found.
func ownerOf(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Getuid() {
		return ""
	}
	id := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username
	}
	return "user id " + id
}

// currentUser returns this user's login name, for messages.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}
