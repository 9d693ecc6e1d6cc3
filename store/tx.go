package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// tx is a write transaction on one connection; see DB.Update.
type tx struct {
	reader
	conn  *sql.Conn
	known map[string]bool // rows known to exist in this transaction (nothing is deleted)
	// touched holds the appointments whose blocks this transaction wrote.
	touched map[int64]bool
	stmts   map[string]*sql.Stmt // statements prepared in this transaction
	// cache, when the transaction runs on the DB's writer (writer.go),
	// keeps statements across transactions; its conn is nil otherwise.
	cache stmtConn
}

// prepare prepares q on the transaction's connection, its parameters
// numbered for PostgreSQL there.
func (t *tx) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if t.pg {
		q = rebind(q)
	}
	return t.conn.PrepareContext(ctx, q)
}

// prepared returns q prepared once for the transaction.
func (t *tx) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := t.stmts[q]; st != nil {
		return st, nil
	}
	if t.cache.conn != nil {
		if st, err := t.cache.stmt(ctx, q); st != nil || err != nil {
			return st, err // the writer's: closed with it, not with t
		}
	}
	st, err := t.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

// remember records that a row was just inserted, so checks later in the
// transaction need not look it up.
func (t *tx) remember(table string, id int64) { newRefs(t).seen[fmt.Sprint(table, id)] = true }

// close releases the transaction's prepared statements.
func (t *tx) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}

// now returns the current time to the second, as the store keeps it.
func now() time.Time { return time.Unix(time.Now().Unix(), 0) }

// SaveClinic implements booking.Tx.
func (t *tx) SaveClinic(ctx context.Context, c *booking.Clinic) error {
	if c == nil {
		return booking.Errorf(booking.EINVALID, "The clinic settings are missing.")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: save clinic: %w", err)
	}
	if t.zone != nil {
		*t.zone = "" // the zone may change: read it again
	}
	_, err = t.q.ExecContext(ctx, `INSERT INTO clinic (id, time_zone, data) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone, data = excluded.data`,
		c.TimeZone, string(data))
	return t.mapErr("save clinic", err)
}

// SaveStaff implements booking.Tx.
func (t *tx) SaveStaff(ctx context.Context, s *booking.Staff) error {
	if s == nil {
		return booking.Errorf(booking.EINVALID, "The staff member is missing.")
	}
	if err := s.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("store: save staff: %w", err)
	}
	return t.save(ctx, "staff", "staff member", &s.ID, s.Name, string(data))
}

// SaveRoom implements booking.Tx.
func (t *tx) SaveRoom(ctx context.Context, r *booking.Room) error {
	if r == nil {
		return booking.Errorf(booking.EINVALID, "The room is missing.")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: save room: %w", err)
	}
	return t.save(ctx, "rooms", "room", &r.ID, r.Name, string(data))
}

// save inserts (id 0, which is then set) or updates a row of a table with
// columns id, name and data.
func (t *tx) save(ctx context.Context, table, what string, id *int64, name, data string) error {
	if *id == 0 {
		var newID int64
		err := t.q.QueryRowContext(ctx, "INSERT INTO "+table+" (name, data) VALUES (?, ?) RETURNING id", name, data).Scan(&newID)
		if err != nil {
			return t.mapErr("save "+what, err)
		}
		*id = newID
		return nil
	}
	res, err := t.q.ExecContext(ctx, "UPDATE "+table+" SET name = ?, data = ? WHERE id = ?", name, data, *id)
	return t.mustAffect(res, err, "save "+what, "There is no %s with id %d.", what, *id)
}

// mustAffect returns ENOTFOUND with the message if an update changed no row.
func (t *tx) mustAffect(res sql.Result, err error, op, format string, args ...any) error {
	if err != nil {
		return t.mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return t.mapErr(op, err)
	} else if n == 0 {
		return booking.Errorf(booking.ENOTFOUND, format, args...)
	}
	return nil
}

