package ui

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui/kit"
)

// DemoPatients is how many sample patients the app's demo clinic books,
// as make run's does.
const DemoPatients = 6

// Setup is the first-run screen: a short form that creates the clinic
// (its name and zone, one therapist with hours, one room; the built-in
// protocols), or a button that opens the demo clinic in a database file
// of its own beside the given one.
type Setup struct {
	env  *kit.Env
	done func(own bool)

	Name, Phone      *widget.Entry
	Zone             *widget.SelectEntry
	Days             *widget.CheckGroup
	Hours            *widget.Entry // the clinic's opening hours, e.g. 08:00-18:00
	Therapist, Email *widget.Entry
	TherapistHours   *widget.Entry
	Room             *widget.Entry
	RoomKind         *widget.Select
	Create, Demo     *kit.Button
	// Server is the address of a clinic database on a PostgreSQL server,
	// Connect uses it (docs/operations.md, "Several workstations").
	Server             *widget.Entry
	Connect            *kit.Button
	where              *widget.Label
	Problem            *widget.Label // why the clinic could not be created
	content            fyne.CanvasObject
	dayKeys, dayLabels []string
}

var roomKinds = map[string]booking.RoomKind{
	"Consultation room": booking.RoomConsult,
	"Dosing room":       booking.RoomDosing,
	"Infusion room":     booking.RoomInfusion,
}

// NewSetup builds the first-run screen for env; done runs on the UI
// goroutine once env.Store holds a clinic (env.DBPath is then the file
// that holds it), with own true for the clinic made from the form, false
// for the demo clinic.
func NewSetup(env *kit.Env, done func(own bool)) *Setup {
	s := &Setup{env: env, done: done}
	for _, d := range booking.Week {
		s.dayKeys = append(s.dayKeys, d.Key)
		s.dayLabels = append(s.dayLabels, d.Short)
	}
	s.Name = widget.NewEntry()
	s.Name.SetPlaceHolder("e.g. Harbor Wellness Center")
	s.Phone = widget.NewEntry()
	s.Phone.SetPlaceHolder("optional, e.g. +1 617 555 0142")
	s.Zone = widget.NewSelectEntry(commonZones)
	s.Zone.SetText(LocalZone())
	s.Days = widget.NewCheckGroup(s.dayLabels, nil)
	s.Days.Horizontal = true
	s.Days.SetSelected(s.dayLabels[:5])
	s.Hours = widget.NewEntry()
	s.Hours.SetText("08:00-18:00")
	s.Therapist = widget.NewEntry()
	s.Therapist.SetPlaceHolder("e.g. Dr. Ana Reyes")
	s.Email = widget.NewEntry()
	s.Email.SetPlaceHolder("optional; for the therapist's calendar invitations")
	s.TherapistHours = widget.NewEntry()
	s.TherapistHours.SetText("09:00-17:00")
	s.Room = widget.NewEntry()
	s.Room.SetPlaceHolder("e.g. Consult A")
	s.RoomKind = widget.NewSelect([]string{"Consultation room", "Dosing room", "Infusion room"}, nil)
	s.RoomKind.SetSelected("Consultation room")
	s.Problem = widget.NewLabel("")
	s.Problem.Wrapping = fyne.TextWrapWord
	s.Problem.Importance = widget.DangerImportance
	s.Problem.Hide()
	s.Create = kit.NewButton("Create the clinic", s.create)
	s.Create.Importance = widget.HighImportance
	s.Demo = kit.NewButton("Open the demo clinic", s.openDemo)
	s.Server = widget.NewEntry()
	s.Server.SetPlaceHolder("postgres://kapbook@db.clinic.example/kapbook?sslmode=verify-full")
	s.Server.OnSubmitted = func(string) { s.connect() }
	s.Connect = kit.NewButton("Use this server", s.connect)

	form := widget.NewForm(
		widget.NewFormItem("Clinic name", s.Name),
		widget.NewFormItem("Time zone", s.Zone),
		widget.NewFormItem("Phone", s.Phone),
		widget.NewFormItem("Open on", s.Days),
		widget.NewFormItem("Opening hours", s.Hours),
		widget.NewFormItem("Therapist", s.Therapist),
		widget.NewFormItem("Therapist's email", s.Email),
		widget.NewFormItem("Therapist's hours", s.TherapistHours),
		widget.NewFormItem("Room", s.Room),
		widget.NewFormItem("Room kind", s.RoomKind),
	)
	title := widget.NewLabelWithStyle("Welcome to kapbook", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = "headingText"
	intro := widget.NewLabel("This database has no clinic yet. Describe yours in a few lines; you can add staff, rooms, hours and closures later in Settings. " +
		"The three built-in protocols (KAP, ketamine infusions, esketamine induction) come with it.")
	intro.Wrapping = fyne.TextWrapWord
	demo := widget.NewLabel("Just looking? The demo clinic has staff, rooms and six fictional patients with booked series. " +
		"It opens in a database file of its own, never mixed with your clinic's data.")
	demo.Wrapping = fyne.TextWrapWord
	server := widget.NewLabel("Several workstations? If this clinic's database is on a server (PostgreSQL), enter its address; " +
		"a password in it goes to this computer's keyring, never into a file.")
	server.Wrapping = fyne.TextWrapWord
	s.where = widget.NewLabel("Database: " + env.DBName())
	s.where.Importance = widget.LowImportance
	s.where.Truncation = fyne.TextTruncateEllipsis
	body := container.NewVBox(title, intro, form, s.Problem, container.NewHBox(s.Create),
		widget.NewSeparator(), server, container.NewBorder(nil, nil, nil, s.Connect, s.Server),
		widget.NewSeparator(), demo, container.NewHBox(s.Demo), s.where)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(640, body.MinSize().Height), body))
	s.content = container.NewVScroll(s.content)
	return s
}

