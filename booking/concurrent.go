package booking

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// activeSeries returns the patient's active series: those with an
// appointment booked or under way. While there is one, another series is
// booked only with a reason (docs/protocols.md, "Several series"):
// without one it returns ECONFLICT naming the active series.
func (s *Service) activeSeries(ctx context.Context, r Reader, pat *Patient, reason string) ([]*Series, error) {
	if err := checkText("The reason for another series", reason, 500, false); err != nil {
		return nil, err
	}
	active, err := r.SeriesList(ctx, SeriesFilter{PatientID: pat.ID, Active: true})
	if err != nil || len(active) == 0 || strings.TrimSpace(reason) != "" {
		return active, err
	}
	c, err := r.Clinic(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range active {
		sr, err := r.Series(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		names = append(names, seriesWords(sr, c, s.now()))
	}
	return nil, Errorf(ECONFLICT, "%s already has an active series: %s. To book another beside it, give the reason (kapctl book --reason, or Reason in the app); for a missed session book a make-up instead (kapctl makeup --appointment ID).",
		pat.Name, strings.Join(names, "; "))
}

// seriesWords describes an active series for the front desk at now:
// "series 3 (kap-standard: 9 appointments to come from Wed 24 Mar 08:00,
// 4 past ones not marked yet)".
func seriesWords(sr *Series, c *Clinic, now time.Time) string {
	var next *Appointment
	future, unmarked := 0, 0
	for _, a := range sr.Appts {
		switch {
		case a.Status == Arrived || (a.Status == Booked && a.End.After(now)):
			future++
			if next == nil || a.Start.Before(next.Start) {
				next = a
			}
		case a.Status == Booked:
			unmarked++
		}
	}
	what := sr.ProtocolID
	if sr.Step != "" {
		what += " " + sr.Step
	}
	var parts []string
	if next != nil {
		parts = append(parts, fmt.Sprintf("%s to come from %s", count(future, "appointments"), next.Start.In(c.Location()).Format("Mon 2 Jan 15:04")))
	}
	if unmarked > 0 {
		parts = append(parts, fmt.Sprintf("%s not marked yet", count(unmarked, "past appointments")))
	}
	return fmt.Sprintf("series %d (%s: %s)", sr.ID, what, strings.Join(parts, ", "))
}

// auditConcurrent records, as an override, that series sr was booked
// beside the patient's active series for the reason given.
func (s *Service) auditConcurrent(ctx context.Context, tx Tx, sr *Series, active []*Series, reason string) error {
	if len(active) == 0 {
		return nil
	}
	ids := make([]string, len(active))
	for i, a := range active {
		ids[i] = fmt.Sprint(a.ID)
	}
	return appendAudit(ctx, tx, &AuditEntry{At: s.now(), Actor: s.Actor, Action: "override", PatientID: sr.PatientID, SeriesID: sr.ID,
		Note: fmt.Sprintf("%s (rule overridden: a second active series beside series %s)", strings.TrimSpace(reason), strings.Join(ids, ", "))})
}
