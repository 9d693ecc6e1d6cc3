// Package settings is kapbook's Settings screen: the clinic (name, zone,
// hours, closures), staff (with their busy calendars and feed links),
// rooms, protocols, patient email, privacy and this workstation. Every
// save goes through booking.Service (or calendar's feed and busy-time
// functions), shows its result at once and tells the other screens.
package settings

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/reminder"
	"github.com/kapbook/kapbook/ui/kit"
)

// View is the Settings screen.
type View struct {
	env     *kit.Env
	content fyne.CanvasObject

	// Tabs holds one tab per part of the settings.
	Tabs *container.AppTabs

	clinic    *clinicTab
	staff     *staffTab
	rooms     *roomsTab
	protocols *protocolsTab
	email     *emailTab
	privacy   *privacyTab
	station   *stationTab

	d data // what was loaded last
	// notes are the tabs' result lines shown, and when: a reload
	// kit.MessageFor after one hides it, so none outlives what it said.
	notes map[*widget.Label]time.Time
}

// data is what the screen shows, read in one go off the UI goroutine.
type data struct {
	clinic    *booking.Clinic
	staff     []*booking.Staff
	rooms     []*booking.Room
	protocols []*booking.Protocol
	subs      map[int64]*booking.BusySubscription
	feeds     map[int64][]*booking.Feed // live feeds by staff id
	roomFeeds map[int64][]*booking.Feed // live feeds by room id
	// pwOrigin is where the SMTP password comes from; pwErr why there
	// is none, in words.
	pwOrigin reminder.PasswordOrigin
	pwErr    error
}

// New builds the screen; it loads its data when first shown.
func New(env *kit.Env) *View {
	v := &View{env: env}
	v.clinic = newClinicTab(v)
	v.staff = newStaffTab(v)
	v.rooms = newRoomsTab(v)
	v.protocols = newProtocolsTab(v)
	v.email = newEmailTab(v)
	v.privacy = newPrivacyTab(v)
	v.station = newStationTab(v)
	v.Tabs = container.NewAppTabs(
		container.NewTabItem("Clinic", v.clinic.content),
		container.NewTabItem("Staff", v.staff.content),
		container.NewTabItem("Rooms", v.rooms.content),
		container.NewTabItem("Protocols", v.protocols.content),
		container.NewTabItem("Email", v.email.content),
		container.NewTabItem("Privacy", v.privacy.content),
		container.NewTabItem("Workstation", v.station.content),
	)
	v.content = v.Tabs
	env.OnLocalChange(v.Refresh)
	v.Refresh()
	return v
}

// Content returns the screen's root object (the same one every call).
func (v *View) Content() fyne.CanvasObject { return v.content }

// TabSet returns the screen's tabs, which Ctrl+PageUp and Ctrl+PageDown
// move through.
func (v *View) TabSet() *container.AppTabs { return v.Tabs }

// Refresh reloads what the screen shows, off the UI goroutine.
func (v *View) Refresh() {
	var d data
	v.env.Run("Loading the settings", func(ctx context.Context) error {
		var err error
		d, err = load(ctx, v.env.Store)
		return err
	}, func(err error) {
		v.station.database.SetText(databaseText(v.env, err == nil))
		if err != nil {
			v.env.ShowError(err)
			return
		}
		v.hideStale()
		v.show(d)
	})
}

// load reads everything the screen shows.
func load(ctx context.Context, st booking.Reader) (data, error) {
	var d data
	var err error
	if d.clinic, err = st.Clinic(ctx); err != nil {
		return d, err
	}
	if d.staff, err = st.StaffList(ctx); err != nil {
		return d, err
	}
	if d.rooms, err = st.Rooms(ctx); err != nil {
		return d, err
	}
	if d.protocols, err = st.Protocols(ctx); err != nil {
		return d, err
	}
	subs, err := st.BusySubscriptions(ctx)
	if err != nil {
		return d, err
	}
	d.subs = map[int64]*booking.BusySubscription{}
	for _, s := range subs {
		d.subs[s.StaffID] = s
	}
	live := func(res booking.Resource) ([]*booking.Feed, error) {
		all, err := st.Feeds(ctx, res)
		var out []*booking.Feed
		for _, f := range all {
			if f.Revoked == nil {
				out = append(out, f)
			}
		}
		return out, err
	}
	d.feeds = map[int64][]*booking.Feed{}
	for _, s := range d.staff {
		if d.feeds[s.ID], err = live(booking.Resource{Kind: booking.StaffResource, ID: s.ID}); err != nil {
			return d, err
		}
	}
	d.roomFeeds = map[int64][]*booking.Feed{}
	for _, r := range d.rooms {
		if d.roomFeeds[r.ID], err = live(booking.Resource{Kind: booking.RoomResource, ID: r.ID}); err != nil {
			return d, err
		}
	}
	if e := d.clinic.Email; e != nil && e.Transport == booking.EmailSMTP {
		d.pwOrigin, d.pwErr = reminder.PasswordSource(e.User, e.Host)
	}
	return d, nil
}

