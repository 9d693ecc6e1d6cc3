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

// Shading colours, translucent so the theme's background and text show
// through in light and dark: a grey for the clinic closed, brick red for a
// person's time off, violet for busy in their own calendar, and a faint
// blue-grey for outside their hours. Each differs from the others in hue
// or lightness over both backgrounds (TestShades_Distinct).
var (
	shadeClosed  = color.NRGBA{0x80, 0x80, 0x80, 0x5c}
	shadeOffDuty = color.NRGBA{0x70, 0x88, 0xa8, 0x2c}
	shadeTimeOff = color.NRGBA{0xd0, 0x48, 0x48, 0x50}
	shadeBusy    = color.NRGBA{0x80, 0x50, 0xe8, 0x50}
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
	// onBuilt is called after the grid is laid out anew, at a new size or
	// with a new model.
	onBuilt func()
	dayAt   []struct{ from, to float32 } // each day's columns, left to right

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
	pos, size, ok := g.blockRect(id)
	return pos.Add(fyne.NewPos(size.Width/2, size.Height/2)), ok
}

// blockRect returns where the block of appointment id is drawn, at the
// grid's current size: the first block, left to right, of one drawn in
// several columns (each of its staff). ok is false when it is not drawn.
func (g *grid) blockRect(id int64) (pos fyne.Position, size fyne.Size, ok bool) {
	for _, h := range g.hits {
		if h.id == id {
			return h.pos, h.size, true
		}
	}
	return fyne.Position{}, fyne.Size{}, false
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
	if r.g.onBuilt != nil {
		r.g.onBuilt()
	}
}

// build turns the model into canvas objects for the given size. The
// steps draw in layers, each over the one before: shading, lines,
// headers, blocks, and the now-line on top.
func (g *grid) build(size fyne.Size) {
	g.reset()
	m := g.m
	if m == nil || len(m.days) == 0 {
		return
	}
	m.foreground = theme.Color(theme.ColorNameForeground) // the theme may have changed since
	f := newFrame(m, size)
	g.dayAt = g.dayAt[:0]
	for di := range m.days {
		g.dayAt = append(g.dayAt, struct{ from, to float32 }{f.dayX[di], f.dayX[di+1]})
	}
	g.yAt = f.y
	today := booking.DateOf(m.now.In(m.loc))

	g.drawShading(f)
	g.drawLines(f)
	g.drawHeaders(f, today)
	g.drawBlocks(f)
	g.drawNowLine(f, today)
}

// reset forgets what the last build drew, keeping the slices' memory for
// the next one.
func (g *grid) reset() {
	g.objs = g.objs[:0]
	g.labels = g.labels[:0]
	g.hits = g.hits[:0]
	g.todayMark, g.currentMark, g.nowLine = nil, nil, nil
	clear(g.texts)
}

// frame is the geometry of one build: where each day, column and time of
// day falls at the grid's current size. Columns and minutes stretch to
// fill the size but never shrink below minColWidth and minPerMinute.
type frame struct {
	m      *model
	colW   float32     // one resource column's width
	dayX   []float32   // each day's left edge, then the last day's right edge
	perMin float32     // vertical units per minute
	gridH  float32     // the hours' height, below the header
	width  float32     // the gutter and every day
	small  float32     // the size of caption text
	fg     color.Color // the theme's foreground, for text
}

// newFrame lays the model's days and hours out over size.
func newFrame(m *model, size fyne.Size) *frame {
	f := &frame{m: m, fg: m.foreground, small: theme.CaptionTextSize()}
	f.colW = max(minColWidth, (size.Width-gutterWidth)/float32(m.ncols()))
	f.dayX = make([]float32, len(m.days)+1)
	f.dayX[0] = gutterWidth
	for di := range m.days {
		f.dayX[di+1] = f.dayX[di] + f.colW*float32(len(m.cols[di]))
	}
	minutes := float32(m.to - m.from)
	f.perMin = max(minPerMinute, (size.Height-headerHeight-footHeight)/minutes)
	f.gridH = minutes * f.perMin
	f.width = f.dayX[len(m.days)]
	return f
}

// y returns the top of time of day c.
func (f *frame) y(c booking.Clock) float32 {
	return headerHeight + float32(c-f.m.from)*f.perMin
}

// x returns the left edge of column col of day number day.
func (f *frame) x(day, col int) float32 { return f.dayX[day] + f.colW*float32(col) }

