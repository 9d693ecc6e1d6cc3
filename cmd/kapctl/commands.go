package main

import (
	"context"
	"strings"

	"github.com/kapbook/kapbook/booking"
)

// dispatch runs cmd with its arguments: init before the database is
// opened, every other command after.
func (a *app) dispatch(ctx context.Context, cmd string, args []string) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub = args[0]
	}
	switch cmd {
	case "init":
		return a.initDB(ctx, args)
	case "migrate":
		return a.migrate(ctx, args)
	case "db":
		if sub != "password" {
			return usagef("db takes password")
		}
		return a.dbPassword(args[1:])
	case "staff", "room", "protocol", "patient", "clinic":
		if sub == "" {
			return usagef("%s needs a subcommand", cmd)
		}
		args = args[1:]
	}
	if err := a.open(ctx); err != nil {
		return err
	}
	if cmd == "check" {
		return a.check(ctx, args)
	}
	switch cmd + " " + sub {
	case "clinic treatment-words":
		return a.treatmentWords(ctx, args)
	case "staff list":
		return a.staffList(ctx, args)
	case "room list":
		return a.roomList(ctx, args)
	case "protocol list":
		return a.protocolList(ctx, args)
	case "protocol show":
		return a.protocolShow(ctx, args)
	case "protocol add":
		return a.protocolAdd(ctx, args)
	case "patient add":
		return a.patientAdd(ctx, args)
	case "patient list":
		return a.patientList(ctx, args)
	case "patient show":
		return a.patientShow(ctx, args)
	case "patient consent":
		return a.patientConsent(ctx, args)
	}
	switch cmd {
	case "book":
		return a.book(ctx, args)
	case "agenda":
		return a.agenda(ctx, args)
	case "reschedule":
		return a.reschedule(ctx, args)
	case "makeup":
		return a.makeup(ctx, args)
	case "cancel":
		return a.cancel(ctx, args)
	case "status":
		return a.status(ctx, args)
	case "escort":
		return a.escort(ctx, args)
	case "audit":
		return a.audit(ctx, args)
	case "escorts":
		return a.escorts(ctx, args)
	case "export":
		return a.export(ctx, args)
	case "busy":
		return a.busy(ctx, args)
	case "feed":
		return a.feed(ctx, args)
	case "caldav":
		return a.caldav(ctx, args)
	case "serve":
		return a.serve(ctx, args)
	case "email":
		return a.email(ctx, args)
	case "remind":
		return a.remind(ctx, args)
	case "outbox":
		return a.outbox(ctx, args)
	case "template":
		return a.template(ctx, args)
	case "backup":
		return a.backup(ctx, args)
	case "staff", "room", "protocol", "patient":
		return usagef("unknown command %q", cmd+" "+booking.Clip(sub, 40))
	}
	return usagef("unknown command %q", booking.Clip(cmd, 40))
}
