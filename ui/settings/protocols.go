package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// protocolsTab lists the protocols, describes one in words and edits it
// as JSON.
type protocolsTab struct {
	v       *View
	content fyne.CanvasObject
	d       data

	list       *widget.List
	selectedID string
	shown      string // key of the stored protocol the form shows
	reloading  bool   // selecting in the list during a reload

	title     *widget.Label
	summary   *widget.Label
	json      *widget.Entry
	save      *kit.Button
	duplicate *kit.Button
	revert    *kit.Button
	note      *widget.Label
}

func newProtocolsTab(v *View) *protocolsTab {
	t := &protocolsTab{v: v}
	t.list = widget.NewList(func() int { return len(t.d.protocols) },
		func() fyne.CanvasObject { return widget.NewLabel("Placeholder protocol name") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			p := t.d.protocols[i]
			o.(*widget.Label).SetText(p.Name + " (" + p.ID + ")")
		})
	t.list.OnSelected = func(i widget.ListItemID) {
		if i < len(t.d.protocols) && !t.reloading {
			t.edit(t.d.protocols[i])
		}
	}
	t.title = heading("Choose a protocol")
	t.summary = explain("")
	t.json = widget.NewMultiLineEntry()
	t.json.TextStyle = fyne.TextStyle{Monospace: true}
	t.json.SetMinRowsVisible(14)
	t.save = kit.NewButton("Save changes", t.doSave)
	t.save.Importance = widget.HighImportance
	t.duplicate = kit.NewButton("Duplicate", t.doDuplicate)
	t.revert = kit.NewButton("Undo my edits", func() {
		if p := t.protocol(t.selectedID); p != nil {
			t.edit(p)
		}
	})
	t.note = newNote()
	right := container.NewVBox(t.title, t.summary,
		heading("Edit as JSON"),
		explain("Changes apply to new bookings; booked series keep their appointments. The id cannot change here: duplicate the protocol to make a variant under a new id."),
		t.json, container.NewHBox(t.save, t.revert, t.duplicate), t.note)
	split := container.NewHSplit(container.NewBorder(heading("Protocols"), nil, nil, nil, t.list), container.NewVScroll(right))
	split.Offset = 0.28
	t.content = split
	t.edit(nil)
	return t
}

func (t *protocolsTab) protocol(id string) *booking.Protocol {
	for _, p := range t.d.protocols {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// show lists the protocols again. The editor is filled anew only when its
// protocol changed in the store, so unsaved typing survives other changes.
func (t *protocolsTab) show(d data) {
	t.d = d
	t.list.Refresh()
	i := -1
	for k, p := range d.protocols {
		if p.ID == t.selectedID {
			i = k
		}
	}
	if i < 0 && len(d.protocols) > 0 {
		i = 0
	}
	if i < 0 {
		t.edit(nil)
		return
	}
	t.reloading = true
	t.list.Select(i)
	t.reloading = false
	if p := d.protocols[i]; p.ID != t.selectedID || t.shown != key(p) {
		t.edit(p)
	}
}

func (t *protocolsTab) edit(p *booking.Protocol) {
	if p == nil {
		t.selectedID = ""
		t.title.SetText("No protocol chosen")
		t.summary.SetText("")
		t.json.SetText("")
		for _, b := range []*kit.Button{t.save, t.duplicate, t.revert} {
			b.Disable()
		}
		return
	}
	if p.ID != t.selectedID {
		t.note.Hide()
	}
	for _, b := range []*kit.Button{t.save, t.duplicate, t.revert} {
		b.Enable()
	}
	t.selectedID = p.ID
	t.shown = key(p)
	t.title.SetText(p.Name + " (" + p.ID + ")")
	t.summary.SetText(describeProtocol(p))
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		b = nil
	}
	t.json.SetText(string(b))
}

// describeProtocol tells a protocol's steps in words: how many, how long,
// who, where and when.
func describeProtocol(p *booking.Protocol) string {
	var b strings.Builder
	n := len(booking.Instances(p))
	fmt.Fprintf(&b, "%d appointments within %d days", n, p.WindowDays)
	if p.SameTherapistRequired() {
		b.WriteString(", the same therapist throughout")
	}
	b.WriteString(".")
	if p.Description != "" {
		b.WriteString(" " + p.Description)
	}
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "\n%d. %s: %d × %d min", i+1, s.Label(), s.Count, s.Minutes)
		if s.Optional {
			b.WriteString(" (optional)")
		}
		var who []string
		for _, n := range s.Staff {
			who = append(who, n.String())
		}
		b.WriteString("; " + strings.Join(who, " and "))
		switch {
		case s.Room.Video == "only":
			b.WriteString("; by video")
		case len(s.Room.Kinds) > 0:
			var k []string
			for _, x := range s.Room.Kinds {
				k = append(k, string(x))
			}
			b.WriteString("; " + strings.Join(k, " or ") + " room")
			if s.Room.Video == "allowed" {
				b.WriteString(" or video")
			}
		}
		if len(s.Room.Equipment) > 0 {
			if len(s.Room.Kinds) == 0 {
				b.WriteString("; a room")
			}
			b.WriteString(" with " + strings.Join(s.Room.Equipment, ", "))
		}
		if s.Gap != nil {
			after := "the previous step"
			switch {
			case s.AfterEach != "":
				after = "each " + stepLabel(p, s.AfterEach)
			case s.After != "":
				after = stepLabel(p, s.After)
			}
			fmt.Fprintf(&b, "; %s after %s", s.Gap, after)
		}
		if s.RepeatGap != nil && s.Count > 1 {
			fmt.Fprintf(&b, "; %s between sessions", s.RepeatGap)
		}
		if s.LatestEnd != nil {
			fmt.Fprintf(&b, "; ends by %s", s.LatestEnd)
		}
	}
	return b.String()
}