// Content returns the screen's root object.
func (s *Setup) Content() fyne.CanvasObject { return s.content }

// clinicFile builds the clinic from the form and checks it as a clinic
// file is checked.
func (s *Setup) clinicFile() (*booking.ClinicFile, error) {
	days := map[string]bool{}
	for _, d := range s.Days.Selected {
		for i, l := range s.dayLabels {
			if l == d {
				days[s.dayKeys[i]] = true
			}
		}
	}
	if len(days) == 0 {
		return nil, booking.Errorf(booking.EINVALID, "Tick at least one day the clinic is open.")
	}
	weekly := func(what, text string) (booking.WeeklyHours, error) {
		text = strings.TrimSpace(text)
		if text == "" {
			return nil, booking.Errorf(booking.EINVALID, "%s are required; write them as 09:00-17:00.", what)
		}
		sp, err := booking.ParseSpan(strings.ReplaceAll(text, " ", ""))
		if err != nil {
			return nil, err
		}
		w := booking.WeeklyHours{}
		for d := range days {
			w[d] = []booking.Span{sp}
		}
		return w, nil
	}
	clinicHours, err := weekly("Opening hours", s.Hours.Text)
	if err != nil {
		return nil, err
	}
	staffHours, err := weekly("The therapist's hours", s.TherapistHours.Text)
	if err != nil {
		return nil, err
	}
	f := &booking.ClinicFile{
		Clinic: booking.Clinic{Name: strings.TrimSpace(s.Name.Text), TimeZone: strings.TrimSpace(s.Zone.Text),
			Hours: clinicHours, Phone: strings.TrimSpace(s.Phone.Text)},
		Staff: []booking.Staff{{Name: strings.TrimSpace(s.Therapist.Text), Email: strings.TrimSpace(s.Email.Text),
			Roles: []booking.Role{booking.RoleTherapist}, Hours: staffHours}},
		Rooms: []booking.Room{{Name: strings.TrimSpace(s.Room.Text), Kind: roomKinds[s.RoomKind.Selected]}},
	}
	data, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	return booking.ParseClinicFile(data)
}

