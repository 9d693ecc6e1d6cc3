package kit_test

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestButton_Keys: a focused kit.Button is pressed by Return, the
// keypad's Enter and Space, once each, and by no other key; a disabled
// one by none. A key that presses (or would press) the button goes to
// the button alone, never also to the window's key handler: that would
// press a dialog's default as well. Any other key goes on to the
// window's key handler, as if nothing were focused (the schedule's
// arrows), and Escape also takes the focus off the button.
func TestButton_Keys(t *testing.T) {
	for _, tt := range []struct {
		name      string
		key       fyne.KeyName
		disabled  bool
		want      int
		forwarded bool
	}{
		{"Return", fyne.KeyReturn, false, 1, false},
		{"Enter", fyne.KeyEnter, false, 1, false},
		{"Space", fyne.KeySpace, false, 1, false},
		{"EscapeGoesOn", fyne.KeyEscape, false, 0, true},
		{"LetterGoesOn", fyne.KeyA, false, 0, true},
		{"ArrowGoesOn", fyne.KeyDown, false, 0, true},
		{"DisabledReturn", fyne.KeyReturn, true, 0, false},
		{"DisabledEnter", fyne.KeyEnter, true, 0, false},
		{"DisabledSpace", fyne.KeySpace, true, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			pressed, window := 0, 0
			b := kit.NewButton("Save", func() { pressed++ })
			w := test.NewTempWindow(t, b)
			w.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
				if ev.Name != tt.key {
					t.Errorf("the window got %s, want %s", ev.Name, tt.key)
				}
				window++
			})
			w.Canvas().Focus(b)
			if tt.disabled {
				b.Disable()
			}
			kittest.PressKey(w.Canvas(), tt.key)
			if pressed != tt.want {
				t.Fatalf("pressed %d times, want %d", pressed, tt.want)
			}
			wantWindow := 0
			if tt.forwarded {
				wantWindow = 1
			}
			if window != wantWindow {
				t.Fatalf("the window's key handler got the key %d times, want %d", window, wantWindow)
			}
			if focused := w.Canvas().Focused() == b; focused != (tt.key != fyne.KeyEscape) {
				t.Fatalf("after %s the button has the focus: %v", tt.key, focused)
			}
			// Straight to the widget, as a test or another driver may.
			b.TypedKey(&fyne.KeyEvent{Name: tt.key})
			if pressed != 2*tt.want {
				t.Fatalf("TypedKey: pressed %d times, want %d", pressed, 2*tt.want)
			}
			if window != 2*wantWindow {
				t.Fatalf("TypedKey: the window's key handler got the key %d times, want %d", window, 2*wantWindow)
			}
		})
	}
}

// TestButton_HeldEnterPressesOnce: the keyboard's repeats of an Enter
// held down do not press the button again; the next press does.
func TestButton_HeldEnterPressesOnce(t *testing.T) {
	test.NewTempApp(t)
	pressed := 0
	b := kit.NewButton("Cancel appointment…", func() { pressed++ })
	ev := &fyne.KeyEvent{Name: fyne.KeyReturn}
	b.KeyDown(ev)
	for range 3 { // the press and two repeats
		b.TypedKey(ev)
	}
	b.KeyUp(ev)
	if pressed != 1 {
		t.Fatalf("held Enter pressed %d times, want 1", pressed)
	}
	b.KeyDown(ev)
	b.TypedKey(ev)
	b.KeyUp(ev)
	if pressed != 2 {
		t.Fatalf("the next Enter: pressed %d times, want 2", pressed)
	}
}

// TestButton_DrawsAsWidgetButton: a kit.Button is drawn as a
// widget.Button with the same text, icon, importance and alignment, and
// is as big.
func TestButton_DrawsAsWidgetButton(t *testing.T) {
	test.NewTempApp(t)
	for _, tt := range []struct {
		name string
		imp  widget.Importance
		al   widget.ButtonAlign
		icon bool
	}{
		{"Plain", widget.MediumImportance, widget.ButtonAlignCenter, false},
		{"HighWithIcon", widget.HighImportance, widget.ButtonAlignCenter, true},
		{"LowLeading", widget.LowImportance, widget.ButtonAlignLeading, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var k *kit.Button
			var w *widget.Button
			if tt.icon {
				k = kit.NewButtonWithIcon("Book", theme.ConfirmIcon(), nil)
				w = widget.NewButtonWithIcon("Book", theme.ConfirmIcon(), nil)
			} else {
				k, w = kit.NewButton("Book", nil), widget.NewButton("Book", nil)
			}
			k.Importance, w.Importance = tt.imp, tt.imp
			k.Alignment, w.Alignment = tt.al, tt.al
			for _, on := range []bool{true, false} {
				if !on {
					k.Disable()
					w.Disable()
				}
				if k.MinSize() != w.MinSize() {
					t.Fatalf("enabled=%v: size %v, want %v", on, k.MinSize(), w.MinSize())
				}
				k.Resize(fyne.NewSize(200, 40))
				w.Resize(fyne.NewSize(200, 40))
				got := strings.Replace(test.RenderObjectToMarkup(k), "*kit.Button", "*widget.Button", 1)
				if want := test.RenderObjectToMarkup(w); got != want {
					t.Fatalf("enabled=%v: drawn\n%s\nwant\n%s", on, got, want)
				}
			}
		})
	}
}

