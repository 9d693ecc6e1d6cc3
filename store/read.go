package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/kapbook/kapbook/booking"
)

// querier is what *sql.DB (the pool) and *sql.Conn (a transaction's
// connection) have in common, so reads are written once for both.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader implements booking.Reader for DB and tx.
type reader struct {
	q    querier
	path string
	pg   bool // a PostgreSQL database (postgres.go), not a SQLite file
	// zone, in a transaction, keeps the clinic's time zone once read:
	// nothing else can change it meanwhile (SaveClinic forgets it), and
	// on a server every read is a round trip.
	zone *string
}

// Clinic implements booking.Reader.
func (r *reader) Clinic(ctx context.Context) (*booking.Clinic, error) {
	var data string
	err := r.q.QueryRowContext(ctx, "SELECT data FROM clinic WHERE id = 1").Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, booking.Errorf(booking.ENOTFOUND, "The clinic has not been set up yet.")
	} else if err != nil {
		return nil, r.mapErr("clinic", err)
	}
	var c booking.Clinic
	if err := unmarshal("clinic", data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// locations caches time zones by name; time.LoadLocation reads a file.
var locations sync.Map // string -> *time.Location

// location returns the clinic's time zone, or UTC before the clinic is set
// up. Returns ESTORE if this computer does not know the clinic's zone:
// never UTC in its place, which would show every time hours off.
func (r *reader) location(ctx context.Context) (*time.Location, error) {
	var tz string
	if r.zone != nil && *r.zone != "" {
		tz = *r.zone
	} else {
		err := r.q.QueryRowContext(ctx, "SELECT time_zone FROM clinic WHERE id = 1").Scan(&tz)
		if errors.Is(err, sql.ErrNoRows) {
			return time.UTC, nil
		} else if err != nil {
			return nil, r.mapErr("clinic time zone", err)
		}
		if r.zone != nil {
			*r.zone = tz
		}
	}
	if loc, ok := locations.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		// SaveClinic validated it, so this computer lacks it. Showing
		// every time in UTC instead would book patients at wrong hours.
		return nil, unknownZone(tz)
	}
	locations.Store(tz, loc)
	return loc, nil
}

// unknownZone returns the ESTORE error for a clinic time zone that this
// computer's zone data lacks.
func unknownZone(tz string) error {
	return booking.Errorf(booking.ESTORE, "This computer does not know the clinic's time zone %q, so kapbook cannot show or book times. Update kapbook (it carries its own zone data), or, if the clinic moved, set its time zone on a computer that knows it.", tz)
}

// StaffList implements booking.Reader.
func (r *reader) StaffList(ctx context.Context) ([]*booking.Staff, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT id, name, data FROM staff ORDER BY id")
	if err != nil {
		return nil, r.mapErr("staff", err)
	}
	defer rows.Close()
	out := []*booking.Staff{}
	for rows.Next() {
		var s booking.Staff
		var id int64
		var name, data string
		if err := rows.Scan(&id, &name, &data); err != nil {
			return nil, r.mapErr("staff", err)
		}
		if err := unmarshal("staff", data, &s); err != nil {
			return nil, err
		}
		s.ID, s.Name = id, name
		out = append(out, &s)
	}
	return out, r.mapErr("staff", rows.Err())
}

// Rooms implements booking.Reader.
func (r *reader) Rooms(ctx context.Context) ([]*booking.Room, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT id, name, data FROM rooms ORDER BY id")
	if err != nil {
		return nil, r.mapErr("rooms", err)
	}
	defer rows.Close()
	out := []*booking.Room{}
	for rows.Next() {
		var rm booking.Room
		var id int64
		var name, data string
		if err := rows.Scan(&id, &name, &data); err != nil {
			return nil, r.mapErr("rooms", err)
		}
		if err := unmarshal("room", data, &rm); err != nil {
			return nil, err
		}
		rm.ID, rm.Name = id, name
		out = append(out, &rm)
	}
	return out, r.mapErr("rooms", rows.Err())
}

// Protocols implements booking.Reader.
func (r *reader) Protocols(ctx context.Context) ([]*booking.Protocol, error) {
	rows, err := r.q.QueryContext(ctx, "SELECT id, version, data FROM protocols ORDER BY id")
	if err != nil {
		return nil, r.mapErr("protocols", err)
	}
	defer rows.Close()
	out := []*booking.Protocol{}
	for rows.Next() {
		var id, data string
		var version int
		if err := rows.Scan(&id, &version, &data); err != nil {
			return nil, r.mapErr("protocols", err)
		}
		var p booking.Protocol
		if err := unmarshal("protocol", data, &p); err != nil {
			return nil, err
		}
		p.ID, p.Version = id, version
		out = append(out, &p)
	}
	return out, r.mapErr("protocols", rows.Err())
}

