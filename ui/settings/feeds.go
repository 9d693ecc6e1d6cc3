package settings

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
	"github.com/kapbook/kapbook/ui/kit"
)

// privacyOptions are the feed privacies in words, in the order offered.
var privacyOptions = []struct {
	p    calendar.Privacy
	name string
}{
	{calendar.PrivacyInitials, "Initials (recommended)"},
	{calendar.PrivacyID, "Patient numbers only"},
	{calendar.PrivacyFull, "Full names"},
}

func privacyName(p calendar.Privacy) string {
	for _, o := range privacyOptions {
		if o.p == calendar.FeedPrivacy(string(p)) {
			return o.name
		}
	}
	return privacyOptions[0].name
}

func privacyOf(name string) calendar.Privacy {
	for _, o := range privacyOptions {
		if o.name == name {
			return o.p
		}
	}
	return calendar.PrivacyInitials
}

func privacyNames() []string {
	var out []string
	for _, o := range privacyOptions {
		out = append(out, o.name)
	}
	return out
}

// feedPanel shows one staff member's or room's calendar feed and makes,
// rotates and revokes its link. A new link shows once, with Copy.
type feedPanel struct {
	v       *View
	content fyne.CanvasObject

	res  booking.Resource // whose feed; ID 0: none chosen
	name string

	info    *widget.Label
	privacy *widget.Select
	create  *kit.Button
	rotate  *kit.Button
	revoke  *kit.Button
	url     *widget.Entry
	copy    *kit.Button
	note    *widget.Label
	lastURL string           // the link made last, shown until another resource is chosen
	lastRes booking.Resource // whose link lastURL is
}

func newFeedPanel(v *View, what string) *feedPanel {
	p := &feedPanel{v: v}
	p.info = explain("")
	p.privacy = widget.NewSelect(privacyNames(), nil)
	p.create = kit.NewButton("Create feed link", func() { p.doCreate(false) })
	p.rotate = kit.NewButton("Rotate link", p.confirmRotate)
	p.revoke = kit.NewButton("Revoke link", p.confirmRevoke)
	p.revoke.Importance = widget.DangerImportance
	p.url = widget.NewEntry()
	p.url.Hide()
	p.copy = kit.NewButton("Copy", p.doCopy)
	p.copy.Hide()
	p.note = newNote()
	p.content = container.NewVBox(
		heading("Calendar feed"),
		explain("A private web address that shows "+what+" clinic appointments in a phone or desktop calendar. It is shown only once, when it is made; anyone who has it can read the calendar."),
		p.info,
		container.NewBorder(nil, nil, widget.NewLabel("Patients show as"), nil, p.privacy),
		container.NewHBox(p.create, p.rotate, p.revoke),
		container.NewBorder(nil, nil, nil, p.copy, p.url),
		p.note,
	)
	return p
}

// set shows the feed of res (named name), whose live feeds are live, and
// offers what can be done. A link just made stays shown while res stays
// chosen.
func (p *feedPanel) set(res booking.Resource, name string, live []*booking.Feed) {
	if res != p.res {
		p.note.Hide()
	}
	p.res, p.name = res, name
	if res != p.lastRes {
		p.url.Hide()
		p.copy.Hide()
		p.lastURL = ""
	}
	if len(live) == 0 {
		def := calendar.PrivacyInitials
		if pr := p.v.env.Preferences(); pr != nil {
			def = calendar.FeedPrivacy(pr.StringWithFallback(kit.PrefFeedPrivacy, string(calendar.PrivacyInitials)))
		}
		p.info.SetText(name + " has no calendar feed.")
		p.privacy.SetSelected(privacyName(def))
		p.create.Show()
		p.rotate.Hide()
		p.revoke.Hide()
		return
	}
	f := live[0]
	p.info.SetText(fmt.Sprintf("%s has a live calendar feed, made %s, showing patients as %s. Its address cannot be shown again: rotate it for a new one (the old one stops working) or revoke it.",
		name, kit.Date(f.Created.In(p.v.loc())), calendar.PrivacyWords(calendar.Privacy(f.Privacy))))
	p.privacy.SetSelected(privacyName(calendar.Privacy(f.Privacy)))
	p.create.Hide()
	p.rotate.Show()
	p.revoke.Show()
}

// base returns the address under which feed links are made.
func (p *feedPanel) base() string {
	if pr := p.v.env.Preferences(); pr != nil {
		if base := pr.String(kit.PrefFeedBase); base != "" {
			return base
		}
		if addr := pr.String(kit.PrefFeedsAddr); addr != "" {
			return "http://" + addr
		}
	}
	return kit.DefaultFeedBase
}

// admin returns the feed administration, acting as whoever uses this
// workstation now.
func (p *feedPanel) admin() *calendar.FeedAdmin {
	return &calendar.FeedAdmin{Store: p.v.env.Store, Now: p.v.env.Time, Actor: p.v.env.Service.Actor}
}

func (p *feedPanel) confirmRotate() {
	if p.res.ID == 0 {
		return
	}
	p.v.env.Confirm("Rotate the feed link", "Make a new feed link for "+p.name+"? The old link stops working at once, so the calendar app needs the new one.", "Rotate", func() { p.doCreate(true) })
}

func (p *feedPanel) doCreate(rotate bool) {
	if p.res.ID == 0 {
		return
	}
	p.note.Hide()
	env := p.v.env
	res, name := p.res, p.name
	privacy := privacyOf(p.privacy.Selected)
	var nf *calendar.NewFeed
	admin := p.admin()
	env.Run("Making the feed link", func(ctx context.Context) error {
		var err error
		nf, err = admin.Create(ctx, res, name, privacy, rotate)
		return err
	}, func(err error) {
		if err != nil {
			env.ShowError(err)
			return
		}
		p.lastURL, p.lastRes = nf.URL(p.base()), res
		msg := "Made a new feed link for " + name + ", showing patients as " + calendar.PrivacyWords(privacy) + ". Copy it now: it is shown only this once."
		if nf.Revoked > 0 {
			msg += " The old link no longer works."
		}
		p.v.saved(p.note, msg)
		p.url.SetText(p.lastURL)
		p.url.Show()
		p.copy.Show()
	})
}

func (p *feedPanel) confirmRevoke() {
	if p.res.ID == 0 {
		return
	}
	res, name := p.res, p.name
	p.v.env.Confirm("Revoke the feed link", "Revoke the feed link of "+name+"? The calendar app stops showing its clinic appointments.", "Revoke", func() {
		p.note.Hide()
		env := p.v.env
		admin := p.admin()
		env.Run("Revoking the feed link", func(ctx context.Context) error {
			_, err := admin.Revoke(ctx, res, name)
			return err
		}, func(err error) {
			if err != nil {
				env.ShowError(err)
				return
			}
			p.lastURL = ""
			p.url.SetText("")
			p.url.Hide()
			p.copy.Hide()
			p.v.saved(p.note, "The feed link of "+name+" was revoked; it no longer works.")
		})
	})
}

func (p *feedPanel) doCopy() {
	if p.lastURL == "" || p.v.env.App == nil {
		return
	}
	p.v.env.App.Clipboard().SetContent(p.lastURL)
	p.v.tell(p.note, "The feed link is on the clipboard.")
}
