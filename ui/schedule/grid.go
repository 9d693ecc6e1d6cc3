package schedule

import (
	"image"
	"image/color"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// Sizes of the time grid, in Fyne units.
const (
	gutterWidth  = 48  // the hour labels on the left
	headerHeight = 40  // day names and column names
	footHeight   = 8   // room for the last hour's label
	minColWidth  = 68  // a resource column, at least
	minPerMinute = 1.0 // vertical scale, at least: 60 units an hour
	blockPad     = 2   // space around a block inside its column
	edgeWidth    = 4   // the kind-coloured edge of a block
	lineHeight   = 13  // one line of block text
)

// Shading colours: translucent greys that read in light and dark themes.
var (
	shadeClosed  = color.NRGBA{0x80, 0x80, 0x80, 0x48}
	shadeOffDuty = color.NRGBA{0x80, 0x80, 0x80, 0x30}
	shadeTimeOff = color.NRGBA{0x80, 0x80, 0x80, 0x60}
	shadeBusy    = color.NRGBA{0x60, 0x60, 0x90, 0x50}
	cancelFill   = color.NRGBA{0x99, 0x99, 0x99, 0x30}
)

// column is one resource column of a day: a staff member, a room, or
// video (no room).
type column struct {
	name  string
	staff *booking.Staff
	room  *booking.Room
	video bool
}

// holds reports whether appointment a belongs in the column.
func (c column) holds(a *booking.Appointment) bool {
	switch {
	case c.staff != nil:
		return a.HasStaff(c.staff.ID)
	case c.room != nil:
		return a.RoomID == c.room.ID
	default:
		return c.video && a.Video()
	}
}

// item is one appointment to draw: booked (from the store) or proposed.
type item struct {
	a        *booking.Appointment
	proposed bool
}

// model is what the grid draws, built on the UI goroutine from the
// loaded week and the view's settings.
type model struct {
	loc        *time.Location
	days       []booking.Date
	current    booking.Date            // the view's day, marked in the week view
	cols       [][]column              // each day's columns
	closed     map[booking.Date]string // closure reasons by day
	from, to   booking.Clock           // the grid's hours
	items      []item
	names      map[int64]string // patient labels by id, as shown
	selected   int64
	now        time.Time
	byRoom     bool
	foreground color.Color
}

// ncols returns the number of columns of all days.
func (m *model) ncols() int {
	n := 0
	for _, c := range m.cols {
		n += len(c)
	}
	return max(1, n)
}

// hit is where a block was drawn, for taps.
type hit struct {
	pos  fyne.Position
	size fyne.Size
	id   int64
}

// grid is the time grid: a custom widget laying out canvas primitives
// itself, no nested widgets, so a week of several hundred appointments
// lays out and renders quickly. Lines and shading are rectangles; a plain
// block is one raster holding its fill, edge and text (blockBox), and other
// text is drawn by small rasters with cached glyphs (textBox).
type grid struct {
	widget.BaseWidget
	m     *model
	onTap func(id int64)
	onDay func(d booking.Date)
	dayAt []struct{ from, to float32 } // each day's columns, left to right

	objs   []fyne.CanvasObject
	labels []label // all text, as drawn by the text boxes
	hits   []hit
	texts  map[int64][]string // each block's lines of text, as drawn
	built  fyne.Size

	// Marks of today, nil when today is not shown.
	todayMark   *canvas.Rectangle
	currentMark *canvas.Rectangle
	nowLine     *canvas.Rectangle
	yAt         func(booking.Clock) float32
}

func newGrid(onTap func(int64)) *grid {
	g := &grid{onTap: onTap, texts: map[int64][]string{}}
	g.ExtendBaseWidget(g)
	return g
}

// setModel replaces what the grid draws and redraws it.
func (g *grid) setModel(m *model) {
	g.m = m
	g.built = fyne.Size{}
	g.Refresh()
}

// Tapped selects the block under the pointer; a tap on a day's name
// opens that day.
func (g *grid) Tapped(ev *fyne.PointEvent) {
	if ev.Position.Y < headerHeight/2 && g.onDay != nil {
		for i, d := range g.dayAt {
			if ev.Position.X >= d.from && ev.Position.X < d.to {
				g.onDay(g.m.days[i])
				return
			}
		}
	}
	for i := len(g.hits) - 1; i >= 0; i-- {
		h := g.hits[i]
		if ev.Position.X >= h.pos.X && ev.Position.X < h.pos.X+h.size.Width &&
			ev.Position.Y >= h.pos.Y && ev.Position.Y < h.pos.Y+h.size.Height {
			if g.onTap != nil {
				g.onTap(h.id)
			}
			return
		}
	}
}

// blockAt returns the centre of the block of appointment id, for tests
// and keyboard focus; ok is false when it is not drawn.
func (g *grid) blockAt(id int64) (fyne.Position, bool) {
	for _, h := range g.hits {
		if h.id == id {
			return h.pos.Add(fyne.NewPos(h.size.Width/2, h.size.Height/2)), true
		}
	}
	return fyne.Position{}, false
}

// MinSize is the size at which every column and every hour shows.
func (g *grid) MinSize() fyne.Size {
	g.ExtendBaseWidget(g)
	if g.m == nil {
		return fyne.NewSize(gutterWidth+minColWidth, headerHeight+60)
	}
	n := g.m.ncols()
	return fyne.NewSize(gutterWidth+float32(n)*minColWidth, headerHeight+footHeight+float32(g.m.to-g.m.from)*minPerMinute)
}

// CreateRenderer returns the renderer that builds the grid's objects.
func (g *grid) CreateRenderer() fyne.WidgetRenderer { return &gridRenderer{g: g} }

type gridRenderer struct{ g *grid }

func (r *gridRenderer) Destroy()                     {}
func (r *gridRenderer) MinSize() fyne.Size           { return r.g.MinSize() }
func (r *gridRenderer) Objects() []fyne.CanvasObject { return r.g.objs }
func (r *gridRenderer) Refresh() {
	r.g.built = fyne.Size{}
	r.Layout(r.g.Size())
	canvas.Refresh(r.g)
}

func (r *gridRenderer) Layout(size fyne.Size) {
	if size == r.g.built || size.Width <= 0 || size.Height <= 0 {
		return
	}
	r.g.build(size)
	r.g.built = size
}

// build turns the model into canvas objects for the given size.
func (g *grid) build(size fyne.Size) {
	g.objs = g.objs[:0]
	g.labels = g.labels[:0]
	g.hits = g.hits[:0]
	g.todayMark, g.currentMark, g.nowLine = nil, nil, nil
	clear(g.texts)
	m := g.m
	if m == nil || len(m.days) == 0 {
		return
	}

	m.foreground = theme.Color(theme.ColorNameForeground) // the theme may have changed since
	fg := m.foreground
	total := m.ncols()
	colW := max(minColWidth, (size.Width-gutterWidth)/float32(total))
	dayX := make([]float32, len(m.days)+1)
	dayX[0] = gutterWidth
	g.dayAt = g.dayAt[:0]
	for di := range m.days {
		dayX[di+1] = dayX[di] + colW*float32(len(m.cols[di]))
		g.dayAt = append(g.dayAt, struct{ from, to float32 }{dayX[di], dayX[di+1]})
	}
	minutes := float32(m.to - m.from)
	perMin := max(minPerMinute, (size.Height-headerHeight-footHeight)/minutes)
	gridH := minutes * perMin
	width := dayX[len(m.days)]
	y := func(c booking.Clock) float32 { return headerHeight + float32(c-m.from)*perMin }
	x := func(day, col int) float32 { return dayX[day] + colW*float32(col) }
	g.yAt = y
	yOf := func(t time.Time, d booking.Date) float32 {
		lt := t.In(m.loc)
		c := booking.ClockOf(lt)
		switch dd := booking.DateOf(lt); {
		case dd < d:
			c = m.from
		case dd > d:
			c = m.to
		}
		return y(min(max(c, m.from), m.to))
	}
	rect := func(c color.Color, px, py, w, h float32) *canvas.Rectangle {
		rc := canvas.NewRectangle(c)
		rc.Move(fyne.NewPos(px, py))
		rc.Resize(fyne.NewSize(w, h))
		g.objs = append(g.objs, rc)
		return rc
	}
	text := func(s string, c color.Color, px, py, w float32, size float32, bold bool) {
		l := label{s: s, x: px, y: py, w: w, size: size, bold: bold, color: c}
		g.labels = append(g.labels, l)
		g.addText([]label{l})
	}
	small := theme.CaptionTextSize()

	// Shading first, so lines and blocks draw over it.
	for di, d := range m.days {
		if why, ok := m.closed[d]; ok {
			rect(shadeClosed, x(di, 0), headerHeight, dayX[di+1]-dayX[di], gridH)
			text("Closed: "+why, fg, x(di, 0)+4, headerHeight+4, dayX[di+1]-dayX[di]-8, small, true)
			continue
		}
		dayStart, dayEnd := d.At(m.from, m.loc), d.At(m.to, m.loc)
		for ci, c := range m.cols[di] {
			if c.staff == nil {
				continue
			}
			// Off duty: the parts of the grid outside the person's hours.
			at := m.from
			for _, sp := range c.staff.Hours.On(d.Weekday()) {
				if sp.Start > at {
					top, bot := y(at), y(min(sp.Start, m.to))
					if bot > top {
						rect(shadeOffDuty, x(di, ci), top, colW, bot-top)
					}
				}
				at = max(at, sp.End)
			}
			if at < m.to {
				rect(shadeOffDuty, x(di, ci), y(at), colW, y(m.to)-y(at))
			}
			for _, iv := range c.staff.TimeOff {
				if iv.Overlaps(dayStart, dayEnd) {
					top, bot := yOf(iv.Start, d), yOf(iv.End, d)
					rect(shadeTimeOff, x(di, ci), top, colW, bot-top)
					text("Time off", fg, x(di, ci)+4, top+2, colW-8, small, false)
				}
			}
			for _, iv := range c.staff.Busy {
				if iv.Overlaps(dayStart, dayEnd) {
					top, bot := yOf(iv.Start, d), yOf(iv.End, d)
					rect(shadeBusy, x(di, ci), top, colW, bot-top)
					text("Busy", fg, x(di, ci)+4, top+2, colW-8, small, false)
				}
			}
		}
	}

	// Lines: every 15 minutes, stronger on the half hour and the hour.
	// Thin rectangles, not canvas.Line: they fill without anti-aliasing
	// work, which keeps a busy week quick to draw.
	sep := theme.Color(theme.ColorNameSeparator)
	faint, fainter := fade(sep, 0.5), fade(sep, 0.25)
	for c := m.from; c <= m.to; c += 15 {
		switch {
		case c%60 == 0:
			rect(sep, gutterWidth, y(c), width-gutterWidth, 1)
			text(c.String(), fg, 4, y(c)-small/2, gutterWidth-8, small, false)
		case c%30 == 0:
			rect(faint, gutterWidth, y(c), width-gutterWidth, 1)
		default:
			rect(fainter, gutterWidth, y(c), width-gutterWidth, 1)
		}
	}
	for di := range m.days {
		for ci := range m.cols[di] {
			if ci == 0 {
				rect(sep, x(di, ci)-1, 0, 2, headerHeight+gridH)
			} else {
				rect(faint, x(di, ci), headerHeight/2, 1, headerHeight/2+gridH)
			}
		}
	}

	// Headers: the day over its columns, then each column's name.
	today := booking.DateOf(m.now.In(m.loc))
	for di, d := range m.days {
		label := d.At(0, m.loc).Format("Mon 2 Jan")
		if d == today {
			g.todayMark = rect(fade(theme.Color(theme.ColorNamePrimary), 0.3), x(di, 0), 0, dayX[di+1]-dayX[di], headerHeight/2)
		}
		if d == m.current && len(m.days) > 1 {
			// The day the arrow keys move from.
			g.currentMark = rect(theme.Color(theme.ColorNamePrimary), x(di, 0), headerHeight/2-1, dayX[di+1]-dayX[di], 2)
		}
		text(label, fg, x(di, 0)+4, 2, dayX[di+1]-dayX[di]-8, theme.TextSize(), true)
		for ci, c := range m.cols[di] {
			text(c.name, fg, x(di, ci)+4, headerHeight/2+2, colW-8, small, false)
		}
	}

	// Blocks, column by column and day by day, in lanes where they overlap.
	for di, d := range m.days {
		dayStart, dayEnd := d.At(0, m.loc), (d+1).At(0, m.loc)
		for ci, c := range m.cols[di] {
			var in []item
			for _, it := range m.items {
				if it.a.Start.Before(dayEnd) && it.a.End.After(dayStart) && c.holds(it.a) {
					in = append(in, it)
				}
			}
			if len(in) == 0 {
				continue
			}
			lanes, n := assignLanes(in)
			laneW := colW / float32(n)
			for i, it := range in {
				top, bot := yOf(it.a.Start, d), yOf(it.a.End, d)
				px := x(di, ci) + laneW*float32(lanes[i]) + blockPad
				w := laneW - 2*blockPad
				h := max(bot-top-1, 4)
				g.block(m, it, c, px, top+1, w, h, small)
			}
		}
	}

	// The now-line on today.
	if di := slices.Index(m.days, today); di >= 0 {
		if c := booking.ClockOf(m.now.In(m.loc)); c >= m.from && c <= m.to {
			g.nowLine = rect(theme.Color(theme.ColorNameError), x(di, 0), y(c)-1, dayX[di+1]-x(di, 0), 2)
		}
	}
}

// block draws one appointment: a translucent fill of its kind, an edge in
// the kind's full colour, and its time, patient and step in words.
func (g *grid) block(m *model, it item, c column, px, py, w, h, size float32) {
	a := it.a
	fill := kit.KindFill(a.Kind)
	if !a.Status.Active() {
		fill = cancelFill
	}
	lines := blockLines(m, it, c)
	if !it.proposed && a.ID != 0 {
		g.hits = append(g.hits, hit{pos: fyne.NewPos(px, py), size: fyne.NewSize(w, h), id: a.ID})
		g.texts[a.ID] = lines
	}
	first := len(g.labels)
	for i, s := range lines {
		ty := py + 1 + float32(i)*lineHeight
		if ty+lineHeight > py+h+2 && i > 0 {
			break
		}
		g.labels = append(g.labels, label{s: s, x: px + edgeWidth + 3, y: ty, w: w - edgeWidth - 4, size: size, bold: i == 0, color: m.foreground})
	}
	labels := g.labels[first:]
	selected := !it.proposed && a.ID != 0 && a.ID == m.selected
	if !it.proposed && !selected {
		simple, other := splitLabels(labels)
		g.objs = append(g.objs, blockBox(fill, kit.KindColor(a.Kind), edgeWidth, simple, fyne.NewPos(px, py), fyne.NewSize(w, h)))
		g.addText(other)
		return
	}
	// Proposed and selected blocks have an outline: rectangles and a text box.
	bg := canvas.NewRectangle(fill)
	bg.StrokeWidth, bg.CornerRadius = 3, 3
	bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
	if it.proposed {
		bg.FillColor = color.Transparent
		bg.StrokeColor = kit.KindColor(a.Kind)
		bg.StrokeWidth = 2
	}
	bg.Move(fyne.NewPos(px, py))
	bg.Resize(fyne.NewSize(w, h))
	g.objs = append(g.objs, bg)
	if it.proposed {
		g.objs = append(g.objs, hatch(kit.KindColor(a.Kind), fyne.NewPos(px, py), fyne.NewSize(w, h)))
	}
	edge := canvas.NewRectangle(kit.KindColor(a.Kind))
	edge.Move(fyne.NewPos(px, py))
	edge.Resize(fyne.NewSize(edgeWidth, h))
	g.objs = append(g.objs, edge)
	if len(labels) > 0 {
		g.addText(labels)
	}
}

// blockLines returns the text of a block, most important first: time and
// patient, the step ("Dosing 3/6") and its status, then who or where.
func blockLines(m *model, it item, c column) []string {
	a := it.a
	first := a.Start.In(m.loc).Format("15:04") + " " + m.names[a.PatientID]
	second := a.Label()
	switch {
	case a.Status == booking.LateCancelled:
		second += " · late-cancelled"
	case a.Status != booking.Booked:
		second += " · " + string(a.Status)
	}
	if it.proposed {
		return []string{first, "Proposed", second}
	}
	var third string
	if m.byRoom {
		var names []string
		for _, s := range a.Staff {
			names = append(names, s.Name)
		}
		third = strings.Join(names, ", ")
	} else if a.Video() {
		third = "Video"
	} else {
		third = a.RoomName
	}
	return []string{first, second, third}
}

// assignLanes puts overlapping items side by side: it returns each item's
// lane and the number of lanes. Items are sorted by start in place.
func assignLanes(in []item) ([]int, int) {
	sort.SliceStable(in, func(i, j int) bool {
		if !in[i].a.Start.Equal(in[j].a.Start) {
			return in[i].a.Start.Before(in[j].a.Start)
		}
		return !in[i].proposed && in[j].proposed
	})
	lanes := make([]int, len(in))
	var ends []time.Time
	for i, it := range in {
		l := slices.IndexFunc(ends, func(e time.Time) bool { return !e.After(it.a.Start) })
		if l < 0 {
			l = len(ends)
			ends = append(ends, it.a.End)
		} else {
			ends[l] = it.a.End
		}
		lanes[i] = l
	}
	return lanes, max(1, len(ends))
}

// fade returns c with its alpha scaled by f.
func fade(c color.Color, f float64) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = uint8(float64(n.A) * f)
	return n
}

