package booking_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// actionCase is one outcome of a booking.Service action on a fresh
// fixture: prep brings the store to the case's starting point, run calls
// the action, code and words say how it is refused ("" for success), and
// check asserts the stored state afterwards. A refused action must leave
// the store exactly as prep left it.
type actionCase struct {
	name  string
	prep  func(l *life)
	run   func(l *life) error
	code  string
	words string
	check func(t *testing.T, l *life)
}

// runActions runs each case as a subtest on its own fixture.
func runActions(t *testing.T, fixture func(t *testing.T) *life, cases []actionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := fixture(t)
			if tc.prep != nil {
				tc.prep(l)
			}
			before := l.snapshot()
			err := tc.run(l)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("err=%v, want success", err)
				}
			} else {
				wantCode(t, err, tc.code, tc.words)
				if changed := changedParts(before, l.snapshot()); changed != nil {
					t.Fatalf("a refused action changed the store's %v", changed)
				}
			}
			if tc.check != nil {
				tc.check(t, l)
			}
		})
	}
}

// snapshot renders everything the store holds that an action can change:
// clinic, staff, rooms, protocols, patients, appointments, outbox and
// audit trail.
func (l *life) snapshot() string {
	l.t.Helper()
	var b strings.Builder
	add := func(what string, v any, err error) {
		if err != nil {
			l.t.Fatalf("%s: %v", what, err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			l.t.Fatal(err)
		}
		b.WriteString(what + "=" + string(j) + "\n")
	}
	c, err := l.db.Clinic(l.ctx)
	add("clinic", c, err)
	st, err := l.db.StaffList(l.ctx)
	add("staff", st, err)
	rs, err := l.db.Rooms(l.ctx)
	add("rooms", rs, err)
	ps, err := l.db.Protocols(l.ctx)
	add("protocols", ps, err)
	pats, err := l.db.FindPatients(l.ctx, "")
	add("patients", pats, err)
	as, err := l.db.Appointments(l.ctx, booking.AppointmentFilter{})
	add("appointments", as, err)
	ms, err := l.db.Outbox(l.ctx, booking.OutboxFilter{})
	add("outbox", ms, err)
	au, err := l.db.Audit(l.ctx, booking.AuditFilter{})
	add("audit", au, err)
	return b.String()
}

// changedParts names the parts of the store (clinic, staff, …) that
// differ between two snapshots, nil if none.
func changedParts(before, after string) []string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out []string
	for i := range b {
		if i >= len(a) || a[i] != b[i] {
			what, _, _ := strings.Cut(b[i], "=")
			out = append(out, what)
		}
	}
	return out
}

// lastAudit returns the newest audit entry, failing if there is none.
func (l *life) lastAudit() *booking.AuditEntry {
	l.t.Helper()
	au, err := l.db.Audit(l.ctx, booking.AuditFilter{Limit: 1})
	if err != nil || len(au) != 1 {
		l.t.Fatalf("audit: %d entries, %v", len(au), err)
	}
	return au[0]
}

// wantAudit fails unless the newest audit entry has the action and its
// note contains note.
func wantAudit(t *testing.T, l *life, action, note string) *booking.AuditEntry {
	t.Helper()
	e := l.lastAudit()
	if e.Action != action || !strings.Contains(e.Note, note) || e.Actor != "Front desk" {
		t.Fatalf("last audit %s %q by %q, want %s saying %q by Front desk", e.Action, e.Note, e.Actor, action, note)
	}
	return e
}

// clinic returns the clinic as stored.
func (l *life) clinic() *booking.Clinic {
	l.t.Helper()
	c, err := l.db.Clinic(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	return c
}

// storedPatient returns patient id as stored.
func (l *life) storedPatient(id int64) *booking.Patient {
	l.t.Helper()
	p, err := l.db.Patient(l.ctx, id)
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

// staffNamed returns the stored staff member with the name.
func (l *life) staffNamed(name string) *booking.Staff {
	l.t.Helper()
	list, err := l.db.StaffList(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	for _, s := range list {
		if s.Name == name {
			return s
		}
	}
	l.t.Fatalf("no staff member %s", name)
	return nil
}

// roomNamed returns the stored room with the name, or nil.
func (l *life) roomNamed(name string) *booking.Room {
	l.t.Helper()
	rs, err := l.db.Rooms(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// demoTuesday is TestService_Actions' fixture: Avery Quinn's kap-standard
// series from Mon 7 Dec 2026 (patient 1, series 1), the clock at Tue 8
// Dec 12:00.
func demoTuesday(t *testing.T) *life {
	l, _ := demoOne(t)
	l.now = l.at("2026-12-08 12:00")
	return l
}

// remsLife is Ann Lee (patient 1), REMS-enrolled from 22 Feb 2027, with
// esketamine induction booked from Mon 1 Mar 2027 (series 1); the clock
// at Mon 22 Feb 09:00.
func remsLife(t *testing.T) *life {
	l := newLife(t, "2027-02-22 09:00")
	p := l.patient("Ann Lee")
	if _, err := l.svc.SetConsent(l.ctx, p.ID, "rems-enrolled", ptr(l.date("2027-02-22"))); err != nil {
		t.Fatal(err)
	}
	l.book(booking.BookRequest{PatientID: p.ID, ProtocolID: "esketamine-induction", From: l.date("2027-03-01")})
	return l
}

// one returns the appointment of series 1 with the label.
func (l *life) one(label string) *booking.Appointment { return l.appt(l.seriesOne(), label) }

func TestService_SetAttendance(t *testing.T) {
	five, negative := 5, -1
	runActions(t, demoTuesday, []actionCase{
		{name: "OKNoShowCancelsItsIntegration", prep: func(l *life) {
			d1 := l.one("Dosing 1/6")
			l.now = d1.Start.Add(30 * time.Minute)
		}, run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Dosing 1/6").ID, booking.Attendance{Status: booking.NoShow})
			return err
		}, check: func(t *testing.T, l *life) {
			if got := l.one("Dosing 1/6").Status; got != booking.NoShow {
				t.Fatalf("dosing 1/6 %s, want no-show", got)
			}
			if i := l.one("Integration 1/6"); i.Status != booking.Cancelled || i.CancelledBy != booking.ByClinic {
				t.Fatalf("integration 1/6 %s by %q, want cancelled by the clinic", i.Status, i.CancelledBy)
			}
			if notes := l.notes("status", l.one("Dosing 1/6").ID); len(notes) != 1 || notes[0] != "no-show" {
				t.Fatalf("status notes %q, want [no-show]", notes)
			}
		}},
		{name: "OKArrivedWithMinutesGiven", prep: func(l *life) {
			l.now = l.one("Preparation 1/2").Start.Add(-10 * time.Minute)
		}, run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Preparation 1/2").ID, booking.Attendance{Status: booking.Arrived, LateMinutes: &five})
			return err
		}, check: func(t *testing.T, l *life) {
			a := l.one("Preparation 1/2")
			if a.Status != booking.Arrived || a.LateMinutes != 5 || a.Sequence == 0 {
				t.Fatalf("stored %s %d minutes late sequence %d, want arrived 5 minutes late, sequence raised", a.Status, a.LateMinutes, a.Sequence)
			}
			wantAudit(t, l, "status", "arrived 5 minutes late")
		}},
		{name: "OKCompletedPast", run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Consultation").ID, booking.Attendance{Status: booking.Completed})
			return err
		}, check: func(t *testing.T, l *life) {
			if got := l.one("Consultation").Status; got != booking.Completed {
				t.Fatalf("consultation %s, want completed", got)
			}
			wantAudit(t, l, "status", "completed")
		}},
		{name: "ErrUnknown", run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, 999, booking.Attendance{Status: booking.Completed})
			return err
		}, code: booking.ENOTFOUND},
		{name: "ErrBadStatus", run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Consultation").ID, booking.Attendance{Status: booking.Booked})
			return err
		}, code: booking.EINVALID, words: "not a status you can set"},
		{name: "ErrNegativeMinutesLate", run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Consultation").ID, booking.Attendance{Status: booking.Arrived, LateMinutes: &negative})
			return err
		}, code: booking.EINVALID, words: "between 0 and 1440"},
		{name: "ErrAlreadyMarked", prep: func(l *life) {
			if _, err := l.svc.SetStatus(l.ctx, l.one("Consultation").ID, booking.Completed); err != nil {
				l.t.Fatal(err)
			}
		}, run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Consultation").ID, booking.Attendance{Status: booking.Completed})
			return err
		}, code: booking.ECONFLICT, words: "already marked completed"},
		{name: "ErrNotToday", run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Integration 6/6").ID, booking.Attendance{Status: booking.Arrived})
			return err
		}, code: booking.ECONFLICT, words: "is not today"},
		{name: "ErrCancelled", prep: func(l *life) {
			if _, err := l.svc.Cancel(l.ctx, booking.CancelRequest{AppointmentID: l.one("Consultation").ID, By: booking.ByClinic}); err != nil {
				l.t.Fatal(err)
			}
		}, run: func(l *life) error {
			_, err := l.svc.SetAttendance(l.ctx, l.one("Consultation").ID, booking.Attendance{Status: booking.Completed})
			return err
		}, code: booking.ECONFLICT, words: "was cancelled"},
	})
}