// Protocol implements booking.Reader.
func (r *reader) Protocol(ctx context.Context, id string) (*booking.Protocol, error) {
	return r.protocol(ctx, "SELECT version, data FROM protocols WHERE id = ?", id, 0,
		"There is no protocol with id %q.", booking.Clip(id, 60))
}

// ProtocolVersion implements booking.Reader.
func (r *reader) ProtocolVersion(ctx context.Context, id string, version int) (*booking.Protocol, error) {
	return r.protocol(ctx, "SELECT version, data FROM protocol_versions WHERE protocol_id = ? AND version = ?", id, version,
		"There is no version %d of protocol %q.", version, booking.Clip(id, 60))
}

// protocol reads one protocol with q, which selects its version and data
// by id (and version, when not 0); missing is the ENOTFOUND message.
func (r *reader) protocol(ctx context.Context, q, id string, version int, missing string, args ...any) (*booking.Protocol, error) {
	params := []any{id}
	if version != 0 {
		params = append(params, version)
	}
	var data string
	err := r.q.QueryRowContext(ctx, q, params...).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, booking.Errorf(booking.ENOTFOUND, missing, args...)
	} else if err != nil {
		return nil, r.mapErr("protocol", err)
	}
	var p booking.Protocol
	if err := unmarshal("protocol", data, &p); err != nil {
		return nil, err
	}
	p.ID, p.Version = id, version
	return &p, nil
}

const patientColumns = "id, name, email, phone, preferences, consents, created"

// scanPatient scans the patientColumns of one row.
func scanPatient(s interface{ Scan(...any) error }, loc *time.Location) (*booking.Patient, error) {
	var p booking.Patient
	var prefs, consents string
	var created int64
	if err := s.Scan(&p.ID, &p.Name, &p.Email, &p.Phone, &prefs, &consents, &created); err != nil {
		return nil, err
	}
	if err := unmarshal("patient preferences", prefs, &p.Preferences); err != nil {
		return nil, err
	}
	if err := unmarshal("patient consents", consents, &p.Consents); err != nil {
		return nil, err
	}
	p.Created = time.Unix(created, 0).In(loc)
	return &p, nil
}

// Patient implements booking.Reader.
func (r *reader) Patient(ctx context.Context, id int64) (*booking.Patient, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	p, err := scanPatient(r.q.QueryRowContext(ctx, "SELECT "+patientColumns+" FROM patients WHERE id = ?", id), loc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no patient with id %d.", id)
	} else if err != nil {
		return nil, r.mapErr("patient", err)
	}
	return p, nil
}

// FindPatients implements booking.Reader: every patient ordered by name,
// or those that booking's one patient search (booking.PatientIndex) finds
// for search, so kapctl, the Book screen and the Patients screen find the
// same people. A search reads only names, emails and phones to match, then
// the whole records of the patients it found.
func (r *reader) FindPatients(ctx context.Context, search string) ([]*booking.Patient, error) {
	if strings.TrimSpace(search) == "" {
		return r.patients(ctx, "", nil)
	}
	rows, err := r.q.QueryContext(ctx, "SELECT id, name, email, phone FROM patients")
	if err != nil {
		return nil, r.mapErr("find patients", err)
	}
	defer rows.Close()
	var contacts []*booking.Patient
	for rows.Next() {
		p := &booking.Patient{}
		if err := rows.Scan(&p.ID, &p.Name, &p.Email, &p.Phone); err != nil {
			return nil, r.mapErr("find patients", err)
		}
		contacts = append(contacts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, r.mapErr("find patients", err)
	}
	found, _ := booking.NewPatientIndex(contacts).Search(search, 0)
	if len(found) == 0 {
		return []*booking.Patient{}, nil
	}
	ids := make([]int64, len(found))
	for i, p := range found {
		ids[i] = p.ID
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, r.mapErr("find patients", err)
	}
	in := " WHERE id IN (SELECT value FROM json_each(?))"
	if r.pg {
		in = " WHERE id IN (SELECT value::bigint FROM json_array_elements_text(?::json))"
	}
	return r.patients(ctx, in, []any{string(list)})
}

// patients reads the patients that where selects, ordered by name.
func (r *reader) patients(ctx context.Context, where string, args []any) ([]*booking.Patient, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.q.QueryContext(ctx, "SELECT "+patientColumns+" FROM patients"+where+" ORDER BY name_key, id", args...)
	if err != nil {
		return nil, r.mapErr("find patients", err)
	}
	defer rows.Close()
	out := []*booking.Patient{}
	for rows.Next() {
		p, err := scanPatient(rows, loc)
		if err != nil {
			return nil, r.mapErr("find patients", err)
		}
		out = append(out, p)
	}
	return out, r.mapErr("find patients", rows.Err())
}

// searchKey fills the patients table's search_key column, which kapbook
// no longer reads (FindPatients searches through booking.PatientIndex) but
// which older versions sharing the database may: the lower-cased name,
// email and phone, and the phone's digits.
func searchKey(p *booking.Patient) string {
	return strings.Join([]string{strings.ToLower(p.Name), strings.ToLower(p.Email), strings.ToLower(p.Phone), digits(p.Phone)}, "\x1f")
}

// digits returns the digits of s.
func digits(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, s)
}

