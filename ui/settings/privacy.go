package settings

import (
	"context"
	"net"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui/kit"
)

// privacyTab says what the schedule, new feeds and emails reveal.
type privacyTab struct {
	v       *View
	content fyne.CanvasObject
	d       data

	showNames    *widget.Check
	feedPrivacy  *widget.RadioGroup
	fromName     *widget.Entry
	shownName    *string // the stored sender's name the entry shows
	saveFromName *kit.Button
	// treatmentWords is the clinic's explicit choice to let its own words
	// (name, address, sender, video links) name the treatment.
	treatmentWords *widget.Check
	note           *widget.Label
}

func newPrivacyTab(v *View) *privacyTab {
	t := &privacyTab{v: v}
	t.showNames = widget.NewCheck("Show patients' full names on this workstation's schedule", func(on bool) {
		p := v.env.Preferences()
		if p == nil || p.Bool(kit.PrefShowNames) == on {
			return
		}
		p.SetBool(kit.PrefShowNames, on)
		what := "initials"
		if on {
			what = "full names"
		}
		t.v.saved(t.note, "The schedule on this workstation now shows patients' "+what+".")
	})
	t.feedPrivacy = widget.NewRadioGroup(privacyNames(), func(name string) {
		p := v.env.Preferences()
		if p == nil || name == "" {
			return
		}
		value := string(privacyOf(name))
		if p.StringWithFallback(kit.PrefFeedPrivacy, string(calendar.PrivacyInitials)) == value {
			return
		}
		p.SetString(kit.PrefFeedPrivacy, value)
		t.v.saved(t.note, "New calendar feeds made here show patients as "+calendar.PrivacyWords(calendar.Privacy(value))+". Existing feeds keep what they show.")
	})
	t.feedPrivacy.Required = true
	t.fromName = widget.NewEntry()
	t.fromName.SetPlaceHolder("e.g. Appointments (empty: the clinic's name)")
	t.saveFromName = kit.NewButton("Save sender's name", t.doSaveFromName)
	kit.SubmitWith(t.saveFromName, t.fromName)
	t.treatmentWords = widget.NewCheck("The clinic's name and address, the sender and video links may name the treatment", t.setTreatmentWords)
	t.note = newNote()
	t.content = container.NewVScroll(container.NewVBox(
		heading("The schedule"),
		explain("Anyone passing a screen can read it, so the schedule shows patients' initials unless this workstation is somewhere private."),
		t.showNames,
		widget.NewSeparator(),
		heading("Staff calendar feeds"),
		explain("Feeds leave the clinic for phones and cloud calendars, so a new feed shows patients by initials unless you choose otherwise here; each feed keeps the choice it was made with."),
		t.feedPrivacy,
		widget.NewSeparator(),
		heading("Patient email"),
		explain("Patients and anyone who reads their inbox see the sender's name; a clinic's name can itself reveal the treatment, so a neutral name is safest. By default, emails never name the treatment or the drug."),
		container.NewBorder(nil, nil, nil, t.saveFromName, t.fromName),
		explain("Unless the clinic chooses otherwise here, kapbook refuses a clinic name, address, sender or video link that names the treatment, the drug or a diagnosis in English, Spanish, German, French or Portuguese, and leaves such words out of what patients receive."),
		t.treatmentWords,
		t.note,
	))
	return t
}

func (t *privacyTab) show(d data) {
	t.d = d
	if p := t.v.env.Preferences(); p != nil {
		t.showNames.Checked = p.Bool(kit.PrefShowNames)
		t.showNames.Refresh()
		t.feedPrivacy.Selected = privacyName(calendar.FeedPrivacy(p.StringWithFallback(kit.PrefFeedPrivacy, string(calendar.PrivacyInitials))))
		t.feedPrivacy.Refresh()
	}
	if t.treatmentWords.Checked != d.clinic.TreatmentWordsAllowed {
		t.treatmentWords.Checked = d.clinic.TreatmentWordsAllowed
		t.treatmentWords.Refresh()
	}
	name := ""
	if d.clinic.Email != nil {
		name = d.clinic.Email.FromName
	}
	if t.shownName == nil || *t.shownName != name {
		t.shownName = &name
		t.fromName.SetText(name)
	}
}