// dayW returns the width of day number day, all its columns.
func (f *frame) dayW(day int) float32 { return f.dayX[day+1] - f.dayX[day] }

// yOf returns where instant t falls on day d: the top of the grid when t
// is on an earlier day, the bottom when on a later one, and within the
// grid's hours in any case, so a block spanning midnight is cut at the
// day's edges.
func (f *frame) yOf(t time.Time, d booking.Date) float32 {
	m := f.m
	lt := t.In(m.loc)
	c := booking.ClockOf(lt)
	switch dd := booking.DateOf(lt); {
	case dd < d:
		c = m.from
	case dd > d:
		c = m.to
	}
	return f.y(min(max(c, m.from), m.to))
}

// addRect draws a rectangle of colour c.
func (g *grid) addRect(c color.Color, px, py, w, h float32) *canvas.Rectangle {
	rc := canvas.NewRectangle(c)
	rc.Move(fyne.NewPos(px, py))
	rc.Resize(fyne.NewSize(w, h))
	g.objs = append(g.objs, rc)
	return rc
}

// addLabel draws one line of text outside a block.
func (g *grid) addLabel(s string, c color.Color, px, py, w float32, size float32, bold bool) {
	l := label{s: s, x: px, y: py, w: w, size: size, bold: bold, color: c}
	g.labels = append(g.labels, l)
	g.addText([]label{l})
}

// drawShading shades what is not bookable: closed days whole, and in a
// staff column the hours off duty, time off and busy time from the
// person's own calendar. It draws first, so lines and blocks draw over it.
func (g *grid) drawShading(f *frame) {
	m := f.m
	for di, d := range m.days {
		if why, ok := m.closed[d]; ok {
			g.addRect(shadeClosed, f.x(di, 0), headerHeight, f.dayW(di), f.gridH)
			g.addLabel("Closed: "+why, f.fg, f.x(di, 0)+4, headerHeight+4, f.dayW(di)-8, f.small, true)
			continue
		}
		for ci, c := range m.cols[di] {
			if c.staff != nil {
				g.shadeStaff(f, di, ci, c.staff, d)
			}
		}
	}
}

// shadeStaff shades column ci of day number di, day d, where staff member
// s cannot be booked: outside the person's hours, then time off, then
// busy time.
func (g *grid) shadeStaff(f *frame, di, ci int, s *booking.Staff, d booking.Date) {
	m := f.m
	// Off duty: the parts of the grid outside the person's hours.
	at := m.from
	for _, sp := range s.Hours.On(d.Weekday()) {
		if sp.Start > at {
			top, bot := f.y(at), f.y(min(sp.Start, m.to))
			if bot > top {
				g.addRect(shadeOffDuty, f.x(di, ci), top, f.colW, bot-top)
			}
		}
		at = max(at, sp.End)
	}
	if at < m.to {
		g.addRect(shadeOffDuty, f.x(di, ci), f.y(at), f.colW, f.y(m.to)-f.y(at))
	}
	g.shadeIntervals(f, di, ci, d, s.TimeOff, shadeTimeOff, "Time off")
	g.shadeIntervals(f, di, ci, d, s.Busy, shadeBusy, "Busy")
}

// shadeIntervals shades, and names with word, the parts of ivs that fall
// within the grid's hours on day d, in column ci of day number di.
func (g *grid) shadeIntervals(f *frame, di, ci int, d booking.Date, ivs []booking.Interval, shade color.Color, word string) {
	dayStart, dayEnd := d.At(f.m.from, f.m.loc), d.At(f.m.to, f.m.loc)
	for _, iv := range ivs {
		if iv.Overlaps(dayStart, dayEnd) {
			top, bot := f.yOf(iv.Start, d), f.yOf(iv.End, d)
			g.addRect(shade, f.x(di, ci), top, f.colW, bot-top)
			g.addLabel(word, f.fg, f.x(di, ci)+4, top+2, f.colW-8, f.small, false)
		}
	}
}

