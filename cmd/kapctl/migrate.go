package main

import (
	"context"
	"flag"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/store"
)

// migrate copies a whole clinic from one database to another, typically
// from this computer's SQLite file to the clinic's PostgreSQL server when
// a second workstation arrives (docs/operations.md, "Several
// workstations"): every table in one transaction, then the row count and
// a checksum of each table compared at both ends. The target must be
// empty; the source is only read.
func (a *app) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *from == "" || *to == "" {
		return usagef("migrate needs --from FILE|URL and --to FILE|URL")
	}
	if *from == *to {
		return usagef("migrate --from and --to name the same database")
	}
	src, err := store.Open(*from)
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := src.Clinic(ctx); err != nil {
		return err
	}
	dst, err := store.Open(*to)
	if booking.ErrorCode(err) == booking.ENOTFOUND {
		dst, err = store.Create(*to)
	}
	if err != nil {
		return err
	}
	defer dst.Close()
	tables, err := store.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	return a.print(map[string]any{"from": store.Describe(*from), "to": store.Describe(*to), "tables": tables}, func(w *tw) {
		w.line("Copied the clinic from %s to %s; every table was read back and matches:", store.Describe(*from), store.Describe(*to))
		w.row("TABLE", "ROWS", "SHA-256")
		for _, t := range tables {
			w.row(t.Table, t.Rows, t.Checksum[:16]+"…")
		}
		w.line("Point every workstation at %s (--db, KAPBOOK_DB, or the app's --db).", store.Describe(*to))
	})
}
