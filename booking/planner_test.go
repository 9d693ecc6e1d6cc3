package booking_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
)

// demoWorld returns the demo clinic with ids assigned and no bookings.
func demoWorld(t testing.TB) (booking.World, map[string]*booking.Protocol) {
	t.Helper()
	f, err := booking.ParseClinicFile(resources.DemoClinic)
	if err != nil {
		t.Fatal(err)
	}
	w := booking.World{Clinic: &f.Clinic}
	for i := range f.Staff {
		f.Staff[i].ID = int64(i + 1)
		w.Staff = append(w.Staff, &f.Staff[i])
	}
	for i := range f.Rooms {
		f.Rooms[i].ID = int64(i + 1)
		w.Rooms = append(w.Rooms, &f.Rooms[i])
	}
	w.Busy = booking.NewIndex(nil, w.Staff)
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*booking.Protocol{}
	for _, p := range ps {
		m[p.ID] = p
	}
	return w, m
}

func mustDate(t testing.TB, s string) booking.Date {
	d, err := booking.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPlanSeries_KAPStandard(t *testing.T) {
	w, ps := demoWorld(t)
	pat := &booking.Patient{ID: 1, Name: "Jane Doe", Email: "jane@example.org"}
	plan, err := booking.PlanSeries(w, booking.PlanRequest{Patient: pat, Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(plan.Appts), 15; got != want {
		t.Fatalf("appointments=%d, want %d", got, want)
	}
	checkGolden(t, "plan-kap-standard.golden", renderPlan(plan, w.Clinic.Location()))
}

// update rewrites golden files with what the code produces now:
// go test ./booking -run TestPlanSeries_KAPStandard -update
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// renderPlan writes a plan as stable text, one appointment a line, times
// in the clinic's zone: every field that places the appointment (seq,
// step, kind, index/count, start–end, staff ids and roles, room, holds).
func renderPlan(p *booking.Plan, loc *time.Location) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# zone %s, series therapist %d, %d appointments\n", loc, p.TherapistID, len(p.Appts))
	fmt.Fprintln(&b, "# seq step kind index/count | start – end | staff id:role | room id:name | holds room -before/+after staff -before/+after")
	for _, a := range p.Appts {
		var staff []string
		for _, s := range a.Staff {
			staff = append(staff, fmt.Sprintf("%d:%s", s.StaffID, s.Role))
		}
		room := "video"
		if a.RoomID != 0 {
			room = fmt.Sprintf("%d:%s", a.RoomID, a.RoomName)
		}
		fmt.Fprintf(&b, "%02d %s %s %d/%d | %s – %s | %s | %s | room -%d/+%d staff -%d/+%d\n",
			a.Seq, a.Step, a.Kind, a.Index, a.Count,
			a.Start.In(loc).Format("Mon 2006-01-02 15:04 MST"), a.End.In(loc).Format("Mon 2006-01-02 15:04 MST"),
			strings.Join(staff, " "), room,
			a.Holds.RoomBefore, a.Holds.RoomAfter, a.Holds.StaffBefore, a.Holds.StaffAfter)
	}
	return b.Bytes()
}

// checkGolden compares got with testdata/name, or writes it there with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s line %d:\n got %s\nwant %s", path, i+1, g, w)
			}
		}
		t.Fatalf("plan differs from %s; if the change is intended, rerun with -update and review the diff", path)
	}
}

func plan(t *testing.T, w booking.World, req booking.PlanRequest) *booking.Plan {
	t.Helper()
	p, err := booking.PlanSeries(w, req)
	if err != nil {
		t.Fatalf("PlanSeries: %v", err)
	}
	return p
}

func local(w booking.World, a *booking.Appointment) string {
	return a.Start.In(w.Clinic.Location()).Format("Mon 2006-01-02 15:04")
}

func jane() *booking.Patient {
	return &booking.Patient{ID: 1, Name: "Jane Doe", Email: "jane@example.org"}
}

func zero() *int { z := 0; return &z }

