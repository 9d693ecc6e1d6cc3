package schedule

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestToolbar_LongerTitleMovesTheGrid: at a width where the toolbar
// fits on one row with a day's title, the week's longer title wraps it
// onto a second row, and the grid moves down below it instead of being
// drawn over it. Seen in the real window at 1024 × 700, where the first
// week's title arrives after the screen is laid out: "Show cancelled"
// was under the day names.
func TestToolbar_LongerTitleMovesTheGrid(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 2, Booked: true})
	v := New(f.Env)
	w := f.Env.Window
	w.SetContent(v.Content())
	v.ShowDay(date(t, "2027-03-08"))
	v.viewMode.SetSelected(viewDay)
	bar := v.bands.top
	lay := bar.Layout.(*wrap)
	// The narrowest width at which the toolbar fits on one row with the
	// day's title: the week's title then cannot fit.
	one := lay.heightAt(bar.Objects, 1e6)
	width := float32(400)
	for lay.heightAt(bar.Objects, width) > one {
		width++
	}
	w.Resize(fyne.NewSize(width+2*theme.Padding(), 700))
	if got := bar.Size(); got.Width != width || got.Height != one {
		t.Fatalf("the toolbar is %.0f × %.0f, want %.0f × %.0f", got.Width, got.Height, width, one)
	}

	v.viewMode.SetSelected(viewWeek)
	if bar.Size().Height <= one {
		t.Fatalf("the toolbar is %.0f high with the week's title, as with the day's", bar.Size().Height)
	}
	if end, mid := bar.Position().Y+bar.Size().Height, v.bands.middle.Position().Y; mid < end {
		t.Errorf("the grid starts at y %.0f, under the toolbar, which ends at %.0f", mid, end)
	}
}
