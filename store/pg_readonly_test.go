package store

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/kapbook/kapbook/booking"
	"github.com/kapbook/kapbook/internal/pgtest"
)

// TestPostgres_ReadOnlyLogin: a login that may only SELECT opens the
// clinic's database and reads it; every change is refused with words and
// changes nothing (issue 13, item 11).
func TestPostgres_ReadOnlyLogin(t *testing.T) {
	db, full := pgDB(t)
	f := MustFixture(t, db)
	ctx := context.Background()
	u, err := url.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	role := "reader_" + strings.TrimPrefix(u.Path, "/")
	pgtest.Exec(t, full, `CREATE ROLE `+role+` LOGIN;
GRANT USAGE ON SCHEMA public TO `+role+`;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO `+role+`;`)
	t.Cleanup(func() {
		pgtest.Psql(full, "DROP OWNED BY "+role+"; DROP ROLE "+role)
	})
	u.User = url.User(role)
	ro, err := Open(u.String())
	if err != nil {
		t.Fatalf("a login that may only read cannot open the database: %v", err)
	}
	defer ro.Close()
	got, err := ro.Patient(ctx, f.patient.ID)
	if err != nil || got.Name != f.patient.Name {
		t.Fatalf("read patient %d: %+v, %v", f.patient.ID, got, err)
	}
	err = ro.Update(ctx, func(tx booking.Tx) error {
		return tx.AddAudit(ctx, &booking.AuditEntry{Actor: "desk", Action: "note"})
	})
	if booking.ErrorCode(err) != booking.ESTORE || !strings.Contains(booking.ErrorMessage(err), "nothing was changed") {
		t.Fatalf("a write as the reader: %v (%s), want ESTORE saying nothing was changed", err, booking.ErrorCode(err))
	}
	if strings.Contains(booking.ErrorMessage(err), "Internal error") || errors.Is(err, context.Canceled) {
		t.Fatalf("a write as the reader: %q", booking.ErrorMessage(err))
	}
	all, err := db.Audit(ctx, booking.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if e.Action == "note" {
			t.Fatal("the reader's write was stored")
		}
	}
}
