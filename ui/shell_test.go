package ui_test

import (
	"context"
	"errors"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// newShell builds the shell on a demo fixture and puts it in the window.
func newShell(t *testing.T, o kittest.Options) (*ui.Shell, *kittest.Fixture) {
	t.Helper()
	f := kittest.New(t, o)
	s := ui.New(f.Env)
	f.Env.Window.SetContent(s.Content())
	return s, f
}

// onScreen reports whether obj is in the window's tree and visible, it and
// every container above it.
func onScreen(w fyne.Window, obj fyne.CanvasObject) bool {
	return visibleIn(w.Canvas().Content(), obj)
}

func visibleIn(root, obj fyne.CanvasObject) bool {
	if root == nil || !root.Visible() {
		return false
	}
	if root == obj {
		return true
	}
	var children []fyne.CanvasObject
	switch o := root.(type) {
	case *fyne.Container:
		children = o.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(o).Objects()
	}
	for _, c := range children {
		if visibleIn(c, obj) {
			return true
		}
	}
	return false
}

// texts returns the text drawn in the window, in order.
func texts(w fyne.Window) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *canvas.Text:
			if strings.TrimSpace(o.Text) != "" {
				out = append(out, o.Text)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		}
	}
	walk(w.Canvas().Content())
	return out
}

// viewContent returns the content of the named view, nil if it was never
// built.
func viewContent(s *ui.Shell, name string) fyne.CanvasObject {
	switch {
	case name == ui.ViewToday && s.Today != nil:
		return s.Today.Content()
	case name == ui.ViewSchedule && s.Schedule != nil:
		return s.Schedule.Content()
	case name == ui.ViewBook && s.Booker != nil:
		return s.Booker.Content()
	case name == ui.ViewPatients && s.Patients != nil:
		return s.Patients.Content()
	case name == ui.ViewOutbox && s.Outbox != nil:
		return s.Outbox.Content()
	case name == ui.ViewSettings && s.Settings != nil:
		return s.Settings.Content()
	}
	return nil
}

// assertShowing checks that the named view, and only it, shows, and its
// sidebar button is the highlighted one.
func assertShowing(t *testing.T, s *ui.Shell, w fyne.Window, name string) {
	t.Helper()
	if got := s.Current(); got != name {
		t.Fatalf("current view %q, want %q", got, name)
	}
	for _, v := range ui.Views {
		c := viewContent(s, v)
		if c == nil && v == name {
			t.Fatalf("view %q was never built", v)
		}
		if got := c != nil && onScreen(w, c); got != (v == name) {
			t.Fatalf("view %q on screen=%v while %q shows", v, got, name)
		}
		if got := s.Nav[v].Importance == widget.HighImportance; got != (v == name) {
			t.Fatalf("sidebar button %q highlighted=%v while %q shows", v, got, name)
		}
	}
}

func TestShell_OpensOnToday(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	assertShowing(t, s, f.Env.Window, ui.ViewToday)
	if f.Env.Nav != s {
		t.Fatalf("env.Nav is %T, want the shell", f.Env.Nav)
	}
	status := s.StatusText()
	for _, want := range []string{"Harbor Wellness Center", "At this desk: Front desk", "Feeds: off"} {
		if !strings.Contains(status, want) {
			t.Fatalf("status line %q does not say %q", status, want)
		}
	}
	if got := f.Env.Window.Title(); got != "kapbook · Harbor Wellness Center" {
		t.Fatalf("window title %q", got)
	}
	if !slices.Contains(texts(f.Env.Window), s.Status.Text) {
		t.Fatalf("the status line %q is not drawn", s.Status.Text)
	}
}

func TestShell_Sidebar(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	w := f.Env.Window
	for _, name := range []string{ui.ViewSchedule, ui.ViewBook, ui.ViewPatients, ui.ViewOutbox, ui.ViewSettings, ui.ViewToday} {
		t.Run(name, func(t *testing.T) {
			test.Tap(s.Nav[name])
			assertShowing(t, s, w, name)
			if got := f.Env.App.Preferences().String(ui.PrefView); got != name {
				t.Fatalf("remembered view %q, want %q", got, name)
			}
		})
	}
	// The sidebar's labels are what the user reads.
	var labels []string
	for _, name := range ui.Views {
		labels = append(labels, s.Nav[name].Text)
	}
	if want := []string{"Today", "Schedule", "Book a series", "Patients", "Outbox", "Settings"}; !slices.Equal(labels, want) {
		t.Fatalf("sidebar %q, want %q", labels, want)
	}
}