// create makes the clinic from the form in env.DBPath.
func (s *Setup) create() {
	f, err := s.clinicFile()
	if err != nil {
		s.fail(err)
		return
	}
	path := s.env.DBPath
	s.Create.Disable()
	s.Demo.Disable()
	var db booking.Store
	s.env.Run("Creating the clinic", func(ctx context.Context) error {
		ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
		if err != nil {
			return err
		}
		db, err = initDatabase(ctx, s.env.Store, path, func(ctx context.Context, st booking.Store) error {
			return booking.InitClinic(ctx, st, f, ps, actorOf(s.env), s.env.Time())
		})
		return err
	}, func(err error) {
		s.Create.Enable()
		s.Demo.Enable()
		if err != nil {
			s.fail(err)
			return
		}
		s.use(db, path, true)
		s.env.Notify("The clinic is ready", "Add your prescribers and nurses (every dosing session needs one), "+
			"your other rooms, opening hours and closures here in Settings before you book.")
	})
}

// openDemo opens the demo clinic beside env.DBPath, creating it with
// sample patients the first time.
func (s *Setup) openDemo() {
	path := DemoPath(s.env.DBPath)
	s.Create.Disable()
	s.Demo.Disable()
	var db booking.Store
	s.env.Run("Opening the demo clinic", func(ctx context.Context) error {
		var err error
		db, err = initDatabase(ctx, nil, path, func(ctx context.Context, st booking.Store) error {
			now := s.env.Time()
			if err := resources.InitDemo(ctx, st, actorOf(s.env), now); err != nil {
				return err
			}
			c, err := st.Clinic(ctx)
			if err != nil {
				return err
			}
			svc := &booking.Service{Store: st, Now: s.env.Now, Actor: actorOf(s.env)}
			_, err = resources.BookSamples(ctx, svc, DemoPatients, booking.DateOf(now.In(c.Location()))+1)
			return err
		})
		return err
	}, func(err error) {
		s.Create.Enable()
		s.Demo.Enable()
		if err != nil {
			s.fail(err)
			return
		}
		own := s.env.DBPath
		if c, ok := s.env.Store.(io.Closer); ok && c != nil && s.env.Store != db {
			c.Close()
		}
		s.use(db, path, false)
		s.env.Notify("The demo clinic", "The demo clinic is in its own file, "+path+
			". Your database "+own+" was not changed. To open the demo again, start kapbook with --db "+path+".")
	})
}

// connect opens the clinic database at the server address typed: one
// that holds a clinic is used at once; an empty one is set up by the form
// above (Create). The address is remembered for this workstation without
// its password, which goes to the keyring.
func (s *Setup) connect() {
	addr := strings.TrimSpace(s.Server.Text)
	if !store.IsURL(addr) {
		s.fail(booking.Errorf(booking.EINVALID, "Enter the server's address as postgres://USER@HOST/DATABASE, as your administrator gave it."))
		return
	}
	kept, password := store.WithoutPassword(addr)
	var db *store.DB
	var hasClinic bool
	var keyringErr error
	s.Connect.Disable()
	s.env.Run("Connecting to the server", func(ctx context.Context) error {
		var err error
		db, err = store.Open(addr)
		if booking.ErrorCode(err) == booking.ENOTFOUND {
			db, err = store.Create(addr)
		}
		if err != nil {
			return err
		}
		if _, err := db.Clinic(ctx); err == nil {
			hasClinic = true
		} else if booking.ErrorCode(err) != booking.ENOTFOUND {
			db.Close()
			return err
		}
		if password != "" {
			keyringErr = store.SavePassword(addr, password)
		}
		return nil
	}, func(err error) {
		s.Connect.Enable()
		if err != nil {
			s.fail(err)
			return
		}
		if keyringErr != nil {
			// Kept without it all the same: a password never goes into a
			// file of kapbook's; the message says where to put it.
			s.env.Notify("The password was not kept", kit.Message(keyringErr))
		}
		if p := s.env.Preferences(); p != nil {
			p.SetString(kit.PrefDatabase, kept)
		}
		if c, ok := s.env.Store.(io.Closer); ok && c != nil {
			c.Close()
		}
		s.Problem.Hide()
		if hasClinic {
			s.use(db, addr, false)
			return
		}
		s.env.Store, s.env.DBPath = db, addr
		s.env.Service.Store = db
		s.where.SetText("Database: " + s.env.DBName() + " (connected; it has no clinic yet: describe it above and press Create)")
	})
}

