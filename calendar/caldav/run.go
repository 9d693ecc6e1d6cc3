package caldav

import (
	"context"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// Run keeps every connected calendar in step until ctx ends: it pushes
// within WatchEvery of a change being saved (in this process or another:
// booking.Store.Version), pulls each calendar's busy time every
// PullEvery, and after a failure waits before trying that calendar again
// (30 seconds, doubling to 15 minutes), while booking goes on with the
// busy time last read. report, if not nil, gets every sync's result
// (for a status line); the store's errors go to it too, as a Result with
// StaffID 0.
func (s *Syncer) Run(ctx context.Context, report func(Result)) {
	tick := time.NewTicker(WatchEvery)
	defer tick.Stop()
	var seen int64 = -1
	var accts []*booking.CalDAVAccount
	for {
		v, verr := s.Store.Version(ctx)
		changed := verr == nil && v != seen
		if verr == nil {
			seen = v
		}
		// The connections change only with a commit: read them again
		// then (or when unsure), not every second.
		if changed || verr != nil || accts == nil {
			var err error
			if accts, err = s.Store.CalDAVAccounts(ctx); err != nil {
				accts = nil
				if report != nil && ctx.Err() == nil {
					report(Result{Err: err})
				}
			}
		}
		s.round(ctx, accts, changed, report)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// round syncs each calendar that is due: all of them after a change
// (pushing), those whose busy time is PullEvery old (pulling too), none
// whose retry time has not come.
func (s *Syncer) round(ctx context.Context, accts []*booking.CalDAVAccount, changed bool, report func(Result)) {
	now := s.now()
	for _, a := range accts {
		if ctx.Err() != nil {
			return
		}
		st := s.stateOf(a.StaffID)
		s.mu.Lock()
		retry, pulled := st.retry, st.pulled
		s.mu.Unlock()
		if now.Before(retry) {
			continue
		}
		pull := pulled.IsZero() || !now.Before(pulled.Add(PullEvery)) || !retry.IsZero()
		if !changed && !pull {
			continue
		}
		res, err := s.syncOne(ctx, a, pull)
		if err != nil {
			res.Err = err
		}
		if report != nil && ctx.Err() == nil {
			report(res)
		}
	}
}

// Status says how one staff member's calendar stands, for a screen or
// "kapctl caldav list".
type Status struct {
	Account *booking.CalDAVAccount
	Items   int // appointments on the server
	Log     []*booking.CalDAVLogEntry
}

// Statuses returns every connection with its item count and, per staff
// member, the newest logLines of its log.
func Statuses(ctx context.Context, r booking.Reader, logLines int) ([]Status, error) {
	accts, err := r.CalDAVAccounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(accts))
	for _, a := range accts {
		items, err := r.CalDAVItems(ctx, a.StaffID)
		if err != nil {
			return nil, err
		}
		st := Status{Account: a, Items: len(items)}
		if logLines > 0 {
			if st.Log, err = r.CalDAVLog(ctx, a.StaffID, logLines); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}
