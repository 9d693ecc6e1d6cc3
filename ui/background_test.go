package ui_test

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// statusLog collects what the background work reports.
type statusLog struct {
	mu           sync.Mutex
	email, feeds []string
}

func (l *statusLog) add(email, feeds string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if email != "" {
		l.email = append(l.email, email)
	}
	if feeds != "" {
		l.feeds = append(l.feeds, feeds)
	}
}

func (l *statusLog) last() (email, feeds string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.email); n > 0 {
		email = l.email[n-1]
	}
	if n := len(l.feeds); n > 0 {
		feeds = l.feeds[n-1]
	}
	return email, feeds
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".eml") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestBackground_Dispatch(t *testing.T) {
	ctx := context.Background()
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	due, err := f.DB.Outbox(ctx, booking.OutboxFilter{State: booking.OutboxPending, DueBefore: kittest.Now.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if len(due) == 0 {
		t.Fatal("the booked demo has no email due; nothing to test")
	}
	changed := 0
	f.Env.OnChange(func() { changed++ })
	var log statusLog
	b := &ui.Background{Env: f.Env, OnStatus: log.add}

	sent, failed := b.Dispatch(ctx)
	if sent != len(due) || failed != 0 {
		t.Fatalf("sent %d, failed %d; want %d sent", sent, failed, len(due))
	}
	dir := filepath.Join(filepath.Dir(f.Env.DBPath), reminder.DefaultDirName)
	if got := emlFiles(t, dir); len(got) != sent {
		t.Fatalf("%d .eml files in %s, want %d", len(got), dir, sent)
	}
	all, err := f.DB.Outbox(ctx, booking.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	state := map[int64]string{}
	for _, m := range all {
		state[m.ID] = m.State
	}
	for _, m := range due {
		if state[m.ID] != booking.OutboxSent {
			t.Fatalf("message %d is %q, want sent", m.ID, state[m.ID])
		}
	}
	if email, _ := log.last(); email != "Email: "+strconv.Itoa(sent)+" sent at 09:00" {
		t.Fatalf("status %q", email)
	}
	if changed != 1 {
		t.Fatalf("screens told of %d changes, want 1", changed)
	}

	// Nothing more is due: nothing sent twice.
	sent, _ = b.Dispatch(ctx)
	if sent != 0 || len(emlFiles(t, dir)) != len(due) {
		t.Fatalf("the second dispatch sent %d", sent)
	}
	if email, _ := log.last(); email != "Email: checked at 09:00, nothing due" {
		t.Fatalf("status %q", email)
	}
}

func TestBackground_StartStop(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 1, Booked: true})
	var log statusLog
	b := &ui.Background{Env: f.Env, OnStatus: log.add, Every: 10 * time.Millisecond, FeedsAddr: "127.0.0.1:0"}
	b.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if email, _ := log.last(); strings.Contains(email, "nothing due") {
			break // sent the due email, then looked again
		}
		if time.Now().After(deadline) {
			b.Stop()
			t.Fatalf("no second dispatch; status %q", log.email)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, feeds := log.last(); feeds != "Feeds: serving on "+b.FeedsURL || b.FeedsURL == "" {
		t.Fatalf("feeds status %q, url %q", feeds, b.FeedsURL)
	}
	resp, err := http.Get(b.FeedsURL + "/feeds/not-a-token.ics")
	if err != nil {
		t.Fatalf("the feed server does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown feed: status %d, want 404", resp.StatusCode)
	}
	if !strings.Contains(strings.Join(log.email, "|"), " sent at ") {
		t.Fatalf("the due email was not reported sent: %q", log.email)
	}

	b.Stop()
	n := len(log.email)
	time.Sleep(50 * time.Millisecond)
	if len(log.email) != n {
		t.Fatal("the dispatcher still runs after Stop")
	}
	if _, err := http.Get(b.FeedsURL + "/"); err == nil {
		t.Fatal("the feed server still answers after Stop")
	}
	b.Stop() // a second Stop is harmless
}

func TestBackground_FeedsRefused(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	for _, tc := range []struct{ addr, want string }{
		{"0.0.0.0:8080", "reachable from other computers"},
		{"8080", "is not an address"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			var log statusLog
			b := &ui.Background{Env: f.Env, OnStatus: log.add, FeedsAddr: tc.addr}
			b.Start()
			b.Stop()
			if _, feeds := log.last(); !strings.HasPrefix(feeds, "Feeds: off: ") || !strings.Contains(feeds, tc.want) {
				t.Fatalf("feeds status %q, want off, %q", feeds, tc.want)
			}
			if b.FeedsURL != "" {
				t.Fatalf("serving on %s", b.FeedsURL)
			}
		})
	}
}

func TestShell_BackgroundStatus(t *testing.T) {
	defer func(d time.Duration) { ui.BackgroundDelay = d }(ui.BackgroundDelay)
	ui.BackgroundDelay = 0
	s, f := newShell(t, kittest.Options{Patients: 1, Booked: true})
	if !strings.Contains(s.Status.Text, "Email: starting") {
		t.Fatalf("status line before Start %q", s.Status.Text)
	}
	s.Start()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.StatusText(), " sent at 09:00") {
		if time.Now().After(deadline) {
			s.Close()
			t.Fatalf("the status line never told of the email sent: %q", s.StatusText())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(s.StatusText(), "Feeds: off") {
		t.Fatalf("status line %q", s.StatusText())
	}
	// Close stops the work and closes the database.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	text := s.StatusText()
	time.Sleep(30 * time.Millisecond)
	if s.StatusText() != text {
		t.Fatal("the background work still runs after Close")
	}
	if _, err := f.DB.Clinic(context.Background()); err == nil {
		t.Fatal("the database is still open after Close")
	}
}

func TestShell_FeedsFollowSettings(t *testing.T) {
	defer func(d time.Duration) { ui.BackgroundDelay = d }(ui.BackgroundDelay)
	ui.BackgroundDelay = time.Hour // no email in this test
	s, f := newShell(t, kittest.Options{})
	s.Start()
	defer s.Close()
	prefs := f.Env.App.Preferences()
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(s.StatusText(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("status line %q, want %q", s.StatusText(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitStatus("Feeds: off")

	// Settings stores an address and tells the screens: the app serves.
	prefs.SetString(kit.PrefFeedsAddr, "127.0.0.1:0")
	f.Env.Changed()
	waitStatus("Feeds: serving on http://127.0.0.1:")
	url := s.Background().FeedsURL
	resp, err := http.Get(url + "/feeds/unknown.ics")
	if err != nil {
		t.Fatalf("not serving: %v", err)
	}
	resp.Body.Close()

	// Cleared: the server stops.
	prefs.SetString(kit.PrefFeedsAddr, "")
	f.Env.Changed()
	waitStatus("Feeds: off")
	if _, err := http.Get(url + "/feeds/unknown.ics"); err == nil {
		t.Fatal("still serving after the address was cleared")
	}
}

// panicStore panics on every read, as a bug would.
type panicStore struct{ booking.Store }

func (panicStore) Clinic(context.Context) (*booking.Clinic, error) { panic("bug") }

func TestBackground_SurvivesPanic(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	f.Env.Store = panicStore{f.DB}
	var log statusLog
	b := &ui.Background{Env: f.Env, OnStatus: log.add, Every: 5 * time.Millisecond}
	b.Start()
	defer b.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		log.mu.Lock()
		n := len(log.email)
		log.mu.Unlock()
		if n >= 2 {
			break // tried again after the first panic
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %q", log.email)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if email, _ := log.last(); email != "Email: not sent after an internal error; trying again in a minute" {
		t.Fatalf("status %q", email)
	}
}

// Another desk's booking reaches this app without a click: the background
// watch tells every screen within a second (and the Today screen would
// reload; here a listener counts).
func TestBackground_OtherDeskChanges(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2})
	var mu sync.Mutex
	var heard []time.Time
	f.Env.OnChange(func() {
		mu.Lock()
		heard = append(heard, time.Now())
		mu.Unlock()
	})
	b := &ui.Background{Env: f.Env, OnStatus: (&statusLog{}).add, Every: time.Hour, WatchEvery: 100 * time.Millisecond}
	b.Start()
	defer b.Stop()
	time.Sleep(300 * time.Millisecond)

	desk2, err := store.Open(f.Env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer desk2.Close()
	svc := &booking.Service{Store: desk2, Now: f.Env.Now, Actor: "Desk 2"}
	saved := time.Now()
	if _, err := svc.BookSeries(context.Background(), booking.BookRequest{PatientID: f.Patients[1].ID, ProtocolID: "kap-standard", From: booking.DateOf(kittest.Now) + 7}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(heard)
		mu.Unlock()
		if n > 0 {
			if d := heard[0].Sub(saved); d > time.Second {
				t.Fatalf("heard of the other desk's booking after %v, want within a second", d)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the other desk's booking was never heard of")
}

// The background work checks the whole database when the app starts: a
// damaged index, which no screen reads whole, is told to the front desk
// in the status line with what to do.
func TestBackground_FindsDamage(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 8})
	raw, err := sql.Open("sqlite", f.Env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	var page int64
	if _, err := raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	err = raw.QueryRow("SELECT pageno FROM dbstat WHERE name = 'patients_name_key' ORDER BY pageno DESC LIMIT 1").Scan(&page)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	for i := int(page)*4096 - 40; i < int(page)*4096-32; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(f.Env.DBPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	said := make(chan string, 4)
	bg := &ui.Background{Env: f.Env, Every: time.Hour, OnDatabase: func(s string) { said <- s }}
	bg.Start()
	defer bg.Stop()
	select {
	case s := <-said:
		if !strings.Contains(s, "damaged") || !strings.Contains(s, "backup") {
			t.Fatalf("the status line says %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the damage was not reported")
	}
}

// TestBackground_ReadOnly: on a database this computer may only read, the
// status line says so at start, and email is not sent (sending records
// each message), without an error in the log (issue 13, item 11).
func TestBackground_ReadOnly(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 4})
	ctx := context.Background()
	ro, err := store.OpenReadOnly(f.Env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	f.Env.Store = ro
	said := make(chan string, 4)
	var log statusLog
	bg := &ui.Background{Env: f.Env, Every: time.Hour, OnDatabase: func(s string) { said <- s }, OnStatus: log.add}
	bg.Start()
	defer bg.Stop()
	select {
	case s := <-said:
		if !strings.Contains(s, "read-only") || !strings.Contains(s, "look but not change") {
			t.Fatalf("the status line says %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read-only database was not reported")
	}
	if sent, failed := bg.Dispatch(ctx); sent != 0 || failed != 0 {
		t.Fatalf("dispatch sent %d, failed %d on a read-only database", sent, failed)
	}
	if email, _ := log.last(); !strings.Contains(email, "read-only") {
		t.Fatalf("email status %q, want it to say the database is read-only", email)
	}
}
