package booking

import (
	"testing"
	"time"
)

func TestHeld(t *testing.T) {
	start := time.Date(2027, 3, 2, 10, 0, 0, 0, time.UTC)
	a := func(st Status) *Appointment {
		return &Appointment{Status: st, Start: start, End: start.Add(2 * time.Hour)}
	}
	during, after := start.Add(time.Hour), start.Add(3*time.Hour)
	for _, tc := range []struct {
		name string
		a    *Appointment
		now  time.Time
		want bool
	}{
		{"CompletedEarly", a(Completed), during, true},
		{"BookedAndOver", a(Booked), after, true},
		{"ArrivedAndOver", a(Arrived), after, true},
		{"ArrivedNotOver", a(Arrived), during, false},
		{"BookedNotStarted", a(Booked), start.Add(-time.Minute), false},
		{"NoShow", a(NoShow), after, false},
		{"Cancelled", a(Cancelled), after, false},
		{"LateCancelled", a(LateCancelled), after, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := held(tc.a, tc.now); got != tc.want {
				t.Fatalf("held(%s at %s)=%v, want %v", tc.a.Status, tc.now.Format("15:04"), got, tc.want)
			}
		})
	}
}