// SaveProtocol implements booking.Tx.
func (t *tx) SaveProtocol(ctx context.Context, p *booking.Protocol) error {
	if p == nil {
		return booking.Errorf(booking.EINVALID, "The protocol is missing.")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	var latest int
	err := t.q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM protocol_versions WHERE protocol_id = ?", p.ID).Scan(&latest)
	if err != nil {
		return t.mapErr("save protocol", err)
	}
	version := latest + 1
	cp := *p
	cp.Version = version
	data, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("store: save protocol: %w", err)
	}
	_, err = t.q.ExecContext(ctx, `INSERT INTO protocols (id, version, data) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, data = excluded.data`, p.ID, version, string(data))
	if err != nil {
		return t.mapErr("save protocol", err)
	}
	_, err = t.q.ExecContext(ctx, "INSERT INTO protocol_versions (protocol_id, version, data, created) VALUES (?, ?, ?, ?)",
		p.ID, version, string(data), now().Unix())
	if err != nil {
		return t.mapErr("save protocol", err)
	}
	p.Version = version
	return nil
}

// SavePatient implements booking.Tx. A new patient's Created is set to now
// if it is zero; an update leaves the stored Created as it was.
func (t *tx) SavePatient(ctx context.Context, p *booking.Patient) error {
	if p == nil {
		return booking.Errorf(booking.EINVALID, "The patient is missing.")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	prefs, err := json.Marshal(p.Preferences)
	if err != nil {
		return fmt.Errorf("store: save patient: %w", err)
	}
	consents, err := json.Marshal(p.Consents)
	if err != nil {
		return fmt.Errorf("store: save patient: %w", err)
	}
	nameKey, key := strings.ToLower(p.Name), searchKey(p)
	if p.ID != 0 {
		res, err := t.q.ExecContext(ctx, `UPDATE patients SET name = ?, email = ?, phone = ?, preferences = ?, consents = ?,
			name_key = ?, search_key = ? WHERE id = ?`,
			p.Name, p.Email, p.Phone, string(prefs), string(consents), nameKey, key, p.ID)
		return t.mustAffect(res, err, "save patient", "There is no patient with id %d.", p.ID)
	}
	created := p.Created
	if created.IsZero() {
		created = now()
	}
	var id int64
	err = t.q.QueryRowContext(ctx, `INSERT INTO patients (name, email, phone, preferences, consents, created, name_key, search_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.Name, p.Email, p.Phone, string(prefs), string(consents), created.Unix(), nameKey, key).Scan(&id)
	if err != nil {
		return t.mapErr("save patient", err)
	}
	p.ID, p.Created = id, created
	return nil
}

// CreateSeries implements booking.Tx. Each appointment gets the series' id,
// and its patient if it has none; Created times that are zero are set to now.
// Returns ENOTFOUND if the patient, protocol, therapist, a staff member or a
// room does not exist. On error no id is set.
func (t *tx) CreateSeries(ctx context.Context, s *booking.Series) (err error) {
	if s == nil {
		return booking.Errorf(booking.EINVALID, "The series is missing.")
	}
	if s.ID != 0 {
		return booking.Errorf(booking.EINVALID, "Series %d is stored already.", s.ID)
	}
	if s.PatientID <= 0 {
		return booking.Errorf(booking.EINVALID, "A series needs a patient.")
	}
	refs := newRefs(t)
	if err := refs.need(ctx, "patients", s.PatientID); err != nil {
		return err
	}
	if s.ProtocolVersion == 0 {
		var v int
		if err := t.q.QueryRowContext(ctx, "SELECT version FROM protocols WHERE id = ?", s.ProtocolID).Scan(&v); err == nil {
			s.ProtocolVersion = v
		}
	}
	if err := refs.protocol(ctx, s.ProtocolID, s.ProtocolVersion); err != nil {
		return err
	}
	if s.TherapistID != 0 {
		if err := refs.need(ctx, "staff", s.TherapistID); err != nil {
			return err
		}
	}
	for _, a := range s.Appts {
		if a == nil {
			return booking.Errorf(booking.EINVALID, "An appointment of the series is missing.")
		}
		if a.PatientID != 0 && a.PatientID != s.PatientID {
			return booking.Errorf(booking.EINVALID, "An appointment of the series belongs to another patient.")
		}
		if a.ID != 0 {
			return booking.Errorf(booking.EINVALID, "Appointment %d is stored already.", a.ID)
		}
		b := *a
		b.PatientID = s.PatientID
		if err := b.ValidateNew(); err != nil {
			return err
		}
		if err := refs.appointment(ctx, &b); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil { // leave the caller's values as they were
			s.ID = 0
			for _, a := range s.Appts {
				a.ID, a.SeriesID = 0, 0
			}
		}
	}()
	created := s.Created
	if created.IsZero() {
		created = now()
	}
	therapist := sql.NullInt64{Int64: s.TherapistID, Valid: s.TherapistID != 0}
	err = t.q.QueryRowContext(ctx, `INSERT INTO series (patient_id, protocol_id, protocol_version, therapist_id, from_date, step, created)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.PatientID, s.ProtocolID, s.ProtocolVersion, therapist, s.From.String(), s.Step, created.Unix()).Scan(&s.ID)
	if err != nil {
		return t.mapErr("create series", err)
	}
	s.Created = created
	t.remember("series", s.ID)
	// One prepared insert for the appointments, then one statement each for
	// all their staff and all their blocks: booking a series stays quick.
	stmt, err := t.prepare(ctx, insertAppointmentSQL)
	if err != nil {
		return t.mapErr("create appointment", err)
	}
	defer stmt.Close()
	for _, a := range s.Appts {
		a.SeriesID, a.PatientID = s.ID, s.PatientID
		if err := t.insertRow(ctx, stmt, a); err != nil {
			return err
		}
	}
	return t.writeStaffAndBlocks(ctx, s.Appts)
}

// CreateAppointment implements booking.Tx. Zero Created and Updated times
// are set to now. Returns ENOTFOUND if the patient, series, a staff member
// or the room does not exist, and EINVALID if the series is another
// patient's.
func (t *tx) CreateAppointment(ctx context.Context, a *booking.Appointment) error {
	if a == nil {
		return booking.Errorf(booking.EINVALID, "The appointment is missing.")
	}
	if a.ID != 0 {
		return booking.Errorf(booking.EINVALID, "Appointment %d is stored already.", a.ID)
	}
	if err := a.ValidateNew(); err != nil {
		return err
	}
	refs := newRefs(t)
	if err := refs.need(ctx, "patients", a.PatientID); err != nil {
		return err
	}
	if a.SeriesID != 0 {
		var patient int64
		err := t.q.QueryRowContext(ctx, "SELECT patient_id FROM series WHERE id = ?", a.SeriesID).Scan(&patient)
		if errors.Is(err, sql.ErrNoRows) {
			return booking.Errorf(booking.ENOTFOUND, "There is no series with id %d.", a.SeriesID)
		} else if err != nil {
			return t.mapErr("create appointment", err)
		} else if patient != a.PatientID {
			return booking.Errorf(booking.EINVALID, "Series %d belongs to another patient.", a.SeriesID)
		}
	}
	if err := refs.appointment(ctx, a); err != nil {
		return err
	}
	if a.MakeupOf != 0 {
		if err := refs.need(ctx, "appointments", a.MakeupOf); err != nil {
			return err
		}
	}
	return t.insertAppointment(ctx, a)
}

const insertAppointmentSQL = `INSERT INTO appointments (series_id, patient_id, step, kind, idx, count, seq,
		start_unix, end_unix, room_id, room_name, room_before, room_after, staff_before, staff_after,
		status, escort, reason, sequence, created, updated, needs_rems, cancelled_by, late_minutes, makeup_of, escort_needed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// insertAppointment inserts a validated appointment with its staff and
// blocks, setting its id.
func (t *tx) insertAppointment(ctx context.Context, a *booking.Appointment) error {
	stmt, err := t.prepare(ctx, insertAppointmentSQL)
	if err != nil {
		return t.mapErr("create appointment", err)
	}
	defer stmt.Close()
	if err := t.insertRow(ctx, stmt, a); err != nil {
		return err
	}
	return t.writeStaffAndBlocks(ctx, []*booking.Appointment{a})
}

// insertRow inserts the appointment's own row with the prepared
// insertAppointmentSQL, setting its id.
func (t *tx) insertRow(ctx context.Context, stmt *sql.Stmt, a *booking.Appointment) error {
	if a.Created.IsZero() {
		a.Created = now()
	}
	if a.Updated.IsZero() {
		a.Updated = a.Created
	}
	escort, err := escortJSON(a.Escort)
	if err != nil {
		return err
	}
	err = stmt.QueryRowContext(ctx,
		nullID(a.SeriesID), a.PatientID, a.Step, a.Kind, a.Index, a.Count, a.Seq,
		a.Start.Unix(), a.End.Unix(), nullID(a.RoomID), a.RoomName,
		a.Holds.RoomBefore, a.Holds.RoomAfter, a.Holds.StaffBefore, a.Holds.StaffAfter,
		string(a.Status), escort, a.Reason, a.Sequence, a.Created.Unix(), a.Updated.Unix(), a.NeedsREMS,
		string(a.CancelledBy), a.LateMinutes, nullID(a.MakeupOf), a.EscortNeeded).Scan(&a.ID)
	if err == nil {
		t.remember("appointments", a.ID)
	}
	return t.mapErr("create appointment", err)
}

// writeStaffAndBlocks stores the staff and the blocks of new appointments,
// one statement for each.
func (t *tx) writeStaffAndBlocks(ctx context.Context, appts []*booking.Appointment) error {
	var staff, blocks []any
	for _, a := range appts {
		for i, s := range a.Staff {
			staff = append(staff, a.ID, i, s.StaffID, s.Name, string(s.Role))
		}
		for _, b := range a.Blocks() {
			blocks = append(blocks, a.ID, string(b.Resource.Kind), b.Resource.ID, b.Start, b.End)
		}
	}
	for _, a := range appts {
		t.touch(a.ID)
	}
	if len(staff) > 0 {
		q := "INSERT INTO appointment_staff (appointment_id, position, staff_id, name, role) VALUES " + values(len(staff)/5, 5)
		if _, err := t.q.ExecContext(ctx, q, staff...); err != nil {
			return t.mapErr("appointment staff", err)
		}
	}
	if len(blocks) > 0 {
		q := "INSERT INTO blocks (appointment_id, resource_kind, resource_id, start_unix, end_unix) VALUES " + values(len(blocks)/5, 5)
		if _, err := t.q.ExecContext(ctx, q, blocks...); err != nil {
			return t.mapErr("blocks", err)
		}
	}
	return nil
}

// UpdateAppointment implements booking.Tx. A zero Updated time is set to
// now. Returns ENOTFOUND if the appointment, a staff member or the room
// does not exist.
func (t *tx) UpdateAppointment(ctx context.Context, a *booking.Appointment) error {
	if a == nil {
		return booking.Errorf(booking.EINVALID, "The appointment is missing.")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if err := newRefs(t).appointment(ctx, a); err != nil {
		return err
	}
	updated := a.Updated
	if updated.IsZero() {
		updated = now()
	}
	escort, err := escortJSON(a.Escort)
	if err != nil {
		return err
	}
	h := a.Holds
	res, err := t.q.ExecContext(ctx, `UPDATE appointments SET start_unix = ?, end_unix = ?, room_id = ?, room_name = ?,
		room_before = ?, room_after = ?, staff_before = ?, staff_after = ?,
		status = ?, escort = ?, reason = ?, sequence = ?, updated = ?, cancelled_by = ?, late_minutes = ?
		WHERE id = ?`,
		a.Start.Unix(), a.End.Unix(), nullID(a.RoomID), a.RoomName, h.RoomBefore, h.RoomAfter, h.StaffBefore, h.StaffAfter,
		string(a.Status), escort, a.Reason, a.Sequence, updated.Unix(), string(a.CancelledBy), a.LateMinutes, a.ID)
	if err != nil {
		return t.mapErr("update appointment", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return t.mapErr("update appointment", err)
	} else if n == 0 {
		return booking.Errorf(booking.ENOTFOUND, "There is no appointment with id %d.", a.ID)
	}
	a.Updated = updated
	if err := t.writeStaff(ctx, a, true); err != nil {
		return err
	}
	return t.writeBlocks(ctx, a.ID, a.Blocks(), true)
}

// writeStaff stores the appointment's staff, replacing what was stored.
func (t *tx) writeStaff(ctx context.Context, a *booking.Appointment, replace bool) error {
	if replace {
		if _, err := t.q.ExecContext(ctx, "DELETE FROM appointment_staff WHERE appointment_id = ?", a.ID); err != nil {
			return t.mapErr("appointment staff", err)
		}
	}
	if len(a.Staff) == 0 {
		return nil
	}
	args := make([]any, 0, 5*len(a.Staff))
	for i, s := range a.Staff {
		args = append(args, a.ID, i, s.StaffID, s.Name, string(s.Role))
	}
	q := "INSERT INTO appointment_staff (appointment_id, position, staff_id, name, role) VALUES " + values(len(a.Staff), 5)
	_, err := t.q.ExecContext(ctx, q, args...)
	return t.mapErr("appointment staff", err)
}

// writeBlocks stores an appointment's blocks, replacing what was stored.
func (t *tx) writeBlocks(ctx context.Context, id int64, blocks []booking.Block, replace bool) error {
	if replace {
		if _, err := t.q.ExecContext(ctx, "DELETE FROM blocks WHERE appointment_id = ?", id); err != nil {
			return t.mapErr("blocks", err)
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	t.touch(id)
	args := make([]any, 0, 5*len(blocks))
	for _, b := range blocks {
		args = append(args, id, string(b.Resource.Kind), b.Resource.ID, b.Start, b.End)
	}
	q := "INSERT INTO blocks (appointment_id, resource_kind, resource_id, start_unix, end_unix) VALUES " + values(len(blocks), 5)
	_, err := t.q.ExecContext(ctx, q, args...)
	return t.mapErr("blocks", err)
}

// touch records that an appointment's blocks were written, for the check
// before commit.
func (t *tx) touch(id int64) {
	if t.touched == nil {
		t.touched = map[int64]bool{}
	}
	t.touched[id] = true
}

// checkFree refuses to commit blocks that put a person, a patient or a
// room in two appointments at once: any block of an appointment written in
// this transaction that overlaps another appointment's block. The booking
// rules never ask for that; this is the database's own guarantee, so no
// mistake above it can double-book (docs/architecture.md). It runs once,
// before commit, so a transaction may move several appointments through
// each other's old places. Each block is compared with the blocks that
// start in its window, through the covering index on start (an index by
// resource made every booking a millisecond slower to write than this
// check costs).
func (t *tx) checkFree(ctx context.Context) error {
	ids := slices.Sorted(maps.Keys(t.touched))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		q := `SELECT n.resource_kind, n.resource_id FROM blocks n JOIN blocks b
		ON b.resource_kind = n.resource_kind AND b.resource_id = n.resource_id
		AND b.start_unix < n.end_unix AND b.end_unix > n.start_unix
		AND b.start_unix > n.start_unix - (SELECT coalesce(max(end_unix - start_unix), 0) FROM blocks)
		AND b.appointment_id != n.appointment_id
		WHERE n.appointment_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `)
		LIMIT 1`
		var kind string
		var rid int64
		err := t.q.QueryRowContext(ctx, q, args...).Scan(&kind, &rid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return t.mapErr("blocks", err)
		}
		return doubleBooked(booking.Resource{Kind: booking.ResourceKind(kind), ID: rid})
	}
	return nil
}

