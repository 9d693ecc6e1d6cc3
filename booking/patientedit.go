package booking

import (
	"context"
	"strings"
)

// contact is the part of a patient that UpdatePatient changes.
type contact struct {
	Name, Email, Phone string
	Preferences        Preferences
}

func contactOf(p *Patient) contact {
	return contact{Name: p.Name, Email: p.Email, Phone: p.Phone, Preferences: p.Preferences}
}

// UpdatePatient validates and stores a patient's name, email, phone and
// preferences, with an audit entry naming the fields that changed (and the
// preferences before and after, but never a name, email or phone). The
// stored consents and creation time are kept whatever p holds (consents
// change through SetConsent). On success p holds the stored patient. A
// patient whose details did not change is left as it was, without an
// audit entry. Returns EINVALID for details that fail validation and
// ENOTFOUND for an unknown patient.
func (s *Service) UpdatePatient(ctx context.Context, p *Patient) error {
	if p == nil {
		return Errorf(EINVALID, "The patient is missing.")
	}
	p.Name = strings.TrimSpace(p.Name)
	p.Email = strings.TrimSpace(p.Email)
	p.Phone = strings.TrimSpace(p.Phone)
	if err := p.Validate(); err != nil {
		return err
	}
	var out *Patient
	err := s.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Patient(ctx, p.ID)
		if err != nil {
			return err
		}
		before, after := contactOf(cur), contactOf(p)
		changed := changedFields(before, after)
		out = cur
		if len(changed) == 0 {
			return nil
		}
		next := *cur
		next.Name, next.Email, next.Phone, next.Preferences = p.Name, p.Email, p.Phone, p.Preferences
		if err := tx.SavePatient(ctx, &next); err != nil {
			return err
		}
		out = &next
		// The audit names the fields that changed, never their values:
		// it holds no patient's name, email or phone (docs/privacy.md).
		e := &AuditEntry{At: s.now(), Actor: s.Actor, Action: "patient-edit", PatientID: cur.ID, Note: strings.Join(changed, ", ")}
		if auditJSON(before.Preferences) != auditJSON(after.Preferences) {
			e.Before, e.After = auditJSON(before.Preferences), auditJSON(after.Preferences)
		}
		return appendAudit(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	*p = *out
	return nil
}

// changedFields names the contact fields that differ.
func changedFields(a, b contact) []string {
	var out []string
	if a.Name != b.Name {
		out = append(out, "name")
	}
	if a.Email != b.Email {
		out = append(out, "email")
	}
	if a.Phone != b.Phone {
		out = append(out, "phone")
	}
	if auditJSON(a.Preferences) != auditJSON(b.Preferences) {
		out = append(out, "preferences")
	}
	return out
}
