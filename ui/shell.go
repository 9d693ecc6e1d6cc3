// Package ui is kapbook's app shell: the main window's navigation between
// the screens (ui/today, ui/schedule, ui/booker, ui/patients, ui/outbox,
// ui/settings), the keyboard shortcuts, the status line, the first-run
// setup and the work the app does in the background while it runs. Like
// the screens, it never imports fyne.io/fyne/v2/app, so its tests run
// headless and without cgo; package main wires it to a real window.
package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui/booker"
	"github.com/kapbook/kapbook/ui/kit"
	"github.com/kapbook/kapbook/ui/outbox"
	"github.com/kapbook/kapbook/ui/patients"
	"github.com/kapbook/kapbook/ui/schedule"
	"github.com/kapbook/kapbook/ui/settings"
	"github.com/kapbook/kapbook/ui/today"
)

// The views of the main window, by the names the last-view preference
// stores.
const (
	ViewToday    = "today"
	ViewSchedule = "schedule"
	ViewBook     = "book"
	ViewPatients = "patients"
	ViewOutbox   = "outbox"
	ViewSettings = "settings"
)

// Views lists the views in the order of the sidebar.
var Views = []string{ViewToday, ViewSchedule, ViewBook, ViewPatients, ViewOutbox, ViewSettings}

var viewTitles = map[string]string{
	ViewToday:    "Today",
	ViewSchedule: "Schedule",
	ViewBook:     "Book a series",
	ViewPatients: "Patients",
	ViewOutbox:   "Outbox",
	ViewSettings: "Settings",
}

// viewIcon returns the sidebar icon of a view (the theme's, so it
// follows light and dark).
func viewIcon(name string) fyne.Resource {
	switch name {
	case ViewToday:
		return theme.HomeIcon()
	case ViewSchedule:
		return theme.GridIcon()
	case ViewBook:
		return theme.ContentAddIcon()
	case ViewPatients:
		return theme.AccountIcon()
	case ViewOutbox:
		return theme.MailSendIcon()
	}
	return theme.SettingsIcon()
}

// Preference keys of the shell.
const (
	// PrefView is the view shown last, restored at the next start.
	PrefView = "shell.view"
	// PrefWidth and PrefHeight are the window's size when it was last
	// closed. Fyne cannot place a window on every driver (X11 and
	// Wayland leave that to the window manager), so the position is not
	// remembered.
	PrefWidth  = "shell.width"
	PrefHeight = "shell.height"
)

// BackgroundDelay is how long after Start the shell's background work
// first sends due email, so that it does not slow the window's start.
var BackgroundDelay = 3 * time.Second

// DefaultSize is the window's size at the first start.
var DefaultSize = fyne.NewSize(1200, 780)

// The shortcuts of the main window. ShortcutDefault is Ctrl on Linux and
// Windows, Cmd on macOS.
var (
	ShortcutNewBooking  = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	ShortcutFindPatient = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	ShortcutToday       = &desktop.CustomShortcut{KeyName: fyne.KeyT, Modifier: fyne.KeyModifierShortcutDefault}
	// Ctrl+PageDown and Ctrl+PageUp: the next and previous tab, as in
	// browsers and office programs (Ctrl on every system).
	ShortcutNextTab     = &desktop.CustomShortcut{KeyName: fyne.KeyPageDown, Modifier: fyne.KeyModifierControl}
	ShortcutPreviousTab = &desktop.CustomShortcut{KeyName: fyne.KeyPageUp, Modifier: fyne.KeyModifierControl}
)

// ShortcutViews are Ctrl+1 to Ctrl+6: the views by their place in the
// sidebar (Views), each shown as the sidebar shows it. The letters above
// are actions: a new booking, the patient search, Today.
var ShortcutViews = map[string]*desktop.CustomShortcut{}

func init() {
	for i, name := range Views {
		ShortcutViews[name] = &desktop.CustomShortcut{KeyName: fyne.KeyName(fmt.Sprint(i + 1)), Modifier: fyne.KeyModifierShortcutDefault}
	}
}

// screen is what every view package's View offers.
type screen interface {
	Content() fyne.CanvasObject
	Refresh()
}

