// Command kapbook is the desktop app for scheduling clinics.
//
// For now it shows a read-only agenda of the next two weeks; the
// scheduling screens arrive with the desktop UI. main stays wiring only.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui"
)

//go:embed Icon.png
var iconPNG []byte

const usage = `Usage: kapbook [--db FILE]

  --db FILE   clinic database (default: $XDG_DATA_HOME/kapbook/kapbook.db)
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kapbook:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("kapbook", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	db := fs.String("db", "", "")
	quitAfter := fs.Duration("quit-after", 0, "") // for smoke tests: quit after this long
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(usage)
			return nil
		}
		return fmt.Errorf("%v (see kapbook --help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see kapbook --help)", fs.Arg(0))
	}
	if *quitAfter < 0 {
		return fmt.Errorf("--quit-after must not be negative")
	}
	if *db == "" {
		dir, err := dataDir()
		if err != nil {
			return err
		}
		*db = filepath.Join(dir, "kapbook", "kapbook.db")
	}
	if needsX11() && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("no display (DISPLAY and WAYLAND_DISPLAY are unset); try: xvfb-run -a kapbook")
	}

	a := app.NewWithID("app.kapbook.desktop")
	a.SetIcon(fyne.NewStaticResource("Icon.png", iconPNG))
	w := a.NewWindow("kapbook")
	w.SetContent(screen(*db))
	w.Resize(fyne.NewSize(960, 600))

	if *quitAfter > 0 {
		a.Lifecycle().SetOnStarted(func() {
			time.AfterFunc(*quitAfter, func() { fyne.Do(a.Quit) })
		})
	}
	w.ShowAndRun()
	return nil
}

// dataDir returns $XDG_DATA_HOME, or ~/.local/share when it is unset.
func dataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the data folder: %v; use --db FILE", err)
	}
	return filepath.Join(home, ".local", "share"), nil
}

// needsX11 reports whether windows on this OS need an X11 or Wayland display.
func needsX11() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return true
	}
	return false
}

// screen opens the database read-only for this preview and builds the
// agenda of the next 14 days, or a screen saying why it cannot.
func screen(path string) fyne.CanvasObject {
	db, err := store.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kapbook:", booking.ErrorMessage(err))
		return ui.Problem(path, err)
	}
	defer db.Close()
	ctx := context.Background()
	d, err := agendaData(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kapbook:", booking.ErrorMessage(err))
		return ui.Problem(path, err)
	}
	return ui.NewAgenda(d).Content()
}

func agendaData(ctx context.Context, db *store.DB) (ui.AgendaData, error) {
	c, err := db.Clinic(ctx)
	if err != nil {
		return ui.AgendaData{}, err
	}
	loc := c.Location()
	today := booking.DateOf(time.Now().In(loc))
	d := ui.AgendaData{Clinic: c, From: today.At(0, loc), To: (today + 14).At(0, loc), PatientNames: map[int64]string{}}
	if d.Appointments, err = db.Appointments(ctx, booking.AppointmentFilter{From: d.From, To: d.To, ActiveOnly: true}); err != nil {
		return d, err
	}
	for _, a := range d.Appointments {
		if _, ok := d.PatientNames[a.PatientID]; !ok {
			p, err := db.Patient(ctx, a.PatientID)
			if err != nil {
				return d, err
			}
			d.PatientNames[a.PatientID] = p.Name
		}
	}
	return d, nil
}