func TestService_ChangeConsent(t *testing.T) {
	cleared := mustDate(t, "2026-12-01")
	remsCancelled := func(t *testing.T, l *life) []*booking.Appointment {
		t.Helper()
		as, err := l.db.Appointments(l.ctx, booking.AppointmentFilter{SeriesID: 1})
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(as, func(a *booking.Appointment) bool { return !a.NeedsREMS || a.Status != booking.Cancelled })
	}
	t.Run("SetConsent", func(t *testing.T) {
		runActions(t, demoTuesday, []actionCase{
			{name: "OKScreeningCleared", run: func(l *life) error {
				p, err := l.svc.SetConsent(l.ctx, 1, "screening-cleared", &cleared)
				if err == nil && (p.Consents.ScreeningCleared == nil || *p.Consents.ScreeningCleared != cleared) {
					t.Errorf("returned consents %+v, want screening cleared on %s", p.Consents, cleared)
				}
				return err
			}, check: func(t *testing.T, l *life) {
				if got := l.storedPatient(1).Consents.ScreeningCleared; got == nil || *got != cleared {
					t.Fatalf("stored screening cleared %v, want %s", got, cleared)
				}
				if e := wantAudit(t, l, "consent", "screening-cleared"); e.PatientID != 1 || !strings.Contains(e.After, "2026-12-01") {
					t.Fatalf("audit patient %d after %s, want patient 1 and the date", e.PatientID, e.After)
				}
			}},
			{name: "OKWithdrawNoEmail", prep: func(l *life) {
				if _, err := l.svc.SetConsent(l.ctx, 1, "no-email", &cleared); err != nil {
					l.t.Fatal(err)
				}
			}, run: func(l *life) error {
				_, err := l.svc.SetConsent(l.ctx, 1, "no-email", nil)
				return err
			}, check: func(t *testing.T, l *life) {
				if got := l.storedPatient(1).Consents.NoEmail; got != nil {
					t.Fatalf("stored no-email %s, want withdrawn", *got)
				}
				wantAudit(t, l, "consent", "no-email")
			}},
			{name: "ErrUnknownPatient", run: func(l *life) error {
				_, err := l.svc.SetConsent(l.ctx, 99, "no-email", &cleared)
				return err
			}, code: booking.ENOTFOUND},
			{name: "ErrUnknownKind", run: func(l *life) error {
				_, err := l.svc.SetConsent(l.ctx, 1, "photos", &cleared)
				return err
			}, code: booking.EINVALID, words: `"photos" is not a consent`},
		})
	})
	t.Run("REMS", func(t *testing.T) {
		runActions(t, remsLife, []actionCase{
			{name: "ErrWithdrawAsksAboutDoses", run: func(l *life) error {
				_, _, err := l.svc.ChangeConsent(l.ctx, booking.ConsentChange{PatientID: 1, Kind: "rems-enrolled"})
				return err
			}, code: booking.ECONFLICT, words: "Ann Lee has 12 sessions booked that this leaves without REMS enrolment", check: func(t *testing.T, l *life) {
				if l.storedPatient(1).Consents.REMSEnrolled == nil {
					t.Fatal("the refused withdrawal was stored")
				}
			}},
			{name: "OKWithdrawKeepsDoses", run: func(l *life) error {
				_, cancelled, err := l.svc.ChangeConsent(l.ctx, booking.ConsentChange{PatientID: 1, Kind: "rems-enrolled", Doses: booking.DosesKeep})
				if len(cancelled) != 0 {
					t.Errorf("cancelled %d sessions, want none kept booked", len(cancelled))
				}
				return err
			}, check: func(t *testing.T, l *life) {
				if got := l.storedPatient(1).Consents.REMSEnrolled; got != nil {
					t.Fatalf("stored enrolment %s, want withdrawn", *got)
				}
				if got := remsCancelled(t, l); len(got) != 0 {
					t.Fatalf("%d REMS sessions cancelled, want all kept", len(got))
				}
				wantAudit(t, l, "consent", "rems-enrolled")
			}},
			{name: "OKLaterDateCancelsDosesBefore", run: func(l *life) error {
				later := mustDate(t, "2027-03-15")
				_, cancelled, err := l.svc.ChangeConsent(l.ctx, booking.ConsentChange{PatientID: 1, Kind: "rems-enrolled", On: &later, Doses: booking.DosesCancel})
				for _, a := range cancelled {
					if booking.DateOf(a.Start.In(l.loc)) >= later {
						t.Errorf("cancelled %s on %s, on or after the new enrolment date", a.Label(), a.Start.In(l.loc))
					}
				}
				if err == nil && len(cancelled) == 0 {
					t.Error("cancelled nothing, want the sessions before 15 Mar")
				}
				return err
			}, check: func(t *testing.T, l *life) {
				got := remsCancelled(t, l)
				for _, a := range got {
					if a.CancelledBy != booking.ByClinic || a.Reason != "REMS enrolment withdrawn" {
						t.Errorf("%s cancelled by %q for %q, want by the clinic for the enrolment", a.Label(), a.CancelledBy, a.Reason)
					}
				}
				if want, err := l.svc.REMSUnenrolled(l.ctx, 1, ptr(mustDate(t, "2027-03-15"))); err != nil || len(want) != 0 {
					t.Fatalf("sessions still without enrolment: %d, %v; want none", len(want), err)
				}
				if len(got) == 0 || len(got) == 12 {
					t.Fatalf("%d REMS sessions cancelled, want only those before 15 Mar", len(got))
				}
			}},
		})
	})
}

