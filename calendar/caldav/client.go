// Package caldav connects staff members' own calendars on CalDAV servers
// (RFC 4791) to kapbook: it puts each staff member's appointments into a
// calendar of theirs and reads their busy time from it (docs/caldav.md).
//
// Discovery goes through github.com/emersion/go-webdav's caldav client.
// Writes and the busy-time query are made here, because kapbook needs
// what go-webdav's client does not give: conditional writes (If-Match,
// If-None-Match) of the bytes calendar.Write made, and the events' own
// text for calendar.ImportBusy, which reads what go-ical cannot.
package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/emersion/go-webdav"
	gocaldav "github.com/emersion/go-webdav/caldav"
	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// Limits of one request.
const (
	// RequestTimeout bounds one request, from connecting to the last byte.
	RequestTimeout = 30 * time.Second
	// MaxResponseBytes is the largest answer read: a year of a busy
	// calendar is well under it.
	MaxResponseBytes = 32 << 20
)

// Error says why a request to a CalDAV server failed, in words for the
// front desk. It names the server's host, never the rest of an address,
// and never quotes what the server sent.
type Error struct {
	Reason string // "the server dav.example.org refused the user name or password"
	Status int    // the HTTP status, 0 when there was no answer
	Err    error  // the cause, if any
}

// Error implements the error interface.
func (e *Error) Error() string { return "calendar server: " + e.Reason }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Explain words err for the front desk after what, as kapctl and the app
// show it: a server's refusal (*Error) becomes an EINVALID error, "what;
// the reason."; other errors are returned as they are.
func Explain(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return booking.Errorf(booking.EINVALID, "%s; %s.", what, e.Reason)
	}
	return err
}

// errPrecondition is a 412 Precondition Failed: the event is not as the
// request's If-Match or If-None-Match said.
var errPrecondition = errors.New("caldav: precondition failed")

// errGone is a 404 or 410 for an event.
var errGone = errors.New("caldav: no such event")

// Client talks to one account on one CalDAV server. It reaches an address
// on this computer or the clinic's network only if the clinic allows its
// host (calendar.NewFetchClient).
type Client struct {
	http       *http.Client
	user, pass string
}

// NewClient returns a client that signs in as user with password (Basic
// authentication; none when user is empty) and may reach the hosts of
// allowedHosts although they are internal.
func NewClient(allowedHosts []string, user, password string) *Client {
	hc := calendar.NewFetchClient(allowedHosts)
	if tr, ok := hc.Transport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.DisableKeepAlives = false // hundreds of requests in a first push
		tr.MaxIdleConnsPerHost = 2
		tr.IdleConnTimeout = 30 * time.Second
		hc.Transport = tr
	}
	hc.Timeout = RequestTimeout
	return &Client{http: hc, user: user, pass: password}
}

// Do implements webdav.HTTPClient: it signs every request in.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	req.Header.Set("User-Agent", "kapbook (CalDAV)")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Reason: calendar.RequestReason(err, req.URL), Err: stripURL(err)}
	}
	return resp, nil
}

// stripURL drops the address from a *url.Error, whose message repeats it.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusError words an answer that is not the one hoped for.
func statusError(u *url.URL, code int, what string) *Error {
	host := "the server " + u.Host
	status := fmt.Sprintf("%d %s", code, http.StatusText(code))
	var reason string
	switch code {
	case http.StatusUnauthorized:
		reason = host + " refused the user name or password (" + status + "); check them, or make an app password if the account has two-step sign-in"
	case http.StatusForbidden:
		reason = host + " does not let this account " + what + " (" + status + ")"
	case http.StatusNotFound, http.StatusGone:
		reason = host + " has no calendar at this address (" + status + ")"
	case http.StatusInsufficientStorage, http.StatusRequestEntityTooLarge:
		reason = host + " has no room left for this account (" + status + "); the calendar's storage quota is used up"
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		reason = host + " cannot " + what + " (" + status + "); it may not be a CalDAV server"
	default:
		reason = host + " answered " + status + " when asked to " + what
	}
	return &Error{Reason: reason, Status: code}
}

// request makes one request to u and returns the answer; the caller
// closes its body.
func (c *Client) request(ctx context.Context, method string, u *url.URL, body []byte, header map[string]string) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, &Error{Reason: "the calendar address is not a valid http or https address"}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.Do(req)
}

// readBody reads an answer's body up to MaxResponseBytes.
func readBody(u *url.URL, resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, &Error{Reason: calendar.RequestReason(err, u), Err: stripURL(err)}
	}
	if len(b) > MaxResponseBytes {
		return nil, &Error{Reason: fmt.Sprintf("the server %s sent more than %d MB", u.Host, MaxResponseBytes>>20)}
	}
	return b, nil
}

