package kit

import (
	"context"

	"fyne.io/fyne/v2"
)

// RunQuietly is Run without the progress dialog: for reloading data a
// screen already shows, which stays usable meanwhile, so that a refresh
// after every change never puts a modal dialog in the user's way. work
// runs off the UI goroutine (inline with Inline) and done (which may be
// nil) on it; a panic in work becomes an error, and Wait waits for work.
func (e *Env) RunQuietly(work func(ctx context.Context) error, done func(err error)) {
	finish := func(err error) {
		err = e.Internal("Refreshing a screen", err)
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
	e.pending.Add(1)
	go func() {
		defer e.pending.Done()
		err := safely(work)
		fyne.Do(func() { finish(err) })
	}()
}
