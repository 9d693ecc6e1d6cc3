package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// checkDelay is how long the typed time must rest before it is checked:
// a check per keystroke would hold the store's write lock for nothing.
const checkDelay = 400 * time.Millisecond

// checkRequest is what the typed time asks for.
type checkRequest struct {
	to         time.Time
	shiftLater bool
	override   string
}

// typed returns the request the typed date, time and reason make, and
// whether the date and time are complete.
func (rs *rescheduleDialog) typed() (checkRequest, bool) {
	day, derr := booking.ParseDate(rs.date.Text)
	c, cerr := booking.ParseClock(rs.clock.Text)
	if derr != nil || cerr != nil {
		return checkRequest{}, false
	}
	return checkRequest{to: day.At(c, rs.d.clinic.Location()), shiftLater: rs.shift.Checked, override: strings.TrimSpace(rs.override.Text)}, true
}

// checkSoon checks the typed time once typing rests for checkDelay (at
// once when the environment runs work inline, as in tests). A later call
// supersedes an earlier one: only the latest answer is shown.
func (rs *rescheduleDialog) checkSoon() {
	rs.gen++
	gen := rs.gen
	if rs.timer != nil {
		rs.timer.Stop()
		rs.timer = nil
	}
	if rs.choices.Selected != otherTime {
		rs.verdict.SetText("")
		return
	}
	req, ok := rs.typed()
	if !ok {
		rs.verdict.SetText("Type a date (YYYY-MM-DD) and a time (HH:MM): it is checked as you type.")
		return
	}
	if rs.d.v.env.Inline {
		rs.check(gen, req)
		return
	}
	rs.verdict.SetText("Checking…")
	rs.timer = time.AfterFunc(checkDelay, func() {
		fyne.Do(func() {
			if gen == rs.gen {
				rs.check(gen, req)
			}
		})
	})
}

// check asks the booking service, off the UI goroutine, whether the move
// (or make-up) to req would be made, and says which rule it breaks.
func (rs *rescheduleDialog) check(gen int, req checkRequest) {
	env := rs.d.v.env
	c := booking.MoveCheck{AppointmentID: rs.appt.ID, To: req.to, ShiftLater: req.shiftLater, MakeUp: rs.makeup}
	var plain, forced error
	env.RunQuietly(func(ctx context.Context) error {
		plain = env.Service.CheckMove(ctx, c)
		if plain != nil && req.override != "" && booking.ErrorCode(plain) == booking.ENOPLAN {
			c.Override = req.override
			forced = env.Service.CheckMove(ctx, c)
		}
		return nil
	}, func(error) {
		if gen != rs.gen {
			return // typing went on: a newer check is coming
		}
		when := kit.DateTime(req.to.In(rs.d.clinic.Location()))
		switch {
		case plain == nil:
			rs.verdict.SetText(fmt.Sprintf("%s keeps every rule.", when))
		case booking.ErrorCode(plain) != booking.ENOPLAN:
			rs.verdict.SetText(fmt.Sprintf("%s is not possible: %s", when, booking.ErrorMessage(plain)))
		case req.override == "":
			rs.verdict.SetText(booking.ErrorMessage(plain) + " Type a reason below to book it anyway.")
		case forced != nil:
			rs.verdict.SetText(booking.ErrorMessage(plain) + " Even with a reason it cannot be booked: " + booking.ErrorMessage(forced))
		default:
			rs.verdict.SetText(booking.ErrorMessage(plain) + " With your reason it is booked anyway, and the rule it breaks recorded in the audit trail.")
		}
	})
}
