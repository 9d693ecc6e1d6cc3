package main

import (
	"context"
	"flag"

	"github.com/kapbook/kapbook/booking"
)

// book books a protocol's series (or one --step) for a patient, or with
// --dry-run shows the plan; when nothing fits it says what would.
func (a *app) book(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("book", flag.ContinueOnError)
	patient := fs.String("patient", "", "")
	protocol := fs.String("protocol", "", "")
	from := fs.String("from", "", "")
	therapist := fs.String("therapist", "", "")
	step := fs.String("step", "", "")
	video := fs.Bool("video", false, "")
	skip := fs.Bool("skip-optional", false, "")
	dry := fs.Bool("dry-run", false, "")
	slack := fs.Int("slack", -1, "")
	reason := fs.String("reason", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *patient == "" || *protocol == "" {
		return usagef("book needs --patient ID and --protocol ID")
	}
	req := booking.BookRequest{ProtocolID: *protocol, Step: *step, AllowVideo: *video, SkipOptional: *skip, DryRun: *dry, Reason: *reason}
	var err error
	if req.PatientID, err = id("patient", *patient); err != nil {
		return err
	}
	if *therapist != "" && *therapist != "any" {
		if req.TherapistID, err = id("therapist", *therapist); err != nil {
			return err
		}
	}
	if *from != "" {
		if req.From, err = booking.ParseDate(*from); err != nil {
			return err
		}
	}
	if *slack >= 0 {
		req.SlackDays = slack
	}
	s, err := a.svc.BookSeries(ctx, req)
	if booking.ErrorCode(err) == booking.ENOPLAN && req.Step == "" {
		return a.withRelaxations(ctx, err, req)
	}
	if err != nil {
		return err
	}
	var sid any = s.ID
	if *dry {
		sid = nil
	}
	return a.print(map[string]any{"series": sid, "dry_run": *dry, "appointments": a.apptJSON(s.Appts)}, func(w *tw) {
		if *dry {
			w.line("Proposed plan (nothing booked):")
		} else {
			w.line("Booked series %d: %d appointments.", s.ID, len(s.Appts))
		}
		a.apptTable(w, s.Appts)
	})
}
