package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
)

// esketamineSeries books Jane Doe's esketamine induction from the day after
// now and returns the store, a clock-setting service and the series.
func esketamineSeries(t *testing.T, now time.Time) (*DB, *booking.Service, *booking.Series, *time.Time) {
	t.Helper()
	ctx := context.Background()
	db, svc, p := demoWithPatient(t, now)
	clock := now
	svc.Now = func() time.Time { return clock }
	today := booking.DateOf(now)
	if _, err := svc.SetConsent(ctx, p.ID, "rems-enrolled", &today); err != nil {
		t.Fatal(err)
	}
	sr, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction", From: today + 1})
	if err != nil {
		t.Fatal(err)
	}
	return db, svc, sr, &clock
}

func TestMonitoringTasks(t *testing.T) {
	ctx := context.Background()
	loc := mustLoc(t, "America/New_York")
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, loc)
	db, svc, sr, clock := esketamineSeries(t, start)
	var doses []*booking.Appointment
	for _, a := range sr.Appts {
		if a.Step == "induction" {
			doses = append(doses, a)
		}
	}
	if len(doses) != 8 {
		t.Fatalf("induction sessions=%d, want 8", len(doses))
	}
	first, second := doses[0], doses[1]

	tasks := func(at time.Time) []*booking.MonitoringTask {
		t.Helper()
		got, err := svc.MonitoringTasks(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("NoneBeforeTheFirstSession", func(t *testing.T) {
		if got := tasks(start); len(got) != 0 {
			t.Fatalf("tasks=%d before any session, want 0", len(got))
		}
		*clock = start
		if _, err := svc.RecordMonitoringForm(ctx, first.ID); booking.ErrorCode(err) != booking.ECONFLICT {
			t.Fatalf("recording a form before the session: err=%v, want conflict", err)
		}
		if _, err := svc.RecordMonitoringForm(ctx, sr.Appts[0].ID); booking.ErrorCode(err) != booking.EINVALID {
			t.Fatalf("recording a form for the consultation: err=%v, want invalid", err)
		}
	})

	t.Run("DueAfterTheSession", func(t *testing.T) {
		at := first.End.Add(time.Hour)
		got := tasks(at)
		if len(got) != 1 {
			t.Fatalf("tasks=%d an hour after the first session, want 1", len(got))
		}
		want := booking.DateOf(first.End.In(loc)) + 7
		if g := got[0]; g.Appointment.ID != first.ID || g.Due != want || g.Overdue || g.PatientName != "Jane Doe" || g.Task != "REMS monitoring form" {
			t.Fatalf("task=%+v, want appointment %d due %s, not overdue, Jane Doe, REMS monitoring form", g, first.ID, want)
		}
	})

	t.Run("OverdueFirst", func(t *testing.T) {
		at := booking.DateOf(first.End.In(loc)) + 8
		got := tasks(at.At(12*60, loc))
		if len(got) < 2 {
			t.Fatalf("tasks=%d eight days after the first session, want at least 2", len(got))
		}
		if !got[0].Overdue || got[0].Appointment.ID != first.ID {
			t.Fatalf("first task: appointment %d overdue=%v, want %d overdue", got[0].Appointment.ID, got[0].Overdue, first.ID)
		}
		for _, x := range got[1:] {
			if x.Overdue {
				t.Fatalf("appointment %d (%s) overdue at %s, want only the first", x.Appointment.ID, x.Appointment.Label(), at)
			}
		}
	})

	t.Run("NoShowHasNoTask", func(t *testing.T) {
		*clock = second.Start.Add(30 * time.Minute)
		if _, err := svc.SetStatus(ctx, second.ID, booking.NoShow); err != nil {
			t.Fatal(err)
		}
		for _, x := range tasks(second.End.Add(time.Hour)) {
			if x.Appointment.ID == second.ID {
				t.Fatalf("a no-show session has a monitoring task")
			}
		}
		if _, err := svc.RecordMonitoringForm(ctx, second.ID); booking.ErrorCode(err) != booking.ECONFLICT {
			t.Fatalf("recording a form for a no-show: err=%v, want conflict", err)
		}
	})

	t.Run("RecordedFormRemovesTheTask", func(t *testing.T) {
		*clock = first.End.Add(2 * time.Hour)
		e, err := svc.RecordMonitoringForm(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Action != booking.MonitoringAction || e.AppointmentID != first.ID {
			t.Fatalf("entry=%+v, want action %s for appointment %d", e, booking.MonitoringAction, first.ID)
		}
		audit, err := db.Audit(ctx, booking.AuditFilter{PatientID: first.PatientID, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 || audit[0].Action != "monitoring-form" || audit[0].AppointmentID != first.ID || audit[0].Note != "REMS monitoring form" {
			t.Fatalf("newest audit entry=%+v, want the monitoring form of appointment %d", audit[0], first.ID)
		}
		for _, x := range tasks(*clock) {
			if x.Appointment.ID == first.ID {
				t.Fatalf("the task is still listed after the form was recorded")
			}
		}
		_, err = svc.RecordMonitoringForm(ctx, first.ID)
		if booking.ErrorCode(err) != booking.ECONFLICT {
			t.Fatalf("recording the form twice: err=%v, want conflict", err)
		}
		t.Log(booking.ErrorMessage(err))
	})
}

// BenchmarkMonitoringTasks lists the forms due in the demo clinic with 24
// esketamine courses started a few days apart, halfway through them: what
// the Today screen asks each time it loads.
func BenchmarkMonitoringTasks(b *testing.B) {
	ctx := context.Background()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2027, 3, 1, 9, 0, 0, 0, loc)
	db := MustOpenDB(b)
	if err := resources.InitDemo(ctx, db, "bench", start); err != nil {
		b.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return start }, Actor: "bench"}
	today := booking.DateOf(start)
	booked := 0
	for i := range 24 {
		p := &booking.Patient{Name: fmt.Sprintf("Patient %d", i), Email: fmt.Sprintf("p%d@example.org", i), Consents: booking.Consents{REMSEnrolled: &today}}
		if err := svc.AddPatient(ctx, p); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction", From: today + 1 + booking.Date(i*2)}); err == nil {
			booked++
		}
	}
	now := (today + 45).At(12*60, loc)
	var n int
	b.ResetTimer()
	for b.Loop() {
		tasks, err := svc.MonitoringTasks(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		n = len(tasks)
	}
	if n == 0 {
		b.Fatal("no tasks")
	}
	b.ReportMetric(float64(booked), "courses")
	b.ReportMetric(float64(n), "tasks/op")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}