func (t *privacyTab) doSaveFromName() {
	t.note.Hide()
	name := strings.TrimSpace(t.fromName.Text)
	env := t.v.env
	env.Run("Saving the sender's name", func(ctx context.Context) error {
		c, err := env.Store.Clinic(ctx)
		if err != nil {
			return err
		}
		e := booking.EmailSettings{Transport: booking.EmailEMLDir}
		if c.Email != nil {
			e = *c.Email
		}
		e.FromName = name
		if err := checkEmail(&e); err != nil {
			return err
		}
		return env.Service.SetEmail(ctx, &e)
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		msg := "Patient emails now come from \"" + name + "\"."
		if name == "" {
			msg = "Patient emails now come from the clinic's name."
		}
		t.v.saved(t.note, msg)
	})
}

// setTreatmentWords records the clinic's choice about its own words.
func (t *privacyTab) setTreatmentWords(on bool) {
	if t.d.clinic == nil || t.d.clinic.TreatmentWordsAllowed == on {
		return
	}
	t.note.Hide()
	env := t.v.env
	env.Run("Saving the clinic's choice about naming the treatment", func(ctx context.Context) error {
		return env.Service.SetTreatmentWords(ctx, on)
	}, func(err error) {
		if err != nil {
			t.treatmentWords.SetChecked(!on)
			env.ShowError(err)
			return
		}
		t.d.clinic.TreatmentWordsAllowed = on
		msg := "The clinic's own words may not name the treatment in what patients receive."
		if on {
			msg = "The clinic's own words may now name the treatment in what patients receive: the clinic's choice, recorded in the audit trail."
		}
		t.v.saved(t.note, msg)
	})
}

// stationTab says who uses this workstation, for the audit trail, and
// where its calendar feeds are reached.
type stationTab struct {
	v       *View
	content fyne.CanvasObject

	actor     *widget.Select
	current   *widget.Label
	feedsAddr *widget.Entry
	feedBase  *widget.Entry
	saveBase  *kit.Button
	note      *widget.Label
	errorLog  *widget.Label // where internal errors are recorded
	database  *widget.Label // which database, and whether it answers
}

func newStationTab(v *View) *stationTab {
	t := &stationTab{v: v}
	t.actor = widget.NewSelect(nil, t.setActor)
	t.actor.PlaceHolder = "Choose who is working here"
	t.current = explain("")
	t.feedsAddr = widget.NewEntry()
	t.feedsAddr.SetPlaceHolder("empty: this app serves no feeds (e.g. 127.0.0.1:8080)")
	t.feedBase = widget.NewEntry()
	t.feedBase.SetPlaceHolder("empty: http:// and the address above, or " + kit.DefaultFeedBase)
	t.saveBase = kit.NewButton("Save feed settings", t.doSaveBase)
	kit.SubmitWith(t.saveBase, t.feedsAddr, t.feedBase)
	t.note = newNote()
	t.database = widget.NewLabel(databaseText(v.env, true))
	t.database.Selectable = true
	t.database.Wrapping = fyne.TextWrapBreak
	t.errorLog = widget.NewLabel(errorLogPlace(v.env))
	t.errorLog.Selectable = true
	t.errorLog.Wrapping = fyne.TextWrapBreak
	t.content = container.NewVScroll(container.NewVBox(
		heading("Database"),
		t.database,
		widget.NewSeparator(),
		heading("Who is using this workstation"),
		explain("Every change made here is recorded in the audit trail under this name."),
		t.actor, t.current,
		widget.NewSeparator(),
		heading("Calendar feeds"),
		explain("While it runs, this app can serve staff calendar feeds on an address of this computer, such as 127.0.0.1:8080. Staff calendars reach the feeds at a web address, such as https://calendar.example.org behind your reverse proxy; new feed links are made under it."),
		widget.NewForm(
			widget.NewFormItem("Serve feeds on", t.feedsAddr),
			widget.NewFormItem("Feed links start with", t.feedBase),
		),
		container.NewHBox(t.saveBase),
		t.note,
		widget.NewSeparator(),
		heading("Error log"),
		explain("When something goes wrong inside kapbook, the details for your administrator are written to this file (never patients' names, emails or notes). It is only readable by this computer's user."),
		t.errorLog,
	))
	return t
}

