package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/pgtest"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui/booker"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
	"github.com/kapbook/kapbook/ui/patients"
)

// shownTexts returns every text the window draws.
func shownTexts(w fyne.Window) string {
	var out []string
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		switch x := o.(type) {
		case *canvas.Text:
			out = append(out, x.Text)
		case *widget.Label:
			out = append(out, x.Text)
		}
	}
	return strings.Join(out, "\n")
}

// desk returns the Env of one workstation on the database at url: its own
// connections, window and background watch.
func desk(t *testing.T, url, who string) *kit.Env {
	t.Helper()
	db, err := store.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := func() time.Time { return kittest.Now }
	env := &kit.Env{Store: db, Service: &booking.Service{Store: db, Now: now, Actor: who}, DBPath: url, Now: now,
		App: fyne.CurrentApp(), Window: test.NewTempWindow(t, nil), Inline: true}
	env.Window.Resize(fyne.NewSize(1280, 800))
	return env
}

// Two apps on one PostgreSQL database: a series booked on one desk's Book
// screen shows on the other desk's page of the patient without a click
// (the background watch hears the commit and the page reloads).
// scripts/two-desks.sh proves the same with two real windows.
func TestTwoDesks_BookingShowsOnTheOther(t *testing.T) {
	test.NewTempApp(t)
	url := pgtest.Shared(t)
	ctx := context.Background()
	db, err := store.Create(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := resources.InitDemo(ctx, db, "test", kittest.Now); err != nil {
		t.Fatal(err)
	}
	p := &booking.Patient{Name: "Robin Park", Email: "robin@example.org"}
	svc := &booking.Service{Store: db, Now: func() time.Time { return kittest.Now }, Actor: "Set-up"}
	if err := svc.AddPatient(ctx, p); err != nil {
		t.Fatal(err)
	}
	// The planner is deterministic: this is the plan desk 1 will book.
	plan, err := svc.Propose(ctx, booking.ProposalRequest{PatientID: p.ID, ProtocolID: "kap-standard"})
	if err != nil {
		t.Fatal(err)
	}
	first := plan.Appts[0].Start.In(plan.Location())
	db.Close()

	env1, env2 := desk(t, url, "Desk 1"), desk(t, url, "Desk 2")
	// Desk 2 watches its database as the app's background does
	// (store.DB.Watch), and its screens reload when it hears a change
	// (Env.ChangedElsewhere). The reload runs here, on the test's
	// goroutine: the test driver runs fyne.Do on the calling goroutine, so
	// a redraw from the watcher's goroutine would race this one's drawing
	// of desk 1 (a race of the test; the app draws on one goroutine).
	heard := make(chan struct{}, 1)
	wctx, stopWatch := context.WithCancel(ctx)
	t.Cleanup(stopWatch)
	go env2.Store.(interface {
		Watch(ctx context.Context, poll time.Duration, changed func(), health func(error))
	}).Watch(wctx, 100*time.Millisecond, func() {
		select {
		case heard <- struct{}{}:
		default:
		}
	}, func(error) {})
	page := patients.New(env2)
	env2.Window.SetContent(page.Content())
	page.Refresh()
	page.Show(p.ID)
	label := plan.Appts[0].Label() // "Consultation"
	if shown := shownTexts(env2.Window); strings.Contains(shown, label) || !strings.Contains(shown, "None booked.") {
		t.Fatalf("desk 2's page of %s before anything was booked:\n%s", p.Name, shown)
	}

	book := booker.New(env1)
	env1.Window.SetContent(book.Content())
	book.Refresh()
	book.Start(p.ID)
	if !book.ChooseProtocol("kap-standard") {
		t.Fatal("no kap-standard on desk 1's Book screen")
	}
	book.Propose()
	saved := time.Now()
	book.Book()

	deadline := time.Now().Add(3 * time.Second)
	for {
		select {
		case <-heard:
			env2.ChangedElsewhere()
		default:
		}
		if strings.Contains(shownTexts(env2.Window), label) {
			t.Logf("desk 2 shows desk 1's booking %v after it was saved", time.Since(saved).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("desk 2 does not show the %s of %s three seconds after desk 1 booked; it shows:\n%s", label, first.Format("Mon 2 Jan 15:04"), shownTexts(env2.Window))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
