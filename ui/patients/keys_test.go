package patients

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestPatients_EnterOnFocusedButton: Enter on the focused New patient
// opens the dialog; there, Enter on the focused Cancel closes it with
// nothing added, and Enter on the focused Save adds the patient, once.
func TestPatients_EnterOnFocusedButton(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 2})
	c := f.Env.Window.Canvas()
	count := func() int {
		all, err := f.DB.FindPatients(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	test.Type(v.search, "Jane Roe")
	add := func() *editDialog {
		t.Helper()
		v.edit = nil
		c.Unfocus()
		c.Focus(v.add)
		kittest.PressKey(c, fyne.KeyReturn)
		if v.edit == nil || c.Overlays().Top() == nil {
			t.Fatal("Enter on New patient opened no dialog")
		}
		return v.edit
	}

	e := add()
	c.Focus(e.cancel)
	kittest.PressKey(c, fyne.KeyReturn)
	if c.Overlays().Top() != nil || count() != 2 {
		t.Fatalf("Enter on Cancel: dialog open=%v, %d patients, want closed and 2", c.Overlays().Top() != nil, count())
	}

	e = add()
	test.Type(e.email, "jane.roe@example.org")
	c.Focus(e.save)
	kittest.PressKey(c, fyne.KeyEnter)
	if count() != 3 {
		t.Fatalf("Enter on Save: %d patients stored, want 3", count())
	}
	if c.Overlays().Top() != nil {
		t.Fatal("the dialog still shows after saving")
	}
}
