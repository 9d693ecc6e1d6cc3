package kit_test

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// drawn is what an open dialog draws: each line of text and each button,
// with its place in the window.
type drawn struct {
	texts   []placed[*canvas.Text]
	buttons []placed[*widget.Button]
}

type placed[T fyne.CanvasObject] struct {
	obj T
	pos fyne.Position // in the window
}

func (p placed[T]) top() float32    { return p.pos.Y }
func (p placed[T]) bottom() float32 { return p.pos.Y + p.obj.Size().Height }

// openDialog returns what the dialog on top of w draws, failing when no
// dialog shows.
func openDialog(t *testing.T, w fyne.Window) drawn {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shows")
	}
	var d drawn
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		if o == nil || !o.Visible() {
			return
		}
		at = at.Add(o.Position())
		switch o := o.(type) {
		case *canvas.Text:
			if strings.TrimSpace(o.Text) != "" {
				d.texts = append(d.texts, placed[*canvas.Text]{o, at})
			}
		case *widget.Button:
			d.buttons = append(d.buttons, placed[*widget.Button]{o, at})
			return // its own text is the button's
		case *kit.Button:
			d.buttons = append(d.buttons, placed[*widget.Button]{&o.Button, at})
			return
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c, at)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c, at)
			}
		}
	}
	walk(top, fyne.Position{})
	return d
}

func newWindow(t *testing.T) *kit.Env {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1024, 700))
	return &kit.Env{Window: w}
}

// A long message wraps onto lines that all end above the dialog's buttons
// (it was drawn under its OK button: "Choose one of the times firs[OK]").
func TestShowError_MessageAboveButtons(t *testing.T) {
	long := "Choose one of the times first: the appointment cannot move until a free time is chosen from the list, or a date and time typed in the field below it, checked against the clinic's rules."
	for _, tc := range []struct {
		name string
		show func(e *kit.Env)
	}{
		{"Error", func(e *kit.Env) { e.ShowError(booking.Errorf(booking.EINVALID, "%s", long)) }},
		{"ErrorWithFix", func(e *kit.Env) {
			e.ShowErrorWithFix(booking.Errorf(booking.ECONFLICT, "%s", long), "Record escort…", func() {})
		}},
		{"Confirm", func(e *kit.Env) { e.Confirm("Move it?", long, "Move", func() {}) }},
		{"Notify", func(e *kit.Env) { e.Notify("Moved", long) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newWindow(t)
			tc.show(e)
			d := openDialog(t, e.Window)
			if len(d.buttons) == 0 {
				t.Fatal("the dialog has no button")
			}
			var words []string
			lines := 0
			for _, tx := range d.texts {
				if strings.Contains(long, tx.obj.Text) {
					words = append(words, strings.TrimSpace(tx.obj.Text))
					lines++
				}
				for _, b := range d.buttons {
					if tx.bottom() > b.top() && strings.Contains(long, tx.obj.Text) {
						t.Fatalf("the line %q ends at y=%v, below the top of the button %q at y=%v", tx.obj.Text, tx.bottom(), b.obj.Text, b.top())
					}
				}
			}
			if got := strings.Join(words, " "); got != long {
				t.Fatalf("the dialog shows %q, want the whole message %q", got, long)
			}
			if lines < 2 {
				t.Fatalf("the message is on %d line(s), want it wrapped", lines)
			}
			for _, tx := range d.texts {
				if w := tx.obj.Size().Width; w > 0 && tx.pos.X+w > e.Window.Canvas().Size().Width {
					t.Fatalf("the line %q runs off the window", tx.obj.Text)
				}
			}
		})
	}
}

