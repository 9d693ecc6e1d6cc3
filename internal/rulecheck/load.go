package rulecheck

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// data is everything Check read, linked up.
type data struct {
	clinic     clinic
	staff      map[int64]*staffMember
	rooms      map[int64]*room
	protocols  map[protocolKey]*protocol
	series     []*series // by id
	seriesByID map[int64]*series
	appts      []*appt // by start, then id
	byID       map[int64]*appt
	audit      []auditEntry // by id; only the entries a rule reads
}

// protocolKey names one stored protocol version.
type protocolKey struct {
	id      string
	version int
}

// load reads every table the rules need, once each, in one read
// transaction: what it reads is one moment of the database. The audit
// trail is append-only, so of it load reads only the entries after those
// in seen, which it keeps.
func load(ctx context.Context, db *sql.DB, seen []auditEntry) (*data, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("rulecheck: begin reading: %w", err)
	}
	defer tx.Rollback() // it only read
	d := &data{audit: seen}
	steps := []func(context.Context, *sql.Tx) error{
		d.loadClinic, d.loadStaff, d.loadRooms, d.loadProtocols, d.loadSeries,
		d.loadAppointments, d.loadAppointmentStaff, d.loadAudit,
	}
	for _, step := range steps {
		if err := step(ctx, tx); err != nil {
			return nil, err
		}
	}
	d.link()
	return d, nil
}

// query runs a SELECT and calls scan for each row.
func query(ctx context.Context, tx *sql.Tx, what, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("rulecheck: read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("rulecheck: read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rulecheck: read %s: %w", what, err)
	}
	return nil
}

// storedClinic is the clinic row's JSON.
type storedClinic struct {
	TimeZone        string              `json:"time_zone"`
	Hours           map[string][]string `json:"hours"`
	Closures        []storedClosure     `json:"closures"`
	REMSCertified   bool                `json:"rems_certified"`
	LateCancelHours int                 `json:"late_cancel_hours"`
}

// storedClosure is a closure of the clinic, both dates included.
type storedClosure struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// loadClinic reads the clinic: its zone, hours, closures, REMS
// certification and notice for late cancellations.
func (d *data) loadClinic(ctx context.Context, tx *sql.Tx) error {
	var zone, raw string
	if err := tx.QueryRowContext(ctx, "SELECT time_zone, data FROM clinic WHERE id = 1").Scan(&zone, &raw); err != nil {
		return fmt.Errorf("rulecheck: read the clinic: %w", err)
	}
	var s storedClinic
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return fmt.Errorf("rulecheck: the clinic: %w", err)
	}
	if s.TimeZone != "" {
		zone = s.TimeZone
	}
	loc, err := location(zone)
	if err != nil {
		return fmt.Errorf("rulecheck: the clinic's time zone: %w", err)
	}
	c := clinic{loc: loc, remsCertified: s.REMSCertified, notice: 24 * 3600}
	if s.LateCancelHours > 0 {
		c.notice = int64(s.LateCancelHours) * 3600
	}
	if c.hours, err = parseWeekly(s.Hours); err != nil {
		return fmt.Errorf("rulecheck: the clinic's opening hours: %w", err)
	}
	for _, cl := range s.Closures {
		from, err1 := parseDate(cl.From)
		to, err2 := parseDate(cl.To)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("rulecheck: the clinic's closure %s to %s is not two dates", cl.From, cl.To)
		}
		c.closures = append(c.closures, closedDays{from, to, cl.Reason})
	}
	d.clinic = c
	return nil
}

// zones caches time zones by name: loading one reads the zone database.
var zones sync.Map

// location returns the IANA time zone name.
func location(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// storedStaff is a staff row's JSON.
type storedStaff struct {
	Roles          []string            `json:"roles"`
	Qualifications []string            `json:"qualifications"`
	Hours          map[string][]string `json:"hours"`
	TimeOff        []storedInterval    `json:"time_off"`
	Busy           []storedInterval    `json:"busy"`
}

// storedInterval is a stored span of time, end excluded.
type storedInterval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// timelineOf converts stored intervals to a timeline.
func timelineOf(list []storedInterval) timeline {
	ivs := make([]interval, len(list))
	for i, iv := range list {
		ivs[i] = interval{iv.Start.Unix(), iv.End.Unix()}
	}
	return newTimeline(ivs)
}

// loadStaff reads the staff: roles, qualifications, hours, time off and
// busy times.
func (d *data) loadStaff(ctx context.Context, tx *sql.Tx) error {
	d.staff = map[int64]*staffMember{}
	return query(ctx, tx, "staff", "SELECT id, name, data FROM staff", func(rows *sql.Rows) error {
		m := &staffMember{}
		var raw string
		if err := rows.Scan(&m.id, &m.name, &raw); err != nil {
			return err
		}
		var s storedStaff
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return fmt.Errorf("staff %d: %w", m.id, err)
		}
		hours, err := parseWeekly(s.Hours)
		if err != nil {
			return fmt.Errorf("the working hours of staff %d: %w", m.id, err)
		}
		m.roles, m.qualifications, m.hours = s.Roles, s.Qualifications, hours
		m.timeOff, m.busy = timelineOf(s.TimeOff), timelineOf(s.Busy)
		d.staff[m.id] = m
		return nil
	})
}