// Shell is the main window's content: a sidebar of views, the current
// view, and a status line. It implements kit.Navigator. When the database
// has no clinic yet it shows the first-run Setup instead, and the views
// once the clinic exists.
type Shell struct {
	env *kit.Env

	// The views, each nil until first shown.
	Today    *today.View
	Schedule *schedule.View
	Booker   *booker.View
	Patients *patients.View
	Outbox   *outbox.View
	Settings *settings.View

	// Setup is the first-run setup while it shows, else nil.
	Setup *Setup
	// Nav holds the sidebar's buttons by view name.
	Nav map[string]*kit.Button
	// Status is the status line at the bottom of the window.
	Status *widget.Label

	root    *fyne.Container // the setup or the main layout
	tipped  *kit.Tipped     // root, with cut texts shown whole on hover
	stack   *fyne.Container // the views, all but the current one hidden
	screens map[string]screen
	current string
	shown   map[string]bool
	started bool // Start was called: run the background work once ready
	bg      *Background

	mu     sync.Mutex // guards status
	status statusParts
}

type statusParts struct{ clinic, actor, email, feeds, database string }

// New builds the shell for env and makes it env's Navigator. env.Store
// may be nil when the database file does not exist yet: the shell then
// shows the first-run setup, which creates it at env.DBPath. With a
// window in env, New also installs the menu, the shortcuts and the
// keyboard handling, and restores the window's size.
func New(env *kit.Env) *Shell {
	s := &Shell{env: env, Nav: map[string]*kit.Button{}, shown: map[string]bool{}}
	env.Nav = s
	if env.Service == nil {
		env.Service = &booking.Service{Store: env.Store}
	}
	if env.Service.Actor == "" {
		env.Service.Actor = Actor(env.Preferences())
	}
	s.status.actor = env.Service.Actor
	s.status.email, s.status.feeds = "Email: starting", "Feeds: off"
	s.Status = widget.NewLabel("")
	s.Status.Truncation = fyne.TextTruncateEllipsis
	s.root = container.NewStack()
	s.tipped = kit.NewTipped(s.root)

	var c *booking.Clinic
	var err error
	if env.Store != nil {
		c, err = env.Store.Clinic(context.Background())
	} else {
		err = booking.Errorf(booking.ENOTFOUND, "No database yet.")
	}
	switch {
	case err == nil:
		s.status.clinic = c.Name
		s.ready()
	case booking.ErrorCode(err) == booking.ENOTFOUND:
		s.Setup = NewSetup(env, s.setupDone)
		s.root.Objects = []fyne.CanvasObject{s.Setup.Content()}
	default:
		s.root.Objects = []fyne.CanvasObject{Problem(env.DBName(), err)}
	}
	s.updateStatus()
	if env.Window != nil {
		s.install(env.Window)
	}
	return s
}

// Actor returns who uses this workstation: the kit.PrefActor preference,
// else the computer's user name (without its Windows domain), else
// "Front desk".
func Actor(p fyne.Preferences) string {
	if p != nil {
		if a := strings.TrimSpace(p.String(kit.PrefActor)); a != "" {
			return a
		}
	}
	if u, err := user.Current(); err == nil {
		// Windows gives DOMAIN\name as the full name of an account that
		// has none.
		if n := store.UserName(strings.TrimSpace(u.Name)); n != "" && !strings.ContainsAny(n, ",\n") {
			return n
		}
		if u.Username != "" {
			return store.UserName(u.Username) // not DOMAIN\name on Windows
		}
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "Front desk"
}

// Content returns the shell's root object (the same one every call): the
// window's content.
func (s *Shell) Content() fyne.CanvasObject { return s.tipped }

// Current returns the name of the view showing ("" during setup).
func (s *Shell) Current() string { return s.current }

// Ready reports whether the clinic exists and the views show.
func (s *Shell) Ready() bool { return s.screens != nil }

// ready builds the main layout and shows the last view.
func (s *Shell) ready() {
	env := s.env
	s.Setup = nil
	s.screens = map[string]screen{}
	side := container.NewVBox()
	for _, name := range Views {
		name := name
		b := kit.NewButtonWithIcon(viewTitles[name], viewIcon(name), func() { s.Show(name) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		s.Nav[name] = b
		side.Add(b)
	}
	keys := widget.NewLabel(KeysHelp())
	keys.Importance = widget.LowImportance
	keys.SizeName = theme.SizeNameCaptionText
	sidebar := container.NewBorder(side, keys, nil, nil)
	// The views are built when first shown (a quicker start), and then
	// stay in the window, hidden but for the one showing.
	s.stack = container.NewStack()
	main := container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), s.Status), container.NewHBox(sidebar, widget.NewSeparator()), nil, s.stack)
	s.root.Objects = []fyne.CanvasObject{main}
	s.root.Refresh()
	env.OnChange(s.reloadStatus)

	view := ViewToday
	if p := env.Preferences(); p != nil {
		if v := p.String(PrefView); viewTitles[v] != "" {
			view = v
		}
	}
	s.Show(view)
}

