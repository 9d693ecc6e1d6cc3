package clinicsim_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/clinicsim"
)

// BenchmarkSimulatedYear times the year TestSimulatedYear lives under make
// test: the demo clinic, two new patients a week, the whole database
// checked after every action (the target: at most 60 s). Run it with
// -benchtime 1x; check-ms is the checker's share.
func BenchmarkSimulatedYear(b *testing.B) {
	start, _ := booking.ParseDate("2027-01-04")
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), fmt.Sprint("clinic", i, ".db"))
		check := checker(b, path, map[string]int{})
		var checking time.Duration
		timed := func(ctx context.Context) error {
			t := time.Now()
			defer func() { checking += time.Since(t) }()
			return check(ctx)
		}
		t := time.Now()
		st, err := clinicsim.Run(context.Background(), clinicsim.Config{Path: path, Seed: 1, Start: start, Days: 365, NewPerWeek: 2, Check: timed})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t).Seconds(), "s/year")
		b.ReportMetric(checking.Seconds(), "check-s/year")
		b.ReportMetric(float64(st.Checks), "checks/year")
		b.ReportMetric(float64(st.Appointments), "appointments")
	}
}
