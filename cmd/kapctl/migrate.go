package main

import (
	"context"
	"flag"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/secret"
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

// dbPassword keeps the password of the clinic's PostgreSQL database (the
// --db address) in this computer's keyring, read from standard input, so
// that the address can be used without it; --delete removes it.
func (a *app) dbPassword(args []string) error {
	fs := flag.NewFlagSet("db password", flag.ContinueOnError)
	del := fs.Bool("delete", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("db password takes no arguments: it reads the password from standard input")
	}
	if !store.IsURL(a.dbPath) {
		return booking.Errorf(booking.EINVALID, "The database %s is a file on this computer and has no password; db password is for a postgres:// database (--db).", a.dbPath)
	}
	where, _ := store.WithoutPassword(a.dbPath)
	if *del {
		if err := secret.Delete(store.PasswordAccount(a.dbPath)); err != nil {
			return booking.Errorf(booking.ESTORE, "The keyring could not be reached: %s.", booking.Clip(booking.OneLine(err.Error()), 60))
		}
		return a.print(map[string]string{"database": where, "password": "deleted"}, func(w *tw) {
			w.line("The keyring holds no password for %s now.", where)
		})
	}
	pw, err := readPassword("Password for " + where + ": ")
	if err != nil {
		return err
	}
	if err := store.SavePassword(a.dbPath, pw); err != nil {
		return err
	}
	return a.print(map[string]string{"database": where, "password": "stored"}, func(w *tw) {
		w.line("The password for %s is stored in this computer's keyring; use the address without it from now on.", where)
	})
}
