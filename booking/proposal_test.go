package booking_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
	"github.com/kapbook/kapbook/store"
)

// proposalFixture is the demo clinic in a real SQLite file at Mon 1 Mar
// 2027 09:00 New York, with one patient and nothing booked.
type proposalFixture struct {
	ctx context.Context
	db  *store.DB
	svc *booking.Service
	pat *booking.Patient
	loc *time.Location
	day booking.Date // Mon 1 Mar 2027
}

func newProposalFixture(t testing.TB) *proposalFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Create(filepath.Join(t.TempDir(), "clinic.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, loc)
	if err := resources.InitDemo(ctx, db, "test", now); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{Store: db, Now: func() time.Time { return now }, Actor: "Front desk"}
	pat := &booking.Patient{Name: "Avery Quinn", Email: "avery.quinn@example.org"}
	if err := svc.AddPatient(ctx, pat); err != nil {
		t.Fatal(err)
	}
	return &proposalFixture{ctx: ctx, db: db, svc: svc, pat: pat, loc: loc, day: booking.DateOf(now)}
}

func (f *proposalFixture) staff(t testing.TB, name string) *booking.Staff {
	t.Helper()
	all, err := f.db.StaffList(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no staff member %s", name)
	return nil
}

func (f *proposalFixture) update(t *testing.T, fn func(tx booking.Tx) error) {
	t.Helper()
	if err := f.db.Update(f.ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func (f *proposalFixture) propose(t testing.TB, req booking.ProposalRequest) *booking.Proposal {
	t.Helper()
	if req.PatientID == 0 {
		req.PatientID = f.pat.ID
	}
	if req.ProtocolID == "" {
		req.ProtocolID = "kap-standard"
	}
	p, err := f.svc.Propose(f.ctx, req)
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	return p
}

// checkKAPGaps fails unless appts is a whole kap-standard series in
// order that keeps docs/protocols.md's gaps, its window and one therapist.
func checkKAPGaps(t *testing.T, appts []*booking.Appointment, from booking.Date, loc *time.Location) {
	t.Helper()
	if len(appts) != 15 {
		t.Fatalf("appointments=%d, want 15", len(appts))
	}
	day := func(a *booking.Appointment) booking.Date { return booking.DateOf(a.Start.In(loc)) }
	days := func(a, b *booking.Appointment, min, max int, what string) {
		if g := int(day(b) - day(a)); g < min || g > max {
			t.Errorf("%s: %d days between %s and %s, want %d–%d", what, g, a.Label(), b.Label(), min, max)
		}
	}
	want := []string{"Consultation", "Preparation 1/2", "Preparation 2/2"}
	for i := 1; i <= 6; i++ {
		want = append(want, "Dosing "+string(rune('0'+i))+"/6", "Integration "+string(rune('0'+i))+"/6")
	}
	therapist := int64(0)
	for i, a := range appts {
		if a.Label() != want[i] || a.Seq != i {
			t.Fatalf("appointment %d is %s (seq %d), want %s", i, a.Label(), a.Seq, want[i])
		}
		if i > 0 && a.Start.Before(appts[i-1].End) {
			t.Errorf("%s starts before %s ends", a.Label(), appts[i-1].Label())
		}
		if d := day(a); d < from || d >= from+84 {
			t.Errorf("%s on %s, outside the 84-day window from %s", a.Label(), d, from)
		}
		for _, s := range a.Staff {
			if s.Role == booking.RoleTherapist {
				if therapist == 0 {
					therapist = s.StaffID
				} else if s.StaffID != therapist {
					t.Errorf("%s with therapist %d, want the series therapist %d", a.Label(), s.StaffID, therapist)
				}
			}
		}
		if a.Kind == "dosing" && (a.End.In(loc).Hour()*60+a.End.In(loc).Minute() > 18*60) {
			t.Errorf("%s ends at %s, after 18:00", a.Label(), a.End.In(loc).Format("15:04"))
		}
	}
	days(appts[0], appts[1], 1, 21, "preparation after consultation")
	days(appts[1], appts[2], 1, 14, "second preparation")
	days(appts[2], appts[3], 1, 14, "first dosing after preparation")
	for i := 0; i < 6; i++ {
		dosing, integ := appts[3+2*i], appts[4+2*i]
		if g := integ.Start.Sub(dosing.End); g < 0 || g > 72*time.Hour {
			t.Errorf("%s starts %v after %s ends, want 0–72 h", integ.Label(), g, dosing.Label())
		}
		if i < 5 {
			next := appts[5+2*i]
			days(dosing, next, 2, 14, "next dosing")
			if next.Start.Before(integ.End) {
				t.Errorf("%s starts before %s ends", next.Label(), integ.Label())
			}
		}
	}
}

func TestPropose(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1})
		checkKAPGaps(t, p.Appts, f.day+1, f.loc)
		if p.TherapistID == 0 || p.Place(0) != p.Appts[0] {
			t.Fatalf("therapist=%d place0=%v", p.TherapistID, p.Place(0))
		}
		// Nothing is stored by a proposal.
		got, err := f.db.Appointments(f.ctx, booking.AppointmentFilter{PatientID: f.pat.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("stored appointments=%d after a proposal, want 0", len(got))
		}
	})
	t.Run("OKAfternoonPreferred", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1, TimesOfDay: []string{"afternoon"}})
		if h := p.Appts[0].Start.In(f.loc).Hour(); h < 12 {
			t.Fatalf("consultation at %s, want an afternoon slot", p.Appts[0].Start.In(f.loc).Format("Mon 15:04"))
		}
		if got := p.Patient.Preferences.TimesOfDay; len(got) != 1 || got[0] != "afternoon" {
			t.Fatalf("preferences=%v, want afternoon", got)
		}
	})
	t.Run("OKNamedTherapist", func(t *testing.T) {
		f := newProposalFixture(t)
		mei := f.staff(t, "Dr. Mei Lin")
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1, TherapistID: mei.ID})
		if p.TherapistID != mei.ID {
			t.Fatalf("therapist=%d, want %d", p.TherapistID, mei.ID)
		}
		checkKAPGaps(t, p.Appts, f.day+1, f.loc)
	})
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest)
		code string
		msg  string
	}{
		{"ErrNoPatient", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) { req.PatientID = 0 },
			booking.EINVALID, "Choose a patient"},
		{"ErrNoProtocol", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) { req.ProtocolID = "" },
			booking.EINVALID, "Choose a protocol"},
		{"ErrUnknownProtocol", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) { req.ProtocolID = "nope" },
			booking.ENOTFOUND, ""},
		{"ErrPastStart", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) { req.From = f.day - 3 },
			booking.EINVALID, "is in the past"},
		{"ErrBadWeekday", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) {
			req.Weekdays = []string{"funday"}
		},
			booking.EINVALID, "funday"},
		{"ErrTherapistWithoutHours", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) {
			s := f.staff(t, "Dr. Ana Reyes")
			s.Hours = booking.WeeklyHours{}
			f.update(t, func(tx booking.Tx) error { return tx.SaveStaff(f.ctx, s) })
			req.TherapistID = s.ID
		}, booking.ENOPLAN, "Dr. Ana Reyes"},
		{"ErrClosedAllWindow", func(t *testing.T, f *proposalFixture, req *booking.ProposalRequest) {
			c, err := f.db.Clinic(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Closures = append(c.Closures, booking.Closure{From: f.day, To: f.day + 200, Reason: "Renovation"})
			f.update(t, func(tx booking.Tx) error { return tx.SaveClinic(f.ctx, c) })
		}, booking.ENOPLAN, "closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newProposalFixture(t)
			req := booking.ProposalRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", From: f.day + 1}
			tc.edit(t, f, &req)
			_, err := f.svc.Propose(f.ctx, req)
			if got := booking.ErrorCode(err); got != tc.code {
				t.Fatalf("code=%q (%v), want %q", got, err, tc.code)
			}
			if !strings.Contains(booking.ErrorMessage(err), tc.msg) {
				t.Fatalf("message=%q, want it to mention %q", booking.ErrorMessage(err), tc.msg)
			}
		})
	}
}