// KeysHelp returns the shortcuts as the sidebar lists them under the
// views, one a line.
func KeysHelp() string {
	return fmt.Sprintf("%s…%s  views above\n%s  new booking\n%s  find patient\n%s  today",
		shortcutText(ShortcutViews[Views[0]]), string(ShortcutViews[Views[len(Views)-1]].KeyName),
		shortcutText(ShortcutNewBooking), shortcutText(ShortcutFindPatient), shortcutText(ShortcutToday))
}

// shortcutText writes a shortcut as the menu does, e.g. "Ctrl+N".
func shortcutText(sc *desktop.CustomShortcut) string {
	mod := "Ctrl"
	if fyne.KeyModifierShortcutDefault == fyne.KeyModifierSuper {
		mod = "Cmd"
	}
	return mod + "+" + string(sc.KeyName)
}

// setupDone is called by the setup once the clinic exists; a clinic just
// made from the form opens on Settings, to add the rest of the staff.
func (s *Shell) setupDone(own bool) {
	if c, err := s.env.Store.Clinic(context.Background()); err == nil {
		s.mu.Lock()
		s.status.clinic = c.Name
		s.mu.Unlock()
	}
	s.ready()
	if own {
		s.Show(ViewSettings)
	}
	s.updateStatus()
	if s.started {
		s.startBackground()
	}
}

// Show shows the named view (one of Views) and remembers it. The first
// time a view shows, it loads its data.
func (s *Shell) Show(name string) {
	if !s.Ready() {
		return // the setup or a problem shows
	}
	scr := s.view(name)
	if scr == nil {
		return
	}
	if s.env.Window != nil && s.current != name {
		// Keys must not go to a field of the view that is leaving.
		s.env.Window.Canvas().Unfocus()
	}
	// Nor may a cut text of that view stay shown whole over the next one
	// (the pointer did not leave it: the view went).
	s.tipped.HideTip()
	s.current = name
	for n, other := range s.screens {
		if n != name && other.Content().Visible() {
			other.Content().Hide()
		}
	}
	scr.Content().Show()
	for n, b := range s.Nav {
		imp := widget.LowImportance
		if n == name {
			imp = widget.HighImportance
		}
		if b.Importance != imp {
			b.Importance = imp
			b.Refresh()
		}
	}
	if !s.shown[name] {
		s.shown[name] = true
		if name == ViewBook {
			s.Booker.Start(0)
		}
		scr.Refresh()
	}
	if p := s.env.Preferences(); p != nil && p.String(PrefView) != name {
		p.SetString(PrefView, name)
	}
}

// view returns the named view, building it and adding it to the window
// the first time; nil for a name that is not a view.
func (s *Shell) view(name string) screen {
	if scr := s.screens[name]; scr != nil {
		return scr
	}
	env := s.env
	var scr screen
	switch name {
	case ViewToday:
		s.Today = today.New(env)
		scr = s.Today
	case ViewSchedule:
		s.Schedule = schedule.New(env)
		scr = s.Schedule
	case ViewBook:
		s.Booker = booker.New(env)
		scr = s.Booker
	case ViewPatients:
		s.Patients = patients.New(env)
		scr = s.Patients
	case ViewOutbox:
		s.Outbox = outbox.New(env)
		scr = s.Outbox
	case ViewSettings:
		s.Settings = settings.New(env)
		scr = s.Settings
	default:
		return nil
	}
	s.screens[name] = scr
	c := scr.Content()
	c.Hide()
	s.stack.Add(c)
	return scr
}

// ShowSchedule shows the schedule at the given day (0: today).
func (s *Shell) ShowSchedule(day booking.Date) {
	if !s.Ready() {
		return
	}
	s.Show(ViewSchedule)
	s.Schedule.ShowDay(day)
}

// ShowAppointment shows the schedule at the appointment's day with the
// appointment selected.
func (s *Shell) ShowAppointment(id int64) {
	if !s.Ready() {
		return
	}
	s.Show(ViewSchedule)
	s.Schedule.Select(id)
}

