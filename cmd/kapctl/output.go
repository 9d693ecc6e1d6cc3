package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// tw writes human output: free lines and aligned rows.
type tw struct{ w *tabwriter.Writer }

func (t *tw) line(format string, args ...any) {
	fmt.Fprintf(t.w, format+"\n", args...)
}

func (t *tw) row(cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(t.w, strings.Join(s, "\t"))
}

// print writes v as JSON with --json, else calls human.
func (a *app) print(v any, human func(w *tw)) error {
	if a.json {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	w := &tw{tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)}
	human(w)
	return w.w.Flush()
}

// apptOut is the JSON form of an appointment.
type apptOut struct {
	ID       int64           `json:"id"`
	Series   int64           `json:"series,omitempty"`
	Patient  int64           `json:"patient"`
	Kind     booking.Kind    `json:"kind"`
	Step     string          `json:"step"`
	Index    int             `json:"index"`
	Count    int             `json:"count"`
	Label    string          `json:"label"`
	Start    time.Time       `json:"start"`
	End      time.Time       `json:"end"`
	Status   booking.Status  `json:"status"`
	Staff    []staffOut      `json:"staff"`
	Room     *roomOut        `json:"room"`
	Escort   *booking.Escort `json:"escort,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Sequence int             `json:"sequence"`
	// CancelledBy is patient or clinic; LateMinutes how late the patient
	// arrived; MakeupOf the missed appointment this one makes up.
	CancelledBy booking.Party `json:"cancelled_by,omitempty"`
	LateMinutes int           `json:"late_minutes,omitempty"`
	MakeupOf    int64         `json:"makeup_of,omitempty"`
}

type staffOut struct {
	ID   int64        `json:"id"`
	Name string       `json:"name"`
	Role booking.Role `json:"role"`
}

type roomOut struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (a *app) apptJSON(list []*booking.Appointment) []apptOut {
	loc := a.clinic.Location()
	out := make([]apptOut, 0, len(list))
	for _, x := range list {
		o := apptOut{ID: x.ID, Series: x.SeriesID, Patient: x.PatientID, Kind: x.Kind, Step: x.Step, Index: x.Index, Count: x.Count,
			Label: x.Label(), Start: x.Start.In(loc), End: x.End.In(loc), Status: x.Status, Escort: x.Escort, Reason: x.Reason,
			Sequence: x.Sequence, Staff: []staffOut{}, CancelledBy: x.CancelledBy, LateMinutes: x.LateMinutes, MakeupOf: x.MakeupOf}
		for _, s := range x.Staff {
			o.Staff = append(o.Staff, staffOut{s.StaffID, s.Name, s.Role})
		}
		if x.RoomID != 0 {
			o.Room = &roomOut{x.RoomID, x.RoomName}
		}
		out = append(out, o)
	}
	return out
}

func (a *app) apptTable(w *tw, list []*booking.Appointment) {
	loc := a.clinic.Location()
	w.row("ID", "WHEN", "WHAT", "PATIENT", "STAFF", "ROOM", "STATUS")
	for _, x := range list {
		var staff []string
		for _, s := range x.Staff {
			staff = append(staff, s.Name)
		}
		room := x.RoomName
		if x.RoomID == 0 {
			room = "video"
		}
		st := string(x.Status)
		switch {
		case x.NeedsEscort() && x.Escort == nil && x.Status == booking.Booked:
			st += " (no escort yet)"
		case x.CancelledBy != "" && !x.Status.Active():
			st += " (by " + string(x.CancelledBy) + ")"
		case x.LateMinutes > 0:
			st += fmt.Sprintf(" (%d min late)", x.LateMinutes)
		}
		w.row(orDash(x.ID), x.Start.In(loc).Format("Mon 2006-01-02 15:04")+"–"+x.End.In(loc).Format("15:04 MST"), x.Label(), a.patientName(x.PatientID), strings.Join(staff, ", "), room, st)
	}
}

func hoursText(h booking.WeeklyHours) string {
	var parts []string
	for d := time.Monday; d <= time.Saturday+1; d++ {
		wd := d % 7
		for _, s := range h.On(wd) {
			parts = append(parts, booking.WeekdayKey(wd)+" "+s.String())
		}
	}
	return strings.Join(parts, ", ")
}

func staffText(needs []booking.StaffNeed) string {
	parts := make([]string, len(needs))
	for i, n := range needs {
		parts[i] = n.String()
	}
	return strings.Join(parts, " + ")
}

func roomText(r booking.RoomNeed) string {
	if r.Video == "only" {
		return "video"
	}
	var kinds []string
	for _, k := range r.Kinds {
		kinds = append(kinds, string(k))
	}
	s := strings.Join(kinds, "/")
	if s == "" {
		s = "any room"
	}
	if len(r.Equipment) > 0 {
		s += " with " + strings.Join(r.Equipment, ", ")
	}
	if r.Video == "allowed" {
		s += " or video"
	}
	if r.HoldAfter > 0 {
		s += fmt.Sprintf(", +%d min turnover", r.HoldAfter)
	}
	return s
}

func whenText(p *booking.Protocol, i int) string {
	s := p.Steps[i]
	var parts []string
	switch {
	case s.AfterEach != "":
		parts = append(parts, fmt.Sprintf("%s after each %s", s.Gap, s.AfterEach))
		if s.BeforeNext {
			parts = append(parts, "before the next "+s.AfterEach)
		}
	case i == 0:
		parts = append(parts, "from the start date")
	default:
		after := s.After
		if after == "" {
			after = p.Steps[i-1].ID
		}
		parts = append(parts, fmt.Sprintf("first %s after %s", s.Gap, after))
	}
	if s.RepeatGap != nil {
		parts = append(parts, fmt.Sprintf("then %s apart", s.RepeatGap))
	}
	if s.WithinDays > 0 {
		parts = append(parts, fmt.Sprintf("all within %d days", s.WithinDays))
	}
	if s.LatestEnd != nil {
		parts = append(parts, "ends by "+s.LatestEnd.String())
	}
	if s.Optional {
		parts = append(parts, "optional")
	}
	if s.REMS {
		parts = append(parts, "REMS")
	}
	return strings.Join(parts, "; ")
}

func consentText(c booking.Consents) string {
	var parts []string
	for _, x := range []struct {
		name string
		d    *booking.Date
	}{{"detailed email", c.DetailedEmail}, {"no email", c.NoEmail}, {"screening cleared", c.ScreeningCleared}, {"REMS enrolled", c.REMSEnrolled}} {
		if x.d != nil {
			parts = append(parts, fmt.Sprintf("%s (%s)", x.name, x.d))
		}
	}
	if len(parts) == 0 {
		return "none recorded"
	}
	return strings.Join(parts, ", ")
}

// patientName returns a patient's name for staff-facing tables.
func (a *app) patientName(id int64) string {
	if n, ok := a.names[id]; ok {
		return n
	}
	n := fmt.Sprintf("patient %d", id)
	if p, err := a.db.Patient(context.Background(), id); err == nil {
		n = p.Name
	}
	if a.names == nil {
		a.names = map[int64]string{}
	}
	a.names[id] = n
	return n
}