// Series implements booking.Reader.
func (r *reader) Series(ctx context.Context, id int64) (*booking.Series, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	var s booking.Series
	var therapist sql.NullInt64
	var from string
	var created int64
	err = r.q.QueryRowContext(ctx, "SELECT "+seriesColumns+" FROM series WHERE id = ?", id).
		Scan(&s.ID, &s.PatientID, &s.ProtocolID, &s.ProtocolVersion, &therapist, &from, &s.Step, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no series with id %d.", id)
	} else if err != nil {
		return nil, r.mapErr("series", err)
	}
	if err := fillSeries(&s, therapist, from, created, loc); err != nil {
		return nil, err
	}
	s.Appts, err = r.appointments(ctx, loc, "a.series_id = ?", []any{id}, "a.seq, a.id", 0)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

const seriesColumns = "id, patient_id, protocol_id, protocol_version, therapist_id, from_date, step, created"

// fillSeries sets the series' fields that need converting from columns.
func fillSeries(s *booking.Series, therapist sql.NullInt64, from string, created int64, loc *time.Location) error {
	s.TherapistID = therapist.Int64
	var err error
	if s.From, err = booking.ParseDate(from); err != nil {
		return booking.Errorf(booking.ESTORE, "Series %d has a start date that cannot be read; the database may be damaged.", s.ID)
	}
	s.Created = time.Unix(created, 0).In(loc)
	return nil
}

// SeriesList implements booking.Reader.
func (r *reader) SeriesList(ctx context.Context, f booking.SeriesFilter) ([]*booking.Series, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.PatientID != 0 {
		where, args = append(where, "s.patient_id = ?"), append(args, f.PatientID)
	}
	if f.ProtocolID != "" {
		where, args = append(where, "s.protocol_id = ?"), append(args, f.ProtocolID)
	}
	if f.Active {
		where = append(where, "EXISTS (SELECT 1 FROM appointments a WHERE a.series_id = s.id AND a.status IN (?, ?))")
		args = append(args, string(booking.Booked), string(booking.Arrived))
	}
	rows, err := r.q.QueryContext(ctx, "SELECT "+seriesColumns+" FROM series s WHERE "+strings.Join(where, " AND ")+" ORDER BY s.id", args...)
	if err != nil {
		return nil, r.mapErr("series", err)
	}
	defer rows.Close()
	out := []*booking.Series{}
	for rows.Next() {
		var s booking.Series
		var therapist sql.NullInt64
		var from string
		var created int64
		if err := rows.Scan(&s.ID, &s.PatientID, &s.ProtocolID, &s.ProtocolVersion, &therapist, &from, &s.Step, &created); err != nil {
			return nil, r.mapErr("series", err)
		}
		if err := fillSeries(&s, therapist, from, created, loc); err != nil {
			return nil, err
		}
		out = append(out, &s)
	}
	return out, r.mapErr("series", rows.Err())
}

// Appointment implements booking.Reader.
func (r *reader) Appointment(ctx context.Context, id int64) (*booking.Appointment, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	as, err := r.appointments(ctx, loc, "a.id = ?", []any{id}, "a.id", 0)
	if err != nil {
		return nil, err
	} else if len(as) == 0 {
		return nil, booking.Errorf(booking.ENOTFOUND, "There is no appointment with id %d.", id)
	}
	return as[0], nil
}

// Appointments implements booking.Reader. A window [From, To) is read
// through the index on start: an appointment that ends after From started
// at most the longest appointment's length before it.
func (r *reader) Appointments(ctx context.Context, f booking.AppointmentFilter) ([]*booking.Appointment, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	where, args := appointmentWhere(f)
	return r.appointments(ctx, loc, where, args, "a.start_unix, a.id", f.Limit)
}

// AppointmentsStamp implements booking.Reader with one aggregate over the
// rows Appointments(f) reads, without their staff or escorts.
func (r *reader) AppointmentsStamp(ctx context.Context, f booking.AppointmentFilter) (booking.Stamp, error) {
	where, args := appointmentWhere(f)
	inner := "SELECT a.id, a.sequence, a.updated FROM appointments a WHERE " + where
	if f.Limit > 0 {
		inner += " ORDER BY a.start_unix, a.id LIMIT ?"
		args = append(args, f.Limit)
	}
	var st booking.Stamp
	var updated int64
	err := r.q.QueryRowContext(ctx, `SELECT count(*), coalesce(max(updated), 0), coalesce(sum(sequence), 0), coalesce(sum(id), 0)
		FROM (`+inner+`) stamped`, args...).Scan(&st.Count, &updated, &st.Sequences, &st.IDs)
	if err != nil {
		return booking.Stamp{}, r.mapErr("appointments stamp", err)
	}
	if st.Count > 0 {
		st.Updated = time.Unix(updated, 0).UTC()
	}
	return st, nil
}

// staffWindow is the longest window for which a staff member's
// appointments are read through the window rather than their history.
const staffWindow = 31 * 24 * time.Hour

// appointmentWhere returns the condition, over the appointments table as
// a, that selects the appointments f matches, and its arguments.
func appointmentWhere(f booking.AppointmentFilter) (string, []any) {
	where := []string{"1 = 1"}
	var args []any
	if !f.From.IsZero() {
		where = append(where,
			"a.start_unix > ? - (SELECT coalesce(max(end_unix - start_unix), 0) FROM appointments)",
			"a.end_unix > ?")
		args = append(args, f.From.Unix(), f.From.Unix())
	}
	if !f.To.IsZero() {
		where = append(where, "a.start_unix < ?")
		args = append(args, f.To.Unix())
	}
	switch {
	case f.StaffID != 0 && !f.From.IsZero() && !f.To.IsZero() && f.To.Sub(f.From) <= staffWindow:
		// Within a short window, read the window through its index and
		// look each appointment's staff up: the IN form reads the staff
		// member's whole history first, thousands of rows for a busy
		// therapist (a week: 6 ms instead of 52 in BenchmarkStaffWindow).
		// Over a long window, such as a feed's year, that history is
		// the smaller read.
		where = append(where, "EXISTS (SELECT 1 FROM appointment_staff s WHERE s.appointment_id = a.id AND s.staff_id = ?)")
		args = append(args, f.StaffID)
	case f.StaffID != 0:
		where = append(where, "a.id IN (SELECT appointment_id FROM appointment_staff WHERE staff_id = ?)")
		args = append(args, f.StaffID)
	}
	if f.RoomID != 0 {
		where = append(where, "a.room_id = ?")
		args = append(args, f.RoomID)
	}
	if f.PatientID != 0 {
		where = append(where, "a.patient_id = ?")
		args = append(args, f.PatientID)
	}
	if f.SeriesID != 0 {
		where = append(where, "a.series_id = ?")
		args = append(args, f.SeriesID)
	}
	if f.ActiveOnly {
		where = append(where, "a.status NOT IN (?, ?)")
		args = append(args, string(booking.Cancelled), string(booking.LateCancelled))
	}
	return strings.Join(where, " AND "), args
}

const appointmentColumns = `a.id, a.series_id, a.patient_id, a.step, a.kind, a.idx, a.count, a.seq,
	a.start_unix, a.end_unix, a.room_id, a.room_name,
	a.room_before, a.room_after, a.staff_before, a.staff_after,
	a.status, a.escort, a.reason, a.sequence, a.created, a.updated, a.needs_rems,
	a.cancelled_by, a.late_minutes, a.makeup_of, a.escort_needed`

// appointments returns the appointments matching where (over the
// appointments table as a), ordered by order, at most limit (0: all), with
// their staff, times in loc.
func (r *reader) appointments(ctx context.Context, loc *time.Location, where string, args []any, order string, limit int) ([]*booking.Appointment, error) {
	inner := "SELECT * FROM appointments a WHERE " + where + " ORDER BY " + order
	if limit > 0 {
		inner += " LIMIT ?"
		args = append(args, limit)
	}
	q := "SELECT " + appointmentColumns + `, s.staff_id, s.name, s.role
	FROM (` + inner + `) a
	LEFT JOIN appointment_staff s ON s.appointment_id = a.id
	ORDER BY ` + order + ", s.position"
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, r.mapErr("appointments", err)
	}
	defer rows.Close()
	out := []*booking.Appointment{}
	for rows.Next() {
		var a booking.Appointment
		var series, room, staffID, makeup sql.NullInt64
		var escort, staffName, staffRole sql.NullString
		var start, end, created, updated int64
		var status, by string
		if err := rows.Scan(&a.ID, &series, &a.PatientID, &a.Step, &a.Kind, &a.Index, &a.Count, &a.Seq,
			&start, &end, &room, &a.RoomName,
			&a.Holds.RoomBefore, &a.Holds.RoomAfter, &a.Holds.StaffBefore, &a.Holds.StaffAfter,
			&status, &escort, &a.Reason, &a.Sequence, &created, &updated, &a.NeedsREMS,
			&by, &a.LateMinutes, &makeup, &a.EscortNeeded,
			&staffID, &staffName, &staffRole); err != nil {
			return nil, r.mapErr("appointments", err)
		}
		var cur *booking.Appointment
		if n := len(out); n > 0 && out[n-1].ID == a.ID {
			cur = out[n-1]
		} else {
			a.SeriesID, a.RoomID, a.MakeupOf = series.Int64, room.Int64, makeup.Int64
			a.CancelledBy = booking.Party(by)
			a.Start, a.End = time.Unix(start, 0).In(loc), time.Unix(end, 0).In(loc)
			a.Created, a.Updated = time.Unix(created, 0).In(loc), time.Unix(updated, 0).In(loc)
			a.Status = booking.Status(status)
			if escort.Valid {
				a.Escort = new(booking.Escort)
				if err := unmarshal("escort", escort.String, a.Escort); err != nil {
					return nil, err
				}
			}
			a.Staff = []booking.Assignment{}
			cur = &a
			out = append(out, cur)
		}
		if staffID.Valid {
			cur.Staff = append(cur.Staff, booking.Assignment{StaffID: staffID.Int64, Name: staffName.String, Role: booking.Role(staffRole.String)})
		}
	}
	return out, r.mapErr("appointments", rows.Err())
}