// ShowPatient shows the patient's page.
func (s *Shell) ShowPatient(id int64) {
	if !s.Ready() {
		return
	}
	s.Show(ViewPatients)
	s.Patients.Show(id)
}

// FindPatient shows the patient list with the search field focused.
func (s *Shell) FindPatient() {
	if !s.Ready() {
		return
	}
	s.Show(ViewPatients)
	s.Patients.Find()
}

// proposalHolder is a Book screen that says whether it shows a proposal
// not booked yet, which starting a new booking would throw away.
type proposalHolder interface {
	HasUnbookedProposal() bool
}

// NewBooking starts the book-a-series flow, for the patient if patientID
// is not 0. When the Book screen shows a proposal not booked yet, it
// shows it and asks first: Enter starts the new booking, Escape keeps
// the proposal.
func (s *Shell) NewBooking(patientID int64) {
	if !s.Ready() {
		return
	}
	if h, ok := s.screens[ViewBook].(proposalHolder); ok && h.HasUnbookedProposal() && s.env.Window != nil {
		s.Show(ViewBook)
		s.env.Ask("Discard the proposal?",
			"The proposal on the Book screen is not booked yet. Start a new booking and discard it?",
			"Start a new booking", "Keep the proposal", func() { s.newBooking(patientID) }, nil)
		return
	}
	s.newBooking(patientID)
}

func (s *Shell) newBooking(patientID int64) {
	s.shown[ViewBook] = true // Start below begins the booking
	s.Show(ViewBook)
	if b, ok := s.screens[ViewBook].(interface{ Start(patientID int64) }); ok {
		b.Start(patientID)
	}
}

// ShowToday shows the front desk's morning view.
func (s *Shell) ShowToday() {
	if !s.Ready() {
		return
	}
	s.Show(ViewToday)
}

// ShowOutbox shows the outbox, with the message selected if id is not 0.
func (s *Shell) ShowOutbox(id int64) {
	if !s.Ready() {
		return
	}
	s.Show(ViewOutbox)
	s.Outbox.Select(id)
}

var _ kit.Navigator = (*Shell)(nil)

// install adds the menu, the shortcuts and the keyboard handling to w,
// sets the app's theme (kit.Theme), restores its size, and saves the size when it closes or the app stops
// (it sets the app's Lifecycle OnStopped).
func (s *Shell) install(w fyne.Window) {
	c := w.Canvas()
	for _, sc := range []struct {
		sc *desktop.CustomShortcut
		fn func()
	}{
		{ShortcutNewBooking, func() { s.NewBooking(0) }},
		{ShortcutFindPatient, s.FindPatient},
		{ShortcutToday, s.ShowToday},
	} {
		fn := sc.fn
		c.AddShortcut(sc.sc, func(fyne.Shortcut) { fn() })
	}
	// The menu shows the shortcuts, and takes them even while a field
	// has the focus.
	item := func(label string, sc fyne.Shortcut, fn func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Shortcut = sc
		return it
	}
	views := fyne.NewMenu("View")
	for _, name := range Views {
		name := name
		c.AddShortcut(ShortcutViews[name], func(fyne.Shortcut) { s.Show(name) })
		it := fyne.NewMenuItem(viewTitles[name], func() { s.Show(name) })
		it.Shortcut = ShortcutViews[name]
		views.Items = append(views.Items, it)
	}
	tabs := fyne.NewMenu("Tabs",
		item("Next tab", ShortcutNextTab, func() { s.StepTab(1) }),
		item("Previous tab", ShortcutPreviousTab, func() { s.StepTab(-1) }))
	c.AddShortcut(ShortcutNextTab, func(fyne.Shortcut) { s.StepTab(1) })
	c.AddShortcut(ShortcutPreviousTab, func(fyne.Shortcut) { s.StepTab(-1) })
	// Keys not taken by a focused field move through the schedule.
	c.SetOnTypedKey(s.typedKey)

	w.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("Go",
		item("Today", ShortcutToday, s.ShowToday),
		item("Schedule", nil, func() { s.ShowSchedule(0) }),
		item("Book a series…", ShortcutNewBooking, func() { s.NewBooking(0) }),
		item("Find a patient…", ShortcutFindPatient, s.FindPatient),
		item("Outbox", nil, func() { s.ShowOutbox(0) }),
		item("Settings", nil, func() { s.Show(ViewSettings) }),
	), views, tabs))
	// The focus shows strongly (kit.Theme); light and dark still follow
	// the system.
	if a := s.env.App; a != nil {
		a.Settings().SetTheme(kit.Theme(a.Settings().Theme()))
	}

	size := DefaultSize
	if p := s.env.Preferences(); p != nil {
		if wd, ht := p.Float(PrefWidth), p.Float(PrefHeight); wd >= 400 && ht >= 300 {
			size = fyne.NewSize(float32(wd), float32(ht))
		}
	}
	w.Resize(size)
	w.SetCloseIntercept(func() {
		s.SaveWindow()
		w.Close()
	})
	// Fyne writes the preferences once more as the app stops, after this.
	if s.env.App != nil {
		s.env.App.Lifecycle().SetOnStopped(s.SaveWindow)
	}
}