// A dosing slot early in the week leaves no integration room within its
// 24-hour gap; the planner must back off and book the dosing later.
func TestPlanSeries_BacktracksWhenNoFollowUpFits(t *testing.T) {
	w, _ := demoWorld(t)
	loc := w.Clinic.Location()
	p, err := booking.ParseProtocol([]byte(`{"id":"mini","name":"Mini","window_days":30,"steps":[
	 {"id":"dosing","kind":"dosing","minutes":60,"count":1,"staff":[{"series_therapist":true}],"room":{"kinds":["dosing"]}},
	 {"id":"integration","kind":"integration","minutes":60,"count":1,"staff":[{"series_therapist":true}],"room":{"kinds":["consult"]},
	  "after_each":"dosing","gap":{"min":0,"max":24,"unit":"hours"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// Every consult room is taken all Monday and Tuesday 2027-03-01/02.
	var blocks []booking.Block
	for _, r := range w.Rooms {
		if r.Kind == booking.RoomConsult {
			blocks = append(blocks, booking.Block{Resource: booking.Resource{Kind: booking.RoomResource, ID: r.ID},
				Start: time.Date(2027, 3, 1, 0, 0, 0, 0, loc).Unix(), End: time.Date(2027, 3, 3, 0, 0, 0, 0, loc).Unix()})
		}
	}
	w.Busy = booking.NewIndex(blocks, w.Staff)
	got := plan(t, w, booking.PlanRequest{Patient: jane(), Protocol: p, From: mustDate(t, "2027-03-01"), TherapistID: 1, SlackDays: zero()})
	if d, i := local(w, got.Appts[0]), local(w, got.Appts[1]); d != "Tue 2027-03-02 08:00" || i != "Wed 2027-03-03 08:00" {
		t.Fatalf("dosing=%s integration=%s, want Tue 2027-03-02 08:00 and Wed 2027-03-03 08:00", d, i)
	}
}

// The first therapist is free now but fully booked from the second week:
// the planner must not stop at them while another therapist can do it all.
func TestPlanSeries_BacktracksOverTherapist(t *testing.T) {
	w, ps := demoWorld(t)
	loc := w.Clinic.Location()
	w.Staff[0].Busy = []booking.Interval{{Start: time.Date(2027, 3, 8, 0, 0, 0, 0, loc), End: time.Date(2027, 6, 1, 0, 0, 0, 0, loc)}}
	w.Busy = booking.NewIndex(nil, w.Staff)
	got := plan(t, w, booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01")})
	if got.TherapistID == w.Staff[0].ID {
		t.Fatalf("therapist=%d, the one with no time after the first week", got.TherapistID)
	}
	for _, a := range got.Appts {
		if a.HasStaff(w.Staff[0].ID) || (a.Kind != "dosing" && a.Kind != "consultation" && !a.HasStaff(got.TherapistID)) {
			t.Fatalf("%s staff=%v, want therapist %d throughout", a.Label(), a.Staff, got.TherapistID)
		}
	}
}

// A series across the spring daylight-saving change keeps its wall-clock
// times: the same local time of day, a different UTC hour.
func TestPlanSeries_KeepsWallClockAcrossDST(t *testing.T) {
	w, ps := demoWorld(t)
	got := plan(t, w, booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01"), TherapistID: 1})
	loc := w.Clinic.Location()
	var before, after *booking.Appointment
	for _, a := range got.Appts {
		if a.Kind != "dosing" {
			continue
		}
		if a.Start.Before(time.Date(2027, 3, 14, 0, 0, 0, 0, loc)) {
			before = a
		} else if after == nil {
			after = a
		}
	}
	if before == nil || after == nil {
		t.Fatal("want dosing sessions on both sides of 2027-03-14")
	}
	if lb, la := before.Start.In(loc).Format("15:04"), after.Start.In(loc).Format("15:04"); lb != la {
		t.Fatalf("local start %s before DST, %s after; want the same", lb, la)
	}
	if ub, ua := before.Start.UTC().Hour(), after.Start.UTC().Hour(); ub == ua {
		t.Fatalf("UTC hour %d on both sides; the offset did not change", ub)
	}
}

func TestPlanSeries_Deterministic(t *testing.T) {
	w, ps := demoWorld(t)
	req := booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01")}
	a, b := plan(t, w, req), plan(t, w, req)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("two plans differ:\n%s\n%s", ja, jb)
	}
}

func TestPlanSeries_ExplainsFailure(t *testing.T) {
	w, ps := demoWorld(t)
	loc := w.Clinic.Location()
	var blocks []booking.Block
	for _, r := range w.Rooms {
		if r.Kind == booking.RoomDosing {
			blocks = append(blocks, booking.Block{Resource: booking.Resource{Kind: booking.RoomResource, ID: r.ID},
				Start: time.Date(2027, 3, 1, 0, 0, 0, 0, loc).Unix(), End: time.Date(2027, 7, 1, 0, 0, 0, 0, loc).Unix()})
		}
	}
	w.Busy = booking.NewIndex(blocks, w.Staff)
	_, err := booking.PlanSeries(w, booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01"), TherapistID: 1})
	if booking.ErrorCode(err) != booking.ENOPLAN {
		t.Fatalf("err=%v, want ENOPLAN", err)
	}
	msg := booking.ErrorMessage(err)
	for _, want := range []string{"dosing 1 of 6", "no dosing room free with Dr. Ana Reyes", "after preparation 2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
}

func TestPlanSeries_REMSRules(t *testing.T) {
	w, ps := demoWorld(t)
	req := booking.PlanRequest{Patient: jane(), Protocol: ps["esketamine-induction"], From: mustDate(t, "2027-03-01")}
	if _, err := booking.PlanSeries(w, req); booking.ErrorCode(err) != booking.ENOPLAN || !strings.Contains(booking.ErrorMessage(err), "REMS-enrolled") {
		t.Fatalf("err=%v, want a REMS enrolment refusal", err)
	}
	d := mustDate(t, "2027-02-20")
	req.Patient.Consents.REMSEnrolled = &d
	got := plan(t, w, req)
	if len(got.Appts) != 13 {
		t.Fatalf("appointments=%d, want 13", len(got.Appts))
	}
	for _, a := range got.Appts[1:] {
		if len(a.Staff) != 1 || a.Staff[0].Role != booking.RolePrescriber {
			t.Fatalf("%s staff=%v, want a prescriber on site", a.Label(), a.Staff)
		}
	}
	w.Clinic.REMSCertified = false
	if _, err := booking.PlanSeries(w, req); !strings.Contains(booking.ErrorMessage(err), "REMS-certified") {
		t.Fatalf("err=%v, want a REMS certification refusal", err)
	}
}

// Soft preferences: a patient who prefers Wednesdays gets them when the
// slack allows; with no slack, earliness wins.
func TestPlanSeries_Preferences(t *testing.T) {
	w, ps := demoWorld(t)
	p := jane()
	p.Preferences.Weekdays = []string{"wed"}
	got := plan(t, w, booking.PlanRequest{Patient: p, Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01"), TherapistID: 2})
	if wd := got.Appts[0].Start.In(w.Clinic.Location()).Weekday(); wd != time.Wednesday {
		t.Errorf("consultation on %s, want Wednesday within the slack", wd)
	}
	got = plan(t, w, booking.PlanRequest{Patient: p, Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01"), TherapistID: 2, SlackDays: zero()})
	if wd := got.Appts[0].Start.In(w.Clinic.Location()).Weekday(); wd != time.Monday {
		t.Errorf("consultation on %s with no slack, want Monday", wd)
	}
}

// TestExplain_SaysWhatBinds: a refused plan or time names the rule that
// binds, in the front desk's words, and never a rule of another step.
func TestExplain_SaysWhatBinds(t *testing.T) {
	from := mustDate(t, "2027-03-01")
	without := func(w booking.World, drop func(*booking.Staff) bool, dropRoom func(*booking.Room) bool) booking.World {
		var staff []*booking.Staff
		for _, s := range w.Staff {
			if drop == nil || !drop(s) {
				staff = append(staff, s)
			}
		}
		var rooms []*booking.Room
		for _, r := range w.Rooms {
			if dropRoom == nil || !dropRoom(r) {
				rooms = append(rooms, r)
			}
		}
		w.Staff, w.Rooms, w.Busy = staff, rooms, booking.NewIndex(nil, staff)
		return w
	}
	for _, tt := range []struct {
		name    string
		world   func(w booking.World) booking.World
		req     func(ps map[string]*booking.Protocol, req *booking.PlanRequest)
		want    string
		notWant string
	}{
		{"NoDosingRoom", func(w booking.World) booking.World {
			return without(w, nil, func(r *booking.Room) bool { return r.Kind == booking.RoomDosing })
		}, nil, "Cannot book dosing 1 of 6 for KAP standard (IM or sublingual): the clinic has no dosing room.", "free"},
		{"NoPrescriber", func(w booking.World) booking.World {
			return without(w, func(s *booking.Staff) bool { return s.HasRole(booking.RolePrescriber) }, nil)
		}, nil, "Cannot book consultation for KAP standard (IM or sublingual): the clinic has no prescriber.", "free"},
		{"DosingNamesItsOwnNeed", func(w booking.World) booking.World {
			// No nurses, and the prescribers work two hours a day: the
			// consultation fits, a three-hour dosing never does.
			w = without(w, func(s *booking.Staff) bool { return s.HasRole(booking.RoleNurse) }, nil)
			for _, s := range w.Staff {
				if s.HasRole(booking.RolePrescriber) {
					cp := *s
					cp.Hours = booking.WeeklyHours{"mon": {{Start: 8 * 60, End: 10 * 60}}, "tue": {{Start: 8 * 60, End: 10 * 60}}}
					*s = cp
				}
			}
			return w
		}, nil, "dosing 1 of 6", "no prescriber free"},
		{"LatestEndAndTheTherapistsHours", nil, func(ps map[string]*booking.Protocol, req *booking.PlanRequest) {
			p := *ps["kap-standard"]
			p.Steps = slices.Clone(p.Steps)
			eleven := booking.Clock(11 * 60)
			p.Steps[2].LatestEnd = &eleven
			req.Protocol, req.TherapistID = &p, 2 // Sam Okafor starts at 09:00
		}, "Sam Okafor's working hours leave no 180-minute session ending by 11:00", "has no free time"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, ps := demoWorld(t)
			if tt.world != nil {
				w = tt.world(w)
			}
			req := booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: from}
			if tt.req != nil {
				tt.req(ps, &req)
			}
			_, err := booking.PlanSeries(w, req)
			msg := booking.ErrorMessage(err)
			t.Log(msg)
			if booking.ErrorCode(err) != booking.ENOPLAN || !strings.Contains(msg, tt.want) || (tt.notWant != "" && strings.Contains(msg, tt.notWant)) {
				t.Fatalf("err=%q, want ENOPLAN saying %q and not %q", msg, tt.want, tt.notWant)
			}
		})
	}
}

// TestExplain_WindowNamesWhoIsFull: when the series window runs out, the
// explanation names what had no time.
func TestExplain_WindowNamesWhoIsFull(t *testing.T) {
	w, ps := demoWorld(t)
	loc := w.Clinic.Location()
	// Dr. Reyes is booked all day but every other Thursday for twelve
	// weeks: nine appointment days take eighteen.
	var blocks []booking.Block
	for d := mustDate(t, "2027-03-01"); d < mustDate(t, "2027-05-24"); d++ {
		if d.Weekday() != time.Thursday || (d-mustDate(t, "2027-03-01"))/7%2 == 1 {
			blocks = append(blocks, booking.Block{Resource: booking.Resource{Kind: booking.StaffResource, ID: 1},
				Start: d.At(8*60, loc).Unix(), End: d.At(17*60, loc).Unix(), AppointmentID: int64(d)})
		}
	}
	w.Busy = booking.NewIndex(blocks, w.Staff)
	_, err := booking.PlanSeries(w, booking.PlanRequest{Patient: jane(), Protocol: ps["kap-standard"], From: mustDate(t, "2027-03-01"), TherapistID: 1})
	t.Log(booking.ErrorMessage(err))
	if msg := booking.ErrorMessage(err); booking.ErrorCode(err) != booking.ENOPLAN || !strings.Contains(msg, "Dr. Ana Reyes") {
		t.Fatalf("err=%q, want ENOPLAN naming Dr. Ana Reyes", msg)
	}
}
