// Package schedule is kapbook's Schedule screen.
package schedule

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// View is the Schedule screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject
}

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env, content: widget.NewLabel("Schedule: not built yet")}
	return v
}

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

// Refresh reloads what the screen shows, off the UI goroutine.
func (v *View) Refresh() {}

// ShowDay moves the schedule to the given day (0: today).
func (v *View) ShowDay(day booking.Date) {}

// Select shows the appointment's day and selects it.
func (v *View) Select(apptID int64) {}

// Preview shades proposed, not yet booked appointments on the schedule
// beside the booked ones and moves to the first one's week; nil clears it.
// The booking screen embeds its own View and calls this.
func (v *View) Preview(proposed []*booking.Appointment) {}

// TypedKey moves through the schedule with the keyboard (arrows: a day,
// PageUp/PageDown: a week) and reports whether it used the key. The shell
// forwards the window's keys here while the schedule shows.
func (v *View) TypedKey(ev *fyne.KeyEvent) bool { return false }
