package caldav

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/calendar"
)

// pull reads a's busy time over the planning horizon (a day back, a year
// ahead) from the calendar, leaving out the events kapbook put there, and
// stores it as the staff member's busy time when it changed; on the way
// it puts back the events of kapbook's that were changed or deleted on
// the server. An event the busy-time reader refuses is left out and said
// in the sync log; the others still block.
func (s *Syncer) pull(ctx context.Context, c *Client, a *booking.CalDAVAccount, res *Result) error {
	p, err := s.load(ctx, a)
	if err != nil {
		return err
	}
	loc := p.clinic.Location()
	now := s.now().In(loc)
	from, to := now.Add(-24*time.Hour), now.AddDate(1, 0, 0)
	objs, err := c.Query(ctx, p.cal, from, to)
	if err != nil {
		return err
	}
	ours := map[string]int64{} // path → appointment id
	for id, it := range p.items {
		if u, err := p.cal.Parse(it.Href); err == nil {
			ours[u.Path] = id
		}
	}
	seen := map[int64]bool{}
	var theirs [][]byte
	unreadable := 0
	opts := calendar.ImportOptions{Clinic: loc, From: from, To: to, Now: now}
	for _, o := range objs {
		if id, ok := ours[o.Path]; ok {
			seen[id] = true
			if err := s.check(ctx, c, p, a, id, o, res); err != nil {
				return err
			}
			continue
		}
		if isOurs(o.Data, p.instance) {
			continue // put by kapbook, not (or no longer) known as such
		}
		if _, err := calendar.ImportBusy(bytes.NewReader(o.Data), opts); err != nil {
			unreadable++
			continue
		}
		theirs = append(theirs, o.Data)
	}
	// kapbook's events in the horizon the server no longer has.
	for id, it := range p.items {
		ap := p.want[id]
		if seen[id] || ap == nil || !ap.End.After(from) || !ap.Start.Before(to) {
			continue
		}
		body, hash, err := p.render(ctx, ap, a.Privacy)
		if err != nil {
			return err
		}
		u, _ := p.cal.Parse(it.Href)
		etag, restored, err := s.put(ctx, c, p, u, body, &booking.CalDAVItem{ETag: it.ETag})
		if err != nil {
			return err
		}
		if restored == "" {
			restored = "moved on the server out of the coming year"
		}
		res.Restored++
		if err := s.log(ctx, a.StaffID, "restore", restoreWords(ap, p.clinic, restored)); err != nil {
			return err
		}
		if err := s.saveItem(ctx, a, &booking.CalDAVItem{StaffID: a.StaffID, AppointmentID: id, Href: it.Href, ETag: etag, Hash: hash}); err != nil {
			return err
		}
	}
	var busy []booking.Interval
	if len(theirs) > 0 {
		if busy, err = calendar.ImportBusy(bytes.NewReader(bytes.Join(theirs, []byte("\r\n"))), opts); err != nil {
			return &Error{Reason: "the calendar's events cannot be read together", Err: err}
		}
	}
	res.Pulled, res.Busy = true, len(busy)
	if unreadable > 0 {
		msg := fmt.Sprintf("%d events in the calendar cannot be read and do not block booking; open them in the calendar app and save them again.", unreadable)
		if err := s.log(ctx, a.StaffID, "pull", msg); err != nil {
			return err
		}
	}
	return s.saveBusy(ctx, a, busy, res)
}

// saveBusy stores busy as the staff member's busy time if it differs
// from what is stored, with an audit entry and the clashes it makes.
func (s *Syncer) saveBusy(ctx context.Context, a *booking.CalDAVAccount, busy []booking.Interval, res *Result) error {
	now := s.now()
	return s.Store.Update(ctx, func(tx booking.Tx) error {
		cur, err := accountOf(ctx, tx, a.StaffID)
		if err != nil || cur == nil || cur.Calendar != a.Calendar {
			return err
		}
		staff, err := tx.StaffList(ctx)
		if err != nil {
			return err
		}
		var st *booking.Staff
		for _, x := range staff {
			if x.ID == a.StaffID {
				st = x
			}
		}
		if st == nil || sameIntervals(st.Busy, busy) {
			return nil
		}
		old := st.Busy
		st.Busy = busy
		if err := tx.SaveStaff(ctx, st); err != nil {
			return err
		}
		if err := tx.AddAudit(ctx, &booking.AuditEntry{At: now, Actor: s.Actor, Action: "busy-caldav",
			Note: fmt.Sprintf("%d busy times of staff %d from their CalDAV calendar at %s", len(busy), a.StaffID, Host(a.Calendar))}); err != nil {
			return err
		}
		res.Clashes, err = booking.RecordBusyClashes(ctx, tx, st, old, busy, now, s.Actor)
		return err
	})
}

