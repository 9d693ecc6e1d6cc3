package patients

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestMeter_EmptyReadsEmpty: a series' progress bar at "0 of 15 done"
// reads as an empty field, not a full bar: its track is barely off the
// background, the done part stands out from the track, and the words read
// over both, in light and dark.
func TestMeter_EmptyReadsEmpty(t *testing.T) {
	test.NewTempApp(t)
	bar := widget.NewProgressBar()
	if o, ok := meter(bar).(*container.ThemeOverride); !ok {
		t.Fatalf("meter(bar) is %T, want the bar in a theme of its own", meter(bar))
	} else if _, ok := o.Theme.(meterTheme); !ok {
		t.Fatalf("meter(bar) draws with %T, want meterTheme", o.Theme)
	}
	// The app's own theme, light and dark (the test app's theme has one
	// variant only).
	o := container.NewThemeOverride(bar, meterTheme{base: kit.Theme(theme.DefaultTheme())})
	for _, v := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		bg := o.Theme.Color(theme.ColorNameBackground, v.v)
		fill := color.NRGBAModel.Convert(o.Theme.Color(theme.ColorNamePrimary, v.v)).(color.NRGBA)
		track := fill
		track.A /= 2 // as Fyne draws a progress bar's track
		over := func(c color.NRGBA) color.NRGBA { return kittest.Composite(c, bg) }
		// Fyne's own track, in the app's primary colour, measures 1.9 to
		// 2.0 (a full bar, to the eye); an empty entry field 1.1.
		if c := kittest.Contrast(over(track), bg); c > 1.45 {
			t.Errorf("%s: the empty track stands out from the background (contrast %.2f), reading as full", v.name, c)
		}
		if c := kittest.Contrast(over(fill), over(track)); c < 1.2 {
			t.Errorf("%s: the done part hardly differs from the track (contrast %.2f)", v.name, c)
		}
		text := o.Theme.Color(theme.ColorNameForegroundOnPrimary, v.v)
		for what, under := range map[string]color.NRGBA{"track": over(track), "done part": over(fill)} {
			if c := kittest.Contrast(text, under); c < 4.5 {
				t.Errorf("%s: the words over the %s have contrast %.1f, want 4.5", v.name, what, c)
			}
		}
	}
}
