package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/errlog"
	"github.com/kapbook/kapbook/internal/netx"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/ui/kit"
)

// Background is the work the app does while it runs: it sends the
// patient email that is due (as kapctl remind --watch does), refreshes
// the staff's subscribed busy calendars, keeps their connected CalDAV
// calendars in step (Env.CalDAV), and, when FeedsAddr is set,
// serves the staff's calendar feeds (as kapctl serve does). Its news goes
// to OnStatus; its failures never stop the app.
type Background struct {
	Env *kit.Env
	// FeedsAddr is where to serve calendar feeds, such as
	// 127.0.0.1:8080; empty serves none. Only this computer's own
	// addresses are served.
	FeedsAddr string
	// Every is how often due email is sent (default a minute);
	// RefreshEvery how often subscribed calendars are looked at
	// (default 5 minutes).
	Every, RefreshEvery time.Duration
	// CheckEvery is how often the whole database is checked for damage
	// (default weekly, and once at start).
	CheckEvery time.Duration
	// WatchEvery is how often the database is asked whether another desk
	// or process changed it (default 500 ms; a PostgreSQL database also
	// says so itself at once).
	WatchEvery time.Duration
	// FirstAfter is how long after Start the first dispatch waits (none
	// by default; the shell waits BackgroundDelay, so the window's start
	// has the computer to itself).
	FirstAfter time.Duration
	// OnStatus receives the status of email and of the feeds in words,
	// from any goroutine; an empty part is unchanged.
	OnStatus func(email, feeds string)
	// OnDatabase receives, in words, that the database does not answer,
	// and "" once it does again.
	OnDatabase func(problem string)

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	feeds   sync.Mutex // guards srv, stopped, FeedsAddr and FeedsURL once started
	srv     *http.Server
	stopped bool
	// calendarFailed is which staff members' last calendar sync failed
	// (calendarSynced's, on its goroutine only).
	calendarFailed map[int64]bool
	// FeedsURL is the address the feeds are served at, once serving.
	FeedsURL string
}

func (b *Background) report(email, feeds string) {
	if b.OnStatus != nil {
		b.OnStatus(email, feeds)
	}
}

// Start starts the work in goroutines of its own; Stop ends it.
func (b *Background) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.feeds.Lock()
	if b.FeedsAddr != "" {
		b.serveFeeds()
	} else {
		b.report("", "Feeds: off")
	}
	b.feeds.Unlock()
	if err := b.readOnly(); err != nil && b.OnDatabase != nil {
		b.OnDatabase("Database: read-only here, so you can look but not change anything (" + strings.TrimSuffix(kit.Message(err), ".") + ")")
	}
	b.wg.Add(1)
	go b.loop(ctx)
	if b.readOnly() == nil {
		b.wg.Add(1)
		go b.syncCalendars(ctx)
	}
	if w, ok := b.Env.Store.(watcher); ok {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.guard("Watching for other desks' changes", "", func() {
				w.Watch(ctx, b.WatchEvery, func() { fyne.Do(b.Env.ChangedElsewhere) }, b.databaseHealth)
			})
		}()
	}
}

// readOnly returns why the database cannot be written here
// (store.DB.ReadOnlyError), or nil.
func (b *Background) readOnly() error {
	if ro, ok := b.Env.Store.(interface{ ReadOnlyError() error }); ok {
		return ro.ReadOnlyError()
	}
	return nil
}

// checkDatabase reads and checks the whole database (store.DB.FullCheck),
// once when the app starts and then weekly (CheckEvery): damage that no
// screen has met yet is told to the front desk, with what to do, while a
// backup is still fresh. A database that is sound says nothing.
func (b *Background) checkDatabase(ctx context.Context) {
	c, ok := b.Env.Store.(interface{ FullCheck(context.Context) error })
	if !ok || b.OnDatabase == nil {
		return
	}
	err := c.FullCheck(ctx)
	if err == nil || ctx.Err() != nil {
		return
	}
	msg := strings.TrimSuffix(kit.Message(err), ".")
	b.OnDatabase("Database: damaged (" + msg + "); restore the last backup (kapctl backup makes them) and tell your administrator")
}

// watcher is a store that reports changes made by any process: another
// desk's booking shows here within a second (store.DB.Watch), and whether
// the database answers.
type watcher interface {
	Watch(ctx context.Context, poll time.Duration, changed func(), health func(error))
}