// loadRooms reads the rooms: kind and equipment.
func (d *data) loadRooms(ctx context.Context, tx *sql.Tx) error {
	d.rooms = map[int64]*room{}
	return query(ctx, tx, "rooms", "SELECT id, name, data FROM rooms", func(rows *sql.Rows) error {
		r := &room{}
		var raw string
		if err := rows.Scan(&r.id, &r.name, &raw); err != nil {
			return err
		}
		var s struct {
			Kind      string   `json:"kind"`
			Equipment []string `json:"equipment"`
		}
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return fmt.Errorf("room %d: %w", r.id, err)
		}
		r.kind, r.equipment = s.Kind, s.Equipment
		d.rooms[r.id] = r
		return nil
	})
}

// loadProtocols reads every stored version of every protocol.
func (d *data) loadProtocols(ctx context.Context, tx *sql.Tx) error {
	d.protocols = map[protocolKey]*protocol{}
	return query(ctx, tx, "protocol versions", "SELECT protocol_id, version, data FROM protocol_versions", func(rows *sql.Rows) error {
		var k protocolKey
		var raw string
		if err := rows.Scan(&k.id, &k.version, &raw); err != nil {
			return err
		}
		p := &protocol{}
		if err := json.Unmarshal([]byte(raw), p); err != nil {
			return fmt.Errorf("protocol %s version %d: %w", k.id, k.version, err)
		}
		for i := range p.Steps {
			s := &p.Steps[i]
			s.latestEnd = -1
			if s.LatestEnd == "" {
				continue
			}
			end, err := parseClock(s.LatestEnd)
			if err != nil {
				return fmt.Errorf("protocol %s version %d, step %s: latest end: %w", k.id, k.version, s.ID, err)
			}
			s.latestEnd = end
		}
		d.protocols[k] = p
		return nil
	})
}

// loadSeries reads the series.
func (d *data) loadSeries(ctx context.Context, tx *sql.Tx) error {
	d.seriesByID = map[int64]*series{}
	return query(ctx, tx, "series", `SELECT id, patient_id, protocol_id, protocol_version, coalesce(therapist_id, 0),
		from_date, step, created FROM series ORDER BY id`, func(rows *sql.Rows) error {
		s := &series{}
		var from string
		if err := rows.Scan(&s.id, &s.patient, &s.protocolID, &s.version, &s.therapist, &from, &s.adHocStep, &s.created); err != nil {
			return err
		}
		var err error
		if s.from, err = parseDate(from); err != nil {
			return fmt.Errorf("series %d: %w", s.id, err)
		}
		d.series = append(d.series, s)
		d.seriesByID[s.id] = s
		return nil
	})
}

// appointmentsQuery reads every appointment as one joined text value.
const appointmentsQuery = `SELECT group_concat(concat_ws(char(31), id, coalesce(series_id, 0), patient_id, step, kind,
	idx, count, seq, start_unix, end_unix, coalesce(room_id, 0), room_before, room_after, staff_before, staff_after,
	status, updated, needs_rems != 0, cancelled_by, coalesce(makeup_of, 0)), char(30))
	FROM appointments`

// loadAppointments reads every appointment, whatever its status.
func (d *data) loadAppointments(ctx context.Context, tx *sql.Tx) error {
	d.byID = map[int64]*appt{}
	var block []appt // appointments are allocated 256 at a time
	err := joinedRows(ctx, tx, "appointments", appointmentsQuery, func(f *fields) {
		if len(block) == cap(block) {
			block = make([]appt, 0, 256)
		}
		block = append(block, appt{
			id: f.int64(), series: f.int64(), patient: f.int64(), step: f.text(), kind: f.text(),
			index: f.int(), count: f.int(), seq: f.int(), start: f.int64(), end: f.int64(),
			roomID: f.int64(), roomBefore: f.int(), roomAfter: f.int(), staffBefore: f.int(), staffAfter: f.int(),
			status: status(f.text()), updated: f.int64(), needsREMS: f.text() == "1", cancelledBy: f.text(), makeupOf: f.int64(),
		})
		a := &block[len(block)-1]
		a.locate(d.clinic.loc)
		d.appts = append(d.appts, a)
		d.byID[a.id] = a
	})
	slices.SortFunc(d.appts, func(a, b *appt) int {
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		return cmp.Compare(a.id, b.id)
	})
	return err
}

