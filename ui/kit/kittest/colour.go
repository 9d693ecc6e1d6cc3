package kittest

import (
	"image/color"
	"math"
)

// Composite returns c drawn over the opaque bg.
func Composite(c color.NRGBA, bg color.Color) color.NRGBA {
	b := color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(c.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{mix(c.R, b.R), mix(c.G, b.G), mix(c.B, b.B), 0xff}
}

// Contrast is the WCAG 2 contrast ratio of two colours, from 1 (the same)
// to 21 (black on white); body text needs 4.5.
func Contrast(a, b color.Color) float64 {
	lum := func(c color.Color) float64 {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		ch := func(v uint8) float64 {
			x := float64(v) / 255
			if x <= 0.03928 {
				return x / 12.92
			}
			return math.Pow((x+0.055)/1.055, 2.4)
		}
		return 0.2126*ch(n.R) + 0.7152*ch(n.G) + 0.0722*ch(n.B)
	}
	la, lb := lum(a)+0.05, lum(b)+0.05
	return math.Max(la, lb) / math.Min(la, lb)
}
