package kit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Focus colours: Fyne's default light focus is its blue at 16 % (alpha
// 0x2a), which a focused button barely shows. These are strong enough to
// find the focus at a glance on buttons of every importance, light and
// dark, and keep their text readable (a dark blue tint under dark text,
// a light blue tint under light text).
var (
	focusLight = color.NRGBA{R: 0x00, G: 0x3d, B: 0x99, A: 0x5c}
	focusDark  = color.NRGBA{R: 0x66, G: 0xa3, B: 0xff, A: 0x73}
)

// Theme returns kapbook's theme over base (nil: Fyne's default): base in
// everything but the keyboard focus, which it draws strongly. Light and
// dark still follow the system, as base does. Theme of a theme it
// returned returns it unchanged.
func Theme(base fyne.Theme) fyne.Theme {
	if t, ok := base.(*appTheme); ok {
		return t
	}
	if base == nil {
		base = theme.DefaultTheme()
	}
	return &appTheme{Theme: base}
}

type appTheme struct{ fyne.Theme }

// Color implements fyne.Theme.
func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameFocus {
		if v == theme.VariantLight {
			return focusLight
		}
		return focusDark
	}
	return t.Theme.Color(n, v)
}
