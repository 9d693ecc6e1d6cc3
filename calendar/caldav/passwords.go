package caldav

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// PasswordsEnv names a file of CalDAV passwords for a computer without a
// keyring (a server running kapctl serve): one "USER@HOST PASSWORD" a
// line, HOST as in the calendar's address (with its port, if any), the
// password the rest of the line; blank lines and lines starting with #
// are skipped. The file must be readable by its owner only. A password
// found there comes before the keyring, and is never copied into it.
const PasswordsEnv = "KAPBOOK_CALDAV_PASSWORDS"

// FilePassword returns the password listed for user at the host of
// address in the file PasswordsEnv names; ok is false when the variable
// is not set or the file has no such line. An EINVALID error says when
// the file cannot be read or others may read it.
func FilePassword(user, address string) (password string, ok bool, err error) {
	path := os.Getenv(PasswordsEnv)
	if path == "" || user == "" {
		return "", false, nil
	}
	want := strings.ToLower(user + "@" + Host(strings.TrimSpace(address)))
	fi, err := os.Stat(path)
	if err != nil {
		return "", false, booking.Errorf(booking.EINVALID, "The CalDAV password file named by %s cannot be read: %s.", PasswordsEnv, fileProblem(err))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", false, booking.Errorf(booking.EINVALID, "Others on this computer may read the CalDAV password file named by %s; make it yours alone first: chmod 600 %s", PasswordsEnv, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false, booking.Errorf(booking.EINVALID, "The CalDAV password file named by %s cannot be read: %s.", PasswordsEnv, fileProblem(err))
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t := strings.TrimLeft(line, " \t")
		i := strings.IndexAny(t, " \t") // the key ends at the first space or tab
		if i > 0 && strings.ToLower(t[:i]) == want && t[i+1:] != "" {
			return t[i+1:], true, nil
		}
	}
	return "", false, nil
}

// fileProblem words why a file cannot be read, without its contents.
func fileProblem(err error) string {
	switch {
	case os.IsNotExist(err):
		return "there is no such file"
	case os.IsPermission(err):
		return "you may not read it"
	}
	return fmt.Sprintf("%v", err)
}
