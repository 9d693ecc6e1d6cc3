package store

import (
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
)

// osUser returns the operating-system account this process runs as, as
// the audit trail records it beside the name an action was given: the
// login name (DOMAIN\name on Windows), else $USER or $USERNAME, else the
// numeric user id.
var osUser = sync.OnceValue(func() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "uid " + strconv.Itoa(os.Getuid())
})

// UserName returns the user name in the operating-system account name
// account, for people to read: on Windows, "name" of DOMAIN\name (the
// audit trail keeps the whole account, osUser). Other names are returned
// as they are.
func UserName(account string) string {
	if i := strings.LastIndexByte(account, '\\'); i >= 0 && i < len(account)-1 {
		return account[i+1:]
	}
	return account
}
