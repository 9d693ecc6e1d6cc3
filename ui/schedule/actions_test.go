package schedule

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
)

// places returns where each action button of the details pane is on the
// window, by its text, and whether it shows.
func places(v *View) map[string]fyne.Position {
	out := map[string]fyne.Position{}
	d := fyne.CurrentApp().Driver()
	for _, b := range v.details.actions {
		if b.Visible() {
			out[b.Text] = d.AbsolutePositionForObject(b)
		}
	}
	return out
}

// TestActions_KeepTheirPlaces: the details pane's buttons are in the same
// places with nothing selected, for a dosing (two staff, an escort line)
// and an integration, and after an action's message shows.
func TestActions_KeepTheirPlaces(t *testing.T) {
	f, v := open(t)
	none := places(v)
	if len(none) != len(v.details.actions) {
		t.Fatalf("with nothing selected %d of %d buttons show", len(none), len(v.details.actions))
	}
	same := func(what string) {
		t.Helper()
		got := places(v)
		for text, want := range none {
			if got[text] != want {
				t.Errorf("%s: %q at %v, want %v as with nothing selected", what, text, got[text], want)
			}
		}
	}
	dosing := find(t, f, 0, "Dosing 1/6")
	tapBlock(t, v, dosing.ID)
	if !strings.Contains(v.details.fields["Staff"].Text, "\n") {
		t.Fatalf("staff %q: want two lines for this test", v.details.fields["Staff"].Text)
	}
	same("Dosing 1/6")
	tapBlock(t, v, find(t, f, 0, "Integration 1/6").ID)
	same("Integration 1/6")
	test.Tap(v.details.resend)
	if v.details.result.Text == "" {
		t.Fatal("no message after Resend confirmation")
	}
	same("after a message")
}

// TestActions_OffWhenTheyCannotAct: a button that cannot act is off, not
// one that errs when pressed.
func TestActions_OffWhenTheyCannotAct(t *testing.T) {
	type on struct{ reschedule, makeup, cancel, arrived, completed, noShow, escort, resend, export bool }
	for _, c := range []struct {
		name  string
		label string
		at    time.Duration // the clock, from the appointment's start; 0: kittest.Now
		setup func(t *testing.T, svc *booking.Service, a *booking.Appointment)
		want  on
	}{
		{name: "FutureDosing", label: "Dosing 1/6",
			want: on{reschedule: true, cancel: true, escort: true, resend: true, export: true}},
		{name: "FutureIntegration", label: "Integration 1/6",
			want: on{reschedule: true, cancel: true, resend: true, export: true}},
		{name: "DosingDueWithoutEscort", label: "Dosing 1/6", at: -10 * time.Minute,
			want: on{reschedule: true, cancel: true, escort: true, resend: true, export: true}},
		{name: "DosingDueWithEscort", label: "Dosing 1/6", at: -10 * time.Minute,
			setup: func(t *testing.T, svc *booking.Service, a *booking.Appointment) {
				if _, err := svc.SetEscort(context.Background(), a.ID, booking.Escort{Name: "Robin Quinn", Phone: "+1 617 555 0199"}); err != nil {
					t.Fatal(err)
				}
			},
			want: on{reschedule: true, cancel: true, arrived: true, escort: true, resend: true, export: true}},
		{name: "IntegrationUnderWay", label: "Integration 1/6", at: 30 * time.Minute,
			want: on{reschedule: true, cancel: true, arrived: true, completed: true, noShow: true, resend: true, export: true}},
		{name: "Cancelled", label: "Dosing 1/6",
			setup: func(t *testing.T, svc *booking.Service, a *booking.Appointment) {
				if _, err := svc.Cancel(context.Background(), booking.CancelRequest{AppointmentID: a.ID, By: booking.ByClinic, Reason: "room flooded"}); err != nil {
					t.Fatal(err)
				}
			},
			want: on{makeup: true, export: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, v := open(t)
			a := find(t, f, 0, c.label)
			if c.at != 0 {
				at := a.Start.Add(c.at)
				f.Env.Now = func() time.Time { return at }
				f.Env.Service.Now = f.Env.Now
			}
			if c.setup != nil {
				c.setup(t, f.Env.Service, a)
			}
			v.cancelled.SetChecked(true)
			v.Select(a.ID)
			d := v.details
			got := on{!d.reschedule.Disabled(), !d.makeup.Disabled(), !d.cancel.Disabled(), !d.arrived.Disabled(), !d.completed.Disabled(),
				!d.noShow.Disabled(), !d.escort.Disabled(), !d.resend.Disabled(), !d.export.Disabled()}
			if got != c.want {
				t.Fatalf("buttons on:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