// show puts freshly loaded data on every tab.
func (v *View) show(d data) {
	v.d = d
	v.clinic.show(d)
	v.staff.show(d)
	v.rooms.show(d)
	v.protocols.show(d)
	v.email.show(d)
	v.privacy.show(d)
	v.station.show(d)
}

// loc returns the clinic's time zone.
func (v *View) loc() *time.Location {
	if v.d.clinic != nil {
		return v.d.clinic.Location()
	}
	return time.Local
}

// saved reports a successful change: an inline note, and every screen
// reloads.
func (v *View) saved(note *widget.Label, text string) {
	v.tell(note, text)
	v.env.Changed()
}

// tell shows text on a tab's result line, until a reload kit.MessageFor
// later.
func (v *View) tell(note *widget.Label, text string) {
	note.SetText(text)
	note.Show()
	if v.notes == nil {
		v.notes = map[*widget.Label]time.Time{}
	}
	v.notes[note] = v.env.Time()
}

// hideStale hides the result lines shown kit.MessageFor ago or more.
func (v *View) hideStale() {
	now := v.env.Time()
	for note, at := range v.notes {
		if now.Sub(at) >= kit.MessageFor {
			note.Hide()
			delete(v.notes, note)
		}
	}
}

// key returns v as JSON, to tell whether what a form shows was changed
// in the store since: a reload leaves a form alone when its key is the
// same, so unsaved typing survives other changes.
func key(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// newNote returns the label that shows a tab's last result.
func newNote() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.SuccessImportance
	l.Hide()
	return l
}

// splitList splits comma-separated text into trimmed, non-empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// hoursEditor edits WeeklyHours: one entry per weekday holding periods
// such as "08:00-12:00, 13:00-18:00"; empty means closed or a day off.
type hoursEditor struct {
	entries map[string]*widget.Entry
	form    *widget.Form
}

func newHoursEditor() *hoursEditor {
	h := &hoursEditor{entries: map[string]*widget.Entry{}, form: widget.NewForm()}
	for _, d := range booking.Week {
		e := widget.NewEntry()
		e.SetPlaceHolder("closed (or e.g. 08:00-12:00, 13:00-18:00)")
		h.entries[d.Key] = e
		h.form.Append(d.Long, e)
	}
	return h
}

// set shows w.
func (h *hoursEditor) set(w booking.WeeklyHours) {
	for _, d := range booking.Week {
		var parts []string
		for _, s := range w[d.Key] {
			parts = append(parts, s.String())
		}
		h.entries[d.Key].SetText(strings.Join(parts, ", "))
	}
}

// hours parses what is typed; what names the hours in error messages. The
// periods of a day are put in order; overlapping ones are refused.
func (h *hoursEditor) hours(what string) (booking.WeeklyHours, error) {
	w := booking.WeeklyHours{}
	for _, d := range booking.Week {
		for _, part := range splitList(h.entries[d.Key].Text) {
			s, err := booking.ParseSpan(strings.ReplaceAll(part, "–", "-"))
			if err != nil {
				return nil, booking.Errorf(booking.EINVALID, "%s, %s: %s", what, d.Long, booking.ErrorMessage(err))
			}
			w[d.Key] = append(w[d.Key], s)
		}
		sort.SliceStable(w[d.Key], func(i, j int) bool { return w[d.Key][i].Start < w[d.Key][j].Start })
	}
	if err := w.Validate(what); err != nil {
		return nil, err
	}
	return w, nil
}

// weekSummary describes hours briefly: "Mon 08:00-18:00 · Tue …".
func weekSummary(w booking.WeeklyHours) string {
	var parts []string
	for _, d := range booking.Week {
		var spans []string
		for _, s := range w[d.Key] {
			spans = append(spans, s.String())
		}
		if len(spans) > 0 {
			parts = append(parts, d.Short+" "+strings.Join(spans, ", "))
		}
	}
	if len(parts) == 0 {
		return "no hours"
	}
	return strings.Join(parts, " · ")
}

// heading returns a bold label.
func heading(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// explain returns a wrapped label for a sentence of explanation.
func explain(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}