func TestShell_Navigator(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 2, Booked: true})
	w := f.Env.Window
	appt := f.Series[0].Appts[0]
	var nav kit.Navigator = s
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"ShowSchedule", func() { nav.ShowSchedule(0) }, ui.ViewSchedule},
		{"ShowPatient", func() { nav.ShowPatient(f.Patients[1].ID) }, ui.ViewPatients},
		{"ShowAppointment", func() { nav.ShowAppointment(appt.ID) }, ui.ViewSchedule},
		{"NewBooking", func() { nav.NewBooking(f.Patients[0].ID) }, ui.ViewBook},
		{"ShowOutbox", func() { nav.ShowOutbox(0) }, ui.ViewOutbox},
		{"ShowToday", func() { nav.ShowToday() }, ui.ViewToday},
		{"FindPatient", func() { nav.FindPatient() }, ui.ViewPatients},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.call()
			assertShowing(t, s, w, tc.want)
		})
	}
	t.Run("FindPatientFocusesSearch", func(t *testing.T) {
		nav.ShowToday()
		nav.FindPatient()
		if _, ok := w.Canvas().Focused().(*widget.Entry); !ok {
			t.Fatalf("focused %T after FindPatient, want the search field", w.Canvas().Focused())
		}
	})
	t.Run("PatientPageShowsPatient", func(t *testing.T) {
		nav.ShowPatient(f.Patients[1].ID)
		// Once in the list, once as the page's heading.
		name, n := f.Patients[1].Name, 0
		for _, s := range texts(w) {
			if s == name {
				n++
			}
		}
		if n < 2 {
			t.Fatalf("the patient page of %s does not show the patient; drawn: %q", name, texts(w))
		}
	})
}

func TestShell_Shortcuts(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	w := f.Env.Window
	sc := w.Canvas().(fyne.Shortcutable)
	for _, tc := range []struct {
		name string
		sc   fyne.Shortcut
		want string
	}{
		{"CtrlN", ui.ShortcutNewBooking, ui.ViewBook},
		{"CtrlT", ui.ShortcutToday, ui.ViewToday},
		{"CtrlF", ui.ShortcutFindPatient, ui.ViewPatients},
		{"CtrlTAgain", ui.ShortcutToday, ui.ViewToday},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc.TypedShortcut(tc.sc)
			assertShowing(t, s, w, tc.want)
		})
	}
	t.Run("Menu", func(t *testing.T) {
		m := w.MainMenu()
		if m == nil || len(m.Items) == 0 {
			t.Fatal("no menu")
		}
		got := map[string]string{}
		for _, it := range m.Items[0].Items {
			if it.Shortcut != nil {
				got[it.Label] = it.Shortcut.ShortcutName()
			}
		}
		want := map[string]string{
			"Today":           ui.ShortcutToday.ShortcutName(),
			"Book a series…":  ui.ShortcutNewBooking.ShortcutName(),
			"Find a patient…": ui.ShortcutFindPatient.ShortcutName(),
		}
		for label, name := range want {
			if got[label] != name {
				t.Fatalf("menu item %q has shortcut %q, want %q (menu: %v)", label, got[label], name, got)
			}
		}
		// The menu's items act as the shortcuts do.
		for _, it := range m.Items[0].Items {
			if it.Label == "Outbox" {
				it.Action()
			}
		}
		assertShowing(t, s, w, ui.ViewOutbox)
	})
}

func TestShell_KeysReachSchedule(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 2, Booked: true})
	w := f.Env.Window
	key := func(name fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }

	s.ShowSchedule(0)
	before := strings.Join(texts(w), "|")
	key(fyne.KeyPageDown)
	next := strings.Join(texts(w), "|")
	if next == before {
		t.Fatal("PageDown did not move the schedule")
	}
	key(fyne.KeyPageUp)
	if got := strings.Join(texts(w), "|"); got != before {
		t.Fatalf("PageDown then PageUp did not come back to the same week:\n got %s\nwant %s", got, before)
	}

	// While another view shows, the keys do not move the schedule.
	s.ShowToday()
	key(fyne.KeyPageDown)
	key(fyne.KeyRight)
	s.ShowSchedule(0)
	if got := strings.Join(texts(w), "|"); got != before {
		t.Fatal("keys typed on Today moved the schedule")
	}
}

