package booking

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CancelRequest asks to cancel one appointment, or the rest of a series.
type CancelRequest struct {
	// AppointmentID is the one appointment to cancel; the booked
	// appointments that follow it (its integration) are cancelled with it.
	AppointmentID int64
	// SeriesID, instead, cancels every booked appointment of the series
	// that has not started (a failed screening, a patient who stops).
	SeriesID int64
	// By is who asked for it: the patient or the clinic. Only a patient's
	// cancellation at shorter notice than the clinic's limit is late.
	By     Party
	Reason string
}

// Cancel cancels what req names and records who asked; a patient's
// cancellation with less notice than the clinic's late-cancel limit is
// marked late-cancelled. In the same transaction the cancelled
// appointments' pending reminders are cancelled and one cancellation
// message is queued: about the series when it cancels more than one
// appointment, otherwise about the one. It returns the cancelled
// appointments. Returns EINVALID without who asked, ENOTFOUND for an
// unknown id and ECONFLICT for what cannot be cancelled.
func (s *Service) Cancel(ctx context.Context, req CancelRequest) ([]*Appointment, error) {
	if err := checkText("Reason", req.Reason, 500, false); err != nil {
		return nil, err
	}
	if (req.AppointmentID == 0) == (req.SeriesID == 0) {
		return nil, Errorf(EINVALID, "Say what to cancel: one appointment or the rest of a series.")
	}
	if req.By != ByPatient && req.By != ByClinic {
		return nil, Errorf(EINVALID, "Say who asked for the cancellation: the patient or the clinic (only a patient's cancellation at short notice counts as late).")
	}
	var out []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.Clinic(ctx)
		if err != nil {
			return err
		}
		now := s.now()
		var list []*Appointment
		seriesID := req.SeriesID
		if req.AppointmentID != 0 {
			a, err := tx.Appointment(ctx, req.AppointmentID)
			if err != nil {
				return err
			}
			if a.Status != Booked && a.Status != Arrived {
				return Errorf(ECONFLICT, "This appointment is already %s.", strings.ToLower(a.Status.Words()))
			}
			list = []*Appointment{a}
		} else {
			sr, err := tx.Series(ctx, req.SeriesID)
			if err != nil {
				return err
			}
			for _, a := range sr.Appts {
				if a.Status == Booked && a.Start.After(now) {
					list = append(list, a)
				}
			}
			if len(list) == 0 {
				return Errorf(ECONFLICT, "Series %d has no upcoming appointments to cancel.", req.SeriesID)
			}
		}
		for _, a := range list {
			if err := s.cancelOne(ctx, tx, a, req.By, req.Reason, c, now); err != nil {
				return err
			}
		}
		if req.AppointmentID != 0 {
			deps, err := s.cancelDependents(ctx, tx, list[0], "its "+strings.ToLower(list[0].Label())+" was cancelled", now)
			if err != nil {
				return err
			}
			if list = append(list, deps...); len(deps) > 0 {
				seriesID = list[0].SeriesID
			}
		}
		out = list
		return s.queueCancelled(ctx, tx, list, seriesID, now)
	})
	return out, err
}

// IsLateCancel reports whether cancelling a now, as asked by whom, is a
// late cancellation: the patient's, with less notice than the clinic's
// limit (docs/protocols.md, "Attendance").
func (c *Clinic) IsLateCancel(a *Appointment, by Party, now time.Time) bool {
	return by == ByPatient && a.Start.Sub(now) < c.LateCancel()
}

// cancelOne cancels a, as asked by whom, late when c says so (c nil: never
// late), and audits it.
func (s *Service) cancelOne(ctx context.Context, tx Tx, a *Appointment, by Party, reason string, c *Clinic, now time.Time) error {
	before := auditJSON(a)
	a.Status = Cancelled
	if c != nil && c.IsLateCancel(a, by, now) {
		a.Status = LateCancelled
	}
	a.CancelledBy, a.Reason = by, reason
	a.Sequence++
	a.Updated = now
	if err := tx.UpdateAppointment(ctx, a); err != nil {
		return err
	}
	note := fmt.Sprintf("by the %s", by)
	if reason != "" {
		note += ": " + reason
	}
	return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "cancel", PatientID: a.PatientID,
		SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: note})
}

