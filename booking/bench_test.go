package booking_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// synthClinic builds a clinic of nStaff staff (half therapists, a quarter
// prescribers, a quarter nurses) and nRooms rooms, open Monday to Friday
// 08:00–18:00 in New York.
func synthClinic(nStaff, nRooms int) booking.World {
	hours := booking.WeeklyHours{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		hours[d] = []booking.Span{{Start: 8 * 60, End: 18 * 60}}
	}
	c := &booking.Clinic{Name: "Synthetic", TimeZone: "America/New_York", Hours: hours, REMSCertified: true}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	w := booking.World{Clinic: c}
	for i := 0; i < nStaff; i++ {
		role := booking.RoleTherapist
		switch {
		case i%4 == 1:
			role = booking.RolePrescriber
		case i%4 == 3:
			role = booking.RoleNurse
		}
		w.Staff = append(w.Staff, &booking.Staff{ID: int64(i + 1), Name: fmt.Sprintf("Staff %d", i+1), Roles: []booking.Role{role},
			Qualifications: []string{"ACLS", "REMS"}, Hours: hours})
	}
	kinds := []booking.RoomKind{booking.RoomConsult, booking.RoomConsult, booking.RoomDosing}
	for i := 0; i < nRooms; i++ {
		k := kinds[i%3]
		if i == nRooms-1 {
			k = booking.RoomInfusion
		}
		w.Rooms = append(w.Rooms, &booking.Room{ID: int64(i + 1), Name: fmt.Sprintf("Room %d", i+1), Kind: k, Equipment: []string{"monitor", "pulse-oximeter"}})
	}
	return w
}

// history is a clinic's booked appointments as resource blocks sorted by
// start, with the window query a store's index gives.
type history struct {
	blocks []booking.Block
}

// synthHistory books n appointments, perDay a weekday, ending on last:
// each a room and one or two staff for one to three hours.
func synthHistory(w booking.World, n, perDay int, last booking.Date, seed uint64) *history {
	r := rand.New(rand.NewPCG(seed, 1))
	loc := w.Clinic.Location()
	h := &history{}
	d := last
	for made := 0; made < n; d-- {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for i := 0; i < perDay && made < n; i++ {
			start := d.At(booking.Clock(8*60+r.IntN(32)*15), loc)
			end := start.Add(time.Duration(60+60*r.IntN(3)) * time.Minute)
			id := int64(made + 1)
			room := w.Rooms[r.IntN(len(w.Rooms))].ID
			h.blocks = append(h.blocks, booking.Block{Resource: booking.Resource{Kind: booking.RoomResource, ID: room}, Start: start.Unix(), End: end.Unix() + 1800, AppointmentID: id})
			for k := 0; k < 1+r.IntN(2); k++ {
				st := w.Staff[r.IntN(len(w.Staff))].ID
				h.blocks = append(h.blocks, booking.Block{Resource: booking.Resource{Kind: booking.StaffResource, ID: st}, Start: start.Unix(), End: end.Unix(), AppointmentID: id})
			}
			made++
		}
	}
	sort.Slice(h.blocks, func(i, j int) bool { return h.blocks[i].Start < h.blocks[j].Start })
	return h
}

// window returns the blocks overlapping [from, to) by bisection, as the
// store's indexed query does; no block in history has a longer span than
// maxSpan.
func (h *history) window(from, to int64) []booking.Block {
	const maxSpan = 24 * 3600
	i := sort.Search(len(h.blocks), func(i int) bool { return h.blocks[i].Start >= from-maxSpan })
	var out []booking.Block
	for ; i < len(h.blocks) && h.blocks[i].Start < to; i++ {
		if h.blocks[i].End > from {
			out = append(out, h.blocks[i])
		}
	}
	return out
}

func benchPlan(b *testing.B, n int, reference bool) {
	w := synthClinic(40, 15)
	_, ps := demoWorld(b)
	from := mustDate(b, "2027-01-04")
	h := synthHistory(w, n, 50, from+100, 42)
	loc := w.Clinic.Location()
	req := booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: from}
	lo, hi := from.At(0, loc).Unix(), (from+85).At(0, loc).Unix()
	runtime.GC() // leave the history's garbage out of the timings
	b.ReportAllocs()
	b.ResetTimer()
	var p *booking.Plan
	for i := 0; i < b.N; i++ {
		if reference {
			w.Busy = booking.NewScan(h.blocks, w.Staff) // every booking, every check
		} else {
			w.Busy = booking.NewIndex(h.window(lo, hi), w.Staff)
		}
		var err error
		if p, err = booking.PlanSeries(w, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(p.Appts) != 15 {
		b.Fatalf("appointments=%d", len(p.Appts))
	}
}

// BenchmarkPlanSeries plans kap-standard in a clinic of 40 staff and 15
// rooms with 10k, 100k and 1M appointments already booked.
func BenchmarkPlanSeries(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("booked=%dk", n/1000), func(b *testing.B) { benchPlan(b, n, false) })
	}
}

// BenchmarkPlanSeriesReference is the same search with the simple
// Availability that checks every booking for every candidate slot.
func BenchmarkPlanSeriesReference(b *testing.B) {
	b.Run("booked=100k", func(b *testing.B) { benchPlan(b, 100_000, true) })
}

// The indexed and the reference planner give the same plan (or the same
// refusal) on small random clinics.
func TestPlanSeries_IndexMatchesReference(t *testing.T) {
	_, ps := demoWorld(t)
	planned := 0
	for seed := uint64(1); seed <= 24; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		w := synthClinic(4+r.IntN(8), 3+r.IntN(4))
		loc := w.Clinic.Location()
		for _, s := range w.Staff {
			if r.IntN(3) == 0 {
				d := mustDate(t, "2027-03-01") + booking.Date(r.IntN(40))
				s.TimeOff = append(s.TimeOff, booking.Interval{Start: d.At(0, loc), End: (d + booking.Date(1+r.IntN(5))).At(0, loc)})
			}
		}
		from := mustDate(t, "2027-03-01")
		h := synthHistory(w, 100+r.IntN(600), 5+r.IntN(20), from+90, seed)
		protos := []string{"kap-standard", "kap-iv", "esketamine-induction"}
		p := jane()
		enrolled := from - 10
		p.Consents.REMSEnrolled = &enrolled
		req := booking.PlanRequest{Patient: p, Protocol: ps[protos[seed%3]], From: from}
		w.Busy = booking.NewIndex(h.blocks, w.Staff)
		got, errA := booking.PlanSeries(w, req)
		w.Busy = booking.NewScan(h.blocks, w.Staff)
		want, errB := booking.PlanSeries(w, req)
		ja, _ := json.Marshal(got)
		jb, _ := json.Marshal(want)
		if string(ja) != string(jb) || booking.ErrorMessage(errA) != booking.ErrorMessage(errB) {
			t.Fatalf("seed %d: index and reference differ:\n%s %v\n%s %v", seed, ja, errA, jb, errB)
		}
		if errA == nil {
			planned++
		} else {
			t.Logf("seed %d: %v", seed, errA)
		}
	}
	if planned < 12 {
		t.Fatalf("only %d of 24 clinics could be planned; the comparison says little", planned)
	}
}
