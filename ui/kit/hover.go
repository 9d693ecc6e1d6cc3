package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// HoverLabel is a cell of a work list whose text, when the column is too
// narrow for it, is cut short with an ellipsis and shows whole in a small
// pop-up below it while the pointer rests on it (Fyne has no tooltips).
type HoverLabel struct {
	widget.Label
	pop *widget.PopUp
}

// NewHoverLabel returns a cell showing text.
func NewHoverLabel(text string) *HoverLabel {
	l := &HoverLabel{}
	l.Text = text
	l.Truncation = fyne.TextTruncateEllipsis
	l.ExtendBaseWidget(l)
	return l
}

// TextWidth is the width a label needs to show text whole.
func TextWidth(text string, style fyne.TextStyle) float32 {
	return fyne.MeasureText(text, theme.TextSize(), style).Width + 2*theme.InnerPadding()
}

// Cut reports whether the text is cut short at the label's width.
func (l *HoverLabel) Cut() bool {
	return l.Text != "" && TextWidth(l.Text, l.TextStyle) > l.Size().Width+0.5
}

// Popup returns the pop-up showing the whole text, nil when none shows.
func (l *HoverLabel) Popup() *widget.PopUp { return l.pop }

// MouseIn implements desktop.Hoverable: a cut text shows whole.
func (l *HoverLabel) MouseIn(*desktop.MouseEvent) {
	l.hide()
	if !l.Cut() {
		return
	}
	app := fyne.CurrentApp()
	if app == nil {
		return
	}
	c := app.Driver().CanvasForObject(l)
	if c == nil {
		return
	}
	full := widget.NewLabel(l.Text)
	full.TextStyle = l.TextStyle
	l.pop = widget.NewPopUp(full, c)
	pos := app.Driver().AbsolutePositionForObject(l)
	l.pop.ShowAtPosition(pos.Add(fyne.NewPos(0, l.Size().Height)))
}

// MouseMoved implements desktop.Hoverable.
func (l *HoverLabel) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable: the pop-up goes.
func (l *HoverLabel) MouseOut() { l.hide() }

func (l *HoverLabel) hide() {
	if l.pop != nil {
		l.pop.Hide()
		l.pop = nil
	}
}

var _ desktop.Hoverable = (*HoverLabel)(nil)
