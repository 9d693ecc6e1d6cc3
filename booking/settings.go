package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SaveClinic validates and stores the clinic's own settings (name, zone,
// hours, closures, address, phone, notice), with an audit entry, in one
// transaction. It returns the booked appointments that new closures or
// shorter opening hours now leave outside them: they stay until the front
// desk moves them, each recorded as an override of that rule. Closures are kept in date order. The email settings, email
// templates and message timings are kept as stored, whatever c holds:
// SetEmail and SetTemplate change them, so a screen that loaded the
// clinic before someone changed them cannot undo that change. Returns
// EINVALID for settings that fail validation.
func (s *Service) SaveClinic(ctx context.Context, c *Clinic) ([]*Appointment, error) {
	if c == nil {
		return nil, Errorf(EINVALID, "The clinic settings are missing.")
	}
	c.Name = strings.TrimSpace(c.Name)
	c.TimeZone = strings.TrimSpace(c.TimeZone)
	c.Address = strings.TrimSpace(c.Address)
	c.Phone = strings.TrimSpace(c.Phone)
	for i := range c.Closures {
		c.Closures[i].Reason = strings.TrimSpace(c.Closures[i].Reason)
	}
	slices.SortStableFunc(c.Closures, func(a, b Closure) int { return int(a.From) - int(b.From) })
	var left []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		before := ""
		old, err := tx.Clinic(ctx)
		switch {
		case err == nil:
			c.Email, c.Templates, c.Messages = old.Email, old.Templates, old.Messages
			c.TreatmentWordsAllowed, c.CalendarHosts = old.TreatmentWordsAllowed, old.CalendarHosts
			before = auditJSON(clinicAudit(old))
		case ErrorCode(err) == ENOTFOUND:
			c.Email, c.Templates, c.Messages = nil, nil, nil
		default:
			return err
		}
		if err := c.Validate(); err != nil {
			return err
		}
		for _, f := range [...]struct{ what, s string }{{"The clinic's name", c.Name}, {"The clinic's address", c.Address}, {"The clinic's phone", c.Phone}} {
			if err := checkTreatmentWords(c, f.what, f.s); err != nil {
				return err
			}
		}
		if err := tx.SaveClinic(ctx, c); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "clinic", Before: before, After: auditJSON(clinicAudit(c)), Note: c.Name}); err != nil {
			return err
		}
		if old == nil {
			return nil
		}
		left, err = s.leftOut(ctx, tx, AppointmentFilter{}, func(a *Appointment) string {
			local := a.Start.In(c.Location())
			d, m := DateOf(local), ClockOf(local)
			end := m + Clock(a.End.Sub(a.Start)/time.Minute)
			switch {
			case c.ClosedOn(d) != nil && old.ClosedOn(d) == nil:
				return fmt.Sprintf("a closure added after it was booked (rule overridden: the clinic is closed on %s)", local.Format("Mon 2 Jan 2006"))
			case !c.Hours.Contains(d.Weekday(), m, end) && old.Hours.Contains(d.Weekday(), m, end):
				return "opening hours changed after it was booked (rule overridden: outside the clinic's opening hours)"
			}
			return ""
		})
		return err
	})
	return left, err
}

// leftOut records, as an override until it is moved, each booked
// appointment from now on (of those f selects) that a settings change
// leaves outside a rule: why returns the words, or "" for one the change
// leaves alone. It returns those appointments.
func (s *Service) leftOut(ctx context.Context, tx Tx, f AppointmentFilter, why func(*Appointment) string) ([]*Appointment, error) {
	return recordLeftOut(ctx, tx, f, s.now(), s.Actor, why)
}

