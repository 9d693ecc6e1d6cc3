package main

import (
	"flag"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/secret"
	"github.com/kapbook/kapbook/store"
)

// openDB opens the --db database: read-only with --read-only, and
// read-only too, as store.Open decides, when this user may read it but
// not write it; a write then says why nothing was changed.
func (a *app) openDB() (*store.DB, error) {
	if a.readOnly {
		return store.OpenReadOnly(a.dbPath)
	}
	return store.Open(a.dbPath)
}

// refuseReadOnly refuses --read-only with the commands that write a
// database without opening the --db one to read: init creates it, migrate
// fills another.
func (a *app) refuseReadOnly(cmd string) error {
	if a.readOnly && (cmd == "init" || cmd == "migrate") {
		return usagef("--read-only cannot go with %s, which writes a database", cmd)
	}
	return nil
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
