package settings

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestRooms_EnterOnFocusedButton: on Settings → Rooms, Enter on the
// focused Add room starts a new room and Enter on the focused Save
// stores it, once.
func TestRooms_EnterOnFocusedButton(t *testing.T) {
	f, v := open(t)
	c := f.Env.Window.Canvas()
	for _, tab := range v.Tabs.Items {
		if tab.Text == "Rooms" {
			v.Tabs.Select(tab)
		}
	}
	n := len(v.rooms.d.rooms)
	v.rooms.name.SetText("Shown room")
	c.Focus(v.rooms.add)
	kittest.PressKey(c, fyne.KeyReturn)
	if v.rooms.name.Text != "" || v.rooms.selectedID != 0 {
		t.Fatalf("Enter on Add room: name=%q selected=%d, want an empty form for a new room", v.rooms.name.Text, v.rooms.selectedID)
	}
	test.Type(v.rooms.name, "Dosing 3")
	v.rooms.kind.SetSelected("Dosing room")
	c.Focus(v.rooms.save)
	kittest.PressKey(c, fyne.KeyEnter)
	rooms, err := f.DB.Rooms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != n+1 || rooms[n].Name != "Dosing 3" {
		t.Fatalf("rooms=%d after Enter on Save, want %d with Dosing 3 last", len(rooms), n+1)
	}
}

// TestSettings_EnterInFieldSaves: Enter in a one-line field of a tab's
// form saves the form, as its Save button does: a room typed on Rooms,
// a phone number changed on Clinic.
func TestSettings_EnterInFieldSaves(t *testing.T) {
	ctx := context.Background()
	f, v := open(t)
	c := f.Env.Window.Canvas()
	v.Tabs.SelectIndex(2) // Rooms
	n := len(v.rooms.d.rooms)
	test.Tap(v.rooms.add)
	c.Focus(v.rooms.name)
	test.Type(v.rooms.name, "Consult D")
	kittest.PressKey(c, fyne.KeyReturn)
	rooms, err := f.DB.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != n+1 || rooms[n].Name != "Consult D" {
		t.Fatalf("rooms=%d after Enter in the name, want %d with Consult D last", len(rooms), n+1)
	}

	v.Tabs.SelectIndex(0) // Clinic
	c.Focus(v.clinic.phone)
	v.clinic.phone.SetText("+1 617 555 0199")
	kittest.PressKey(c, fyne.KeyReturn)
	cl, err := f.DB.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Phone != "+1 617 555 0199" {
		t.Fatalf("stored phone %q after Enter in the field", cl.Phone)
	}
}

// TestClinic_LabelsNotDimOnceLoaded: the Clinic tab's form is off, its
// labels dim, while the clinic loads (off the UI goroutine, after the tab
// is drawn, as in the app); once loaded its labels are drawn in the
// text's colour again, not left dim as if the fields were still off
// (Fyne's form draws its labels as at its last refresh; seen in the real
// window).
func TestClinic_LabelsNotDimOnceLoaded(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	g := &gatedStore{Store: f.Env.Store, gate: make(chan struct{})}
	f.Env.Store = g
	f.Env.Inline = false
	f.Env.Delay = time.Hour
	v := New(f.Env)
	f.Env.Window.SetContent(v.Content())
	ct := v.clinic
	label := func(form *widget.Form, text string) *canvas.Text {
		t.Helper()
		for _, o := range test.LaidOutObjects(form) {
			if x, ok := o.(*canvas.Text); ok && x.Text == text {
				return x
			}
		}
		t.Fatalf("no label %q", text)
		return nil
	}
	th, variant := fyne.CurrentApp().Settings().Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	if got := label(ct.formView, "Clinic name").Color; got != th.Color(theme.ColorNameDisabled, variant) {
		t.Fatalf("while loading: the label is %v, want dim", got)
	}
	close(g.gate)
	f.Env.Wait()
	if ct.name.Disabled() || ct.name.Text == "" {
		t.Fatalf("after loading: name %q, disabled %v", ct.name.Text, ct.name.Disabled())
	}
	for _, l := range []*canvas.Text{label(ct.formView, "Clinic name"), label(ct.hours.form, "Monday")} {
		if l.Color != th.Color(theme.ColorNameForeground, variant) {
			t.Fatalf("loaded: %q is drawn in %v, want the text's colour", l.Text, l.Color)
		}
	}
}

// gatedStore holds every read of the clinic until gate is closed.
type gatedStore struct {
	booking.Store
	gate chan struct{}
}

func (g *gatedStore) Clinic(ctx context.Context) (*booking.Clinic, error) {
	<-g.gate
	return g.Store.Clinic(ctx)
}
