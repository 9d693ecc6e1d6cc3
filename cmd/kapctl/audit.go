package main

import (
	"context"
	"flag"
	"strconv"

	"github.com/kapbook/kapbook/booking"
)

// audit prints the audit trail, newest first, for the clinic or one
// patient.
func (a *app) audit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	patient := fs.String("patient", "", "")
	limit := fs.Int("limit", 200, "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	f := booking.AuditFilter{Limit: *limit}
	if *patient != "" {
		var err error
		if f.PatientID, err = id("patient", *patient); err != nil {
			return err
		}
		if _, err := a.db.Patient(ctx, f.PatientID); err != nil {
			return err
		}
	}
	es, err := a.db.Audit(ctx, f)
	if err != nil {
		return err
	}
	return a.print(es, func(w *tw) {
		w.row("WHEN", "WHO", "ACCOUNT", "WHAT", "PATIENT", "APPOINTMENT", "NOTE")
		for _, e := range es {
			w.row(a.auditWhen(e), e.Actor, orDashText(e.OSUser), e.Action, orDash(e.PatientID), orDash(e.AppointmentID), e.Note)
		}
	})
}

// auditWhen is when an entry was recorded, by this computer's clock, and
// the pretend time the action was given beside it (docs/security.md, "The
// audit trail"). Entries from before kapbook kept its own clock show At.
func (a *app) auditWhen(e *booking.AuditEntry) string {
	const layout = "2006-01-02 15:04"
	loc := a.clinic.Location()
	if e.Recorded.IsZero() {
		return e.At.In(loc).Format(layout)
	}
	when := e.Recorded.In(loc).Format(layout)
	if e.PretendTime() {
		when += " (pretend time " + e.At.In(loc).Format(layout) + ")"
	}
	return when
}

// orDashText writes s, or "-" when empty.
func orDashText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// orDash writes an id, or "-" for none.
func orDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}
