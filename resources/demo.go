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

// SamplePatient is a fictional demo patient and the protocol booked for
// them.
type SamplePatient struct {
	Name, Email, Protocol string
}

// SamplePatients are the demo clinic's fictional patients, in the order
// kapctl init --with-patients and the app's demo clinic add them.
var SamplePatients = []SamplePatient{
	{"Avery Quinn", "avery.quinn@example.org", "kap-standard"},
	{"Blake Morgan", "blake.morgan@example.org", "kap-iv"},
	{"Casey Rivera", "casey.rivera@example.org", "kap-standard"},
	{"Devon Brooks", "devon.brooks@example.org", "esketamine-induction"},
	{"Emery Patel", "emery.patel@example.org", "kap-standard"},
	{"Finley Chen", "finley.chen@example.org", "kap-iv"},
	{"Gray Okoro", "gray.okoro@example.org", "kap-standard"},
	{"Harper Lund", "harper.lund@example.org", "kap-standard"},
}

// BookSamples adds the first n SamplePatients through svc and books each
// one's series from the day from, marking the esketamine patient
// REMS-enrolled first. It returns how many appointments it booked. It
// returns EINVALID when n is more than len(SamplePatients).
func BookSamples(ctx context.Context, svc *booking.Service, n int, from booking.Date) (int, error) {
	if n < 0 || n > len(SamplePatients) {
		return 0, booking.Errorf(booking.EINVALID, "The demo clinic has 0 to %d sample patients.", len(SamplePatients))
	}
	booked := 0
	for _, sp := range SamplePatients[:n] {
		p := &booking.Patient{Name: sp.Name, Email: sp.Email}
		if err := svc.AddPatient(ctx, p); err != nil {
			return booked, err
		}
		if sp.Protocol == "esketamine-induction" {
			if _, err := svc.SetConsent(ctx, p.ID, "rems-enrolled", &from); err != nil {
				return booked, err
			}
		}
		s, err := svc.BookSeries(ctx, booking.BookRequest{PatientID: p.ID, ProtocolID: sp.Protocol, From: from})
		if err != nil {
			return booked, err
		}
		booked += len(s.Appts)
	}
	return booked, nil
}