// blocksQuery reads the blocks overlapping [?2, ?1) through the index on
// start: a block that ends after the window's start began at most the
// longest block's length before it, and that length comes from an index too.
const blocksQuery = `SELECT resource_kind, resource_id, start_unix, end_unix, appointment_id FROM blocks
	WHERE start_unix < ?
	AND start_unix > ? - (SELECT coalesce(max(end_unix - start_unix), 0) FROM blocks)
	AND end_unix > ?
	ORDER BY start_unix, appointment_id`

// Blocks implements booking.Reader.
func (r *reader) Blocks(ctx context.Context, from, to time.Time) ([]booking.Block, error) {
	rows, err := r.q.QueryContext(ctx, blocksQuery, to.Unix(), from.Unix(), from.Unix())
	if err != nil {
		return nil, r.mapErr("blocks", err)
	}
	defer rows.Close()
	out := []booking.Block{}
	for rows.Next() {
		var b booking.Block
		var kind string
		if err := rows.Scan(&kind, &b.Resource.ID, &b.Start, &b.End, &b.AppointmentID); err != nil {
			return nil, r.mapErr("blocks", err)
		}
		b.Resource.Kind = booking.ResourceKind(kind)
		out = append(out, b)
	}
	return out, r.mapErr("blocks", rows.Err())
}