func TestProposalAlternatives(t *testing.T) {
	for _, tc := range []struct {
		name     string
		weekdays []string
	}{
		{"OK", nil},
		// On Tuesdays and Thursdays Dosing 3/6 sits between two
		// integrations on one day: moving it must move later ones too.
		{"OKTuesdaysThursdays", []string{"tue", "thu"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newProposalFixture(t)
			p := f.propose(t, booking.ProposalRequest{From: f.day + 1, Weekdays: tc.weekdays})
			const k = 7 // Dosing 3/6
			cur := p.Place(k)
			alts, err := f.svc.ProposalAlternatives(f.ctx, p, k, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(alts) == 0 || len(alts) > 10 {
				t.Fatalf("alternatives=%d for Dosing 3/6, want 1–10", len(alts))
			}
			for i, a := range alts {
				if a.Seq != k || a.Label() != "Dosing 3/6" {
					t.Fatalf("alternative %d is %s seq %d, want Dosing 3/6", i, a.Label(), a.Seq)
				}
				if a.Start.Equal(cur.Start) {
					t.Fatalf("alternative %d is the current time", i)
				}
				if i > 0 && !alts[i-1].Start.Before(a.Start) {
					t.Fatalf("alternatives out of time order at %d", i)
				}
				q, err := f.svc.ChangeProposal(f.ctx, p, k, a.Appointment)
				if err != nil {
					t.Fatalf("alternative %d (%s): %v", i, a.Start, err)
				}
				if !q.Place(k).Start.Equal(a.Start) {
					t.Fatalf("changed Dosing 3/6 at %s, want %s", q.Place(k).Start, a.Start)
				}
				moved := len(p.Moved(q)) - 1
				if a.KeepsRest != (moved == 0) {
					t.Fatalf("alternative %d keeps the rest=%v, but %d later appointments moved", i, a.KeepsRest, moved)
				}
				checkKAPGaps(t, q.Appts, p.From, f.loc)
			}
		})
	}
	t.Run("ErrNoSuchPlace", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1})
		_, err := f.svc.ProposalAlternatives(f.ctx, p, 40, 5)
		if booking.ErrorCode(err) != booking.EINVALID {
			t.Fatalf("code=%q, want %q", booking.ErrorCode(err), booking.EINVALID)
		}
	})
}

