package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// initDB creates the database with the demo clinic or a clinic file, and
// with --with-patients books fictional patients into the demo.
func (a *app) initDB(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	demo := fs.Bool("demo", false, "")
	from := fs.String("clinic", "", "")
	samples := fs.Int("with-patients", 0, "")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *samples < 0 || *samples > len(resources.SamplePatients) || (*samples > 0 && !*demo) {
		return usagef("--with-patients takes 1 to %d, with --demo", len(resources.SamplePatients))
	}
	data := resources.DemoClinic
	if *from != "" {
		b, err := os.ReadFile(*from)
		if err != nil {
			return booking.Errorf(booking.EINVALID, "Cannot read the clinic file %s.", *from)
		}
		data = b
	} else if !*demo {
		return usagef("init needs --demo or --clinic FILE.json (see resources/demo-clinic.json for the format)")
	}
	f, err := booking.ParseClinicFile(data)
	if err != nil {
		return err
	}
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		return err
	}
	db, err := store.Create(a.dbPath)
	created := err == nil
	if booking.ErrorCode(err) == booking.EINVALID {
		// The file exists. Finish it if it is a kapbook database left
		// without a clinic (an empty file, or an init cut short), which
		// every other command sends here; Open refuses any other file
		// unchanged, and InitClinic one that has a clinic.
		db, err = store.Open(a.dbPath)
	}
	if err != nil {
		return err
	}
	a.db = db
	// discard removes a database this command created and could not finish.
	discard := func(err error) error {
		if created && !store.IsURL(a.dbPath) {
			db.Close()
			a.db = nil
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(a.dbPath + suffix)
			}
		}
		return err
	}
	if err := booking.InitClinic(ctx, db, f, ps, a.actor, a.now); err != nil {
		if !created && booking.ErrorCode(err) == booking.ECONFLICT {
			return booking.Errorf(booking.ECONFLICT, "The database %s already has a clinic; kapbook will not overwrite it.", store.Describe(a.dbPath))
		}
		return discard(err)
	}
	booked, err := a.bookSamples(ctx, *samples)
	if err != nil {
		return discard(err)
	}
	return a.print(map[string]any{"database": store.Describe(a.dbPath), "clinic": f.Clinic.Name, "staff": len(f.Staff), "rooms": len(f.Rooms), "protocols": len(ps), "patients": *samples, "appointments": booked},
		func(w *tw) {
			w.line("Created %s with %s: %d staff, %d rooms, %d protocols.", store.Describe(a.dbPath), f.Clinic.Name, len(f.Staff), len(f.Rooms), len(ps))
			if *samples > 0 {
				w.line("Added %d fictional patients with %d booked appointments.", *samples, booked)
			}
		})
}

// bookSamples adds n demo patients and books each one's series from tomorrow.
func (a *app) bookSamples(ctx context.Context, n int) (int, error) {
	a.svc = &booking.Service{Store: a.db, Now: func() time.Time { return a.now }, Actor: a.actor}
	c, err := a.db.Clinic(ctx)
	if err != nil {
		return 0, err
	}
	return resources.BookSamples(ctx, a.svc, n, booking.DateOf(a.now.In(c.Location()))+1)
}
