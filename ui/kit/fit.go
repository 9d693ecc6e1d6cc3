package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// cutFloor is the narrowest a column that may be cut gets.
const cutFloor = 56

// Fit returns the layout of a work list's row whose columns fit their
// content: column i is want[i] wide (0: the object's own minimum, as a
// button's) while the row has room; a column whose want is negative
// takes the room left over. When it has not, the columns marked
// in cut give way, the widest first (each is cut to at most the same
// width, so short names stay whole and the longest text is cut), down to
// a floor of 56 (a HoverLabel there shows its whole text on hover); the
// row's minimum width counts them at that floor. Rows of one list given
// the same want and cut line up. Hidden objects take no column.
func Fit(want []float32, cut []bool) fyne.Layout { return &fit{want: want, cut: cut} }

type fit struct {
	want []float32
	cut  []bool
}

func (f *fit) widths(objs []fyne.CanvasObject) (want, floor []float32) {
	want, floor = make([]float32, len(objs)), make([]float32, len(objs))
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		w := float32(0)
		if i < len(f.want) {
			w = f.want[i]
		}
		if w <= 0 {
			w = max(o.MinSize().Width, -w)
		}
		want[i], floor[i] = w, w
		if i < len(f.cut) && f.cut[i] {
			floor[i] = min(w, cutFloor)
		}
	}
	return want, floor
}

func visible(objs []fyne.CanvasObject) int {
	n := 0
	for _, o := range objs {
		if o.Visible() {
			n++
		}
	}
	return n
}

// MinSize implements fyne.Layout.
func (f *fit) MinSize(objs []fyne.CanvasObject) fyne.Size {
	_, floor := f.widths(objs)
	var w, h float32
	for i, o := range objs {
		if o.Visible() {
			w += floor[i]
			h = max(h, o.MinSize().Height)
		}
	}
	if n := visible(objs); n > 1 {
		w += float32(n-1) * theme.Padding()
	}
	return fyne.NewSize(w, h)
}

// Layout implements fyne.Layout.
func (f *fit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	want, floor := f.widths(objs)
	var total float32
	for i := range objs {
		total += want[i]
	}
	if n := visible(objs); n > 1 {
		total += float32(n-1) * pad
	}
	// The widest cut column a row that is too narrow allows: the largest
	// cap at which the row fits.
	capped := func(c float32) float32 {
		t := total
		for i := range objs {
			if floor[i] < want[i] {
				t -= want[i] - max(floor[i], min(want[i], c))
			}
		}
		return t
	}
	limit := float32(-1) // no cap
	if total > size.Width {
		lo, hi := float32(0), float32(0)
		for i := range objs {
			hi = max(hi, want[i])
		}
		for range 24 {
			mid := (lo + hi) / 2
			if capped(mid) <= size.Width {
				lo = mid
			} else {
				hi = mid
			}
		}
		limit = lo
	}
	rest := -1
	for i, o := range objs {
		if o.Visible() && i < len(f.want) && f.want[i] < 0 {
			rest = i
		}
	}
	x := float32(0)
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		w := want[i]
		if limit >= 0 && floor[i] < want[i] {
			w = max(floor[i], min(want[i], limit))
		}
		if i == rest {
			w += max(size.Width-total, 0)
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}
