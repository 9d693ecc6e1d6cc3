package resources

import (
	"context"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// InitDemo fills a new database with the demo clinic, its staff and rooms,
// and the default protocols, in one transaction.
func InitDemo(ctx context.Context, st booking.Store, actor string, now time.Time) error {
	f, err := booking.ParseClinicFile(DemoClinic)
	if err != nil {
		return err
	}
	ps, err := booking.LoadProtocols(Protocols, "protocols")
	if err != nil {
		return err
	}
	return booking.InitClinic(ctx, st, f, ps, actor, now)
}