func TestChangeProposal(t *testing.T) {
	t.Run("OKKeepsTheRest", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1})
		const k = 7
		alts, err := f.svc.ProposalAlternatives(f.ctx, p, k, 10)
		if err != nil || len(alts) == 0 {
			t.Fatalf("alternatives=%d err=%v", len(alts), err)
		}
		var chosen booking.Alternative
		for _, a := range alts {
			if a.KeepsRest {
				chosen = a
			}
		}
		if chosen.Appointment == nil {
			t.Fatal("no alternative keeps the rest")
		}
		q, err := f.svc.ChangeProposal(f.ctx, p, k, chosen.Appointment)
		if err != nil {
			t.Fatal(err)
		}
		if !q.Place(k).Start.Equal(chosen.Start) {
			t.Fatalf("Dosing 3/6 at %s, want %s", q.Place(k).Start, chosen.Start)
		}
		for _, a := range p.Appts {
			if a.Seq != k && !q.Place(a.Seq).Start.Equal(a.Start) {
				t.Errorf("%s moved from %s to %s", a.Label(), a.Start, q.Place(a.Seq).Start)
			}
		}
		if moved := p.Moved(q); len(moved) != 1 || moved[0].Seq != k {
			t.Fatalf("moved=%d, want only Dosing 3/6", len(moved))
		}
		if p.Place(k).Start.Equal(chosen.Start) {
			t.Fatal("the original proposal was changed")
		}
		checkKAPGaps(t, q.Appts, p.From, f.loc)
	})
	t.Run("OKReplansLaterThatNoLongerFit", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1})
		const k, blocked = 5, 11 // Dosing 2/6; Dosing 5/6 becomes impossible
		alts, err := f.svc.ProposalAlternatives(f.ctx, p, k, 10)
		if err != nil || len(alts) == 0 {
			t.Fatalf("alternatives=%d err=%v", len(alts), err)
		}
		// Meanwhile the series therapist blocks the day of Dosing 5/6.
		b := p.Place(blocked)
		th := f.staff(t, p.Place(0).Staff[1].Name)
		if th.ID != p.TherapistID {
			t.Fatalf("series therapist %d, fixture expects %d", p.TherapistID, th.ID)
		}
		d := booking.DateOf(b.Start.In(f.loc))
		th.Busy = append(th.Busy, booking.Interval{Start: d.At(0, f.loc), End: (d + 1).At(0, f.loc)})
		f.update(t, func(tx booking.Tx) error { return tx.SaveStaff(f.ctx, th) })

		q, err := f.svc.ChangeProposal(f.ctx, p, k, alts[0].Appointment)
		if err != nil {
			t.Fatal(err)
		}
		if !q.Place(k).Start.Equal(alts[0].Start) {
			t.Fatalf("Dosing 2/6 at %s, want %s", q.Place(k).Start, alts[0].Start)
		}
		for seq := 0; seq < blocked; seq++ {
			if seq != k && !q.Place(seq).Start.Equal(p.Place(seq).Start) {
				t.Errorf("%s moved although it still fits", p.Place(seq).Label())
			}
		}
		if got := booking.DateOf(q.Place(blocked).Start.In(f.loc)); got == d {
			t.Fatalf("Dosing 5/6 still on %s, the therapist's blocked day", d)
		}
		checkKAPGaps(t, q.Appts, p.From, f.loc)
	})
	t.Run("ErrChosenTimeTaken", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1})
		const k = 7
		alts, err := f.svc.ProposalAlternatives(f.ctx, p, k, 10)
		if err != nil || len(alts) == 0 {
			t.Fatalf("alternatives=%d err=%v", len(alts), err)
		}
		th := f.staff(t, p.Place(0).Staff[1].Name)
		th.Busy = append(th.Busy, booking.Interval{Start: alts[0].Start, End: alts[0].End})
		f.update(t, func(tx booking.Tx) error { return tx.SaveStaff(f.ctx, th) })
		_, err = f.svc.ChangeProposal(f.ctx, p, k, alts[0].Appointment)
		if booking.ErrorCode(err) != booking.ENOPLAN {
			t.Fatalf("code=%q (%v), want %q", booking.ErrorCode(err), err, booking.ENOPLAN)
		}
	})
}

