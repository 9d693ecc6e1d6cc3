package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kapbook/kapbook/booking"
)

// Shot is one screenshot: the file it goes to and how to get there.
type Shot struct {
	File string
	Go   func(s *Shell)
	// Then, if set, runs once the view has loaded, before the picture.
	Then func(s *Shell)
}

// Shots are the screenshots the README shows, as make screenshots takes
// them on the demo clinic.
var Shots = []Shot{
	{"today.png", func(s *Shell) { s.ShowToday() }, nil},
	{"schedule-week.png", func(s *Shell) { s.ShowSchedule(0) }, nil},
	{"book.png", func(s *Shell) { s.NewBooking(s.unbookedPatient()) }, func(s *Shell) {
		if s.Booker.ChooseProtocol("kap-standard") {
			s.Booker.Propose()
		}
	}},
	{"patient.png", func(s *Shell) {
		if id := s.firstPatient(); id != 0 {
			s.ShowPatient(id)
		} else {
			s.FindPatient()
		}
	}, nil},
	{"outbox.png", func(s *Shell) { s.ShowOutbox(0) }, nil},
	{"settings.png", func(s *Shell) { s.Show(ViewSettings) }, nil},
}

// firstPatient returns the id of the first patient the list shows, or 0.
func (s *Shell) firstPatient() int64 {
	ps, err := s.env.Store.FindPatients(context.Background(), "")
	if err != nil || len(ps) == 0 {
		return 0
	}
	return ps[0].ID
}

// unbookedPatient returns the id of the first patient with no
// appointment, or 0.
func (s *Shell) unbookedPatient() int64 {
	ctx := context.Background()
	ps, err := s.env.Store.FindPatients(ctx, "")
	if err != nil {
		return 0
	}
	for _, p := range ps {
		as, err := s.env.Store.Appointments(ctx, booking.AppointmentFilter{PatientID: p.ID, ActiveOnly: true, Limit: 1})
		if err == nil && len(as) == 0 {
			return p.ID
		}
	}
	return 0
}

// Tour visits each of Shots in turn in the real window, waits for the
// view to load and draw (settle), and calls shoot with the shot's file
// name, which takes the screenshot (Fyne's Canvas.Capture reads nothing
// under Xvfb, so scripts/screenshots.sh takes them with ImageMagick).
// Call it from a goroutine other than the UI's once the app runs.
func (s *Shell) Tour(settle time.Duration, shoot func(file string)) error {
	if !s.Ready() {
		return fmt.Errorf("ui: no clinic to take screenshots of")
	}
	for _, shot := range Shots {
		fyne.DoAndWait(func() { shot.Go(s) })
		time.Sleep(settle / 2)
		s.env.Wait() // the view's loading
		fyne.DoAndWait(func() {})
		if shot.Then != nil {
			fyne.DoAndWait(func() { shot.Then(s) })
			time.Sleep(settle / 2)
			s.env.Wait()
			fyne.DoAndWait(func() {})
		}
		time.Sleep(settle / 2)
		shoot(shot.File)
	}
	return nil
}

// WaitLoaded waits until the views' loading has finished and its result
// is in the widgets (drawn with the next frame), and returns the time
// since start. For scripts/coldstart.sh. Call it from a goroutine other
// than the UI's once the app runs.
func (s *Shell) WaitLoaded(start time.Time) time.Duration {
	fyne.DoAndWait(func() {}) // the views have started loading
	s.env.Wait()
	fyne.DoAndWait(func() {})
	return time.Since(start)
}
