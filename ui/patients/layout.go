package patients

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// columns lays objects side by side in columns of fixed widths, so the
// rows of an appointment list line up; a width of 0 shares what is left.
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
	for i, o := range objs {
		m := o.MinSize()
		if cw := c.width(i); cw > 0 {
			w += cw
		} else {
			w += m.Width
		}
		h = max(h, m.Height)
	}
	if len(objs) > 1 {
		w += float32(len(objs)-1) * theme.Padding()
	}
	return fyne.NewSize(w, h)
}

// Layout implements fyne.Layout.
func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	fixed, flex := float32(0), 0
	for i, o := range objs {
		if cw := c.width(i); cw > 0 {
			fixed += cw
		} else if _, ok := o.(*widget.Button); ok {
			fixed += o.MinSize().Width
		} else {
			flex++
		}
	}
	share := float32(0)
	if left := size.Width - fixed - float32(max(len(objs)-1, 0))*pad; flex > 0 && left > 0 {
		share = left / float32(flex)
	}
	x := float32(0)
	for i, o := range objs {
		w := c.width(i)
		if w <= 0 {
			if _, ok := o.(*widget.Button); ok {
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

// cell returns a label whose text is cut short with an ellipsis rather
// than widening its column.
func cell(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// heading returns a section title.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// escEntry is an entry that calls onEscape when Escape is pressed in it,
// so a dialog of entries closes from the keyboard.
type escEntry struct {
	widget.Entry
	onEscape func()
}

func newEscEntry(onEscape func()) *escEntry {
	e := &escEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable.
func (e *escEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
