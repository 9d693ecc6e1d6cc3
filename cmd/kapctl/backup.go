package main

import (
	"context"
	"flag"
	"os"

	"github.com/kapbook/kapbook/store"
)

// backup writes a copy of the SQLite database into a new owner-only file
// with SQLite's online backup, safe while windows and commands use it.
func (a *app) backup(ctx context.Context, args []string) error {
	pos, err := parse(flag.NewFlagSet("backup", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("backup needs one FILE to write (it must not exist yet)")
	}
	path := pos[0]
	if err := a.db.Backup(ctx, path); err != nil {
		return err
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	return a.print(map[string]any{"database": store.Describe(a.dbPath), "backup": path, "bytes": size},
		func(w *tw) {
			w.line("Wrote a backup of %s to %s (%d bytes, readable by you only).", store.Describe(a.dbPath), path, size)
		})
}
