package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// UpdatePatient changes the contact details and nothing else, finds the
// patient by its new details, and records what changed in the audit.
func TestUpdatePatient(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2027, 3, 1, 14, 0, 0, 0, time.UTC)
	db, svc, p := demoWithPatient(t, now)
	given := booking.DateOf(now)
	if _, err := svc.SetConsent(ctx, p.ID, "detailed-email", &given); err != nil {
		t.Fatal(err)
	}
	stored := func() *booking.Patient {
		t.Helper()
		got, err := db.Patient(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	audits := func() []*booking.AuditEntry {
		t.Helper()
		list, err := db.Audit(ctx, booking.AuditFilter{PatientID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	t.Run("OK", func(t *testing.T) {
		edit := &booking.Patient{ID: p.ID, Name: "  Jane Q. Doe ", Email: "jane.doe@example.net", Phone: "+1 617 555 0199",
			Preferences: booking.Preferences{Weekdays: []string{"tue"}}}
		if err := svc.UpdatePatient(ctx, edit); err != nil {
			t.Fatal(err)
		}
		got := stored()
		if got.Name != "Jane Q. Doe" || got.Email != "jane.doe@example.net" || got.Phone != "+1 617 555 0199" {
			t.Fatalf("stored %q %q %q, want the new details", got.Name, got.Email, got.Phone)
		}
		if !reflect.DeepEqual(got.Preferences.Weekdays, []string{"tue"}) {
			t.Fatalf("weekdays=%v, want [tue]", got.Preferences.Weekdays)
		}
		if got.Consents.DetailedEmail == nil || *got.Consents.DetailedEmail != given {
			t.Fatalf("consent lost: %+v", got.Consents)
		}
		if edit.Consents.DetailedEmail == nil || !edit.Created.Equal(got.Created) {
			t.Fatalf("the argument does not hold the stored patient: %+v", edit)
		}
		found, err := db.FindPatients(ctx, "617 555 0199")
		if err != nil || len(found) != 1 || found[0].ID != p.ID {
			t.Fatalf("FindPatients by the new phone=%v (%v), want the patient", found, err)
		}
		a := audits()[0]
		if a.Action != "patient-edit" || a.Note != "name, email, phone, preferences" || a.Actor != "test" {
			t.Fatalf("audit %s %q by %q, want patient-edit of name, email, phone, preferences", a.Action, a.Note, a.Actor)
		}
		for _, secret := range []string{"jane@example.org", "jane.doe@example.net", "Jane", "0199"} {
			if strings.Contains(a.Before+a.After+a.Note, secret) {
				t.Fatalf("audit %q %q %q holds the patient's details (%s)", a.Before, a.After, a.Note, secret)
			}
		}
		if a.Before != `{}` || a.After != `{"weekdays":["tue"]}` {
			t.Fatalf("audit before %s after %s, want the preferences", a.Before, a.After)
		}
	})

	t.Run("ErrBadEmail", func(t *testing.T) {
		before, n := stored(), len(audits())
		err := svc.UpdatePatient(ctx, &booking.Patient{ID: p.ID, Name: "Jane Doe", Email: "jane at example"})
		wantCode(t, err, booking.EINVALID)
		if msg := booking.ErrorMessage(err); !strings.Contains(msg, "not a valid address") {
			t.Fatalf("message %q, want it to say the address is not valid", msg)
		}
		if got := stored(); !reflect.DeepEqual(got, before) {
			t.Fatalf("stored patient changed: %+v, was %+v", got, before)
		}
		if len(audits()) != n {
			t.Fatal("a refused edit was audited")
		}
	})

	t.Run("UnchangedNotAudited", func(t *testing.T) {
		cur, n := stored(), len(audits())
		if err := svc.UpdatePatient(ctx, cur); err != nil {
			t.Fatal(err)
		}
		if len(audits()) != n {
			t.Fatal("an edit that changed nothing was audited")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		err := svc.UpdatePatient(ctx, &booking.Patient{ID: 999, Name: "Nobody", Email: "nobody@example.org"})
		wantCode(t, err, booking.ENOTFOUND)
	})
}