// databaseHealth tells OnDatabase that the database stopped or started
// answering again; the screens reload when it is back.
func (b *Background) databaseHealth(err error) {
	if b.OnDatabase == nil {
		return
	}
	if err != nil {
		b.OnDatabase("Database: not answering (" + strings.TrimSuffix(kit.Message(err), ".") + "); retrying")
		return
	}
	b.OnDatabase("")
	fyne.Do(b.Env.ChangedElsewhere)
}

// Stop ends the work and waits for it: the feed server finishes the
// requests it is answering (for at most 5 seconds), and a dispatch under
// way finishes its batch.
func (b *Background) Stop() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	b.feeds.Lock()
	b.stopped = true
	b.stopFeeds()
	b.feeds.Unlock()
	b.wg.Wait()
	b.cancel = nil
}

// stopFeeds shuts the feed server down, letting the requests it is
// answering finish for at most 5 seconds. b.feeds must be held.
func (b *Background) stopFeeds() {
	if b.srv == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := b.srv.Shutdown(sctx); err != nil {
		b.srv.Close()
	}
	cancel()
	b.srv, b.FeedsURL = nil, ""
}

// ServeFeeds moves the feed server to addr, or stops it for "", when addr
// differs from where it serves now: the Settings screen's change takes
// effect at once. It may wait up to 5 seconds for requests being
// answered, so call it off the UI goroutine. It does nothing once
// stopped.
func (b *Background) ServeFeeds(addr string) {
	b.feeds.Lock()
	defer b.feeds.Unlock()
	if b.stopped || addr == b.FeedsAddr {
		return
	}
	b.stopFeeds()
	b.FeedsAddr = addr
	if addr == "" {
		b.report("", "Feeds: off")
		return
	}
	b.serveFeeds()
}

func (b *Background) loop(ctx context.Context) {
	defer b.wg.Done()
	every, refreshEvery := b.Every, b.RefreshEvery
	if every <= 0 {
		every = time.Minute
	}
	if refreshEvery <= 0 {
		refreshEvery = 5 * time.Minute
	}
	if b.FirstAfter > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.FirstAfter):
		}
	}
	checkEvery := b.CheckEvery
	if checkEvery <= 0 {
		checkEvery = 7 * 24 * time.Hour
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var refreshed, checked time.Time
	for {
		if time.Since(checked) >= checkEvery {
			checked = time.Now()
			b.guard("Checking the database", "", func() { b.checkDatabase(ctx) })
		}
		b.guard("Sending email", "Email: not sent after an internal error; trying again in a minute", func() { b.Dispatch(ctx) })
		if time.Since(refreshed) >= refreshEvery {
			refreshed = time.Now()
			b.guard("Refreshing busy time", "", func() { b.refreshBusy(ctx) })
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// guard runs fn, turning a panic into a record in the error log (where
// names the work) and the email status given, so that the work goes on at
// the next tick.
func (b *Background) guard(where, email string, fn func()) {
	defer func() {
		if p := errlog.Recovered(recover()); p != nil {
			b.Env.ErrorLog.Error(where, p)
			if email != "" {
				b.report(email, "")
			}
		}
	}()
	fn()
}

// Dispatch sends the email that is due now, in batches until none is
// left, reports what it did, and returns how many messages were sent and
// how many failed for good. Screens reload when anything changed.
func (b *Background) Dispatch(ctx context.Context) (sent, failed int) {
	env := b.Env
	if b.readOnly() != nil {
		// Sending records each message; nothing can be recorded here.
		b.report("Email: not sent from here: the database is read-only on this computer", "")
		return 0, 0
	}
	at := env.Time()
	if c, err := env.Store.Clinic(ctx); err == nil {
		at = at.In(c.Location())
		if env.Now != nil && !resources.IsDemo(c) {
			// A pretend clock (KAPBOOK_NOW) would settle every message as
			// if that time had come; only the demo clinic's are fictional.
			b.report("Email: not sent while the clock is pretend (KAPBOOK_NOW); restart without it", "")
			return 0, 0
		}
	}
	comp, tr, err := reminder.Setup(ctx, env.Store, env.LocalBase())
	if err != nil {
		msg := "the email settings cannot be used; check Settings"
		var be *booking.Error
		if errors.As(err, &be) {
			msg = strings.TrimSuffix(be.Message, ".")
		}
		b.report("Email: not sent: "+msg, "")
		return 0, 0
	}
	comp.Now = env.Time
	d := &reminder.Dispatcher{Store: env.Store, Composer: comp, Transport: tr, Now: env.Time, Actor: "kapbook on " + actorOf(env)}
	changed := 0
	for ctx.Err() == nil {
		rep, err := d.RunOnce(ctx)
		sent += rep.Sent
		failed += rep.Failed
		changed += len(rep.Messages) + rep.Recovered
		if err != nil {
			b.report("Email: "+strings.TrimSuffix(kit.Message(env.Internal("Sending email", err)), "."), "")
			break
		}
		if len(rep.Messages) == 0 {
			break
		}
	}
	when := at.Format("15:04")
	switch {
	case failed > 0:
		b.report(fmt.Sprintf("Email: %d sent, %d failed at %s (see Outbox)", sent, failed, when), "")
	case sent > 0:
		b.report(fmt.Sprintf("Email: %d sent at %s", sent, when), "")
	case ctx.Err() == nil:
		b.report("Email: checked at "+when+", nothing due", "")
	}
	if changed > 0 {
		fyne.Do(env.Changed)
	}
	return sent, failed
}

func actorOf(env *kit.Env) string {
	if env.Service != nil && env.Service.Actor != "" {
		return env.Service.Actor
	}
	return "this workstation"
}

// refreshBusy fetches the staff's subscribed calendars that are due;
// each result, good or bad, is recorded with its subscription.
func (b *Background) refreshBusy(ctx context.Context) {
	if b.readOnly() != nil {
		return
	}
	subs := &calendar.Subscriptions{Store: b.Env.Store, Now: b.Env.Time, Actor: "kapbook on " + actorOf(b.Env)}
	subs.Refresh(ctx, false)
}

// calDAVRestart is how long the calendar sync waits before starting
// again after an internal error stopped it.
const calDAVRestart = time.Minute

// syncCalendars runs the staff's calendar sync (caldav.Syncer.Run) until
// ctx ends: appointments go out within a second of being saved, busy time
// comes in every 5 minutes. Its failures are kept with each connection
// and shown on Settings → Staff, never in a dialog; a panic is recorded
// in the error log and the sync starts again after calDAVRestart. Like
// the email, it waits FirstAfter first.
func (b *Background) syncCalendars(ctx context.Context) {
	defer b.wg.Done()
	if b.FirstAfter > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.FirstAfter):
		}
	}
	for {
		b.guard("Syncing staff calendars", "", func() { b.Env.CalDAV().Run(ctx, b.calendarSynced) })
		select {
		case <-ctx.Done():
			return
		case <-time.After(calDAVRestart):
		}
	}
}

