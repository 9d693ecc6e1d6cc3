package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// Outbox implements booking.Reader.
func (r *reader) Outbox(ctx context.Context, f booking.OutboxFilter) ([]*booking.OutboxMessage, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	q, args := outboxQuery(f)
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, r.mapErr("outbox", err)
	}
	defer rows.Close()
	out := []*booking.OutboxMessage{}
	for rows.Next() {
		var m booking.OutboxMessage
		var series, appt sql.NullInt64
		var due, next, created, updated int64
		var changed string
		if err := rows.Scan(&m.ID, &m.Kind, &m.PatientID, &series, &appt, &m.State, &due, &m.Attempts, &next,
			&m.LastError, &m.MessageID, &created, &updated, &m.Note, &changed, &m.SentCopy); err != nil {
			return nil, r.mapErr("outbox", err)
		}
		if m.Changed, err = parseIDs(changed); err != nil {
			return nil, booking.Errorf(booking.ESTORE, "Outbox message %d is damaged in the database (its changed appointments); restore a backup.", m.ID)
		}
		m.SeriesID, m.AppointmentID = series.Int64, appt.Int64
		m.Due, m.Created, m.Updated = time.Unix(due, 0).In(loc), time.Unix(created, 0).In(loc), time.Unix(updated, 0).In(loc)
		if next != 0 {
			m.NextAttempt = time.Unix(next, 0).In(loc)
		}
		out = append(out, &m)
	}
	return out, r.mapErr("outbox", rows.Err())
}

// AddOutbox implements booking.Tx. A zero Created or Updated is set to now.
func (t *tx) AddOutbox(ctx context.Context, m *booking.OutboxMessage) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.ID != 0 {
		return booking.Errorf(booking.EINVALID, "Outbox message %d is queued already.", m.ID)
	}
	refs := newRefs(t)
	if err := refs.need(ctx, "patients", m.PatientID); err != nil {
		return err
	}
	for table, id := range map[string]int64{"series": m.SeriesID, "appointments": m.AppointmentID} {
		if id == 0 {
			continue
		}
		if err := refs.need(ctx, table, id); err != nil {
			return err
		}
	}
	n := now()
	if m.Created.IsZero() {
		m.Created = n
	}
	if m.Updated.IsZero() {
		m.Updated = m.Created
	}
	stmt, err := t.prepared(ctx, `INSERT INTO outbox (kind, patient_id, series_id, appointment_id, state, due, attempts, next_attempt,
			last_error, message_id, created, updated, note, changed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return t.mapErr("add outbox", err)
	}
	var id int64
	err = stmt.QueryRowContext(ctx,
		m.Kind, m.PatientID, nullID(m.SeriesID), nullID(m.AppointmentID), m.State, m.Due.Unix(), m.Attempts, unixOrZero(m.NextAttempt),
		m.LastError, m.MessageID, m.Created.Unix(), m.Updated.Unix(), m.Note, formatIDs(m.Changed)).Scan(&id)
	if err != nil {
		return t.mapErr("add outbox", err)
	}
	m.ID = id
	return nil
}

// UpdateOutbox implements booking.Tx. A zero Updated is set to now.
func (t *tx) UpdateOutbox(ctx context.Context, m *booking.OutboxMessage) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if m.Updated.IsZero() {
		m.Updated = now()
	}
	n, err := t.updateOutbox(ctx, m)
	if err != nil {
		return t.mapErr("update outbox", err)
	} else if n == 0 {
		return booking.Errorf(booking.ENOTFOUND, "There is no outbox message with id %d.", m.ID)
	}
	return nil
}

// UpdateClaimedOutbox implements booking.Tx.
func (t *tx) UpdateClaimedOutbox(ctx context.Context, m *booking.OutboxMessage) (bool, error) {
	if err := m.Validate(); err != nil {
		return false, err
	}
	if m.Updated.IsZero() {
		m.Updated = now()
	}
	// Due and attempts stay as claimed: leaving them out of SET spares
	// SQLite rewriting the two indexes on due with every outcome
	// (docs/benchmarks.md, Email).
	res, err := t.q.ExecContext(ctx, `UPDATE outbox SET state = ?, next_attempt = ?, last_error = ?, message_id = ?, note = ?,
			updated = ?, sent_copy = COALESCE(?, sent_copy)
		WHERE id = ? AND state = 'sending' AND attempts = ?`,
		m.State, unixOrZero(m.NextAttempt), m.LastError, m.MessageID, m.Note, m.Updated.Unix(), nonEmpty(m.SentCopy), m.ID, m.Attempts)
	if err != nil {
		return false, t.mapErr("update outbox", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, t.mapErr("update outbox", err)
	}
	return n == 1, nil
}

// nonEmpty is b, or nil (SQL NULL) when b is empty.
func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// updateOutbox stores m's changing fields (a NULL copy keeps the stored
// one) and returns the rows changed.
func (t *tx) updateOutbox(ctx context.Context, m *booking.OutboxMessage) (int64, error) {
	res, err := t.q.ExecContext(ctx, `UPDATE outbox SET state = ?, due = ?, attempts = ?, next_attempt = ?, last_error = ?,
			message_id = ?, note = ?, updated = ?, sent_copy = COALESCE(?, sent_copy)
		WHERE id = ?`,
		m.State, m.Due.Unix(), m.Attempts, unixOrZero(m.NextAttempt), m.LastError, m.MessageID, m.Note,
		m.Updated.Unix(), nonEmpty(m.SentCopy), m.ID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// formatIDs stores ids as "3,4,9".
func formatIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// parseIDs reads what formatIDs stored.
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var ids []int64
	for _, f := range strings.Split(s, ",") {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// unixOrZero stores the zero time as 0.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// outboxQuery returns the query that reads the messages f selects, and its
// arguments.
func outboxQuery(f booking.OutboxFilter) (string, []any) {
	q := `SELECT id, kind, patient_id, series_id, appointment_id, state, due, attempts, next_attempt, last_error, message_id, created, updated, note, changed, NULL
		FROM outbox WHERE 1 = 1`
	if f.WithCopy {
		q = strings.Replace(q, "changed, NULL", "changed, sent_copy", 1)
	}
	var args []any
	if f.ID != 0 {
		q += " AND id = ?"
		args = append(args, f.ID)
	}
	if f.State != "" {
		// With an appointment, series or patient, their index finds the
		// few rows; left to itself SQLite would walk every message of the
		// state through outbox_state_due (an expression over state, which
		// PostgreSQL also accepts, keeps it off).
		if f.AppointmentID != 0 || f.SeriesID != 0 || f.PatientID != 0 {
			q += " AND (state || '') = ?"
		} else {
			q += " AND state = ?"
		}
		args = append(args, f.State)
	}
	if f.PatientID != 0 {
		q += " AND patient_id = ?"
		args = append(args, f.PatientID)
	}
	if f.SeriesID != 0 {
		q += " AND series_id = ?"
		args = append(args, f.SeriesID)
	}
	if f.AppointmentID != 0 {
		q += " AND appointment_id = ?"
		args = append(args, f.AppointmentID)
	}
	if !f.DueFrom.IsZero() {
		q += " AND due >= ?"
		args = append(args, f.DueFrom.Unix())
	}
	if !f.DueBefore.IsZero() {
		q += " AND due < ?"
		args = append(args, f.DueBefore.Unix())
	}
	q += " ORDER BY due, id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return q, args
}
