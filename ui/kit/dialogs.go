package kit

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
)

// MessageWidth is the width of the message in kapbook's dialogs: the
// message wraps to it, and the dialog grows down to hold every line above
// its buttons.
const MessageWidth = 420

// Fix is a way out of an error that the error dialog offers as a button
// beside Close, such as Record escort… after a check-in was refused for a
// missing escort.
type Fix struct {
	// When reports whether the fix applies to an error; nil: to any.
	When func(error) bool
	// Label is the button's words, e.g. "Record escort…".
	Label string
	// Do is what the button does, after the dialog has closed.
	Do func()
}

// FixFor returns the first of fixes that applies to err, nil when none
// does or err is nil.
func FixFor(err error, fixes ...Fix) *Fix {
	if err == nil {
		return nil
	}
	for i := range fixes {
		if fixes[i].When == nil || fixes[i].When(err) {
			return &fixes[i]
		}
	}
	return nil
}

// HasCode returns a Fix's When that matches the errors of a booking error
// code, such as booking.ECONFLICT.
func HasCode(code string) func(error) bool {
	return func(err error) bool { return booking.ErrorCode(err) == code }
}

// MissingEscort reports whether err is booking's refusal to check a
// patient in for a visit whose escort home is not recorded: the fix is
// to record the escort (Record escort…) and check in again.
func MissingEscort(err error) bool {
	var be *booking.Error
	return errors.As(err, &be) && be.Code == booking.ECONFLICT &&
		strings.HasPrefix(be.Message, "Record the escort")
}

// ShowError shows err in a dialog, in plain words, with an OK button.
// When one of fixes applies to err (the first that does, see FixFor),
// the dialog offers it as its highlighted button, so Enter takes it,
// beside Close.
func (e *Env) ShowError(err error, fixes ...Fix) {
	if err == nil || e.Window == nil {
		return
	}
	const title = "Cannot do that"
	text := MessageText(Message(err))
	fix := FixFor(err, fixes...)
	if fix == nil || fix.Do == nil {
		NewCustom(title, "OK", text, e.Window).Show()
		return
	}
	do := fix.Do
	NewCustomConfirm(title, fix.Label, "Close", text, func(ok bool) {
		if ok {
			do()
		}
	}, e.Window).Show()
}

// ShowErrorWithFix shows err as ShowError does, with a second button,
// fixLabel, that closes the dialog and runs fix: for a caller that
// already knows the way out of this error.
func (e *Env) ShowErrorWithFix(err error, fixLabel string, fix func()) {
	e.ShowError(err, Fix{Label: fixLabel, Do: fix})
}

// Confirm asks before a destructive action; yes runs only on
// confirmation, and the other button says Keep.
func (e *Env) Confirm(title, message, action string, yes func()) {
	e.Ask(title, message, action, "Keep", yes, nil)
}

// Ask asks a question with two answers: action, the highlighted button
// (Enter), runs yes; keep (Escape) runs no. Either function may be nil.
func (e *Env) Ask(title, message, action, keep string, yes, no func()) {
	if e.Window == nil {
		return
	}
	NewCustomConfirm(title, action, keep, MessageText(message), func(ok bool) {
		switch {
		case ok && yes != nil:
			yes()
		case !ok && no != nil:
			no()
		}
	}, e.Window).Show()
}

// Notify says briefly what a change did, so every change shows its result.
func (e *Env) Notify(title, message string) {
	if e.Window == nil {
		return
	}
	NewCustom(title, "OK", MessageText(message), e.Window).Show()
}

// NewCustom returns a dialog as dialog.NewCustom does (content above one
// button, dismiss, that closes it), whose button is a Button: Enter
// presses it when it has the focus.
func NewCustom(title, dismiss string, content fyne.CanvasObject, w fyne.Window) *dialog.CustomDialog {
	d := dialog.NewCustomWithoutButtons(title, content, w)
	d.SetButtons([]fyne.CanvasObject{NewButton(dismiss, d.Hide)})
	return d
}

// ConfirmDialog is a dialog with two answers, made by NewCustomConfirm.
type ConfirmDialog struct {
	*dialog.CustomDialog
	// DismissButton and ConfirmButton are its buttons: the dismiss
	// button left, the highlighted confirm button right.
	DismissButton, ConfirmButton *Button
}

// Confirm closes the dialog with the confirm answer, as its confirm
// button does, unless that button is disabled.
func (d *ConfirmDialog) Confirm() {
	if !d.ConfirmButton.Disabled() {
		d.ConfirmButton.OnTapped()
	}
}

// NewCustomConfirm returns a dialog as dialog.NewCustomConfirm does:
// content above a dismiss button (the cancel icon) and a highlighted
// confirm button (the confirm icon); callback, if not nil, gets true
// once the confirm button closes the dialog and false when anything else
// does. Its buttons are Buttons: Enter presses the one that has the
// focus.
func NewCustomConfirm(title, confirm, dismiss string, content fyne.CanvasObject, callback func(bool), w fyne.Window) *ConfirmDialog {
	d := &ConfirmDialog{CustomDialog: dialog.NewCustomWithoutButtons(title, content, w)}
	confirmed := false
	d.DismissButton = NewButtonWithIcon(dismiss, theme.CancelIcon(), d.Hide)
	d.ConfirmButton = NewButtonWithIcon(confirm, theme.ConfirmIcon(), func() {
		confirmed = true
		d.Hide()
	})
	d.ConfirmButton.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{d.DismissButton, d.ConfirmButton})
	d.SetOnClosed(func() {
		ok := confirmed
		confirmed = false
		if callback != nil {
			callback(ok)
		}
	})
	return d
}

// MessageText returns a dialog's message: a label that wraps at word
// boundaries to MessageWidth and is as tall as its lines, so that the
// dialog's buttons sit below the last of them.
func MessageText(message string) fyne.CanvasObject {
	l := widget.NewLabel(message)
	l.Wrapping = fyne.TextWrapWord
	return Wrapped(MessageWidth, l)
}

// Wrapped returns objs stacked in a container at least width wide whose
// minimum height is what they need at that width (or the width they are
// given, if more): the way to put wrapped labels in a dialog, which a
// container.NewGridWrap of a fixed size would cut short or let overflow.
func Wrapped(width float32, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(wrapLayout{width: width}, objs...)
}

type wrapLayout struct{ width float32 }

// MinSize implements fyne.Layout: a wrapped label knows its height only
// once it has its width, so each object is sized to the width first.
func (l wrapLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		w := max(l.width, o.Size().Width)
		if o.Size().Width != w {
			o.Resize(fyne.NewSize(w, o.MinSize().Height))
		}
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}

// Layout implements fyne.Layout.
func (l wrapLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.Position{})
		o.Resize(size)
	}
}
