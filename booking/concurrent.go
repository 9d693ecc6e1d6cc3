package booking

import (
	"context"
	"fmt"
	"strings"
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
		names = append(names, seriesWords(sr, c))
	}
	return nil, Errorf(ECONFLICT, "%s already has an active series: %s. To book another beside it, give the reason (kapctl book --reason, or Reason in the app); for a missed session book a make-up instead (kapctl makeup --appointment ID).",
		pat.Name, strings.Join(names, "; "))
}

// seriesWords describes a series for the front desk: "series 3
// (kap-standard, 12 appointments to come, the next on Mon 14 Dec 08:00)".
func seriesWords(sr *Series, c *Clinic) string {
	n := 0
	var next *Appointment
	for _, a := range sr.Appts {
		if a.Status == Booked || a.Status == Arrived {
			n++
			if next == nil || a.Start.Before(next.Start) {
				next = a
			}
		}
	}
	what := sr.ProtocolID
	if sr.Step != "" {
		what += " " + sr.Step
	}
	if next == nil {
		return fmt.Sprintf("series %d (%s)", sr.ID, what)
	}
	return fmt.Sprintf("series %d (%s, %s to come, the next on %s)", sr.ID, what, count(n, "appointments"), next.Start.In(c.Location()).Format("Mon 2 Jan 15:04"))
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
