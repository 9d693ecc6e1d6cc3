package main

import (
	"context"
	"flag"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// staffList prints the clinic's staff with their roles and hours.
func (a *app) staffList(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("staff list", flag.ContinueOnError), args); err != nil {
		return err
	}
	staff, err := a.db.StaffList(ctx)
	if err != nil {
		return err
	}
	return a.print(staff, func(w *tw) {
		w.row("ID", "NAME", "ROLES", "QUALIFICATIONS", "HOURS")
		for _, s := range staff {
			var roles []string
			for _, r := range s.Roles {
				roles = append(roles, string(r))
			}
			w.row(s.ID, s.Name, strings.Join(roles, ","), strings.Join(s.Qualifications, ","), hoursText(s.Hours))
		}
	})
}

// roomList prints the clinic's rooms and their equipment.
func (a *app) roomList(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("room list", flag.ContinueOnError), args); err != nil {
		return err
	}
	rooms, err := a.db.Rooms(ctx)
	if err != nil {
		return err
	}
	return a.print(rooms, func(w *tw) {
		w.row("ID", "NAME", "KIND", "EQUIPMENT")
		for _, r := range rooms {
			w.row(r.ID, r.Name, r.Kind, strings.Join(r.Equipment, ","))
		}
	})
}

// treatmentWords shows or sets whether the clinic's own patient-facing
// words may name the treatment (docs/privacy.md, "Email").
func (a *app) treatmentWords(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("clinic treatment-words", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("clinic treatment-words takes allow or refuse")
	}
	if len(pos) == 1 {
		var allowed bool
		switch pos[0] {
		case "allow":
			allowed = true
		case "refuse":
		default:
			return usagef("clinic treatment-words takes allow or refuse, not %q", booking.Clip(pos[0], 20))
		}
		if err := a.svc.SetTreatmentWords(ctx, allowed); err != nil {
			return err
		}
		a.clinic.TreatmentWordsAllowed = allowed
	}
	allowed := a.clinic.TreatmentWordsAllowed
	return a.print(map[string]bool{"treatment_words_allowed": allowed}, func(w *tw) {
		if allowed {
			w.line("The clinic's name and address, the sender and video links may name the treatment in what patients receive (the clinic's choice).")
		} else {
			w.line("The clinic's name and address, the sender and video links may not name the treatment, the drug or a diagnosis in what patients receive (the default).")
		}
	})
}