func recordLeftOut(ctx context.Context, tx Tx, f AppointmentFilter, now time.Time, actor string, why func(*Appointment) string) ([]*Appointment, error) {
	f.From, f.ActiveOnly = now, true
	appts, err := tx.Appointments(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []*Appointment
	for _, a := range appts {
		w := ""
		if a.Status == Booked {
			w = why(a)
		}
		if w == "" {
			continue
		}
		out = append(out, a)
		if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: actor, Action: "override", PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, After: auditJSON(a), Note: w + "; it stays until it is moved"}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RecordBusyClashes returns the booked appointments of staff member st
// from now on that busy times (from their own calendar) cover, for a
// warning, and records in tx, each as an override until it is moved, those
// the busy times cover newly (in busy, not in old): imported after they
// were booked. New bookings avoid busy times; these stay until the front
// desk moves them. The calendar package calls it wherever it saves busy
// times.
func RecordBusyClashes(ctx context.Context, tx Tx, st *Staff, old, busy []Interval, now time.Time, actor string) ([]*Appointment, error) {
	if len(busy) == 0 {
		return nil, nil
	}
	overlaps := func(ivs []Interval, a *Appointment) bool {
		return slices.ContainsFunc(ivs, func(iv Interval) bool { return iv.Overlaps(a.Start, a.End) })
	}
	var covered []*Appointment
	_, err := recordLeftOut(ctx, tx, AppointmentFilter{StaffID: st.ID}, now, actor, func(a *Appointment) string {
		if !overlaps(busy, a) {
			return ""
		}
		covered = append(covered, a)
		if overlaps(old, a) {
			return "" // recorded when it was first covered
		}
		return fmt.Sprintf("busy time from %s's own calendar imported after it was booked (rule overridden: %s is busy then in their own calendar)", st.Name, st.Name)
	})
	return covered, err
}

// clinicAudit is the clinic as its audit entries record it: without the
// email templates, which SetTemplate records when they change.
func clinicAudit(c *Clinic) Clinic {
	x := *c
	x.Templates = nil
	return x
}

// SaveStaff validates and stores a staff member, new (ID 0, which is then
// set) or changed, with an audit entry. The busy times imported from the
// person's own calendar are kept as stored: only an import or a
// subscription replaces them. It returns the booked appointments that new
// time off now covers, or changed working hours leave out: new bookings
// avoid them, but these stay until the front desk moves them, each
// recorded in the audit trail as an override of that rule. Returns EINVALID for details that fail validation
// or a name another staff member has, and ENOTFOUND for an unknown id.
func (s *Service) SaveStaff(ctx context.Context, st *Staff) ([]*Appointment, error) {
	if st == nil {
		return nil, Errorf(EINVALID, "The staff member is missing.")
	}
	st.Name = strings.TrimSpace(st.Name)
	st.Email = strings.TrimSpace(st.Email)
	st.VideoLink = strings.TrimSpace(st.VideoLink)
	for i := range st.Qualifications {
		st.Qualifications[i] = strings.TrimSpace(st.Qualifications[i])
	}
	st.Qualifications = slices.DeleteFunc(st.Qualifications, func(q string) bool { return q == "" })
	if err := st.Validate(); err != nil {
		return nil, err
	}
	var clash []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		list, err := tx.StaffList(ctx)
		if err != nil {
			return err
		}
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		if err := checkTreatmentWords(c, "The video link (patients receive it by email)", st.VideoLink); err != nil {
			return err
		}
		var old *Staff
		for _, x := range list {
			if x.ID == st.ID && st.ID != 0 {
				old = x
			} else if strings.EqualFold(x.Name, st.Name) {
				return Errorf(EINVALID, "Another staff member is already called %s; give each a distinct name.", x.Name)
			}
		}
		before, action := "", "staff-add"
		var added []Interval
		if st.ID != 0 {
			if old == nil {
				return Errorf(ENOTFOUND, "There is no staff member with id %d.", st.ID)
			}
			st.Busy = old.Busy
			before, action = auditJSON(staffAudit(old)), "staff"
			added = slices.DeleteFunc(slices.Clone(st.TimeOff), func(iv Interval) bool { return slices.Contains(old.TimeOff, iv) })
		} else {
			st.Busy = nil
		}
		if err := tx.SaveStaff(ctx, st); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: action, Before: before,
			After: auditJSON(staffAudit(st)), Note: fmt.Sprintf("%s (staff %d)", st.Name, st.ID)}); err != nil {
			return err
		}
		if old == nil {
			return nil
		}
		clash, err = s.leftOut(ctx, tx, AppointmentFilter{StaffID: st.ID}, func(a *Appointment) string {
			if slices.ContainsFunc(added, func(iv Interval) bool { return iv.Overlaps(a.Start, a.End) }) {
				return fmt.Sprintf("time off added after it was booked (rule overridden: %s has time off then)", st.Name)
			}
			local := a.Start.In(c.Location())
			wd, m := DateOf(local).Weekday(), ClockOf(local)
			end := m + Clock(a.End.Sub(a.Start)/time.Minute)
			if !st.Hours.Contains(wd, m, end) && old.Hours.Contains(wd, m, end) {
				return fmt.Sprintf("working hours changed after it was booked (rule overridden: outside %s's working hours)", st.Name)
			}
			return ""
		})
		if err != nil {
			return err
		}
		return nil
	})
	return clash, err
}

