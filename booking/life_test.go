package booking_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// life is the demo clinic in a real SQLite file with a clock the test
// moves: a series is booked, and then weeks pass.
type life struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	svc *booking.Service
	loc *time.Location
	now time.Time
}

// newLife sets up the demo clinic at now (clinic time, "2006-01-02 15:04").
func newLife(t *testing.T, now string) *life {
	t.Helper()
	l := &life{t: t, ctx: context.Background()}
	var err error
	if l.db, err = store.Create(filepath.Join(t.TempDir(), "clinic.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.db.Close() })
	if l.loc, err = time.LoadLocation("America/New_York"); err != nil {
		t.Fatal(err)
	}
	l.now = l.at(now)
	if err := resources.InitDemo(l.ctx, l.db, "test", l.now); err != nil {
		t.Fatal(err)
	}
	l.svc = &booking.Service{Store: l.db, Now: func() time.Time { return l.now }, Actor: "Front desk"}
	return l
}

// at parses a clinic time, "2006-01-02 15:04".
func (l *life) at(s string) time.Time {
	l.t.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, l.loc)
	if err != nil {
		l.t.Fatal(err)
	}
	return t
}

func (l *life) date(s string) booking.Date {
	l.t.Helper()
	return mustDate(l.t, s)
}

// patient adds a patient and returns them.
func (l *life) patient(name string) *booking.Patient {
	l.t.Helper()
	p := &booking.Patient{Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.org"}
	if err := l.svc.AddPatient(l.ctx, p); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// book books a series and fails the test on an error.
func (l *life) book(req booking.BookRequest) *booking.Series {
	l.t.Helper()
	s, err := l.svc.BookSeries(l.ctx, req)
	if err != nil {
		l.t.Fatalf("book %s: %v", req.ProtocolID, err)
	}
	return s
}

// appt returns the stored appointment of series s with the label, held
// (booked, arrived or completed) if there is one.
func (l *life) appt(s *booking.Series, label string) *booking.Appointment {
	l.t.Helper()
	sr, err := l.db.Series(l.ctx, s.ID)
	if err != nil {
		l.t.Fatal(err)
	}
	var out *booking.Appointment
	for _, a := range sr.Appts {
		if strings.TrimSuffix(a.Label(), " (make-up)") == label && (out == nil || a.Status.Holds()) {
			out = a
		}
	}
	if out == nil {
		l.t.Fatalf("series %d has no %s", s.ID, label)
	}
	return out
}

// stored returns appointment id as stored.
func (l *life) stored(id int64) *booking.Appointment {
	l.t.Helper()
	a, err := l.db.Appointment(l.ctx, id)
	if err != nil {
		l.t.Fatal(err)
	}
	return a
}

// notes returns the notes of the audit entries with action about the
// appointment, oldest first.
func (l *life) notes(action string, apptID int64) []string {
	l.t.Helper()
	all, err := l.db.Audit(l.ctx, booking.AuditFilter{})
	if err != nil {
		l.t.Fatal(err)
	}
	var out []string
	for _, e := range all {
		if e.Action == action && (apptID == 0 || e.AppointmentID == apptID) {
			out = append(out, e.Note)
		}
	}
	slices.Reverse(out)
	return out
}

// wantCode fails unless err has the code and its message every fragment.
func wantCode(t *testing.T, err error, code string, fragments ...string) {
	t.Helper()
	if booking.ErrorCode(err) != code {
		t.Fatalf("err=%v (%s), want %s", err, booking.ErrorCode(err), code)
	}
	for _, f := range fragments {
		if !strings.Contains(booking.ErrorMessage(err), f) {
			t.Fatalf("err=%q, want it to say %q", booking.ErrorMessage(err), f)
		}
	}
}

// demoOne is `kapctl init --demo --with-patients 1` on Sun 6 Dec 2026:
// Avery Quinn's kap-standard series from Mon 7 Dec, appointment ids 1–15.
func demoOne(t *testing.T) (*life, *booking.Series) {
	l := newLife(t, "2026-12-06 09:00")
	if _, err := resources.BookSamples(l.ctx, l.svc, 1, l.date("2026-12-07")); err != nil {
		t.Fatal(err)
	}
	s, err := l.db.Series(l.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return l, s
}

// TestLife_MoveAfterTheSeriesStarted: once the consultation is past, the
// integration after dosing 1 can still move to a time Suggest offers; the
// past consultation is a fact, not re-planned against "not before now".
func TestLife_MoveAfterTheSeriesStarted(t *testing.T) {
	l, s := demoOne(t)
	l.now = l.at("2026-12-08 12:00")
	in := l.appt(s, "Integration 1/6")
	sg, err := l.svc.Suggest(l.ctx, in.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.Alternatives) == 0 {
		t.Fatal("no other time offered for integration 1")
	}
	to := sg.Alternatives[0].Start
	moved, err := l.svc.Reschedule(l.ctx, in.ID, to, false)
	if err != nil {
		t.Fatalf("moving to the offered %s: %v", to, err)
	}
	if len(moved) != 1 || !moved[0].Start.Equal(to) {
		t.Fatalf("moved %v, want integration 1 at %s", moved, to)
	}
	// A completed and a past appointment are facts, and cannot move.
	c := l.appt(s, "Consultation")
	if _, err := l.svc.Reschedule(l.ctx, c.ID, l.at("2026-12-09 14:00"), false); err == nil {
		t.Fatal("the past consultation was moved")
	}
}

// TestLife_OverrideBreaksOnlyWhatItNames: after an override, plain moves
// elsewhere in the series work, and each override's audit entry names the
// rules it actually broke.
func TestLife_OverrideBreaksOnlyWhatItNames(t *testing.T) {
	l, s := demoOne(t)
	l.now = l.at("2026-12-08 12:00")
	d2 := l.appt(s, "Dosing 2/6")
	if _, err := l.svc.Reschedule(l.ctx, d2.ID, l.at("2027-01-12 10:00"), false); err == nil {
		t.Fatal("a plain move broke the gap rules")
	}
	moved, err := l.svc.Override(l.ctx, d2.ID, l.at("2027-01-12 10:00"), "doctor approved")
	if err != nil {
		t.Fatal(err)
	}
	// Its integration follows it: the two moved together.
	if len(moved) != 2 || moved[1].Kind != "integration" || !moved[1].Start.After(moved[0].End.Add(-time.Minute)) {
		t.Fatalf("moved %v, want dosing 2 and its integration after it", moved)
	}
	notes := l.notes("override", d2.ID)
	if len(notes) != 1 || !strings.Contains(notes[0], "doctor approved (rule overridden: at most 14 days after dosing 1 (Thu 10 Dec 08:00)") {
		t.Fatalf("override audit %q, want the broken 14-day rule named", notes)
	}
	// A plain move elsewhere, to a time Suggest offers, is judged on what it
	// changes, not on the overridden dosing 2.
	d4 := l.appt(s, "Dosing 4/6")
	sg, err := l.svc.Suggest(l.ctx, d4.ID, 5)
	if err != nil || len(sg.Alternatives) == 0 {
		t.Fatalf("suggest for dosing 4: %v, %v", sg, err)
	}
	if _, err := l.svc.Reschedule(l.ctx, d4.ID, sg.Alternatives[0].Start, false); err != nil {
		t.Fatalf("plain move of dosing 4 to an offered time after an override elsewhere: %v", err)
	}
	// A later override is audited with the rule it breaks itself.
	d6 := l.appt(s, "Dosing 6/6")
	late := d6.Start.In(l.loc)
	late = time.Date(late.Year(), late.Month(), late.Day(), 15, 30, 0, 0, l.loc)
	_, err = l.svc.Reschedule(l.ctx, d6.ID, late, false)
	wantCode(t, err, booking.ENOPLAN, "ends 18:30, after the latest end 18:00")
	if _, err := l.svc.Override(l.ctx, d6.ID, late, "patient works mornings"); err != nil {
		t.Fatal(err)
	}
	notes = l.notes("override", d6.ID)
	if len(notes) != 1 || !strings.Contains(notes[0], "ends 18:30, after the latest end 18:00") || strings.Contains(notes[0], "14 days") || strings.Contains(notes[0], "no slot") {
		t.Fatalf("override audit %q, want only the latest-end rule it broke", notes)
	}
}

// TestLife_OverrideNeverDoubleBooks: an override to a time another patient
// holds with the same people and room, in the series window or past it,
// is refused; the database refuses a double booking on its own too.
func TestLife_OverrideNeverDoubleBooks(t *testing.T) {
	l := newLife(t, "2027-02-22 09:00")
	a, b := l.patient("Ann Lee"), l.patient("Bo Chan")
	sa := l.book(booking.BookRequest{PatientID: a.ID, ProtocolID: "kap-standard", From: l.date("2027-03-01"), TherapistID: 1})
	sb := l.book(booking.BookRequest{PatientID: b.ID, ProtocolID: "kap-standard", From: l.date("2027-03-08"), TherapistID: 1})
	// Bo's consultation to Ann's consultation time: before Bo's window.
	cb := l.appt(sb, "Consultation")
	ca := l.appt(sa, "Consultation")
	_, err := l.svc.Override(l.ctx, cb.ID, ca.Start, "test")
	wantCode(t, err, booking.ECONFLICT, "Even with an override", "already booked")
	// Ann's last integration to a date past her window, onto Bo's dosing 4.
	ia := l.appt(sa, "Integration 6/6")
	d4 := l.appt(sb, "Dosing 4/6")
	_, err = l.svc.Override(l.ctx, ia.ID, d4.Start, "test")
	wantCode(t, err, booking.ECONFLICT, "Even with an override", "Dr. Ana Reyes is already booked")
	if got := l.stored(ia.ID); !got.Start.Equal(ia.Start) {
		t.Fatalf("integration moved to %s although refused", got.Start)
	}
	// The store itself refuses two appointments of one person at once.
	err = l.db.Update(l.ctx, func(tx booking.Tx) error {
		x := l.stored(cb.ID)
		x.Start, x.End = ca.Start, ca.End
		return tx.UpdateAppointment(l.ctx, x)
	})
	wantCode(t, err, booking.ECONFLICT, "two appointments at once")
}

// TestLife_SeveralSeries: a second active series needs a reason, recorded
// as an override; even then no two doses of the patient fall on one day or
// closer than the stricter protocol's gap.
func TestLife_SeveralSeries(t *testing.T) {
	l := newLife(t, "2027-02-22 09:00")
	p := l.patient("Ann Lee")
	if _, err := l.svc.SetConsent(l.ctx, p.ID, "rems-enrolled", ptr(l.date("2027-02-22"))); err != nil {
		t.Fatal(err)
	}
	first := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: l.date("2027-03-01")})
	_, err := l.svc.BookSeries(l.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: l.date("2027-03-01")})
	wantCode(t, err, booking.ECONFLICT, "Ann Lee already has an active series: series 1 (kap-standard: 15 appointments to come from Mon 1 Mar 08:00)")
	_, err = l.svc.BookSeries(l.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-iv", Step: "infusion", From: l.date("2027-03-01")})
	wantCode(t, err, booking.ECONFLICT, "already has an active series", "make-up")
	second := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction", From: l.date("2027-03-01"), Reason: "psychiatrist's plan"})
	if notes := l.notes("override", 0); len(notes) != 1 || notes[0] != "psychiatrist's plan (rule overridden: a second active series beside series 1)" {
		t.Fatalf("override notes %q, want the second active series recorded", notes)
	}
	// Infusions every 1 to 4 days for three weeks cannot keep two days
	// from the other series' doses: refused, saying why.
	_, err = l.svc.BookSeries(l.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-iv", From: l.date("2027-03-01"), Reason: "psychiatrist's plan"})
	wantCode(t, err, booking.ENOPLAN, "too close to a dose of another series")
	third := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-iv", From: l.date("2027-05-24"), Reason: "after the others"})
	appts, err := l.db.Appointments(l.ctx, booking.AppointmentFilter{PatientID: p.ID, ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	minGap := map[int64]int{first.ID: 2, second.ID: 2, third.ID: 1} // days, by series
	var doses []*booking.Appointment
	for _, a := range appts {
		if a.Kind.IsDose() {
			doses = append(doses, a)
		}
	}
	if len(doses) != 6+12+6 {
		t.Fatalf("doses=%d, want 24", len(doses))
	}
	for i, a := range doses {
		for _, b := range doses[i+1:] {
			if a.SeriesID == b.SeriesID {
				continue
			}
			days := int(booking.DateOf(b.Start.In(l.loc)) - booking.DateOf(a.Start.In(l.loc)))
			if days < max(minGap[a.SeriesID], minGap[b.SeriesID]) {
				t.Errorf("doses %s (series %d) and %s (series %d) are %d days apart", a.Start.In(l.loc), a.SeriesID, b.Start.In(l.loc), b.SeriesID, days)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestLife_MakeUp: a no-show dosing cancels its integration; the make-up
// takes its place with the series therapist, before the next dosing, and
// books its integration again.
func TestLife_MakeUp(t *testing.T) {
	l, s := demoOne(t)
	d2 := l.appt(s, "Dosing 2/6")
	i2 := l.appt(s, "Integration 2/6")
	d3 := l.appt(s, "Dosing 3/6")
	l.now = d2.Start.Add(20 * time.Minute)
	if _, err := l.svc.SetStatus(l.ctx, d2.ID, booking.NoShow); err != nil {
		t.Fatal(err)
	}
	if got := l.stored(i2.ID); got.Status != booking.Cancelled || got.CancelledBy != booking.ByClinic {
		t.Fatalf("integration 2 after the no-show: %s by %q, want cancelled by the clinic", got.Status, got.CancelledBy)
	}
	// An ad-hoc dosing beside the series is not how a make-up is booked.
	_, err := l.svc.BookSeries(l.ctx, booking.BookRequest{PatientID: s.PatientID, ProtocolID: "kap-standard", Step: "dosing"})
	wantCode(t, err, booking.ECONFLICT, "already has an active series", "kapctl makeup")
	// The integration cannot be made up on its own before its dosing is.
	sg, err := l.svc.SuggestMakeup(l.ctx, d2.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.Alternatives)+len(sg.Later) == 0 {
		t.Fatal("no time offered for the make-up")
	}
	made, err := l.svc.MakeUp(l.ctx, booking.MakeupRequest{AppointmentID: d2.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 2 || made[0].MakeupOf != d2.ID || made[1].MakeupOf != i2.ID || made[0].Seq != d2.Seq {
		t.Fatalf("make-up %v, want dosing 2 and integration 2 in their places", made)
	}
	md, mi := made[0], made[1]
	if md.Label() != "Dosing 2/6 (make-up)" || !slices.ContainsFunc(md.Staff, func(a booking.Assignment) bool { return a.StaffID == s.TherapistID }) {
		t.Fatalf("make-up %s with %v, want the series therapist %d", md.Label(), md.Staff, s.TherapistID)
	}
	if !md.Start.After(l.now) || mi.Start.Before(md.End) || !mi.End.Before(d3.Start.Add(time.Second)) {
		t.Fatalf("make-up at %s, integration %s; want both after now and before dosing 3 at %s", md.Start, mi.Start, d3.Start)
	}
	if days := int(booking.DateOf(d3.Start.In(l.loc)) - booking.DateOf(md.Start.In(l.loc))); days < 2 {
		t.Fatalf("make-up %d days before dosing 3, want at least 2", days)
	}
	// Made up once only; and nothing held can be made up.
	_, err = l.svc.MakeUp(l.ctx, booking.MakeupRequest{AppointmentID: d2.ID})
	wantCode(t, err, booking.ECONFLICT, "was already made up")
	_, err = l.svc.MakeUp(l.ctx, booking.MakeupRequest{AppointmentID: d3.ID})
	wantCode(t, err, booking.ECONFLICT, "only a no-show or a cancelled appointment")
	if got := l.notes("makeup", md.ID); len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("for appointment %d (no-show", d2.ID)) {
		t.Fatalf("make-up audit %q", got)
	}
	msgs, err := l.db.Outbox(l.ctx, booking.OutboxFilter{SeriesID: s.ID, State: booking.OutboxPending})
	if err != nil {
		t.Fatal(err)
	}
	updates := 0
	for _, m := range msgs {
		if m.Kind == booking.MessageUpdate && m.Created.Equal(l.now) {
			updates++
		}
	}
	if updates != 1 {
		t.Fatalf("update messages queued for the make-up: %d, want 1 (about the series)", updates)
	}
}

// TestLife_REMS: esketamine is never booked before the enrolment date,
// withdrawing enrolment says which sessions are booked and can cancel
// them, and check-in needs enrolment.
func TestLife_REMS(t *testing.T) {
	l := newLife(t, "2027-02-22 09:00")
	p := l.patient("Ann Lee")
	enrolled := l.date("2027-03-15")
	if _, err := l.svc.SetConsent(l.ctx, p.ID, "rems-enrolled", &enrolled); err != nil {
		t.Fatal(err)
	}
	s := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction", From: l.date("2027-03-01")})
	for _, a := range s.Appts {
		if a.NeedsREMS && booking.DateOf(a.Start.In(l.loc)) < enrolled {
			t.Fatalf("%s on %s, before the enrolment on %s", a.Label(), a.Start.In(l.loc), enrolled)
		}
	}
	_, err := l.svc.SetConsent(l.ctx, p.ID, "rems-enrolled", nil)
	wantCode(t, err, booking.ECONFLICT, "Ann Lee has 12 sessions booked that this leaves without REMS enrolment")
	if got, _ := l.db.Patient(l.ctx, p.ID); got.Consents.REMSEnrolled == nil {
		t.Fatal("the refused withdrawal was stored")
	}
	// Kept booked, the first session cannot be checked in.
	if _, _, err := l.svc.ChangeConsent(l.ctx, booking.ConsentChange{PatientID: p.ID, Kind: "rems-enrolled", Doses: booking.DosesKeep}); err != nil {
		t.Fatal(err)
	}
	d1 := l.appt(s, "Dosing 1/8")
	l.now = d1.Start
	if _, err := l.svc.SetEscort(l.ctx, d1.ID, booking.Escort{Name: "Sam Lee", Phone: "617 555 0101"}); err != nil {
		t.Fatal(err)
	}
	_, err = l.svc.SetStatus(l.ctx, d1.ID, booking.Arrived)
	wantCode(t, err, booking.ECONFLICT, "Ann Lee is not REMS-enrolled")
	_, err = l.svc.SetStatus(l.ctx, d1.ID, booking.Completed)
	wantCode(t, err, booking.ECONFLICT, "not REMS-enrolled")
	// Enrolled again, then withdrawn with the booked sessions cancelled.
	if _, err := l.svc.SetConsent(l.ctx, p.ID, "rems-enrolled", &enrolled); err != nil {
		t.Fatal(err)
	}
	if _, err := l.svc.SetStatus(l.ctx, d1.ID, booking.Arrived); err != nil {
		t.Fatal(err)
	}
	_, cancelled, err := l.svc.ChangeConsent(l.ctx, booking.ConsentChange{PatientID: p.ID, Kind: "rems-enrolled", Doses: booking.DosesCancel})
	if err != nil {
		t.Fatal(err)
	}
	if len(cancelled) != 11 {
		t.Fatalf("cancelled %d sessions, want the 11 still booked", len(cancelled))
	}
	for _, a := range cancelled {
		if a.Status != booking.Cancelled || a.CancelledBy != booking.ByClinic {
			t.Fatalf("%s: %s by %q", a.Label(), a.Status, a.CancelledBy)
		}
	}
}

// TestLife_EsketamineTwiceAWeek: no calendar week holds more than two
// esketamine sessions during induction, nor more than one once the weekly
// sessions begin.
func TestLife_EsketamineTwiceAWeek(t *testing.T) {
	l := newLife(t, "2027-02-22 09:00")
	for i := range 12 {
		p := l.patient(fmt.Sprintf("Patient %d", i))
		if _, err := l.svc.SetConsent(l.ctx, p.ID, "rems-enrolled", ptr(l.date("2027-02-22"))); err != nil {
			t.Fatal(err)
		}
		s := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction", From: l.date("2027-03-01") + booking.Date(i)})
		weeks := map[booking.Date][]string{}
		for _, a := range s.Appts {
			if a.Kind == "dosing" {
				d := booking.DateOf(a.Start.In(l.loc))
				monday := d - booking.Date((int(d.Weekday())+6)%7)
				weeks[monday] = append(weeks[monday], a.Step)
			}
		}
		for monday, steps := range weeks {
			limit := 2
			if slices.Contains(steps, "maintenance") {
				limit = 1
			}
			if len(steps) > limit {
				t.Errorf("patient %d: %d sessions (%v) in the week of %s", i, len(steps), steps, monday)
			}
		}
	}
}

// TestLife_IntegrationFollowsItsDosing: cancelling a dosing cancels its
// integration with one notice, and the cancelled integration is offered
// no time before the cancelled dosing; moving a dosing moves its
// integration.
func TestLife_IntegrationFollowsItsDosing(t *testing.T) {
	l, s := demoOne(t)
	d3, i3 := l.appt(s, "Dosing 3/6"), l.appt(s, "Integration 3/6")
	cancelled, err := l.svc.Cancel(l.ctx, booking.CancelRequest{AppointmentID: d3.ID, By: booking.ByPatient, Reason: "ill"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cancelled) != 2 || cancelled[1].ID != i3.ID || cancelled[1].Status != booking.Cancelled {
		t.Fatalf("cancelled %v, want dosing 3 and its integration", cancelled)
	}
	msgs, err := l.db.Outbox(l.ctx, booking.OutboxFilter{SeriesID: s.ID, State: booking.OutboxPending})
	if err != nil {
		t.Fatal(err)
	}
	notices := slices.DeleteFunc(msgs, func(m *booking.OutboxMessage) bool { return m.Kind != booking.MessageCancellation })
	if len(notices) != 1 || notices[0].AppointmentID != 0 {
		t.Fatalf("cancellation notices %v, want one about the series listing both", notices)
	}
	_, err = l.svc.Suggest(l.ctx, i3.ID, 5)
	wantCode(t, err, booking.ECONFLICT, "cannot be moved")
	d4, i4 := l.appt(s, "Dosing 4/6"), l.appt(s, "Integration 4/6")
	sg, err := l.svc.Suggest(l.ctx, d4.ID, 5)
	if err != nil || len(sg.Alternatives) == 0 {
		t.Fatalf("suggest dosing 4: %v %v", sg, err)
	}
	moved, err := l.svc.Reschedule(l.ctx, d4.ID, sg.Alternatives[0].Start, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) != 2 || moved[1].ID != i4.ID || moved[1].Start.Before(moved[0].End) {
		t.Fatalf("moved %v, want dosing 4 and its integration after it", moved)
	}
}

// TestLife_ProtocolVersions: a changed protocol is a new version; the
// booked series keeps the rules it was booked under.
func TestLife_ProtocolVersions(t *testing.T) {
	l := newLife(t, "2027-02-22 09:00")
	p := l.patient("Ann Lee")
	s := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: l.date("2027-03-01")})
	if s.ProtocolVersion != 1 {
		t.Fatalf("booked under version %d, want 1", s.ProtocolVersion)
	}
	pr, err := l.db.Protocol(l.ctx, "kap-standard")
	if err != nil {
		t.Fatal(err)
	}
	same, err := l.svc.SaveProtocol(l.ctx, pr)
	if err != nil || same.Changed || same.Version != 1 {
		t.Fatalf("saving unchanged: %+v, %v; want version 1 unchanged", same, err)
	}
	pr.Step("dosing").RepeatGap = &booking.Gap{Min: 7, Max: 14, Unit: "days"}
	pr.WindowDays = 120
	saved, err := l.svc.SaveProtocol(l.ctx, pr)
	if err != nil {
		t.Fatal(err)
	}
	if !saved.Changed || saved.Version != 2 || saved.OlderActive != 1 {
		t.Fatalf("saved %+v, want version 2 with 1 active series on version 1", saved)
	}
	if w := booking.ProtocolSavedWords(pr, saved); !strings.Contains(w, "1 active series keeps the rules of the version it was booked under") {
		t.Fatalf("words %q", w)
	}
	// Version 1's 2-day gap still holds for this series: dosing 3 may be
	// two days after dosing 2 (version 2 says seven).
	d2, d3 := l.appt(s, "Dosing 2/6"), l.appt(s, "Dosing 3/6")
	if int(booking.DateOf(d3.Start.In(l.loc))-booking.DateOf(d2.Start.In(l.loc))) > 6 {
		t.Skip("the booked plan leaves no room to test the old gap")
	}
	sg, err := l.svc.Suggest(l.ctx, d3.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range append(sg.Alternatives, sg.Later...) {
		if days := int(booking.DateOf(a.Start.In(l.loc)) - booking.DateOf(d2.Start.In(l.loc))); days < 2 {
			t.Fatalf("offered dosing 3 %d days after dosing 2", days)
		}
	}
	if len(sg.Alternatives) == 0 {
		t.Fatal("no time offered under version 1's rules")
	}
	if _, err := l.svc.Reschedule(l.ctx, d3.ID, sg.Alternatives[0].Start, false); err != nil {
		t.Fatalf("a move under the series' own version: %v", err)
	}
	v1, err := l.db.ProtocolVersion(l.ctx, "kap-standard", 1)
	if err != nil || v1.Step("dosing").RepeatGap.Min != 2 {
		t.Fatalf("version 1: %+v, %v", v1, err)
	}
}

// TestLife_Attendance: minutes late are recorded; a clinic's cancellation
// is never the patient's late cancellation.
func TestLife_Attendance(t *testing.T) {
	l, s := demoOne(t)
	c := l.appt(s, "Consultation")
	l.now = c.Start.Add(20 * time.Minute)
	a, err := l.svc.SetStatus(l.ctx, c.ID, booking.Arrived)
	if err != nil || a.LateMinutes != 20 {
		t.Fatalf("arrived: %d minutes late, %v; want 20", a.LateMinutes, err)
	}
	if got := l.stored(c.ID); got.LateMinutes != 20 {
		t.Fatalf("stored %d minutes late", got.LateMinutes)
	}
	given := 5
	p1 := l.appt(s, "Preparation 1/2")
	l.now = p1.Start.Add(-10 * time.Minute)
	if a, err := l.svc.SetAttendance(l.ctx, p1.ID, booking.Attendance{Status: booking.Arrived, LateMinutes: &given}); err != nil || a.LateMinutes != 5 {
		t.Fatalf("arrived with 5 given: %d, %v", a.LateMinutes, err)
	}
	// The screening found the patient unsuitable the evening before the
	// next session: the clinic cancels, nothing is late.
	l.now = l.appt(s, "Preparation 2/2").Start.Add(-14 * time.Hour)
	list, err := l.svc.Cancel(l.ctx, booking.CancelRequest{SeriesID: s.ID, By: booking.ByClinic, Reason: "screening: not suitable"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Status != booking.Cancelled || a.CancelledBy != booking.ByClinic {
			t.Fatalf("%s: %s by %q, want cancelled by the clinic", a.Label(), a.Status, a.CancelledBy)
		}
	}
	_, err = l.svc.Cancel(l.ctx, booking.CancelRequest{SeriesID: s.ID, Reason: "x"})
	wantCode(t, err, booking.EINVALID, "who asked")
}

// TestLife_TherapistsShareNewSeries: with any therapist, 32 new series
// (one a day) spread over the therapists who can take them, by how booked
// each is for their working hours (Jordan Price works three days a week);
// a clinic that asks for the earliest start whoever has it gets the old,
// uneven share.
func TestLife_TherapistsShareNewSeries(t *testing.T) {
	share := func(choice string) (per map[int64]int, least, most int) {
		l := newLife(t, "2027-02-22 09:00")
		if choice != "" {
			c, err := l.db.Clinic(l.ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.TherapistChoice = choice
			if _, err := l.svc.SaveClinic(l.ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		per = map[int64]int{}
		for i := range 32 {
			p := l.patient(fmt.Sprintf("Patient %d", i))
			s := l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: l.date("2027-03-01") + booking.Date(i)})
			per[s.TherapistID]++
		}
		least, most = 32, 0
		for _, id := range []int64{1, 2, 3, 4} { // the demo's four therapists
			least, most = min(least, per[id]), max(most, per[id])
		}
		return per, least, most
	}
	balanced, bLeast, bMost := share("")
	earliest, eLeast, eMost := share(booking.TherapistEarliest)
	t.Logf("series per therapist: balanced %v, earliest %v", balanced, earliest)
	if bLeast < 5 || bMost > 14 || eLeast >= bLeast {
		t.Fatalf("balanced share %v (%d to %d) is no fairer than earliest-first %v (%d to %d)", balanced, bLeast, bMost, earliest, eLeast, eMost)
	}
}

// TestLife_ClosureAfterBooking: a closure saved over booked appointments
// lists them and records each as an override until it is moved.
func TestLife_ClosureAfterBooking(t *testing.T) {
	l, s := demoOne(t)
	d3 := l.appt(s, "Dosing 3/6")
	c, err := l.db.Clinic(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := booking.DateOf(d3.Start.In(l.loc))
	c.Closures = append(c.Closures, booking.Closure{From: day, To: day, Reason: "burst pipe"})
	left, err := l.svc.SaveClinic(l.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != d3.ID {
		t.Fatalf("left %v, want dosing 3", left)
	}
	want := fmt.Sprintf("(rule overridden: the clinic is closed on %s)", d3.Start.In(l.loc).Format("Mon 2 Jan 2006"))
	if n := l.notes("override", d3.ID); len(n) != 1 || !strings.Contains(n[0], want) {
		t.Fatalf("override notes %q, want %q", n, want)
	}
	// Moving it is an ordinary move: off the closed day.
	sg, err := l.svc.Suggest(l.ctx, d3.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range append(sg.Alternatives, sg.Later...) {
		if booking.DateOf(a.Start.In(l.loc)) == day {
			t.Fatalf("offered %s, on the closed day", a.Start)
		}
	}
}

// TestLife_BusyImportedAfterBooking: busy times from a therapist's own
// calendar over booked appointments are listed each time and recorded,
// once, as an override until the appointment moves.
func TestLife_BusyImportedAfterBooking(t *testing.T) {
	l, s := demoOne(t)
	d3 := l.appt(s, "Dosing 3/6")
	staff, err := l.db.StaffList(l.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ana := staff[0]
	busy := []booking.Interval{{Start: d3.Start.Add(time.Hour), End: d3.Start.Add(2 * time.Hour)}}
	for round := range 2 {
		var covered []*booking.Appointment
		err := l.db.Update(l.ctx, func(tx booking.Tx) error {
			old := ana.Busy
			ana.Busy = busy
			if err := tx.SaveStaff(l.ctx, ana); err != nil {
				return err
			}
			var err error
			covered, err = booking.RecordBusyClashes(l.ctx, tx, ana, old, busy, l.now, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(covered) != 1 || covered[0].ID != d3.ID {
			t.Fatalf("round %d: covered %v, want dosing 3", round, covered)
		}
	}
	if n := l.notes("override", d3.ID); len(n) != 1 || !strings.Contains(n[0], "Dr. Ana Reyes is busy then in their own calendar") {
		t.Fatalf("override notes %q, want one naming the own calendar", n)
	}
}

// TestMissingEscorts: a dose's day lists it until its escort is recorded;
// a day with visits that need none, and a cancelled dose, list nothing.
func TestMissingEscorts(t *testing.T) {
	l, s := demoOne(t)
	d1 := l.appt(s, "Dosing 1/6")
	day := booking.DateOf(d1.Start.In(l.loc))
	due, err := booking.MissingEscorts(l.ctx, l.db, day, l.loc)
	if err != nil {
		t.Fatal(err)
	}
	if due.Need != 1 || len(due.Missing) != 1 || due.Missing[0].ID != d1.ID {
		t.Fatalf("before the escort: need %d, missing %v; want dosing 1 (%d)", due.Need, due.Missing, d1.ID)
	}
	if _, err := l.svc.SetEscort(l.ctx, d1.ID, booking.Escort{Name: "Sam Lee", Phone: "617 555 0101"}); err != nil {
		t.Fatal(err)
	}
	if due, err = booking.MissingEscorts(l.ctx, l.db, day, l.loc); err != nil || due.Need != 1 || len(due.Missing) != 0 {
		t.Fatalf("after the escort: %+v, %v; want need 1, none missing", due, err)
	}
	consult := l.appt(s, "Consultation")
	if due, err = booking.MissingEscorts(l.ctx, l.db, booking.DateOf(consult.Start.In(l.loc)), l.loc); err != nil || due.Need != 0 || len(due.Missing) != 0 {
		t.Fatalf("the consultation's day: %+v, %v; want nothing needed", due, err)
	}
	d2 := l.appt(s, "Dosing 2/6")
	if _, err := l.svc.Cancel(l.ctx, booking.CancelRequest{AppointmentID: d2.ID, By: booking.ByClinic}); err != nil {
		t.Fatal(err)
	}
	if due, err = booking.MissingEscorts(l.ctx, l.db, booking.DateOf(d2.Start.In(l.loc)), l.loc); err != nil || due.Need != 0 {
		t.Fatalf("a cancelled dose's day: %+v, %v; want nothing needed", due, err)
	}
}

// TestEscortComesFromTheStep: which visits need an escort is the protocol
// step's field, not its kind: a clinic's dosing step without "escort"
// books visits that need none, and a step of its own kind with it books
// visits that do, and check-in waits for the escort.
func TestEscortComesFromTheStep(t *testing.T) {
	l := newLife(t, "2027-02-22 09:00")
	pr, err := l.db.Protocol(l.ctx, "kap-standard")
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Step("dosing").Escort || pr.Step("integration").Escort {
		t.Fatalf("shipped kap-standard: dosing escort %v, integration escort %v", pr.Step("dosing").Escort, pr.Step("integration").Escort)
	}
	pr.ID, pr.Name = "kap-clinic", "KAP, the clinic's own"
	pr.Step("dosing").Escort = false
	pr.Step("preparation").Kind = "lozenge-trial"
	pr.Step("preparation").Escort = true
	if _, err := l.svc.SaveProtocol(l.ctx, pr); err != nil {
		t.Fatal(err)
	}
	s := l.book(booking.BookRequest{PatientID: l.patient("Ann Lee").ID, ProtocolID: "kap-clinic", From: l.date("2027-03-01")})
	for _, a := range s.Appts {
		if want := a.Step == "preparation"; a.NeedsEscort() != want || l.stored(a.ID).NeedsEscort() != want {
			t.Errorf("%s: needs escort %v (stored %v), want %v", a.Label(), a.NeedsEscort(), l.stored(a.ID).NeedsEscort(), want)
		}
	}
	prep := l.appt(s, "Lozenge-trial 1/2")
	l.now = prep.Start.Add(-10 * time.Minute)
	_, err = l.svc.SetStatus(l.ctx, prep.ID, booking.Arrived)
	wantCode(t, err, booking.ECONFLICT, "escort")
	dose := l.appt(s, "Dosing 1/6")
	l.now = dose.Start.Add(-10 * time.Minute)
	if _, err := l.svc.SetStatus(l.ctx, dose.ID, booking.Arrived); err != nil {
		t.Fatalf("a dosing visit of a step without escort: %v", err)
	}
}

// TestLife_SuggestFillsFewDays: when the rules allow fewer days than
// asked for, Suggest fills the list with the next nearest times of those
// days, each one a time the move is then made to; with days to spare it
// offers one time a day, nearest the current time of day.
func TestLife_SuggestFillsFewDays(t *testing.T) {
	l, s := demoOne(t)
	in := l.appt(s, "Integration 1/6")
	few, err := l.svc.Suggest(l.ctx, in.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	many, err := l.svc.Suggest(l.ctx, in.ID, 60)
	if err != nil {
		t.Fatal(err)
	}
	perDay := map[booking.Date]int{}
	seen := map[int64]bool{}
	for i, a := range many.Alternatives {
		if seen[a.Start.Unix()] || i > 0 && !many.Alternatives[i-1].Start.Before(a.Start) {
			t.Fatalf("alternatives not distinct and in time order at %d: %v", i, a.Start)
		}
		seen[a.Start.Unix()] = true
		perDay[booking.DateOf(a.Start.In(l.loc))]++
	}
	if len(perDay) >= 60 || len(many.Alternatives) <= len(perDay) {
		t.Fatalf("%d alternatives on %d days; want more times than days when the rules allow fewer than 60 days", len(many.Alternatives), len(perDay))
	}
	for _, a := range few.Alternatives {
		if !seen[a.Start.Unix()] {
			t.Errorf("the short list's %v is not in the long one", a.Start)
		}
	}
	// The longest list's last time is one the move is made to.
	last := many.Alternatives[len(many.Alternatives)-1].Start
	if _, err := l.svc.Reschedule(l.ctx, in.ID, last, false); err != nil {
		t.Fatalf("moving to the offered %s: %v", last, err)
	}
}
