// Package kit is what every kapbook screen shares: the Env a screen works
// with (store, service, window, navigation), running work off the UI
// goroutine, dialogs that speak plain words, buttons that Enter presses
// (Button), and the colours and labels of appointment kinds. Like the rest
// of ui/, it never imports fyne.io/fyne/v2/app, so screens are tested
// headless and without cgo.
package kit

import (
	"context"
	"errors"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/internal/errlog"
	"github.com/kapbook/kapbook/store"
)

// Navigator moves between screens; the shell (package ui) implements it.
// A screen that wants another screen asks the Navigator, never builds it.
type Navigator interface {
	// ShowSchedule shows the schedule at the given day (0: today).
	ShowSchedule(day booking.Date)
	// ShowAppointment shows the schedule at the appointment's day with the
	// appointment selected.
	ShowAppointment(id int64)
	// ShowPatient shows the patient's page.
	ShowPatient(id int64)
	// FindPatient shows the patient list with the search field focused.
	FindPatient()
	// NewBooking starts the book-a-series flow, for the patient if id is
	// not 0.
	NewBooking(patientID int64)
	// ShowToday shows the front desk's morning view.
	ShowToday()
	// ShowOutbox shows the outbox, with the message selected if id is not 0.
	ShowOutbox(id int64)
}

// Env is what a screen works with. One Env serves the whole window.
type Env struct {
	Store   booking.Store
	Service *booking.Service
	// DBPath is the database: a SQLite file or a postgres:// URL (which
	// may hold a password: show it through DBName). Files kept beside it,
	// such as the default .eml folder, are found through LocalBase;
	// and exports are found from it.
	DBPath string
	// Now returns the current time; nil means time.Now.
	Now    func() time.Time
	App    fyne.App
	Window fyne.Window
	Nav    Navigator
	// Inline runs background work on the calling goroutine and calls its
	// completion at once: for tests, which then need no waiting.
	Inline bool
	// Delay is how long work may take before a progress dialog shows
	// (default 300 ms).
	Delay time.Duration
	// ErrorLog records the internal errors and panics of work run through
	// Run and RunQuietly (nil: none are recorded); see Internal.
	ErrorLog *errlog.Log

	mu        sync.Mutex
	calDAV    *caldav.Syncer // see CalDAV
	listeners []func()
	local     []func() // see OnLocalChange
	pending   sync.WaitGroup
}

// MessageFor is how long a screen's line saying what an action did
// stays: the screen's next reload after it clears the line (the reload
// the action itself brings keeps it), so that no message outlives what
// it was about.
const MessageFor = time.Minute

// DBName is the database for people: the file, or the server's address
// without its password.
func (e *Env) DBName() string { return store.Describe(e.DBPath) }

// LocalBase is the path that files kept beside the database start with
// (store.LocalBase): the file itself, or a name in this computer's data
// folder for a database on a server.
func (e *Env) LocalBase() string {
	if e.DBPath == "" {
		return ""
	}
	return store.LocalBase(e.DBPath)
}

// Time returns the current time.
func (e *Env) Time() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Run does work off the UI goroutine and then calls done on the UI
// goroutine with work's error (done may be nil). When work takes longer
// than Delay a progress dialog titled what shows until it ends. When done
// is nil and work fails, the error is shown in a dialog.
func (e *Env) Run(what string, work func(ctx context.Context) error, done func(err error)) {
	finish := func(err error) {
		err = e.Internal(what, err)
		if done != nil {
			done(err)
		} else if err != nil {
			e.ShowError(err)
		}
	}
	if e.Inline {
		finish(safely(work))
		return
	}
	delay := e.Delay
	if delay <= 0 {
		delay = 300 * time.Millisecond
	}
	var (
		mu       sync.Mutex
		finished bool
		progress dialog.Dialog
	)
	timer := time.AfterFunc(delay, func() {
		fyne.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if finished || e.Window == nil {
				return
			}
			bar := widget.NewProgressBarInfinite()
			progress = dialog.NewCustomWithoutButtons(what, container.NewPadded(bar), e.Window)
			progress.Show()
		})
	})
	e.pending.Add(1)
	go func() {
		defer e.pending.Done()
		err := safely(work)
		timer.Stop()
		fyne.Do(func() {
			mu.Lock()
			finished = true
			if progress != nil {
				progress.Hide()
			}
			mu.Unlock()
			finish(err)
		})
	}()
}