// drain reads what is left of an answer (so its connection can be used
// again) and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// Put stores an event's calendar at u and returns the server's ETag for
// it. etag "" asks the server to create it only if nothing is there
// (If-None-Match: *); otherwise it is replaced only if its ETag is still
// etag (If-Match). A 412 returns errPrecondition, a 404 errGone. When
// the server gives no ETag, Put asks for it.
func (c *Client) Put(ctx context.Context, u *url.URL, ics []byte, etag string) (string, error) {
	h := map[string]string{"Content-Type": "text/calendar; charset=utf-8"}
	if etag == "" {
		h["If-None-Match"] = "*"
	} else {
		h["If-Match"] = etag
	}
	resp, err := c.request(ctx, http.MethodPut, u, ics, h)
	if err != nil {
		return "", err
	}
	drain(resp)
	switch {
	case resp.StatusCode == http.StatusPreconditionFailed:
		return "", errPrecondition
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return "", errGone
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return "", statusError(u, resp.StatusCode, "save an event")
	}
	if tag := resp.Header.Get("ETag"); tag != "" && !strings.HasPrefix(tag, "W/") {
		return tag, nil
	}
	_, tag, err := c.Get(ctx, u)
	return tag, err
}

// Get returns the event's calendar at u and its ETag; errGone if there is
// none.
func (c *Client) Get(ctx context.Context, u *url.URL) ([]byte, string, error) {
	resp, err := c.request(ctx, http.MethodGet, u, nil, map[string]string{"Accept": "text/calendar"})
	if err != nil {
		return nil, "", err
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, "", errGone
	case resp.StatusCode != http.StatusOK:
		return nil, "", statusError(u, resp.StatusCode, "read an event")
	}
	b, err := readBody(u, resp)
	return b, resp.Header.Get("ETag"), err
}

// Delete removes the event at u if its ETag is still etag (any, when etag
// is ""). A 412 returns errPrecondition; an event already gone is no
// error.
func (c *Client) Delete(ctx context.Context, u *url.URL, etag string) error {
	h := map[string]string{}
	if etag != "" {
		h["If-Match"] = etag
	}
	resp, err := c.request(ctx, http.MethodDelete, u, nil, h)
	if err != nil {
		return err
	}
	drain(resp)
	switch {
	case resp.StatusCode == http.StatusPreconditionFailed:
		return errPrecondition
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return statusError(u, resp.StatusCode, "remove an event")
	}
	return nil
}

// Object is an event on the server, as a calendar-query returns it.
type Object struct {
	Path string // the path part of its address, unescaped
	ETag string
	Data []byte // its calendar, as the server keeps it
}

// multistatus is what PROPFIND and REPORT answer (RFC 4918 section 13).
type multistatus struct {
	Responses []struct {
		Href     string `xml:"DAV: href"`
		Status   string `xml:"DAV: status"`
		Propstat []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				ETag         string `xml:"DAV: getetag"`
				CalendarData string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
				ResourceType struct {
					Calendar *struct{} `xml:"urn:ietf:params:xml:ns:caldav calendar"`
				} `xml:"DAV: resourcetype"`
				DisplayName string `xml:"DAV: displayname"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// okStatus reports whether a DAV:status line says 200.
func okStatus(s string) bool {
	f := strings.Fields(s)
	return len(f) >= 2 && f[1] == "200"
}

// Query returns the events of the calendar at cal that overlap [from, to)
// (a calendar-query REPORT with a time range, RFC 4791 section 7.8),
// recurring ones included when one of their instances does.
func (c *Client) Query(ctx context.Context, cal *url.URL, from, to time.Time) ([]Object, error) {
	const stamp = "20060102T150405Z"
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:prop><D:getetag/><C:calendar-data/></D:prop>
 <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
  <C:time-range start="` + from.UTC().Format(stamp) + `" end="` + to.UTC().Format(stamp) + `"/>
 </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`
	ms, err := c.multistatus(ctx, "REPORT", cal, body, "1", "read the calendar's events")
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			if !okStatus(ps.Status) || ps.Prop.CalendarData == "" {
				continue
			}
			out = append(out, Object{Path: hrefPath(cal, r.Href), ETag: strings.TrimSpace(ps.Prop.ETag), Data: []byte(ps.Prop.CalendarData)})
		}
	}
	return out, nil
}

