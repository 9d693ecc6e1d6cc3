package schedule

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestDatePicker_BelowFieldMarksToday: the month opens below the date
// field, not over it; it marks today (by the app's clock) and the day
// shown; a tapped day is shown and the month closes; a typed date moves
// the schedule too.
func TestDatePicker_BelowFieldMarksToday(t *testing.T) {
	f, v := open(t)
	f.Env.Window.Resize(fyne.NewSize(1024, 700))
	shown := v.day
	test.Tap(v.date.ActionItem.(*kit.Button))
	p := v.date
	if p.popUp == nil || !p.popUp.Visible() {
		t.Fatal("the month did not open")
	}
	field := fyne.CurrentApp().Driver().AbsolutePositionForObject(p)
	if top := p.popUp.Content.Position().Y; top < field.Y+p.Size().Height {
		t.Fatalf("the month starts at y=%v, over the field (y=%v, height %v)", top, field.Y, p.Size().Height)
	}
	if b := p.days[shown]; b == nil || b.Importance != widget.HighImportance {
		t.Fatalf("the day shown (%s) is not marked in the month", shown)
	}
	// Today (kittest.Now) is in an earlier month: step back to it.
	today := v.todayDate()
	for i := 0; i < 3 && p.days[today] == nil; i++ {
		test.Tap(p.prev)
	}
	if p.days[today] == nil || p.todayMark == nil {
		t.Fatalf("today (%s) is not marked in %q", today, p.monthLabel.Text)
	}
	pick := today + 2
	test.Tap(p.days[pick])
	if p.popUp.Visible() || v.day != pick {
		t.Fatalf("after tapping %s: month open=%v, day shown %s", pick, p.popUp.Visible(), v.day)
	}
	p.SetText("")
	test.Type(p, "2027-05-31")
	if v.day.String() != "2027-05-31" {
		t.Fatalf("after typing 2027-05-31 the schedule shows %s", v.day)
	}
}

// TestDatePicker_EscapeCloses: while the month is open it has the
// keyboard (a pop-up takes the keys from the window), and Escape closes
// it with the day shown unchanged, after a step to another month too.
func TestDatePicker_EscapeCloses(t *testing.T) {
	f, v := open(t)
	c := f.Env.Window.Canvas()
	shown := v.day
	for _, step := range []bool{false, true} {
		test.Tap(v.date.ActionItem.(*kit.Button))
		p := v.date
		if step {
			test.Tap(p.next)
		}
		if p.popUp == nil || !p.popUp.Visible() {
			t.Fatal("the month did not open")
		}
		if got := c.Focused(); got != fyne.Focusable(p.pane) {
			t.Fatalf("step %v: keys go to %T while the month shows, want its pane", step, got)
		}
		kittest.PressKey(c, fyne.KeyEscape)
		if p.popUp.Visible() {
			t.Fatalf("step %v: Escape left the month open", step)
		}
		if v.day != shown {
			t.Fatalf("step %v: Escape changed the day shown to %s", step, v.day)
		}
	}
}