// Wait blocks until every work started by Run has returned (not counting
// its done). For tests and for a clean shutdown.
func (e *Env) Wait() { e.pending.Wait() }

// safely runs work, turning a panic into an error (with its stack, for
// the error log) so no Go panic ever reaches the user.
func safely(work func(ctx context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errlog.Recovered(r)
		}
	}()
	return work(context.Background())
}

// Internal records err in the error log when it is an internal error (a
// bug, a panic, a failure kapbook has no words for) and returns the error
// the user is shown instead: "Internal error", that nothing was changed,
// and where the log is. Any other error is returned as it is. where names
// what was being done, in fixed words ("Book a series").
func (e *Env) Internal(where string, err error) error {
	if err == nil || booking.ErrorCode(err) != booking.EINTERNAL {
		return err
	}
	return &booking.Error{Code: booking.EINTERNAL, Message: e.ErrorLog.Report(where, err)}
}

// Message returns what to tell the user about err: booking's words for
// the errors it knows, a generic sentence otherwise, never a raw Go error.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var be *booking.Error
	if errors.As(err, &be) {
		return be.Message
	}
	return "Internal error: something went wrong inside kapbook; nothing was changed. Please try again, and tell your administrator if it happens again."
}

// OnChange registers fn to be called (on the UI goroutine) after any
// change: made here (Changed) or by another desk or process
// (ChangedElsewhere).
func (e *Env) OnChange(fn func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listeners = append(e.listeners, fn)
}

// OnLocalChange registers fn to be called after a change made here
// (Changed) only: for a screen whose reload would throw away what the
// user is typing, such as Settings' forms, which another desk's booking
// must not reset.
func (e *Env) OnLocalChange(fn func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.local = append(e.local, fn)
}

// Changed tells every screen that data changed here, so each reloads what
// it shows. Call it on the UI goroutine after a successful change.
func (e *Env) Changed() { e.notify(true) }

// ChangedElsewhere tells the screens that another desk or process changed
// the database (the background watch calls it, on the UI goroutine).
func (e *Env) ChangedElsewhere() { e.notify(false) }

func (e *Env) notify(local bool) {
	e.mu.Lock()
	ls := append([]func(){}, e.listeners...)
	if local {
		ls = append(ls, e.local...)
	}
	e.mu.Unlock()
	for _, fn := range ls {
		fn()
	}
}

// Preferences returns the app's preferences, or nil without an app.
func (e *Env) Preferences() fyne.Preferences {
	if e.App == nil {
		return nil
	}
	return e.App.Preferences()
}

// Preference keys shared between screens.
const (
	// PrefShowNames is true to show patients' full names on the schedule,
	// false (the default) for initials.
	PrefShowNames = "privacy.show_names"
	// PrefActor is the name of the staff member using this workstation.
	PrefActor = "workstation.actor"
	// PrefDatabase is the clinic's shared database this workstation uses
	// when started without --db: a postgres:// address without its
	// password (which the keyring keeps), set by the first-run setup.
	PrefDatabase = "workstation.database"
)

// PatientLabel returns how a patient's name shows on shared screens such
// as the schedule: initials unless this workstation shows full names.
func (e *Env) PatientLabel(name string) string {
	if p := e.Preferences(); p != nil && p.Bool(PrefShowNames) {
		return name
	}
	return booking.Initials(name)
}