func TestBookProposal(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newProposalFixture(t)
		p := f.propose(t, booking.ProposalRequest{From: f.day + 1, Weekdays: []string{"tue", "thu"}, TimesOfDay: []string{"morning"}})
		sr, err := f.svc.BookProposal(f.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := f.db.Series(f.ctx, sr.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkKAPGaps(t, stored.Appts, p.From, f.loc)
		for i, a := range stored.Appts {
			if !a.Start.Equal(p.Appts[i].Start) || a.RoomID != p.Appts[i].RoomID || a.ID == 0 || a.Status != booking.Booked {
				t.Errorf("stored %s at %s room %d status %s, proposed %s room %d", a.Label(), a.Start, a.RoomID, a.Status, p.Appts[i].Start, p.Appts[i].RoomID)
			}
		}
		if stored.TherapistID != p.TherapistID || stored.PatientID != f.pat.ID {
			t.Fatalf("series therapist=%d patient=%d", stored.TherapistID, stored.PatientID)
		}
		msgs, err := f.db.Outbox(f.ctx, booking.OutboxFilter{SeriesID: sr.ID})
		if err != nil {
			t.Fatal(err)
		}
		confirmations := 0
		for _, m := range msgs {
			if m.Kind == booking.MessageConfirmation && m.State == booking.OutboxPending {
				confirmations++
			}
		}
		if confirmations != 1 || len(msgs) < 2 {
			t.Fatalf("confirmations=%d of %d messages, want 1 and reminders", confirmations, len(msgs))
		}
		pat, err := f.db.Patient(f.ctx, f.pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(pat.Preferences.Weekdays, ",") + "/" + strings.Join(pat.Preferences.TimesOfDay, ","); got != "tue,thu/morning" {
			t.Fatalf("stored preferences=%s, want tue,thu/morning", got)
		}
		audit, err := f.db.Audit(f.ctx, booking.AuditFilter{PatientID: f.pat.ID})
		if err != nil {
			t.Fatal(err)
		}
		actions := []string{}
		for _, e := range audit {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, ","); got != "book,preferences,patient-add" {
			t.Fatalf("audit=%s, want book,preferences,patient-add", got)
		}
	})
	for _, tc := range []struct {
		name      string
		meanwhile func(t *testing.T, f *proposalFixture, p *booking.Proposal)
		msg       string
	}{
		{"ErrBookedMeanwhile", func(t *testing.T, f *proposalFixture, p *booking.Proposal) {
			other := &booking.Patient{Name: "Blake Morgan", Email: "blake@example.org"}
			if err := f.svc.AddPatient(f.ctx, other); err != nil {
				t.Fatal(err)
			}
			// The same therapist, from the same day: the same first slot.
			if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: other.ID, ProtocolID: "kap-standard", From: p.From, TherapistID: p.TherapistID}); err != nil {
				t.Fatal(err)
			}
		}, "was booked or became unavailable"},
		{"ErrClosedMeanwhile", func(t *testing.T, f *proposalFixture, p *booking.Proposal) {
			c, err := f.db.Clinic(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			d := booking.DateOf(p.Appts[4].Start.In(f.loc))
			c.Closures = append(c.Closures, booking.Closure{From: d, To: d, Reason: "Flood"})
			f.update(t, func(tx booking.Tx) error { return tx.SaveClinic(f.ctx, c) })
		}, "no longer fits"},
		{"ErrProtocolChanged", func(t *testing.T, f *proposalFixture, p *booking.Proposal) {
			pr := *p.Protocol
			pr.Description = "Changed."
			if _, err := f.svc.SaveProtocol(f.ctx, &pr); err != nil {
				t.Fatal(err)
			}
		}, "was changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newProposalFixture(t)
			p := f.propose(t, booking.ProposalRequest{From: f.day + 1, Weekdays: []string{"mon"}})
			tc.meanwhile(t, f, p)
			_, err := f.svc.BookProposal(f.ctx, p)
			if booking.ErrorCode(err) != booking.ECONFLICT || !strings.Contains(booking.ErrorMessage(err), tc.msg) {
				t.Fatalf("err=%v (%s), want a conflict saying %q", err, booking.ErrorCode(err), tc.msg)
			}
			if !strings.Contains(booking.ErrorMessage(err), "nothing was booked") {
				t.Fatalf("message %q does not say nothing was booked", booking.ErrorMessage(err))
			}
			// Nothing half-stored: no appointments, messages or new preferences.
			got, err := f.db.Appointments(f.ctx, booking.AppointmentFilter{PatientID: f.pat.ID})
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := f.db.Outbox(f.ctx, booking.OutboxFilter{PatientID: f.pat.ID})
			if err != nil {
				t.Fatal(err)
			}
			pat, err := f.db.Patient(f.ctx, f.pat.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 || len(msgs) != 0 || len(pat.Preferences.Weekdays) != 0 {
				t.Fatalf("after a refused booking: appointments=%d messages=%d weekdays=%v, want none", len(got), len(msgs), pat.Preferences.Weekdays)
			}
		})
	}
	t.Run("ErrEmpty", func(t *testing.T) {
		f := newProposalFixture(t)
		if _, err := f.svc.BookProposal(f.ctx, nil); booking.ErrorCode(err) != booking.EINVALID {
			t.Fatalf("code=%q, want %q", booking.ErrorCode(err), booking.EINVALID)
		}
	})
}

