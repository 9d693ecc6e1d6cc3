// Command kapbook is the desktop app for scheduling clinics that offer
// ketamine-assisted psychotherapy. main stays wiring only: it parses the
// flags, opens the database, builds the booking service and the screens'
// Env, and hands the window to package ui.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	// Zone data inside the binary: Windows has none of its own, and a
	// clinic's times must never fall back to UTC (issue 15).
	_ "time/tzdata"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/errlog"
	"github.com/kapbook/kapbook/store"
	"github.com/kapbook/kapbook/ui"
	"github.com/kapbook/kapbook/ui/kit"
)

//go:embed Icon.png
var iconPNG []byte

const usage = `Usage: kapbook [--db FILE|URL]

  --db FILE   clinic database (default: $XDG_DATA_HOME/kapbook/kapbook.db, on
              Windows %LOCALAPPDATA%\kapbook\kapbook.db);
              a new file opens the first-run setup
  --db URL    the clinic's shared PostgreSQL database, postgres://USER@HOST/DB
              (the password from PGPASSFILE, ~/.pgpass or PGPASSWORD; see
              docs/operations.md, "Several workstations")
`

// started is when the process began, as near as Go can tell.
var started = time.Now()

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kapbook:", err)
		if hasDisplay() {
			showStartError(err)
		}
		os.Exit(2)
	}
}

// showStartError shows err, which stopped kapbook before its window
// opened, in a small window of its own: kapbook started from the Windows
// Start menu or a shortcut has no console, and stderr goes nowhere. If no
// window can be made, stderr, already written, is all there is.
func showStartError(err error) {
	defer func() { recover() }() // a driver that cannot draw: stderr told
	a := app.NewWithID("app.kapbook.desktop")
	a.SetIcon(fyne.NewStaticResource("Icon.png", iconPNG))
	w := a.NewWindow("kapbook")
	w.SetContent(startError(err, a.Quit))
	w.CenterOnScreen()
	w.ShowAndRun()
}

// startError is the start error window's content: err in words, and a
// button that quits.
func startError(err error, quit func()) fyne.CanvasObject {
	msg := widget.NewLabel("kapbook could not start: " + err.Error() + ".")
	msg.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), widget.NewButton("Quit", quit)), nil, nil, kit.Wrapped(480, msg))
}

func run(args []string) error {
	fs := flag.NewFlagSet("kapbook", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	db := fs.String("db", "", "")
	// Hidden flags for scripts: quit after a while (window-smoke.sh),
	// visit each view and say when it is ready for its screenshot
	// (screenshots.sh), say when the first view has loaded (coldstart.sh).
	quitAfter := fs.Duration("quit-after", 0, "")
	tour := fs.Duration("tour", 0, "")
	startupTime := fs.Bool("startup-time", false, "")
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
	if !hasDisplay() {
		return fmt.Errorf("no display (DISPLAY and WAYLAND_DISPLAY are unset); try: xvfb-run -a kapbook")
	}
	now, err := fixedNow()
	if err != nil {
		return err
	}

	// From here on, errors show in the window (build, ui.Problem).
	a := app.NewWithID("app.kapbook.desktop")
	// The database: --db, else KAPBOOK_DB, else the clinic server this
	// workstation was set up with (Setup), else this computer's file.
	if *db == "" {
		*db = os.Getenv("KAPBOOK_DB")
	}
	if *db == "" {
		*db = a.Preferences().String(kit.PrefDatabase)
	}
	if *db == "" {
		*db = store.DefaultPath()
	}
	a.SetIcon(fyne.NewStaticResource("Icon.png", iconPNG))
	w := a.NewWindow("kapbook")
	w.SetMaster()
	env := &kit.Env{DBPath: *db, App: a, Window: w, ErrorLog: errlog.New(store.LocalBase(*db))}
	defer env.ErrorLog.Close()
	env.Now = now
	shell, err := build(env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kapbook:", booking.ErrorMessage(err))
		w.SetContent(ui.Problem(store.Describe(*db), err))
		w.Resize(fyne.NewSize(720, 240))
		w.ShowAndRun()
		return nil
	}
	w.SetContent(shell.Content())

	a.Lifecycle().SetOnStarted(func() {
		shell.Start()
		if *quitAfter > 0 {
			time.AfterFunc(*quitAfter, func() { fyne.Do(a.Quit) })
		}
		if *startupTime {
			go guard(env.ErrorLog, func() {
				loaded := shell.WaitLoaded(started)
				fmt.Printf("startup: loaded %d ms after main began\n", loaded.Milliseconds())
			})
		}
		if *tour > 0 {
			// Each "shot FILE" line says the window shows that view now;
			// it stays for a second, for the script's screenshot.
			go guard(env.ErrorLog, func() {
				if err := shell.Tour(*tour, func(file string) {
					fmt.Printf("shot %s\n", file)
					time.Sleep(time.Second)
				}); err != nil {
					fmt.Fprintln(os.Stderr, "kapbook: tour:", booking.ErrorMessage(err))
				}
				fmt.Println("tour done")
				fyne.Do(a.Quit)
			})
		}
	})
	w.ShowAndRun()
	if err := shell.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "kapbook: the database did not close cleanly:", booking.ErrorMessage(err))
	}
	return nil
}

// build opens the database at env.DBPath (none yet is fine: the shell's
// first-run setup creates it) and builds the shell. A panic while building
// becomes an error, so no Go panic reaches the user.
func build(env *kit.Env) (shell *ui.Shell, err error) {
	defer func() {
		if p := errlog.Recovered(recover()); p != nil {
			shell, err = nil, env.Internal("Starting kapbook", p)
		}
	}()
	db, err := store.Open(env.DBPath)
	switch {
	case err == nil:
		env.Store = db
	case booking.ErrorCode(err) != booking.ENOTFOUND:
		return nil, env.Internal("Opening the database", err)
	}
	env.Service = &booking.Service{Store: env.Store, Now: env.Now}
	return ui.New(env), nil
}

// guard runs fn, a script's background task, turning a panic into a
// record in the error log and a message on stderr.
func guard(log *errlog.Log, fn func()) {
	defer func() {
		if p := errlog.Recovered(recover()); p != nil {
			fmt.Fprintln(os.Stderr, "kapbook:", log.Report("A scripted tour", p))
		}
	}()
	fn()
}

// fixedNow returns the clock KAPBOOK_NOW sets, or nil for the real one.
// As for kapctl, the clock starts at that time and runs on (for
// screenshots of a known day).
func fixedNow() (func() time.Time, error) {
	v := os.Getenv("KAPBOOK_NOW")
	if v == "" {
		return nil, nil
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("KAPBOOK_NOW=%q is not a time such as 2027-03-01T09:00:00-05:00", v)
	}
	return func() time.Time { return at.Add(time.Since(started)) }, nil
}

// hasDisplay reports whether windows can be shown: always, but on a
// system whose windows need an X11 or Wayland display, only with one.
func hasDisplay() bool {
	return !needsX11() || os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// needsX11 reports whether windows on this OS need an X11 or Wayland display.
func needsX11() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return true
	}
	return false
}
