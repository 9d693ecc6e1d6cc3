package booking_test

import (
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/resources"
)

func TestLoadProtocols_Shipped(t *testing.T) {
	ps, err := booking.LoadProtocols(resources.Protocols, "protocols")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"esketamine-induction": 13, "kap-iv": 8, "kap-standard": 15}
	if len(ps) != len(want) {
		t.Fatalf("protocols=%d, want %d", len(ps), len(want))
	}
	for _, p := range ps {
		if got := len(booking.Instances(p)); got != want[p.ID] {
			t.Errorf("%s appointments=%d, want %d", p.ID, got, want[p.ID])
		}
	}
	// kap-standard's order: C, P, P, then dosing and integration alternating.
	var kinds []string
	for _, a := range booking.Instances(ps[2]) {
		kinds = append(kinds, string(a.Kind[:1]))
	}
	if got := strings.Join(kinds, ""); got != "cppdidididididi" {
		t.Fatalf("kap-standard order=%s", got)
	}
}

func TestParseProtocol_Errors(t *testing.T) {
	base := func(steps string) string {
		return `{"id":"x","name":"X","window_days":30,"steps":[` + steps + `]}`
	}
	a := `{"id":"a","kind":"consultation","minutes":60,"count":1,"staff":[{"roles":["prescriber"]}],"room":{"kinds":["consult"]}}`
	for _, tt := range []struct {
		name, json, want string
	}{
		{"ErrCycle", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":1,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"after":"c","gap":{"min":1,"max":2,"unit":"days"}},
		  {"id":"c","kind":"dosing","minutes":60,"count":1,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"after":"b","gap":{"min":1,"max":2,"unit":"days"}}`), "form a cycle"},
		{"ErrMissingStep", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":1,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"after":"dosng","gap":{"min":1,"max":2,"unit":"days"}}`), `follows "dosng", which is not a step`},
		{"ErrMinAboveMax", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":1,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"gap":{"min":5,"max":2,"unit":"days"}}`), "minimum gap (5 days) is larger than the maximum (2 days)"},
		{"ErrNoRepeatGap", base(strings.Replace(a, `"count":1`, `"count":3`, 1)), "needs a repeat_gap"},
		{"ErrUnknownField", base(strings.Replace(a, `"count":1`, `"count":1,"cuont":2`, 1)), "unknown field"},
		{"ErrSyntax", `{"id":"x",`, "cannot be read"},
		{"ErrEmpty", ``, "the file is empty"},
		{"ErrBadRole", base(strings.Replace(a, "prescriber", "wizard", 1)), `"wizard" is not a role`},
		{"ErrControlName", strings.Replace(base(a), `"name":"X"`, `"name":"X\u0007"`, 1), "control character"},
		{"ErrLongName", strings.Replace(base(a), `"name":"X"`, `"name":"`+strings.Repeat("n", 10000)+`"`, 1), "too long"},
		{"ErrDoseInAnyRoom", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":1,"staff":[{"roles":["nurse"]}],"room":{},"gap":{"min":1,"max":2,"unit":"days"}}`), "is a dose and needs a room kind"},
		{"ErrWindowShorterThanSteps", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":6,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"gap":{"min":1,"max":14,"unit":"days"},"repeat_gap":{"min":7,"max":9,"unit":"days"}}`),
			"need at least 37 days one after another (at their minimum gaps), but the series window is 30 days"},
		{"ErrWithinTooShort", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":5,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"gap":{"min":1,"max":2,"unit":"days"},"repeat_gap":{"min":3,"max":5,"unit":"days"},"within_days":10}`),
			"5 sessions at least 3 days apart need 13 days, more than its within_days (10)"},
		{"ErrPerWeekTooFew", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":6,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"gap":{"min":1,"max":2,"unit":"days"},"repeat_gap":{"min":1,"max":5,"unit":"days"},"within_days":10,"per_week":2}`),
			"6 sessions at most 2 a week do not fit in 10 days"},
		{"ErrPerWeekWindow", base(a + `,{"id":"b","kind":"dosing","minutes":60,"count":12,"staff":[{"roles":["nurse"]}],"room":{"kinds":["dosing"]},"gap":{"min":1,"max":2,"unit":"days"},"repeat_gap":{"min":1,"max":5,"unit":"days"},"per_week":2}`),
			"but the series window is 30 days"},
		{"ErrAfterEachCount", base(a + `,{"id":"b","kind":"integration","minutes":60,"count":2,"staff":[{"roles":["therapist"]}],"room":{},"after_each":"a","gap":{"min":0,"max":2,"unit":"hours"}}`), "same count"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := booking.ParseProtocol([]byte(tt.json))
			if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), tt.want) {
				t.Fatalf("err=%v, want EINVALID saying %q", err, tt.want)
			}
		})
	}
}

