package schedule

import (
	"fmt"
	"image/color"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/ui/kit"
)

// busyWeek returns a week of 400 appointments: eight staff members, each
// with ten one-hour appointments a day from 08:00, Monday to Friday, in
// ten rooms, all of five kinds.
func busyWeek(tb testing.TB) *week {
	tb.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		tb.Fatal(err)
	}
	hours := booking.WeeklyHours{}
	for _, k := range []string{"mon", "tue", "wed", "thu", "fri"} {
		hours[k] = []booking.Span{{Start: 8 * 60, End: 18 * 60}}
	}
	c := &booking.Clinic{Name: "Bench Clinic", TimeZone: "America/New_York", Hours: hours}
	if err := c.Validate(); err != nil {
		tb.Fatal(err)
	}
	start, _ := booking.ParseDate("2027-03-08")
	w := &week{start: start, clinic: c, names: map[int64]string{}}
	for i := 1; i <= 8; i++ {
		w.staff = append(w.staff, &booking.Staff{ID: int64(i), Name: fmt.Sprintf("Therapist %d", i), Roles: []booking.Role{booking.RoleTherapist}, Hours: hours})
	}
	for i := 1; i <= 10; i++ {
		w.rooms = append(w.rooms, &booking.Room{ID: int64(i), Name: fmt.Sprintf("Room %d", i), Kind: booking.RoomConsult})
	}
	kinds := []booking.Kind{"consultation", "preparation", "dosing", "infusion", "integration"}
	id := int64(0)
	for d := start; d < start+5; d++ {
		for s := 0; s < 8; s++ {
			for h := 0; h < 10; h++ {
				id++
				st := d.At(booking.Clock((8+h)*60), loc)
				w.names[id] = fmt.Sprintf("Patient Number%d", id)
				w.appts = append(w.appts, &booking.Appointment{ID: id, PatientID: id, Kind: kinds[(s+h)%5], Index: h%6 + 1, Count: 6,
					Start: st, End: st.Add(time.Hour), Staff: []booking.Assignment{{StaffID: w.staff[s].ID, Name: w.staff[s].Name, Role: booking.RoleTherapist}},
					RoomID: int64(s + 1), RoomName: w.rooms[s].Name, Status: booking.Booked})
			}
		}
	}
	return w
}

// BenchmarkWeekView400 measures a week of 400 visible appointments: the
// model built from the data and laid out into canvas objects (build-ms),
// and a software render of the window with the test driver (render-ms).
// The test driver's Capture costs something for any window, however
// empty; empty-ms is that cost for a window of the same size, measured in
// the same run, so render-ms minus empty-ms is what the schedule costs.
// The window is as large as the week's grid needs, so that all 400 show.
// The -cpu- figures count the benchmark thread's CPU time instead of the
// wall clock, so they hold on a machine busy with other work.
func BenchmarkWeekView400(b *testing.B) {
	test.NewTempApp(b)
	w := busyWeek(b)
	label := func(id int64) string { return booking.Initials(w.names[id]) }
	now := time.Date(2027, 3, 9, 10, 0, 0, 0, w.clinic.Location())
	g := newGrid(nil)
	g.setModel(buildModel(w, w.start, true, false, false, nil, label, now))
	size := g.MinSize()
	win := test.NewTempWindow(b, g)
	win.SetPadded(false)
	win.Resize(size)
	empty := test.NewTempWindow(b, canvas.NewRectangle(color.Transparent))
	empty.SetPadded(false)
	empty.Resize(size)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var build, render, base, cpuBuild, cpuRender, cpuBase time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), threadCPU()
		m := buildModel(w, w.start, true, false, false, nil, label, now)
		g.setModel(m)
		t1, c1 := time.Now(), threadCPU()
		win.Canvas().Capture()
		t2, c2 := time.Now(), threadCPU()
		empty.Canvas().Capture()
		t3, c3 := time.Now(), threadCPU()
		build, render, base = build+t1.Sub(t0), render+t2.Sub(t1), base+t3.Sub(t2)
		cpuBuild, cpuRender, cpuBase = cpuBuild+c1-c0, cpuRender+c2-c1, cpuBase+c3-c2
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(build), "build-ms/op")
	b.ReportMetric(ms(render), "render-ms/op")
	b.ReportMetric(ms(base), "empty-ms/op")
	b.ReportMetric(ms(build+render-base), "schedule-ms/op")
	if cpuRender > 0 {
		b.ReportMetric(ms(cpuBuild+cpuRender-cpuBase), "schedule-cpu-ms/op")
		b.ReportMetric(ms(cpuRender), "render-cpu-ms/op")
		b.ReportMetric(ms(cpuBase), "empty-cpu-ms/op")
	}
	if len(g.hits) != 400 {
		b.Fatalf("blocks drawn=%d, want 400", len(g.hits))
	}
	if got := win.Canvas().Size(); got.Width < size.Width {
		b.Fatalf("window %v smaller than the grid %v", got, size)
	}
}

// BenchmarkWeekScreen400 measures the whole screen as the front desk sees
// it, in a 1200×800 window: the same 400 appointments, of which the grid's
// scroll shows what fits, with the toolbar, details panel and legend.
func BenchmarkWeekScreen400(b *testing.B) {
	a := test.NewTempApp(b)
	w := busyWeek(b)
	v := New(&kit.Env{App: a, Inline: true, Now: func() time.Time { return time.Date(2027, 3, 9, 10, 0, 0, 0, w.clinic.Location()) }})
	v.cur, v.day = w, w.start
	win := test.NewTempWindow(b, v.content)
	win.Resize(fyne.NewSize(1200, 800))
	empty := test.NewTempWindow(b, canvas.NewRectangle(color.Transparent))
	empty.Resize(fyne.NewSize(1200, 800))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var render, base, cpuRender, cpuBase time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), threadCPU()
		v.render()
		win.Canvas().Capture()
		t1, c1 := time.Now(), threadCPU()
		empty.Canvas().Capture()
		t2, c2 := time.Now(), threadCPU()
		render, base = render+t1.Sub(t0), base+t2.Sub(t1)
		cpuRender, cpuBase = cpuRender+c1-c0, cpuBase+c2-c1
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(render), "render-ms/op")
	b.ReportMetric(ms(base), "empty-ms/op")
	b.ReportMetric(ms(render-base), "schedule-ms/op")
	if cpuRender > 0 {
		b.ReportMetric(ms(cpuRender-cpuBase), "schedule-cpu-ms/op")
	}
	if len(v.grid.hits) != 400 {
		b.Fatalf("blocks laid out=%d, want 400", len(v.grid.hits))
	}
}