// drawLines draws a line every 15 minutes, stronger on the half hour and
// the hour (which is labelled in the gutter), and the lines between days
// and columns. The lines are thin rectangles, not canvas.Line: they fill
// without anti-aliasing work, which keeps a busy week quick to draw
// (docs/benchmarks.md, "Week view with 400 appointments").
func (g *grid) drawLines(f *frame) {
	m := f.m
	sep := theme.Color(theme.ColorNameSeparator)
	faint, fainter := fade(sep, 0.5), fade(sep, 0.25)
	for c := m.from; c <= m.to; c += 15 {
		switch {
		case c%60 == 0:
			g.addRect(sep, gutterWidth, f.y(c), f.width-gutterWidth, 1)
			g.addLabel(c.String(), f.fg, 4, f.y(c)-f.small/2, gutterWidth-8, f.small, false)
		case c%30 == 0:
			g.addRect(faint, gutterWidth, f.y(c), f.width-gutterWidth, 1)
		default:
			g.addRect(fainter, gutterWidth, f.y(c), f.width-gutterWidth, 1)
		}
	}
	for di := range m.days {
		for ci := range m.cols[di] {
			if ci == 0 {
				g.addRect(sep, f.x(di, ci)-1, 0, 2, headerHeight+f.gridH)
			} else {
				g.addRect(faint, f.x(di, ci), headerHeight/2, 1, headerHeight/2+f.gridH)
			}
		}
	}
}

// drawHeaders names each day over its columns, marking today and, in the
// week view, the day the arrow keys move from; then each column's name.
func (g *grid) drawHeaders(f *frame, today booking.Date) {
	m := f.m
	for di, d := range m.days {
		name := kit.Day(d)
		if d == today {
			g.todayMark = g.addRect(fade(theme.Color(theme.ColorNamePrimary), 0.3), f.x(di, 0), 0, f.dayW(di), headerHeight/2)
		}
		if d == m.current && len(m.days) > 1 {
			g.currentMark = g.addRect(theme.Color(theme.ColorNamePrimary), f.x(di, 0), headerHeight/2-1, f.dayW(di), 2)
		}
		g.addLabel(name, f.fg, f.x(di, 0)+4, 2, f.dayW(di)-8, theme.TextSize(), true)
		for ci, c := range m.cols[di] {
			g.addLabel(c.name, f.fg, f.x(di, ci)+4, headerHeight/2+2, f.colW-8, f.small, false)
		}
	}
}

// drawBlocks draws the appointments, column by column and day by day,
// side by side in lanes where they overlap.
func (g *grid) drawBlocks(f *frame) {
	m := f.m
	for di, d := range m.days {
		for ci, c := range m.cols[di] {
			in := m.itemsIn(c, d)
			if len(in) == 0 {
				continue
			}
			lanes, n := assignLanes(in)
			laneW := f.colW / float32(n)
			for i, it := range in {
				top, bot := f.yOf(it.a.Start, d), f.yOf(it.a.End, d)
				px := f.x(di, ci) + laneW*float32(lanes[i]) + blockPad
				w := laneW - 2*blockPad
				h := max(bot-top-1, 4)
				g.block(m, it, c, px, top+1, w, h, f.small)
			}
		}
	}
}

// itemsIn returns the items of column c that overlap day d.
func (m *model) itemsIn(c column, d booking.Date) []item {
	dayStart, dayEnd := d.At(0, m.loc), (d+1).At(0, m.loc)
	var in []item
	for _, it := range m.items {
		if it.a.Start.Before(dayEnd) && it.a.End.After(dayStart) && c.holds(it.a) {
			in = append(in, it)
		}
	}
	return in
}

// drawNowLine draws the current time across today, when today and the
// time are shown.
func (g *grid) drawNowLine(f *frame, today booking.Date) {
	m := f.m
	if di := slices.Index(m.days, today); di >= 0 {
		if c := booking.ClockOf(m.now.In(m.loc)); c >= m.from && c <= m.to {
			g.nowLine = g.addRect(theme.Color(theme.ColorNameError), f.x(di, 0), f.y(c)-1, f.dayW(di), 2)
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
// patient, the step ("Dosing 3/6") and its status, then who or where. An
// appointment that does not take place (cancelled, no-show) says so on
// its first line, which even a short block shows whole.
func blockLines(m *model, it item, c column) []string {
	a := it.a
	first := kit.Clock(a.Start.In(m.loc)) + " " + m.names[a.PatientID]
	second := a.Label()
	if a.Status == booking.Arrived || a.Status == booking.Completed {
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
	if w := statusWord(a.Status); w != "" {
		return []string{w, first, second, third}
	}
	return []string{first, second, third}
}

// statusWord is the first line of a block whose appointment does not
// take place; "" for one that does.
func statusWord(s booking.Status) string {
	switch s {
	case booking.Cancelled:
		return "Cancelled"
	case booking.LateCancelled:
		return "Cancelled late"
	case booking.NoShow:
		return "No-show"
	}
	return ""
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
