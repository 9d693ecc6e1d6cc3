package clinicsim_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/clinicsim"
	"github.com/kapbook/kapbook/internal/pgtest"
	"github.com/kapbook/kapbook/internal/rulecheck"
	"github.com/kapbook/kapbook/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// pgChecker returns a Check for a clinic on PostgreSQL: the independent
// checker reads SQLite's tables with its own SQL, so each check copies the
// database into a fresh SQLite file first (store.Copy, which proves the
// copy by row counts and checksums) and checks that.
func pgChecker(t testing.TB, url string, checked map[string]int) func(ctx context.Context) error {
	dir := t.TempDir()
	n := 0
	return func(ctx context.Context) error {
		src, err := store.Open(url)
		if err != nil {
			return err
		}
		defer src.Close()
		n++
		path := filepath.Join(dir, "copy"+strconv.Itoa(n)+".db")
		dst, err := store.Create(path)
		if err != nil {
			return err
		}
		_, err = store.Copy(ctx, src, dst)
		dst.Close()
		if err != nil {
			return err
		}
		defer os.Remove(path)
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			return err
		}
		defer db.Close()
		rep, err := rulecheck.NewChecker(db).Check(ctx)
		if err != nil {
			return err
		}
		return violations(rep, checked)
	}
}

// TestSimulatedYear_Postgres lives the demo clinic on PostgreSQL, checked
// after every simulated day: a quarter in a plain go test, the year in
// make test (KAPBOOK_SIM_DAYS=365), with zero broken rules.
func TestSimulatedYear_Postgres(t *testing.T) {
	days := 91
	if n, err := strconv.Atoi(os.Getenv("KAPBOOK_SIM_DAYS")); err == nil && n > 0 {
		days = n
	}
	if testing.Short() {
		days = 28
	}
	url := pgtest.Shared(t)
	checked := map[string]int{}
	start, _ := booking.ParseDate("2027-01-04")
	began := time.Now()
	st, err := clinicsim.Run(context.Background(), clinicsim.Config{Path: url, Seed: 1, Start: start, Days: days, NewPerWeek: 2,
		Check: pgChecker(t, url, checked), CheckDaily: true})
	report(t, st, checked)
	t.Logf("%d days on PostgreSQL in %s", days, time.Since(began).Round(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if st.Checks < days || st.Appointments == 0 {
		t.Fatalf("%d checks and %d appointments in %d days", st.Checks, st.Appointments, days)
	}
}
