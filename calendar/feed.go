package calendar

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// Feed defaults. A feed shows the appointments of one staff member or room
// from FeedDaysBack days before today to FeedDaysAhead days after it, in
// the clinic's zone, cancelled ones included so that subscribed calendars
// update their copies instead of keeping them.
const (
	// FeedPathPrefix starts the path of every feed (see FeedPath).
	FeedPathPrefix = "/feed/"
	FeedDaysBack   = 30
	FeedDaysAhead  = 365
	// FeedRefresh is the polling interval a feed suggests to its clients
	// (REFRESH-INTERVAL and X-PUBLISHED-TTL).
	FeedRefresh = 15 * time.Minute
)

// feedTokenBytes is how much randomness a token carries: 256 bits, twice
// the 128 that make a token unguessable.
const feedTokenBytes = 32

// feedTokenLen is the length of a token in unpadded URL-safe base64.
var feedTokenLen = base64.RawURLEncoding.EncodedLen(feedTokenBytes)

// NewFeedToken returns a new feed token, 256 bits from crypto/rand in
// URL-safe base64 without padding (43 characters), and its hash as
// FeedTokenHash returns it. Only the hash may be stored.
func NewFeedToken() (token, hash string, err error) {
	b := make([]byte, feedTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("calendar: feed token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, FeedTokenHash(token), nil
}

// FeedTokenHash returns the hex SHA-256 of token: the only form of a feed
// token the store keeps.
func FeedTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// FeedPath returns the path at which FeedHandler serves the feed with
// token: /feed/TOKEN.ics.
func FeedPath(token string) string { return FeedPathPrefix + token + ".ics" }

// feedToken returns the token in a feed path, and whether path is one.
func feedToken(path string) (string, bool) {
	t, ok := strings.CutPrefix(path, FeedPathPrefix)
	if !ok {
		return "", false
	}
	t, ok = strings.CutSuffix(t, ".ics")
	if !ok || len(t) != feedTokenLen {
		return "", false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return t, true
}

// FeedPrivacy returns the privacy a feed stored with p shows patients
// with: p if it is one of the three, else PrivacyInitials, the default.
func FeedPrivacy(p string) Privacy {
	switch Privacy(p) {
	case PrivacyFull, PrivacyInitials, PrivacyID:
		return Privacy(p)
	}
	return PrivacyInitials
}

// FeedHandler serves live calendar feeds, one per staff member or room,
// at GET or HEAD /feed/TOKEN.ics (see FeedPath). A request names the feed
// by its token; the handler looks the feed up by the token's hash. Any
// other path, a malformed, unknown or revoked token all get the same 404;
// other methods get 405.
//
// A response carries a strong ETag and a Last-Modified time, and a
// conditional request (If-None-Match, else If-Modified-Since) for an
// unchanged feed gets 304 without the appointments being read or the
// calendar rendered. The ETag comes from a stamp of the feed's
// appointments (booking.Reader.AppointmentsStamp), which the handler keeps
// for as long as the store's Version stays put: while nothing is committed
// to the database, a conditional request costs one Version call. The
// calendar's DTSTAMP is the newest change among its appointments (or the
// feed's creation), so equal ETags mean equal calendars. One exception: a
// patient's new name (privacy full or initials) shows with the feed's next
// change, or the next day, when the window moves.
//
// Patients appear as the feed's privacy says (FeedPrivacy; initials by
// default), under a neutral title. Nothing about patients is logged.
//
// Set Store before use; the other fields are optional. A FeedHandler is
// safe for concurrent use and must not be copied after first use.
type FeedHandler struct {
	Store booking.Store
	// Now returns the current time, which places the feed's window;
	// defaults to time.Now.
	Now func() time.Time
	// Log, if set, receives one line per request: method, status, the
	// path with its token redacted, and duration. Nothing about patients.
	Log *slog.Logger

	mu   sync.Mutex
	seen map[string]*seenFeed // by token hash; live feeds only
}

// seenFeed is what the handler last served of one live feed.
type seenFeed struct {
	etag     string
	modified time.Time
	version  int64          // the store's Version before the feed was read
	loc      *time.Location // the clinic's zone
	from     time.Time      // the start of the window
}

// notFoundBody is the one body of every 404: it tells nothing about why.
const notFoundBody = "Not found.\n"

// ServeHTTP implements http.Handler.
func (h *FeedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h.serve(sw, r)
	if h.Log != nil {
		h.Log.LogAttrs(r.Context(), slog.LevelInfo, "feed request",
			slog.String("method", booking.Clip(r.Method, 16)), slog.Int("status", sw.code()),
			slog.String("path", redactPath(r.URL.Path)), slog.Duration("duration", time.Since(start)))
	}
}

// serve answers one request.
func (h *FeedHandler) serve(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		plain(w, http.StatusMethodNotAllowed, "Only GET and HEAD are allowed.\n")
		return
	}
	token, ok := feedToken(r.URL.Path)
	if !ok {
		notFound(w)
		return
	}
	hash := FeedTokenHash(token)
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	version, done := h.serveUnchanged(w, r, hash, now)
	if done {
		return
	}
	f, ok := h.liveFeed(w, r, hash)
	if !ok {
		return
	}
	st, err := h.readFeedState(r, f, now)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	modified := h.remember(hash, &seenFeed{etag: st.etag, version: version, loc: st.loc, from: st.filter.From}, st.base.Truncate(time.Second), now)
	setValidators(hd, st.etag, modified)
	if notModified(r, st.etag, modified) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.send(w, r, st)
}

// serveUnchanged answers 304 from what the handler remembers, reading
// nothing but the store's Version, when nothing was committed since it
// last served the feed with the token hash and the request's
// preconditions match. It returns that Version (-1 when it cannot be
// read) and whether it answered.
func (h *FeedHandler) serveUnchanged(w http.ResponseWriter, r *http.Request, hash string, now time.Time) (int64, bool) {
	// Read the version first: a commit after it makes the next request
	// read the feed again.
	version, err := h.Store.Version(r.Context())
	if err != nil {
		return -1, false
	}
	if etag, modified, ok := h.unchanged(hash, version, now); ok && notModified(r, etag, modified) {
		setValidators(w.Header(), etag, modified)
		w.WriteHeader(http.StatusNotModified)
		return version, true
	}
	return version, false
}

// liveFeed returns the feed with the token hash. When there is none, or
// it was revoked (then the handler forgets it), it answers 404; when the
// store fails, 500. It reports whether the feed may be served.
func (h *FeedHandler) liveFeed(w http.ResponseWriter, r *http.Request, hash string) (*booking.Feed, bool) {
	f, err := h.Store.Feed(r.Context(), hash)
	if booking.ErrorCode(err) == booking.ENOTFOUND {
		notFound(w)
		return nil, false
	} else if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	if subtle.ConstantTimeCompare([]byte(f.TokenHash), []byte(hash)) != 1 || f.Revoked != nil {
		h.forget(hash)
		notFound(w)
		return nil, false
	}
	return f, true
}

// feedState is what a feed's calendar is made of at one moment, read
// before its appointments are.
type feedState struct {
	clinic  *booking.Clinic
	loc     *time.Location // the clinic's zone
	filter  booking.AppointmentFilter
	name    string // the calendar's name: clinic and staff member or room
	privacy Privacy
	etag    string
	base    time.Time // the newest change among its appointments, or the feed's creation
}

// readFeedState reads the state of feed f at now: its window, its name,
// and the ETag of what it shows.
func (h *FeedHandler) readFeedState(r *http.Request, f *booking.Feed, now time.Time) (*feedState, error) {
	ctx := r.Context()
	c, err := h.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	st := &feedState{clinic: c, loc: c.Location()}
	st.filter = feedFilter(f.Resource, now.In(st.loc))
	// The stamp is read before the appointments: if they change in
	// between, the client gets the newer calendar under the older ETag,
	// and its next request fetches it again.
	stamp, err := h.Store.AppointmentsStamp(ctx, st.filter)
	if err != nil {
		return nil, err
	}
	name, err := h.resourceName(r, f.Resource)
	if err != nil {
		return nil, err
	}
	st.name = c.Name + " – " + name
	st.privacy = FeedPrivacy(f.Privacy)
	staff, err := h.Store.StaffList(ctx)
	if err != nil {
		return nil, err
	}
	st.etag = feedETag(f, st.privacy, c, st.name, st.filter, stamp, staff)
	st.base = stamp.Updated
	if st.base.Before(f.Created) {
		st.base = f.Created
	}
	return st, nil
}

// send renders the feed's calendar and answers 200 with it, the body
// left out for HEAD. When rendering fails it answers 500 without the
// validators already set, which describe a calendar not sent.
func (h *FeedHandler) send(w http.ResponseWriter, r *http.Request, st *feedState) {
	hd := w.Header()
	body, err := h.render(r, st.clinic, st.name, st.privacy, st.filter, st.base)
	if err != nil {
		hd.Del("ETag")
		hd.Del("Last-Modified")
		h.fail(w, r, err)
		return
	}
	hd.Set("Content-Type", "text/calendar; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// feedFilter selects the appointments the feed of res shows at now: from
// FeedDaysBack days before now's day to the end of the FeedDaysAhead-th
// day after it, in now's location, cancelled ones included.
func feedFilter(res booking.Resource, now time.Time) booking.AppointmentFilter {
	today := booking.DateOf(now)
	f := booking.AppointmentFilter{
		From: (today - FeedDaysBack).At(0, now.Location()),
		To:   (today + FeedDaysAhead + 1).At(0, now.Location()),
	}
	if res.Kind == booking.RoomResource {
		f.RoomID = res.ID
	} else {
		f.StaffID = res.ID
	}
	return f
}

// feedETag derives a strong ETag from what a feed's calendar is made of:
// the stamp of its appointments (which changes with any booking, move,
// cancellation or status change among them), the window, the privacy, the
// calendar's name, the clinic details that appear in events, the staff's
// video links, and a version of the encoding.
func feedETag(f *booking.Feed, p Privacy, c *booking.Clinic, name string, filter booking.AppointmentFilter, st booking.Stamp, staff []*booking.Staff) string {
	hs := sha256.New()
	var b []byte
	b = append(b, "kapbook-feed-2\x00"...)
	for _, s := range staff {
		if s.VideoLink != "" {
			b = binary.AppendVarint(b, s.ID)
			b = append(b, s.VideoLink...)
			b = append(b, 0)
		}
	}
	b = append(b, string(f.Resource.Kind)...)
	b = binary.AppendVarint(b, f.Resource.ID)
	b = append(b, 0)
	b = append(b, p...)
	b = append(b, 0)
	for _, s := range []string{name, c.Name, c.TimeZone, c.Address, c.Phone} {
		b = append(b, s...)
		b = append(b, 0)
	}
	var upd int64
	if st.Count > 0 {
		upd = st.Updated.Unix()
	}
	for _, n := range []int64{filter.From.Unix(), filter.To.Unix(), int64(st.Count), upd, st.Sequences, st.IDs, int64(FeedRefresh / time.Second)} {
		b = binary.AppendVarint(b, n)
	}
	hs.Write(b)
	return `"` + hex.EncodeToString(hs.Sum(nil)[:16]) + `"`
}

// setValidators sets the headers a 200 and a 304 share.
func setValidators(hd http.Header, etag string, modified time.Time) {
	hd.Set("ETag", etag)
	hd.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	// private: the feed names patients; no-cache: revalidate each time,
	// which the ETag makes cheap.
	hd.Set("Cache-Control", "private, no-cache")
}

// unchanged returns the ETag and Last-Modified last served for the feed
// with the token hash if nothing was committed to the store since (its
// Version is still version) and the window has not moved.
func (h *FeedHandler) unchanged(hash string, version int64, now time.Time) (string, time.Time, bool) {
	h.mu.Lock()
	s := h.seen[hash]
	h.mu.Unlock()
	if s == nil || s.version != version || version < 0 {
		return "", time.Time{}, false
	}
	if !(booking.DateOf(now.In(s.loc)) - FeedDaysBack).At(0, s.loc).Equal(s.from) {
		return "", time.Time{}, false
	}
	return s.etag, s.modified, true
}

// remember records what is served now of the live feed with the token
// hash, s without its modified time, and returns its Last-Modified time.
// base is the newest Updated among its appointments (or the feed's
// creation). An appointment that leaves the feed (handed to another
// therapist or room, or out of the window) changes the ETag but raises no
// Updated within the feed, so when the ETag differs from the one last
// served, Last-Modified becomes now: a client that only sends
// If-Modified-Since still gets the new calendar.
func (h *FeedHandler) remember(hash string, s *seenFeed, base, now time.Time) time.Time {
	now = now.Truncate(time.Second)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string]*seenFeed{}
	}
	s.modified = base
	if old := h.seen[hash]; old != nil {
		if old.etag != s.etag {
			s.modified = maxTime(base, maxTime(now, old.modified))
		} else {
			s.modified = maxTime(base, old.modified)
		}
	}
	h.seen[hash] = s
	return s.modified
}

// forget drops what the handler remembers of a revoked feed.
func (h *FeedHandler) forget(hash string) {
	h.mu.Lock()
	delete(h.seen, hash)
	h.mu.Unlock()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// notModified reports whether a GET or HEAD with r's preconditions gets
// 304, as RFC 9110 section 13.2.2 orders them: If-None-Match when present
// (weak comparison), else If-Modified-Since.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		for _, v := range inm {
			for _, t := range strings.Split(v, ",") {
				t = strings.TrimSpace(t)
				if t == "*" || strings.TrimPrefix(t, "W/") == etag {
					return true
				}
			}
		}
		return false
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !modified.Truncate(time.Second).After(t)
}

// render returns the feed's calendar, named name, with modified as every
// event's DTSTAMP.
func (h *FeedHandler) render(r *http.Request, c *booking.Clinic, name string, p Privacy, filter booking.AppointmentFilter, modified time.Time) ([]byte, error) {
	ctx := r.Context()
	appts, err := h.Store.Appointments(ctx, filter)
	if err != nil {
		return nil, err
	}
	instance, err := h.Store.InstanceID(ctx)
	if err != nil {
		return nil, err
	}
	staff, err := h.Store.StaffList(ctx)
	if err != nil {
		return nil, err
	}
	patients := map[int64]string{}
	var nameErr error
	patientName := func(id int64) string {
		if n, ok := patients[id]; ok {
			return n
		}
		pt, err := h.Store.Patient(ctx, id)
		if err != nil {
			nameErr = err
			return ""
		}
		patients[id] = pt.Name
		return pt.Name
	}
	var buf bytes.Buffer
	err = Write(&buf, Export{
		Clinic:          c,
		InstanceID:      instance,
		Appointments:    appts,
		PatientName:     patientName,
		Privacy:         p,
		Now:             modified,
		Name:            name,
		RefreshInterval: FeedRefresh,
		Staff:           staff,
	})
	if err != nil {
		return nil, err
	}
	if nameErr != nil {
		return nil, fmt.Errorf("calendar: feed: patient name: %w", nameErr)
	}
	return buf.Bytes(), nil
}

// resourceName returns the name of the staff member or room a feed shows.
func (h *FeedHandler) resourceName(r *http.Request, res booking.Resource) (string, error) {
	if res.Kind == booking.RoomResource {
		rooms, err := h.Store.Rooms(r.Context())
		if err != nil {
			return "", err
		}
		for _, x := range rooms {
			if x.ID == res.ID {
				return x.Name, nil
			}
		}
		return "Room " + strconv.FormatInt(res.ID, 10), nil
	}
	staff, err := h.Store.StaffList(r.Context())
	if err != nil {
		return "", err
	}
	for _, x := range staff {
		if x.ID == res.ID {
			return x.Name, nil
		}
	}
	return "Staff " + strconv.FormatInt(res.ID, 10), nil
}

// fail answers 500 and logs the error's front-desk message, which names
// no patient.
func (h *FeedHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Log != nil {
		h.Log.LogAttrs(r.Context(), slog.LevelError, "feed failed",
			slog.String("path", redactPath(r.URL.Path)), slog.String("code", booking.ErrorCode(err)),
			slog.String("error", booking.ErrorMessage(err)))
	}
	plain(w, http.StatusInternalServerError, "The feed cannot be served right now.\n")
}

func notFound(w http.ResponseWriter) { plain(w, http.StatusNotFound, notFoundBody) }

// plain writes a short plain-text answer that no cache keeps.
func plain(w http.ResponseWriter, code int, body string) {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write([]byte(body))
}

// redactPath returns path fit for a log: a feed path loses its token, and
// any other path is not shown at all, since a mistyped feed address
// carries a token too.
func redactPath(path string) string {
	if strings.HasPrefix(path, FeedPathPrefix) {
		return FeedPathPrefix + "[token].ics"
	}
	if path == "/" {
		return path
	}
	return "[other path]"
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// NewFeedServer returns an HTTP server for h on addr with limits that keep
// a hostile or broken client from holding it: a request's header must
// arrive within 5 s and the whole request within 10 s, an answer may take
// 60 s to write, an idle connection is closed after 2 minutes, and a
// request line with its header may not exceed 16 KiB (431 beyond). Bind it
// to a loopback address unless it sits behind a TLS reverse proxy.
func NewFeedServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		// Send OPTIONS * to the handler too, which refuses it.
		DisableGeneralOptionsHandler: true,
	}
}

// Loopback reports whether host names this computer only: localhost or a
// loopback IP. An empty host means every interface, so it is not. kapctl
// serve and the app's feed server both ask it before serving feeds.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
