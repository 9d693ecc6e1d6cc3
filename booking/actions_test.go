package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// TestService_Actions drives each front-desk action of booking.Service
// through its outcomes on the demo clinic with one series booked from Mon
// 7 Dec 2026 (Avery Quinn, ids 1–15), the clock at Tue 8 Dec 12:00 unless
// a case moves it: what succeeds and what it stores, and what is refused
// with which code and words, leaving the store as it was.
func TestService_Actions(t *testing.T) {
	type setup struct {
		l *life
		s *booking.Series
		// mark takes the store as a case's preparation left it: a
		// refusal must leave it so.
		mark func()
	}
	at := func(l *life, label string) *booking.Appointment { return l.appt(l.seriesOne(), label) }
	for _, tt := range []struct {
		action, name string
		run          func(x setup) error
		code         string // "" for success
		words        string
	}{
		{"book", "OKSecondPatient", func(x setup) error {
			p := x.l.patient("Bo Chan")
			sr, err := x.l.svc.BookSeries(x.l.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-iv"})
			if err != nil {
				return err
			}
			stored, err := x.l.db.Series(x.l.ctx, sr.ID)
			if err != nil || stored.PatientID != p.ID || len(stored.Appts) == 0 || len(stored.Appts) != len(sr.Appts) {
				x.l.t.Fatalf("stored series %+v, %v; want Bo Chan's %d appointments", stored, err, len(sr.Appts))
			}
			if e := x.l.lastAudit(); e.Action != "book" || e.SeriesID != sr.ID {
				x.l.t.Fatalf("last audit %s series %d, want book of series %d", e.Action, e.SeriesID, sr.ID)
			}
			return nil
		}, "", ""},
		{"book", "ErrUnknownPatient", func(x setup) error {
			_, err := x.l.svc.BookSeries(x.l.ctx, booking.BookRequest{PatientID: 99, ProtocolID: "kap-iv"})
			return err
		}, booking.ENOTFOUND, "no patient with id 99"},
		{"book", "ErrStartInThePast", func(x setup) error {
			_, err := x.l.svc.BookSeries(x.l.ctx, booking.BookRequest{PatientID: x.s.PatientID, ProtocolID: "kap-iv", From: x.l.date("2026-12-01"), Reason: "x"})
			return err
		}, booking.EINVALID, "in the past"},
		{"book", "ErrActiveSeries", func(x setup) error {
			_, err := x.l.svc.BookSeries(x.l.ctx, booking.BookRequest{PatientID: x.s.PatientID, ProtocolID: "kap-iv"})
			return err
		}, booking.ECONFLICT, "already has an active series"},
		{"book", "ErrNotEnrolled", func(x setup) error {
			p := x.l.patient("Cy Dunn")
			x.mark()
			_, err := x.l.svc.BookSeries(x.l.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction"})
			return err
		}, booking.ENOPLAN, "not marked as REMS-enrolled"},
		{"reschedule", "OKOfferedTime", func(x setup) error {
			a := at(x.l, "Dosing 3/6")
			sg, err := x.l.svc.Suggest(x.l.ctx, a.ID, 3)
			if err != nil {
				return err
			}
			if _, err = x.l.svc.Reschedule(x.l.ctx, a.ID, sg.Alternatives[0].Start, false); err != nil {
				return err
			}
			if got := x.l.stored(a.ID); !got.Start.Equal(sg.Alternatives[0].Start) || got.Sequence <= a.Sequence {
				x.l.t.Fatalf("stored at %s sequence %d, want %s and a raised sequence", got.Start, got.Sequence, sg.Alternatives[0].Start)
			}
			if n := len(x.l.notes("reschedule", a.ID)); n != 1 {
				x.l.t.Fatalf("reschedule audit entries=%d, want 1", n)
			}
			return nil
		}, "", ""},
		{"reschedule", "ErrPast", func(x setup) error {
			_, err := x.l.svc.Reschedule(x.l.ctx, at(x.l, "Dosing 3/6").ID, x.l.at("2026-12-08 09:00"), false)
			return err
		}, booking.EINVALID, "in the past"},
		{"reschedule", "ErrBreaksGap", func(x setup) error {
			_, err := x.l.svc.Reschedule(x.l.ctx, at(x.l, "Dosing 3/6").ID, x.l.at("2026-12-15 13:00"), false)
			return err
		}, booking.ENOPLAN, "it must be at least 2 days after dosing 2"},
		{"reschedule", "ErrBeforeWhatFollows", func(x setup) error {
			_, err := x.l.svc.Reschedule(x.l.ctx, at(x.l, "Consultation").ID, x.l.at("2026-12-09 14:00"), false)
			return err
		}, booking.ENOPLAN, "preparation 1/2 (Tue 8 Dec 08:00) must be after consultation ends (Wed 9 Dec 15:30)"},
		{"override", "OKNamesTheRule", func(x setup) error {
			id := at(x.l, "Dosing 3/6").ID
			if _, err := x.l.svc.Override(x.l.ctx, id, x.l.at("2026-12-15 13:00"), "prescriber agreed"); err != nil {
				return err
			}
			if got := x.l.stored(id); !got.Start.Equal(x.l.at("2026-12-15 13:00")) {
				x.l.t.Fatalf("stored at %s, want Tue 15 Dec 13:00", got.Start)
			}
			if notes := x.l.notes("override", id); len(notes) != 1 || !strings.Contains(notes[0], "prescriber agreed") {
				x.l.t.Fatalf("override notes %q, want the reason", notes)
			}
			return nil
		}, "", ""},
		{"override", "ErrNoReason", func(x setup) error {
			_, err := x.l.svc.Override(x.l.ctx, at(x.l, "Dosing 3/6").ID, x.l.at("2026-12-15 13:00"), " ")
			return err
		}, booking.EINVALID, "needs a reason"},
		{"override", "ErrDoubleBooking", func(x setup) error {
			_, err := x.l.svc.Override(x.l.ctx, at(x.l, "Dosing 3/6").ID, at(x.l, "Integration 2/6").Start, "prescriber agreed")
			return err
		}, booking.ECONFLICT, "the patient has another appointment then"},
		{"cancel", "OKByClinicNeverLate", func(x setup) error {
			id := at(x.l, "Preparation 2/2").ID
			list, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: id, By: booking.ByClinic})
			if err == nil && list[0].Status != booking.Cancelled {
				x.l.t.Errorf("status %s, want cancelled", list[0].Status)
			}
			if got := x.l.stored(id); err == nil && (got.Status != booking.Cancelled || got.CancelledBy != booking.ByClinic) {
				x.l.t.Errorf("stored %s by %q, want cancelled by the clinic", got.Status, got.CancelledBy)
			}
			return err
		}, "", ""},
		{"cancel", "OKPatientShortNoticeLate", func(x setup) error {
			id := at(x.l, "Preparation 2/2").ID
			list, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: id, By: booking.ByPatient})
			if err == nil && list[0].Status != booking.LateCancelled {
				x.l.t.Errorf("status %s, want late-cancelled", list[0].Status)
			}
			if got := x.l.stored(id); err == nil && got.Status != booking.LateCancelled {
				x.l.t.Errorf("stored %s, want late-cancelled", got.Status)
			}
			if n := len(x.l.notes("cancel", id)); err == nil && n != 1 {
				x.l.t.Errorf("cancel audit entries=%d, want 1", n)
			}
			return err
		}, "", ""},
		{"cancel", "ErrWhoAsked", func(x setup) error {
			_, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: at(x.l, "Preparation 2/2").ID})
			return err
		}, booking.EINVALID, "who asked"},
		{"cancel", "ErrTwice", func(x setup) error {
			id := at(x.l, "Dosing 6/6").ID
			if _, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: id, By: booking.ByPatient}); err != nil {
				return err
			}
			x.mark()
			_, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: id, By: booking.ByPatient})
			return err
		}, booking.ECONFLICT, "already cancelled"},
		{"status", "OKArrivedLate", func(x setup) error {
			a := at(x.l, "Preparation 1/2")
			x.l.now = a.Start.Add(17 * time.Minute)
			got, err := x.l.svc.SetStatus(x.l.ctx, a.ID, booking.Arrived)
			if err == nil && got.LateMinutes != 17 {
				x.l.t.Errorf("late %d minutes, want 17", got.LateMinutes)
			}
			if st := x.l.stored(a.ID); err == nil && (st.Status != booking.Arrived || st.LateMinutes != 17) {
				x.l.t.Errorf("stored %s %d minutes late, want arrived 17", st.Status, st.LateMinutes)
			}
			return err
		}, "", ""},
		{"status", "ErrNotStarted", func(x setup) error {
			_, err := x.l.svc.SetStatus(x.l.ctx, at(x.l, "Dosing 3/6").ID, booking.Completed)
			return err
		}, booking.ECONFLICT, "has not started yet"},
		{"status", "ErrNoEscort", func(x setup) error {
			a := at(x.l, "Dosing 1/6")
			x.l.now = a.Start
			_, err := x.l.svc.SetStatus(x.l.ctx, a.ID, booking.Arrived)
			return err
		}, booking.ECONFLICT, "Record the escort"},
		{"status", "ErrBadStatus", func(x setup) error {
			_, err := x.l.svc.SetStatus(x.l.ctx, at(x.l, "Dosing 1/6").ID, "cancelled")
			return err
		}, booking.EINVALID, "not a status you can set"},
		{"escort", "OK", func(x setup) error {
			id := at(x.l, "Dosing 1/6").ID
			if _, err := x.l.svc.SetEscort(x.l.ctx, id, booking.Escort{Name: "Sam Lee", Phone: "+1 617 555 0101"}); err != nil {
				return err
			}
			if e := x.l.stored(id).Escort; e == nil || e.Name != "Sam Lee" {
				x.l.t.Fatalf("stored escort %+v, want Sam Lee", e)
			}
			if e := x.l.lastAudit(); e.Action != "escort" || e.AppointmentID != id {
				x.l.t.Fatalf("last audit %s appointment %d, want escort of %d", e.Action, e.AppointmentID, id)
			}
			return nil
		}, "", ""},
		{"escort", "ErrPhone", func(x setup) error {
			_, err := x.l.svc.SetEscort(x.l.ctx, at(x.l, "Dosing 1/6").ID, booking.Escort{Name: "Sam Lee", Phone: "call me"})
			return err
		}, booking.EINVALID, "not a phone number"},
		{"escort", "ErrCancelled", func(x setup) error {
			id := at(x.l, "Dosing 6/6").ID
			if _, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: id, By: booking.ByClinic}); err != nil {
				return err
			}
			x.mark()
			_, err := x.l.svc.SetEscort(x.l.ctx, id, booking.Escort{Name: "Sam Lee", Phone: "+1 617 555 0101"})
			return err
		}, booking.ECONFLICT, "was cancelled"},
		{"make-up", "OKAfterCancel", func(x setup) error {
			id := at(x.l, "Dosing 4/6").ID
			if _, err := x.l.svc.Cancel(x.l.ctx, booking.CancelRequest{AppointmentID: id, By: booking.ByPatient}); err != nil {
				return err
			}
			if _, err := x.l.svc.MakeUp(x.l.ctx, booking.MakeupRequest{AppointmentID: id, ShiftLater: true}); err != nil {
				return err
			}
			m := at(x.l, "Dosing 4/6")
			if m.MakeupOf != id || m.Status != booking.Booked {
				x.l.t.Fatalf("dosing 4/6 held by %d (make-up of %d, %s), want a booked make-up of %d", m.ID, m.MakeupOf, m.Status, id)
			}
			if n := len(x.l.notes("makeup", m.ID)); n != 1 {
				x.l.t.Fatalf("makeup audit entries=%d, want 1", n)
			}
			return nil
		}, "", ""},
		{"make-up", "ErrStillBooked", func(x setup) error {
			_, err := x.l.svc.MakeUp(x.l.ctx, booking.MakeupRequest{AppointmentID: at(x.l, "Dosing 4/6").ID})
			return err
		}, booking.ECONFLICT, "only a no-show or a cancelled appointment"},
		{"make-up", "ErrOverrideWithoutTime", func(x setup) error {
			_, err := x.l.svc.MakeUp(x.l.ctx, booking.MakeupRequest{AppointmentID: at(x.l, "Dosing 4/6").ID, Override: "x"})
			return err
		}, booking.EINVALID, "needs the time"},
		{"make-up", "ErrUnknown", func(x setup) error {
			_, err := x.l.svc.MakeUp(x.l.ctx, booking.MakeupRequest{AppointmentID: 999})
			return err
		}, booking.ENOTFOUND, "no appointment with id 999"},
	} {
		t.Run(tt.action+"/"+tt.name, func(t *testing.T) {
			l, s := demoOne(t)
			l.now = l.at("2026-12-08 12:00")
			before := l.snapshot()
			err := tt.run(setup{l, s, func() { before = l.snapshot() }})
			if tt.code == "" {
				if err != nil {
					t.Fatalf("err=%v, want success", err)
				}
				return
			}
			wantCode(t, err, tt.code, tt.words)
			if changed := changedParts(before, l.snapshot()); changed != nil {
				t.Fatalf("a refused action changed the store's %v", changed)
			}
		})
	}
}

// seriesOne returns the first series as stored.
func (l *life) seriesOne() *booking.Series {
	l.t.Helper()
	s, err := l.db.Series(l.ctx, 1)
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}
