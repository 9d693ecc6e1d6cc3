package main

import (
	"context"
	"flag"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// makeup books a missed session again in its place in the series, or
// lists the times it could go to.
func (a *app) makeup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("makeup", flag.ContinueOnError)
	appt := fs.String("appointment", "", "")
	to := fs.String("to", "", "")
	suggest := fs.Bool("suggest", false, "")
	shift := fs.Bool("shift-later", false, "")
	override := fs.String("override", "", "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *appt == "" {
		return usagef("makeup needs --appointment ID (the missed one)")
	}
	if *suggest && (*to != "" || *override != "" || *shift) {
		return usagef("--suggest lists times; it cannot be combined with --to, --override or --shift-later")
	}
	if *override != "" && *to == "" {
		return usagef("--override needs --to TIME")
	}
	aid, err := id("appointment", *appt)
	if err != nil {
		return err
	}
	if *suggest {
		s, err := a.svc.SuggestMakeup(ctx, aid, 10)
		if err != nil {
			return err
		}
		return a.printSuggestions(s, "a make-up")
	}
	req := booking.MakeupRequest{AppointmentID: aid, ShiftLater: *shift, Override: strings.TrimSpace(*override)}
	if *to != "" {
		if req.To, err = a.instant(*to); err != nil {
			return err
		}
	}
	changed, err := a.svc.MakeUp(ctx, req)
	if err != nil {
		return err
	}
	return a.print(a.apptJSON(changed), func(w *tw) {
		w.line("Booked the make-up:")
		a.apptTable(w, changed)
	})
}

// printSuggestions prints the times Suggest or SuggestMakeup found for
// what ("a make-up", "this appointment").
func (a *app) printSuggestions(s *booking.Suggestions, what string) error {
	return a.print(map[string]any{"alternatives": a.apptJSON(s.Alternatives), "later": a.apptJSON(s.Later), "shift": a.apptJSON(s.Shift)}, func(w *tw) {
		if len(s.Later) > 0 {
			defer func() {
				w.line("")
				w.line("More times, moving the later appointments along (--shift-later):")
				a.apptTable(w, s.Later)
			}()
		}
		switch {
		case len(s.Alternatives) > 0:
			w.line("Times for %s that keep the rest of the series where it is:", what)
			a.apptTable(w, s.Alternatives)
		case len(s.Shift) > 0:
			w.line("No time for %s keeps the later appointments where they are. Moving them too (--shift-later) gives:", what)
			a.apptTable(w, s.Shift)
		default:
			w.line("No time for %s keeps this series' rules.", what)
		}
	})
}

// withRelaxations adds to a booking's "no plan" what would give one (a
// later start, any therapist, video), as the app offers them.
func (a *app) withRelaxations(ctx context.Context, err error, req booking.BookRequest) error {
	rs, rerr := a.svc.Relax(ctx, booking.ProposalRequest{PatientID: req.PatientID, ProtocolID: req.ProtocolID, From: req.From,
		TherapistID: req.TherapistID, AllowVideo: req.AllowVideo, SkipOptional: req.SkipOptional, Reason: req.Reason})
	if rerr != nil || len(rs) == 0 {
		return err
	}
	var ways []string
	for _, r := range rs {
		ways = append(ways, relaxationFlag(r))
	}
	return booking.Errorf(booking.ENOPLAN, "%s What works: %s.", booking.ErrorMessage(err), strings.Join(ways, "; "))
}

// relaxationFlag writes a relaxation with the flag that gives it.
func relaxationFlag(r booking.Relaxation) string {
	switch {
	case strings.HasPrefix(r.Label, "Start on "):
		return strings.ToLower(r.Label[:1]) + r.Label[1:] + " (--from " + r.Request.From.String() + ")"
	case r.Label == "Any therapist":
		return "any therapist (--therapist any)"
	case r.Label == "Allow video":
		return "video when no room is free (--video)"
	case r.Label == "Skip optional steps":
		return "skipping optional steps (--skip-optional)"
	}
	return r.Label
}