func TestService_REMSUnenrolled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		patient int64
		on      *booking.Date
		want    int
	}{
		{"Withdrawn", 1, nil, 12},
		{"EnrolledBeforeAll", 1, ptr(booking.Date(0)), 0},
		{"UnknownPatientHasNone", 99, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := remsLife(t)
			before := l.snapshot()
			on := tc.on
			if on != nil && *on == 0 {
				on = ptr(l.date("2027-02-22"))
			}
			got, err := l.svc.REMSUnenrolled(l.ctx, tc.patient, on)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("sessions=%d, want %d", len(got), tc.want)
			}
			for _, a := range got {
				if !a.NeedsREMS || a.Status != booking.Booked {
					t.Fatalf("%s needs REMS %v status %s, want a booked REMS session", a.Label(), a.NeedsREMS, a.Status)
				}
			}
			if changed := changedParts(before, l.snapshot()); changed != nil {
				t.Fatalf("REMSUnenrolled changed the store's %v", changed)
			}
		})
	}
}

func TestService_SetEmail(t *testing.T) {
	smtp := &booking.EmailSettings{Transport: "smtp", Host: "smtp.example.org", Port: 587, From: "appointments@example.org"}
	runActions(t, demoTuesday, []actionCase{
		{name: "OKSMTP", run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, smtp)
		}, check: func(t *testing.T, l *life) {
			if got := l.clinic().Email; got == nil || *got != *smtp {
				t.Fatalf("stored email %+v, want %+v", got, smtp)
			}
			if e := wantAudit(t, l, "email-settings", ""); !strings.Contains(e.After, "smtp.example.org") {
				t.Fatalf("audit after %s, want the host", e.After)
			}
		}},
		{name: "OKNilBackToFiles", prep: func(l *life) {
			if err := l.svc.SetEmail(l.ctx, smtp); err != nil {
				l.t.Fatal(err)
			}
		}, run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, nil)
		}, check: func(t *testing.T, l *life) {
			if got := l.clinic().Email; got != nil {
				t.Fatalf("stored email %+v, want none", got)
			}
			wantAudit(t, l, "email-settings", "")
		}},
		{name: "ErrSenderNameFrench", run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, &booking.EmailSettings{Transport: "eml-dir", From: "a@example.org", FromName: "Centre de perfusion"})
		}, code: booking.EINVALID, words: "perfusion"},
		{name: "ErrSendingAddress", run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, &booking.EmailSettings{Transport: "eml-dir", From: "citas@ketamina-norte.es"})
		}, code: booking.EINVALID, words: "The sending address"},
		{name: "OKSenderAllowed", prep: func(l *life) {
			if err := l.svc.SetTreatmentWords(l.ctx, true); err != nil {
				l.t.Fatal(err)
			}
		}, run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, &booking.EmailSettings{Transport: "eml-dir", From: "citas@ketamina-norte.es", FromName: "Ketamina Norte"})
		}, check: func(t *testing.T, l *life) {
			if got := l.clinic().Email; got == nil || got.FromName != "Ketamina Norte" {
				t.Fatalf("stored email %+v, want the sender kept", got)
			}
			wantAudit(t, l, "email-settings", "")
			if n := len(l.notes("treatment-words", 0)); n != 1 {
				t.Fatalf("treatment-words audit entries=%d, want 1", n)
			}
		}},
		{name: "ErrNoHost", run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, &booking.EmailSettings{Transport: "smtp", From: "a@example.org"})
		}, code: booking.EINVALID, words: "needs a host name"},
		{name: "ErrTransport", run: func(l *life) error {
			return l.svc.SetEmail(l.ctx, &booking.EmailSettings{Transport: "fax"})
		}, code: booking.EINVALID, words: "not a way of sending email"},
	})
}

func TestService_SetMessagePolicy(t *testing.T) {
	h, neg := 72, -1
	runActions(t, demoTuesday, []actionCase{
		{name: "OKReminderHours", run: func(l *life) error {
			return l.svc.SetMessagePolicy(l.ctx, &booking.MessageSettings{ReminderHours: &h})
		}, check: func(t *testing.T, l *life) {
			if got := l.clinic().Messages.Policy().ReminderBefore; got != 72*time.Hour {
				t.Fatalf("stored reminder lead %s, want 72h", got)
			}
			if e := wantAudit(t, l, "message-policy", ""); !strings.Contains(e.After, `"reminder_hours":72`) {
				t.Fatalf("audit after %s, want the 72 hours", e.After)
			}
		}},
		{name: "OKNilDefaults", prep: func(l *life) {
			if err := l.svc.SetMessagePolicy(l.ctx, &booking.MessageSettings{ReminderHours: &h}); err != nil {
				l.t.Fatal(err)
			}
		}, run: func(l *life) error {
			return l.svc.SetMessagePolicy(l.ctx, nil)
		}, check: func(t *testing.T, l *life) {
			if got := l.clinic().Messages; got != nil {
				t.Fatalf("stored %+v, want the defaults (nil)", got)
			}
			wantAudit(t, l, "message-policy", "")
		}},
		{name: "ErrNegativeHours", run: func(l *life) error {
			return l.svc.SetMessagePolicy(l.ctx, &booking.MessageSettings{ReminderHours: &neg})
		}, code: booking.EINVALID, words: "between 0 (none) and 336 hours"},
	})
}