func TestShell_Preferences(t *testing.T) {
	f := kittest.New(t, kittest.Options{Patients: 1})
	prefs := f.Env.App.Preferences()
	prefs.SetString(kit.PrefActor, "Robin at desk 2")
	f.Env.Service.Actor = "" // as main builds it: the shell sets it
	s := ui.New(f.Env)
	f.Env.Window.SetContent(s.Content())
	if got := f.Env.Service.Actor; got != "Robin at desk 2" {
		t.Fatalf("service actor %q, want the workstation's user", got)
	}
	if !strings.Contains(s.StatusText(), "At this desk: Robin at desk 2") {
		t.Fatalf("status line %q does not name the workstation's user", s.StatusText())
	}
	if got := f.Env.Window.Canvas().Size(); got != ui.DefaultSize {
		t.Fatalf("first window size %v, want %v", got, ui.DefaultSize)
	}
	s.ShowOutbox(0)
	f.Env.Window.Resize(fyne.NewSize(1180, 760))
	s.SaveWindow()
	if w, h := prefs.Float(ui.PrefWidth), prefs.Float(ui.PrefHeight); w != 1180 || h != 760 {
		t.Fatalf("saved size %vx%v, want 1180x760", w, h)
	}

	// The next start: a new window and shell with the same preferences.
	w2 := test.NewTempWindow(t, nil)
	env2 := &kit.Env{Store: f.DB, DBPath: f.Env.DBPath, Now: f.Env.Now, App: f.Env.App, Window: w2, Inline: true}
	s2 := ui.New(env2)
	w2.SetContent(s2.Content())
	assertShowing(t, s2, w2, ui.ViewOutbox)
	if got := w2.Canvas().Size(); got != fyne.NewSize(1180, 760) {
		t.Fatalf("restored window size %v, want 1180x760", got)
	}
	if got := env2.Service.Actor; got != "Robin at desk 2" {
		t.Fatalf("restored actor %q", got)
	}
	// A preference naming no view falls back to Today.
	prefs.SetString(ui.PrefView, "nonsense")
	env3 := &kit.Env{Store: f.DB, DBPath: f.Env.DBPath, Now: f.Env.Now, App: f.Env.App, Window: test.NewTempWindow(t, nil), Inline: true}
	s3 := ui.New(env3)
	env3.Window.SetContent(s3.Content())
	assertShowing(t, s3, env3.Window, ui.ViewToday)
}

func TestShell_ChangeUpdatesStatus(t *testing.T) {
	s, f := newShell(t, kittest.Options{})
	f.Env.App.Preferences().SetString(kit.PrefActor, "Kai")
	f.Env.Changed()
	if !strings.Contains(s.Status.Text, "At this desk: Kai") {
		t.Fatalf("status line %q after the workstation's user changed", s.Status.Text)
	}
	if f.Env.Service.Actor != "Kai" {
		t.Fatalf("service actor %q, want Kai", f.Env.Service.Actor)
	}
}

func TestShell_DialogKeys(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	w := f.Env.Window
	key := func(name fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }
	open := func() bool { return w.Canvas().Overlays().Top() != nil }

	for _, tc := range []struct {
		name   string
		key    fyne.KeyName
		wantOK bool
	}{
		{"EscapeKeeps", fyne.KeyEscape, false},
		{"EnterConfirms", fyne.KeyReturn, true},
		{"KeypadEnterConfirms", fyne.KeyEnter, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yes := false
			f.Env.Confirm("Cancel this appointment?", "The patient is told by email.", "Cancel appointment", func() { yes = true })
			if !open() {
				t.Fatal("no dialog shown")
			}
			key(tc.key)
			if open() {
				t.Fatalf("%s left the dialog open", tc.key)
			}
			if yes != tc.wantOK {
				t.Fatalf("%s: confirmed=%v, want %v", tc.key, yes, tc.wantOK)
			}
		})
	}
	t.Run("ErrorDismissed", func(t *testing.T) {
		for _, k := range []fyne.KeyName{fyne.KeyReturn, fyne.KeyEscape} {
			f.Env.ShowError(errors.New("boom"))
			if !open() {
				t.Fatal("no error dialog")
			}
			key(k)
			if open() {
				t.Fatalf("%s left the error dialog open", k)
			}
		}
	})
	t.Run("NoKeysToScheduleUnderDialog", func(t *testing.T) {
		s.ShowSchedule(0)
		before := strings.Join(texts(w), "|")
		f.Env.Notify("Booked", "The series is booked.")
		key(fyne.KeyPageDown)
		if !open() {
			t.Fatal("PageDown closed the dialog")
		}
		key(fyne.KeyEscape)
		if got := strings.Join(texts(w), "|"); got != before {
			t.Fatal("PageDown under a dialog moved the schedule")
		}
	})
}

// brokenStore is a database whose clinic cannot be read.
type brokenStore struct{ booking.Store }

func (brokenStore) Clinic(context.Context) (*booking.Clinic, error) {
	return nil, booking.Errorf(booking.ESTORE, "The database /x/k.db cannot be read: disk I/O error.")
}

