package schedule

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"sync"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// label is one line of text on the grid, in Fyne units. Labels are drawn
// into rasters with cached glyphs (textBox, blockBox), because a software
// renderer shapes every canvas.Text anew on every frame, which for a busy
// week cost ten times more than the blocks themselves.
type label struct {
	s     string
	x, y  float32 // top left
	w     float32 // room available; longer text ends in "…"
	size  float32
	bold  bool
	color color.Color
}

// glyph is one rasterised character.
type glyph struct {
	mask *image.Alpha
	rect image.Rectangle // relative to the dot
	adv  fixed.Int26_6
}

// face is a font at one pixel size with its glyphs cached.
type face struct {
	mu     sync.Mutex
	f      font.Face
	ascent int
	glyphs map[rune]*glyph
}

var (
	facesMu sync.Mutex
	faces   = map[faceKey]*face{}
)

type faceKey struct {
	font fyne.Resource
	px   int
}

// faceFor returns the theme's font at px pixels, or nil if it cannot be read.
func faceFor(bold bool, px int) *face {
	res := theme.Current().Font(fyne.TextStyle{Bold: bold})
	k := faceKey{res, px}
	facesMu.Lock()
	defer facesMu.Unlock()
	if f, ok := faces[k]; ok {
		return f
	}
	var out *face
	if otf, err := opentype.Parse(res.Content()); err == nil {
		if ff, err := opentype.NewFace(otf, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingFull}); err == nil {
			out = &face{f: ff, ascent: ff.Metrics().Ascent.Ceil(), glyphs: map[rune]*glyph{}}
		}
	}
	faces[k] = out
	return out
}

// plainText reports whether the glyph cache draws l as Fyne would: every
// rune in the theme's font, from scripts that need no shaping (Latin,
// Greek, Cyrillic and the like), and no combining marks.
func plainText(l label) bool {
	for _, r := range l.s {
		if r >= 0x0590 && r != '…' || unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	f := faceFor(l.bold, int(math.Round(float64(l.size))))
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range l.s {
		if _, ok := f.f.GlyphAdvance(r); !ok {
			return false
		}
	}
	return true
}

// glyph returns the rasterised rune, copied out of the face's buffer.
func (f *face) glyph(r rune) *glyph {
	if g, ok := f.glyphs[r]; ok {
		return g
	}
	g := &glyph{}
	dr, mask, mp, adv, ok := f.f.Glyph(fixed.Point26_6{}, r)
	if !ok {
		dr, mask, mp, adv, _ = f.f.Glyph(fixed.Point26_6{}, '?')
	}
	g.adv = adv
	if mask != nil && !dr.Empty() {
		g.mask = image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
		draw.Draw(g.mask, g.mask.Bounds(), mask, mp, draw.Src)
		g.rect = dr
	}
	f.glyphs[r] = g
	return g
}

// width returns the advance of s in pixels.
func (f *face) width(s string) float32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var total fixed.Int26_6
	for _, r := range s {
		total += f.glyph(r).adv
	}
	return float32(total) / 64
}

// draw writes s at the dot (x, baseline y) in c, ending in "…" where it
// would pass maxX.
func (f *face) draw(dst *image.RGBA, s string, x, y, maxX int, c color.Color) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src := image.NewUniform(c)
	ell := f.glyph('…')
	dot := fixed.I(x)
	limit := fixed.I(maxX)
	runes := []rune(s)
	// Measure first: if it does not fit, leave room for the ellipsis.
	var total fixed.Int26_6
	for _, r := range runes {
		total += f.glyph(r).adv
	}
	fits := dot+total <= limit
	put := func(g *glyph) {
		if g.mask != nil {
			p := image.Pt(dot.Round(), y)
			draw.DrawMask(dst, g.rect.Add(p), src, image.Point{}, g.mask, image.Point{}, draw.Over)
		}
		dot += g.adv
	}
	for _, r := range runes {
		g := f.glyph(r)
		if !fits && dot+g.adv+ell.adv > limit {
			break
		}
		put(g)
	}
	if !fits && dot+ell.adv <= limit {
		put(ell)
	}
}

// textBox returns a raster drawing the labels, placed over their bounds.
func textBox(labels []label) *canvas.Raster {
	ls := slices.Clone(labels)
	minX, minY := ls[0].x, ls[0].y
	maxX, maxY := minX, minY
	for _, l := range ls {
		// Only as wide as the text: every pixel of a raster costs drawing.
		w := l.w
		if f := faceFor(l.bold, int(math.Round(float64(l.size)))); f != nil {
			w = min(w, f.width(l.s)+2)
		}
		minX, minY = min(minX, l.x), min(minY, l.y)
		maxX, maxY = max(maxX, l.x+w), max(maxY, l.y+l.size*1.4)
	}
	for i := range ls {
		ls[i].x -= minX
		ls[i].y -= minY
	}
	size := fyne.NewSize(maxX-minX, maxY-minY)
	r := canvas.NewRaster(func(w, h int) image.Image { return textLayer(ls, size, w, h) })
	r.Move(fyne.NewPos(minX, minY))
	r.Resize(size)
	return r
}

// textLayer draws labels into a transparent image of w×h pixels standing
// for size in Fyne units.
func textLayer(labels []label, size fyne.Size, w, h int) *image.RGBA {
	buf := image.NewRGBA(image.Rect(0, 0, w, h))
	if size.Width > 0 {
		drawLabels(buf, labels, float32(w)/size.Width)
	}
	return buf
}

// drawLabels draws labels into dst at sc pixels per Fyne unit.
func drawLabels(dst *image.RGBA, labels []label, sc float32) {
	for _, l := range labels {
		f := faceFor(l.bold, int(math.Round(float64(l.size*sc))))
		if f == nil {
			continue
		}
		x := int(math.Round(float64(l.x * sc)))
		maxX := int(math.Round(float64((l.x + l.w) * sc)))
		f.draw(dst, l.s, x, int(math.Round(float64(l.y*sc)))+f.ascent, maxX, l.color)
	}
}

// blockBox returns one raster that draws a plain block whole: its fill,
// its edge and its labels (positioned on the grid). One raster instead of
// two rectangles and a text box halves the pixels a software renderer
// blends for a busy week.
func blockBox(fill, edge color.Color, edgeW float32, labels []label, pos fyne.Position, size fyne.Size) *canvas.Raster {
	ls := slices.Clone(labels)
	for i := range ls {
		ls[i].x -= pos.X
		ls[i].y -= pos.Y
	}
	r := canvas.NewRaster(func(w, h int) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		if size.Width <= 0 {
			return img
		}
		sc := float32(w) / size.Width
		ew := int(math.Round(float64(edgeW * sc)))
		draw.Draw(img, image.Rect(ew, 0, w, h), image.NewUniform(fill), image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(0, 0, ew, h), image.NewUniform(edge), image.Point{}, draw.Src)
		drawLabels(img, ls, sc)
		return img
	})
	r.Move(pos)
	r.Resize(size)
	return r
}
