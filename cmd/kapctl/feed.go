package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/netx"
)

// defaultFeedBase is where kapctl serve listens unless told otherwise.
const defaultFeedBase = "http://127.0.0.1:8080"

// feed creates, rotates and revokes the address of a staff member's or a
// room's calendar feed.
//
// Only a token's hash is stored, so an address can be shown only when it
// is made. "feed url" therefore makes a feed when the staff member or room
// has no live one, and otherwise refuses and points to --rotate (a new
// address; the old one stops working) or --revoke. With --privacy alone
// it changes what a live feed shows, keeping its address. Every change is
// recorded in the audit trail, without the token.
func (a *app) feed(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "url" {
		return usagef("feed needs a subcommand: feed url --staff ID | --room ID")
	}
	fs := flag.NewFlagSet("feed url", flag.ContinueOnError)
	staff := fs.String("staff", "", "")
	room := fs.String("room", "", "")
	privacy := fs.String("privacy", "", "")
	rotate := fs.Bool("rotate", false, "")
	revoke := fs.Bool("revoke", false, "")
	base := fs.String("base", defaultFeedBase, "")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("feed url takes no argument %q", booking.Clip(pos[0], 40))
	}
	if (*staff == "") == (*room == "") {
		return usagef("feed url needs either --staff ID or --room ID")
	}
	baseURL, err := feedBase(*base)
	if err != nil {
		return err
	}
	res, name, err := a.feedResource(ctx, *staff, *room)
	if err != nil {
		return err
	}
	admin := &calendar.FeedAdmin{Store: a.db, Now: func() time.Time { return a.now }, Actor: a.actor}
	ch, err := admin.Change(ctx, calendar.FeedRequest{Resource: res, Name: name, Privacy: calendar.Privacy(*privacy),
		Rotate: *rotate, Revoke: *revoke, KeepAddress: *privacy != ""})
	if booking.ErrorCode(err) == booking.ECONFLICT && !*revoke {
		return booking.Errorf(booking.ECONFLICT, "%s Here: --rotate or --revoke.", booking.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	who := calendar.FeedLabel(res, name)
	out := feedOut{Name: name, Privacy: string(ch.Privacy), Revoked: ch.Revoked, Changed: ch.Changed}
	if res.Kind == booking.StaffResource {
		out.Staff = res.ID
	} else {
		out.Room = res.ID
	}
	if ch.New != nil {
		out.URL = ch.New.URL(baseURL)
	}
	return a.print(out, func(w *tw) {
		words := calendar.PrivacyWords(ch.Privacy)
		switch {
		case out.URL != "":
			w.line("%s", out.URL)
			w.line("The calendar feed of %s, showing patients as %s.", who, words)
			if out.Revoked > 0 {
				w.line("The old address no longer works.")
			}
			w.line("Keep this address private: anyone who has it can read the calendar. It is shown only now;")
			w.line("kapbook keeps only a fingerprint of it. Run kapctl serve to serve it.")
		case *revoke:
			w.line("The calendar feed of %s has ended; its address no longer works.", who)
		case out.Changed == 0:
			w.line("The calendar feed of %s already shows patients as %s.", who, words)
		default:
			w.line("The calendar feed of %s now shows patients as %s; its address is unchanged.", who, words)
		}
	})
}

// feedOut is what feed url reports.
type feedOut struct {
	URL     string `json:"url,omitempty"` // set only when a new address was made
	Staff   int64  `json:"staff,omitempty"`
	Room    int64  `json:"room,omitempty"`
	Name    string `json:"name"`
	Privacy string `json:"privacy,omitempty"`
	Revoked int    `json:"revoked"`           // addresses that stopped working
	Changed int    `json:"changed,omitempty"` // live feeds whose privacy changed
}

// feedResource resolves --staff or --room to a resource and its name.
func (a *app) feedResource(ctx context.Context, staff, room string) (booking.Resource, string, error) {
	if staff != "" {
		sid, err := id("staff member", staff)
		if err != nil {
			return booking.Resource{}, "", err
		}
		list, err := a.db.StaffList(ctx)
		if err != nil {
			return booking.Resource{}, "", err
		}
		for _, s := range list {
			if s.ID == sid {
				return booking.Resource{Kind: booking.StaffResource, ID: sid}, s.Name, nil
			}
		}
		return booking.Resource{}, "", booking.Errorf(booking.ENOTFOUND, "There is no staff member with id %d; kapctl staff list shows them.", sid)
	}
	rid, err := id("room", room)
	if err != nil {
		return booking.Resource{}, "", err
	}
	list, err := a.db.Rooms(ctx)
	if err != nil {
		return booking.Resource{}, "", err
	}
	for _, r := range list {
		if r.ID == rid {
			return booking.Resource{Kind: booking.RoomResource, ID: rid}, r.Name, nil
		}
	}
	return booking.Resource{}, "", booking.Errorf(booking.ENOTFOUND, "There is no room with id %d; kapctl room list shows them.", rid)
}

// feedBase checks --base: an http or https address, possibly with a path
// (a reverse proxy's prefix), without query or fragment. It returns it
// without a trailing slash.
func feedBase(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Host, ":") {
		return "", booking.Errorf(booking.EINVALID, "--base %q is not a web address; write it as https://calendar.example.org or http://127.0.0.1:8080.", booking.Clip(s, 40))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// serve serves the calendar feeds over HTTP until SIGINT or SIGTERM, then
// lets requests in progress finish. It listens on a loopback address
// unless --public is given.
func (a *app) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	public := fs.Bool("public", false, "")
	logRequests := fs.Bool("log", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no argument %q", booking.Clip(pos[0], 40))
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return booking.Errorf(booking.EINVALID, "--addr %q is not an address; write it as 127.0.0.1:8080.", booking.Clip(*addr, 40))
	}
	if !calendar.Loopback(host) && !*public {
		return booking.Errorf(booking.EINVALID, "--addr %s is reachable from other computers. Serve on 127.0.0.1 behind a reverse proxy with TLS, or add --public if you mean it.", booking.Clip(*addr, 40))
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if netx.AddrInUse(err) {
			return booking.Errorf(booking.ECONFLICT, "%s is already in use by another program; choose another port with --addr.", booking.Clip(*addr, 40))
		}
		msg := err.Error()
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			msg = oe.Err.Error()
		}
		return booking.Errorf(booking.ECONFLICT, "Cannot serve on %s: %s.", booking.Clip(*addr, 40), oneLine(msg))
	}
	// The clock starts at --now (default: now) and runs on, so a feed's
	// window moves with the days.
	started, begin := a.now, time.Now()
	h := &calendar.FeedHandler{Store: a.db, Now: func() time.Time { return started.Add(time.Since(begin)) }}
	if *logRequests && a.json {
		h.Log = slog.New(slog.NewJSONHandler(a.out, nil))
	} else if *logRequests {
		h.Log = slog.New(slog.NewTextHandler(a.out, nil))
	}
	srv := calendar.NewFeedServer(*addr, h)
	listening := "http://" + ln.Addr().String()
	if !calendar.Loopback(host) {
		fmt.Fprintf(a.out, "Warning: serving on %s, reachable from other computers; anyone who learns a feed address can read that calendar. Prefer 127.0.0.1 behind a reverse proxy with TLS.\n", ln.Addr())
	}
	if a.json {
		json.NewEncoder(a.out).Encode(map[string]string{"address": listening})
	} else {
		fmt.Fprintf(a.out, "Serving calendar feeds on %s (stop with Ctrl-C)\n", listening)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Staff members' subscribed calendars are fetched while serving, each
	// when it is due; a failure keeps the last good copy and is recorded.
	subs := &calendar.Subscriptions{Store: a.db, Now: h.Now, Actor: a.actor}
	go refreshLoop(ctx, subs, refreshTick)
	// Connected CalDAV calendars are kept in step: a change is pushed
	// within a second of being saved, busy time pulled every 5 minutes
	// (docs/caldav.md). Outcomes are in each staff member's sync log.
	syncer := &caldav.Syncer{Store: a.db, Now: h.Now, Actor: a.actor}
	synced := make(chan struct{})
	go func() { syncer.Run(ctx, nil); close(synced) }()
	defer func() { <-synced }()
	select {
	case err := <-errc:
		return booking.Errorf(booking.EINTERNAL, "The feed server stopped: %s.", oneLine(err.Error()))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return booking.Errorf(booking.EINTERNAL, "The feed server stopped: %s.", oneLine(err.Error()))
	}
	return nil
}

// refreshTick is how often serve looks for due calendar subscriptions.
const refreshTick = 5 * time.Minute

// refreshLoop refreshes due subscriptions now and then every tick until ctx
// ends. Results are in each subscription's record (busy list shows them).
func refreshLoop(ctx context.Context, subs *calendar.Subscriptions, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		subs.Refresh(ctx, false)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
