package main

import (
	"context"
	"flag"
	"time"

	"github.com/kapbook/kapbook/store"
)

// check reads the whole database and checks every page and index
// (store.DB.FullCheck): damage that ordinary reads never meet shows here,
// while a backup is still there to restore (docs/operations.md).
func (a *app) check(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("check takes no arguments")
	}
	began := time.Now()
	if err := a.db.FullCheck(ctx); err != nil {
		return err
	}
	took := time.Since(began).Round(time.Millisecond)
	return a.print(map[string]any{"database": store.Describe(a.dbPath), "sound": true, "seconds": took.Seconds()}, func(w *tw) {
		w.line("The database %s is sound: every page and index was read and checked (%v).", store.Describe(a.dbPath), took)
	})
}
