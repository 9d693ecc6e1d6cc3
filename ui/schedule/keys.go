package schedule

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
)

// keyPane holds a dialog's content and takes the dialog's keys: Escape
// closes it, Enter does its default action (when that can act), ↑ and ↓
// move through its choices.
//
// Fyne gives a key to the focused widget alone, and the shell's dialog
// keys find only the buttons of Fyne's own button row, not those of a
// dialog that lays out its own. A tapped radio button or check box takes
// the focus and ignores Enter and Escape, so the dialog gives the focus
// back to the pane (or to the field to fill next) after each choice, and a
// tap on anything in the dialog that takes no focus itself (a label, the
// background) gives it to the pane.
type keyPane struct {
	widget.BaseWidget
	content fyne.CanvasObject
	canvas  fyne.Canvas
	escape  func()
	enter   func()
	move    func(dir int) // nil: ↑ and ↓ do nothing
}

var (
	_ fyne.Focusable = (*keyPane)(nil)
	_ fyne.Tappable  = (*keyPane)(nil)
)

// newKeyPane returns a pane holding content in canvas c; escape closes the
// dialog and enter does its default action.
func newKeyPane(content fyne.CanvasObject, c fyne.Canvas, escape, enter func()) *keyPane {
	p := &keyPane{content: content, canvas: c, escape: escape, enter: enter}
	p.ExtendBaseWidget(p)
	return p
}

// escapeFrom makes Escape on each of the dialog's buttons, when it has
// the focus (after a Tab), close the dialog as Escape on the pane does.
func (p *keyPane) escapeFrom(buttons ...*kit.Button) {
	for _, b := range buttons {
		b.OnEscape = p.escape
	}
}

// CreateRenderer shows the content, filling the pane.
func (p *keyPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

// Focus gives the pane the keyboard.
func (p *keyPane) Focus() { p.canvas.Focus(p) }

// FocusGained is part of fyne.Focusable; the pane draws no focus mark.
func (p *keyPane) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (p *keyPane) FocusLost() {}

// TypedRune ignores text: the pane has no field.
func (p *keyPane) TypedRune(rune) {}

// TypedKey closes the dialog on Escape, does its default on Enter and
// moves through its choices on ↑ and ↓.
func (p *keyPane) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		p.escape()
	case fyne.KeyReturn, fyne.KeyEnter:
		p.enter()
	case fyne.KeyUp, fyne.KeyDown:
		if p.move != nil {
			p.move(map[fyne.KeyName]int{fyne.KeyUp: -1, fyne.KeyDown: 1}[ev.Name])
		}
	}
}

// Tapped gives the pane the keyboard when what was tapped takes no focus.
func (p *keyPane) Tapped(*fyne.PointEvent) { p.Focus() }

// pressIfEnabled taps b unless it is disabled: Enter does nothing that
// the dialog's default button could not do.
func pressIfEnabled(b *kit.Button) {
	if b != nil && !b.Disabled() && b.OnTapped != nil {
		b.OnTapped()
	}
}
