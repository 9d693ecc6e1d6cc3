package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/internal/secret"
)

// keyringAccount is the keyring account a connection's password is kept
// under: "caldav:", the user, "@" and the calendar's host.
func keyringAccount(user, calendarURL string) string {
	host := calendarURL
	if u, err := url.Parse(calendarURL); err == nil {
		host = strings.ToLower(u.Host)
	}
	return "caldav:" + user + "@" + host
}

// Password returns the password of a connection from the OS keyring: ""
// when none is kept (a server that asks for none). An *Error says when
// the keyring cannot be reached or has lost it.
//
// A password listed in the file PasswordsEnv names comes first.
func Password(a *booking.CalDAVAccount) (string, error) {
	if !a.Password || a.User == "" {
		return "", nil
	}
	if pw, ok, err := FilePassword(a.User, a.Calendar); err != nil {
		return "", &Error{Reason: strings.TrimSuffix(booking.ErrorMessage(err), "."), Err: errNoPasswordHere}
	} else if ok {
		return pw, nil
	}
	pw, err := secret.Get(keyringAccount(a.User, a.Calendar))
	switch {
	case errors.Is(err, secret.ErrNotFound):
		return "", &Error{Reason: "this computer's keyring holds no password for the calendar (it was connected on another computer, or the keyring was reset); connect the calendar again here, or list it in the file " + PasswordsEnv + " names", Err: errNoPasswordHere}
	case err != nil:
		return "", &Error{Reason: "the password of this calendar cannot be read from this computer's keyring (" + err.Error() + "); connect the calendar again on a computer with a keyring, or list it in the file " + PasswordsEnv + " names", Err: errNoPasswordHere}
	}
	return pw, nil
}

// errNoPasswordHere is why this computer cannot sync a calendar whose
// password is kept in another computer's keyring. It concerns this
// computer alone, so it is not written to the connection's shared state
// or log: another desk may be syncing the calendar well.
var errNoPasswordHere = errors.New("caldav: the password is not on this computer")

// savePassword keeps a connection's password in the OS keyring, unless
// the file PasswordsEnv names lists it for the calendar's host already.
func savePassword(user, calendarURL, password string) error {
	if user == "" || password == "" {
		return nil
	}
	if pw, ok, err := FilePassword(user, calendarURL); err != nil {
		return err
	} else if ok && pw == password {
		return nil
	}
	if err := secret.Set(keyringAccount(user, calendarURL), password); err != nil {
		return booking.Errorf(booking.ESTORE, "The password cannot be kept in this computer's keyring (%v), so the calendar was not connected. Sign in to the desktop session, or list the password in the file %s names (docs/caldav.md).", err, PasswordsEnv)
	}
	return nil
}

// Discover signs in to the CalDAV server at server as user and lists
// the calendars there that can hold events, and the calendar home where
// a new one can be made (Client.Discover). The clinic's allowed hosts
// apply.
func Discover(ctx context.Context, st booking.Reader, server, user, password string) (home string, cals []Calendar, err error) {
	c, err := st.Clinic(ctx)
	if err != nil {
		return "", nil, err
	}
	return NewClient(c.CalendarHosts, strings.TrimSpace(user), password).Discover(ctx, server)
}

// ConnectRequest is what connecting a staff member's calendar takes.
type ConnectRequest struct {
	StaffID  int64
	Server   string // a server, principal or calendar address
	User     string // "" for a server that asks for none
	Password string // kept in the OS keyring, never in the database
	// Calendar is the address of the calendar to use, one Discover
	// found; or NewName names a calendar to make in Home.
	Calendar string
	NewName  string
	Home     string
	// Privacy shows patients in events as full, initials or id; ""
	// takes the staff member's live feed's, else initials.
	Privacy string
}

