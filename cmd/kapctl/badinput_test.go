package main

import (
	"bytes"
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// TestBadInput feeds kapctl mistakes a front desk makes (and a few an
// attacker would) and checks each is refused with one plain line, the
// exit status for its kind, and no change to the database.
func TestBadInput(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	jane := c.addPatient("Jane Doe", "jane@example.com")
	bob := c.addPatient("Bob Smith", "bob@example.com")
	cara := c.addPatient("Cara Diaz", "cara@example.com")
	dan := c.addPatient("Dan Evans", "dan@example.com")
	eve := c.addPatient("Eve Fox", "eve@example.com")
	janeB := c.book(jane, "--therapist", "1")
	c.book(bob, "--therapist", "2")
	caraB := c.book(cara, "--therapist", "3")
	danB := c.book(dan, "--therapist", "1")
	eveB := c.book(eve, "--therapist", "1", "--from", "2027-05-24")

	// Jane's and Dan's consultations share Dr. Reyes, so Dan's cannot move
	// onto Jane's.
	janeConsult := find(t, janeB.Appointments, "consultation", 1)
	danConsult := find(t, danB.Appointments, "consultation", 1)
	// At 10:00 on Wed 10 March both dosing rooms are taken (Jane's dosing 3
	// until 11:00 plus turnover, Bob's until 12:30), while Dr. Lin and a
	// nurse are free.
	caraDosing2 := find(t, caraB.Appointments, "dosing", 2)
	// Eve's dosing 2 could only move to Memorial Day.
	eveDosing2 := find(t, eveB.Appointments, "dosing", 2)
	prep1 := find(t, janeB.Appointments, "preparation", 1)
	dosing1 := find(t, janeB.Appointments, "dosing", 1)

	dir := t.TempDir()
	protocol := func(name string, edit func(steps []map[string]any)) string {
		steps := []map[string]any{
			{"id": "consult", "kind": "consultation", "minutes": 60, "count": 1,
				"staff": []any{map[string]any{"roles": []string{"prescriber"}}}, "room": map[string]any{"kinds": []string{"consult"}}},
			{"id": "session", "kind": "dosing", "minutes": 120, "count": 2,
				"staff": []any{map[string]any{"roles": []string{"nurse"}}}, "room": map[string]any{"kinds": []string{"dosing"}},
				"after": "consult", "gap": map[string]any{"min": 1, "max": 7, "unit": "days"},
				"repeat_gap": map[string]any{"min": 2, "max": 7, "unit": "days"}},
			{"id": "follow-up", "kind": "integration", "minutes": 60, "count": 1,
				"staff": []any{map[string]any{"roles": []string{"therapist"}}}, "room": map[string]any{"video": "only"},
				"after": "session", "gap": map[string]any{"min": 0, "max": 3, "unit": "days"}},
		}
		edit(steps)
		path := filepath.Join(dir, name+".json")
		writeJSON(t, path, map[string]any{"id": "short", "name": "Short course", "window_days": 30, "steps": steps})
		return path
	}
	raw := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// The base file is valid: only each edit makes it wrong.
	if r := c.run("--json", "book", "--patient", str(jane), "--protocol", "short", "--dry-run"); r.code != exitNotFound {
		t.Fatalf("protocol short exists before the test: %+v", r)
	}
	if _, err := os.Stat(protocol("valid", func([]map[string]any) {})); err != nil {
		t.Fatal(err)
	}

	long := strings.Repeat("a", 10_000)
	patientAdd := func(name, email, phone string) []string {
		args := []string{"patient", "add", "--name", name, "--email", email}
		if phone != "" {
			args = append(args, "--phone", phone)
		}
		return args
	}
	for _, tt := range []struct {
		name    string
		global  []string // replaces --now and --as when set
		args    []string
		code    int
		wantMsg string // part of the message
	}{
		// Unknown ids.
		{"ErrPatientNotFound", nil, []string{"patient", "show", "999"}, exitNotFound, "no patient with id 999"},
		{"ErrBookPatientNotFound", nil, []string{"book", "--patient", "999", "--protocol", "kap-standard"}, exitNotFound, "no patient with id 999"},
		{"ErrProtocolNotFound", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-nope"}, exitNotFound, `no protocol with id "kap-nope"`},
		{"ErrProtocolShowNotFound", nil, []string{"protocol", "show", "kap-nope"}, exitNotFound, "no protocol"},
		{"ErrStepNotFound", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-standard", "--step", "massage"}, exitNotFound, `no step "massage"`},
		{"ErrTherapistNotFound", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-standard", "--therapist", "99"}, exitNotFound, "no staff member with id 99"},
		{"ErrNotATherapist", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-standard", "--therapist", "5"}, exitUsage, "not a therapist"},
		{"ErrAppointmentNotFoundSuggest", nil, []string{"reschedule", "--appointment", "9999", "--suggest"}, exitNotFound, "no appointment with id 9999"},
		{"ErrAppointmentNotFoundMove", nil, []string{"reschedule", "--appointment", "9999", "--to", "2027-03-10T10:00"}, exitNotFound, "no appointment with id 9999"},
		{"ErrAppointmentNotFoundCancel", nil, []string{"cancel", "--appointment", "9999", "--by", "patient"}, exitNotFound, "no appointment with id 9999"},
		{"ErrSeriesNotFound", nil, []string{"cancel", "--series", "999", "--by", "clinic"}, exitNotFound, "no series with id 999"},
		{"ErrAppointmentNotFoundStatus", nil, []string{"status", "--appointment", "9999", "arrived"}, exitNotFound, "no appointment with id 9999"},
		{"ErrAppointmentNotFoundEscort", nil, []string{"escort", "--appointment", "9999", "--name", "Tom Doe", "--phone", "617 555 0123"}, exitNotFound, "no appointment with id 9999"},
		{"ErrStaffNotFound", nil, []string{"agenda", "--staff", "99"}, exitNotFound, "no staff member with id 99"},
		{"ErrRoomNotFound", nil, []string{"agenda", "--room", "99"}, exitNotFound, "no room with id 99"},
		{"ErrAgendaPatientNotFound", nil, []string{"agenda", "--patient", "999"}, exitNotFound, "no patient with id 999"},
		{"ErrAuditPatientNotFound", nil, []string{"audit", "--patient", "999"}, exitNotFound, "no patient with id 999"},
		{"ErrConsentPatientNotFound", nil, []string{"patient", "consent", "999", "no-email"}, exitNotFound, "no patient with id 999"},
		{"ErrIDNotANumber", nil, []string{"patient", "show", "jane"}, exitUsage, `"jane" is not a patient id`},
		{"ErrIDZero", nil, []string{"cancel", "--appointment", "0", "--by", "patient"}, exitUsage, `"0" is not an appointment id`},
		{"ErrIDTooBig", nil, []string{"cancel", "--series", "99999999999999999999", "--by", "clinic"}, exitUsage, "not a series id"},
		{"ErrUnknownCommand", nil, []string{"delete-everything"}, exitUsage, "unknown command"},
		{"ErrUnknownFlag", nil, []string{"agenda", "--everything"}, exitUsage, "flag provided but not defined"},
		{"ErrNotAConsent", nil, []string{"patient", "consent", str(jane), "marketing"}, exitUsage, "not a consent"},

		// Dates and times.
		{"ErrDateMonth13", nil, []string{"agenda", "--from", "2027-13-01"}, exitUsage, `"2027-13-01" is not a date`},
		{"ErrDateFeb30", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-standard", "--from", "2027-02-30"}, exitUsage, `"2027-02-30" is not a date`},
		{"ErrDateUSFormat", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-standard", "--from", "03/01/2027"}, exitUsage, "not a date"},
		{"ErrDateWords", nil, []string{"agenda", "--to", "next week"}, exitUsage, "not a date"},
		{"ErrRangeBackwards", nil, []string{"agenda", "--from", "2027-03-10", "--to", "2027-03-01"}, exitUsage, "before --from"},
		{"ErrRangeTooLong", nil, []string{"agenda", "--from", "2000-01-01", "--to", "2027-03-01"}, exitUsage, "longer than ten years"},
		{"ErrStartInThePast", nil, []string{"book", "--patient", str(jane), "--protocol", "kap-standard", "--from", "2027-01-04"}, exitUsage, "in the past"},
		{"ErrTimeWords", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--to", "next tuesday"}, exitUsage, `"next tuesday" is not a time`},
		{"ErrTimeHour25", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--to", "2027-03-02T25:00"}, exitUsage, "not a time"},
		{"ErrTimeNoZoneOffset", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--to", "2027-03-02T10:00:00+25:00"}, exitUsage, "not a time"},
		{"ErrTimeInThePast", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--to", "2027-01-05T10:00"}, exitUsage, "in the past"},
		{"ErrNowWords", []string{"--now", "yesterday"}, []string{"agenda"}, exitUsage, `--now "yesterday" is not a time`},
		{"ErrNowDateOnly", []string{"--now", "2027-02-22"}, []string{"agenda"}, exitUsage, "--now"},
		{"ErrNowFeb30", []string{"--now", "2027-02-30T09:00:00-05:00"}, []string{"book", "--patient", str(jane), "--protocol", "kap-standard"}, exitUsage, "--now"},

		// Patients' details.
		{"ErrEmailNoAt", nil, patientAdd("Ann Lee", "ann.example.com", ""), exitUsage, "not a valid address"},
		{"ErrEmailNoDomainDot", nil, patientAdd("Ann Lee", "ann@localhost", ""), exitUsage, "not a valid address"},
		{"ErrEmailDisplayName", nil, patientAdd("Ann Lee", "Ann <ann@example.com>", ""), exitUsage, "not a valid address"},
		{"ErrEmailTwo", nil, patientAdd("Ann Lee", "ann@example.com, bob@example.com", ""), exitUsage, "not a valid address"},
		{"ErrEmailHeaderInjection", nil, patientAdd("Ann Lee", "ann@example.com\r\nBcc: all@example.com", ""), exitUsage, "control character"},
		{"ErrEmailMissing", nil, patientAdd("Ann Lee", "", ""), exitUsage, "Email is required"},
		{"ErrPhoneLetters", nil, patientAdd("Ann Lee", "ann@example.com", "call me"), exitUsage, "not a phone number"},
		{"ErrPhoneShort", nil, patientAdd("Ann Lee", "ann@example.com", "555-12"), exitUsage, "not a phone number"},
		{"ErrPhoneLong", nil, patientAdd("Ann Lee", "ann@example.com", "+1 617 555 0100 0100 0100"), exitUsage, "not a phone number"},
		{"ErrPhoneInnerPlus", nil, patientAdd("Ann Lee", "ann@example.com", "617+555+0100"), exitUsage, "not a phone number"},
		{"ErrNameMissing", nil, patientAdd("  ", "ann@example.com", ""), exitUsage, "name is required"},
		{"ErrNameEscape", nil, patientAdd("\x1b[31mAnn Lee", "ann@example.com", ""), exitUsage, "control character"},
		{"ErrNameHeaderInjection", nil, patientAdd("Ann Lee\r\nBcc: all@example.com", "ann@example.com", ""), exitUsage, "control character"},
		{"ErrNameBidiOverride", nil, patientAdd("Ann \u202eeeL", "ann@example.com", ""), exitUsage, "control character"},
		{"ErrNameNotUTF8", nil, patientAdd("Ann \xff Lee", "ann@example.com", ""), exitUsage, "not valid text"},
		{"ErrNameTooLong", nil, patientAdd(long, "ann@example.com", ""), exitUsage, "too long (10000 characters; at most 200)"},
		{"ErrWeekday", nil, append(patientAdd("Ann Lee", "ann@example.com", ""), "--weekdays", "mon,funday"), exitUsage, "funday"},
		{"ErrTimeOfDay", nil, append(patientAdd("Ann Lee", "ann@example.com", ""), "--times", "midnight"), exitUsage, "not a time of day"},
		{"ErrEscortNameEscape", nil, []string{"escort", "--appointment", str(dosing1.ID), "--name", "Tom\x1b[2J", "--phone", "617 555 0123"}, exitUsage, "control character"},
		{"ErrEscortPhone", nil, []string{"escort", "--appointment", str(dosing1.ID), "--name", "Tom Doe", "--phone", "none"}, exitUsage, "not a phone number"},
		{"ErrEscortMissing", nil, []string{"escort", "--appointment", str(dosing1.ID)}, exitUsage, "Escort name is required"},
		{"ErrReasonEscape", nil, []string{"cancel", "--appointment", str(prep1.ID), "--by", "patient", "--reason", "ill\x1b]0;pwned\x07"}, exitUsage, "control character"},
		{"ErrReasonTooLong", nil, []string{"cancel", "--appointment", str(prep1.ID), "--by", "patient", "--reason", long}, exitUsage, "too long"},
		{"ErrActorEscape", []string{"--now", testNow, "--as", "Maria\x1b[8m"}, []string{"patient", "add", "--name", "Ann Lee", "--email", "ann@example.com"}, exitUsage, "--as"},
		{"ErrActorTooLong", []string{"--now", testNow, "--as", long}, []string{"patient", "add", "--name", "Ann Lee", "--email", "ann@example.com"}, exitUsage, "--as"},
		{"ErrFlagEscape", nil, []string{"agenda", "--\x1b[2J"}, exitUsage, "flag provided but not defined"},
		{"ErrFileNameEscape", nil, []string{"protocol", "add", filepath.Join(dir, "no\x1b[2Jfile.json")}, exitUsage, "Cannot read the protocol file"},

		// Moves the rules forbid.
		{"ErrMoveIntoClosure", nil, []string{"reschedule", "--appointment", str(eveDosing2.ID), "--to", "2027-05-31T08:00", "--shift-later"}, exitConflict, "the clinic is closed on Mon 31 May 2027 (Memorial Day)"},
		{"ErrMoveOntoTakenTherapist", nil, []string{"reschedule", "--appointment", str(danConsult.ID), "--to", janeConsult.Start.Format(time.RFC3339)}, exitConflict, "Dr. Ana Reyes is already booked then"},
		{"ErrMoveOntoTakenRoom", nil, []string{"reschedule", "--appointment", str(caraDosing2.ID), "--to", "2027-03-10T10:00", "--shift-later"}, exitConflict, "no dosing room is free then"},
		{"ErrMoveOutsideHours", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--to", "2027-03-02T06:00"}, exitConflict, "Preparation 1 of 2 cannot be at Tue 2 Mar 2027 06:00: it is outside the clinic's opening hours"},
		{"ErrMoveBreaksGap", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--to", "2027-03-01T15:00"}, exitConflict, "it must be at least 1 day after consultation"},
		{"ErrDryRunWithSuggestAndTo", nil, []string{"reschedule", "--appointment", str(prep1.ID), "--suggest", "--to", "2027-03-02T10:00"}, exitUsage, "either --to TIME or --suggest"},
		{"ErrCheckInWithoutEscort", []string{"--now", dosing1.Start.Add(-20 * time.Minute).Format(time.RFC3339), "--as", "desk"}, []string{"status", "--appointment", str(dosing1.ID), "arrived"}, exitConflict, "escort"},
		{"ErrCheckInDaysEarly", nil, []string{"status", "--appointment", str(prep1.ID), "arrived"}, exitConflict, "not today"},

		// Protocol files.
		{"ErrProtocolCycle", nil, []string{"protocol", "add", protocol("cycle", func(s []map[string]any) { s[1]["after"] = "follow-up" })}, exitUsage, "form a cycle"},
		{"ErrProtocolMissingStep", nil, []string{"protocol", "add", protocol("missing", func(s []map[string]any) { s[2]["after"] = "aftercare" })}, exitUsage, `follows "aftercare", which is not a step`},
		{"ErrProtocolGapMinOverMax", nil, []string{"protocol", "add", protocol("gap", func(s []map[string]any) {
			s[1]["gap"] = map[string]any{"min": 10, "max": 3, "unit": "days"}
		})}, exitUsage, "minimum gap (10 days) is larger than the maximum (3 days)"},
		{"ErrProtocolRepeatGapMinOverMax", nil, []string{"protocol", "add", protocol("repeat", func(s []map[string]any) {
			s[1]["repeat_gap"] = map[string]any{"min": 8, "max": 7, "unit": "days"}
		})}, exitUsage, "minimum gap"},
		{"ErrProtocolUnknownField", nil, []string{"protocol", "add", protocol("field", func(s []map[string]any) { s[0]["minutez"] = 5 })}, exitUsage, "unknown field"},
		{"ErrProtocolNotJSON", nil, []string{"protocol", "add", raw("broken.json", "{\"id\": \"short\",\n\"steps\": [}")}, exitUsage, "line 2"},
		{"ErrProtocolEmpty", nil, []string{"protocol", "add", raw("empty.json", "")}, exitUsage, "empty"},
		{"ErrProtocolFileMissing", nil, []string{"protocol", "add", filepath.Join(dir, "nope.json")}, exitUsage, "Cannot read the protocol file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := c.state()
			global := tt.global
			if global == nil {
				global = []string{"--now", c.now, "--as", c.as}
			}
			r := c.exec(append(global, tt.args...)...)
			assertRefused(t, r)
			if r.code != tt.code {
				t.Fatalf("exit=%d, want %d; stderr=%q", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantMsg) {
				t.Fatalf("stderr=%q, want it to contain %q", r.stderr, tt.wantMsg)
			}
			if len(r.stderr) > 300 {
				t.Fatalf("stderr is %d bytes long, want a short line: %q", len(r.stderr), r.stderr)
			}
			if after := c.state(); after != before {
				t.Fatalf("the database changed:\nbefore %s\nafter %s", before, after)
			}
		})
	}
	assertNoDoubleBooking(t, c.agenda())
}

// TestBadDatabase points kapctl at files it must not use and checks that
// every command refuses them with a store error and leaves them exactly
// as they were.
func TestBadDatabase(t *testing.T) {
	t.Parallel()
	commands := [][]string{
		{"agenda"},
		{"staff", "list"},
		{"patient", "list"},
		{"patient", "add", "--name", "Ann Lee", "--email", "ann@example.com"},
		{"book", "--patient", "1", "--protocol", "kap-standard"},
		{"cancel", "--series", "1", "--by", "clinic"},
		{"audit"},
		{"init", "--demo"},
	}
	for _, tt := range []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"ErrRandomBytes", func(t *testing.T, path string) {
			b := make([]byte, 64<<10)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			mustWrite(t, path, b)
		}, "not a kapbook database or is damaged"},
		{"ErrTextFile", func(t *testing.T, path string) {
			mustWrite(t, path, []byte("Patients to call back:\n- Jane, Tuesday\n"))
		}, "not a kapbook database or is damaged"},
		{"ErrDamagedKapbook", func(t *testing.T, path string) {
			c := &clinic{t: t, path: path, now: testNow, as: "admin"}
			c.ok("init", "--demo")
			c.addPatient("Jane Doe", "jane@example.com")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			for i := 4096; i < len(b); i++ { // every page but the first
				b[i] = byte(r.Uint32())
			}
			mustWrite(t, path, b)
		}, "damaged"},
		{"ErrForeign", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range []string{
				"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
				"INSERT INTO notes (body) VALUES ('buy milk'), ('call Jane')",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
		}, "belongs to another application"},
		{"ErrNewerVersion", func(t *testing.T, path string) {
			c := &clinic{t: t, path: path, now: testNow, as: "admin"}
			c.ok("init", "--demo")
			c.addPatient("Jane Doe", "jane@example.com")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v int
			if err := db.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
				t.Fatal(err)
			}
			if v == 0 || v >= 99 {
				t.Fatalf("user_version=%d, want a kapbook schema version below 99", v)
			}
		}, "written by a newer version of kapbook (schema 99)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &clinic{t: t, path: filepath.Join(t.TempDir(), "kapbook.db"), now: testNow, as: "admin"}
			tt.make(t, c.path)
			want, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range commands {
				r := c.run(args...)
				assertRefused(t, r)
				if r.code != exitStore {
					t.Fatalf("%s: exit=%d, want %d; stderr=%q", args, r.code, exitStore, r.stderr)
				}
				if !strings.Contains(r.stderr, tt.want) {
					t.Fatalf("%s: stderr=%q, want it to contain %q", args, r.stderr, tt.want)
				}
				got, err := os.ReadFile(c.path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s changed the file (%d bytes before, %d after)", args, len(want), len(got))
				}
			}
		})
	}
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
