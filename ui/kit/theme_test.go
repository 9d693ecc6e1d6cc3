package kit_test

import (
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

func alpha(c color.Color) uint8 {
	return color.NRGBAModel.Convert(c).(color.NRGBA).A
}

// The focus shows strongly in light and dark (Fyne's own light focus is
// at 16 %); every other colour is the base theme's.
func TestTheme_StrongFocus(t *testing.T) {
	test.NewTempApp(t)
	base := theme.DefaultTheme()
	th := kit.Theme(base)
	for _, v := range []struct {
		name    string
		variant fyne.ThemeVariant
	}{{"Light", theme.VariantLight}, {"Dark", theme.VariantDark}} {
		t.Run(v.name, func(t *testing.T) {
			variant := v.variant
			if a := alpha(th.Color(theme.ColorNameFocus, variant)); a < 0x50 {
				t.Fatalf("focus alpha %#x, want at least 0x50", a)
			}
			if a, b := alpha(base.Color(theme.ColorNameFocus, variant)), alpha(th.Color(theme.ColorNameFocus, variant)); a >= b {
				t.Fatalf("focus alpha %#x, not above the default's %#x", b, a)
			}
			if th.Color(theme.ColorNameForeground, variant) != base.Color(theme.ColorNameForeground, variant) {
				t.Fatal("the foreground is not the base theme's")
			}
		})
	}
	if kit.Theme(th) != th {
		t.Fatal("Theme wraps its own theme again")
	}
}

func TestDates(t *testing.T) {
	at := time.Date(2027, 3, 1, 9, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ name, got, want string }{
		{"Date", kit.Date(at), "Mon 1 Mar 2027"},
		{"Clock", kit.Clock(at), "09:05"},
		{"DateTime", kit.DateTime(at), "Mon 1 Mar 2027 09:05"},
		{"Day", kit.Day(booking.DateOf(at)), "Mon 1 Mar 2027"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("%q, want %q", tc.got, tc.want)
			}
		})
	}
}