// appointmentStaffQuery reads who takes part in every appointment as one
// joined text value.
const appointmentStaffQuery = `SELECT group_concat(concat_ws(char(31), appointment_id, position, staff_id), char(30))
	FROM appointment_staff`

// loadAppointmentStaff gives each appointment its staff, by position.
func (d *data) loadAppointmentStaff(ctx context.Context, tx *sql.Tx) error {
	return joinedRows(ctx, tx, "appointment staff", appointmentStaffQuery, func(f *fields) {
		id, pos, staff := f.int64(), f.int(), f.int64()
		a := d.byID[id]
		if a == nil || pos < 0 || pos > 100 {
			return
		}
		for len(a.staff) <= pos {
			a.staff = append(a.staff, 0) // 0: nobody at that position
		}
		a.staff[pos] = staff
	})
}

// auditQuery reads the audit entries the rules need: overrides, REMS
// enrolments, patients added with consents, and the entries that book,
// move, make up or check in an appointment that needs REMS, with their
// state_after. Which those are, it learns from the appointments that need
// REMS: reading every state, or searching its text for needs_rems, took
// 2 to 4 ms more in a clinic year. (An appointment keeps needs_rems from
// its step; checkCertified reports one that does not.)
const auditQuery = `WITH rems AS (SELECT id, series_id FROM appointments WHERE needs_rems)
	SELECT id, action, coalesce(patient_id, 0), coalesce(series_id, 0), coalesce(appointment_id, 0),
	CASE WHEN action = 'override' AND appointment_id NOT IN (SELECT id FROM rems) THEN '' ELSE state_after END, note
	FROM audit
	WHERE id > ? AND (action = 'override' OR (action = 'consent' AND note = 'rems-enrolled') OR (action = 'patient-add' AND state_after != '')
	OR (action = 'book' AND series_id IN (SELECT series_id FROM rems))
	OR (action IN ('reschedule', 'makeup', 'status') AND appointment_id IN (SELECT id FROM rems)))
	ORDER BY id`

// loadAudit reads the audit entries of auditQuery after those d has, in
// order. What an entry says never changes, and whether it is one the
// rules read is settled when it is written (an appointment keeps
// needs_rems from its step), so the earlier ones need no reading again.
func (d *data) loadAudit(ctx context.Context, tx *sql.Tx) error {
	last := int64(0)
	if n := len(d.audit); n > 0 {
		last = d.audit[n-1].id
	}
	d.audit = slices.Clip(d.audit)
	return query(ctx, tx, "the audit trail", auditQuery, func(rows *sql.Rows) error {
		var e auditEntry
		if err := rows.Scan(&e.id, &e.action, &e.patient, &e.series, &e.appointment, &e.after, &e.note); err != nil {
			return err
		}
		d.audit = append(d.audit, e)
		return nil
	}, last)
}

// link gives each series its layout and its appointments, and each
// appointment its place.
func (d *data) link() {
	layouts := map[layoutKey]*layout{}
	for _, s := range d.series {
		s.layout = d.layoutOf(s, layouts)
	}
	for _, a := range d.appts {
		s := d.seriesByID[a.series]
		if s == nil {
			continue
		}
		s.appts = append(s.appts, a)
		if pl := s.layout.at(a.seq); pl != nil && pl.fits(a) {
			a.place = pl
		}
	}
	for _, s := range d.series {
		sort.Slice(s.appts, func(i, j int) bool {
			if s.appts[i].seq != s.appts[j].seq {
				return s.appts[i].seq < s.appts[j].seq
			}
			return s.appts[i].id < s.appts[j].id
		})
	}
}

// layoutKey names the layout of a protocol version, or of one step of it
// booked ad hoc.
type layoutKey struct {
	protocolKey
	adHocStep string
}

// layoutOf returns the layout of the series' protocol version, made once
// per version; nil when the version or the ad-hoc step is missing.
func (d *data) layoutOf(s *series, cache map[layoutKey]*layout) *layout {
	k := layoutKey{protocolKey{s.protocolID, s.version}, s.adHocStep}
	if l, ok := cache[k]; ok {
		return l
	}
	p := d.protocols[k.protocolKey]
	if p != nil && s.adHocStep != "" {
		p = adHoc(p, s.adHocStep)
	}
	var l *layout
	if p != nil {
		l = newLayout(p)
	}
	cache[k] = l
	return l
}
