package kit

import "github.com/kapbook/kapbook/calendar/caldav"

// CalDAV returns the one caldav.Syncer that keeps the staff's own
// calendars in step for this Env, made on first use: the background's
// loop (Syncer.Run) and the Settings screen's Connect, Sync now and
// Disconnect share it, so a calendar that failed waits out the same
// backoff whoever tries it. Its audit entries name "kapbook on" the
// workstation's user at the time of the first call.
func (e *Env) CalDAV() *caldav.Syncer {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calDAV == nil {
		actor := "this workstation"
		if e.Service != nil && e.Service.Actor != "" {
			actor = e.Service.Actor
		}
		e.calDAV = &caldav.Syncer{Store: e.Store, Now: e.Time, Actor: "kapbook on " + actor}
	}
	return e.calDAV
}
