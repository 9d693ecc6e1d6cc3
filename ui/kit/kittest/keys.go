package kittest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/ui/kit"
)

// PressKey presses and releases the key in canvas c as the desktop
// driver does (fyne.io/fyne/v2/internal/driver/glfw, processKeyPressed):
// the focused widget alone gets it (KeyDown, if it is a desktop.Keyable,
// then TypedKey), and the canvas's key handler only when nothing has the
// focus. The release goes to whatever has the focus then, as the key
// may have moved it (a button that opened a dialog).
func PressKey(c fyne.Canvas, name fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: name}
	if f := c.Focused(); f != nil {
		if k, ok := f.(desktop.Keyable); ok {
			k.KeyDown(ev)
		}
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
	if f := c.Focused(); f != nil {
		if k, ok := f.(desktop.Keyable); ok {
			k.KeyUp(ev)
		}
	}
}

// FindButton returns the visible kit.Button labelled text under root (a
// screen, or a dialog: the canvas's Overlays().Top()), nil when there is
// none.
func FindButton(root fyne.CanvasObject, text string) *kit.Button {
	for _, o := range Visible(root) {
		if b, ok := o.(*kit.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

// Visible returns root and every object under it that shows (it and
// every container and widget above it visible), depth first: the
// objects of containers and of widgets' renderers.
func Visible(root fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}
