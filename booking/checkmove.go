package booking

import (
	"context"
	"errors"
	"time"
)

// MoveCheck is a move (or a make-up) to check before it is made: the
// appointment, where to, and how, as Reschedule, Override and MakeUp take
// them.
type MoveCheck struct {
	AppointmentID int64
	To            time.Time
	ShiftLater    bool
	// Override is the reason to make it although it breaks a rule; "" for
	// none.
	Override string
	// MakeUp checks a make-up of the missed appointment instead of a move.
	MakeUp bool
}

// CheckMove reports whether the move c describes would be made, and if
// not, the error the move itself would return (ENOPLAN naming the rule it
// breaks): it runs the move exactly as Reschedule, Override or MakeUp make
// it, in a transaction that is always rolled back, so nothing is stored,
// queued or audited. The front desk's typed time is checked this way as
// it is typed.
func (s *Service) CheckMove(ctx context.Context, c MoveCheck) error {
	dry := *s
	dry.Store = dryRunStore{s.Store}
	var err error
	switch {
	case c.MakeUp:
		_, err = dry.MakeUp(ctx, MakeupRequest{AppointmentID: c.AppointmentID, To: c.To, ShiftLater: c.ShiftLater, Override: c.Override})
	case c.Override != "":
		_, err = dry.Override(ctx, c.AppointmentID, c.To, c.Override)
	default:
		_, err = dry.Reschedule(ctx, c.AppointmentID, c.To, c.ShiftLater)
	}
	return err
}

// errDryRun rolls back a CheckMove's transaction.
var errDryRun = errors.New("booking: dry run")

// dryRunStore is a Store whose Update always rolls back: it returns fn's
// error, or nil when fn succeeded.
type dryRunStore struct{ Store }

func (s dryRunStore) Update(ctx context.Context, fn func(tx Tx) error) error {
	err := s.Store.Update(ctx, func(tx Tx) error {
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
