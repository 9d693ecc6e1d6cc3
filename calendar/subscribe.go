package calendar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// Subscriptions to staff members' own calendars: the calendar app
// publishes a private address (Google's "secret address in iCal format",
// Apple's public calendar link, Outlook's ICS link) and kapbook fetches it
// on a schedule. Those addresses are secrets, like passwords: they are
// stored, but never shown, logged or written to the audit trail in full
// (see RedactURL).

// Limits of a fetch.
const (
	// MaxSubscriptionBytes is the largest subscribed calendar Fetch accepts.
	MaxSubscriptionBytes = 10 << 20
	// FetchTimeout bounds one fetch, from connecting to the last byte.
	FetchTimeout = 30 * time.Second
	// RefreshEvery is how long a fetched calendar stays fresh; Due reports
	// when a subscription needs fetching again.
	RefreshEvery = time.Hour
)

// FetchError says why fetching a subscribed calendar failed, in words
// for people. It never holds the calendar's full address.
type FetchError struct {
	Reason string // "the calendar server answered 404 Not Found"
	Err    error  // the cause, if any
}

// Error implements the error interface.
func (e *FetchError) Error() string { return "calendar: " + e.Reason }

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// SubscriptionURL checks the address of a calendar to subscribe to and
// returns it in the form to store: http or https, with a host; webcal://
// (what calendar apps hand out) is read as https://. The error message
// never repeats the address, which may carry a secret.
func SubscriptionURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", booking.Errorf(booking.EINVALID, "That is not a calendar address; it should look like https://calendar.example.com/…/basic.ics.")
	}
	switch strings.ToLower(u.Scheme) {
	case "webcal", "webcals":
		u.Scheme = "https"
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	default:
		return "", booking.Errorf(booking.EINVALID, "A calendar address must start with https:// (or http:// or webcal://).")
	}
	u.Fragment = ""
	if len(u.String()) > 4000 {
		return "", booking.Errorf(booking.EINVALID, "That calendar address is too long.")
	}
	return u.String(), nil
}

// RedactURL returns a calendar address reduced to what may be shown:
// scheme and host, "https://calendar.google.com/…". Private calendar
// addresses carry their secret in the path, the query or the user info.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(an address that is not shown)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// hostOf returns the host (and port) of a calendar address.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "of the calendar"
}

// Due reports whether sub should be fetched at now: it never was, or
// its last attempt, good or not, is RefreshEvery old.
func Due(sub *booking.BusySubscription, now time.Time) bool {
	return sub.Fetched.IsZero() || !now.Before(sub.Fetched.Add(RefreshEvery))
}

// Fetch downloads sub's calendar and, if it reads (ImportBusy with opts),
// keeps it as sub's last good copy: Body, ETag and LastModified. It sends
// If-None-Match and If-Modified-Since when it has a copy, so an unchanged
// calendar costs a 304. It sets sub.Fetched to the attempt's time (opts.Now)
// and sub.Error to what went wrong, or "".
//
// A nil client is NewFetchClient(nil): no internal address is allowed.
// A client given is used as it is; it answers for where it connects.
//
// On any failure (no answer within FetchTimeout, an HTTP error, a body
// over MaxSubscriptionBytes, a calendar ImportBusy refuses, an address
// the client's guard refuses) it keeps the last good copy and returns a
// *FetchError. Its reason names the server's host, never the rest of the
// address, and never quotes what the server sent: a body that is not a
// calendar is described by its status and content type, and the values
// in a calendar's errors are left out. changed reports whether Body is new.
func Fetch(ctx context.Context, client *http.Client, sub *booking.BusySubscription, opts ImportOptions) (changed bool, err error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	sub.Fetched = now
	f, err := fetchBody(ctx, client, sub)
	body := f.body
	if err == nil && body != nil {
		if _, ierr := ImportBusy(bytes.NewReader(body), opts); ierr != nil {
			err = notImported(f, hostOf(sub.URL), ierr)
		}
	}
	if err != nil {
		var fe *FetchError
		if !errors.As(err, &fe) {
			fe = &FetchError{Reason: "the calendar could not be fetched", Err: err}
			err = fe
		}
		sub.Error = fe.Reason
		return false, err
	}
	sub.Error = ""
	if body == nil { // 304 Not Modified
		return false, nil
	}
	changed = !bytes.Equal(body, sub.Body)
	sub.Body, sub.ETag, sub.LastModified = body, f.etag, f.modified
	return changed, nil
}