// Connect connects a staff member's calendar: it checks that kapbook can
// read and write it (making it first when asked), keeps the password in
// the OS keyring, and stores the connection, replacing an earlier one and
// any calendar subscription of theirs (their busy time now comes from
// here), with an audit entry "caldav-connect" and a first line in the
// sync log. The first push and pull are Sync's. Returns EINVALID for a
// request that lacks something, ENOTFOUND for an unknown staff member,
// and an *Error when the server refuses.
func (s *Syncer) Connect(ctx context.Context, req ConnectRequest) (*booking.CalDAVAccount, error) {
	staff, err := s.Store.StaffList(ctx)
	if err != nil {
		return nil, err
	}
	var member *booking.Staff
	for _, x := range staff {
		if x.ID == req.StaffID {
			member = x
		}
	}
	if member == nil {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no staff member with id %d.", req.StaffID)
	}
	if strings.TrimSpace(req.Server) == "" {
		return nil, booking.Errorf(booking.EINVALID, "Give the calendar server's address, such as https://calendar.example.org/.")
	}
	if req.Calendar == "" && strings.TrimSpace(req.NewName) == "" {
		return nil, booking.Errorf(booking.EINVALID, "Choose one of the calendars found, or name a new one for kapbook to make.")
	}
	if strings.ContainsAny(req.Password, "\r\n\x00") {
		return nil, booking.Errorf(booking.EINVALID, "The password contains a line break; type it on one line.")
	}
	privacy := req.Privacy
	if privacy == "" {
		privacy = string(calendar.PrivacyInitials)
		if feeds, err := s.Store.Feeds(ctx, booking.Resource{Kind: booking.StaffResource, ID: req.StaffID}); err == nil {
			for _, f := range feeds {
				if f.Revoked == nil {
					privacy = string(calendar.FeedPrivacy(f.Privacy))
				}
			}
		}
	}
	if calendar.FeedPrivacy(privacy) != calendar.Privacy(privacy) {
		return nil, booking.Errorf(booking.EINVALID, "Privacy is full, initials or id.")
	}
	clinic, err := s.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	user := strings.TrimSpace(req.User)
	c := NewClient(clinic.CalendarHosts, user, req.Password)
	acct := &booking.CalDAVAccount{StaffID: req.StaffID, Server: strings.TrimSpace(req.Server), User: user, Password: user != "" && req.Password != "",
		Privacy: privacy, Created: s.now()}
	if req.Calendar != "" {
		u, err := parseURL(req.Calendar)
		if err != nil {
			return nil, err
		}
		acct.Calendar = collectionURL(u)
		ok, name, err := c.isCalendar(ctx, u)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &Error{Reason: "the server " + u.Host + " has no calendar at the address chosen"}
		}
		acct.CalendarName = nameOr(name, u)
	} else {
		home := req.Home
		if home == "" {
			if home, _, err = c.Discover(ctx, req.Server); err != nil {
				return nil, err
			}
		}
		made, err := c.MakeCalendar(ctx, home, strings.TrimSpace(req.NewName))
		if err != nil {
			return nil, err
		}
		acct.Calendar, acct.CalendarName, acct.Made = made.URL, made.Name, true
	}
	cal, _ := parseURL(acct.Calendar)
	if _, err := c.Query(ctx, cal, s.now(), s.now().Add(time.Hour)); err != nil {
		return nil, err
	}
	if err := savePassword(user, acct.Calendar, req.Password); err != nil {
		return nil, err
	}
	st := s.stateOf(req.StaffID)
	s.mu.Lock()
	pw := req.Password
	st.password, st.failures, st.retry, st.pulled = &pw, 0, time.Time{}, time.Time{}
	s.mu.Unlock()
	err = s.Store.Update(ctx, func(tx booking.Tx) error {
		if _, err := tx.DeleteCalDAVAccount(ctx, req.StaffID); err != nil {
			return err
		}
		if err := tx.SaveCalDAVAccount(ctx, acct); err != nil {
			return err
		}
		sub, err := tx.DeleteBusySubscription(ctx, req.StaffID)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("staff %d: the calendar %q at %s, privacy %s", req.StaffID, acct.CalendarName, cal.Host, privacy)
		if sub {
			note += "; replaces their calendar subscription"
		}
		if err := tx.AddAudit(ctx, &booking.AuditEntry{At: s.now(), Actor: s.Actor, Action: "caldav-connect", Note: note}); err != nil {
			return err
		}
		made := ""
		if acct.Made {
			made = " (made by kapbook)"
		}
		return tx.AddCalDAVLog(ctx, &booking.CalDAVLogEntry{StaffID: req.StaffID, At: s.now(), Kind: "connect",
			Message: fmt.Sprintf("Connected to the calendar “%s”%s on %s.", acct.CalendarName, made, cal.Host)})
	})
	if err != nil {
		return nil, err
	}
	return acct, nil
}