// hatch returns diagonal stripes of colour c over a proposed block, so a
// proposal never reads as booked even without colour.
func hatch(c color.Color, pos fyne.Position, size fyne.Size) *canvas.Raster {
	stripe := fade(c, 0.45)
	r := canvas.NewRaster(func(w, h int) image.Image {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		sc := max(1, w/max(1, int(size.Width)))
		period, width := 10*sc, 3*sc
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if (x+y)%period < width {
					img.Set(x, y, stripe)
				}
			}
		}
		return img
	})
	r.Move(pos)
	r.Resize(size)
	return r
}

// addText adds labels to draw: those the glyph cache can draw in one text
// box, the others (scripts that need shaping, such as Arabic, or fonts
// beyond the theme's) as canvas.Text, which Fyne shapes and falls back for.
func (g *grid) addText(labels []label) {
	simple, other := splitLabels(labels)
	if len(simple) > 0 {
		g.objs = append(g.objs, textBox(simple))
	}
	for _, l := range other {
		t := canvas.NewText(l.s, l.color)
		t.TextSize = l.size
		t.TextStyle.Bold = l.bold
		for len(t.Text) > 1 && t.MinSize().Width > l.w {
			r := []rune(strings.TrimSuffix(t.Text, "…"))
			t.Text = string(r[:len(r)-1]) + "…"
		}
		t.Move(fyne.NewPos(l.x, l.y))
		t.Resize(fyne.NewSize(l.w, l.size*1.4))
		g.objs = append(g.objs, t)
	}
}

// splitLabels separates the labels the glyph cache draws well from the
// others.
func splitLabels(labels []label) (simple, other []label) {
	for _, l := range labels {
		if plainText(l) {
			simple = append(simple, l)
		} else {
			other = append(other, l)
		}
	}
	return simple, other
}