// notImported is the *FetchError for a fetched body ImportBusy refuses
// (ierr). It never holds the body's text: a body that does not begin as
// a calendar (a sign-in page, an error page, another service's answer)
// is described by the server's status and content type, and a calendar
// with an error by the line and the reason with its quoted values left
// out; the *ImportError it wraps is reworded the same way.
func notImported(f fetched, host string, ierr error) *FetchError {
	if !beginsAsCalendar(f.body) {
		return &FetchError{Reason: fmt.Sprintf("the server %s answered %s with %s, which is not a calendar; the address may lead to a sign-in page, or the calendar may no longer be shared",
			host, statusText(f.status), contentTypeText(f.contentType))}
	}
	var ie *ImportError
	if !errors.As(ierr, &ie) {
		return &FetchError{Reason: "the calendar cannot be read"}
	}
	clean := &ImportError{Line: ie.Line, Reason: withoutQuoted(ie.Reason)}
	reason := "the calendar has an error"
	if clean.Line > 0 {
		reason += fmt.Sprintf(" on line %d", clean.Line)
	}
	return &FetchError{Reason: reason + ": " + clean.Reason, Err: clean}
}

// beginsAsCalendar reports whether body's first line that is not blank
// begins an iCalendar object (BEGIN:VCALENDAR, in any case).
func beginsAsCalendar(body []byte) bool {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		up := strings.ToUpper(string(line[:min(len(line), 64)]))
		return strings.HasPrefix(up, "BEGIN") && strings.Contains(up, ":VCALENDAR")
	}
	return false
}

// quoted matches what ImportError reasons quote from the calendar: Go's
// double-quoted strings and single-quoted characters.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\[^']{1,9})'`)

// withoutQuoted returns an import error's reason with the values it
// quotes from the calendar replaced by an ellipsis.
func withoutQuoted(reason string) string { return quoted.ReplaceAllString(reason, "…") }

// statusText is an HTTP status as kapbook words it: the code and the
// standard's own words for it, never the server's.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// contentTypeText words a Content-Type header: its media type alone, if
// it is one.
func contentTypeText(ct string) string {
	if ct == "" {
		return "no content type"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || len(mt) > 80 {
		return "a content type that is not valid"
	}
	return "content type " + mt
}

// fetched is what a fetch brought back.
type fetched struct {
	body           []byte // nil for 304 Not Modified
	etag, modified string
	status         int
	contentType    string
}

// fetchBody makes the request. It returns a nil body for 304 Not Modified.
func fetchBody(ctx context.Context, client *http.Client, sub *booking.BusySubscription) (fetched, error) {
	if client == nil {
		client = NewFetchClient(nil)
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	host := "the server " + hostOf(sub.URL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, sub.URL, nil)
	if err != nil || req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fetched{}, &FetchError{Reason: "the calendar address is not a valid http or https address"}
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.1")
	req.Header.Set("User-Agent", "kapbook (busy-time import)")
	conditional := len(sub.Body) > 0
	if conditional && sub.ETag != "" {
		req.Header.Set("If-None-Match", sub.ETag)
	}
	if conditional && sub.LastModified != "" {
		req.Header.Set("If-Modified-Since", sub.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fetched{}, requestError(err, host, req.URL.Hostname())
	}
	defer resp.Body.Close()
	status := statusText(resp.StatusCode)
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		return fetched{status: resp.StatusCode}, nil
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden:
		return fetched{}, &FetchError{Reason: fmt.Sprintf("%s refused access (%s); the calendar's private address may have been reset", host, status)}
	case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusGone:
		return fetched{}, &FetchError{Reason: fmt.Sprintf("%s has no calendar at this address (%s)", host, status)}
	case resp.StatusCode != http.StatusOK:
		return fetched{}, &FetchError{Reason: fmt.Sprintf("%s answered %s", host, status)}
	}
	tooBig := &FetchError{Reason: fmt.Sprintf("the calendar at %s is larger than %d MB", hostOf(sub.URL), MaxSubscriptionBytes>>20)}
	if resp.ContentLength > MaxSubscriptionBytes {
		return fetched{}, tooBig
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxSubscriptionBytes+1))
	if err != nil {
		return fetched{}, &FetchError{Reason: transportReason(err, host), Err: stripURL(err)}
	}
	if len(body) > MaxSubscriptionBytes {
		return fetched{}, tooBig
	}
	return fetched{body: body, etag: resp.Header.Get("ETag"), modified: resp.Header.Get("Last-Modified"),
		status: resp.StatusCode, contentType: resp.Header.Get("Content-Type")}, nil
}

// requestError words a request that brought no answer: refused by the
// guard (ErrInternalAddress), stopped at a redirect, or failed on the way.
// origin is the host of the subscription's own address.
func requestError(err error, host, origin string) *FetchError {
	var r *refusal
	if errors.As(err, &r) {
		if r.from == "" && canonicalHost(r.host) != canonicalHost(origin) {
			r.from = origin // a redirect led there
		}
		return &FetchError{Reason: r.reason(), Err: r}
	}
	var fe *FetchError
	if errors.As(err, &fe) { // from CheckRedirect
		return fe
	}
	return &FetchError{Reason: transportReason(err, host), Err: stripURL(err)}
}

// transportReason words a failed request.
func transportReason(err error, host string) string {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("%s did not answer in time", host)
	case errors.As(err, &dns):
		return fmt.Sprintf("%s cannot be found (check the address and the network)", host)
	case errors.Is(err, context.Canceled):
		return "the fetch was cancelled"
	}
	return fmt.Sprintf("%s could not be reached (check the address and the network)", host)
}