// tabbed is a view with tabs (Settings; Book's proposal): Ctrl+PageDown
// and Ctrl+PageUp move through them, as in a browser, since Fyne's tabs
// take no keyboard focus.
type tabbed interface {
	TabSet() *container.AppTabs
}

// StepTab shows the next tab (dir 1) or the previous one (-1) of the
// view showing, going round, and takes the focus off the field of the
// tab that went, so that keys do not go to a field no longer shown (Tab
// then goes to the new tab's first field). It reports whether the view
// has tabs.
func (s *Shell) StepTab(dir int) bool {
	t, ok := s.screens[s.current].(tabbed)
	if !ok || t.TabSet() == nil || len(t.TabSet().Items) == 0 {
		return false
	}
	tabs := t.TabSet()
	n := len(tabs.Items)
	tabs.SelectIndex(((tabs.SelectedIndex()+dir)%n + n) % n)
	if s.env.Window != nil {
		s.env.Window.Canvas().Unfocus()
	}
	return true
}

// keyTaker is a view that uses keys no field took, as the schedule does
// (arrows, PageUp, PageDown).
type keyTaker interface {
	TypedKey(ev *fyne.KeyEvent) bool
}

// typedKey handles a key that no field took. While a dialog shows,
// Escape presses its dismiss button and Enter its confirm button (Fyne's
// dialogs leave keys alone). A key reaches it only when nothing has the
// focus: Fyne gives a key to the focused widget alone, so Enter on a
// focused button (a kit.Button) presses that button and never this
// default as well. Otherwise the key goes to the view showing,
// if it takes keys: the schedule moves by days and weeks.
func (s *Shell) typedKey(ev *fyne.KeyEvent) {
	if s.env.Window != nil {
		if top := s.env.Window.Canvas().Overlays().Top(); top != nil {
			dialogKey(top, ev)
			return
		}
	}
	if k, ok := s.screens[s.current].(keyTaker); ok {
		k.TypedKey(ev)
	}
}

// dialogKey presses the button of the dialog shown in overlay that the
// key stands for: Escape the dismiss button, Enter the confirm button
// (or, in either case, the only button). It reports whether it pressed
// one.
func dialogKey(overlay fyne.CanvasObject, ev *fyne.KeyEvent) bool {
	if ev.Name != fyne.KeyEscape && ev.Name != fyne.KeyReturn && ev.Name != fyne.KeyEnter {
		return false
	}
	pop, ok := overlay.(*widget.PopUp)
	if !ok {
		return false
	}
	// A Fyne dialog's pop-up holds its buttons in the fourth object of
	// its content (fyne.io/fyne/v2/dialog, base.go).
	c, ok := pop.Content.(*fyne.Container)
	if !ok || len(c.Objects) != 5 {
		return false
	}
	var buttons []*widget.Button
	var collect func(o fyne.CanvasObject)
	collect = func(o fyne.CanvasObject) {
		if b, ok := kit.AsButton(o); ok {
			if b.Visible() && !b.Disabled() {
				buttons = append(buttons, b)
			}
			return
		}
		if o, ok := o.(*fyne.Container); ok {
			for _, child := range o.Objects {
				collect(child)
			}
		}
	}
	collect(c.Objects[3])
	var press *widget.Button
	if len(buttons) == 1 {
		press = buttons[0]
	} else {
		for _, b := range buttons {
			if (b.Importance == widget.HighImportance) == (ev.Name != fyne.KeyEscape) {
				if press != nil {
					return false // more than one: leave it to the mouse
				}
				press = b
			}
		}
	}
	if press == nil || press.OnTapped == nil {
		return false
	}
	press.OnTapped()
	return true
}

