package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Field is a one-line field whose Escape calls OnEscape, where a plain
// widget.Entry keeps the key: a dialog's field closes its dialog, the
// Book screen's fields and the patient form close what they opened.
// Every other key is the entry's (Enter calls OnSubmitted).
type Field struct {
	widget.Entry
	OnEscape func()
}

// NewField returns a field whose Escape calls onEscape (nil: nothing).
func NewField(onEscape func()) *Field {
	f := &Field{OnEscape: onEscape}
	f.ExtendBaseWidget(f)
	return f
}

// TypedKey calls OnEscape on Escape and leaves other keys to the entry.
func (f *Field) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && f.OnEscape != nil {
		f.OnEscape()
		return
	}
	f.Entry.TypedKey(ev)
}
