package ui_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// firstRun starts the shell as main does on a database file that does
// not exist yet (st nil), or on st.
func firstRun(t *testing.T, path string, st *store.DB) (*ui.Shell, *kit.Env) {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	env := &kit.Env{DBPath: path, App: a, Window: w, Inline: true, Now: func() time.Time { return kittest.Now }}
	if st != nil {
		env.Store = st
	}
	env.Service = &booking.Service{Store: env.Store, Now: env.Now}
	s := ui.New(env)
	w.SetContent(s.Content())
	t.Cleanup(func() { s.Close() })
	return s, env
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func TestSetup_CreatesClinic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clinic", "kapbook.db")
	s, env := firstRun(t, path, nil)
	if s.Setup == nil || s.Ready() {
		t.Fatal("a new database does not open the setup")
	}
	if !onScreen(env.Window, s.Setup.Content()) {
		t.Fatal("the setup is not on screen")
	}
	if exists(path) {
		t.Fatal("the database file was created before the user chose")
	}
	// The menu and the shortcuts do nothing while the setup shows.
	for _, it := range env.Window.MainMenu().Items[0].Items {
		if it.Action != nil {
			it.Action()
		}
	}
	env.Window.Canvas().(fyne.Shortcutable).TypedShortcut(ui.ShortcutFindPatient)
	if s.Ready() || s.Current() != "" || !onScreen(env.Window, s.Setup.Content()) {
		t.Fatalf("the menu left the setup: view %q", s.Current())
	}
	su := s.Setup
	test.Type(su.Name, "Lakeside Clinic")
	su.Zone.SetText("America/Chicago")
	su.Days.SetSelected([]string{"Mon", "Tue", "Wed"})
	su.Hours.SetText("08:30-17:30")
	test.Type(su.Therapist, "Dr. Kim Lee")
	test.Type(su.Email, "kim.lee@lakeside.example")
	su.TherapistHours.SetText("09:00-16:00")
	test.Type(su.Room, "Room 1")
	su.RoomKind.SetSelected("Dosing room")
	test.Tap(su.Create)

	// The new clinic opens on Settings, saying what to add next.
	if !s.Ready() || s.Current() != ui.ViewSettings {
		t.Fatalf("after setup: ready=%v view=%q, want Settings", s.Ready(), s.Current())
	}
	if !onScreen(env.Window, s.Settings.Content()) {
		t.Fatal("the Settings view is not on screen after setup")
	}
	if got := strings.Join(dialogTexts(env.Window), " "); !strings.Contains(got, "Add your prescribers and nurses") {
		t.Fatalf("after setup the dialog says %q", got)
	}
	if !strings.Contains(s.StatusText(), "Lakeside Clinic") {
		t.Fatalf("status line %q does not name the new clinic", s.StatusText())
	}
	// What was stored, read back from the file.
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Clinic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Lakeside Clinic" || c.TimeZone != "America/Chicago" {
		t.Fatalf("clinic %q in %q", c.Name, c.TimeZone)
	}
	if got := c.Hours.On(time.Wednesday); len(got) != 1 || got[0].String() != "08:30-17:30" {
		t.Fatalf("Wednesday hours %v, want 08:30-17:30", got)
	}
	if got := c.Hours.On(time.Thursday); len(got) != 0 {
		t.Fatalf("Thursday hours %v, want closed", got)
	}
	staff, err := db.StaffList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(staff) != 1 || staff[0].Name != "Dr. Kim Lee" || staff[0].Email != "kim.lee@lakeside.example" || !staff[0].HasRole(booking.RoleTherapist) {
		t.Fatalf("staff %+v, want the one therapist", staff)
	}
	if got := staff[0].Hours.On(time.Monday); len(got) != 1 || got[0].String() != "09:00-16:00" {
		t.Fatalf("therapist's Monday hours %v", got)
	}
	rooms, err := db.Rooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 1 || rooms[0].Name != "Room 1" || rooms[0].Kind != booking.RoomDosing {
		t.Fatalf("rooms %+v, want Room 1, a dosing room", rooms)
	}
	ps, err := db.Protocols(ctx)
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != len(builtin) || len(ps) == 0 {
		t.Fatalf("%d protocols stored, want the %d built-in ones", len(ps), len(builtin))
	}
}