// An error that has a fix offers it beside Close; the fix runs once the
// dialog has closed. Enter presses the fix (the highlighted button).
func TestShowError_Fix(t *testing.T) {
	e := newWindow(t)
	escort := booking.Errorf(booking.ECONFLICT, "Record the escort who will take the patient home before checking in for this visit.")
	ran := 0
	e.ShowError(escort, kit.Fix{When: kit.MissingEscort, Label: "Record escort…", Do: func() {
		ran++
		if e.Window.Canvas().Overlays().Top() != nil {
			t.Error("the fix ran while the error still showed")
		}
	}})
	var fix, closeBtn *widget.Button
	for _, b := range openDialog(t, e.Window).buttons {
		switch b.obj.Text {
		case "Record escort…":
			fix = b.obj
		case "Close":
			closeBtn = b.obj
		}
	}
	if fix == nil || closeBtn == nil {
		t.Fatalf("buttons %v, want Record escort… and Close", openDialog(t, e.Window).buttons)
	}
	if fix.Importance != widget.HighImportance {
		t.Fatal("the fix is not the highlighted button")
	}
	test.Tap(fix)
	if ran != 1 {
		t.Fatalf("the fix ran %d times, want once", ran)
	}

	t.Run("CloseDoesNotFix", func(t *testing.T) {
		ran = 0
		e.ShowErrorWithFix(escort, "Record escort…", func() { ran++ })
		for _, b := range openDialog(t, e.Window).buttons {
			if b.obj.Text == "Close" {
				test.Tap(b.obj)
			}
		}
		if ran != 0 || e.Window.Canvas().Overlays().Top() != nil {
			t.Fatalf("Close: fix ran %d times, dialog open=%v", ran, e.Window.Canvas().Overlays().Top() != nil)
		}
	})
	t.Run("NoFixForOtherErrors", func(t *testing.T) {
		e.ShowError(booking.Errorf(booking.ECONFLICT, "This appointment was cancelled."),
			kit.Fix{When: kit.MissingEscort, Label: "Record escort…", Do: func() { t.Error("fix offered") }})
		var labels []string
		for _, b := range openDialog(t, e.Window).buttons {
			labels = append(labels, b.obj.Text)
		}
		if strings.Join(labels, ",") != "OK" {
			t.Fatalf("buttons %q, want only OK", labels)
		}
		e.Window.Canvas().Overlays().Top().Hide()
		e.Window.Canvas().Overlays().Remove(e.Window.Canvas().Overlays().Top())
	})
}

func TestFixFor(t *testing.T) {
	escort := booking.Errorf(booking.ECONFLICT, "Record the escort who will take the patient home before checking in for this visit.")
	taken := booking.Errorf(booking.ECONFLICT, "Dr Lee is booked then.")
	fixes := []kit.Fix{
		{When: kit.MissingEscort, Label: "Record escort…"},
		{When: kit.HasCode(booking.ECONFLICT), Label: "Reload"},
		{Label: "Anything"},
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"MissingEscort", escort, "Record escort…"},
		{"Conflict", taken, "Reload"},
		{"Other", booking.Errorf(booking.EINVALID, "No."), "Anything"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := kit.FixFor(tc.err, fixes...)
			if f == nil || f.Label != tc.want {
				t.Fatalf("fix %+v, want %q", f, tc.want)
			}
		})
	}
	if f := kit.FixFor(nil, fixes...); f != nil {
		t.Fatalf("a fix %q for no error", f.Label)
	}
	if f := kit.FixFor(taken, fixes[0]); f != nil {
		t.Fatalf("a fix %q for an error it does not fix", f.Label)
	}
}

// MissingEscort knows the error booking really gives for a check-in
// without the escort, and no other.
func TestMissingEscort(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 1, Booked: true})
	var dosing *booking.Appointment
	for _, a := range f.Series[0].Appts {
		if a.NeedsEscort() && a.Escort == nil {
			dosing = a
			break
		}
	}
	if dosing == nil {
		t.Fatal("the demo series has no visit that needs an escort")
	}
	_, err := f.Env.Service.SetStatus(context.Background(), dosing.ID, booking.Arrived)
	if !kit.MissingEscort(err) {
		t.Fatalf("MissingEscort(%v) = false for a check-in without the escort", err)
	}
	_, err = f.Env.Service.SetStatus(context.Background(), f.Series[0].Appts[0].ID, booking.Completed)
	if err == nil || kit.MissingEscort(err) {
		t.Fatalf("MissingEscort(%v) for a visit that has not started", err)
	}
}
