package ui_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/davtest"
	"github.com/kapbook/kapbook/internal/secret"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// The background keeps a connected calendar in step with the same syncer
// the Settings screen uses: it sends every appointment, takes a
// cancellation made at the desk off the server within seconds, keeps a
// server that stopped answering as the connection's error without any
// dialog, and Stop ends it.
func TestBackground_CalDAV(t *testing.T) {
	srv := davtest.Radicale(t, "tara", "pw")
	secret.Mock()
	f := kittest.New(t, kittest.Options{Patients: 1, Booked: true})
	ctx := context.Background()
	if _, err := f.Env.Service.AllowCalendarHost(ctx, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	staffID := f.Series[0].TherapistID
	home, _, err := caldav.Discover(ctx, f.DB, srv.URL, srv.User, srv.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Env.CalDAV().Connect(ctx, caldav.ConnectRequest{StaffID: staffID, Server: srv.URL, User: srv.User, Password: srv.Password,
		NewName: "kapbook", Home: home}); err != nil {
		t.Fatal(err)
	}
	items := func() int {
		t.Helper()
		its, err := f.DB.CalDAVItems(ctx, staffID)
		if err != nil {
			t.Fatal(err)
		}
		return len(its)
	}
	account := func() *booking.CalDAVAccount {
		t.Helper()
		accts, err := f.DB.CalDAVAccounts(ctx)
		if err != nil || len(accts) != 1 {
			t.Fatalf("connections=%d err=%v, want 1", len(accts), err)
		}
		return accts[0]
	}
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("the background never %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var theirs []*booking.Appointment
	for _, a := range f.Series[0].Appts {
		for _, s := range a.Staff {
			if s.StaffID == staffID {
				theirs = append(theirs, a)
				break
			}
		}
	}
	if len(theirs) < 2 {
		t.Fatalf("the therapist has %d appointments; the test needs two", len(theirs))
	}
	b := &ui.Background{Env: f.Env}
	b.Start()
	defer b.Stop()
	wait("sent the appointments", func() bool { return items() == len(theirs) })

	last := theirs[len(theirs)-1]
	if _, err := f.Env.Service.Cancel(ctx, booking.CancelRequest{AppointmentID: last.ID, By: booking.ByClinic, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	wait("took the cancelled appointment off", func() bool { return items() == len(theirs)-1 })

	srv.Stop()
	if _, err := f.Env.Service.Cancel(ctx, booking.CancelRequest{AppointmentID: theirs[len(theirs)-2].ID, By: booking.ByClinic, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	wait("kept the server's failure", func() bool { return account().Error != "" })
	if top := f.Env.Window.Canvas().Overlays().Top(); top != nil {
		t.Fatal("a failed sync showed a dialog")
	}
	b.Stop()
}