// Audit implements booking.Reader.
func (r *reader) Audit(ctx context.Context, f booking.AuditFilter) ([]*booking.AuditEntry, error) {
	loc, err := r.location(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, at, actor, action, patient_id, series_id, appointment_id, state_before, state_after, note, recorded, os_user FROM audit`
	var args []any
	if f.PatientID != 0 {
		q += " WHERE patient_id = ?"
		args = append(args, f.PatientID)
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, r.mapErr("audit", err)
	}
	defer rows.Close()
	out := []*booking.AuditEntry{}
	for rows.Next() {
		var e booking.AuditEntry
		var at, recorded int64
		var patient, series, appt sql.NullInt64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &patient, &series, &appt, &e.Before, &e.After, &e.Note, &recorded, &e.OSUser); err != nil {
			return nil, r.mapErr("audit", err)
		}
		e.At = time.Unix(at, 0).In(loc)
		if recorded != 0 {
			e.Recorded = time.Unix(recorded, 0).In(loc)
		}
		e.PatientID, e.SeriesID, e.AppointmentID = patient.Int64, series.Int64, appt.Int64
		out = append(out, &e)
	}
	return out, r.mapErr("audit", rows.Err())
}

// unmarshal decodes a JSON column.
func unmarshal(what, data string, v any) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return booking.Errorf(booking.ESTORE, "A stored %s cannot be read (%v); the database may be damaged.", what, err)
	}
	return nil
}

// clip shortens s for quoting in a message.