func TestRelax(t *testing.T) {
	t.Run("AnyTherapist", func(t *testing.T) {
		f := newProposalFixture(t)
		s := f.staff(t, "Dr. Ana Reyes")
		s.Hours = booking.WeeklyHours{}
		f.update(t, func(tx booking.Tx) error { return tx.SaveStaff(f.ctx, s) })
		rs, err := f.svc.Relax(f.ctx, booking.ProposalRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", From: f.day + 1, TherapistID: s.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Label != "Any therapist" || rs[0].Request.TherapistID != 0 {
			t.Fatalf("relaxations=%+v, want only Any therapist", rs)
		}
	})
	t.Run("LaterStart", func(t *testing.T) {
		f := newProposalFixture(t)
		c, err := f.db.Clinic(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Closed for the next 80 days: the 84-day series cannot fit from tomorrow.
		c.Closures = append(c.Closures, booking.Closure{From: f.day, To: f.day + 80, Reason: "Renovation"})
		f.update(t, func(tx booking.Tx) error { return tx.SaveClinic(f.ctx, c) })
		rs, err := f.svc.Relax(f.ctx, booking.ProposalRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", From: f.day + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || !strings.HasPrefix(rs[0].Label, "Start on ") || rs[0].Request.From <= f.day+1 {
			t.Fatalf("relaxations=%+v, want one later start", rs)
		}
		if _, err := f.svc.Propose(f.ctx, rs[0].Request); err != nil {
			t.Fatalf("the relaxed request has no plan: %v", err)
		}
	})
}

// The booking screen runs these off the UI goroutine; the figures say how
// long the front desk waits for each step on the demo clinic.
func BenchmarkProposal(b *testing.B) {
	f := newProposalFixture(b)
	// A busy week: five patients already booked from tomorrow.
	for i := 0; i < 5; i++ {
		p := &booking.Patient{Name: "Patient " + string(rune('A'+i)), Email: "p" + string(rune('a'+i)) + "@example.org"}
		if err := f.svc.AddPatient(f.ctx, p); err != nil {
			b.Fatal(err)
		}
		if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: "kap-standard", From: f.day + 1}); err != nil {
			b.Fatal(err)
		}
	}
	req := booking.ProposalRequest{PatientID: f.pat.ID, ProtocolID: "kap-standard", From: f.day + 1, Weekdays: []string{"tue", "thu"}}
	p := f.propose(b, req)
	ms := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
	}
	b.Run("Propose", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := f.svc.Propose(f.ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		ms(b, start)
	})
	// What the Book screen adds to a proposal: which appointments miss the
	// patient's preferences (Tue/Thu here), and why.
	b.Run("PreferenceMisses", func(b *testing.B) {
		n := 0
		start := time.Now()
		for i := 0; i < b.N; i++ {
			q, err := f.svc.Propose(f.ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			misses, err := f.svc.PreferenceMisses(f.ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			n += len(misses)
		}
		ms(b, start)
		b.ReportMetric(float64(n)/float64(b.N), "misses/op")
	})
	b.Run("Alternatives", func(b *testing.B) {
		n := 0
		start := time.Now()
		for i := 0; i < b.N; i++ {
			alts, err := f.svc.ProposalAlternatives(f.ctx, p, 7, 9)
			if err != nil {
				b.Fatal(err)
			}
			n += len(alts)
		}
		ms(b, start)
		b.ReportMetric(float64(n)/float64(b.N), "alternatives/op")
	})
	alts, err := f.svc.ProposalAlternatives(f.ctx, p, 7, 9)
	if err != nil || len(alts) == 0 {
		b.Fatalf("alternatives=%d err=%v", len(alts), err)
	}
	b.Run("Change", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := f.svc.ChangeProposal(f.ctx, p, 7, alts[len(alts)-1].Appointment); err != nil {
				b.Fatal(err)
			}
		}
		ms(b, start)
	})
	b.Run("RelaxNoPlan", func(b *testing.B) {
		bad := req
		bad.From = f.day + 1
		s := f.staff(b, "Dr. Ana Reyes")
		s.Hours = booking.WeeklyHours{}
		if err := f.db.Update(f.ctx, func(tx booking.Tx) error { return tx.SaveStaff(f.ctx, s) }); err != nil {
			b.Fatal(err)
		}
		bad.TherapistID = s.ID
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if _, err := f.svc.Relax(f.ctx, bad); err != nil {
				b.Fatal(err)
			}
		}
		ms(b, start)
	})
}

