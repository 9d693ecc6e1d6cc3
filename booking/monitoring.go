package booking

import (
	"context"
	"slices"
	"time"
)

// MonitoringAction is the audit action that records a session's
// follow-up form (the esketamine REMS monitoring form) as done.
const MonitoringAction = "monitoring-form"

// MonitoringLookbackDays is how many days back MonitoringTasks looks for
// held sessions whose form is still missing: a protocol's whole window
// (esketamine induction is 91 days), so an overdue form never drops out of
// sight while its series runs.
const MonitoringLookbackDays = 91

// MonitoringTask is a follow-up form due after a held session: the
// esketamine monitoring form of docs/protocols.md (a step's `task`) (blood pressure before the dose, at about 40
// minutes and before discharge), due within the step's Task.DueDays.
type MonitoringTask struct {
	Appointment *Appointment `json:"appointment"`
	PatientName string       `json:"patient_name"`
	// Task is the follow-up's name from the protocol, e.g. "REMS
	// monitoring form".
	Task string `json:"task"`
	// Due is the last day, in the clinic's zone, to record the form.
	Due Date `json:"due"`
	// Overdue is true once Due has passed.
	Overdue bool `json:"overdue"`
}

// held reports whether the appointment took place by now: completed, or
// booked or arrived and over. Cancelled and no-show visits were not held.
func held(a *Appointment, now time.Time) bool {
	switch a.Status {
	case Completed:
		return true
	case Booked, Arrived:
		return !a.End.After(now)
	}
	return false
}

// taskSteps returns, per protocol id, the steps that have a follow-up
// task, and per step id the task every protocol with that step agrees on
// (nil when none has one, or when they differ: then the series' protocol
// decides).
func taskSteps(ctx context.Context, r Reader) (map[string]map[string]*Task, map[string]*Task, error) {
	prs, err := r.Protocols(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]map[string]*Task{}
	byStep := map[string]*Task{}
	ambiguous := map[string]bool{}
	for _, p := range prs {
		for i := range p.Steps {
			st := &p.Steps[i]
			if t, seen := byStep[st.ID]; (seen && (t == nil) != (st.Task == nil)) || (t != nil && st.Task != nil && *t != *st.Task) {
				ambiguous[st.ID] = true
			}
			byStep[st.ID] = st.Task
			if st.Task != nil {
				if out[p.ID] == nil {
					out[p.ID] = map[string]*Task{}
				}
				out[p.ID][st.ID] = st.Task
			}
		}
	}
	for id := range ambiguous {
		byStep[id] = nil
	}
	return out, byStep, nil
}

// recordedForms returns the ids of the patient's appointments whose form
// was recorded, with when.
func recordedForms(ctx context.Context, r Reader, patientID int64) (map[int64]time.Time, error) {
	entries, err := r.Audit(ctx, AuditFilter{PatientID: patientID})
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	for _, e := range entries {
		if e.Action == MonitoringAction && e.AppointmentID != 0 {
			out[e.AppointmentID] = e.At
		}
	}
	return out, nil
}

