package schedule

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// datePicker is the schedule's date field: type a date as YYYY-MM-DD, or
// open the month with the calendar button. The month opens below the
// field, never over it, starts its weeks on Monday, marks today (by the
// app's clock, in the clinic's zone) and the day shown.
//
// It replaces Fyne's DateEntry, whose month covers the field at the
// field's width, follows the computer's clock and marks no today.
type datePicker struct {
	widget.Entry
	// Date is the date shown, at noon; nil before one is set.
	Date *time.Time
	// OnChanged is called when a date is set, typed or picked.
	OnChanged func(*time.Time)

	today func() booking.Date
	popUp *widget.PopUp
	pane  *keyPane        // the month in popUp, with the keyboard
	shown *fyne.Container // in pane: the month
	month booking.Date    // the first of the month the popup shows

	// The open month's widgets, for tests.
	monthLabel *widget.Label
	days       map[booking.Date]*kit.Button
	todayMark  *canvas.Rectangle
	todayBtn   *kit.Button
	prev, next *kit.Button // a month back and on
}

// newDatePicker returns a date field; today says what today is.
func newDatePicker(today func() booking.Date) *datePicker {
	p := &datePicker{today: today}
	p.ExtendBaseWidget(p)
	p.SetPlaceHolder("YYYY-MM-DD")
	open := kit.NewButtonWithIcon("", theme.CalendarIcon(), p.showMonth)
	open.Importance = widget.LowImportance
	p.ActionItem = open
	p.Entry.OnChanged = func(s string) {
		if d, err := booking.ParseDate(s); err == nil {
			p.pick(d, false)
		}
	}
	return p
}

// SetDate shows d (nil: none) and calls OnChanged when it changed.
func (p *datePicker) SetDate(d *time.Time) {
	if d == nil {
		p.Date = nil
		p.SetText("")
		return
	}
	p.pick(booking.DateOf(*d), true)
}

// pick makes day the date shown; with setText the field shows it too.
func (p *datePicker) pick(day booking.Date, setText bool) {
	if p.Date != nil && booking.DateOf(*p.Date) == day {
		if setText && p.Text != day.String() {
			p.SetText(day.String())
		}
		return
	}
	t := day.At(12*60, time.UTC)
	p.Date = &t
	if setText {
		p.SetText(day.String())
	}
	if p.OnChanged != nil {
		p.OnChanged(p.Date)
	}
}

// showMonth opens the month of the date shown (or of today) below the
// field.
func (p *datePicker) showMonth() {
	c := fyne.CurrentApp().Driver().CanvasForObject(p)
	if c == nil {
		return
	}
	day := p.today()
	if p.Date != nil {
		day = booking.DateOf(*p.Date)
	}
	p.month = firstOfMonth(day)
	// The month is in a pane that has the keyboard: Escape (or Enter)
	// closes it and keeps the date, as a dialog does. Without it the keys
	// would go nowhere while the month shows (Fyne gives them to the
	// pop-up on top).
	p.shown = container.NewStack(p.monthView())
	p.pane = newKeyPane(p.shown, c, p.closeMonth, p.closeMonth)
	p.popUp = widget.NewPopUp(p.pane, c)
	p.popUp.ShowAtPosition(p.popUpPos())
	p.pane.Focus()
}

// closeMonth closes the month without choosing a day.
func (p *datePicker) closeMonth() {
	if p.popUp != nil {
		p.popUp.Hide()
	}
}

// popUpPos is just below the field.
func (p *datePicker) popUpPos() fyne.Position {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(p)
	return pos.Add(fyne.NewPos(0, p.Size().Height+theme.Padding()))
}

// firstOfMonth returns the first day of d's month.
func firstOfMonth(d booking.Date) booking.Date {
	_, _, day := d.Civil()
	return d - booking.Date(day-1)
}

// monthView draws p.month: a header to step months, the days in weeks
// from Monday, and a button for today.
func (p *datePicker) monthView() fyne.CanvasObject {
	today := p.today()
	shown := booking.Date(0)
	if p.Date != nil {
		shown = booking.DateOf(*p.Date)
	}
	p.days = map[booking.Date]*kit.Button{}
	p.todayMark = nil
	grid := container.NewGridWithColumns(7)
	for _, name := range []string{"Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"} {
		grid.Add(widget.NewLabelWithStyle(name, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}))
	}
	first := p.month
	for i := 0; i < (int(first.Weekday())+6)%7; i++ {
		grid.Add(layout.NewSpacer())
	}
	y, m, _ := first.Civil()
	for d := first; ; d++ {
		if dy, dm, _ := d.Civil(); dy != y || dm != m {
			break
		}
		_, _, n := d.Civil()
		b := kit.NewButton(fmt.Sprint(n), func() {
			p.popUp.Hide()
			p.pick(d, true)
		})
		if d == shown {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		p.days[d] = b
		if d != today {
			grid.Add(b)
			continue
		}
		// Today: a bar under the number in the theme's primary colour.
		p.todayMark = canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
		p.todayMark.SetMinSize(fyne.NewSize(0, 3))
		grid.Add(container.NewStack(b, container.NewVBox(layout.NewSpacer(), p.todayMark)))
	}
	p.monthLabel = widget.NewLabelWithStyle(m.String()+" "+fmt.Sprint(y), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	step := func(dir int) func() {
		return func() {
			if dir < 0 {
				p.month = firstOfMonth(p.month - 1)
			} else {
				p.month = firstOfMonth(p.month + 31)
			}
			p.shown.Objects = []fyne.CanvasObject{p.monthView()}
			p.shown.Refresh()
			p.pane.Focus() // the arrow tapped took it
		}
	}
	p.prev = kit.NewButtonWithIcon("", theme.NavigateBackIcon(), step(-1))
	p.next = kit.NewButtonWithIcon("", theme.NavigateNextIcon(), step(1))
	header := container.NewBorder(nil, nil, p.prev, p.next, p.monthLabel)
	p.todayBtn = kit.NewButton("Today, "+kit.Day(today), func() {
		p.popUp.Hide()
		p.pick(today, true)
	})
	return container.NewVBox(header, grid, p.todayBtn)
}