func TestService_SetTemplate(t *testing.T) {
	mine := booking.TemplateText{Text: `{{define "subject"}}Hi{{end}}{{define "text"}}See you.{{end}}`}
	set := func(tt booking.TemplateText) func(booking.TemplateText) (booking.TemplateText, error) {
		return func(booking.TemplateText) (booking.TemplateText, error) { return tt, nil }
	}
	prepMine := func(l *life) {
		if _, err := l.svc.SetTemplate(l.ctx, "reminder", set(mine)); err != nil {
			l.t.Fatal(err)
		}
	}
	runActions(t, demoTuesday, []actionCase{
		{name: "OKOverride", run: func(l *life) error {
			got, err := l.svc.SetTemplate(l.ctx, "reminder", set(mine))
			if err == nil && got != mine {
				t.Errorf("returned %+v, want the new override", got)
			}
			return err
		}, check: func(t *testing.T, l *life) {
			if got := l.clinic().Templates["reminder"]; got != mine {
				t.Fatalf("stored %+v, want the override", got)
			}
			wantAudit(t, l, "email-template", "reminder")
		}},
		{name: "OKZeroRemoves", prep: prepMine, run: func(l *life) error {
			var seen booking.TemplateText
			_, err := l.svc.SetTemplate(l.ctx, "reminder", func(cur booking.TemplateText) (booking.TemplateText, error) {
				seen = cur
				return booking.TemplateText{}, nil
			})
			if seen != mine {
				t.Errorf("edit saw %+v, want the stored override", seen)
			}
			return err
		}, check: func(t *testing.T, l *life) {
			if _, ok := l.clinic().Templates["reminder"]; ok {
				t.Fatal("the override is still stored")
			}
			if n := len(l.notes("email-template", 0)); n != 2 {
				t.Fatalf("email-template audit entries=%d, want 2", n)
			}
		}},
		{name: "OKUnchangedNoAudit", prep: prepMine, run: func(l *life) error {
			_, err := l.svc.SetTemplate(l.ctx, "reminder", func(cur booking.TemplateText) (booking.TemplateText, error) { return cur, nil })
			return err
		}, check: func(t *testing.T, l *life) {
			if n := len(l.notes("email-template", 0)); n != 1 {
				t.Fatalf("email-template audit entries=%d, want only the first", n)
			}
		}},
		{name: "ErrKind", run: func(l *life) error {
			_, err := l.svc.SetTemplate(l.ctx, "postcard", set(mine))
			return err
		}, code: booking.EINVALID, words: `"postcard" is not a kind of patient email`},
		{name: "ErrNotText", prep: prepMine, run: func(l *life) error {
			_, err := l.svc.SetTemplate(l.ctx, "reminder", set(booking.TemplateText{Text: "a\x00b"}))
			return err
		}, code: booking.EINVALID, words: "not valid text", check: func(t *testing.T, l *life) {
			if got := l.clinic().Templates["reminder"]; got != mine {
				t.Fatalf("stored %+v, want the earlier override kept", got)
			}
		}},
		{name: "ErrEditRefuses", prep: prepMine, run: func(l *life) error {
			_, err := l.svc.SetTemplate(l.ctx, "reminder", func(booking.TemplateText) (booking.TemplateText, error) {
				return booking.TemplateText{}, booking.Errorf(booking.ECONFLICT, "The template was changed by someone else.")
			})
			return err
		}, code: booking.ECONFLICT, words: "changed by someone else"},
	})
}

func TestService_RetryOutbox(t *testing.T) {
	// failed marks the series' pending confirmation failed after three
	// attempts, due in a week, and returns its id.
	failed := func(l *life) int64 {
		l.t.Helper()
		ms, err := l.db.Outbox(l.ctx, booking.OutboxFilter{SeriesID: 1, State: booking.OutboxPending})
		if err != nil || len(ms) == 0 {
			l.t.Fatalf("pending messages=%d, %v", len(ms), err)
		}
		m := ms[0]
		m.State, m.Attempts, m.LastError, m.Due = booking.OutboxFailed, 3, "550 mailbox unavailable", l.now.Add(7*24*time.Hour)
		if err := l.db.Update(l.ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(l.ctx, m) }); err != nil {
			l.t.Fatal(err)
		}
		return m.ID
	}
	var id int64
	runActions(t, demoTuesday, []actionCase{
		{name: "OKFailedBackInQueue", prep: func(l *life) { id = failed(l) }, run: func(l *life) error {
			_, err := l.svc.RetryOutbox(l.ctx, id)
			return err
		}, check: func(t *testing.T, l *life) {
			ms, err := l.db.Outbox(l.ctx, booking.OutboxFilter{ID: id})
			if err != nil || len(ms) != 1 {
				t.Fatalf("message %d: %d, %v", id, len(ms), err)
			}
			if m := ms[0]; m.State != booking.OutboxPending || m.Attempts != 0 || !m.Due.Equal(l.now) {
				t.Fatalf("stored %s attempts %d due %s, want pending, 0 attempts, due now", m.State, m.Attempts, m.Due)
			}
			if e := wantAudit(t, l, "outbox-retry", ""); e.SeriesID != 1 || e.PatientID != 1 {
				t.Fatalf("audit series %d patient %d, want series 1 patient 1", e.SeriesID, e.PatientID)
			}
		}},
		{name: "ErrUnknown", run: func(l *life) error {
			_, err := l.svc.RetryOutbox(l.ctx, 9999)
			return err
		}, code: booking.ENOTFOUND, words: "no outbox message with id 9999"},
		{name: "ErrNotFailed", prep: func(l *life) {
			ms, err := l.db.Outbox(l.ctx, booking.OutboxFilter{SeriesID: 1, State: booking.OutboxPending})
			if err != nil || len(ms) == 0 {
				l.t.Fatalf("pending messages=%d, %v", len(ms), err)
			}
			id = ms[0].ID
		}, run: func(l *life) error {
			_, err := l.svc.RetryOutbox(l.ctx, id)
			return err
		}, code: booking.ECONFLICT, words: "only a failed or skipped message can be retried"},
		{name: "OKSkippedBackInQueue", prep: func(l *life) {
			id = failed(l)
			ms, _ := l.db.Outbox(l.ctx, booking.OutboxFilter{ID: id})
			m := ms[0]
			m.State, m.Note = booking.OutboxSkipped, "the appointment was past when it was due"
			if err := l.db.Update(l.ctx, func(tx booking.Tx) error { return tx.UpdateOutbox(l.ctx, m) }); err != nil {
				l.t.Fatal(err)
			}
		}, run: func(l *life) error {
			_, err := l.svc.RetryOutbox(l.ctx, id)
			return err
		}, check: func(t *testing.T, l *life) {
			ms, err := l.db.Outbox(l.ctx, booking.OutboxFilter{ID: id})
			if err != nil || len(ms) != 1 || ms[0].State != booking.OutboxPending || ms[0].Attempts != 0 {
				t.Fatalf("a retried skipped message: %+v, %v; want pending again", ms, err)
			}
		}},
	})
}

