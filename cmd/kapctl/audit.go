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
		w.row("WHEN", "WHO", "WHAT", "PATIENT", "APPOINTMENT", "NOTE")
		for _, e := range es {
			w.row(e.At.In(a.clinic.Location()).Format("2006-01-02 15:04"), e.Actor, e.Action, orDash(e.PatientID), orDash(e.AppointmentID), e.Note)
		}
	})
}

// orDash writes an id, or "-" for none.
func orDash(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}
