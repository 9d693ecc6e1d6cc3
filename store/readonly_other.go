//go:build !unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
)

// notWritable returns why this user may read the database at path but
// not write it (the file is marked read-only, or its access list lets
// them read only), or nil if they may write it or the reason is
// something else, which opening will tell. Opening the file for writing,
// without writing, is the only portable way to ask.
func notWritable(path string) *readOnly {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		f.Close()
		return nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return &readOnly{path: path, why: roFile}
	}
	return nil
}

// currentUser returns this user's login name, for messages.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USERNAME"); u != "" {
		return u
	}
	return "you"
}

// ownerOf returns "": the file's owner is not told apart here.
func ownerOf(path string) string { return "" }