// check compares an event of kapbook's as the server has it with what
// kapbook put, and puts it back if it was changed there.
func (s *Syncer) check(ctx context.Context, c *Client, p *plan, a *booking.CalDAVAccount, id int64, o Object, res *Result) error {
	it := p.items[id]
	if o.ETag != "" && o.ETag == it.ETag {
		return nil
	}
	ap := p.want[id]
	if ap == nil {
		return nil // cancelled meanwhile: the next push removes it
	}
	body, hash, err := p.render(ctx, ap, a.Privacy)
	if err != nil {
		return err
	}
	same := sameEvent(o.Data, body, p.clinic.Location())
	if same && hash == it.Hash && o.ETag != "" { // the server rewrote it, the same
		return s.saveItem(ctx, a, &booking.CalDAVItem{StaffID: a.StaffID, AppointmentID: id, Href: it.Href, ETag: o.ETag, Hash: hash})
	}
	u, _ := p.cal.Parse(it.Href)
	etag, err := c.Put(ctx, u, body, o.ETag)
	if err != nil {
		return err
	}
	if !same {
		res.Restored++
		if err := s.log(ctx, a.StaffID, "restore", restoreWords(ap, p.clinic, changeWords(o.Data, body, p.clinic.Location()))); err != nil {
			return err
		}
	}
	return s.saveItem(ctx, a, &booking.CalDAVItem{StaffID: a.StaffID, AppointmentID: id, Href: it.Href, ETag: etag, Hash: hash})
}

// isOurs reports whether an event's UID is one kapbook's database made.
func isOurs(data []byte, instance string) bool {
	return bytes.Contains(data, []byte("-"+instance+"@kapbook"))
}

// sameIntervals reports whether two busy lists are the same times.
func sameIntervals(a, b []booking.Interval) bool {
	return slices.EqualFunc(a, b, func(x, y booking.Interval) bool {
		return x.Start.Equal(y.Start) && x.End.Equal(y.End)
	})
}

// Host returns the host (and port) of a calendar's address, the part
// of it kapbook shows.
func Host(address string) string {
	if u, err := url.Parse(address); err == nil && u.Host != "" {
		return u.Host
	}
	return "its server"
}

// eventOf reads the first event of a calendar and the time it blocks.
func eventOf(data []byte, loc *time.Location) (*ical.Component, []booking.Interval, bool) {
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, nil, false
	}
	var ev *ical.Component
	for _, ch := range cal.Children {
		if ch.Name == ical.CompEvent {
			ev = ch
			break
		}
	}
	if ev == nil {
		return nil, nil, false
	}
	now := time.Now()
	busy, err := calendar.ImportBusy(bytes.NewReader(data), calendar.ImportOptions{Clinic: loc, From: now.AddDate(-9, 0, 0), To: now.AddDate(9, 0, 0), MaxInstances: 10})
	if err != nil {
		busy = nil
	}
	return ev, busy, true
}

// sameEvent reports whether the server's copy of an event says what
// kapbook's does: the same times, status, title, place and description
// (a server may rewrite the rest).
func sameEvent(theirs, ours []byte, loc *time.Location) bool {
	a, abusy, ok1 := eventOf(theirs, loc)
	b, bbusy, ok2 := eventOf(ours, loc)
	if !ok1 || !ok2 || !sameIntervals(abusy, bbusy) {
		return false
	}
	for _, name := range []string{ical.PropSummary, ical.PropLocation, ical.PropDescription, ical.PropStatus, ical.PropUID} {
		if text(a, name) != text(b, name) {
			return false
		}
	}
	return true
}

// text returns a property's text, or "".
func text(c *ical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		return p.Value
	}
	return strings.TrimSpace(s)
}

// changeWords says how the server's copy of one of kapbook's events
// differs from kapbook's: its new time, or that it no longer blocks time,
// or that its details were edited. It never quotes the event's text.
func changeWords(theirs, ours []byte, loc *time.Location) string {
	_, busy, ok := eventOf(theirs, loc)
	_, want, _ := eventOf(ours, loc)
	switch {
	case !ok:
		return "changed on the server into something kapbook cannot read"
	case len(busy) == 0:
		return "changed on the server so that it no longer takes up time (cancelled, marked free or moved years away)"
	case !sameIntervals(busy, want):
		return "moved on the server to " + timeWords(busy[0].Start, busy[0].End, loc)
	}
	return "edited on the server (its title, place, notes or status; the time was kept)"
}
