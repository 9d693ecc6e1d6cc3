package schedule

import (
	"context"
	"errors"
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

// errDryRun rolls back a check's transaction.
var errDryRun = errors.New("schedule: dry run")

// dryRunStore runs the booking service's own Update and rolls it back:
// the service checks a move exactly as it would make it (Reschedule,
// Override and MakeUp decide every rule inside their transaction), and
// nothing is stored, queued or audited.
type dryRunStore struct{ booking.Store }

// Update runs fn in a write transaction that is always rolled back; it
// returns fn's error, or nil when fn succeeded.
func (s dryRunStore) Update(ctx context.Context, fn func(tx booking.Tx) error) error {
	err := s.Store.Update(ctx, func(tx booking.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

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
	env, id := rs.d.v.env, rs.appt.ID
	dry := *env.Service
	dry.Store = dryRunStore{env.Service.Store}
	var plain, forced error
	env.RunQuietly(func(ctx context.Context) error {
		plain = rs.try(ctx, &dry, id, req.to, req.shiftLater, "")
		if plain != nil && req.override != "" && booking.ErrorCode(plain) == booking.ENOPLAN {
			forced = rs.try(ctx, &dry, id, req.to, req.shiftLater, req.override)
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

// try makes the move (or make-up) on svc, as Move would.
func (rs *rescheduleDialog) try(ctx context.Context, svc *booking.Service, id int64, to time.Time, shiftLater bool, override string) error {
	var err error
	switch {
	case rs.makeup:
		_, err = svc.MakeUp(ctx, booking.MakeupRequest{AppointmentID: id, To: to, ShiftLater: shiftLater, Override: override})
	case override != "":
		_, err = svc.Override(ctx, id, to, override)
	default:
		_, err = svc.Reschedule(ctx, id, to, shiftLater)
	}
	return err
}
