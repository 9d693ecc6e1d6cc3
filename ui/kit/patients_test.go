package kit

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"
)

// RunQuietly runs work off the calling goroutine, turns a panic into an
// error in plain words, and shows no dialog.
func TestRunQuietly(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	e := &Env{Window: w}
	for _, tt := range []struct {
		name string
		work func(context.Context) error
		want string
	}{
		{"OK", func(context.Context) error { return nil }, ""},
		{"ErrPanic", func(context.Context) error { panic("boom") }, "Internal error: something went wrong inside kapbook; nothing was changed. Please tell your administrator what you did."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := "not called"
			e.RunQuietly(tt.work, func(err error) { got = Message(err) })
			e.Wait()
			if got != tt.want {
				t.Fatalf("done got %q, want %q", got, tt.want)
			}
			if w.Canvas().Overlays().Top() != nil {
				t.Fatal("a dialog showed")
			}
		})
	}
}