// multistatus sends a PROPFIND or REPORT and reads its 207 answer.
func (c *Client) multistatus(ctx context.Context, method string, u *url.URL, body, depth, what string) (*multistatus, error) {
	resp, err := c.request(ctx, method, u, []byte(body), map[string]string{"Content-Type": "application/xml; charset=utf-8", "Depth": depth})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusMultiStatus {
		return nil, statusError(u, resp.StatusCode, what)
	}
	b, err := readBody(u, resp)
	if err != nil {
		return nil, err
	}
	var ms multistatus
	if err := xml.Unmarshal(b, &ms); err != nil {
		return nil, &Error{Reason: fmt.Sprintf("the server %s sent an answer kapbook cannot read when asked to %s", u.Host, what), Err: err}
	}
	return &ms, nil
}

// hrefPath returns the unescaped path of an href relative to base.
func hrefPath(base *url.URL, href string) string {
	u, err := base.Parse(strings.TrimSpace(href))
	if err != nil {
		return href
	}
	return u.Path
}

// Calendar is a calendar collection found on a server.
type Calendar struct {
	URL  string // its full address, ending in "/"
	Name string // its display name, or the last part of its path
}

// isCalendar reports whether u is itself a calendar collection, and its
// display name.
func (c *Client) isCalendar(ctx context.Context, u *url.URL) (bool, string, error) {
	body := `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/></D:prop></D:propfind>`
	ms, err := c.multistatus(ctx, "PROPFIND", u, body, "0", "describe the address")
	if err != nil {
		return false, "", err
	}
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			if okStatus(ps.Status) && ps.Prop.ResourceType.Calendar != nil {
				return true, ps.Prop.DisplayName, nil
			}
		}
	}
	return false, "", nil
}

// Discover finds the calendars that hold events of the account at raw,
// which may be a calendar, a principal, or a server: a calendar is taken
// as it is; otherwise the current user's principal (at raw, else at the
// server's /.well-known/caldav, RFC 6764) leads to the calendar home
// (RFC 4791 section 6.2.1) and the calendars in it. home is the calendar
// home, where MakeCalendar makes a new one.
func (c *Client) Discover(ctx context.Context, raw string) (home string, cals []Calendar, err error) {
	u, err := parseURL(raw)
	if err != nil {
		return "", nil, err
	}
	if ok, name, err := c.isCalendar(ctx, u); err == nil && ok {
		return parentURL(u), []Calendar{{URL: collectionURL(u), Name: nameOr(name, u)}}, nil
	} else if err != nil && isAuthError(err) {
		return "", nil, err
	}
	principal, base, err := c.principal(ctx, u)
	if err != nil {
		return "", nil, err
	}
	dav, err := gocaldav.NewClient(strict{c, "find the account's calendars"}, base.String())
	if err != nil {
		return "", nil, &Error{Reason: "the calendar address is not a valid http or https address"}
	}
	homePath, err := dav.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		return "", nil, discoveryError(base, err, "find the account's calendars")
	}
	homeURL := base.ResolveReference(&url.URL{Path: homePath})
	found, err := dav.FindCalendars(ctx, homePath)
	if err != nil {
		return "", nil, discoveryError(base, err, "list the account's calendars")
	}
	for _, f := range found {
		if len(f.SupportedComponentSet) > 0 && !containsFold(f.SupportedComponentSet, "VEVENT") {
			continue // a task list or an address book
		}
		cu := base.ResolveReference(&url.URL{Path: f.Path})
		cals = append(cals, Calendar{URL: collectionURL(cu), Name: nameOr(f.Name, cu)})
	}
	return collectionURL(homeURL), cals, nil
}

// principal finds the current user's principal path, at u or at the
// well-known address of u's server, and the address to resolve paths
// against.
func (c *Client) principal(ctx context.Context, u *url.URL) (string, *url.URL, error) {
	try := func(at *url.URL) (string, error) {
		wc, err := webdav.NewClient(strict{c, "find the account"}, at.String())
		if err != nil {
			return "", err
		}
		return wc.FindCurrentUserPrincipal(ctx)
	}
	p, err := try(u)
	if err == nil && p != "" {
		return p, u, nil
	}
	if isAuthError(err) {
		return "", nil, err
	}
	wk := u.ResolveReference(&url.URL{Path: "/.well-known/caldav"})
	at, werr := c.wellKnown(ctx, wk)
	if werr == nil {
		if p, werr = try(at); werr == nil && p != "" {
			return p, at, nil
		}
	}
	if isAuthError(werr) {
		return "", nil, werr
	}
	return "", nil, discoveryError(u, err, "find the account (its principal)")
}