// stripURL drops the address from a *url.Error, whose message repeats it
// in full, secret and all.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Subscriptions keeps staff members' subscribed calendars, and the busy
// times they hold, in a Store. The desktop app and "kapctl serve" can call
// Refresh on a timer; "kapctl busy" calls it on demand.
//
// Each fetch uses NewFetchClient with the clinic's CalendarHosts, read
// when it starts: no address on this computer or the clinic's network is
// reached unless the clinic allows its host.
type Subscriptions struct {
	Store booking.Store
	Now   func() time.Time // nil: time.Now
	Actor string           // who acts, for the audit trail
}

// RefreshResult says what became of one subscription.
type RefreshResult struct {
	StaffID int64
	Site    string // the calendar's redacted address (RedactURL)
	Changed bool   // a new copy of the calendar was fetched
	Busy    int    // the busy times now stored for the staff member
	Err     error  // why the fetch failed; the last good copy was kept
	// Clashes are the booked appointments the new busy times cover
	// (booking.RecordBusyClashes).
	Clashes []*booking.Appointment
}

func (s *Subscriptions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// options returns the import options for the clinic, and the hosts it
// allows on this computer or its network (Clinic.CalendarHosts).
func (s *Subscriptions) options(ctx context.Context) (ImportOptions, []string, error) {
	c, err := s.Store.Clinic(ctx)
	if err != nil {
		return ImportOptions{}, nil, err
	}
	return ImportOptions{Clinic: c.Location(), Now: s.now()}, c.CalendarHosts, nil
}

// Subscribe fetches the calendar at rawURL for staff member staffID and,
// if it reads, stores the subscription and its busy times (replacing any
// earlier subscription or import) in one transaction, with an audit entry
// "busy-subscribe". If the fetch fails, nothing is stored and the error
// is a *FetchError; so is an address whose host is an IP address on this
// computer or the clinic's network that the clinic does not allow, or a
// cloud metadata service, refused before anything is fetched
// (CheckSubscriptionHost; errors.Is ErrInternalAddress). Returns EINVALID
// for an address that is not http(s) and ENOTFOUND for an unknown staff
// member.
func (s *Subscriptions) Subscribe(ctx context.Context, staffID int64, rawURL string) (RefreshResult, error) {
	u, err := SubscriptionURL(rawURL)
	if err != nil {
		return RefreshResult{}, err
	}
	if _, err := staffByID(ctx, s.Store, staffID); err != nil {
		return RefreshResult{}, err
	}
	if err := notConnected(ctx, s.Store, staffID); err != nil {
		return RefreshResult{}, err
	}
	opts, hosts, err := s.options(ctx)
	if err != nil {
		return RefreshResult{}, err
	}
	sub := &booking.BusySubscription{StaffID: staffID, URL: u}
	res := RefreshResult{StaffID: staffID, Site: RedactURL(u)}
	if err := CheckSubscriptionHost(u, hosts); err != nil {
		return res, err
	}
	if _, err := Fetch(ctx, NewFetchClient(hosts), sub, opts); err != nil {
		return res, err
	}
	busy, err := ImportBusy(bytes.NewReader(sub.Body), opts)
	if err != nil {
		return res, err
	}
	err = s.Store.Update(ctx, func(tx booking.Tx) error {
		st, err := staffByID(ctx, tx, staffID)
		if err != nil {
			return err
		}
		old := st.Busy
		st.Busy = busy
		if err := tx.SaveStaff(ctx, st); err != nil {
			return err
		}
		if err := tx.SaveBusySubscription(ctx, sub); err != nil {
			return err
		}
		if err := tx.AddAudit(ctx, &booking.AuditEntry{At: opts.Now, Actor: s.Actor, Action: "busy-subscribe",
			Note: busyNote(len(busy), "the calendar at "+res.Site)}); err != nil {
			return err
		}
		res.Clashes, err = booking.RecordBusyClashes(ctx, tx, st, old, busy, opts.Now, s.Actor)
		return err
	})
	res.Changed, res.Busy = true, len(busy)
	return res, err
}

// Refresh fetches every subscription that is Due (every one with force)
// and stores, per staff member in one transaction, the busy times of its
// last good copy over the current horizon, so the year ahead rolls on even
// while the calendar is unchanged or unreachable. A failed fetch is
// recorded in the subscription's Error and in the result; it is not an
// error of Refresh, which fails only when the store does. A subscription
// replaced while it was being fetched is left alone.
func (s *Subscriptions) Refresh(ctx context.Context, force bool) ([]RefreshResult, error) {
	subs, err := s.Store.BusySubscriptions(ctx)
	if err != nil {
		return nil, err
	}
	var out []RefreshResult
	for _, sub := range subs {
		if !force && !Due(sub, s.now()) {
			continue
		}
		r, err := s.refresh(ctx, sub)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Subscriptions) refresh(ctx context.Context, sub *booking.BusySubscription) (RefreshResult, error) {
	opts, hosts, err := s.options(ctx)
	if err != nil {
		return RefreshResult{}, err
	}
	res := RefreshResult{StaffID: sub.StaffID, Site: RedactURL(sub.URL)}
	addr := sub.URL
	res.Changed, res.Err = Fetch(ctx, NewFetchClient(hosts), sub, opts)
	var busy []booking.Interval
	haveBusy := false
	if len(sub.Body) > 0 {
		if b, err := ImportBusy(bytes.NewReader(sub.Body), opts); err == nil {
			busy, haveBusy = b, true
		} else if res.Err == nil {
			fe := notImported(fetched{body: sub.Body, status: http.StatusOK, contentType: "text/calendar"}, hostOf(sub.URL), err)
			res.Err, sub.Error = fe, fe.Reason
		}
	}
	err = s.Store.Update(ctx, func(tx booking.Tx) error {
		cur, err := tx.BusySubscriptions(ctx)
		if err != nil {
			return err
		}
		still := false
		for _, c := range cur {
			still = still || c.StaffID == sub.StaffID && c.URL == addr
		}
		if !still {
			return nil
		}
		st, err := staffByID(ctx, tx, sub.StaffID)
		if err != nil {
			return err
		}
		if haveBusy {
			old := st.Busy
			st.Busy = busy
			if err := tx.SaveStaff(ctx, st); err != nil {
				return err
			}
			if res.Clashes, err = booking.RecordBusyClashes(ctx, tx, st, old, busy, opts.Now, s.Actor); err != nil {
				return err
			}
		}
		res.Busy = len(st.Busy)
		if err := tx.SaveBusySubscription(ctx, sub); err != nil {
			return err
		}
		if !res.Changed {
			return nil
		}
		return tx.AddAudit(ctx, &booking.AuditEntry{At: opts.Now, Actor: s.Actor, Action: "busy-refresh",
			Note: busyNote(len(busy), "the calendar at "+res.Site)})
	})
	return res, err
}

// Explain turns an import or fetch error into a message for the front
// desk, as a booking.Error: what says what was not done ("The calendar
// file x.ics was not imported"), and the calendar's line and reason
// follow. Other errors are returned unchanged.
func Explain(what string, err error) error {
	var ie *ImportError
	var fe *FetchError
	switch {
	case errors.As(err, &ie) && ie.Line > 0:
		return booking.Errorf(booking.EINVALID, "%s; nothing was changed. Line %d of the calendar: %s.", what, ie.Line, ie.Reason)
	case errors.As(err, &ie):
		return booking.Errorf(booking.EINVALID, "%s; nothing was changed. The calendar: %s.", what, ie.Reason)
	case errors.As(err, &fe):
		return booking.Errorf(booking.EINVALID, "%s; nothing was changed. %s.", what, upperFirst(fe.Reason))
	}
	return err
}

// RequestReason words a request to u that brought no answer, as a fetch
// does: refused by the guard of NewFetchClient, stopped at a redirect,
// timed out, a name that cannot be found, a server that cannot be
// reached. It never holds u beyond its host.
func RequestReason(err error, u *url.URL) string {
	return requestError(err, "the server "+u.Host, u.Hostname()).Reason
}
