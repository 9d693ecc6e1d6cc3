package patients

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// meterTheme draws a series' progress bar so that "0 of 15 done" reads
// as empty. Fyne draws a progress bar's track in its primary colour at
// half strength, which in our theme looks like a full bar; here the
// primary colour is the text colour, faint, so the track is a pale
// outline of the field and the done part a clearly darker (or, in the
// dark theme, lighter) band, with the words in the text colour.
type meterTheme struct {
	base fyne.Theme // nil: the app's theme at the time of asking
}

var _ fyne.Theme = meterTheme{}

// meterAlpha is the strength of the done part; the track gets half.
const meterAlpha = 0x40

// Color implements fyne.Theme.
func (m meterTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	base := m.theme()
	switch n {
	case theme.ColorNamePrimary:
		fg := color.NRGBAModel.Convert(base.Color(theme.ColorNameForeground, v)).(color.NRGBA)
		fg.A = meterAlpha
		return fg
	case theme.ColorNameForegroundOnPrimary:
		return base.Color(theme.ColorNameForeground, v)
	}
	return base.Color(n, v)
}

// Font implements fyne.Theme.
func (m meterTheme) Font(s fyne.TextStyle) fyne.Resource { return m.theme().Font(s) }

// Icon implements fyne.Theme.
func (m meterTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return m.theme().Icon(n) }

// Size implements fyne.Theme.
func (m meterTheme) Size(n fyne.ThemeSizeName) float32 { return m.theme().Size(n) }

// theme returns the theme meterTheme changes: the app's own, asked of the
// app's settings each time (theme.Current would answer with the theme
// being rendered, which is this one), so a change of theme shows at once.
func (m meterTheme) theme() fyne.Theme {
	if m.base != nil {
		return m.base
	}
	if a := fyne.CurrentApp(); a != nil {
		if th := a.Settings().Theme(); th != nil {
			return th
		}
	}
	return theme.DefaultTheme()
}

// meter returns bar drawn with meterTheme over the app's theme.
func meter(bar *widget.ProgressBar) fyne.CanvasObject {
	return container.NewThemeOverride(bar, meterTheme{})
}