func stepLabel(p *booking.Protocol, id string) string {
	if s := p.Step(id); s != nil {
		return strings.ToLower(s.Label())
	}
	return id
}

func (t *protocolsTab) doSave() {
	t.note.Hide()
	p, err := booking.ParseProtocol([]byte(t.json.Text))
	if err != nil {
		t.v.env.ShowError(protocolProblem(err))
		return
	}
	if p.ID != t.selectedID {
		t.v.env.ShowError(booking.Errorf(booking.EINVALID, "The id changed from %s to %s. The id cannot change here; duplicate the protocol to make a variant under a new id.", t.selectedID, p.ID))
		return
	}
	var saved *booking.ProtocolSaved
	t.v.env.Run("Saving the protocol", func(ctx context.Context) (err error) {
		saved, err = t.v.env.Service.SaveProtocol(ctx, p)
		return err
	}, func(err error) {
		if err != nil {
			t.v.env.ShowError(err)
			return
		}
		t.v.saved(t.note, booking.ProtocolSavedWords(p, saved))
	})
}

func (t *protocolsTab) doDuplicate() {
	t.note.Hide()
	id := t.selectedID
	var p *booking.Protocol
	t.v.env.Run("Duplicating the protocol", func(ctx context.Context) error {
		var err error
		p, err = t.v.env.Service.DuplicateProtocol(ctx, id)
		return err
	}, func(err error) {
		if err != nil {
			t.v.env.ShowError(err)
			return
		}
		t.selectedID = p.ID
		t.v.saved(t.note, "Made a copy of "+id+" as "+p.ID+"; edit it here.")
	})
}

// protocolProblem words booking's protocol-file errors for the edit box,
// which is not a file.
func protocolProblem(err error) error {
	msg := booking.ErrorMessage(err)
	msg = strings.Replace(msg, "The protocol file cannot be read:", "The protocol cannot be read:", 1)
	msg = strings.Replace(msg, "The protocol file has extra content", "The protocol has extra text", 1)
	msg = strings.Replace(msg, "unexpected EOF.", "the JSON ends too early; a closing } or ] is missing.", 1)
	msg = strings.Replace(msg, "the file is empty.", "the box is empty.", 1)
	return booking.Errorf(booking.ErrorCode(err), "%s", msg)
}
