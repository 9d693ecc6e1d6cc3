package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/calendar/caldav"
	"github.com/kapbook/kapbook/ui/kit"
)

// calendarLogLines is how many lines of a calendar's sync log the panel
// shows, newest first.
const calendarLogLines = 8

// newCalendarChoice is the connect dialog's choice of a calendar that
// kapbook makes.
const newCalendarChoice = "A new calendar for kapbook"

// calendarPanel shows one staff member's own calendar on a CalDAV server
// (calendar/caldav), which kapbook keeps in step both ways: connect it,
// see how it stands and its sync log, sync now, disconnect. Connect,
// Sync now and Disconnect use the app's one syncer (kit.Env.CalDAV),
// which the background runs.
type calendarPanel struct {
	v       *View
	content fyne.CanvasObject

	staff  *booking.Staff // whose calendar; nil: none chosen
	status *caldav.Status // as last read; nil: not connected
	dlg    *connectDialog // the connect dialog last opened
	remove *widget.Check  // the disconnect dialog's, last opened
	busy   bool           // an action runs: its buttons wait
	// relayout lays out what holds the panel again, after its wrapped
	// texts changed height.
	relayout func()

	info       *widget.Label
	problem    *widget.Label // the last sync's failure
	logTitle   *widget.Label
	log        *widget.Label
	connect    *kit.Button
	syncNow    *kit.Button
	disconnect *kit.Button
	note       *widget.Label
}

func newCalendarPanel(v *View) *calendarPanel {
	p := &calendarPanel{v: v}
	p.info = explain("")
	p.problem = explain("")
	p.problem.Importance = widget.DangerImportance
	p.problem.Hide()
	p.logTitle = widget.NewLabel("Sync log, newest first")
	p.log = explain("")
	p.connect = kit.NewButton("Connect calendar…", p.openConnect)
	p.syncNow = kit.NewButton("Sync now", p.doSync)
	p.disconnect = kit.NewButton("Disconnect…", p.askDisconnect)
	p.disconnect.Importance = widget.DangerImportance
	p.note = newNote()
	p.content = container.NewVBox(
		heading("Their calendar, both ways (CalDAV)"),
		explain("Connect the staff member's own calendar on a CalDAV server (Nextcloud, Fastmail, iCloud, Radicale…): kapbook puts their appointments in it within seconds of any change and reads their busy time from it every 5 minutes. It replaces a subscribed calendar."),
		p.info,
		p.problem,
		container.NewHBox(p.connect, p.syncNow, p.disconnect),
		p.note,
		p.logTitle,
		p.log,
	)
	p.showStatus(nil)
	return p
}

// set shows the calendar of s, reading how it stands off the UI
// goroutine.
func (p *calendarPanel) set(s *booking.Staff) {
	if p.staff == nil || p.staff.ID != s.ID {
		p.note.Hide()
		p.status = nil
		p.info.SetText("")
	}
	p.staff = s
	id := s.ID
	var st *caldav.Status
	p.v.env.RunQuietly(func(ctx context.Context) error {
		all, err := caldav.Statuses(ctx, p.v.env.Store, calendarLogLines)
		for i := range all {
			if all[i].Account.StaffID == id {
				st = &all[i]
			}
		}
		return err
	}, func(err error) {
		if p.staff == nil || p.staff.ID != id {
			return // another member was chosen meanwhile
		}
		if err != nil {
			p.info.SetText("How the calendar stands cannot be read: " + kit.Message(err))
			return
		}
		p.showStatus(st)
	})
}

// showStatus shows st, or that no calendar is connected, and the
// buttons that apply.
func (p *calendarPanel) showStatus(st *caldav.Status) {
	p.status = st
	connected := st != nil
	p.connect.Hidden = connected
	p.syncNow.Hidden = !connected
	p.disconnect.Hidden = !connected
	p.logTitle.Hidden = !connected
	p.log.Hidden = !connected
	local := ""
	if connected && p.staff != nil {
		local = p.v.env.CalDAV().LocalProblem(p.staff.ID)
	}
	p.problem.Hidden = !connected || st.Account.Error == "" && local == ""
	p.enable()
	if !connected {
		name := "This staff member"
		if p.staff != nil {
			name = p.staff.Name
		}
		p.info.SetText(name + " has no calendar connected.")
		p.laidOut()
		return
	}
	a, loc := st.Account, p.v.loc()
	user := ""
	if a.User != "" {
		user = ", signed in as " + a.User
	}
	pulled := "Busy time not read from it yet."
	if !a.Pulled.IsZero() {
		pulled = "Busy time last read " + kit.DateTime(a.Pulled.In(loc)) + "."
	}
	p.info.SetText(fmt.Sprintf("Connected to the calendar “%s” on %s%s. Patients show as %s. %s on it. %s",
		a.CalendarName, caldav.Host(a.Calendar), user, calendar.PrivacyWords(calendar.Privacy(a.Privacy)), appointmentCount(st.Items), pulled))
	if local != "" {
		// This desk alone: another may be syncing the calendar well.
		p.problem.SetText("This computer cannot sync the calendar: " + local + ".")
	} else {
		p.problem.SetText("The last sync failed: " + a.Error + ". kapbook tries again by itself; until then booking uses the busy time read last.")
	}
	var lines []string
	for _, e := range st.Log {
		lines = append(lines, kit.DateTime(e.At.In(loc))+"   "+e.Message)
	}
	if len(lines) == 0 {
		lines = append(lines, "Nothing yet.")
	}
	p.log.SetText(strings.Join(lines, "\n"))
	p.laidOut()
}

