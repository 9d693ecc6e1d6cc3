package calendar

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kapbook/kapbook/booking"
)

// WriteFile writes the export to the file at path, readable by its owner
// only (it holds patient data): a temporary file beside path is renamed
// over it once whole, so a failed export leaves nothing behind. Its errors
// are booking.Errors in words for the front desk.
func WriteFile(path string, x Export) error {
	cannot := func(why string) error {
		return booking.Errorf(booking.EINVALID, "The calendar could not be saved as %s: %s", path, why)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return cannot("it is a folder; give a file name such as " + filepath.Join(path, "appointments.ics") + ".")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kapbook-calendar-*.ics")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return cannot("its folder does not exist.")
		}
		return cannot("its folder is not writable for kapbook; choose another folder.")
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	const failed = "writing it failed (is the disk full?)."
	if err := tmp.Chmod(0o600); err != nil {
		return cannot("kapbook may not set who can read it.")
	}
	if err := Write(tmp, x); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return cannot(failed)
		}
		return err
	}
	if err := tmp.Sync(); err != nil {
		return cannot(failed)
	}
	if err := tmp.Close(); err != nil {
		return cannot(failed)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return cannot("kapbook may not replace the file there; choose another name or folder.")
	}
	done = true
	return nil
}
