package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

// exportFile runs export with args and -o into a new file, and returns
// the file's bytes after checking that it is readable by its owner only.
func (c *clinic) exportFile(args ...string) []byte {
	c.t.Helper()
	path := filepath.Join(c.t.TempDir(), "out.ics")
	out := c.ok(append([]string{"export", "-o", path}, args...)...)
	if !strings.HasPrefix(out, "Wrote ") || !strings.Contains(out, path) {
		c.t.Fatalf("export %s said %q", strings.Join(args, " "), out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		c.t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		c.t.Fatalf("export file mode %o, want 600: it holds patient data", mode)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// exportEvents decodes an export with go-ical and returns its events.
func exportEvents(t *testing.T, data []byte) []ical.Event {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot read the export: %v", err)
	}
	return cal.Events()
}

func TestExport(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	jane := c.addPatient("Jane Doe", "jane@example.com")
	bob := c.addPatient("Bob Smith", "bob@example.com")
	janeB := c.book(jane, "--therapist", "1")
	c.book(bob, "--therapist", "2")

	t.Run("Patient", func(t *testing.T) {
		c := *c
		c.t = t
		data := c.exportFile("--patient", str(jane), "--alarms")
		evs := exportEvents(t, data)
		if len(evs) != len(janeB.Appointments) {
			t.Fatalf("events=%d, want Jane's %d", len(evs), len(janeB.Appointments))
		}
		words := regexp.MustCompile(`(?i)ketamine|spravato|dosing|infusion|psychedelic|psychotherapy|Jane|Bob|Reyes|Okafor`)
		if m := words.Find(bytes.ReplaceAll(data, []byte("\r\n "), nil)); m != nil {
			t.Fatalf("Jane's calendar says %q", m)
		}
		if !bytes.Contains(data, []byte("X-WR-CALNAME:Appointments at Harbor Wellness Center")) || !bytes.Contains(data, []byte("BEGIN:VALARM")) {
			t.Fatal("Jane's calendar lacks its name or its alarms")
		}
	})

	t.Run("Series", func(t *testing.T) {
		c := *c
		c.t = t
		evs := exportEvents(t, c.exportFile("--series", str(*janeB.Series)))
		if len(evs) != len(janeB.Appointments) {
			t.Fatalf("events=%d, want %d", len(evs), len(janeB.Appointments))
		}
	})

	t.Run("StaffDefaultInitials", func(t *testing.T) {
		c := *c
		c.t = t
		data := c.exportFile("--staff", "1")
		want := len(c.agenda("--staff", "1"))
		if n := len(exportEvents(t, data)); n != want || n == 0 {
			t.Fatalf("events=%d, want %d", n, want)
		}
		if !bytes.Contains(data, []byte("SUMMARY:Appointment – J.D.")) || bytes.Contains(data, []byte("Jane")) {
			t.Fatal("a staff export should show Jane as J.D. by default, and never her name")
		}
		if !bytes.Contains(data, []byte("X-WR-CALNAME:Dr. Ana Reyes – Harbor Wellness Center")) {
			t.Fatal("the staff calendar is not named for its owner")
		}
	})

	t.Run("StdoutFullPrivacy", func(t *testing.T) {
		c := *c
		c.t = t
		out := c.ok("export", "--all", "--privacy", "full", "-o", "-")
		if !strings.HasPrefix(out, "BEGIN:VCALENDAR\r\n") || !strings.HasSuffix(out, "END:VCALENDAR\r\n") {
			t.Fatalf("stdout is not one calendar: %.80q…", out)
		}
		if n, want := len(exportEvents(t, []byte(out))), len(c.agenda()); n != want {
			t.Fatalf("events=%d, want %d", n, want)
		}
		for _, name := range []string{"Appointment – Jane Doe", "Appointment – Bob Smith"} {
			if !strings.Contains(out, name) {
				t.Errorf("a full-privacy export lacks %q", name)
			}
		}
	})

	t.Run("RangeAndRoom", func(t *testing.T) {
		c := *c
		c.t = t
		var want []appt
		c.json(&want, "agenda", "--from", "2027-03-08", "--to", "2027-03-19", "--room", "4")
		data := c.exportFile("--room", "4", "--from", "2027-03-08", "--to", "2027-03-19", "--privacy", "id")
		if n := len(exportEvents(t, data)); n != len(want) || n == 0 {
			t.Fatalf("events=%d, want %d", n, len(want))
		}
		if !bytes.Contains(data, []byte("Patient #")) || bytes.Contains(data, []byte("J.D.")) {
			t.Fatal("an id-privacy export should show patients by number only")
		}
	})

	t.Run("CancelledStays", func(t *testing.T) {
		c := *c
		c.t = t
		last := janeB.Appointments[len(janeB.Appointments)-1]
		c.ok("cancel", "--appointment", str(last.ID), "--by", "patient", "--reason", "moving away")
		path := filepath.Join(t.TempDir(), "jane.ics")
		out := c.ok("export", "--patient", str(jane), "-o", path)
		if want := "Wrote " + strconv.Itoa(len(janeB.Appointments)) + " appointments (1 cancelled)"; !strings.HasPrefix(out, want) {
			t.Fatalf("export said %q, want %q…", out, want)
		}
		data, _ := os.ReadFile(path)
		if !bytes.Contains(data, []byte("STATUS:CANCELLED")) || bytes.Contains(data, []byte("moving away")) {
			t.Fatal("the cancelled appointment should stay, marked CANCELLED, without its reason")
		}
	})
}

func TestExport_BadInput(t *testing.T) {
	t.Parallel()
	c := mustDemo(t)
	jane := c.addPatient("Jane Doe", "jane@example.com")
	c.book(jane)
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.ics")
	if err := os.WriteFile(keep, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"ErrNoSelector", []string{"-o", keep}, exitUsage, "exactly one of --patient"},
		{"ErrTwoSelectors", []string{"--patient", str(jane), "--all", "-o", keep}, exitUsage, "exactly one of --patient"},
		{"ErrNoOutput", []string{"--all"}, exitUsage, "needs -o FILE.ics"},
		{"ErrUnknownPatient", []string{"--patient", "999", "-o", keep}, exitNotFound, "There is no patient with id 999."},
		{"ErrUnknownSeries", []string{"--series", "999", "-o", keep}, exitNotFound, "There is no series with id 999."},
		{"ErrUnknownStaff", []string{"--staff", "999", "-o", keep}, exitNotFound, "There is no staff member with id 999."},
		{"ErrUnknownRoom", []string{"--room", "999", "-o", keep}, exitNotFound, "There is no room with id 999."},
		{"ErrBadID", []string{"--staff", "one", "-o", keep}, exitUsage, "is not a staff id"},
		{"ErrBadDate", []string{"--all", "--from", "March", "-o", keep}, exitUsage, "March"},
		{"ErrBadToDate", []string{"--all", "--to", "2027-02-30", "-o", keep}, exitUsage, "2027-02-30"},
		{"ErrToBeforeFrom", []string{"--all", "--from", "2027-03-10", "--to", "2027-03-01", "-o", keep}, exitUsage, "before --from"},
		{"ErrBadPrivacy", []string{"--all", "--privacy", "none", "-o", keep}, exitUsage, "full, initials or id"},
		{"ErrPrivacyForPatient", []string{"--patient", str(jane), "--privacy", "full", "-o", keep}, exitUsage, "names no one"},
		{"ErrAlarmsForStaff", []string{"--staff", "1", "--alarms", "-o", keep}, exitUsage, "--alarms is for a patient"},
		{"ErrNoFolder", []string{"--all", "-o", filepath.Join(dir, "nope", "x.ics")}, exitUsage, "does not exist"},
		{"ErrFolder", []string{"--all", "-o", dir}, exitUsage, "it is a folder"},
		{"ErrStray", []string{"--all", "-o", keep, "extra"}, exitUsage, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(append([]string{"export"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
				t.Fatalf("exit=%d stderr=%q, want %d and %q", r.code, r.stderr, tt.code, tt.msg)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "kapctl: ") {
				t.Fatalf("stderr=%q, want one kapctl: line", r.stderr)
			}
			if r.stdout != "" {
				t.Fatalf("stdout=%q, want nothing", r.stdout)
			}
		})
	}
	if b, _ := os.ReadFile(keep); string(b) != "old" {
		t.Fatalf("a failed export changed the file to %q", b)
	}
	if os.Getuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o500)
		r := c.run("export", "--all", "-o", filepath.Join(ro, "x.ics"))
		if r.code != exitUsage || !strings.Contains(r.stderr, "not writable") {
			t.Errorf("read-only folder: exit=%d stderr=%q", r.code, r.stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".kapctl-export-") {
			t.Fatalf("a failed export left %s behind", e.Name())
		}
	}
	// A successful export replaces the file whole.
	c.ok("export", "--all", "-o", keep)
	if b, _ := os.ReadFile(keep); !bytes.HasPrefix(b, []byte("BEGIN:VCALENDAR")) {
		t.Fatalf("keep.ics holds %.40q", b)
	}
}
