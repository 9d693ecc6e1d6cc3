package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
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

// Tipped is a window's content with a layer above it on which a cut
// text shows whole, just below its cell, while the pointer rests on the
// cell (HoverLabel, HoverRow). Fyne has no tooltips, and a pop-up would
// take the keyboard while it shows: Fyne gives the keys to the overlay on
// top, so what is typed into the field focused under it would be lost,
// and Enter and Escape would go to the pop-up. The layer is part of the
// content, under the dialogs, and takes neither keys nor the pointer.
// Without a Tipped around them (a screen tested alone), cut texts show
// nothing on hover.
type Tipped struct {
	widget.BaseWidget
	content fyne.CanvasObject
	layer   *fyne.Container // laid out by hand: the tip
	bg      *canvas.Rectangle
	label   *widget.Label
	owner   fyne.CanvasObject // the cell the tip is for
}

// NewTipped returns content with the tip layer above it; make it the
// window's content.
func NewTipped(content fyne.CanvasObject) *Tipped {
	t := &Tipped{content: content, label: widget.NewLabel("")}
	t.bg = canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	t.bg.StrokeColor = theme.Color(theme.ColorNameShadow)
	t.bg.StrokeWidth = 1
	t.layer = container.NewWithoutLayout(t.bg, t.label)
	t.layer.Hide()
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer implements fyne.Widget.
func (t *Tipped) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(t.content, t.layer))
}

// Tip returns the text the tip shows, "" when none shows.
func (t *Tipped) Tip() string {
	if !t.layer.Visible() {
		return ""
	}
	return t.label.Text
}

// HideTip hides the tip, as the pointer leaving its cell does: the shell
// hides it when the view changes under a pointer that did not move.
func (t *Tipped) HideTip() { t.hide(nil) }

// show shows text whole just below owner (above it when there is no room
// below), within the window.
func (t *Tipped) show(owner fyne.CanvasObject, text string, style fyne.TextStyle) {
	t.owner = owner
	t.label.Text, t.label.TextStyle = text, style
	t.bg.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	t.bg.StrokeColor = theme.Color(theme.ColorNameShadow)
	m := t.label.MinSize()
	d := fyne.CurrentApp().Driver()
	p := d.AbsolutePositionForObject(owner).Subtract(d.AbsolutePositionForObject(t))
	below := p.Add(fyne.NewPos(0, owner.Size().Height))
	size := t.Size()
	if below.Y+m.Height > size.Height {
		below.Y = max(0, p.Y-m.Height)
	}
	below.X = max(0, min(below.X, size.Width-m.Width))
	t.bg.Move(below)
	t.bg.Resize(m)
	t.label.Move(below)
	t.label.Resize(m)
	t.layer.Show()
	t.layer.Refresh()
}

// hide hides the tip if it is owner's (any tip, when owner is nil).
func (t *Tipped) hide(owner fyne.CanvasObject) {
	if owner != nil && owner != t.owner {
		return
	}
	t.owner = nil
	if t.layer.Visible() {
		t.layer.Hide()
	}
}

// tippedFor returns the Tipped that is the content of o's window, nil
// when there is none (or o is not shown).
func tippedFor(o fyne.CanvasObject) *Tipped {
	c := canvasOf(o)
	if c == nil {
		return nil
	}
	t, _ := c.Content().(*Tipped)
	return t
}

// showWhole shows text whole just below o, on the tip layer of o's
// window; nil when there is none.
func showWhole(o fyne.CanvasObject, text string, style fyne.TextStyle) *Tipped {
	t := tippedFor(o)
	if t != nil {
		t.show(o, text, style)
	}
	return t
}

// HoverLabel is a cell of a work list whose text, when the column is too
// narrow for it, is cut short with an ellipsis and shows whole just
// below it while the pointer rests on it (on the window's Tipped).
type HoverLabel struct {
	widget.Label
	tip *Tipped // showing l's text, while the pointer is on l
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
		l.tip = showWhole(l, l.Text, l.TextStyle)
	}
}

// MouseMoved implements desktop.Hoverable.
func (l *HoverLabel) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable: the whole text goes.
func (l *HoverLabel) MouseOut() { l.hide() }

func (l *HoverLabel) hide() {
	if l.tip != nil {
		l.tip.hide(l)
		l.tip = nil
	}
}

// HoverRow shows a row of cells (Row, whose labels are plain
// widget.Labels, cut short with an ellipsis) and, while the pointer
// rests on a label whose text is cut, that text whole just below
// it. The row's buttons work as ever.
type HoverRow struct {
	widget.BaseWidget
	Row  *fyne.Container
	over *widget.Label // the label under the pointer
	tip  *Tipped       // showing over's text
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
	if l == r.over && (l == nil || r.tip != nil) {
		return
	}
	if r.tip != nil {
		r.tip.hide(r.over)
		r.tip = nil
	}
	r.over = l
	if l != nil && Cut(l) {
		r.tip = showWhole(l, l.Text, l.TextStyle)
	}
}

var (
	_ desktop.Hoverable = (*HoverLabel)(nil)
	_ desktop.Hoverable = (*HoverRow)(nil)
)
