package kit

import (
	"sync"

	"github.com/kapbook/kapbook/calendar/caldav"
)

// syncers holds each Env's calendar syncer (Env.CalDAV), made when first
// asked for. The app has one Env, so one syncer; a test's stays until the
// test binary ends.
var syncers struct {
	sync.Mutex
	m map[*Env]*caldav.Syncer
}

// CalDAV returns the one caldav.Syncer that keeps the staff's own
// calendars in step for this Env: the background's loop (Syncer.Run) and
// the Settings screen's Connect, Sync now and Disconnect share it, so a
// calendar that failed waits out the same backoff whoever tries it. Its
// audit entries name "kapbook on" the workstation's user at the time of
// the first call.
func (e *Env) CalDAV() *caldav.Syncer {
	syncers.Lock()
	defer syncers.Unlock()
	if s := syncers.m[e]; s != nil {
		return s
	}
	if syncers.m == nil {
		syncers.m = map[*Env]*caldav.Syncer{}
	}
	actor := "this workstation"
	if e.Service != nil && e.Service.Actor != "" {
		actor = e.Service.Actor
	}
	s := &caldav.Syncer{Store: e.Store, Now: e.Time, Actor: "kapbook on " + actor}
	syncers.m[e] = s
	return s
}
