package kit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Button is kapbook's button: a widget.Button that a focused press of
// Enter (Return or the keypad's Enter) presses, as Space does, the way
// buttons work on Windows and GTK. Fyne's own button takes Space alone,
// and the window's key handlers never see a key the focused widget
// was given, so without this Enter on a focused button did nothing.
// Everything else (importance, icon, alignment, Disable, the tap) is
// widget.Button's.
//
// Held down, Enter presses the button once: the keyboard's repeats of a
// key are not presses, so a button that opens a dialog does not also
// press that dialog's default button.
//
// A focused button also has a ring around it: Fyne marks the focus by
// tinting the button, which on a primary (blue) button does not show.
type Button struct {
	widget.Button
	// OnEscape, when set, is what Escape on the focused button does, in
	// place of passing the key on: a dialog that takes its keys itself
	// (not one of Fyne's) closes with it.
	OnEscape func()

	held, pressed bool // Enter is down (KeyDown seen), and pressed this button
	focused       bool
}

var (
	_ fyne.Focusable  = (*Button)(nil)
	_ desktop.Keyable = (*Button)(nil)
)

// NewButton returns a button with the label that calls tapped when
// tapped, or when focused and Space or Enter is pressed.
func NewButton(label string, tapped func()) *Button {
	b := &Button{Button: widget.Button{Text: label, OnTapped: tapped}}
	b.ExtendBaseWidget(b)
	return b
}

// NewButtonWithIcon returns a button as NewButton does, with the icon
// before the label.
func NewButtonWithIcon(label string, icon fyne.Resource, tapped func()) *Button {
	b := NewButton(label, tapped)
	b.Icon = icon
	return b
}

// CreateRenderer implements fyne.Widget: widget.Button's, with the
// focus ring over it.
func (b *Button) CreateRenderer() fyne.WidgetRenderer {
	ring := canvas.NewRectangle(color.Transparent)
	ring.StrokeWidth = focusRingWidth
	ring.Hide()
	return &buttonRenderer{WidgetRenderer: b.Button.CreateRenderer(), b: b, ring: ring}
}

// focusRingWidth is the width of a focused button's ring.
const focusRingWidth = 2

// FocusGained implements fyne.Focusable.
func (b *Button) FocusGained() {
	b.focused = true
	b.Button.FocusGained() // refreshes
}

// FocusLost implements fyne.Focusable.
func (b *Button) FocusLost() {
	b.focused = false
	b.Button.FocusLost()
}

// buttonRenderer draws a widget.Button and, while it has the focus, a
// ring around it.
type buttonRenderer struct {
	fyne.WidgetRenderer
	b    *Button
	ring *canvas.Rectangle
}

func (r *buttonRenderer) Objects() []fyne.CanvasObject {
	return append(r.WidgetRenderer.Objects(), r.ring)
}

func (r *buttonRenderer) Layout(size fyne.Size) {
	r.WidgetRenderer.Layout(size)
	r.ring.Move(fyne.NewPos(0, 0))
	r.ring.Resize(size)
}

func (r *buttonRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	th := r.b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	// The text's colour stands out on buttons of every importance, the
	// primary (blue) one included.
	r.ring.StrokeColor = th.Color(theme.ColorNameForeground, v)
	r.ring.CornerRadius = th.Size(theme.SizeNameInputRadius)
	if r.b.focused && !r.b.Disabled() {
		r.ring.Show()
	} else {
		r.ring.Hide()
	}
	r.ring.Refresh()
}

// canvasOf returns the canvas o is drawn on, or nil when it is not shown.
func canvasOf(o fyne.CanvasObject) fyne.Canvas {
	app := fyne.CurrentApp()
	if app == nil {
		return nil
	}
	return app.Driver().CanvasForObject(o)
}

// isEnter reports whether the key is Return or the keypad's Enter.
func isEnter(name fyne.KeyName) bool {
	return name == fyne.KeyReturn || name == fyne.KeyEnter
}

// TypedKey presses the button on Enter (unless it is disabled, or the
// key is a repeat of an Enter held down) and Space as widget.Button does.
// Any other key goes on to the window's key handler, as if nothing had
// the focus: a focused button uses no arrow, so ↑ and ↓ still move
// through the schedule. Escape also takes the focus off the button, so
// that the keys are the screen's again (and in a dialog, Escape closes
// it as it does with nothing focused).
func (b *Button) TypedKey(ev *fyne.KeyEvent) {
	if !isEnter(ev.Name) {
		if ev.Name == fyne.KeySpace {
			b.Button.TypedKey(ev)
			return
		}
		c := canvasOf(b)
		if c == nil {
			return
		}
		if ev.Name == fyne.KeyEscape {
			if b.OnEscape != nil {
				b.OnEscape()
				return
			}
			c.Unfocus()
		}
		if h := c.OnTypedKey(); h != nil {
			h(ev)
		}
		return
	}
	if b.held {
		if b.pressed {
			return // a repeat
		}
		b.pressed = true
	}
	b.Tapped(nil) // does nothing when disabled
}

// KeyDown implements desktop.Keyable: the desktop driver calls it once
// as a key goes down, before TypedKey, which it calls again for each
// repeat.
func (b *Button) KeyDown(ev *fyne.KeyEvent) {
	if isEnter(ev.Name) {
		b.held, b.pressed = true, false
	}
}

// KeyUp implements desktop.Keyable.
func (b *Button) KeyUp(ev *fyne.KeyEvent) {
	if isEnter(ev.Name) {
		b.held, b.pressed = false, false
	}
}

// AsButton returns the widget.Button of o, a kit.Button or a
// widget.Button (such as those of Fyne's own dialogs), and whether o is
// one.
func AsButton(o fyne.CanvasObject) (*widget.Button, bool) {
	switch b := o.(type) {
	case *Button:
		return &b.Button, true
	case *widget.Button:
		return b, true
	}
	return nil, false
}

// SubmitWith makes Enter in each of the one-line fields press b (when it
// can act), as Enter in a dialog's field does: a settings form is saved
// from the keyboard without a Tab to its button. A field's own
// OnSubmitted is replaced.
func SubmitWith(b *Button, fields ...*widget.Entry) {
	for _, f := range fields {
		f.OnSubmitted = func(string) { b.Tapped(nil) }
	}
}
