package schedule

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// TestShades_Distinct: Closed, Time off, Off duty and Busy read as four
// different shadings over the light and the dark theme's background, and
// the theme's text stays readable over each.
func TestShades_Distinct(t *testing.T) {
	shades := []struct {
		name string
		c    color.NRGBA
	}{{"Closed", shadeClosed}, {"Time off", shadeTimeOff}, {"Off duty", shadeOffDuty}, {"Busy", shadeBusy}}
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		th := theme.DefaultTheme()
		bg := th.Color(theme.ColorNameBackground, variant.v)
		fg := th.Color(theme.ColorNameForeground, variant.v)
		for i, a := range shades {
			over := composite(a.c, bg)
			if got := contrast(fg, over); got < 4.5 {
				t.Errorf("%s: text over %s has contrast %.1f, want at least 4.5", variant.name, a.name, got)
			}
			for _, b := range shades[i+1:] {
				if d := distance(over, composite(b.c, bg)); d < 30 {
					t.Errorf("%s: %s and %s differ by %.0f, want at least 30", variant.name, a.name, b.name, d)
				}
			}
		}
	}
}

// composite returns c drawn over the opaque bg.
func composite(c color.NRGBA, bg color.Color) color.NRGBA {
	b := color.NRGBAModel.Convert(bg).(color.NRGBA)
	a := float64(c.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*a + float64(y)*(1-a))) }
	return color.NRGBA{mix(c.R, b.R), mix(c.G, b.G), mix(c.B, b.B), 0xff}
}

// distance is the Euclidean distance of two colours in RGB.
func distance(a, b color.NRGBA) float64 {
	dr, dg, db := float64(a.R)-float64(b.R), float64(a.G)-float64(b.G), float64(a.B)-float64(b.B)
	return math.Sqrt(dr*dr + dg*dg + db*db)
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.Color) float64 {
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