func TestShell_ProblemOnBrokenDatabase(t *testing.T) {
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	env := &kit.Env{Store: brokenStore{}, DBPath: "/x/k.db", App: a, Window: w, Inline: true}
	s := ui.New(env)
	w.SetContent(s.Content())
	if s.Ready() || s.Setup != nil {
		t.Fatalf("ready=%v setup=%v on a database that cannot be read", s.Ready(), s.Setup != nil)
	}
	got := strings.Join(texts(w), " ")
	if !strings.Contains(got, "cannot be read: disk I/O error") {
		t.Fatalf("the window says %q, want the problem in words", got)
	}
	// The shortcuts and the Navigator do nothing rather than fail.
	w.Canvas().(fyne.Shortcutable).TypedShortcut(ui.ShortcutNewBooking)
	s.ShowPatient(1)
	if s.Current() != "" {
		t.Fatalf("a view (%q) shows on a broken database", s.Current())
	}
}

// BenchmarkShellSwitch switches between views already built, as the
// sidebar and the shortcuts do: the figure is the time of one switch.
func BenchmarkShellSwitch(b *testing.B) {
	f := kittest.New(b, kittest.Options{Patients: 4, Booked: true})
	s := ui.New(f.Env)
	f.Env.Window.SetContent(s.Content())
	for _, v := range ui.Views {
		s.Show(v) // build and load each once
	}
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		s.Show(ui.Views[n%len(ui.Views)])
		n++
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(n)/1000, "ms/switch")
}

func TestShell_Tour(t *testing.T) {
	s, _ := newShell(t, kittest.Options{Patients: 2, Booked: true})
	var got []string
	err := s.Tour(0, func(file string) {
		got = append(got, file+"="+s.Current())
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"today.png=today", "schedule-week.png=schedule", "book.png=book",
		"patient.png=patients", "outbox.png=outbox", "settings.png=settings"}
	if !slices.Equal(got, want) {
		t.Fatalf("tour %q, want %q", got, want)
	}
}

// Every view has a shortcut, Ctrl+1 to Ctrl+6 in the sidebar's order,
// listed in the View menu and under the sidebar.
func TestShell_ViewShortcuts(t *testing.T) {
	s, f := newShell(t, kittest.Options{Patients: 1})
	w := f.Env.Window
	sc := w.Canvas().(fyne.Shortcutable)
	order := []string{ui.ViewSchedule, ui.ViewOutbox, ui.ViewSettings, ui.ViewPatients, ui.ViewBook, ui.ViewToday, ui.ViewSettings}
	for i, name := range order {
		t.Run(name, func(t *testing.T) {
			short := ui.ShortcutViews[name]
			if short == nil {
				t.Fatalf("no shortcut for %q", name)
			}
			if want := string(rune('1' + slices.Index(ui.Views, name))); string(short.KeyName) != want || short.Modifier != fyne.KeyModifierShortcutDefault {
				t.Fatalf("shortcut %s for %q, want Ctrl+%s", short.ShortcutName(), name, want)
			}
			from := order[(i+len(order)-1)%len(order)]
			s.Show(from)
			sc.TypedShortcut(short)
			assertShowing(t, s, w, name)
		})
	}
	t.Run("Menu", func(t *testing.T) {
		var view *fyne.Menu
		for _, m := range w.MainMenu().Items {
			if m.Label == "View" {
				view = m
			}
		}
		if view == nil || len(view.Items) != len(ui.Views) {
			t.Fatalf("View menu %v, want an item for each view", view)
		}
		for i, it := range view.Items {
			name := ui.Views[i]
			if it.Shortcut == nil || it.Shortcut.ShortcutName() != ui.ShortcutViews[name].ShortcutName() {
				t.Fatalf("menu item %q has shortcut %v, want %s", it.Label, it.Shortcut, ui.ShortcutViews[name].ShortcutName())
			}
			it.Action()
			assertShowing(t, s, w, name)
		}
	})
	t.Run("Listed", func(t *testing.T) {
		if !slices.Contains(texts(w), "Ctrl+1…6  views above") {
			t.Fatalf("the sidebar does not list the view keys; drawn %q", texts(w))
		}
	})
}

// The app's theme is kapbook's (kit.Theme), whose focus shows strongly
// (kit's TestTheme_StrongFocus; Fyne's default is a 16 % tint).
func TestShell_StrongFocus(t *testing.T) {
	_, f := newShell(t, kittest.Options{})
	th := f.Env.App.Settings().Theme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		got := color.NRGBAModel.Convert(th.Color(theme.ColorNameFocus, v))
		want := color.NRGBAModel.Convert(kit.Theme(nil).Color(theme.ColorNameFocus, v))
		if got != want {
			t.Fatalf("focus colour %v in variant %d, want kapbook's %v", got, v, want)
		}
	}
}