// calendarSynced has the screens reload after a sync that did something.
// Settings, which reloads only for changes made here, reloads when a sync
// sent appointments, failed, or worked again after failing, so it shows
// the count and the error as they stand; a pull alone reloads the other
// screens (the busy time). A failure to read the connections (StaffID 0)
// is the database's, which the watch reports. It runs on Run's goroutine.
func (b *Background) calendarSynced(r caldav.Result) {
	if r.StaffID == 0 {
		return
	}
	if b.calendarFailed == nil {
		b.calendarFailed = map[int64]bool{}
	}
	failed := r.Err != nil
	switch {
	case failed || b.calendarFailed[r.StaffID] || r.Pushed() > 0:
		fyne.Do(b.Env.Changed)
	case r.Pulled:
		fyne.Do(b.Env.ChangedElsewhere)
	}
	b.calendarFailed[r.StaffID] = failed
}

// serveFeeds starts the feed server on FeedsAddr. b.feeds must be held.
func (b *Background) serveFeeds() {
	addr := b.FeedsAddr
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		b.report("", fmt.Sprintf("Feeds: off: %q is not an address such as 127.0.0.1:8080", addr))
		return
	}
	if !calendar.Loopback(host) {
		b.report("", "Feeds: off: "+addr+" is reachable from other computers; serve those with kapctl serve --public")
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if netx.AddrInUse(err) {
			b.report("", "Feeds: off: "+addr+" is in use by another program")
		} else {
			b.report("", "Feeds: off: cannot serve on "+addr)
		}
		return
	}
	h := &calendar.FeedHandler{Store: b.Env.Store, Now: b.Env.Time}
	srv := calendar.NewFeedServer(addr, h)
	b.srv = srv
	b.FeedsURL = "http://" + ln.Addr().String()
	b.report("", "Feeds: serving on "+b.FeedsURL)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer func() {
			if p := errlog.Recovered(recover()); p != nil {
				b.Env.ErrorLog.Error("Serving feeds", p)
				b.report("", "Feeds: stopped after an internal error")
			}
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.Env.ErrorLog.Error("Serving feeds", err)
			b.report("", "Feeds: stopped; restart kapbook to serve them again")
		}
	}()
}