// MonitoringTasks lists the follow-up forms still to record at now: one
// for every session of a protocol step with a Task (the esketamine
// sessions) that was held in the last MonitoringLookbackDays days and has
// no form recorded (see RecordMonitoringForm). Overdue tasks come first,
// then by due day and session time.
func (s *Service) MonitoringTasks(ctx context.Context, now time.Time) ([]*MonitoringTask, error) {
	r := s.Store
	c, err := r.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	steps, byStep, err := taskSteps(ctx, r)
	if err != nil || len(steps) == 0 {
		return nil, err
	}
	stepIDs := map[string]bool{}
	for _, m := range steps {
		for id := range m {
			stepIDs[id] = true
		}
	}
	loc := c.Location()
	today := DateOf(now.In(loc))
	appts, err := r.Appointments(ctx, AppointmentFilter{From: (today - MonitoringLookbackDays).At(0, loc), To: now, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	var (
		out      []*MonitoringTask
		protocol = map[int64]string{}              // series id → protocol id
		forms    = map[int64]map[int64]time.Time{} // patient id → recorded forms
		names    = map[int64]string{}
	)
	for _, a := range appts {
		if a.SeriesID == 0 || !stepIDs[a.Step] || !held(a, now) {
			continue
		}
		// Every protocol with this step agrees on its task: no need to
		// read the series to know which protocol it follows.
		task := byStep[a.Step]
		if task == nil {
			pid, ok := protocol[a.SeriesID]
			if !ok {
				sr, err := r.Series(ctx, a.SeriesID)
				if err != nil {
					return nil, err
				}
				pid = sr.ProtocolID
				protocol[a.SeriesID] = pid
			}
			task = steps[pid][a.Step]
		}
		if task == nil {
			continue
		}
		done, ok := forms[a.PatientID]
		if !ok {
			if done, err = recordedForms(ctx, r, a.PatientID); err != nil {
				return nil, err
			}
			forms[a.PatientID] = done
			p, err := r.Patient(ctx, a.PatientID)
			if err != nil {
				return nil, err
			}
			names[a.PatientID] = p.Name
		}
		if _, ok := done[a.ID]; ok {
			continue
		}
		due := DateOf(a.End.In(loc)) + Date(task.DueDays)
		out = append(out, &MonitoringTask{Appointment: a, PatientName: names[a.PatientID], Task: task.Name, Due: due, Overdue: today > due})
	}
	slices.SortStableFunc(out, func(x, y *MonitoringTask) int {
		switch {
		case x.Overdue != y.Overdue:
			if x.Overdue {
				return -1
			}
			return 1
		case x.Due != y.Due:
			return int(x.Due - y.Due)
		}
		return x.Appointment.Start.Compare(y.Appointment.Start)
	})
	return out, nil
}

// RecordMonitoringForm records that the follow-up form of a held session
// was completed, as an audit entry with action MonitoringAction, and
// returns the entry. Returns ENOTFOUND for an unknown appointment,
// EINVALID for a session that needs no form, and ECONFLICT for one that
// was not held (yet) or whose form is recorded already.
func (s *Service) RecordMonitoringForm(ctx context.Context, apptID int64) (*AuditEntry, error) {
	var out *AuditEntry
	err := s.Store.Update(ctx, func(tx Tx) error {
		a, err := tx.Appointment(ctx, apptID)
		if err != nil {
			return err
		}
		var task *Task
		if a.SeriesID != 0 {
			sr, err := tx.Series(ctx, a.SeriesID)
			if err != nil {
				return err
			}
			steps, _, err := taskSteps(ctx, tx)
			if err != nil {
				return err
			}
			task = steps[sr.ProtocolID][a.Step]
		}
		if task == nil {
			return Errorf(EINVALID, "%s needs no monitoring form.", a.Label())
		}
		now := s.now()
		if !held(a, now) {
			switch a.Status {
			case NoShow:
				return Errorf(ECONFLICT, "The patient did not come to %s, so there is no monitoring form to record.", a.Label())
			case Cancelled, LateCancelled:
				return Errorf(ECONFLICT, "%s was cancelled, so there is no monitoring form to record.", a.Label())
			}
			return Errorf(ECONFLICT, "%s has not been held yet; record its monitoring form after the session.", a.Label())
		}
		done, err := recordedForms(ctx, tx, a.PatientID)
		if err != nil {
			return err
		}
		if at, ok := done[a.ID]; ok {
			c, err := tx.Clinic(ctx)
			if err != nil {
				return err
			}
			return Errorf(ECONFLICT, "The %s for %s was already recorded on %s.", task.Name, a.Label(), at.In(c.Location()).Format("Mon 2 Jan 2006 15:04"))
		}
		out = &AuditEntry{At: now, Actor: s.Actor, Action: MonitoringAction, PatientID: a.PatientID,
			SeriesID: a.SeriesID, AppointmentID: a.ID, Note: task.Name}
		return appendAudit(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