// laidOut lays the panel and what holds it out again.
func (p *calendarPanel) laidOut() {
	p.content.Refresh()
	if p.relayout != nil {
		p.relayout()
	}
}

// enable enables the buttons unless an action runs.
func (p *calendarPanel) enable() {
	for _, b := range []*kit.Button{p.connect, p.syncNow, p.disconnect} {
		if p.busy || p.staff == nil {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// run runs work as env.Run does, with the panel's buttons disabled
// meanwhile.
func (p *calendarPanel) run(what string, work func(ctx context.Context) error, done func(err error)) {
	p.busy = true
	p.enable()
	p.v.env.Run(what, work, func(err error) {
		p.busy = false
		p.enable()
		done(err)
	})
}

// appointmentCount says how many appointments are on a calendar.
func appointmentCount(n int) string {
	if n == 1 {
		return "1 appointment is"
	}
	return fmt.Sprintf("%d appointments are", n)
}

// syncWords says what a sync did: what it sent, and the busy time it
// read.
func syncWords(r caldav.Result, name string, loc *time.Location) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.New, "new")
	add(r.Changed, "changed")
	add(r.Removed, "removed")
	add(r.Restored, "put back after a change on the server")
	text := "Nothing needed sending; the calendar shows every appointment."
	if n := r.Pushed(); n == 1 {
		text = "Sent 1 appointment to the calendar (" + strings.Join(parts, ", ") + ")."
	} else if n > 1 {
		text = fmt.Sprintf("Sent %d appointments to the calendar (%s).", n, strings.Join(parts, ", "))
	}
	if r.Pulled {
		text += fmt.Sprintf(" %d busy times from it now block booking.", r.Busy)
	}
	return text + clashWords(r.Clashes, name, "busy time", loc)
}

// doSync pushes and pulls the chosen member's calendar now.
func (p *calendarPanel) doSync() {
	s := p.staff
	if s == nil || p.status == nil {
		return
	}
	p.note.Hide()
	env := p.v.env
	var res []caldav.Result
	p.run("Syncing the calendar", func(ctx context.Context) (err error) {
		res, err = env.CalDAV().Sync(ctx, s.ID, true)
		return err
	}, func(err error) {
		if err == nil && len(res) == 1 && res[0].Err != nil {
			err = caldav.Explain("The calendar of "+s.Name+" was not synced", res[0].Err)
		}
		if err != nil {
			env.ShowError(err)
			env.Changed() // the sync log and the error, as they stand
			return
		}
		text := "Synced."
		if len(res) == 1 {
			text = syncWords(res[0], s.Name, p.v.loc())
		}
		p.v.saved(p.note, text)
	})
}

// askDisconnect asks before ending the chosen member's connection,
// offering to remove what kapbook put in the calendar.
func (p *calendarPanel) askDisconnect() {
	s, st := p.staff, p.status
	if s == nil || st == nil || p.v.env.Window == nil {
		return
	}
	a := st.Account
	what := fmt.Sprintf("Also remove the %s kapbook put in this calendar", eventCount(st.Items))
	made := ""
	if a.Made {
		what = "Also delete this calendar, which kapbook made, and its events"
		made = fmt.Sprintf(" kapbook made “%s”: ticked, the calendar itself is deleted.", a.CalendarName)
	}
	p.remove = widget.NewCheck(what, nil)
	p.remove.SetChecked(true)
	msg := kit.MessageText(fmt.Sprintf("Disconnect the calendar “%s” on %s from %s? kapbook stops sending their appointments to it, its busy time no longer blocks booking, and its password is taken out of this computer's keyring.%s",
		a.CalendarName, caldav.Host(a.Calendar), s.Name, made))
	remove := p.remove
	d := kit.NewCustomConfirm("Disconnect calendar", "Disconnect", "Keep", container.NewVBox(msg, remove), func(ok bool) {
		if ok {
			p.doDisconnect(remove.Checked)
		}
	}, p.v.env.Window)
	d.Show()
}

func eventCount(n int) string {
	if n == 1 {
		return "1 event"
	}
	return fmt.Sprintf("%d events", n)
}

// doDisconnect ends the chosen member's connection; with remove, it
// first removes kapbook's events (or its calendar) from the server.
func (p *calendarPanel) doDisconnect(remove bool) {
	s := p.staff
	if s == nil {
		return
	}
	p.note.Hide()
	env := p.v.env
	var out caldav.Disconnected
	p.run("Disconnecting the calendar", func(ctx context.Context) (err error) {
		out, err = env.CalDAV().Disconnect(ctx, s.ID, remove)
		return err
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		text := "Disconnected the calendar of " + s.Name + "."
		switch {
		case out.Err != nil:
			text += " Its events could not be removed from the server (" + explainWords(out.Err) + "); remove them there if they should go."
		case out.Deleted:
			text += " The calendar kapbook made was deleted from the server."
		case remove:
			text += fmt.Sprintf(" Removed %s from it.", eventCount(out.Removed))
		}
		if out.Busy > 0 {
			text += fmt.Sprintf(" Its %d busy times no longer block booking.", out.Busy)
		}
		p.v.saved(p.note, text)
	})
}

// explainWords is a calendar server's reason, or the message of any
// other error.
func explainWords(err error) string {
	var e *caldav.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return strings.TrimSuffix(kit.Message(err), ".")
}

// connectDialog asks for a calendar server and sign-in, finds the
// calendars there, and connects the one chosen (or a new one).
type connectDialog struct {
	p *calendarPanel
	d *dialog.CustomDialog

	server, user, password *widget.Entry
	find                   *kit.Button
	found                  *widget.Label
	choice                 *widget.Select
	newName                *widget.Entry
	privacy                *widget.Select
	connect, cancel        *kit.Button
	form                   *widget.Form

	// What Find found, and for which server and sign-in: a change to
	// them asks to find again.
	home     string
	cals     []caldav.Calendar
	foundFor string
}

// openConnect opens the connect dialog for the chosen member.
func (p *calendarPanel) openConnect() {
	if p.staff == nil || p.v.env.Window == nil {
		return
	}
	c := &connectDialog{p: p}
	c.server = widget.NewEntry()
	c.server.SetPlaceHolder("https://calendar.example.org/")
	c.user = widget.NewEntry()
	c.user.SetPlaceHolder("their user name on the server")
	c.password = widget.NewPasswordEntry()
	c.password.SetPlaceHolder("their password, or an app password")
	for _, e := range []*widget.Entry{c.server, c.user, c.password} {
		e.OnChanged = func(string) { c.update() }
		e.OnSubmitted = func(string) {
			if !c.find.Disabled() {
				c.doFind()
			}
		}
	}
	c.find = kit.NewButton("Find calendars", c.doFind)
	c.found = widget.NewLabel("Find the calendars first.")
	c.choice = widget.NewSelect(nil, func(string) { c.update() })
	c.newName = widget.NewEntry()
	c.newName.SetText("kapbook")
	c.newName.OnChanged = func(string) { c.update() }
	c.newName.OnSubmitted = func(string) {
		if !c.connect.Disabled() {
			c.doConnect()
		}
	}
	c.privacy = widget.NewSelect(privacyNames(), nil)
	def := calendar.PrivacyInitials
	for _, f := range p.v.d.feeds[p.staff.ID] {
		def = calendar.FeedPrivacy(f.Privacy) // as their feed shows them
	}
	c.privacy.SetSelected(privacyName(def))
	c.connect = kit.NewButton("Connect", c.doConnect)
	c.connect.Importance = widget.HighImportance
	c.cancel = kit.NewButton("Cancel", func() { c.d.Hide() })

	c.form = widget.NewForm(
		widget.NewFormItem("Server", c.server),
		widget.NewFormItem("User name", c.user),
		widget.NewFormItem("Password", c.password),
		widget.NewFormItem("", container.NewBorder(nil, nil, c.find, nil, c.found)),
		widget.NewFormItem("Calendar", c.choice),
		widget.NewFormItem("New calendar's name", c.newName),
		widget.NewFormItem("Patients show as", c.privacy),
	)
	intro := explain("kapbook puts " + p.staff.Name + "'s appointments in the calendar chosen and reads their busy time from it; a new calendar holds kapbook's appointments alone. The password is kept in this computer's keyring, never in the clinic's database.")
	content := container.NewVBox(kit.Wrapped(kit.MessageWidth+80, intro), c.form)
	c.d = dialog.NewCustomWithoutButtons("Connect "+p.staff.Name+"'s calendar", content, p.v.env.Window)
	c.d.SetButtons([]fyne.CanvasObject{c.cancel, c.connect})
	p.dlg = c
	c.update()
	c.d.Show()
	p.v.env.Window.Canvas().Focus(c.server)
}

// signIn is the server and sign-in as typed, to tell whether what Find
// found still applies.
func (c *connectDialog) signIn() string {
	return strings.TrimSpace(c.server.Text) + "\x00" + strings.TrimSpace(c.user.Text) + "\x00" + c.password.Text
}

// update enables what can act: Find once a server is typed; the choice
// of a calendar and Connect once calendars were found for what is typed;
// the new calendar's name when a new one is chosen.
func (c *connectDialog) update() {
	if strings.TrimSpace(c.server.Text) == "" {
		c.find.Disable()
	} else {
		c.find.Enable()
	}
	found := c.foundFor != "" && c.foundFor == c.signIn()
	if c.foundFor != "" && !found {
		c.foundFor, c.cals, c.home = "", nil, ""
		c.choice.SetOptions(nil)
		c.choice.ClearSelected()
		c.found.SetText("Changed: find them again.")
	}
	newCal := c.choice.Selected == newCalendarChoice
	if found {
		c.choice.Enable()
	} else {
		c.choice.Disable()
	}
	if found && newCal {
		c.newName.Enable()
	} else {
		c.newName.Disable()
	}
	if found && c.choice.Selected != "" && (!newCal || strings.TrimSpace(c.newName.Text) != "") {
		c.connect.Enable()
	} else {
		c.connect.Disable()
	}
	if c.form != nil {
		c.form.Refresh() // its labels dim with their disabled fields
	}
}

// doFind signs in and lists the calendars, off the UI goroutine.
func (c *connectDialog) doFind() {
	env := c.p.v.env
	server, user, pw, key := strings.TrimSpace(c.server.Text), strings.TrimSpace(c.user.Text), c.password.Text, c.signIn()
	var home string
	var cals []caldav.Calendar
	env.Run("Finding the calendars", func(ctx context.Context) (err error) {
		home, cals, err = caldav.Discover(ctx, env.Store, server, user, pw)
		return caldav.Explain("No calendars were found", err)
	}, func(err error) {
		if err != nil {
			c.found.SetText("No calendars found.")
			env.ShowError(err)
			return
		}
		c.home, c.cals, c.foundFor = home, cals, key
		var opts []string
		for _, cal := range cals {
			opts = append(opts, cal.Name)
		}
		opts = append(opts, newCalendarChoice)
		c.choice.SetOptions(opts)
		c.choice.SetSelected(opts[0]) // their calendar, when there is one: its busy time counts
		switch len(cals) {
		case 0:
			c.found.SetText("None yet: kapbook makes one.")
		case 1:
			c.found.SetText("1 calendar found.")
		default:
			c.found.SetText(fmt.Sprintf("%d calendars found.", len(cals)))
		}
		c.update()
	})
}

// request is the connection as chosen.
func (c *connectDialog) request() caldav.ConnectRequest {
	req := caldav.ConnectRequest{StaffID: c.p.staff.ID, Server: strings.TrimSpace(c.server.Text), User: strings.TrimSpace(c.user.Text),
		Password: c.password.Text, Privacy: string(privacyOf(c.privacy.Selected))}
	if i := c.choice.SelectedIndex(); i >= 0 && i < len(c.cals) {
		req.Calendar = c.cals[i].URL
	} else {
		req.NewName, req.Home = strings.TrimSpace(c.newName.Text), c.home
	}
	return req
}

// doConnect connects the calendar chosen and runs its first sync (push
// and pull), off the UI goroutine. A refusal keeps the dialog open.
func (c *connectDialog) doConnect() {
	p, env := c.p, c.p.v.env
	s, req := p.staff, c.request()
	var acct *booking.CalDAVAccount
	var res []caldav.Result
	var syncErr error
	p.run("Connecting the calendar", func(ctx context.Context) (err error) {
		if acct, err = env.CalDAV().Connect(ctx, req); err != nil {
			return caldav.Explain(s.Name+"'s calendar was not connected", err)
		}
		res, syncErr = env.CalDAV().Sync(ctx, s.ID, true)
		return nil
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		c.d.Hide()
		text := fmt.Sprintf("Connected %s's calendar “%s” on %s.", s.Name, acct.CalendarName, caldav.Host(acct.Calendar))
		switch {
		case len(res) == 1 && res[0].Err != nil:
			text += " The first sync failed: " + explainWords(res[0].Err) + ". kapbook tries again by itself; Sync now tries at once."
		case len(res) == 1:
			text += " " + syncWords(res[0], s.Name, p.v.loc())
		}
		p.v.saved(p.note, text)
		if syncErr != nil {
			env.ShowError(env.Internal("Syncing the calendar", syncErr))
		}
	})
}
