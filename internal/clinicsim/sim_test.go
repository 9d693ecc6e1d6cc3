package clinicsim_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/clinicsim"
	"github.com/kapbook/kapbook/internal/rulecheck"
)

// checker returns a Check that runs the independent rule checker on the
// database at path and fails on any broken rule no override covers.
func checker(t testing.TB, path string, checked map[string]int) func(ctx context.Context) error {
	var db *sql.DB
	var k *rulecheck.Checker
	t.Cleanup(func() {
		if db != nil {
			db.Close()
		}
	})
	return func(ctx context.Context) error {
		if db == nil {
			var err error
			if db, err = sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=mmap_size(268435456)"); err != nil {
				return err
			}
			k = rulecheck.NewChecker(db)
		}
		rep, err := k.Check(ctx)
		if err != nil {
			return err
		}
		return violations(rep, checked)
	}
}

// violations counts what rep checked into checked and returns its broken
// rules as an error, nil when there are none.
func violations(rep *rulecheck.Report, checked map[string]int) error {
	for rule, n := range rep.Checked {
		checked[rule] += n
	}
	if len(rep.Violations) > 0 {
		var lines []string
		for _, v := range rep.Violations[:min(len(rep.Violations), 5)] {
			lines = append(lines, fmt.Sprintf("%s %v: %s", v.Rule, v.Appointments, v.Detail))
		}
		return fmt.Errorf("%d broken rules: %s", len(rep.Violations), strings.Join(lines, "; "))
	}
	return nil
}

// TestSimulatedYear lives the demo clinic through a year, across both
// clock changes, and checks the whole database after every action. A
// plain go test lives a quarter (13 weeks); make test sets
// KAPBOOK_SIM_DAYS=365 for the year.
func TestSimulatedYear(t *testing.T) {
	days := 91
	if n, err := strconv.Atoi(os.Getenv("KAPBOOK_SIM_DAYS")); err == nil && n > 0 {
		days = n
	}
	if testing.Short() {
		days = 28
	}
	path := filepath.Join(t.TempDir(), "clinic.db")
	checked := map[string]int{}
	start, _ := booking.ParseDate("2027-01-04")
	seed := uint64(1)
	if s, err := strconv.ParseUint(os.Getenv("KAPBOOK_SIM_SEED"), 10, 64); err == nil {
		seed = s // another year, to look for trouble: make soak runs several
	}
	st, err := clinicsim.Run(context.Background(), clinicsim.Config{Path: path, Seed: seed, Start: start, Days: days, NewPerWeek: 2,
		Check: checker(t, path, checked)})
	report(t, st, checked)
	if err != nil {
		t.Fatal(err)
	}
	// The run must have exercised what it claims to.
	if days < 300 {
		return
	}
	for _, action := range []string{"book", "book beside", "move suggested", "move shift-later", "move typed", "override", "cancel patient", "cancel clinic",
		"no-show", "arrived", "completed", "make-up", "rems change", "time off", "protocol change", "escort"} {
		if st.Actions[action] == 0 {
			t.Errorf("the year had no %q", action)
		}
	}
	if st.Checks < 1000 {
		t.Errorf("%d checks, want one after every action", st.Checks)
	}
}

// TestSoak lives a 40-staff clinic through five years (make soak): set
// KAPBOOK_SOAK_YEARS to run it, checking after every simulated day.
func TestSoak(t *testing.T) {
	years, _ := strconv.Atoi(os.Getenv("KAPBOOK_SOAK_YEARS"))
	if years <= 0 {
		t.Skip("KAPBOOK_SOAK_YEARS is not set (make soak)")
	}
	path := filepath.Join(t.TempDir(), "clinic.db")
	checked := map[string]int{}
	start, _ := booking.ParseDate("2027-01-04")
	began := time.Now()
	progress := func(day booking.Date, st *clinicsim.Stats) {
		if st.Days%30 == 0 {
			t.Logf("%s: %d days, %d checks, %s so far", day, st.Days, st.Checks, time.Since(began).Round(time.Second))
		}
	}
	st, err := clinicsim.Run(context.Background(), clinicsim.Config{Path: path, Seed: 7, Start: start, Days: 365 * years, Staff: 40,
		NewPerWeek: 16, Check: checker(t, path, checked), CheckDaily: true, Progress: progress})
	report(t, st, checked)
	t.Logf("%d years in %s", years, time.Since(began).Round(time.Second))
	if err != nil {
		t.Fatal(err)
	}
}

// report prints the counts per action and per rule checked.
func report(t testing.TB, st *clinicsim.Stats, checked map[string]int) {
	if st == nil {
		return
	}
	t.Logf("%d days, %d appointments, %d checks", st.Days, st.Appointments, st.Checks)
	for _, k := range slices.Sorted(keys(st.Actions, st.Refused)) {
		t.Logf("  %-22s %6d done %6d refused", k, st.Actions[k], st.Refused[k])
	}
	for _, k := range slices.Sorted(keys(checked, nil)) {
		t.Logf("  rule %-17s checked %9d times", k, checked[k])
	}
}

func keys(a, b map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, m := range []map[string]int{a, b} {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					if !yield(k) {
						return
					}
				}
			}
		}
	}
}
