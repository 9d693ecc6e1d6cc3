package pgtest_test

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapbook/kapbook/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// schema is what the PostgreSQL store will lean on: btree_gist lets one
// exclusion constraint refuse two visits of the same staff member whose
// times overlap.
const schema = `
CREATE EXTENSION btree_gist;
CREATE TABLE visit (
	id     int PRIMARY KEY,
	staff  text NOT NULL,
	during tstzrange NOT NULL,
	EXCLUDE USING gist (staff WITH =, during WITH &&)
);
INSERT INTO visit VALUES (1, 'ana', '[2026-03-02 09:00+01, 2026-03-02 10:00+01)');
`

func TestShared(t *testing.T) {
	first, second := pgtest.Shared(t), pgtest.Shared(t)
	if first == second {
		t.Fatalf("two databases at one URL, %s", first)
	}
	for _, url := range []string{first, second} {
		if !strings.HasPrefix(url, "postgres://kap@127.0.0.1:") || !strings.HasSuffix(url, "?sslmode=disable") {
			t.Fatalf("url=%s, want postgres://kap@127.0.0.1:PORT/DB?sslmode=disable", url)
		}
	}
	pgtest.Exec(t, first, schema)

	for _, tt := range []struct {
		name, staff, during string
		refused             bool
	}{
		{"ErrOverlap", "ana", "[2026-03-02 09:30+01, 2026-03-02 10:30+01)", true},
		{"ErrInside", "ana", "[2026-03-02 09:15+01, 2026-03-02 09:45+01)", true},
		{"OKAdjacent", "ana", "[2026-03-02 10:00+01, 2026-03-02 11:00+01)", false},
		{"OKOtherStaff", "ben", "[2026-03-02 09:30+01, 2026-03-02 10:30+01)", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := count(t, first)
			_, err := pgtest.Psql(first, "INSERT INTO visit VALUES ("+strconv.Itoa(before+1)+", '"+tt.staff+"', '"+tt.during+"')")
			switch {
			case tt.refused && err == nil:
				t.Fatalf("overlapping visit of %s %s accepted", tt.staff, tt.during)
			case tt.refused && !strings.Contains(err.Error(), "conflicting key value violates exclusion constraint"):
				t.Fatalf("err=%v, want an exclusion constraint violation", err)
			case !tt.refused && err != nil:
				t.Fatalf("visit of %s %s refused: %v", tt.staff, tt.during, err)
			}
			want := before + 1
			if tt.refused {
				want = before
			}
			if got := count(t, first); got != want {
				t.Fatalf("visits=%d, want %d", got, want)
			}
		})
	}

	t.Run("SecondDatabaseIsEmpty", func(t *testing.T) {
		if _, err := pgtest.Psql(second, "SELECT count(*) FROM visit"); err == nil || !strings.Contains(err.Error(), `relation "visit" does not exist`) {
			t.Fatalf("err=%v, want visit missing from the second database", err)
		}
		// btree_gist is there for every database, not only the first.
		pgtest.Exec(t, second, "CREATE EXTENSION btree_gist")
	})
}

func count(t *testing.T, url string) int {
	t.Helper()
	out := pgtest.Exec(t, url, "SELECT count(*) FROM visit")
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("count: %q: %v", out, err)
	}
	return n
}

func TestStart(t *testing.T) {
	begin := time.Now()
	s := pgtest.Start(t)
	t.Logf("initdb and start took %v", time.Since(begin).Round(time.Millisecond))

	url := s.CreateDB(t)
	if got := strings.TrimSpace(pgtest.Exec(t, url, "SHOW server_encoding")); got != "UTF8" {
		t.Fatalf("server_encoding=%s, want UTF8", got)
	}
	if got := strings.TrimSpace(pgtest.Exec(t, url, "SELECT current_user")); got != pgtest.User {
		t.Fatalf("current_user=%s, want %s", got, pgtest.User)
	}

	t.Run("StopRemovesEverything", func(t *testing.T) {
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
			t.Fatalf("after Stop, stat %s: %v, want not exist", s.Dir, err)
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.Port)); err == nil {
			c.Close()
			t.Fatalf("after Stop, port %d still accepts connections", s.Port)
		}
		if err := s.Stop(); err != nil {
			t.Fatalf("second Stop: %v", err)
		}
	})
}