// cancelDependents cancels, by the clinic, the booked appointments that
// follow a in its series (the integration after a dosing): without it
// they have nothing to follow. It returns them.
func (s *Service) cancelDependents(ctx context.Context, tx Tx, a *Appointment, why string, now time.Time) ([]*Appointment, error) {
	if a.SeriesID == 0 {
		return nil, nil
	}
	sc, err := s.loadSeries(ctx, tx, a.ID)
	if err != nil {
		return nil, err
	}
	var out []*Appointment
	for _, seq := range sc.dependents(a.Seq) {
		d := sc.holders[seq]
		if d == nil || d.Status != Booked {
			continue
		}
		if err := s.cancelOne(ctx, tx, d, ByClinic, why, nil, now); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// NeedsEscort reports whether the appointment is a visit after which the
// patient must not travel alone: a dose.
func (a *Appointment) NeedsEscort() bool { return a.EscortNeeded }

// EscortsDue are the visits of one day that need an escort (NeedsEscort,
// still booked) and those of them with none recorded yet.
type EscortsDue struct {
	Day     Date
	Need    int            // visits that need an escort
	Missing []*Appointment // of those, the ones without one, by start
}

// MissingEscorts reads the visits on day (in loc) that need an escort and
// have none recorded: the front desk calls those patients the day before.
// kapctl escorts and the Today screen both ask here.
func MissingEscorts(ctx context.Context, r Reader, day Date, loc *time.Location) (*EscortsDue, error) {
	all, err := r.Appointments(ctx, AppointmentFilter{From: day.At(0, loc), To: (day + 1).At(0, loc), ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	due := &EscortsDue{Day: day}
	for _, a := range all {
		if a.NeedsEscort() && a.Status == Booked {
			due.Need++
			if a.Escort == nil {
				due.Missing = append(due.Missing, a)
			}
		}
	}
	return due, nil
}

// Attendance is what the front desk records about a visit.
type Attendance struct {
	Status Status // arrived, completed or no-show
	// LateMinutes, for arrived, is how many minutes late the patient
	// came; nil: from the clock (the minutes since the start, 0 when on
	// time).
	LateMinutes *int
}

// SetStatus records attendance as SetAttendance does, with minutes late
// from the clock.
func (s *Service) SetStatus(ctx context.Context, apptID int64, st Status) (*Appointment, error) {
	return s.SetAttendance(ctx, apptID, Attendance{Status: st})
}

// SetAttendance records attendance: arrived (with the minutes late),
// completed or no-show. Check-in for a dose needs its escort recorded
// first, and for a REMS session the patient's enrolment on or before its
// date. A no-show cancels the booked appointments that follow it (its
// integration), by the clinic, with one message to the patient. Returns
// ECONFLICT for what cannot be recorded and EINVALID for a bad status.
func (s *Service) SetAttendance(ctx context.Context, apptID int64, at Attendance) (*Appointment, error) {
	st := at.Status
	if st != Arrived && st != Completed && st != NoShow {
		return nil, Errorf(EINVALID, "%q is not a status you can set; use arrived, completed or no-show.", Clip(string(st), 20))
	}
	if at.LateMinutes != nil && (*at.LateMinutes < 0 || *at.LateMinutes > 24*60) {
		return nil, Errorf(EINVALID, "Minutes late must be between 0 and 1440.")
	}
	var out *Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Appointment(ctx, apptID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.canRecord(ctx, tx, a, st, now); err != nil {
			return err
		}
		before := auditJSON(a)
		a.Status = st
		if st == Arrived {
			a.LateMinutes = min(max(int(now.Sub(a.Start)/time.Minute), 0), 24*60)
			if at.LateMinutes != nil {
				a.LateMinutes = *at.LateMinutes
			}
		}
		a.Sequence++
		a.Updated = now
		if err := tx.UpdateAppointment(ctx, a); err != nil {
			return err
		}
		out = a
		note := string(st)
		if a.LateMinutes > 0 && st == Arrived {
			note = fmt.Sprintf("arrived %s late", count(a.LateMinutes, "minutes"))
		}
		if err := appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "status", PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, Before: before, After: auditJSON(a), Note: note}); err != nil {
			return err
		}
		if st != NoShow {
			return nil
		}
		deps, err := s.cancelDependents(ctx, tx, a, "the "+strings.ToLower(a.Label())+" before it was missed", now)
		if err != nil || len(deps) == 0 {
			return err
		}
		seriesID := int64(0)
		if len(deps) > 1 {
			seriesID = a.SeriesID
		}
		return s.queueCancelled(ctx, tx, deps, seriesID, now)
	})
	return out, err
}

// canRecord returns ECONFLICT when status st cannot be recorded for a now.
func (s *Service) canRecord(ctx context.Context, r Reader, a *Appointment, st Status, now time.Time) error {
	switch {
	case !a.Status.Active():
		return Errorf(ECONFLICT, "This appointment was cancelled.")
	case a.Status == st:
		return Errorf(ECONFLICT, "This appointment is already marked %s.", st)
	case st == Arrived && a.NeedsEscort() && a.Escort == nil:
		return Errorf(ECONFLICT, "Record the escort who will take the patient home before checking in for this visit.")
	case st != Arrived && now.Before(a.Start):
		return Errorf(ECONFLICT, "This appointment has not started yet (%s).", a.Start.Format("Mon 2 Jan 15:04"))
	case st == Arrived && now.Before(a.Start.Add(-12*time.Hour)):
		return Errorf(ECONFLICT, "This appointment is not today; it is on %s.", a.Start.Format("Mon 2 Jan 15:04"))
	}
	if !a.NeedsREMS || st == NoShow {
		return nil
	}
	pat, err := r.Patient(ctx, a.PatientID)
	if err != nil {
		return err
	}
	c, err := r.Clinic(ctx)
	if err != nil {
		return err
	}
	day := DateOf(a.Start.In(c.Location()))
	switch e := pat.Consents.REMSEnrolled; {
	case !c.REMSCertified:
		return Errorf(ECONFLICT, "The clinic is not marked as REMS-certified, so this session cannot be checked in; mark it in the clinic's settings first.")
	case e == nil:
		return Errorf(ECONFLICT, "%s is not REMS-enrolled, so this session cannot be checked in; record the enrolment first (kapctl patient consent %d rems-enrolled --date D).", pat.Name, pat.ID)
	case *e > day:
		return Errorf(ECONFLICT, "%s is REMS-enrolled only from %s, after this session (%s), so it cannot be checked in.", pat.Name, *e, day)
	}
	return nil
}
