package errlog_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/errlog"
)

// records reads the log's JSON lines.
func records(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not a JSON record: %q", sc.Text())
		}
		out = append(out, r)
	}
	return out
}

// A patient as a careless error or panic might carry it.
type patient struct{ Name, Email, Note string }

var phi = []string{"Zoë", "Brontë", "zoe.bronte@example.org", "617 555 0142", "ketamine dose"}

func TestLog_ErrorAndPanicWithoutPHI(t *testing.T) {
	dir := t.TempDir()
	l := errlog.New(filepath.Join(dir, "clinic.db"))
	defer l.Close()
	if _, err := os.Stat(l.Path()); !os.IsNotExist(err) {
		t.Fatalf("a log without records exists: %v", err)
	}
	cause := fmt.Errorf("store: read patient 42: %w", fmt.Errorf(`open /home/desk/exports/Zoë Brontë.ics: disk I/O error for "Zoë Brontë" <zoe.bronte@example.org>, +1 617 555 0142`))
	msg := l.Report("Patients: load", cause)
	if !strings.HasPrefix(msg, "Internal error") || !strings.Contains(msg, l.Path()) {
		t.Fatalf("the user reads %q, want Internal error and the log's place", msg)
	}
	func() {
		defer func() {
			if err := l.Error("Schedule: move", errlog.Recovered(recover())); err != nil {
				t.Fatal(err)
			}
		}()
		panic(patient{"Zoë Brontë", "zoe.bronte@example.org", "ketamine dose"})
	}()

	func() {
		defer func() { l.Error("Today: load", errlog.Recovered(recover())) }()
		var list []int
		_ = list[len(phi)]
	}()
	func() {
		defer func() { l.Error("Today: load", errlog.Recovered(recover())) }()
		panic(fmt.Errorf("no escort for Zoë Brontë, zoe.bronte@example.org, 617 555 0142"))
	}()

	if fi, err := os.Stat(l.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(l.Path())
	for _, p := range phi {
		if strings.Contains(string(raw), p) {
			t.Errorf("the log holds %q:\n%s", p, raw)
		}
	}
	rs := records(t, l.Path())
	if len(rs) != 4 {
		t.Fatalf("%d records, want 4", len(rs))
	}
	if v := rs[2]["value"]; v != "runtime error: index out of range [5] with length 0" {
		t.Errorf("a runtime error's words are lost: %v", v)
	}
	if v := rs[3]["value"]; v != "" || rs[3]["value_type"] != "*fmt.wrapError" && rs[3]["value_type"] != "*errors.errorString" {
		t.Errorf("a panic's own error is recorded as %v (%v), want its type alone", v, rs[3]["value_type"])
	}
	e, p := rs[0], rs[1]
	if e["msg"] != "internal error" || e["where"] != "Patients: load" || e["code"] != booking.EINTERNAL || e["level"] != "ERROR" {
		t.Errorf("error record: %v", e)
	}
	if got := e["error"].(string); !strings.Contains(got, "store: read patient 42") || !strings.Contains(got, "disk I/O error") {
		t.Errorf("the error's own words are lost: %q", got)
	}
	if p["msg"] != "panic" || p["where"] != "Schedule: move" || p["value_type"] != "errlog_test.patient" || p["value"] != "" {
		t.Errorf("panic record: %v", p)
	}
	if !strings.Contains(p["stack"].(string), "TestLog_ErrorAndPanicWithoutPHI") {
		t.Errorf("the panic's stack does not show where it happened: %s", p["stack"])
	}
}

// An old log left readable by others is made owner-only before a record
// is added to it.
func TestLog_TightensAnOldFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "clinic.db")
	if err := os.WriteFile(errlog.PathFor(db), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(errlog.PathFor(db), 0o644)
	l := errlog.New(db)
	defer l.Close()
	if err := l.Error("kapctl book", errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(l.Path()); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

// The log rotates: it never grows past about 1 MB and keeps three old
// files, each owner-only.
func TestLog_Rotates(t *testing.T) {
	dir := t.TempDir()
	l := errlog.New(filepath.Join(dir, "clinic.db"))
	defer l.Close()
	glob := filepath.Join(dir, "clinic.db-errors*.log")
	seen := map[string]bool{}
	last := 0
	for ; last < 50000 && len(seen) < 6; last++ {
		if err := l.Error("bench", fmt.Errorf("failure %d", last)); err != nil {
			t.Fatal(err)
		}
		if last%200 == 0 {
			files, _ := filepath.Glob(glob)
			for _, f := range files {
				seen[f] = true
			}
		}
	}
	// Old files are removed in the background, just after a rotation.
	var files []string
	for range 50 {
		if files, _ = filepath.Glob(glob); len(files) == 4 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(files) != 4 {
		t.Fatalf("files %v, want the log and three old ones", files)
	}
	for _, f := range files {
		fi, _ := os.Stat(f)
		if fi.Size() > 1<<20 || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %d bytes, mode %v", f, fi.Size(), fi.Mode().Perm())
		}
	}
	if rs := records(t, l.Path()); len(rs) == 0 || !strings.Contains(rs[len(rs)-1]["error"].(string), fmt.Sprintf("failure %d", last-1)) {
		t.Fatal("the newest record is not in the current log")
	}
}

func TestScrub(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`UNIQUE constraint failed: patients.email`, `UNIQUE constraint failed: patients.email`},
		{`patient 42: name "Zoë Brontë" too long`, `patient 42: name "…" too long`},
		{`mail to zoe@example.org refused`, `mail to <email> refused`},
		{`call +1 (617) 555-0142 now`, `call <number> now`},
		{`open C:\Users\desk\Zoë Brontë.ics: access denied`, `open <path>: access denied`},
		{`open /home/desk/exports/x.ics: permission denied`, `open <path>: permission denied`},
		{"line one\nline two", "line one line two"},
		{"read: I/O error in zoe-bronte.ics", "read: I/O error in <file>"},
	} {
		if got := errlog.Scrub(c.in); got != c.want {
			t.Errorf("Scrub(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := errlog.Scrub(strings.Repeat("é", 400)); len(got) > 504 || !strings.HasSuffix(got, "…") {
		t.Errorf("a long text is not cut: %d bytes", len(got))
	}
}
