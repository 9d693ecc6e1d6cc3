package main

import (
	"context"
	"flag"
	"strings"
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
