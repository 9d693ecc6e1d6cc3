package settings

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

var roomKinds = []struct {
	kind booking.RoomKind
	name string
}{
	{booking.RoomConsult, "Consult room"},
	{booking.RoomDosing, "Dosing room"},
	{booking.RoomInfusion, "Infusion room"},
}

func roomKindName(k booking.RoomKind) string {
	for _, x := range roomKinds {
		if x.kind == k {
			return x.name
		}
	}
	return string(k)
}

// roomsTab lists the rooms and edits one.
type roomsTab struct {
	v       *View
	content fyne.CanvasObject
	d       data

	list       *widget.List
	add        *kit.Button
	selectedID int64  // 0: a new room
	shown      string // key of the stored room the form shows
	reloading  bool   // selecting in the list during a reload

	title     *widget.Label
	name      *widget.Entry
	kind      *widget.Select
	equipment *widget.Entry
	save      *kit.Button
	note      *widget.Label
	feed      *feedPanel      // for a stored room only
	form      *fyne.Container // holds the feed panel
}

func newRoomsTab(v *View) *roomsTab {
	t := &roomsTab{v: v}
	t.list = widget.NewList(func() int { return len(t.d.rooms) },
		func() fyne.CanvasObject { return widget.NewLabel("Placeholder, infusion room") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := t.d.rooms[i]
			o.(*widget.Label).SetText(r.Name + ", " + strings.ToLower(roomKindName(r.Kind)))
		})
	t.list.OnSelected = func(i widget.ListItemID) {
		if i < len(t.d.rooms) && !t.reloading {
			t.edit(t.d.rooms[i])
		}
	}
	t.add = kit.NewButton("Add room", func() {
		t.list.UnselectAll()
		t.edit(nil)
	})
	t.title = heading("New room")
	t.name = widget.NewEntry()
	var kinds []string
	for _, k := range roomKinds {
		kinds = append(kinds, k.name)
	}
	t.kind = widget.NewSelect(kinds, nil)
	t.equipment = widget.NewEntry()
	t.equipment.SetPlaceHolder("e.g. pulse-oximeter, recliner (comma-separated)")
	t.save = kit.NewButton("Save room", t.doSave)
	t.save.Importance = widget.HighImportance
	kit.SubmitWith(t.save, t.name, t.equipment)
	t.note = newNote()
	t.feed = newFeedPanel(v, "this room's")
	t.form = container.NewVBox(t.title,
		widget.NewForm(
			widget.NewFormItem("Name", t.name),
			widget.NewFormItem("Kind", t.kind),
			widget.NewFormItem("Equipment", t.equipment),
		),
		explain("A protocol step asks for a kind of room and sometimes for equipment (an infusion needs a monitor, esketamine a pulse oximeter); only rooms that have it are booked for that step."),
		container.NewHBox(t.save), t.note, widget.NewSeparator(), t.feed.content)
	form := t.form
	split := container.NewHSplit(container.NewBorder(heading("Rooms"), t.add, nil, nil, t.list), container.NewVScroll(form))
	split.Offset = 0.28
	t.content = split
	t.edit(nil)
	return t
}

// show lists the rooms again. The form is filled anew only when its room
// changed in the store; a new room being typed stays as typed.
func (t *roomsTab) show(d data) {
	t.d = d
	t.list.Refresh()
	if t.selectedID == 0 {
		return
	}
	for i, r := range d.rooms {
		if r.ID == t.selectedID {
			t.reloading = true
			t.list.Select(i)
			t.reloading = false
			if t.shown != key(r) {
				t.edit(r)
			} else {
				t.showFeed(r)
			}
			return
		}
	}
	t.list.UnselectAll()
	t.edit(nil)
}

func (t *roomsTab) edit(r *booking.Room) {
	if r == nil {
		r = &booking.Room{Kind: booking.RoomConsult}
	}
	if r.ID != t.selectedID || r.ID == 0 {
		t.note.Hide()
	}
	t.selectedID = r.ID
	t.shown = key(r)
	if r.ID == 0 {
		t.title.SetText("New room")
	} else {
		t.title.SetText(r.Name)
	}
	t.name.SetText(r.Name)
	t.kind.SetSelected(roomKindName(r.Kind))
	t.equipment.SetText(strings.Join(r.Equipment, ", "))
	t.showFeed(r)
}

// showFeed shows the feed of r, or hides the feed panel for a new room.
func (t *roomsTab) showFeed(r *booking.Room) {
	defer t.form.Refresh() // lays out the panel, shown or hidden
	if r.ID == 0 {
		t.feed.content.Hide()
		return
	}
	t.feed.set(booking.Resource{Kind: booking.RoomResource, ID: r.ID}, r.Name, t.d.roomFeeds[r.ID])
	t.feed.content.Show()
}

func (t *roomsTab) doSave() {
	t.note.Hide()
	r := &booking.Room{ID: t.selectedID, Name: t.name.Text, Equipment: splitList(t.equipment.Text)}
	for _, k := range roomKinds {
		if k.name == t.kind.Selected {
			r.Kind = k.kind
		}
	}
	if r.Kind == "" {
		t.v.env.ShowError(booking.Errorf(booking.EINVALID, "Choose what kind of room this is: consult, dosing or infusion."))
		return
	}
	isNew := r.ID == 0
	t.v.env.Run("Saving the room", func(ctx context.Context) error {
		return t.v.env.Service.SaveRoom(ctx, r)
	}, func(err error) {
		if err != nil {
			t.v.env.ShowError(err)
			return
		}
		t.selectedID = r.ID
		msg := "Saved the room " + r.Name + "."
		if isNew {
			msg = "Added the room " + r.Name + "."
		}
		t.v.saved(t.note, msg)
	})
}