func TestService_RecordMonitoringForm(t *testing.T) {
	afterDosing1 := func(l *life) { l.now = l.one("Dosing 1/8").End.Add(time.Hour) }
	record := func(label string) func(l *life) error {
		return func(l *life) error {
			_, err := l.svc.RecordMonitoringForm(l.ctx, l.one(label).ID)
			return err
		}
	}
	runActions(t, remsLife, []actionCase{
		{name: "OKHeldSession", prep: afterDosing1, run: record("Dosing 1/8"), check: func(t *testing.T, l *life) {
			e := wantAudit(t, l, booking.MonitoringAction, "REMS monitoring form")
			if e.AppointmentID != l.one("Dosing 1/8").ID || e.PatientID != 1 {
				t.Fatalf("audit appointment %d patient %d, want dosing 1/8 of patient 1", e.AppointmentID, e.PatientID)
			}
			tasks, err := l.svc.MonitoringTasks(l.ctx, l.now)
			if err != nil || len(tasks) != 0 {
				t.Fatalf("tasks=%d, %v after recording the only one, want none", len(tasks), err)
			}
		}},
		{name: "ErrTwice", prep: func(l *life) {
			afterDosing1(l)
			if err := record("Dosing 1/8")(l); err != nil {
				l.t.Fatal(err)
			}
		}, run: record("Dosing 1/8"), code: booking.ECONFLICT, words: "already recorded"},
		{name: "ErrNotHeldYet", prep: afterDosing1, run: record("Dosing 2/8"), code: booking.ECONFLICT, words: "has not been held yet"},
		{name: "ErrNoShow", prep: func(l *life) {
			afterDosing1(l)
			if _, err := l.svc.SetStatus(l.ctx, l.one("Dosing 1/8").ID, booking.NoShow); err != nil {
				l.t.Fatal(err)
			}
		}, run: record("Dosing 1/8"), code: booking.ECONFLICT, words: "did not come"},
		{name: "ErrNeedsNoForm", prep: afterDosing1, run: record("Consultation"), code: booking.EINVALID, words: "needs no monitoring form"},
		{name: "ErrUnknown", run: func(l *life) error {
			_, err := l.svc.RecordMonitoringForm(l.ctx, 999)
			return err
		}, code: booking.ENOTFOUND},
	})
}