func TestParseClinicFile_Errors(t *testing.T) {
	for _, tt := range []struct{ name, from, to, want string }{
		{"ErrZone", `"America/New_York"`, `"Mars/Olympus"`, "not a known time zone"},
		{"ErrHours", `"mon": ["08:00-18:00"]`, `"mon": ["18:00-08:00"]`, "ends before it starts"},
		{"ErrPhone", `"+1 617 555 0142"`, `"call us"`, "not a phone number"},
		{"ErrDuplicateRoom", `"Consult B"`, `"Consult A"`, "Two rooms are called Consult A"},
		{"ErrRole", `"roles": ["nurse"]`, `"roles": ["janitor"]`, `"janitor" is not a role`},
		{"ErrNoOpeningHours", `"hours": {
      "mon": ["08:00-18:00"], "tue": ["08:00-18:00"], "wed": ["08:00-18:00"],
      "thu": ["08:00-18:00"], "fri": ["08:00-18:00"]
    },`, `"hours": {},`, "needs opening hours on at least one weekday"},
		{"ErrTimeOffAsDate", `"qualifications": ["ACLS", "REMS"],`, `"qualifications": ["ACLS", "REMS"], "time_off": [{"start": "2027-01-05", "end": "2027-01-06"}],`,
			`"2027-01-05" is not a time; write the date, the time and the offset from UTC, such as 2027-01-05T09:00:00-05:00`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := strings.Replace(string(resources.DemoClinic), tt.from, tt.to, 1)
			if data == string(resources.DemoClinic) {
				t.Fatal("test did not change the file")
			}
			_, err := booking.ParseClinicFile([]byte(data))
			if booking.ErrorCode(err) != booking.EINVALID || !strings.Contains(booking.ErrorMessage(err), tt.want) {
				t.Fatalf("err=%v, want EINVALID saying %q", err, tt.want)
			}
		})
	}
}

func TestPatientValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    booking.Patient
		want string
	}{
		{"OK", booking.Patient{Name: "Jane Doe", Email: "jane@example.org", Phone: "+1 (617) 555-0101"}, ""},
		{"ErrEmail", booking.Patient{Name: "Jane", Email: "jane@"}, "not a valid email"},
		{"ErrEmailHeader", booking.Patient{Name: "Jane", Email: "jane@example.org\r\nBcc: x@example.org"}, "control character"},
		{"ErrEmailDisplayName", booking.Patient{Name: "Jane", Email: "Jane <jane@example.org>"}, "not a valid email"},
		{"ErrPhone", booking.Patient{Name: "Jane", Email: "jane@example.org", Phone: "12"}, "not a phone number"},
		{"ErrNameControl", booking.Patient{Name: "Jane\x1b[31m", Email: "jane@example.org"}, "control character"},
		{"ErrNameLong", booking.Patient{Name: strings.Repeat("J", 10000), Email: "jane@example.org"}, "too long"},
		{"ErrNameEmpty", booking.Patient{Name: "  ", Email: "jane@example.org"}, "required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err=%v, want none", err)
				}
				return
			}
			if !strings.Contains(booking.ErrorMessage(err), tt.want) {
				t.Fatalf("err=%v, want %q", err, tt.want)
			}
		})
	}
}

// The loaders take any bytes without panicking, and whatever they accept
// is valid and plannable.
func FuzzLoadProtocol(f *testing.F) {
	entries, _ := resources.Protocols.ReadDir("protocols")
	for _, e := range entries {
		b, _ := resources.Protocols.ReadFile("protocols/" + e.Name())
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := booking.ParseProtocol(data)
		if err != nil {
			if booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("code=%s for %v", booking.ErrorCode(err), err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted, then invalid: %v", err)
		}
		if n := len(booking.Instances(p)); n == 0 {
			t.Fatal("accepted a protocol with no appointments")
		}
	})
}

func FuzzLoadClinic(f *testing.F) {
	f.Add(resources.DemoClinic)
	f.Add([]byte(`{"clinic":{"name":"A","time_zone":"UTC","hours":{"mon":["08:00-09:00"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := booking.ParseClinicFile(data)
		if err != nil {
			if booking.ErrorCode(err) != booking.EINVALID {
				t.Fatalf("code=%s for %v", booking.ErrorCode(err), err)
			}
			return
		}
		if err := c.Clinic.Validate(); err != nil {
			t.Fatalf("accepted, then invalid: %v", err)
		}
	})
}