func TestSetup_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill func(su *ui.Setup)
		want string
	}{
		{"ErrNoName", func(su *ui.Setup) { su.Name.SetText("") }, "Clinic name is required."},
		{"ErrZone", func(su *ui.Setup) { su.Zone.SetText("Mars/Olympus") }, "is not a known time zone"},
		{"ErrHours", func(su *ui.Setup) { su.TherapistHours.SetText("nine to five") }, "write it as 08:00-18:00"},
		{"ErrNoDays", func(su *ui.Setup) { su.Days.SetSelected(nil) }, "Tick at least one day"},
		{"ErrNoRoom", func(su *ui.Setup) { su.Room.SetText("") }, "Room name is required."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kapbook.db")
			s, env := firstRun(t, path, nil)
			su := s.Setup
			su.Name.SetText("Lakeside Clinic")
			su.Therapist.SetText("Dr. Kim Lee")
			su.Room.SetText("Room 1")
			tc.fill(su)
			test.Tap(su.Create)
			if s.Ready() {
				t.Fatal("the setup finished with a mistake in the form")
			}
			if !su.Problem.Visible() || !strings.Contains(su.Problem.Text, tc.want) {
				t.Fatalf("the setup says %q (visible=%v), want %q", su.Problem.Text, su.Problem.Visible(), tc.want)
			}
			if !onScreen(env.Window, su.Problem) {
				t.Fatal("the problem is not on screen")
			}
			if exists(path) {
				t.Fatal("a database file was left behind")
			}
		})
	}
}

func TestSetup_OpenDemo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "kapbook.db")
	demo := filepath.Join(dir, "kapbook-demo.db")
	if got := ui.DemoPath(path); got != demo {
		t.Fatalf("DemoPath=%q, want %q", got, demo)
	}

	t.Run("NoFileYet", func(t *testing.T) {
		s, env := firstRun(t, path, nil)
		test.Tap(s.Setup.Demo)
		if !s.Ready() || env.DBPath != demo || s.Current() != ui.ViewToday {
			t.Fatalf("after the demo choice: ready=%v, database %q, view %q; want %q on Today", s.Ready(), env.DBPath, s.Current(), demo)
		}
		if exists(path) {
			t.Fatal("the demo choice created the clinic's own database")
		}
		if !strings.Contains(s.StatusText(), "Harbor Wellness Center") {
			t.Fatalf("status line %q does not name the demo clinic", s.StatusText())
		}
		// The user is told which file holds the demo.
		if !strings.Contains(strings.Join(dialogTexts(env.Window), " "), demo) {
			t.Fatalf("no dialog names %s; shown: %q", demo, dialogTexts(env.Window))
		}
		pats, err := env.Store.FindPatients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(pats) != ui.DemoPatients {
			t.Fatalf("%d demo patients, want %d", len(pats), ui.DemoPatients)
		}
		appts, err := env.Store.Appointments(ctx, booking.AppointmentFilter{ActiveOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(appts) < ui.DemoPatients {
			t.Fatalf("%d demo appointments", len(appts))
		}
	})
	t.Run("EmptyDatabaseUntouched", func(t *testing.T) {
		// The clinic's own (empty) database exists; the demo goes beside it
		// again, to the demo made above, which is opened, not made twice.
		own, err := store.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		s2, env2 := firstRun(t, path, own)
		test.Tap(s2.Setup.Demo)
		if !s2.Ready() || env2.DBPath != demo {
			t.Fatalf("ready=%v database=%q", s2.Ready(), env2.DBPath)
		}
		pats, err := env2.Store.FindPatients(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(pats) != ui.DemoPatients {
			t.Fatalf("%d patients in the reopened demo, want %d", len(pats), ui.DemoPatients)
		}
		check, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer check.Close()
		if _, err := check.Clinic(ctx); booking.ErrorCode(err) != booking.ENOTFOUND {
			t.Fatalf("the clinic's own database: Clinic err=%v, want still no clinic", err)
		}
	})
}

// dialogTexts returns the text of the labels in the window's overlays.
func dialogTexts(w fyne.Window) []string {
	var out []string
	for _, o := range w.Canvas().Overlays().List() {
		for _, obj := range test.LaidOutObjects(o) {
			if l, ok := obj.(*widget.Label); ok {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

func TestProblem_SaysWords(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"GoError", errors.New("sqlite: SQLITE_NOTADB (26)"), "Internal error: something went wrong inside kapbook"},
		{"BookingError", booking.Errorf(booking.ESTORE, "The file is not a kapbook database."), "The file is not a kapbook database."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := test.NewTempWindow(t, ui.Problem("/x/k.db", tc.err))
			w.Resize(fyne.NewSize(720, 240))
			var labels []string
			for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
				if l, ok := o.(*widget.Label); ok {
					labels = append(labels, l.Text)
				}
			}
			got := strings.Join(labels, " ")
			if !strings.Contains(got, "/x/k.db") || !strings.Contains(got, tc.want) || strings.Contains(got, "SQLITE") {
				t.Fatalf("problem screen says %q, want the file and %q, no raw error", got, tc.want)
			}
		})
	}
}

func TestSetup_Renders(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(900, 900))
	env := &kit.Env{DBPath: "/home/desk/.local/share/kapbook/kapbook.db", Window: w, Inline: true}
	su := ui.NewSetup(env, nil)
	su.Zone.SetText("America/New_York") // not this computer's zone
	w.SetContent(su.Content())
	test.AssertRendersToMarkup(t, "setup.xml", w.Canvas())
}
