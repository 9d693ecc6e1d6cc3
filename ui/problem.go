package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
)

// Problem is the screen shown when kapbook cannot go on: the database
// cannot be opened, or something went wrong inside kapbook. It says so in
// words, never as a raw Go error.
func Problem(path string, err error) fyne.CanvasObject {
	l := widget.NewLabel(fmt.Sprintf("kapbook cannot open the clinic database %s.\n\n%s", path, kit.Message(err)))
	l.Wrapping = fyne.TextWrapWord
	return container.NewPadded(l)
}