// SaveWindow remembers the window's size for the next start.
func (s *Shell) SaveWindow() {
	p := s.env.Preferences()
	if p == nil || s.env.Window == nil {
		return
	}
	size := s.env.Window.Canvas().Size()
	if size.Width < 400 || size.Height < 300 {
		return
	}
	p.SetFloat(PrefWidth, float64(size.Width))
	p.SetFloat(PrefHeight, float64(size.Height))
}

// Start starts the background work (due email, calendar feeds) once the
// clinic exists: at once, or when the first-run setup finishes. Call it
// once the app runs; Close stops it.
func (s *Shell) Start() {
	s.started = true
	if s.Ready() {
		s.startBackground()
	}
}

func (s *Shell) startBackground() {
	if s.bg != nil {
		return
	}
	s.bg = &Background{Env: s.env, OnStatus: s.setBackgroundStatus, OnDatabase: s.setDatabaseStatus, FirstAfter: BackgroundDelay}
	addr := ""
	if p := s.env.Preferences(); p != nil {
		addr = strings.TrimSpace(p.String(kit.PrefFeedsAddr))
	}
	s.bg.FeedsAddr = addr
	s.bg.Start()
}

// Close saves the window's size, stops the background work, waits for
// the screens' work to end, and closes the database.
func (s *Shell) Close() error {
	s.SaveWindow()
	if s.bg != nil {
		s.bg.Stop()
	}
	s.env.Wait()
	if c, ok := s.env.Store.(io.Closer); ok && c != nil {
		return c.Close()
	}
	return nil
}

// Background returns the background work, nil before Start.
func (s *Shell) Background() *Background { return s.bg }

// setBackgroundStatus takes the background work's news; it may be called
// from any goroutine.
func (s *Shell) setBackgroundStatus(email, feeds string) {
	s.mu.Lock()
	if email != "" {
		s.status.email = email
	}
	if feeds != "" {
		s.status.feeds = feeds
	}
	s.mu.Unlock()
	fyne.Do(s.updateStatus)
}

// setDatabaseStatus shows that the database does not answer ("" once it
// does again), first in the status line.
func (s *Shell) setDatabaseStatus(problem string) {
	s.mu.Lock()
	s.status.database = problem
	s.mu.Unlock()
	fyne.Do(s.updateStatus)
}

// reloadStatus reloads the clinic's name and the workstation's user after
// a change.
func (s *Shell) reloadStatus() {
	var name string
	s.env.Run("Loading the clinic", func(ctx context.Context) error {
		c, err := s.env.Store.Clinic(ctx)
		if err == nil {
			name = c.Name
		}
		return err
	}, func(err error) {
		s.mu.Lock()
		if err == nil {
			s.status.clinic = name
		}
		if a := strings.TrimSpace(prefString(s.env.Preferences(), kit.PrefActor)); a != "" {
			s.status.actor = a
			s.env.Service.Actor = a
		}
		s.mu.Unlock()
		s.updateStatus()
		if bg := s.bg; bg != nil {
			// A new feeds address from Settings serves at once.
			go bg.ServeFeeds(strings.TrimSpace(prefString(s.env.Preferences(), kit.PrefFeedsAddr)))
		}
	})
}

func prefString(p fyne.Preferences, key string) string {
	if p == nil {
		return ""
	}
	return p.String(key)
}

// StatusText returns what the status line says.
func (s *Shell) StatusText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := []string{}
	if s.status.clinic != "" {
		parts = append(parts, s.status.clinic)
	}
	if s.status.database != "" {
		parts = append(parts, s.status.database)
	}
	parts = append(parts, "At this desk: "+s.status.actor, s.status.email, s.status.feeds)
	return strings.Join(parts, "  ·  ")
}

// updateStatus shows the status line, and the clinic in the window's
// title.
func (s *Shell) updateStatus() {
	s.Status.SetText(s.StatusText())
	s.mu.Lock()
	clinic := s.status.clinic
	s.mu.Unlock()
	if w := s.env.Window; w != nil && clinic != "" {
		if title := "kapbook · " + clinic; w.Title() != title {
			w.SetTitle(title)
		}
	}
}
