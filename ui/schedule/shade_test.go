package schedule

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kapbook/kapbook/ui/kit/kittest"
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
			over := kittest.Composite(a.c, bg)
			if got := kittest.Contrast(fg, over); got < 4.5 {
				t.Errorf("%s: text over %s has contrast %.1f, want at least 4.5", variant.name, a.name, got)
			}
			for _, b := range shades[i+1:] {
				if d := distance(over, kittest.Composite(b.c, bg)); d < 30 {
					t.Errorf("%s: %s and %s differ by %.0f, want at least 30", variant.name, a.name, b.name, d)
				}
			}
		}
	}
}

// distance is the Euclidean distance of two colours in RGB.
func distance(a, b color.NRGBA) float64 {
	dr, dg, db := float64(a.R)-float64(b.R), float64(a.G)-float64(b.G), float64(a.B)-float64(b.B)
	return math.Sqrt(dr*dr + dg*dg + db*db)
}
