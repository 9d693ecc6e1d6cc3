// Package settings is kapbook's Settings screen.
package settings

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
)

// View is the Settings screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject
}

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env, content: widget.NewLabel("Settings: not built yet")}
	return v
}

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

// Refresh reloads what the screen shows, off the UI goroutine.
func (v *View) Refresh() {}
