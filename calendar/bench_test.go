package calendar

import (
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// benchExportAppointments returns n appointments of a busy clinic, 40 a weekday
// from 2027-01-04, every tenth one cancelled, with staff, rooms and
// sequences as the store returns them.
func benchExportAppointments(c *booking.Clinic, n int) []*booking.Appointment {
	loc := c.Location()
	kinds := []string{"consultation", "preparation", "dosing", "integration"}
	out := make([]*booking.Appointment, n)
	day := time.Date(2027, 1, 4, 0, 0, 0, 0, loc)
	for i := range out {
		if i > 0 && i%40 == 0 {
			day = day.AddDate(0, 0, 1)
			if day.Weekday() == time.Saturday {
				day = day.AddDate(0, 0, 2)
			}
		}
		slot := i % 40
		start := day.Add(time.Duration(8*60+slot%10*60) * time.Minute)
		a := &booking.Appointment{
			ID: int64(i + 1), SeriesID: int64(i/15 + 1), PatientID: int64(i/15 + 1),
			Step: kinds[i%4], Kind: booking.Kind(kinds[i%4]), Index: i%6 + 1, Count: 6, Seq: i % 15,
			Start: start, End: start.Add(time.Duration(60+i%3*60) * time.Minute),
			Staff: []booking.Assignment{{StaffID: int64(slot%4 + 1), Name: "Dr. Ana Reyes", Role: booking.RoleTherapist},
				{StaffID: 5, Name: "Grace Kim, RN", Role: booking.RoleNurse}},
			RoomID: int64(slot%6 + 1), RoomName: "Consult " + strconv.Itoa(slot%6+1),
			Status: booking.Booked, Sequence: i % 3,
			Created: day.AddDate(0, 0, -30), Updated: day.AddDate(0, 0, -2),
		}
		if i%10 == 9 {
			a.Status, a.Reason = booking.Cancelled, "Patient asked to move it"
		}
		if i%7 == 0 {
			a.RoomID, a.RoomName = 0, ""
		}
		out[i] = a
	}
	return out
}

func benchExportClinic(b testing.TB) *booking.Clinic {
	c := &booking.Clinic{Name: "Harbor Wellness Center", TimeZone: "America/New_York",
		Address: "120 Harbor Street, Suite 300, Boston, MA 02110", Phone: "+1 617 555 0142",
		Hours: booking.WeeklyHours{"mon": {{Start: 8 * 60, End: 18 * 60}}}}
	if err := c.Validate(); err != nil {
		b.Fatal(err)
	}
	return c
}

// countingWriter counts the bytes written to it and keeps none.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return len(b), nil
}

// BenchmarkExport writes a staff calendar of 10k and of 100k appointments
// to a writer that keeps nothing. The target is at most 1.5 s for 100k.
// Streaming shows in the per-event figures: B/event and allocs/event are
// the same for 10k and 100k, and B/event (allocated) is far below
// out-B/event (written), which a Write that held the calendar in memory
// could not be.
func BenchmarkExport(b *testing.B) {
	c := benchExportClinic(b)
	for _, n := range []int{10_000, 100_000} {
		appts := benchExportAppointments(c, n)
		names := func(id int64) string { return "Jane Doe" }
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var w countingWriter
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				err := Write(&w, Export{Clinic: c, InstanceID: "0123456789abcdef0123456789abcdef",
					Appointments: appts, PatientName: names, Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
				if err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			events := float64(b.N) * float64(n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/events, "B/event")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
			b.ReportMetric(float64(w.n)/events, "out-B/event")
		})
	}
}

// BenchmarkExportJSON encodes the same 100k appointments with
// encoding/json, one after another to a writer that keeps nothing: the
// yardstick for BenchmarkExport/100000 (goal: at most 3× its ns/event).
func BenchmarkExportJSON(b *testing.B) {
	c := benchExportClinic(b)
	appts := benchExportAppointments(c, 100_000)
	var w countingWriter
	for b.Loop() {
		enc := json.NewEncoder(&w)
		for _, a := range appts {
			if err := enc.Encode(a); err != nil {
				b.Fatal(err)
			}
		}
	}
	events := float64(b.N) * 100_000
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(float64(w.n)/events, "out-B/event")
}
