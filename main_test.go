package main

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestStartError: an error that stops kapbook before its window opens
// shows in a window too, with a button that quits: on Windows nobody reads
// stderr (issue 15, item 6).
func TestStartError(t *testing.T) {
	test.NewTempApp(t)
	quit := false
	c := startError(errors.New(`unexpected argument "x" (see kapbook --help)`), func() { quit = true })
	test.NewTempWindow(t, c)
	var label *widget.Label
	var button *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.Label:
			label = o
		case *widget.Button:
			button = o
		case *fyne.Container:
			for _, o := range o.Objects {
				walk(o)
			}
		}
	}
	walk(c)
	if want := `kapbook could not start: unexpected argument "x" (see kapbook --help).`; label == nil || label.Text != want {
		t.Fatalf("label=%v, want %q", label, want)
	}
	if button == nil || button.Text != "Quit" {
		t.Fatalf("button=%v, want Quit", button)
	}
	test.Tap(button)
	if !quit {
		t.Fatal("Quit did not quit")
	}
}
