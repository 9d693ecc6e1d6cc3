package schedule

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// wrap lays out objects left to right at their own widths, in groups of
// keep that stay on one row (a legend's swatch and its name), starting a
// new row when a group does not fit: a toolbar or a legend that wraps
// instead of being cut off on a narrow window. Its height depends on its
// width, which Fyne does not ask for: the screen's bands layout gives it
// the height it needs at the width it has (wrapHeight); MinSize says the
// height at the width last laid out.
type wrap struct {
	keep  int
	width float32 // the width last laid out at; 0: one row
}

// groups splits the visible objects into the groups that stay together,
// with each group's width and the tallest object's height.
func (w *wrap) groups(objs []fyne.CanvasObject) (groups [][]fyne.CanvasObject, widths []float32, height float32) {
	keep := max(w.keep, 1)
	pad := theme.Padding()
	var g []fyne.CanvasObject
	var gw float32
	flush := func() {
		if len(g) > 0 {
			groups, widths = append(groups, g), append(widths, gw)
		}
		g, gw = nil, 0
	}
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if len(g) > 0 {
			gw += pad
		}
		g, gw = append(g, o), gw+m.Width
		height = max(height, m.Height)
		if len(g) == keep {
			flush()
		}
	}
	flush()
	return groups, widths, height
}

// rows returns the row of each group at width (any width when width is 0).
func rows(widths []float32, width float32) []int {
	pad := theme.Padding()
	out := make([]int, len(widths))
	row, x := 0, float32(0)
	for i, gw := range widths {
		if x > 0 && width > 0 && x+pad+gw > width {
			row, x = row+1, 0
		}
		if x > 0 {
			x += pad
		}
		x += gw
		out[i] = row
	}
	return out
}

// heightAt is the height the objects need at width.
func (w *wrap) heightAt(objs []fyne.CanvasObject, width float32) float32 {
	_, widths, h := w.groups(objs)
	if len(widths) == 0 {
		return 0
	}
	r := rows(widths, width)
	n := float32(r[len(r)-1] + 1)
	return n*h + (n-1)*theme.Padding()
}

// MinSize implements fyne.Layout: the widest group, as tall as the rows
// at the width last laid out.
func (w *wrap) MinSize(objs []fyne.CanvasObject) fyne.Size {
	_, widths, _ := w.groups(objs)
	var widest float32
	for _, gw := range widths {
		widest = max(widest, gw)
	}
	return fyne.NewSize(widest, w.heightAt(objs, w.width))
}

// Layout implements fyne.Layout.
func (w *wrap) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w.width = size.Width
	pad := theme.Padding()
	groups, widths, h := w.groups(objs)
	r := rows(widths, size.Width)
	row, x := 0, float32(0)
	for i, g := range groups {
		if r[i] != row {
			row, x = r[i], 0
		}
		for _, o := range g {
			m := o.MinSize()
			o.Move(fyne.NewPos(x, float32(row)*(h+pad)+(h-m.Height)/2))
			o.Resize(m)
			x += m.Width + pad
		}
	}
}

// bands lays out the schedule screen: the toolbar on top and the legend
// at the bottom, each as tall as it needs at the screen's width (they
// wrap), and the schedule and details between them.
type bands struct {
	top, middle, bottom *fyne.Container
	width               float32 // the width last laid out at
	topH, bottomH       float32 // the heights they were given then
}

// stale reports whether the toolbar or the legend now needs another
// height at the width last laid out: what they show changed since.
func (b *bands) stale() bool {
	top, bottom := b.heights(b.width)
	return b.width > 0 && (top != b.topH || bottom != b.bottomH)
}

func (b *bands) heights(width float32) (top, bottom float32) {
	return b.top.Layout.(*wrap).heightAt(b.top.Objects, width), b.bottom.Layout.(*wrap).heightAt(b.bottom.Objects, width)
}

// MinSize implements fyne.Layout.
func (b *bands) MinSize([]fyne.CanvasObject) fyne.Size {
	top, bottom := b.heights(b.width)
	mid := b.middle.MinSize()
	w := max(b.top.MinSize().Width, mid.Width, b.bottom.MinSize().Width)
	return fyne.NewSize(w, top+mid.Height+bottom+2*theme.Padding())
}

// Layout implements fyne.Layout.
func (b *bands) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	b.width = size.Width
	pad := theme.Padding()
	top, bottom := b.heights(size.Width)
	b.topH, b.bottomH = top, bottom
	b.top.Move(fyne.NewPos(0, 0))
	b.top.Resize(fyne.NewSize(size.Width, top))
	mid := max(size.Height-top-bottom-2*pad, 0)
	b.middle.Move(fyne.NewPos(0, top+pad))
	b.middle.Resize(fyne.NewSize(size.Width, mid))
	b.bottom.Move(fyne.NewPos(0, top+pad+mid+pad))
	b.bottom.Resize(fyne.NewSize(size.Width, bottom))
}