// doubleBooked is the error for a write that would book r twice.
func doubleBooked(r booking.Resource) error {
	what := map[booking.ResourceKind]string{booking.StaffResource: "staff member", booking.RoomResource: "room", booking.PatientResource: "patient"}[r.Kind]
	return booking.Errorf(booking.ECONFLICT, "Nothing was saved: the %s with id %d would be in two appointments at once.", what, r.ID)
}

// values returns n groups of m placeholders: "(?, ?), (?, ?)".
func values(n, m int) string {
	group := "(" + strings.Repeat("?, ", m-1) + "?)"
	return strings.Repeat(group+", ", n-1) + group
}

// AddAudit implements booking.Tx. A zero At is set to now.
func (t *tx) AddAudit(ctx context.Context, e *booking.AuditEntry) error {
	if e == nil {
		return booking.Errorf(booking.EINVALID, "The audit entry is missing.")
	}
	if e.ID != 0 {
		return booking.Errorf(booking.EINVALID, "Audit entry %d is stored already.", e.ID)
	}
	if strings.TrimSpace(e.Action) == "" {
		return booking.Errorf(booking.EINVALID, "An audit entry needs an action.")
	}
	// The store stamps its own clock and the account that writes, whatever
	// clock and name the entry was given (docs/security.md, "The audit
	// trail").
	recorded, who := now(), osUser()
	at := e.At
	if at.IsZero() {
		at = recorded
	}
	var id int64
	err := t.q.QueryRowContext(ctx, `INSERT INTO audit (at, actor, action, patient_id, series_id, appointment_id, state_before, state_after, note, recorded, os_user)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		at.Unix(), e.Actor, e.Action, nullID(e.PatientID), nullID(e.SeriesID), nullID(e.AppointmentID), e.Before, e.After, e.Note, recorded.Unix(), who).Scan(&id)
	if err != nil {
		return t.mapErr("add audit", err)
	}
	e.ID, e.At, e.Recorded, e.OSUser = id, at, recorded, who
	return nil
}

// nullID stores id 0 as NULL.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// escortJSON returns the escort as JSON, or nil for none.
func escortJSON(e *booking.Escort) (any, error) {
	if e == nil {
		return nil, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("store: escort: %w", err)
	}
	return string(b), nil
}

// refs checks that referenced rows exist, each id once.
type refs struct {
	t    *tx
	seen map[string]bool
}

func newRefs(t *tx) *refs {
	if t.known == nil {
		t.known = map[string]bool{}
	}
	return &refs{t: t, seen: t.known}
}

// names are how ENOTFOUND messages call a table's rows.
var names = map[string]string{"patients": "patient", "staff": "staff member", "rooms": "room", "series": "series", "appointments": "appointment"}

// need returns ENOTFOUND unless table has a row with id.
func (r *refs) need(ctx context.Context, table string, id int64) error {
	key := fmt.Sprint(table, id)
	if r.seen[key] {
		return nil
	}
	var one int
	err := r.t.q.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return booking.Errorf(booking.ENOTFOUND, "There is no %s with id %d.", names[table], id)
	} else if err != nil {
		return r.t.mapErr("check "+names[table], err)
	}
	r.seen[key] = true
	return nil
}

// protocol returns ENOTFOUND unless the protocol exists in that version.
func (r *refs) protocol(ctx context.Context, id string, version int) error {
	var one int
	err := r.t.q.QueryRowContext(ctx, "SELECT 1 FROM protocol_versions WHERE protocol_id = ? AND version = ?", id, version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		if version > 1 {
			return booking.Errorf(booking.ENOTFOUND, "There is no version %d of protocol %q.", version, booking.Clip(id, 60))
		}
		return booking.Errorf(booking.ENOTFOUND, "There is no protocol with id %q.", booking.Clip(id, 60))
	}
	return r.t.mapErr("check protocol", err)
}

// appointment checks the appointment's staff and room.
func (r *refs) appointment(ctx context.Context, a *booking.Appointment) error {
	for _, s := range a.Staff {
		if err := r.need(ctx, "staff", s.StaffID); err != nil {
			return err
		}
	}
	if a.RoomID != 0 {
		return r.need(ctx, "rooms", a.RoomID)
	}
	return nil
}
