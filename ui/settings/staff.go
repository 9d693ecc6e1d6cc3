package settings

import (
	"context"
	"fmt"
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
	"github.com/kapbook/kapbook/ui/kit"
)

var roleNames = []struct {
	role booking.Role
	name string
}{{booking.RoleTherapist, "Therapist"}, {booking.RolePrescriber, "Prescriber"}, {booking.RoleNurse, "Nurse"}}

// staffTab lists the staff and edits one member: details, hours, time
// off, their busy calendar, their own calendar kept in step both ways
// (CalDAV) and their calendar feed.
type staffTab struct {
	v       *View
	content fyne.CanvasObject
	d       data

	list       *widget.List
	add        *kit.Button
	selectedID int64  // 0: a new staff member
	shown      string // key of the stored member the form shows
	reloading  bool   // selecting in the list during a reload

	title          *widget.Label
	name, email    *widget.Entry
	roles          *widget.CheckGroup
	qualifications *widget.Entry
	videoLink      *widget.Entry
	hours          *hoursEditor
	timeOff        []booking.Interval // as edited, stored on save
	timeOffRows    *fyne.Container
	offFrom, offTo *widget.Entry
	offReason      *widget.Entry
	addTimeOff     *kit.Button
	save           *kit.Button
	note           *widget.Label
	stored         *fyne.Container // busy calendar and feed: for a stored member only
	right          *fyne.Container // holds stored
	busyInfo       *widget.Label
	importICS      *kit.Button
	subscribeURL   *widget.Entry
	subscribe      *kit.Button
	clearBusy      *kit.Button // shown when there is something to clear
	busyNote       *widget.Label
	cal            *calendarPanel
	feed           *feedPanel
}

func newStaffTab(v *View) *staffTab {
	t := &staffTab{v: v}
	t.list = widget.NewList(func() int { return len(t.d.staff) },
		func() fyne.CanvasObject { return widget.NewLabel("Dr. Placeholder, nurse") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			s := t.d.staff[i]
			o.(*widget.Label).SetText(s.Name + ", " + rolesText(s.Roles))
		})
	t.list.OnSelected = func(i widget.ListItemID) {
		if i < len(t.d.staff) && !t.reloading {
			t.edit(t.d.staff[i])
		}
	}
	t.add = kit.NewButton("Add staff member", func() {
		t.list.UnselectAll()
		t.edit(nil)
	})
	t.title = heading("New staff member")
	t.name = widget.NewEntry()
	t.email = widget.NewEntry()
	t.email.SetPlaceHolder("optional, e.g. name@clinic.example")
	var names []string
	for _, r := range roleNames {
		names = append(names, r.name)
	}
	t.roles = widget.NewCheckGroup(names, nil)
	t.qualifications = widget.NewEntry()
	t.qualifications.SetPlaceHolder("e.g. ACLS, REMS, KAP (comma-separated)")
	t.videoLink = widget.NewEntry()
	t.videoLink.SetPlaceHolder("optional: https://… their video room, sent to patients for video calls")
	t.hours = newHoursEditor()
	t.timeOffRows = container.NewVBox()
	t.offFrom = widget.NewEntry()
	t.offFrom.SetPlaceHolder("from YYYY-MM-DD [HH:MM]")
	t.offTo = widget.NewEntry()
	t.offTo.SetPlaceHolder("to YYYY-MM-DD [HH:MM]")
	t.offReason = widget.NewEntry()
	t.offReason.SetPlaceHolder("reason (optional)")
	t.addTimeOff = kit.NewButton("Add time off", t.doAddTimeOff)
	t.offReason.OnSubmitted = func(string) { t.doAddTimeOff() }
	t.save = kit.NewButton("Save staff member", t.doSave)
	kit.SubmitWith(t.save, t.name, t.email, t.qualifications, t.videoLink)
	t.save.Importance = widget.HighImportance
	t.note = newNote()

	t.busyInfo = explain("")
	t.importICS = kit.NewButton("Import a calendar file (.ics)…", t.chooseICS)
	t.subscribeURL = widget.NewEntry()
	t.subscribeURL.SetPlaceHolder("https://… (the calendar's private iCal address)")
	t.subscribe = kit.NewButton("Subscribe", t.doSubscribe)
	t.subscribeURL.OnSubmitted = func(string) { t.doSubscribe() }
	t.clearBusy = kit.NewButton("Stop using own calendar…", t.askClearBusy)
	t.clearBusy.Hide()
	t.busyNote = newNote()
	t.cal = newCalendarPanel(v)
	t.feed = newFeedPanel(v, "this person's")

	details := widget.NewForm(
		widget.NewFormItem("Name", t.name),
		widget.NewFormItem("Email", t.email),
		widget.NewFormItem("Roles", t.roles),
		widget.NewFormItem("Qualifications", t.qualifications),
		widget.NewFormItem("Video link", t.videoLink),
	)
	t.stored = container.NewVBox(
		heading("Busy times from their own calendar"),
		explain("Times marked busy in the staff member's own calendar are never booked. Import a file once, or subscribe to the calendar's private address so kapbook fetches it every hour."),
		t.busyInfo,
		container.NewHBox(t.importICS, t.clearBusy),
		container.NewBorder(nil, nil, nil, t.subscribe, t.subscribeURL),
		t.busyNote,
		widget.NewSeparator(),
		t.cal.content,
		widget.NewSeparator(),
		t.feed.content,
	)
	form := container.NewVBox(t.title, details,
		heading("Working hours"), t.hours.form,
		heading("Time off"), explain("Time off is stored when you save the staff member. Give a day (a whole day) or a day and a time."),
		t.timeOffRows,
		container.NewGridWithColumns(2, t.offFrom, t.offTo), container.NewBorder(nil, nil, nil, t.addTimeOff, t.offReason),
		container.NewHBox(t.save), t.note)
	t.right = container.NewVBox(t.stored)
	form = container.NewGridWithColumns(2, form, t.right)
	left := container.NewBorder(heading("Staff"), t.add, nil, nil, t.list)
	scroll := container.NewVScroll(form)
	t.cal.relayout = func() {
		scroll.Refresh() // the form may have grown or shrunk
		t.right.Refresh()
	}
	split := container.NewHSplit(left, scroll)
	split.Offset = 0.28
	t.content = split
	t.edit(nil)
	return t
}