// wellKnown follows the redirects of /.well-known/caldav by hand: an HTTP
// client turns a PROPFIND into a GET when it follows one.
func (c *Client) wellKnown(ctx context.Context, u *url.URL) (*url.URL, error) {
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cc := &Client{http: &hc, user: c.user, pass: c.pass}
	for range 5 {
		resp, err := cc.request(ctx, "PROPFIND", u, []byte(`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>`),
			map[string]string{"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
		if err != nil {
			return nil, err
		}
		drain(resp)
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return u, nil
		}
		next, err := u.Parse(loc)
		if err != nil {
			return nil, &Error{Reason: "the server " + u.Host + " sent kapbook on to an address that is not valid"}
		}
		// The guard of calendar.NewFetchClient checks the next host when
		// it connects.
		u = next
	}
	return nil, &Error{Reason: "the server " + u.Host + " sent kapbook on too many times"}
}

// MakeCalendar makes a calendar for events named name in the calendar
// home at home (MKCALENDAR, RFC 4791 section 5.3.1) and returns its
// address. When the name is taken it tries name-2, name-3 and so on.
func (c *Client) MakeCalendar(ctx context.Context, home, name string) (Calendar, error) {
	hu, err := parseURL(home)
	if err != nil {
		return Calendar{}, err
	}
	for i := 1; i <= 20; i++ {
		slug := slugOf(name)
		display := name
		if i > 1 {
			slug = fmt.Sprintf("%s-%d", slug, i)
			display = fmt.Sprintf("%s (%d)", name, i)
		}
		u := hu.ResolveReference(&url.URL{Path: path.Join(hu.Path, slug) + "/"})
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>`)
		xml.EscapeText(&b, []byte(display))
		b.WriteString(`</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`)
		resp, err := c.request(ctx, "MKCALENDAR", u, []byte(b.String()), map[string]string{"Content-Type": "application/xml; charset=utf-8"})
		if err != nil {
			return Calendar{}, err
		}
		drain(resp)
		switch {
		case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
			return Calendar{URL: u.String(), Name: display}, nil
		case resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusConflict && i == 1:
			continue // the name is taken
		default:
			return Calendar{}, statusError(u, resp.StatusCode, "make a calendar")
		}
	}
	return Calendar{}, &Error{Reason: "the server " + hu.Host + " already has calendars of that name; choose another"}
}

// DeleteCalendar removes the calendar at cal with all its events.
func (c *Client) DeleteCalendar(ctx context.Context, cal string) error {
	u, err := parseURL(cal)
	if err != nil {
		return err
	}
	return c.Delete(ctx, u, "")
}

// parseURL checks a CalDAV address: http or https, with a host.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Scheme != "http" && u.Scheme != "https" {
		return nil, &Error{Reason: "that is not a calendar server's address; it should look like https://calendar.example.org/ or https://example.org/remote.php/dav/"}
	}
	u.Fragment = ""
	return u, nil
}

// collectionURL returns u with a trailing slash.
func collectionURL(u *url.URL) string {
	v := *u
	if !strings.HasSuffix(v.Path, "/") {
		v.Path += "/"
		v.RawPath = ""
	}
	return v.String()
}

// parentURL returns the collection u is in.
func parentURL(u *url.URL) string {
	v := *u
	v.Path = path.Dir(strings.TrimSuffix(v.Path, "/"))
	v.RawPath = ""
	return collectionURL(&v)
}

// nameOr returns name, or the last part of u's path when name is empty.
func nameOr(name string, u *url.URL) string {
	if name = strings.TrimSpace(name); name != "" {
		return name
	}
	return path.Base(strings.TrimSuffix(u.Path, "/"))
}

// slugOf makes a path segment of a calendar's name: letters, digits and
// dashes.
func slugOf(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "kapbook"
	}
	return s
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// isAuthError reports whether err is a refused sign-in.
func isAuthError(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		return true
	}
	return false
}

// strict is the HTTP client go-webdav's discovery goes through: an
// answer of 400 or more becomes an *Error in kapbook's words before
// go-webdav sees it, so that a refused password reads as one.
type strict struct {
	c    *Client
	what string
}

// Do implements webdav.HTTPClient.
func (s strict) Do(req *http.Request) (*http.Response, error) {
	resp, err := s.c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		drain(resp)
		return nil, statusError(req.URL, resp.StatusCode, s.what)
	}
	return resp, nil
}

// discoveryError words what go-webdav's discovery returned.
func discoveryError(u *url.URL, err error, what string) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err == nil {
		err = errors.New("no principal")
	}
	return &Error{Reason: fmt.Sprintf("the server %s did not say where the account's calendars are when asked to %s; give the calendar's own address instead", u.Host, what), Err: err}
}