// CheckProposal says, without booking, when another desk took a person,
// room or the patient of the proposal; before that it finds nothing, and
// it never books.
func TestCheckProposal(t *testing.T) {
	f := newProposalFixture(t)
	p := f.propose(t, booking.ProposalRequest{From: f.day + 1, Weekdays: []string{"mon"}})
	if err := f.svc.CheckProposal(f.ctx, p); err != nil {
		t.Fatalf("a fresh proposal: %v", err)
	}
	other := &booking.Patient{Name: "Blake Morgan", Email: "blake@example.org"}
	if err := f.svc.AddPatient(f.ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.BookSeries(f.ctx, booking.BookRequest{PatientID: other.ID, ProtocolID: "kap-standard", From: p.From, TherapistID: p.TherapistID}); err != nil {
		t.Fatal(err)
	}
	err := f.svc.CheckProposal(f.ctx, p)
	if booking.ErrorCode(err) != booking.ECONFLICT || !strings.Contains(booking.ErrorMessage(err), "can no longer be booked") {
		t.Fatalf("after another booking took its first slot: %v", err)
	}
	if got, _ := f.db.Appointments(f.ctx, booking.AppointmentFilter{PatientID: f.pat.ID}); len(got) != 0 {
		t.Fatalf("checking booked %d appointments", len(got))
	}
	if err := f.svc.CheckProposal(f.ctx, nil); err != nil {
		t.Fatalf("no proposal: %v", err)
	}
}
