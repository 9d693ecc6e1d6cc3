package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// The policy's due times: 48 real hours for the reminder, 24 for the
// preparation of dosing and infusion visits, out of quiet hours, never in
// the past.
func TestMessagePolicy_Plan(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	def := booking.DefaultMessagePolicy()
	short := def
	short.ReminderBefore, short.PreparationBefore = 2*time.Hour, 0
	noQuiet := def
	noQuiet.QuietStart, noQuiet.QuietEnd = 0, 0
	noReminder := def
	noReminder.ReminderBefore = 0
	for _, tt := range []struct {
		name   string
		policy booking.MessagePolicy
		kind   booking.Kind
		start  string
		status booking.Status
		now    string
		want   string // kind@local due, space-separated
	}{
		{name: "OK_DosingGetsReminderAndPreparation", policy: def, kind: "dosing", start: "2027-03-04 10:00", now: "2027-02-22 09:00",
			want: "reminder@2027-03-02 10:00 preparation@2027-03-03 10:00"},
		{name: "OK_InfusionGetsPreparation", policy: def, kind: "infusion", start: "2027-03-04 13:00", now: "2027-02-22 09:00",
			want: "reminder@2027-03-02 13:00 preparation@2027-03-03 13:00"},
		{name: "OK_ConsultationGetsReminderOnly", policy: def, kind: "consultation", start: "2027-03-04 10:00", now: "2027-02-22 09:00",
			want: "reminder@2027-03-02 10:00"},
		// Spring forward on Sunday 14 March 2027 at 02:00: 48 real hours
		// before Monday 09:00 EDT is Saturday 08:00 EST, an hour earlier
		// on the wall clock; 24 h before is Sunday 09:00 EDT.
		{name: "OK_SpringForwardCountsRealHours", policy: def, kind: "dosing", start: "2027-03-15 09:00", now: "2027-03-01 09:00",
			want: "reminder@2027-03-13 08:00 preparation@2027-03-14 09:00"},
		// Fall back on Sunday 7 November 2027: Monday 09:00 EST less 48 h
		// is Saturday 10:00 EDT.
		{name: "OK_FallBackCountsRealHours", policy: def, kind: "integration", start: "2027-11-08 09:00", now: "2027-11-01 09:00",
			want: "reminder@2027-11-06 10:00"},
		// 48 h before 06:30 is 06:30, in quiet hours: it waits until
		// 08:00 that morning.
		{name: "OK_QuietMorningWaitsUntil0800", policy: def, kind: "infusion", start: "2027-03-04 06:30", now: "2027-02-22 09:00",
			want: "reminder@2027-03-02 08:00 preparation@2027-03-03 08:00"},
		{name: "OK_QuietEveningWaitsUntilNextMorning", policy: def, kind: "consultation", start: "2027-03-04 22:30", now: "2027-02-22 09:00",
			want: "reminder@2027-03-03 08:00"},
		{name: "OK_QuietStartIsQuiet", policy: def, kind: "consultation", start: "2027-03-04 21:00", now: "2027-02-22 09:00",
			want: "reminder@2027-03-03 08:00"},
		{name: "OK_JustBeforeQuietStays", policy: def, kind: "consultation", start: "2027-03-04 20:59", now: "2027-02-22 09:00",
			want: "reminder@2027-03-02 20:59"},
		// 2 h before 08:00 is 06:00, quiet; 08:00 is not before the
		// appointment, so the reminder goes the evening before at 20:59.
		{name: "OK_QuietEndTooLateMovesToEveningBefore", policy: short, kind: "dosing", start: "2027-03-04 08:00", now: "2027-02-22 09:00",
			want: "reminder@2027-03-03 20:59"},
		{name: "OK_NoQuietHours", policy: noQuiet, kind: "infusion", start: "2027-03-04 06:30", now: "2027-02-22 09:00",
			want: "reminder@2027-03-02 06:30 preparation@2027-03-03 06:30"},
		{name: "OK_ZeroDurationTurnsMessageOff", policy: noReminder, kind: "dosing", start: "2027-03-04 10:00", now: "2027-02-22 09:00",
			want: "preparation@2027-03-03 10:00"},
		{name: "PastReminderDropped", policy: def, kind: "dosing", start: "2027-03-04 10:00", now: "2027-03-02 12:00",
			want: "preparation@2027-03-03 10:00"},
		{name: "AllPastDropped", policy: def, kind: "dosing", start: "2027-03-04 10:00", now: "2027-03-03 12:00",
			want: ""},
		{name: "DueExactlyNowKept", policy: def, kind: "consultation", start: "2027-03-04 10:00", now: "2027-03-02 10:00",
			want: "reminder@2027-03-02 10:00"},
		// 06:30 is past at 07:00, but quiet hours moved it to 08:00.
		{name: "QuietMovedPastNowKept", policy: def, kind: "consultation", start: "2027-03-04 06:30", now: "2027-03-02 07:00",
			want: "reminder@2027-03-02 08:00"},
		{name: "CancelledGetsNone", policy: def, kind: "dosing", start: "2027-03-04 10:00", status: booking.Cancelled, now: "2027-02-22 09:00",
			want: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.status
			if st == "" {
				st = booking.Booked
			}
			a := &booking.Appointment{ID: 7, SeriesID: 3, PatientID: 5, Kind: tt.kind, Start: at(tt.start), End: at(tt.start).Add(time.Hour), Status: st}
			now := at(tt.now)
			var got []string
			for _, m := range tt.policy.Plan(a, ny, now) {
				got = append(got, m.Kind+"@"+m.Due.In(ny).Format("2006-01-02 15:04"))
				if m.State != booking.OutboxPending || m.PatientID != 5 || m.SeriesID != 3 || m.AppointmentID != 7 || !m.Created.Equal(now) {
					t.Errorf("message=%+v, want pending for patient 5, series 3, appointment 7, created now", m)
				}
				if err := m.Validate(); err != nil {
					t.Errorf("message does not validate: %v", err)
				}
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Fatalf("messages=%q, want %q", g, tt.want)
			}
		})
	}
}

func TestOutboxMessage_Validate(t *testing.T) {
	ok := booking.OutboxMessage{Kind: booking.MessageReminder, State: booking.OutboxPending, PatientID: 1, Due: time.Unix(1e9, 0)}
	for _, tt := range []struct {
		name string
		edit func(m *booking.OutboxMessage)
		want string
	}{
		{"OK", func(m *booking.OutboxMessage) {}, ""},
		{"ErrKind", func(m *booking.OutboxMessage) { m.Kind = "ketamine" }, "not a kind of patient email"},
		{"ErrState", func(m *booking.OutboxMessage) { m.State = "lost" }, "not an outbox state"},
		{"ErrPatient", func(m *booking.OutboxMessage) { m.PatientID = 0 }, "needs the patient"},
		{"ErrDue", func(m *booking.OutboxMessage) { m.Due = time.Time{} }, "needs the time it is due"},
		{"ErrAttempts", func(m *booking.OutboxMessage) { m.Attempts = -1 }, "negative"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err=%v, want nil", err)
				}
				return
			}
			if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), tt.want) {
				t.Fatalf("err=%v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}