func rolesText(roles []booking.Role) string {
	var s []string
	for _, r := range roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// show lists the staff again. The form is filled anew only when its
// member changed in the store; a new member being typed stays as typed.
func (t *staffTab) show(d data) {
	t.d = d
	t.list.Refresh()
	if t.selectedID == 0 {
		return
	}
	for i, s := range d.staff {
		if s.ID == t.selectedID {
			t.reloading = true
			t.list.Select(i)
			t.reloading = false
			if t.shown == staffKey(s) {
				t.showBusy(s)
				t.cal.set(s)
				t.showFeed(s)
				return
			}
			t.edit(s)
			return
		}
	}
	t.list.UnselectAll()
	t.edit(nil)
}

// staffKey is what the staff form shows of s: all but the busy times.
func staffKey(s *booking.Staff) string {
	c := *s
	c.Busy = nil
	return key(c)
}

// member returns the stored staff member with id, or nil.
func (t *staffTab) member(id int64) *booking.Staff {
	for _, s := range t.d.staff {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// edit fills the form with s, or empties it for a new staff member.
func (t *staffTab) edit(s *booking.Staff) {
	if s == nil {
		s = &booking.Staff{Roles: []booking.Role{booking.RoleTherapist}}
	}
	if s.ID != t.selectedID || s.ID == 0 {
		t.note.Hide()
		t.busyNote.Hide()
	}
	t.selectedID = s.ID
	t.shown = staffKey(s)
	if s.ID == 0 {
		t.title.SetText("New staff member")
	} else {
		t.title.SetText(s.Name)
	}
	t.name.SetText(s.Name)
	t.email.SetText(s.Email)
	var sel []string
	for _, r := range roleNames {
		if s.HasRole(r.role) {
			sel = append(sel, r.name)
		}
	}
	t.roles.SetSelected(sel)
	t.qualifications.SetText(strings.Join(s.Qualifications, ", "))
	t.videoLink.SetText(s.VideoLink)
	t.hours.set(s.Hours)
	t.timeOff = append([]booking.Interval(nil), s.TimeOff...)
	t.showTimeOff()
	t.stored.Hidden = s.ID == 0
	if s.ID != 0 {
		t.showBusy(s)
		t.cal.set(s)
		t.showFeed(s)
	}
	t.right.Refresh() // lays out t.stored, shown or hidden
}

func (t *staffTab) loc() *time.Location {
	if t.d.clinic != nil {
		return t.d.clinic.Location()
	}
	return time.Local
}

func (t *staffTab) showTimeOff() {
	t.timeOffRows.RemoveAll()
	if len(t.timeOff) == 0 {
		t.timeOffRows.Add(widget.NewLabel("No time off."))
	}
	loc := t.loc()
	for i, iv := range t.timeOff {
		i := i
		text := kit.DateTime(iv.Start.In(loc)) + " to " + kit.DateTime(iv.End.In(loc))
		if iv.Reason != "" {
			text += ": " + iv.Reason
		}
		rm := kit.NewButton("Remove", func() {
			t.timeOff = append(t.timeOff[:i:i], t.timeOff[i+1:]...)
			t.showTimeOff()
		})
		t.timeOffRows.Add(container.NewBorder(nil, nil, nil, rm, widget.NewLabel(text)))
	}
	t.timeOffRows.Refresh()
}

// parseWhen reads "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" in loc. A day alone
// is its start, or with end its end (the next day's start).
func parseWhen(s string, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	day, clock, hasClock := strings.Cut(s, " ")
	d, err := booking.ParseDate(day)
	if err != nil {
		return time.Time{}, err
	}
	if !hasClock {
		if end {
			d++
		}
		return d.At(0, loc), nil
	}
	c, err := booking.ParseClock(clock)
	if err != nil {
		return time.Time{}, err
	}
	return d.At(c, loc), nil
}

func (t *staffTab) doAddTimeOff() {
	loc := t.loc()
	from, err := parseWhen(t.offFrom.Text, loc, false)
	if err != nil {
		t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The start of the time off: %s", booking.ErrorMessage(err)))
		return
	}
	toText := t.offTo.Text
	if strings.TrimSpace(toText) == "" {
		toText = strings.TrimSpace(t.offFrom.Text)
		if strings.Contains(toText, " ") {
			t.v.env.ShowError(booking.Errorf(booking.EINVALID, "Give the end of the time off, such as 2027-03-10 17:00."))
			return
		}
	}
	to, err := parseWhen(toText, loc, true)
	if err != nil {
		t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The end of the time off: %s", booking.ErrorMessage(err)))
		return
	}
	iv := booking.Interval{Start: from, End: to, Reason: strings.TrimSpace(t.offReason.Text)}
	if err := iv.Validate("The time off"); err != nil {
		t.v.env.ShowError(err)
		return
	}
	t.timeOff = append(t.timeOff, iv)
	t.showTimeOff()
	t.offFrom.SetText("")
	t.offTo.SetText("")
	t.offReason.SetText("")
	t.v.tell(t.note, "Time off added; save the staff member to keep it.")
}

// form returns the staff member as typed.
func (t *staffTab) form() (*booking.Staff, error) {
	s := &booking.Staff{ID: t.selectedID, Name: t.name.Text, Email: t.email.Text, VideoLink: strings.TrimSpace(t.videoLink.Text),
		Qualifications: splitList(t.qualifications.Text), TimeOff: append([]booking.Interval(nil), t.timeOff...)}
	for _, r := range roleNames {
		for _, sel := range t.roles.Selected {
			if sel == r.name {
				s.Roles = append(s.Roles, r.role)
			}
		}
	}
	what := "Working hours"
	if name := strings.TrimSpace(s.Name); name != "" {
		what += " of " + name
	}
	h, err := t.hours.hours(what)
	if err != nil {
		return nil, err
	}
	s.Hours = h
	return s, nil
}

func (t *staffTab) doSave() {
	t.note.Hide()
	s, err := t.form()
	if err != nil {
		t.v.env.ShowError(err)
		return
	}
	isNew := s.ID == 0
	env := t.v.env
	var clash []*booking.Appointment
	env.Run("Saving the staff member", func(ctx context.Context) (err error) {
		clash, err = env.Service.SaveStaff(ctx, s)
		return err
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		t.selectedID = s.ID
		msg := "Saved " + s.Name + "."
		if isNew {
			msg = "Added " + s.Name + " to the staff."
		}
		t.v.saved(t.note, msg+clashWords(clash, s.Name, "time off or outside the changed working hours", t.loc()))
	})
}

// clashWords warns about appointments that fall in a staff member's
// unavailable time, or says nothing.
func clashWords(appts []*booking.Appointment, name, what string, loc *time.Location) string {
	if len(appts) == 0 {
		return ""
	}
	return fmt.Sprintf(" Warning: %d booked appointment(s) of %s fall in this %s (%s); new bookings avoid it, but these need moving on the schedule.",
		len(appts), name, what, whenList(appts, loc))
}

// whenList writes when the first three appointments start, and how many
// more there are: "Tue 2 Mar 08:00, Wed 3 Mar 09:00 and 4 more".
func whenList(appts []*booking.Appointment, loc *time.Location) string {
	var when []string
	for i, a := range appts {
		if i == 3 {
			when = append(when, fmt.Sprintf("and %d more", len(appts)-3))
			break
		}
		when = append(when, kit.DateTime(a.Start.In(loc)))
	}
	return strings.Join(when, ", ")
}

// showBusy says what busy times s has and where they come from.
func (t *staffTab) showBusy(s *booking.Staff) {
	loc := t.loc()
	text := fmt.Sprintf("%d busy times from %s's own calendar.", len(s.Busy), s.Name)
	if sub := t.d.subs[s.ID]; sub != nil {
		text += " Subscribed to " + calendar.RedactURL(sub.URL)
		if !sub.Fetched.IsZero() {
			text += ", last fetched " + kit.DateTime(sub.Fetched.In(loc))
		}
		if sub.Error != "" {
			text += "; the last fetch failed (" + sub.Error + "), so the last good copy is kept"
		}
		text += "."
	} else {
		text += " No subscribed calendar."
	}
	t.busyInfo.SetText(text)
	if clear := len(s.Busy) > 0 || t.d.subs[s.ID] != nil; clear != t.clearBusy.Visible() {
		t.clearBusy.Hidden = !clear
		t.stored.Refresh()
	}
}

// askClearBusy asks before removing the selected member's busy times and
// calendar subscription.
func (t *staffTab) askClearBusy() {
	s := t.member(t.selectedID)
	if s == nil {
		return
	}
	what := fmt.Sprintf("the %d busy times imported from %s's own calendar", len(s.Busy), s.Name)
	if sub := t.d.subs[s.ID]; sub != nil {
		what += " and the subscription to " + calendar.RedactURL(sub.URL) + " (its address and last copy)"
	}
	t.v.env.Confirm("Stop using own calendar", "Remove "+what+"? Their own calendar no longer blocks booking; working hours and time off still do. You can import or subscribe again later.",
		"Remove", t.doClearBusy)
}

// doClearBusy removes the selected member's busy times and subscription.
func (t *staffTab) doClearBusy() {
	s := t.member(t.selectedID)
	if s == nil {
		return
	}
	t.busyNote.Hide()
	env := t.v.env
	var c calendar.Cleared
	env.Run("Removing the busy times", func(ctx context.Context) error {
		var err error
		c, err = calendar.ClearBusy(ctx, env.Store, s.ID, env.Time(), env.Service.Actor)
		return err
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		msg := fmt.Sprintf("Removed the %d busy times of %s.", c.Busy, s.Name)
		if c.Site != "" {
			msg = fmt.Sprintf("Stopped fetching the calendar of %s at %s and removed its %d busy times.", s.Name, c.Site, c.Busy)
		}
		t.v.saved(t.busyNote, msg+" Their own calendar no longer blocks booking.")
	})
}

func (t *staffTab) chooseICS() {
	if t.v.env.Window == nil || t.selectedID == 0 {
		return
	}
	t.v.env.AskPath(kit.PathRequest{Title: "Import a calendar file", Confirm: "Import", Open: true,
		Extensions: []string{".ics", ".ical", ".ifb", ".icalendar"}}, func(path string) {
		f, err := os.Open(path)
		if err != nil {
			t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The calendar file cannot be opened."))
			return
		}
		t.importBusy(f, filepath.Base(path))
	})
}

// importBusy reads a calendar file from r (closed when done) and stores
// its busy times as the selected staff member's, replacing those imported
// before.
func (t *staffTab) importBusy(r io.ReadCloser, fileName string) {
	s := t.member(t.selectedID)
	if s == nil {
		r.Close()
		return
	}
	t.busyNote.Hide()
	env := t.v.env
	var n, replaced int
	var clash []*booking.Appointment
	actor := env.Service.Actor
	env.Run("Importing the calendar", func(ctx context.Context) error {
		defer r.Close()
		imp, err := calendar.ImportBusyFile(ctx, env.Store, s.ID, r, fileName, env.Time(), actor)
		if err != nil {
			return err
		}
		n, replaced, clash = imp.Imported, imp.Replaced, imp.Clashes
		return nil
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		msg := fmt.Sprintf("Imported %d busy times for %s from %s for the coming year; they replace the %d imported before.", n, s.Name, fileName, replaced)
		if t.d.subs[s.ID] != nil {
			msg += " The subscribed calendar replaces them again at its next fetch."
		}
		t.v.saved(t.busyNote, msg+clashWords(clash, s.Name, "busy time", t.loc()))
	})
}

func (t *staffTab) doSubscribe() {
	s := t.member(t.selectedID)
	if s == nil {
		return
	}
	t.busyNote.Hide()
	env := t.v.env
	addr := strings.TrimSpace(t.subscribeURL.Text)
	var res calendar.RefreshResult
	subs := &calendar.Subscriptions{Store: env.Store, Now: env.Time, Actor: env.Service.Actor}
	env.Run("Fetching the calendar", func(ctx context.Context) error {
		var err error
		res, err = subs.Subscribe(ctx, s.ID, addr)
		if err != nil {
			return calendar.Explain(s.Name+" was not subscribed to the calendar", err)
		}
		return nil
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		t.subscribeURL.SetText("")
		t.v.saved(t.busyNote, fmt.Sprintf("Subscribed %s to the calendar at %s: %d busy times in the coming year. kapbook fetches it again every hour while it runs.", s.Name, res.Site, res.Busy))
	})
}

// showFeed shows the feed of s.
func (t *staffTab) showFeed(s *booking.Staff) {
	t.feed.set(booking.Resource{Kind: booking.StaffResource, ID: s.ID}, s.Name, t.d.feeds[s.ID])
}