// Disconnected says what Disconnect did.
type Disconnected struct {
	Removed int  // events removed from the server
	Deleted bool // the calendar kapbook made was deleted
	Busy    int  // busy times that no longer block booking
	// Err is why the server's copies could not be removed; the
	// connection was ended all the same.
	Err error
}

// Disconnect ends a staff member's calendar connection: when remove is
// true it first removes from the server what kapbook put there (the whole
// calendar, if kapbook made it); then it forgets the connection, its
// items and log, the password in the keyring and the busy time read from
// the calendar, with an audit entry "caldav-disconnect". Returns
// ENOTFOUND when there is no connection.
func (s *Syncer) Disconnect(ctx context.Context, staffID int64, remove bool) (Disconnected, error) {
	var out Disconnected
	a, err := accountOf(ctx, s.Store, staffID)
	if err != nil {
		return out, err
	}
	if a == nil {
		return out, booking.Errorf(booking.ENOTFOUND, "Staff member %d has no calendar connected.", staffID)
	}
	mu, _ := s.one.LoadOrStore(staffID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if remove {
		out.Removed, out.Deleted, out.Err = s.removeAll(ctx, a)
	}
	err = s.Store.Update(ctx, func(tx booking.Tx) error {
		if _, err := tx.DeleteCalDAVAccount(ctx, staffID); err != nil {
			return err
		}
		staff, err := tx.StaffList(ctx)
		if err != nil {
			return err
		}
		for _, st := range staff {
			if st.ID == staffID && len(st.Busy) > 0 {
				out.Busy = len(st.Busy)
				st.Busy = nil
				if err := tx.SaveStaff(ctx, st); err != nil {
					return err
				}
			}
		}
		note := fmt.Sprintf("staff %d: the calendar at %s; %d busy times no longer block booking", staffID, Host(a.Calendar), out.Busy)
		switch {
		case out.Deleted:
			note += "; the calendar kapbook made was deleted"
		case remove:
			note += fmt.Sprintf("; %d events removed from it", out.Removed)
		}
		return tx.AddAudit(ctx, &booking.AuditEntry{At: s.now(), Actor: s.Actor, Action: "caldav-disconnect", Note: note})
	})
	if err != nil {
		return out, err
	}
	if a.Password {
		secret.Delete(keyringAccount(a.User, a.Calendar)) // best effort: the connection is gone either way
	}
	s.mu.Lock()
	delete(s.state, staffID)
	s.mu.Unlock()
	return out, nil
}

// removeAll removes what kapbook put on a's server.
func (s *Syncer) removeAll(ctx context.Context, a *booking.CalDAVAccount) (removed int, deleted bool, err error) {
	c, err := s.client(ctx, a, s.stateOf(a.StaffID))
	if err != nil {
		return 0, false, err
	}
	if a.Made {
		if err := c.DeleteCalendar(ctx, a.Calendar); err != nil {
			return 0, false, err
		}
		return 0, true, nil
	}
	items, err := s.Store.CalDAVItems(ctx, a.StaffID)
	if err != nil {
		return 0, false, err
	}
	cal, err := parseURL(a.Calendar)
	if err != nil {
		return 0, false, err
	}
	for _, it := range items {
		u, _ := cal.Parse(it.Href)
		if err := c.Delete(ctx, u, ""); err != nil {
			return removed, false, err
		}
		removed++
	}
	return removed, false, nil
}
