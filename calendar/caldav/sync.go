package caldav

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// Timing of the background sync (Syncer.Run).
const (
	// PullEvery is how often busy time is read from each calendar.
	PullEvery = 5 * time.Minute
	// WatchEvery is how often Run looks for a saved change to push.
	WatchEvery = time.Second
	// firstRetry and lastRetry bound the wait after a failed sync, which
	// doubles with each failure.
	firstRetry = 30 * time.Second
	lastRetry  = 15 * time.Minute
)

// Syncer keeps staff members' CalDAV calendars in step with kapbook: it
// pushes their appointments (Push) and pulls their busy time (Pull). The
// queue of what to push is the difference between the store and what the
// store says was put on the server (booking.CalDAVItem), so it survives
// a crash; an event's address on the server is made from its
// appointment's id and written with If-None-Match, so a retry never
// makes a second copy, and changes are written with If-Match on the
// ETag kapbook saw, so a change made on the server is noticed and put
// back, never overwritten unseen.
//
// A Syncer is safe for concurrent use; Run is meant to run once per
// process.
type Syncer struct {
	Store booking.Store
	Now   func() time.Time // nil: time.Now
	Actor string           // who acts, for the audit trail

	mu    sync.Mutex
	state map[int64]*staffState
	// one lets one sync of a staff member run at a time.
	one sync.Map // staff id → *sync.Mutex
}

// staffState is what Run remembers of one staff member's calendar.
type staffState struct {
	failures int
	retry    time.Time // no sync before this, after a failure
	pulled   time.Time // last pull attempt
	password *string   // from the keyring, once read
	// here is why this computer alone cannot sync the calendar (its
	// password is kept elsewhere), or "".
	here string
}

// LocalProblem says why this computer alone could not sync staff member
// staffID's calendar at its last try, or "": a problem the connection's
// shared Error does not show, because another desk may sync it well
// (its password is in that desk's keyring, not this one's).
func (s *Syncer) LocalProblem(staffID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.state[staffID]; st != nil {
		return st.here
	}
	return ""
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Syncer) stateOf(staffID int64) *staffState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		s.state = map[int64]*staffState{}
	}
	st := s.state[staffID]
	if st == nil {
		st = &staffState{}
		s.state[staffID] = st
	}
	return st
}

// Result says what one sync of one staff member's calendar did.
type Result struct {
	StaffID  int64
	New      int // appointments put on the server for the first time
	Changed  int // appointments whose event was updated
	Removed  int // events removed (cancelled or no longer theirs)
	Restored int // events changed or deleted on the server, put back
	Pulled   bool
	Busy     int // busy times read from the calendar
	// Clashes are the booked appointments new busy time covers
	// (booking.RecordBusyClashes).
	Clashes []*booking.Appointment
	Err     error // why the sync failed, in words (*Error)
}

// Pushed reports whether the sync changed anything on the server.
func (r Result) Pushed() int { return r.New + r.Changed + r.Removed + r.Restored }