// TestAsk_EnterPressesFocusedButton: in a dialog of Env.Ask, Enter on
// the focused Keep button keeps (not the highlighted default), and on
// the focused action button acts; each once, and the window's key
// handler (the shell's dialog keys) does not get the key.
func TestAsk_EnterPressesFocusedButton(t *testing.T) {
	for _, tt := range []struct {
		name, focus     string
		wantYes, wantNo int
	}{
		{"Keep", "Keep", 0, 1},
		{"Action", "Discard", 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := kittest.New(t, kittest.Options{})
			c := f.Env.Window.Canvas()
			window := 0
			c.SetOnTypedKey(func(*fyne.KeyEvent) { window++ })
			yes, no := 0, 0
			f.Env.Ask("Discard the proposal?", "It is not booked yet.", "Discard", "Keep",
				func() { yes++ }, func() { no++ })
			b := kittest.FindButton(c.Overlays().Top(), tt.focus)
			if b == nil {
				t.Fatalf("the dialog has no %q kit.Button", tt.focus)
			}
			c.Focus(b)
			kittest.PressKey(c, fyne.KeyReturn)
			if yes != tt.wantYes || no != tt.wantNo {
				t.Fatalf("yes=%d no=%d, want %d and %d", yes, no, tt.wantYes, tt.wantNo)
			}
			if window != 0 {
				t.Fatal("the window's key handler got the Enter too")
			}
			if c.Overlays().Top() != nil {
				t.Fatal("the dialog still shows")
			}
		})
	}
}

// TestNotify_EnterOnFocusedOK: Enter on the focused OK of Env.Notify
// closes it.
func TestNotify_EnterOnFocusedOK(t *testing.T) {
	f := kittest.New(t, kittest.Options{})
	c := f.Env.Window.Canvas()
	f.Env.Notify("Saved", "The clinic is saved.")
	b := kittest.FindButton(c.Overlays().Top(), "OK")
	if b == nil {
		t.Fatal("the dialog has no OK kit.Button")
	}
	c.Focus(b)
	kittest.PressKey(c, fyne.KeyEnter)
	if c.Overlays().Top() != nil {
		t.Fatal("Enter on OK did not close the dialog")
	}
}

// TestButton_FocusRing: a focused button, the primary (blue) one too, has
// a ring in the text's colour around it; it goes when the focus goes, and
// a disabled button has none. Fyne's own mark, a tint, does not show on a
// primary button (seen in the real window).
func TestButton_FocusRing(t *testing.T) {
	test.NewTempApp(t)
	b := kit.NewButton("Book a series", func() {})
	b.Importance = widget.HighImportance
	other := kit.NewButton("Edit", func() {})
	w := test.NewTempWindow(t, container.NewHBox(b, other))
	ring := func() *canvas.Rectangle {
		t.Helper()
		objs := test.TempWidgetRenderer(t, b).Objects()
		r, ok := objs[len(objs)-1].(*canvas.Rectangle)
		if !ok {
			t.Fatalf("the button's last object is %T, want its ring", objs[len(objs)-1])
		}
		return r
	}
	if ring().Visible() {
		t.Fatal("a ring shows without the focus")
	}
	w.Canvas().Focus(b)
	r := ring()
	if !r.Visible() || r.StrokeWidth < 2 || r.StrokeColor != test.Theme().Color(theme.ColorNameForeground, theme.VariantDark) && r.StrokeColor != test.Theme().Color(theme.ColorNameForeground, theme.VariantLight) {
		t.Fatalf("focused: ring shown %v, width %v, colour %v", r.Visible(), r.StrokeWidth, r.StrokeColor)
	}
	if r.Size() != b.Size() {
		t.Fatalf("the ring is %v, the button %v", r.Size(), b.Size())
	}
	w.Canvas().Focus(other)
	if ring().Visible() {
		t.Fatal("the ring stays after the focus moved on")
	}
	w.Canvas().Focus(b)
	b.Disable()
	if ring().Visible() {
		t.Fatal("a disabled button shows the ring")
	}
}
