package patients

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/errlog"
	"github.com/kapbook/kapbook/ui/kit/kittest"
)

// failingStore fails or panics while a patient's appointments are read,
// with the patient's own details in its words, as a careless bug might.
type failingStore struct {
	booking.Store
	panics bool
}

func (s *failingStore) Appointments(ctx context.Context, f booking.AppointmentFilter) ([]*booking.Appointment, error) {
	p, err := s.Store.Patient(ctx, f.PatientID)
	if err != nil {
		return nil, err
	}
	what := errors.New("no escort for " + p.Name + ", " + p.Email + ", " + p.Phone)
	if s.panics {
		panic(what)
	}
	return nil, errors.Join(errors.New(`disk I/O error reading "`+p.Name+`" <`+p.Email+`>`), errors.New(p.Phone))
}

// TestInternalErrorIsLogged: an internal error in the patient page (a
// returned one, then a panic) writes one record each to the error log
// beside the database, with no patient details, and the page says
// "Internal error" and where the log is.
func TestInternalErrorIsLogged(t *testing.T) {
	f, v := open(t, kittest.Options{Patients: 1})
	ctx := context.Background()
	p, err := f.DB.Patient(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.Env.ErrorLog = errlog.New(f.Env.DBPath)
	t.Cleanup(func() { f.Env.ErrorLog.Close() })
	fs := &failingStore{Store: f.Env.Store}
	f.Env.Store = fs

	// The phone whole, and its digits run together (a stack's hex
	// offsets and a time's fractions may hold any four digits).
	phi := []string{p.Name, "Avery", "Quinn", p.Email, "avery", p.Phone, strings.NewReplacer("+", "", " ", "").Replace(p.Phone)}
	for i, panics := range []bool{false, true} {
		fs.panics = panics
		v.Show(1)
		if v.w.problem == nil || !strings.Contains(v.w.problem.Text, "Internal error") ||
			!strings.Contains(v.w.problem.Text, f.Env.ErrorLog.Path()) {
			t.Fatalf("panics %v: the page shows %v, want Internal error and the log's place", panics, v.w.problem)
		}
		lines := logLines(t, f.Env.ErrorLog.Path())
		if len(lines) != i+1 {
			t.Fatalf("panics %v: %d records in the log, want %d", panics, len(lines), i+1)
		}
		rec := lines[i]
		for _, x := range phi {
			if strings.Contains(rec, x) {
				t.Errorf("panics %v: the log holds %q: %s", panics, x, rec)
			}
		}
		if !strings.Contains(rec, `"where":"Loading the patient"`) || panics && !strings.Contains(rec, "loadPageData") {
			t.Errorf("panics %v: the record does not say where: %s", panics, rec)
		}
	}
	if fi, err := os.Stat(f.Env.ErrorLog.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the log: %v, want owner-only", err)
	}
}

func logLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