// databaseText says which database this workstation uses, and that it
// answers (the screen's data came from it) or not.
func databaseText(env *kit.Env, answers bool) string {
	name := env.DBName()
	if !store.IsURL(env.DBPath) {
		return "This computer's own database file: " + name + ". Only this computer can use it; for several workstations see docs/operations.md, \"Several workstations\"."
	}
	state := "connected"
	if !answers {
		state = "not answering; kapbook keeps trying"
	}
	return "The clinic's shared PostgreSQL database, " + state + ": " + name + "."
}

// errorLogPlace is the error log's path, or why there is none.
func errorLogPlace(env *kit.Env) string {
	if p := env.ErrorLog.Path(); p != "" {
		return p
	}
	return "No error log is kept for this window."
}

func (t *stationTab) show(d data) {
	var names []string
	for _, s := range d.staff {
		names = append(names, s.Name)
	}
	t.actor.Options = names
	cur := ""
	if p := t.v.env.Preferences(); p != nil {
		cur = p.String(kit.PrefActor)
		t.feedBase.SetText(p.String(kit.PrefFeedBase))
		t.feedsAddr.SetText(p.String(kit.PrefFeedsAddr))
	}
	t.actor.Selected = cur
	t.actor.Refresh()
	t.showCurrent()
}

// showCurrent says under which name changes are recorded now.
func (t *stationTab) showCurrent() {
	t.current.SetText("Changes made here are now recorded as made by " + t.v.env.Service.Actor + ".")
}

// setActor records who uses this workstation, at once for the audit
// trail and in the preferences for the next start.
func (t *stationTab) setActor(name string) {
	if name == "" {
		return
	}
	p := t.v.env.Preferences()
	if p != nil && p.String(kit.PrefActor) == name && t.v.env.Service.Actor == name {
		return
	}
	if p != nil {
		p.SetString(kit.PrefActor, name)
	}
	t.v.env.Service.Actor = name
	t.showCurrent()
	t.v.env.Changed()
}

func (t *stationTab) doSaveBase() {
	addr := strings.TrimSpace(t.feedsAddr.Text)
	if addr != "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port == "" {
			t.v.env.ShowError(booking.Errorf(booking.EINVALID, "%q is not an address to serve on; write it as 127.0.0.1:8080.", addr))
			return
		}
		if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
			t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The app serves feeds only on this computer's own address, such as 127.0.0.1:8080; put a reverse proxy with TLS in front of it for other computers."))
			return
		}
	}
	base, err := feedBase(t.feedBase.Text)
	if err != nil {
		t.v.env.ShowError(err)
		return
	}
	if p := t.v.env.Preferences(); p != nil {
		p.SetString(kit.PrefFeedsAddr, addr)
		p.SetString(kit.PrefFeedBase, base)
	}
	t.feedBase.SetText(base)
	shown := base
	switch {
	case shown == "" && addr != "":
		shown = "http://" + addr
	case shown == "":
		shown = kit.DefaultFeedBase
	}
	msg := "New feed links start with " + shown + "; links made before keep the address they were made with."
	if addr != "" {
		msg += " The app serves feeds on " + addr + " from its next start."
	} else {
		msg += " This app serves no feeds (kapctl serve can)."
	}
	t.v.saved(t.note, msg)
}

// feedBase checks a feed address base: empty (the default), or an http or
// https address, possibly with a path, without query or fragment. It
// returns it without a trailing slash.
func feedBase(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Host, ":") {
		return "", booking.Errorf(booking.EINVALID, "%q is not a web address; write it as https://calendar.example.org or http://127.0.0.1:8080.", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}
