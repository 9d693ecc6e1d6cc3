package schedule

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// inView reports whether the selected block lies whole within the grid's
// scroll view, and says where both are.
func inView(t *testing.T, v *View, id int64) bool {
	t.Helper()
	pos, size, ok := v.grid.blockRect(id)
	if !ok {
		t.Fatalf("appointment %d is not drawn", id)
	}
	off, view := v.scroll.Offset, v.scroll.Size()
	in := pos.X >= off.X && pos.Y >= off.Y && pos.X+size.Width <= off.X+view.Width && pos.Y+size.Height <= off.Y+view.Height
	if !in {
		t.Logf("block at %v size %v; view at %v size %v (grid %v)", pos, size, off, view, v.grid.Size())
	}
	return in
}

// TestSelect_ScrolledIntoView: in a window too small for the week, the
// selected block is scrolled into view whichever way it was selected:
// from another screen, with ↑ and ↓, after moving a week, and in the day
// view.
func TestSelect_ScrolledIntoView(t *testing.T) {
	f, v := open(t)
	f.Env.Window.Resize(fyne.NewSize(1024, 560))
	v.ShowDay(date(t, "2027-03-08"))
	list := v.visible()
	late := list[len(list)-1] // the week's last appointment, on its last day
	if inView(t, v, late.ID) {
		t.Fatal("the week's last appointment shows without scrolling: the window is not narrow enough for this test")
	}

	// Open on a patient's page selects it from another screen.
	v.Select(late.ID)
	if v.selected != late.ID || !inView(t, v, late.ID) {
		t.Fatalf("after Select the last appointment is not in view (offset %v)", v.scroll.Offset)
	}

	// ↑ walks back through the week to its first, and each one shows.
	for i := len(list) - 2; i >= 0; i-- {
		v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
		if v.selected != list[i].ID || !inView(t, v, list[i].ID) {
			t.Fatalf("after ↑ %s is not in view", list[i].Label())
		}
	}

	// PageDown and Home move the week; the selection, when it is in the
	// week shown, shows.
	v.Select(late.ID)
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageUp})
	if !inView(t, v, late.ID) {
		t.Fatal("after PageDown and PageUp the selection is not in view")
	}
	next := v.day + 7
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	if v.day != next {
		t.Fatalf("PageDown: day %s, want %s", v.day, next)
	}
	v.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if v.selected == late.ID || !inView(t, v, v.selected) {
		t.Fatal("↓ in the next week does not show its first appointment")
	}

	// The day view, in a window too low for the day: the latest
	// appointment of the day is scrolled to.
	day := booking.DateOf(late.Start.In(loc(t, f)))
	v.viewMode.SetSelected(viewDay)
	v.ShowDay(day)
	f.Env.Window.Resize(fyne.NewSize(1024, 420))
	list = v.visible()
	last := list[len(list)-1]
	v.scroll.ScrollToOffset(fyne.Position{})
	v.Select(last.ID)
	if v.title.Text != kit.Day(day) || !inView(t, v, last.ID) {
		t.Fatalf("day view %q: the day's last appointment is not in view", v.title.Text)
	}
	if v.scroll.Offset.Y == 0 {
		t.Fatal("the day view did not scroll down to the day's last appointment")
	}
}

// TestReschedule_FollowsTheMove: in a window too low for the day, an
// appointment moved to a later time is scrolled to where it now is. The
// schedule shows the moved appointment's day at once, from the week it
// holds, where the block is still at its old place; the week read after
// the move has it at the new one.
func TestReschedule_FollowsTheMove(t *testing.T) {
	f, v := open(t)
	f.Env.Window.Resize(fyne.NewSize(1024, 520))
	a := find(t, f, 0, "Dosing 1/6")
	v.Select(a.ID)
	if !inView(t, v, a.ID) {
		t.Fatal("the appointment to move is not in view")
	}
	sg, err := f.Env.Service.Suggest(context.Background(), a.ID, 12)
	if err != nil {
		t.Fatal(err)
	}
	var to time.Time
	for _, o := range sg.Alternatives {
		if clock(o.Start) > clock(to) {
			to = o.Start
		}
	}
	if _, err := f.Env.Service.Reschedule(context.Background(), a.ID, to, false); err != nil {
		t.Fatal(err)
	}
	v.ShowDay(booking.DateOf(to.In(loc(t, f))))
	if !inView(t, v, a.ID) {
		t.Fatalf("after the move to %v the appointment is not in view", to)
	}
}

// clock is the time of day of t, in minutes.
func clock(t time.Time) int { return t.Hour()*60 + t.Minute() }
