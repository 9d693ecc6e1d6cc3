package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// TextWidth is the width a label needs to show text whole.
func TextWidth(text string, style fyne.TextStyle) float32 {
	return fyne.MeasureText(text, theme.TextSize(), style).Width + 2*theme.InnerPadding()
}

// Cut reports whether l's text is cut short at l's width.
func Cut(l *widget.Label) bool {
	return l.Text != "" && l.Wrapping == fyne.TextWrapOff && TextWidth(l.Text, l.TextStyle) > l.Size().Width+0.5
}

// showWhole shows text whole in a pop-up just below o; nil when o is not
// on a canvas.
func showWhole(o fyne.CanvasObject, text string, style fyne.TextStyle) *widget.PopUp {
	c := canvasOf(o)
	if c == nil {
		return nil
	}
	full := widget.NewLabel(text)
	full.TextStyle = style
	pop := widget.NewPopUp(full, c)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	pop.ShowAtPosition(pos.Add(fyne.NewPos(0, o.Size().Height)))
	return pop
}

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

// Cut reports whether the text is cut short at the label's width.
func (l *HoverLabel) Cut() bool { return Cut(&l.Label) }

// MouseIn implements desktop.Hoverable: a cut text shows whole.
func (l *HoverLabel) MouseIn(*desktop.MouseEvent) {
	l.hide()
	if l.Cut() {
		l.pop = showWhole(l, l.Text, l.TextStyle)
	}
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

// HoverRow shows a row of cells (Row, whose labels are plain
// widget.Labels, cut short with an ellipsis) and, while the pointer
// rests on a label whose text is cut, that text whole in a pop-up below
// it. The row's buttons work as ever.
type HoverRow struct {
	widget.BaseWidget
	Row  *fyne.Container
	over *widget.Label // the label under the pointer
	pop  *widget.PopUp
}

// NewHoverRow returns row with its cut texts shown whole on hover.
func NewHoverRow(row *fyne.Container) *HoverRow {
	r := &HoverRow{Row: row}
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer implements fyne.Widget.
func (r *HoverRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.Row) }

// MouseIn implements desktop.Hoverable.
func (r *HoverRow) MouseIn(e *desktop.MouseEvent) { r.at(e.Position) }

// MouseMoved implements desktop.Hoverable.
func (r *HoverRow) MouseMoved(e *desktop.MouseEvent) { r.at(e.Position) }

// MouseOut implements desktop.Hoverable.
func (r *HoverRow) MouseOut() { r.show(nil) }

// at shows the whole text of the cut label at pos, relative to the row.
func (r *HoverRow) at(pos fyne.Position) {
	for _, o := range r.Row.Objects {
		l, ok := o.(*widget.Label)
		p, s := o.Position(), o.Size()
		if ok && o.Visible() && pos.X >= p.X && pos.X < p.X+s.Width && pos.Y >= p.Y && pos.Y < p.Y+s.Height {
			r.show(l)
			return
		}
	}
	r.show(nil)
}

func (r *HoverRow) show(l *widget.Label) {
	if l == r.over && (l == nil || r.pop != nil) {
		return
	}
	if r.pop != nil {
		r.pop.Hide()
		r.pop = nil
	}
	r.over = l
	if l != nil && Cut(l) {
		r.pop = showWhole(l, l.Text, l.TextStyle)
	}
}

var (
	_ desktop.Hoverable = (*HoverLabel)(nil)
	_ desktop.Hoverable = (*HoverRow)(nil)
)
