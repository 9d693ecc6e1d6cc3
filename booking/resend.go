package booking

import (
	"context"
	"fmt"
)

// ResendConfirmation queues a fresh confirmation of a series, due now, the
// way booking queues the first one: about the whole series, listing every
// appointment. Give the series (seriesID) or one of its appointments
// (apptID). A confirmation of the series still waiting to go out is
// cancelled, so the patient gets one copy. When the patient asked for no
// email, the message is stored as skipped with NoEmailNote, so the front
// desk sees that nothing was sent. The resend is recorded in the audit
// trail. It returns the queued message.
//
// Returns ENOTFOUND for an unknown series or appointment and ECONFLICT
// when the series has no upcoming booked appointment to confirm.
func (s *Service) ResendConfirmation(ctx context.Context, seriesID, apptID int64) (*OutboxMessage, error) {
	if seriesID == 0 && apptID == 0 {
		return nil, Errorf(EINVALID, "Choose the series or the appointment whose confirmation to send again.")
	}
	var out *OutboxMessage
	err := s.Store.Update(ctx, func(tx Tx) error {
		if apptID != 0 {
			a, err := tx.Appointment(ctx, apptID)
			if err != nil {
				return err
			}
			if seriesID != 0 && a.SeriesID != seriesID {
				return Errorf(EINVALID, "Appointment %d is not part of series %d.", apptID, seriesID)
			}
			seriesID = a.SeriesID
		}
		sr, err := tx.Series(ctx, seriesID)
		if err != nil {
			return err
		}
		now := s.now()
		upcoming := 0
		for _, a := range sr.Appts {
			if a.Status == Booked && a.Start.After(now) {
				upcoming++
			}
		}
		if upcoming == 0 {
			return Errorf(ECONFLICT, "This series has no upcoming appointments, so there is nothing to confirm.")
		}
		pat, err := tx.Patient(ctx, sr.PatientID)
		if err != nil {
			return err
		}
		pending, err := tx.Outbox(ctx, OutboxFilter{State: OutboxPending, SeriesID: sr.ID})
		if err != nil {
			return err
		}
		for _, m := range pending {
			if m.Kind != MessageConfirmation {
				continue
			}
			m.State, m.Note, m.Updated = OutboxCancelled, "replaced by a resent confirmation", now
			if err := tx.UpdateOutbox(ctx, m); err != nil {
				return err
			}
		}
		m := &OutboxMessage{Kind: MessageConfirmation, PatientID: sr.PatientID, SeriesID: sr.ID,
			State: OutboxPending, Due: now, Created: now, Updated: now}
		if err := queue(ctx, tx, pat, m); err != nil {
			return err
		}
		out = m
		note := fmt.Sprintf("confirmation resent, %d upcoming appointments", upcoming)
		if m.State == OutboxSkipped {
			note = "confirmation not sent: " + NoEmailNote
		}
		return appendAudit(ctx, tx, &AuditEntry{At: now, Actor: s.Actor, Action: "resend", PatientID: sr.PatientID,
			SeriesID: sr.ID, AppointmentID: apptID, Note: note})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
