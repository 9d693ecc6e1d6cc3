package booking

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// ConsentChange records, or with a nil On withdraws, one of a patient's
// consents.
type ConsentChange struct {
	PatientID int64
	// Kind is detailed-email, no-email, screening-cleared or rems-enrolled.
	Kind string
	On   *Date
	// Doses says what to do with the booked REMS sessions that withdrawing
	// the REMS enrolment, or dating it later, leaves without enrolment:
	// DosesCancel cancels them (by the clinic), DosesKeep keeps them
	// booked (they cannot be checked in until the patient is enrolled
	// again). With DosesAsk (the default) such sessions make the change
	// fail with ECONFLICT listing them.
	Doses DoseChoice
}

// DoseChoice is what a change of REMS enrolment does with the booked
// sessions it leaves without enrolment.
type DoseChoice int

// The choices.
const (
	DosesAsk DoseChoice = iota
	DosesCancel
	DosesKeep
)

// SetConsent records (or, with a nil date, withdraws) one of a patient's
// consents: detailed-email, no-email, screening-cleared or rems-enrolled.
// It is ChangeConsent asking about booked REMS sessions.
func (s *Service) SetConsent(ctx context.Context, patientID int64, kind string, on *Date) (*Patient, error) {
	p, _, err := s.ChangeConsent(ctx, ConsentChange{PatientID: patientID, Kind: kind, On: on})
	return p, err
}

// ChangeConsent records a consent change with an audit entry, and returns
// the patient and the REMS sessions it cancelled. Returns EINVALID for an
// unknown kind, ENOTFOUND for an unknown patient, and ECONFLICT listing
// the booked REMS sessions the change leaves without enrolment when
// c.Doses is DosesAsk.
func (s *Service) ChangeConsent(ctx context.Context, c ConsentChange) (*Patient, []*Appointment, error) {
	var out *Patient
	var cancelled []*Appointment
	err := s.Store.Update(ctx, func(tx Tx) error {
		p, err := tx.Patient(ctx, c.PatientID)
		if err != nil {
			return err
		}
		before := auditJSON(p.Consents)
		switch c.Kind {
		case "detailed-email":
			p.Consents.DetailedEmail = c.On
		case "no-email":
			p.Consents.NoEmail = c.On
		case "screening-cleared":
			p.Consents.ScreeningCleared = c.On
		case "rems-enrolled":
			p.Consents.REMSEnrolled = c.On
		default:
			return Errorf(EINVALID, "%q is not a consent; use detailed-email, no-email, screening-cleared or rems-enrolled.", Clip(c.Kind, 30))
		}
		if err := tx.SavePatient(ctx, p); err != nil {
			return err
		}
		out = p
		if err := appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "consent", PatientID: p.ID, Before: before, After: auditJSON(p.Consents), Note: c.Kind}); err != nil {
			return err
		}
		if c.Kind != "rems-enrolled" {
			return nil
		}
		cancelled, err = s.unenrolledDoses(ctx, tx, p, c.Doses)
		return err
	})
	return out, cancelled, err
}

// REMSUnenrolled returns the patient's booked REMS sessions that an
// enrolment dated on (nil: withdrawn) would leave without enrolment: what
// ChangeConsent asks about.
func (s *Service) REMSUnenrolled(ctx context.Context, patientID int64, on *Date) ([]*Appointment, error) {
	c, err := s.Store.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	appts, err := s.Store.Appointments(ctx, AppointmentFilter{PatientID: patientID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	return unenrolled(appts, on, c), nil
}

func unenrolled(appts []*Appointment, on *Date, c *Clinic) []*Appointment {
	var out []*Appointment
	for _, a := range appts {
		if a.NeedsREMS && a.Status == Booked && (on == nil || DateOf(a.Start.In(c.Location())) < *on) {
			out = append(out, a)
		}
	}
	return out
}

// unenrolledDoses handles the booked REMS sessions p's enrolment no longer
// covers, as choice says, and returns those it cancelled.
func (s *Service) unenrolledDoses(ctx context.Context, tx Tx, p *Patient, choice DoseChoice) ([]*Appointment, error) {
	c, err := tx.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	appts, err := tx.Appointments(ctx, AppointmentFilter{PatientID: p.ID, ActiveOnly: true})
	if err != nil {
		return nil, err
	}
	left := unenrolled(appts, p.Consents.REMSEnrolled, c)
	if len(left) == 0 || choice == DosesKeep {
		return nil, nil
	}
	if choice == DosesAsk {
		var when []string
		for _, a := range left {
			when = append(when, a.Start.In(c.Location()).Format("Mon 2 Jan"))
		}
		return nil, Errorf(ECONFLICT, "%s has %s booked that this leaves without REMS enrolment (%s). Cancel them with it (kapctl: --cancel-doses), or keep them booked until the patient is enrolled again (--keep-doses); nothing was changed.",
			p.Name, count(len(left), "sessions"), strings.Join(when, ", "))
	}
	now := s.now()
	bySeries := map[int64][]*Appointment{}
	for _, a := range left {
		if err := s.cancelOne(ctx, tx, a, ByClinic, "REMS enrolment withdrawn", nil, now); err != nil {
			return nil, err
		}
		bySeries[a.SeriesID] = append(bySeries[a.SeriesID], a)
	}
	for _, sid := range slices.Sorted(maps.Keys(bySeries)) {
		list, id := bySeries[sid], sid
		if len(list) == 1 {
			id = 0
		}
		if err := s.queueCancelled(ctx, tx, list, id, now); err != nil {
			return nil, err
		}
	}
	return left, nil
}