// staffAudit is a staff member as the audit trail records it: without
// the busy times, which say nothing the clinic decided.
func staffAudit(st *Staff) Staff {
	c := *st
	c.Busy = nil
	return c
}

// SaveRoom validates and stores a room, new (ID 0, which is then set) or
// changed, with an audit entry. Returns EINVALID for details that fail
// validation or a name another room has, and ENOTFOUND for an unknown id.
func (s *Service) SaveRoom(ctx context.Context, r *Room) error {
	if r == nil {
		return Errorf(EINVALID, "The room is missing.")
	}
	r.Name = strings.TrimSpace(r.Name)
	for i := range r.Equipment {
		r.Equipment[i] = strings.TrimSpace(r.Equipment[i])
	}
	r.Equipment = slices.DeleteFunc(r.Equipment, func(e string) bool { return e == "" })
	if err := r.Validate(); err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		rooms, err := tx.Rooms(ctx)
		if err != nil {
			return err
		}
		var old *Room
		for _, x := range rooms {
			if x.ID == r.ID && r.ID != 0 {
				old = x
			} else if strings.EqualFold(x.Name, r.Name) {
				return Errorf(EINVALID, "Another room is already called %s; give each a distinct name.", x.Name)
			}
		}
		before, action := "", "room-add"
		if r.ID != 0 {
			if old == nil {
				return Errorf(ENOTFOUND, "There is no room with id %d.", r.ID)
			}
			before, action = auditJSON(old), "room"
		}
		if err := tx.SaveRoom(ctx, r); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: action, Before: before,
			After: auditJSON(r), Note: fmt.Sprintf("%s (room %d)", r.Name, r.ID)})
	})
}

// DuplicateProtocol stores a copy of protocol id under a new id (the
// first free one of "ID-copy", "ID-copy-2", …) named "NAME (copy)", with
// an audit entry, and returns it. Returns ENOTFOUND for an unknown
// protocol.
func (s *Service) DuplicateProtocol(ctx context.Context, id string) (*Protocol, error) {
	var out *Protocol
	err := s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.Protocol(ctx, id)
		if err != nil {
			return err
		}
		all, err := tx.Protocols(ctx)
		if err != nil {
			return err
		}
		taken := map[string]bool{}
		for _, x := range all {
			taken[x.ID] = true
		}
		base := p.ID
		if len(base) > 50 {
			base = strings.TrimRight(base[:50], "-")
		}
		newID := base + "-copy"
		for n := 2; taken[newID]; n++ {
			newID = fmt.Sprintf("%s-copy-%d", base, n)
		}
		p.ID = newID
		p.Name = Clip(p.Name, 190) + " (copy)"
		if err := p.Validate(); err != nil {
			return err
		}
		if err := tx.SaveProtocol(ctx, p); err != nil {
			return err
		}
		out = p
		return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "protocol", After: auditJSON(p), Note: p.ID + " (copy of " + id + ")"})
	})
	return out, err
}
