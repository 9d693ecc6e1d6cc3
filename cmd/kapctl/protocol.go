package main

import (
	"context"
	"flag"
	"os"
	"strconv"

	"github.com/kapbook/kapbook/booking"
)

// protocolList prints the protocols the clinic books.
func (a *app) protocolList(ctx context.Context, args []string) error {
	if _, err := parse(flag.NewFlagSet("protocol list", flag.ContinueOnError), args); err != nil {
		return err
	}
	ps, err := a.db.Protocols(ctx)
	if err != nil {
		return err
	}
	return a.print(ps, func(w *tw) {
		w.row("ID", "APPOINTMENTS", "WINDOW", "NAME")
		for _, p := range ps {
			w.row(p.ID, len(booking.Instances(p)), strconv.Itoa(p.WindowDays)+" days", p.Name)
		}
	})
}

// protocolShow prints one protocol's steps and rules, the current version
// or the one --version names.
func (a *app) protocolShow(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("protocol show", flag.ContinueOnError)
	version := fs.Int("version", 0, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("protocol show needs one protocol id")
	}
	p, err := a.db.Protocol(ctx, pos[0])
	if err == nil && *version != 0 {
		p, err = a.db.ProtocolVersion(ctx, pos[0], *version)
	}
	if err != nil {
		return err
	}
	return a.print(p, func(w *tw) {
		w.line("%s: %s (version %d)", p.ID, p.Name, p.Version)
		if p.Description != "" {
			w.line("%s", p.Description)
		}
		w.line("Whole series within %d days of its start; same therapist throughout: %v.", p.WindowDays, p.SameTherapistRequired())
		w.line("")
		w.row("STEP", "KIND", "COUNT", "LENGTH", "STAFF", "ROOM", "WHEN")
		for i, s := range p.Steps {
			w.row(s.ID, s.Kind, s.Count, strconv.Itoa(s.Minutes)+" min", staffText(s.Staff), roomText(s.Room), whenText(p, i))
		}
	})
}

// protocolAdd saves a protocol from a JSON file; a changed protocol becomes
// a new version and booked series keep theirs.
func (a *app) protocolAdd(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("protocol add", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("protocol add needs one JSON file")
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return booking.Errorf(booking.EINVALID, "Cannot read the protocol file %s.", pos[0])
	}
	p, err := booking.ParseProtocol(data)
	if err != nil {
		return err
	}
	saved, err := a.svc.SaveProtocol(ctx, p)
	if err != nil {
		return err
	}
	return a.print(map[string]any{"protocol": p, "version": saved.Version, "changed": saved.Changed, "older_active_series": saved.OlderActive},
		func(w *tw) { w.line("%s", booking.ProtocolSavedWords(p, saved)) })
}