func TestService_MonitoringTasks(t *testing.T) {
	for _, tc := range []struct {
		name string
		now  func(l *life) time.Time
		want []string // labels, overdue marked with "!"
	}{
		{"NoneBeforeTheFirstSession", func(l *life) time.Time { return l.one("Dosing 1/8").Start }, nil},
		{"AfterDosing1", func(l *life) time.Time { return l.one("Dosing 1/8").End.Add(time.Minute) }, []string{"Dosing 1/8"}},
		{"OverdueFirst", func(l *life) time.Time {
			return l.one("Dosing 2/8").End.Add(7*24*time.Hour - time.Minute)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := remsLife(t)
			now := tc.now(l)
			tasks, err := l.svc.MonitoringTasks(l.ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range tasks {
				s := k.Appointment.Label()
				if k.Overdue {
					s += "!"
				}
				if k.PatientName != "Ann Lee" || k.Task != "REMS monitoring form" {
					t.Fatalf("task %+v, want Ann Lee's REMS monitoring form", k)
				}
				got = append(got, s)
			}
			want := tc.want
			if tc.name == "OverdueFirst" {
				// Every session held by then has a task; those due more
				// than 7 days ago come first.
				want = nil
				for _, a := range l.seriesOne().Appts {
					if a.NeedsREMS && !a.End.After(now) {
						s := a.Label()
						if booking.DateOf(a.End.In(l.loc))+7 < booking.DateOf(now.In(l.loc)) {
							want = append([]string{s + "!"}, want...)
						} else {
							want = append(want, s)
						}
					}
				}
				if len(want) < 2 || !strings.HasSuffix(want[0], "!") {
					t.Fatalf("fixture: want an overdue task and more, have %v", want)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("tasks %v, want %v", got, want)
			}
		})
	}
}

func TestService_AddPatient(t *testing.T) {
	var p *booking.Patient
	runActions(t, demoTuesday, []actionCase{
		{name: "OKTrimmed", run: func(l *life) error {
			p = &booking.Patient{Name: "  Bo Chan ", Email: " bo@example.org", Phone: "+1 617 555 0199 "}
			return l.svc.AddPatient(l.ctx, p)
		}, check: func(t *testing.T, l *life) {
			got := l.storedPatient(p.ID)
			if p.ID == 0 || got.Name != "Bo Chan" || got.Email != "bo@example.org" || got.Phone != "+1 617 555 0199" || !got.Created.Equal(l.now) {
				t.Fatalf("stored %+v, want Bo Chan trimmed, created now", got)
			}
			if e := wantAudit(t, l, "patient-add", ""); e.PatientID != p.ID {
				t.Fatalf("audit patient %d, want %d", e.PatientID, p.ID)
			}
		}},
		{name: "ErrNoName", run: func(l *life) error {
			return l.svc.AddPatient(l.ctx, &booking.Patient{Name: " ", Email: "x@example.org"})
		}, code: booking.EINVALID, words: "Patient name is required."},
		{name: "ErrBadEmail", run: func(l *life) error {
			return l.svc.AddPatient(l.ctx, &booking.Patient{Name: "Bo Chan", Email: "bo@"})
		}, code: booking.EINVALID, words: "not a valid address"},
		{name: "ErrBadPhone", run: func(l *life) error {
			return l.svc.AddPatient(l.ctx, &booking.Patient{Name: "Bo Chan", Email: "bo@example.org", Phone: "call me"})
		}, code: booking.EINVALID, words: "not a phone number"},
	})
}

// UpdatePatient against a real store; TestUpdatePatientValidates covers
// each validation message.
func TestService_UpdatePatient(t *testing.T) {
	edit := func(fn func(p *booking.Patient)) func(l *life) error {
		return func(l *life) error {
			p := l.storedPatient(1)
			fn(p)
			return l.svc.UpdatePatient(l.ctx, p)
		}
	}
	runActions(t, demoTuesday, []actionCase{
		{name: "OKPhoneKeepsConsents", run: edit(func(p *booking.Patient) {
			p.Phone = " +1 617 555 0177 "
			p.Consents.NoEmail = ptr(mustDate(t, "2026-12-08")) // not changed here
		}), check: func(t *testing.T, l *life) {
			got := l.storedPatient(1)
			if got.Phone != "+1 617 555 0177" || got.Consents.NoEmail != nil {
				t.Fatalf("stored phone %q no-email %v, want the new phone and consents unchanged", got.Phone, got.Consents.NoEmail)
			}
			if e := wantAudit(t, l, "patient-edit", "phone"); strings.Contains(e.Note+e.Before+e.After, "555 0177") {
				t.Fatalf("audit %+v holds the phone number", e)
			}
		}},
		{name: "OKUnchangedNoAudit", run: edit(func(p *booking.Patient) {}), check: func(t *testing.T, l *life) {
			if n := len(l.notes("patient-edit", 0)); n != 0 {
				t.Fatalf("patient-edit audit entries=%d, want none", n)
			}
		}},
		{name: "ErrUnknown", run: func(l *life) error {
			return l.svc.UpdatePatient(l.ctx, &booking.Patient{ID: 99, Name: "No One", Email: "no@example.org"})
		}, code: booking.ENOTFOUND},
		{name: "ErrBadEmail", run: edit(func(p *booking.Patient) { p.Email = "avery@" }), code: booking.EINVALID, words: "not a valid address"},
	})
}

func TestService_SaveClinic(t *testing.T) {
	edit := func(fn func(c *booking.Clinic)) func(l *life) error {
		return func(l *life) error {
			c := l.clinic()
			fn(c)
			_, err := l.svc.SaveClinic(l.ctx, c)
			return err
		}
	}
	allow := func(l *life) {
		if err := l.svc.SetTreatmentWords(l.ctx, true); err != nil {
			l.t.Fatal(err)
		}
	}
	runActions(t, demoTuesday, []actionCase{
		{name: "ErrNameSpanish", run: edit(func(c *booking.Clinic) { c.Name = "Clínica Ketamina Norte" }), code: booking.EINVALID, words: `says "Ketamina"`},
		{name: "ErrAddressGerman", run: edit(func(c *booking.Clinic) { c.Address = "Zentrum für Psychotherapie, Hauptstraße 4" }), code: booking.EINVALID, words: "Psychotherapie"},
		{name: "ErrNamePortuguese", run: edit(func(c *booking.Clinic) { c.Name = "Clínica da Depressão" }), code: booking.EINVALID, words: "Depressão"},
		{name: "OKTreatmentWordsAllowed", prep: allow, run: edit(func(c *booking.Clinic) { c.Name = "Clinique Kétamine" }), check: func(t *testing.T, l *life) {
			if c := l.clinic(); c.Name != "Clinique Kétamine" || !c.TreatmentWordsAllowed {
				t.Fatalf("stored name %q allowed %v, want the name kept and the choice kept", c.Name, c.TreatmentWordsAllowed)
			}
		}},
		{name: "OKScreenKeepsCalendarHosts", prep: func(l *life) {
			if _, err := l.svc.AllowCalendarHost(l.ctx, "calendar.clinic.lan"); err != nil {
				l.t.Fatal(err)
			}
		}, run: edit(func(c *booking.Clinic) { c.CalendarHosts = nil }), check: func(t *testing.T, l *life) {
			if got := l.clinic().CalendarHosts; len(got) != 1 || got[0] != "calendar.clinic.lan" {
				t.Fatalf("calendar hosts %q after saving a form loaded before, want the allowed host kept", got)
			}
		}},
		{name: "OKScreenCannotUndoAllowed", prep: allow, run: edit(func(c *booking.Clinic) { c.TreatmentWordsAllowed = false }), check: func(t *testing.T, l *life) {
			if !l.clinic().TreatmentWordsAllowed {
				t.Fatal("saving the clinic's form turned the clinic's choice about treatment words off")
			}
		}},
		{name: "OKRenamedKeepsEmail", prep: func(l *life) {
			if err := l.svc.SetEmail(l.ctx, &booking.EmailSettings{Transport: "eml-dir", From: "a@example.org"}); err != nil {
				l.t.Fatal(err)
			}
		}, run: edit(func(c *booking.Clinic) {
			c.Name = " Harbor Wellness "
			c.Email = nil // a screen that loaded the clinic earlier
		}), check: func(t *testing.T, l *life) {
			c := l.clinic()
			if c.Name != "Harbor Wellness" || c.Email == nil || c.Email.From != "a@example.org" {
				t.Fatalf("stored name %q email %+v, want Harbor Wellness and the email settings kept", c.Name, c.Email)
			}
			wantAudit(t, l, "clinic", "Harbor Wellness")
		}},
		{name: "OKClosureOverBookedListed", run: func(l *life) error {
			c := l.clinic()
			d := booking.DateOf(l.one("Dosing 3/6").Start.In(l.loc))
			c.Closures = append(c.Closures, booking.Closure{From: d, To: d, Reason: "Flood"})
			left, err := l.svc.SaveClinic(l.ctx, c)
			if err == nil && (len(left) != 1 || left[0].ID != l.one("Dosing 3/6").ID) {
				t.Errorf("left out %d appointments, want only dosing 3/6", len(left))
			}
			return err
		}, check: func(t *testing.T, l *life) {
			d3 := l.one("Dosing 3/6")
			if d3.Status != booking.Booked {
				t.Fatalf("dosing 3/6 %s, want still booked until moved", d3.Status)
			}
			if notes := l.notes("override", d3.ID); len(notes) != 1 || !strings.Contains(notes[0], "a closure added after it was booked") {
				t.Fatalf("override notes %q, want the closure", notes)
			}
		}},
		{name: "ErrMissing", run: func(l *life) error {
			_, err := l.svc.SaveClinic(l.ctx, nil)
			return err
		}, code: booking.EINVALID, words: "The clinic settings are missing."},
		{name: "ErrNoName", run: edit(func(c *booking.Clinic) { c.Name = " " }), code: booking.EINVALID, words: "name"},
		{name: "ErrTimeZone", run: edit(func(c *booking.Clinic) { c.TimeZone = "Mars/Olympus" }), code: booking.EINVALID, words: "Mars/Olympus"},
	})
}

func TestService_SaveStaff(t *testing.T) {
	var added *booking.Staff
	runActions(t, demoTuesday, []actionCase{
		{name: "ErrVideoLinkReveals", run: func(l *life) error {
			_, err := l.svc.SaveStaff(l.ctx, &booking.Staff{Name: "Kit Moss", Roles: []booking.Role{booking.RoleNurse}, VideoLink: "https://meet.example.org/terapia-ketamina"})
			return err
		}, code: booking.EINVALID, words: "video link"},
		{name: "OKAdd", run: func(l *life) error {
			added = &booking.Staff{Name: " Kit Moss ", Roles: []booking.Role{booking.RoleNurse}, Busy: []booking.Interval{{Start: l.now, End: l.now.Add(time.Hour)}}}
			_, err := l.svc.SaveStaff(l.ctx, added)
			return err
		}, check: func(t *testing.T, l *life) {
			got := l.staffNamed("Kit Moss")
			if added.ID == 0 || got.ID != added.ID || len(got.Busy) != 0 {
				t.Fatalf("stored id %d busy %v, want id %d and no busy times (only imports set them)", got.ID, got.Busy, added.ID)
			}
			wantAudit(t, l, "staff-add", "Kit Moss")
		}},
		{name: "OKTimeOffOverBooked", run: func(l *life) error {
			d3 := l.one("Dosing 3/6")
			st := l.staffNamed(d3.Staff[0].Name)
			st.TimeOff = append(st.TimeOff, booking.Interval{Start: d3.Start, End: d3.End})
			clash, err := l.svc.SaveStaff(l.ctx, st)
			if err == nil && (len(clash) != 1 || clash[0].ID != d3.ID) {
				t.Errorf("clashes %d, want only dosing 3/6", len(clash))
			}
			return err
		}, check: func(t *testing.T, l *life) {
			d3 := l.one("Dosing 3/6")
			if notes := l.notes("override", d3.ID); len(notes) != 1 || !strings.Contains(notes[0], "time off added after it was booked") {
				t.Fatalf("override notes %q, want the time off", notes)
			}
			if n := len(l.notes("staff", 0)); n != 1 {
				t.Fatalf("staff audit entries=%d, want 1", n)
			}
		}},
		{name: "ErrMissing", run: func(l *life) error {
			_, err := l.svc.SaveStaff(l.ctx, nil)
			return err
		}, code: booking.EINVALID, words: "The staff member is missing."},
		{name: "ErrNoRole", run: func(l *life) error {
			_, err := l.svc.SaveStaff(l.ctx, &booking.Staff{Name: "Kit Moss"})
			return err
		}, code: booking.EINVALID, words: "needs at least one role"},
		{name: "ErrNameTaken", run: func(l *life) error {
			_, err := l.svc.SaveStaff(l.ctx, &booking.Staff{Name: "dr. ana reyes", Roles: []booking.Role{booking.RoleTherapist}})
			return err
		}, code: booking.EINVALID, words: "already called Dr. Ana Reyes"},
		{name: "ErrUnknownID", run: func(l *life) error {
			_, err := l.svc.SaveStaff(l.ctx, &booking.Staff{ID: 99, Name: "Kit Moss", Roles: []booking.Role{booking.RoleNurse}})
			return err
		}, code: booking.ENOTFOUND, words: "no staff member with id 99"},
	})
}

func TestService_SaveRoom(t *testing.T) {
	var added *booking.Room
	runActions(t, demoTuesday, []actionCase{
		{name: "OKAdd", run: func(l *life) error {
			added = &booking.Room{Name: " Consult D ", Kind: booking.RoomConsult, Equipment: []string{" chair ", " "}}
			return l.svc.SaveRoom(l.ctx, added)
		}, check: func(t *testing.T, l *life) {
			got := l.roomNamed("Consult D")
			if got == nil || added.ID == 0 || got.ID != added.ID || !slices.Equal(got.Equipment, []string{"chair"}) {
				t.Fatalf("stored %+v, want Consult D with id %d and a chair", got, added.ID)
			}
			wantAudit(t, l, "room-add", "Consult D")
		}},
		{name: "OKRename", run: func(l *life) error {
			r := l.roomNamed("Consult C")
			r.Name = "Quiet room"
			return l.svc.SaveRoom(l.ctx, r)
		}, check: func(t *testing.T, l *life) {
			if l.roomNamed("Consult C") != nil || l.roomNamed("Quiet room") == nil {
				t.Fatal("Consult C was not renamed")
			}
			if e := wantAudit(t, l, "room", "Quiet room"); !strings.Contains(e.Before, "Consult C") {
				t.Fatalf("audit before %s, want the old name", e.Before)
			}
		}},
		{name: "ErrMissing", run: func(l *life) error {
			return l.svc.SaveRoom(l.ctx, nil)
		}, code: booking.EINVALID, words: "The room is missing."},
		{name: "ErrKind", run: func(l *life) error {
			return l.svc.SaveRoom(l.ctx, &booking.Room{Name: "Spa", Kind: "sauna"})
		}, code: booking.EINVALID, words: `"sauna" is not a room kind`},
		{name: "ErrNameTaken", run: func(l *life) error {
			return l.svc.SaveRoom(l.ctx, &booking.Room{Name: "dosing 1", Kind: booking.RoomDosing})
		}, code: booking.EINVALID, words: "already called Dosing 1"},
		{name: "ErrUnknownID", run: func(l *life) error {
			return l.svc.SaveRoom(l.ctx, &booking.Room{ID: 99, Name: "Spa", Kind: booking.RoomConsult})
		}, code: booking.ENOTFOUND, words: "no room with id 99"},
	})
}

func TestService_SaveProtocol(t *testing.T) {
	stored := func(l *life, id string) *booking.Protocol {
		l.t.Helper()
		p, err := l.db.Protocol(l.ctx, id)
		if err != nil {
			l.t.Fatal(err)
		}
		return p
	}
	save := func(edit func(p *booking.Protocol), want booking.ProtocolSaved) func(l *life) error {
		return func(l *life) error {
			p := stored(l, "kap-standard")
			edit(p)
			got, err := l.svc.SaveProtocol(l.ctx, p)
			if err == nil && *got != want {
				l.t.Errorf("saved %+v, want %+v", *got, want)
			}
			return err
		}
	}
	runActions(t, demoTuesday, []actionCase{
		{name: "OKNewVersionOlderSeriesKept", run: save(func(p *booking.Protocol) { p.Description = "Changed." }, booking.ProtocolSaved{Version: 2, Changed: true, OlderActive: 1}),
			check: func(t *testing.T, l *life) {
				if p := stored(l, "kap-standard"); p.Version != 2 || p.Description != "Changed." {
					t.Fatalf("stored version %d %q, want version 2 changed", p.Version, p.Description)
				}
				if sr := l.seriesOne(); sr.ProtocolVersion != 1 {
					t.Fatalf("series keeps version %d, want 1", sr.ProtocolVersion)
				}
				wantAudit(t, l, "protocol", "kap-standard version 2")
			}},
		{name: "OKUnchangedStoresNothing", run: save(func(p *booking.Protocol) {}, booking.ProtocolSaved{Version: 1}),
			check: func(t *testing.T, l *life) {
				if n := len(l.notes("protocol", 0)); n != 0 {
					t.Fatalf("protocol audit entries=%d, want none", n)
				}
			}},
		{name: "ErrNoSteps", run: func(l *life) error {
			p := stored(l, "kap-standard")
			p.Steps = nil
			_, err := l.svc.SaveProtocol(l.ctx, p)
			return err
		}, code: booking.EINVALID},
	})
}

func TestService_DuplicateProtocol(t *testing.T) {
	dup := func(id, want string) func(l *life) error {
		return func(l *life) error {
			p, err := l.svc.DuplicateProtocol(l.ctx, id)
			if err == nil && (p.ID != want || !strings.HasSuffix(p.Name, " (copy)")) {
				l.t.Errorf("copy %s %q, want %s named … (copy)", p.ID, p.Name, want)
			}
			return err
		}
	}
	check := func(id string) func(t *testing.T, l *life) {
		return func(t *testing.T, l *life) {
			p, err := l.db.Protocol(l.ctx, id)
			if err != nil {
				t.Fatalf("copy %s not stored: %v", id, err)
			}
			orig, err := l.db.Protocol(l.ctx, "kap-standard")
			if err != nil || len(p.Steps) != len(orig.Steps) || orig.Name+" (copy)" != p.Name {
				t.Fatalf("copy %q with %d steps, want %q (copy) with %d", p.Name, len(p.Steps), orig.Name, len(orig.Steps))
			}
			wantAudit(t, l, "protocol", id+" (copy of kap-standard)")
		}
	}
	runActions(t, demoTuesday, []actionCase{
		{name: "OK", run: dup("kap-standard", "kap-standard-copy"), check: check("kap-standard-copy")},
		{name: "OKSecondCopy", prep: func(l *life) {
			if _, err := l.svc.DuplicateProtocol(l.ctx, "kap-standard"); err != nil {
				l.t.Fatal(err)
			}
		}, run: dup("kap-standard", "kap-standard-copy-2"), check: check("kap-standard-copy-2")},
		{name: "ErrUnknown", run: dup("kap-nope", ""), code: booking.ENOTFOUND},
	})
}

func TestService_Suggest(t *testing.T) {
	// Suggest and SuggestMakeup only read: runActions checks that a
	// refusal changes nothing, check that a success changes nothing either.
	var before string
	suggest := func(label string, makeup bool) func(l *life) error {
		return func(l *life) error {
			a := l.one(label)
			before = l.snapshot()
			var sg *booking.Suggestions
			var err error
			if makeup {
				sg, err = l.svc.SuggestMakeup(l.ctx, a.ID, 3)
			} else {
				sg, err = l.svc.Suggest(l.ctx, a.ID, 3)
			}
			if err != nil {
				return err
			}
			if len(sg.Alternatives) == 0 || len(sg.Alternatives) > 3 {
				l.t.Fatalf("alternatives=%d, want 1–3", len(sg.Alternatives))
			}
			for _, x := range sg.Alternatives {
				// A move goes elsewhere; a make-up may take the missed
				// time, which its cancellation freed.
				if x.Step != a.Step || x.Index != a.Index || (!makeup && x.Start.Equal(a.Start)) || !x.Start.After(l.now) {
					l.t.Fatalf("alternative %s at %s for %s at %s, want the same place at a future time, another one for a move", x.Label(), x.Start, a.Label(), a.Start)
				}
			}
			return nil
		}
	}
	unchanged := func(t *testing.T, l *life) {
		if changed := changedParts(before, l.snapshot()); changed != nil {
			t.Fatalf("a suggestion changed the store's %v", changed)
		}
	}
	cancel := func(label string) func(l *life) {
		return func(l *life) {
			if _, err := l.svc.Cancel(l.ctx, booking.CancelRequest{AppointmentID: l.one(label).ID, By: booking.ByPatient}); err != nil {
				l.t.Fatal(err)
			}
		}
	}
	runActions(t, demoTuesday, []actionCase{
		{name: "Move/OK", run: suggest("Dosing 3/6", false), check: unchanged},
		{name: "Move/ErrUnknown", run: func(l *life) error {
			_, err := l.svc.Suggest(l.ctx, 999, 3)
			return err
		}, code: booking.ENOTFOUND, words: "no appointment with id 999"},
		{name: "Move/ErrCancelled", prep: cancel("Dosing 6/6"), run: suggest("Dosing 6/6", false), code: booking.ECONFLICT},
		{name: "MakeUp/OKAfterCancel", prep: cancel("Dosing 4/6"), run: suggest("Dosing 4/6", true), check: unchanged},
		{name: "MakeUp/ErrStillBooked", run: suggest("Dosing 4/6", true), code: booking.ECONFLICT, words: "only a no-show or a cancelled appointment"},
		{name: "MakeUp/ErrUnknown", run: func(l *life) error {
			_, err := l.svc.SuggestMakeup(l.ctx, 999, 3)
			return err
		}, code: booking.ENOTFOUND, words: "no appointment with id 999"},
	})
}

// Relax on a real store: TestRelax covers the relaxations it finds; these
// are its refusals, which change nothing.
func TestService_RelaxRefuses(t *testing.T) {
	runActions(t, demoTuesday, []actionCase{
		{name: "ErrUnknownProtocol", run: func(l *life) error {
			_, err := l.svc.Relax(l.ctx, booking.ProposalRequest{PatientID: 1, ProtocolID: "kap-nope"})
			return err
		}, code: booking.ENOTFOUND},
	})
}

// CheckMove answers as the move would, and changes nothing: not the
// appointment, the outbox or the audit trail.
func TestService_CheckMove(t *testing.T) {
	l := demoTuesday(t)
	d1 := l.one("Dosing 1/6")
	before := l.snapshot()
	if err := l.svc.CheckMove(l.ctx, booking.MoveCheck{AppointmentID: d1.ID, To: d1.Start.Add(time.Hour)}); err != nil {
		t.Fatalf("checking a move an hour later: %v, want it possible", err)
	}
	late := time.Date(d1.Start.Year(), d1.Start.Month(), d1.Start.Day(), 17, 30, 0, 0, d1.Start.Location())
	err := l.svc.CheckMove(l.ctx, booking.MoveCheck{AppointmentID: d1.ID, To: late})
	wantCode(t, err, booking.ENOPLAN, "")
	if err := l.svc.CheckMove(l.ctx, booking.MoveCheck{AppointmentID: d1.ID, To: late, Override: "the prescriber agreed"}); err != nil {
		t.Fatalf("checking the late move with a reason: %v, want it possible", err)
	}
	if changed := changedParts(before, l.snapshot()); changed != nil {
		t.Fatalf("checking moves changed the store's %v", changed)
	}
}
