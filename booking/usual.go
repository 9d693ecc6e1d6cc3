package booking

import (
	"context"
	"slices"
)

// UsualProtocol returns the id of the protocol a new series for the
// patient most likely follows, for the front desk to preselect: the
// protocol of the patient's most recent series; for a patient without one
// (or patientID 0), the clinic's most booked protocol; when nothing is
// booked yet, the first protocol listed. Protocols no longer offered are
// passed over; "" when the clinic has none.
func (s *Service) UsualProtocol(ctx context.Context, patientID int64) (string, error) {
	protocols, err := s.Store.Protocols(ctx)
	if err != nil || len(protocols) == 0 {
		return "", err
	}
	offered := func(id string) bool {
		return slices.ContainsFunc(protocols, func(p *Protocol) bool { return p.ID == id })
	}
	if patientID != 0 {
		mine, err := s.Store.SeriesList(ctx, SeriesFilter{PatientID: patientID})
		if err != nil {
			return "", err
		}
		var last *Series
		for _, sr := range mine {
			if sr.Step != "" || !offered(sr.ProtocolID) {
				continue // an ad-hoc booking is not a course
			}
			if last == nil || sr.Created.After(last.Created) || (sr.Created.Equal(last.Created) && sr.ID > last.ID) {
				last = sr
			}
		}
		if last != nil {
			return last.ProtocolID, nil
		}
	}
	all, err := s.Store.SeriesList(ctx, SeriesFilter{})
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	for _, sr := range all {
		if sr.Step == "" {
			count[sr.ProtocolID]++
		}
	}
	best := protocols[0].ID
	for _, p := range protocols {
		if count[p.ID] > count[best] {
			best = p.ID
		}
	}
	return best, nil
}