// use makes db the env's store and finishes the setup.
func (s *Setup) use(db booking.Store, path string, own bool) {
	s.env.Store, s.env.DBPath = db, path
	s.env.Service.Store = db
	if s.done != nil {
		s.done(own)
	}
}

func (s *Setup) fail(err error) {
	s.Problem.SetText(kit.Message(err))
	s.Problem.Show()
}

// initDatabase returns the store at path holding a clinic: st if it is
// not nil, else the database at path, created if missing. When the store
// has no clinic yet, init fills it; a database file this call created is
// removed again when init fails.
func initDatabase(ctx context.Context, st booking.Store, path string, init func(context.Context, booking.Store) error) (booking.Store, error) {
	created := false
	if st == nil {
		db, err := store.Open(path)
		if booking.ErrorCode(err) == booking.ENOTFOUND {
			db, err = store.Create(path)
			created = err == nil
		}
		if err != nil {
			return nil, err
		}
		st = db
	}
	_, err := st.Clinic(ctx)
	if err == nil {
		return st, nil // the demo clinic made earlier
	}
	if booking.ErrorCode(err) == booking.ENOTFOUND {
		err = init(ctx, st)
	}
	if err != nil && created && !store.IsURL(path) {
		if c, ok := st.(io.Closer); ok {
			c.Close()
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// DemoPath returns the demo clinic's database beside path: kapbook.db
// gives kapbook-demo.db.
func DemoPath(path string) string {
	if store.IsURL(path) {
		// The demo clinic never goes into a clinic's shared database.
		return filepath.Join(filepath.Dir(store.DefaultPath()), "kapbook-demo.db")
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-demo" + ext
}

// LocalZone returns this computer's IANA time zone if it can be found
// (TZ, then on Windows the registry's Windows zone name mapped with CLDR's
// table, elsewhere /etc/timezone or /etc/localtime), else America/New_York.
func LocalZone() string {
	if z := os.Getenv("TZ"); validZone(z) {
		return strings.TrimPrefix(z, ":")
	}
	if z, ok := ianaZone(windowsZoneName()); ok {
		return z
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil && validZone(string(b)) {
		return strings.TrimSpace(string(b))
	}
	if l, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(l, "zoneinfo/"); i >= 0 && validZone(l[i+len("zoneinfo/"):]) {
			return l[i+len("zoneinfo/"):]
		}
	}
	return "America/New_York"
}

// validZone reports whether z names an IANA time zone of a place
// (Area/Location) that kapbook knows.
func validZone(z string) bool {
	z = strings.TrimSpace(strings.TrimPrefix(z, ":"))
	if z == "" || z == "Local" || !strings.Contains(z, "/") {
		return false
	}
	_, err := time.LoadLocation(z)
	return err == nil
}

// ianaZone returns the IANA name of the Windows time zone windows (such as
// "Eastern Standard Time", America/New_York) from CLDR's table, if the
// table has it and kapbook knows the zone.
func ianaZone(windows string) (string, bool) {
	if windows == "" {
		return "", false
	}
	z, ok := calendar.WindowsZone(windows)
	if !ok || !validZone(z) {
		return "", false
	}
	return z, true
}

// commonZones are offered in the setup's time-zone field; any IANA name
// may be typed.
var commonZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver",
	"Europe/London", "Europe/Dublin", "Europe/Berlin", "Europe/Paris", "Europe/Amsterdam",
	"Australia/Sydney", "Australia/Melbourne", "Pacific/Auckland",
}