// Sync pushes and, when pull is true, pulls the calendar of staff member
// staffID (every connected one when staffID is 0), now, whatever the
// backoff after earlier failures. A failure of one calendar is in its
// Result and the sync log; the error is the store's.
func (s *Syncer) Sync(ctx context.Context, staffID int64, pull bool) ([]Result, error) {
	accts, err := s.Store.CalDAVAccounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	found := false
	for _, a := range accts {
		if staffID != 0 && a.StaffID != staffID {
			continue
		}
		found = true
		res, err := s.syncOne(ctx, a, pull)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	if staffID != 0 && !found {
		return nil, booking.Errorf(booking.ENOTFOUND, "Staff member %d has no calendar connected; connect one first (kapctl caldav connect).", staffID)
	}
	return out, nil
}

// syncOne syncs one calendar and records the outcome: the backoff, the
// account's Error and, when something happened or the error is new, the
// sync log.
func (s *Syncer) syncOne(ctx context.Context, a *booking.CalDAVAccount, pull bool) (Result, error) {
	mu, _ := s.one.LoadOrStore(a.StaffID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	st := s.stateOf(a.StaffID)
	res := Result{StaffID: a.StaffID}
	c, err := s.client(ctx, a, st)
	if errors.Is(err, errNoPasswordHere) {
		// Another desk may hold the password: say so to this desk's
		// caller only, and look again much later.
		s.mu.Lock()
		st.retry = s.now().Add(lastRetry)
		st.here = errorWords(err)
		s.mu.Unlock()
		res.Err = err
		return res, nil
	}
	s.mu.Lock()
	st.here = ""
	s.mu.Unlock()
	if err == nil {
		err = s.push(ctx, c, a, &res)
	}
	if err == nil && pull {
		st.pulled = s.now()
		err = s.pull(ctx, c, a, &res)
	}
	if err != nil && !isSyncError(err) {
		return res, err // the store failed
	}
	res.Err = err
	return res, s.record(ctx, a, st, &res)
}

// isSyncError reports whether err is the server's (or the keyring's)
// doing rather than the store's.
func isSyncError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// record keeps the outcome of a sync.
func (s *Syncer) record(ctx context.Context, a *booking.CalDAVAccount, st *staffState, res *Result) error {
	now := s.now()
	prevError := a.Error
	var logs []booking.CalDAVLogEntry
	if res.Err != nil {
		st.failures++
		wait := firstRetry << min(st.failures-1, 5)
		st.retry = now.Add(min(wait, lastRetry))
		msg := errorWords(res.Err)
		if msg != a.Error {
			loc := time.Local
			if c, err := s.Store.Clinic(ctx); err == nil {
				loc = c.Location()
			}
			logs = append(logs, booking.CalDAVLogEntry{Kind: "error", Message: fmt.Sprintf("%s. kapbook tries again from %s; %s.",
				upperFirst(msg), st.retry.In(loc).Format("15:04"), pulledWords(a.Pulled, loc))})
		}
		a.Error = msg
	} else {
		if st.failures > 0 || a.Error != "" {
			logs = append(logs, booking.CalDAVLogEntry{Kind: "push", Message: "In touch with the server again."})
		}
		st.failures, st.retry, a.Error = 0, time.Time{}, ""
		if n := res.New + res.Changed + res.Removed; n > 0 {
			logs = append(logs, booking.CalDAVLogEntry{Kind: "push", Message: pushWords(res)})
		}
	}
	if a.Error == prevError && !res.Pulled && len(logs) == 0 {
		return nil
	}
	return s.Store.Update(ctx, func(tx booking.Tx) error {
		cur, err := accountOf(ctx, tx, a.StaffID)
		if err != nil || cur == nil || cur.Calendar != a.Calendar {
			return err // disconnected or reconnected meanwhile
		}
		if cur.Error != a.Error || res.Pulled {
			// Written only when it changed: every write wakes Run in
			// each process that watches the store.
			cur.Error = a.Error
			if res.Pulled {
				cur.Pulled = now
			}
			if err := tx.SaveCalDAVAccount(ctx, cur); err != nil {
				return err
			}
		}
		for i := range logs {
			logs[i].StaffID, logs[i].At = a.StaffID, now
			if err := tx.AddCalDAVLog(ctx, &logs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// errorWords is the sync log's words for a failed sync.
func errorWords(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return "the calendar could not be synced"
}

// pushWords says what a push did.
func pushWords(r *Result) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.New, "new")
	add(r.Changed, "changed")
	add(r.Removed, "removed")
	n := r.New + r.Changed + r.Removed
	noun := "appointments"
	if n == 1 {
		noun = "appointment"
	}
	return fmt.Sprintf("Sent %d %s to the calendar: %s.", n, noun, strings.Join(parts, ", "))
}

// pulledWords says what busy time booking goes on with.
func pulledWords(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "until then no busy time from this calendar blocks booking"
	}
	return "until then booking goes on with the busy time read " + t.In(loc).Format("Mon 2 Jan 15:04")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// accountOf returns staff member staffID's connection, or nil.
func accountOf(ctx context.Context, r booking.Reader, staffID int64) (*booking.CalDAVAccount, error) {
	accts, err := r.CalDAVAccounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.StaffID == staffID {
			return a, nil
		}
	}
	return nil, nil
}

// client returns a client for a's server with the password from the
// keyring and the hosts the clinic allows.
func (s *Syncer) client(ctx context.Context, a *booking.CalDAVAccount, st *staffState) (*Client, error) {
	c, err := s.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	pw := st.password
	s.mu.Unlock()
	if pw == nil {
		p, err := Password(a)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		st.password = &p
		s.mu.Unlock()
		pw = &p
	}
	return NewClient(c.CalendarHosts, a.User, *pw), nil
}

// plan is what a push works from: the appointments a calendar should
// show and what was put there before.
type plan struct {
	cal      *url.URL
	clinic   *booking.Clinic
	instance string
	staff    []*booking.Staff
	want     map[int64]*booking.Appointment // by id: shown, not cancelled
	items    map[int64]*booking.CalDAVItem  // by appointment id
	from     time.Time                      // the window's start
	names    map[int64]string
	r        booking.Reader
}

// window returns the appointments a calendar shows at now: those of a
// live feed (calendar.FeedDaysBack days back to calendar.FeedDaysAhead
// ahead).
func window(now time.Time) (time.Time, time.Time) {
	today := booking.DateOf(now)
	return (today - calendar.FeedDaysBack).At(0, now.Location()), (today + calendar.FeedDaysAhead + 1).At(0, now.Location())
}

// load reads the plan of a push.
func (s *Syncer) load(ctx context.Context, a *booking.CalDAVAccount) (*plan, error) {
	cal, err := parseURL(a.Calendar)
	if err != nil {
		return nil, err
	}
	p := &plan{cal: cal, want: map[int64]*booking.Appointment{}, items: map[int64]*booking.CalDAVItem{}, names: map[int64]string{}, r: s.Store}
	if p.clinic, err = s.Store.Clinic(ctx); err != nil {
		return nil, err
	}
	if p.instance, err = s.Store.InstanceID(ctx); err != nil {
		return nil, err
	}
	if p.staff, err = s.Store.StaffList(ctx); err != nil {
		return nil, err
	}
	from, to := window(s.now().In(p.clinic.Location()))
	p.from = from
	appts, err := s.Store.Appointments(ctx, booking.AppointmentFilter{StaffID: a.StaffID, From: from, To: to})
	if err != nil {
		return nil, err
	}
	for _, ap := range appts {
		if ap.Status != booking.Cancelled {
			p.want[ap.ID] = ap
		}
	}
	items, err := s.Store.CalDAVItems(ctx, a.StaffID)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		p.items[it.AppointmentID] = it
	}
	return p, nil
}

// render returns the calendar of one appointment's event, as the staff
// member's feed shows it, and its hash. Its DTSTAMP is the appointment's
// last change, so the same appointment renders the same bytes.
func (p *plan) render(ctx context.Context, a *booking.Appointment, privacy string) ([]byte, string, error) {
	var nameErr error
	name := func(id int64) string {
		if n, ok := p.names[id]; ok {
			return n
		}
		pt, err := p.r.Patient(ctx, id)
		if err != nil {
			nameErr = err
			return ""
		}
		p.names[id] = pt.Name
		return pt.Name
	}
	stamp := a.Updated
	if stamp.IsZero() {
		stamp = a.Created
	}
	var buf bytes.Buffer
	err := calendar.Write(&buf, calendar.Export{Clinic: p.clinic, InstanceID: p.instance, Appointments: []*booking.Appointment{a},
		PatientName: name, Privacy: calendar.FeedPrivacy(privacy), Now: stamp, Staff: p.staff})
	if err == nil {
		err = nameErr
	}
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

// href returns the address of an appointment's event in the calendar:
// made of the appointment's id and the database's instance id, so it is
// the same at every try.
func (p *plan) href(apptID int64) *url.URL {
	return p.cal.ResolveReference(&url.URL{Path: p.cal.Path + "kapbook-" + strconv.FormatInt(apptID, 10) + "-" + p.instance + ".ics"})
}

// push brings the server's copy of a's appointments up to date: new ones
// put, changed ones replaced, cancelled ones (and those no longer a's)
// removed. Each outcome is stored as soon as the server has it.
func (s *Syncer) push(ctx context.Context, c *Client, a *booking.CalDAVAccount, res *Result) error {
	p, err := s.load(ctx, a)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(p.want))
	for id := range p.want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ap := p.want[id]
		body, hash, err := p.render(ctx, ap, a.Privacy)
		if err != nil {
			return err
		}
		it := p.items[id]
		if it != nil && it.Hash == hash {
			continue
		}
		u := p.href(id)
		if it != nil {
			u, _ = p.cal.Parse(it.Href)
		}
		etag, restored, err := s.put(ctx, c, p, u, body, it)
		if err != nil {
			return err
		}
		switch {
		case restored != "":
			res.Restored++
			if err := s.log(ctx, a.StaffID, "restore", restoreWords(ap, p.clinic, restored)); err != nil {
				return err
			}
		case it == nil:
			res.New++
		default:
			res.Changed++
		}
		if err := s.saveItem(ctx, a, &booking.CalDAVItem{StaffID: a.StaffID, AppointmentID: id, Href: u.EscapedPath(), ETag: etag, Hash: hash}); err != nil {
			return err
		}
	}
	for id, it := range p.items {
		if p.want[id] != nil {
			continue
		}
		keep, err := s.outOfWindow(ctx, a.StaffID, id, p.from)
		if err != nil {
			return err
		}
		if !keep {
			u, _ := p.cal.Parse(it.Href)
			if err := deleteEvent(ctx, c, u, it.ETag); err != nil {
				return err
			}
			res.Removed++
		}
		if err := s.forgetItem(ctx, a, id); err != nil {
			return err
		}
	}
	return nil
}

// put writes one event. it is what was put before (nil: nothing). When
// the server's copy is not what kapbook put (changed or deleted there),
// it is put back and restored says what the server had, in words; when
// the server's copy already is what kapbook means (a push cut short after
// the server had it), it is only taken note of.
func (s *Syncer) put(ctx context.Context, c *Client, p *plan, u *url.URL, body []byte, it *booking.CalDAVItem) (etag, restored string, err error) {
	match := ""
	if it != nil {
		match = it.ETag
	}
	etag, err = c.Put(ctx, u, body, match)
	if err == nil {
		return etag, "", nil
	}
	if !errors.Is(err, errPrecondition) && !errors.Is(err, errGone) {
		return "", "", err
	}
	// Not as kapbook left it: see what is there.
	theirs, tag, gerr := c.Get(ctx, u)
	switch {
	case errors.Is(gerr, errGone):
		if it != nil {
			restored = "deleted on the server"
		}
		etag, err = c.Put(ctx, u, body, "")
	case gerr != nil:
		return "", "", gerr
	case sameEvent(theirs, body, p.clinic.Location()):
		return tag, "", nil
	default:
		if it != nil {
			restored = changeWords(theirs, body, p.clinic.Location())
		}
		etag, err = c.Put(ctx, u, body, tag)
	}
	if err != nil {
		if errors.Is(err, errPrecondition) || errors.Is(err, errGone) {
			err = &Error{Reason: "the event changed on the server while kapbook was writing it; kapbook tries again", Err: err}
		}
		return "", "", err
	}
	return etag, restored, nil
}

// deleteEvent removes an event kapbook put, whatever was done to it on
// the server since.
func deleteEvent(ctx context.Context, c *Client, u *url.URL, etag string) error {
	err := c.Delete(ctx, u, etag)
	if errors.Is(err, errPrecondition) {
		err = c.Delete(ctx, u, "")
	}
	return err
}

// outOfWindow reports whether an appointment kapbook put on staffID's
// calendar is still theirs and only too old to be in the window now:
// its event stays on the server, as a past appointment does in a feed.
func (s *Syncer) outOfWindow(ctx context.Context, staffID, apptID int64, from time.Time) (bool, error) {
	ap, err := s.Store.Appointment(ctx, apptID)
	if booking.ErrorCode(err) == booking.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ap.Status == booking.Cancelled || !ap.End.Before(from) {
		return false, nil
	}
	for _, as := range ap.Staff {
		if as.StaffID == staffID {
			return true, nil
		}
	}
	return false, nil
}

// saveItem stores what was put, unless the calendar was disconnected or
// changed meanwhile.
func (s *Syncer) saveItem(ctx context.Context, a *booking.CalDAVAccount, it *booking.CalDAVItem) error {
	return s.Store.Update(ctx, func(tx booking.Tx) error {
		cur, err := accountOf(ctx, tx, a.StaffID)
		if err != nil || cur == nil || cur.Calendar != a.Calendar {
			return err
		}
		return tx.SaveCalDAVItem(ctx, it)
	})
}

// forgetItem drops what was put for one appointment.
func (s *Syncer) forgetItem(ctx context.Context, a *booking.CalDAVAccount, apptID int64) error {
	return s.Store.Update(ctx, func(tx booking.Tx) error {
		return tx.DeleteCalDAVItem(ctx, a.StaffID, apptID)
	})
}

// log appends one entry to a staff member's sync log.
func (s *Syncer) log(ctx context.Context, staffID int64, kind, msg string) error {
	return s.Store.Update(ctx, func(tx booking.Tx) error {
		return tx.AddCalDAVLog(ctx, &booking.CalDAVLogEntry{StaffID: staffID, At: s.now(), Kind: kind, Message: msg})
	})
}

// restoreWords is the sync log's line for an event put back.
func restoreWords(a *booking.Appointment, c *booking.Clinic, what string) string {
	return fmt.Sprintf("Appointment %d (%s) was %s; kapbook put it back as booked.", a.ID, timeWords(a.Start, a.End, c.Location()), what)
}

// timeWords writes a time span as the front desk reads it.
func timeWords(start, end time.Time, loc *time.Location) string {
	start, end = start.In(loc), end.In(loc)
	return start.Format("Mon 2 Jan 2006 15:04") + "–" + end.Format("15:04")
}
