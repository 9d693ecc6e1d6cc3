package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Columns returns a layout that places objects side by side in columns of
// the given widths, so the rows of a work list line up. A width of 0
// shares the space left over equally, except that a button in such a
// column keeps its own width; objects beyond the widths are laid out as
// 0-width columns. Hidden objects take no column.
func Columns(widths ...float32) fyne.Layout { return columns(widths) }

type columns []float32

func (c columns) width(i int) float32 {
	if i < len(c) {
		return c[i]
	}
	return 0
}

// MinSize implements fyne.Layout.
func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	n := 0
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		min := o.MinSize()
		if cw := c.width(i); cw > 0 {
			w += cw
		} else {
			w += min.Width
		}
		h = max(h, min.Height)
		n++
	}
	if n > 1 {
		w += float32(n-1) * theme.Padding()
	}
	return fyne.NewSize(w, h)
}

// Layout implements fyne.Layout.
func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	fixed, flex, n := float32(0), 0, 0
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		n++
		if cw := c.width(i); cw > 0 {
			fixed += cw
		} else if _, ok := AsButton(o); ok {
			fixed += o.MinSize().Width
		} else {
			flex++
		}
	}
	left := size.Width - fixed - float32(max(n-1, 0))*pad
	share := float32(0)
	if flex > 0 && left > 0 {
		share = left / float32(flex)
	}
	x := float32(0)
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		w := c.width(i)
		if w <= 0 {
			if _, ok := AsButton(o); ok {
				w = o.MinSize().Width
			} else {
				w = share
			}
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

// Cell returns a label for one cell of a work list: text that does not
// fit is cut short with an ellipsis instead of widening the column.
func Cell(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// Heading returns a bold label for a section's title.
func Heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// MessageKindName returns an outbox message's kind in words, e.g.
// "Change notice" for an update.
func MessageKindName(kind string) string {
	switch kind {
	case "confirmation":
		return "Confirmation"
	case "reminder":
		return "Reminder"
	case "preparation":
		return "Preparation"
	case "update":
		return "Change notice"
	case "cancellation":
		return "Cancellation notice"
	}
	return "Message"
}
