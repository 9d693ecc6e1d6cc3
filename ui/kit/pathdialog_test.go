package kit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// TestAskPath_Keyboard: the path dialog works from the keyboard as
// kapbook's other dialogs do, which Fyne's file dialog does not (its
// Escape does nothing; found in the real window). The cursor is in the
// path, filled in with Documents and the suggested name; Escape closes
// with no answer; Enter on a folder that does not exist, or on a folder,
// says so in the dialog, which stays open; Enter on a good path answers
// and remembers the folder; a file that exists is replaced only after a
// question. Opening asks for a file that exists.
func TestAskPath_Keyboard(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	docs := filepath.Join(home, "Documents")
	if err := os.Mkdir(docs, 0o700); err != nil {
		t.Fatal(err)
	}
	f := kittest.New(t, kittest.Options{})
	c := f.Env.Window.Canvas()
	var got []string
	req := kit.PathRequest{Title: "Export the calendar", Confirm: "Export", Name: "appointments.ics", Extensions: []string{".ics"}}
	ask := func(r kit.PathRequest) fyne.Focusable {
		t.Helper()
		f.Env.AskPath(r, func(path string) { got = append(got, path) })
		if c.Overlays().Top() == nil {
			t.Fatal("no dialog shows")
		}
		return c.Focused()
	}
	setText := func(o fyne.Focusable, s string) {
		t.Helper()
		o.(*kit.Field).SetText(s)
	}

	field := ask(req)
	want := filepath.Join(docs, "appointments.ics")
	if s := entryText(t, field); s != want {
		t.Fatalf("the path shown is %q, want %q", s, want)
	}
	kittest.PressKey(c, fyne.KeyEscape)
	if c.Overlays().Top() != nil || len(got) != 0 {
		t.Fatalf("Escape: dialog open %v, answers %q", c.Overlays().Top() != nil, got)
	}

	field = ask(req)
	for _, tc := range []struct{ path, problem string }{
		{filepath.Join(home, "nowhere", "a.ics"), "There is no folder " + filepath.Join(home, "nowhere")},
		{docs, docs + " is a folder"},
		{"  ", "Type where the file is"},
	} {
		setText(field, tc.path)
		kittest.PressKey(c, fyne.KeyReturn)
		if c.Overlays().Top() == nil || len(got) != 0 {
			t.Fatalf("%q: the dialog closed (answers %q)", tc.path, got)
		}
		if texts := overlayLabels(t, c); !containsPrefix(texts, tc.problem) {
			t.Fatalf("%q: the dialog says %q, want %q…", tc.path, texts, tc.problem)
		}
	}
	setText(field, want)
	kittest.PressKey(c, fyne.KeyReturn)
	if c.Overlays().Top() != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("Enter on a good path: dialog open %v, answers %q", c.Overlays().Top() != nil, got)
	}
	if dir := f.Env.Preferences().String(kit.PrefFolder); dir != docs {
		t.Fatalf("remembered folder %q, want %q", dir, docs)
	}

	// The file exists now: replacing it asks first.
	if err := os.WriteFile(want, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ask(req)
	kittest.PressKey(c, fyne.KeyReturn)
	if texts := overlayLabels(t, c); !containsPrefix(texts, want+" already exists") || len(got) != 1 {
		t.Fatalf("Enter on an existing file: the dialog says %q, answers %q", texts, got)
	}
	replace := kittest.FindButton(c.Overlays().Top(), "Replace")
	if replace == nil {
		t.Fatal("no Replace button")
	}
	test.Tap(replace)
	if len(got) != 2 || got[1] != want {
		t.Fatalf("after Replace: answers %q", got)
	}
	for c.Overlays().Top() != nil {
		c.Overlays().Top().Hide()
		c.Overlays().Remove(c.Overlays().Top())
	}

	// Opening: the folder used last, and a file that exists.
	open := kit.PathRequest{Title: "Import a calendar file", Confirm: "Import", Open: true}
	field = ask(open)
	if s := entryText(t, field); s != docs+string(filepath.Separator) {
		t.Fatalf("opening shows %q, want the folder used last", s)
	}
	setText(field, filepath.Join(docs, "missing.ics"))
	kittest.PressKey(c, fyne.KeyReturn)
	if texts := overlayLabels(t, c); !containsPrefix(texts, "There is no file") || len(got) != 2 {
		t.Fatalf("opening a missing file: the dialog says %q, answers %q", texts, got)
	}
	setText(field, want)
	kittest.PressKey(c, fyne.KeyReturn)
	if len(got) != 3 || got[2] != want {
		t.Fatalf("opening %s: answers %q", want, got)
	}
}

// entryText is the text of the path field o, failing when o is not one.
func entryText(t *testing.T, o fyne.Focusable) string {
	t.Helper()
	f, ok := o.(*kit.Field)
	if !ok {
		t.Fatalf("the cursor is in %T, not in the path", o)
	}
	return f.Text
}

// overlayLabels returns the texts of the labels of the dialog on top.
func overlayLabels(t *testing.T, c fyne.Canvas) []string {
	t.Helper()
	var out []string
	for _, o := range test.LaidOutObjects(c.Overlays().Top()) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			out = append(out, l.Text)
		}
	}
	return out
}

func containsPrefix(texts []string, prefix string) bool {
	for _, s := range texts {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
